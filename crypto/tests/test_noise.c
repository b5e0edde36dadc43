/* SPDX-License-Identifier: GPL-2.0-only */
/* Behaviour of crypto/noise.c beyond the published vectors. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "crypto/noise.h"
#include "lib/check.h"

static uint8_t msg1[NOISE_MAX_MSG_LEN], msg2[NOISE_MAX_MSG_LEN];
static uint8_t pay_in[NOISE_MAX_MSG_LEN], pay_out[NOISE_MAX_MSG_LEN];

static void keypair(uint8_t priv[32], uint8_t pub[32])
{
    randombytes_buf(priv, 32);
    noise_pubkey(pub, priv);
}

/* A full handshake plus a transport message each way; returns 0 if all agreed. */
static int round_trip(size_t len1, size_t len2, int psk_pos)
{
    struct noise_handshake ini, res;
    uint8_t is[32], ip[32], rs[32], rp[32], psk[32], prologue[17];
    uint8_t is_k[32], ir_k[32], rs_k[32], rr_k[32];
    uint8_t tbuf[64 + NOISE_TAG_LEN], tback[64];
    size_t n1 = 0, n2 = 0, got = 0;
    int bad = 0;

    keypair(is, ip);
    keypair(rs, rp);
    randombytes_buf(psk, sizeof(psk));
    randombytes_buf(prologue, sizeof(prologue));
    randombytes_buf(pay_in, len1 > len2 ? len1 : len2);

    bad |= noise_handshake_init(&ini, NOISE_INITIATOR, prologue, sizeof(prologue), is, rp,
                                psk_pos >= 0 ? psk : NULL, psk_pos, NOISE_AEAD_CHACHAPOLY) != 0;
    bad |= noise_handshake_init(&res, NOISE_RESPONDER, prologue, sizeof(prologue), rs, NULL,
                                psk_pos >= 0 ? psk : NULL, psk_pos, NOISE_AEAD_CHACHAPOLY) != 0;
    bad |= noise_handshake_write(&ini, pay_in, len1, msg1, sizeof(msg1), &n1) != 0;
    bad |= n1 != NOISE_IK_MSG1_LEN + len1;
    bad |= noise_handshake_read(&res, msg1, n1, pay_out, sizeof(pay_out), &got) != 0;
    bad |= got != len1 || memcmp(pay_out, pay_in, len1) != 0;
    bad |= noise_handshake_remote_static(&res) == NULL ||
           memcmp(noise_handshake_remote_static(&res), ip, 32) != 0;
    bad |= noise_handshake_write(&res, pay_in, len2, msg2, sizeof(msg2), &n2) != 0;
    bad |= n2 != NOISE_IK_MSG2_LEN + len2;
    bad |= noise_handshake_read(&ini, msg2, n2, pay_out, sizeof(pay_out), &got) != 0;
    bad |= got != len2 || memcmp(pay_out, pay_in, len2) != 0;
    bad |= memcmp(noise_handshake_hash(&ini), noise_handshake_hash(&res), NOISE_HASH_LEN) != 0;
    /* Ephemeral secrets are gone as soon as the handshake completes. */
    bad |= !sodium_is_zero(ini.e_priv, 32) || !sodium_is_zero(res.e_priv, 32);
    bad |= !sodium_is_zero(ini.sym.cs.k, 32) || !sodium_is_zero(res.sym.cs.k, 32);
    bad |= noise_handshake_split(&ini, is_k, ir_k) != 0;
    bad |= noise_handshake_split(&res, rs_k, rr_k) != 0;
    bad |= memcmp(is_k, rr_k, 32) != 0 || memcmp(ir_k, rs_k, 32) != 0;
    bad |= memcmp(is_k, ir_k, 32) == 0;

    noise_seal(NOISE_AEAD_CHACHAPOLY, is_k, 7, NULL, 0, pay_in, 64, tbuf);
    bad |= noise_open(NOISE_AEAD_CHACHAPOLY, rr_k, 7, NULL, 0, tbuf, sizeof(tbuf), tback) != 0 ||
           memcmp(tback, pay_in, 64) != 0;
    bad |= noise_open(NOISE_AEAD_CHACHAPOLY, rr_k, 8, NULL, 0, tbuf, sizeof(tbuf), tback) != -EBADMSG;
    noise_seal(NOISE_AEAD_CHACHAPOLY, rs_k, 0, NULL, 0, pay_in, 64, tbuf);
    bad |= noise_open(NOISE_AEAD_CHACHAPOLY, ir_k, 0, NULL, 0, tbuf, sizeof(tbuf), tback) != 0;
    /* In place. */
    memcpy(tbuf, pay_in, 64);
    noise_seal(NOISE_AEAD_CHACHAPOLY, rs_k, 1, pay_in, 3, tbuf, 64, tbuf);
    bad |= noise_open(NOISE_AEAD_CHACHAPOLY, ir_k, 1, pay_in, 3, tbuf, sizeof(tbuf), tbuf) != 0 ||
           memcmp(tbuf, pay_in, 64) != 0;

    noise_handshake_wipe(&ini);
    noise_handshake_wipe(&res);
    return bad ? -1 : 0;
}

