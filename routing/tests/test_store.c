/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Location store: RFC 7432 §15 conflict rule (table-driven), publish
 * authentication and carry policy, expiry and refresh, the members
 * nearest the asker, IP binding records.
 */
#include "routing/node_priv.h"
#include "routing/sim/engine.h"
#include "lib/check.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>


#define SEC 1000000000ULL

static ring_record rec(uint64_t seq, uint64_t host_lo)
{
    ring_record r;

    memset(&r, 0, sizeof(r));
    r.type = RING_REC_MAC;
    r.seq = seq;
    ring_id_from_u64(&r.host.id, 0, host_lo);
    return r;
}

static void table(void)
{
    static const struct {
        uint64_t cseq, chost, oseq, ohost;
        bool wins;
    } t[] = {
        { 2, 9, 1, 1, true },       /* higher sequence wins regardless of id */
        { 1, 1, 2, 9, false },      /* lower sequence loses regardless of id */
        { 5, 3, 5, 7, true },       /* tie: lower host id wins */
        { 5, 7, 5, 3, false },      /* tie: higher host id loses */
        { 5, 4, 5, 4, true },       /* same host, same seq: refresh */
        { 0, 0, UINT64_MAX, 0, false },
        { UINT64_MAX, 9, UINT64_MAX - 1, 0, true },
    };

    for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
        ring_record c = rec(t[i].cseq, t[i].chost), o = rec(t[i].oseq, t[i].ohost);

        CHECK(ring_record_wins(&c, &o) == t[i].wins, "row %zu", i);
    }
}

static bool policy(uint32_t host, uint32_t enclave)
{
    return enclave != 99;
}

/* One get from host @from, run the clock, return the entry. */
static struct eng_lookup get(struct eng *e, uint32_t from, uint32_t enclave, const uint8_t mac[6])
{
    size_t n;
    int64_t id = eng_get_mac(e, from, enclave, mac);

    eng_run_until(e, eng_now(e) + 3 * SEC);
    return eng_lookups(e, &n)[id];
}

/* Ten nodes, fast refresh and short record lifetime, settled. */
static struct eng *settled_ring(ring_config *cfg, uint64_t seed)
{
    struct eng *e;

    ring_config_default(cfg);
    cfg->refresh_ns = 2 * SEC;
    cfg->record_ttl_ns = 6 * SEC;
    e = eng_new(10, seed, cfg);
    eng_set_may_carry(e, policy);
    eng_create(e, 0);
    for (uint32_t i = 1; i < 10; i++) {
        eng_run_until(e, eng_now(e) + SEC / 2);
        eng_join(e, i, 0);
    }
    eng_run_until(e, eng_now(e) + 40 * SEC);
    CHECK(eng_check_ring(e) == 0, "ring not settled");
    return e;
}

