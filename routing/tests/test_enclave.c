/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Enclave placement and chain replication, on a 16-node ring driven by a
 * FIFO message queue in this file (no timers, no loss), so every message a
 * node sends can be inspected:
 *  - records of enclave E live only on hosts that may carry E: at the
 *    E-owner (first carrier at or after the key's successor) and the next
 *    r - 1 carriers (all carriers if fewer); non-carrier owners delegate;
 *  - gets from a carrier find them, gets from a non-carrier are refused;
 *  - no message carrying an E payload (FIND_REQ GET/STORE of E, FIND_RESP
 *    or RECS with E records) is ever sent to a host that may not carry E:
 *    non-carriers only see probes, replicas skip them, and a non-carrier
 *    that still gets a RECS drops it;
 *  - a graceful leave of an E-owner keeps the records on carriers only;
 *  - with may_carry NULL: owner + its r - 1 successors, chain along
 *    successor[0] only, and no probe is ever sent.
 */
#include "routing/node_priv.h"
#include "lib/check.h"

#include <stdlib.h>
#include <string.h>


#define N 16
#define R 4
#define SEC 1000000000ULL
#define E_MANY 200      /* 5 carriers: r copies out of 5 */
#define E_FEW 201       /* 2 carriers: fewer than r */
#define FAKE N          /* index of a peer that is not a ring node */

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
    ring_peer peer[N + 1];
    uint32_t order[N];          /* host indices sorted by id */
    uint32_t pos[N];            /* sorted position of each host */
    bool alive[N];
    bool policy;
    struct qmsg *q;
    size_t head, tail, cap;
    uint64_t now;
    unsigned recs_sent, recs_not_succ0;
    unsigned payload_leaks;             /* E payloads sent to a non-carrier of E */
    unsigned probes, payload_reqs;      /* FIND_REQ PROBE / GET or STORE sent */
    unsigned fake_recs, fake_leaks;     /* records sent to FAKE, of them not carried */
    ring_msg last_to[N + 1];    /* last message sent to each host */
    int get_status;
    size_t get_n;
    ring_record get_rec0;
    bool get_done;
};

/* Sorted positions that may carry the test enclaves. */
static bool carrier_pos(uint32_t pos, uint32_t enclave)
{
    if (enclave == E_MANY)
        return pos == 0 || pos == 3 || pos == 4 || pos == 9 || pos == 13;
    if (enclave == E_FEW)
        return pos == 7 || pos == 8;
    return true;
}

static int32_t index_of(const struct net *net, const ring_id *id)
{
    for (uint32_t i = 0; i <= N; i++) {
        if (ring_id_eq(&net->peer[i].id, id))
            return (int32_t)i;
    }
    return -1;
}

/* FAKE (a joining host outside the queue) carries only the other enclaves. */
static bool carries(const struct net *net, uint32_t host, uint32_t enclave)
{
    if (host >= N)
        return enclave != E_MANY && enclave != E_FEW;
    return carrier_pos(net->pos[host], enclave);
}

static bool cb_may_carry(void *ctx, const ring_id *host, uint32_t enclave)
{
    struct net *net = ((struct hctx *)ctx)->net;
    int32_t i = index_of(net, host);

    return i >= 0 && carries(net, (uint32_t)i, enclave);
}

static void leak(struct net *net, uint32_t from, int32_t to, const char *what,
                 uint32_t enclave)
{
    if (!net->policy || carries(net, (uint32_t)to, enclave))
        return;
    net->payload_leaks++;
    fprintf(stderr, "host %u sent %s of enclave %u to host %d, which may not carry it\n",
            from, what, enclave, to);
}

