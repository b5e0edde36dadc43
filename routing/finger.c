/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Finger set and closest-preceding-node routing.
 *
 * Chord's 128 fingers are stored as the distinct nodes they point to,
 * sorted by clockwise distance from self; fingers that fall inside the
 * successor list are not stored at all (the list already names them).
 * With n nodes that leaves about log2(n / r) entries.
 */
#include "routing/node_priv.h"

#include <stdlib.h>
#include <string.h>

static int dist_cmp_self(const struct ring_node *n, const ring_id *a, const ring_id *b)
{
    return ring_id_dist_cmp(&n->self.id, a, b);
}

void ring_finger_insert(struct ring_node *n, const ring_peer *p, unsigned bit)
{
    unsigned pos = 0;

    if (ring_is_self(n, &p->id))
        return;
    for (unsigned i = 0; i < n->nfing; i++) {
        if (ring_id_eq(&n->fing[i].p.id, &p->id)) {
            n->fing[i].p = *p;
            if (bit < n->fing[i].bit)
                n->fing[i].bit = (uint8_t)bit;
            return;
        }
    }
    if (n->nfing == n->capfing) {
        if (n->capfing >= RING_FINGER_MAX) {
            /* Full: the closest finger is the least useful one. */
            memmove(&n->fing[0], &n->fing[1], (n->nfing - 1) * sizeof(n->fing[0]));
            n->nfing--;
        } else {
            unsigned cap = n->capfing ? n->capfing * 2 : 8;
            struct ring_finger *f;

            if (cap > RING_FINGER_MAX)
                cap = RING_FINGER_MAX;
            f = realloc(n->fing, cap * sizeof(*f));
            if (!f)
                return;
            n->fing = f;
            n->capfing = cap;
        }
    }
    while (pos < n->nfing && dist_cmp_self(n, &n->fing[pos].p.id, &p->id) < 0)
        pos++;
    memmove(&n->fing[pos + 1], &n->fing[pos], (n->nfing - pos) * sizeof(n->fing[0]));
    n->fing[pos] = (struct ring_finger){ .p = *p, .bit = (uint8_t)bit };
    n->nfing++;
}

bool ring_finger_remove(struct ring_node *n, const ring_id *id)
{
    for (unsigned i = 0; i < n->nfing; i++) {
        if (ring_id_eq(&n->fing[i].p.id, id)) {
            memmove(&n->fing[i], &n->fing[i + 1], (n->nfing - i - 1) * sizeof(n->fing[0]));
            n->nfing--;
            return true;
        }
    }
    return false;
}

/* Anything stored in [start, owner) contradicts "owner is the first node
 * at or after start": it has left or died. */
static void finger_prune_before(struct ring_node *n, unsigned bit, const ring_peer *owner,
                                bool wraps)
{
    ring_id d_start, d_owner, d;
    unsigned k = 0;

    ring_id_pow2(&d_start, bit);
    ring_id_dist(&d_owner, &n->self.id, &owner->id);
    for (unsigned i = 0; i < n->nfing; i++) {
        ring_id_dist(&d, &n->self.id, &n->fing[i].p.id);
        if (ring_id_cmp(&d, &d_start) >= 0 && (wraps || ring_id_cmp(&d, &d_owner) < 0))
            continue;
        n->fing[k++] = n->fing[i];
    }
    n->nfing = k;
}

/* Routing needs one finger per interval: drop the others (earlier
 * choices the new pick beat). */
static void finger_prune_interval(struct ring_node *n, unsigned bit, const ring_id *keep)
{
    unsigned k = 0;

    for (unsigned i = 0; i < n->nfing; i++) {
        if (ring_pns_in_interval(n, bit, &n->fing[i].p.id) &&
            !ring_id_eq(&n->fing[i].p.id, keep))
            continue;
        n->fing[k++] = n->fing[i];
    }
    n->nfing = k;
}