static void end_to_end(void)
{
    ring_config cfg;
    struct eng *e;
    const uint8_t mac[6] = { 2, 0, 0, 0, 0, 0x42 }, mac2[6] = { 2, 0, 0, 0, 0, 0x43 };
    uint32_t a = 1, b = 2, lo, hi;
    struct eng_lookup l;

    e = settled_ring(&cfg, 42);
    lo = ring_id_cmp(&eng_peer(e, a)->id, &eng_peer(e, b)->id) < 0 ? a : b;
    hi = lo == a ? b : a;

    /* MAC moves from A (seq 1) to B (seq 2): B wins. */
    ring_node_publish_mac(eng_node(e, a), eng_now(e), 1, mac, 1);
    eng_run_until(e, eng_now(e) + 2 * SEC);
    ring_node_publish_mac(eng_node(e, b), eng_now(e), 1, mac, 2);
    eng_run_until(e, eng_now(e) + 2 * SEC);
    l = get(e, 5, 1, mac);
    CHECK(l.status == 0 && l.nrecs == 1 && ring_peer_eq(&l.rec0.host, eng_peer(e, b)) &&
          l.rec0.seq == 2, "higher seq: status %d", l.status);

    /* A re-announces with seq 1 again (and keeps refreshing it): still B. */
    ring_node_publish_mac(eng_node(e, a), eng_now(e), 1, mac, 1);
    eng_run_until(e, eng_now(e) + 5 * SEC);
    l = get(e, 6, 1, mac);
    CHECK(l.status == 0 && ring_peer_eq(&l.rec0.host, eng_peer(e, b)), "stale seq replaced winner");

    /* Both at seq 2: the lower host id wins, whoever published last. */
    ring_node_publish_mac(eng_node(e, hi), eng_now(e), 1, mac, 2);
    ring_node_publish_mac(eng_node(e, lo), eng_now(e), 1, mac, 2);
    eng_run_until(e, eng_now(e) + 5 * SEC);
    l = get(e, 7, 1, mac);
    CHECK(l.status == 0 && ring_peer_eq(&l.rec0.host, eng_peer(e, lo)) && l.rec0.seq == 2,
          "tie-break: got the higher id");

    /* Policy: nobody may carry enclave 99; the publisher refuses its own
     * record and a get from a host that may not carry 99 is refused. */
    {
        uint64_t rejected = ring_node_stats(eng_node(e, a))->stores_rejected;

        ring_node_publish_mac(eng_node(e, a), eng_now(e), 99, mac2, 1);
        CHECK(ring_node_stats(eng_node(e, a))->stores_rejected == rejected + 1,
              "policy: publish not refused");
    }
    eng_run_until(e, eng_now(e) + 2 * SEC);
    l = get(e, 8, 99, mac2);
    CHECK(l.status == RING_ERR_REJECTED, "policy: status %d nrecs %u", l.status, l.nrecs);
    for (uint32_t i = 0; i < 10; i++) {
        for (size_t k = 0; k < ring_node_nrecords(eng_node(e, i)); k++)
            CHECK(ring_node_record(eng_node(e, i), k)->enclave != 99, "host %u holds 99", i);
    }

    /* Forged publish: host 3 sends a STORE naming host 4 straight to the
     * key's owner; the owner must refuse (the record does not name the
     * authenticated sender). */
    {
        ring_msg m;
        uint8_t buf[RING_MSG_MAX];
        ring_record r;
        ring_id key;
        int32_t owner;
        int len;
        uint64_t rejected;

        memset(&m, 0, sizeof(m));
        memset(&r, 0, sizeof(r));
        r.type = RING_REC_MAC;
        r.enclave = 1;
        memcpy(r.mac, mac2, 6);
        r.host = *eng_peer(e, 4);
        r.seq = 1000;
        r.expires = eng_now(e) + 5 * SEC;     /* within record_ttl (6 s) */
        ring_key_mac(&key, 1, mac2);
        owner = eng_oracle_succ(e, &key);
        m.type = RING_MSG_FIND_REQ;
        m.rid = 1;
        m.key = key;
        m.op = RING_OP_STORE;
        ring_wrec_from(&m.recs[0], &r, eng_now(e));
        m.nrecs = 1;
        len = ring_wire_encode(&m, buf, sizeof(buf));
        CHECK(len > 0, "encode");
        rejected = ring_node_stats(eng_node(e, (uint32_t)owner))->stores_rejected;
        CHECK(ring_node_on_message(eng_node(e, (uint32_t)owner), eng_now(e), eng_peer(e, 3),
                                   buf, (size_t)len) == 0, "deliver");
        CHECK(ring_node_stats(eng_node(e, (uint32_t)owner))->stores_rejected == rejected + 1,
              "forged store not counted as rejected");
        eng_run_until(e, eng_now(e) + SEC);
        l = get(e, 9, 1, mac2);
        CHECK(l.status == RING_ERR_NOTFOUND, "forged record stored: status %d", l.status);

        /* The same STORE from host 4 itself is accepted. */
        CHECK(ring_node_on_message(eng_node(e, (uint32_t)owner), eng_now(e), eng_peer(e, 4),
                                   buf, (size_t)len) == 0, "deliver");
        eng_run_until(e, eng_now(e) + SEC);
        l = get(e, 9, 1, mac2);
        CHECK(l.status == 0 && ring_peer_eq(&l.rec0.host, eng_peer(e, 4)), "genuine store: %d",
              l.status);
    }

    /* Refresh keeps a record alive past several TTLs; without refresh it
     * expires everywhere, replicas included. */
    eng_run_until(e, eng_now(e) + 20 * SEC);
    l = get(e, 5, 1, mac);
    CHECK(l.status == 0 && ring_peer_eq(&l.rec0.host, eng_peer(e, lo)), "refreshed record lost");
    ring_node_unpublish(eng_node(e, a), RING_REC_MAC, 1, mac);
    ring_node_unpublish(eng_node(e, b), RING_REC_MAC, 1, mac);
    eng_run_until(e, eng_now(e) + 12 * SEC);
    l = get(e, 5, 1, mac);
    CHECK(l.status == RING_ERR_NOTFOUND, "unrefreshed record did not expire: %d", l.status);
    for (uint32_t i = 0; i < 10; i++) {
        const struct ring_node *nd = eng_node(e, i);

        for (size_t k = 0; k < ring_node_nrecords(nd); k++) {
            const ring_record *r = ring_node_record(nd, k);

            CHECK(!(r->type == RING_REC_MAC && r->enclave == 1 && !memcmp(r->mac, mac, 6)),
                  "host %u still holds the expired record", i);
        }
    }
    eng_free(e);
}

