/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Ring trust against an admitted but hostile host (routing/trust.c,
 * docs/security.md), on an 8-node ring whose ids are the hashes of the
 * hosts' keys, driven by a FIFO message queue (no timers, no loss). One
 * member, the rogue, may carry enclave F but not enclave E; it is a real
 * node, and the test also speaks for it:
 *  - honest traffic (publishes and gets of E and F) trips no counter;
 *  - RECS of E from the rogue: refused, counted, nothing stored;
 *  - a sender, a named peer or a record host whose id is not the hash of
 *    its key: refused and counted;
 *  - seq 2^64 - 1, a lead of more than 1024, a ttl of 49 days: refused;
 *  - quotas per publisher (2048), per enclave and in total stop at the cap;
 *  - the rogue answering OWNER to a probe never gets the STORE or GET,
 *    and the record still lands on the right E-owner;
 *  - a GET or PROBE of E from the rogue is refused.
 */
#include "routing/node_priv.h"
#include "crypto/ringid.h"
#include "lib/check.h"

#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#define N 8
#define R 3
#define SEC 1000000000ULL
#define E_ENC 300       /* carried at sorted positions 0, 3, 4, 6 */
#define F_ENC 301       /* carried by every host */
#define ROGUE_POS 1     /* sorted position of the hostile member */

struct qmsg {
    uint32_t from, to, len;
    uint8_t buf[RING_MSG_MAX];
};

struct hctx {
    struct net *net;
    uint32_t idx;
};

struct net {
    struct ring_node *node[N];
    struct hctx ctx[N];
    ring_peer peer[N];
    uint32_t order[N], pos[N];
    uint32_t rogue;
    bool hostile;               /* the rogue answers OWNER to every probe */
    unsigned rogue_payloads;    /* E MACs or records that reached the rogue */
    struct qmsg *q;
    size_t head, tail, cap;
    uint64_t now;
    int get_status;
    size_t get_n;
    bool get_done;
};

static bool carrier_pos(uint32_t pos, uint32_t enclave)
{
    if (enclave == E_ENC)
        return pos == 0 || pos == 3 || pos == 4 || pos == 6;
    return true;
}

static int32_t index_of(const struct net *net, const ring_id *id)
{
    for (uint32_t i = 0; i < N; i++) {
        if (ring_id_eq(&net->peer[i].id, id))
            return (int32_t)i;
    }
    return -1;
}

/* Hosts outside the ring (made-up publishers) carry F only. */
static bool cb_may_carry(void *ctx, const ring_id *host, uint32_t enclave)
{
    struct net *net = ((struct hctx *)ctx)->net;
    int32_t i = index_of(net, host);

    if (i < 0)
        return enclave != E_ENC;
    return carrier_pos(net->pos[i], enclave);
}

static void peer_of(ring_peer *p, uint32_t seed)
{
    memset(p, 0, sizeof(*p));
    for (unsigned k = 0; k < RING_PUB_LEN; k++)
        p->pub[k] = (uint8_t)(seed * 131 + k * 7 + (seed >> 8));
    ringid_from_pubkey(p->id.b, p->pub);
    p->ep.family = 4;
    p->ep.port = 7000;
    p->ep.addr[0] = 10;
    p->ep.addr[2] = (uint8_t)(seed >> 8);
    p->ep.addr[3] = (uint8_t)seed;
}

static void enqueue(struct net *net, uint32_t from, uint32_t to, const uint8_t *buf, size_t len)
{
    struct qmsg *m;

    if (net->tail == net->cap) {
        net->cap = net->cap ? net->cap * 2 : 64;
        net->q = realloc(net->q, net->cap * sizeof(*net->q));
        if (!net->q)
            abort();
    }
    m = &net->q[net->tail++];
    m->from = from;
    m->to = to;
    m->len = (uint32_t)len;
    memcpy(m->buf, buf, len);
}

/* What reaches the rogue that it should never see: E's MACs or records. */
static void note_rogue_payload(struct net *net, const ring_msg *d)
{
    if (d->type == RING_MSG_FIND_REQ && d->op != RING_OP_PROBE && d->op != RING_OP_LOOKUP &&
        (d->op == RING_OP_STORE ? d->recs[0].enclave : d->enclave) == E_ENC)
        net->rogue_payloads++;
    for (unsigned i = 0; d->type != RING_MSG_FIND_REQ && i < d->nrecs; i++)
        net->rogue_payloads += d->recs[i].enclave == E_ENC;
}

