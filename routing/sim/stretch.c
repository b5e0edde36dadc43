/* SPDX-License-Identifier: GPL-2.0-only */
/* Latency stretch of routes over the nodes' tables (stretch.h). */
#include "routing/sim/stretch.h"
#include "routing/sim/simrun.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum {
    STRETCH_HOP_CAP = 64,       /* a walk longer than this counts as failed */
};

/* splitmix64: the pairs must not draw from (and so shift) the engine's
 * own generator, or two runs would walk different pairs. */
static uint64_t mix(uint64_t *s)
{
    uint64_t z = (*s += 0x9e3779b97f4a7c15ULL);

    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

static bool is_member(const struct eng *e, int32_t i)
{
    return i >= 0 && eng_alive(e, (uint32_t)i) &&
           ring_node_state(eng_node(e, (uint32_t)i)) == RING_ACTIVE;
}

/* The next hop from host @cur towards @key: the first member of the
 * hosts the node itself would ask (ring_node_route(): the owner when its
 * successor list reaches the key, else the hosts before the key in the
 * order proximity route selection gives, when on); -1: none. */
static int32_t next_hop(struct eng *e, uint32_t cur, const ring_id *key)
{
    ring_peer c[RING_ROUTE_MAX];
    bool owners;
    unsigned k = ring_node_route(eng_node(e, cur), key, c, RING_ROUTE_MAX, &owners);

    for (unsigned i = 0; i < k; i++) {
        int32_t idx = eng_index_of(e, &c[i].id);

        if (is_member(e, idx))
            return idx;
    }
    return -1;
}

static int cmp_dbl(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;

    return (x > y) - (x < y);
}

/* Walk one pair; the path latency in ns and hops, or false if it failed. */
static bool walk(struct eng *e, uint32_t origin, const ring_id *key, int32_t owner,
                 uint64_t *lat, unsigned *hops)
{
    uint32_t cur = origin;

    *lat = 0;
    for (*hops = 0; *hops < STRETCH_HOP_CAP; (*hops)++) {
        int32_t nx;

        if ((int32_t)cur == owner)
            return true;
        nx = next_hop(e, cur, key);
        if (nx < 0)
            return false;
        *lat += eng_latency(e, cur, (uint32_t)nx);
        cur = (uint32_t)nx;
    }
    return false;
}

static void summarise(struct stretch_stats *s, double *st, double hops, double path,
                      double direct)
{
    size_t k = s->reached;
    double sum = 0;

    if (!k)
        return;
    for (size_t i = 0; i < k; i++)
        sum += st[i];
    qsort(st, k, sizeof(*st), cmp_dbl);
    s->mean = sum / (double)k;
    s->p50 = st[(size_t)((double)(k - 1) * 0.50)];
    s->p90 = st[(size_t)((double)(k - 1) * 0.90)];
    s->p99 = st[(size_t)((double)(k - 1) * 0.99)];
    s->hops_mean = hops / (double)k;
    s->path_ms = path / (double)k / 1e6;
    s->direct_ms = direct / (double)k / 1e6;
}

int stretch_measure(struct eng *e, uint32_t pairs, uint64_t seed, struct stretch_stats *out)
{
    double *st = malloc((pairs ? pairs : 1) * sizeof(*st));
    double hops = 0, path = 0, direct = 0;
    uint64_t rng = seed ^ 0x5354524554434855ULL;
    uint32_t tries = 0;

    if (!st)
        return -ENOMEM;
    memset(out, 0, sizeof(*out));
    while (out->pairs < pairs && tries++ < 100 * pairs) {
        uint32_t origin = (uint32_t)(mix(&rng) % eng_nhosts(e));
        ring_id key;
        int32_t owner;
        uint64_t lat;
        unsigned h;

        ring_id_from_u64(&key, mix(&rng), mix(&rng));
        if (!is_member(e, (int32_t)origin))
            continue;
        owner = eng_oracle_succ(e, &key);
        if (owner < 0 || owner == (int32_t)origin)
            continue;
        out->pairs++;
        if (!walk(e, origin, &key, owner, &lat, &h))
            continue;
        st[out->reached++] = (double)lat / (double)eng_latency(e, origin, (uint32_t)owner);
        hops += h;
        path += (double)lat;
        direct += (double)eng_latency(e, origin, (uint32_t)owner);
    }
    summarise(out, st, hops, path, direct);
    free(st);
    return 0;
}

/* One -L configuration: PNS sample (1: classic fingers), PRS on or off. */
struct stretch_conf {
    unsigned sample;
    bool prs;
};

/* -L, one configuration: build, fix fingers for -T s, measure. */
static int stretch_one(struct sim_run *r, struct stretch_conf c, struct stretch_stats *st,
                       struct lkstats *lk)
{
    struct sim_run one = *r;
    struct eng *e;
    double fing_ok;

    one.cfg.pns_sample = c.sample;
    one.cfg.prs = c.prs;
    e = eng_new(one.n, one.seed, &one.cfg);
    if (!e)
        return -ENOMEM;
    sim_build(&one, e);
    eng_run_until(e, eng_now(e) + (uint64_t)(one.stretch_s * SEC));
    fing_ok = 1.0 - (double)eng_check_fingers(e, 200) / (200.0 * RING_ID_BITS);
    if (stretch_measure(e, STRETCH_PAIRS, one.seed, st) < 0) {
        eng_free(e);
        return -ENOMEM;
    }
    eng_lookups_clear(e);
    sim_issue_lookups(e, one.nlookups, 10 * SEC);
    sim_settle_lookups(e, 15 * SEC);
    *lk = sim_evaluate(e, UINT64_MAX);
    printf("| %u | %u | %s | %.2f | %.2f | %.2f | %.2f | %.1f | %.1f | %.2f | %.2f | %.2f | "
           "%.3f%% | %.2f%% | %.0f s |\n", one.n, c.sample, c.prs ? "on" : "off", st->mean,
           st->p50, st->p90, st->p99, st->path_ms, st->direct_ms,
           st->direct_ms > 0 ? st->path_ms / st->direct_ms : 0.0, st->hops_mean, lk->mean,
           100.0 * (double)lk->ok / (double)lk->n, 100 * fing_ok, sim_wall() - r->w0);
    eng_free(e);
    return 0;
}

enum { STRETCH_CONFS = 4 };

/* With -a: proximity (PNS + PRS) must beat classic and PNS alone, meet
 * -S if given, and lookups must succeed in every configuration. */
static int stretch_check(const struct sim_run *r, const struct stretch_conf *c,
                         const struct stretch_stats *st, const struct lkstats *lk)
{
    const struct stretch_stats *best = &st[STRETCH_CONFS - 1];
    int fail = 0;

    if (!(best->mean < st[0].mean) || !(best->mean < st[2].mean) ||
        best->reached < best->pairs) {
        fprintf(stderr, "FAIL: PNS+PRS stretch %.2f not below classic %.2f and PNS alone "
                "%.2f (%u/%u reached)\n", best->mean, st[0].mean, st[2].mean, best->reached,
                best->pairs);
        fail = 1;
    }
    if (r->stretch_max > 0 && !(best->mean <= r->stretch_max)) {
        fprintf(stderr, "FAIL: PNS+PRS stretch %.2f above the bound %.2f\n", best->mean,
                r->stretch_max);
        fail = 1;
    }
    for (int k = 0; k < STRETCH_CONFS; k++) {
        if ((double)lk[k].ok < 0.999 * (double)lk[k].n) {
            fprintf(stderr, "FAIL: sample %u, PRS %d: lookups %zu/%zu\n", c[k].sample,
                    c[k].prs, lk[k].ok, lk[k].n);
            fail = 1;
        }
    }
    return fail;
}

/* -L: latency stretch with classic fingers, PRS alone, PNS alone and both,
 * on the same hosts and pairs. */
int stretch_run(struct sim_run *r)
{
    unsigned pns = r->cfg.pns_sample > 1 ? r->cfg.pns_sample : 16;
    const struct stretch_conf c[STRETCH_CONFS] = {
        { 1, false }, { 1, true }, { pns, false }, { pns, true },
    };
    struct stretch_stats st[STRETCH_CONFS];
    struct lkstats lk[STRETCH_CONFS];

    r->bulk = true;
    if (r->stretch_s <= 0)
        r->stretch_s = 120;
    for (int k = 0; k < STRETCH_CONFS; k++) {
        if (stretch_one(r, c[k], &st[k], &lk[k]) < 0)
            return 1;
    }
    printf("\n| N | PNS sample | PRS | stretch mean | p50 | p90 | p99 | route ms | direct ms | "
           "route/direct ms | route hops | lookup hops | lookup success | fingers legal | "
           "wall |\n(rows above; %.0f s of fix-fingers after the build, %u pairs)\n",
           r->stretch_s, st[0].pairs);
    return r->do_assert ? stretch_check(r, c, st, lk) : 0;
}
