/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Location store: records held for the ring (this host's own
 * publications and gets are in publish.c).
 *
 * The records of enclave E for key k live at the E-owner: the first host
 * at or after successor(k), clockwise, that may carry E (cb.may_carry);
 * a host never stores, hands out or accepts records of an enclave it may
 * not carry, and never even sends one a record of it. The E-owner
 * replicates by chain: one RECS with "copies remaining" r - 1 to the
 * first host after it that may carry E; a carrier stores and passes the
 * record on with one copy less, so replicas land on the next r - 1
 * carriers. The next carrier is successor[0] when that may carry E (always
 * without a carry policy); otherwise a probe-only lookup of self + 1 finds
 * it (lookup.c), so records never pass through non-carriers. A non-carrier
 * that still gets a RECS (stale policy) drops it. A hop limit (ttl) and the
 * originator's id stop the chain on rings with few carriers.
 *
 * Conflicts between records of the same identity follow EVPN MAC
 * mobility (RFC 7432 §15): the higher sequence number wins; on equal
 * sequence numbers the lower host id wins. Records expire record_ttl
 * after their last refresh; owners refresh every refresh_ns, which also
 * repairs replica sets after joins and failures. Lookups scan linearly:
 * a node holds about r × (records per host).
 *
 * Against a hostile admitted host (trust.c has the message-level checks):
 * a RECS record is taken only from a host that may carry its enclave; a
 * record may lead the one held by at most RING_SEQ_AHEAD; new records
 * stop at cfg.quota_host per publisher, quota_enclave per enclave and
 * quota_total in all (recs_quota).
 */
#include "routing/node_priv.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

bool ring_may_carry(const struct ring_node *n, const ring_id *host, uint32_t enclave)
{
    return !n->cb.may_carry || n->cb.may_carry(n->cb.ctx, host, enclave);
}

/* Forwards a RECS chain may take: enough to pass r carriers separated by
 * as many non-carriers, plus slack for churn; a ring with fewer carriers
 * stops at the originator long before. */
static uint8_t recs_ttl(const struct ring_node *n)
{
    return (uint8_t)(2 * n->cfg.nsucc + 4);
}

void ring_record_key(ring_id *out, const ring_record *r)
{
    if (r->type == RING_REC_MAC)
        ring_key_mac(out, r->enclave, r->mac);
    else if (r->type == RING_REC_IP)
        ring_key_ip(out, r->enclave, &r->ip);
    else
        ring_key_member(out, r->enclave);
}

static bool same_identity(const ring_record *a, const ring_record *b)
{
    if (a->type != b->type || a->enclave != b->enclave)
        return false;
    if (a->type == RING_REC_MAC)
        return memcmp(a->mac, b->mac, 6) == 0;
    /* One binding per address: the MAC is what the conflict rule decides. */
    if (a->type == RING_REC_IP)
        return ring_ip_eq(&a->ip, &b->ip);
    return ring_id_eq(&a->host.id, &b->host.id);
}

bool ring_record_wins(const ring_record *cand, const ring_record *cur)
{
    int c;

    if (cand->seq != cur->seq)
        return cand->seq > cur->seq;
    c = ring_id_cmp(&cand->host.id, &cur->host.id);
    return c <= 0;      /* lower host id wins; the same host refreshes */
}

/* Replace the held record @s with @r if the conflict rule says so. */
static int store_replace(struct ring_node *n, struct ring_srec *s, const ring_record *r)
{
    if (s->r.expires <= n->now) {
        s->r = *r;      /* an expired record loses to anything */
        return 0;
    }
    /* A record far ahead of the one held would win every later conflict
     * for as many moves: an honest MAC moves one step at a time. */
    if (r->seq > s->r.seq + RING_SEQ_AHEAD) {
        n->stats.recs_bad_seq++;
        return -ERANGE;
    }
    if (!ring_record_wins(r, &s->r))
        return 1;
    if (ring_peer_eq(&s->r.host, &r->host) && s->r.seq == r->seq &&
        s->r.expires > r->expires)
        return 0;       /* an older copy of the same record: keep the later expiry */
    s->r = *r;
    return 0;
}

/* Room for one more identity, by publisher, by enclave and in total? */
static bool store_room(struct ring_node *n, size_t by_host, size_t by_enclave)
{
    if (by_host < n->cfg.quota_host && by_enclave < n->cfg.quota_enclave &&
        n->nrecs < n->cfg.quota_total)
        return true;
    n->stats.recs_quota++;
    return false;
}

