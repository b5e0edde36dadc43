/* SPDX-License-Identifier: GPL-2.0-only */
/* fdb.c: learning, ageing, EVPN sequence rules, bounds. */
#include <errno.h>
#include <stdbool.h>
#include <string.h>

#include "overlayd/datapath/fdb.h"
#include "lib/check.h"

static int peer_a, peer_b;            /* only their addresses are used */
#define PA ((void *)&peer_a)
#define PB ((void *)&peer_b)
#define S ((uint64_t)1000000000)

static void mac_n(uint8_t m[6], unsigned n)
{
    m[0] = 0x52; m[1] = 0x54; m[2] = 0;
    m[3] = (uint8_t)(n >> 16); m[4] = (uint8_t)(n >> 8); m[5] = (uint8_t)n;
}

static void test_learn_and_age(void)
{
    struct fdb *f;
    uint8_t m1[6], m2[6];
    const struct fdb_entry *e;

    mac_n(m1, 1);
    mac_n(m2, 2);
    CHECK(fdb_new(16, 42, &f) == 0);
    CHECK(fdb_lookup(f, m1) == NULL);
    /* a new local MAC is a claim with seq 1 (highest known 0, + 1) */
    CHECK(fdb_learn(f, m1, NULL, 1 * S) == FDB_CLAIMED);
    CHECK(fdb_learn(f, m1, NULL, 1 * S) == 0);
    CHECK(fdb_learn(f, m2, PA, 1 * S) == 0);
    e = fdb_lookup(f, m1);
    CHECK(e && e->peer == NULL && e->state == FDB_LEARNED && e->seq == 1);
    e = fdb_lookup(f, m2);
    CHECK(e && e->peer == PA);
    /* moves when seen elsewhere */
    CHECK(fdb_learn(f, m2, PB, 2 * S) == 0);
    e = fdb_lookup(f, m2);
    CHECK(e && e->peer == PB && e->last_seen == 2 * S);
    CHECK(fdb_count(f) == 2);
    /* ageing: m1 last seen at 1 s, m2 at 2 s; at 301.5 s only m1 is too old */
    CHECK(fdb_age(f, 301 * S + S / 2, 300 * S) == 1);
    CHECK(fdb_lookup(f, m1) == NULL);
    CHECK(fdb_lookup(f, m2) != NULL);
    /* refresh keeps it */
    CHECK(fdb_learn(f, m2, PB, 302 * S) == 0);
    CHECK(fdb_age(f, 303 * S, 300 * S) == 0);
    CHECK(fdb_flush_peer(f, PB) == 1);
    CHECK(fdb_count(f) == 0);
    fdb_free(f);
}

static void test_seq_rules(void)
{
    struct fdb *f;
    uint8_t m[6];
    uint64_t seq = 99;
    const struct fdb_entry *e;

    mac_n(m, 7);
    CHECK(fdb_new(8, 1, &f) == 0);
    /* announce from A with seq 3 */
    CHECK(fdb_announce(f, m, PA, 3, 1) == 0);
    e = fdb_lookup(f, m);
    CHECK(e && e->state == FDB_REMOTE && e->peer == PA && e->seq == 3);
    /* B with a lower or equal seq loses */
    CHECK(fdb_announce(f, m, PB, 2, 2) == -ESTALE);
    CHECK(fdb_announce(f, m, PB, 3, 2) == -ESTALE);
    CHECK(fdb_lookup(f, m)->peer == PA);
    /* data-plane learning elsewhere cannot move a control-plane entry */
    CHECK(fdb_learn(f, m, PB, 3) == -EPERM);
    CHECK(fdb_lookup(f, m)->peer == PA);
    /* higher seq from B wins (the VM moved) */
    CHECK(fdb_announce(f, m, PB, 4, 4) == 0);
    CHECK(fdb_lookup(f, m)->peer == PB && fdb_lookup(f, m)->seq == 4);
    /* the same origin may restart its counter */
    CHECK(fdb_announce(f, m, PB, 1, 5) == 0);
    CHECK(fdb_lookup(f, m)->seq == 1);
    CHECK(fdb_announce(f, m, PB, 4, 5) == 0);
    /* withdrawal: only by the owner, only with seq >= entry's */
    CHECK(fdb_withdraw(f, m, PA, 10) == -ENOENT);
    CHECK(fdb_withdraw(f, m, PB, 3) == -ESTALE);
    CHECK(fdb_lookup(f, m) != NULL);
    /* a local attach takes it over with the highest seq + 1 */
    CHECK(fdb_set_static(f, m, 6, &seq) == 0);
    CHECK(seq == 5);
    e = fdb_lookup(f, m);
    CHECK(e && e->state == FDB_STATIC && e->peer == NULL && e->seq == 5);
    /* idempotent */
    CHECK(fdb_set_static(f, m, 7, &seq) == 0 && seq == 5);
    /* the old owner's stale announcement and withdrawal do nothing */
    CHECK(fdb_announce(f, m, PB, 4, 8) == -ESTALE);
    CHECK(fdb_withdraw(f, m, PB, 100) == -ENOENT);
    CHECK(fdb_lookup(f, m)->state == FDB_STATIC);
    /* flushing a peer never removes static entries */
    CHECK(fdb_flush_peer(f, PB) == 0);
    /* a newer announcement elsewhere, once not heard here for a while,
     * beats our static: it moved away, we forward for the grace period */
    CHECK(fdb_announce(f, m, PA, 6, 9 * S) == FDB_MOVED_AWAY);
    CHECK(fdb_lookup(f, m)->peer == PA && fdb_lookup(f, m)->state == FDB_FORWARDING);
    CHECK(fdb_remove_static(f, m, &seq) == -ENOENT);
    CHECK(fdb_withdraw(f, m, PA, 6) == 0);
    CHECK(fdb_lookup(f, m) == NULL);
    /* static on a fresh MAC starts at 1; remove reports its seq */
    CHECK(fdb_set_static(f, m, 10, &seq) == 0 && seq == 1);
    CHECK(fdb_remove_static(f, m, &seq) == 0 && seq == 1);
    CHECK(fdb_count(f) == 0);
    fdb_free(f);
}

