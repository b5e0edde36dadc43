/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Iterative lookups ("ops"): the asking side. find.c answers them.
 *
 * The querying node drives every step itself: it asks one node at a time
 * for the key, keeps the answers as a candidate list (closest to the key
 * first) and, when a node does not answer within rpc_timeout, forgets it
 * and asks the next candidate. A lookup completes only when a node answers
 * OWNER, i.e. the key lies in (its predecessor, itself]: the owner itself
 * confirms, so a stale successor pointer upstream cannot produce a wrong
 * answer. Gets and stores ride on the same FIND_REQ (the owner applies
 * them), which saves a round trip and keeps the sender authenticated.
 *
 * Records of enclave E live at the E-owner, the first host at or after the
 * key's successor that may carry E (store.c). An owner that may not carry
 * E answers DELEGATE with its successor list; the asker then asks those
 * hosts in turn with the DELEGATED flag, and each answers as owner if it
 * may carry E or delegates again. The walk counts against max_hops and
 * the lookup deadline like any other step.
 *
 * Payloads (a MAC asked for, a record to store) go only to hosts that may
 * carry the enclave. A record op asks every other host with a PROBE (the
 * enclave only, answered like the record op); a host that answers OWNER to
 * a probe is asked again, on the same op, with the payload. RING_P_REPLICA
 * only probes: it finds the first carrier after us (the E-owner of self+1)
 * to continue a replica chain there (store.c).
 */
#include "routing/node_priv.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

static bool op_asked(const struct ring_op *op, const ring_id *id)
{
    for (unsigned i = 0; i < op->nasked; i++) {
        if (ring_id_eq(&op->asked[i], id))
            return true;
    }
    return false;
}

static bool purpose_is_rec(uint8_t purpose)
{
    return purpose == RING_P_PUBLISH || purpose == RING_P_GET_MAC ||
           purpose == RING_P_GET_MEMBERS || purpose == RING_P_GET_IP ||
           purpose == RING_P_REPLICA;
}

/* Owners first when our successor list reaches the key: asking its
 * predecessor only to hear the same list again costs a round trip. */
static void op_seed(struct ring_node *n, struct ring_op *op)
{
    op->delegated = false;
    op->ncands = (uint8_t)ring_closest_preceding(n, &op->key, op->cands, RING_OP_CANDS);
    op->nowners = (uint8_t)ring_owner_cands(n, &op->key, op->owners, RING_OP_OWNERS);
}

static void op_add_cands(struct ring_node *n, struct ring_op *op, const ring_peer *p,
                         unsigned np)
{
    for (unsigned i = 0; i < np; i++) {
        unsigned pos;
        ring_id dn, dc;
        bool dup = false;

        if (ring_is_self(n, &p[i].id) || op_asked(op, &p[i].id) ||
            ring_dead_has(n, n->now, &p[i].id))
            continue;
        for (unsigned j = 0; j < op->ncands; j++)
            dup |= ring_id_eq(&op->cands[j].id, &p[i].id);
        if (dup)
            continue;
        /* closest to the key first: smallest clockwise distance to it */
        ring_id_dist(&dn, &p[i].id, &op->key);
        for (pos = 0; pos < op->ncands; pos++) {
            ring_id_dist(&dc, &op->cands[pos].id, &op->key);
            if (ring_id_cmp(&dn, &dc) < 0)
                break;
        }
        if (pos >= RING_OP_CANDS)
            continue;
        if (op->ncands == RING_OP_CANDS)
            op->ncands--;
        memmove(&op->cands[pos + 1], &op->cands[pos],
                (op->ncands - pos) * sizeof(op->cands[0]));
        op->cands[pos] = p[i];
        op->ncands++;
    }
}

static bool op_answers(const ring_record *q, const ring_wrec *w)
{
    if (w->type != q->type || w->enclave != q->enclave)
        return false;
    if (q->type == RING_REC_MAC)
        return memcmp(w->mac, q->mac, 6) == 0;
    if (q->type == RING_REC_IP)
        return ring_ip_eq(&w->ip, &q->ip);
    return true;
}

