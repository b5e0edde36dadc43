/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Small rings driven through the simulation engine (virtual clock,
 * in-memory message queue), checked against a sorted-array oracle.
 */
#include "routing/ring.h"
#include "routing/sim/engine.h"
#include "lib/check.h"

#include <stdlib.h>
#include <string.h>


#define SEC 1000000000ULL

static ring_config test_cfg(void)
{
    ring_config c;

    ring_config_default(&c);
    /* Records must survive by replication alone here, not by refresh. */
    c.refresh_ns = 600 * SEC;
    c.record_ttl_ns = 1800 * SEC;
    return c;
}

static bool carry_policy(uint32_t host, uint32_t enclave)
{
    return enclave != 99;       /* nobody may carry enclave 99 */
}

/* Run until the ring matches the oracle; returns the time it took or 0. */
static uint64_t settle(struct eng *e, uint64_t limit)
{
    uint64_t start = eng_now(e);
    uint32_t alive = 0;

    for (uint32_t i = 0; i < eng_nhosts(e); i++)
        alive += eng_alive(e, i);
    for (uint64_t t = start; t <= start + limit; t += SEC / 2) {
        eng_run_until(e, t);
        if (eng_oracle_size(e) == alive && eng_check_ring(e) == 0)
            return t - start + 1;
    }
    return 0;
}

static void mac_of(uint8_t mac[6], uint32_t host)
{
    mac[0] = 2;
    mac[1] = 0;
    mac[2] = (uint8_t)(host >> 24);
    mac[3] = (uint8_t)(host >> 16);
    mac[4] = (uint8_t)(host >> 8);
    mac[5] = (uint8_t)host;
}

static void check_lookups(struct eng *e, const char *what)
{
    size_t nl;
    const struct eng_lookup *l = eng_lookups(e, &nl);
    size_t ok = 0;

    for (size_t i = 0; i < nl; i++) {
        int32_t want = eng_oracle_succ(e, &l[i].key);

        CHECK(l[i].done && l[i].status == 0 && l[i].owner == want,
              "%s: lookup %zu from host %u: done=%d status=%d owner=%d want=%d hops=%u",
              what, i, l[i].host, l[i].done, l[i].status, l[i].owner, want, l[i].hops);
        ok += l[i].done && l[i].status == 0 && l[i].owner == want;
    }
    CHECK(nl > 0, "%s: no lookups", what);
    printf("%s: %zu/%zu lookups correct\n", what, ok, nl);
}

/* Every live host gets the MAC record of @count other live hosts. */
static void check_records(struct eng *e, uint32_t n, const char *what)
{
    size_t nl;
    const struct eng_lookup *l;
    uint32_t asked = 0;

    eng_lookups_clear(e);
    for (uint32_t i = 0; i < n; i++) {
        uint8_t mac[6];
        uint32_t j = (i * 7 + 3) % n;

        if (!eng_alive(e, i))
            continue;
        while (!eng_alive(e, j))
            j = (j + 1) % n;
        mac_of(mac, j);
        eng_get_mac(e, i, 1 + j % 5, mac);
        asked++;
    }
    eng_run_until(e, eng_now(e) + 15 * SEC);
    l = eng_lookups(e, &nl);
    CHECK(nl == asked, "%s: %zu gets", what, nl);
    for (size_t i = 0; i < nl; i++) {
        uint32_t j = (l[i].host * 7 + 3) % n;

        while (!eng_alive(e, j))
            j = (j + 1) % n;
        CHECK(l[i].done && l[i].status == 0 && l[i].nrecs == 1 &&
              ring_peer_eq(&l[i].rec0.host, eng_peer(e, j)) && l[i].rec0.seq == 10,
              "%s: get %zu (host %u asks for %u): done=%d status=%d nrecs=%u", what, i,
              l[i].host, j, l[i].done, l[i].status, l[i].nrecs);
    }
}

/* ring_node_neighbours against its definition: the predecessor, then the
 * finger of every bit in order, without self, duplicates or successors
 * past the first. */
