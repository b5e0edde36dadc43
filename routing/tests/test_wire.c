/* SPDX-License-Identifier: GPL-2.0-only */
/* Wire format: round trips for every message type, and rejection of
 * truncated, padded and out-of-range input. */
#include "routing/wire.h"
#include "lib/check.h"

#include <stdlib.h>
#include <string.h>


static void fill_peer(ring_peer *p, uint8_t seed)
{
    for (int i = 0; i < RING_ID_LEN; i++)
        p->id.b[i] = (uint8_t)(seed + i);
    for (int i = 0; i < RING_PUB_LEN; i++)
        p->pub[i] = (uint8_t)(seed * 3 + i);
    p->ep.family = seed % 2 ? 4 : 6;
    p->ep.reserved = 0;
    p->ep.port = (uint16_t)(1000 + seed);
    for (int i = 0; i < 16; i++)
        p->ep.addr[i] = (uint8_t)(seed ^ i);
}

static void fill_rec(ring_wrec *r, uint8_t seed)
{
    r->type = seed % 2 ? RING_REC_MAC : RING_REC_MEMBER;
    for (int i = 0; i < 6; i++)
        r->mac[i] = (uint8_t)(seed + i);
    r->enclave = 0x00abcdefu + seed;
    fill_peer(&r->host, seed);
    r->seq = 0x0102030405060708ULL * seed;
    r->ttl_ms = 90000u + seed;
}

static bool same(const ring_msg *a, const ring_msg *b)
{
    if (a->type != b->type || a->npeers != b->npeers || a->nrecs != b->nrecs ||
        a->has_pred != b->has_pred)
        return false;
    for (unsigned i = 0; i < a->npeers; i++) {
        if (memcmp(&a->peers[i], &b->peers[i], sizeof(ring_peer)))
            return false;
    }
    for (unsigned i = 0; i < a->nrecs; i++) {
        const ring_wrec *x = &a->recs[i], *y = &b->recs[i];

        if (x->type != y->type || memcmp(x->mac, y->mac, 6) || x->enclave != y->enclave ||
            (x->type == RING_REC_IP && !ring_ip_eq(&x->ip, &y->ip)) ||
            memcmp(&x->host, &y->host, sizeof(ring_peer)) || x->seq != y->seq ||
            x->ttl_ms != y->ttl_ms)
            return false;
    }
    if (a->has_pred && memcmp(&a->pred, &b->pred, sizeof(ring_peer)))
        return false;
    if (a->type == RING_MSG_FIND_REQ &&
        (a->op != b->op || a->flags != b->flags || !ring_id_eq(&a->key, &b->key) ||
         !ring_id_eq(&a->suspect, &b->suspect)))
        return false;
    if (a->type == RING_MSG_FIND_REQ && a->op == RING_OP_GET_IP && !ring_ip_eq(&a->ip, &b->ip))
        return false;
    if (a->type == RING_MSG_FIND_RESP && (a->code != b->code || a->status != b->status))
        return false;
    if (a->type == RING_MSG_UNITY_REQ && !ring_id_eq(&a->key, &b->key))
        return false;
    if (a->type == RING_MSG_ZIP && a->hops != b->hops)
        return false;
    if (a->type == RING_MSG_RECS &&
        (a->rflags != b->rflags || a->copies != b->copies || a->ttl != b->ttl ||
         !ring_id_eq(&a->origin, &b->origin)))
        return false;
    return true;
}

static void roundtrip(const ring_msg *m, const char *what, size_t want_len)
{
    uint8_t buf[RING_MSG_MAX + 1];
    ring_msg *d = calloc(1, sizeof(*d));
    int len = ring_wire_encode(m, buf, sizeof(buf));

    CHECK(len > 0, "%s: encode %d", what, len);
    if (len <= 0) {
        free(d);
        return;
    }
    if (want_len)
        CHECK((size_t)len == want_len, "%s: length %d, want %zu", what, len, want_len);
    CHECK(ring_wire_decode(d, buf, (size_t)len) == 0, "%s: decode", what);
    CHECK(same(m, d), "%s: fields differ after round trip", what);
    CHECK(d->rid == m->rid || m->type == RING_MSG_NOTIFY || m->type == RING_MSG_LEAVE ||
          m->type == RING_MSG_RECS || m->type == RING_MSG_ZIP, "%s: rid", what);
    /* Every strict prefix and one extra byte must be rejected. */
    for (int cut = 0; cut < len; cut++)
        CHECK(ring_wire_decode(d, buf, (size_t)cut) < 0, "%s: prefix %d accepted", what, cut);
    buf[len] = 0;
    CHECK(ring_wire_decode(d, buf, (size_t)len + 1) < 0, "%s: trailing byte accepted", what);
    buf[0] ^= 0x80;
    CHECK(ring_wire_decode(d, buf, (size_t)len) < 0, "%s: bad version accepted", what);
    /* Too small a buffer is an error, not an overflow. */
    CHECK(ring_wire_encode(m, buf, (size_t)len - 1) < 0, "%s: short buffer", what);
    free(d);
}