int ring_store_put(struct ring_node *n, const ring_record *r)
{
    size_t by_host = 0, by_enclave = 0;

    if (r->type != RING_REC_MAC && r->type != RING_REC_MEMBER && r->type != RING_REC_IP)
        return -1;
    if (r->type == RING_REC_IP && !ring_ip_valid(&r->ip))
        return -1;
    if (!ring_may_carry(n, &n->self.id, r->enclave))
        return -1;      /* never hold another enclave's records */
    if (r->expires <= n->now)
        return 1;
    if (r->seq > RING_SEQ_MAX) {
        n->stats.recs_bad_seq++;    /* our own publication, or a caller's */
        return -ERANGE;
    }
    for (size_t i = 0; i < n->nrecs; i++) {
        struct ring_srec *s = &n->recs[i];

        if (same_identity(&s->r, r))
            return store_replace(n, s, r);
        /* Counted in the same pass: the quotas below need no second scan.
         * Expired records wait for the sweep and no longer count. */
        if (s->r.expires <= n->now)
            continue;
        by_host += ring_id_eq(&s->r.host.id, &r->host.id);
        by_enclave += s->r.enclave == r->enclave;
    }
    if (!store_room(n, by_host, by_enclave))
        return -ENOSPC;
    if (n->nrecs == n->caprecs) {
        size_t cap = n->caprecs ? n->caprecs * 2 : 4;
        struct ring_srec *p = realloc(n->recs, cap * sizeof(*p));

        if (!p)
            return -1;
        n->recs = p;
        n->caprecs = cap;
    }
    n->recs[n->nrecs].r = *r;
    ring_record_key(&n->recs[n->nrecs].key, r);
    n->nrecs++;
    return 0;
}

/* Ring distance either way round: how near @a lies to @b. */
static void store_near_dist(ring_id *out, const ring_id *a, const ring_id *b)
{
    ring_id cw, ccw;

    ring_id_dist(&cw, b, a);
    ring_id_dist(&ccw, a, b);
    *out = ring_id_cmp(&cw, &ccw) < 0 ? cw : ccw;
}

/* Keep in @out (sorted by distance, at most @max) the members nearest @near. */
static unsigned store_near_insert(ring_wrec *out, ring_id *dist, unsigned k, unsigned max,
                                  const ring_record *r, const ring_id *near, uint64_t now)
{
    ring_id d;
    unsigned i;

    store_near_dist(&d, &r->host.id, near);
    if (k == max && ring_id_cmp(&d, &dist[k - 1]) >= 0)
        return k;
    if (k < max)
        k++;
    for (i = k - 1; i > 0 && ring_id_cmp(&d, &dist[i - 1]) < 0; i--) {
        out[i] = out[i - 1];
        dist[i] = dist[i - 1];
    }
    ring_wrec_from(&out[i], r, now);
    dist[i] = d;
    return k;
}

unsigned ring_store_find(const struct ring_node *n, uint8_t type, uint32_t enclave,
                         const uint8_t mac[6], const ring_ip *ip, const ring_id *near,
                         ring_wrec *out, unsigned max, uint64_t now)
{
    ring_id dist[RING_MSG_RECS_MAX];
    unsigned k = 0;

    if (max > RING_MSG_RECS_MAX)
        max = RING_MSG_RECS_MAX;
    /* Held from before a policy change: still never handed out. */
    if (!ring_may_carry(n, &n->self.id, enclave) || !max)
        return 0;
    for (size_t i = 0; i < n->nrecs; i++) {
        const ring_record *r = &n->recs[i].r;

        if (r->type != type || r->enclave != enclave || r->expires <= now)
            continue;
        if (type == RING_REC_MAC && memcmp(r->mac, mac, 6) != 0)
            continue;
        if (type == RING_REC_IP && !ring_ip_eq(&r->ip, ip))
            continue;
        /* An enclave's members can outnumber a message: the asker gets
         * those nearest it on the ring, its enclave neighbours among them. */
        if (near && type == RING_REC_MEMBER) {
            k = store_near_insert(out, dist, k, max, r, near, now);
        } else if (k < max) {
            ring_wrec_from(&out[k++], r, now);
        }
    }
    return k;
}

void ring_store_expire(struct ring_node *n, uint64_t now)
{
    size_t k = 0;

    for (size_t i = 0; i < n->nrecs; i++) {
        const ring_record *r = &n->recs[i].r;

        /* The carry policy may have shrunk (new certificate): drop those too. */
        if (r->expires > now && ring_may_carry(n, &n->self.id, r->enclave))
            n->recs[k++] = n->recs[i];
    }
    n->nrecs = k;
}

