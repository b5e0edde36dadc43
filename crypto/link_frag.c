/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Fragments of data packets (docs/protocol.md 2.5). A data packet longer
 * than the host's fragment size is sealed once and cut into chunks, each
 * sent behind a 16-byte type 5 header; the receiver puts the chunks back
 * together in one of LINK_REASM_SLOTS buffers and hands the packet to the
 * ordinary type 4 path, whose AEAD then authenticates every byte of it.
 * The fragment headers themselves are not authenticated: a forged or
 * altered fragment spoils only the packet it claims to belong to.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "crypto/link_internal.h"

enum { FRAG_HDR = LINK_FRAG_HEADER_LEN };

/* One parsed type 5 datagram. */
struct link_frag {
    const uint8_t *chunk;
    size_t len;                     /* of the chunk */
    unsigned index, count;
    uint32_t receiver;
    uint64_t counter;
    struct link_peer *peer;         /* whose keypair the receiver index names */
};

void link_host_set_frag_size(struct link_host *host, size_t max_datagram)
{
    if (max_datagram && max_datagram < LINK_FRAG_MIN_DATAGRAM)
        max_datagram = LINK_FRAG_MIN_DATAGRAM;
    host->frag_size = max_datagram;
}

size_t link_frag_count(const struct link_host *host, size_t pkt_len)
{
    size_t chunk;

    if (!host->frag_size || pkt_len <= host->frag_size)
        return 1;
    chunk = host->frag_size - FRAG_HDR;
    return (pkt_len + chunk - 1) / chunk;
}

/* ------------------------------------------------------------------ */
/* Sending                                                             */

/*
 * The host's train buffer, or, when a send hook sends again while it is
 * in use (the daemon's detours do), a buffer of @size of its own.
 */
static uint8_t *link_train_get(struct link_host *host, size_t size)
{
    if (host->train_busy)
        return malloc(size);
    if (!host->trainbuf)
        host->trainbuf = malloc(LINK_TRAIN_MAX);
    host->train_busy = host->trainbuf != NULL;
    return host->trainbuf;
}

static void link_train_put(struct link_host *host, uint8_t *buf)
{
    if (buf == host->trainbuf)
        host->train_busy = false;
    else
        free(buf);
}

/* @key: the data header's receiver index and counter (12 bytes). */
static void link_frag_header(uint8_t *h, size_t index, size_t count, const uint8_t *key)
{
    h[0] = LINK_MSG_FRAG;
    h[1] = (uint8_t)index;
    h[2] = (uint8_t)count;
    h[3] = 0;
    memcpy(h + 4, key, 12);
}

static size_t link_chunk_len(size_t i, size_t n, size_t chunk, size_t pkt_len)
{
    return i + 1 < n ? chunk : pkt_len - i * chunk;
}

/*
 * The packet is sealed at buf + FRAG_HDR, so chunk i starts at
 * FRAG_HDR + i * chunk and its header fits right before it, over the
 * tail of chunk i - 1, which hooks->send has already copied: no copy.
 */
static void link_frag_each(struct link_peer *peer, uint8_t *buf, size_t pkt_len, size_t n,
                           size_t chunk, const uint8_t *key)
{
    struct link_hooks *h = &peer->host->hooks;

    for (size_t i = 0; i < n; i++) {
        uint8_t *f = buf + i * chunk;

        link_frag_header(f, i, n, key);
        h->send(h->ctx, peer, f, FRAG_HDR + link_chunk_len(i, n, chunk, pkt_len));
    }
}

/*
 * Back to back: chunk i moves forward by i headers, the last first so no
 * chunk lands on one not yet moved; each byte is copied at most once.
 */
static void link_frag_train(struct link_peer *peer, uint8_t *buf, size_t pkt_len, size_t n,
                            size_t chunk, const uint8_t *key)
{
    struct link_hooks *h = &peer->host->hooks;
    size_t seg = FRAG_HDR + chunk;

    for (size_t i = n - 1; i > 0; i--)
        memmove(buf + i * seg + FRAG_HDR, buf + FRAG_HDR + i * chunk,
                link_chunk_len(i, n, chunk, pkt_len));
    for (size_t i = 0; i < n; i++)
        link_frag_header(buf + i * seg, i, n, key);
    h->send_train(h->ctx, peer, buf, n * FRAG_HDR + pkt_len, seg);
}

