/* SPDX-License-Identifier: GPL-2.0-only */
#ifndef OVL_ROUTING_SIM_SIMRUN_H
#define OVL_ROUTING_SIM_SIMRUN_H

/*
 * DOC: simrun — one ringsim run's options and results, and the steps that
 * ringsim.c and the stretch driver (stretch.c) share: build the ring,
 * issue lookups, wait for them, count the correct ones.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "routing/ring.h"
#include "routing/sim/bcast.h"
#include "routing/sim/engine.h"
#include "routing/sim/links.h"
#include "routing/sim/stretch.h"

#define SEC 1000000000ULL

/* Lookups or gets issued in one phase: how many, how many correct. */
struct lkstats {
    size_t n, ok;
    double mean;
    unsigned p99;
};

/* Options and results of one run. */
struct sim_run {
    uint32_t n;
    uint64_t seed;
    bool bulk, do_assert;
    size_t nlookups;
    double join_rate;
    const char *csv;
    ring_config cfg;
    double w0, t_join, t_heal, msgs_rate, state, mem, fing_ok;
    struct lkstats steady, gets, after, gets_after;
    struct links_stats lnk;
    unsigned lg2;
    uint32_t nbulk;
    double growth;              /* -w: wave growth factor, 0 = no waves */
    double t_join_max, t_build;
    unsigned waves;
    uint32_t ncarriers;         /* -e: enclave size for the broadcast figures */
    struct bcast_stats bc;
    int bc_rc;
    double split_s;             /* -P: partition for this long instead of the failure */
    bool stretch_only;          /* -L */
    double stretch_s;           /* -T */
    double stretch_max;         /* -S: with -a, bound on the PNS+PRS mean stretch */
    struct stretch_stats st;
};

/* Seconds on the monotonic clock (wall time of a run). */
double sim_wall(void);
/* Lookups: correct = completed with the oracle's successor. Gets: correct
 * = the record of the expected publisher came back. Only those issued
 * before @issued_before count. */
struct lkstats sim_evaluate(struct eng *e, uint64_t issued_before);
/* Spread @count lookups for random keys from random members over @span. */
void sim_issue_lookups(struct eng *e, size_t count, uint64_t span);
/* Run until every lookup and get issued so far has finished, at most @limit. */
void sim_settle_lookups(struct eng *e, uint64_t limit);
/* Build the ring: real joins, or (r->bulk) bulk bootstrap + a real 1% wave. */
void sim_build(struct sim_run *r, struct eng *e);

#endif
