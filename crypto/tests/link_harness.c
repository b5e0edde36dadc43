/* SPDX-License-Identifier: GPL-2.0-only */
/* In-memory network of link_hosts for the link tests (see link_harness.h). */
#include "crypto/tests/link_harness.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

struct h_net H;

static uint64_t h_xorshift(uint64_t *s)
{
    uint64_t x = *s;

    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    *s = x;
    return x;
}

static void h_random(void *ctx, uint8_t *buf, size_t len)
{
    struct h_node *n = ctx;

    for (size_t i = 0; i < len; i++)
        buf[i] = (uint8_t)(h_xorshift(&n->rng) >> 24);
}

static void h_enqueue(int from, int to, const uint8_t *pkt, size_t len)
{
    struct h_pkt p = { .from = from, .to = to, .sent_at = H.now, .len = len };

    if (H.qlen == H.qcap) {
        H.qcap = H.qcap ? 2 * H.qcap : 64;
        H.q = realloc(H.q, H.qcap * sizeof(*H.q));
        if (!H.q)
            abort();
    }
    p.data = malloc(len);
    if (!p.data)
        abort();
    memcpy(p.data, pkt, len);
    H.q[H.qlen++] = p;
}

static void h_send_hook(void *ctx, struct link_peer *peer, const uint8_t *pkt, size_t len)
{
    struct h_node *n = ctx;
    int to = (int)(intptr_t)link_peer_user(peer) - 1;

    h_enqueue(n->id, to, pkt, len);
    if (n->on_send)
        n->on_send(n, to, pkt, len);
}

/* A fragment train: queued as the datagrams GSO would cut it into. */
static void h_send_train(void *ctx, struct link_peer *peer, const uint8_t *pkt, size_t len,
                         size_t seg)
{
    struct h_node *n = ctx;
    int to = (int)(intptr_t)link_peer_user(peer) - 1;

    n->trains++;
    n->train_seg = seg;
    for (size_t off = 0; off < len; off += seg)
        h_enqueue(n->id, to, pkt + off, len - off < seg ? len - off : seg);
}

/* A cookie reply: to whichever node the source byte names (none: lost). */
static void h_send_to(void *ctx, const void *addr, size_t addr_len, const uint8_t *pkt,
                      size_t len)
{
    struct h_node *n = ctx;
    int to = addr_len == 1 ? *(const uint8_t *)addr : -1;

    if (to >= 0 && to < H.n)
        h_enqueue(n->id, to, pkt, len);
}

static int h_node_of_pub(const uint8_t pub[LINK_KEY_LEN])
{
    for (int i = 0; i < H.n; i++)
        if (!memcmp(H.node[i].pub, pub, LINK_KEY_LEN))
            return i;
    return -1;
}

static struct link_peer *h_accept(void *ctx, const uint8_t pub[LINK_KEY_LEN],
                                  const uint8_t *payload, size_t payload_len)
{
    struct h_node *n = ctx;
    struct link_peer *p = NULL;
    int j = h_node_of_pub(pub);

    n->accept_calls++;
    if (!n->accept_unknown || j < 0)
        return NULL;
    if (link_peer_new(n->host, pub, (void *)(intptr_t)(j + 1), &p))
        return NULL;
    n->peer[j] = p;
    if (n->on_accept)
        n->on_accept(n, p);
    return p;
}

static size_t h_hs_payload(void *ctx, struct link_peer *peer, uint8_t *buf, size_t cap)
{
    struct h_node *n = ctx;
    size_t len;

    if (!n->hs_payload)
        return 0;
    len = strlen(n->hs_payload);
    if (len > cap)
        len = cap;
    memcpy(buf, n->hs_payload, len);
    return len;
}

static int h_hs_done(void *ctx, struct link_peer *peer, const uint8_t *payload, size_t len)
{
    struct h_node *n = ctx;

    n->hs_done_calls++;
    n->hs_done_seen_len = len;
    memcpy(n->hs_done_seen, payload, len);
    n->hs_done_seen[len] = 0;
    if (n->on_hs_done)
        n->on_hs_done(n, peer);
    return n->hs_done_result;
}

static void h_state(void *ctx, struct link_peer *peer, enum link_state st)
{
    struct h_node *n = ctx;

    if (n->n_states < H_MAX_STATES) {
        n->state_from[n->n_states] = (int)(intptr_t)link_peer_user(peer) - 1;
        n->state_at[n->n_states] = H.now;
        n->states[n->n_states++] = st;
    }
}

