/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * envelope.c: a relayed message opens for its destination only, with the
 * origin and header it was sealed with; reflected, rewritten and replayed
 * envelopes are refused; the replay cache stays within its bound.
 */
#include <sodium.h>
#include <string.h>

#include "crypto/envelope.h"
#include "lib/check.h"

struct host {
    uint8_t pub[32], priv[32];
};

static uint8_t HDR[100];                /* stands for the header after ttl */
static uint8_t O[32];                   /* an origin */

/* Seal @msg from @a to @b with a fresh ephemeral key into @out (len + MAC). */
static void seal(const struct host *a, const struct host *b, const char *msg, uint8_t e_pub[32],
                 uint8_t *out)
{
    uint8_t e_priv[32], ss[32], k[ENV_KEY];

    crypto_box_keypair(e_pub, e_priv);
    CHECK(env_ss(ss, a->priv, b->pub) == 0);
    CHECK(env_key_origin(k, e_priv, e_pub, ss, a->pub, b->pub) == 0);
    env_seal(out, (const uint8_t *)msg, strlen(msg), HDR, sizeof(HDR), k);
}

/* Open as @b, believing it came from @a. */
static int open_as(const struct host *b, const struct host *a, const uint8_t e_pub[32],
                   const uint8_t *sealed, size_t len, uint8_t *out)
{
    uint8_t ss[32], k[ENV_KEY];

    if (env_ss(ss, b->priv, a->pub) < 0 || env_key_dest(k, b->priv, e_pub, ss, a->pub, b->pub) < 0)
        return -1;
    return env_open(out, sealed, len, HDR, sizeof(HDR), k);
}

static void test_seal_open(void)
{
    struct host a, b, c;
    uint8_t e_pub[32], sealed[64], out[64];
    const char *msg = "FIND 42";
    size_t n = strlen(msg) + ENV_MAC;

    crypto_box_keypair(a.pub, a.priv);
    crypto_box_keypair(b.pub, b.priv);
    crypto_box_keypair(c.pub, c.priv);
    randombytes_buf(HDR, sizeof(HDR));
    seal(&a, &b, msg, e_pub, sealed);
    CHECK(open_as(&b, &a, e_pub, sealed, n, out) == 0 && memcmp(out, msg, strlen(msg)) == 0);
    /* Another destination, or another claimed origin: it does not open. */
    CHECK(open_as(&c, &a, e_pub, sealed, n, out) < 0);
    CHECK(open_as(&b, &c, e_pub, sealed, n, out) < 0);
    /* Reflected: A's envelope to B handed back to A as B's. crypto_box
     * (symmetric in the two static keys) opened this; the seal does not. */
    CHECK(open_as(&a, &b, e_pub, sealed, n, out) < 0);
    /* A header byte rewritten (the origin's endpoint, the timestamp). */
    HDR[40] ^= 1;
    CHECK(open_as(&b, &a, e_pub, sealed, n, out) < 0);
    HDR[40] ^= 1;
    /* Another ephemeral key in the header, a flipped ciphertext bit, cut short. */
    e_pub[3] ^= 1;
    CHECK(open_as(&b, &a, e_pub, sealed, n, out) < 0);
    e_pub[3] ^= 1;
    sealed[2] ^= 0x80;
    CHECK(open_as(&b, &a, e_pub, sealed, n, out) < 0);
    sealed[2] ^= 0x80;
    CHECK(open_as(&b, &a, e_pub, sealed, ENV_MAC - 1, out) < 0);
    CHECK(open_as(&b, &a, e_pub, sealed, n, out) == 0);
    /* A low-order key (all zeros) gives no key at all. */
    {
        uint8_t zero[32] = { 0 }, ss[32], k[ENV_KEY];

        CHECK(env_ss(ss, b.priv, zero) < 0);
        CHECK(env_key_dest(k, b.priv, zero, ss, a.pub, b.pub) < 0);
    }
}

