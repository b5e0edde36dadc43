/* SPDX-License-Identifier: GPL-2.0-only */
#ifndef OVL_ROUTING_SIM_BCAST_H
#define OVL_ROUTING_SIM_BCAST_H

/*
 * DOC: bcast — cost of enclave broadcasts on the simulated ring, as the
 * daemon's plan and flood code make them
 *
 * An enclave is carried by @carriers live members drawn at random (private
 * splitmix64 stream, so the engine's random stream does not move). Every
 * carrier in turn is the origin of one broadcast. Read-only on the engine;
 * no simulated time passes.
 *
 * Links: each carrier's enclave successor and predecessor come from
 * plan_enclave_neighbours() over all carriers (its membership records)
 * and go to its plan through plan_set_keep(); then every member's plan
 * runs its cap (links.h), which spares them. A carrier's candidates for a
 * broadcast are its links to carriers, as flood_send()'s up links that
 * take the enclave.
 *
 * Schemes, one message per copy sent:
 *   unicast  what overlayd did before the tree: the origin sends one copy
 *            to every other carrier, opening a link where it has none.
 *   tree     flood_send() (overlayd/datapath/flood.c) at every hop: the
 *            origin (limit = itself) and each receiver (limit from the
 *            copy, the sender left out) hand plan_flood_split() the 64-bit
 *            ids of their candidates and send one copy per hop it returns.
 *            Checked: every carrier reached exactly once (dup, missed).
 *   suppressed  the tree, for the broadcasts that still leave the origin
 *            when ARP/ND suppression answers requests for known bindings
 *            locally: a fraction @supp of the guests' broadcasts never
 *            leaves the host (bcast_measure's caller states the model).
 *
 * Per second: every carrier's guests send @rate broadcasts a second, so a
 * host's load is @rate × what it sends and receives over all k origins.
 */

#include <stdint.h>

#include "routing/sim/engine.h"

struct bcast_fig {
    double msgs;                /* messages per broadcast (total) */
    double sent_max;            /* max sends by one host per broadcast (mean over origins) */
    unsigned sent_max_all;      /* ... largest over all origins */
    double depth_mean;          /* mean hop depth of a carrier */
    double depth_max;           /* deepest carrier (mean over origins) */
    unsigned depth_max_all;
    double new_links;           /* links opened per carrier */
    /* per carrier per second, every carrier an origin at @rate */
    double sent_s_mean, sent_s_max, recv_s_mean, recv_s_max;
};

struct bcast_stats {
    uint32_t hosts, carriers;
    double rate, supp;          /* broadcasts/s per carrier; fraction suppressed */
    double ring_linked;         /* carriers a carrier holds a ring link to, mean */
    uint32_t enc_links, enc_new;  /* enclave succ/pred links, of which not ring links */
    uint32_t declined;          /* DECLINEs of the plans' caps with the enclave */
    struct bcast_fig uni, tree, supp_tree;
    uint64_t dup, missed;       /* tree coverage errors over all origins */
};

/* 0, -EINVAL (fewer than 2 carriers possible) or -ENOMEM. */
int bcast_measure(struct eng *e, uint32_t carriers, uint64_t seed, double rate, double supp,
                  struct bcast_stats *out);

#endif