/* Every message that names an enclave's locations goes to its carriers only. */
static void check_payload(struct net *net, uint32_t from, int32_t to, const ring_msg *d)
{
    switch (d->type) {
    case RING_MSG_FIND_REQ:
        if (d->op == RING_OP_PROBE)
            net->probes++;
        if (d->op == RING_OP_GET_MAC || d->op == RING_OP_GET_MEMBERS ||
            d->op == RING_OP_GET_IP) {
            net->payload_reqs++;
            leak(net, from, to, "FIND_REQ GET", d->enclave);
        } else if (d->op == RING_OP_STORE) {
            net->payload_reqs++;
            leak(net, from, to, "FIND_REQ STORE", d->recs[0].enclave);
        }
        break;
    case RING_MSG_FIND_RESP:
    case RING_MSG_RECS:
        for (unsigned i = 0; i < d->nrecs; i++)
            leak(net, from, to, d->type == RING_MSG_RECS ? "RECS" : "FIND_RESP",
                 d->recs[i].enclave);
        break;
    }
}

static void cb_send(void *ctx, const ring_peer *to, const uint8_t *buf, size_t len)
{
    struct hctx *h = ctx;
    struct net *net = h->net;
    int32_t dst = index_of(net, &to->id);
    struct qmsg *m;

    CHECK(dst >= 0, "host %u sends to an unknown peer", h->idx);
    if (dst < 0)
        return;
    /* Without a carry policy replicas go to successor[0] only; with one
     * they skip non-carriers (check_payload). FAKE (a new predecessor)
     * gets a join transfer, checked in fake_joins(). */
    if (len >= 2 && buf[1] == RING_MSG_RECS && dst != FAKE) {
        net->recs_sent++;
        if (!ring_id_eq(&to->id, &ring_node_succ(net->node[h->idx], 0)->id)) {
            net->recs_not_succ0++;
            if (!net->policy)
                fprintf(stderr, "host %u sent RECS to host %d, not to its successor[0]\n",
                        h->idx, dst);
        }
    }
    CHECK(ring_wire_decode(&net->last_to[dst], buf, len) == 0, "undecodable message");
    check_payload(net, h->idx, dst, &net->last_to[dst]);
    if (dst == FAKE) {
        const ring_msg *d = &net->last_to[dst];

        for (unsigned i = 0; d->type == RING_MSG_RECS && i < d->nrecs; i++) {
            net->fake_recs++;
            net->fake_leaks += net->policy && !carries(net, FAKE, d->recs[i].enclave);
        }
        return;
    }
    if (net->tail == net->cap) {
        net->cap = net->cap ? net->cap * 2 : 64;
        net->q = realloc(net->q, net->cap * sizeof(*net->q));
        if (!net->q)
            abort();
    }
    m = &net->q[net->tail++];
    m->from = h->idx;
    m->to = (uint32_t)dst;
    m->len = (uint32_t)len;
    memcpy(m->buf, buf, len);
}

static uint64_t cb_rand(void *ctx)
{
    static uint64_t x = 0x9e3779b97f4a7c15ULL;

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
    (void)hops;
    net->get_done = true;
    net->get_status = status;
    net->get_n = n;
    if (n)
        net->get_rec0 = recs[0];
}

static void drain(struct net *net)
{
    unsigned steps = 0;

    while (net->head < net->tail && steps++ < 100000) {
        struct qmsg m = net->q[net->head++];

        if (net->alive[m.to])
            ring_node_on_message(net->node[m.to], net->now, &net->peer[m.from], m.buf, m.len);
    }
    CHECK(net->head == net->tail, "message storm");
    net->head = net->tail = 0;
}

/* Drain, then let the clock run to the next deadlines (timeouts of
 * requests to departed hosts, maintenance) until @done or @limit passed. */
static void run(struct net *net, const bool *done, uint64_t limit)
{
    uint64_t end = net->now + limit;

    drain(net);
    while (!*done && net->now < end) {
        uint64_t next = UINT64_MAX;

        for (uint32_t i = 0; i < N; i++) {
            uint64_t d = net->alive[i] ? ring_node_next_deadline(net->node[i]) : UINT64_MAX;

            next = d < next ? d : next;
        }
        if (next == UINT64_MAX)
            break;
        net->now = next > net->now ? next : net->now;
        for (uint32_t i = 0; i < N; i++) {
            if (net->alive[i] && ring_node_next_deadline(net->node[i]) <= net->now)
                ring_node_on_timeout(net->node[i], net->now);
        }
        drain(net);
    }
}

