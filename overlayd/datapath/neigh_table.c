/* SPDX-License-Identifier: GPL-2.0-only */
/* One enclave's IP -> MAC bindings. See neigh.h. */
#include "overlayd/datapath/neigh.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

struct neigh_table {
    struct neigh_entry *e;
    uint32_t *bucket;                   /* index + 1, 0 = empty */
    size_t max, nbuckets, count;        /* nbuckets: a power of two */
    uint32_t free_head;                 /* index + 1, chained via next */
    uint32_t lru_head, lru_tail;        /* learned entries, oldest first */
    uint64_t seed;
};

int neigh_table_new(size_t max, uint64_t seed, struct neigh_table **out)
{
    struct neigh_table *t;

    if (max == 0 || max > UINT32_MAX / 4)
        return -EINVAL;
    t = calloc(1, sizeof(*t));
    if (!t)
        return -ENOMEM;
    t->max = max;
    t->nbuckets = 16;
    while (t->nbuckets < max * 2)
        t->nbuckets *= 2;
    t->e = calloc(max, sizeof(*t->e));
    t->bucket = calloc(t->nbuckets, sizeof(*t->bucket));
    if (!t->e || !t->bucket) {
        neigh_table_free(t);
        return -ENOMEM;
    }
    for (size_t i = 0; i < max; i++)
        t->e[i].next = i + 1 < max ? (uint32_t)(i + 2) : 0;
    t->free_head = 1;
    t->seed = seed;
    *out = t;
    return 0;
}

void neigh_table_free(struct neigh_table *t)
{
    if (!t)
        return;
    free(t->e);
    free(t->bucket);
    free(t);
}

/* Keyed, so guests cannot aim many addresses at one chain. */
static size_t neigh_hash(const struct neigh_table *t, const struct neigh_ip *ip)
{
    uint64_t h = t->seed ^ 0x9e3779b97f4a7c15ull ^ ip->family;

    for (int i = 0; i < 16; i++) {
        h ^= ip->ip[i];
        h *= 0x100000001b3ull;
    }
    h ^= h >> 29;
    h *= 0xbf58476d1ce4e5b9ull;
    h ^= h >> 32;
    return (size_t)(h & (t->nbuckets - 1));
}

static bool neigh_ip_eq(const struct neigh_ip *a, const struct neigh_ip *b)
{
    return a->family == b->family && memcmp(a->ip, b->ip, 16) == 0;
}

static struct neigh_entry *neigh_find(const struct neigh_table *t, const struct neigh_ip *ip)
{
    uint32_t i = t->bucket[neigh_hash(t, ip)];

    while (i) {
        struct neigh_entry *x = &t->e[i - 1];

        if (neigh_ip_eq(&x->ip, ip))
            return x;
        i = x->next;
    }
    return NULL;
}

const struct neigh_entry *neigh_lookup(const struct neigh_table *t, const struct neigh_ip *ip)
{
    return neigh_find(t, ip);
}

static uint32_t neigh_idx(const struct neigh_table *t, const struct neigh_entry *x)
{
    return (uint32_t)(x - t->e) + 1;
}

static void lru_unlink(struct neigh_table *t, struct neigh_entry *x)
{
    if (x->lru_prev)
        t->e[x->lru_prev - 1].lru_next = x->lru_next;
    else
        t->lru_head = x->lru_next;
    if (x->lru_next)
        t->e[x->lru_next - 1].lru_prev = x->lru_prev;
    else
        t->lru_tail = x->lru_prev;
    x->lru_prev = x->lru_next = 0;
}

static void lru_push(struct neigh_table *t, struct neigh_entry *x)
{
    uint32_t i = neigh_idx(t, x);

    x->lru_prev = t->lru_tail;
    x->lru_next = 0;
    if (t->lru_tail)
        t->e[t->lru_tail - 1].lru_next = i;
    else
        t->lru_head = i;
    t->lru_tail = i;
}

static void neigh_remove(struct neigh_table *t, struct neigh_entry *x)
{
    uint32_t i = neigh_idx(t, x), *pp = &t->bucket[neigh_hash(t, &x->ip)];

    while (*pp != i)
        pp = &t->e[*pp - 1].next;
    *pp = x->next;
    if (!x->is_static)
        lru_unlink(t, x);
    memset(x, 0, sizeof(*x));
    x->next = t->free_head;
    t->free_head = i;
    t->count--;
}

/* A free entry for @ip, evicting the oldest learned one when full. */
static struct neigh_entry *neigh_alloc(struct neigh_table *t, const struct neigh_ip *ip)
{
    struct neigh_entry *x;
    size_t h;

    if (!t->free_head) {
        if (!t->lru_head)
            return NULL;
        neigh_remove(t, &t->e[t->lru_head - 1]);
    }
    x = &t->e[t->free_head - 1];
    t->free_head = x->next;
    memset(x, 0, sizeof(*x));
    x->used = true;
    x->ip = *ip;
    h = neigh_hash(t, ip);
    x->next = t->bucket[h];
    t->bucket[h] = neigh_idx(t, x);
    t->count++;
    return x;
}

