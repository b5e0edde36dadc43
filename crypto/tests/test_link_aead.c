/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Choice of AEAD: two hosts that offer AES-GCM move to it after their
 * first handshake, one that does not keeps ChaChaPoly, nobody on the
 * path can alter the choice or the offer, and a host that stopped
 * offering it is still reached.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "crypto/link_internal.h"
#include "crypto/noise.h"
#include "crypto/tests/link_harness.h"

static const struct link_counters *counters(int n)
{
    return link_host_counters(H.node[n].host);
}

static int aead(int n, int of)
{
    return link_peer_aead(H.node[n].peer[of]);
}

static void offer(int n, bool on)
{
    CHECK(link_host_set_aesgcm(H.node[n].host, on) == 0, "node %d offers AES-GCM: %d", n, on);
}

/* Data both ways arrives: whatever the AEAD, the session works. */
static void both_ways(const char *what)
{
    uint64_t rx0 = H.node[0].rx_data, rx1 = H.node[1].rx_data;

    h_send(0, 1, "ping", 4);
    h_send(1, 0, "pong", 4);
    h_deliver_all();
    CHECK(H.node[1].rx_data == rx1 + 1 && H.node[0].rx_data == rx0 + 1, "%s: data both ways", what);
}

static void test_upgrade(void)
{
    h_init(2, true);
    offer(0, true);
    offer(1, true);
    h_send(0, 1, "first", 5);
    h_run_until(H.now + 1 * SEC);
    CHECK(H.node[1].rx_data == 1, "the first packet went under the first session");
    CHECK(counters(0)->handshakes_initiated == 1 && counters(1)->handshakes_initiated == 1,
          "one handshake each way: the responder initiated the upgrade");
    CHECK(aead(0, 1) == NOISE_AEAD_AESGCM && aead(1, 0) == NOISE_AEAD_AESGCM, "both on AES-GCM");
    both_ways("upgraded");
    h_free();

    /* Crossing initiations: neither side has heard the other's offer
     * before its own went out, both learn it from the other's. */
    h_init(2, true);
    offer(0, true);
    offer(1, true);
    h_send(0, 1, "a", 1);
    h_send(1, 0, "b", 1);
    h_run_until(H.now + 1 * SEC);
    CHECK(aead(0, 1) == NOISE_AEAD_AESGCM && aead(1, 0) == NOISE_AEAD_AESGCM,
          "crossing: both on AES-GCM (%d %d) init %d %d rl %d %d auth %d %d", aead(0, 1), aead(1, 0),
          (int)counters(0)->handshakes_initiated, (int)counters(1)->handshakes_initiated,
          (int)counters(0)->drop_ratelimit, (int)counters(1)->drop_ratelimit,
          (int)counters(0)->drop_auth, (int)counters(1)->drop_auth);
    both_ways("crossing, upgraded");
    h_free();

    /* Node 0's initiation is lost (node 1 not up yet), node 1's goes
     * through: node 0 learns the offer as responder while its own
     * ChaChaPoly initiation is still in flight; the upgrade replaces it. */
    h_init(2, true);
    offer(0, true);
    offer(1, true);
    H.drop_to[1] = true;
    h_send(0, 1, "a", 1);
    h_deliver_all();
    H.drop_to[1] = false;
    h_send(1, 0, "b", 1);
    h_run_until(H.now + 1 * SEC);
    CHECK(aead(0, 1) == NOISE_AEAD_AESGCM && aead(1, 0) == NOISE_AEAD_AESGCM,
          "lost first initiation: both on AES-GCM (%d %d)", aead(0, 1), aead(1, 0));
    h_run_until(H.now + 10 * SEC);
    CHECK(aead(0, 1) == NOISE_AEAD_AESGCM && aead(1, 0) == NOISE_AEAD_AESGCM,
          "no retry undoes it");
    both_ways("lost first initiation, upgraded");
    h_free();
}

