/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Link timers with a fake clock: retry with jitter, rekey under traffic
 * without loss, expiry, keepalives, persistent keepalive, key zeroing,
 * simultaneous initiation.
 */
#include <stdlib.h>
#include <string.h>

#include "crypto/link_internal.h"
#include "crypto/tests/link_harness.h"

static uint64_t initiated(int n)
{
    return link_host_counters(H.node[n].host)->handshakes_initiated;
}

static uint64_t drops(int n)
{
    const struct link_counters *c = link_host_counters(H.node[n].host);

    return c->drop_malformed + c->drop_auth + c->drop_replay + c->drop_unknown_peer +
           c->drop_expired + c->drop_ratelimit;
}

static bool saw_state(int n, enum link_state st)
{
    for (int i = 0; i < H.node[n].n_states; i++)
        if (H.node[n].states[i] == st)
            return true;
    return false;
}

static void test_retry_jitter_and_give_up(void)
{
    uint64_t last = 0, d;
    bool jitter_varies = false;
    uint64_t first_jitter = UINT64_MAX;
    int retries = 0;

    h_init(2, true);
    H.drop_to[1] = true;
    h_send(0, 1, "wait", 4);
    while (link_peer_state(H.node[0].peer[1], H.now) == LINK_CONNECTING && retries < 100) {
        d = h_deadline();
        if (d - last > 5 * SEC + 333 * MSEC)
            break;      /* the give-up check is the next one */
        CHECK(d - last >= 5 * SEC && d - last <= 5 * SEC + 333 * MSEC, "retry after %llu ms",
              (unsigned long long)((d - last) / MSEC));
        if (first_jitter == UINT64_MAX)
            first_jitter = d - last;
        else if (d - last != first_jitter)
            jitter_varies = true;
        h_run_until(d);
        last = d;
        retries++;
    }
    CHECK(jitter_varies, "jitter is random");
    /* 90 s of attempts: about 90 / 5.17 retries */
    CHECK(retries >= 16 && retries <= 18, "retries %d", retries);
    CHECK(H.now >= 90 * SEC && H.now < 100 * SEC, "gave up at %llu s", (unsigned long long)(H.now / SEC));
    CHECK(link_peer_state(H.node[0].peer[1], H.now) == LINK_DOWN, "down after REKEY_ATTEMPT_TIME");
    CHECK(H.node[0].peer[1]->q_len == 0 && !H.node[0].peer[1]->hs, "queue and handshake dropped");
    CHECK(initiated(0) == (uint64_t)retries, "initiations %llu", (unsigned long long)initiated(0));
    h_run_until(300 * SEC);
    CHECK(initiated(0) == (uint64_t)retries, "quiet after giving up");
    h_free();

    /* one lost initiation: the retry gets through */
    h_init(2, true);
    h_send(0, 1, "late", 4);
    h_drop_all();
    h_run_until(5 * SEC - 1);
    CHECK(initiated(0) == 1, "no early retry");
    h_run_until(5 * SEC + 334 * MSEC);
    CHECK(initiated(0) == 2, "retried");
    CHECK(link_peer_state(H.node[0].peer[1], H.now) == LINK_UP, "up after retry");
    CHECK(H.node[1].rx_data == 1 && !memcmp(H.node[1].last_rx, "late", 4), "queued data delivered");
    h_free();
}

/* The path changed: the lost initiation is sent again at once, not after
 * REKEY_TIMEOUT, and the attempt (its 90 s budget) goes on. */
