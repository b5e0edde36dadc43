/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Node lifecycle, message dispatch and ring maintenance (stabilize,
 * notify/rectify, check-predecessor, graceful leave), after Chord with
 * Zave's corrections; the periods live in timers.c.
 */
#include "routing/node_priv.h"

#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

bool ring_is_self(const struct ring_node *n, const ring_id *id)
{
    return ring_id_eq(&n->self.id, id);
}

uint64_t ring_new_rid(struct ring_node *n)
{
    return ++n->next_rid;
}

void ring_send(struct ring_node *n, const ring_peer *to, const ring_msg *m)
{
    uint8_t buf[RING_MSG_MAX];
    int len = ring_wire_encode(m, buf, sizeof(buf));

    if (len < 0 || ring_is_self(n, &to->id))
        return;
    n->stats.msgs_sent++;
    n->stats.bytes_sent += (uint64_t)len;
    n->cb.send(n->cb.ctx, to, buf, (size_t)len);
}

static void send_simple(struct ring_node *n, const ring_peer *to, uint8_t type, uint64_t rid)
{
    ring_msg m;

    m.type = type;
    m.rid = rid;
    ring_send(n, to, &m);
}

static void rpc_start(struct ring_node *n, uint64_t now, struct ring_rpc *rpc,
                      const ring_peer *to, uint8_t type)
{
    rpc->rid = ring_new_rid(n);
    rpc->to = *to;
    rpc->deadline = now + n->cfg.rpc_timeout_ns;
    rpc->active = true;
    send_simple(n, to, type, rpc->rid);
}

static bool rpc_match(const struct ring_rpc *rpc, const ring_peer *from, uint64_t rid)
{
    return rpc->active && rpc->rid == rid && ring_id_eq(&rpc->to.id, &from->id);
}

struct ring_node *ring_node_new(const ring_config *cfg, const ring_callbacks *cb,
                                const ring_peer *self)
{
    struct ring_node *n;

    if (!cfg || !cb || !cb->send || !cb->rand || !self || cfg->nsucc < 1 ||
        cfg->nsucc > RING_SUCC_MAX || !cfg->rpc_timeout_ns || !cfg->stabilize_ns)
        return NULL;
    n = calloc(1, sizeof(*n));
    if (!n)
        return NULL;
    n->succ = calloc(cfg->nsucc, sizeof(*n->succ));
    if (!n->succ) {
        free(n);
        return NULL;
    }
    n->cfg = *cfg;
    n->cb = *cb;
    n->self = *self;
    n->succ[0] = *self;
    n->nsucc = 1;
    n->next_rid = cb->rand(cb->ctx);
    keyidx_init(&n->pubidx, cb->rand(cb->ctx));
    return n;
}

void ring_node_free(struct ring_node *n)
{
    if (!n)
        return;
    free(n->succ);
    free(n->fing);
    free(n->ops);
    free(n->recs);
    free(n->pubs);
    keyidx_free(&n->pubidx);
    free(n);
}

int ring_node_create(struct ring_node *n, uint64_t now)
{
    if (n->state != RING_IDLE)
        return RING_ERR_STATE;
    n->now = now;
    n->succ[0] = n->self;
    n->nsucc = 1;
    n->has_pred = false;
    n->state = RING_ACTIVE;
    ring_timers_start(n, now);
    return 0;
}

int ring_node_join(struct ring_node *n, uint64_t now, const ring_peer *bootstrap)
{
    if (n->state != RING_IDLE)
        return RING_ERR_STATE;
    if (ring_is_self(n, &bootstrap->id))
        return -EINVAL;
    n->now = now;
    n->bootstrap = *bootstrap;
    n->has_bootstrap = true;
    ring_seen_add(n, now, bootstrap, true);
    n->state = RING_JOINING;
    return ring_op_start(n, now, RING_P_JOIN, &n->self.id, 0, NULL, bootstrap);
}