static void test_round_trips(void)
{
    static const size_t sizes[] = { 0, 1, 15, 16, 17, 100, 1024, 1500 };
    size_t max1 = NOISE_MAX_MSG_LEN - NOISE_IK_MSG1_LEN;
    size_t max2 = NOISE_MAX_MSG_LEN - NOISE_IK_MSG2_LEN;

    for (int i = 0; i < 200; i++) {
        size_t a = sizes[randombytes_uniform(sizeof(sizes) / sizeof(sizes[0]))];
        size_t b = randombytes_uniform(2000);
        int psk = (int)randombytes_uniform(4) - 1;

        CHECK(round_trip(a, b, psk) == 0);
    }
    CHECK(round_trip(0, 0, -1) == 0);
    CHECK(round_trip(max1, max2, -1) == 0);
    CHECK(round_trip(max1, max2, 0) == 0);
    for (int psk = 0; psk < 3; psk++)
        CHECK(round_trip(0, 0, psk) == 0);
}

/* Builds an initiator/responder pair and message 1 with a 20-byte payload. */
static size_t make_msg1(struct noise_handshake *ini, struct noise_handshake *res,
                        const uint8_t ir[32], const uint8_t rr[32], const uint8_t *rp)
{
    size_t n = 0;

    noise_handshake_init(ini, NOISE_INITIATOR, (const uint8_t *)"p", 1, ir, rp, NULL, -1, NOISE_AEAD_CHACHAPOLY);
    noise_handshake_init(res, NOISE_RESPONDER, (const uint8_t *)"p", 1, rr, NULL, NULL, -1, NOISE_AEAD_CHACHAPOLY);
    CHECK(noise_handshake_write(ini, pay_in, 20, msg1, sizeof(msg1), &n) == 0);
    return n;
}