static void test_retry_now(void)
{
    h_init(2, true);
    CHECK(link_peer_retry_now(H.node[0].peer[1], H.now) == 0 && initiated(0) == 0,
          "nothing in flight: nothing sent");
    h_send(0, 1, "moved", 5);
    h_drop_all();
    h_run_until(1 * SEC);
    CHECK(initiated(0) == 1, "one initiation, lost");
    CHECK(link_peer_retry_now(H.node[0].peer[1], H.now) == 0 && initiated(0) == 2, "sent again now");
    h_run_until(1 * SEC + 100 * MSEC);
    CHECK(link_peer_state(H.node[0].peer[1], H.now) == LINK_UP, "up 4 s before the retry timer");
    CHECK(H.node[1].rx_data == 1 && !memcmp(H.node[1].last_rx, "moved", 5), "queued data delivered");
    CHECK(link_peer_retry_now(H.node[0].peer[1], H.now) == 0 && initiated(0) == 2,
          "up: nothing in flight, nothing sent");
    h_free();
}

struct seqlog {
    uint64_t next_seq[2];
    uint8_t *seen[2];       /* [direction][seq] receive count */
};
static struct seqlog SL;
enum { SL_MAX = 40000 };

static void seq_on_data(struct h_node *n, int from, const uint8_t *d, size_t len)
{
    uint64_t seq;

    if (len != 1400)
        return;
    memcpy(&seq, d, sizeof(seq));
    if (seq < SL_MAX)
        SL.seen[n->id][seq]++;
}

static void seq_send(int from, int to)
{
    uint8_t buf[1400];
    uint64_t seq = SL.next_seq[to]++;

    memset(buf, (int)seq, sizeof(buf));
    memcpy(buf, &seq, sizeof(seq));
    CHECK(h_send(from, to, buf, sizeof(buf)) == 0, "send");
}

/* Continuous traffic both ways across several rekeys, packets reordered. */
static void test_rekey_no_loss(void)
{
    uint64_t completed;

    h_init(2, true);
    H.shuffle = true;
    SL.seen[0] = calloc(SL_MAX, 1);
    SL.seen[1] = calloc(SL_MAX, 1);
    SL.next_seq[0] = SL.next_seq[1] = 0;
    H.node[0].on_data = H.node[1].on_data = seq_on_data;
    while (H.now < 620 * SEC) {
        /* several packets per tick so reordering mixes old and new keys */
        for (int k = 0; k < 3; k++) {
            seq_send(0, 1);
            seq_send(1, 0);
        }
        h_run_until(H.now + 100 * MSEC);
    }
    h_deliver_all();
    for (int dir = 0; dir < 2; dir++) {
        uint64_t lost = 0, dup = 0;

        for (uint64_t s = 0; s < SL.next_seq[dir]; s++) {
            lost += SL.seen[dir][s] == 0;
            dup += SL.seen[dir][s] > 1;
        }
        CHECK(lost == 0 && dup == 0, "to %d: %llu sent, %llu lost, %llu duplicated", dir,
              (unsigned long long)SL.next_seq[dir], (unsigned long long)lost, (unsigned long long)dup);
    }
    completed = link_host_counters(H.node[0].host)->handshakes_completed;
    CHECK(completed >= 5, "rekeys: %llu handshakes in 620 s", (unsigned long long)completed);
    CHECK(drops(0) == 0 && drops(1) == 0, "drops %llu %llu (replay %llu %llu)",
          (unsigned long long)drops(0), (unsigned long long)drops(1),
          (unsigned long long)link_host_counters(H.node[0].host)->drop_replay,
          (unsigned long long)link_host_counters(H.node[1].host)->drop_replay);
    CHECK(!saw_state(0, LINK_DOWN) && !saw_state(1, LINK_DOWN), "never down");
    /* at most previous/current/next (+ one handshake) alive per side */
    CHECK(H.node[0].host->idx.used <= 4 && H.node[1].host->idx.used <= 4, "live indices %zu %zu",
          H.node[0].host->idx.used, H.node[1].host->idx.used);
    /* rekey timing: the initiator's current keypair is never older than 120 s + a tick */
    CHECK(H.now - H.node[0].peer[1]->kp_cur->birth <= 121 * SEC, "fresh keypair");
    free(SL.seen[0]);
    free(SL.seen[1]);
    h_free();
}

static void copy_queued(size_t i, uint8_t *buf, size_t *len)
{
    *len = H.q[i].len;
    memcpy(buf, H.q[i].data, *len);
}

