/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Proximity neighbour selection (routing/pns.c) on one node in a scripted
 * world: the node's fix-fingers lookups are answered by a fake responder,
 * and a fake cb.rtt reads each host's RTT from its id. Then a small ring
 * in the engine with and without PNS: lookups still converge.
 *
 * The world: self = 0, successors at k * 2^64 (k = 1..8), so fingers
 * 68..127 are looked up. A lookup for key k is owned by O(k) (k + D, or
 * in "edge" mode 3 D before the end of the interval, so the owner's later
 * successors lie beyond it); O answers OWNER with O + j D (j = 1..8),
 * anyone else answers NEXT [O]. A host's RTT in us is the low 16 bits of
 * its id (0 = unmeasured).
 */
#include "routing/node_priv.h"
#include "routing/sim/engine.h"
#include "routing/wire.h"
#include "lib/check.h"

#include <stdlib.h>
#include <string.h>

#define SEC 1000000000ULL
#define D ((ring_num)1 << 40)
#define NLIST 8
#define QMAX 64

enum world_mode {
    W_NORMAL = 0,
    W_EDGE,                 /* owner 3 D before the interval's end */
    W_OWNER_UNMEASURED,     /* the owner's RTT is unknown */
    W_NONE_MEASURED,        /* nobody's RTT is known */
};

struct fake_msg {
    ring_peer to;
    ring_msg m;
};

static struct world {
    enum world_mode mode;
    struct fake_msg q[QMAX];
    unsigned nq;
    uint64_t rng;
    /* Lowest RTT (us) among the legal candidates offered per finger. */
    unsigned best[RING_ID_BITS];
} w;

static ring_num num_of(const ring_id *id)
{
    return ring_id_num(id);
}

static ring_peer peer_of(ring_num x)
{
    ring_peer p;

    memset(&p, 0, sizeof(p));
    ring_id_from_u64(&p.id, (uint64_t)(x >> 64), (uint64_t)x);
    memcpy(p.pub, p.id.b, RING_ID_LEN);
    return p;
}

static unsigned bit_of(ring_num k)
{
    unsigned b = 0;

    while (b < 127 && (k >> (b + 1)))
        b++;
    return b;
}

static uint64_t fake_rand(void *ctx)
{
    uint64_t z = (w.rng += 0x9e3779b97f4a7c15ULL);

    (void)ctx;
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    return z ^ (z >> 27);
}

static uint64_t fake_rtt(void *ctx, const ring_peer *p)
{
    (void)ctx;
    return (uint64_t)(num_of(&p->id) & 0xffff) * 1000;
}

static void fake_send(void *ctx, const ring_peer *to, const uint8_t *buf, size_t len)
{
    ring_msg m;

    (void)ctx;
    if (ring_wire_decode(&m, buf, len) < 0 || m.type != RING_MSG_FIND_REQ || w.nq == QMAX)
        return;
    w.q[w.nq].to = *to;
    w.q[w.nq++].m = m;
}

/* The RTT code (us) of host @x, candidate @j (0 = owner): a function of
 * the host alone, so every answer naming it agrees. */
static unsigned code_of(ring_num x, unsigned j, bool beyond)
{
    uint64_t z = (uint64_t)(x >> 40) * 0x9e3779b97f4a7c15ULL;

    if (w.mode == W_NONE_MEASURED || (w.mode == W_OWNER_UNMEASURED && j == 0))
        return 0;
    if (beyond)
        return 1;       /* cheapest of all, and illegal */
    return 2 + (unsigned)((z ^ (z >> 29)) % 60000);
}

/* Owner of @key and its successors; with @note, records the best legal
 * RTT among them (they are offered to the node). */
static unsigned world_answer(ring_num key, ring_peer *out, bool note)
{
    unsigned b = bit_of(key);
    ring_num end = b == 127 ? 0 : (ring_num)1 << (b + 1);
    ring_num o = w.mode == W_EDGE ? end - 3 * D : (key & ~(ring_num)0xffff) + D;

    for (unsigned j = 0; j <= NLIST; j++) {
        ring_num x = o + j * D;
        bool beyond = b < 127 && x >= end;
        unsigned c = code_of(x, j, beyond);

        out[j] = peer_of((x & ~(ring_num)0xffff) | c);
        if (note && !beyond && c && (!w.best[b] || c < w.best[b]))
            w.best[b] = c;
    }
    return NLIST + 1;
}