int link_frag_send(struct link_peer *peer, struct link_keypair *kp, const uint8_t *data,
                   size_t len)
{
    struct link_host *host = peer->host;
    size_t pkt_len = len + LINK_DATA_OVERHEAD, n = link_frag_count(host, pkt_len);
    size_t chunk = host->frag_size - FRAG_HDR;
    uint8_t key[12], *buf = link_train_get(host, n * FRAG_HDR + pkt_len);

    if (!buf)
        return -ENOMEM;
    link_data_seal(kp, data, len, buf + FRAG_HDR);
    memcpy(key, buf + FRAG_HDR + 4, sizeof(key));
    if (host->hooks.send_train)
        link_frag_train(peer, buf, pkt_len, n, chunk, key);
    else
        link_frag_each(peer, buf, pkt_len, n, chunk, key);
    host->counters.frag_sent++;
    link_train_put(host, buf);
    return 0;
}

/* ------------------------------------------------------------------ */
/* Receiving                                                           */

/*
 * The checks one fragment allows alone. A packet is at most
 * LINK_MAX_PACKET: a middle chunk of c bytes means at least
 * (count - 1) * c + 1, a last chunk of l bytes (never longer than the
 * others) at least count * l.
 */
static int link_frag_parse(const uint8_t *pkt, size_t len, struct link_frag *f)
{
    if (len <= FRAG_HDR)
        return LINK_DROP_FRAG_MALFORMED;
    f->index = pkt[1];
    f->count = pkt[2];
    if (pkt[3] || f->count < 2 || f->count > LINK_FRAG_MAX || f->index >= f->count)
        return LINK_DROP_FRAG_MALFORMED;
    f->receiver = link_get_le32(pkt + 4);
    f->counter = link_get_le64(pkt + 8);
    f->chunk = pkt + FRAG_HDR;
    f->len = len - FRAG_HDR;
    if (f->index + 1 == f->count ? f->count * f->len > LINK_MAX_PACKET
                                 : (f->count - 1) * f->len >= LINK_MAX_PACKET)
        return LINK_DROP_FRAG_MALFORMED;
    return 0;
}

/* As a type 4 packet would be, before a buffer is spent on it. */
static int link_frag_session(struct link_host *host, uint64_t now, struct link_frag *f)
{
    struct link_index_entry *e = link_index_lookup(&host->idx, f->receiver);
    int r;

    if (!e || e->kind != LINK_IDX_KEYPAIR)
        return LINK_DROP_UNKNOWN_PEER;
    if (!link_timers_keypair_usable_recv(e->keypair, now))
        return LINK_DROP_EXPIRED;
    /* Read-only: only the authenticated packet moves the window. */
    r = replay_check(&e->keypair->replay, f->counter);
    if (r == REPLAY_LIMIT)
        return LINK_DROP_EXPIRED;
    if (r)
        return LINK_DROP_REPLAY;
    f->peer = e->keypair->peer;
    return 0;
}

static void link_reasm_drop(struct link_host *host, struct link_reasm *s)
{
    s->count = 0;
    s->peer = NULL;
    host->counters.drop_frag_expired++;
}

static void link_reasm_expire(struct link_host *host, uint64_t now)
{
    for (size_t i = 0; i < LINK_REASM_SLOTS; i++) {
        struct link_reasm *s = &host->reasm[i];

        if (s->count && now > s->born && now - s->born > LINK_REASM_TIMEOUT)
            link_reasm_drop(host, s);
    }
}

static struct link_reasm *link_reasm_find(struct link_host *host, const struct link_frag *f)
{
    for (size_t i = 0; i < LINK_REASM_SLOTS; i++) {
        struct link_reasm *s = &host->reasm[i];

        if (s->count && s->receiver == f->receiver && s->counter == f->counter &&
            s->peer == f->peer)
            return s;
    }
    return NULL;
}

/*
 * A slot for a new packet: a free one, unless the peer holds its quota
 * already; else the oldest of the peer's own, else the oldest of all.
 */
static struct link_reasm *link_reasm_victim(struct link_host *host, struct link_peer *peer)
{
    struct link_reasm *free_slot = NULL, *oldest = NULL, *own_oldest = NULL;
    unsigned own = 0;

    for (size_t i = 0; i < LINK_REASM_SLOTS; i++) {
        struct link_reasm *s = &host->reasm[i];

        if (!s->count) {
            free_slot = free_slot ? free_slot : s;
            continue;
        }
        if (!oldest || s->born < oldest->born)
            oldest = s;
        if (s->peer == peer && (own++, !own_oldest || s->born < own_oldest->born))
            own_oldest = s;
    }
    if (own < LINK_REASM_PEER_SLOTS && free_slot)
        return free_slot;
    free_slot = own_oldest ? own_oldest : oldest;
    link_reasm_drop(host, free_slot);
    return free_slot;
}

