/* SPDX-License-Identifier: GPL-2.0-only */
#ifndef OVL_OVERLAYD_CONTROL_CTL_INT_H
#define OVL_OVERLAYD_CONTROL_CTL_INT_H

/* Between ctl_cmds.c (the command table, host-wide commands) and
 * ctl_tables.c (the per-enclave tables). */

#include <stdbool.h>
#include <stdint.h>

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

int ctl_fdb(struct ctl_ctx *c);
int ctl_neigh(struct ctl_ctx *c);
int ctl_paths(struct ctl_ctx *c);

#endif