/* Answer every queued FIND_REQ (and what the answers cause). */
static void pump(struct ring_node *n, uint64_t now)
{
    while (w.nq) {
        struct fake_msg f = w.q[--w.nq];
        ring_peer cand[NLIST + 1];
        ring_msg r = { .type = RING_MSG_FIND_RESP, .rid = f.m.rid };
        uint8_t buf[RING_MSG_MAX];
        int len;

        world_answer(num_of(&f.m.key), cand, false);
        if (ring_id_eq(&f.to.id, &cand[0].id)) {
            world_answer(num_of(&f.m.key), cand, true);
            r.code = RING_FIND_OWNER;
            r.npeers = NLIST;
            memcpy(r.peers, &cand[1], NLIST * sizeof(cand[0]));
        } else {
            r.code = RING_FIND_NEXT;
            r.npeers = 1;
            r.peers[0] = cand[0];
        }
        len = ring_wire_encode(&r, buf, sizeof(buf));
        if (CHECK(len > 0))
            ring_node_on_message(n, now, &f.to, buf, (size_t)len);
    }
}

static struct ring_node *world_node(unsigned sample, bool explore, uint64_t now)
{
    ring_config cfg;
    ring_callbacks cb = { .send = fake_send, .rand = fake_rand, .rtt = fake_rtt };
    ring_peer self = peer_of(0), pred = peer_of(~(ring_num)0 - D), succ[8];
    struct ring_node *n;

    ring_config_default(&cfg);
    cfg.bind_ids = false;       /* hosts at chosen ids, keys made up */
    /* Only fix-fingers runs: nobody answers anything else. */
    cfg.stabilize_ns = cfg.check_pred_ns = cfg.self_check_ns = 3600 * SEC;
    cfg.refresh_ns = cfg.sweep_ns = 3600 * SEC;
    cfg.unity_ns = 0;
    cfg.fix_fingers_ns = SEC;
    cfg.pns_sample = sample;
    cfg.pns_explore = explore;
    for (unsigned i = 0; i < 8; i++)
        succ[i] = peer_of((ring_num)(i + 1) << 64);
    n = ring_node_new(&cfg, &cb, &self);
    if (n)
        ring_node_bulk_init(n, now, &pred, succ, 8, NULL, 0);
    return n;
}

/* Run @cycles fix-fingers cycles (60 fingers each, one per tick). */
static uint64_t run_cycles(struct ring_node *n, uint64_t now, unsigned cycles)
{
    for (unsigned t = 0; t < cycles * 60 + 2; t++) {
        now += 2 * SEC;
        ring_node_on_timeout(n, now);
        pump(n, now + 1000);
    }
    return now;
}

/* The legal candidate with the lowest RTT, first of equals, unmeasured last. */
static ring_num expect_pick(unsigned b, unsigned sample)
{
    ring_peer cand[NLIST + 1];
    ring_num end = b == 127 ? 0 : (ring_num)1 << (b + 1), best = 0;
    uint64_t cbest = UINT64_MAX;
    unsigned seen = 0;

    world_answer((ring_num)1 << b, cand, false);
    for (unsigned j = 0; j <= NLIST && seen < (sample > 1 ? sample : 1); j++) {
        ring_num x = num_of(&cand[j].id);
        uint64_t c = fake_rtt(NULL, &cand[j]);

        if (b < 127 && x >= end)
            continue;
        seen++;
        c = c ? c : UINT64_MAX;
        if (!best || c < cbest) {
            best = x;
            cbest = c;
        }
    }
    return best;
}

static bool in_interval(unsigned b, ring_num x)
{
    return x >= (ring_num)1 << b && (b == 127 || x < (ring_num)1 << (b + 1));
}

/* Deterministic worlds, no explore rounds: finger b is exactly the pick. */
static void test_pick(enum world_mode mode, unsigned sample, const char *what)
{
    struct ring_node *n;
    unsigned bad = 0, outside = 0;

    memset(&w, 0, sizeof(w));
    w.mode = mode;
    n = world_node(sample, false, SEC);
    if (!CHECK(n != NULL))
        return;
    run_cycles(n, SEC, 2);
    for (unsigned b = 68; b < (mode == W_EDGE ? 127u : 128u); b++) {
        ring_num f = num_of(&ring_node_finger(n, b)->id);

        bad += f != expect_pick(b, sample);
        outside += !in_interval(b, f);
    }
    CHECK(bad == 0, "%s: %u fingers not the expected pick", what, bad);
    CHECK(outside == 0, "%s: %u fingers outside their interval", what, outside);
    printf("%s: %u fingers checked, %u stored\n", what, mode == W_EDGE ? 59 : 60,
           ring_node_nfingers(n));
    ring_node_free(n);
}

