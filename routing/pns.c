/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Proximity neighbour selection (PNS) for fingers: Gummadi et al., "The
 * impact of DHT routing geometry on resilience and proximity" (SIGCOMM
 * 2003), as Dabek et al. run it on Chord (NSDI 2004): finger b may be any
 * host in [self + 2^b, self + 2^(b+1)), so of several such hosts take the
 * one nearest in round-trip time.
 *
 * Why any host of the interval will do: greedy routing only needs each
 * hop to land in (current, key), and a hop over finger b still covers at
 * least 2^b, so hop counts stay O(log n); every lookup still ends at the
 * owner because only the owner answers OWNER (lookup.c).
 *
 * Candidates: the answer of a fix-fingers lookup names its owner and the
 * owner's successor list, i.e. up to 1 + r consecutive hosts; those inside
 * the interval, at most cfg.pns_sample of them, plus the finger stored for
 * the interval from earlier rounds. Nothing else is kept: the best so far
 * survives as the finger itself, so state stays one entry per finger. With
 * cfg.pns_explore every other cycle looks up a random point of the
 * interval, so successive answers name different hosts.
 *
 * Rule: cost = cb.rtt(), an unmeasured host (0 or no hook) costs
 * UINT64_MAX: it never wins over a measured one. Among the owner and its
 * successors the lowest cost wins, a tie going to the earlier (the owner
 * first: with nothing measured, classic Chord). That winner replaces the
 * stored finger only if the stored one is unmeasured, or the winner is
 * more than cfg.pns_margin_ns nearer; so with nothing measured the stored
 * finger stays.
 */
#include "routing/node_priv.h"

#include <string.h>

struct pns_best {
    ring_peer p;
    uint64_t cost;
    bool have;
};

static ring_num pns_pow2(unsigned bit)
{
    return (ring_num)1 << bit;
}

bool ring_pns_in_interval(const struct ring_node *n, unsigned bit, const ring_id *id)
{
    ring_num d = ring_id_num(id) - ring_id_num(&n->self.id);

    if (bit >= RING_ID_BITS || d < pns_pow2(bit))
        return false;
    /* The top interval runs up to self itself (2^128 wraps to 0). */
    return bit == RING_ID_BITS - 1 || d < pns_pow2(bit + 1);
}

void ring_pns_random_key(struct ring_node *n, unsigned bit, ring_id *key)
{
    ring_num off = (ring_num)n->cb.rand(n->cb.ctx) << 64 | n->cb.rand(n->cb.ctx);
    ring_num k = ring_id_num(&n->self.id) + pns_pow2(bit) + (off & (pns_pow2(bit) - 1));

    ring_id_from_u64(key, (uint64_t)(k >> 64), (uint64_t)k);
}

static uint64_t pns_cost(const struct ring_node *n, const ring_peer *p)
{
    uint64_t rtt = n->cb.rtt ? n->cb.rtt(n->cb.ctx, p) : 0;

    return rtt ? rtt : UINT64_MAX;
}

/* Offer @p; returns whether it was a legal candidate (counts against the
 * sample). */
static bool pns_offer(struct ring_node *n, unsigned bit, const ring_peer *p,
                      struct pns_best *b)
{
    uint64_t c;

    if (ring_is_self(n, &p->id) || !ring_pns_in_interval(n, bit, &p->id) ||
        ring_dead_has(n, n->now, &p->id))
        return false;
    c = pns_cost(n, p);
    if (!b->have || c < b->cost) {
        b->p = *p;
        b->cost = c;
        b->have = true;
    }
    return true;
}

/* The finger stored inside @bit's interval (the earlier rounds' choice). */
static const ring_peer *pns_stored(const struct ring_node *n, unsigned bit)
{
    for (unsigned i = 0; i < n->nfing; i++) {
        if (ring_pns_in_interval(n, bit, &n->fing[i].p.id))
            return &n->fing[i].p;
    }
    return NULL;
}

/* Does a challenger at cost @c displace the stored finger at cost @inc? */
static bool pns_displaces(const struct ring_node *n, uint64_t c, uint64_t inc)
{
    if (c >= inc)
        return false;
    return inc == UINT64_MAX || inc - c > n->cfg.pns_margin_ns;
}

bool ring_pns_pick(struct ring_node *n, unsigned bit, const ring_peer *owner,
                   const ring_peer *list, unsigned nlist, ring_peer *out, uint64_t *cost)
{
    struct pns_best b = { .have = false }, kept = { .have = false };
    const ring_peer *cur = pns_stored(n, bit);
    unsigned left = n->cfg.pns_sample;

    if (cur)
        pns_offer(n, bit, cur, &kept);
    if (left && pns_offer(n, bit, owner, &b))
        left--;
    for (unsigned i = 0; i < nlist && left; i++) {
        if (!ring_id_eq(&list[i].id, &owner->id) && pns_offer(n, bit, &list[i], &b))
            left--;
    }
    if (kept.have && (!b.have || !pns_displaces(n, b.cost, kept.cost)))
        b = kept;
    if (!b.have)
        return false;
    *out = b.p;
    *cost = b.cost;
    return true;
}