static void test_tampering(void)
{
    struct noise_handshake ini, res;
    uint8_t ir[32], ip[32], rr[32], rp[32], other[32], other_pub[32];
    uint8_t saved[NOISE_IK_MSG1_LEN + 20];
    size_t n, got, n2 = 0;
    int rejected = 0;

    keypair(ir, ip);
    keypair(rr, rp);
    n = make_msg1(&ini, &res, ir, rr, rp);
    CHECK(n == sizeof(saved));
    memcpy(saved, msg1, sizeof(saved));
    for (size_t pos = 0; pos < n; pos++) {
        for (int bit = 0; bit < 8; bit += 7) {
            struct noise_handshake r2;
            int r;

            memcpy(msg1, saved, n);
            msg1[pos] ^= (uint8_t)(1u << bit);
            noise_handshake_init(&r2, NOISE_RESPONDER, (const uint8_t *)"p", 1, rr, NULL, NULL, -1, NOISE_AEAD_CHACHAPOLY);
            r = noise_handshake_read(&r2, msg1, n, pay_out, sizeof(pay_out), &got);
            if (r != 0 && r2.step == NOISE_STEP_FAILED)
                rejected++;
            else
                fprintf(stderr, "%s:%d: flipped bit %d of byte %zu accepted (r=%d)\n",
                        __FILE__, __LINE__, bit, pos, r);
            noise_handshake_wipe(&r2);
        }
    }
    CHECK(rejected == (int)(2 * n));
    /* The untouched message is still accepted: the rejections were real. */
    CHECK(noise_handshake_read(&res, saved, n, pay_out, sizeof(pay_out), &got) == 0 && got == 20);

    /* Tampered message 2 is rejected by the initiator. */
    CHECK(noise_handshake_write(&res, pay_in, 5, msg2, sizeof(msg2), &n2) == 0);
    msg2[n2 - 1] ^= 1;
    CHECK(noise_handshake_read(&ini, msg2, n2, pay_out, sizeof(pay_out), &got) == -EBADMSG);
    CHECK(ini.step == NOISE_STEP_FAILED);
    CHECK(noise_handshake_split(&ini, other, other_pub) == -EINVAL);
    noise_handshake_wipe(&ini);
    noise_handshake_wipe(&res);

    /* Initiator aims at a different responder key. */
    keypair(other, other_pub);
    n = make_msg1(&ini, &res, ir, rr, other_pub);
    CHECK(noise_handshake_read(&res, msg1, n, pay_out, sizeof(pay_out), &got) == -EBADMSG);
    CHECK(res.step == NOISE_STEP_FAILED);
    /* A failed state has already dropped its secrets. */
    CHECK(sodium_is_zero(res.s_priv, 32) && sodium_is_zero(res.sym.ck, NOISE_HASH_LEN));
    CHECK(sodium_is_zero(pay_out, 20));
    noise_handshake_wipe(&ini);
    noise_handshake_wipe(&res);

    /* Different prologues do not agree. */
    noise_handshake_init(&ini, NOISE_INITIATOR, (const uint8_t *)"a", 1, ir, rp, NULL, -1, NOISE_AEAD_CHACHAPOLY);
    noise_handshake_init(&res, NOISE_RESPONDER, (const uint8_t *)"b", 1, rr, NULL, NULL, -1, NOISE_AEAD_CHACHAPOLY);
    CHECK(noise_handshake_write(&ini, NULL, 0, msg1, sizeof(msg1), &n) == 0);
    CHECK(noise_handshake_read(&res, msg1, n, pay_out, sizeof(pay_out), &got) == -EBADMSG);
    noise_handshake_wipe(&ini);
    noise_handshake_wipe(&res);

    /* Different PSKs do not agree (psk1 is checked in message 1). */
    {
        uint8_t p1[32] = { 1 }, p2[32] = { 2 };

        noise_handshake_init(&ini, NOISE_INITIATOR, NULL, 0, ir, rp, p1, 1, NOISE_AEAD_CHACHAPOLY);
        noise_handshake_init(&res, NOISE_RESPONDER, NULL, 0, rr, NULL, p2, 1, NOISE_AEAD_CHACHAPOLY);
        CHECK(noise_handshake_write(&ini, NULL, 0, msg1, sizeof(msg1), &n) == 0);
        CHECK(noise_handshake_read(&res, msg1, n, pay_out, sizeof(pay_out), &got) == -EBADMSG);
        noise_handshake_wipe(&ini);
        noise_handshake_wipe(&res);
    }
}