static struct net *sorted_net;

static int cmp_idx(const void *a, const void *b)
{
    return ring_id_cmp(&sorted_net->peer[*(const uint32_t *)a].id,
                       &sorted_net->peer[*(const uint32_t *)b].id);
}

static struct net *net_new(bool policy)
{
    struct net *net = calloc(1, sizeof(*net));
    ring_config cfg;

    ring_config_default(&cfg);
    cfg.nsucc = R;
    cfg.bind_ids = false;       /* hosts at chosen ids, keys made up (test_trust binds them) */
    net->policy = policy;
    net->now = 10 * SEC;
    for (uint32_t i = 0; i <= N; i++) {
        ring_peer *p = &net->peer[i];

        ring_id_from_u64(&p->id, (i + 1) * 0x9e3779b97f4a7c15ULL, i);
        p->pub[0] = (uint8_t)(i + 1);
        p->ep.family = 4;
        p->ep.port = 7000;
        p->ep.addr[0] = 10;
        p->ep.addr[3] = (uint8_t)i;
    }
    for (uint32_t i = 0; i < N; i++)
        net->order[i] = i;
    sorted_net = net;
    qsort(net->order, N, sizeof(net->order[0]), cmp_idx);
    for (uint32_t p = 0; p < N; p++)
        net->pos[net->order[p]] = p;
    for (uint32_t i = 0; i < N; i++) {
        ring_callbacks cb = { .ctx = &net->ctx[i], .send = cb_send, .rand = cb_rand,
                              .may_carry = policy ? cb_may_carry : NULL,
                              .get_done = cb_get_done };
        ring_peer succ[R];
        uint32_t p = net->pos[i];

        net->ctx[i] = (struct hctx){ net, i };
        net->node[i] = ring_node_new(&cfg, &cb, &net->peer[i]);
        for (uint32_t k = 0; k < R; k++)
            succ[k] = net->peer[net->order[(p + 1 + k) % N]];
        ring_node_bulk_init(net->node[i], net->now, &net->peer[net->order[(p + N - 1) % N]],
                            succ, R, NULL, 0);
        net->alive[i] = true;
    }
    return net;
}

static void net_free(struct net *net)
{
    for (uint32_t i = 0; i < N; i++)
        ring_node_free(net->node[i]);
    free(net->q);
    free(net);
}

static void mac_of(uint8_t mac[6], uint32_t host, uint32_t salt)
{
    const uint8_t m[6] = { 2, 0, (uint8_t)salt, (uint8_t)(salt >> 8), 0, (uint8_t)host };

    memcpy(mac, m, 6);
}

static bool holds(const struct net *net, uint32_t i, uint32_t enclave, const uint8_t mac[6],
                  uint32_t host)
{
    const struct ring_node *nd = net->node[i];

    for (size_t k = 0; k < ring_node_nrecords(nd); k++) {
        const ring_record *r = ring_node_record(nd, k);

        if (r->type == RING_REC_MAC && r->enclave == enclave && !memcmp(r->mac, mac, 6) &&
            ring_peer_eq(&r->host, &net->peer[host]))
            return true;
    }
    return false;
}

/* Sorted position of the key's successor among live hosts. */
static uint32_t succ_pos(const struct net *net, const ring_id *key)
{
    for (uint32_t p = 0; p < N; p++) {
        if (net->alive[net->order[p]] && ring_id_cmp(&net->peer[net->order[p]].id, key) >= 0)
            return p;
    }
    for (uint32_t p = 0; p < N; p++) {
        if (net->alive[net->order[p]])
            return p;
    }
    return 0;
}

/* Expected holders of a record: E-owner and the next r - 1 live carriers
 * (every carrier if fewer); *owner gets the E-owner. */
static void expected(const struct net *net, const ring_id *key, uint32_t enclave,
                     bool want[N], uint32_t *owner)
{
    uint32_t s = succ_pos(net, key), got = 0;

    memset(want, 0, N * sizeof(want[0]));
    for (uint32_t k = 0; k < N && got < R; k++) {
        uint32_t h = net->order[(s + k) % N];

        if (!net->alive[h] || (net->policy && !carries(net, h, enclave)))
            continue;
        if (!got)
            *owner = h;
        want[h] = true;
        got++;
    }
}

