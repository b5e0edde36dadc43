/* SPDX-License-Identifier: GPL-2.0-only */
#ifndef OVL_CRYPTO_RINGID_H
#define OVL_CRYPTO_RINGID_H

/*
 * DOC: ringid — a host's 128-bit position on the Chord ring
 *
 * Derivation (fixed; changing it moves every host on the ring):
 *
 *   ring_id = BLAKE2b(outlen = 16 bytes, no key)(
 *                 "overlayd ring id v1"   (19 ASCII bytes, no NUL)
 *                 || X25519 public key     (32 bytes) )
 *
 * computed with libsodium's crypto_generichash. The 16 output bytes are
 * read as a big-endian 128-bit number (byte 0 most significant) wherever
 * ring ids are compared or added. Text form: exactly 32 lowercase hex
 * digits, zero-padded, byte 0 first; ringid_from_hex() also accepts
 * uppercase digits but nothing else (no prefix, no whitespace).
 */

#include <stdint.h>

enum ringid_limits {
    RINGID_LEN = 16,
    RINGID_HEX_LEN = 32,       /* characters, without the NUL */
};

/* The derivation label; exported so tests and docs quote one source. */
extern const char RINGID_LABEL[];

/* Ring id of an X25519 public key. */
void ringid_from_pubkey(uint8_t id[RINGID_LEN], const uint8_t pub[32]);

/* 32 lowercase hex digits plus NUL. */
void ringid_to_hex(char out[RINGID_HEX_LEN + 1], const uint8_t id[RINGID_LEN]);

/* Parse exactly 32 hex digits. Returns 0 or -EINVAL (@id zeroed). */
int ringid_from_hex(uint8_t id[RINGID_LEN], const char *s);

#endif
