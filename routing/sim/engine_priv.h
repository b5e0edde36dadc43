/* SPDX-License-Identifier: GPL-2.0-only */
#ifndef OVL_ROUTING_SIM_ENGINE_PRIV_H
#define OVL_ROUTING_SIM_ENGINE_PRIV_H

/* DOC: engine_priv — engine internals shared by engine.c and oracle.c. */

#include "routing/sim/engine.h"

struct host {
    struct eng *e;
    struct ring_node *node;
    ring_peer peer;
    float x, y;
    uint32_t idx;
    uint8_t alive, rejoin;
    uint64_t sched;
};

struct ev {
    uint64_t t, seq;
    uint8_t *buf;               /* NULL: timer event */
    uint32_t dst, src, len;
};

struct orc {
    ring_id id;
    uint32_t idx;
};

struct eng {
    ring_config cfg;
    struct host *h;
    struct ring_node **nodes;   /* h[i].node, dense: prefetched per event */
    uint32_t n;
    uint64_t now, seq, rng[4], events, msgs;
    struct ev *heap;
    size_t nheap, capheap;
    struct orc *orc;
    uint32_t norc;
    bool orc_dirty;
    struct eng_lookup *lk;
    size_t nlk, caplk;
    bool (*may_carry)(uint32_t host, uint32_t enclave);
    bool (*drop)(void *ctx, uint32_t src, uint32_t dst);
    void *drop_ctx;
    uint64_t dropped;
};

void eng_rearm(struct eng *e, uint32_t i);
int eng_start_node(struct eng *e, uint32_t i);
void eng_orc_build(struct eng *e);
/* First oracle position whose id >= key, wrapping to 0. */
uint32_t eng_orc_lower(const struct orc *o, uint32_t n, const ring_id *key);

#endif