/* IP binding records (RING_REC_IP): keyed by (enclave, address), one
 * binding per address under the conflict rule, never answered for another
 * enclave or address, gone once unrefreshed. */
static void ip_bindings(void)
{
    ring_config cfg;
    struct eng *e;
    const uint8_t mac_a[6] = { 2, 0, 0, 0, 1, 1 }, mac_b[6] = { 2, 0, 0, 0, 1, 2 };
    ring_ip ip = { .family = 4, .addr = { 10, 100, 0, 1 } };
    ring_ip ip6 = { .family = 6, .addr = { 0xfd, 0, 0, 0x64, [15] = 1 } };
    ring_ip other = { .family = 4, .addr = { 10, 100, 0, 2 } };
    ring_ip bad = { .family = 4, .addr = { 10, 100, 0, 1, [8] = 1 } };
    uint32_t a = 1, b = 2;
    ring_id k1, k2;
    struct eng_lookup l;
    size_t n;
    int64_t id;

    /* The key names family, address and enclave. */
    ring_key_ip(&k1, 1, &ip);
    ring_key_ip(&k2, 2, &ip);
    CHECK(!ring_id_eq(&k1, &k2), "ip key ignores the enclave");
    ring_key_ip(&k2, 1, &other);
    CHECK(!ring_id_eq(&k1, &k2), "ip key ignores the address");

    e = settled_ring(&cfg, 7);

    CHECK(ring_node_publish_ip(eng_node(e, a), eng_now(e), 1, &bad, mac_a, 0) == -EINVAL,
          "malformed address published");
    CHECK(ring_node_publish_ip(eng_node(e, a), eng_now(e), 1, &ip, mac_a, 0) == 0, "publish");
    CHECK(ring_node_publish_ip(eng_node(e, a), eng_now(e), 1, &ip6, mac_a, 0) == 0, "publish v6");
    eng_run_until(e, eng_now(e) + 2 * SEC);
    id = eng_get_ip(e, 5, 1, &ip);
    eng_run_until(e, eng_now(e) + 3 * SEC);
    l = eng_lookups(e, &n)[id];
    CHECK(l.status == 0 && l.nrecs == 1 && l.rec0.type == RING_REC_IP && l.rec0.enclave == 1 &&
          ring_ip_eq(&l.rec0.ip, &ip) && !memcmp(l.rec0.mac, mac_a, 6) &&
          ring_peer_eq(&l.rec0.host, eng_peer(e, a)), "get ip: status %d", l.status);
    id = eng_get_ip(e, 6, 1, &ip6);
    eng_run_until(e, eng_now(e) + 3 * SEC);
    l = eng_lookups(e, &n)[id];
    CHECK(l.status == 0 && ring_ip_eq(&l.rec0.ip, &ip6), "get ip6: status %d", l.status);

    /* Another enclave, another address: nothing. */
    id = eng_get_ip(e, 5, 2, &ip);
    eng_run_until(e, eng_now(e) + 3 * SEC);
    CHECK(eng_lookups(e, &n)[id].status == RING_ERR_NOTFOUND, "binding of enclave 1 for 2");
    id = eng_get_ip(e, 5, 1, &other);
    eng_run_until(e, eng_now(e) + 3 * SEC);
    CHECK(eng_lookups(e, &n)[id].status == RING_ERR_NOTFOUND, "binding for another address");
    CHECK(ring_node_get_ip(eng_node(e, 5), eng_now(e), 1, &bad, 0) == -EINVAL, "bad get");

    /* The address moves to B's guest with a higher sequence: B's binding
     * replaces A's (one record per address, not one per MAC). */
    ring_node_publish_ip(eng_node(e, b), eng_now(e), 1, &ip, mac_b, 1);
    eng_run_until(e, eng_now(e) + 5 * SEC);
    id = eng_get_ip(e, 7, 1, &ip);
    eng_run_until(e, eng_now(e) + 3 * SEC);
    l = eng_lookups(e, &n)[id];
    CHECK(l.status == 0 && l.nrecs == 1 && !memcmp(l.rec0.mac, mac_b, 6) && l.rec0.seq == 1 &&
          ring_peer_eq(&l.rec0.host, eng_peer(e, b)), "moved binding: status %d", l.status);

    /* Unpublished by both: it expires everywhere. */
    CHECK(ring_node_unpublish_ip(eng_node(e, a), 1, &ip) == 0, "unpublish a");
    CHECK(ring_node_unpublish_ip(eng_node(e, b), 1, &ip) == 0, "unpublish b");
    CHECK(ring_node_unpublish_ip(eng_node(e, b), 1, &ip) == -ENOENT, "unpublish twice");
    CHECK(ring_node_unpublish(eng_node(e, a), RING_REC_IP, 1, mac_a) == -EINVAL,
          "unpublish of a binding by MAC");
    eng_run_until(e, eng_now(e) + 12 * SEC);
    id = eng_get_ip(e, 5, 1, &ip);
    eng_run_until(e, eng_now(e) + 3 * SEC);
    CHECK(eng_lookups(e, &n)[id].status == RING_ERR_NOTFOUND, "unrefreshed binding alive");
    id = eng_get_ip(e, 5, 1, &ip6);
    eng_run_until(e, eng_now(e) + 3 * SEC);
    CHECK(eng_lookups(e, &n)[id].status == 0, "the v6 binding, still refreshed, is gone");
    eng_free(e);
}

