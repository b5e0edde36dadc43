/* SPDX-License-Identifier: GPL-2.0-only */
#include "routing/wire.h"

#include <errno.h>
#include <string.h>

struct wbuf {
    uint8_t *p;
    size_t len, cap;
    int err;
};

static void put(struct wbuf *w, const void *d, size_t n)
{
    if (w->err || w->cap - w->len < n) {
        w->err = -EMSGSIZE;
        return;
    }
    memcpy(w->p + w->len, d, n);
    w->len += n;
}

static void put8(struct wbuf *w, uint8_t v)
{
    put(w, &v, 1);
}

static void put_be(struct wbuf *w, uint64_t v, int bytes)
{
    uint8_t b[8];

    for (int i = bytes - 1; i >= 0; i--) {
        b[i] = (uint8_t)v;
        v >>= 8;
    }
    put(w, b, (size_t)bytes);
}

static void put_peer(struct wbuf *w, const ring_peer *p)
{
    put(w, p->id.b, RING_ID_LEN);
    put(w, p->pub, RING_PUB_LEN);
    put8(w, p->ep.family);
    put_be(w, p->ep.port, 2);
    put(w, p->ep.addr, 16);
}

static void put_ip(struct wbuf *w, const ring_ip *ip)
{
    if (!ring_ip_valid(ip)) {
        w->err = -EINVAL;
        return;
    }
    put8(w, ip->family);
    put(w, ip->addr, 16);
}

static void put_rec(struct wbuf *w, const ring_wrec *r)
{
    if (r->type < RING_REC_MAC || r->type > RING_REC_IP) {
        w->err = -EINVAL;
        return;
    }
    put8(w, r->type);
    put_be(w, r->enclave, 4);
    put(w, r->mac, 6);
    put_peer(w, &r->host);
    put_be(w, r->seq, 8);
    put_be(w, r->ttl_ms, 4);
    if (r->type == RING_REC_IP)
        put_ip(w, &r->ip);
}

static void put_peers(struct wbuf *w, const ring_msg *m)
{
    if (m->npeers > RING_SUCC_MAX) {
        w->err = -EINVAL;
        return;
    }
    put8(w, m->npeers);
    for (unsigned i = 0; i < m->npeers; i++)
        put_peer(w, &m->peers[i]);
}

static void put_recs(struct wbuf *w, const ring_msg *m)
{
    if (m->nrecs > RING_MSG_RECS_MAX) {
        w->err = -EINVAL;
        return;
    }
    put8(w, m->nrecs);
    for (unsigned i = 0; i < m->nrecs; i++)
        put_rec(w, &m->recs[i]);
}

static void put_opt_pred(struct wbuf *w, const ring_msg *m)
{
    put8(w, m->has_pred ? 1 : 0);
    if (m->has_pred)
        put_peer(w, &m->pred);
}

