/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Link layer: handshake, data, wire format (checked against libsodium
 * directly, as docs/protocol.md describes it), every drop path, hooks,
 * index table. Timer behaviour: test_link_timers.c.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "crypto/link_internal.h"
#include "crypto/tests/link_harness.h"

static const char *state_name(enum link_state s)
{
    return s == LINK_UP ? "UP" : s == LINK_CONNECTING ? "CONNECTING" : "DOWN";
}

static void test_handshake_and_data(void)
{
    const struct link_counters *ca, *cb;

    h_init(2, true);
    ca = link_host_counters(H.node[0].host);
    cb = link_host_counters(H.node[1].host);
    CHECK(link_peer_state(H.node[0].peer[1], 0) == LINK_DOWN, "initial state");
    CHECK(link_peer_connect(H.node[0].peer[1], 0) == 0, "connect");
    CHECK(H.qlen == 1 && H.q[0].data[0] == LINK_MSG_INIT, "one initiation queued");
    CHECK(link_peer_state(H.node[0].peer[1], 0) == LINK_CONNECTING, "A connecting");
    /* connect again while in flight: no second initiation */
    link_peer_connect(H.node[0].peer[1], 0);
    CHECK(H.qlen == 1, "no duplicate initiation (%zu)", H.qlen);
    CHECK(h_deliver_at(0) == 0, "B accepts initiation");
    CHECK(H.qlen == 1 && H.q[0].data[0] == LINK_MSG_RESPONSE, "response queued");
    CHECK(link_peer_state(H.node[1].peer[0], 0) == LINK_CONNECTING, "B connecting until confirmed: %s",
          state_name(link_peer_state(H.node[1].peer[0], 0)));
    CHECK(h_deliver_at(0) == 0, "A accepts response");
    CHECK(link_peer_state(H.node[0].peer[1], 0) == LINK_UP, "A up");
    CHECK(H.qlen == 1 && H.q[0].data[0] == LINK_MSG_DATA && H.q[0].len == LINK_DATA_OVERHEAD,
          "A confirms with a keepalive");
    CHECK(h_deliver_at(0) == 0, "B takes keepalive");
    CHECK(link_peer_state(H.node[1].peer[0], 0) == LINK_UP, "B up");
    CHECK(ca->handshakes_initiated == 1 && ca->handshakes_completed == 1, "A counters");
    CHECK(cb->handshakes_completed == 1, "B completed");
    CHECK(H.node[0].n_states == 2 && H.node[0].states[0] == LINK_CONNECTING &&
          H.node[0].states[1] == LINK_UP, "A state log (%d)", H.node[0].n_states);
    CHECK(H.node[1].n_states == 2 && H.node[1].states[0] == LINK_CONNECTING &&
          H.node[1].states[1] == LINK_UP, "B state log (%d)", H.node[1].n_states);

    /* data both ways, sizes 1 .. 1500 */
    for (size_t len = 1; len <= 1500; len += 97) {
        uint8_t buf[1500];

        for (size_t i = 0; i < len; i++)
            buf[i] = (uint8_t)(i * 7 + len);
        CHECK(h_send(0, 1, buf, len) == 0, "send A->B");
        CHECK(H.qlen == 1 && H.q[0].len == len + LINK_DATA_OVERHEAD, "data packet size");
        h_deliver_all();
        CHECK(H.node[1].last_rx_len == len && !memcmp(H.node[1].last_rx, buf, len), "B got %zu", len);
        CHECK(h_send(1, 0, buf, len) == 0, "send B->A");
        h_deliver_all();
        CHECK(H.node[0].last_rx_len == len && !memcmp(H.node[0].last_rx, buf, len), "A got %zu", len);
    }
    CHECK(link_peer_send(H.node[0].peer[1], 0, NULL, LINK_MAX_PACKET) == -EMSGSIZE, "too big");
    CHECK(link_peer_connect(H.node[0].peer[1], 0) == 0 && link_peer_connect(H.node[1].peer[0], 0) == 0 &&
          H.qlen == 0, "connect with a fresh session sends nothing");
    CHECK(link_peer_last_handshake(H.node[0].peer[1]) == 0 && H.node[0].peer[1]->kp_cur, "last handshake");
    /* the responder's session is no longer fresh after REKEY_AFTER_TIME: connect rekeys */
    link_peer_connect(H.node[1].peer[0], 121 * SEC);
    CHECK(H.qlen == 1 && H.q[0].data[0] == LINK_MSG_INIT && H.q[0].from == 1, "responder rekeys on connect");
    h_drop_all();
    CHECK(ca->drop_auth + ca->drop_replay + ca->drop_malformed + ca->drop_unknown_peer == 0, "no drops A");
    CHECK(cb->drop_auth + cb->drop_replay + cb->drop_malformed + cb->drop_unknown_peer == 0, "no drops B");
    h_free();
}

