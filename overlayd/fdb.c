/* SPDX-License-Identifier: GPL-2.0-only */
#include "overlayd/fdb.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

struct fdb {
    struct fdb_entry *e;
    uint32_t *bucket;                 /* index + 1, 0 = empty */
    size_t max;
    size_t nbuckets;                  /* power of two */
    size_t count;
    uint32_t free_head;               /* index + 1 of a free slot, chained via next */
    uint64_t seed;
};

int fdb_new(size_t max, uint64_t seed, struct fdb **out)
{
    struct fdb *f;

    if (max == 0 || max > UINT32_MAX / 4)
        return -EINVAL;
    f = calloc(1, sizeof(*f));
    if (!f)
        return -ENOMEM;
    f->max = max;
    f->nbuckets = 16;
    while (f->nbuckets < max * 2)
        f->nbuckets *= 2;
    f->e = calloc(max, sizeof(*f->e));
    f->bucket = calloc(f->nbuckets, sizeof(*f->bucket));
    if (!f->e || !f->bucket) {
        fdb_free(f);
        return -ENOMEM;
    }
    for (size_t i = 0; i < max; i++)
        f->e[i].next = i + 1 < max ? (uint32_t)(i + 2) : 0;
    f->free_head = 1;
    f->seed = seed;
    *out = f;
    return 0;
}

void fdb_free(struct fdb *f)
{
    if (!f)
        return;
    free(f->e);
    free(f->bucket);
    free(f);
}

/* Keyed mix so guests cannot aim many MACs at one chain. */
static size_t fdb_hash(const struct fdb *f, const uint8_t mac[6])
{
    uint64_t h = f->seed ^ 0x9e3779b97f4a7c15ull;

    for (int i = 0; i < 6; i++) {
        h ^= mac[i];
        h *= 0x100000001b3ull;
    }
    h ^= h >> 29;
    h *= 0xbf58476d1ce4e5b9ull;
    h ^= h >> 32;
    return (size_t)(h & (f->nbuckets - 1));
}

static struct fdb_entry *fdb_find(const struct fdb *f, const uint8_t mac[6])
{
    uint32_t i = f->bucket[fdb_hash(f, mac)];

    while (i) {
        struct fdb_entry *e = &f->e[i - 1];

        if (memcmp(e->mac, mac, 6) == 0)
            return e;
        i = e->next;
    }
    return NULL;
}

const struct fdb_entry *fdb_lookup(const struct fdb *f, const uint8_t mac[6])
{
    return fdb_find(f, mac);
}

static void fdb_unlink(struct fdb *f, struct fdb_entry *e)
{
    uint32_t idx = (uint32_t)(e - f->e) + 1;
    uint32_t *pp = &f->bucket[fdb_hash(f, e->mac)];

    while (*pp && *pp != idx)
        pp = &f->e[*pp - 1].next;
    if (*pp)
        *pp = e->next;
    memset(e, 0, sizeof(*e));
    e->next = f->free_head;
    f->free_head = idx;
    f->count--;
}

/* The least recently seen learned entry, or NULL. */
static struct fdb_entry *fdb_victim(struct fdb *f)
{
    struct fdb_entry *v = NULL;

    for (size_t i = 0; i < f->max; i++) {
        struct fdb_entry *e = &f->e[i];

        if (e->used && e->state == FDB_LEARNED && (!v || e->last_seen < v->last_seen))
            v = e;
    }
    return v;
}

static struct fdb_entry *fdb_insert(struct fdb *f, const uint8_t mac[6])
{
    struct fdb_entry *e;
    size_t b;
    uint32_t idx;

    if (!f->free_head) {
        struct fdb_entry *v = fdb_victim(f);

        if (!v)
            return NULL;
        fdb_unlink(f, v);
    }
    idx = f->free_head;
    e = &f->e[idx - 1];
    f->free_head = e->next;
    memset(e, 0, sizeof(*e));
    memcpy(e->mac, mac, 6);
    e->used = true;
    b = fdb_hash(f, mac);
    e->next = f->bucket[b];
    f->bucket[b] = idx;
    f->count++;
    return e;
}

