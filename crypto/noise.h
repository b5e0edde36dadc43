/* SPDX-License-Identifier: GPL-2.0-only */
#ifndef OVL_CRYPTO_NOISE_H
#define OVL_CRYPTO_NOISE_H

/*
 * DOC: noise — Noise_IK_25519_{ChaChaPoly,AESGCM}_BLAKE2b (Noise spec rev 34)
 *
 * A byte-in/byte-out implementation of the IK handshake pattern with
 * optional PSK modifiers (psk0, psk1, psk2) so the published test vectors
 * can be reproduced. It knows nothing about sockets, clocks or the link
 * layer's packet framing: crypto/link.c wraps the raw Noise messages in
 * its own headers.
 *
 *   IK:
 *     <- s
 *     ...
 *     -> e, es, s, ss
 *     <- e, ee, se
 *
 * Primitives (all from libsodium): X25519 (crypto_scalarmult),
 * ChaCha20-Poly1305 IETF with nonce = 4 zero bytes || LE64(n) or, where
 * the CPU has AES-NI, AES-256-GCM with nonce = 4 zero bytes || BE64(n)
 * (the AEAD is part of the protocol name, so of the handshake hash), BLAKE2b-512
 * (crypto_generichash), HMAC-BLAKE2b per RFC 2104 with a 128-byte block,
 * HKDF as in Noise spec section 4.3.
 *
 * Lifecycle: noise_handshake_init() -> [noise_handshake_set_ephemeral()]
 * -> write/read alternately -> noise_handshake_split() ->
 * noise_handshake_wipe(). Every error path wipes the state's secrets and
 * leaves it unusable (step = NOISE_STEP_FAILED); the caller still wipes
 * it after success, and may wipe it again after failure.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum noise_limits {
    NOISE_DH_LEN = 32,
    NOISE_KEY_LEN = 32,
    NOISE_HASH_LEN = 64,          /* BLAKE2b */
    NOISE_TAG_LEN = 16,           /* Poly1305 */
    NOISE_MAX_MSG_LEN = 65535,
    /* Sizes of the IK messages without payload. */
    NOISE_IK_MSG1_LEN = NOISE_DH_LEN + NOISE_DH_LEN + NOISE_TAG_LEN + NOISE_TAG_LEN, /* 96 */
    NOISE_IK_MSG2_LEN = NOISE_DH_LEN + NOISE_TAG_LEN,                                 /* 48 */
};

enum noise_role { NOISE_INITIATOR = 0, NOISE_RESPONDER = 1 };

/* The cipher function of the protocol name (section 12.3). */
enum noise_aead { NOISE_AEAD_CHACHAPOLY = 0, NOISE_AEAD_AESGCM = 1 };

enum noise_step {
    NOISE_STEP_MSG1 = 0,    /* next: initiator writes / responder reads msg 1 */
    NOISE_STEP_MSG2 = 1,    /* next: responder writes / initiator reads msg 2 */
    NOISE_STEP_DONE = 2,    /* ready to split */
    NOISE_STEP_FAILED = 3,
    NOISE_STEP_SPLIT = 4,   /* keys taken; only h and rs are left */
};

struct noise_cipher {
    uint8_t k[NOISE_KEY_LEN];
    uint64_t n;
    bool has_key;
};

struct noise_symmetric {
    enum noise_aead aead;
    uint8_t ck[NOISE_HASH_LEN];
    uint8_t h[NOISE_HASH_LEN];
    struct noise_cipher cs;
};

struct noise_handshake {
    enum noise_role role;
    enum noise_step step;
    struct noise_symmetric sym;
    uint8_t s_priv[NOISE_DH_LEN], s_pub[NOISE_DH_LEN];
    uint8_t e_priv[NOISE_DH_LEN], e_pub[NOISE_DH_LEN];
    bool e_set;                    /* ephemeral injected (tests) */
    uint8_t rs[NOISE_DH_LEN];      /* remote static */
    bool rs_set;
    uint8_t re[NOISE_DH_LEN];      /* remote ephemeral */
    uint8_t psk[NOISE_KEY_LEN];
    int psk_pos;                   /* -1: no psk; 0, 1 or 2: psk0/psk1/psk2 */
};

