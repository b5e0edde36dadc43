/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Fragments (crypto/link_frag.c, docs/protocol.md 2.5): the wire format,
 * round trips with and without hooks->send_train, reordering, loss,
 * duplicates, forgeries, the per-peer quota, replays and every malformed
 * header.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "crypto/link_internal.h"
#include "crypto/tests/link_harness.h"

enum { FRAG_SIZE = 1400, CHUNK = FRAG_SIZE - LINK_FRAG_HEADER_LEN, MAXP = 8 };

/* What node 1 was last given (hooks deliver up to LINK_MAX_PAYLOAD). */
static uint8_t got[LINK_MAX_PAYLOAD];
static size_t got_len;
static unsigned got_n;

static void on_big(struct h_node *n, int from, const uint8_t *d, size_t len)
{
    memcpy(got, d, len);
    got_len = len;
    got_n++;
}

static void fill(uint8_t *b, size_t len, unsigned seed)
{
    for (size_t i = 0; i < len; i++)
        b[i] = (uint8_t)(i * 31 + seed * 7 + (i >> 8));
}

static const struct link_counters *cnt(int node)
{
    return link_host_counters(H.node[node].host);
}

/* @n nodes, 0 (and 2) linked to 1, fragments of FRAG_SIZE from 0 and 2. */
static void setup(int n, bool train)
{
    h_init(n, true);
    got_len = got_n = 0;
    CHECK(h_establish(0, 1), "0-1 up");
    if (n > 2)
        CHECK(h_establish(2, 1), "2-1 up");
    H.node[1].on_data = on_big;
    for (int i = 0; i < n; i++) {
        if (i != 1)
            link_host_set_frag_size(H.node[i].host, FRAG_SIZE);
        if (!train)
            H.node[i].host->hooks.send_train = NULL;
    }
}

/* Sends @len bytes 0 -> 1 (or @from -> 1) and takes its datagrams. */
static size_t send_take(int from, const uint8_t *m, size_t len, struct h_pkt *p, size_t cap)
{
    size_t n = 0;

    h_drop_all();
    CHECK(h_send(from, 1, m, len) == 0, "send %zu", len);
    while (H.qlen && n < cap)
        h_take(0, &p[n++]);
    CHECK(H.qlen == 0, "more than %zu datagrams", cap);
    return n;
}

static void free_pkts(struct h_pkt *p, size_t n)
{
    for (size_t i = 0; i < n; i++)
        free(p[i].data);
}

static int rx_copy(int to, const struct h_pkt *p)
{
    static uint8_t buf[LINK_MAX_PACKET];
    struct link_rx rx;

    memcpy(buf, p->data, p->len);
    return h_receive(to, buf, p->len, &rx);
}