void ring_finger_apply(struct ring_node *n, unsigned bit, const ring_peer *owner,
                       const ring_peer *list, unsigned nlist, bool explore)
{
    bool wraps = ring_is_self(n, &owner->id);
    uint64_t cost = UINT64_MAX;
    ring_peer pick = *owner;

    /* An explore answer's owner is not the first host of the interval, so
     * it proves nothing about the hosts before it. */
    if (!explore)
        finger_prune_before(n, bit, owner, wraps);
    if (wraps)
        return;
    if (n->cfg.pns_sample > 1 && ring_pns_pick(n, bit, owner, list, nlist, &pick, &cost))
        finger_prune_interval(n, bit, &pick.id);
    else if (explore)
        return;     /* nothing in the interval: the start round keeps the finger */
    if (ring_succ_contains(n, &pick.id))
        return;
    ring_finger_insert(n, &pick, bit);
    if (cost != UINT64_MAX)
        ring_finger_rtt(n, &pick.id, cost / 1000 < UINT32_MAX ? (uint32_t)(cost / 1000)
                                                               : UINT32_MAX);
}

void ring_finger_rtt(struct ring_node *n, const ring_id *id, uint32_t rtt_us)
{
    for (unsigned i = 0; i < n->nfing; i++) {
        if (ring_id_eq(&n->fing[i].p.id, id))
            n->fing[i].rtt_us = rtt_us;
    }
}

/* One closest-preceding scan: distances from self as numbers, so each
 * candidate costs one load and subtraction rather than a reload of self
 * and the key per compare. */
struct cp_scan {
    const struct ring_node *n;
    ring_num self, dkey;        /* dkey = key - self; 0: the key is self */
    ring_peer *out;
    ring_num *dout;             /* distance from self of out[i] */
    unsigned cnt, max;
};

static void consider(struct cp_scan *s, const ring_peer *p)
{
    ring_num d = ring_id_num(&p->id) - s->self;
    unsigned pos;

    /* Not self, and in (self, key); with key == self all but self. */
    if (d == 0 || (s->dkey != 0 && d >= s->dkey))
        return;
    /* Equal distance is the same id: already listed. */
    for (unsigned i = 0; i < s->cnt; i++) {
        if (s->dout[i] == d)
            return;
    }
    /* Closest to the key first = farthest from self first. */
    pos = s->cnt;
    while (pos > 0 && s->dout[pos - 1] < d)
        pos--;
    if (pos >= s->max || ring_dead_has(s->n, s->n->now, &p->id))
        return;
    if (s->cnt == s->max)
        s->cnt--;
    memmove(&s->out[pos + 1], &s->out[pos], (s->cnt - pos) * sizeof(s->out[0]));
    memmove(&s->dout[pos + 1], &s->dout[pos], (s->cnt - pos) * sizeof(s->dout[0]));
    s->out[pos] = *p;
    s->dout[pos] = d;
    s->cnt++;
}

unsigned ring_closest_preceding(const struct ring_node *n, const ring_id *key,
                                ring_peer *out, unsigned max)
{
    ring_num dout[RING_FINGER_MAX + RING_SUCC_MAX + 1];
    struct cp_scan s = {
        .n = n, .self = ring_id_num(&n->self.id), .out = out, .dout = dout, .max = max,
    };

    if (max == 0)
        return 0;
    if (max > sizeof(dout) / sizeof(dout[0]))
        s.max = max = sizeof(dout) / sizeof(dout[0]);
    s.dkey = ring_id_num(key) - s.self;
    for (unsigned i = 0; i < n->nfing; i++)
        consider(&s, &n->fing[i].p);
    for (unsigned i = 0; i < n->nsucc; i++)
        consider(&s, &n->succ[i]);
    if (n->has_pred)
        consider(&s, &n->pred);
    return s.cnt;
}