static void test_bounds(void)
{
    struct fdb *f;
    uint8_t m[6];
    uint64_t seq;
    size_t seen = 0;

    CHECK(fdb_new(0, 0, &f) == -EINVAL);
    CHECK(fdb_new(4, 5, &f) == 0);
    /* 2 control-plane entries, then learned ones: the table stays at 4 */
    mac_n(m, 100);
    CHECK(fdb_set_static(f, m, 1, &seq) == 0);
    mac_n(m, 101);
    CHECK(fdb_announce(f, m, PA, 1, 1) == 0);
    for (unsigned i = 0; i < 50; i++) {
        mac_n(m, i);
        CHECK(fdb_learn(f, m, NULL, 10 + i) == FDB_CLAIMED);
        CHECK(fdb_count(f) <= 4);
    }
    CHECK(fdb_count(f) == 4);
    /* the two most recent learned entries survive (LRU eviction) */
    mac_n(m, 49);
    CHECK(fdb_lookup(f, m) != NULL);
    mac_n(m, 48);
    CHECK(fdb_lookup(f, m) != NULL);
    mac_n(m, 47);
    CHECK(fdb_lookup(f, m) == NULL);
    mac_n(m, 100);
    CHECK(fdb_lookup(f, m) != NULL);
    mac_n(m, 101);
    CHECK(fdb_lookup(f, m) != NULL);
    /* full of control-plane entries: learning fails, nothing evicted */
    mac_n(m, 102);
    CHECK(fdb_set_static(f, m, 100, &seq) == 0);
    mac_n(m, 103);
    CHECK(fdb_set_static(f, m, 100, &seq) == 0);
    mac_n(m, 104);
    CHECK(fdb_learn(f, m, NULL, 200) == -ENOSPC);
    CHECK(fdb_announce(f, m, PA, 1, 200) == -ENOSPC);
    CHECK(fdb_set_static(f, m, 200, &seq) == -ENOSPC);
    for (size_t i = 0; i < fdb_capacity(f); i++)
        if (fdb_at(f, i))
            seen++;
    CHECK(seen == 4);
    fdb_free(f);
}

static void test_many(void)
{
    struct fdb *f;
    uint8_t m[6];

    /* chains under load: every entry stays findable after removals */
    CHECK(fdb_new(1000, 7, &f) == 0);
    for (unsigned i = 0; i < 1000; i++) {
        mac_n(m, i * 7919);
        CHECK(fdb_learn(f, m, (i % 2) ? PA : PB, i) == 0);
    }
    CHECK(fdb_flush_peer(f, PA) == 500);
    for (unsigned i = 0; i < 1000; i++) {
        mac_n(m, i * 7919);
        CHECK((fdb_lookup(f, m) != NULL) == !(i % 2));
    }
    fdb_free(f);
}

