/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The answering side of lookups: a FIND_REQ names a key, and we answer
 * OWNER (and apply the get or store it carries) when the key lies in
 * (predecessor, us], DELEGATE when we own it but may not carry its
 * enclave, CANDS with our successors when one of them owns it, BUSY when
 * we cannot tell yet, else NEXT with the closest preceding hosts we know.
 * The asking side, and the rules it follows, are in lookup.c.
 */
#include "routing/node_priv.h"

#include <stddef.h>
#include <string.h>

bool ring_owns(const struct ring_node *n, const ring_id *key)
{
    if (ring_is_self(n, &n->succ[0].id))
        return true;    /* alone on the ring */
    return n->has_pred && ring_id_in_oc(key, &n->pred.id, &n->self.id);
}

static void find_owner_reply(struct ring_node *n, uint64_t now, const ring_peer *from,
                             const ring_msg *m, ring_msg *r)
{
    r->code = RING_FIND_OWNER;
    r->status = RING_ST_OK;
    switch (m->op) {
    case RING_OP_LOOKUP:
        ring_succ_to_msg(n, r);
        break;
    case RING_OP_GET_MAC:
    case RING_OP_GET_MEMBERS:
    case RING_OP_GET_IP:
        /* Locations of E are for hosts that may carry E only. */
        if (!ring_may_carry(n, &from->id, m->enclave)) {
            n->stats.gets_rejected++;
            r->status = RING_ST_REJECTED;
            break;
        }
        r->nrecs = (uint8_t)ring_store_find(n, m->op == RING_OP_GET_MAC ? RING_REC_MAC
                                            : m->op == RING_OP_GET_IP ? RING_REC_IP
                                            : RING_REC_MEMBER, m->enclave, m->mac, &m->ip,
                                            &from->id, r->recs, RING_MSG_RECS_MAX, now);
        if (!r->nrecs)
            r->status = RING_ST_NOTFOUND;
        break;
    case RING_OP_STORE: {
        ring_record rec;
        int st;

        ring_record_from(&rec, &m->recs[0], now);
        /* Only the host itself may publish its location (the link layer
         * authenticated @from), and only for an enclave it may carry. */
        if (!ring_peer_eq(&rec.host, from) || !ring_may_carry(n, &rec.host.id, rec.enclave)) {
            n->stats.stores_rejected++;
            r->status = RING_ST_REJECTED;
            break;
        }
        st = ring_store_put(n, &rec);
        if (st == 0)
            ring_store_replicate(n, now, &rec);
        r->status = st == 0 ? RING_ST_OK : st > 0 ? RING_ST_STALE : RING_ST_REJECTED;
        break;
    }
    case RING_OP_PROBE:
        /* E-owner, nothing asked: the real op follows. Only carriers ask
         * (gets, stores and replica chains of E start at carriers), so a
         * probe from anyone else is someone mapping E's owners. */
        if (!ring_may_carry(n, &from->id, m->enclave)) {
            n->stats.gets_rejected++;
            r->status = RING_ST_REJECTED;
        }
        break;
    }
}

void ring_handle_find(struct ring_node *n, uint64_t now, const ring_peer *from,
                      const ring_msg *m)
{
    ring_msg r;
    bool hint = m->flags & RING_FIND_OWNER_HINT;
    bool rec_op = m->op != RING_OP_LOOKUP;
    /* The asker vouches that the hosts from the key's successor up to us
     * may not carry the enclave; a wrong claim only misplaces the asker's
     * own record or get, both of which the policy checks below still cover. */
    bool delegated = rec_op && (m->flags & RING_FIND_DELEGATED);

    if (n->state != RING_ACTIVE)
        return;     /* not a member yet: the asker times out and moves on */
    /* Everything before the peer and record arrays: those are read only
     * up to npeers and nrecs, and clearing all of the ~3.5 KB message for
     * every request cost more than building the answer. */
    memset(&r, 0, offsetof(ring_msg, peers));
    r.nrecs = 0;
    r.type = RING_MSG_FIND_RESP;
    r.rid = m->rid;
    if (delegated || ring_owns(n, &m->key) ||
        (hint && !n->has_pred && n->has_old_pred &&
         ring_id_in_oc(&m->key, &n->old_pred, &n->self.id))) {
        uint32_t enclave = m->op == RING_OP_STORE ? m->recs[0].enclave : m->enclave;

        if (rec_op && !ring_may_carry(n, &n->self.id, enclave)) {
            r.code = RING_FIND_DELEGATE;
            ring_succ_to_msg(n, &r);
            if (r.npeers > RING_OP_OWNERS)
                r.npeers = RING_OP_OWNERS;
        } else {
            find_owner_reply(n, now, from, m, &r);
        }
    } else if (hint && (!n->has_pred || ring_id_eq(&n->pred.id, &m->suspect))) {
        /* Either we do not know where our range starts (no predecessor
         * yet), or the asker found our predecessor dead: check it now
         * instead of at the next check_pred tick; the asker retries soon.
         * Never guess: a node claiming keys it does not own is how
         * concurrent joins end up skipping members for good. */
        ring_check_pred_tick(n, now);
        r.code = RING_FIND_BUSY;
    } else if (hint && n->has_pred && !ring_id_in_oc(&m->key, &n->self.id, &n->succ[0].id)) {
        /* The asker thinks we own the key, but a node joined between it
         * and us: our predecessor is the better owner candidate. */
        r.code = RING_FIND_CANDS;
        r.peers[0] = n->pred;
        r.npeers = 1;
    } else if (ring_id_in_oc(&m->key, &n->self.id, &n->succ[n->nsucc - 1].id)) {
        /* Our list names the owner: all of it, so the asker can go there
         * directly (it takes the owner and those after it, lookup.c)
         * and still see our first successor. */
        r.code = RING_FIND_CANDS;
        ring_succ_to_msg(n, &r);
    } else {
        r.code = RING_FIND_NEXT;
        r.npeers = (uint8_t)ring_closest_preceding(n, &m->key, r.peers, RING_NEXT_PEERS);
    }
    ring_send(n, from, &r);
}