/* Wire format checked against the primitives, independently of link.c. */
static void test_wire_format(void)
{
    uint8_t key[32], mac[16], zero[16] = { 0 }, nonce[12] = { 0 }, plain[64];
    struct link_keypair *kp;
    struct h_pkt p;
    const uint8_t msg[5] = "hello";
    unsigned long long plen;

    h_init(2, true);
    link_peer_connect(H.node[0].peer[1], 0);
    h_take(0, &p);
    CHECK(p.len == LINK_INIT_MIN_LEN && p.len == 148, "init length %zu", p.len);
    CHECK(p.data[0] == 1 && !p.data[1] && !p.data[2] && !p.data[3], "init header");
    CHECK(link_get_le32(p.data + 4) == H.node[0].peer[1]->hs->local_index, "sender index LE");
    /* mac1 key = BLAKE2b-256("mac1----" || responder pub) */
    {
        uint8_t in[40];

        memcpy(in, "mac1----", 8);
        memcpy(in + 8, H.node[1].pub, 32);
        crypto_generichash(key, 32, in, 40, NULL, 0);
        crypto_generichash(mac, 16, p.data, p.len - 32, key, 32);
        CHECK(!memcmp(mac, p.data + p.len - 32, 16), "mac1 = keyed BLAKE2b-128");
        CHECK(!memcmp(zero, p.data + p.len - 16, 16), "mac2 zero");
    }
    /* The Noise message decrypts with a plain IK responder whose prologue
     * is the version string and the first four bytes; payload = TAI64N. */
    {
        struct noise_handshake hs;
        uint8_t pl[64], ts[12], pro[20];
        size_t pl_len = 0;

        CHECK(p.data[1] == 0 && p.data[2] == 0 && p.data[3] == 0,
              "ChaChaPoly, nothing offered, reserved 0");
        memcpy(pro, "overlayd link v1", 16);
        memcpy(pro + 16, p.data, 4);
        noise_handshake_init(&hs, NOISE_RESPONDER, pro, sizeof(pro),
                             H.node[1].priv, NULL, NULL, -1, NOISE_AEAD_CHACHAPOLY);
        CHECK(noise_handshake_read(&hs, p.data + 8, p.len - 40, pl, sizeof(pl), &pl_len) == 0,
              "IK msg1 readable");
        link_tai64n(ts, UINT64_C(1700000000) * SEC);
        CHECK(pl_len == 12 && !memcmp(pl, ts, 12), "payload is the TAI64N timestamp");
        CHECK(pl[0] == 0x40 && pl[7] == (uint8_t)((1700000000u + 10u) & 0xff), "TAI64 label");
        noise_handshake_wipe(&hs);
    }
    CHECK(h_receive(1, p.data, p.len, &(struct link_rx){ 0 }) == 0, "B takes it");
    free(p.data);
    h_take(0, &p);
    CHECK(p.len == LINK_RESP_MIN_LEN && p.len == 92, "response length %zu", p.len);
    CHECK(p.data[0] == 2 && !p.data[1] && !p.data[2] && !p.data[3], "response header");
    CHECK(link_get_le32(p.data + 4) == H.node[1].peer[0]->kp_next->local_index, "resp sender");
    CHECK(link_get_le32(p.data + 8) == H.node[0].peer[1]->hs->local_index, "resp receiver");
    {
        uint8_t in[40];

        memcpy(in, "mac1----", 8);
        memcpy(in + 8, H.node[0].pub, 32);
        crypto_generichash(key, 32, in, 40, NULL, 0);
        crypto_generichash(mac, 16, p.data, p.len - 32, key, 32);
        CHECK(!memcmp(mac, p.data + p.len - 32, 16), "response mac1 keyed by initiator pub");
    }
    CHECK(h_receive(0, p.data, p.len, &(struct link_rx){ 0 }) == 0, "A takes it");
    free(p.data);
    h_deliver_all();
    h_send(0, 1, msg, sizeof(msg));
    h_take(0, &p);
    kp = H.node[0].peer[1]->kp_cur;
    CHECK(p.data[0] == 4 && !p.data[1] && !p.data[2] && !p.data[3], "data header");
    CHECK(link_get_le32(p.data + 4) == H.node[1].peer[0]->kp_cur->local_index, "receiver index");
    CHECK(link_get_le64(p.data + 8) == 1, "counter 1 (0 was the keepalive)");
    nonce[4] = 1;
    CHECK(crypto_aead_chacha20poly1305_ietf_decrypt(plain, &plen, NULL, p.data + 16, p.len - 16,
                                                    p.data, 16, nonce, kp->send_key.raw) == 0 &&
          plen == 5 && !memcmp(plain, msg, 5),
          "ChaCha20-Poly1305 IETF, nonce 0^4||LE64(counter), AD = 16-byte header");
    CHECK(!memcmp(kp->send_key.raw, H.node[1].peer[0]->kp_cur->recv_key.raw, 32), "keys pair up");
    free(p.data);
    h_free();
}