/* Per-peer share: one peer cannot fill the table; room stays for attach. */
static void test_peer_share(void)
{
    static int peers[8];
    struct fdb *f;
    uint8_t m[6];
    uint64_t seq;
    unsigned ok = 0;

    CHECK(fdb_new(64, 3, &f) == 0);
    for (unsigned i = 0; i < 64; i++) {
        mac_n(m, 1000 + i);
        if (fdb_announce(f, m, PA, 1, 1) == 0)
            ok++;
    }
    CHECK(ok == 64 / FDB_PEER_SHARE);
    CHECK(fdb_peer_count(f, PA) == 64 / FDB_PEER_SHARE);
    /* re-announcing what it has is not a new entry */
    mac_n(m, 1000);
    CHECK(fdb_announce(f, m, PA, 2, 2) == 0);
    /* many peers together stop short of the reserve */
    ok = 0;
    for (unsigned p = 0; p < 8; p++)
        for (unsigned i = 0; i < 64; i++) {
            mac_n(m, 2000 + p * 100 + i);
            if (fdb_announce(f, m, &peers[p], 1, 1) == 0)
                ok++;
        }
    CHECK(fdb_count(f) == 64 - 64 / FDB_STATIC_RESERVE);
    /* a local attach still fits */
    mac_n(m, 9);
    CHECK(fdb_set_static(f, m, 3, &seq) == 0);
    /* counts follow removals: withdraw and flush give room back */
    mac_n(m, 1000);
    CHECK(fdb_withdraw(f, m, PA, 2) == 0);
    CHECK(fdb_peer_count(f, PA) == 64 / FDB_PEER_SHARE - 1);
    CHECK(fdb_flush_peer(f, &peers[0]) > 0);
    CHECK(fdb_peer_count(f, &peers[0]) == 0);
    for (unsigned p = 1; p < 8; p++)
        fdb_flush_peer(f, &peers[p]);
    CHECK(fdb_flush_peer(f, PA) == 64 / FDB_PEER_SHARE - 1);
    CHECK(fdb_count(f) == 1);
    for (unsigned p = 0; p < 8; p++)
        CHECK(fdb_peer_count(f, &peers[p]) == 0);
    /* a takeover by another peer moves the count */
    mac_n(m, 5);
    CHECK(fdb_announce(f, m, PA, 1, 4) == 0);
    CHECK(fdb_announce(f, m, PB, 2, 4) == 0);
    CHECK(fdb_peer_count(f, PA) == 0 && fdb_peer_count(f, PB) == 1);
    fdb_free(f);
}

/* Sequence limits: seq 2^63 and above is malformed; takeover saturates. */
static void test_seq_limits(void)
{
    struct fdb *f;
    uint8_t m[6];
    uint64_t seq = 0;

    mac_n(m, 3);
    CHECK(fdb_new(8, 9, &f) == 0);
    CHECK(fdb_announce(f, m, PA, UINT64_MAX, 1) == -EINVAL);
    CHECK(fdb_announce(f, m, PA, FDB_SEQ_MAX + 1, 1) == -EINVAL);
    CHECK(fdb_lookup(f, m) == NULL);
    /* issue 12 item 8: a new MAC's claim at the top is out of reach */
    CHECK(fdb_announce(f, m, PA, FDB_SEQ_MAX, 1) == -ERANGE);
    CHECK(fdb_announce(f, m, PA, FDB_SEQ_FRESH_MAX + 1, 1) == -ERANGE);
    CHECK(fdb_lookup(f, m) == NULL);
    CHECK(fdb_announce(f, m, PA, FDB_SEQ_FRESH_MAX, 1) == 0);
    CHECK(fdb_set_static(f, m, 2, &seq) == 0);
    CHECK(seq == FDB_SEQ_FRESH_MAX + 1);       /* the takeover fits */
    CHECK(fdb_lookup(f, m)->state == FDB_STATIC);
    fdb_free(f);
}

/* Issue 12 item 8: a claim leads the number held by at most 1024, from
 * another host or from the holder itself; a refused one changes nothing,
 * and the local owner's answer (+1) is always within reach. */