static void test_sizes_and_steps(void)
{
    struct noise_handshake ini, res;
    uint8_t ir[32], ip[32], rr[32], rp[32], k1[32], k2[32];
    size_t n = 0, got = 0, n2 = 0;

    keypair(ir, ip);
    keypair(rr, rp);

    /* Output buffer one byte short. */
    noise_handshake_init(&ini, NOISE_INITIATOR, NULL, 0, ir, rp, NULL, -1, NOISE_AEAD_CHACHAPOLY);
    CHECK(noise_handshake_write(&ini, pay_in, 10, msg1, NOISE_IK_MSG1_LEN + 9, &n) == -EMSGSIZE);
    CHECK(ini.step == NOISE_STEP_FAILED);
    noise_handshake_wipe(&ini);

    /* Payload that would exceed the Noise message limit. */
    noise_handshake_init(&ini, NOISE_INITIATOR, NULL, 0, ir, rp, NULL, -1, NOISE_AEAD_CHACHAPOLY);
    CHECK(noise_handshake_write(&ini, pay_in, NOISE_MAX_MSG_LEN - NOISE_IK_MSG1_LEN + 1,
                                msg1, sizeof(msg1), &n) == -EMSGSIZE);
    noise_handshake_wipe(&ini);

    /* Payload buffer too small on read; too short and too long messages. */
    n = make_msg1(&ini, &res, ir, rr, rp);
    CHECK(noise_handshake_read(&res, msg1, n, pay_out, 19, &got) == -EMSGSIZE);
    CHECK(res.step == NOISE_STEP_FAILED);
    noise_handshake_init(&res, NOISE_RESPONDER, (const uint8_t *)"p", 1, rr, NULL, NULL, -1, NOISE_AEAD_CHACHAPOLY);
    CHECK(noise_handshake_read(&res, msg1, NOISE_IK_MSG1_LEN - 1, pay_out, sizeof(pay_out), &got) == -EBADMSG);
    noise_handshake_init(&res, NOISE_RESPONDER, (const uint8_t *)"p", 1, rr, NULL, NULL, -1, NOISE_AEAD_CHACHAPOLY);
    CHECK(noise_handshake_read(&res, msg1, NOISE_MAX_MSG_LEN + 1, pay_out, sizeof(pay_out), &got) == -EBADMSG);
    noise_handshake_init(&res, NOISE_RESPONDER, (const uint8_t *)"p", 1, rr, NULL, NULL, -1, NOISE_AEAD_CHACHAPOLY);
    CHECK(noise_handshake_read(&res, msg1, n, pay_out, 20, &got) == 0);

    /* Wrong steps: each side calling the other side's operation. */
    CHECK(noise_handshake_write(&res, NULL, 0, msg2, NOISE_IK_MSG2_LEN - 1, &n2) == -EMSGSIZE);
    noise_handshake_wipe(&ini);
    noise_handshake_wipe(&res);

    n = make_msg1(&ini, &res, ir, rr, rp);
    CHECK(noise_handshake_write(&ini, NULL, 0, msg2, sizeof(msg2), &n2) == -EINVAL);
    CHECK(ini.step == NOISE_STEP_FAILED);
    CHECK(noise_handshake_write(&res, NULL, 0, msg2, sizeof(msg2), &n2) == -EINVAL);
    noise_handshake_wipe(&ini);
    noise_handshake_wipe(&res);

    n = make_msg1(&ini, &res, ir, rr, rp);
    CHECK(noise_handshake_split(&res, k1, k2) == -EINVAL);
    noise_handshake_init(&res, NOISE_RESPONDER, (const uint8_t *)"p", 1, rr, NULL, NULL, -1, NOISE_AEAD_CHACHAPOLY);
    CHECK(noise_handshake_read(&res, msg1, n, pay_out, sizeof(pay_out), &got) == 0);
    noise_handshake_init(&ini, NOISE_INITIATOR, NULL, 0, ir, rp, NULL, -1, NOISE_AEAD_CHACHAPOLY);
    CHECK(noise_handshake_read(&ini, msg1, n, pay_out, sizeof(pay_out), &got) == -EINVAL);
    CHECK(ini.step == NOISE_STEP_FAILED);
    CHECK(noise_handshake_read(&res, msg1, n, pay_out, sizeof(pay_out), &got) == -EINVAL);
    noise_handshake_wipe(&ini);
    noise_handshake_wipe(&res);

    /* Complete, then any further handshake call is a wrong step. */
    n = make_msg1(&ini, &res, ir, rr, rp);
    CHECK(noise_handshake_read(&res, msg1, n, pay_out, sizeof(pay_out), &got) == 0);
    CHECK(noise_handshake_write(&res, NULL, 0, msg2, sizeof(msg2), &n2) == 0);
    CHECK(noise_handshake_read(&ini, msg2, n2, pay_out, sizeof(pay_out), &got) == 0 && got == 0);
    CHECK(noise_handshake_write(&ini, NULL, 0, msg1, sizeof(msg1), &n) == -EINVAL);
    CHECK(noise_handshake_split(&res, k1, k2) == 0);
    /* Split leaves nothing that rederives the keys; h and rs stay readable. */
    CHECK(sodium_is_zero(res.sym.ck, sizeof(res.sym.ck)));
    CHECK(sodium_is_zero(res.s_priv, sizeof(res.s_priv)));
    CHECK(noise_handshake_remote_static(&res) != NULL);
    CHECK(!sodium_is_zero(noise_handshake_hash(&res), NOISE_HASH_LEN));
    CHECK(noise_handshake_split(&res, k1, k2) == -EINVAL);
    noise_handshake_wipe(&ini);
    noise_handshake_wipe(&res);
    CHECK(noise_handshake_split(&res, k1, k2) == -EINVAL);

    /* An ephemeral already sent in msg 1 cannot be swapped afterwards. */
    n = make_msg1(&ini, &res, ir, rr, rp);
    noise_handshake_set_ephemeral(&ini, k1);
    CHECK(ini.step == NOISE_STEP_FAILED);
    CHECK(sodium_is_zero(ini.e_priv, sizeof(ini.e_priv)));
    CHECK(noise_handshake_read(&res, msg1, n, pay_out, sizeof(pay_out), &got) == 0);
    CHECK(noise_handshake_write(&res, NULL, 0, msg2, sizeof(msg2), &n2) == 0);
    noise_handshake_set_ephemeral(&res, k1);
    CHECK(res.step == NOISE_STEP_FAILED);
    noise_handshake_wipe(&ini);
    noise_handshake_wipe(&res);

    /* Bad arguments to init. */
    CHECK(noise_handshake_init(&ini, NOISE_INITIATOR, NULL, 0, ir, NULL, NULL, -1, NOISE_AEAD_CHACHAPOLY) == -EINVAL);
    CHECK(noise_handshake_init(&ini, NOISE_INITIATOR, NULL, 0, ir, rp, NULL, 0, NOISE_AEAD_CHACHAPOLY) == -EINVAL);
    CHECK(noise_handshake_init(&ini, NOISE_INITIATOR, NULL, 0, ir, rp, k1, 3, NOISE_AEAD_CHACHAPOLY) == -EINVAL);
    CHECK(noise_handshake_init(&ini, (enum noise_role)7, NULL, 0, ir, rp, NULL, -1, NOISE_AEAD_CHACHAPOLY) == -EINVAL);
    CHECK(ini.step == NOISE_STEP_FAILED);

    /* Short transport ciphertext. */
    CHECK(noise_open(NOISE_AEAD_CHACHAPOLY, k1, 0, NULL, 0, msg1, NOISE_TAG_LEN - 1, pay_out) == -EBADMSG);
}

