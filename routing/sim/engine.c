/* SPDX-License-Identifier: GPL-2.0-only */
#include "routing/sim/engine_priv.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

static uint64_t rotl(uint64_t x, int k)
{
    return (x << k) | (x >> (64 - k));
}

uint64_t eng_rand(struct eng *e)
{
    /* xoshiro256** */
    uint64_t *s = e->rng, r = rotl(s[1] * 5, 7) * 9, t = s[1] << 17;

    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = rotl(s[3], 45);
    return r;
}

static bool ev_less(const struct ev *a, const struct ev *b)
{
    return a->t < b->t || (a->t == b->t && a->seq < b->seq);
}

/* 4-ary heaps (the current bucket, the events beyond the wheel): half the
 * levels of a binary one, and a node's children share cache lines. */
enum { HEAP_D = 4 };

static void evq_grow(struct evq *q)
{
    if (q->n == q->cap) {
        q->cap = q->cap ? q->cap * 2 : 256;
        q->a = realloc(q->a, q->cap * sizeof(*q->a));
        if (!q->a)
            abort();
    }
}

static void heap_up(struct evq *q, struct ev ev)
{
    size_t i;

    evq_grow(q);
    i = q->n++;
    while (i > 0 && ev_less(&ev, &q->a[(i - 1) / HEAP_D])) {
        q->a[i] = q->a[(i - 1) / HEAP_D];
        i = (i - 1) / HEAP_D;
    }
    q->a[i] = ev;
}

/* Put @ev at slot @i and sift it down. */
static void heap_down(struct evq *q, size_t i, struct ev ev)
{
    for (;;) {
        size_t c = HEAP_D * i + 1, end = c + HEAP_D;

        if (c >= q->n)
            break;
        if (end > q->n)
            end = q->n;
        for (size_t k = c + 1; k < end; k++) {
            if (ev_less(&q->a[k], &q->a[c]))
                c = k;
        }
        if (!ev_less(&q->a[c], &ev))
            break;
        q->a[i] = q->a[c];
        i = c;
    }
    q->a[i] = ev;
}

static struct ev heap_take(struct evq *q)
{
    struct ev top = q->a[0];

    if (--q->n)
        heap_down(q, 0, q->a[q->n]);
    return top;
}

static void heapify(struct evq *q)
{
    for (size_t i = q->n > 1 ? (q->n - 2) / HEAP_D + 1 : 0; i-- > 0;)
        heap_down(q, i, q->a[i]);
}

static void wheel_put(struct eng *e, struct ev ev)
{
    uint64_t b = ev.t >> ENG_BUCKET_SHIFT;

    if (b <= e->cur_bucket) {
        heap_up(&e->cur, ev);
    } else if (b - e->cur_bucket < ENG_WHEEL) {
        struct evq *q = &e->wheel[b & (ENG_WHEEL - 1)];

        evq_grow(q);
        q->a[q->n++] = ev;
        e->nwheel++;
    } else {
        heap_up(&e->far, ev);
    }
}

static void heap_push(struct eng *e, struct ev ev)
{
    ev.seq = e->seq++;
    e->nqueued++;
    wheel_put(e, ev);
}

/* Make cur hold the earliest bucket with events; false if none is left. */
static bool wheel_fill(struct eng *e)
{
    while (!e->cur.n) {
        struct evq *q, tmp;

        if (!e->nqueued)
            return false;
        if (!e->nwheel) {
            /* Only far events: jump to the bucket before the first. */
            uint64_t b = e->far.a[0].t >> ENG_BUCKET_SHIFT;

            if (b > e->cur_bucket + 1)
                e->cur_bucket = b - 1;
        }
        e->cur_bucket++;
        q = &e->wheel[e->cur_bucket & (ENG_WHEEL - 1)];
        e->nwheel -= q->n;
        /* The bucket's array becomes the heap; the old heap's array goes.
         * Handing it to the bucket instead would leave every bucket with
         * the capacity of a busy millisecond: gigabytes at 100k hosts. */
        tmp = e->cur;
        e->cur = *q;
        free(tmp.a);
        *q = (struct evq){ 0 };
        /* Far events now within the wheel move in (into cur if due now). */
        while (e->far.n &&
               (e->far.a[0].t >> ENG_BUCKET_SHIFT) - e->cur_bucket < ENG_WHEEL) {
            struct ev ev = heap_take(&e->far);

            if ((ev.t >> ENG_BUCKET_SHIFT) == e->cur_bucket) {
                evq_grow(&e->cur);
                e->cur.a[e->cur.n++] = ev;
            } else {
                wheel_put(e, ev);
            }
        }
        heapify(&e->cur);
    }
    return true;
}