static void op_finish(struct ring_node *n, uint64_t now, unsigned idx, int status,
                      const ring_peer *owner, const ring_msg *m)
{
    struct ring_op op = n->ops[idx];

    n->ops[idx] = n->ops[--n->nops];
    if (!n->nops) {
        /* Ops are transient; 100k idle nodes should not keep their arrays. */
        free(n->ops);
        n->ops = NULL;
        n->capops = 0;
    }
    switch (op.purpose) {
    case RING_P_LOOKUP:
        if (n->cb.lookup_done)
            n->cb.lookup_done(n->cb.ctx, op.cookie, status, status ? NULL : owner, op.hops);
        break;
    case RING_P_JOIN:
        if (status == 0) {
            ring_become_active(n, now, owner, m ? m->peers : NULL, m ? m->npeers : 0);
        } else if (n->state == RING_JOINING) {
            n->state = RING_IDLE;
            if (n->cb.joined)
                n->cb.joined(n->cb.ctx, status);
        }
        break;
    case RING_P_FINGER:
        n->ff_busy = false;
        if (status == 0)
            ring_finger_apply(n, op.finger_bit, owner, m ? m->peers : NULL, m ? m->npeers : 0,
                              (op.cookie >> 8) & 1);
        break;
    case RING_P_PUBLISH:
    case RING_P_SELF_CHECK:
        break;
    case RING_P_UNITY:
        ring_unity_served(n, &op.rec.host, op.cookie, status, owner, m);
        break;
    case RING_P_REPLICA:
        /* Found ourselves or the chain's start: the turn is complete. */
        if (status == 0 && owner && !ring_is_self(n, &owner->id) &&
            !ring_id_eq(&owner->id, &op.origin))
            ring_store_chain_send(n, now, owner, &op.rec, (uint8_t)(op.cookie >> 16),
                                  (uint8_t)(op.cookie >> 8), (uint8_t)op.cookie, &op.origin);
        break;
    case RING_P_GET_MAC:
    case RING_P_GET_MEMBERS:
    case RING_P_GET_IP: {
        ring_record recs[RING_MSG_RECS_MAX];
        size_t k = 0;

        for (unsigned i = 0; m && status == 0 && i < m->nrecs; i++) {
            /* The answer is what we asked for, or nothing: a record of
             * another type, enclave, MAC or address never reaches cb. */
            if (!op_answers(&op.rec, &m->recs[i])) {
                n->stats.recs_unasked++;
                continue;
            }
            ring_record_from(&recs[k++], &m->recs[i], now);
        }
        if (status == 0 && k == 0)
            status = RING_ERR_NOTFOUND;
        if (n->cb.get_done)
            n->cb.get_done(n->cb.ctx, op.cookie, status, recs, k, op.hops);
        break;
    }
    }
}