static void test_roundtrip(bool train)
{
    static uint8_t m[60000], cat[LINK_MAX_PACKET];
    static struct h_pkt p[LINK_FRAG_MAX];
    size_t n, total = 0, want = (sizeof(m) + LINK_DATA_OVERHEAD + CHUNK - 1) / CHUNK;

    setup(2, train);
    fill(m, sizeof(m), 1);
    CHECK(h_send(0, 1, m, sizeof(m)) == 0, "60 KB accepted");
    CHECK(H.qlen == want && want == 44, "%zu fragments", H.qlen);
    CHECK(H.node[0].trains == (train ? 1u : 0u), "train hook calls %u", H.node[0].trains);
    CHECK(!train || H.node[0].train_seg == FRAG_SIZE, "segment %zu", H.node[0].train_seg);
    for (n = 0; H.qlen; n++)
        h_take(0, &p[n]);
    /* The header, and the chunks concatenated: exactly a type 4 packet. */
    for (size_t i = 0; i < n; i++) {
        const uint8_t *d = p[i].data;

        CHECK(p[i].len == (i + 1 < n ? FRAG_SIZE : LINK_FRAG_HEADER_LEN + 60032 - 43 * CHUNK),
              "fragment %zu length %zu", i, p[i].len);
        CHECK(d[0] == LINK_MSG_FRAG && d[1] == i && d[2] == n && d[3] == 0, "header %zu", i);
        CHECK(!memcmp(d + 4, p[0].data + LINK_FRAG_HEADER_LEN + 4, 12),
              "receiver and counter as the data header's (%zu)", i);
        memcpy(cat + total, d + LINK_FRAG_HEADER_LEN, p[i].len - LINK_FRAG_HEADER_LEN);
        total += p[i].len - LINK_FRAG_HEADER_LEN;
    }
    CHECK(total == sizeof(m) + LINK_DATA_OVERHEAD && cat[0] == LINK_MSG_DATA, "a data packet");
    CHECK(h_receive(1, cat, total, &(struct link_rx){ 0 }) == 0 && got_len == sizeof(m) &&
          !memcmp(got, m, sizeof(m)), "the concatenation opens as type 4");
    free_pkts(p, n);

    /* Through the fragments, shuffled. */
    fill(m, sizeof(m), 2);
    CHECK(h_send(0, 1, m, sizeof(m)) == 0, "second");
    H.shuffle = true;
    h_deliver_all();
    H.shuffle = false;
    CHECK(got_n == 2 && got_len == sizeof(m) && !memcmp(got, m, sizeof(m)), "reassembled");
    CHECK(cnt(0)->frag_sent == 2 && cnt(1)->frag_reassembled == 1, "counters %llu %llu",
          (unsigned long long)cnt(0)->frag_sent, (unsigned long long)cnt(1)->frag_reassembled);
    /* The reply is small: one datagram, no fragments. */
    CHECK(h_send(1, 0, "ok", 2) == 0 && H.qlen == 1 && H.q[0].data[0] == LINK_MSG_DATA, "small");
    h_deliver_all();
    CHECK(cnt(1)->drop_frag_malformed + cnt(1)->drop_frag_expired + cnt(1)->drop_auth == 0,
          "no drops");
    h_free();
}

static void test_limits(void)
{
    static uint8_t m[LINK_MAX_PAYLOAD + 1];

    setup(2, true);
    fill(m, sizeof(m), 3);
    CHECK(h_send(0, 1, m, LINK_MAX_PAYLOAD + 1) == -EMSGSIZE, "over LINK_MAX_PAYLOAD");
    CHECK(h_send(0, 1, m, LINK_MAX_PAYLOAD) == 0 && H.qlen == 48, "max payload: %zu", H.qlen);
    h_deliver_all();
    CHECK(got_len == LINK_MAX_PAYLOAD && !memcmp(got, m, LINK_MAX_PAYLOAD), "max delivered");
    /* 1000-byte datagrams: 67 fragments would be needed. */
    link_host_set_frag_size(H.node[0].host, 1000);
    CHECK(h_send(0, 1, m, LINK_MAX_PAYLOAD) == -EMSGSIZE && H.qlen == 0, "over 64 fragments");
    CHECK(h_send(0, 1, m, 64 * 984 - LINK_DATA_OVERHEAD) == 0 && H.qlen == 64, "64 fragments");
    h_deliver_all();
    CHECK(got_len == 64 * 984 - LINK_DATA_OVERHEAD, "64 fragments delivered");
    /* Silly sizes are raised to 64; keepalives never fragment. */
    link_host_set_frag_size(H.node[0].host, 10);
    CHECK(h_send(0, 1, m, 100) == 0 && H.qlen == 3, "100 bytes: 3 fragments");
    for (size_t i = 0; i < H.qlen; i++)
        CHECK(H.q[i].len <= LINK_FRAG_MIN_DATAGRAM, "fragment within 64 bytes");
    h_deliver_all();
    CHECK(got_len == 100 && !memcmp(got, m, 100), "small fragments delivered");
    CHECK(h_send(0, 1, NULL, 0) == 0 && H.qlen == 1 && H.q[0].data[0] == LINK_MSG_DATA &&
          H.q[0].len == LINK_DATA_OVERHEAD, "keepalive whole");
    /* 0: never fragment (a datagram the daemon's underlay may not take). */
    link_host_set_frag_size(H.node[0].host, 0);
    CHECK(h_send(0, 1, m, 3000) == 0 && H.qlen == 2 && H.q[1].len == 3032, "no fragments");
    h_deliver_all();
    CHECK(got_len == 3000, "whole delivered");
    h_free();
}