static void test_one_side(void)
{
    for (int side = 0; side < 2; side++) {
        h_init(2, true);
        offer(side, true);
        h_send(0, 1, "x", 1);
        h_run_until(H.now + 1 * SEC);
        CHECK(aead(0, 1) == NOISE_AEAD_CHACHAPOLY && aead(1, 0) == NOISE_AEAD_CHACHAPOLY,
              "only node %d offers: ChaChaPoly", side);
        CHECK(counters(0)->handshakes_initiated + counters(1)->handshakes_initiated == 1,
              "only node %d offers: no second handshake", side);
        both_ways("ChaChaPoly");
        h_free();
    }
}

/* Rewrite header byte @at of the queued initiation to @val (mac1 redone,
 * as anyone can) and deliver it: the responder must refuse it. */
static void tamper_init(int to, int at, uint8_t val, const char *what)
{
    struct h_pkt p;
    uint8_t key[LINK_KEY_LEN];
    uint64_t auth = counters(to)->drop_auth;

    CHECK(H.qlen == 1, "%s: one packet queued", what);
    h_take(0, &p);
    CHECK(p.data[0] == 1 && p.to == to, "%s: an initiation to node %d", what, to);
    p.data[at] = val;
    link_mac1_key(key, H.node[to].pub);
    link_put_macs(key, NULL, p.data, p.len - 2 * LINK_MAC_LEN);
    CHECK(h_receive(to, p.data, p.len, &(struct link_rx){ 0 }) == -LINK_DROP_AUTH,
          "%s: refused", what);
    CHECK(counters(to)->drop_auth == auth + 1, "%s: counted as drop_auth", what);
    free(p.data);
}

static void test_tamper(void)
{
    /* Hiding the initiator's offer would keep the pair on ChaChaPoly. */
    h_init(2, true);
    offer(0, true);
    offer(1, true);
    h_send(0, 1, "x", 1);
    tamper_init(1, 2, 0, "offer removed");
    h_free();

    /* A downgrade of the upgrade itself: AES-GCM rewritten to ChaChaPoly. */
    h_init(2, true);
    offer(0, true);
    offer(1, true);
    h_send(0, 1, "x", 1);
    h_deliver_at(0);            /* initiation */
    h_deliver_at(0);            /* response */
    h_deliver_at(0);            /* first data: node 1 confirms, initiates AES-GCM */
    CHECK(H.qlen == 1 && H.q[0].data[1] == NOISE_AEAD_AESGCM, "the upgrade initiation");
    tamper_init(0, 1, NOISE_AEAD_CHACHAPOLY, "AEAD rewritten");
    CHECK(aead(0, 1) == NOISE_AEAD_CHACHAPOLY, "the first session still carries data");
    h_free();
}

static void test_stale_offer(void)
{
    h_init(2, true);
    offer(0, true);
    offer(1, true);
    h_send(0, 1, "x", 1);
    h_run_until(H.now + 1 * SEC);
    CHECK(aead(0, 1) == NOISE_AEAD_AESGCM, "upgraded");
    /* Node 1 stops offering (a restart with Cipher = chachapoly, say);
     * node 0 still believes it does and must start over. */
    offer(1, false);
    link_zero_keys(H.node[0].peer[1]);
    link_zero_keys(H.node[1].peer[0]);
    h_send(0, 1, "again", 5);
    h_deliver_all();
    CHECK(counters(1)->drop_cipher == 1, "the AES-GCM initiation is refused as drop_cipher");
    h_run_until(H.now + 6 * SEC);
    CHECK(aead(0, 1) == NOISE_AEAD_CHACHAPOLY && aead(1, 0) == NOISE_AEAD_CHACHAPOLY,
          "the retry chose ChaChaPoly");
    CHECK(H.node[1].rx_data == 2 && !memcmp(H.node[1].last_rx, "again", 5),
          "the queued packet arrived");
    both_ways("after the fallback");
    h_free();
}

void test_link_aead(void)
{
    if (!noise_aead_available(NOISE_AEAD_AESGCM)) {
        CHECK(link_host_set_aesgcm(NULL, true) == -ENOTSUP, "no AES-NI: refused");
        printf("skipped: AEAD choice (no AES-NI here)\n");
        return;
    }
    test_upgrade();
    test_one_side();
    test_tamper();
    test_stale_offer();
}
