/* SPDX-License-Identifier: GPL-2.0-only */
/* Latency stretch of routes over the nodes' tables (stretch.h). */
#include "routing/sim/stretch.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

enum {
    STRETCH_HOP_CAP = 64,       /* a walk longer than this counts as failed */
    STRETCH_KNOWN = RING_SUCC_MAX + 2 * RING_ID_BITS,
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

/* The next hop from host @cur towards @key owned by @owner; -1: none. */
static int32_t next_hop(struct eng *e, uint32_t cur, const ring_id *key, int32_t owner)
{
    const struct ring_node *nd = eng_node(e, cur);
    ring_peer known[STRETCH_KNOWN];
    unsigned nk = ring_node_neighbours(nd, known, RING_ID_BITS + 2);
    ring_num self = ring_id_num(&eng_peer(e, cur)->id), dkey = ring_id_num(key) - self;
    ring_num dbest = 0;
    int32_t best = -1;

    for (unsigned i = 0; i < ring_node_nsucc(nd); i++) {
        if (eng_index_of(e, &ring_node_succ(nd, i)->id) == owner)
            return owner;
        known[nk++] = *ring_node_succ(nd, i);
    }
    for (unsigned i = 0; i < nk; i++) {
        ring_num d = ring_id_num(&known[i].id) - self;
        int32_t idx;

        if (d == 0 || d >= dkey || d <= dbest)
            continue;
        idx = eng_index_of(e, &known[i].id);
        if (!is_member(e, idx))
            continue;
        best = idx;
        dbest = d;
    }
    return best;
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
        nx = next_hop(e, cur, key, owner);
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