/* Every host holds the MAC record of @host iff it is an expected holder. */
static unsigned check_placement(const struct net *net, uint32_t enclave, const uint8_t mac[6],
                                uint32_t host, const char *what)
{
    bool want[N];
    uint32_t owner = 0;
    ring_id key;
    unsigned n = 0;

    ring_key_mac(&key, enclave, mac);
    expected(net, &key, enclave, want, &owner);
    for (uint32_t i = 0; i < N; i++) {
        bool h = net->alive[i] && holds(net, i, enclave, mac, host);

        n += h;
        CHECK(h == want[i], "%s: enclave %u host %u (pos %u, carrier %d) holds %d, want %d",
              what, enclave, i, net->pos[i], carries(net, i, enclave), h, want[i]);
    }
    return n;
}

/* No host holds a record of an enclave it may not carry. */
static void check_no_leak(const struct net *net, const char *what)
{
    for (uint32_t i = 0; i < N; i++) {
        for (size_t k = 0; net->alive[i] && k < ring_node_nrecords(net->node[i]); k++) {
            const ring_record *r = ring_node_record(net->node[i], k);

            CHECK(carries(net, i, r->enclave), "%s: host %u holds a record of enclave %u",
                  what, i, r->enclave);
        }
    }
}

static void get(struct net *net, uint32_t from, uint32_t enclave, const uint8_t mac[6])
{
    net->get_done = false;
    net->get_n = 0;
    CHECK(ring_node_get_mac(net->node[from], net->now, enclave, mac, 1) == 0, "get");
    run(net, &net->get_done, 20 * SEC);
    CHECK(net->get_done, "get from host %u never completed", from);
}

/* Deliver a FIND_REQ from host @from to host @to; returns @to's answer. */
static const ring_msg *ask(struct net *net, uint32_t from, uint32_t to, uint8_t op,
                           uint8_t flags, const ring_id *key, uint32_t enclave,
                           const uint8_t mac[6])
{
    ring_msg m;
    uint8_t buf[RING_MSG_MAX];
    int len;

    memset(&m, 0, sizeof(m));
    m.type = RING_MSG_FIND_REQ;
    m.rid = 77;
    m.key = *key;
    m.op = op;
    m.flags = flags;
    m.enclave = enclave;
    memcpy(m.mac, mac, 6);
    if (op == RING_OP_STORE) {
        m.nrecs = 1;
        m.recs[0].type = RING_REC_MAC;
        m.recs[0].enclave = enclave;
        memcpy(m.recs[0].mac, mac, 6);
        m.recs[0].host = net->peer[from];
        m.recs[0].seq = 5;
        m.recs[0].ttl_ms = 60000;
    }
    len = ring_wire_encode(&m, buf, sizeof(buf));
    memset(&net->last_to[from], 0, sizeof(net->last_to[from]));
    ring_node_on_message(net->node[to], net->now, &net->peer[from], buf, (size_t)len);
    net->head = net->tail = 0;      /* the answer goes to @from, not delivered */
    return &net->last_to[from];
}

/* FAKE joins: it NOTIFYs its successor, which takes it as predecessor and
 * hands it the records it must now hold (store only). Returns the number
 * of records handed over. */
static unsigned fake_joins(struct net *net)
{
    uint8_t buf[RING_MSG_MAX];
    ring_msg m = { .type = RING_MSG_NOTIFY };
    uint32_t s = net->order[succ_pos(net, &net->peer[FAKE].id)];
    int len = ring_wire_encode(&m, buf, sizeof(buf));

    net->fake_recs = net->fake_leaks = 0;
    memset(&net->last_to[FAKE], 0, sizeof(net->last_to[FAKE]));
    ring_node_on_message(net->node[s], net->now, &net->peer[FAKE], buf, (size_t)len);
    CHECK(ring_node_pred(net->node[s]) &&
          ring_peer_eq(ring_node_pred(net->node[s]), &net->peer[FAKE]), "FAKE not taken");
    if (net->fake_recs) {
        const ring_msg *r = &net->last_to[FAKE];

        CHECK(r->copies == 1 && r->ttl == 0 && ring_id_eq(&r->origin, &net->peer[s].id),
              "transfer: copies %u ttl %u", r->copies, r->ttl);
    }
    net->head = net->tail = 0;
    return net->fake_recs;
}