/* The next event, or NULL. */
static const struct ev *heap_peek(struct eng *e)
{
    return wheel_fill(e) ? &e->cur.a[0] : NULL;
}

static struct ev heap_pop(struct eng *e)
{
    e->nqueued--;
    return heap_take(&e->cur);
}

/* Class c holds buffers of 128 << (2 c) bytes: 128, 512, 2048, 8192. */
static unsigned pool_class(size_t len)
{
    unsigned c = 0;

    while (c + 1 < ENG_POOL_CLASSES && len > (size_t)128 << (2 * c))
        c++;
    return c;
}

static uint8_t *buf_get(struct eng *e, size_t len)
{
    unsigned c = pool_class(len);
    void *b = e->pool[c];

    if (len > (size_t)128 << (2 * c))
        abort();
    if (b) {
        memcpy(&e->pool[c], b, sizeof(void *));
        return b;
    }
    b = malloc((size_t)128 << (2 * c));
    if (!b)
        abort();
    return b;
}

static void buf_put(struct eng *e, uint8_t *b, size_t len)
{
    unsigned c = pool_class(len);

    memcpy(b, &e->pool[c], sizeof(void *));
    e->pool[c] = b;
}

static void pool_free(struct eng *e)
{
    for (unsigned c = 0; c < ENG_POOL_CLASSES; c++) {
        while (e->pool[c]) {
            void *b = e->pool[c];

            memcpy(&e->pool[c], b, sizeof(void *));
            free(b);
        }
    }
}

static uint32_t ep_index(const ring_peer *p)
{
    return (uint32_t)p->ep.addr[1] << 16 | (uint32_t)p->ep.addr[2] << 8 | p->ep.addr[3];
}

static uint64_t latency(const struct eng *e, uint32_t a, uint32_t b)
{
    double dx = e->pos[a].x - e->pos[b].x, dy = e->pos[a].y - e->pos[b].y;

    return (uint64_t)((5.0 + 95.0 * sqrt(dx * dx + dy * dy) / M_SQRT2) * 1e6);
}

uint64_t eng_latency(const struct eng *e, uint32_t a, uint32_t b)
{
    return latency(e, a, b);
}

static void cb_send(void *ctx, const ring_peer *to, const uint8_t *buf, size_t len)
{
    struct host *h = ctx;
    struct eng *e = h->e;
    uint32_t dst = ep_index(to);
    struct ev ev = { .dst = dst, .src = h->idx, .len = (uint32_t)len };

    if (dst >= e->n)
        return;
    e->msgs++;
    if (e->drop && e->drop(e->drop_ctx, h->idx, dst)) {
        e->dropped++;
        return;
    }
    ev.t = e->now + latency(e, h->idx, dst);
    ev.buf = buf_get(e, len);
    memcpy(ev.buf, buf, len);
    heap_push(e, ev);
}

static uint64_t cb_rand(void *ctx)
{
    return eng_rand(((struct host *)ctx)->e);
}

/* As if every candidate had been probed: the model's round trip, exact.
 * The daemon knows the RTT of linked hosts only (docs/routing.md). */
static uint64_t cb_rtt(void *ctx, const ring_peer *p)
{
    struct host *h = ctx;
    uint32_t i = ep_index(p);

    return i < h->e->n ? 2 * latency(h->e, h->idx, i) : 0;
}

static bool cb_may_carry(void *ctx, const ring_id *host, uint32_t enclave)
{
    struct eng *e = ((struct host *)ctx)->e;
    int32_t i;

    if (!e->may_carry)
        return true;
    i = eng_index_of(e, host);
    return i >= 0 && e->may_carry((uint32_t)i, enclave);
}

static void cb_lookup_done(void *ctx, uint64_t cookie, int status, const ring_peer *owner,
                           unsigned hops)
{
    struct eng *e = ((struct host *)ctx)->e;
    struct eng_lookup *l = &e->lk[cookie];

    l->done = 1;
    l->done_at = e->now;
    l->status = status;
    l->hops = (uint16_t)hops;
    l->owner = owner ? (int32_t)ep_index(owner) : -1;
}