/* Small-order points of Curve25519 (RFC 7748 / libsodium's blacklist). */
static const uint8_t low_order[][32] = {
    { 0 },
    { 1 },
    { 0xe0, 0xeb, 0x7a, 0x7c, 0x3b, 0x41, 0xb8, 0xae, 0x16, 0x56, 0xe3, 0xfa, 0xf1, 0x9f, 0xc4, 0x6a,
      0xda, 0x09, 0x8d, 0xeb, 0x9c, 0x32, 0xb1, 0xfd, 0x86, 0x62, 0x05, 0x16, 0x5f, 0x49, 0xb8, 0x00 },
    { 0x5f, 0x9c, 0x95, 0xbc, 0xa3, 0x50, 0x8c, 0x24, 0xb1, 0xd0, 0xb1, 0x55, 0x9c, 0x83, 0xef, 0x5b,
      0x04, 0x44, 0x5c, 0xc4, 0x58, 0x1c, 0x8e, 0x86, 0xd8, 0x22, 0x4e, 0xdd, 0xd0, 0x9f, 0x11, 0x57 },
    { 0xec, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
      0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f },
};

static void test_low_order(void)
{
    struct noise_handshake ini, res;
    uint8_t ir[32], ip[32], rr[32], rp[32];
    size_t n, got;

    keypair(ir, ip);
    keypair(rr, rp);
    for (size_t i = 0; i < sizeof(low_order) / sizeof(low_order[0]); i++) {
        /* As the responder's static key given to an initiator. */
        CHECK(noise_handshake_init(&ini, NOISE_INITIATOR, NULL, 0, ir, low_order[i], NULL, -1, NOISE_AEAD_CHACHAPOLY) == -EINVAL);

        /* As the ephemeral inside message 1. */
        n = make_msg1(&ini, &res, ir, rr, rp);
        memcpy(msg1, low_order[i], 32);
        CHECK(noise_handshake_read(&res, msg1, n, pay_out, sizeof(pay_out), &got) == -EPROTO);
        CHECK(res.step == NOISE_STEP_FAILED);
        noise_handshake_wipe(&res);

        /* As the responder's ephemeral inside message 2. */
        noise_handshake_init(&res, NOISE_RESPONDER, (const uint8_t *)"p", 1, rr, NULL, NULL, -1, NOISE_AEAD_CHACHAPOLY);
        CHECK(noise_handshake_read(&res, msg1, n, pay_out, sizeof(pay_out), &got) == -EPROTO);
        noise_handshake_wipe(&res);
        n = make_msg1(&ini, &res, ir, rr, rp);
        CHECK(noise_handshake_read(&res, msg1, n, pay_out, sizeof(pay_out), &got) == 0);
        CHECK(noise_handshake_write(&res, NULL, 0, msg2, sizeof(msg2), &n) == 0);
        memcpy(msg2, low_order[i], 32);
        CHECK(noise_handshake_read(&ini, msg2, n, pay_out, sizeof(pay_out), &got) == -EPROTO);
        CHECK(ini.step == NOISE_STEP_FAILED);
        noise_handshake_wipe(&ini);
        noise_handshake_wipe(&res);
    }
}