/* Any single changed byte of a data packet: never delivered. */
static void test_tamper_data(void)
{
    const struct link_counters *cb;
    struct h_pkt p;
    uint8_t buf[128];
    const uint8_t flips[] = { 0x01, 0x80, 0xff };

    h_init(2, true);
    CHECK(h_establish(0, 1), "established");
    cb = link_host_counters(H.node[1].host);
    h_send(0, 1, "tamper-me-please", 16);
    h_take(0, &p);
    for (size_t i = 0; i < p.len; i++) {
        for (size_t f = 0; f < sizeof(flips); f++) {
            struct link_rx rx;
            uint64_t before = H.node[1].rx_data;
            int rc;

            memcpy(buf, p.data, p.len);
            buf[i] ^= flips[f];
            rc = h_receive(1, buf, p.len, &rx);
            if (i == 0)     /* the type byte selects another parser */
                CHECK(rc == -LINK_DROP_MALFORMED || rc == -LINK_DROP_AUTH ||
                      rc == -LINK_DROP_FRAG_MALFORMED, "type byte: %d", rc);
            else
                CHECK(rc == -LINK_DROP_AUTH || rc == -LINK_DROP_UNKNOWN_PEER,
                      "byte %zu ^%02x: rc %d", i, flips[f], rc);
            CHECK(H.node[1].rx_data == before && rx.len == 0, "byte %zu delivered", i);
        }
    }
    CHECK(cb->drop_replay == 0, "forgeries never reach the replay window");
    /* the window did not move: the original still arrives, once */
    memcpy(buf, p.data, p.len);
    CHECK(h_receive(1, buf, p.len, &(struct link_rx){ 0 }) == 0, "original accepted");
    CHECK(H.node[1].last_rx_len == 16 && !memcmp(H.node[1].last_rx, "tamper-me-please", 16), "content");
    memcpy(buf, p.data, p.len);
    CHECK(h_receive(1, buf, p.len, &(struct link_rx){ 0 }) == -LINK_DROP_REPLAY, "replayed data");
    CHECK(cb->drop_replay == 1, "drop_replay counted");
    /* truncations: below the header+tag malformed, else authentication fails */
    for (size_t l = 0; l < p.len; l++) {
        int rc;

        memcpy(buf, p.data, p.len);
        rc = h_receive(1, buf, l, &(struct link_rx){ 0 });
        CHECK(rc == (l < LINK_DATA_OVERHEAD ? -LINK_DROP_MALFORMED : -LINK_DROP_AUTH),
              "truncated to %zu: %d", l, rc);
    }
    /* unknown receiver index */
    memcpy(buf, p.data, p.len);
    link_put_le32(buf + 4, link_get_le32(buf + 4) + 1);
    CHECK(h_receive(1, buf, p.len, &(struct link_rx){ 0 }) == -LINK_DROP_UNKNOWN_PEER, "unknown index");
    CHECK(cb->drop_unknown_peer >= 1, "counted");
    /* unknown types and the reserved cookie reply */
    for (int t = 0; t < 256; t++) {
        if (t == LINK_MSG_INIT || t == LINK_MSG_RESPONSE || t == LINK_MSG_DATA)
            continue;
        if (t == LINK_MSG_FRAG) {   /* fragment 0 of 0: no such count */
            memcpy(buf, p.data, p.len);
            buf[0] = (uint8_t)t;
            CHECK(h_receive(1, buf, p.len, &(struct link_rx){ 0 }) == -LINK_DROP_FRAG_MALFORMED,
                  "data header as a fragment header");
            continue;
        }
        memcpy(buf, p.data, p.len);
        buf[0] = (uint8_t)t;
        CHECK(h_receive(1, buf, p.len, &(struct link_rx){ 0 }) == -LINK_DROP_MALFORMED, "type %d", t);
    }
    free(p.data);
    h_free();
}

