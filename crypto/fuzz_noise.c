/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * libFuzzer target for crypto/noise.c. The first input byte picks a role:
 *   0: a responder with a fixed static key reads the rest as message 1
 *      (and answers it if it authenticates);
 *   1: an initiator that has sent message 1 reads the rest as message 2;
 *   2: a complete handshake whose payloads and psk position come from the
 *      input; both sides must agree (abort otherwise), then the rest is
 *      fed to noise_open.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "crypto/noise.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static uint8_t r_priv[32], r_pub[32], i_priv[32], e_priv[32];
static uint8_t out[NOISE_MAX_MSG_LEN], pay[NOISE_MAX_MSG_LEN];

static void fuzz_setup(void)
{
    static int done;

    if (done)
        return;
    if (sodium_init() < 0)
        abort();
    for (int i = 0; i < 32; i++) {
        r_priv[i] = (uint8_t)(i + 1);
        i_priv[i] = (uint8_t)(0x80 + i);
        e_priv[i] = (uint8_t)(0x40 + i);
    }
    noise_pubkey(r_pub, r_priv);
    done = 1;
}

static void as_responder(const uint8_t *msg, size_t len)
{
    struct noise_handshake hs;
    size_t got = 0, n = 0;

    if (noise_handshake_init(&hs, NOISE_RESPONDER, NULL, 0, r_priv, NULL, NULL, -1, NOISE_AEAD_CHACHAPOLY) != 0)
        abort();
    noise_handshake_set_ephemeral(&hs, e_priv);
    if (noise_handshake_read(&hs, msg, len, pay, sizeof(pay), &got) == 0) {
        if (got > len || !noise_handshake_remote_static(&hs))
            abort();
        noise_handshake_write(&hs, pay, got > 1000 ? 1000 : got, out, sizeof(out), &n);
    } else if (hs.step != NOISE_STEP_FAILED) {
        abort();
    }
    noise_handshake_wipe(&hs);
}

static void as_initiator(const uint8_t *msg, size_t len)
{
    struct noise_handshake hs;
    uint8_t k1[32], k2[32];
    size_t got = 0, n = 0;

    if (noise_handshake_init(&hs, NOISE_INITIATOR, NULL, 0, i_priv, r_pub, NULL, -1, NOISE_AEAD_CHACHAPOLY) != 0)
        abort();
    noise_handshake_set_ephemeral(&hs, e_priv);
    if (noise_handshake_write(&hs, NULL, 0, out, sizeof(out), &n) != 0)
        abort();
    if (noise_handshake_read(&hs, msg, len, pay, sizeof(pay), &got) == 0) {
        if (noise_handshake_split(&hs, k1, k2) != 0)
            abort();
    } else if (hs.step != NOISE_STEP_FAILED) {
        abort();
    }
    noise_handshake_wipe(&hs);
}

static void both(const uint8_t *data, size_t size)
{
    struct noise_handshake ini, res;
    uint8_t psk[32] = { 9 }, is[32], ir[32], rs[32], rr[32];
    size_t n = 0, got = 0, split;
    int psk_pos;

    if (size < 2)
        return;
    psk_pos = (int)(data[0] % 4) - 1;
    split = data[1] * size / 256;
    data += 2;
    size -= 2;
    if (split > size)
        split = size;
    if (noise_handshake_init(&ini, NOISE_INITIATOR, data, size % 7, i_priv, r_pub,
                             psk_pos >= 0 ? psk : NULL, psk_pos, NOISE_AEAD_CHACHAPOLY) != 0 ||
        noise_handshake_init(&res, NOISE_RESPONDER, data, size % 7, r_priv, NULL,
                             psk_pos >= 0 ? psk : NULL, psk_pos, NOISE_AEAD_CHACHAPOLY) != 0)
        abort();
    if (noise_handshake_write(&ini, data, split, out, sizeof(out), &n) != 0 ||
        noise_handshake_read(&res, out, n, pay, sizeof(pay), &got) != 0 ||
        got != split || memcmp(pay, data, split) != 0)
        abort();
    if (noise_handshake_write(&res, data + split, size - split, out, sizeof(out), &n) != 0 ||
        noise_handshake_read(&ini, out, n, pay, sizeof(pay), &got) != 0 ||
        got != size - split || memcmp(pay, data + split, got) != 0)
        abort();
    if (memcmp(noise_handshake_hash(&ini), noise_handshake_hash(&res), NOISE_HASH_LEN) != 0 ||
        noise_handshake_split(&ini, is, ir) != 0 || noise_handshake_split(&res, rs, rr) != 0 ||
        memcmp(is, rr, 32) != 0 || memcmp(ir, rs, 32) != 0)
        abort();
    if (size >= NOISE_TAG_LEN && noise_open(NOISE_AEAD_CHACHAPOLY, rr, 0, NULL, 0, data, size, pay) == 0)
        abort(); /* forged transport packet */
    noise_handshake_wipe(&ini);
    noise_handshake_wipe(&res);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fuzz_setup();
    if (size < 1 || size > NOISE_MAX_MSG_LEN + 1)
        return 0;
    switch (data[0] % 3) {
    case 0:
        as_responder(data + 1, size - 1);
        break;
    case 1:
        as_initiator(data + 1, size - 1);
        break;
    default:
        both(data + 1, size - 1);
        break;
    }
    return 0;
}
