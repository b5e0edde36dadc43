/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The broadcast tree (overlayd/plan/plan_flood.c): the interval split with
 * literal ids, enclave neighbours, kept links, and a whole-tree oracle on
 * random link graphs: with every host linked to its enclave successor,
 * each carrier receives a broadcast exactly once, from any origin.
 */
#include <stdlib.h>
#include <string.h>

#include "crypto/ringid.h"
#include "lib/check.h"
#include "overlayd/plan/plan.h"

#define S(x) ((uint64_t)(x) * PLAN_SEC)

static uint64_t rng = 0x2545f4914f6cdd1dull;

static uint64_t rnd(void)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return rng;
}

static void test_split_literal(void)
{
    const uint64_t cand[] = { 50, 150, 300, 100, 120 };
    struct plan_flood_hop h[PLAN_FLOOD_MAX];
    unsigned k;

    /* The origin (limit == self): every candidate but itself, clockwise. */
    k = plan_flood_split(100, 100, cand, 5, h);
    CHECK(k == 4);
    CHECK(cand[h[0].idx] == 120 && h[0].limit == 150);
    CHECK(cand[h[1].idx] == 150 && h[1].limit == 300);
    CHECK(cand[h[2].idx] == 300 && h[2].limit == 50);
    CHECK(cand[h[3].idx] == 50 && h[3].limit == 100);
    /* A forwarder: only (self, limit), open at both ends. */
    k = plan_flood_split(100, 300, cand, 5, h);
    CHECK(k == 2);
    CHECK(cand[h[0].idx] == 120 && h[0].limit == 150);
    CHECK(cand[h[1].idx] == 150 && h[1].limit == 300);
    /* Across zero. */
    k = plan_flood_split(UINT64_MAX - 5, 60, cand, 5, h);
    CHECK(k == 1 && cand[h[0].idx] == 50 && h[0].limit == 60);
    /* Nothing left in the part: a leaf. */
    CHECK(plan_flood_split(120, 150, cand, 5, h) == 0);
}

static void mkpeer_id(ring_peer *p, uint64_t hi)
{
    memset(p, 0, sizeof(*p));
    ring_id_from_u64(&p->id, hi, rnd());
    memcpy(p->pub, &hi, sizeof(hi));
}

/* A peer as the ring has it: the id derived from the key. */
static void mkpeer_key(ring_peer *p)
{
    memset(p, 0, sizeof(*p));
    for (unsigned i = 0; i < 32; i++)
        p->pub[i] = (uint8_t)rnd();
    ringid_from_pubkey(p->id.b, p->pub);
}

static void test_enclave_neighbours(void)
{
    ring_peer h[4], s, p;
    ring_id self;

    mkpeer_id(&h[0], 10);
    mkpeer_id(&h[1], 500);
    mkpeer_id(&h[2], 900);
    ring_id_from_u64(&self, 600, 0);
    h[3] = h[0];
    h[3].id = self;                               /* ourselves: skipped */
    CHECK(plan_enclave_neighbours(&self, h, 4, &s, &p));
    CHECK(plan_id64(&s.id) == 900 && plan_id64(&p.id) == 500);
    ring_id_from_u64(&self, 950, 0);              /* successor across zero */
    CHECK(plan_enclave_neighbours(&self, h, 3, &s, &p));
    CHECK(plan_id64(&s.id) == 10 && plan_id64(&p.id) == 900);
    CHECK(!plan_enclave_neighbours(&self, h, 0, &s, &p));
    h[3].id = self;
    CHECK(!plan_enclave_neighbours(&self, &h[3], 1, &s, &p));   /* only ourselves */
}

enum { T_HOSTS = 48, T_DEG = 3 };

struct t_world {
    uint64_t id[T_HOSTS];
    bool link[T_HOSTS][T_HOSTS];
    unsigned got[T_HOSTS];
};

/* Deliver along the tree from @at with part (at, limit), depth first. */
static void t_flood(struct t_world *w, unsigned at, unsigned from, uint64_t limit,
                    unsigned depth)
{
    uint64_t cand[T_HOSTS];
    unsigned who[T_HOSTS], n = 0, k;
    struct plan_flood_hop h[PLAN_FLOOD_MAX];

    CHECK(depth <= T_HOSTS);
    if (depth > T_HOSTS)
        return;
    for (unsigned j = 0; j < T_HOSTS; j++)
        if (w->link[at][j] && j != from) {
            who[n] = j;
            cand[n++] = w->id[j];
        }
    k = plan_flood_split(w->id[at], limit, cand, n, h);
    for (unsigned i = 0; i < k; i++) {
        unsigned to = who[h[i].idx];

        w->got[to]++;
        t_flood(w, to, at, h[i].limit, depth + 1);
    }
}

