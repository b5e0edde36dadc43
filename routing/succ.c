/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Successor list and predecessor (Zave's corrected Chord).
 *
 * The list is rebuilt from a live successor's own list (Zave: "stabilize
 * reconciles the successor list from the successor's list") and is never
 * empty: a node that is alone lists itself.
 */
#include "routing/node_priv.h"

#include <string.h>

bool ring_succ_contains(const struct ring_node *n, const ring_id *id)
{
    for (unsigned i = 0; i < n->nsucc; i++) {
        if (ring_id_eq(&n->succ[i].id, id))
            return true;
    }
    return false;
}

static bool in_list(const ring_peer *l, unsigned nl, const ring_id *id)
{
    for (unsigned i = 0; i < nl; i++) {
        if (ring_id_eq(&l[i].id, id))
            return true;
    }
    return false;
}

void ring_succ_adopt(struct ring_node *n, const ring_peer *first,
                     const ring_peer *list, unsigned nlist)
{
    ring_peer tmp[RING_SUCC_MAX];
    unsigned k = 0, cap = n->cfg.nsucc;

    if (first && !ring_is_self(n, &first->id))
        tmp[k++] = *first;
    /* The successor's list continues clockwise; it reaches us again only
     * when the ring is smaller than r + 1, and everything after that point
     * would repeat. */
    for (unsigned i = 0; k > 0 && i < nlist && k < cap; i++) {
        if (ring_is_self(n, &list[i].id))
            break;
        if (in_list(tmp, k, &list[i].id) || ring_dead_has(n, n->now, &list[i].id))
            continue;
        tmp[k++] = list[i];
    }
    if (k == 0) {
        tmp[0] = n->self;
        k = 1;
    }
    memcpy(n->succ, tmp, k * sizeof(tmp[0]));
    n->nsucc = k;
}

bool ring_succ_remove(struct ring_node *n, const ring_id *id)
{
    unsigned k = 0;
    bool removed = false;

    for (unsigned i = 0; i < n->nsucc; i++) {
        if (ring_id_eq(&n->succ[i].id, id) && !ring_is_self(n, id)) {
            removed = true;
            continue;
        }
        n->succ[k++] = n->succ[i];
    }
    if (k == 0) {
        n->succ[0] = n->self;
        k = 1;
    }
    n->nsucc = k;
    return removed;
}

void ring_succ_to_msg(const struct ring_node *n, ring_msg *m)
{
    m->npeers = 0;
    for (unsigned i = 0; i < n->nsucc && i < RING_SUCC_MAX; i++) {
        if (!ring_is_self(n, &n->succ[i].id))
            m->peers[m->npeers++] = n->succ[i];
    }
}

void ring_set_pred(struct ring_node *n, uint64_t now, const ring_peer *p, bool handoff)
{
    bool had = n->has_pred;
    ring_peer old = n->pred;

    if (!p) {
        n->has_pred = false;
        return;
    }
    if (ring_is_self(n, &p->id))
        return;
    n->pred = *p;
    n->has_pred = true;
    n->has_old_pred = false;
    /* A node that joined between our old predecessor and us takes over the
     * keys in (old, p] as primary and our replicas for the ranges before;
     * it must hold everything we hold except the keys in (p, self]. */
    if (handoff && had && !ring_id_eq(&old.id, &p->id) &&
        ring_id_in_oo(&p->id, &old.id, &n->self.id))
        ring_store_send(n, now, p, &p->id, &n->self.id, false, RING_RECS_REPLICA);
}
