/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Merging rings (routing/unity.c), driven through the simulation engine:
 * two rings formed apart become one consistent ring within a bound once
 * one host of one ring is told of one host of the other; the memory of
 * hosts stays bounded; a dead remembered host is harmless; a healthy ring
 * pays little for the checks.
 */
#include "routing/ring.h"
#include "routing/sim/engine.h"
#include "lib/check.h"

#include <stdlib.h>
#include <string.h>

#define SEC 1000000000ULL
#define MERGE_BOUND_S 60        /* docs/routing.md, "Merging rings" */

/* Hosts [lo, hi) form one consistent ring of their own: each one's
 * successor and predecessor are its neighbours among exactly these hosts. */
static bool group_ok(struct eng *e, uint32_t lo, uint32_t hi)
{
    for (uint32_t h = lo; h < hi; h++) {
        const struct ring_node *nd = eng_node(e, h);
        const ring_peer *s, *p;
        int32_t si, pi;

        if (!nd || ring_node_state(nd) != RING_ACTIVE)
            return false;
        s = ring_node_succ(nd, 0);
        p = ring_node_pred(nd);
        if (!p)
            return false;
        si = eng_index_of(e, &s->id);
        pi = eng_index_of(e, &p->id);
        if (si < (int32_t)lo || si >= (int32_t)hi || pi < (int32_t)lo || pi >= (int32_t)hi)
            return false;
        for (uint32_t x = lo; x < hi; x++) {
            const ring_id *xid = &eng_peer(e, x)->id, *self = &eng_peer(e, h)->id;

            if (ring_id_in_oo(xid, self, &s->id) || ring_id_in_oo(xid, &p->id, self))
                return false;
        }
    }
    return true;
}

/* Two rings of @na and @nb hosts (joined at 10/s), each consistent. */
static struct eng *two_rings(uint32_t na, uint32_t nb, uint64_t seed)
{
    ring_config cfg;
    struct eng *e;
    uint64_t t;

    ring_config_default(&cfg);
    e = eng_new(na + nb, seed, &cfg);
    eng_create(e, 0);
    eng_create(e, na);
    for (uint32_t i = 1; i < na || i < nb; i++) {
        eng_run_until(e, eng_now(e) + SEC / 10);
        if (i < na)
            eng_join(e, i, 0);
        if (i < nb)
            eng_join(e, na + i, na);
    }
    for (t = 0; t < 300 && !(group_ok(e, 0, na) && group_ok(e, na, na + nb)); t++)
        eng_run_until(e, eng_now(e) + SEC);
    CHECK(group_ok(e, 0, na) && group_ok(e, na, na + nb),
          "%u+%u: two consistent rings after %llu s", na, nb, (unsigned long long)t);
    /* They stay apart however long nobody tells them of each other. */
    eng_run_until(e, eng_now(e) + 60 * SEC);
    CHECK(group_ok(e, 0, na) && group_ok(e, na, na + nb), "%u+%u: rings merged by themselves",
          na, nb);
    return e;
}

/* Run until one consistent ring (successor lists included); seconds or -1. */
static double until_one_ring(struct eng *e, uint32_t n, uint64_t limit_s)
{
    uint64_t start = eng_now(e);

    for (uint64_t t = start; t <= start + limit_s * SEC; t += SEC / 10) {
        eng_run_until(e, t);
        if (eng_oracle_size(e) == n && eng_check_ring(e) == 0)
            return (double)(t - start) / SEC;
    }
    return -1;
}

static void check_lookups(struct eng *e, uint32_t n, const char *what)
{
    size_t nl, ok = 0;
    const struct eng_lookup *l;

    eng_lookups_clear(e);
    for (uint32_t i = 0; i < n; i++) {
        ring_id key;

        ring_id_from_u64(&key, eng_rand(e), eng_rand(e));
        eng_lookup(e, i, &key);
    }
    eng_run_until(e, eng_now(e) + 15 * SEC);
    l = eng_lookups(e, &nl);
    for (size_t i = 0; i < nl; i++)
        ok += l[i].done && l[i].status == 0 && l[i].owner == eng_oracle_succ(e, &l[i].key);
    CHECK(nl == n && ok == nl, "%s: %zu/%zu lookups right", what, ok, nl);
}

static void merge(uint32_t na, uint32_t nb, uint64_t seed)
{
    struct eng *e = two_rings(na, nb, seed);
    uint32_t a = na - 1, b = na + nb / 2;
    char what[64];
    double t;

    snprintf(what, sizeof(what), "merge %u+%u", na, nb);
    /* One host of ring A hears of one host of ring B (a reloaded [Peer]). */
    CHECK(ring_node_remember(eng_node(e, a), eng_now(e), eng_peer(e, b)) == 0, "%s", what);
    t = until_one_ring(e, na + nb, MERGE_BOUND_S);
    CHECK(t >= 0, "%s: not one ring within %d s; %u bad", what, MERGE_BOUND_S,
          eng_check_ring(e));
    printf("%s: one consistent ring %.1f s after the hint\n", what, t);
    check_lookups(e, na + nb, what);
    eng_free(e);
}