static void test_interleaved(void)
{
    static uint8_t m1[5000], m2[6000];
    struct h_pkt a[MAXP], b[MAXP];
    /* both messages, reversed and interleaved */
    const int order[][2] = { { 1, 4 }, { 0, 3 }, { 1, 0 }, { 0, 1 }, { 1, 2 },
                             { 0, 0 }, { 1, 3 }, { 0, 2 }, { 1, 1 } };

    setup(2, true);
    fill(m1, sizeof(m1), 4);
    fill(m2, sizeof(m2), 5);
    CHECK(send_take(0, m1, sizeof(m1), a, MAXP) == 4, "m1: 4 fragments");
    CHECK(send_take(0, m2, sizeof(m2), b, MAXP) == 5, "m2: 5 fragments");
    for (size_t i = 0; i < sizeof(order) / sizeof(order[0]); i++) {
        const struct h_pkt *p = order[i][0] ? &b[order[i][1]] : &a[order[i][1]];

        CHECK(rx_copy(1, p) == 0, "step %zu", i);
        if (i == 7)
            CHECK(got_n == 1 && got_len == sizeof(m1) && !memcmp(got, m1, sizeof(m1)), "m1 first");
        else if (i < 7)
            CHECK(got_n == 0, "nothing yet at %zu", i);
    }
    CHECK(got_n == 2 && got_len == sizeof(m2) && !memcmp(got, m2, sizeof(m2)), "m2 then");
    free_pkts(a, 4);
    free_pkts(b, 5);
    h_free();
}

static void test_lost_fragment(void)
{
    static uint8_t m[5000];
    struct h_pkt a[MAXP];

    setup(2, false);
    fill(m, sizeof(m), 6);
    CHECK(send_take(0, m, sizeof(m), a, MAXP) == 4, "4 fragments");
    CHECK(rx_copy(1, &a[0]) == 0 && rx_copy(1, &a[1]) == 0 && rx_copy(1, &a[3]) == 0, "held");
    CHECK(got_n == 0, "incomplete: nothing");
    H.now += 400 * MSEC;
    CHECK(h_send(0, 1, m, sizeof(m)) == 0, "another");
    h_deliver_all();
    CHECK(cnt(1)->drop_frag_expired == 0 && got_n == 1, "400 ms: still waiting");
    H.now += 101 * MSEC;
    fill(m, sizeof(m), 7);
    CHECK(h_send(0, 1, m, sizeof(m)) == 0, "next");
    h_deliver_all();
    CHECK(cnt(1)->drop_frag_expired == 1, "expired after 500 ms, counted");
    CHECK(got_n == 2 && got_len == sizeof(m) && !memcmp(got, m, sizeof(m)), "next one fine");
    free_pkts(a, 4);
    h_free();
}

static void test_duplicates(void)
{
    static uint8_t m[5000];
    struct h_pkt a[MAXP];

    setup(2, true);
    fill(m, sizeof(m), 8);
    send_take(0, m, sizeof(m), a, MAXP);
    CHECK(rx_copy(1, &a[0]) == 0, "first");
    CHECK(rx_copy(1, &a[0]) == -LINK_DROP_FRAG_MALFORMED, "duplicate refused");
    CHECK(cnt(1)->drop_frag_malformed == 1, "counted");
    for (int i = 1; i < 4; i++)
        CHECK(rx_copy(1, &a[i]) == 0, "fragment %d", i);
    CHECK(got_n == 1 && !memcmp(got, m, sizeof(m)), "delivered once");
    /* After delivery: the replay window knows its counter. */
    CHECK(rx_copy(1, &a[2]) == -LINK_DROP_REPLAY, "late duplicate: replay");
    CHECK(got_n == 1, "not again");
    free_pkts(a, 4);
    h_free();
}

