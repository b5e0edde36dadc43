/* SPDX-License-Identifier: GPL-2.0-only */
#ifndef OVL_OVERLAYD_DATAPATH_PATHS_H
#define OVL_OVERLAYD_DATAPATH_PATHS_H

/*
 * DOC: paths — an enclave's latency bounds (MaxLatency, MinPaths) against
 * the paths detour.c keeps to each host carrying it: what `overlayctl
 * paths` shows, and a log line when a bound starts and stops being broken.
 *
 * May call: detour, peer, enclave, config, admit/ (grants), lib/.
 */

#include <stdbool.h>
#include <stdint.h>

struct config_enclave;
struct daemon;
struct enclave;
struct peer;

enum paths_bound {
    PATHS_UNKNOWN = -1,               /* no bound, or no RTT measured yet */
    PATHS_BROKEN = 0,
    PATHS_HOLDS = 1,
};

struct paths_host {
    struct peer *via;                 /* NULL: direct */
    uint64_t rtt;                     /* ns of the path in use; 0 unknown */
    unsigned n_paths;                 /* direct (if usable) + usable one-hop detours */
    enum paths_bound latency, paths;
};

/* The [Enclave] section of @e in the running configuration (its bounds). */
const struct config_enclave *paths_config(const struct daemon *d, const struct enclave *e);
/* Does @p carry @e with us (announced, and both certificates allow)? */
bool paths_carries(const struct daemon *d, const struct peer *p, const struct enclave *e);
void paths_host(struct daemon *d, const struct config_enclave *ce, struct peer *p, uint64_t now,
                struct paths_host *out);
/* Log each bound of each enclave once when it starts to be broken for a
 * host and once when it holds again. */
void paths_watch(struct daemon *d, uint64_t now);

#endif