/* version type flags copies ttl origin nrecs */
#define RECS_HDR (2 + 1 + 1 + 1 + RING_ID_LEN + 1)

/* RECS counts out of range: the encoder refuses them, the decoder rejects
 * them byte-patched into an otherwise valid message. */
static void recs_counts(const ring_msg *good)
{
    static const struct {
        int off;
        uint8_t val;
        const char *what;
    } bad[] = {
        { 2, RING_RECS_HANDOFF + 1, "flags" },
        { 3, 0, "copies 0" },
        { 3, RING_SUCC_MAX + 1, "copies above r max" },
        { 3, 0xff, "copies 255" },
        { 4, RING_RECS_TTL_MAX + 1, "ttl above limit" },
        { 4, 0xff, "ttl 255" },
        { RECS_HDR - 1, RING_MSG_RECS_MAX + 1, "nrecs above limit" },
    };
    uint8_t buf[RING_MSG_MAX];
    ring_msg *m = calloc(1, sizeof(*m)), *d = calloc(1, sizeof(*d));
    int len;

    *m = *good;
    len = ring_wire_encode(m, buf, sizeof(buf));
    CHECK(len > 0 && ring_wire_decode(d, buf, (size_t)len) == 0, "recs: valid base");
    for (size_t i = 0; len > 0 && i < sizeof(bad) / sizeof(bad[0]); i++) {
        uint8_t keep = buf[bad[i].off];

        buf[bad[i].off] = bad[i].val;
        CHECK(ring_wire_decode(d, buf, (size_t)len) < 0, "recs: %s accepted", bad[i].what);
        buf[bad[i].off] = keep;
    }
    CHECK(len > 0 && ring_wire_decode(d, buf, (size_t)len) == 0, "recs: restored base");
    m->copies = 0;
    CHECK(ring_wire_encode(m, buf, sizeof(buf)) < 0, "recs: encoded copies 0");
    m->copies = RING_SUCC_MAX + 1;
    CHECK(ring_wire_encode(m, buf, sizeof(buf)) < 0, "recs: encoded copies 17");
    m->copies = 1;
    m->ttl = RING_RECS_TTL_MAX + 1;
    CHECK(ring_wire_encode(m, buf, sizeof(buf)) < 0, "recs: encoded ttl above limit");
    m->ttl = 0;
    m->rflags = 2;
    CHECK(ring_wire_encode(m, buf, sizeof(buf)) < 0, "recs: encoded unknown flags");
    free(m);
    free(d);
}

/* IP binding records (type 3, 107 bytes) and GET_IP: round trips, and
 * the address kept to one encoding (family 4|6, IPv4 padding zero). */
