/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * This host's own records: what it publishes (and store.c's refresh
 * sends again every refresh_ns until unpublished) and the gets it starts.
 * Both ride on lookups (lookup.c) to the E-owner of the record's key,
 * which applies them (find.c). A sequence number above RING_SEQ_MAX is
 * refused here: every store would refuse it (trust.c).
 */
#include "routing/node_priv.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

static void pub_record(const struct ring_node *n, const struct ring_pub *p, uint64_t now,
                       ring_record *r)
{
    memset(r, 0, sizeof(*r));
    r->type = p->type;
    memcpy(r->mac, p->mac, 6);
    r->enclave = p->enclave;
    r->ip = p->ip;
    r->host = n->self;
    r->seq = p->seq;
    r->expires = now + n->cfg.record_ttl_ns;
}

static void pub_send(struct ring_node *n, uint64_t now, const struct ring_pub *p)
{
    ring_record r;
    ring_id key;

    pub_record(n, p, now, &r);
    ring_record_key(&key, &r);
    ring_op_start(n, now, RING_P_PUBLISH, &key, 0, &r, NULL);
}

void ring_pub_refresh_all(struct ring_node *n, uint64_t now)
{
    for (unsigned i = 0; i < n->npubs; i++)
        pub_send(n, now, &n->pubs[i]);
}

/* Is @p the publication of (@type, @enclave, @mac or @ip)? */
static bool pub_is(const struct ring_pub *p, uint8_t type, uint32_t enclave,
                   const uint8_t *mac, const ring_ip *ip)
{
    if (p->type != type || p->enclave != enclave)
        return false;
    if (type == RING_REC_MAC)
        return memcmp(p->mac, mac, 6) == 0;
    if (type == RING_REC_IP)
        return ring_ip_eq(&p->ip, ip);
    return true;
}

/* The index key: what pub_is compares. */
static uint64_t pub_hash(const struct ring_node *n, uint8_t type, uint32_t enclave,
                         const uint8_t *mac, const ring_ip *ip)
{
    uint8_t k[1 + 4 + 1 + 16];
    size_t len = 5;

    memset(k, 0, sizeof(k));
    k[0] = type;
    memcpy(k + 1, &enclave, 4);
    if (type == RING_REC_MAC) {
        memcpy(k + 5, mac, 6);
        len += 6;
    } else if (type == RING_REC_IP) {
        k[5] = ip->family;
        memcpy(k + 6, ip->addr, 16);
        len += 17;
    }
    return keyidx_hash(&n->pubidx, k, len);
}

static uint64_t pub_hash_of(const struct ring_node *n, const struct ring_pub *p)
{
    return pub_hash(n, p->type, p->enclave, p->mac, &p->ip);
}

struct pub_want {
    const struct ring_node *n;
    uint8_t type;
    uint32_t enclave;
    const uint8_t *mac;
    const ring_ip *ip;
};

static bool pub_want_eq(const void *ctx, uint32_t pos)
{
    const struct pub_want *w = ctx;

    return pub_is(&w->n->pubs[pos], w->type, w->enclave, w->mac, w->ip);
}

/* The index of the publication, or -1; *@h gets its hash. */
static long pub_find(const struct ring_node *n, uint8_t type, uint32_t enclave,
                     const uint8_t *mac, const ring_ip *ip, uint64_t *h)
{
    struct pub_want w = { n, type, enclave, mac, ip };

    *h = pub_hash(n, type, enclave, mac, ip);
    return keyidx_find(&n->pubidx, *h, pub_want_eq, &w);
}

static int publish(struct ring_node *n, uint64_t now, uint8_t type, uint32_t enclave,
                   const uint8_t mac[6], const ring_ip *ip, uint64_t seq)
{
    struct ring_pub *p = NULL;
    uint64_t h;
    long at;

    n->now = now;
    if (n->state != RING_ACTIVE)
        return RING_ERR_STATE;
    if (seq > RING_SEQ_MAX)
        return -ERANGE;     /* every store would refuse it (trust.c) */
    at = pub_find(n, type, enclave, mac, ip, &h);
    if (at >= 0)
        p = &n->pubs[at];
    if (!p) {
        if (n->npubs == n->cappubs) {
            unsigned cap = n->cappubs ? n->cappubs * 2 : 2;
            struct ring_pub *np = realloc(n->pubs, cap * sizeof(*np));

            if (!np)
                return -ENOMEM;
            n->pubs = np;
            n->cappubs = cap;
        }
        if (keyidx_add(&n->pubidx, h, n->npubs) < 0)
            return -ENOMEM;
        p = &n->pubs[n->npubs++];
        memset(p, 0, sizeof(*p));
        p->type = type;
        p->enclave = enclave;
        if (ip)
            p->ip = *ip;
    }
    /* A binding's MAC may change under the same key: the latest one goes. */
    if (mac)
        memcpy(p->mac, mac, 6);
    p->seq = seq;
    pub_send(n, now, p);
    return 0;
}