static void op_send(struct ring_node *n, uint64_t now, struct ring_op *op)
{
    ring_msg m;

    memset(&m, 0, sizeof(m));
    m.type = RING_MSG_FIND_REQ;
    m.rid = op->rid = ring_new_rid(n);
    m.key = op->key;
    m.flags = op->cur_hint ? RING_FIND_OWNER_HINT : 0;
    if (op->cur_hint && op->delegated)
        m.flags |= RING_FIND_DELEGATED;
    m.suspect = op->suspect;
    /* Payloads only to hosts we know may carry the enclave or that just
     * confirmed they are its E-owner; a replica lookup needs none at all. */
    op->probing = purpose_is_rec(op->purpose) &&
                  (op->purpose == RING_P_REPLICA ||
                   (!op->confirmed && !ring_may_carry(n, &op->cur.id, op->rec.enclave)));
    switch (op->purpose) {
    case RING_P_GET_MAC:
        m.op = RING_OP_GET_MAC;
        m.enclave = op->rec.enclave;
        memcpy(m.mac, op->rec.mac, 6);
        break;
    case RING_P_GET_MEMBERS:
        m.op = RING_OP_GET_MEMBERS;
        m.enclave = op->rec.enclave;
        break;
    case RING_P_GET_IP:
        m.op = RING_OP_GET_IP;
        m.enclave = op->rec.enclave;
        m.ip = op->rec.ip;
        break;
    case RING_P_PUBLISH:
        m.op = RING_OP_STORE;
        ring_wrec_from(&m.recs[0], &op->rec, now);
        m.nrecs = 1;
        break;
    default:
        m.op = RING_OP_LOOKUP;
    }
    if (op->probing) {
        memset(m.mac, 0, sizeof(m.mac));
        memset(&m.ip, 0, sizeof(m.ip));
        memset(m.recs, 0, sizeof(m.recs[0]));
        m.nrecs = 0;
        m.op = RING_OP_PROBE;
        m.enclave = op->rec.enclave;
    }
    op->waiting = true;
    op->sent_at = now;
    op->rpc_deadline = now + n->cfg.rpc_timeout_ns;
    if (op->nasked < RING_OP_ASKED)
        op->asked[op->nasked++] = op->cur.id;
    ring_send(n, &op->cur, &m);
}

/* Out of time or out of hops: which one tells a slow ring from a loop. */
static void op_give_up(struct ring_node *n, uint64_t now, unsigned idx)
{
    if (now >= n->ops[idx].deadline)
        n->stats.ops_expired++;
    else
        n->stats.ops_out_of_hops++;
    op_finish(n, now, idx, RING_ERR_TIMEOUT, NULL, NULL);
}

/* We are the key's owner (or the E-owner a delegation walk reached): apply
 * a store or answer a get from our own store, zero further hops. */
static void op_local(struct ring_node *n, uint64_t now, unsigned idx)
{
    /* A copy: replicating may start an op and move the ops array. */
    const ring_record r = n->ops[idx].rec;
    const ring_record *rec = &r;
    uint8_t purpose = n->ops[idx].purpose;
    ring_msg m;

    memset(&m, 0, sizeof(m));
    if (purpose == RING_P_PUBLISH) {
        if (!ring_may_carry(n, &rec->host.id, rec->enclave))
            n->stats.stores_rejected++;
        else if (ring_store_put(n, rec) == 0)
            ring_store_replicate(n, now, rec);
    } else if (purpose == RING_P_GET_MAC || purpose == RING_P_GET_MEMBERS ||
               purpose == RING_P_GET_IP) {
        m.nrecs = (uint8_t)ring_store_find(n, rec->type, rec->enclave, rec->mac, &rec->ip,
                                           &n->self.id, m.recs, RING_MSG_RECS_MAX, now);
    }
    op_finish(n, now, idx, 0, &n->self, &m);
}

/*
 * A unity lookup (unity.c) ends at the key's predecessor: its successors
 * are the answer. Asking the successor itself would mean sending towards
 * a host just after the asker's id, and our relays may pick the asker (a
 * linked host of another ring, then) as the hop closest before it.
 */
static void op_unity_cands(struct ring_node *n, uint64_t now, unsigned idx,
                           const ring_peer *cands, unsigned nc)
{
    ring_msg *m = calloc(1, sizeof(*m));

    if (!m) {
        op_finish(n, now, idx, -ENOMEM, NULL, NULL);
        return;
    }
    m->code = RING_FIND_CANDS;
    m->npeers = (uint8_t)(nc < RING_SUCC_MAX ? nc : RING_SUCC_MAX);
    memcpy(m->peers, cands, m->npeers * sizeof(m->peers[0]));
    op_finish(n, now, idx, 0, &m->peers[0], m);
    free(m);
}

