/* SPDX-License-Identifier: GPL-2.0-only */
#ifndef OVL_ROUTING_SIM_PART_H
#define OVL_ROUTING_SIM_PART_H

/*
 * DOC: part — a network partition and its heal, on the simulated ring
 *
 * The hosts are split by coordinate: side 0 is x < 0.5 of the unit square,
 * side 1 the rest. For @split_ns the engine loses every message between
 * the sides (eng_set_drop), then delivers again. Oracles are fixed sorted
 * arrays of the live hosts (global, and one per side), independent of
 * eng_check_ring()'s oracle, so hosts that fall back to joining still count.
 *
 * Measured: the time until each side on its own is a consistent ring
 * (every live host of the side ACTIVE, successor list and predecessor as
 * the side's oracle says), checked every 0.5 s; lookups during the split
 * from random hosts for random keys, classed by whether the key's owner
 * (global oracle) is on the issuer's side ("within") or not ("across");
 * after the heal, the time until the whole is one consistent ring (capped
 * at @cap_ns) and lookups in the 30 s after the heal and in 10 s at the
 * end. A lookup is correct if it completed with the global oracle's owner.
 */

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "routing/sim/engine.h"

struct part_lk {
    size_t n, ok;               /* issued (counted at the end), correct */
    size_t ok_side;             /* answered with the issuer side's owner */
};

struct part_stats {
    uint32_t hosts[2];
    double t_side[2];           /* s after the split; -1: not within the split */
    struct part_lk within, across;
    uint64_t dropped;
    double t_one;               /* s after the heal; -1: not within the cap */
    uint32_t bad_end;           /* members out of place at the end (global) */
    double t_end;               /* s after the heal when the last lookups went out */
    struct part_lk after_heal, at_end;
    uint64_t unity_splits, zip_steps;   /* summed over the hosts, from the heal to the end */
};

/* Lookups: @nlookups during the split, as many in the 30 s after the heal,
 * a tenth of that in the last 10 s. With @series, a CSV time series goes
 * there, one row every 0.5 s from the split: rings (cycles of first
 * successors), hosts out of place against the global oracle, and the
 * lookups issued in that half second with how many were correct. Sampling
 * only reads the nodes, so every other figure is the same with or without.
 * Returns 0 or one of: -ENOMEM, -EINVAL (a side is empty), -EIO (@series). */
int part_run(struct eng *e, uint64_t split_ns, uint64_t cap_ns, size_t nlookups,
             struct part_stats *out, FILE *series);

#endif