static void test_handshake_drops(void)
{
    const struct link_counters *cb;
    struct h_pkt init, resp;
    uint8_t buf[LINK_INIT_MAX_LEN];

    h_init(2, true);
    cb = link_host_counters(H.node[1].host);
    link_peer_connect(H.node[0].peer[1], 0);
    h_take(0, &init);
    /* bad mac1, or any changed byte before it: AUTH before any DH */
    for (size_t i = 1; i < init.len - 16; i++) {
        memcpy(buf, init.data, init.len);
        buf[i] ^= 0x20;
        CHECK(h_receive(1, buf, init.len, &(struct link_rx){ 0 }) == -LINK_DROP_AUTH, "init byte %zu", i);
    }
    CHECK(cb->drop_auth == init.len - 17, "drop_auth %llu", (unsigned long long)cb->drop_auth);
    for (size_t l = 0; l < init.len; l++) {
        memcpy(buf, init.data, init.len);
        CHECK(h_receive(1, buf, l, &(struct link_rx){ 0 }) == -LINK_DROP_MALFORMED, "truncated init %zu", l);
    }
    /* correct mac1 over a wrong Noise body: AUTH (after the DH) */
    memcpy(buf, init.data, init.len);
    buf[8 + 40] ^= 1;
    link_put_macs(H.node[1].host->mac1_key, NULL, buf, init.len - 32);
    CHECK(h_receive(1, buf, init.len, &(struct link_rx){ 0 }) == -LINK_DROP_AUTH, "noise auth");
    CHECK(H.qlen == 0, "no answer to forgeries");

    memcpy(buf, init.data, init.len);
    CHECK(h_receive(1, buf, init.len, &(struct link_rx){ 0 }) == 0, "genuine init");
    h_take(0, &resp);
    /* replayed initiation: same timestamp */
    H.now += SEC;
    memcpy(buf, init.data, init.len);
    CHECK(h_receive(1, buf, init.len, &(struct link_rx){ 0 }) == -LINK_DROP_REPLAY, "replayed init");
    CHECK(cb->drop_replay == 1 && H.qlen == 0, "drop_replay, no response");
    /* response: truncated, bad mac1, wrong receiver, forged body */
    for (size_t l = 0; l < resp.len; l++) {
        memcpy(buf, resp.data, resp.len);
        CHECK(h_receive(0, buf, l, &(struct link_rx){ 0 }) == -LINK_DROP_MALFORMED, "truncated resp %zu", l);
    }
    for (size_t i = 1; i < resp.len - 16; i++) {
        memcpy(buf, resp.data, resp.len);
        buf[i] ^= 0x04;
        CHECK(h_receive(0, buf, resp.len, &(struct link_rx){ 0 }) == -LINK_DROP_AUTH, "resp byte %zu", i);
    }
    memcpy(buf, resp.data, resp.len);
    link_put_le32(buf + 8, 12345);
    link_put_macs(H.node[0].host->mac1_key, NULL, buf, resp.len - 32);
    CHECK(h_receive(0, buf, resp.len, &(struct link_rx){ 0 }) == -LINK_DROP_UNKNOWN_PEER, "resp receiver");
    memcpy(buf, resp.data, resp.len);
    buf[20] ^= 1;
    link_put_macs(H.node[0].host->mac1_key, NULL, buf, resp.len - 32);
    CHECK(h_receive(0, buf, resp.len, &(struct link_rx){ 0 }) == -LINK_DROP_AUTH, "forged resp");
    /* the forgery did not destroy our handshake: the genuine one completes */
    memcpy(buf, resp.data, resp.len);
    CHECK(h_receive(0, buf, resp.len, &(struct link_rx){ 0 }) == 0, "genuine response");
    CHECK(link_peer_state(H.node[0].peer[1], H.now) == LINK_UP, "A up");
    memcpy(buf, resp.data, resp.len);
    CHECK(h_receive(0, buf, resp.len, &(struct link_rx){ 0 }) == -LINK_DROP_UNKNOWN_PEER,
          "replayed response: index now belongs to a keypair");
    free(init.data);
    free(resp.data);
    h_free();
}