static void no_send(void *ctx, const ring_peer *to, const uint8_t *buf, size_t len)
{
    (void)ctx, (void)to, (void)buf, (void)len;
}

static uint64_t no_rand(void *ctx)
{
    (void)ctx;
    return 4;
}

/* A get answer holding records of what was not asked (another enclave or
 * address): they never reach the caller, and are counted. */
static ring_msg ua_sent;
static bool ua_got_sent;
static int ua_status = 1;
static size_t ua_n = 99;

static void ua_send(void *ctx, const ring_peer *to, const uint8_t *buf, size_t len)
{
    (void)ctx, (void)to;
    if (ring_wire_decode(&ua_sent, buf, len) == 0 && ua_sent.type == RING_MSG_FIND_REQ)
        ua_got_sent = true;
}

static void ua_get_done(void *ctx, uint64_t cookie, int status, const ring_record *recs,
                        size_t n, unsigned hops)
{
    (void)ctx, (void)cookie, (void)recs, (void)hops;
    ua_status = status;
    ua_n = n;
}

static void answer_unasked(void)
{
    ring_config cfg;
    ring_callbacks cb = { .send = ua_send, .rand = no_rand, .get_done = ua_get_done };
    ring_ip ip = { .family = 4, .addr = { 10, 100, 0, 1 } };
    ring_peer a, b;
    ring_id key, d;
    struct ring_node *n;
    ring_msg r;
    uint8_t buf[RING_MSG_MAX];
    int len;

    memset(&a, 0, sizeof(a));
    memset(&b, 0, sizeof(b));
    ring_key_ip(&key, 1, &ip);
    b.id = key;                                 /* the key's owner */
    ring_id_from_u64(&d, 0, 1000);
    ring_id_sub(&a.id, &key, &d);
    a.pub[0] = 1;
    b.pub[0] = 2;
    ring_config_default(&cfg);
    cfg.bind_ids = false;       /* hosts at chosen ids, keys made up */
    n = ring_node_new(&cfg, &cb, &a);
    if (!CHECK(n != NULL, "node"))
        return;
    ring_node_bulk_init(n, 1, &b, &b, 1, NULL, 0);
    CHECK(ring_node_get_ip(n, 2, 1, &ip, 7) == 0, "get");
    CHECK(ua_got_sent && ua_sent.op == RING_OP_GET_IP && ring_ip_eq(&ua_sent.ip, &ip),
          "no GET_IP sent");
    memset(&r, 0, sizeof(r));
    r.type = RING_MSG_FIND_RESP;
    r.rid = ua_sent.rid;
    r.code = RING_FIND_OWNER;
    r.status = RING_ST_OK;
    r.nrecs = 2;
    for (int i = 0; i < 2; i++) {
        r.recs[i].type = RING_REC_IP;
        r.recs[i].enclave = i ? 1 : 2;          /* another enclave; another address */
        r.recs[i].ip = ip;
        r.recs[i].ip.addr[3] = (uint8_t)(i ? 9 : 1);
        r.recs[i].mac[0] = 2;
        r.recs[i].host = b;
        r.recs[i].ttl_ms = 90000;
    }
    len = ring_wire_encode(&r, buf, sizeof(buf));
    CHECK(len > 0 && ring_node_on_message(n, 3, &b, buf, (size_t)len) == 0, "deliver");
    CHECK(ua_status == RING_ERR_NOTFOUND && ua_n == 0, "unasked records handed out: %d %zu",
          ua_status, ua_n);
    CHECK(ring_node_stats(n)->recs_unasked == 2, "recs_unasked %llu",
          (unsigned long long)ring_node_stats(n)->recs_unasked);
    ring_node_free(n);
}