static void cb_get_done(void *ctx, uint64_t cookie, int status, const ring_record *recs,
                        size_t n, unsigned hops)
{
    struct eng *e = ((struct host *)ctx)->e;
    struct eng_lookup *l = &e->lk[cookie];

    l->done = 1;
    l->done_at = e->now;
    l->status = status;
    l->hops = (uint16_t)hops;
    l->nrecs = (uint32_t)n;
    if (n)
        l->rec0 = recs[0];
}

static void cb_joined(void *ctx, int status)
{
    struct host *h = ctx;

    if (status == 0)
        h->e->orc_dirty = true;
    else
        h->rejoin = 1;      /* retried by the engine after this call returns */
}

static void do_rejoin(struct eng *e, uint32_t i)
{
    struct host *h = &e->h[i];

    h->rejoin = 0;
    for (int tries = 0; tries < 64; tries++) {
        uint32_t via = (uint32_t)(eng_rand(e) % e->n);

        if (via != i && e->h[via].alive && e->h[via].node &&
            ring_node_state(e->h[via].node) == RING_ACTIVE) {
            ring_node_join(h->node, e->now, &e->h[via].peer);
            return;
        }
    }
    for (uint32_t via = 0; via < e->n; via++) {
        if (via != i && e->h[via].alive && e->h[via].node &&
            ring_node_state(e->h[via].node) == RING_ACTIVE) {
            ring_node_join(h->node, e->now, &e->h[via].peer);
            return;
        }
    }
}

void eng_rearm(struct eng *e, uint32_t i)
{
    struct host *h = &e->h[i];
    uint64_t d;

    if (!h->alive || !h->node)
        return;
    if (h->rejoin)
        do_rejoin(e, i);
    d = ring_node_next_deadline(h->node);
    if (d == UINT64_MAX) {
        h->sched = UINT64_MAX;
        return;
    }
    if (d < e->now)
        d = e->now;
    if (d != h->sched) {
        h->sched = d;
        heap_push(e, (struct ev){ .t = d, .dst = i });
    }
}

struct eng *eng_new(uint32_t nhosts, uint64_t seed, const ring_config *cfg)
{
    struct eng *e = calloc(1, sizeof(*e));

    if (!e)
        return NULL;
    e->cfg = *cfg;
    e->n = nhosts;
    e->h = calloc(nhosts, sizeof(*e->h));
    e->pos = calloc(nhosts, sizeof(*e->pos));
    e->nodes = calloc(nhosts, sizeof(*e->nodes));
    e->wheel = calloc(ENG_WHEEL, sizeof(*e->wheel));
    if (!e->h || !e->pos || !e->nodes || !e->wheel) {
        free(e->h);
        free(e->pos);
        free(e->nodes);
        free(e->wheel);
        free(e);
        return NULL;
    }
    e->rng[0] = seed ^ 0x9e3779b97f4a7c15ULL;
    for (int i = 1; i < 4; i++)
        e->rng[i] = e->rng[i - 1] * 6364136223846793005ULL + 1442695040888963407ULL;
    for (int i = 0; i < 16; i++)
        eng_rand(e);
    for (uint32_t i = 0; i < nhosts; i++) {
        struct host *h = &e->h[i];
        crypto_generichash_state st;
        static const char label[] = "overlayd ring id v1";    /* as crypto/ringid.h */

        h->e = e;
        h->idx = i;
        h->sched = UINT64_MAX;
        e->pos[i].x = (float)(eng_rand(e) >> 11) / (float)(1ULL << 53);
        e->pos[i].y = (float)(eng_rand(e) >> 11) / (float)(1ULL << 53);
        for (int k = 0; k < RING_PUB_LEN; k += 8) {
            uint64_t r = eng_rand(e);

            memcpy(h->peer.pub + k, &r, 8);
        }
        crypto_generichash_init(&st, NULL, 0, RING_ID_LEN);
        crypto_generichash_update(&st, (const uint8_t *)label, sizeof(label) - 1);
        crypto_generichash_update(&st, h->peer.pub, RING_PUB_LEN);
        crypto_generichash_final(&st, h->peer.id.b, RING_ID_LEN);
        h->peer.ep.family = 4;
        h->peer.ep.port = 7000;
        h->peer.ep.addr[0] = 10;
        h->peer.ep.addr[1] = (uint8_t)(i >> 16);
        h->peer.ep.addr[2] = (uint8_t)(i >> 8);
        h->peer.ep.addr[3] = (uint8_t)i;
    }
    e->orc_dirty = true;
    return e;
}