void ring_rejoin(struct ring_node *n, uint64_t now)
{
    const ring_peer *via = NULL;

    for (unsigned i = 0; i < n->nops; i++) {
        if (n->ops[i].purpose == RING_P_JOIN)
            return;
    }
    if (n->has_pred)
        via = &n->pred;
    else if (n->nfing)
        via = &n->fing[n->nfing - 1].p;
    else if (n->has_bootstrap && !ring_dead_has(n, now, &n->bootstrap.id))
        via = &n->bootstrap;
    if (via)
        ring_op_start(n, now, RING_P_JOIN, &n->self.id, 0, NULL, via);
}

void ring_become_active(struct ring_node *n, uint64_t now, const ring_peer *succ,
                        const ring_peer *list, unsigned nlist)
{
    bool joining = n->state == RING_JOINING;

    if (ring_is_self(n, &succ->id))
        return;
    /* Zave: the joiner takes its successor's full list before it starts
     * stabilizing, so it never depends on one successor alone. */
    ring_succ_adopt(n, succ, list, nlist);
    if (joining) {
        n->state = RING_ACTIVE;
        ring_timers_start(n, now);
        if (n->cb.joined)
            n->cb.joined(n->cb.ctx, 0);
    }
    send_simple(n, &n->succ[0], RING_MSG_NOTIFY, 0);
}

void ring_stabilize_tick(struct ring_node *n, uint64_t now)
{
    if (n->state != RING_ACTIVE || n->stab.active || n->stab2.active)
        return;
    if (ring_is_self(n, &n->succ[0].id)) {
        /* Alone: whoever notified us is our successor too. */
        if (n->has_pred) {
            ring_succ_adopt(n, &n->pred, NULL, 0);
            send_simple(n, &n->succ[0], RING_MSG_NOTIFY, 0);
        }
        return;
    }
    n->stab_prev = n->succ[0].id;
    rpc_start(n, now, &n->stab, &n->succ[0], RING_MSG_STATE_REQ);
}

/* End of a stabilize round: notify the successor; if the round changed it,
 * the ring is still settling here, so run the next round early. */
static void stab_done(struct ring_node *n, uint64_t now)
{
    send_simple(n, &n->succ[0], RING_MSG_NOTIFY, 0);
    if (!ring_id_eq(&n->stab_prev, &n->succ[0].id))
        ring_stabilize_soon(n, now);
}

void ring_check_pred_tick(struct ring_node *n, uint64_t now)
{
    if (n->state != RING_ACTIVE || !n->has_pred || n->ping.active)
        return;
    rpc_start(n, now, &n->ping, &n->pred, RING_MSG_PING);
}

static void on_state_resp(struct ring_node *n, uint64_t now, const ring_peer *from,
                          const ring_msg *m)
{
    if (rpc_match(&n->stab, from, m->rid)) {
        n->stab.active = false;
        /* Zave: reconcile the list from the first live successor's list. */
        ring_succ_adopt(n, from, m->peers, m->npeers);
        if (m->has_pred && !ring_is_self(n, &m->pred.id) &&
            ring_id_in_oo(&m->pred.id, &n->self.id, &from->id) &&
            !ring_dead_has(n, now, &m->pred.id)) {
            /* A node between us and our successor: adopt it only once it
             * has answered with its own list (it must be a full member). */
            n->stab_depth = 0;
            rpc_start(n, now, &n->stab2, &m->pred, RING_MSG_STATE_REQ);
            return;
        }
        stab_done(n, now);
    } else if (rpc_match(&n->stab2, from, m->rid)) {
        n->stab2.active = false;
        if (ring_id_in_oo(&from->id, &n->self.id, &n->succ[0].id))
            ring_succ_adopt(n, from, m->peers, m->npeers);
        /* Walk further back along predecessor pointers within this round:
         * after a mass join many nodes share one stale successor, and one
         * step per round would take as many rounds as joiners in the gap. */
        if (m->has_pred && ++n->stab_depth < RING_STAB_WALK &&
            !ring_is_self(n, &m->pred.id) &&
            ring_id_in_oo(&m->pred.id, &n->self.id, &n->succ[0].id) &&
            !ring_dead_has(n, now, &m->pred.id)) {
            rpc_start(n, now, &n->stab2, &m->pred, RING_MSG_STATE_REQ);
            return;
        }
        stab_done(n, now);
    }
}