/* The memory keeps at most RING_SEEN_MAX hosts, handed-in ones first. */
static void bounded_memory(void)
{
    ring_config cfg;
    struct eng *e;
    struct ring_node *nd;
    size_t mem;

    ring_config_default(&cfg);
    e = eng_new(200, 7, &cfg);
    eng_create(e, 0);
    nd = eng_node(e, 0);
    mem = ring_node_mem(nd);
    for (uint32_t i = 1; i < 200; i++)
        ring_node_remember(nd, eng_now(e) + i, eng_peer(e, i));
    CHECK_EQ(ring_node_nseen(nd), RING_SEEN_MAX);
    CHECK_EQ(ring_node_mem(nd), mem);
    /* Least recently seen went first: the last RING_SEEN_MAX remain. */
    for (unsigned i = 0; i < ring_node_nseen(nd); i++)
        CHECK(eng_index_of(e, &ring_node_seen(nd, i)->id) >= 200 - RING_SEEN_MAX,
              "seen %u: host %d", i, eng_index_of(e, &ring_node_seen(nd, i)->id));
    CHECK(ring_node_remember(nd, eng_now(e), eng_peer(e, 0)) < 0, "self remembered");
    eng_free(e);
}

static bool seen_has(struct eng *e, const struct ring_node *nd, uint32_t host)
{
    for (unsigned i = 0; i < ring_node_nseen(nd); i++) {
        if (eng_index_of(e, &ring_node_seen(nd, i)->id) == (int32_t)host)
            return true;
    }
    return false;
}

/* A remembered host that died costs one unanswered request per check; one
 * the node noted itself (a ring member found dead) is forgotten after a
 * few, a handed-in one stays. The ring is undisturbed either way. */
static void dead_host(void)
{
    struct eng *e = two_rings(8, 2, 11);
    struct ring_node *nd = eng_node(e, 3);
    uint64_t sent;

    eng_kill(e, 8);
    eng_kill(e, 9);
    ring_node_remember(nd, eng_now(e), eng_peer(e, 9));
    eng_kill(e, 5);
    eng_run_until(e, eng_now(e) + 15 * SEC);
    {
        unsigned noted = 0;

        for (uint32_t i = 0; i < 8; i++)
            noted += eng_alive(e, i) && seen_has(e, eng_node(e, i), 5);
        CHECK(noted > 0, "dead member 5 noted by nobody");
    }
    eng_run_until(e, eng_now(e) + 285 * SEC);
    CHECK(eng_oracle_size(e) == 7 && eng_check_ring(e) == 0, "dead host: ring disturbed");
    sent = ring_node_stats(nd)->unity_checks;
    /* 300 s / 20 s on average, and the first one soon after the hint. */
    CHECK(sent >= 5 && sent <= 32, "dead host: %llu checks in 300 s", (unsigned long long)sent);
    CHECK(seen_has(e, nd, 9), "handed-in dead host forgotten");
    for (uint32_t i = 0; i < 8; i++)
        CHECK(!eng_alive(e, i) || !seen_has(e, eng_node(e, i), 5),
              "host %u still remembers dead member 5", i);
    printf("dead host: %llu unanswered checks in 300 s, kept; dead member forgotten\n",
           (unsigned long long)sent);
    eng_free(e);
}

/* Messages sent by a healthy ring of @n hosts over 600 s, each host
 * remembering a host beyond its neighbours; @unity_ns 0 turns checks off. */
static uint64_t healthy_run(uint32_t n, uint64_t unity_ns, uint64_t *checks, uint64_t *splits)
{
    ring_config cfg;
    struct eng *e;
    uint64_t m0;

    ring_config_default(&cfg);
    cfg.unity_ns = unity_ns;
    e = eng_new(n, 13, &cfg);
    eng_create(e, 0);
    for (uint32_t i = 1; i < n; i++) {
        eng_run_until(e, eng_now(e) + SEC / 10);
        eng_join(e, i, 0);
    }
    CHECK(until_one_ring(e, n, 120) >= 0, "healthy: ring");
    eng_run_until(e, eng_now(e) + 60 * SEC);
    *checks = *splits = 0;
    for (uint32_t i = 0; i < n; i++) {
        *checks -= ring_node_stats(eng_node(e, i))->unity_checks;
        *splits -= ring_node_stats(eng_node(e, i))->unity_splits;
        ring_node_remember(eng_node(e, i), eng_now(e), eng_peer(e, (i + n / 2) % n));
    }
    m0 = eng_msgs_sent(e);
    eng_run_until(e, eng_now(e) + 600 * SEC);
    m0 = eng_msgs_sent(e) - m0;
    for (uint32_t i = 0; i < n; i++) {
        *checks += ring_node_stats(eng_node(e, i))->unity_checks;
        *splits += ring_node_stats(eng_node(e, i))->unity_splits;
    }
    CHECK(eng_check_ring(e) == 0, "healthy: ring disturbed");
    eng_free(e);
    return m0;
}

/* Cost in one healthy ring: one check per host per unity period (O(log n)
 * messages each), and no false alarm. */
static void healthy_cost(void)
{
    const uint32_t n = 64;
    uint64_t checks, splits, with, without;

    without = healthy_run(n, 0, &checks, &splits);
    CHECK(checks == 0, "unity_ns 0: %llu checks", (unsigned long long)checks);
    with = healthy_run(n, 20 * SEC, &checks, &splits);
    CHECK(splits == 0, "healthy: %llu false splits", (unsigned long long)splits);
    /* 600 s / 20 s average period, plus the first check soon after. */
    CHECK(checks <= n * 34ULL, "healthy: %llu checks", (unsigned long long)checks);
    printf("healthy %u: %.2f checks per host per minute, %.1f extra messages per check "
           "(%.1f%% of all ring messages)\n", n, (double)checks / n / 10,
           checks ? (double)(with - without) / (double)checks : 0.0,
           100.0 * (double)(with - without) / (double)with);
}

int main(void)
{
    setvbuf(stdout, NULL, _IOLBF, 0);
    merge(2, 2, 1);
    merge(6, 6, 2);
    merge(3, 30, 3);
    merge(50, 50, 4);
    bounded_memory();
    dead_host();
    healthy_cost();
    return CHECK_DONE();
}