static void enclave_policy(void)
{
    struct net *net = net_new(true);
    uint32_t carriers[N], nc = 0, delegated = 0, owner = 0, probe = N;
    uint8_t mac[6], probe_mac[6];
    bool want[N];
    ring_id key;
    const ring_msg *r;

    for (uint32_t i = 0; i < N; i++) {
        if (carries(net, i, E_MANY))
            carriers[nc++] = i;
    }
    /* Every carrier publishes 4 MACs; count keys whose plain successor may
     * not carry the enclave (they fail without the E-owner rule). */
    for (uint32_t c = 0; c < nc; c++) {
        for (uint32_t salt = 0; salt < 4; salt++) {
            mac_of(mac, carriers[c], salt);
            CHECK(ring_node_publish_mac(net->node[carriers[c]], net->now, E_MANY, mac, 1) == 0,
                  "publish");
            drain(net);
            ring_key_mac(&key, E_MANY, mac);
            if (!carries(net, net->order[succ_pos(net, &key)], E_MANY)) {
                uint32_t o = N;

                delegated++;
                /* The probe key's E-owner leaves below: pick one whose
                 * successor may not carry E_MANY, so its hand-off must
                 * skip that host. */
                expected(net, &key, E_MANY, want, &o);
                if (o < N && !carries(net, net->order[(net->pos[o] + 1) % N], E_MANY)) {
                    probe = carriers[c];
                    memcpy(probe_mac, mac, 6);
                }
            }
            CHECK(check_placement(net, E_MANY, mac, carriers[c], "publish") == R,
                  "not r copies");
        }
    }
    CHECK(delegated >= 5 && probe < N, "too few delegated keys (%u) to test", delegated);
    /* Everybody may carry enclave 5 (FAKE too). */
    for (uint32_t i = 0; i < N; i++) {
        mac_of(mac, i, 5);
        ring_node_publish_mac(net->node[i], net->now, 5, mac, 1);
        drain(net);
        CHECK(check_placement(net, 5, mac, i, "enclave 5") == R, "enclave 5: not r copies");
    }
    /* Fewer carriers than r: every carrier holds the record. */
    for (uint32_t i = 0; i < N; i++) {
        if (!carries(net, i, E_FEW))
            continue;
        mac_of(mac, i, 9);
        ring_node_publish_mac(net->node[i], net->now, E_FEW, mac, 1);
        drain(net);
        CHECK(check_placement(net, E_FEW, mac, i, "few") == 2, "few: not on both carriers");
    }
    /* A non-carrier's own record is refused before anything is sent. */
    mac_of(mac, 1, 77);
    for (uint32_t i = 0; i < N; i++) {
        if (carries(net, i, E_MANY))
            continue;
        CHECK(ring_node_publish_mac(net->node[i], net->now, E_MANY, mac, 1) == 0, "publish");
        CHECK(net->tail == 0, "non-carrier publish sent messages");
        drain(net);
        break;
    }
    check_no_leak(net, "after publishes");
    /* Some chains had to skip a non-carrier successor[0]. */
    CHECK(net->recs_sent > 0 && net->recs_not_succ0 > 0, "RECS: %u sent, %u not to succ[0]",
          net->recs_sent, net->recs_not_succ0);
    CHECK(net->probes > 0 && net->payload_reqs > 0, "probes %u, payload requests %u",
          net->probes, net->payload_reqs);
    CHECK(net->payload_leaks == 0, "after publishes: %u payloads to non-carriers",
          net->payload_leaks);

    /* Gets: every host asks for the probe MAC. */
    for (uint32_t i = 0; i < N; i++) {
        get(net, i, E_MANY, probe_mac);
        if (carries(net, i, E_MANY))
            CHECK(net->get_status == 0 && net->get_n == 1 &&
                  ring_peer_eq(&net->get_rec0.host, &net->peer[probe]),
                  "get from carrier %u: status %d n %zu", i, net->get_status, net->get_n);
        else
            CHECK(net->get_status == RING_ERR_REJECTED,
                  "get from non-carrier %u: status %d", i, net->get_status);
    }
    /* Membership: every carrier publishes, a carrier gets all five. */
    for (uint32_t c = 0; c < nc; c++) {
        CHECK(ring_node_publish_member(net->node[carriers[c]], net->now, E_MANY) == 0,
              "publish member");
        drain(net);
    }
    net->get_done = false;
    CHECK(ring_node_get_members(net->node[carriers[1]], net->now, E_MANY, 2) == 0, "members");
    run(net, &net->get_done, 20 * SEC);
    CHECK(net->get_done && net->get_status == 0 && net->get_n == nc, "members: status %d n %zu",
          net->get_status, net->get_n);
    check_no_leak(net, "after gets");
    CHECK(net->payload_leaks == 0, "after gets: %u payloads to non-carriers", net->payload_leaks);

    /* IP bindings: the same placement, probes and refusals as MACs. */
    {
        ring_ip ip = { .family = 4, .addr = { 10, 100, 0, 1 } };
        uint32_t reqs = net->payload_reqs;

        mac_of(mac, carriers[0], 42);
        CHECK(ring_node_publish_ip(net->node[carriers[0]], net->now, E_MANY, &ip, mac, 3) == 0,
              "publish ip");
        drain(net);
        for (uint32_t i = 0; i < N; i++) {
            net->get_done = false;
            net->get_n = 0;
            CHECK(ring_node_get_ip(net->node[i], net->now, E_MANY, &ip, 3) == 0, "get ip");
            run(net, &net->get_done, 20 * SEC);
            if (carries(net, i, E_MANY))
                CHECK(net->get_done && net->get_status == 0 && net->get_n == 1 &&
                      net->get_rec0.type == RING_REC_IP && ring_ip_eq(&net->get_rec0.ip, &ip) &&
                      !memcmp(net->get_rec0.mac, mac, 6) && net->get_rec0.seq == 3,
                      "get ip from carrier %u: status %d n %zu", i, net->get_status, net->get_n);
            else
                CHECK(net->get_done && net->get_status == RING_ERR_REJECTED,
                      "get ip from non-carrier %u: status %d", i, net->get_status);
        }
        CHECK(net->payload_reqs > reqs, "no IP payload requests seen");
        check_no_leak(net, "after ip gets");
        CHECK(net->payload_leaks == 0, "after ip gets: %u payloads to non-carriers",
              net->payload_leaks);
    }

    /* The protocol itself, request by request. */
    ring_key_mac(&key, E_MANY, probe_mac);
    expected(net, &key, E_MANY, want, &owner);
    {
        uint32_t s = net->order[succ_pos(net, &key)], nonc = N, c;

        for (uint32_t i = 0; i < N && nonc == N; i++)
            nonc = carries(net, i, E_MANY) ? N : i;
        c = carriers[0] == owner ? carriers[1] : carriers[0];
        /* The key's successor may not carry E_MANY: it delegates. */
        r = ask(net, c, s, RING_OP_GET_MAC, RING_FIND_OWNER_HINT, &key, E_MANY, probe_mac);
        CHECK(r->type == RING_MSG_FIND_RESP && r->code == RING_FIND_DELEGATE && r->npeers &&
              ring_peer_eq(&r->peers[0], ring_node_succ(net->node[s], 0)),
              "successor did not delegate: type %u code %u", r->type, r->code);
        r = ask(net, c, s, RING_OP_STORE, RING_FIND_OWNER_HINT, &key, E_MANY, probe_mac);
        CHECK(r->code == RING_FIND_DELEGATE, "non-carrier owner took a STORE");
        CHECK(!holds(net, s, E_MANY, probe_mac, c), "non-carrier stored");
        /* The E-owner, asked as delegate: carrier yes, non-carrier no. */
        r = ask(net, c, owner, RING_OP_GET_MAC, RING_FIND_OWNER_HINT | RING_FIND_DELEGATED,
                &key, E_MANY, probe_mac);
        CHECK(r->code == RING_FIND_OWNER && r->status == RING_ST_OK && r->nrecs == 1,
              "E-owner to carrier: code %u status %u n %u", r->code, r->status, r->nrecs);
        r = ask(net, nonc, owner, RING_OP_GET_MAC, RING_FIND_OWNER_HINT | RING_FIND_DELEGATED,
                &key, E_MANY, probe_mac);
        CHECK(r->code == RING_FIND_OWNER && r->status == RING_ST_REJECTED && r->nrecs == 0,
              "E-owner to non-carrier: code %u status %u n %u", r->code, r->status, r->nrecs);
        /* A delegated request to a non-carrier delegates again. */
        r = ask(net, c, nonc, RING_OP_GET_MAC, RING_FIND_OWNER_HINT | RING_FIND_DELEGATED,
                &key, E_MANY, probe_mac);
        CHECK(r->code == RING_FIND_DELEGATE, "delegated non-carrier answered: %u", r->code);
    }

    /* A replica reaching a non-carrier (stale policy at the sender) is
     * dropped; a carrier whose successor[0] may not carry the enclave
     * sends its replica to the next carrier directly. */
    {
        ring_msg m;
        uint8_t buf[RING_MSG_MAX];
        uint32_t nonc = net->order[1], from = net->order[13], first = net->order[0];
        size_t before = ring_node_nrecords(net->node[nonc]);
        ring_record rec;
        int len;

        CHECK(!carries(net, nonc, E_MANY) && carries(net, from, E_MANY) &&
              carries(net, first, E_MANY), "layout");
        memset(&m, 0, sizeof(m));
        memset(&rec, 0, sizeof(rec));
        rec.type = RING_REC_MAC;
        rec.enclave = E_MANY;
        mac_of(rec.mac, from, 500);
        rec.host = net->peer[from];
        rec.seq = 1;
        rec.expires = net->now + 60 * SEC;
        m.type = RING_MSG_RECS;
        m.copies = 3;
        m.ttl = 12;
        m.origin = net->peer[from].id;
        m.nrecs = 1;
        ring_wrec_from(&m.recs[0], &rec, net->now);
        len = ring_wire_encode(&m, buf, sizeof(buf));
        ring_node_on_message(net->node[nonc], net->now, &net->peer[from], buf, (size_t)len);
        CHECK(ring_node_nrecords(net->node[nonc]) == before, "non-carrier kept a replica");
        CHECK(net->tail == 0, "non-carrier passed a replica on (%zu messages)", net->tail);
        /* Position 0 stores and, its successor being a non-carrier, probes
         * for the next carrier (position 3), which gets copies 2, ttl 11. */
        ring_node_on_message(net->node[first], net->now, &net->peer[from], buf, (size_t)len);
        CHECK(holds(net, first, E_MANY, rec.mac, from), "carrier did not store the replica");
        for (size_t k = 0; k < net->tail; k++) {
            const struct qmsg *q = &net->q[k];

            CHECK(q->len > 27 && q->buf[1] == RING_MSG_FIND_REQ && q->buf[26] == RING_OP_PROBE,
                  "carrier sent type %u op %u before finding the next carrier", q->buf[1],
                  q->len > 27 ? q->buf[26] : 0);
        }
        drain(net);
        r = &net->last_to[net->order[3]];
        CHECK(r->type == RING_MSG_RECS && r->copies == 2 && r->ttl == 11 && r->nrecs == 1 &&
              ring_id_eq(&r->origin, &net->peer[from].id), "passed on with copies %u ttl %u",
              r->copies, r->ttl);
        /* Three copies on position 0 and the next two carriers. */
        for (uint32_t p = 0; p < N; p++) {
            bool h = holds(net, net->order[p], E_MANY, rec.mac, from);

            CHECK(h == (p == 0 || p == 3 || p == 4), "chain: position %u holds %d", p, h);
        }
        /* A record naming a host that may not carry the enclave: dropped
         * by a carrier and not passed on. */
        rec.host = net->peer[nonc];
        mac_of(rec.mac, nonc, 501);
        ring_wrec_from(&m.recs[0], &rec, net->now);
        len = ring_wire_encode(&m, buf, sizeof(buf));
        before = ring_node_nrecords(net->node[net->order[3]]);
        ring_node_on_message(net->node[net->order[3]], net->now, &net->peer[from], buf,
                             (size_t)len);
        CHECK(ring_node_nrecords(net->node[net->order[3]]) == before && net->tail == 0,
              "record of a non-carrier host accepted or passed on");
        drain(net);
    }

    /* The E-owner of the probe key leaves gracefully: its records move on
     * to carriers only, and gets still succeed. */
    {
        /* Its successor[0] may not carry E_MANY: the hand-off goes past it
         * to the first carrier of its successor list. */
        const ring_peer *s0 = ring_node_succ(net->node[owner], 0);
        unsigned before = net->recs_not_succ0;

        CHECK(!carries(net, (uint32_t)index_of(net, &s0->id), E_MANY), "layout: leave");
        CHECK(ring_node_leave(net->node[owner], net->now) == 0, "leave");
        CHECK(net->recs_not_succ0 > before, "hand-off did not skip the non-carrier");
    }
    net->alive[owner] = false;
    drain(net);
    check_no_leak(net, "after leave");
    {
        bool want2[N];
        uint32_t owner2 = N;
        unsigned n = 0;

        expected(net, &key, E_MANY, want2, &owner2);
        for (uint32_t i = 0; i < N; i++)
            n += net->alive[i] && holds(net, i, E_MANY, probe_mac, probe);
        CHECK(owner2 < N && holds(net, owner2, E_MANY, probe_mac, probe),
              "new E-owner %u lacks the record", owner2);
        CHECK(n >= 4, "after leave: %u copies", n);
        for (uint32_t i = 0; i < N; i++) {
            if (!carries(net, i, E_MANY) || !net->alive[i])
                continue;
            get(net, i, E_MANY, probe_mac);
            CHECK(net->get_status == 0 && net->get_n == 1, "get after leave from %u: %d", i,
                  net->get_status);
        }
    }
    CHECK(net->payload_leaks == 0, "after leave: %u payloads to non-carriers",
          net->payload_leaks);
    /* A joiner is handed only records of enclaves it may carry. */
    CHECK(fake_joins(net) > 0 && net->fake_leaks == 0, "join transfer: %u records, %u leaked",
          net->fake_recs, net->fake_leaks);
    net_free(net);
}