static void test_init_ratelimit(void)
{
    const struct link_counters *cb;
    struct h_pkt a, b, c;

    h_init(2, true);
    cb = link_host_counters(H.node[1].host);
    H.now = 10 * SEC;
    link_send_initiation(H.node[0].peer[1], H.now, false);
    h_take(0, &a);
    H.now += 5 * MSEC;
    link_send_initiation(H.node[0].peer[1], H.now, false);
    h_take(0, &b);
    H.now += 20 * MSEC;
    link_send_initiation(H.node[0].peer[1], H.now, false);
    h_take(0, &c);
    CHECK(h_receive(1, a.data, a.len, &(struct link_rx){ 0 }) == 0, "first");
    H.now += 1 * MSEC;
    CHECK(h_receive(1, b.data, b.len, &(struct link_rx){ 0 }) == -LINK_DROP_RATELIMIT, "second within 20 ms");
    CHECK(cb->drop_ratelimit == 1, "counted");
    H.now += 19 * MSEC;
    CHECK(h_receive(1, c.data, c.len, &(struct link_rx){ 0 }) == 0, "after 20 ms accepted");
    /* b is older than c now: replay, even after the rate window */
    H.now += SEC;
    CHECK(h_receive(1, b.data, b.len, &(struct link_rx){ 0 }) == -LINK_DROP_REPLAY, "older timestamp");
    free(a.data);
    free(b.data);
    free(c.data);
    h_free();
}

/*
 * Hooks may call link_peer_send()/link_peer_connect() (link.h only forbids
 * freeing and link_receive). An initiation sent from inside a hook must not
 * clobber the timestamp of the initiation being processed: a zeroed
 * last_ts would let the same initiation be replayed later, and a zeroed
 * incoming timestamp would refuse a legitimate one.
 */
static int reentry_calls;

static void reentry_send(struct h_node *n, struct link_peer *peer)
{
    (void)peer;
    if (n->id == 1 && reentry_calls++ == 0)
        CHECK(link_peer_send(n->peer[0], H.now, (const uint8_t *)"hi", 2) == 0, "send from hook");
}

static void reentry_connect(struct h_node *n, struct link_peer *peer)
{
    reentry_calls++;
    CHECK(link_peer_connect(peer, H.now) == 0, "connect from accept hook");
    (void)n;
}

static void test_hook_reentry(void)
{
    struct h_pkt init;
    struct link_rx rx;

    h_init(2, true);
    reentry_calls = 0;
    H.now = 3 * SEC;
    H.node[1].on_hs_done = reentry_send;
    CHECK(link_peer_connect(H.node[0].peer[1], H.now) == 0, "connect");
    CHECK(H.qlen == 1, "one initiation queued: %zu", H.qlen);
    h_take(0, &init);
    CHECK(h_receive(1, init.data, init.len, &rx) == 0, "initiation accepted");
    CHECK(reentry_calls == 1, "hook ran: %d", reentry_calls);
    h_deliver_all();
    H.now += SEC;
    CHECK(h_receive(1, init.data, init.len, &rx) == -LINK_DROP_REPLAY,
          "replayed initiation refused after a re-entrant send");
    free(init.data);
    H.node[1].on_hs_done = NULL;
    h_free();

    /* the daemon admits an unknown key and brings the link up at once */
    h_init(2, false);
    reentry_calls = 0;
    H.now = 3 * SEC;
    CHECK(link_peer_new(H.node[0].host, H.node[1].pub, (void *)(intptr_t)2, &H.node[0].peer[1]) == 0,
          "peer");
    H.node[1].accept_unknown = true;
    H.node[1].on_accept = reentry_connect;
    CHECK(link_peer_connect(H.node[0].peer[1], H.now) == 0, "connect");
    CHECK(H.qlen == 1, "one initiation queued: %zu", H.qlen);
    CHECK(h_deliver_at(0) == 0, "initiation accepted though the hook initiated: %d", H.last_rc);
    CHECK(reentry_calls == 1, "accept hook ran: %d", reentry_calls);
    h_deliver_all();
    CHECK(link_peer_state(H.node[0].peer[1], H.now) == LINK_UP, "A up");
    CHECK(H.node[1].peer[0] && link_peer_state(H.node[1].peer[0], H.now) == LINK_UP, "B up");
    h_free();
}

