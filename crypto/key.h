/* SPDX-License-Identifier: GPL-2.0-only */
#ifndef OVL_CRYPTO_KEY_H
#define OVL_CRYPTO_KEY_H

/*
 * DOC: key — X25519 host keys in WireGuard's text form
 *
 * A key (private or public) is 32 bytes, written as standard base64
 * (RFC 4648 alphabet, with padding): exactly 44 characters, the last one
 * '='. This is byte-identical to what `wg genkey` / `wg pubkey` print, so
 * keys can be moved between the two tools.
 *
 * Parsing is strict: after ignoring leading and trailing ASCII whitespace
 * (so a line read from a file, newline included, is accepted as is), the
 * text must be exactly 44 characters of the base64 alphabet ending in a
 * single '=', and the 2 unused low bits of the last data character must
 * be zero (the encoding is canonical: one key has exactly one text form).
 * Anything else, including interior whitespace, is -EINVAL.
 *
 * Private keys are clamped as X25519 and wg do (RFC 7748 section 5):
 * k[0] &= 248; k[31] &= 127; k[31] |= 64.
 *
 * Only key_generate() draws randomness (libsodium's randombytes_buf);
 * every other function is a pure function of its arguments.
 */

#include <stdint.h>

enum key_limits {
    KEY_LEN = 32,
    KEY_B64_LEN = 44,          /* characters, without the NUL */
};

/* Encode @k as 44 base64 characters plus NUL into @out. */
void key_to_base64(char out[KEY_B64_LEN + 1], const uint8_t k[KEY_LEN]);

/* Decode (see DOC for the accepted form). Returns 0 or -EINVAL; @k is
 * zeroed on failure. */
int key_from_base64(uint8_t k[KEY_LEN], const char *s);

/* X25519 clamping in place. */
void key_clamp(uint8_t k[KEY_LEN]);

/* Public key of private key @priv (clamped internally by X25519).
 * Returns 0 or -EINVAL. */
int key_public(uint8_t pub[KEY_LEN], const uint8_t priv[KEY_LEN]);

/* A fresh clamped private key from libsodium's CSPRNG. Returns 0 or -EIO
 * when libsodium cannot be initialised. */
int key_generate(uint8_t priv[KEY_LEN]);

#endif