static void chain_no_policy(void)
{
    struct net *net = net_new(false);
    uint8_t mac[6];

    for (uint32_t i = 0; i < N; i++) {
        mac_of(mac, i, 3);
        CHECK(ring_node_publish_mac(net->node[i], net->now, 7, mac, 1) == 0, "publish");
        drain(net);
        CHECK(check_placement(net, 7, mac, i, "no policy") == R, "not r copies");
    }
    CHECK(net->recs_sent >= N && net->recs_not_succ0 == 0, "RECS: %u sent, %u not to succ[0]",
          net->recs_sent, net->recs_not_succ0);
    CHECK(net->payload_reqs > 0 && net->probes == 0, "no policy: %u probes", net->probes);
    for (uint32_t i = 0; i < N; i++) {
        mac_of(mac, (i + 5) % N, 3);
        get(net, i, 7, mac);
        CHECK(net->get_status == 0 && net->get_n == 1, "get %u: %d", i, net->get_status);
    }
    CHECK(net->probes == 0, "no policy: %u probes", net->probes);
    CHECK(fake_joins(net) > 0, "join transfer sent nothing");
    net_free(net);
}

int main(void)
{
    enclave_policy();
    chain_no_policy();
    if (check_failures)
        fprintf(stderr, "%d failures\n", check_failures);
    return check_failures ? 1 : 0;
}
