/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Single-core throughput of the link layer's data path (link_peer_send /
 * link_receive between two in-memory hosts) next to the raw libsodium
 * AEADs on the same 1400-byte frames. Not a test: run it by hand,
 * optionally with the seconds per measurement as argument (default 2).
 */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <sodium.h>

#include "crypto/link.h"
#include "crypto/secpool.h"

enum { FRAME = 1400, BATCH = 2048, PKT = FRAME + LINK_DATA_OVERHEAD };

static uint8_t batch[BATCH][PKT];
static size_t batch_n;
static uint64_t rng = 0x9e3779b97f4a7c15u;

static double now_s(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void b_random(void *ctx, uint8_t *buf, size_t len)
{
    for (size_t i = 0; i < len; i++) {
        rng ^= rng << 13;
        rng ^= rng >> 7;
        rng ^= rng << 17;
        buf[i] = (uint8_t)(rng >> 32);
    }
}

/* Handshake phase: packets wait here until pump() delivers them. */
static struct { struct link_host *to; size_t len; uint8_t buf[2048]; } hsq[8];
static size_t hsq_n;
static bool collecting;

/* The daemon copies each packet into its sendmmsg batch: so do we. */
static void b_send(void *ctx, struct link_peer *peer, const uint8_t *pkt, size_t len)
{
    struct link_host **to = ctx;

    if (!collecting) {
        if (hsq_n < 8 && len <= sizeof(hsq[0].buf)) {
            hsq[hsq_n].to = *to;
            hsq[hsq_n].len = len;
            memcpy(hsq[hsq_n++].buf, pkt, len);
        }
        return;
    }
    if (batch_n < BATCH && len == PKT)
        memcpy(batch[batch_n++], pkt, len);
}

static void pump(void)
{
    struct link_rx rx;

    for (size_t i = 0; i < hsq_n; i++)      /* deliveries may append */
        link_receive(hsq[i].to, 0, hsq[i].buf, hsq[i].len, &rx);
    hsq_n = 0;
}

static void report(const char *what, uint64_t n, double secs)
{
    printf("%-38s %10.0f pkt/s  %7.3f Gbit/s  (%llu x %d B in %.2f s)\n", what, (double)n / secs,
           (double)n * FRAME * 8 / secs / 1e9, (unsigned long long)n, FRAME, secs);
}

static void bench_link(double dur)
{
    static struct link_host *ha, *hb;
    struct link_hooks hooks_a = { .ctx = &hb, .random = b_random, .send = b_send };
    struct link_hooks hooks_b = { .ctx = &ha, .random = b_random, .send = b_send };
    uint8_t pa[32], pb[32], sa[32], sb[32], frame[FRAME];
    struct link_peer *a_b, *b_a;
    struct link_rx rx;
    uint64_t n = 0, bad = 0;
    double t0, spent = 0;

    b_random(NULL, sa, 32);
    b_random(NULL, sb, 32);
    sa[0] &= 248, sa[31] = (sa[31] & 127) | 64;
    sb[0] &= 248, sb[31] = (sb[31] & 127) | 64;
    if (link_host_new(&ha, sa, &hooks_a, 0) || link_host_new(&hb, sb, &hooks_b, 0))
        exit(1);
    crypto_scalarmult_base(pa, sa);
    crypto_scalarmult_base(pb, sb);
    link_peer_new(ha, pb, NULL, &a_b);
    link_peer_new(hb, pa, NULL, &b_a);
    link_peer_connect(a_b, 0);
    pump();
    if (link_peer_state(a_b, 0) != LINK_UP || link_peer_state(b_a, 0) != LINK_UP) {
        fprintf(stderr, "handshake failed\n");
        exit(1);
    }
    collecting = true;
    memset(frame, 0xab, sizeof(frame));

    /* seal: link_peer_send (header, AEAD, hand to hooks->send) */
    t0 = now_s();
    while (now_s() - t0 < dur) {
        batch_n = 0;
        for (int i = 0; i < BATCH; i++)
            link_peer_send(a_b, 1, frame, FRAME);
        n += BATCH;
    }
    report("link seal (link_peer_send)", n, now_s() - t0);

    /* open: link_receive on fresh packets; sealing is not timed */
    n = 0;
    while (spent < dur) {
        batch_n = 0;
        for (int i = 0; i < BATCH; i++)
            link_peer_send(a_b, 1, frame, FRAME);
        t0 = now_s();
        for (size_t i = 0; i < batch_n; i++)
            bad += link_receive(hb, 1, batch[i], PKT, &rx) != 0 || rx.len != FRAME;
        spent += now_s() - t0;
        n += batch_n;
    }
    report("link open (link_receive)", n, spent);
    if (bad)
        fprintf(stderr, "%llu packets failed to open\n", (unsigned long long)bad);
    link_host_free(ha);
    link_host_free(hb);
}

static void bench_raw(double dur)
{
    uint8_t key[32], nonce[12] = { 0 }, m[FRAME], c[FRAME + 16], out[FRAME];
    unsigned long long clen, mlen;
    uint64_t n;
    double t0;
    int bad = 0;

    randombytes_buf(key, sizeof(key));
    memset(m, 0xcd, sizeof(m));
    n = 0;
    t0 = now_s();
    while (now_s() - t0 < dur) {
        for (int i = 0; i < 1024; i++, n++) {
            memcpy(nonce + 4, &n, 8);
            crypto_aead_chacha20poly1305_ietf_encrypt(c, &clen, m, FRAME, NULL, 0, NULL, nonce, key);
        }
    }
    report("raw chacha20poly1305_ietf encrypt", n, now_s() - t0);
    n = 0;
    t0 = now_s();
    while (now_s() - t0 < dur)
        for (int i = 0; i < 1024; i++, n++)
            bad |= crypto_aead_chacha20poly1305_ietf_decrypt(out, &mlen, NULL, c, clen, NULL, 0, nonce, key);
    report("raw chacha20poly1305_ietf decrypt", n, now_s() - t0);

    if (!crypto_aead_aes256gcm_is_available()) {
        printf("%-38s not available on this CPU\n", "raw aes256gcm");
        return;
    }
    n = 0;
    t0 = now_s();
    while (now_s() - t0 < dur) {
        for (int i = 0; i < 1024; i++, n++) {
            memcpy(nonce + 4, &n, 8);
            crypto_aead_aes256gcm_encrypt(c, &clen, m, FRAME, NULL, 0, NULL, nonce, key);
        }
    }
    report("raw aes256gcm encrypt", n, now_s() - t0);
    n = 0;
    t0 = now_s();
    while (now_s() - t0 < dur)
        for (int i = 0; i < 1024; i++, n++)
            bad |= crypto_aead_aes256gcm_decrypt(out, &mlen, NULL, c, clen, NULL, 0, nonce, key);
    report("raw aes256gcm decrypt", n, now_s() - t0);
    if (bad)
        fprintf(stderr, "raw decrypt failed\n");
}

/* What a keypair's memory costs: one sodium_malloc each (the old way) or
 * a secpool slot (docs/security.md). Two live at once, as in a rekey. */
static void bench_secmem(void)
{
    enum { N = 20000, SIZE = 1200 };
    struct secpool pool;
    double t0, t1, t2;

    t0 = now_s();
    for (int i = 0; i < N; i++) {
        void *a = sodium_malloc(SIZE), *b = sodium_malloc(SIZE);

        sodium_free(a);
        sodium_free(b);
    }
    t1 = now_s();
    if (secpool_init(&pool, SIZE, 64) < 0)
        return;
    for (int i = 0; i < N; i++) {
        void *a = secpool_get(&pool), *b = secpool_get(&pool);

        secpool_put(&pool, a);
        secpool_put(&pool, b);
    }
    t2 = now_s();
    secpool_destroy(&pool);
    printf("%-38s %8.3f us per pair\n", "sodium_malloc + sodium_free", (t1 - t0) / N * 1e6);
    printf("%-38s %8.3f us per pair\n", "secpool_get + secpool_put", (t2 - t1) / N * 1e6);
}

int main(int argc, char **argv)
{
    double dur = argc > 1 ? atof(argv[1]) : 2.0;

    if (sodium_init() < 0 || dur <= 0)
        return 1;
    printf("frames of %d bytes, one core, %.1f s per line\n", FRAME, dur);
    bench_link(dur);
    bench_raw(dur);
    bench_secmem();
    return 0;
}
