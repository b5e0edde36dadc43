/* SPDX-License-Identifier: GPL-2.0-only */
#ifndef OVL_ROUTING_SIM_LINKS_H
#define OVL_ROUTING_SIM_LINKS_H

/*
 * DOC: links — the daemon's link graph measured on the simulated ring
 *
 * The daemon keeps a link only to each host's ring neighbours N(v), as
 * ring_node_neighbours() (routing/finger.c) gives them; links_measure()
 * calls it on the engine's live ACTIVE hosts:
 *   N(v) = { pred } ∪ { ring_node_finger(v, b) : b in 0..127 }
 *          minus self, minus ring_node_succ(v, i) for i >= 1, deduplicated
 * (finger 0 is succ[0] whenever the tables are sane). A link is two-sided,
 * so v's link count is |N(v) ∪ {u : v ∈ N(u)}|.
 *
 * The cap (ringd_cap_links() in overlayd/ringd_link.c): each host v has
 * cap(v) = max(8, 2·⌈log2 n̂⌉), n̂ = ns · 2^128 / dist(v, succ[ns-1])
 * from its own successor list (ring_node_link_cap(), as the daemon). A
 * host over its cap
 * declines hosts that chose it (u with v ∈ N(u)) but that are not in its
 * own N(v), until it is at the cap; it never declines a host whose
 * successor or predecessor it is (the daemon may send the DECLINE, but
 * such a host keeps v as a mandatory neighbour, so the link stays). Which
 * ones: the daemon drops the least recently used, which the simulator
 * cannot know; it declines those closest before v on the ring first (the
 * shortest fingers to v, which cover the smallest arc of destinations and
 * so carry the least relayed traffic — our stand-in for LRU). Hosts decide
 * one after the other in ring order with live counts (a decline lowers
 * both ends' counts), so nobody declines more than the counts require.
 * Afterwards N'(u) = N(u) minus the hosts that declined u, and the capped
 * link count is |N'(v) ∪ {u : v ∈ N'(u)}|.
 *
 * Greedy relay walk (what ringd_next_hop() does, without the up-link extras
 * and the silent-hop probe): from the current node c, go to the u in N(c)
 * (capped: N'(c), plus the destination itself if it is in N(c), as the
 * daemon allows a declined host as the final hop) with the smallest
 * clockwise distance u → dest among those strictly closer than c; no such
 * u = failure, and so is a step onto a host that is not a live member.
 * Hops = links traversed (a direct neighbour is 1 hop). Both walks use the
 * same pairs.
 *
 * Pairs come from a private splitmix64 stream so measuring does not move
 * the engine's random stream: the rest of a ringsim run stays identical.
 * Read-only on the engine; no simulated time passes.
 */

#include <stdint.h>

#include "routing/sim/engine.h"

/* Link counts and relay walks over one neighbour graph. */
struct links_fig {
    double links_mean;          /* mean link count */
    unsigned links_p99, links_max;
    uint32_t pairs, reached;    /* greedy walks tried / that reached dest */
    double hops_mean;           /* over the walks that reached dest */
    unsigned hops_p99;
};

struct links_stats {
    uint32_t hosts;             /* live ACTIVE hosts measured */
    double out_mean;            /* mean |N(v)| */
    double out_capped_mean;     /* mean |N'(v)| */
    struct links_fig raw;       /* over N: no cap */
    struct links_fig capped;    /* over N' */
    unsigned cap_min, cap_max;  /* range of cap(v) over the hosts */
    uint32_t declined;          /* links declined (edges u → v cut) */
    uint32_t over_cap;          /* hosts still above their own cap(v) */
    unsigned over_by;           /* max links(v) − cap(v) among those */
    unsigned keep_max;          /* max links v may not decline (own N(v),
                                   hosts it is mandatory for, non-members) */
    uint32_t beyond_keep;       /* hosts above both their cap and what they
                                   may not decline: 0 unless the model is
                                   broken */
};

/* 0, or -ENOMEM / -EINVAL (fewer than 2 members). */
int links_measure(struct eng *e, uint32_t pairs, uint64_t seed, struct links_stats *out);

#endif