void ring_wrec_from(ring_wrec *w, const ring_record *r, uint64_t now)
{
    uint64_t left = r->expires > now ? (r->expires - now) / 1000000 : 0;

    w->type = r->type;
    memcpy(w->mac, r->mac, 6);
    w->enclave = r->enclave;
    w->ip = r->ip;
    w->host = r->host;
    w->seq = r->seq;
    w->ttl_ms = left > UINT32_MAX ? UINT32_MAX : (uint32_t)left;
}

void ring_record_from(ring_record *r, const ring_wrec *w, uint64_t now)
{
    r->type = w->type;
    memcpy(r->mac, w->mac, 6);
    r->enclave = w->enclave;
    r->ip = w->ip;
    r->host = w->host;
    r->seq = w->seq;
    r->expires = now + (uint64_t)w->ttl_ms * 1000000;
}

static void send_batch(struct ring_node *n, const ring_peer *to, ring_msg *m)
{
    if (m->nrecs) {
        ring_send(n, to, m);
        m->nrecs = 0;
    }
}

/* Hand-off target of @enclave: the first successor (starting at @to,
 * normally successor[0]) that may carry it; -1 if none does (the records
 * are dropped: the remaining replicas and the owner's refresh restore them). */
static int handoff_dest(const struct ring_node *n, const ring_peer *to, uint32_t enclave)
{
    if (ring_may_carry(n, &to->id, enclave))
        return 0;
    for (unsigned i = 0; i < n->nsucc; i++) {
        if (ring_is_self(n, &n->succ[i].id))
            break;
        if (!ring_id_eq(&n->succ[i].id, &to->id) &&
            ring_may_carry(n, &n->succ[i].id, enclave))
            return (int)i + 1;
    }
    return -1;
}

static void store_send_one(struct ring_node *n, uint64_t now, const ring_peer *to,
                           const ring_peer *first, const ring_id *lo, const ring_id *hi,
                           bool all, uint8_t flags, int dest)
{
    ring_msg *m = calloc(1, sizeof(*m));
    bool handoff = flags == RING_RECS_HANDOFF;

    if (!m)
        return;
    m->type = RING_MSG_RECS;
    m->rflags = flags;
    m->origin = n->self.id;
    if (handoff) {
        /* Leave: @to (or the first carrier after it) takes our place in
         * every chain and restores r copies from there. We keep nothing:
         * the node is gone once this returns. */
        m->copies = (uint8_t)n->cfg.nsucc;
        m->ttl = recs_ttl(n);
    } else {
        /* New predecessor: it becomes E-owner or chain member for these
         * keys; it only stores, it does not forward (ttl 0). We keep our
         * copies: for enclaves it may not carry we stay E-owner, and for
         * the others we remain one of the next carriers (a replica) or an
         * extra copy that ages out, as no owner refreshes it any more. */
        m->copies = 1;
        m->ttl = 0;
    }
    for (size_t i = 0; i < n->nrecs; i++) {
        const struct ring_srec *s = &n->recs[i];

        if (s->r.expires <= now || (!all && ring_id_in_oc(&s->key, lo, hi)))
            continue;
        /* Never show a host records of an enclave it may not carry. */
        if (!handoff && !ring_may_carry(n, &to->id, s->r.enclave))
            continue;
        if (handoff && handoff_dest(n, first, s->r.enclave) != dest)
            continue;
        ring_wrec_from(&m->recs[m->nrecs++], &s->r, now);
        if (m->nrecs == RING_MSG_RECS_MAX)
            send_batch(n, to, m);
    }
    send_batch(n, to, m);
    free(m);
}

void ring_store_send(struct ring_node *n, uint64_t now, const ring_peer *to,
                     const ring_id *lo, const ring_id *hi, bool all, uint8_t flags)
{
    if (flags != RING_RECS_HANDOFF) {
        store_send_one(n, now, to, to, lo, hi, all, flags, 0);
        return;
    }
    /* Leave: we cannot run lookups any more, so each enclave's records go
     * to the first of @to and our successors that may carry it. */
    store_send_one(n, now, to, to, lo, hi, all, flags, 0);
    for (unsigned i = 0; i < n->nsucc && !ring_is_self(n, &n->succ[i].id); i++) {
        if (!ring_id_eq(&n->succ[i].id, &to->id))
            store_send_one(n, now, &n->succ[i], to, lo, hi, all, flags, (int)i + 1);
    }
}