static void test_forged_chunk(void)
{
    static uint8_t m[5000];
    struct h_pkt a[MAXP], forged;

    setup(2, true);
    fill(m, sizeof(m), 9);
    send_take(0, m, sizeof(m), a, MAXP);
    forged = a[1];
    forged.data = malloc(a[1].len);
    memcpy(forged.data, a[1].data, a[1].len);
    forged.data[LINK_FRAG_HEADER_LEN + 100] ^= 0x40;
    CHECK(rx_copy(1, &forged) == 0, "the forgery is held (fragments are not authenticated)");
    CHECK(rx_copy(1, &a[0]) == 0 && rx_copy(1, &a[1]) == -LINK_DROP_FRAG_MALFORMED &&
          rx_copy(1, &a[2]) == 0, "the genuine one is a duplicate now");
    CHECK(rx_copy(1, &a[3]) == -LINK_DROP_AUTH, "complete: the AEAD refuses it");
    CHECK(cnt(1)->drop_auth == 1 && got_n == 0, "counted, nothing delivered");
    /* The window did not move: the genuine train still gets through. */
    for (int i = 0; i < 4; i++)
        CHECK(rx_copy(1, &a[i]) == 0, "genuine %d", i);
    CHECK(got_n == 1 && !memcmp(got, m, sizeof(m)), "genuine delivered");
    free(forged.data);
    free_pkts(a, 4);
    h_free();
}

/* One peer fills its 4 slots: its own oldest goes, not another peer's. */
static void test_quota(void)
{
    static uint8_t m[6][2000];
    struct h_pkt a[6][MAXP];

    setup(3, true);
    for (int k = 0; k < 6; k++) {
        fill(m[k], sizeof(m[k]), 10 + (unsigned)k);
        CHECK(send_take(k == 5 ? 2 : 0, m[k], sizeof(m[k]), a[k], MAXP) == 2, "2 fragments");
    }
    CHECK(rx_copy(1, &a[5][0]) == 0, "node 2 holds a slot");
    for (int k = 0; k < 5; k++) {
        H.now += MSEC;
        CHECK(rx_copy(1, &a[k][0]) == 0, "node 0 message %d", k);
    }
    CHECK(cnt(1)->drop_frag_expired == 1, "the fifth evicted one: %llu",
          (unsigned long long)cnt(1)->drop_frag_expired);
    CHECK(rx_copy(1, &a[5][1]) == 0 && got_n == 1 && !memcmp(got, m[5], sizeof(m[5])),
          "node 2's packet survived");
    for (int k = 1; k < 5; k++)
        CHECK(rx_copy(1, &a[k][1]) == 0 && got_n == (unsigned)k + 1 &&
              !memcmp(got, m[k], sizeof(m[k])), "node 0 message %d complete", k);
    CHECK(rx_copy(1, &a[0][1]) == 0 && got_n == 5, "the evicted one's tail waits alone");
    for (int k = 0; k < 6; k++)
        free_pkts(a[k], 2);
    h_free();
}

/*
 * Five peers, 2-fragment packets half in: four fill the 16 slots; the
 * fifth, holding none, pushes out the oldest of all, then only its own.
 */
