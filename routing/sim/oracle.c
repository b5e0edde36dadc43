/* SPDX-License-Identifier: GPL-2.0-only */
/* The oracle: a sorted array of live members' ids, the checks against it,
 * and the bulk bootstrap that installs the state it implies. */
#include "routing/sim/engine_priv.h"

#include <stdlib.h>

static int orc_cmp(const void *a, const void *b)
{
    return ring_id_cmp(&((const struct orc *)a)->id, &((const struct orc *)b)->id);
}

void eng_orc_build(struct eng *e)
{
    if (!e->orc_dirty)
        return;
    if (!e->orc)
        e->orc = malloc((size_t)e->n * sizeof(*e->orc));
    e->norc = 0;
    for (uint32_t i = 0; i < e->n; i++) {
        if (e->h[i].alive && e->h[i].node && ring_node_state(e->h[i].node) == RING_ACTIVE)
            e->orc[e->norc++] = (struct orc){ .id = e->h[i].peer.id, .idx = i };
    }
    qsort(e->orc, e->norc, sizeof(*e->orc), orc_cmp);
    e->orc_dirty = false;
}

/* First position whose id >= key, wrapping to 0. */
uint32_t eng_orc_lower(const struct orc *o, uint32_t n, const ring_id *key)
{
    uint32_t lo = 0, hi = n;

    while (lo < hi) {
        uint32_t mid = lo + (hi - lo) / 2;

        if (ring_id_cmp(&o[mid].id, key) < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo == n ? 0 : lo;
}

int32_t eng_index_of(const struct eng *e, const ring_id *id)
{
    struct eng *me = (struct eng *)e;
    uint32_t pos;

    /* Fast path: ids of live members via the oracle; otherwise a scan. */
    eng_orc_build(me);
    if (me->norc) {
        pos = eng_orc_lower(me->orc, me->norc, id);
        if (ring_id_eq(&me->orc[pos].id, id))
            return (int32_t)me->orc[pos].idx;
    }
    for (uint32_t i = 0; i < e->n; i++) {
        if (ring_id_eq(&e->h[i].peer.id, id))
            return (int32_t)i;
    }
    return -1;
}

void eng_bulk_bootstrap(struct eng *e, const uint32_t *hosts, uint32_t n)
{
    struct orc *o = malloc((size_t)n * sizeof(*o));
    unsigned r = e->cfg.nsucc;

    for (uint32_t k = 0; k < n; k++)
        o[k] = (struct orc){ .id = e->h[hosts[k]].peer.id, .idx = hosts[k] };
    qsort(o, n, sizeof(*o), orc_cmp);
    for (uint32_t k = 0; k < n; k++) {
        ring_peer succ[RING_SUCC_MAX], fing[RING_ID_BITS];
        unsigned ns = 0, nf = 0;
        uint32_t idx = o[k].idx;
        ring_id dlast, d, start;

        for (unsigned j = 1; j <= r && j < n; j++)
            succ[ns++] = e->h[o[(k + j) % n].idx].peer;
        if (!ns)
            succ[ns++] = e->h[idx].peer;
        ring_id_dist(&dlast, &o[k].id, &succ[ns - 1].id);
        for (int bit = RING_ID_BITS - 1; bit >= 0 && ns == r; bit--) {
            uint32_t f;

            ring_id_pow2(&d, (unsigned)bit);
            if (ring_id_cmp(&d, &dlast) <= 0)
                break;      /* inside the successor list from here down */
            ring_id_add_pow2(&start, &o[k].id, (unsigned)bit);
            f = o[eng_orc_lower(o, n, &start)].idx;
            if (f != idx && (!nf || !ring_id_eq(&fing[nf - 1].id, &e->h[f].peer.id)))
                fing[nf++] = e->h[f].peer;
        }
        eng_start_node(e, idx);
        ring_node_bulk_init(e->h[idx].node, e->now, n > 1 ? &e->h[o[(k + n - 1) % n].idx].peer
                            : NULL, succ, ns, fing, nf);
        eng_rearm(e, idx);
    }
    free(o);
    e->orc_dirty = true;
}

uint32_t eng_oracle_size(struct eng *e)
{
    eng_orc_build(e);
    return e->norc;
}

int32_t eng_oracle_succ(struct eng *e, const ring_id *key)
{
    eng_orc_build(e);
    if (!e->norc)
        return -1;
    return (int32_t)e->orc[eng_orc_lower(e->orc, e->norc, key)].idx;
}

uint32_t eng_check_ring(struct eng *e)
{
    uint32_t bad = 0, m;
    unsigned r = e->cfg.nsucc;

    eng_orc_build(e);
    m = e->norc;
    for (uint32_t k = 0; k < m; k++) {
        const struct ring_node *nd = e->h[e->orc[k].idx].node;
        const ring_peer *p = ring_node_pred(nd);
        unsigned want = m - 1 < r ? m - 1 : r;
        bool ok = true;

        if (m == 1) {
            ok = ring_id_eq(&ring_node_succ(nd, 0)->id, &e->orc[k].id);
        } else {
            ok = ring_node_nsucc(nd) == want && p &&
                 ring_id_eq(&p->id, &e->orc[(k + m - 1) % m].id);
            for (unsigned j = 0; ok && j < want; j++)
                ok = ring_id_eq(&ring_node_succ(nd, j)->id, &e->orc[(k + 1 + j) % m].id);
        }
        bad += !ok;
    }
    return bad;
}

/* @f a live member in [self + 2^bit, self + 2^(bit+1)): a legal PNS finger. */
static bool orc_in_interval(const struct eng *e, const ring_id *self, unsigned bit,
                            const ring_id *f)
{
    ring_num d = ring_id_num(f) - ring_id_num(self), lo = (ring_num)1 << bit;
    uint32_t pos = eng_orc_lower(e->orc, e->norc, f);

    if (!ring_id_eq(&e->orc[pos].id, f) || d < lo)
        return false;
    return bit == RING_ID_BITS - 1 || d < lo << 1;
}

uint64_t eng_check_fingers(struct eng *e, uint32_t sample)
{
    uint64_t bad = 0;

    eng_orc_build(e);
    for (uint32_t s = 0; s < sample && e->norc; s++) {
        uint32_t k = sample >= e->norc ? s : (uint32_t)(eng_rand(e) % e->norc);
        const struct ring_node *nd;

        if (k >= e->norc)
            break;
        nd = e->h[e->orc[k].idx].node;
        for (unsigned bit = 0; bit < RING_ID_BITS; bit++) {
            const ring_id *f = &ring_node_finger(nd, bit)->id;
            ring_id start;

            ring_id_add_pow2(&start, &e->orc[k].id, bit);
            bad += !ring_id_eq(f, &e->orc[eng_orc_lower(e->orc, e->norc, &start)].id) &&
                   !orc_in_interval(e, &e->orc[k].id, bit, f);
        }
    }
    return bad;
}