void eng_free(struct eng *e)
{
    if (!e)
        return;
    for (uint32_t i = 0; i < e->n; i++)
        ring_node_free(e->h[i].node);
    for (size_t b = 0; e->wheel && b <= ENG_WHEEL + 1; b++) {
        struct evq *q = b < ENG_WHEEL ? &e->wheel[b] : b == ENG_WHEEL ? &e->cur : &e->far;

        for (size_t i = 0; i < q->n; i++) {
            if (q->a[i].buf)
                buf_put(e, q->a[i].buf, q->a[i].len);
        }
        free(q->a);
    }
    pool_free(e);
    free(e->wheel);
    free(e->h);
    free(e->pos);
    free(e->nodes);
    free(e->orc);
    free(e->lk);
    free(e);
}

uint64_t eng_now(const struct eng *e)
{
    return e->now;
}

uint32_t eng_nhosts(const struct eng *e)
{
    return e->n;
}

void eng_set_id(struct eng *e, uint32_t i, const ring_id *id)
{
    e->h[i].peer.id = *id;
}

const ring_peer *eng_peer(const struct eng *e, uint32_t i)
{
    return &e->h[i].peer;
}

struct ring_node *eng_node(const struct eng *e, uint32_t i)
{
    return e->h[i].node;
}

bool eng_alive(const struct eng *e, uint32_t i)
{
    return e->h[i].alive;
}

int eng_start_node(struct eng *e, uint32_t i)
{
    struct host *h = &e->h[i];
    ring_callbacks cb = {
        .ctx = h, .send = cb_send, .rand = cb_rand, .may_carry = cb_may_carry,
        .rtt = cb_rtt,
        .lookup_done = cb_lookup_done, .get_done = cb_get_done, .joined = cb_joined,
    };

    if (h->node)
        return -1;
    h->node = ring_node_new(&e->cfg, &cb, &h->peer);
    if (!h->node)
        return -1;
    e->nodes[i] = h->node;
    h->alive = 1;
    return 0;
}

int eng_create(struct eng *e, uint32_t i)
{
    int rc = eng_start_node(e, i);

    if (rc == 0)
        rc = ring_node_create(e->h[i].node, e->now);
    e->orc_dirty = true;
    eng_rearm(e, i);
    return rc;
}

int eng_join(struct eng *e, uint32_t i, uint32_t via)
{
    int rc = eng_start_node(e, i);

    if (rc == 0)
        rc = ring_node_join(e->h[i].node, e->now, &e->h[via].peer);
    eng_rearm(e, i);
    return rc;
}

int eng_leave(struct eng *e, uint32_t i)
{
    struct host *h = &e->h[i];
    int rc;

    if (!h->alive)
        return -1;
    rc = ring_node_leave(h->node, e->now);
    ring_node_free(h->node);
    h->node = NULL;
    e->nodes[i] = NULL;
    h->alive = 0;
    e->orc_dirty = true;
    return rc;
}

void eng_kill(struct eng *e, uint32_t i)
{
    struct host *h = &e->h[i];

    ring_node_free(h->node);
    h->node = NULL;
    e->nodes[i] = NULL;
    h->alive = 0;
    e->orc_dirty = true;
}

/* The next event's host state is cold in cache (~7 KB per node spread
 * over the heap, its host entry in a 100k array); start loading it while
 * the current event runs: the node's fields that nearly every call reads
 * (ring_node_prefetch(), ~1.2 KB), both hosts' entries (alive, node,
 * sched; the sender's peer) and positions, and the message. */
static void prefetch_next(const struct eng *e, const struct ev *nx)
{
    const struct ring_node *node = e->nodes[nx->dst];

    __builtin_prefetch(&e->h[nx->dst]);
    __builtin_prefetch(&e->pos[nx->dst]);
    if (node)
        ring_node_prefetch(node, false);
    if (nx->buf) {
        const struct host *src = &e->h[nx->src];

        /* A reply goes back to the sender: its position gives the delay. */
        __builtin_prefetch(&e->pos[nx->src]);
        __builtin_prefetch(&src->peer);
        __builtin_prefetch((const char *)(&src->peer + 1) - 1);
        __builtin_prefetch(nx->buf);
    }
}