/* A hostile rogue claims to be the E-owner of whatever it is probed for. */
static bool rogue_lies(struct net *net, uint32_t from, const ring_msg *d)
{
    ring_msg r;
    uint8_t buf[RING_MSG_MAX];
    int len;

    if (!net->hostile || d->type != RING_MSG_FIND_REQ || d->op != RING_OP_PROBE)
        return false;
    memset(&r, 0, sizeof(r));
    r.type = RING_MSG_FIND_RESP;
    r.rid = d->rid;
    r.code = RING_FIND_OWNER;
    r.status = RING_ST_OK;
    len = ring_wire_encode(&r, buf, sizeof(buf));
    if (CHECK(len > 0))
        enqueue(net, net->rogue, from, buf, (size_t)len);
    return true;
}

static void cb_send(void *ctx, const ring_peer *to, const uint8_t *buf, size_t len)
{
    struct hctx *h = ctx;
    struct net *net = h->net;
    int32_t dst = index_of(net, &to->id);
    ring_msg d;

    if (!CHECK(dst >= 0, "host %u sends to an unknown peer", h->idx))
        return;
    if ((uint32_t)dst == net->rogue && ring_wire_decode(&d, buf, len) == 0) {
        note_rogue_payload(net, &d);
        if (rogue_lies(net, h->idx, &d))
            return;
    }
    enqueue(net, h->idx, (uint32_t)dst, buf, len);
}

static uint64_t cb_rand(void *ctx)
{
    static uint64_t x = 0x2545f4914f6cdd1dULL;

    (void)ctx;
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    return x;
}

static void cb_get_done(void *ctx, uint64_t cookie, int status, const ring_record *recs,
                        size_t n, unsigned hops)
{
    struct net *net = ((struct hctx *)ctx)->net;

    (void)cookie;
    (void)recs;
    (void)hops;
    net->get_done = true;
    net->get_status = status;
    net->get_n = n;
}

static void drain(struct net *net)
{
    unsigned steps = 0;

    while (net->head < net->tail && steps++ < 100000) {
        struct qmsg m = net->q[net->head++];

        ring_node_on_message(net->node[m.to], net->now, &net->peer[m.from], m.buf, m.len);
    }
    CHECK(net->head == net->tail, "message storm");
    net->head = net->tail = 0;
}

static struct net *sorted_net;

static int cmp_idx(const void *a, const void *b)
{
    return ring_id_cmp(&sorted_net->peer[*(const uint32_t *)a].id,
                       &sorted_net->peer[*(const uint32_t *)b].id);
}

static struct net *net_new(const ring_config *cfg)
{
    struct net *net = calloc(1, sizeof(*net));

    if (!net)
        abort();
    net->now = 10 * SEC;
    for (uint32_t i = 0; i < N; i++) {
        peer_of(&net->peer[i], i + 1);
        net->order[i] = i;
    }
    sorted_net = net;
    qsort(net->order, N, sizeof(net->order[0]), cmp_idx);
    for (uint32_t p = 0; p < N; p++)
        net->pos[net->order[p]] = p;
    net->rogue = net->order[ROGUE_POS];
    for (uint32_t i = 0; i < N; i++) {
        ring_callbacks cb = { .ctx = &net->ctx[i], .send = cb_send, .rand = cb_rand,
                              .may_carry = cb_may_carry, .get_done = cb_get_done };
        ring_peer succ[R];
        uint32_t p = net->pos[i];

        net->ctx[i] = (struct hctx){ net, i };
        net->node[i] = ring_node_new(cfg, &cb, &net->peer[i]);
        if (!net->node[i])
            abort();
        for (uint32_t k = 0; k < R; k++)
            succ[k] = net->peer[net->order[(p + 1 + k) % N]];
        ring_node_bulk_init(net->node[i], net->now, &net->peer[net->order[(p + N - 1) % N]],
                            succ, R, NULL, 0);
    }
    return net;
}

static struct net *net_default(void)
{
    ring_config cfg;

    ring_config_default(&cfg);
    cfg.nsucc = R;
    return net_new(&cfg);
}

static void net_free(struct net *net)
{
    for (uint32_t i = 0; i < N; i++)
        ring_node_free(net->node[i]);
    free(net->q);
    free(net);
}

static uint32_t at(const struct net *net, uint32_t pos)
{
    return net->order[pos];
}

static void mac_of(uint8_t mac[6], uint32_t salt)
{
    const uint8_t m[6] = { 2, 0, 0, (uint8_t)(salt >> 8), (uint8_t)salt, 9 };

    memcpy(mac, m, 6);
}