static void test_reject_after_time_and_zeroing(void)
{
    uint8_t old[128], tmp[128];
    size_t old_len;

    h_init(2, true);
    CHECK(h_establish(0, 1), "up");
    h_run_until(1 * SEC);
    h_send(0, 1, "old", 3);
    copy_queued(0, old, &old_len);
    h_run_until(179 * SEC);
    CHECK(link_peer_state(H.node[0].peer[1], H.now) == LINK_UP, "still up at 179 s");
    CHECK(initiated(0) == 1 && initiated(1) == 0, "no rekey while idle");
    h_run_until(180 * SEC);
    CHECK(link_peer_state(H.node[0].peer[1], H.now) == LINK_DOWN, "A down at 180 s");
    CHECK(link_peer_state(H.node[1].peer[0], H.now) == LINK_DOWN, "B down at 180 s");
    CHECK(H.node[0].n_states == 3 && H.node[0].states[2] == LINK_DOWN &&
          H.node[0].state_at[2] == 180 * SEC, "DOWN reported on time (%d)", H.node[0].n_states);
    memcpy(tmp, old, old_len);
    CHECK(h_receive(1, tmp, old_len, &(struct link_rx){ 0 }) == -LINK_DROP_EXPIRED, "expired keypair");
    CHECK(link_host_counters(H.node[1].host)->drop_expired == 1, "counted");
    h_run_until(539 * SEC);
    CHECK(H.node[0].peer[1]->kp_cur && H.node[1].peer[0]->kp_cur, "keys kept until 540 s");
    h_run_until(540 * SEC);
    CHECK(!H.node[0].peer[1]->kp_cur && !H.node[0].peer[1]->kp_prev && !H.node[0].peer[1]->kp_next,
          "A zeroed");
    CHECK(!H.node[1].peer[0]->kp_cur && !H.node[1].peer[0]->kp_prev, "B zeroed");
    CHECK(H.node[1].host->idx.used == 0 && H.node[0].host->idx.used == 0, "indices released");
    memcpy(tmp, old, old_len);
    CHECK(h_receive(1, tmp, old_len, &(struct link_rx){ 0 }) == -LINK_DROP_UNKNOWN_PEER, "index gone");
    CHECK(h_deadline() == UINT64_MAX, "nothing left to do");
    /* sending again starts over */
    CHECK(h_send(0, 1, "again", 5) == 0, "send");
    CHECK(link_peer_state(H.node[0].peer[1], H.now) == LINK_CONNECTING, "connecting");
    h_deliver_all();
    CHECK(link_peer_state(H.node[0].peer[1], H.now) == LINK_UP, "up again");
    CHECK(!memcmp(H.node[1].last_rx, "again", 5), "delivered");
    h_free();
}

static void test_keepalives(void)
{
    h_init(2, true);
    CHECK(h_establish(0, 1), "up");
    h_run_until(1 * SEC);
    h_send(0, 1, "ping", 4);
    h_deliver_all();
    CHECK(h_deadline() == 11 * SEC, "passive keepalive due at 11 s: %llu ms",
          (unsigned long long)(h_deadline() / MSEC));
    h_run_until(11 * SEC - 1);
    CHECK(H.node[0].rx_keepalive == 0, "not early");
    h_run_until(11 * SEC);
    CHECK(H.node[0].rx_keepalive == 1, "B sent a keepalive after 10 s of silence");
    h_run_until(100 * SEC);
    CHECK(initiated(0) == 1 && initiated(1) == 0, "the keepalive cancelled the new-handshake timer");
    CHECK(H.node[0].rx_keepalive == 1 && H.node[1].rx_keepalive == 1, "no more keepalives");
    /* B answers with data: no keepalive needed */
    h_send(0, 1, "ping", 4);
    h_deliver_all();
    h_send(1, 0, "pong", 4);
    h_deliver_all();
    h_run_until(115 * SEC);
    CHECK(H.node[0].rx_keepalive == 1, "B had already sent");
    CHECK(H.node[1].rx_keepalive == 2, "A keepalives for B's data");
    h_free();

    /* data sent, nothing heard back for KEEPALIVE + REKEY_TIMEOUT: new handshake */
    h_init(2, true);
    CHECK(h_establish(0, 1), "up");
    h_run_until(1 * SEC);
    H.drop_to[1] = true;
    h_send(0, 1, "anyone?", 7);
    h_run_until(16 * SEC - 1);
    CHECK(initiated(0) == 1, "not yet");
    h_run_until(16 * SEC);
    CHECK(initiated(0) == 2, "new handshake at 15 s after the data");
    h_free();
}