int ring_wire_encode(const ring_msg *m, uint8_t *buf, size_t cap)
{
    struct wbuf w = { .p = buf, .cap = cap };

    put8(&w, RING_WIRE_VERSION);
    put8(&w, m->type);
    switch (m->type) {
    case RING_MSG_FIND_REQ:
        put_be(&w, m->rid, 8);
        put(&w, m->key.b, RING_ID_LEN);
        put8(&w, m->op);
        put8(&w, m->flags);
        put(&w, m->suspect.b, RING_ID_LEN);
        if (m->op == RING_OP_GET_MAC || m->op == RING_OP_GET_MEMBERS ||
            m->op == RING_OP_PROBE || m->op == RING_OP_GET_IP)
            put_be(&w, m->enclave, 4);
        if (m->op == RING_OP_GET_MAC)
            put(&w, m->mac, 6);
        if (m->op == RING_OP_GET_IP)
            put_ip(&w, &m->ip);
        if (m->op == RING_OP_STORE)
            put_rec(&w, &m->recs[0]);
        else if (m->op > RING_OP_GET_IP)
            return -EINVAL;
        break;
    case RING_MSG_FIND_RESP:
        put_be(&w, m->rid, 8);
        put8(&w, m->code);
        put8(&w, m->status);
        put_peers(&w, m);
        put_recs(&w, m);
        break;
    case RING_MSG_STATE_REQ:
    case RING_MSG_PING:
    case RING_MSG_PONG:
        put_be(&w, m->rid, 8);
        break;
    case RING_MSG_STATE_RESP:
        put_be(&w, m->rid, 8);
        put_opt_pred(&w, m);
        put_peers(&w, m);
        break;
    case RING_MSG_NOTIFY:
        break;
    case RING_MSG_LEAVE:
        put_opt_pred(&w, m);
        put_peers(&w, m);
        break;
    case RING_MSG_RECS:
        if (m->rflags > RING_RECS_HANDOFF || m->copies < 1 || m->copies > RING_SUCC_MAX ||
            m->ttl > RING_RECS_TTL_MAX)
            return -EINVAL;
        put8(&w, m->rflags);
        put8(&w, m->copies);
        put8(&w, m->ttl);
        put(&w, m->origin.b, RING_ID_LEN);
        put_recs(&w, m);
        break;
    case RING_MSG_UNITY_REQ:
        put_be(&w, m->rid, 8);
        put(&w, m->key.b, RING_ID_LEN);
        break;
    case RING_MSG_UNITY_RESP:
        put_be(&w, m->rid, 8);
        put_peers(&w, m);
        break;
    case RING_MSG_ZIP:
        if (m->hops > RING_ZIP_HOPS || m->npeers != 1)
            return -EINVAL;
        put_be(&w, m->hops, 2);
        put_peer(&w, &m->peers[0]);
        break;
    default:
        return -EINVAL;
    }
    return w.err ? w.err : (int)w.len;
}

struct rbuf {
    const uint8_t *p;
    size_t len, off;
    int err;
};

static const uint8_t *get(struct rbuf *r, size_t n)
{
    if (r->err || r->len - r->off < n) {
        r->err = -EBADMSG;
        return NULL;
    }
    r->off += n;
    return r->p + r->off - n;
}

static void get_into(struct rbuf *r, void *d, size_t n)
{
    const uint8_t *s = get(r, n);

    if (s)
        memcpy(d, s, n);
    else
        memset(d, 0, n);
}

static uint64_t get_be(struct rbuf *r, int bytes)
{
    const uint8_t *s = get(r, (size_t)bytes);
    uint64_t v = 0;

    for (int i = 0; s && i < bytes; i++)
        v = v << 8 | s[i];
    return v;
}

static void get_peer(struct rbuf *r, ring_peer *p)
{
    get_into(r, p->id.b, RING_ID_LEN);
    get_into(r, p->pub, RING_PUB_LEN);
    p->ep.family = (uint8_t)get_be(r, 1);
    p->ep.reserved = 0;
    p->ep.port = (uint16_t)get_be(r, 2);
    get_into(r, p->ep.addr, 16);
    if (p->ep.family != 0 && p->ep.family != 4 && p->ep.family != 6)
        r->err = -EBADMSG;
}

/* Family 4 or 6 and, for IPv4, zero padding: one encoding per address. */
static void get_ip(struct rbuf *r, ring_ip *ip)
{
    ip->family = (uint8_t)get_be(r, 1);
    get_into(r, ip->addr, 16);
    if (!ring_ip_valid(ip))
        r->err = -EBADMSG;
}

static void get_rec(struct rbuf *r, ring_wrec *w)
{
    w->type = (uint8_t)get_be(r, 1);
    w->enclave = (uint32_t)get_be(r, 4);
    get_into(r, w->mac, 6);
    get_peer(r, &w->host);
    w->seq = get_be(r, 8);
    w->ttl_ms = (uint32_t)get_be(r, 4);
    memset(&w->ip, 0, sizeof(w->ip));
    if (w->type == RING_REC_IP)
        get_ip(r, &w->ip);
    else if (w->type != RING_REC_MAC && w->type != RING_REC_MEMBER)
        r->err = -EBADMSG;
}

static void get_peers(struct rbuf *r, ring_msg *m)
{
    m->npeers = (uint8_t)get_be(r, 1);
    if (m->npeers > RING_SUCC_MAX) {
        r->err = -EBADMSG;
        m->npeers = 0;
        return;
    }
    for (unsigned i = 0; i < m->npeers; i++)
        get_peer(r, &m->peers[i]);
}