int ring_finger_next_bit(struct ring_node *n)
{
    ring_id d;
    unsigned lo;

    if (n->nsucc < n->cfg.nsucc || ring_is_self(n, &n->succ[n->nsucc - 1].id))
        return -1;      /* the successor list already spans the whole ring */
    ring_id_dist(&d, &n->self.id, &n->succ[n->nsucc - 1].id);
    lo = ring_id_bitlen(&d);
    if (lo >= RING_ID_BITS)
        return -1;
    if (n->ff_next < lo || n->ff_next >= RING_ID_BITS) {
        n->ff_next = RING_ID_BITS - 1;
        /* A new cycle: with PNS, every other one samples random points. */
        n->ff_explore = !n->ff_explore && n->cfg.pns_sample > 1 && n->cfg.pns_explore;
    }
    return n->ff_next--;
}

const ring_peer *ring_node_finger(const struct ring_node *n, unsigned bit)
{
    const ring_peer *best = &n->self;
    ring_id d_start, d, d_best;
    bool have = false;

    ring_id_pow2(&d_start, bit);
    for (unsigned pass = 0; pass < 2; pass++) {
        unsigned cnt = pass ? n->nfing : n->nsucc;

        for (unsigned i = 0; i < cnt; i++) {
            const ring_peer *p = pass ? &n->fing[i].p : &n->succ[i];

            if (ring_is_self(n, &p->id))
                continue;
            ring_id_dist(&d, &n->self.id, &p->id);
            if (ring_id_cmp(&d, &d_start) < 0)
                continue;
            if (!have || ring_id_cmp(&d, &d_best) < 0) {
                best = p;
                d_best = d;
                have = true;
            }
        }
    }
    return best;
}

void ring_dead_add(struct ring_node *n, uint64_t now, const ring_id *id)
{
    if (now + n->cfg.dead_ttl_ns > n->dead_until)
        n->dead_until = now + n->cfg.dead_ttl_ns;
    for (unsigned i = 0; i < RING_DEAD_CACHE; i++) {
        if (ring_id_eq(&n->dead[i].id, id)) {
            n->dead[i].until = now + n->cfg.dead_ttl_ns;
            return;
        }
    }
    n->dead[n->dead_next].id = *id;
    n->dead[n->dead_next].until = now + n->cfg.dead_ttl_ns;
    n->dead_next = (n->dead_next + 1) % RING_DEAD_CACHE;
}

bool ring_dead_has(const struct ring_node *n, uint64_t now, const ring_id *id)
{
    /* Every routing decision asks this; in a quiet ring the cache holds
     * only expired entries, and one compare saves scanning them. */
    if (now >= n->dead_until)
        return false;
    for (unsigned i = 0; i < RING_DEAD_CACHE; i++) {
        if (n->dead[i].until > now && ring_id_eq(&n->dead[i].id, id))
            return true;
    }
    return false;
}

void ring_dead_del(struct ring_node *n, const ring_id *id)
{
    /* Called for every message received: an expired entry is as good as
     * a cleared one (ring_dead_has() ignores both, ring_dead_add() renews
     * either), so with none live there is nothing to clear. */
    if (n->now >= n->dead_until)
        return;
    for (unsigned i = 0; i < RING_DEAD_CACHE; i++) {
        if (ring_id_eq(&n->dead[i].id, id))
            n->dead[i].until = 0;
    }
}

void ring_forget(struct ring_node *n, uint64_t now, const ring_id *id)
{
    if (ring_is_self(n, id))
        return;
    /* Across a partition a "dead" peer may be alive in a ring of its own. */
    ring_seen_note_id(n, now, id);
    ring_dead_add(n, now, id);
    ring_succ_remove(n, id);
    ring_finger_remove(n, id);
    if (n->has_pred && ring_id_eq(&n->pred.id, id)) {
        /* Remember where our range began: until a new predecessor
         * notifies us, keys in (dead pred, self] are certainly ours. */
        n->old_pred = *id;
        n->has_old_pred = true;
        n->has_pred = false;
    }
    /* Zave: the successor list must never run empty. If every entry is
     * gone the node is cut off and has to join again through anyone. */
    if (n->state == RING_ACTIVE && ring_is_self(n, &n->succ[0].id))
        ring_rejoin(n, now);
}