/* HMAC-BLAKE2b against RFC 2104 computed independently with generichash. */
static void test_hmac(void)
{
    uint8_t key[200], data[300], want[64], got[64], k0[128], ipad[128], opad[128], inner[64];
    size_t key_lens[] = { 0, 1, 64, 128, 129, 200 };

    randombytes_buf(key, sizeof(key));
    randombytes_buf(data, sizeof(data));
    for (size_t t = 0; t < sizeof(key_lens) / sizeof(key_lens[0]); t++) {
        size_t kl = key_lens[t];
        crypto_generichash_state st;

        memset(k0, 0, sizeof(k0));
        if (kl > 128)
            crypto_generichash(k0, 64, key, kl, NULL, 0);
        else
            memcpy(k0, key, kl);
        for (int i = 0; i < 128; i++) {
            ipad[i] = k0[i] ^ 0x36;
            opad[i] = k0[i] ^ 0x5c;
        }
        crypto_generichash_init(&st, NULL, 0, 64);
        crypto_generichash_update(&st, ipad, 128);
        crypto_generichash_update(&st, data, sizeof(data));
        crypto_generichash_final(&st, inner, 64);
        crypto_generichash_init(&st, NULL, 0, 64);
        crypto_generichash_update(&st, opad, 128);
        crypto_generichash_update(&st, inner, 64);
        crypto_generichash_final(&st, want, 64);

        noise_hmac(got, key, kl, data, sizeof(data));
        CHECK(memcmp(got, want, 64) == 0);
        /* Not libsodium's keyed BLAKE2b. */
        if (kl >= 16 && kl <= 64) {
            crypto_generichash(want, 64, data, sizeof(data), key, kl);
            CHECK(memcmp(got, want, 64) != 0);
        }
    }
}

int main(void)
{
    if (sodium_init() < 0)
        return 1;
    test_hmac();
    test_round_trips();
    test_tampering();
    test_sizes_and_steps();
    test_low_order();
    if (check_failures)
        fprintf(stderr, "%d check(s) failed\n", check_failures);
    else
        printf("test_noise: all checks passed\n");
    return check_failures ? 1 : 0;
}