static void ip_msgs(void)
{
    ring_msg *m = calloc(1, sizeof(*m)), *d = calloc(1, sizeof(*d));
    uint8_t buf[RING_MSG_MAX];
    const int req = 2 + 8 + 16 + 1 + 1 + 16;
    int len;

    m->type = RING_MSG_FIND_REQ;
    m->rid = 9;
    m->op = RING_OP_GET_IP;
    m->enclave = 100;
    m->ip.family = 4;
    memcpy(m->ip.addr, "\x0a\x64\x00\x01", 4);
    roundtrip(m, "get_ip v4", (size_t)req + 4 + 17);
    m->ip.family = 6;
    for (int i = 0; i < 16; i++)
        m->ip.addr[i] = (uint8_t)(0xfd + i);
    roundtrip(m, "get_ip v6", (size_t)req + 4 + 17);
    len = ring_wire_encode(m, buf, sizeof(buf));
    CHECK(len == req + 21, "get_ip: len %d", len);
    buf[req + 4] = 5;                           /* family */
    CHECK(ring_wire_decode(d, buf, (size_t)len) < 0, "get_ip: family 5 accepted");
    buf[req + 4] = 0;
    CHECK(ring_wire_decode(d, buf, (size_t)len) < 0, "get_ip: family 0 accepted");
    buf[req + 4] = 4;                           /* v4 with bytes 4..15 set */
    CHECK(ring_wire_decode(d, buf, (size_t)len) < 0, "get_ip: v4 padding accepted");
    m->ip.family = 0;
    CHECK(ring_wire_encode(m, buf, sizeof(buf)) < 0, "get_ip: encoded family 0");

    /* A STORE of a binding. */
    memset(m, 0, sizeof(*m));
    m->type = RING_MSG_FIND_REQ;
    m->op = RING_OP_STORE;
    m->nrecs = 1;
    fill_rec(&m->recs[0], 5);
    m->recs[0].type = RING_REC_IP;
    m->recs[0].ip.family = 4;
    memcpy(m->recs[0].ip.addr, "\x0a\x64\x00\x07", 4);
    roundtrip(m, "store ip", (size_t)req + RING_WIRE_IPREC_LEN);
    len = ring_wire_encode(m, buf, sizeof(buf));
    buf[req + RING_WIRE_REC_LEN + 10] = 1;      /* v4 padding */
    CHECK(ring_wire_decode(d, buf, (size_t)len) < 0, "store ip: v4 padding accepted");
    buf[req + RING_WIRE_REC_LEN + 10] = 0;
    CHECK(ring_wire_decode(d, buf, (size_t)len) == 0, "store ip: restored");
    buf[req] = RING_REC_IP + 1;                 /* record type */
    CHECK(ring_wire_decode(d, buf, (size_t)len) < 0, "store: record type 4 accepted");
    buf[req] = RING_REC_MAC;                    /* a MAC record is 17 bytes shorter */
    CHECK(ring_wire_decode(d, buf, (size_t)len) < 0, "store: MAC record of IP length accepted");
    m->recs[0].type = RING_REC_IP + 1;
    CHECK(ring_wire_encode(m, buf, sizeof(buf)) < 0, "store: encoded record type 4");

    /* Records of both lengths in one answer; the worst case still fits. */
    memset(m, 0, sizeof(*m));
    m->type = RING_MSG_FIND_RESP;
    m->npeers = RING_SUCC_MAX;
    for (unsigned i = 0; i < m->npeers; i++)
        fill_peer(&m->peers[i], (uint8_t)i);
    m->nrecs = RING_MSG_RECS_MAX;
    for (unsigned i = 0; i < m->nrecs; i++) {
        fill_rec(&m->recs[i], (uint8_t)i);
        m->recs[i].type = i % 3 ? RING_REC_IP : RING_REC_MAC;
        m->recs[i].ip.family = i % 3 == 1 ? 4 : i % 3 == 2 ? 6 : 0;
        m->recs[i].ip.addr[0] = (uint8_t)i;
    }
    roundtrip(m, "find_resp mixed records", 2 + 8 + 2 + 1 + 16 * RING_WIRE_PEER_LEN + 1 +
              8 * RING_WIRE_REC_LEN + 16 * RING_WIRE_IPREC_LEN);
    CHECK(2 + 8 + 2 + 1 + 16 * RING_WIRE_PEER_LEN + 1 + RING_MSG_RECS_MAX * RING_WIRE_IPREC_LEN
          <= RING_MSG_MAX, "binding records fit");
    free(m);
    free(d);
}

