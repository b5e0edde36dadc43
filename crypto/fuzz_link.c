/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * libFuzzer target for link_receive_from() (the source address is the
 * second input byte; every host is under load past 2 initiations a
 * second, so mac2 and cookie replies run). Host A has an established session
 * with B and is also the responder for B and for C (a key it admits
 * through hooks->accept only when the input says so). The first input
 * byte picks how the rest becomes a datagram for A:
 *   0 raw bytes
 *   1 initiation body with a correct mac1 (reaches the DH / Noise read)
 *   2 response body with a correct mac1 and A's live handshake index (odd
 *     second byte: a cookie reply carrying that index)
 *   3 data body carrying the receiver index of A's current keypair
 *   4 genuine data sealed by B (payload fuzzed), one byte optionally flipped
 *   5 genuine initiation from B or C carrying a fuzzed handshake payload,
 *     then the rest of the handshake pumped between the hosts
 *   6 A sends / connects (queue, initiation paths) and timers run
 *   7 A forgets C (peer free with live sessions)
 *   8 genuine data from B cut into fragments (B's fragment size from the
 *     input), delivered to A reordered, dropped, repeated or altered as the
 *     input says
 *   9 fragment body carrying the receiver index of A's current keypair
 *     (index, count, counter, chunk fuzzed: every reassembly path)
 * A sends fragment trains (hooks->send_train) when mode 6 sets its
 * fragment size; B sends fragments one by one (hooks->send).
 * Handshake payloads starting with 'S' make the handshake_done hook send
 * (re-entry), and after every on_timeout no deadline may be left due.
 * The second byte advances the fake clock so every timer path runs.
 */
#include <stdlib.h>
#include <string.h>

#include "crypto/link.h"
#include "crypto/link_internal.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

enum { FZ_QMAX = LINK_FRAG_MAX + 8, FZ_PKT = 4096 };

struct fz_queue {
    size_t n;
    size_t len[FZ_QMAX];
    uint8_t buf[FZ_QMAX][FZ_PKT];
};

struct fz_host {
    struct link_host *host;
    uint8_t priv[LINK_KEY_LEN];
    struct fz_queue out;            /* what this host sent */
    const uint8_t *payload;         /* handshake payload to offer */
    size_t payload_len;
    bool accept;
};

static struct fz_host A, B, C;
static struct link_peer *a_b, *a_c, *b_a, *c_a;
static uint64_t now, rng = 0x243f6a8885a308d3u;

static void fz_random(void *ctx, uint8_t *buf, size_t len)
{
    for (size_t i = 0; i < len; i++) {
        rng ^= rng << 13;
        rng ^= rng >> 7;
        rng ^= rng << 17;
        buf[i] = (uint8_t)(rng >> 32);
    }
}

static void fz_send(void *ctx, struct link_peer *peer, const uint8_t *pkt, size_t len)
{
    struct fz_host *h = ctx;

    if (h->out.n == FZ_QMAX || len > FZ_PKT)
        return;     /* a lossy network */
    memcpy(h->out.buf[h->out.n], pkt, len);
    h->out.len[h->out.n++] = len;
}

/* A's trains: cut as UDP GSO would. */
static void fz_send_train(void *ctx, struct link_peer *peer, const uint8_t *pkt, size_t len,
                          size_t seg)
{
    if (!seg || len > seg * LINK_FRAG_MAX)
        abort();
    for (size_t off = 0; off < len; off += seg)
        fz_send(ctx, peer, pkt + off, len - off < seg ? len - off : seg);
}

static struct link_peer *fz_accept(void *ctx, const uint8_t pub[LINK_KEY_LEN],
                                   const uint8_t *payload, size_t payload_len)
{
    struct fz_host *h = ctx;

    if (h != &A || !h->accept || a_c)
        return NULL;
    if (link_peer_new(A.host, pub, &C, &a_c))
        return NULL;
    return a_c;
}

static size_t fz_payload(void *ctx, struct link_peer *peer, uint8_t *buf, size_t cap)
{
    struct fz_host *h = ctx;
    size_t len = h->payload_len < cap ? h->payload_len : cap;

    if (len)
        memcpy(buf, h->payload, len);
    return len;
}

static int fz_done(void *ctx, struct link_peer *peer, const uint8_t *payload, size_t len)
{
    /* A daemon may send from this hook: 'S' exercises that re-entry. */
    if (len && payload[0] == 'S')
        (void)link_peer_send(peer, now, payload, len);
    /* refuse payloads starting with 'X' so the refusal path is reachable */
    return len && payload[0] == 'X' ? -1 : 0;
}

/* After on_timeout(now) nothing may still be due, or the daemon spins. */
static void fz_timeout(struct fz_host *h)
{
    link_host_on_timeout(h->host, now);
    if (link_host_next_deadline(h->host) <= now)
        abort();
}

