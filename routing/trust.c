/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * What a ring message may claim, checked before any handler sees it.
 *
 * Every host of the overlay is admitted (the link layer authenticated the
 * sender), but an admitted host may be hostile: it can name other hosts
 * under ids that are not theirs, or hand us records that pin a MAC for
 * weeks. So, before dispatch:
 *
 *  - with cfg.bind_ids, the sender and every host the message names (peer
 *    lists, predecessor, ZIP candidate) must have id = BLAKE2b-128 of its
 *    key (crypto/ringid.h); otherwise the whole message is dropped
 *    (msgs_bad_host). The carry policy is asked by id while messages go to
 *    keys: a peer {carrier's id, own key} would get a carrier's payload.
 *  - each record must name a bound host (recs_bad_host), a sequence
 *    number up to RING_SEQ_MAX (recs_bad_seq) and a lifetime no longer
 *    than our record_ttl (recs_bad_ttl); a bad record is removed from the
 *    message, or the whole message dropped when it is a STORE (one record,
 *    nothing left to do).
 *
 * The per-enclave checks (who may send, store, get and answer a probe)
 * need the enclave and happen where each message is handled (store.c,
 * find.c, lookup.c); the sequence lead and quotas need the store
 * (ring_store_put). Honest hosts never trip any of these: every counter
 * stays 0 in an honest ring.
 */
#include "routing/node_priv.h"

#include "crypto/ringid.h"

#include <string.h>

bool ring_peer_bound(const struct ring_node *n, const ring_peer *p)
{
    uint8_t id[RINGID_LEN];

    if (!n->cfg.bind_ids)
        return true;
    ringid_from_pubkey(id, p->pub);
    return memcmp(id, p->id.b, RINGID_LEN) == 0;
}

/* Every peer the message names, sender included. */
static bool trust_peers(const struct ring_node *n, const ring_peer *from, const ring_msg *m)
{
    if (!ring_peer_bound(n, from))
        return false;
    if (m->has_pred && !ring_peer_bound(n, &m->pred))
        return false;
    for (unsigned i = 0; i < m->npeers; i++) {
        if (!ring_peer_bound(n, &m->peers[i]))
            return false;
    }
    return true;
}

/* A record's own claims, before any store is consulted. Returns 0 or the
 * counter to charge. */
static uint64_t *trust_rec(struct ring_node *n, const ring_wrec *w)
{
    if (!ring_peer_bound(n, &w->host))
        return &n->stats.recs_bad_host;
    if (w->seq > RING_SEQ_MAX)
        return &n->stats.recs_bad_seq;
    if ((uint64_t)w->ttl_ms * 1000000 > n->cfg.record_ttl_ns)
        return &n->stats.recs_bad_ttl;
    return NULL;
}

bool ring_trust_msg(struct ring_node *n, const ring_peer *from, ring_msg *m)
{
    unsigned k = 0;

    if (!trust_peers(n, from, m)) {
        n->stats.msgs_bad_host++;
        return false;
    }
    for (unsigned i = 0; i < m->nrecs; i++) {
        uint64_t *bad = trust_rec(n, &m->recs[i]);

        if (bad) {
            (*bad)++;
            continue;
        }
        if (k != i)
            m->recs[k] = m->recs[i];
        k++;
    }
    /* A STORE is its one record: without it there is nothing to answer. */
    if (m->type == RING_MSG_FIND_REQ && m->op == RING_OP_STORE && k != m->nrecs)
        return false;
    m->nrecs = (uint8_t)k;
    return true;
}