static void on_notify(struct ring_node *n, uint64_t now, const ring_peer *from)
{
    if (ring_is_self(n, &n->succ[0].id)) {
        ring_succ_adopt(n, from, NULL, 0);
        send_simple(n, from, RING_MSG_NOTIFY, 0);
    }
    if (!n->has_pred || ring_id_in_oo(&from->id, &n->pred.id, &n->self.id)) {
        ring_set_pred(n, now, from, true);
    } else if (ring_id_eq(&from->id, &n->pred.id)) {
        n->pred = *from;        /* same node; endpoint may have moved */
    } else if (ring_dead_has(n, now, &n->pred.id)) {
        ring_set_pred(n, now, from, false);
    } else {
        /* Zave's rectify: replace a predecessor that is not between only
         * if it turns out to be dead. */
        n->rectify_cand = *from;
        n->has_rectify = true;
        ring_check_pred_tick(n, now);
    }
}

static void on_leave(struct ring_node *n, uint64_t now, const ring_peer *from,
                     const ring_msg *m)
{
    bool was_succ = ring_id_eq(&n->succ[0].id, &from->id);
    bool was_pred = n->has_pred && ring_id_eq(&n->pred.id, &from->id);

    ring_forget(n, now, &from->id);
    if (was_succ && m->npeers)
        ring_succ_adopt(n, &m->peers[0], m->peers + 1, m->npeers - 1u);
    if (was_pred && m->has_pred && !ring_is_self(n, &m->pred.id))
        ring_set_pred(n, now, &m->pred, false);
    if (was_succ && !ring_is_self(n, &n->succ[0].id))
        send_simple(n, &n->succ[0], RING_MSG_NOTIFY, 0);
}

void ring_rpc_expired(struct ring_node *n, uint64_t now, struct ring_rpc *rpc)
{
    ring_peer to = rpc->to;

    rpc->active = false;
    n->stats.rpc_timeouts++;
    ring_forget(n, now, &to.id);
    if (rpc == &n->stab) {
        /* Try the next successor now rather than a period later. */
        ring_stabilize_tick(n, now);
    } else if (rpc == &n->stab2) {
        if (!ring_is_self(n, &n->succ[0].id))
            send_simple(n, &n->succ[0], RING_MSG_NOTIFY, 0);
    } else if (rpc == &n->ping && n->has_rectify) {
        n->has_rectify = false;
        if (!n->has_pred)
            ring_set_pred(n, now, &n->rectify_cand, false);
    }
}

/* Any live node we hear of that lies between us and our successor is a
 * better successor: probe it (stab2) and adopt it if it answers. Chord's
 * stabilize alone cannot merge two interleaved, individually consistent
 * cycles ("loopy" rings) that concurrent joins can produce; this does,
 * because lookups and notifies cross between such cycles. */
static void consider_succ(struct ring_node *n, uint64_t now, const ring_peer *p)
{
    if (n->state != RING_ACTIVE || n->stab.active || n->stab2.active ||
        ring_is_self(n, &p->id) || !ring_id_in_oo(&p->id, &n->self.id, &n->succ[0].id) ||
        ring_dead_has(n, now, &p->id))
        return;
    n->stab_depth = 0;
    rpc_start(n, now, &n->stab2, p, RING_MSG_STATE_REQ);
}

/* Symmetric case: a live node between our predecessor and us should be
 * pointing at us. Poke it (any message makes it run consider_succ). */