static void test_hooks(void)
{
    const struct link_counters *cb;

    /* B does not know A: the accept hook decides */
    h_init(2, false);
    link_peer_new(H.node[0].host, H.node[1].pub, (void *)(intptr_t)2, &H.node[0].peer[1]);
    cb = link_host_counters(H.node[1].host);
    H.node[0].hs_payload = "certificate-of-A";
    H.node[1].hs_payload = "cert-B";
    link_peer_connect(H.node[0].peer[1], 0);
    h_deliver_all();
    CHECK(H.node[1].accept_calls == 1 && cb->drop_unknown_peer == 1, "refused: %d %llu",
          H.node[1].accept_calls, (unsigned long long)cb->drop_unknown_peer);
    CHECK(link_peer_state(H.node[0].peer[1], 0) == LINK_CONNECTING, "A still trying");
    H.node[1].accept_unknown = true;
    h_run_until(6 * SEC);       /* A's retry */
    CHECK(H.node[1].accept_calls == 2 && H.node[1].peer[0], "accepted on retry");
    CHECK(link_peer_state(H.node[0].peer[1], H.now) == LINK_UP, "A up");
    CHECK(H.node[1].peer[0] && link_peer_state(H.node[1].peer[0], H.now) == LINK_UP, "B up");
    CHECK(!strcmp(H.node[1].hs_done_seen, "certificate-of-A"), "B saw A's payload: %s", H.node[1].hs_done_seen);
    CHECK(!strcmp(H.node[0].hs_done_seen, "cert-B"), "A saw B's payload: %s", H.node[0].hs_done_seen);
    CHECK(link_peer_find(H.node[1].host, H.node[0].pub) == H.node[1].peer[0], "find");
    CHECK(!memcmp(link_peer_pubkey(H.node[1].peer[0]), H.node[0].pub, 32), "pubkey");
    CHECK(link_peer_new(H.node[1].host, H.node[0].pub, NULL, NULL) == -EEXIST, "EEXIST");
    CHECK(link_peer_new(H.node[1].host, H.node[1].pub, NULL, NULL) == -EINVAL, "own key");
    h_free();

    /* handshake_done refusing: responder side and initiator side */
    h_init(2, true);
    H.node[1].hs_done_result = -1;
    link_peer_connect(H.node[0].peer[1], 0);
    h_deliver_all();
    CHECK(link_host_counters(H.node[1].host)->drop_auth == 1, "responder refused payload");
    CHECK(link_peer_state(H.node[1].peer[0], 0) == LINK_DOWN, "no session at B");
    H.node[1].hs_done_result = 0;
    H.node[0].hs_done_result = -1;
    h_run_until(6 * SEC);
    CHECK(link_host_counters(H.node[0].host)->drop_auth >= 1, "initiator refused payload");
    CHECK(link_peer_state(H.node[0].peer[1], H.now) == LINK_CONNECTING, "A keeps trying");
    H.node[0].hs_done_result = 0;
    h_run_until(12 * SEC);
    CHECK(link_peer_state(H.node[0].peer[1], H.now) == LINK_UP, "then succeeds");
    h_free();
}