static void get_recs(struct rbuf *r, ring_msg *m)
{
    m->nrecs = (uint8_t)get_be(r, 1);
    if (m->nrecs > RING_MSG_RECS_MAX) {
        r->err = -EBADMSG;
        m->nrecs = 0;
        return;
    }
    for (unsigned i = 0; i < m->nrecs; i++)
        get_rec(r, &m->recs[i]);
}

static void get_opt_pred(struct rbuf *r, ring_msg *m)
{
    m->has_pred = (uint8_t)get_be(r, 1);
    if (m->has_pred > 1)
        r->err = -EBADMSG;
    else if (m->has_pred)
        get_peer(r, &m->pred);
}

int ring_wire_decode(ring_msg *m, const uint8_t *buf, size_t len)
{
    struct rbuf r = { .p = buf, .len = len };

    m->npeers = 0;
    m->nrecs = 0;
    m->has_pred = 0;
    if (get_be(&r, 1) != RING_WIRE_VERSION)
        return -EBADMSG;
    m->type = (uint8_t)get_be(&r, 1);
    switch (m->type) {
    case RING_MSG_FIND_REQ:
        m->rid = get_be(&r, 8);
        get_into(&r, m->key.b, RING_ID_LEN);
        m->op = (uint8_t)get_be(&r, 1);
        m->flags = (uint8_t)get_be(&r, 1);
        get_into(&r, m->suspect.b, RING_ID_LEN);
        if (m->op == RING_OP_GET_MAC || m->op == RING_OP_GET_MEMBERS ||
            m->op == RING_OP_PROBE || m->op == RING_OP_GET_IP)
            m->enclave = (uint32_t)get_be(&r, 4);
        if (m->op == RING_OP_GET_MAC)
            get_into(&r, m->mac, 6);
        if (m->op == RING_OP_GET_IP)
            get_ip(&r, &m->ip);
        if (m->op == RING_OP_STORE) {
            get_rec(&r, &m->recs[0]);
            m->nrecs = 1;
        } else if (m->op > RING_OP_GET_IP) {
            return -EBADMSG;
        }
        break;
    case RING_MSG_FIND_RESP:
        m->rid = get_be(&r, 8);
        m->code = (uint8_t)get_be(&r, 1);
        m->status = (uint8_t)get_be(&r, 1);
        if (m->code > RING_FIND_DELEGATE)
            return -EBADMSG;
        get_peers(&r, m);
        get_recs(&r, m);
        break;
    case RING_MSG_STATE_REQ:
    case RING_MSG_PING:
    case RING_MSG_PONG:
        m->rid = get_be(&r, 8);
        break;
    case RING_MSG_STATE_RESP:
        m->rid = get_be(&r, 8);
        get_opt_pred(&r, m);
        get_peers(&r, m);
        break;
    case RING_MSG_NOTIFY:
        break;
    case RING_MSG_LEAVE:
        get_opt_pred(&r, m);
        get_peers(&r, m);
        break;
    case RING_MSG_RECS:
        m->rflags = (uint8_t)get_be(&r, 1);
        m->copies = (uint8_t)get_be(&r, 1);
        m->ttl = (uint8_t)get_be(&r, 1);
        get_into(&r, m->origin.b, RING_ID_LEN);
        if (m->rflags > RING_RECS_HANDOFF || m->copies < 1 || m->copies > RING_SUCC_MAX ||
            m->ttl > RING_RECS_TTL_MAX)
            return -EBADMSG;
        get_recs(&r, m);
        break;
    case RING_MSG_UNITY_REQ:
        m->rid = get_be(&r, 8);
        get_into(&r, m->key.b, RING_ID_LEN);
        break;
    case RING_MSG_UNITY_RESP:
        m->rid = get_be(&r, 8);
        get_peers(&r, m);
        break;
    case RING_MSG_ZIP:
        m->hops = (uint16_t)get_be(&r, 2);
        if (m->hops > RING_ZIP_HOPS)
            return -EBADMSG;
        get_peer(&r, &m->peers[0]);
        m->npeers = 1;
        break;
    default:
        return -EBADMSG;
    }
    if (r.err)
        return r.err;
    return r.off == len ? 0 : -EBADMSG;
}