static void test_replay_window(void)
{
    static struct env_replay r;
    uint8_t e[32];
    const uint64_t now = 1800000000000ull;

    memset(&r, 0, sizeof(r));
    memset(e, 0x11, sizeof(e));
    CHECK(env_replay_check(&r, O, e, now, now) == ENV_FRESH);
    CHECK(env_replay_check(&r, O, e, now, now + 1000) == ENV_REPLAYED);
    /* The window, either way. */
    e[0] = 2;
    CHECK(env_replay_check(&r, O, e, now - ENV_WINDOW_MS - 1, now) == ENV_STALE);
    CHECK(env_replay_check(&r, O, e, now + ENV_WINDOW_MS + 1, now) == ENV_STALE);
    CHECK(env_replay_check(&r, O, e, now - ENV_WINDOW_MS, now) == ENV_FRESH);
    /* Out of the window, an entry makes room; a replay of it is stale. */
    e[0] = 3;
    CHECK(env_replay_check(&r, O, e, now + 2 * ENV_WINDOW_MS, now + 2 * ENV_WINDOW_MS) == ENV_FRESH);
    CHECK(r.n == 2);
    e[0] = 0x11;
    CHECK(env_replay_check(&r, O, e, now, now + 2 * ENV_WINDOW_MS) == ENV_STALE);
}

/* More fresh envelopes in one window than the cache holds: the oldest go,
 * and nothing as old as what went is taken again (not even the same key). */
static void test_replay_bound(void)
{
    static struct env_replay r;
    uint8_t e[32] = { 0 };
    const uint64_t now = 1800000000000ull;

    uint8_t o[32] = { 0 };

    memset(&r, 0, sizeof(r));
    /* Many origins: none reaches its quota. */
    for (unsigned i = 0; i < ENV_REPLAY_MAX + 10; i++) {
        memcpy(e, &i, sizeof(i));
        o[0] = (uint8_t)(i % 16);
        CHECK(env_replay_check(&r, o, e, now + i, now + i) == ENV_FRESH);
    }
    CHECK(r.n == ENV_REPLAY_MAX);
    CHECK(r.floor == now + 9);
    for (unsigned i = 0; i < 10; i++) {
        memcpy(e, &i, sizeof(i));
        CHECK(env_replay_check(&r, O, e, now + i, now + ENV_REPLAY_MAX) == ENV_STALE);
    }
    for (unsigned i = 10; i < 20; i++) {
        memcpy(e, &i, sizeof(i));
        CHECK(env_replay_check(&r, O, e, now + i, now + ENV_REPLAY_MAX) == ENV_REPLAYED);
    }
}

/* One admitted host sending as fast as it can fills only its quota; the
 * others' envelopes still pass, and its own again a window later. */
static void test_replay_quota(void)
{
    static struct env_replay r;
    uint8_t e[32] = { 0 }, m[32] = { 0 }, other[32] = { 0 };
    const uint64_t now = 1800000000000ull;
    unsigned i;

    memset(&r, 0, sizeof(r));
    m[0] = 0x66;
    other[0] = 0x77;
    for (i = 0; i < ENV_PER_ORIGIN_MAX; i++) {
        memcpy(e, &i, sizeof(i));
        CHECK(env_replay_check(&r, m, e, now + ENV_WINDOW_MS - 1, now) == ENV_FRESH);
    }
    memcpy(e, &i, sizeof(i));
    CHECK(env_replay_check(&r, m, e, now + ENV_WINDOW_MS - 1, now) == ENV_OVER_QUOTA);
    e[15] = 1;                          /* within the prefix the cache keeps */
    CHECK(env_replay_check(&r, other, e, now, now) == ENV_FRESH);
    CHECK(r.floor == 0);
    e[14] = 1;
    CHECK(env_replay_check(&r, m, e, now + 3 * ENV_WINDOW_MS, now + 3 * ENV_WINDOW_MS) ==
          ENV_FRESH);
}

int main(void)
{
    CHECK(sodium_init() >= 0);
    test_seal_open();
    test_replay_window();
    test_replay_bound();
    test_replay_quota();
    return CHECK_DONE();
}