static void test_queue(void)
{
    char msg[32];

    h_init(2, true);
    for (int i = 0; i < 200; i++) {
        snprintf(msg, sizeof(msg), "queued-%03d", i);
        CHECK(h_send(0, 1, msg, strlen(msg)) == 0, "queue %d", i);
    }
    CHECK(H.qlen == 1 && H.q[0].data[0] == LINK_MSG_INIT, "only one initiation for 200 sends");
    CHECK(H.node[0].peer[1]->q_len == LINK_QUEUE_MAX, "bounded at %d", LINK_QUEUE_MAX);
    h_deliver_all();
    CHECK(H.node[1].rx_data == LINK_QUEUE_MAX, "flushed %llu", (unsigned long long)H.node[1].rx_data);
    CHECK(!memcmp(H.node[1].last_rx, "queued-199", 10), "newest kept, in order");
    CHECK(H.node[1].rx_keepalive == 0, "queued data confirms, no keepalive needed");
    /* the responder's queue waits for the confirmation, then flushes */
    h_free();
    h_init(2, true);
    link_peer_connect(H.node[0].peer[1], 0);
    h_deliver_at(0);                              /* B answers; B has only "next" */
    CHECK(h_send(1, 0, "from-B", 6) == 0, "B queues");
    CHECK(H.qlen == 1 && H.q[0].data[0] == LINK_MSG_RESPONSE, "B does not initiate itself");
    h_deliver_all();
    CHECK(H.node[0].rx_data == 1 && !memcmp(H.node[0].last_rx, "from-B", 6), "B's queue flushed");
    h_free();
}

static void test_three_hosts(void)
{
    h_init(3, true);
    CHECK(h_establish(0, 1), "0-1");
    CHECK(h_establish(1, 2), "1-2");
    CHECK(h_establish(2, 0), "2-0");
    for (int i = 0; i < 3; i++)
        for (int j = 0; j < 3; j++) {
            char m[32];

            if (i == j)
                continue;
            snprintf(m, sizeof(m), "%d->%d", i, j);
            h_send(i, j, m, strlen(m));
            h_deliver_all();
            CHECK(H.node[j].last_rx_from == i && !memcmp(H.node[j].last_rx, m, strlen(m)), "%s", m);
        }
    for (int i = 0; i < 3; i++) {
        const struct link_counters *c = link_host_counters(H.node[i].host);

        CHECK(c->drop_auth + c->drop_unknown_peer + c->drop_replay == 0, "no drops on %d", i);
    }
    /* a packet for 1 delivered to 2 is unknown there */
    h_send(0, 1, "x", 1);
    {
        struct h_pkt p;

        h_take(0, &p);
        CHECK(h_receive(2, p.data, p.len, &(struct link_rx){ 0 }) == -LINK_DROP_UNKNOWN_PEER ||
              h_receive(2, p.data, p.len, &(struct link_rx){ 0 }) == -LINK_DROP_AUTH, "misdelivered");
        free(p.data);
    }
    h_free();
}

/* Random add/remove/lookup against a plain array. */
static void test_index_table(void)
{
    enum { N = 3000 };
    static uint32_t have[N];
    static bool live[N];
    size_t i;

    h_init(1, false);
    for (i = 0; i < N; i++) {
        live[i] = link_index_add(H.node[0].host, LINK_IDX_HANDSHAKE, NULL, NULL, &have[i]) == 0;
        CHECK(live[i], "add %zu", i);
    }
    for (i = 0; i < N; i += 3) {
        link_index_remove(&H.node[0].host->idx, have[i]);
        live[i] = false;
    }
    for (i = 0; i < N; i++) {
        struct link_index_entry *e = link_index_lookup(&H.node[0].host->idx, have[i]);

        CHECK(live[i] ? e != NULL : e == NULL, "lookup %zu (live %d)", i, live[i]);
    }
    for (i = 0; i < N; i++)
        for (size_t j = i + 1; j < i + 50 && j < N; j++)
            CHECK(have[i] != have[j] || !live[i] || !live[j], "unique %zu %zu", i, j);
    CHECK(H.node[0].host->idx.used == N - (N + 2) / 3, "used %zu", H.node[0].host->idx.used);
    /* a repeated random draw is redrawn, never shared */
    {
        uint64_t saved = H.node[0].rng;
        uint32_t x, y;

        CHECK(link_index_add(H.node[0].host, LINK_IDX_HANDSHAKE, NULL, NULL, &x) == 0, "add x");
        H.node[0].rng = saved;      /* the hook now repeats x first */
        CHECK(link_index_add(H.node[0].host, LINK_IDX_HANDSHAKE, NULL, NULL, &y) == 0, "add y");
        CHECK(x != y, "collision redrawn: %08x %08x", x, y);
    }
    h_free();
}