/* More members than a message holds: GET_MEMBERS answers with those
 * nearest the asker, either way round (its enclave neighbours included). */
static void members_nearest(void)
{
    enum { M = 60 };
    ring_config cfg;
    ring_callbacks cb = { .send = no_send, .rand = no_rand };
    ring_peer self;
    struct ring_node *n;
    ring_wrec out[RING_MSG_RECS_MAX];
    ring_id near, d1, d2;
    unsigned k;

    memset(&self, 0, sizeof(self));
    ring_id_from_u64(&self.id, 1, 0);
    ring_config_default(&cfg);
    n = ring_node_new(&cfg, &cb, &self);
    CHECK(n != NULL, "node");
    if (!n)
        return;
    for (unsigned i = 0; i < M; i++) {
        ring_record r;

        memset(&r, 0, sizeof(r));
        r.type = RING_REC_MEMBER;
        r.enclave = 7;
        /* Members at i * 2^58: the asker at 2^63 + 1 sits just after 32. */
        ring_id_from_u64(&r.host.id, (uint64_t)i << 58, 0);
        r.expires = UINT64_MAX;
        ring_store_put(n, &r);
    }
    ring_id_from_u64(&near, 1ull << 63, 1);
    k = ring_store_find(n, RING_REC_MEMBER, 7, NULL, NULL, &near, out, RING_MSG_RECS_MAX, 0);
    CHECK(k == RING_MSG_RECS_MAX, "%u records", k);
    for (unsigned i = 0; i < k; i++) {
        uint64_t hi, lo;

        ring_id_to_u64(&out[i].host.id, &hi, &lo);
        /* The 24 nearest: members 21..44 (44 is nearer than 20 by 2), nearest first. */
        CHECK((hi >> 58) >= 21 && (hi >> 58) <= 44, "record %u is member %u", i,
              (unsigned)(hi >> 58));
        if (i) {
            ring_id prev;

            ring_id_dist(&d1, &near, &out[i - 1].host.id);
            ring_id_dist(&d2, &out[i - 1].host.id, &near);
            prev = ring_id_cmp(&d1, &d2) < 0 ? d1 : d2;
            ring_id_dist(&d1, &near, &out[i].host.id);
            ring_id_dist(&d2, &out[i].host.id, &near);
            CHECK(ring_id_cmp(&prev, ring_id_cmp(&d1, &d2) < 0 ? &d1 : &d2) <= 0,
                  "record %u out of order", i);
        }
    }
    /* Without @near (a MAC's records): the first ones, any order. */
    CHECK(ring_store_find(n, RING_REC_MEMBER, 7, NULL, NULL, NULL, out, 5, 0) == 5, "cap");
    ring_node_free(n);
}