/* Does host @i hold a MAC record of @enclave for @mac (any host, any seq)? */
static const ring_record *held(const struct net *net, uint32_t i, uint32_t enclave,
                               const uint8_t mac[6])
{
    for (size_t k = 0; k < ring_node_nrecords(net->node[i]); k++) {
        const ring_record *r = ring_node_record(net->node[i], k);

        if (r->type == RING_REC_MAC && r->enclave == enclave && !memcmp(r->mac, mac, 6))
            return r;
    }
    return NULL;
}

static unsigned holders(const struct net *net, uint32_t enclave, const uint8_t mac[6])
{
    unsigned c = 0;

    for (uint32_t i = 0; i < N; i++)
        c += held(net, i, enclave, mac) != NULL;
    return c;
}

/* The sum of one trust counter over every node. */
#define TRUST_SUM(net, field) trust_sum(net, offsetof(ring_stats, field))

static uint64_t trust_sum(const struct net *net, size_t off)
{
    uint64_t s = 0;

    for (uint32_t i = 0; i < N; i++) {
        const ring_stats *st = ring_node_stats(net->node[i]);

        s += *(const uint64_t *)(const void *)((const uint8_t *)st + off);
    }
    return s;
}

static uint64_t trust_all(const struct net *net)
{
    return TRUST_SUM(net, msgs_bad_host) + TRUST_SUM(net, recs_bad_host) +
           TRUST_SUM(net, recs_bad_seq) + TRUST_SUM(net, recs_bad_ttl) +
           TRUST_SUM(net, recs_from_noncarrier) + TRUST_SUM(net, recs_quota) +
           TRUST_SUM(net, gets_rejected) + TRUST_SUM(net, probe_owner_noncarrier);
}

static void get(struct net *net, uint32_t from, uint32_t enclave, const uint8_t mac[6])
{
    net->get_done = false;
    net->get_n = 0;
    CHECK(ring_node_get_mac(net->node[from], net->now, enclave, mac, 1) == 0, "get");
    drain(net);
    CHECK(net->get_done, "get from host %u never completed", from);
}

/* Deliver @m to host @to as if host @from (or the peer @as) sent it. */
static int deliver_as(struct net *net, const ring_peer *as, uint32_t to, const ring_msg *m)
{
    uint8_t buf[RING_MSG_MAX];
    int len = ring_wire_encode(m, buf, sizeof(buf));
    int rc;

    if (!CHECK(len > 0, "encode"))
        return len;
    rc = ring_node_on_message(net->node[to], net->now, as, buf, (size_t)len);
    drain(net);
    return rc;
}

/* A RECS (store only, no forwarding) of one MAC record. */
static void recs_one(ring_msg *m, uint32_t enclave, const uint8_t mac[6], const ring_peer *host,
                     uint64_t seq, uint32_t ttl_ms)
{
    memset(m, 0, sizeof(*m));
    m->type = RING_MSG_RECS;
    m->copies = 1;
    m->nrecs = 1;
    m->recs[0].type = RING_REC_MAC;
    m->recs[0].enclave = enclave;
    memcpy(m->recs[0].mac, mac, 6);
    m->recs[0].host = *host;
    m->recs[0].seq = seq;
    m->recs[0].ttl_ms = ttl_ms;
    ring_id_from_u64(&m->origin, 0, 1);
}

/* Honest publishes and gets of both enclaves trip no trust counter. */
static void test_honest(void)
{
    struct net *net = net_default();
    uint8_t mac[6];

    for (uint32_t p = 0; p < N; p++) {
        uint32_t h = at(net, p);

        mac_of(mac, p);
        CHECK(ring_node_publish_mac(net->node[h], net->now, F_ENC, mac, 1) == 0, "publish F");
        if (carrier_pos(p, E_ENC))
            CHECK(ring_node_publish_mac(net->node[h], net->now, E_ENC, mac, 1) == 0,
                  "publish E");
        drain(net);
    }
    for (uint32_t p = 0; p < N; p++) {
        mac_of(mac, p);
        get(net, at(net, (p + 3) % N), F_ENC, mac);
        CHECK(net->get_status == 0 && net->get_n == 1, "honest get F %u: %d", p,
              net->get_status);
        CHECK(holders(net, F_ENC, mac) == R, "F record %u on %u hosts", p,
              holders(net, F_ENC, mac));
        if (!carrier_pos(p, E_ENC))
            continue;
        get(net, at(net, 6), E_ENC, mac);
        CHECK(net->get_status == 0 && net->get_n == 1, "honest get E %u: %d", p,
              net->get_status);
        CHECK(holders(net, E_ENC, mac) == R, "E record %u on %u hosts", p,
              holders(net, E_ENC, mac));
    }
    CHECK(trust_all(net) == 0, "honest ring tripped %llu trust counters",
          (unsigned long long)trust_all(net));
    CHECK(net->rogue_payloads == 0, "the non-carrier saw %u E payloads", net->rogue_payloads);
    net_free(net);
}

