/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Cookies under load: a flood of initiations from spoofed sources costs
 * the responder no Diffie-Hellman, a real initiator gets a cookie reply
 * and is admitted on its retry, and neither a cookie from another source
 * nor a forged cookie reply helps.
 */
#include <stdlib.h>
#include <string.h>

#include "crypto/link_internal.h"
#include "crypto/tests/link_harness.h"

enum { LOAD = 4, FLOOD = 10, SPOOF_BASE = 100 };

static const struct link_counters *cnt(int n)
{
    return link_host_counters(H.node[n].host);
}

/* Re-send @p to node @to from @n spoofed sources (none of them a node). */
static void flood(int to, const struct h_pkt *p, int n)
{
    for (int i = 0; i < n; i++) {
        uint8_t *copy = malloc(p->len);
        struct link_rx rx;

        if (!copy)
            abort();
        memcpy(copy, p->data, p->len);
        (void)h_receive_from(to, SPOOF_BASE + i, copy, p->len, &rx);
        free(copy);
    }
    h_drop_all();       /* responses to the first few, cookies to nobody */
}

/* Node 2's initiation to node 1: valid mac1, the flood's material. */
static struct h_pkt capture_init(void)
{
    struct h_pkt p = { 0 };

    h_send(2, 1, "x", 1);
    CHECK(H.qlen == 1 && H.q[0].data[0] == LINK_MSG_INIT, "node 2's initiation queued");
    h_take(0, &p);
    h_drop_all();
    /* Node 2 itself stays out of it: no retries of its own. */
    link_give_up_handshake(H.node[2].peer[1]);
    return p;
}

static void test_flood_then_admit(void)
{
    struct h_pkt p;
    uint64_t retry;
    int rc;

    h_init(3, true);
    link_host_set_load_limit(H.node[1].host, LOAD);
    p = capture_init();
    flood(1, &p, FLOOD);
    CHECK(cnt(1)->drop_cookie == FLOOD - LOAD && cnt(1)->cookies_sent == FLOOD - LOAD,
          "over the limit: %llu cookie drops, %llu replies",
          (unsigned long long)cnt(1)->drop_cookie, (unsigned long long)cnt(1)->cookies_sent);
    CHECK(cnt(1)->drop_replay == LOAD - 1,
          "only the first %d reached the Noise read (1 accepted, the rest replays): %llu", LOAD,
          (unsigned long long)cnt(1)->drop_replay);

    /* Node 0's own initiation in the same second: a cookie reply. */
    h_send(0, 1, "hello", 5);
    rc = h_deliver_at(0);
    CHECK(rc == -LINK_DROP_COOKIE, "node 0's initiation under load: %d", rc);
    CHECK(H.qlen == 1 && H.q[0].data[0] == LINK_MSG_COOKIE && H.q[0].to == 0 &&
          H.q[0].len == LINK_COOKIE_REPLY_LEN, "a cookie reply to node 0's source");
    CHECK(h_deliver_at(0) == 0 && H.node[0].peer[1]->has_cookie, "node 0 took the cookie");

    /* Still under load when node 0 retries: its mac2 gets it through. */
    retry = h_deadline();
    h_run_until(retry - MSEC);
    flood(1, &p, FLOOD);
    h_run_until(retry + 100 * MSEC);
    CHECK(link_peer_state(H.node[0].peer[1], H.now) == LINK_UP, "node 0 admitted on its retry");
    CHECK(H.node[1].rx_data == 1 && !memcmp(H.node[1].last_rx, "hello", 5),
          "the queued packet arrived");
    CHECK(cnt(1)->drop_cookie == 2 * (FLOOD - LOAD) + 1, "the retry cost no cookie: %llu",
          (unsigned long long)cnt(1)->drop_cookie);
    free(p.data);
    h_free();
}

/* A cookie is bound to the source it was sent to. */
static void test_cookie_bound_to_source(void)
{
    struct h_pkt p, mine;
    struct link_rx rx;
    uint64_t before;

    h_init(3, true);
    link_host_set_load_limit(H.node[1].host, LOAD);
    p = capture_init();
    flood(1, &p, FLOOD);
    h_send(0, 1, "hello", 5);
    h_deliver_at(0);                  /* cookie reply */
    h_deliver_at(0);                  /* taken */
    /* The next initiation carries mac2 for source 0; sent from source 7. */
    h_run_until(h_deadline() - MSEC);
    flood(1, &p, FLOOD);
    link_give_up_handshake(H.node[0].peer[1]);
    h_send(0, 1, "again", 5);
    CHECK(H.qlen == 1 && H.q[0].data[0] == LINK_MSG_INIT, "a fresh initiation with mac2");
    h_take(0, &mine);
    before = cnt(1)->drop_cookie;
    CHECK(h_receive_from(1, 7, mine.data, mine.len, &rx) == -LINK_DROP_COOKIE,
          "mac2 of source 0 from source 7: a cookie drop");
    CHECK(cnt(1)->drop_cookie == before + 1, "counted");
    free(mine.data);
    free(p.data);
    h_free();
}

/* A cookie reply that was not sealed to our initiation is refused. */
static void test_forged_reply(void)
{
    uint8_t reply[LINK_COOKIE_REPLY_LEN];
    struct link_peer *lp;
    struct link_rx rx;

    h_init(2, true);
    H.drop_to[1] = true;
    h_send(0, 1, "x", 1);
    h_deliver_all();
    lp = H.node[0].peer[1];
    CHECK(lp->hs != NULL, "node 0's initiation in flight");
    memset(reply, 0x5a, sizeof(reply));
    link_put_header(reply, LINK_MSG_COOKIE);
    link_put_le32(reply + 4, lp->hs->local_index);
    CHECK(h_receive_from(0, 1, reply, sizeof(reply), &rx) == -LINK_DROP_AUTH &&
          cnt(0)->drop_auth == 1, "forged: drop_auth");
    CHECK(!lp->has_cookie, "no cookie taken");
    CHECK(h_receive_from(0, 1, reply, sizeof(reply) - 1, &rx) == -LINK_DROP_MALFORMED,
          "short: malformed");
    link_put_le32(reply + 4, lp->hs->local_index + 1);
    CHECK(h_receive_from(0, 1, reply, sizeof(reply), &rx) == -LINK_DROP_UNKNOWN_PEER,
          "not our initiation: unknown_peer");
    h_free();
}

void test_link_cookie(void)
{
    test_flood_then_admit();
    test_cookie_bound_to_source();
    test_forged_reply();
}
