/* SPDX-License-Identifier: GPL-2.0-only */
#ifndef OVL_OVERLAYD_CONTROL_CTL_INT_H
#define OVL_OVERLAYD_CONTROL_CTL_INT_H

/* Between ctl_cmds.c (the command table, host-wide commands) and
 * ctl_tables.c (the per-enclave tables). */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lib/drop.h"

struct daemon;
struct json;
struct sbuf;

struct ctl_ctx {
    struct daemon *d;
    int argc;
    char **argv;
    bool json;
    struct sbuf *out;
    uint64_t now;
};

uint64_t ctl_secs(uint64_t ns);
/* An RTT (ns, 0 unknown) in ms for the JSON (a number, null) and the
 * table ("-"). */
void ctl_rtt_ns(uint64_t ns, const char *key, struct json *j, char text[24]);

struct ctl_counter {
    const char *name;
    uint64_t v;
};

/* 9 link + the drops + 9 traffic + 8 neighbour + 3 tree + 7 paths + 4 probes
 * + 1 MSS clamp + 3 claims = 44, and room for a few more; a counter added
 * beyond it overflows the caller's array (the ASan build's first status
 * says so). */
enum { CTL_COUNTERS_MAX = 64 + DROP__N };

/* Every counter `status` and `metrics` show, into @c (CTL_COUNTERS_MAX). */
size_t ctl_counters(struct daemon *d, struct ctl_counter *c);
size_t ctl_peers_up(struct ctl_ctx *c);

int ctl_metrics(struct ctl_ctx *c);
int ctl_fdb(struct ctl_ctx *c);
int ctl_neigh(struct ctl_ctx *c);
int ctl_paths(struct ctl_ctx *c);

#endif
