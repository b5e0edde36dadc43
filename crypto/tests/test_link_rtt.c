/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Round-trip time measured on handshakes: both sides see the RTT the fake
 * clock implies, a response to a retransmitted-over initiation gives no
 * sample, a late confirmation gives no responder sample, and samples are
 * smoothed as RFC 6298 says.
 */
#include "crypto/tests/link_harness.h"

#include <inttypes.h>
#include <stdlib.h>

/* One network hop: every packet queued now arrives @one_way later (what
 * the deliveries send goes out on the next hop). */
static void hop(uint64_t one_way)
{
    size_t n = H.qlen;

    H.now += one_way;
    while (n--)
        h_deliver_at(0);
}

static uint64_t rtt(int a, int b)
{
    return link_peer_rtt_ns(H.node[a].peer[b]);
}

static uint64_t rtt_last(int a, int b)
{
    return link_peer_rtt_last_ns(H.node[a].peer[b]);
}

static void test_rtt_both_sides(void)
{
    h_init(2, true);
    CHECK(rtt(0, 1) == 0 && rtt(1, 0) == 0 && rtt_last(0, 1) == 0, "unknown before a handshake");
    H.now = 10 * SEC;
    CHECK(link_peer_connect(H.node[0].peer[1], H.now) == 0, "connect");
    hop(30 * MSEC);                 /* initiation reaches B, response leaves */
    CHECK(rtt(1, 0) == 0, "responder has no sample before the confirmation");
    hop(30 * MSEC);                 /* response reaches A, keepalive leaves */
    CHECK(rtt(0, 1) == 60 * MSEC, "initiator RTT %" PRIu64 " ns, want 60 ms", rtt(0, 1));
    CHECK(rtt_last(0, 1) == 60 * MSEC, "initiator last sample %" PRIu64, rtt_last(0, 1));
    CHECK(rtt(1, 0) == 0, "responder waits for the confirmation");
    hop(30 * MSEC);                 /* keepalive reaches B */
    CHECK(link_peer_state(H.node[1].peer[0], H.now) == LINK_UP, "B up");
    CHECK(rtt(1, 0) == 60 * MSEC, "responder RTT %" PRIu64 " ns, want 60 ms", rtt(1, 0));
    CHECK(rtt_last(1, 0) == 60 * MSEC, "responder last sample %" PRIu64, rtt_last(1, 0));

    /* Data under an established keypair measures nothing. */
    hop(0);
    H.now += SEC;
    CHECK(h_send(0, 1, "x", 1) == 0 && h_send(1, 0, "y", 1) == 0, "data");
    hop(500 * MSEC);
    CHECK(rtt(0, 1) == 60 * MSEC && rtt(1, 0) == 60 * MSEC, "data packets leave the RTT alone");
    h_free();

    /* Instant delivery: known, and the smallest non-zero value. */
    h_init(2, true);
    CHECK(h_establish(0, 1), "establish");
    CHECK(rtt(0, 1) == 1 && rtt(1, 0) == 1, "zero-time round trip reads 1 ns (%" PRIu64 ", %" PRIu64 ")",
          rtt(0, 1), rtt(1, 0));
    h_free();
}

static void test_rtt_stale_response(void)
{
    struct h_pkt init1;
    uint64_t t1, t2;
    int rc;

    h_init(2, true);
    H.now = t1 = SEC;
    link_peer_connect(H.node[0].peer[1], H.now);
    CHECK(H.qlen == 1 && H.q[0].data[0] == LINK_MSG_INIT, "initiation 1");
    h_take(0, &init1);             /* held up in the network */
    /* A retransmits: a new initiation, a new measurement. */
    H.now = t2 = h_deadline();
    CHECK(t2 >= t1 + 5 * SEC && t2 <= t1 + 5 * SEC + 333 * MSEC, "retransmit time %" PRIu64, t2);
    link_host_on_timeout(H.node[0].host, H.now);
    CHECK(H.qlen == 1 && H.q[0].data[0] == LINK_MSG_INIT, "initiation 2");
    /* The old initiation arrives first: B answers it (response 1). */
    H.now = t2 + 10 * MSEC;
    CHECK(h_receive(1, init1.data, init1.len, &(struct link_rx){ 0 }) == 0, "B takes initiation 1");
    free(init1.data);
    CHECK(H.qlen == 2 && H.q[1].data[0] == LINK_MSG_RESPONSE, "response 1 queued");
    /* Initiation 2 reaches B at t2 + 40 ms (response 2). */
    H.now = t2 + 40 * MSEC;
    CHECK(h_deliver_at(0) == 0, "B takes initiation 2");
    CHECK(H.qlen == 2 && H.q[0].data[0] == LINK_MSG_RESPONSE && H.q[1].data[0] == LINK_MSG_RESPONSE,
          "two responses in flight");
    /* Response 1 reaches A: it answers a retired initiation. */
    H.now = t2 + 50 * MSEC;
    rc = h_deliver_at(0);
    CHECK(rc == -LINK_DROP_UNKNOWN_PEER, "stale response dropped (%d)", rc);
    CHECK(rtt(0, 1) == 0 && rtt_last(0, 1) == 0, "stale response gives no sample (%" PRIu64 ")",
          rtt(0, 1));
    CHECK(H.qlen == 1, "nothing sent for the stale response");
    /* Response 2 reaches A at t2 + 70 ms: 70 ms since initiation 2, not 5 s since 1. */
    H.now = t2 + 70 * MSEC;
    CHECK(h_deliver_at(0) == 0, "A takes response 2");
    CHECK(rtt(0, 1) == 70 * MSEC, "initiator RTT %" PRIu64 " ns, want 70 ms", rtt(0, 1));
    /* A's confirmation reaches B 30 ms later: 60 ms since response 2. */
    CHECK(H.qlen == 1 && H.q[0].data[0] == LINK_MSG_DATA, "confirmation queued");
    hop(30 * MSEC);
    CHECK(link_peer_state(H.node[1].peer[0], H.now) == LINK_UP, "B up");
    CHECK(rtt(1, 0) == 60 * MSEC, "responder RTT %" PRIu64 " ns, want 60 ms", rtt(1, 0));
    h_free();
}