int fdb_learn(struct fdb *f, const uint8_t mac[6], void *peer, uint64_t now)
{
    struct fdb_entry *e = fdb_find(f, mac);

    if (e) {
        if (e->peer == peer) {
            e->last_seen = now;
            return 0;
        }
        if (e->state != FDB_LEARNED)
            return -EPERM;
        e->peer = peer;               /* moved */
        e->last_seen = now;
        return 0;
    }
    e = fdb_insert(f, mac);
    if (!e)
        return -ENOSPC;
    e->state = FDB_LEARNED;
    e->peer = peer;
    e->last_seen = now;
    return 0;
}

int fdb_announce(struct fdb *f, const uint8_t mac[6], void *peer, uint64_t seq, uint64_t now)
{
    struct fdb_entry *e = fdb_find(f, mac);

    if (e && e->state != FDB_LEARNED && e->peer != peer && seq <= e->seq)
        return -ESTALE;
    if (!e) {
        e = fdb_insert(f, mac);
        if (!e)
            return -ENOSPC;
    }
    e->state = FDB_REMOTE;
    e->peer = peer;
    e->seq = seq;
    e->last_seen = now;
    return 0;
}

int fdb_withdraw(struct fdb *f, const uint8_t mac[6], void *peer, uint64_t seq)
{
    struct fdb_entry *e = fdb_find(f, mac);

    if (!e || e->state != FDB_REMOTE || e->peer != peer)
        return -ENOENT;
    if (seq < e->seq)
        return -ESTALE;
    fdb_unlink(f, e);
    return 0;
}

int fdb_set_static(struct fdb *f, const uint8_t mac[6], uint64_t now, uint64_t *seq_out)
{
    struct fdb_entry *e = fdb_find(f, mac);

    if (e && e->state == FDB_STATIC) {
        e->last_seen = now;
        *seq_out = e->seq;
        return 0;
    }
    if (!e) {
        e = fdb_insert(f, mac);
        if (!e)
            return -ENOSPC;
    }
    e->seq = e->seq + 1;              /* learned: 0 -> 1; remote s -> s + 1 */
    e->state = FDB_STATIC;
    e->peer = NULL;
    e->last_seen = now;
    *seq_out = e->seq;
    return 0;
}

int fdb_remove_static(struct fdb *f, const uint8_t mac[6], uint64_t *seq_out)
{
    struct fdb_entry *e = fdb_find(f, mac);

    if (!e || e->state != FDB_STATIC)
        return -ENOENT;
    *seq_out = e->seq;
    fdb_unlink(f, e);
    return 0;
}

size_t fdb_flush_peer(struct fdb *f, void *peer)
{
    size_t n = 0;

    if (!peer)
        return 0;
    for (size_t i = 0; i < f->max; i++) {
        if (f->e[i].used && f->e[i].peer == peer) {
            fdb_unlink(f, &f->e[i]);
            n++;
        }
    }
    return n;
}

size_t fdb_age(struct fdb *f, uint64_t now, uint64_t max_age_ns)
{
    size_t n = 0;

    for (size_t i = 0; i < f->max; i++) {
        struct fdb_entry *e = &f->e[i];

        if (e->used && e->state == FDB_LEARNED && now > e->last_seen &&
            now - e->last_seen > max_age_ns) {
            fdb_unlink(f, e);
            n++;
        }
    }
    return n;
}

size_t fdb_count(const struct fdb *f)
{
    return f->count;
}

size_t fdb_capacity(const struct fdb *f)
{
    return f->max;
}

const struct fdb_entry *fdb_at(const struct fdb *f, size_t i)
{
    if (i >= f->max || !f->e[i].used)
        return NULL;
    return &f->e[i];
}

const char *fdb_state_name(enum fdb_state st)
{
    switch (st) {
    case FDB_LEARNED: return "learned";
    case FDB_STATIC: return "static";
    case FDB_REMOTE: return "remote";
    }
    return "?";
}