static void test_pool_full(void)
{
    static const int from[5] = { 0, 2, 3, 4, 5 };
    static uint8_t m[2000];
    static struct h_pkt a[5][4][MAXP];

    h_init(6, true);
    got_len = got_n = 0;
    H.node[1].on_data = on_big;
    for (int s = 0; s < 5; s++) {
        CHECK(h_establish(from[s], 1), "%d up", from[s]);
        link_host_set_frag_size(H.node[from[s]].host, FRAG_SIZE);
    }
    fill(m, sizeof(m), 50);
    for (int s = 0; s < 5; s++) {
        for (int k = 0; k < (s < 4 ? 4 : 2); k++) {
            CHECK(send_take(from[s], m, sizeof(m), a[s][k], MAXP) == 2, "2 fragments");
            H.now += MSEC;
            CHECK(rx_copy(1, &a[s][k][0]) == 0, "held %d/%d", s, k);
            if (s < 4)
                CHECK(cnt(1)->drop_frag_expired == 0, "room for 16");
        }
    }
    CHECK(cnt(1)->drop_frag_expired == 2, "two given up: %llu",
          (unsigned long long)cnt(1)->drop_frag_expired);
    CHECK(rx_copy(1, &a[4][1][1]) == 0 && got_n == 1, "the fifth peer's second packet");
    CHECK(rx_copy(1, &a[0][1][1]) == 0 && got_n == 2, "node 0's second packet stayed");
    CHECK(rx_copy(1, &a[1][0][1]) == 0 && got_n == 3, "node 2's first stayed");
    /* given up: node 0's first (oldest of all), the fifth's first (its own) */
    CHECK(rx_copy(1, &a[0][0][1]) == 0 && rx_copy(1, &a[4][0][1]) == 0 && got_n == 3,
          "their tails wait alone");
    for (int s = 0; s < 5; s++)
        for (int k = 0; k < (s < 4 ? 4 : 2); k++)
            free_pkts(a[s][k], 2);
    h_free();
}

static void test_replayed_train(void)
{
    static uint8_t m[5000];
    struct h_pkt a[MAXP];

    setup(2, true);
    fill(m, sizeof(m), 20);
    send_take(0, m, sizeof(m), a, MAXP);
    for (int i = 3; i >= 0; i--)
        CHECK(rx_copy(1, &a[i]) == 0, "fragment %d", i);
    CHECK(got_n == 1, "delivered");
    for (int i = 0; i < 4; i++)
        CHECK(rx_copy(1, &a[i]) == -LINK_DROP_REPLAY, "replayed %d", i);
    CHECK(got_n == 1 && cnt(1)->drop_replay == 4, "replay window: %llu",
          (unsigned long long)cnt(1)->drop_replay);
    free_pkts(a, 4);
    h_free();
}

/* Every truncation and byte flip of both fragments' headers. */
static void test_mutations(void)
{
    static uint8_t m[2000];
    static const uint8_t flips[] = { 0x01, 0x02, 0x40, 0x80, 0xff };
    struct h_pkt a[MAXP];

    setup(2, true);
    fill(m, sizeof(m), 21);
    send_take(0, m, sizeof(m), a, MAXP);
    for (int f = 0; f < 2; f++) {
        for (size_t l = 0; l < a[f].len; l++) {
            struct h_pkt t = a[f];
            int rc;

            t.len = l;
            rc = rx_copy(1, &t);
            if (l < 4)
                CHECK(rc == -LINK_DROP_MALFORMED, "%d cut to %zu: %d", f, l, rc);
            else if (l <= LINK_FRAG_HEADER_LEN)
                CHECK(rc == -LINK_DROP_FRAG_MALFORMED, "%d cut to %zu: %d", f, l, rc);
            else
                CHECK(rc == 0 || rc == -LINK_DROP_FRAG_MALFORMED, "%d cut to %zu: %d", f, l, rc);
        }
        for (size_t i = 0; i < LINK_FRAG_HEADER_LEN; i++) {
            for (size_t k = 0; k < sizeof(flips); k++) {
                int rc;

                a[f].data[i] ^= flips[k];
                rc = rx_copy(1, &a[f]);
                a[f].data[i] ^= flips[k];
                if (i == 3 || (i == 2 && flips[k] >= 0x40))
                    CHECK(rc == -LINK_DROP_FRAG_MALFORMED, "%d byte %zu ^%02x: %d", f, i, flips[k], rc);
                else if (i >= 4 && i < 8)
                    CHECK(rc == -LINK_DROP_UNKNOWN_PEER, "%d byte %zu ^%02x: %d", f, i, flips[k], rc);
                else
                    CHECK(rc <= 0, "%d byte %zu ^%02x: %d", f, i, flips[k], rc);
            }
        }
    }
    CHECK(got_n == 0, "nothing delivered");
    H.now += 501 * MSEC;
    CHECK(rx_copy(1, &a[1]) == 0 && rx_copy(1, &a[0]) == 0 && got_n == 1 &&
          !memcmp(got, m, sizeof(m)), "the genuine pair, once the held junk expired");
    free_pkts(a, 2);
    h_free();
}