static void test_seq_steps(void)
{
    struct fdb *f;
    uint8_t m[6];
    uint64_t seq = 0, t = 1000 * S;
    const struct fdb_entry *e;

    mac_n(m, 11);
    CHECK(fdb_new(16, 9, &f) == 0);
    fdb_set_dup_limits(f, 0, 0, 0);
    CHECK(fdb_announce(f, m, PA, 10, t) == 0);
    CHECK(fdb_announce(f, m, PB, 10 + FDB_SEQ_AHEAD + 1, t) == -ERANGE, "B jumps too far");
    e = fdb_lookup(f, m);
    CHECK(e->peer == PA && e->seq == 10);
    CHECK(fdb_announce(f, m, PA, 10 + FDB_SEQ_AHEAD + 1, t) == -ERANGE, "so does its holder");
    CHECK(e->seq == 10);
    CHECK(fdb_announce(f, m, PB, 10 + FDB_SEQ_AHEAD, t) == 0 && e->peer == PB);
    /* a static entry here: a remote claim at the top is refused, the
     * guest's MAC stays here */
    mac_n(m, 12);
    CHECK(fdb_set_static(f, m, t, &seq) == 0 && seq == 1);
    CHECK(fdb_announce(f, m, PA, FDB_SEQ_MAX, t + 5 * S) == -ERANGE);
    CHECK(fdb_announce(f, m, PA, 2 + FDB_SEQ_AHEAD, t + 5 * S) == -ERANGE);
    e = fdb_lookup(f, m);
    CHECK(e->state == FDB_STATIC && !e->peer && e->seq == 1);
    /* a hostile ramp: 1000 claims of 1024 each move the number by about
     * 2^20 and no more; the owner's answer is one above it */
    mac_n(m, 13);
    CHECK(fdb_announce(f, m, PA, 1, t) == 0);
    for (uint64_t i = 1; i <= 1000; i++)
        CHECK(fdb_announce(f, m, PA, 1 + i * FDB_SEQ_AHEAD, t) == 0);
    e = fdb_lookup(f, m);
    CHECK(e->seq == 1 + 1000 * FDB_SEQ_AHEAD);
    CHECK(fdb_set_static(f, m, t + S, &seq) == 0 && seq == 2 + 1000 * FDB_SEQ_AHEAD);
    /* learned from frames elsewhere: no number held, bounded as new */
    mac_n(m, 14);
    CHECK(fdb_learn(f, m, PA, t) == 0);
    CHECK(fdb_announce(f, m, PB, FDB_SEQ_FRESH_MAX + 1, t) == -ERANGE);
    CHECK(fdb_announce(f, m, PB, 5000, t) == 0 && fdb_lookup(f, m)->peer == PB);
    fdb_free(f);
}

static int order_ab(void *ctx, const void *a, const void *b, const uint8_t mac[6], uint64_t seq)
{
    /* this host (NULL) sorts between A and B: A < self < B */
    int ra = a == PA ? 0 : a == NULL ? 1 : 2, rb = b == PA ? 0 : b == NULL ? 1 : 2;

    (void)ctx;
    (void)mac;
    (void)seq;
    return ra - rb;
}

/* Tie-break: on equal seq the lower identity wins, whatever arrives first. */
static void test_tiebreak(void)
{
    struct fdb *f;
    uint8_t m[6];
    uint64_t seq;

    mac_n(m, 4);
    CHECK(fdb_new(8, 9, &f) == 0);
    fdb_set_tiebreak(f, order_ab, NULL);
    /* B first, then A with the same seq: A wins */
    CHECK(fdb_announce(f, m, PB, 5, 1) == 0);
    CHECK(fdb_announce(f, m, PA, 5, 2) == 0);
    CHECK(fdb_lookup(f, m)->peer == PA);
    /* and B cannot take it back at the same seq */
    CHECK(fdb_announce(f, m, PB, 5, 3) == -ESTALE);
    CHECK(fdb_lookup(f, m)->peer == PA);
    /* our static at seq s: B (higher) loses the tie, A (lower) wins it */
    mac_n(m, 5);
    CHECK(fdb_set_static(f, m, 4 * S, &seq) == 0 && seq == 1);
    CHECK(fdb_announce(f, m, PB, 1, 5 * S) == -ESTALE);
    CHECK(fdb_announce(f, m, PA, 1, 5 * S) == FDB_MOVED_AWAY);
    CHECK(fdb_lookup(f, m)->peer == PA);
    fdb_free(f);
}

/* Issue 12 item 8: the daemon's tie rule. The lowest possible key used
 * to win every tie of every MAC; now each (MAC, number) is its own draw,
 * antisymmetric and the same on every host. */
static void test_tie_order(void)
{
    uint8_t low[32] = { 0 }, k[32], m[6];
    unsigned low_wins = 0, flips = 0;
    int first = 0;

    for (int i = 0; i < 32; i++)
        k[i] = (uint8_t)(0x80 + i);
    for (unsigned n = 0; n < 1000; n++) {
        int c;

        mac_n(m, n);
        c = fdb_tie_order(low, k, m, 7);
        CHECK(c != 0 && (c < 0) == (fdb_tie_order(k, low, m, 7) > 0), "antisymmetric");
        CHECK(c == fdb_tie_order(low, k, m, 7), "deterministic");
        low_wins += c < 0;
    }
    CHECK(low_wins > 400 && low_wins < 600, "key 00..00 wins %u of 1000 MACs' ties", low_wins);
    mac_n(m, 1);
    for (uint64_t s = 1; s <= 64; s++) {
        int c = fdb_tie_order(low, k, m, s) < 0 ? 1 : -1;

        flips += first && c != first;
        first = c;
    }
    CHECK(flips > 10, "one MAC's winner changes with the number: %u flips in 64", flips);
    CHECK(fdb_tie_order(k, k, m, 1) == 0);
}

