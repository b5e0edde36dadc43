/* SPDX-License-Identifier: GPL-2.0-only */
#ifndef OVL_OVERLAYD_DATAPATH_DETOUR_H
#define OVL_OVERLAYD_DATAPATH_DETOUR_H

/*
 * DOC: detour — our link packets to a host through one intermediate host
 * when the direct path is dead or slower by the margin (docs/paths.md)
 *
 * A detour carries the two end hosts' own link packets, handshakes
 * included, inside the relay's links (inner type 6): the relay sees an
 * outer header and a key, never the data, and needs no enclave rights.
 * Which path to take is the plan's (overlayd/plan/plan_path.c); the health
 * and RTT of each direct path are the probes' (overlayd/paths/, sent
 * straight to the endpoint by datapath/probe.c); this file exchanges
 * REPORTs of live links, relays for others within a per-source budget,
 * and wraps our packets for the relay.
 *
 * May call: peer, tx, udp, inner, crypto/link, paths/ (health), plan/
 * (path choice), lib/.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lib/bucket.h"
#include "overlayd/paths/path_probe.h"

struct daemon;
struct peer;

enum detour_spec {
    DETOUR_BUSY_MS = 100,             /* look at paths this often while one is in doubt */
    DETOUR_CONNECT_MS = 1000,         /* handshake unanswered this long: direct path dead */
    DETOUR_REPORT_MS = 1000,          /* REPORT of our live links to each linked host */
    DETOUR_REPORT_FRESH_MS = 3500,    /* a relay's REPORT older than this is not used */
    DETOUR_RELAY_PPS = 20000,         /* packets per second relayed for one source ... */
    DETOUR_RELAY_BURST = 4000,        /* ... with this burst */
    DETOUR_REPORT_MAX = 64,
    DETOUR_BOUNDS_MAX = 16,           /* bounded enclaves watched per peer (paths.c) */
    DETOUR_RING_CAND_MAX = 512,       /* linked hosts weighed for the next ring hop */
    DETOUR_RING_HEARD_MS = 11000,     /* a ring path is up while heard through within this:
                                       * two keepalives (DAEMON_KEEPALIVE_S) and a second */
};

struct detour_rep {
    uint64_t key;                     /* inner_detour_key() of the host it reaches */
    uint32_t rtt_us;                  /* INNER_DETOUR_RTT_UNKNOWN: linked, not measured */
    uint8_t flags;                    /* INNER_DETOUR_RELAYED: the relay's own detour */
};

/* An enclave bound broken towards a peer (paths.c), so the log says it
 * once when it starts and once when it ends. */
struct detour_bound {
    uint32_t enclave;
    uint8_t bad;                      /* PATHS_BAD_* bits; 0: slot free */
};

/* Per peer: its direct path's health, the path our sends take, what it may
 * have us relay, and its last REPORT. */
struct detour_peer {
    struct peer *via;                 /* our link packets go through it; NULL: direct */
    bool via_ring;                    /* ... as the next hop along the ring, not a detour */
    uint64_t via_cost;                /* ns, the detour's cost when chosen */
    uint64_t ok_since;                /* direct path healthy (probes: UP) since; 0: not */
    bool follow;                      /* it came to us through a relay while our direct
                                       * path was suspect: held dead until UP again */
    struct peer *rx_via;              /* its last packet to us came through this host */
    uint64_t rx_via_at;
    struct bucket relay_budget;       /* what we relay for it (a source's first packet finds it full) */
    uint64_t rep_at;                  /* when its last REPORT came; 0: never */
    unsigned n_rep;
    struct detour_rep rep[DETOUR_REPORT_MAX];
    struct detour_bound bounds[DETOUR_BOUNDS_MAX];
};

/* The relay budget: DETOUR_RELAY_PPS / _BURST, or OVERLAYD_RELAY_PPS (tests;
 * burst = a fifth of it, at least 1). */
void detour_init(struct daemon *d);
/* hook_send: carry @pkt for @p through a relay if that is its path (or the
 * packet answers one that came through a relay). false: send it direct. */
bool detour_wrap(struct daemon *d, struct peer *p, const uint8_t *pkt, size_t len);
/* Data for @p went out (tx.c, ring/): the probes watch for the answer
 * when it went straight to the endpoint. */
void detour_note_sent(struct peer *p, uint64_t now);
/* The probes (overlayd/paths/) changed @p's health from @old: the path
 * is chosen again at once. */
void detour_on_health(struct daemon *d, struct peer *p, enum path_health old, uint64_t now);
/* Is @p's direct path out of use: held DEAD by the probes, followed to a
 * detour, or its handshake unanswered for DETOUR_CONNECT_MS? */
bool detour_direct_dead(const struct peer *p, uint64_t now);
/* Probing, not DEAD (SUSPECT is still healthy), not followed to a detour,
 * and heard straight from at least once: the hold before traffic returns
 * to the direct path counts from then. */
bool detour_direct_healthy(const struct peer *p);
/* An inner type 6 payload from @from (rx.c). */
void detour_recv(struct daemon *d, struct peer *from, uint8_t *data, size_t len, uint64_t now);
/* Reports and path choice; returns the next deadline. */
uint64_t detour_on_timeout(struct daemon *d, uint64_t now);
/* @gone is going away: no path may name it. */
void detour_forget(struct daemon *d, struct peer *gone);
/* link_peer_send() straight to @p's endpoint, never through a relay:
 * probes and their answers, and what we relay. */
int detour_send_direct(struct daemon *d, struct peer *p, const uint8_t *buf, size_t len,
                       uint64_t now);
/* The next hop along the ring towards @dest (docs/paths.md, "Along the
 * ring"): the linked host whose ring id is closest before @dest's, nearer
 * than ours; never @not. NULL: none makes progress. */
struct peer *detour_ring_next(struct daemon *d, const uint8_t dest[32], const struct peer *not,
                              uint64_t now);
/* Has @p been heard through a relay within DETOUR_RING_HEARD_MS? */
bool detour_ring_heard(const struct peer *p, uint64_t now);
/* Choose @p's path now (detour_choose.c). */
void detour_choose(struct daemon *d, struct peer *p, uint64_t now);
/* For peers and paths: the RTT of the direct path (ns, 0 unknown), the
 * RTT of the path in use, and the usable paths to @p. */
uint64_t detour_direct_rtt(const struct peer *p);
uint64_t detour_path_rtt(const struct peer *p);
unsigned detour_paths(struct daemon *d, struct peer *p, uint64_t now);

#endif