static void test_persistent_keepalive(void)
{
    h_init(2, true);
    CHECK(h_establish(0, 1), "up");
    link_peer_set_persistent_keepalive(H.node[0].peer[1], 25);
    CHECK(h_deadline() == 25 * SEC, "first at 25 s: %llu", (unsigned long long)h_deadline());
    h_run_until(100 * SEC);
    CHECK(H.node[1].rx_keepalive == 4 + 1, "keepalives at 25/50/75/100 (+ confirmation): %llu",
          (unsigned long long)H.node[1].rx_keepalive);
    h_run_until(400 * SEC);
    CHECK(!saw_state(0, LINK_DOWN), "kept up");
    CHECK(initiated(0) >= 3, "rekeyed on the keepalives: %llu", (unsigned long long)initiated(0));
    link_peer_set_persistent_keepalive(H.node[0].peer[1], 0);
    h_free();

    /* before any session, the persistent keepalive brings the link up */
    h_init(2, true);
    link_peer_set_persistent_keepalive(H.node[0].peer[1], 25);
    CHECK(h_deadline() == 0, "due at once");
    h_run_until(1 * SEC);
    CHECK(link_peer_state(H.node[0].peer[1], H.now) == LINK_UP, "up");
    h_free();
}

/* Only B talks (keepalives): A, the initiator, must rekey on receive. */
static void test_rekey_on_receive(void)
{
    h_init(2, true);
    CHECK(h_establish(0, 1), "up");
    link_peer_set_persistent_keepalive(H.node[1].peer[0], 10);
    h_run_until(164 * SEC);
    CHECK(initiated(0) == 1, "no rekey before 165 s");
    h_run_until(171 * SEC);
    CHECK(initiated(0) == 2, "rekey on receive after 165 s");
    h_run_until(600 * SEC);
    CHECK(!saw_state(0, LINK_DOWN) && !saw_state(1, LINK_DOWN), "never down");
    CHECK(drops(0) == 0 && drops(1) == 0, "no drops");
    h_free();
}

static void test_simultaneous(void)
{
    for (int seed = 0; seed < 20; seed++) {
        h_init(2, true);
        H.shuffle = seed > 0;
        H.rng += (uint64_t)seed * 7919;
        link_peer_connect(H.node[0].peer[1], 0);
        link_peer_connect(H.node[1].peer[0], 0);
        h_send(0, 1, "a", 1);
        h_send(1, 0, "b", 1);
        h_run_until(1 * SEC);
        CHECK(link_peer_state(H.node[0].peer[1], H.now) == LINK_UP, "seed %d: A up", seed);
        CHECK(link_peer_state(H.node[1].peer[0], H.now) == LINK_UP, "seed %d: B up", seed);
        CHECK(H.node[0].rx_data == 1 && H.node[1].rx_data == 1, "seed %d: queued data both ways", seed);
        h_send(0, 1, "c", 1);
        h_send(1, 0, "d", 1);
        h_run_until(2 * SEC);
        CHECK(H.node[0].rx_data == 2 && H.node[1].rx_data == 2, "seed %d: data both ways", seed);
        CHECK(link_host_counters(H.node[0].host)->drop_auth == 0 &&
              link_host_counters(H.node[1].host)->drop_auth == 0, "seed %d: no auth drops", seed);
        h_run_until(30 * SEC);
        CHECK(!H.node[0].peer[1]->hs && !H.node[1].peer[0]->hs, "seed %d: no handshake left", seed);
        h_free();
    }
}