/* Returns the slot or NULL: no memory for its buffer. */
static struct link_reasm *link_reasm_claim(struct link_host *host, uint64_t now,
                                           const struct link_frag *f)
{
    struct link_reasm *s = link_reasm_victim(host, f->peer);

    if (!s->buf)
        s->buf = malloc(LINK_MAX_PACKET);
    if (!s->buf)
        return NULL;
    s->peer = f->peer;
    s->receiver = f->receiver;
    s->counter = f->counter;
    s->born = now;
    s->have = 0;
    s->chunk = s->last = 0;
    s->count = (uint8_t)f->count;
    return s;
}

/* The last chunk waits at the end of the buffer: below it, every other
 * chunk at index * chunk. */
static int link_reasm_add(struct link_reasm *s, const struct link_frag *f)
{
    bool last = f->index + 1 == f->count;
    size_t chunk = last ? s->chunk : f->len, tail = last ? f->len : s->last;

    if (f->count != s->count || (s->have >> f->index) & 1)
        return LINK_DROP_FRAG_MALFORMED;
    if (!last && s->chunk && f->len != s->chunk)
        return LINK_DROP_FRAG_MALFORMED;
    if (chunk && tail && (tail > chunk || (f->count - 1) * chunk + tail > LINK_MAX_PACKET))
        return LINK_DROP_FRAG_MALFORMED;
    if (last) {
        memcpy(s->buf + LINK_MAX_PACKET - f->len, f->chunk, f->len);
        s->last = f->len;
    } else {
        memcpy(s->buf + f->index * f->len, f->chunk, f->len);
        s->chunk = f->len;
    }
    s->have |= UINT64_C(1) << f->index;
    return 0;
}

static bool link_reasm_complete(const struct link_reasm *s)
{
    return s->have == (s->count == 64 ? UINT64_MAX : (UINT64_C(1) << s->count) - 1);
}

/*
 * The whole packet, in place; the slot is free again but its buffer keeps
 * the packet until the next fragment claims it. Returns its length, or 0
 * if it is no data packet of the (receiver, counter) its fragments named.
 */
static size_t link_reasm_finish(struct link_host *host, struct link_reasm *s)
{
    size_t off = (size_t)(s->count - 1) * s->chunk, len = off + s->last;
    uint8_t *p = s->buf;

    memmove(p + off, p + LINK_MAX_PACKET - s->last, s->last);
    s->count = 0;
    s->peer = NULL;
    if (len < LINK_DATA_OVERHEAD || p[0] != LINK_MSG_DATA ||
        link_get_le32(p + 4) != s->receiver || link_get_le64(p + 8) != s->counter)
        return 0;
    host->counters.frag_reassembled++;
    return len;
}

int link_frag_take(struct link_host *host, uint64_t now, const uint8_t *pkt, size_t len,
                   uint8_t **out, size_t *out_len)
{
    struct link_frag f;
    struct link_reasm *s;
    bool fresh = false;
    int drop = link_frag_parse(pkt, len, &f);

    if (!drop)
        drop = link_frag_session(host, now, &f);
    if (drop)
        return drop;
    link_reasm_expire(host, now);
    s = link_reasm_find(host, &f);
    if (!s) {
        s = link_reasm_claim(host, now, &f);
        if (!s)
            return -ENOMEM;
        fresh = true;
    }
    drop = link_reasm_add(s, &f);
    if (drop) {
        if (fresh)
            s->count = 0;       /* cannot happen: parse checked what one fragment allows */
        return drop;
    }
    if (!link_reasm_complete(s))
        return 0;
    *out_len = link_reasm_finish(host, s);
    if (!*out_len)
        return LINK_DROP_FRAG_MALFORMED;
    *out = s->buf;
    return 0;
}

void link_frag_forget_peer(struct link_peer *peer)
{
    struct link_host *host = peer->host;

    for (size_t i = 0; i < LINK_REASM_SLOTS; i++) {
        if (host->reasm[i].peer == peer) {
            host->reasm[i].count = 0;
            host->reasm[i].peer = NULL;
        }
    }
}

void link_frag_free(struct link_host *host)
{
    for (size_t i = 0; i < LINK_REASM_SLOTS; i++) {
        struct link_reasm *s = &host->reasm[i];

        if (s->buf) {
            /* It may hold a decrypted payload. */
            sodium_memzero(s->buf, LINK_MAX_PACKET);
            free(s->buf);
        }
        s->buf = NULL;
        s->count = 0;
    }
    free(host->trainbuf);
    host->trainbuf = NULL;
}