/* RECS of E from the rogue, which may not carry E: refused, nothing stored. */
static void test_recs_from_noncarrier(void)
{
    struct net *net = net_default();
    uint32_t victim = at(net, 3), named = at(net, 0);
    size_t before = ring_node_nrecords(net->node[victim]);
    uint8_t mac[6];
    ring_msg m;

    mac_of(mac, 500);
    recs_one(&m, E_ENC, mac, &net->peer[named], 7, 60000);
    m.copies = 3;
    m.ttl = 8;
    deliver_as(net, &net->peer[net->rogue], victim, &m);
    CHECK(ring_node_stats(net->node[victim])->recs_from_noncarrier == 1,
          "recs_from_noncarrier %llu",
          (unsigned long long)ring_node_stats(net->node[victim])->recs_from_noncarrier);
    CHECK(ring_node_nrecords(net->node[victim]) == before && holders(net, E_ENC, mac) == 0,
          "forged replica stored");
    /* The same RECS from a carrier of E is a replica like any other. */
    deliver_as(net, &net->peer[at(net, 4)], victim, &m);
    CHECK(held(net, victim, E_ENC, mac) != NULL, "a carrier's replica refused");
    net_free(net);
}

/* Ids that are not the hash of the key they come with. */
static void test_bad_host(void)
{
    struct net *net = net_default();
    uint32_t victim = at(net, 3), named = at(net, 0);
    ring_peer posing = net->peer[named];
    uint8_t mac[6];
    ring_msg m;
    int rc;

    /* A record naming a carrier's id with the rogue's key. */
    memcpy(posing.pub, net->peer[net->rogue].pub, RING_PUB_LEN);
    mac_of(mac, 600);
    recs_one(&m, F_ENC, mac, &posing, 3, 60000);
    deliver_as(net, &net->peer[net->rogue], victim, &m);
    CHECK(ring_node_stats(net->node[victim])->recs_bad_host == 1, "recs_bad_host %llu",
          (unsigned long long)ring_node_stats(net->node[victim])->recs_bad_host);
    CHECK(!held(net, victim, F_ENC, mac), "record of a posing host stored");

    /* The rogue posing as that carrier when it sends. */
    recs_one(&m, F_ENC, mac, &net->peer[net->rogue], 3, 60000);
    rc = deliver_as(net, &posing, victim, &m);
    CHECK(rc == -EPERM && ring_node_stats(net->node[victim])->msgs_bad_host == 1,
          "posing sender: rc %d, msgs_bad_host %llu", rc,
          (unsigned long long)ring_node_stats(net->node[victim])->msgs_bad_host);
    CHECK(!held(net, victim, F_ENC, mac), "record from a posing sender stored");

    /* A peer list naming the carrier's id with the rogue's key: the
     * whole message goes, so nobody is told to send there. */
    memset(&m, 0, sizeof(m));
    m.type = RING_MSG_STATE_RESP;
    m.npeers = 1;
    m.peers[0] = posing;
    rc = deliver_as(net, &net->peer[net->rogue], victim, &m);
    CHECK(rc == -EPERM && ring_node_stats(net->node[victim])->msgs_bad_host == 2,
          "posing peer: rc %d", rc);
    net_free(net);
}