/* Merging rings (routing/unity.c): UNITY_REQ/RESP and ZIP. */
static void unity_msgs(void)
{
    ring_msg *m = calloc(1, sizeof(*m)), *d = calloc(1, sizeof(*d));
    uint8_t buf[RING_MSG_MAX];
    int len;

    m->type = RING_MSG_UNITY_REQ;
    m->rid = 0xabcdef;
    for (int i = 0; i < RING_ID_LEN; i++)
        m->key.b[i] = (uint8_t)(0x30 + i);
    roundtrip(m, "unity_req", 2 + 8 + RING_ID_LEN);
    memset(m, 0, sizeof(*m));
    m->type = RING_MSG_UNITY_RESP;
    m->rid = 7;
    roundtrip(m, "unity_resp failed", 2 + 8 + 1);
    m->npeers = RING_SUCC_MAX;
    for (unsigned i = 0; i < m->npeers; i++)
        fill_peer(&m->peers[i], (uint8_t)(i + 9));
    roundtrip(m, "unity_resp", 2 + 8 + 1 + RING_SUCC_MAX * RING_WIRE_PEER_LEN);
    memset(m, 0, sizeof(*m));
    m->type = RING_MSG_ZIP;
    m->hops = RING_ZIP_HOPS;
    m->npeers = 1;
    fill_peer(&m->peers[0], 4);
    roundtrip(m, "zip", 2 + 2 + RING_WIRE_PEER_LEN);
    len = ring_wire_encode(m, buf, sizeof(buf));
    buf[2] = (RING_ZIP_HOPS + 1) >> 8;
    buf[3] = (RING_ZIP_HOPS + 1) & 0xff;
    CHECK(len > 0 && ring_wire_decode(d, buf, (size_t)len) < 0, "zip: hops above limit accepted");
    m->hops = RING_ZIP_HOPS + 1;
    CHECK(ring_wire_encode(m, buf, sizeof(buf)) < 0, "zip: encoded hops above limit");
    m->hops = 1;
    m->npeers = 2;
    CHECK(ring_wire_encode(m, buf, sizeof(buf)) < 0, "zip: encoded two peers");
    free(m);
    free(d);
}