/* Ask the next node, or finish. Returns false if the op was finished. */
static bool op_advance(struct ring_node *n, uint64_t now, unsigned idx)
{
    struct ring_op *op = &n->ops[idx];

    if (now >= op->deadline || op->hops >= n->cfg.max_hops) {
        op_give_up(n, now, idx);
        return false;
    }
    for (;;) {
        ring_peer next;
        bool hint;

        if (op->nowners) {
            next = op->owners[0];
            memmove(&op->owners[0], &op->owners[1], --op->nowners * sizeof(next));
            hint = true;
        } else if (op->ncands) {
            /* cands stay closest-first (op_add_cands merges by that);
             * PRS picks among them. */
            unsigned b = ring_prs_best(n, &op->key, op->cands, op->ncands);

            next = op->cands[b];
            memmove(&op->cands[b], &op->cands[b + 1], (--op->ncands - b) * sizeof(next));
            hint = false;
        } else {
            /* Out of candidates: start over from our own tables after a
             * pause, when stabilization may have repaired them. */
            op->wake_at = now + n->cfg.rpc_timeout_ns;
            op->nasked = 0;
            return true;
        }
        if (ring_is_self(n, &next.id)) {
            /* A delegation walk reached us: we may carry the enclave (or
             * the op would not have started), so we are the E-owner. */
            if (hint && op->delegated &&
                ring_may_carry(n, &n->self.id, op->rec.enclave)) {
                op_local(n, now, idx);
                return false;
            }
            continue;
        }
        if (ring_dead_has(n, now, &next.id))
            continue;
        if (!hint && op_asked(op, &next.id))
            continue;
        op->cur = next;
        op->cur_hint = hint;
        op->confirmed = false;
        op_send(n, now, op);
        return true;
    }
}

static int op_new(struct ring_node *n, uint64_t now, uint8_t purpose, const ring_id *key,
                  uint64_t cookie, const ring_record *rec)
{
    struct ring_op *op;
    unsigned idx;

    if (n->nops == n->capops) {
        unsigned cap = n->capops ? n->capops * 2 : 2;
        struct ring_op *o = realloc(n->ops, cap * sizeof(*o));

        if (!o)
            return -ENOMEM;
        n->ops = o;
        n->capops = cap;
    }
    idx = n->nops++;
    op = &n->ops[idx];
    memset(op, 0, sizeof(*op));
    op->purpose = purpose;
    op->key = *key;
    op->cookie = cookie;
    op->deadline = now + n->cfg.lookup_deadline_ns;
    if (rec)
        op->rec = *rec;
    if (purpose == RING_P_FINGER)
        op->finger_bit = (uint8_t)cookie;
    return (int)idx;
}

static int op_go(struct ring_node *n, uint64_t now, unsigned idx, const ring_peer *via)
{
    struct ring_op *op = &n->ops[idx];
    uint8_t purpose = op->purpose;
    const ring_record *rec = &op->rec;

    if (purpose_is_rec(purpose) && !ring_may_carry(n, &n->self.id, rec->enclave)) {
        /* Every E-owner refuses a get from, or a record of, a host that may
         * not carry E: do not walk the ring to hear that. */
        if (purpose == RING_P_PUBLISH)
            n->stats.stores_rejected++;
        op_finish(n, now, idx, RING_ERR_REJECTED, NULL, NULL);
        return 0;
    }
    if (via) {
        op->cands[0] = *via;
        op->ncands = 1;
    } else if (n->state == RING_ACTIVE && ring_owns(n, &op->key)) {
        op_local(n, now, idx);
        return 0;
    } else {
        op_seed(n, op);
    }
    if (purpose == RING_P_UNITY && op->nowners) {
        op_unity_cands(n, now, idx, op->owners, op->nowners);
        return 0;
    }
    op_advance(n, now, idx);
    return 0;
}

int ring_op_start(struct ring_node *n, uint64_t now, uint8_t purpose, const ring_id *key,
                  uint64_t cookie, const ring_record *rec, const ring_peer *via)
{
    int idx = op_new(n, now, purpose, key, cookie, rec);

    return idx < 0 ? idx : op_go(n, now, (unsigned)idx, via);
}