/* Sequence numbers and lifetimes beyond the bounds. */
static void test_bounds(void)
{
    struct net *net = net_default();
    uint32_t victim = at(net, 3);
    const ring_peer *rogue = &net->peer[net->rogue];
    const ring_stats *st = ring_node_stats(net->node[victim]);
    const ring_record *r;
    uint8_t mac[6];
    ring_msg m;

    mac_of(mac, 700);
    recs_one(&m, F_ENC, mac, rogue, UINT64_MAX, 60000);
    deliver_as(net, rogue, victim, &m);
    CHECK(st->recs_bad_seq == 1 && !held(net, victim, F_ENC, mac), "seq 2^64-1 taken");
    recs_one(&m, F_ENC, mac, rogue, RING_SEQ_MAX + 1, 60000);
    deliver_as(net, rogue, victim, &m);
    CHECK(st->recs_bad_seq == 2 && !held(net, victim, F_ENC, mac), "seq 2^32 taken");
    recs_one(&m, F_ENC, mac, rogue, 5, UINT32_MAX);     /* 49.7 days */
    deliver_as(net, rogue, victim, &m);
    CHECK(st->recs_bad_ttl == 1 && !held(net, victim, F_ENC, mac), "ttl of 49 days taken");
    recs_one(&m, F_ENC, mac, rogue, 5, 90001);          /* 1 ms beyond record_ttl */
    deliver_as(net, rogue, victim, &m);
    CHECK(st->recs_bad_ttl == 2 && !held(net, victim, F_ENC, mac), "ttl 90.001 s taken");

    /* Within bounds it is stored; then it may move 1024 ahead, not 1025. */
    recs_one(&m, F_ENC, mac, rogue, 5, 90000);
    deliver_as(net, rogue, victim, &m);
    r = held(net, victim, F_ENC, mac);
    CHECK(r && r->seq == 5, "a bounded record refused");
    recs_one(&m, F_ENC, mac, rogue, 5 + RING_SEQ_AHEAD + 1, 60000);
    deliver_as(net, rogue, victim, &m);
    r = held(net, victim, F_ENC, mac);
    CHECK(st->recs_bad_seq == 3 && r && r->seq == 5, "a lead of 1025 taken");
    recs_one(&m, F_ENC, mac, rogue, 5 + RING_SEQ_AHEAD, 60000);
    deliver_as(net, rogue, victim, &m);
    r = held(net, victim, F_ENC, mac);
    CHECK(st->recs_bad_seq == 3 && r && r->seq == 5 + RING_SEQ_AHEAD, "a lead of 1024 refused");

    /* The publishing side refuses what no store would take. */
    CHECK(ring_node_publish_mac(net->node[victim], net->now, F_ENC, mac, RING_SEQ_MAX + 1) ==
          -ERANGE, "publish of seq 2^32 accepted");
    net_free(net);
}

/* RECS of @count F records, 24 per message, naming host @host(j). */
static void flood(struct net *net, uint32_t victim, uint32_t enclave, unsigned count,
                  unsigned salt, bool many_hosts)
{
    ring_msg m;

    for (unsigned j = 0; j < count;) {
        recs_one(&m, enclave, (const uint8_t[6]){ 0 }, &net->peer[net->rogue], 1, 60000);
        m.nrecs = 0;
        for (; j < count && m.nrecs < RING_MSG_RECS_MAX; j++) {
            ring_wrec *w = &m.recs[m.nrecs++];

            *w = m.recs[0];
            if (many_hosts)
                peer_of(&w->host, 1000 + salt + j);
            else
                w->host = net->peer[net->rogue];
            w->mac[0] = 2;
            w->mac[2] = (uint8_t)salt;
            w->mac[3] = (uint8_t)(j >> 16);
            w->mac[4] = (uint8_t)(j >> 8);
            w->mac[5] = (uint8_t)j;
        }
        deliver_as(net, &net->peer[net->rogue], victim, &m);
    }
}

static void test_quota(void)
{
    struct net *net = net_default();
    uint32_t victim = at(net, 3);
    const ring_stats *st = ring_node_stats(net->node[victim]);
    ring_config cfg;
    size_t before = ring_node_nrecords(net->node[victim]);

    /* One publisher: the default cap of 2048 records. */
    flood(net, victim, F_ENC, RING_QUOTA_HOST + 100, 1, false);
    CHECK(ring_node_nrecords(net->node[victim]) == before + RING_QUOTA_HOST,
          "one publisher holds %zu records", ring_node_nrecords(net->node[victim]) - before);
    CHECK(st->recs_quota == 100, "recs_quota %llu", (unsigned long long)st->recs_quota);
    net_free(net);

    /* Many publishers (made-up keys): per enclave, then in total. */
    ring_config_default(&cfg);
    cfg.nsucc = R;
    cfg.quota_enclave = 300;
    cfg.quota_total = 500;
    net = net_new(&cfg);
    victim = at(net, 3);
    st = ring_node_stats(net->node[victim]);
    flood(net, victim, F_ENC, 350, 2, true);
    CHECK(ring_node_nrecords(net->node[victim]) == 300 && st->recs_quota == 50,
          "enclave quota: %zu held, recs_quota %llu", ring_node_nrecords(net->node[victim]),
          (unsigned long long)st->recs_quota);
    flood(net, victim, F_ENC + 1, 300, 3, true);
    CHECK(ring_node_nrecords(net->node[victim]) == 500 && st->recs_quota == 150,
          "total quota: %zu held, recs_quota %llu", ring_node_nrecords(net->node[victim]),
          (unsigned long long)st->recs_quota);
    net_free(net);
}