static void fz_host_new(struct fz_host *h, uint8_t seed)
{
    struct link_hooks hooks = {
        .ctx = h, .random = fz_random, .send = fz_send, .accept = fz_accept,
        .handshake_payload = fz_payload, .handshake_done = fz_done,
    };

    memset(h->priv, seed, sizeof(h->priv));
    h->priv[0] &= 248;
    h->priv[31] = (uint8_t)((h->priv[31] & 127) | 64);
    if (h == &A)
        hooks.send_train = fz_send_train;
    if (link_host_new(&h->host, h->priv, &hooks, UINT64_C(1600000000000000000)))
        abort();
    /* Where the CPU allows, the AES-GCM offer and upgrade paths run too. */
    (void)link_host_set_aesgcm(h->host, true);
    /* Soon under load: the mac2 and cookie paths run too. */
    link_host_set_load_limit(h->host, 2);
}

/* Moves @src's packets to @dst, copying only what is used. */
static void fz_queue_take(struct fz_queue *dst, struct fz_queue *src)
{
    dst->n = src->n;
    for (size_t k = 0; k < src->n; k++) {
        dst->len[k] = src->len[k];
        memcpy(dst->buf[k], src->buf[k], src->len[k]);
    }
    src->n = 0;
}

/* Deliver what the hosts sent to each other, a bounded number of rounds. */
static void fz_pump(void)
{
    struct link_rx rx;
    static uint8_t buf[FZ_PKT];
    static struct fz_queue q;

    for (int round = 0; round < 6; round++) {
        struct fz_host *hs[3] = { &A, &B, &C };

        for (int i = 0; i < 3; i++) {
            fz_queue_take(&q, &hs[i]->out);
            for (size_t k = 0; k < q.n; k++) {
                /* A's packets go to B or C by who sent last; both try. */
                struct fz_host *to[2] = { i == 0 ? &B : &A, i == 0 ? &C : NULL };

                for (int t = 0; t < 2; t++) {
                    if (!to[t])
                        continue;
                    memcpy(buf, q.buf[k], q.len[k]);
                    link_receive(to[t]->host, now, buf, q.len[k], &rx);
                }
            }
        }
    }
    A.out.n = B.out.n = C.out.n = 0;
}

static void fz_init(void)
{
    fz_host_new(&A, 1);
    fz_host_new(&B, 2);
    fz_host_new(&C, 3);
    link_peer_new(A.host, link_host_pubkey(B.host), &B, &a_b);
    link_peer_new(B.host, link_host_pubkey(A.host), &A, &b_a);
    link_peer_new(C.host, link_host_pubkey(A.host), &A, &c_a);
}

static void fz_ensure_session(void)
{
    if (link_peer_state(b_a, now) == LINK_UP && link_peer_state(a_b, now) == LINK_UP)
        return;
    now += 50 * LINK_NS_PER_MS;     /* past the initiation rate limit */
    link_peer_connect(b_a, now);
    fz_pump();
}

static uint32_t fz_index_of(struct link_keypair *kp)
{
    return kp ? kp->local_index : 0;
}

/* A real data packet from B, bit-flipped unless data[2] says not: its
 * length (0: nothing was sent). */
static size_t fz_tampered_data(const uint8_t *data, size_t size, size_t len, uint8_t *pkt)
{
    size_t plen = len > 1 ? len - 1 : 0;

    if (plen > FZ_PKT - LINK_DATA_OVERHEAD)
        plen = FZ_PKT - LINK_DATA_OVERHEAD;
    B.out.n = 0;
    link_peer_send(b_a, now, data + 3, plen);
    if (!B.out.n)
        return 0;
    len = B.out.len[B.out.n - 1];
    memcpy(pkt, B.out.buf[B.out.n - 1], len);
    B.out.n = 0;
    if (size > 2 && data[2] < 0x80)
        pkt[data[2] % len] ^= (uint8_t)(data[2] | 1);
    return len;
}

/* A whole handshake from B or C carrying fuzzed payloads, A accepting
 * unknown keys or not. */
static void fz_handshake_payloads(const uint8_t *data, size_t size)
{
    struct fz_host *from = (size > 2 && (data[2] & 1)) ? &C : &B;

    A.accept = size > 2 && (data[2] & 2);
    from->payload = data + 3 < data + size ? data + 3 : NULL;
    from->payload_len = size > 3 ? size - 3 : 0;
    A.payload = from->payload;
    A.payload_len = from->payload_len / 2;
    now += 50 * LINK_NS_PER_MS;
    from->out.n = 0;
    link_send_initiation(from == &C ? c_a : b_a, now, false);
    fz_pump();
    from->payload = A.payload = NULL;
    from->payload_len = A.payload_len = 0;
}

/* A's sending side: connect or send (fragmented at a size the input
 * picks), keepalive changes, timers. */
static void fz_sender(const uint8_t *data, size_t size)
{
    link_host_set_frag_size(A.host, size > 3 ? (size_t)data[3] * 8 : 0);
    if (size > 2 && (data[2] & 1))
        link_peer_connect(a_b, now);
    else
        link_peer_send(a_b, now, data + 2, size - 2 > 3000 ? 3000 : size - 2);
    link_peer_set_persistent_keepalive(a_b, size > 2 ? data[2] >> 4 : 0);
    fz_pump();
    (void)link_host_next_deadline(A.host);
}