void eng_run_until(struct eng *e, uint64_t t)
{
    const struct ev *nx;

    while ((nx = heap_peek(e)) && nx->t <= t) {
        struct ev ev = heap_pop(e);
        struct host *h = &e->h[ev.dst];

        /* This node's struct came in while the previous event ran; its
         * arrays come now, while the next event's node starts loading. */
        if (h->node)
            ring_node_prefetch(h->node, true);
        if (e->cur.n)
            prefetch_next(e, &e->cur.a[0]);
        e->now = ev.t;
        e->events++;
        if (ev.buf) {
            if (h->alive && h->node) {
                ring_node_on_message(h->node, e->now, &e->h[ev.src].peer, ev.buf, ev.len);
                eng_rearm(e, ev.dst);
            }
            buf_put(e, ev.buf, ev.len);
        } else if (h->alive && h->node && ev.t == h->sched) {
            h->sched = UINT64_MAX;
            ring_node_on_timeout(h->node, e->now);
            eng_rearm(e, ev.dst);
        }
    }
    if (t > e->now)
        e->now = t;
}

void eng_set_drop(struct eng *e, bool (*fn)(void *ctx, uint32_t src, uint32_t dst),
                  void *ctx)
{
    e->drop = fn;
    e->drop_ctx = ctx;
}

uint64_t eng_dropped(const struct eng *e)
{
    return e->dropped;
}

void eng_pos(const struct eng *e, uint32_t i, double *x, double *y)
{
    *x = e->pos[i].x;
    *y = e->pos[i].y;
}

void eng_set_may_carry(struct eng *e, bool (*fn)(uint32_t host, uint32_t enclave))
{
    e->may_carry = fn;
}

static int64_t lk_new(struct eng *e, uint32_t host, const ring_id *key, uint8_t kind)
{
    struct eng_lookup *l;

    if (e->nlk == e->caplk) {
        e->caplk = e->caplk ? e->caplk * 2 : 1024;
        e->lk = realloc(e->lk, e->caplk * sizeof(*e->lk));
        if (!e->lk)
            abort();
    }
    l = &e->lk[e->nlk];
    memset(l, 0, sizeof(*l));
    if (key)
        l->key = *key;
    l->host = host;
    l->kind = kind;
    l->owner = -1;
    l->issued = e->now;
    return (int64_t)e->nlk++;
}

static int64_t lk_finish_start(struct eng *e, uint32_t host, int64_t id, int rc)
{
    if (rc < 0) {
        e->lk[id].done = 1;
        e->lk[id].status = rc;
    }
    eng_rearm(e, host);
    return id;
}

int64_t eng_lookup(struct eng *e, uint32_t host, const ring_id *key)
{
    int64_t id = lk_new(e, host, key, ENG_LK_LOOKUP);

    return lk_finish_start(e, host, id,
                           ring_node_lookup(e->h[host].node, e->now, key, (uint64_t)id));
}

int64_t eng_get_mac(struct eng *e, uint32_t host, uint32_t enclave, const uint8_t mac[6])
{
    ring_id key;
    int64_t id;

    ring_key_mac(&key, enclave, mac);
    id = lk_new(e, host, &key, ENG_LK_GET_MAC);
    return lk_finish_start(e, host, id, ring_node_get_mac(e->h[host].node, e->now, enclave,
                                                          mac, (uint64_t)id));
}

int64_t eng_get_members(struct eng *e, uint32_t host, uint32_t enclave)
{
    ring_id key;
    int64_t id;

    ring_key_member(&key, enclave);
    id = lk_new(e, host, &key, ENG_LK_GET_MEMBERS);
    return lk_finish_start(e, host, id, ring_node_get_members(e->h[host].node, e->now,
                                                              enclave, (uint64_t)id));
}

int64_t eng_get_ip(struct eng *e, uint32_t host, uint32_t enclave, const ring_ip *ip)
{
    ring_id key;
    int64_t id;

    ring_key_ip(&key, enclave, ip);
    id = lk_new(e, host, &key, ENG_LK_GET_IP);
    return lk_finish_start(e, host, id, ring_node_get_ip(e->h[host].node, e->now, enclave, ip,
                                                         (uint64_t)id));
}

const struct eng_lookup *eng_lookups(const struct eng *e, size_t *n)
{
    *n = e->nlk;
    return e->lk;
}

void eng_lookups_clear(struct eng *e)
{
    e->nlk = 0;
}

uint64_t eng_msgs_sent(const struct eng *e)
{
    return e->msgs;
}

uint64_t eng_events(const struct eng *e)
{
    return e->events;
}