/* A MAC whose key's successor is the rogue. */
static void rogue_owned_mac(const struct net *net, uint8_t mac[6])
{
    const ring_id *lo = &net->peer[at(net, ROGUE_POS - 1)].id;
    const ring_id *hi = &net->peer[net->rogue].id;

    for (uint32_t salt = 1; salt < 100000; salt++) {
        ring_id key;

        mac_of(mac, salt);
        mac[0] = 6;
        ring_key_mac(&key, E_ENC, mac);
        if (ring_id_in_oc(&key, lo, hi))
            return;
    }
    CHECK(false, "no MAC owned by the rogue");
}

/* The rogue answers OWNER to every probe: it must never get the payload,
 * and the record must still reach the right E-owner (position 3: the
 * first carrier after the rogue, past a non-carrier). */
static void test_probe_owner(void)
{
    struct net *net = net_default();
    uint32_t pub = at(net, 6), asker = at(net, 4), owner = at(net, 3);
    uint8_t mac[6];

    net->hostile = true;
    rogue_owned_mac(net, mac);
    CHECK(ring_node_publish_mac(net->node[pub], net->now, E_ENC, mac, 1) == 0, "publish");
    drain(net);
    CHECK(net->rogue_payloads == 0, "the rogue got %u E payloads", net->rogue_payloads);
    CHECK(TRUST_SUM(net, probe_owner_noncarrier) >= 1, "lying OWNER not counted");
    CHECK(held(net, owner, E_ENC, mac) != NULL, "record not at the E-owner");
    CHECK(holders(net, E_ENC, mac) == R, "record on %u hosts", holders(net, E_ENC, mac));
    get(net, asker, E_ENC, mac);
    CHECK(net->get_status == 0 && net->get_n == 1, "get past the liar: %d", net->get_status);
    CHECK(net->rogue_payloads == 0, "the rogue got the MAC asked for");
    net_free(net);
}

/* A GET or PROBE of E from the rogue is refused by the E-owner. */
static void test_get_refused(void)
{
    struct net *net = net_default();
    uint32_t owner = N;
    const ring_stats *st;
    uint8_t mac[6];
    ring_msg m;

    mac_of(mac, 3);
    CHECK(ring_node_publish_mac(net->node[at(net, 3)], net->now, E_ENC, mac, 1) == 0,
          "publish");
    drain(net);
    for (uint32_t i = 0; i < N && owner == N; i++) {
        if (held(net, i, E_ENC, mac))
            owner = i;
    }
    if (!CHECK(owner < N, "record held nowhere")) {
        net_free(net);
        return;
    }
    st = ring_node_stats(net->node[owner]);
    /* The rogue's own node will not even ask. */
    get(net, net->rogue, E_ENC, mac);
    CHECK(net->get_status == RING_ERR_REJECTED, "non-carrier get: %d", net->get_status);

    memset(&m, 0, sizeof(m));
    m.type = RING_MSG_FIND_REQ;
    m.rid = 99;
    ring_key_mac(&m.key, E_ENC, mac);
    m.op = RING_OP_GET_MAC;
    m.flags = RING_FIND_DELEGATED;      /* "you are the E-owner": answer */
    m.enclave = E_ENC;
    memcpy(m.mac, mac, 6);
    net->rogue_payloads = 0;
    deliver_as(net, &net->peer[net->rogue], owner, &m);
    CHECK(st->gets_rejected == 1, "gets_rejected %llu", (unsigned long long)st->gets_rejected);
    m.op = RING_OP_PROBE;
    memset(m.mac, 0, 6);
    deliver_as(net, &net->peer[net->rogue], owner, &m);
    CHECK(st->gets_rejected == 2, "probe not refused");
    CHECK(net->rogue_payloads == 0, "the rogue got %u E records", net->rogue_payloads);
    net_free(net);
}

int main(void)
{
    test_honest();
    test_recs_from_noncarrier();
    test_bad_host();
    test_bounds();
    test_quota();
    test_probe_owner();
    test_get_refused();
    return CHECK_DONE();
}