/*
 * Initialise a handshake. @rs_pub is the responder's static public key and
 * is required for the initiator, ignored (pass NULL) for the responder.
 * @psk may be NULL when @psk_pos is -1. The protocol name hashed into the
 * state is derived from @psk_pos and @aead ("Noise_IK_25519_ChaChaPoly_BLAKE2b",
 * "Noise_IKpskN_25519_AESGCM_BLAKE2b", ...).
 * Returns 0 or one of: -EINVAL (bad role/psk_pos/aead, low-order key),
 * -ENOTSUP (AES-GCM on a CPU without AES-NI: see noise_aead_available).
 */
int noise_handshake_init(struct noise_handshake *hs, enum noise_role role,
                         const uint8_t *prologue, size_t prologue_len,
                         const uint8_t s_priv[NOISE_DH_LEN],
                         const uint8_t *rs_pub,
                         const uint8_t *psk, int psk_pos, enum noise_aead aead);

/*
 * The same with @s_pub, the public key of @s_priv, supplied by the caller
 * instead of computed (a responder keeps its own, rather than spend a
 * scalar multiplication per initiation before any check). Not verified:
 * a wrong @s_pub makes every handshake fail.
 */
int noise_handshake_init_pub(struct noise_handshake *hs, enum noise_role role,
                             const uint8_t *prologue, size_t prologue_len,
                             const uint8_t s_priv[NOISE_DH_LEN],
                             const uint8_t s_pub[NOISE_DH_LEN],
                             const uint8_t *rs_pub,
                             const uint8_t *psk, int psk_pos, enum noise_aead aead);

/* libsodium's AES-256-GCM needs AES-NI and CLMUL; ChaChaPoly runs anywhere. */
bool noise_aead_available(enum noise_aead aead);

/* "ChaChaPoly" or "AESGCM", as in the protocol name. */
const char *noise_aead_name(enum noise_aead aead);

/*
 * Supply the ephemeral private key instead of drawing one with
 * randombytes_buf() (link.c passes its randomness hook's output; tests
 * pass fixed keys). Only before the message that sends e: the initiator
 * at NOISE_STEP_MSG1, the responder at MSG1 or MSG2. A late call (or a key
 * whose public key cannot be computed) wipes @hs and leaves it
 * NOISE_STEP_FAILED.
 */
void noise_handshake_set_ephemeral(struct noise_handshake *hs,
                                   const uint8_t e_priv[NOISE_DH_LEN]);

/*
 * Write the next handshake message carrying @payload into @out.
 * Returns 0 or one of: -EINVAL (wrong step for this role), -EMSGSIZE
 * (@out_cap too small or message over NOISE_MAX_MSG_LEN), -EPROTO (DH
 * produced an all-zero output).
 */
int noise_handshake_write(struct noise_handshake *hs,
                          const uint8_t *payload, size_t payload_len,
                          uint8_t *out, size_t out_cap, size_t *out_len);

/*
 * Read the next handshake message, decrypting its payload into @payload.
 * Returns 0 or one of: -EINVAL (wrong step), -EBADMSG (too short),
 * -EMSGSIZE (@payload_cap too small), -EBADMSG after an authentication
 * failure (state becomes NOISE_STEP_FAILED), -EPROTO (low-order point).
 */
int noise_handshake_read(struct noise_handshake *hs,
                         const uint8_t *msg, size_t msg_len,
                         uint8_t *payload, size_t payload_cap,
                         size_t *payload_len);

/*
 * After the last message: derive the two transport keys. @send is the key
 * this side encrypts with, @recv the one it decrypts with. Split wipes the
 * chaining key and the static private key and moves to NOISE_STEP_SPLIT:
 * noise_handshake_hash() and noise_handshake_remote_static() still work, a
 * second split does not. Returns 0 or -EINVAL when the handshake is not
 * complete (or already split).
 */