/* The responder answered but the confirmation never came: after
 * REKEY_TIMEOUT the responder's queued data makes it initiate itself. */
static void test_unconfirmed_responder(void)
{
    h_init(2, true);
    link_peer_connect(H.node[0].peer[1], 0);
    h_deliver_at(0);
    h_drop_all();               /* the response is lost */
    H.drop_to[0] = true;
    h_send(1, 0, "waiting", 7);
    CHECK(initiated(1) == 0, "B waits for the confirmation");
    h_run_until(5 * SEC);
    CHECK(initiated(1) == 1, "B initiates after REKEY_TIMEOUT");
    H.drop_to[0] = false;
    h_run_until(12 * SEC);
    CHECK(!memcmp(H.node[0].last_rx, "waiting", 7), "delivered");
    h_free();
}

/* Zeroing old keys must not kill a newer initiation or its queue. */
static void test_zeroing_keeps_new_handshake(void)
{
    h_init(2, true);
    CHECK(h_establish(0, 1), "up");
    h_run_until(539 * SEC + 500 * MSEC);
    H.drop_to[1] = true;
    h_send(0, 1, "fresh", 5);
    CHECK(initiated(0) == 2, "new initiation");
    h_run_until(540 * SEC);
    CHECK(!H.node[0].peer[1]->kp_cur, "old keys zeroed");
    CHECK(H.node[0].peer[1]->hs && H.node[0].peer[1]->q_len == 1, "initiation and queue kept");
    H.drop_to[1] = false;
    h_run_until(546 * SEC);
    CHECK(link_peer_state(H.node[0].peer[1], H.now) == LINK_UP, "up after the retry");
    CHECK(H.node[1].rx_data == 1 && !memcmp(H.node[1].last_rx, "fresh", 5), "queued data delivered");
    h_free();
}

/* Message-count limits: rekey at REKEY_AFTER_MESSAGES (either side),
 * no sending at REJECT_AFTER_MESSAGES, receiver refuses such counters. */
static void test_message_limits(void)
{
    struct link_keypair *kb;

    h_init(2, true);
    CHECK(h_establish(0, 1), "up");
    kb = H.node[1].peer[0]->kp_cur;
    kb->send_counter = REKEY_AFTER_MESSAGES;
    h_send(1, 0, "many", 4);
    CHECK(initiated(1) == 1, "responder rekeys after 2^60 messages");
    h_deliver_all();
    CHECK(H.node[0].rx_data == 1 && link_peer_state(H.node[1].peer[0], H.now) == LINK_UP, "and stays up");
    CHECK(H.node[1].peer[0]->kp_cur != kb, "new keypair");

    kb = H.node[1].peer[0]->kp_cur;
    kb->send_counter = REJECT_AFTER_MESSAGES - 1;
    H.now += SEC;       /* past the peer's initiation rate limit */
    h_send(1, 0, "last", 4);
    CHECK(H.qlen == 2 && link_get_le64(H.q[0].data + 8) == REJECT_AFTER_MESSAGES - 1 &&
          H.q[1].data[0] == LINK_MSG_INIT, "last counter used, rekey started");
    h_deliver_all();
    CHECK(!memcmp(H.node[0].last_rx, "last", 4), "last counter accepted");
    CHECK(initiated(1) == 2 && H.node[1].peer[0]->kp_cur != kb, "rekeyed");
    kb = H.node[1].peer[0]->kp_cur;
    kb->send_counter = REJECT_AFTER_MESSAGES;
    H.now += SEC;
    h_send(1, 0, "over", 4);
    CHECK(H.node[1].peer[0]->q_len == 1 && initiated(1) == 3, "queued and rekeying, not sent");
    h_deliver_all();
    CHECK(!memcmp(H.node[0].last_rx, "over", 4), "sent under the next session");
    {
        /* an authentic packet with a counter at the limit: refused */
        struct link_keypair *ka = H.node[0].peer[1]->kp_cur;
        uint8_t pkt[64];

        link_put_header(pkt, LINK_MSG_DATA);
        link_put_le32(pkt + 4, ka->remote_index);
        link_put_le64(pkt + 8, REJECT_AFTER_MESSAGES);
        noise_seal(NOISE_AEAD_CHACHAPOLY, ka->send_key.raw, REJECT_AFTER_MESSAGES, pkt, 16, (const uint8_t *)"x", 1, pkt + 16);
        CHECK(h_receive(1, pkt, 33, &(struct link_rx){ 0 }) == -LINK_DROP_EXPIRED, "counter limit");
    }
    h_free();
}

