/* SPDX-License-Identifier: GPL-2.0-only */
/* Partition and heal (part.h). */
#include "routing/sim/part.h"
#include "routing/sim/engine_priv.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SEC 1000000000ULL
#define STEP (SEC / 2)

struct member {
    ring_id id;
    uint32_t idx;
};

/* One row of the time series (part_run's @series). */
struct sample {
    uint32_t rings, bad;
    uint32_t lookups, ok;       /* issued in [t, t + STEP) */
};

/* Oracles: every live host (all), and per side. */
struct part {
    struct eng *e;
    uint8_t *side;              /* per host index */
    struct member *m[3];        /* [0], [1]: sides; [2]: all */
    uint32_t nm[3];
    /* Time series, only with @series: a sample every STEP from t0. */
    uint64_t t0, next_sample;
    struct sample *smp;
    size_t nsmp, capsmp;
    uint32_t *mark;             /* per position in m[2]: ring count scratch */
    bool sampling;
};

static int member_cmp(const void *a, const void *b)
{
    return ring_id_cmp(&((const struct member *)a)->id, &((const struct member *)b)->id);
}

static bool cut(void *ctx, uint32_t src, uint32_t dst)
{
    const struct part *p = ctx;

    return p->side[src] != p->side[dst];
}

static int part_init(struct part *p, struct eng *e)
{
    uint32_t n = eng_nhosts(e);

    memset(p, 0, sizeof(*p));
    p->e = e;
    p->side = malloc(n);
    for (int s = 0; s < 3; s++)
        p->m[s] = malloc((size_t)n * sizeof(*p->m[s]));
    if (!p->side || !p->m[0] || !p->m[1] || !p->m[2])
        return -ENOMEM;
    for (uint32_t i = 0; i < n; i++) {
        double x, y;
        struct member mb = { .idx = i };

        eng_pos(e, i, &x, &y);
        p->side[i] = x >= 0.5;
        if (!eng_alive(e, i))
            continue;
        mb.id = eng_peer(e, i)->id;
        p->m[p->side[i]][p->nm[p->side[i]]++] = mb;
        p->m[2][p->nm[2]++] = mb;
    }
    for (int s = 0; s < 3; s++)
        qsort(p->m[s], p->nm[s], sizeof(*p->m[s]), member_cmp);
    return 0;
}

static void part_free(struct part *p)
{
    free(p->smp);
    free(p->mark);
    free(p->side);
    for (int s = 0; s < 3; s++)
        free(p->m[s]);
}