int ring_op_start_replica(struct ring_node *n, uint64_t now, const ring_record *rec,
                          uint8_t rflags, uint8_t copies, uint8_t ttl, const ring_id *origin)
{
    ring_id key;
    int idx;

    /* The E-owner of self + 1 is the first host after us that may carry E. */
    key = n->self.id;
    ring_id_add_pow2(&key, &key, 0);
    idx = op_new(n, now, RING_P_REPLICA, &key, ring_op_chain(rflags, copies, ttl), rec);
    if (idx < 0)
        return idx;
    n->ops[idx].origin = *origin;
    return op_go(n, now, (unsigned)idx, NULL);
}

/* An OWNER answer: the probed E-owner now sees the payload, or the op ends. */
static void op_on_owner(struct ring_node *n, uint64_t now, unsigned idx, const ring_peer *from,
                        const ring_msg *m)
{
    struct ring_op *op = &n->ops[idx];
    int st = 0;

    if (op->probing && m->status == RING_ST_OK &&
        !ring_may_carry(n, &from->id, op->rec.enclave)) {
        /* It claims to be the E-owner, but by our policy it may not carry
         * E: believing it would hand it the payload (or a replica). Had it
         * answered honestly (DELEGATE), the E-owner would be the first
         * carrier after it: asked as an owner candidate, it leaves the
         * hosts after it in owners[], so walk those as a delegation. */
        n->stats.probe_owner_noncarrier++;
        if (op->cur_hint && op->nowners)
            op->delegated = true;
        op_advance(n, now, idx);
        return;
    }
    if (op->probing && op->purpose != RING_P_REPLICA && m->status == RING_ST_OK) {
        if (now >= op->deadline || op->hops >= n->cfg.max_hops) {
            op_give_up(n, now, idx);
            return;
        }
        op->confirmed = true;
        op_send(n, now, op);
        return;
    }
    if (m->status == RING_ST_REJECTED)
        st = RING_ERR_REJECTED;
    else if (m->status == RING_ST_STALE)
        st = RING_ERR_STALE;
    op_finish(n, now, idx, st, from, m);
}

/*
 * A CANDS answer is @from's successor list (find.c): when the key lies
 * beyond its first entries, those are not owner candidates; the owner is
 * the first at or after the key. A list that does not reach the key
 * (a host from before lists were answered whole) is taken as it is.
 */
static unsigned cands_owner(const struct ring_op *op, const ring_peer *from, const ring_msg *m)
{
    for (unsigned i = 0; i < m->npeers; i++) {
        if (ring_id_in_oc(&op->key, &from->id, &m->peers[i].id))
            return i;
    }
    return 0;
}

/* CANDS: the owner candidates @from names. */
static void op_on_cands(struct ring_node *n, struct ring_op *op, const ring_peer *from,
                        const ring_msg *m)
{
    /* @from believes its successor lies beyond us: it skips us. Any
     * message makes it consider us as its successor (node.c). */
    if (n->state == RING_ACTIVE && m->npeers &&
        ring_id_in_oo(&n->self.id, &from->id, &m->peers[0].id)) {
        ring_msg ping = { .type = RING_MSG_PING };

        ring_send(n, from, &ping);
    }
    op->nowners = 0;
    for (unsigned i = cands_owner(op, from, m); i < m->npeers && op->nowners < RING_OP_OWNERS;
         i++) {
        if (ring_is_self(n, &m->peers[i].id) && op->purpose != RING_P_JOIN)
            continue;
        op->owners[op->nowners++] = m->peers[i];
    }
    op->delegated = false;
    memset(&op->suspect, 0, sizeof(op->suspect));
}

/* DELEGATE: @from owns the key (or was delegated) but may not carry the
 * enclave: its successors, in order, are the next E-owner candidates. We
 * may be among them (op_advance). */