static void check_neighbours(const struct ring_node *node, const char *what)
{
    ring_peer want[RING_ID_BITS + 1], got[RING_ID_BITS + 1];
    const ring_peer *pred = ring_node_pred(node), *self = ring_node_self(node);
    unsigned k = 0, ns = ring_node_nsucc(node), ng;

    if (pred && !ring_id_eq(&pred->id, &self->id))
        want[k++] = *pred;
    for (unsigned b = 0; b < RING_ID_BITS; b++) {
        const ring_peer *p = ring_node_finger(node, b);
        bool skip = ring_id_eq(&p->id, &self->id);

        for (unsigned i = 1; i < ns && !skip; i++)
            skip = ring_id_eq(&ring_node_succ(node, i)->id, &p->id);
        for (unsigned i = 0; i < k && !skip; i++)
            skip = ring_id_eq(&want[i].id, &p->id);
        if (!skip)
            want[k++] = *p;
    }
    ng = ring_node_neighbours(node, got, RING_ID_BITS + 1);
    CHECK(ng == k, "%s: %u neighbours, want %u", what, ng, k);
    for (unsigned i = 0; i < k && i < ng; i++)
        CHECK(ring_id_eq(&got[i].id, &want[i].id), "%s: neighbour %u differs", what, i);
}