/* Remote ageing: remote entries not re-announced for 3 periods go. */
static void test_remote_age(void)
{
    struct fdb *f;
    uint8_t m1[6], m2[6];

    mac_n(m1, 1);
    mac_n(m2, 2);
    CHECK(fdb_new(8, 9, &f) == 0);
    CHECK(fdb_announce(f, m1, PA, 1, 10 * S) == 0);
    CHECK(fdb_announce(f, m2, PA, 1, 10 * S) == 0);
    /* m2 re-announced every 30 s, m1 not */
    CHECK(fdb_announce(f, m2, PA, 1, 40 * S) == 0);
    CHECK(fdb_announce(f, m2, PA, 1, 70 * S) == 0);
    CHECK(fdb_age(f, 90 * S, 300 * S) == 0);
    CHECK(fdb_age(f, 101 * S, 300 * S) == 1);
    CHECK(fdb_lookup(f, m1) == NULL);
    CHECK(fdb_lookup(f, m2) != NULL);
    CHECK(fdb_peer_count(f, PA) == 1);
    fdb_free(f);
}

/* Eviction cost: eviction does not scan the table. A full 4096-entry table
 * takes 200k new source MACs; scanning all slots each time was ~7 us per
 * insert (1.4 s here), the LRU list is well under a microsecond. */
/*
 * Eviction is least-recently-used and O(1) by construction (a list, not a
 * scan): check the order it evicts in, not how long it takes — speed
 * belongs to bench/, not to unit tests.
 */
static void test_evict_lru(void)
{
    struct fdb *f;
    uint8_t m[6];

    CHECK(fdb_new(FDB_DEFAULT_MAX, 11, &f) == 0);
    for (unsigned i = 0; i < FDB_DEFAULT_MAX; i++) {
        mac_n(m, i);
        fdb_learn(f, m, NULL, i);
    }
    /* seeing MAC 0 again makes MAC 1 the least recently used */
    mac_n(m, 0);
    CHECK(fdb_learn(f, m, NULL, FDB_DEFAULT_MAX) == 0);
    mac_n(m, 100000);
    CHECK(fdb_learn(f, m, NULL, FDB_DEFAULT_MAX + 1) == FDB_CLAIMED);
    mac_n(m, 0);
    CHECK(fdb_lookup(f, m) != NULL);
    mac_n(m, 1);
    CHECK(fdb_lookup(f, m) == NULL);
    mac_n(m, 2);
    CHECK(fdb_lookup(f, m) != NULL);
    /* a long stream of new sources: the table stays full, the newest stay */
    for (unsigned i = 1; i < 50000; i++) {
        mac_n(m, 100000 + i);
        if (fdb_learn(f, m, NULL, FDB_DEFAULT_MAX + 1 + i) != FDB_CLAIMED) {
            CHECK(0);
            break;
        }
    }
    CHECK(fdb_count(f) == FDB_DEFAULT_MAX);
    mac_n(m, 100000 + 49999);
    CHECK(fdb_lookup(f, m) != NULL);
    mac_n(m, 100000 + 50000 - FDB_DEFAULT_MAX - 1);
    CHECK(fdb_lookup(f, m) == NULL);
    fdb_free(f);
}

#define MS ((uint64_t)1000000)

/* Is @mac in a state the table would announce or publish (local, heard)? */
static bool announced(const struct fdb *f, const uint8_t mac[6])
{
    const struct fdb_entry *e = fdb_lookup(f, mac);

    return e && fdb_entry_local(e);
}