/* Host index of the first member of set @s at or after @key. */
static uint32_t owner(const struct part *p, int s, const ring_id *key)
{
    uint32_t lo = 0, hi = p->nm[s];

    while (lo < hi) {
        uint32_t mid = lo + (hi - lo) / 2;

        if (ring_id_cmp(&p->m[s][mid].id, key) < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return p->m[s][lo == p->nm[s] ? 0 : lo].idx;
}

/* Members of set @s out of place against that set's oracle (as
 * eng_check_ring(), which checks only the engine's ACTIVE members). */
static uint32_t bad_in(const struct part *p, int s)
{
    uint32_t m = p->nm[s], bad = 0;
    unsigned r = p->e->cfg.nsucc, want = m - 1 < r ? m - 1 : r;

    for (uint32_t k = 0; k < m; k++) {
        const struct ring_node *nd = eng_node(p->e, p->m[s][k].idx);
        const ring_peer *pr = ring_node_pred(nd);
        bool ok = ring_node_state(nd) == RING_ACTIVE && m > 1 &&
                  ring_node_nsucc(nd) == want && pr &&
                  ring_id_eq(&pr->id, &p->m[s][(k + m - 1) % m].id);

        for (unsigned j = 0; ok && j < want; j++)
            ok = ring_id_eq(&ring_node_succ(nd, j)->id, &p->m[s][(k + 1 + j) % m].id);
        bad += !ok;
    }
    return bad;
}

/* Position in m[2] of the host with @id, or UINT32_MAX. */
static uint32_t pos_of(const struct part *p, const ring_id *id)
{
    uint32_t lo = 0, hi = p->nm[2];

    while (lo < hi) {
        uint32_t mid = lo + (hi - lo) / 2;
        int c = ring_id_cmp(&p->m[2][mid].id, id);

        if (c == 0)
            return mid;
        if (c < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return UINT32_MAX;
}

/* Rings: cycles of the successor pointers (succ[0]) among the hosts, each
 * following its first successor; a host not ACTIVE points nowhere. Two
 * halves that each closed on their own are two. One pointer across merges
 * two cycles into one with the rest of the other hanging off it, so one
 * cycle is not yet one consistent ring: hosts out of place tell that. */
static uint32_t count_rings(struct part *p)
{
    uint32_t m = p->nm[2], rings = 0;

    for (uint32_t k = 0; k < m; k++)
        p->mark[k] = UINT32_MAX;
    for (uint32_t k = 0; k < m; k++) {
        uint32_t v = k;

        /* Walk until a host seen before (or a dead end), marking with k. */
        while (v != UINT32_MAX && p->mark[v] == UINT32_MAX) {
            const struct ring_node *nd = eng_node(p->e, p->m[2][v].idx);

            p->mark[v] = k;
            v = ring_node_state(nd) == RING_ACTIVE ? pos_of(p, &ring_node_succ(nd, 0)->id)
                                                   : UINT32_MAX;
        }
        rings += v != UINT32_MAX && p->mark[v] == k;
    }
    return rings;
}

/* Run to @t, sampling on the grid t0 + k * STEP. */
static int advance(struct part *p, uint64_t t)
{
    while (p->sampling && p->next_sample <= t) {
        struct sample *sm;

        eng_run_until(p->e, p->next_sample);
        if (p->nsmp == p->capsmp) {
            size_t cap = p->capsmp ? 2 * p->capsmp : 256;
            struct sample *ns = realloc(p->smp, cap * sizeof(*ns));

            if (!ns)
                return -ENOMEM;
            p->smp = ns;
            p->capsmp = cap;
        }
        sm = &p->smp[p->nsmp++];
        memset(sm, 0, sizeof(*sm));
        sm->rings = count_rings(p);
        sm->bad = bad_in(p, 2);
        p->next_sample += STEP;
    }
    eng_run_until(p->e, t);
    return 0;
}

static uint32_t random_member(const struct part *p)
{
    for (;;) {
        uint32_t i = p->m[2][eng_rand(p->e) % p->nm[2]].idx;

        if (ring_node_state(eng_node(p->e, i)) == RING_ACTIVE)
            return i;
    }
}

static void issue(const struct part *p)
{
    ring_id key;

    ring_id_from_u64(&key, eng_rand(p->e), eng_rand(p->e));
    eng_lookup(p->e, random_member(p), &key);
}

/* Class lookups [from, to) of eng_lookups(); @split: into within and
 * across by the side of the key's owner, else all within. */
static void tally(const struct part *p, bool split, size_t from, size_t to,
                  struct part_lk *within, struct part_lk *across)
{
    size_t nl;
    const struct eng_lookup *l = eng_lookups(p->e, &nl);

    for (size_t i = from; i < to && i < nl; i++) {
        uint32_t want = owner(p, 2, &l[i].key), s = p->side[l[i].host];
        uint32_t local = owner(p, (int)s, &l[i].key);
        struct part_lk *c = split && p->side[want] != s ? across : within;
        bool done = l[i].done && l[i].status == 0;

        c->n++;
        c->ok += done && l[i].owner == (int32_t)want;
        c->ok_side += done && l[i].owner == (int32_t)local;
        if (p->sampling && l[i].issued >= p->t0) {
            size_t b = (size_t)((l[i].issued - p->t0) / STEP);

            if (b < p->nsmp) {
                p->smp[b].lookups++;
                p->smp[b].ok += done && l[i].owner == (int32_t)want;
            }
        }
    }
}

/* Run @span, spreading @count lookups over it and checking @sets every
 * STEP until each is consistent: t_out[s] = seconds from @t0, or left. */
static int run_checked(struct part *p, uint64_t t0, uint64_t span, size_t count,
                       const int *sets, int nsets, double *t_out)
{
    uint64_t start = eng_now(p->e), next_check = start;
    int rc;

    for (size_t k = 0; k <= count; k++) {
        uint64_t t = start + (count ? span * k / count : span);

        while (next_check <= t) {
            bool open = false;

            for (int i = 0; i < nsets; i++)
                open |= t_out[i] < 0;
            if (!open)
                break;
            rc = advance(p, next_check);
            if (rc < 0)
                return rc;
            for (int i = 0; i < nsets; i++) {
                if (t_out[i] < 0 && bad_in(p, sets[i]) == 0)
                    t_out[i] = (double)(eng_now(p->e) - t0) / SEC;
            }
            next_check += STEP;
        }
        rc = advance(p, t);
        if (rc < 0)
            return rc;
        if (k < count)
            issue(p);
    }
    return 0;
}

static int write_series(const struct part *p, FILE *f, uint64_t split_ns)
{
    fprintf(f, "# ringsim -P: t_s (from the split), phase, rings (successor cycles), "
            "hosts out of place (global ring), lookups issued in [t, t + %.1f s), of them "
            "correct (global owner)\n", (double)STEP / SEC);
    fprintf(f, "t_s,phase,rings,out_of_place,lookups,correct\n");
    for (size_t k = 0; k < p->nsmp; k++) {
        const struct sample *sm = &p->smp[k];

        fprintf(f, "%.1f,%s,%u,%u,%u,%u\n", (double)(k * STEP) / SEC,
                k * STEP < split_ns ? "split" : "healed", sm->rings, sm->bad, sm->lookups,
                sm->ok);
    }
    return ferror(f) ? -EIO : 0;
}

/* Unity counters summed over the hosts: [0] splits seen, [1] zip steps. */
static void unity_sum(const struct part *p, uint64_t sum[2])
{
    sum[0] = sum[1] = 0;
    for (uint32_t k = 0; k < p->nm[2]; k++) {
        const ring_stats *st = ring_node_stats(eng_node(p->e, p->m[2][k].idx));

        sum[0] += st->unity_splits;
        sum[1] += st->zip_steps;
    }
}

int part_run(struct eng *e, uint64_t split_ns, uint64_t cap_ns, size_t nlookups,
             struct part_stats *out, FILE *series)
{
    uint64_t u0[2], u1[2];
    static const int sides[2] = { 0, 1 }, whole[1] = { 2 };
    struct part p;
    struct part_lk none = { 0 };
    uint64_t t0, heal;
    size_t n_split, n_heal;
    int rc = part_init(&p, e);

    memset(out, 0, sizeof(*out));
    out->t_side[0] = out->t_side[1] = out->t_one = -1;
    if (rc < 0 || !p.nm[0] || !p.nm[1]) {
        part_free(&p);
        return rc < 0 ? rc : -EINVAL;
    }
    out->hosts[0] = p.nm[0];
    out->hosts[1] = p.nm[1];
    if (series) {
        p.mark = malloc((size_t)p.nm[2] * sizeof(*p.mark));
        p.sampling = p.mark != NULL;
    }
    eng_lookups_clear(e);
    t0 = eng_now(e);
    p.t0 = p.next_sample = t0;
    eng_set_drop(e, cut, &p);
    rc = run_checked(&p, t0, split_ns, nlookups, sides, 2, out->t_side);
    rc = rc < 0 ? rc : advance(&p, t0 + split_ns);
    eng_set_drop(e, NULL, NULL);
    out->dropped = eng_dropped(e);
    heal = eng_now(e);
    unity_sum(&p, u0);
    eng_lookups(e, &n_split);
    /* Lookups issued in the split finish (or time out) in the heal's
     * first seconds; they are counted with the split. */
    rc = rc < 0 ? rc : run_checked(&p, heal, 30 * SEC, nlookups, whole, 1, &out->t_one);
    rc = rc < 0 ? rc : advance(&p, heal + 45 * SEC);
    eng_lookups(e, &n_heal);
    tally(&p, true, 0, n_split, &out->within, &out->across);
    tally(&p, false, n_split, n_heal, &out->after_heal, &none);
    eng_lookups_clear(e);
    if (rc == 0 && out->t_one < 0 && cap_ns > 45 * SEC)
        rc = run_checked(&p, heal, cap_ns - 45 * SEC, 0, whole, 1, &out->t_one);
    out->t_end = (double)(eng_now(e) - heal) / SEC;
    rc = rc < 0 ? rc : run_checked(&p, heal, 10 * SEC, nlookups / 10, whole, 1, &out->t_one);
    rc = rc < 0 ? rc : advance(&p, eng_now(e) + 15 * SEC);
    eng_lookups(e, &n_heal);
    tally(&p, false, 0, n_heal, &out->at_end, &none);
    out->bad_end = bad_in(&p, 2);
    unity_sum(&p, u1);
    out->unity_splits = u1[0] - u0[0];
    out->zip_steps = u1[1] - u0[1];
    if (rc == 0 && series && !p.sampling)
        rc = -ENOMEM;
    if (rc == 0 && series)
        rc = write_series(&p, series, split_ns);
    part_free(&p);
    return rc;
}