static void op_on_delegate(struct ring_op *op, const ring_msg *m)
{
    if (!purpose_is_rec(op->purpose))
        return;     /* nonsense for a plain lookup: ask someone else */
    op->delegated = true;
    op->nowners = 0;
    for (unsigned i = 0; i < m->npeers && op->nowners < RING_OP_OWNERS; i++)
        op->owners[op->nowners++] = m->peers[i];
    memset(&op->suspect, 0, sizeof(op->suspect));
}

/* BUSY: ask the same host again a little later. False when out of tries. */
static bool op_on_busy(struct ring_node *n, uint64_t now, struct ring_op *op)
{
    if (++op->busy_tries >= RING_BUSY_TRIES || op->nowners >= RING_OP_OWNERS)
        return false;
    memmove(&op->owners[1], &op->owners[0], op->nowners * sizeof(op->owners[0]));
    op->owners[0] = op->cur;
    op->nowners++;
    op->wake_at = now + n->cfg.rpc_timeout_ns / 2;
    return true;
}

void ring_op_on_resp(struct ring_node *n, uint64_t now, const ring_peer *from,
                     const ring_msg *m)
{
    unsigned idx;
    struct ring_op *op = NULL;

    for (idx = 0; idx < n->nops; idx++) {
        op = &n->ops[idx];
        if (op->waiting && op->rid == m->rid && ring_id_eq(&op->cur.id, &from->id))
            break;
    }
    if (idx == n->nops)
        return;     /* late or unsolicited */
    op->waiting = false;
    op->hops++;
    ring_finger_rtt(n, &from->id, (uint32_t)((now - op->sent_at) / 1000));
    switch (m->code) {
    case RING_FIND_OWNER:
        op_on_owner(n, now, idx, from, m);
        return;
    case RING_FIND_CANDS:
        if (op->purpose == RING_P_UNITY && m->npeers) {
            unsigned o = cands_owner(op, from, m);

            op_unity_cands(n, now, idx, m->peers + o, m->npeers - o);
            return;
        }
        op_on_cands(n, op, from, m);
        break;
    case RING_FIND_DELEGATE:
        op_on_delegate(op, m);
        break;
    case RING_FIND_NEXT:
        op_add_cands(n, op, m->peers, m->npeers);
        break;
    case RING_FIND_BUSY:
        if (op_on_busy(n, now, op))
            return;
        break;
    }
    op_advance(n, now, idx);
}

void ring_op_timeouts(struct ring_node *n, uint64_t now)
{
    for (unsigned idx = 0; idx < n->nops;) {
        struct ring_op *op = &n->ops[idx];

        if (now >= op->deadline) {
            op_give_up(n, now, idx);
            continue;
        }
        if (op->waiting && now >= op->rpc_deadline) {
            n->stats.rpc_timeouts++;
            op->waiting = false;
            /* An owner candidate that does not answer is usually dead; its
             * successor's predecessor pointer then names it, which we pass
             * on so that node can check at once. */
            if (op->cur_hint)
                op->suspect = op->cur.id;
            ring_forget(n, now, &op->cur.id);
            if (!op_advance(n, now, idx))
                continue;
        } else if (!op->waiting && op->wake_at && now >= op->wake_at) {
            op->wake_at = 0;
            if (!op->nowners && !op->ncands) {
                if (op->purpose == RING_P_JOIN && n->has_bootstrap && n->state != RING_ACTIVE) {
                    op->cands[0] = n->bootstrap;
                    op->ncands = 1;
                } else {
                    op_seed(n, op);
                }
            }
            if (!op_advance(n, now, idx))
                continue;
        }
        idx++;
    }
}

uint64_t ring_op_next_deadline(const struct ring_node *n)
{
    uint64_t d = UINT64_MAX;

    for (unsigned i = 0; i < n->nops; i++) {
        const struct ring_op *op = &n->ops[i];

        if (op->deadline < d)
            d = op->deadline;
        if (op->waiting && op->rpc_deadline < d)
            d = op->rpc_deadline;
        if (!op->waiting && op->wake_at && op->wake_at < d)
            d = op->wake_at;
    }
    return d;
}
