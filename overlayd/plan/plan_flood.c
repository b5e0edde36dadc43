/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Broadcasts as a tree over links that exist anyway: the split of a
 * flooded frame's ring interval among a host's links, and each host's
 * enclave successor and predecessor, the links that make the tree reach
 * every carrier. See plan.h and docs/design.md ("Broadcasts").
 */
#include "overlayd/plan/plan_int.h"

#include <stdlib.h>
#include <string.h>

uint64_t plan_id64(const ring_id *id)
{
    uint64_t v = 0;

    for (unsigned i = 0; i < 8; i++)
        v = v << 8 | id->b[i];
    return v;
}

/* Clockwise distance from @from to @to on the 64-bit ring. */
static uint64_t plan_cw(uint64_t from, uint64_t to)
{
    return to - from;
}

struct plan_flood_cand {
    uint64_t dist;
    unsigned idx;
};

static int plan_cmp_cand(const void *a, const void *b)
{
    const struct plan_flood_cand *x = a, *y = b;

    return x->dist < y->dist ? -1 : x->dist > y->dist;
}

/*
 * Chord broadcast (S. El-Ansary, L. O. Alima, P. Brand, S. Haridi,
 * "Efficient broadcast in structured P2P networks", IPTPS 2003), on the
 * links a host has rather than on its finger table: the host is
 * responsible for the open interval (self, limit) (the whole ring but
 * itself when limit == self); it hands each candidate in that interval,
 * taken clockwise, the part up to the next one. The parts are disjoint, so
 * every host gets a broadcast at most once, and each part shrinks, so it
 * ends. A candidate outside the interval belongs to another host's part.
 */
unsigned plan_flood_split(uint64_t self, uint64_t limit, const uint64_t *cand, unsigned n,
                          struct plan_flood_hop *out)
{
    struct plan_flood_cand c[PLAN_FLOOD_MAX];
    uint64_t span = plan_cw(self, limit);
    unsigned k = 0;

    for (unsigned i = 0; i < n && k < PLAN_FLOOD_MAX; i++) {
        uint64_t d = plan_cw(self, cand[i]);

        /* span 0: limit == self, the whole ring but ourselves. */
        if (d == 0 || (span && d >= span))
            continue;
        c[k].dist = d;
        c[k++].idx = i;
    }
    qsort(c, k, sizeof(c[0]), plan_cmp_cand);
    for (unsigned i = 0; i < k; i++) {
        out[i].idx = c[i].idx;
        out[i].limit = i + 1 < k ? cand[c[i + 1].idx] : limit;
    }
    return k;
}

/*
 * The tree reaches every carrier of an enclave only if each host that
 * floods or forwards it can reach the first carrier after itself: the
 * part (self, limit) it is handed starts there. So every host of the
 * enclave keeps a link to that carrier (its enclave successor), and to
 * its enclave predecessor, whose successor it is, so neither side lets
 * the link go idle or declines it.
 */
bool plan_enclave_neighbours(const ring_id *self, const ring_peer *hosts, size_t n,
                             ring_peer *succ, ring_peer *pred)
{
    uint64_t me = plan_id64(self), best_s = UINT64_MAX, best_p = UINT64_MAX;
    bool any = false;

    for (size_t i = 0; i < n; i++) {
        uint64_t id = plan_id64(&hosts[i].id);

        if (ring_id_eq(&hosts[i].id, self))
            continue;
        /* Equal 64-bit prefixes (p ~ n²/2^65) order by the rest of the id. */
        if (plan_cw(me, id) - 1 < best_s - 1 || !any) {
            best_s = plan_cw(me, id);
            *succ = hosts[i];
        }
        if (plan_cw(id, me) - 1 < best_p - 1 || !any) {
            best_p = plan_cw(id, me);
            *pred = hosts[i];
        }
        any = true;
    }
    return any;
}

void plan_set_keep(struct plan *pl, const ring_peer *keep, unsigned n)
{
    pl->n_keep = n < PLAN_KEEP_MAX ? n : PLAN_KEEP_MAX;
    if (pl->n_keep)
        memcpy(pl->keep, keep, pl->n_keep * sizeof(keep[0]));
}

bool plan_is_kept(const struct plan *pl, const ring_id *id)
{
    for (unsigned i = 0; i < pl->n_keep; i++)
        if (ring_id_eq(&pl->keep[i].id, id))
            return true;
    return false;
}

/* Enclave neighbours whose link is down: connect (the glue creates the
 * peer from the ring's record when it has none). */
void plan_connect_kept(struct plan *pl, struct plan_actions *out)
{
    for (unsigned i = 0; i < pl->n_keep; i++) {
        const struct plan_link *l = plan_link_find(pl, pl->keep[i].pub);

        if (!l || l->st == PLAN_LINK_DOWN)
            plan_add_action(out, PLAN_ACT_CONNECT, pl->keep[i].pub);
    }
}
