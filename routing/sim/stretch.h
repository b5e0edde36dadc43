/* SPDX-License-Identifier: GPL-2.0-only */
#ifndef OVL_ROUTING_SIM_STRETCH_H
#define OVL_ROUTING_SIM_STRETCH_H

/*
 * DOC: stretch — latency stretch of routes over the ring's own tables
 *
 * For random (origin, key) pairs of live members, the route a recursive
 * lookup would take over the nodes' tables as they stand: at each host,
 * the first live member of ring_node_route() — the key's owner if the
 * host's successor list reaches the key, else the known host (fingers,
 * successors, predecessor) before the key that proximity route selection
 * ranks first (cfg.prs; without it the one closest to the key). Path latency = sum of the engine's one-way delays of the hops;
 * direct latency = one-way delay from origin to owner; stretch = path /
 * direct. Pairs whose origin owns the key are skipped. The pairs depend
 * on @seed only, so runs of the same N and seed walk the same pairs.
 */

#include <stdint.h>

#include "routing/sim/engine.h"

struct stretch_stats {
    uint32_t pairs, reached;    /* walked, ended at the oracle's owner */
    double mean, p50, p90, p99; /* stretch over the pairs reached */
    double hops_mean;
    double path_ms, direct_ms;  /* means */
};

/* Pairs walked by ringsim's stretch figures. */
#define STRETCH_PAIRS 5000

/* Returns 0, or -ENOMEM. */
int stretch_measure(struct eng *e, uint32_t pairs, uint64_t seed, struct stretch_stats *out);

struct sim_run;
/* ringsim -L: the same hosts built twice, classic fingers and PNS, each
 * measured after r->stretch_s seconds of fix-fingers; with r->do_assert
 * PNS must lower the mean stretch and lookups must succeed. Exit code. */
int stretch_run(struct sim_run *r);

#endif
