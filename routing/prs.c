/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Proximity route selection (PRS) and where a request for a key goes next
 * (Gummadi et al., SIGCOMM 2003; the cost rule is the one Dabek et al.,
 * "Designing a DHT for low latency and high throughput", NSDI 2004, give
 * for DHash++: the RTT to a candidate plus the hops still needed after
 * it, each at an average hop latency).
 *
 * Greedy Chord routing asks the known host closest before the key. Any
 * host in (self, key) makes progress, so of those we may ask one that is
 * nearer in RTT but further from the key, if the hops it leaves are worth
 * less than the RTT it saves. Correctness does not depend on the order:
 * only the owner answers OWNER (find.c).
 *
 * Estimates, integers only: hosts between a candidate f and the key,
 * m = dist(f, key) / gap, gap being the mean id spacing of our successor
 * list; if m < r, f's own successor list names the owner: one hop left;
 * else Chord needs about 1/2 log2(m / r) more to get there, plus that
 * one. Hop latency = the mean measured RTT to our successors (random
 * hosts, so the mean RTT to anyone). An unmeasured candidate counts as
 * twice that: in the daemon a host without a link costs a handshake
 * before the request. With nothing measured every cost is equal and the
 * greedy order stays.
 */
#include "routing/node_priv.h"

#include <string.h>

static uint64_t prs_rtt(const struct ring_node *n, const ring_peer *p)
{
    return n->cb.rtt ? n->cb.rtt(n->cb.ctx, p) : 0;
}

/* Mean RTT to our measured successors; 0: none measured. */
static uint64_t prs_hop_ns(const struct ring_node *n)
{
    uint64_t sum = 0, k = 0;

    for (unsigned i = 0; i < n->nsucc; i++) {
        uint64_t t;

        if (ring_is_self(n, &n->succ[i].id))
            continue;
        t = prs_rtt(n, &n->succ[i]);
        if (t) {
            sum += t;
            k++;
        }
    }
    return k ? sum / k : 0;
}

/* Mean RTT to our measured fingers (the hosts PNS chose: what a hop
 * before the last costs); @fallback if none measured. */
static uint64_t prs_finger_ns(const struct ring_node *n, uint64_t fallback)
{
    uint64_t sum = 0, k = 0;

    for (unsigned i = 0; i < n->nfing; i++) {
        uint64_t t = prs_rtt(n, &n->fing[i].p);

        if (t) {
            sum += t;
            k++;
        }
    }
    return k ? sum / k : fallback;
}

/* Mean id gap between our successors; 0: no usable list. */
static ring_num prs_gap(const struct ring_node *n)
{
    ring_num span;

    if (!n->nsucc || ring_is_self(n, &n->succ[n->nsucc - 1].id))
        return 0;
    span = ring_id_num(&n->succ[n->nsucc - 1].id) - ring_id_num(&n->self.id);
    return span / n->nsucc;
}

/* Twice the hops still needed after @p towards @key. */
static unsigned prs_half_hops(const struct ring_node *n, const ring_peer *p, const ring_id *key,
                              ring_num gap)
{
    ring_num m = (ring_id_num(key) - ring_id_num(&p->id)) / gap, r = n->cfg.nsucc;
    unsigned lg = 0;

    if (m < r)
        return 2;
    for (m /= r; m > 1; m >>= 1)
        lg++;
    return 2 + lg;
}

/* Fill @cost for each candidate; false: PRS off or nothing to go by. */
static bool prs_costs(const struct ring_node *n, const ring_id *key, const ring_peer *c,
                      unsigned nc, uint64_t *cost)
{
    uint64_t hop, fhop;
    ring_num gap;

    if (!n->cfg.prs || nc < 2)
        return false;
    hop = prs_hop_ns(n);
    gap = prs_gap(n);
    if (!hop || !gap)
        return false;
    fhop = prs_finger_ns(n, hop);
    for (unsigned i = 0; i < nc; i++) {
        uint64_t t = prs_rtt(n, &c[i]);

        cost[i] = (t ? t : 2 * hop) + fhop * (prs_half_hops(n, &c[i], key, gap) - 2) / 2;
    }
    return true;
}

unsigned ring_prs_best(const struct ring_node *n, const ring_id *key, const ring_peer *c,
                       unsigned nc)
{
    uint64_t cost[RING_PRS_MAX];
    unsigned best = 0;

    if (nc > RING_PRS_MAX || !prs_costs(n, key, c, nc, cost))
        return 0;
    for (unsigned i = 1; i < nc; i++) {
        if (cost[i] < cost[best])
            best = i;   /* strictly less: ties keep the greedy order */
    }
    return best;
}

void ring_prs_sort(const struct ring_node *n, const ring_id *key, ring_peer *c, unsigned nc)
{
    uint64_t cost[RING_PRS_MAX];

    if (nc > RING_PRS_MAX || !prs_costs(n, key, c, nc, cost))
        return;
    /* Insertion sort: stable, so equal costs keep the greedy order. */
    for (unsigned i = 1; i < nc; i++) {
        ring_peer p = c[i];
        uint64_t k = cost[i];
        unsigned j = i;

        for (; j > 0 && cost[j - 1] > k; j--) {
            c[j] = c[j - 1];
            cost[j] = cost[j - 1];
        }
        c[j] = p;
        cost[j] = k;
    }
}

unsigned ring_owner_cands(const struct ring_node *n, const ring_id *key, ring_peer *out,
                          unsigned max)
{
    unsigned k = 0, i = 0;

    if (!n->nsucc || !ring_id_in_oc(key, &n->self.id, &n->succ[n->nsucc - 1].id))
        return 0;
    while (i < n->nsucc && !ring_id_in_oc(key, &n->self.id, &n->succ[i].id))
        i++;
    for (; i < n->nsucc && k < max; i++) {
        if (!ring_is_self(n, &n->succ[i].id))
            out[k++] = n->succ[i];
    }
    return k;
}

unsigned ring_node_route(const struct ring_node *n, const ring_id *key, ring_peer *out,
                         unsigned max, bool *owners)
{
    unsigned k = ring_owner_cands(n, key, out, max);

    *owners = k > 0;
    if (k)
        return k;
    k = ring_closest_preceding(n, key, out, max);
    ring_prs_sort(n, key, out, k);
    return k;
}