/*
 * Monotonic time near UINT64_MAX: now + interval must saturate, not wrap
 * to a deadline in the past (the daemon would spin on on_timeout, and a
 * wrapped zero_keys deadline would wipe a fresh session at once).
 */
static void test_deadline_overflow(void)
{
    uint64_t d;

    h_init(2, true);
    H.now = UINT64_MAX - 10 * SEC;
    link_peer_set_persistent_keepalive(H.node[0].peer[1], 25);
    link_host_on_timeout(H.node[0].host, H.now);   /* first keepalive: due at once */
    h_deliver_all();
    CHECK(link_peer_state(H.node[0].peer[1], H.now) == LINK_UP, "up near UINT64_MAX");
    for (int i = 0; i < 2; i++) {
        d = link_host_next_deadline(H.node[i].host);
        CHECK(d > H.now, "node %d deadline %llu not in the past (now %llu)", i,
              (unsigned long long)d, (unsigned long long)H.now);
        link_host_on_timeout(H.node[i].host, H.now);
    }
    CHECK(link_peer_state(H.node[0].peer[1], H.now) == LINK_UP, "session not wiped");
    CHECK(h_send(0, 1, "x", 1) == 0, "send");
    h_deliver_all();
    CHECK(H.node[1].rx_data == 1, "delivered");
    for (int i = 0; i < 2; i++)
        CHECK(link_host_next_deadline(H.node[i].host) > H.now, "node %d after data", i);
    link_peer_set_persistent_keepalive(H.node[0].peer[1], 0);
    h_free();
}

/*
 * Dead peer: B lost its state, A still holds a usable current keypair. The
 * new handshake must be retried every REKEY_TIMEOUT like any other; only a
 * session that came up after the attempt started makes the retry moot.
 */
static void test_dead_peer_retries(void)
{
    uint64_t before;

    h_init(2, true);
    CHECK(h_establish(0, 1), "up");
    H.drop_to[1] = true;
    H.now = 1 * SEC;
    CHECK(h_send(0, 1, "x", 1) == 0, "send");
    before = initiated(0);
    h_run_until(40 * SEC);
    /* initiations at ~16, 21, 26, 31, 36 s */
    CHECK(initiated(0) - before >= 5, "retried: %llu initiations",
          (unsigned long long)(initiated(0) - before));
    H.drop_to[1] = false;
    h_run_until(50 * SEC);
    CHECK(link_peer_state(H.node[0].peer[1], H.now) == LINK_UP, "up again");
    CHECK(link_peer_last_handshake(H.node[0].peer[1]) > 16 * SEC, "new session");
    h_free();
}

void test_link_timers(void)
{
    test_message_limits();
    test_zeroing_keeps_new_handshake();
    test_retry_jitter_and_give_up();
    test_retry_now();
    test_rekey_no_loss();
    test_reject_after_time_and_zeroing();
    test_keepalives();
    test_persistent_keepalive();
    test_rekey_on_receive();
    test_simultaneous();
    test_unconfirmed_responder();
    test_deadline_overflow();
    test_dead_peer_retries();
}