static int t_cmp(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

    return x < y ? -1 : x > y;
}

static void t_world_make(struct t_world *w)
{
    uint64_t sorted[T_HOSTS];

    memset(w, 0, sizeof(*w));
    for (unsigned i = 0; i < T_HOSTS; i++)
        sorted[i] = w->id[i] = rnd();
    qsort(sorted, T_HOSTS, sizeof(sorted[0]), t_cmp);
    for (unsigned i = 0; i < T_HOSTS; i++) {
        /* Random links (fingers, data links) ... */
        for (unsigned d = 0; d < T_DEG; d++) {
            unsigned j = (unsigned)(rnd() % T_HOSTS);

            w->link[i][j] = w->link[j][i] = i != j;
        }
        /* ... and the enclave successor, found as plan_enclave_neighbours() would. */
        for (unsigned j = 0; j < T_HOSTS; j++) {
            unsigned pos = 0;

            while (sorted[pos] != w->id[i])
                pos++;
            if (w->id[j] == sorted[(pos + 1) % T_HOSTS])
                w->link[i][j] = w->link[j][i] = true;
        }
    }
}

static void test_tree_oracle(void)
{
    struct t_world *w = malloc(sizeof(*w));

    CHECK(w != NULL);
    if (!w)
        return;
    for (unsigned round = 0; round < 20; round++) {
        t_world_make(w);
        for (unsigned o = 0; o < T_HOSTS; o++) {
            memset(w->got, 0, sizeof(w->got));
            t_flood(w, o, o, w->id[o], 0);
            for (unsigned i = 0; i < T_HOSTS; i++)
                CHECK(w->got[i] == (i == o ? 0u : 1u));
        }
    }
    free(w);
}

/* An enclave neighbour's link is opened when down, never idle-closed. */
static void test_keep(void)
{
    struct plan_config cfg = { .idle_ns = S(10) };
    struct plan_ring_view v;
    struct plan_actions a;
    struct plan *pl;
    ring_peer nb, kept;
    bool connect = false, asked = false;

    for (unsigned i = 0; i < 32; i++)
        cfg.self_pub[i] = (uint8_t)rnd();
    pl = plan_new(&cfg);
    CHECK(pl != NULL);
    if (!pl)
        return;
    mkpeer_key(&nb);
    mkpeer_key(&kept);
    memset(&v, 0, sizeof(v));
    v.state = RING_ACTIVE;
    v.succ = nb.id;
    v.n_nb = 1;
    v.nb[0] = nb;
    plan_on_ring(pl, &v, S(1));
    plan_set_keep(pl, &kept, 1);
    for (uint64_t now; (now = plan_next_deadline(pl)) <= S(3);) {
        plan_on_timeout(pl, now, &a);
        for (unsigned i = 0; i < a.n; i++)
            connect |= a.a[i].kind == PLAN_ACT_CONNECT && memcmp(a.a[i].pub, kept.pub, 32) == 0;
    }
    CHECK(connect);                               /* no link yet: open one */
    plan_link_state(pl, kept.pub, PLAN_LF_HAS_EP, PLAN_LINK_UP);
    plan_on_data(pl, kept.pub, S(3));
    for (uint64_t now; (now = plan_next_deadline(pl)) <= S(40);) {
        plan_on_timeout(pl, now, &a);
        for (unsigned i = 0; i < a.n; i++)
            asked |= a.a[i].kind == PLAN_ACT_ASK_CLOSE && memcmp(a.a[i].pub, kept.pub, 32) == 0;
    }
    CHECK(!asked);                                /* idle for 37 s, still kept */
    CHECK(plan_on_close_msg(pl, kept.pub, PLAN_CLOSE_MSG_REQUEST, S(40)) == PLAN_CLOSE_IGNORE);
    plan_set_keep(pl, NULL, 0);
    CHECK(plan_on_close_msg(pl, kept.pub, PLAN_CLOSE_MSG_REQUEST, S(41)) == PLAN_CLOSE_AGREE);
    plan_free(pl);
}

int main(void)
{
    test_split_literal();
    test_enclave_neighbours();
    test_tree_oracle();
    test_keep();
    return CHECK_DONE();
}
