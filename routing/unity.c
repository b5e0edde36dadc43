/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Merging rings that formed apart: ring unification after T. M. Shafaat,
 * A. Ghodsi and S. Haridi, "Dealing with network partitions in structured
 * overlay networks" (2008).
 *
 * Chord's maintenance keeps one ring consistent but never joins two: the
 * hosts of two rings that formed apart (bootstrapped from different hosts,
 * or split by a partition that healed) know nothing of each other. So a
 * node keeps a small memory of hosts it has seen (its bootstrap, the
 * daemon's configured peers, hosts that asked it, peers it found dead) and
 * every unity_ns (±50 %) asks one that is not among its neighbours to look
 * up self + 1 in that host's ring (UNITY_REQ). The lookup runs there, so
 * each of its hops stays inside one ring; only the request and its answer
 * cross. The owner of self + 1 is our successor in the union of the rings:
 * any other answer than our successor means a second ring (or a gap in
 * ours), and the node starts a zip, the merge of two sorted circular lists
 * (Shafaat et al.'s simple ring unification): a ZIP names a candidate
 * successor from the other ring; the receiver takes it when it lies closer
 * than its own successor and hands its former successor on to it as the
 * next candidate, else passes the candidate on to its successor. It stops
 * where the candidate already is the successor, i.e. after one turn of the
 * union ring. Each step NOTIFYs the new successor, so predecessors follow.
 */
#include "routing/node_priv.h"

#include <errno.h>
#include <string.h>

static int seen_find(const struct ring_node *n, const ring_id *id)
{
    for (unsigned i = 0; i < n->nseen; i++) {
        if (ring_id_eq(&n->seen[i].p.id, id))
            return (int)i;
    }
    return -1;
}

/* The entry to replace when full: hosts the node noted itself go before
 * those handed in, the least recently seen first. */
static unsigned seen_victim(const struct ring_node *n)
{
    unsigned v = 0;

    for (unsigned i = 1; i < n->nseen; i++) {
        const struct ring_seen *a = &n->seen[i], *b = &n->seen[v];

        if (a->sticky != b->sticky ? !a->sticky : a->seen < b->seen)
            v = i;
    }
    return v;
}

void ring_seen_add(struct ring_node *n, uint64_t now, const ring_peer *p, bool sticky)
{
    int i = seen_find(n, &p->id);
    unsigned k;

    if (ring_is_self(n, &p->id))
        return;
    if (i >= 0) {
        struct ring_seen *s = &n->seen[i];

        if (p->ep.family)
            s->p = *p;      /* it may have moved */
        s->seen = now;
        s->sticky |= sticky;
        return;
    }
    if (n->nseen < RING_SEEN_MAX) {
        k = n->nseen++;
    } else {
        k = seen_victim(n);
        if (n->seen[k].sticky && !sticky)
            return;
    }
    n->seen[k] = (struct ring_seen){ .p = *p, .seen = now, .sticky = sticky };
    if (sticky)
        ring_unity_soon(n, now);
}

void ring_seen_note_id(struct ring_node *n, uint64_t now, const ring_id *id)
{
    for (unsigned i = 0; i < n->nsucc; i++) {
        if (ring_id_eq(&n->succ[i].id, id)) {
            ring_seen_add(n, now, &n->succ[i], false);
            return;
        }
    }
    if (n->has_pred && ring_id_eq(&n->pred.id, id)) {
        ring_seen_add(n, now, &n->pred, false);
        return;
    }
    for (unsigned i = 0; i < n->nfing; i++) {
        if (ring_id_eq(&n->fing[i].p.id, id)) {
            ring_seen_add(n, now, &n->fing[i].p, false);
            return;
        }
    }
}

bool ring_seen_unchecked(const struct ring_node *n)
{
    for (unsigned i = 0; i < n->nseen; i++) {
        if (!n->seen[i].checked)
            return true;
    }
    return false;
}

int ring_node_remember(struct ring_node *n, uint64_t now, const ring_peer *host)
{
    if (ring_is_self(n, &host->id))
        return -EINVAL;
    n->now = now;
    ring_seen_add(n, now, host, true);
    return 0;
}

unsigned ring_node_nseen(const struct ring_node *n)
{
    return n->nseen;
}

const ring_peer *ring_node_seen(const struct ring_node *n, unsigned i)
{
    return i < n->nseen ? &n->seen[i].p : NULL;
}

/* Our neighbours are in our ring by construction: asking them tells
 * nothing, and in a small ring that keeps the check free. */
static bool seen_worth_asking(const struct ring_node *n, uint64_t now, const ring_id *id)
{
    if (ring_dead_has(n, now, id) || ring_succ_contains(n, id) ||
        (n->has_pred && ring_id_eq(&n->pred.id, id)))
        return false;
    for (unsigned i = 0; i < n->nfing; i++) {
        if (ring_id_eq(&n->fing[i].p.id, id))
            return false;
    }
    return true;
}

void ring_unity_tick(struct ring_node *n, uint64_t now)
{
    struct ring_seen *best = NULL;
    ring_msg m;

    if (n->state != RING_ACTIVE || n->unity.active)
        return;
    for (unsigned i = 0; i < n->nseen; i++) {
        struct ring_seen *s = &n->seen[i];

        if (seen_worth_asking(n, now, &s->p.id) && (!best || s->checked < best->checked))
            best = s;
    }
    if (!best)
        return;
    best->checked = now;
    memset(&m, 0, sizeof(m));
    m.type = RING_MSG_UNITY_REQ;
    m.rid = ring_new_rid(n);
    ring_id_add_pow2(&m.key, &n->self.id, 0);
    n->unity = (struct ring_rpc){
        .rid = m.rid,
        .to = best->p,
        .deadline = now + n->cfg.lookup_deadline_ns + n->cfg.rpc_timeout_ns,
        .active = true,
    };
    n->stats.unity_checks++;
    ring_send(n, &best->p, &m);
}

void ring_unity_expired(struct ring_node *n, uint64_t now)
{
    int i = seen_find(n, &n->unity.to.id);

    (void)now;
    n->unity.active = false;
    /* A slow lookup is no proof of death, so no dead cache; but a host we
     * noted ourselves that never answers is not worth its slot. A handed-in
     * one stays: it is where the operator says the overlay is, and once a
     * partition heals, the way back. */
    if (i >= 0 && ++n->seen[i].fails >= RING_SEEN_FAILS && !n->seen[i].sticky)
        n->seen[i] = n->seen[--n->nseen];
}

void ring_unity_on_req(struct ring_node *n, uint64_t now, const ring_peer *from,
                       const ring_msg *m)
{
    ring_record rec;
    unsigned busy = 0;

    if (n->state != RING_ACTIVE)
        return;
    for (unsigned i = 0; i < n->nops; i++)
        busy += n->ops[i].purpose == RING_P_UNITY;
    if (busy >= RING_UNITY_SERVE_MAX)
        return;     /* the asker times out and tries again later */
    /* The asker may belong to another ring: worth a check of our own. */
    ring_seen_add(n, now, from, false);
    memset(&rec, 0, sizeof(rec));
    rec.host = *from;
    ring_op_start(n, now, RING_P_UNITY, &m->key, m->rid, &rec, NULL);
}

void ring_unity_served(struct ring_node *n, const ring_peer *asker, uint64_t rid, int status,
                       const ring_peer *owner, const ring_msg *m)
{
    ring_msg r;

    memset(&r, 0, sizeof(r));
    r.type = RING_MSG_UNITY_RESP;
    r.rid = rid;
    if (status == 0 && owner) {
        r.peers[r.npeers++] = *owner;
        if (ring_is_self(n, &owner->id)) {
            for (unsigned i = 0; i < n->nsucc && r.npeers < RING_SUCC_MAX; i++) {
                if (!ring_is_self(n, &n->succ[i].id))
                    r.peers[r.npeers++] = n->succ[i];
            }
        } else if (m && m->code == RING_FIND_CANDS) {
            r.npeers = 0;       /* the predecessor's list, owner first */
            for (unsigned i = 0; i < m->npeers && r.npeers < RING_SUCC_MAX; i++)
                r.peers[r.npeers++] = m->peers[i];
        } else {
            for (unsigned i = 0; m && i < m->npeers && r.npeers < RING_SUCC_MAX; i++)
                r.peers[r.npeers++] = m->peers[i];
        }
    }
    ring_send(n, asker, &r);
}

void ring_unity_on_resp(struct ring_node *n, uint64_t now, const ring_peer *from,
                        const ring_msg *m)
{
    const ring_peer *o = &m->peers[0];
    int i;

    if (!n->unity.active || n->unity.rid != m->rid || !ring_id_eq(&n->unity.to.id, &from->id))
        return;
    n->unity.active = false;
    i = seen_find(n, &from->id);
    if (i >= 0)
        n->seen[i].fails = 0;
    if (!m->npeers || n->state != RING_ACTIVE || ring_is_self(n, &o->id) ||
        ring_id_eq(&o->id, &n->succ[0].id))
        return;     /* no answer, or one ring here */
    n->stats.unity_splits++;
    ring_zip(n, now, o, RING_ZIP_HOPS);
}

/* @c is a better successor than ours: take it, keeping our list behind it
 * (a dead @c costs one stabilize timeout, then the list takes over). */
static void zip_take(struct ring_node *n, uint64_t now, const ring_peer *c)
{
    ring_peer old[RING_SUCC_MAX];
    unsigned k = n->nsucc;
    ring_msg notify;

    memcpy(old, n->succ, k * sizeof(old[0]));
    ring_succ_adopt(n, c, old, k);
    /* A stabilize round in flight would put the old successor back. */
    n->stab.active = false;
    memset(&notify, 0, sizeof(notify));
    notify.type = RING_MSG_NOTIFY;
    ring_send(n, c, &notify);
    ring_stabilize_soon(n, now);
}

void ring_zip(struct ring_node *n, uint64_t now, const ring_peer *c, uint16_t hops)
{
    ring_peer s = n->succ[0];
    bool alone = ring_is_self(n, &s.id);
    ring_msg m;

    if (n->state != RING_ACTIVE || ring_is_self(n, &c->id) || ring_id_eq(&c->id, &s.id) ||
        ring_dead_has(n, now, &c->id))
        return;     /* merged here (or the candidate is gone) */
    n->stats.zip_steps++;
    ring_seen_add(n, now, c, false);
    memset(&m, 0, sizeof(m));
    m.type = RING_MSG_ZIP;
    m.npeers = 1;
    if (alone || ring_id_in_oo(&c->id, &n->self.id, &s.id)) {
        zip_take(n, now, c);
        if (alone || !hops)
            return;
        m.peers[0] = s;
        m.hops = (uint16_t)(hops - 1);
        ring_send(n, c, &m);
    } else if (hops) {
        m.peers[0] = *c;
        m.hops = (uint16_t)(hops - 1);
        ring_send(n, &s, &m);
    }
}
