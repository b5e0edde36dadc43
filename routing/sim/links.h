/* SPDX-License-Identifier: GPL-2.0-only */
#ifndef OVL_ROUTING_SIM_LINKS_H
#define OVL_ROUTING_SIM_LINKS_H

/*
 * DOC: links — the daemon's link graph measured on the simulated ring
 *
 * The daemon keeps a link only to each host's ring neighbours N(v), built
 * by ringd_neighbours() in overlayd/ringd_relay.c; links_measure() builds
 * the same sets from the engine's live ACTIVE hosts' tables:
 *   N(v) = { pred } ∪ { ring_node_finger(v, b) : b in 0..127 }
 *          minus self, minus ring_node_succ(v, i) for i >= 1, deduplicated
 * (finger 0 is succ[0] whenever the tables are sane). A link is two-sided,
 * so v's link count is |N(v) ∪ {u : v ∈ N(u)}|.
 *
 * Greedy relay walk (what ringd_next_hop() does, without the up-link extras
 * and the silent-hop probe): from the current node c, go to the u in N(c)
 * with the smallest clockwise distance u → dest among those strictly closer
 * than c; no such u = failure, and so is a step onto a host that is not a
 * live member. Hops = links traversed (a direct neighbour is 1 hop).
 *
 * Pairs come from a private splitmix64 stream so measuring does not move
 * the engine's random stream: the rest of a ringsim run stays identical.
 * Read-only on the engine; no simulated time passes.
 */

#include <stdint.h>

#include "routing/sim/engine.h"

struct links_stats {
    uint32_t hosts;             /* live ACTIVE hosts measured */
    double out_mean;            /* mean |N(v)| */
    double links_mean;          /* mean |N(v) ∪ {u : v ∈ N(u)}| */
    unsigned links_p99, links_max;
    uint32_t pairs, reached;    /* greedy walks tried / that reached dest */
    double hops_mean;           /* over the walks that reached dest */
    unsigned hops_p99;
};

/* 0, or -ENOMEM / -EINVAL (fewer than 2 members). */
int links_measure(struct eng *e, uint32_t pairs, uint64_t seed, struct links_stats *out);

#endif