int noise_handshake_split(struct noise_handshake *hs,
                          uint8_t send[NOISE_KEY_LEN],
                          uint8_t recv[NOISE_KEY_LEN]);

/* The handshake hash h (valid after the last message). */
const uint8_t *noise_handshake_hash(const struct noise_handshake *hs);

/* The remote static public key (after the responder has read msg 1). */
const uint8_t *noise_handshake_remote_static(const struct noise_handshake *hs);

/* Wipe every secret in @hs. */
void noise_handshake_wipe(struct noise_handshake *hs);

/*
 * Transport AEAD with the Noise nonce layout (4 zero bytes || LE64(n) for
 * ChaChaPoly, || BE64(n) for AESGCM). @out must hold @len + NOISE_TAG_LEN
 * bytes for seal and @len - NOISE_TAG_LEN for open; in-place operation
 * (out == in) is allowed. noise_open returns 0 or -EBADMSG. AESGCM only
 * where noise_aead_available() says so.
 */
void noise_seal(enum noise_aead aead, const uint8_t key[NOISE_KEY_LEN], uint64_t n,
                const uint8_t *ad, size_t ad_len,
                const uint8_t *in, size_t len, uint8_t *out);
int noise_open(enum noise_aead aead, const uint8_t key[NOISE_KEY_LEN], uint64_t n,
               const uint8_t *ad, size_t ad_len,
               const uint8_t *in, size_t len, uint8_t *out);

/*
 * A transport key ready for per-packet use. For AESGCM the key schedule
 * and GHASH powers are expanded once by noise_key_init (libsodium's
 * one-shot call redoes them on every packet); ChaChaPoly keys need no
 * expansion. The state must be 16-byte aligned: struct noise_key is, if
 * the memory holding it is.
 */
enum { NOISE_AES_STATE_LEN = 512 };
struct noise_key {
    _Alignas(16) uint8_t aes[NOISE_AES_STATE_LEN];  /* crypto_aead_aes256gcm_state */
    uint8_t raw[NOISE_KEY_LEN];
    enum noise_aead aead;
};

/* Expands @k->raw for @aead. Returns 0, or -EINVAL for an unknown AEAD or
 * an AESGCM this CPU cannot run. */
int noise_key_init(struct noise_key *k, enum noise_aead aead);
/* noise_seal / noise_open with an expanded key. */
void noise_key_seal(const struct noise_key *k, uint64_t n, const uint8_t *ad, size_t ad_len,
                    const uint8_t *in, size_t len, uint8_t *out);
int noise_key_open(const struct noise_key *k, uint64_t n, const uint8_t *ad, size_t ad_len,
                   const uint8_t *in, size_t len, uint8_t *out);

/* X25519 public key of a private key. Returns 0 or -EINVAL. */
int noise_pubkey(uint8_t pub[NOISE_DH_LEN], const uint8_t priv[NOISE_DH_LEN]);

/* BLAKE2b-512 of the concatenation of two buffers (either may be empty). */
void noise_hash2(uint8_t out[NOISE_HASH_LEN],
                 const uint8_t *a, size_t a_len,
                 const uint8_t *b, size_t b_len);

/* HMAC-BLAKE2b (RFC 2104, block 128 bytes, output 64 bytes). */
void noise_hmac(uint8_t out[NOISE_HASH_LEN],
                const uint8_t *key, size_t key_len,
                const uint8_t *data, size_t data_len);

/*
 * Noise HKDF: derives two 64-byte outputs (three when @out3 is not NULL) from chaining
 * key @ck and input key material @ikm. @out1 may alias @ck (ck is consumed
 * before out1 is written; MixKey relies on it); nothing else may alias.
 */
void noise_hkdf(const uint8_t ck[NOISE_HASH_LEN],
                const uint8_t *ikm, size_t ikm_len,
                uint8_t out1[NOISE_HASH_LEN], uint8_t out2[NOISE_HASH_LEN],
                uint8_t *out3);

#endif