/* A learned entry for @ip (found or made, at the young end of the LRU
 * list), its sequence number moved on when @mac replaces another MAC. */
static struct neigh_entry *neigh_take(struct neigh_table *t, struct neigh_entry *x,
                                      const struct neigh_ip *ip, const uint8_t mac[6],
                                      uint64_t now)
{
    if (x) {
        lru_unlink(t, x);
        if (memcmp(x->mac, mac, 6) != 0)
            x->seq++;
    } else {
        x = neigh_alloc(t, ip);
        if (!x)
            return NULL;
    }
    memcpy(x->mac, mac, 6);
    x->last_seen = now;
    lru_push(t, x);
    return x;
}

int neigh_learn(struct neigh_table *t, const struct neigh_ip *ip, const uint8_t mac[6],
                uint64_t now)
{
    struct neigh_entry *x = neigh_find(t, ip);
    /* The same binding moved to a guest of ours from another host's (a
     * migration): our record must win over that host's. */
    bool moved_here = x && x->origin == NEIGH_ORIGIN_RING && memcmp(x->mac, mac, 6) == 0;

    if (x && x->is_static)
        return -EPERM;
    x = neigh_take(t, x, ip, mac, now);
    if (!x)
        return -ENOSPC;
    if (moved_here)
        x->seq++;
    x->origin = NEIGH_ORIGIN_LOCAL;
    return 0;
}

int neigh_learn_ring(struct neigh_table *t, const struct neigh_ip *ip, const uint8_t mac[6],
                     uint64_t seq, uint64_t now)
{
    static const uint8_t zero[6];
    struct neigh_entry *x;

    if ((mac[0] & 1) || memcmp(mac, zero, 6) == 0 || !neigh_ip_unicast(ip))
        return -EINVAL;
    x = neigh_find(t, ip);
    if (x && x->is_static)
        return -EPERM;
    /* Our own guest is the better witness of its address; its binding is
     * the one we publish, and the ring's will follow it. */
    if (x && x->origin == NEIGH_ORIGIN_LOCAL)
        return -EEXIST;
    x = neigh_take(t, x, ip, mac, now);
    if (!x)
        return -ENOSPC;
    x->origin = NEIGH_ORIGIN_RING;
    x->seq = seq;
    return 0;
}

const struct neigh_entry *neigh_at(const struct neigh_table *t, size_t i)
{
    return i < t->max && t->e[i].used ? &t->e[i] : NULL;
}

size_t neigh_capacity(const struct neigh_table *t)
{
    return t->max;
}

int neigh_set_static(struct neigh_table *t, const struct neigh_ip *ip, const uint8_t mac[6])
{
    struct neigh_entry *x = neigh_find(t, ip);

    if (x && !x->is_static)
        lru_unlink(t, x);
    if (!x) {
        x = neigh_alloc(t, ip);
        if (!x)
            return -ENOSPC;
    }
    x->is_static = true;
    x->origin = NEIGH_ORIGIN_STATIC;
    x->seq = 0;
    x->last_seen = 0;
    memcpy(x->mac, mac, 6);
    return 0;
}

int neigh_set_static_text(struct neigh_table *t, const char *address, const uint8_t mac[6])
{
    char buf[64];
    const char *slash = strchr(address, '/');
    size_t n = slash ? (size_t)(slash - address) : strlen(address);
    struct neigh_ip ip = { 0 };

    if (n >= sizeof(buf))
        return -EINVAL;
    memcpy(buf, address, n);
    buf[n] = '\0';
    if (inet_pton(AF_INET, buf, ip.ip) == 1)
        ip.family = 4;
    else if (inet_pton(AF_INET6, buf, ip.ip) == 1)
        ip.family = 6;
    else
        return -EINVAL;
    return neigh_set_static(t, &ip, mac);
}

void neigh_clear_static(struct neigh_table *t)
{
    for (size_t i = 0; i < t->max; i++)
        if (t->e[i].used && t->e[i].is_static)
            neigh_remove(t, &t->e[i]);
}

size_t neigh_age(struct neigh_table *t, uint64_t now, uint64_t max_age_ns)
{
    size_t n = 0;

    /* The LRU list is in last-seen order: stop at the first fresh one. */
    while (t->lru_head) {
        struct neigh_entry *x = &t->e[t->lru_head - 1];

        if (now < x->last_seen || now - x->last_seen <= max_age_ns)
            break;
        neigh_remove(t, x);
        n++;
    }
    return n;
}

size_t neigh_age_ring(struct neigh_table *t, uint64_t now, uint64_t max_age_ns)
{
    size_t n = 0;

    for (size_t i = 0; i < t->max; i++) {
        struct neigh_entry *x = &t->e[i];

        if (x->used && x->origin == NEIGH_ORIGIN_RING && now >= x->last_seen &&
            now - x->last_seen > max_age_ns) {
            neigh_remove(t, x);
            n++;
        }
    }
    return n;
}

size_t neigh_count(const struct neigh_table *t)
{
    return t->count;
}