static void test_rtt_lost_confirmation(void)
{
    h_init(2, true);
    H.now = SEC;
    link_peer_connect(H.node[0].peer[1], H.now);
    hop(20 * MSEC);
    hop(20 * MSEC);
    CHECK(rtt(0, 1) == 40 * MSEC, "initiator RTT %" PRIu64, rtt(0, 1));
    CHECK(H.qlen == 1 && H.q[0].data[0] == LINK_MSG_DATA, "confirmation queued");
    h_drop_all();                   /* lost */
    /* The first packet under the new keypair comes 6 s later: no round trip. */
    H.now += 6 * SEC;
    CHECK(h_send(0, 1, "late", 4) == 0, "late data");
    hop(20 * MSEC);
    CHECK(H.node[1].rx_data == 1, "B got the data");
    CHECK(link_peer_state(H.node[1].peer[0], H.now) == LINK_UP, "B up");
    CHECK(rtt(1, 0) == 0, "late confirmation gives no sample (%" PRIu64 ")", rtt(1, 0));
    h_free();
}

/* One handshake initiated by @a at the current time, @one_way each way. */
static void handshake(int a, int b, uint64_t one_way)
{
    CHECK(link_peer_connect(H.node[a].peer[b], H.now) == 0 && H.qlen == 1, "initiation from %d", a);
    hop(one_way);
    hop(one_way);
    hop(one_way);
    CHECK(H.qlen == 0, "handshake settled (%zu queued)", H.qlen);
}

static void test_rtt_smoothing(void)
{
    uint64_t want;

    h_init(2, true);
    H.now = SEC;
    handshake(0, 1, 30 * MSEC);
    CHECK(rtt(0, 1) == 60 * MSEC && rtt(1, 0) == 60 * MSEC, "first sample sets SRTT");
    /* After REKEY_AFTER_TIME the session is stale and connect rekeys. */
    H.now += 121 * SEC;
    handshake(0, 1, 20 * MSEC);
    want = 60 * MSEC - 60 * MSEC / 8 + 40 * MSEC / 8;     /* 57.5 ms */
    CHECK(rtt(0, 1) == want, "initiator SRTT %" PRIu64 " ns, want %" PRIu64, rtt(0, 1), want);
    CHECK(rtt(1, 0) == want, "responder SRTT %" PRIu64 " ns, want %" PRIu64, rtt(1, 0), want);
    CHECK(rtt_last(0, 1) == 40 * MSEC && rtt_last(1, 0) == 40 * MSEC, "latest samples are 40 ms");
    /* The other side initiates the next one: roles swap, smoothing goes on. */
    H.now += 121 * SEC;
    handshake(1, 0, 50 * MSEC);
    want = want - want / 8 + 100 * MSEC / 8;              /* 62.8125 ms */
    CHECK(rtt(0, 1) == want && rtt(1, 0) == want, "SRTT after a 100 ms sample: %" PRIu64 ", %" PRIu64
          ", want %" PRIu64, rtt(0, 1), rtt(1, 0), want);
    CHECK(rtt_last(1, 0) == 100 * MSEC, "latest sample 100 ms");
    /* Many equal samples converge on them. */
    for (int i = 0; i < 60; i++) {
        H.now += 121 * SEC;
        handshake(i & 1, !(i & 1), 5 * MSEC);
    }
    CHECK(rtt(0, 1) > 10 * MSEC - 100 * 1000 && rtt(0, 1) < 10 * MSEC + 100 * 1000,
          "SRTT converges to 10 ms: %" PRIu64, rtt(0, 1));
    h_free();
}

void test_link_rtt(void)
{
    test_rtt_both_sides();
    test_rtt_stale_response();
    test_rtt_lost_confirmation();
    test_rtt_smoothing();
}