int main(void)
{
    ring_msg *m = calloc(1, sizeof(*m));
    uint8_t buf[RING_MSG_MAX];
    int len;

    m->type = RING_MSG_FIND_REQ;
    m->rid = 0x1122334455667788ULL;
    m->key.b[0] = 0xfe;
    m->flags = RING_FIND_OWNER_HINT | RING_FIND_DELEGATED;
    m->suspect.b[15] = 9;
    for (uint8_t op = RING_OP_LOOKUP; op <= RING_OP_PROBE; op++) {
        m->op = op;
        m->enclave = 77;
        memcpy(m->mac, "\x02\x00\x00\x00\x00\x01", 6);
        m->nrecs = op == RING_OP_STORE;
        fill_rec(&m->recs[0], 3);
        roundtrip(m, "find_req", 2 + 8 + 16 + 1 + 1 + 16 +
                  (op == RING_OP_GET_MAC ? 10 :
                   op == RING_OP_GET_MEMBERS || op == RING_OP_PROBE ? 4 :
                   op == RING_OP_STORE ? RING_WIRE_REC_LEN : 0));
    }
    {
        /* A probe carries the enclave and nothing else; op 5 is unknown. */
        ring_msg *d = calloc(1, sizeof(*d));

        m->op = RING_OP_PROBE;
        m->nrecs = 0;
        len = ring_wire_encode(m, buf, sizeof(buf));
        CHECK(len == 2 + 8 + 16 + 1 + 1 + 16 + 4 && ring_wire_decode(d, buf, (size_t)len) == 0 &&
              d->op == RING_OP_PROBE && d->enclave == 77 && d->nrecs == 0,
              "probe: len %d op %u enclave %u", len, d->op, d->enclave);
        buf[26] = RING_OP_GET_IP + 1;
        CHECK(ring_wire_decode(d, buf, (size_t)len) < 0, "unknown op accepted");
        m->op = RING_OP_GET_IP + 1;
        CHECK(ring_wire_encode(m, buf, sizeof(buf)) < 0, "unknown op encoded");
        free(d);
    }
    memset(m, 0, sizeof(*m));
    m->type = RING_MSG_FIND_RESP;
    m->rid = 5;
    m->code = RING_FIND_OWNER;
    m->npeers = RING_SUCC_MAX;
    for (unsigned i = 0; i < m->npeers; i++)
        fill_peer(&m->peers[i], (uint8_t)i);
    m->nrecs = 5;
    for (unsigned i = 0; i < m->nrecs; i++)
        fill_rec(&m->recs[i], (uint8_t)(i + 1));
    roundtrip(m, "find_resp", 2 + 8 + 2 + 1 + 16 * RING_WIRE_PEER_LEN + 1 + 5 * RING_WIRE_REC_LEN);
    m->code = RING_FIND_DELEGATE;
    m->nrecs = 0;
    m->npeers = 4;
    roundtrip(m, "find_resp delegate", 2 + 8 + 2 + 1 + 4 * RING_WIRE_PEER_LEN + 1);

    memset(m, 0, sizeof(*m));
    m->type = RING_MSG_STATE_RESP;
    m->rid = 6;
    m->has_pred = 1;
    fill_peer(&m->pred, 200);
    m->npeers = 8;
    for (unsigned i = 0; i < m->npeers; i++)
        fill_peer(&m->peers[i], (uint8_t)(i + 50));
    roundtrip(m, "state_resp", 2 + 8 + 1 + RING_WIRE_PEER_LEN + 1 + 8 * RING_WIRE_PEER_LEN);
    m->has_pred = 0;
    roundtrip(m, "state_resp without pred", 2 + 8 + 1 + 1 + 8 * RING_WIRE_PEER_LEN);
    m->type = RING_MSG_LEAVE;
    m->has_pred = 1;
    roundtrip(m, "leave", 2 + 1 + RING_WIRE_PEER_LEN + 1 + 8 * RING_WIRE_PEER_LEN);

    memset(m, 0, sizeof(*m));
    m->type = RING_MSG_RECS;
    m->rflags = RING_RECS_HANDOFF;
    m->copies = RING_SUCC_MAX;
    m->ttl = RING_RECS_TTL_MAX;
    for (int i = 0; i < RING_ID_LEN; i++)
        m->origin.b[i] = (uint8_t)(0xa0 + i);
    m->nrecs = RING_MSG_RECS_MAX;
    for (unsigned i = 0; i < m->nrecs; i++)
        fill_rec(&m->recs[i], (uint8_t)i);
    roundtrip(m, "recs", RECS_HDR + RING_MSG_RECS_MAX * RING_WIRE_REC_LEN);
    CHECK(RECS_HDR + RING_MSG_RECS_MAX * RING_WIRE_REC_LEN <= RING_MSG_MAX, "recs fit");
    m->rflags = RING_RECS_REPLICA;
    m->copies = 1;
    m->ttl = 0;
    m->nrecs = 1;
    roundtrip(m, "recs transfer", RECS_HDR + RING_WIRE_REC_LEN);
    recs_counts(m);
    unity_msgs();
    ip_msgs();

    memset(m, 0, sizeof(*m));
    for (uint8_t t = RING_MSG_STATE_REQ; t <= RING_MSG_PONG; t++) {
        if (t == RING_MSG_STATE_RESP)
            continue;
        m->type = t;
        m->rid = 99;
        roundtrip(m, "simple", t == RING_MSG_NOTIFY ? 2 : 10);
    }

    /* Out-of-range fields. */
    memset(m, 0, sizeof(*m));
    m->type = RING_MSG_FIND_RESP;
    m->npeers = RING_SUCC_MAX + 1;
    CHECK(ring_wire_encode(m, buf, sizeof(buf)) < 0, "encode too many peers");
    m->npeers = 1;
    fill_peer(&m->peers[0], 1);
    len = ring_wire_encode(m, buf, sizeof(buf));
    CHECK(len > 0, "encode");
    {
        ring_msg *d = calloc(1, sizeof(*d));

        buf[12] = RING_SUCC_MAX + 1;    /* npeers */
        CHECK(ring_wire_decode(d, buf, (size_t)len) < 0, "npeers above limit accepted");
        buf[12] = 1;
        buf[10] = RING_FIND_DELEGATE + 1;   /* code */
        CHECK(ring_wire_decode(d, buf, (size_t)len) < 0, "unknown code accepted");
        buf[10] = 0;
        buf[13 + 48] = 5;               /* endpoint family */
        CHECK(ring_wire_decode(d, buf, (size_t)len) < 0, "bad family accepted");
        buf[13 + 48] = 4;
        CHECK(ring_wire_decode(d, buf, (size_t)len) == 0, "restored message rejected");
        buf[1] = 42;                    /* type */
        CHECK(ring_wire_decode(d, buf, (size_t)len) < 0, "unknown type accepted");
        free(d);
    }
    free(m);
    if (check_failures)
        fprintf(stderr, "%d failures\n", check_failures);
    return check_failures ? 1 : 0;
}