static void consider_pred(struct ring_node *n, uint64_t now, const ring_peer *p)
{
    if (n->state != RING_ACTIVE || !n->has_pred || ring_is_self(n, &p->id) ||
        !ring_id_in_oo(&p->id, &n->pred.id, &n->self.id) || ring_dead_has(n, now, &p->id))
        return;
    if (ring_id_eq(&n->poked, &p->id) && now < n->poked_at + n->cfg.stabilize_ns)
        return;
    n->poked = p->id;
    n->poked_at = now;
    send_simple(n, p, RING_MSG_PING, 0);
}

static void answer_state(struct ring_node *n, const ring_peer *from, uint64_t rid)
{
    ring_msg r;

    r.type = RING_MSG_STATE_RESP;
    r.rid = rid;
    r.has_pred = n->has_pred;
    if (n->has_pred)
        r.pred = n->pred;
    ring_succ_to_msg(n, &r);
    ring_send(n, from, &r);
}

int ring_node_on_message(struct ring_node *n, uint64_t now, const ring_peer *from,
                         const uint8_t *buf, size_t len)
{
    ring_msg m;
    int rc;

    n->now = now;
    if (n->state == RING_IDLE || n->state == RING_LEFT)
        return RING_ERR_STATE;
    rc = ring_wire_decode(&m, buf, len);
    if (rc < 0) {
        n->stats.bad_msgs++;
        return rc;
    }
    if (ring_is_self(n, &from->id))
        return -EINVAL;
    n->stats.msgs_recv++;
    if (!ring_trust_msg(n, from, &m))
        return -EPERM;
    ring_dead_del(n, &from->id);    /* it talks, so it lives */
    if (n->state == RING_JOINING && m.type != RING_MSG_FIND_RESP)
        return 0;
    switch (m.type) {
    case RING_MSG_FIND_REQ:
        ring_handle_find(n, now, from, &m);
        break;
    case RING_MSG_FIND_RESP:
        ring_op_on_resp(n, now, from, &m);
        break;
    case RING_MSG_STATE_REQ:
        answer_state(n, from, m.rid);
        break;
    case RING_MSG_STATE_RESP:
        on_state_resp(n, now, from, &m);
        break;
    case RING_MSG_NOTIFY:
        on_notify(n, now, from);
        break;
    case RING_MSG_PING:
        send_simple(n, from, RING_MSG_PONG, m.rid);
        break;
    case RING_MSG_PONG:
        if (rpc_match(&n->ping, from, m.rid)) {
            n->ping.active = false;
            n->has_rectify = false;
        }
        break;
    case RING_MSG_LEAVE:
        on_leave(n, now, from, &m);
        break;
    case RING_MSG_RECS:
        ring_store_on_recs(n, now, from, &m);
        break;
    case RING_MSG_UNITY_REQ:
        ring_unity_on_req(n, now, from, &m);
        break;
    case RING_MSG_UNITY_RESP:
        ring_unity_on_resp(n, now, from, &m);
        break;
    case RING_MSG_ZIP:
        ring_zip(n, now, &m.peers[0], m.hops);
        break;
    }
    /* FIND_REQ may come from a node still joining (not yet a member). */
    if (m.type != RING_MSG_LEAVE && m.type != RING_MSG_FIND_REQ) {
        consider_succ(n, now, from);
        consider_pred(n, now, from);
        if (m.type == RING_MSG_FIND_RESP || m.type == RING_MSG_STATE_RESP) {
            for (unsigned i = 0; i < m.npeers; i++) {
                consider_succ(n, now, &m.peers[i]);
                consider_pred(n, now, &m.peers[i]);
            }
        }
    }
    return 0;
}