static double now_s(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Issue 12 item 7: a host publishing thousands of MACs (a guest sending
 * from random source MACs) finds each of its publications through an
 * index, not a scan: every one is found again, replaced in place, and
 * removed exactly once, whatever the order. Prints the time of the
 * publish rounds (the publish scan's cost). */
static void publish_many(void)
{
    enum { N = 4096 };
    ring_config cfg;
    ring_callbacks cb = { .send = no_send, .rand = no_rand };
    ring_peer self;
    struct ring_node *n;
    uint8_t mac[6] = { 0x52, 0x54, 0, 0, 0, 0 };
    unsigned bad = 0;
    double t0, t1;

    memset(&self, 0, sizeof(self));
    ring_id_from_u64(&self.id, 1, 0);
    ring_config_default(&cfg);
    cfg.bind_ids = false;
    n = ring_node_new(&cfg, &cb, &self);
    CHECK(n != NULL && ring_node_create(n, 1000) == 0, "node");
    if (!n)
        return;
    t0 = now_s();
    for (unsigned round = 1; round <= 3; round++)
        for (unsigned i = 0; i < N; i++) {
            mac[3] = (uint8_t)(i * 37 >> 8);
            mac[4] = (uint8_t)(i * 37);
            mac[5] = (uint8_t)(i >> 8);
            bad += ring_node_publish_mac(n, 2000 + round, 7, mac, round) != 0;
        }
    t1 = now_s();
    CHECK(bad == 0 && n->npubs == N, "%u publications, %u refused", n->npubs, bad);
    fprintf(stderr, "publish_many: 3 rounds of %d MACs in %.1f ms\n", N, (t1 - t0) * 1e3);
    CHECK(ring_node_publish_member(n, 3000, 7) == 0 && n->npubs == N + 1);
    for (unsigned i = 0; i < N; i += 2) {
        mac[3] = (uint8_t)(i * 37 >> 8);
        mac[4] = (uint8_t)(i * 37);
        mac[5] = (uint8_t)(i >> 8);
        bad += ring_node_unpublish(n, RING_REC_MAC, 7, mac) != 0;
        bad += ring_node_unpublish(n, RING_REC_MAC, 7, mac) != -ENOENT;
    }
    CHECK(bad == 0 && n->npubs == N / 2 + 1, "half removed: %u left, %u wrong", n->npubs, bad);
    for (unsigned i = 1; i < N; i += 2) {
        mac[3] = (uint8_t)(i * 37 >> 8);
        mac[4] = (uint8_t)(i * 37);
        mac[5] = (uint8_t)(i >> 8);
        bad += ring_node_unpublish(n, RING_REC_MAC, 7, mac) != 0;
    }
    CHECK(bad == 0 && n->npubs == 1, "the rest removed: %u left", n->npubs);
    CHECK(ring_node_unpublish(n, RING_REC_MEMBER, 7, NULL) == 0 && n->npubs == 0);
    ring_node_free(n);
}

int main(void)
{
    table();
    end_to_end();
    ip_bindings();
    members_nearest();
    answer_unasked();
    publish_many();
    if (check_failures)
        fprintf(stderr, "%d failures\n", check_failures);
    return check_failures ? 1 : 0;
}