/* A hand-made fragment for node 1's session with node 0. */
static int craft(unsigned index, unsigned count, uint64_t counter, size_t chunk_len,
                 const uint8_t *chunk)
{
    static uint8_t b[LINK_MAX_PACKET];
    struct link_rx rx;

    b[0] = LINK_MSG_FRAG;
    b[1] = (uint8_t)index;
    b[2] = (uint8_t)count;
    b[3] = 0;
    link_put_le32(b + 4, H.node[1].peer[0]->kp_cur->local_index);
    link_put_le64(b + 8, counter);
    if (chunk)
        memcpy(b + LINK_FRAG_HEADER_LEN, chunk, chunk_len);
    else
        memset(b + LINK_FRAG_HEADER_LEN, 0, chunk_len);
    return h_receive(1, b, LINK_FRAG_HEADER_LEN + chunk_len, &rx);
}

static void test_geometry(void)
{
    uint8_t inner[100] = { LINK_MSG_DATA };
    const int bad = -LINK_DROP_FRAG_MALFORMED;

    setup(2, true);
    CHECK(craft(0, 1, 100, 50, NULL) == bad && craft(0, 0, 100, 50, NULL) == bad &&
          craft(0, 65, 100, 50, NULL) == bad && craft(3, 3, 100, 50, NULL) == bad,
          "count 1, 0, 65; index past count");
    CHECK(craft(0, 64, 100, 1100, NULL) == bad, "64 middle chunks of 1100 overflow");
    CHECK(craft(63, 64, 100, 1100, NULL) == bad, "a last chunk of 1100 of 64 overflows");
    /* one packet, (receiver, 101) */
    CHECK(craft(0, 3, 101, 100, NULL) == 0, "held");
    CHECK(craft(2, 3, 101, 101, NULL) == bad, "last longer than the others");
    CHECK(craft(1, 3, 101, 99, NULL) == bad, "middle of another length");
    CHECK(craft(1, 4, 101, 100, NULL) == bad, "another count");
    CHECK(craft(2, 3, 101, 100, NULL) == 0, "last");
    CHECK(craft(1, 3, 101, 100, NULL) == bad, "complete, but no data packet inside");
    CHECK(cnt(1)->frag_reassembled == 0, "not counted as reassembled");
    /* last first, then a middle chunk shorter than it */
    CHECK(craft(1, 2, 102, 60, NULL) == 0 && craft(0, 2, 102, 59, NULL) == bad, "short middle");
    /* the largest packet: exactly LINK_MAX_PACKET, not a byte more */
    CHECK(craft(0, 2, 103, LINK_MAX_PACKET - LINK_FRAG_HEADER_LEN, NULL) == 0, "big middle");
    CHECK(craft(1, 2, 103, LINK_FRAG_HEADER_LEN + 1, NULL) == bad, "one byte over");
    CHECK(craft(1, 2, 103, LINK_FRAG_HEADER_LEN, NULL) == bad, "fits; no data packet inside");
    /* a data header naming the key: the AEAD decides */
    link_put_le32(inner + 4, H.node[1].peer[0]->kp_cur->local_index);
    link_put_le64(inner + 8, 104);
    CHECK(craft(0, 2, 104, 100, inner) == 0 && craft(1, 2, 104, 1, NULL) == -LINK_DROP_AUTH,
          "forged packet: auth");
    /* no session of that index */
    {
        uint8_t b[40] = { LINK_MSG_FRAG, 0, 2, 0, 1, 2, 3, 4 };
        uint64_t before = cnt(1)->drop_unknown_peer;

        CHECK(h_receive(1, b, sizeof(b), &(struct link_rx){ 0 }) == -LINK_DROP_UNKNOWN_PEER &&
              cnt(1)->drop_unknown_peer == before + 1, "unknown index");
    }
    CHECK(cnt(1)->drop_frag_malformed == 13, "malformed counted: %llu",
          (unsigned long long)cnt(1)->drop_frag_malformed);
    CHECK(got_n == 0, "nothing delivered");
    h_free();
}