/* Location claims (docs/migration.md), one numbered case per line. */
static void test_claims(void)
{
    struct fdb *f;
    uint8_t m[6], n[6];
    const struct fdb_entry *e;
    uint64_t seq;

    mac_n(m, 20);
    mac_n(n, 21);
    CHECK(fdb_new(16, 5, &f) == 0);
    /* 1. pending with nothing known: announces nothing, reads as pending */
    CHECK(fdb_set_pending(f, m, 1 * S) == 0);
    e = fdb_lookup(f, m);
    CHECK(e && e->state == FDB_PENDING && e->pending && !announced(f, m));
    CHECK(strcmp(fdb_entry_state(e), "pending") == 0);
    /* 2. and idempotent */
    CHECK(fdb_set_pending(f, m, 2 * S) == 0 && fdb_count(f) == 1);
    /* 3. a claim elsewhere places it (steals nothing: it stays pending) */
    CHECK(fdb_announce(f, m, PA, 7, 3 * S) == 0);
    e = fdb_lookup(f, m);
    CHECK(e->state == FDB_REMOTE && e->peer == PA && e->seq == 7 && e->pending);
    CHECK(!announced(f, m) && strcmp(fdb_entry_state(e), "pending") == 0);
    /* 4. a higher remote seq moves a pending entry's location too */
    CHECK(fdb_announce(f, m, PB, 9, 4 * S) == 0);
    CHECK(fdb_lookup(f, m)->peer == PB && fdb_lookup(f, m)->pending);
    /* 5. the first frame here claims it with the highest seq + 1 */
    CHECK(fdb_learn(f, m, NULL, 5 * S) == FDB_MIGRATED);
    e = fdb_lookup(f, m);
    CHECK(e->state == FDB_STATIC && !e->peer && e->seq == 10 && !e->pending);
    CHECK(announced(f, m) && strcmp(fdb_entry_state(e), "local") == 0);
    /* 6. further frames are no new claim */
    CHECK(fdb_learn(f, m, NULL, 5 * S + 1) == 0 && fdb_lookup(f, m)->seq == 10);
    /* 7. lower or equal seq from elsewhere is ignored (the tie: no tie-break set) */
    CHECK(fdb_announce(f, m, PA, 9, 10 * S) == -ESTALE);
    CHECK(fdb_announce(f, m, PA, 10, 10 * S) == -ESTALE);
    CHECK(fdb_lookup(f, m)->state == FDB_STATIC);
    /* 8. live here (heard 50 ms ago): a higher claim is refused with a counter-claim */
    CHECK(fdb_learn(f, m, NULL, 20 * S) == 0);
    CHECK(fdb_announce(f, m, PA, 11, 20 * S + 50 * MS) == FDB_COUNTER);
    e = fdb_lookup(f, m);
    CHECK(e->state == FDB_STATIC && !e->peer && e->seq == 12);
    /* 9. one counter-claim per window: the next claim inside it moves the MAC */
    CHECK(fdb_announce(f, m, PA, 13, 20 * S + 60 * MS) == FDB_MOVED_AWAY);
    e = fdb_lookup(f, m);
    CHECK(e->state == FDB_FORWARDING && e->peer == PA && e->seq == 13);
    CHECK(strcmp(fdb_entry_state(e), "forwarding") == 0 && !announced(f, m));
    CHECK(e->pending);                /* still attached here */
    CHECK(fdb_next_deadline(f) == 20 * S + 60 * MS + FDB_FORWARD_GRACE_MS * MS);
    /* 10. the forwarding target follows a newer claim; the grace runs on */
    CHECK(fdb_announce(f, m, PB, 12, 21 * S) == -ESTALE);
    CHECK(fdb_announce(f, m, PB, 14, 21 * S) == 0);
    CHECK(fdb_lookup(f, m)->state == FDB_FORWARDING && fdb_lookup(f, m)->peer == PB);
    /* 11. forwarding expires after the grace: a remote entry of the claimant */
    CHECK(fdb_on_timeout(f, fdb_next_deadline(f) - 1) == 0);
    CHECK(fdb_on_timeout(f, fdb_next_deadline(f)) == 1);
    e = fdb_lookup(f, m);
    CHECK(e->state == FDB_REMOTE && e->peer == PB && e->seq == 14);
    CHECK(fdb_next_deadline(f) == UINT64_MAX && fdb_peer_count(f, PB) == 1);
    CHECK(strcmp(fdb_entry_state(e), "pending") == 0);
    /* 11b. detached: nothing of ours to withdraw, a plain remote entry */
    CHECK(fdb_remove_static(f, m, &seq) == -ENOENT);
    e = fdb_lookup(f, m);
    CHECK(e && !e->pending && strcmp(fdb_entry_state(e), "remote") == 0);
    /* 12. not live (quiet for 1 s): a higher claim moves it at once */
    CHECK(fdb_learn(f, n, NULL, 30 * S) == FDB_CLAIMED);
    CHECK(fdb_lookup(f, n)->seq == 1 && fdb_lookup(f, n)->state == FDB_LEARNED);
    CHECK(fdb_announce(f, n, PA, 2, 31 * S) == FDB_MOVED_AWAY);
    CHECK(!fdb_lookup(f, n)->pending);   /* learned, not attached */
    /* 13. a frame here again claims it back: a learned MAC follows the rules too */
    CHECK(fdb_learn(f, n, NULL, 32 * S) == FDB_MIGRATED);
    CHECK(fdb_lookup(f, n)->seq == 3 && fdb_entry_local(fdb_lookup(f, n)));
    CHECK(fdb_next_deadline(f) == UINT64_MAX);
    /* 14. a withdrawn or flushed location leaves a pending entry pending */
    mac_n(m, 22);
    CHECK(fdb_announce(f, m, PA, 4, 40 * S) == 0);
    CHECK(fdb_set_pending(f, m, 40 * S) == 0);
    CHECK(fdb_withdraw(f, m, PA, 4) == 0);
    e = fdb_lookup(f, m);
    CHECK(e && e->state == FDB_PENDING && e->pending && e->seq == 4);
    CHECK(fdb_learn(f, m, PB, 41 * S) == 0 && fdb_lookup(f, m)->peer == PB);
    CHECK(fdb_flush_peer(f, PB) >= 1);
    CHECK(fdb_lookup(f, m) && fdb_lookup(f, m)->state == FDB_PENDING);
    /* 15. detaching a pending MAC withdraws nothing and forgets it */
    CHECK(fdb_remove_static(f, m, &seq) == -ENOENT);
    CHECK(fdb_lookup(f, m) == NULL);
    /* 16. attaching a MAC already heard here keeps it local, no new seq */
    mac_n(m, 23);
    CHECK(fdb_learn(f, m, NULL, 50 * S) == FDB_CLAIMED);
    CHECK(fdb_set_pending(f, m, 50 * S) == FDB_CLAIMED);
    CHECK(fdb_lookup(f, m)->state == FDB_STATIC && fdb_lookup(f, m)->seq == 1);
    CHECK(fdb_remove_static(f, m, &seq) == 0 && seq == 1);
    /* 16b. the deadline is the earliest of several; an early one is harmless */
    mac_n(m, 25);
    mac_n(n, 26);
    CHECK(fdb_learn(f, m, NULL, 55 * S) == FDB_CLAIMED);
    CHECK(fdb_learn(f, n, NULL, 55 * S) == FDB_CLAIMED);
    CHECK(fdb_announce(f, m, PA, 9, 57 * S) == FDB_MOVED_AWAY);
    CHECK(fdb_announce(f, n, PA, 9, 58 * S) == FDB_MOVED_AWAY);
    CHECK(fdb_next_deadline(f) == 57 * S + FDB_FORWARD_GRACE_MS * MS);
    CHECK(fdb_withdraw(f, m, PA, 9) == 0);   /* gone before its grace ended */
    CHECK(fdb_on_timeout(f, fdb_next_deadline(f)) == 0);
    CHECK(fdb_next_deadline(f) == 58 * S + FDB_FORWARD_GRACE_MS * MS);
    CHECK(fdb_on_timeout(f, fdb_next_deadline(f)) == 1);
    CHECK(fdb_next_deadline(f) == UINT64_MAX);
    CHECK(fdb_withdraw(f, n, PA, 9) == 0);
    /* 17. a forwarding entry goes with its target's link */
    CHECK(fdb_learn(f, m, NULL, 60 * S) == FDB_CLAIMED);
    CHECK(fdb_announce(f, m, PA, 5, 61 * S) == FDB_MOVED_AWAY);
    CHECK(fdb_flush_peer(f, PA) >= 1 && fdb_lookup(f, m) == NULL);
    CHECK(fdb_next_deadline(f) == UINT64_MAX);
    /* 18. an attached guest that comes back claims its MAC again, attached */
    mac_n(m, 24);
    CHECK(fdb_set_pending(f, m, 70 * S) == 0);
    CHECK(fdb_learn(f, m, NULL, 70 * S) == FDB_CLAIMED && fdb_lookup(f, m)->seq == 1);
    CHECK(fdb_announce(f, m, PB, 2, 72 * S) == FDB_MOVED_AWAY);
    CHECK(fdb_learn(f, m, NULL, 73 * S) == FDB_MIGRATED);
    e = fdb_lookup(f, m);
    CHECK(e->state == FDB_STATIC && e->seq == 3 && !e->pending && !e->peer);
    CHECK(fdb_next_deadline(f) == UINT64_MAX);
    fdb_free(f);
}