/* Explore rounds: each finger ends as the lowest RTT legal host ever offered. */
static void test_explore(void)
{
    struct ring_node *n;
    unsigned bad = 0;

    memset(&w, 0, sizeof(w));
    n = world_node(16, true, SEC);
    if (!CHECK(n != NULL))
        return;
    run_cycles(n, SEC, 6);
    for (unsigned b = 68; b < 128; b++) {
        const ring_peer *f = ring_node_finger(n, b);
        ring_num x = num_of(&f->id);

        bad += !in_interval(b, x) || fake_rtt(NULL, f) / 1000 != w.best[b];
    }
    CHECK(bad == 0, "explore: %u fingers not the best legal host offered", bad);
    ring_node_free(n);
}

/* A stored, measured finger (classic first) gives way only to a host more
 * than cfg.pns_margin_ns nearer. */
static void test_margin(void)
{
    struct ring_node *n;
    unsigned moved = 0, best = 0;
    uint64_t now;

    memset(&w, 0, sizeof(w));
    n = world_node(1, false, SEC);
    if (!CHECK(n != NULL))
        return;
    now = run_cycles(n, SEC, 1);
    /* Every RTT code is below 60,002 us: a 61 ms margin keeps every finger. */
    n->cfg.pns_sample = 16;
    n->cfg.pns_margin_ns = 61000ULL * 1000;
    now = run_cycles(n, now, 2);
    for (unsigned b = 68; b < 128; b++)
        moved += num_of(&ring_node_finger(n, b)->id) != expect_pick(b, 1);
    CHECK(moved == 0, "margin: %u fingers moved for less than the margin", moved);
    n->cfg.pns_margin_ns = 0;
    run_cycles(n, now, 2);
    for (unsigned b = 68; b < 128; b++)
        best += num_of(&ring_node_finger(n, b)->id) == expect_pick(b, 16);
    CHECK(best == 60, "margin 0: %u of 60 fingers the lowest-RTT pick", best);
    ring_node_free(n);
}

/* The engine's ring (delay model RTTs): lookups converge with PNS too. */
static void test_ring_lookups(unsigned sample)
{
    ring_config cfg;
    struct eng *e;
    uint32_t all[300];
    size_t nl, ok = 0;
    const struct eng_lookup *l;

    ring_config_default(&cfg);
    cfg.pns_sample = sample;
    e = eng_new(300, 7, &cfg);
    if (!CHECK(e != NULL))
        return;
    for (uint32_t i = 0; i < 300; i++)
        all[i] = i;
    eng_bulk_bootstrap(e, all, 300);
    eng_run_until(e, eng_now(e) + 90 * SEC);
    CHECK_EQ(eng_check_fingers(e, 300), 0);
    for (int k = 0; k < 500; k++) {
        ring_id key;

        ring_id_from_u64(&key, eng_rand(e), eng_rand(e));
        eng_lookup(e, (uint32_t)(eng_rand(e) % 300), &key);
    }
    eng_run_until(e, eng_now(e) + 15 * SEC);
    l = eng_lookups(e, &nl);
    for (size_t i = 0; i < nl; i++)
        ok += l[i].done && l[i].status == 0 && l[i].owner == eng_oracle_succ(e, &l[i].key);
    CHECK(ok == nl, "sample %u: %zu/%zu lookups correct", sample, ok, nl);
    printf("ring of 300, sample %u: %zu/%zu lookups correct\n", sample, ok, nl);
    eng_free(e);
}

int main(void)
{
    test_pick(W_NORMAL, 1, "classic");
    test_pick(W_NORMAL, 16, "pns");
    test_pick(W_NORMAL, 3, "pns sample 3");
    test_pick(W_EDGE, 16, "pns, cheaper hosts beyond the interval");
    test_pick(W_OWNER_UNMEASURED, 16, "pns, owner unmeasured");
    test_pick(W_NONE_MEASURED, 16, "pns, nothing measured");
    test_explore();
    test_margin();
    test_ring_lookups(1);
    test_ring_lookups(16);
    return CHECK_DONE();
}