/* The peer goes away with packets half in: its slots are freed. */
static void test_peer_free(void)
{
    static uint8_t m[5000];
    struct h_pkt a[MAXP];

    setup(2, true);
    fill(m, sizeof(m), 30);
    send_take(0, m, sizeof(m), a, MAXP);
    CHECK(rx_copy(1, &a[0]) == 0, "held");
    link_peer_free(H.node[1].peer[0]);
    H.node[1].peer[0] = NULL;
    for (int i = 0; i < LINK_REASM_SLOTS; i++)
        CHECK(!H.node[1].host->reasm[i].count, "slot %d free", i);
    CHECK(rx_copy(1, &a[1]) == -LINK_DROP_UNKNOWN_PEER, "its session is gone");
    free_pkts(a, 4);
    h_free();
}

/*
 * The daemon's send hook sends again (a detour wraps each datagram into a
 * packet for the relay): a fragment train in flight must survive a nested
 * one to another peer.
 */
static unsigned nested;

static void send_nested(struct h_node *n, int to, const uint8_t *pkt, size_t len)
{
    static uint8_t m[3000];

    if (to != 1 || pkt[0] != LINK_MSG_FRAG || nested++ >= 3)
        return;
    fill(m, sizeof(m), 40 + nested);
    CHECK(link_peer_send(n->peer[2], H.now, m, sizeof(m)) == 0, "nested send");
}

static void test_reentry_and_queue(void)
{
    static uint8_t m[60000], w[3000];

    setup(3, false);
    CHECK(h_establish(0, 2), "0-2 up");
    nested = 0;
    H.node[0].on_send = send_nested;
    fill(m, sizeof(m), 41);
    CHECK(h_send(0, 1, m, sizeof(m)) == 0, "big send");
    H.node[0].on_send = NULL;
    h_deliver_all();
    CHECK(got_n == 1 && got_len == sizeof(m) && !memcmp(got, m, sizeof(m)),
          "the outer train arrived whole");
    fill(w, sizeof(w), 40 + 3);
    CHECK(H.node[2].rx_data == 3 && H.node[2].last_rx_len == sizeof(w) &&
          !memcmp(H.node[2].last_rx, w, sizeof(H.node[2].last_rx)), "the nested ones too");
    CHECK(cnt(0)->frag_sent == 4, "4 packets as fragments: %llu",
          (unsigned long long)cnt(0)->frag_sent);
    h_free();

    /* Queued before the session: flushed as fragments. */
    h_init(2, true);
    got_len = got_n = 0;
    H.node[1].on_data = on_big;
    link_host_set_frag_size(H.node[0].host, FRAG_SIZE);
    fill(m, sizeof(m), 42);
    CHECK(h_send(0, 1, m, sizeof(m)) == 0 && H.qlen == 1 && H.q[0].data[0] == LINK_MSG_INIT,
          "queued, handshake");
    h_deliver_all();
    CHECK(got_n == 1 && got_len == sizeof(m) && !memcmp(got, m, sizeof(m)), "flushed");
    h_free();
}

void test_link_frag(void)
{
    test_reentry_and_queue();
    test_roundtrip(true);
    test_roundtrip(false);
    test_limits();
    test_interleaved();
    test_lost_fragment();
    test_duplicates();
    test_forged_chunk();
    test_quota();
    test_pool_full();
    test_replayed_train();
    test_mutations();
    test_geometry();
    test_peer_free();
}