/* An idle close frees the peer; its re-creation must not accept an
 * initiation captured before (link_peer_set_last_timestamp). */
static void test_last_timestamp_reseed(void)
{
    struct h_pkt init;
    uint8_t buf[2048], ts[LINK_TIMESTAMP_LEN], zero[LINK_TIMESTAMP_LEN] = { 0 }, got[LINK_TIMESTAMP_LEN];

    h_init(2, true);
    link_peer_last_timestamp(H.node[1].peer[0], ts);
    CHECK(memcmp(ts, zero, sizeof(ts)) == 0, "no timestamp before any initiation");
    link_peer_connect(H.node[0].peer[1], 0);
    h_take(0, &init);
    memcpy(buf, init.data, init.len);
    CHECK(h_receive(1, buf, init.len, &(struct link_rx){ 0 }) == 0, "genuine init");
    h_drop_all();
    link_peer_last_timestamp(H.node[1].peer[0], ts);
    CHECK(memcmp(ts, zero, sizeof(ts)) != 0, "timestamp recorded");

    /* Without the seed a re-created peer takes the replay (the defect). */
    link_peer_free(H.node[1].peer[0]);
    CHECK(link_peer_new(H.node[1].host, H.node[0].pub, (void *)(intptr_t)1, &H.node[1].peer[0]) == 0,
          "re-create");
    H.now += SEC;
    memcpy(buf, init.data, init.len);
    CHECK(h_receive(1, buf, init.len, &(struct link_rx){ 0 }) == 0, "unseeded peer accepts the replay");
    h_drop_all();

    /* Seeded: refused as a replay. */
    link_peer_free(H.node[1].peer[0]);
    CHECK(link_peer_new(H.node[1].host, H.node[0].pub, (void *)(intptr_t)1, &H.node[1].peer[0]) == 0,
          "re-create");
    link_peer_set_last_timestamp(H.node[1].peer[0], ts);
    link_peer_last_timestamp(H.node[1].peer[0], got);
    CHECK(memcmp(got, ts, sizeof(ts)) == 0, "seeded timestamp reads back");
    /* Seeding never lowers it. */
    link_peer_set_last_timestamp(H.node[1].peer[0], zero);
    link_peer_last_timestamp(H.node[1].peer[0], got);
    CHECK(memcmp(got, ts, sizeof(ts)) == 0, "an older seed is ignored");
    H.now += SEC;
    memcpy(buf, init.data, init.len);
    CHECK(h_receive(1, buf, init.len, &(struct link_rx){ 0 }) == -LINK_DROP_REPLAY,
          "seeded peer refuses the replay");
    CHECK(H.qlen == 0, "no response to the replay");
    /* A genuinely newer initiation still works. */
    H.now += SEC;
    link_peer_free(H.node[0].peer[1]);   /* a fresh initiator: no handshake in flight */
    CHECK(link_peer_new(H.node[0].host, H.node[1].pub, (void *)(intptr_t)2, &H.node[0].peer[1]) == 0,
          "re-create initiator");
    link_peer_connect(H.node[0].peer[1], H.now);
    CHECK(h_deliver_all() > 0, "new handshake delivered");
    CHECK(link_peer_state(H.node[1].peer[0], H.now) == LINK_UP, "new initiation accepted");
    free(init.data);
    h_free();
}

int main(void)
{
    if (sodium_init() < 0)
        return 77;
    test_handshake_and_data();
    test_wire_format();
    test_tamper_data();
    test_handshake_drops();
    test_init_ratelimit();
    test_hooks();
    test_hook_reentry();
    test_queue();
    test_three_hosts();
    test_index_table();
    test_link_timers();
    test_link_rtt();
    test_link_aead();
    test_link_cookie();
    test_link_frag();
    test_last_timestamp_reseed();
    if (check_failures) {
        fprintf(stderr, "test_link: %d failure(s)\n", check_failures);
        return 1;
    }
    printf("test_link: ok\n");
    return 0;
}
