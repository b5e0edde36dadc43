/* SPDX-License-Identifier: GPL-2.0-only */
#ifndef OVL_ROUTING_SIM_BCAST_H
#define OVL_ROUTING_SIM_BCAST_H

/*
 * DOC: bcast — cost of one enclave broadcast on the simulated ring's tables
 *
 * An enclave is carried by @carriers live members drawn at random (private
 * splitmix64 stream, so the engine's random stream does not move). Every
 * carrier in turn is the origin of one broadcast; figures are averaged
 * over these origins. Read-only on the engine; no simulated time passes.
 *
 * Links: a host's ring links are N(v) ∪ {u : v ∈ N(u)} with N(v) =
 * ring_node_neighbours() (uncapped, as links.h). Carriers are numbered
 * 0..m-1 clockwise by id; carrier c's enclave successor is c+1 mod m.
 *
 * Schemes, all with one message per link crossed:
 *   unicast  the origin sends one copy to every other carrier over a
 *            direct link, opening one where no ring link exists.
 *   tree     El-Ansary et al. (2003) broadcast restricted to carriers:
 *            every carrier also links to its enclave successor and
 *            predecessor. A host y that got the message with limit L
 *            (the origin: L = itself, i.e. the whole ring) takes its
 *            linked carriers in the open arc (y, L), clockwise from y,
 *            l_0..l_j-1, and sends to l_i with limit l_{i+1}, to l_j-1
 *            with limit L. The arcs handed out are disjoint and each
 *            holds its first carrier's enclave successor link, so every
 *            carrier is reached exactly once (checked: dup, missed).
 */

#include <stdint.h>

#include "routing/sim/engine.h"

struct bcast_fig {
    double sent_max;            /* max sends by one host per broadcast (mean over origins) */
    unsigned sent_max_all;      /* ... largest over all origins */
    double recv_max;            /* max receipts by one host per broadcast */
    double msgs;                /* messages per broadcast (total) */
    double depth_mean;          /* mean hop depth of a carrier */
    double depth_max;           /* deepest carrier (mean over origins) */
    unsigned depth_max_all;
    double new_links;           /* links opened per carrier (see bcast.c) */
};

struct bcast_stats {
    uint32_t hosts, carriers;
    double ring_linked;         /* carriers a carrier reaches by ring links, mean */
    uint32_t enc_links, enc_new;  /* enclave succ/pred links, of which not ring links */
    struct bcast_fig uni, tree;
    uint64_t dup, missed;       /* tree coverage errors over all origins */
};

/* 0, -EINVAL (fewer than 2 carriers possible) or -ENOMEM. */
int bcast_measure(struct eng *e, uint32_t carriers, uint64_t seed, struct bcast_stats *out);

#endif
