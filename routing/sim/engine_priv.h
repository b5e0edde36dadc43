/* SPDX-License-Identifier: GPL-2.0-only */
#ifndef OVL_ROUTING_SIM_ENGINE_PRIV_H
#define OVL_ROUTING_SIM_ENGINE_PRIV_H

/* DOC: engine_priv — engine internals shared by engine.c and oracle.c. */

#include "routing/sim/engine.h"

struct host {
    struct eng *e;
    struct ring_node *node;
    ring_peer peer;
    uint32_t idx;
    uint8_t alive, rejoin;
    uint64_t sched;
};

struct ev {
    uint64_t t, seq;
    uint8_t *buf;               /* NULL: timer event */
    uint32_t dst, src, len;
};

/* A growable array of events: a bucket of the wheel (unordered) or a heap. */
struct evq {
    struct ev *a;
    size_t n, cap;
};

/*
 * The event queue is a timing wheel: bucket b holds the events with
 * t >> ENG_BUCKET_SHIFT == b (~1 ms each) for the ENG_WHEEL buckets ahead,
 * appended unordered; the current bucket is a 4-ary heap on (t, seq), and
 * events beyond the wheel wait in a heap of their own. At 100k hosts one
 * heap of all ~10^6 pending events missed the cache on nearly every level
 * of every push and pop; a bucket of ~2,000 events stays in cache. The pop
 * order is (t, seq) as before, so no result changes.
 */
enum {
    ENG_BUCKET_SHIFT = 20,
    ENG_WHEEL = 1 << 16,        /* ~69 s ahead */
};

/* Message buffers by size class, reused through free lists: at 100k hosts
 * the engine carries ~10^9 messages, and malloc/free of each cost more
 * than popping a list. */
enum { ENG_POOL_CLASSES = 4 };

/* A host's position in the unit square: dense, apart from struct host,
 * because every message reads its receiver's (cb_send(), latency()) and a
 * 100k array of 8 bytes stays in cache where the hosts do not. */
struct pos {
    float x, y;
};

struct orc {
    ring_id id;
    uint32_t idx;
};

struct eng {
    ring_config cfg;
    struct host *h;
    struct pos *pos;
    struct ring_node **nodes;   /* h[i].node, dense: prefetched per event */
    uint32_t n;
    uint64_t now, seq, rng[4], events, msgs;
    struct evq cur, far;        /* heaps: the current bucket, beyond the wheel */
    struct evq *wheel;          /* ENG_WHEEL buckets */
    uint64_t cur_bucket;        /* absolute bucket number of cur */
    size_t nwheel, nqueued;     /* events in the wheel, in all */
    struct orc *orc;
    uint32_t norc;
    bool orc_dirty;
    struct eng_lookup *lk;
    size_t nlk, caplk;
    bool (*may_carry)(uint32_t host, uint32_t enclave);
    bool (*drop)(void *ctx, uint32_t src, uint32_t dst);
    void *drop_ctx;
    uint64_t dropped;
    void *pool[ENG_POOL_CLASSES];
};

void eng_rearm(struct eng *e, uint32_t i);
int eng_start_node(struct eng *e, uint32_t i);
void eng_orc_build(struct eng *e);
/* First oracle position whose id >= key, wrapping to 0. */
uint32_t eng_orc_lower(const struct orc *o, uint32_t n, const ring_id *key);

#endif