int ring_node_publish_mac(struct ring_node *n, uint64_t now, uint32_t enclave,
                          const uint8_t mac[6], uint64_t seq)
{
    return publish(n, now, RING_REC_MAC, enclave, mac, NULL, seq);
}

int ring_node_publish_member(struct ring_node *n, uint64_t now, uint32_t enclave)
{
    return publish(n, now, RING_REC_MEMBER, enclave, NULL, NULL, 0);
}

int ring_node_publish_ip(struct ring_node *n, uint64_t now, uint32_t enclave, const ring_ip *ip,
                         const uint8_t mac[6], uint64_t seq)
{
    if (!ring_ip_valid(ip))
        return -EINVAL;
    return publish(n, now, RING_REC_IP, enclave, mac, ip, seq);
}

static int unpublish(struct ring_node *n, uint8_t type, uint32_t enclave, const uint8_t *mac,
                     const ring_ip *ip)
{
    uint64_t h;
    long at = pub_find(n, type, enclave, mac, ip, &h);
    unsigned last;

    if (at < 0)
        return -ENOENT;
    keyidx_del(&n->pubidx, h, (uint32_t)at);
    last = --n->npubs;
    if ((unsigned)at != last) {
        keyidx_move(&n->pubidx, pub_hash_of(n, &n->pubs[last]), last, (uint32_t)at);
        n->pubs[at] = n->pubs[last];
    }
    return 0;
}

int ring_node_unpublish(struct ring_node *n, uint8_t type, uint32_t enclave,
                        const uint8_t mac[6])
{
    if (type == RING_REC_IP)
        return -EINVAL;     /* keyed by address: ring_node_unpublish_ip() */
    return unpublish(n, type, enclave, mac, NULL);
}

int ring_node_unpublish_ip(struct ring_node *n, uint32_t enclave, const ring_ip *ip)
{
    return unpublish(n, RING_REC_IP, enclave, NULL, ip);
}

static const uint8_t get_purpose[] = {
    [RING_REC_MAC] = RING_P_GET_MAC,
    [RING_REC_MEMBER] = RING_P_GET_MEMBERS,
    [RING_REC_IP] = RING_P_GET_IP,
};

static int get(struct ring_node *n, uint64_t now, uint8_t type, uint32_t enclave,
               const uint8_t mac[6], const ring_ip *ip, uint64_t cookie)
{
    ring_record r;
    ring_id key;

    n->now = now;
    if (n->state != RING_ACTIVE)
        return RING_ERR_STATE;
    memset(&r, 0, sizeof(r));
    r.type = type;
    r.enclave = enclave;
    if (mac)
        memcpy(r.mac, mac, 6);
    if (ip)
        r.ip = *ip;
    ring_record_key(&key, &r);
    return ring_op_start(n, now, get_purpose[type], &key, cookie, &r, NULL);
}

int ring_node_get_mac(struct ring_node *n, uint64_t now, uint32_t enclave,
                      const uint8_t mac[6], uint64_t cookie)
{
    return get(n, now, RING_REC_MAC, enclave, mac, NULL, cookie);
}

int ring_node_get_members(struct ring_node *n, uint64_t now, uint32_t enclave,
                          uint64_t cookie)
{
    return get(n, now, RING_REC_MEMBER, enclave, NULL, NULL, cookie);
}

int ring_node_get_ip(struct ring_node *n, uint64_t now, uint32_t enclave, const ring_ip *ip,
                     uint64_t cookie)
{
    if (!ring_ip_valid(ip))
        return -EINVAL;
    return get(n, now, RING_REC_IP, enclave, NULL, ip, cookie);
}