struct nb_cand {
    ring_id d;
    const ring_peer *p;
};

/* Successors and fingers by clockwise distance from us (a handful). */
static unsigned nb_sorted(const struct ring_node *n, struct nb_cand *c)
{
    unsigned m = 0;

    for (unsigned pass = 0; pass < 2; pass++) {
        unsigned cnt = pass ? n->nfing : n->nsucc;

        /* One finger per bit at most; the bound only guards the array. */
        if (pass && cnt > RING_ID_BITS)
            cnt = RING_ID_BITS;
        for (unsigned i = 0; i < cnt; i++) {
            const ring_peer *p = pass ? &n->fing[i].p : &n->succ[i];
            unsigned j;

            if (ring_is_self(n, &p->id))
                continue;
            c[m].p = p;
            ring_id_dist(&c[m].d, &n->self.id, &p->id);
            for (j = m; j > 0 && ring_id_cmp(&c[j - 1].d, &c[m].d) > 0; j--)
                ;
            if (j < m) {
                struct nb_cand t = c[m];

                memmove(&c[j + 1], &c[j], (m - j) * sizeof(c[0]));
                c[j] = t;
            }
            m++;
        }
    }
    return m;
}

/*
 * The hosts a daemon keeps links to: predecessor, successor, and the
 * distinct fingers that are not in the successor list beyond succ[0] (the
 * rest of that list is a backup, reached through the successor). Self is
 * never listed.
 *
 * Finger b is the closest known host at distance >= 2^b (ring_node_finger),
 * so walking the known hosts by distance, the distinct fingers are the
 * first host of each bit length. The daemon asks for this on every ring
 * message it routes; a scan per bit (128 of them) cost a quarter of all
 * CPU time in a 200-daemon run.
 */
unsigned ring_node_neighbours(const struct ring_node *n, ring_peer *out, unsigned max)
{
    struct nb_cand c[RING_SUCC_MAX + RING_ID_BITS];
    unsigned k = 0, m, last_len = 0;

    if (n->has_pred && !ring_is_self(n, &n->pred.id) && k < max)
        out[k++] = n->pred;
    m = nb_sorted(n, c);
    for (unsigned i = 0; i < m && k < max; i++) {
        const ring_peer *p = c[i].p;
        unsigned len = ring_id_bitlen(&c[i].d);
        bool skip = false;

        if (len <= last_len)
            continue;
        last_len = len;
        for (unsigned j = 1; j < n->nsucc && !skip; j++)
            skip = ring_id_eq(&n->succ[j].id, &p->id);
        for (unsigned j = 0; j < k && !skip; j++)
            skip = ring_id_eq(&out[j].id, &p->id);
        if (!skip)
            out[k++] = *p;
    }
    return k;
}

/*
 * 2 * ceil(log2 n^), at least RING_LINKS_MIN, with n^ = ns * 2^128 /
 * distance(self, succ[ns-1]): the successors are spread evenly in
 * expectation. Only the top 64 bits of the distance count.
 */
unsigned ring_node_link_cap(const struct ring_node *n)
{
    unsigned ns = n->nsucc, lg = 0;
    ring_id dist;
    uint64_t top = 0;

    if (ns < 2)
        return RING_LINKS_MIN;
    ring_id_dist(&dist, &n->self.id, &n->succ[ns - 1].id);
    for (int i = 0; i < 8; i++)
        top = top << 8 | dist.b[i];
    if (!top)
        return RING_LINKS_MIN;
    for (double nh = (double)ns * 18446744073709551616.0 / (double)top, q = 1; q < nh && lg < 63;
         q *= 2)
        lg++;
    return 2 * lg > RING_LINKS_MIN ? 2 * lg : RING_LINKS_MIN;
}