void ring_store_chain_send(struct ring_node *n, uint64_t now, const ring_peer *to,
                           const ring_record *rec, uint8_t rflags, uint8_t copies,
                           uint8_t ttl, const ring_id *origin)
{
    ring_msg m;

    if (!copies || !ring_may_carry(n, &to->id, rec->enclave))
        return;
    memset(&m, 0, sizeof(m));
    m.type = RING_MSG_RECS;
    m.rflags = rflags;
    m.copies = copies;
    m.ttl = ttl;
    m.origin = *origin;
    m.nrecs = 1;
    ring_wrec_from(&m.recs[0], rec, now);
    ring_send(n, to, &m);
}

void ring_store_replicate(struct ring_node *n, uint64_t now, const ring_record *r)
{
    ring_msg m;

    if (n->cfg.nsucc < 2 || ring_is_self(n, &n->succ[0].id))
        return;
    if (!ring_may_carry(n, &n->succ[0].id, r->enclave)) {
        ring_op_start_replica(n, now, r, RING_RECS_REPLICA, (uint8_t)(n->cfg.nsucc - 1),
                              recs_ttl(n), &n->self.id);
        return;
    }
    memset(&m, 0, sizeof(m));
    m.type = RING_MSG_RECS;
    m.rflags = RING_RECS_REPLICA;
    m.copies = (uint8_t)(n->cfg.nsucc - 1);
    m.ttl = recs_ttl(n);
    m.origin = n->self.id;
    m.nrecs = 1;
    ring_wrec_from(&m.recs[0], r, now);
    ring_send(n, &n->succ[0], &m);
}

/* Pass the records of @in selected by @pick on to the next carrier of
 * each: our successor[0] if it may carry the enclave, else the one a
 * replica lookup finds. */
static void recs_forward(struct ring_node *n, uint64_t now, const ring_msg *in,
                         const bool *pick, uint8_t copies)
{
    ring_msg *m;

    if (!copies || !in->ttl || ring_is_self(n, &n->succ[0].id) ||
        ring_id_eq(&n->succ[0].id, &in->origin))
        return;     /* done, out of hops, alone, or back at the originator */
    m = calloc(1, sizeof(*m));
    if (!m)
        return;
    m->type = RING_MSG_RECS;
    m->rflags = in->rflags;
    m->copies = copies;
    m->ttl = (uint8_t)(in->ttl - 1);
    m->origin = in->origin;
    for (unsigned i = 0; i < in->nrecs; i++) {
        ring_record r;

        if (!pick[i])
            continue;
        if (ring_may_carry(n, &n->succ[0].id, in->recs[i].enclave)) {
            m->recs[m->nrecs++] = in->recs[i];
            continue;
        }
        ring_record_from(&r, &in->recs[i], now);
        ring_op_start_replica(n, now, &r, in->rflags, copies, m->ttl, &in->origin);
    }
    send_batch(n, &n->succ[0], m);
    free(m);
}

void ring_store_on_recs(struct ring_node *n, uint64_t now, const ring_peer *from,
                        const ring_msg *m)
{
    bool stored[RING_MSG_RECS_MAX];

    if (n->state != RING_ACTIVE || ring_is_self(n, &m->origin))
        return;     /* a chain that came all the way round holds nothing new */
    for (unsigned i = 0; i < m->nrecs; i++) {
        ring_record r;

        stored[i] = false;
        ring_record_from(&r, &m->recs[i], now);
        /* Replicas of E come from hosts that hold E's records, i.e. may
         * carry E; anyone else is forging them. */
        if (!ring_may_carry(n, &from->id, r.enclave)) {
            n->stats.recs_from_noncarrier++;
            continue;
        }
        /* Replicas come from other ring members, not from the host; the
         * carry policy still applies to whatever they name. */
        if (!ring_may_carry(n, &r.host.id, r.enclave)) {
            n->stats.stores_rejected++;
            continue;
        }
        /* Not ours to hold, and not ours to pass on: the sender knew an
         * older policy. Its lookup of the next carrier will find the right
         * host when the policies agree again (next refresh). */
        if (!ring_may_carry(n, &n->self.id, r.enclave))
            continue;
        /* Stored or not (a newer record may win here), we are one of the
         * copies; the rest of the chain still needs the record. A record
         * refused for its sequence number or a full quota goes no further:
         * a flood stops at the first host it reaches. */
        stored[i] = ring_store_put(n, &r) >= 0;
    }
    recs_forward(n, now, m, stored, (uint8_t)(m->copies - 1));
}

size_t ring_node_nrecords(const struct ring_node *n)
{
    return n->nrecs;
}

const ring_record *ring_node_record(const struct ring_node *n, size_t i)
{
    return i < n->nrecs ? &n->recs[i].r : NULL;
}