int ring_node_leave(struct ring_node *n, uint64_t now)
{
    ring_msg m;

    if (n->state != RING_ACTIVE)
        return RING_ERR_STATE;
    n->now = now;
    if (!ring_is_self(n, &n->succ[0].id)) {
        ring_store_send(n, now, &n->succ[0], NULL, NULL, true, RING_RECS_HANDOFF);
        m.type = RING_MSG_LEAVE;
        m.has_pred = n->has_pred;
        if (n->has_pred)
            m.pred = n->pred;
        m.npeers = 0;
        ring_send(n, &n->succ[0], &m);
        if (n->has_pred) {
            m.has_pred = 0;
            ring_succ_to_msg(n, &m);
            ring_send(n, &n->pred, &m);
        }
    }
    n->state = RING_LEFT;
    n->nops = 0;
    return 0;
}

int ring_node_lookup(struct ring_node *n, uint64_t now, const ring_id *key, uint64_t cookie)
{
    n->now = now;
    if (n->state != RING_ACTIVE)
        return RING_ERR_STATE;
    return ring_op_start(n, now, RING_P_LOOKUP, key, cookie, NULL, NULL);
}

int ring_node_bulk_init(struct ring_node *n, uint64_t now, const ring_peer *pred,
                        const ring_peer *succ, unsigned nsucc,
                        const ring_peer *fingers, unsigned nfingers)
{
    ring_id d;

    if (n->state != RING_IDLE || nsucc == 0)
        return RING_ERR_STATE;
    n->now = now;
    n->state = RING_ACTIVE;
    ring_succ_adopt(n, &succ[0], succ + 1, nsucc - 1);
    if (pred)
        ring_set_pred(n, now, pred, false);
    for (unsigned i = 0; i < nfingers; i++) {
        if (ring_succ_contains(n, &fingers[i].id))
            continue;
        ring_id_dist(&d, &n->self.id, &fingers[i].id);
        ring_finger_insert(n, &fingers[i], ring_id_bitlen(&d) ? ring_id_bitlen(&d) - 1 : 0);
    }
    ring_timers_start(n, now);
    return 0;
}

enum ring_state ring_node_state(const struct ring_node *n)
{
    return n->state;
}

const ring_peer *ring_node_self(const struct ring_node *n)
{
    return &n->self;
}

unsigned ring_node_nsucc(const struct ring_node *n)
{
    return n->nsucc;
}

const ring_peer *ring_node_succ(const struct ring_node *n, unsigned i)
{
    return i < n->nsucc ? &n->succ[i] : NULL;
}

const ring_peer *ring_node_pred(const struct ring_node *n)
{
    return n->has_pred ? &n->pred : NULL;
}

unsigned ring_node_nfingers(const struct ring_node *n)
{
    return n->nfing;
}

const ring_stats *ring_node_stats(const struct ring_node *n)
{
    return &n->stats;
}

size_t ring_node_mem(const struct ring_node *n)
{
    return sizeof(*n) + n->cfg.nsucc * sizeof(*n->succ) + n->capfing * sizeof(*n->fing) +
           n->capops * sizeof(*n->ops) + n->caprecs * sizeof(*n->recs) +
           n->cappubs * sizeof(*n->pubs);
}

static void prefetch_range(const void *p, size_t len)
{
    const char *c = p;

    for (size_t k = 0; k < len; k += 64)
        __builtin_prefetch(c + k);
}

void ring_node_prefetch(const struct ring_node *n, bool arrays)
{
    if (!arrays) {
        /* Up to the rarely read tail (node_priv.h). */
        prefetch_range(n, offsetof(struct ring_node, bootstrap));
        return;
    }
    prefetch_range(n->succ, n->nsucc * sizeof(*n->succ));
    prefetch_range(n->fing, n->nfing * sizeof(*n->fing));
    /* What matches an answer to an op: its rid and waiting flag. */
    for (unsigned i = 0; i < n->nops && i < 4; i++) {
        __builtin_prefetch(&n->ops[i]);
        __builtin_prefetch(&n->ops[i].waiting);
    }
}