static void scenario(uint32_t n, uint64_t seed, bool wrap_ids)
{
    ring_config cfg = test_cfg();
    struct eng *e;
    uint32_t total = n + n / 10 + 1;
    uint64_t t;
    char what[64];

    /* Ids placed by hand are no hashes of the hosts' keys. */
    cfg.bind_ids = !wrap_ids;
    e = eng_new(total, seed, &cfg);

    eng_set_may_carry(e, carry_policy);
    if (wrap_ids) {
        /* Ids straddling zero exercise every wrap-around path. */
        for (uint32_t i = 0; i < total; i++) {
            ring_id id;

            ring_id_from_u64(&id, i % 2 ? UINT64_MAX : 0, i % 2 ? UINT64_MAX - i : i);
            eng_set_id(e, i, &id);
        }
    }
    snprintf(what, sizeof(what), "n=%u", n);
    eng_create(e, 0);
    for (uint32_t i = 1; i < n; i++) {
        eng_run_until(e, eng_now(e) + SEC / 10);
        eng_join(e, i, 0);
    }
    t = settle(e, 300 * SEC);
    CHECK(t > 0, "%s: ring not consistent; %u bad", what, eng_check_ring(e));
    printf("%s: consistent %.1f s after the last join\n", what, (double)t / SEC);
    CHECK(eng_oracle_size(e) == n, "%s: %u members", what, eng_oracle_size(e));
    /* Fingers: one per fix_fingers tick, about log2(n / r) of them. */
    eng_run_until(e, eng_now(e) + 120 * SEC);
    CHECK(eng_check_ring(e) == 0, "%s: ring drifted", what);
    {
        uint64_t bad = eng_check_fingers(e, n);

        CHECK(bad == 0, "%s: %llu wrong fingers", what, (unsigned long long)bad);
    }
    for (uint32_t i = 0; i < n; i++)
        check_neighbours(eng_node(e, i), what);

    /* Lookups from every node for random keys find the oracle's successor. */
    eng_lookups_clear(e);
    for (uint32_t i = 0; i < n; i++) {
        for (int k = 0; k < 5; k++) {
            ring_id key;

            ring_id_from_u64(&key, eng_rand(e), eng_rand(e));
            eng_lookup(e, i, &key);
        }
    }
    eng_run_until(e, eng_now(e) + 15 * SEC);
    check_lookups(e, what);

    /* Records: every host publishes its MAC (seq 10) and its membership. */
    for (uint32_t i = 0; i < n; i++) {
        uint8_t mac[6];

        mac_of(mac, i);
        CHECK(ring_node_publish_mac(eng_node(e, i), eng_now(e), 1 + i % 5, mac, 10) == 0,
              "%s: publish", what);
        ring_node_publish_member(eng_node(e, i), eng_now(e), 1 + i % 5);
        eng_run_until(e, eng_now(e) + SEC / 100);
    }
    eng_run_until(e, eng_now(e) + 5 * SEC);
    check_records(e, n, what);

    /* Membership: each enclave lists exactly the hosts that published it. */
    eng_lookups_clear(e);
    for (uint32_t enc = 1; enc <= 5 && enc <= n; enc++)
        eng_get_members(e, 0, enc);
    eng_run_until(e, eng_now(e) + 10 * SEC);
    {
        size_t nl;
        const struct eng_lookup *l = eng_lookups(e, &nl);

        for (size_t i = 0; i < nl; i++) {
            uint32_t want = 0;

            for (uint32_t h = 0; h < n; h++)
                want += 1 + h % 5 == i + 1;
            if (want > RING_MSG_RECS_MAX)
                want = RING_MSG_RECS_MAX;
            CHECK(l[i].done && l[i].status == 0 && l[i].nrecs == want,
                  "%s: members of %zu: status %d, %u hosts, want %u", what, i + 1,
                  l[i].status, l[i].nrecs, want);
        }
    }

    if (n >= 10) {
        /* Keys move to joining nodes: 10% more hosts join, records stay. */
        for (uint32_t i = n; i < total; i++) {
            eng_join(e, i, (uint32_t)(eng_rand(e) % n));
            eng_run_until(e, eng_now(e) + SEC / 5);
        }
        CHECK(settle(e, 120 * SEC) > 0, "%s: ring after joins; %u bad", what,
              eng_check_ring(e));
        check_records(e, n, "after joins");

        /* Graceful leave of 10%: records are handed over. */
        for (uint32_t k = 0; k < n / 10; k++) {
            uint32_t i = 1 + k * 7 % (n - 1);

            if (eng_alive(e, i))
                eng_leave(e, i);
            eng_run_until(e, eng_now(e) + SEC / 2);
        }
        CHECK(settle(e, 120 * SEC) > 0, "%s: ring after leaves; %u bad", what,
              eng_check_ring(e));
        check_records(e, n, "after leaves");

        /* Kill 20% at once: the ring heals, records survive via replicas. */
        for (uint32_t k = 0, killed = 0; killed < eng_oracle_size(e) / 5 && k < 10 * n; k++) {
            uint32_t i = (uint32_t)(eng_rand(e) % total);

            if (eng_alive(e, i)) {
                eng_kill(e, i);
                killed++;
            }
        }
        t = settle(e, 120 * SEC);
        CHECK(t > 0, "%s: ring after kills; %u bad", what, eng_check_ring(e));
        printf("%s: healed %.1f s after killing 20%%\n", what, (double)t / SEC);
        check_records(e, n, "after kills");
        eng_lookups_clear(e);
        for (uint32_t i = 0; i < total; i++) {
            ring_id key;

            if (!eng_alive(e, i))
                continue;
            ring_id_from_u64(&key, eng_rand(e), eng_rand(e));
            eng_lookup(e, i, &key);
        }
        eng_run_until(e, eng_now(e) + 15 * SEC);
        check_lookups(e, "after kills");
    }
    /* Joins, leaves (hand-offs), kills and refreshes of honest hosts trip
     * no trust check (routing/trust.c): every refusal counter is 0. */
    for (uint32_t i = 0; i < total; i++) {
        const ring_stats *st = eng_node(e, i) ? ring_node_stats(eng_node(e, i)) : NULL;

        if (!st)
            continue;
        CHECK(st->msgs_bad_host + st->recs_bad_host + st->recs_bad_seq + st->recs_bad_ttl +
              st->recs_from_noncarrier + st->recs_quota + st->gets_rejected +
              st->probe_owner_noncarrier == 0, "%s: host %u refused honest input", what, i);
    }
    printf("%s: %llu messages, %llu events, t=%.0f s\n", what,
           (unsigned long long)eng_msgs_sent(e), (unsigned long long)eng_events(e),
           (double)eng_now(e) / SEC);
    eng_free(e);
}

int main(void)
{
    setvbuf(stdout, NULL, _IOLBF, 0);
    scenario(2, 1, true);
    scenario(3, 2, true);
    scenario(10, 3, false);
    scenario(10, 4, true);
    scenario(100, 5, false);
    if (check_failures)
        fprintf(stderr, "%d failures\n", check_failures);
    return check_failures ? 1 : 0;
}