/* Duplicate detection: more than FDB_DUP_MOVES location changes within
 * FDB_DUP_WINDOW_S freeze a MAC where it is, for that long. */
static void test_frozen(void)
{
    const uint64_t ms = S / 1000, win = (uint64_t)FDB_DUP_WINDOW_S * S;
    struct fdb *f;
    uint8_t m[6], l[6];
    const struct fdb_entry *e;
    uint64_t t = 10 * S, seq = 1, frozen_at;

    mac_n(m, 7);
    mac_n(l, 8);
    CHECK(fdb_new(64, 1, &f) == 0);
    /* Between two peers: five moves go, the sixth freezes the MAC at B. */
    CHECK(fdb_announce(f, m, PA, seq++, t) == 0);
    for (int i = 0; i < FDB_DUP_MOVES; i++) {
        t += S;
        CHECK(fdb_announce(f, m, i % 2 ? PA : PB, seq++, t) == 0, "move %d", i + 1);
    }
    e = fdb_lookup(f, m);
    CHECK(e && e->peer == PB && strcmp(fdb_entry_state(e), "remote") == 0);
    t += S;
    CHECK(fdb_announce(f, m, PA, seq++, t) == -EBUSY, "one move too many: refused");
    frozen_at = t;
    CHECK(e->peer == PB && strcmp(fdb_entry_state(e), "frozen") == 0, "frozen where it was");
    CHECK(fdb_frozen_report(f, m) && !fdb_frozen_report(f, m), "reported once");
    CHECK(fdb_frozen_total(f) == 1);
    CHECK(fdb_announce(f, m, PB, seq++, t + S) == 0, "its location's refresh is taken");
    CHECK(fdb_announce(f, m, PA, seq++, t + 2 * S) == -EBUSY && e->peer == PB,
          "every further move refused");
    CHECK(fdb_learn(f, m, NULL, t + 3 * S) == -EBUSY && e->peer == PB,
          "a local frame claims nothing either");
    /* The freeze ends a window later (fdb_age shows it), moves count anew. */
    CHECK(fdb_announce(f, m, PB, seq++, frozen_at + win - S) == 0, "refreshed at B");
    fdb_age(f, frozen_at + win, 300 * S);
    CHECK(strcmp(fdb_entry_state(e), "remote") == 0, "thawed after %u s", FDB_DUP_WINDOW_S);
    CHECK(fdb_announce(f, m, PA, seq++, frozen_at + win + S) == 0 && e->peer == PA,
          "moves again");

    /* Here and away: claims and local frames count alike. */
    CHECK(fdb_learn(f, l, NULL, t) == FDB_CLAIMED);
    seq = 10;
    for (int i = 0; i < FDB_DUP_MOVES; i += 2) {
        t += 500 * ms;
        CHECK(fdb_announce(f, l, PA, seq++, t) == FDB_MOVED_AWAY, "claimed away, move %d", i + 1);
        if (i + 1 < FDB_DUP_MOVES) {
            t += 500 * ms;
            CHECK(fdb_learn(f, l, NULL, t) == FDB_MIGRATED, "claimed here, move %d", i + 2);
            seq = fdb_lookup(f, l)->seq + 1;
        }
    }
    t += 500 * ms;
    CHECK(fdb_learn(f, l, NULL, t) == -EBUSY, "the sixth move (back here) refused");
    e = fdb_lookup(f, l);
    CHECK(e && e->peer == PA && strcmp(fdb_entry_state(e), "frozen") == 0);
    CHECK(fdb_frozen_total(f) == 2);
    fdb_free(f);

    /* Off: never frozen. */
    CHECK(fdb_new(64, 1, &f) == 0);
    fdb_set_dup_limits(f, 0, win, win);
    for (unsigned i = 0; i < 20; i++)
        CHECK(fdb_announce(f, m, i % 2 ? PA : PB, i + 1, t + i * S) == 0);
    CHECK(fdb_frozen_total(f) == 0);
    fdb_free(f);

    /* Configured (MacMoveLimit 2, MacMoveWindow 10 s, MacFreezeTime 3 s):
     * the third move within 10 s freezes, and the freeze ends after 3 s,
     * not after the window. */
    CHECK(fdb_new(64, 1, &f) == 0);
    fdb_set_dup_limits(f, 2, 10 * S, 3 * S);
    seq = 1;
    CHECK(fdb_announce(f, m, PA, seq++, t) == 0);
    CHECK(fdb_announce(f, m, PB, seq++, t + S) == 0 && fdb_announce(f, m, PA, seq++, t + 2 * S) == 0);
    CHECK(fdb_announce(f, m, PB, seq++, t + 3 * S) == -EBUSY, "third move in 10 s: frozen");
    e = fdb_lookup(f, m);
    CHECK(e && e->peer == PA && strcmp(fdb_entry_state(e), "frozen") == 0);
    CHECK(fdb_announce(f, m, PB, seq++, t + 5 * S) == -EBUSY, "still frozen 2 s later");
    CHECK(fdb_announce(f, m, PB, seq++, t + 6 * S) == 0 && e->peer == PB,
          "thawed 3 s after the freeze, inside the 10 s window");
    /* Moves past the window start counting anew: two more go. */
    CHECK(fdb_announce(f, m, PA, seq++, t + 17 * S) == 0 && fdb_announce(f, m, PB, seq++, t + 18 * S) == 0);
    CHECK(fdb_frozen_total(f) == 1);
    /* Frozen, then turned off (a reload with MacMoveLimit = 0): thawed at
     * once, and it moves. */
    CHECK(fdb_announce(f, m, PA, seq++, t + 19 * S) == -EBUSY && strcmp(fdb_entry_state(e), "frozen") == 0);
    fdb_set_dup_limits(f, 0, 10 * S, 3 * S);
    CHECK(strcmp(fdb_entry_state(e), "remote") == 0, "state %s", fdb_entry_state(e));
    CHECK(fdb_announce(f, m, PA, seq++, t + 20 * S) == 0 && e->peer == PA);
    fdb_free(f);
}

int main(void)
{
    test_learn_and_age();
    test_seq_rules();
    test_bounds();
    test_many();
    test_peer_share();
    test_seq_limits();
    test_tiebreak();
    test_seq_steps();
    test_tie_order();
    test_remote_age();
    test_evict_lru();
    test_claims();
    test_frozen();
    return CHECK_DONE();
}