/*
 * Mode 8: B seals data + 5 for A at fragment size 64 + 8 * data[2]; data[3]
 * picks what happens on the way (bit 0 reverse, bit 1 drop fragment
 * data[4], bit 2 repeat it, bit 3 flip its byte data[4] >> 1), then A
 * takes them all.
 */
static void fz_fragments(const uint8_t *data, size_t size)
{
    static uint8_t buf[FZ_PKT];
    struct fz_queue *q = &B.out;
    uint8_t how = size > 3 ? data[3] : 0, pick = size > 4 ? data[4] : 0;
    size_t plen = size > 5 ? size - 5 : 0;
    struct link_rx rx;

    if (plen > 3000)
        plen = 3000;
    link_host_set_frag_size(B.host, 64 + (size > 2 ? (size_t)data[2] * 8 : 0));
    B.out.n = 0;
    link_peer_send(b_a, now, data + 5 < data + size ? data + 5 : NULL, plen);
    link_host_set_frag_size(B.host, 0);
    if (!q->n)
        return;
    for (size_t k = 0; k < q->n; k++) {
        size_t i = (how & 1) ? q->n - 1 - k : k;
        int times = i == pick % q->n ? ((how & 2) ? 0 : (how & 4) ? 2 : 1) : 1;

        if (i == pick % q->n && (how & 8))
            q->buf[i][(pick >> 1) % q->len[i]] ^= 0x20;
        while (times-- > 0) {
            memcpy(buf, q->buf[i], q->len[i]);
            if (link_receive_from(A.host, now, buf, q->len[i], data + 1, 1, &rx) == 0 && rx.len) {
                volatile uint8_t sink = 0;

                /* the reassembly buffer: ASan checks the bounds */
                for (size_t j = 0; j < rx.len; j++)
                    sink ^= rx.data[j];
                (void)sink;
            }
        }
    }
    B.out.n = 0;
    A.out.n = 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static uint8_t pkt[LINK_MAX_PACKET];
    static bool ready;
    struct link_rx rx;
    size_t len;

    if (!ready) {
        fz_init();
        ready = true;
    }
    if (size < 2)
        return 0;
    now += (uint64_t)data[1] * 100 * LINK_NS_PER_MS;
    fz_timeout(&A);
    fz_timeout(&B);
    fz_timeout(&C);
    fz_pump();
    fz_ensure_session();

    len = size - 2;
    if (len > sizeof(pkt))
        len = sizeof(pkt);
    memcpy(pkt, data + 2, len);
    switch (data[0] % 10) {
    case 0:
        break;
    case 1:
        if (len >= 1)
            pkt[0] = LINK_MSG_INIT;
        if (len >= 2 * LINK_MAC_LEN)
            link_put_macs(A.host->mac1_key, NULL, pkt, len - 2 * LINK_MAC_LEN);
        break;
    case 2:
        if (data[1] & 1) {
            /* A cookie reply to our initiation in flight. */
            if (len >= 1)
                pkt[0] = LINK_MSG_COOKIE;
            if (len >= 8 && a_b->hs)
                link_put_le32(pkt + 4, a_b->hs->local_index);
            break;
        }
        if (len >= 1)
            pkt[0] = LINK_MSG_RESPONSE;
        if (len >= LINK_RESP_HDR_LEN && a_b->hs)
            link_put_le32(pkt + 8, a_b->hs->local_index);
        if (len >= 2 * LINK_MAC_LEN)
            link_put_macs(A.host->mac1_key, NULL, pkt, len - 2 * LINK_MAC_LEN);
        break;
    case 3:
        if (len >= 1)
            pkt[0] = LINK_MSG_DATA;
        if (len >= 8)
            link_put_le32(pkt + 4, fz_index_of(a_b->kp_cur));
        break;
    case 4:
        len = fz_tampered_data(data, size, len, pkt);
        if (!len)
            return 0;
        break;
    case 5:
        fz_handshake_payloads(data, size);
        return 0;
    case 6:
        fz_sender(data, size);
        return 0;
    case 7:
        if (a_c) {
            link_peer_free(a_c);
            a_c = NULL;
        }
        return 0;
    case 8:
        fz_fragments(data, size);
        return 0;
    case 9:
        if (len >= 1)
            pkt[0] = LINK_MSG_FRAG;
        if (len >= 8)
            link_put_le32(pkt + 4, fz_index_of(a_b->kp_cur));
        break;
    }
    /* From a source address of one byte: under load (2 initiations a
     * second, below) its cookie decides. */
    if (link_receive_from(A.host, now, pkt, len, data + 1, 1, &rx) == 0 && rx.len && rx.data) {
        /* touch the delivered bytes so ASan checks the bounds */
        volatile uint8_t sink = 0;

        for (size_t i = 0; i < rx.len; i++)
            sink ^= rx.data[i];
        (void)sink;
    }
    A.out.n = 0;
    return 0;
}