void h_init(int n, bool know)
{
    memset(&H, 0, sizeof(H));
    H.n = n;
    H.rx_from = -1;
    H.rng = 0x9e3779b97f4a7c15u;
    for (int i = 0; i < n; i++) {
        struct h_node *nd = &H.node[i];
        struct link_hooks hooks = {
            .ctx = nd, .random = h_random, .send = h_send_hook, .send_to = h_send_to,
            .send_train = h_send_train,
            .accept = h_accept,
            .handshake_payload = h_hs_payload, .handshake_done = h_hs_done,
            .state_changed = h_state,
        };
        uint8_t seed[crypto_box_SEEDBYTES] = { (uint8_t)(i + 1), 0x42 };

        nd->id = i;
        nd->rng = 0x1234567890abcdefu + (uint64_t)i * 0x100000001b3u;
        crypto_box_seed_keypair(nd->pub, nd->priv, seed);
        /* Wall clock differs per host: timestamps only need to be monotonic per host. */
        if (link_host_new(&nd->host, nd->priv, &hooks, UINT64_C(1700000000) * SEC + (uint64_t)i * 7 * SEC))
            abort();
    }
    if (!know)
        return;
    for (int i = 0; i < n; i++)
        for (int j = 0; j < n; j++)
            if (i != j && link_peer_new(H.node[i].host, H.node[j].pub, (void *)(intptr_t)(j + 1),
                                        &H.node[i].peer[j]))
                abort();
}

void h_drop_all(void)
{
    for (size_t i = 0; i < H.qlen; i++)
        free(H.q[i].data);
    H.qlen = 0;
}

void h_free(void)
{
    h_drop_all();
    free(H.q);
    for (int i = 0; i < H.n; i++)
        link_host_free(H.node[i].host);
    memset(&H, 0, sizeof(H));
}

int h_receive(int to, uint8_t *pkt, size_t len, struct link_rx *rx)
{
    return h_receive_from(to, H.rx_from, pkt, len, rx);
}

int h_receive_from(int to, int from_addr, uint8_t *pkt, size_t len, struct link_rx *rx)
{
    struct h_node *n = &H.node[to];
    uint8_t src = (uint8_t)from_addr;
    int rc = link_receive_from(n->host, H.now, pkt, len, from_addr >= 0 ? &src : NULL,
                               from_addr >= 0 ? 1 : 0, rx);

    if (rc == 0 && rx->peer && len && (pkt[0] == LINK_MSG_DATA || pkt[0] == LINK_MSG_FRAG)) {
        int from = (int)(intptr_t)link_peer_user(rx->peer) - 1;

        if (rx->len) {
            n->rx_data++;
            n->last_rx_from = from;
            n->last_rx_len = rx->len;
            memcpy(n->last_rx, rx->data, rx->len < sizeof(n->last_rx) ? rx->len : sizeof(n->last_rx));
            if (n->on_data)
                n->on_data(n, from, rx->data, rx->len);
        } else {
            n->rx_keepalive++;
        }
    }
    return rc;
}

void h_take(size_t i, struct h_pkt *out)
{
    *out = H.q[i];
    memmove(&H.q[i], &H.q[i + 1], (H.qlen - i - 1) * sizeof(*H.q));
    H.qlen--;
}

int h_deliver_at(size_t i)
{
    struct h_pkt p;
    struct link_rx rx;
    int rc = 0;

    h_take(i, &p);
    if (!H.drop_to[p.to])
        rc = h_receive_from(p.to, p.from, p.data, p.len, &rx);
    free(p.data);
    H.last_rc = rc;
    return rc;
}

size_t h_deliver_all(void)
{
    size_t n = 0;

    while (H.qlen) {
        if (H.shuffle) {
            for (size_t i = H.qlen - 1; i > 0; i--) {
                size_t j = h_xorshift(&H.rng) % (i + 1);
                struct h_pkt t = H.q[i];

                H.q[i] = H.q[j];
                H.q[j] = t;
            }
        }
        h_deliver_at(0);
        n++;
    }
    return n;
}

uint64_t h_deadline(void)
{
    uint64_t best = UINT64_MAX;

    for (int i = 0; i < H.n; i++) {
        uint64_t d = link_host_next_deadline(H.node[i].host);

        if (d < best)
            best = d;
    }
    return best;
}

void h_run_until(uint64_t t)
{
    int guard = 0;

    h_deliver_all();
    for (;;) {
        uint64_t d = h_deadline();

        if (d > t)
            break;
        if (d > H.now)
            H.now = d;
        for (int i = 0; i < H.n; i++)
            if (link_host_next_deadline(H.node[i].host) <= H.now)
                link_host_on_timeout(H.node[i].host, H.now);
        h_deliver_all();
        if (++guard > 1000000) {
            CHECK(0, "deadline loop does not advance at %llu", (unsigned long long)H.now);
            break;
        }
    }
    if (t > H.now)
        H.now = t;
}

int h_send(int from, int to, const void *data, size_t len)
{
    return link_peer_send(H.node[from].peer[to], H.now, data, len);
}

bool h_establish(int a, int b)
{
    link_peer_connect(H.node[a].peer[b], H.now);
    h_deliver_all();
    return link_peer_state(H.node[a].peer[b], H.now) == LINK_UP &&
           link_peer_state(H.node[b].peer[a], H.now) == LINK_UP;
}
