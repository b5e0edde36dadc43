/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Noise_IK_25519_{ChaChaPoly,AESGCM}_BLAKE2b (+ psk0/psk1/psk2), Noise spec rev 34.
 * The section numbers in comments refer to that revision.
 */
#include "crypto/noise.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <sodium.h>

/* Constants fixed by the Noise spec and by RFC 2104 for BLAKE2b. */
enum noise_spec {
    NOISE_BLOCKLEN = 128,          /* BLAKE2b block: HMAC pad length */
    NOISE_NONCE_LEN = 12,          /* 4 zero bytes || 64-bit n (LE: ChaChaPoly, BE: AESGCM) */
    NOISE_NAME_MAX = 48,
    NOISE_HMAC_IPAD = 0x36,
    NOISE_HMAC_OPAD = 0x5c,
};

static const char *const NOISE_AEAD_NAME[2] = { "ChaChaPoly", "AESGCM" };

bool noise_aead_available(enum noise_aead aead)
{
    if (aead == NOISE_AEAD_CHACHAPOLY)
        return true;
    /* sodium_init() detects the CPU features the check reads. */
    return aead == NOISE_AEAD_AESGCM && sodium_init() >= 0 &&
           crypto_aead_aes256gcm_is_available();
}

const char *noise_aead_name(enum noise_aead aead)
{
    return aead == NOISE_AEAD_AESGCM ? NOISE_AEAD_NAME[1] : NOISE_AEAD_NAME[0];
}

/* ------------------------------------------------------------------ */
/* Primitives (section 12)                                             */

void noise_hash2(uint8_t out[NOISE_HASH_LEN],
                 const uint8_t *a, size_t a_len,
                 const uint8_t *b, size_t b_len)
{
    crypto_generichash_state st;

    crypto_generichash_init(&st, NULL, 0, NOISE_HASH_LEN);
    if (a_len)
        crypto_generichash_update(&st, a, a_len);
    if (b_len)
        crypto_generichash_update(&st, b, b_len);
    crypto_generichash_final(&st, out, NOISE_HASH_LEN);
    sodium_memzero(&st, sizeof(st));
}

/*
 * RFC 2104 over BLAKE2b. libsodium's keyed BLAKE2b is a different MAC, so
 * the Noise HKDF (which is defined over HMAC-HASH) needs this by hand.
 */
void noise_hmac(uint8_t out[NOISE_HASH_LEN],
                const uint8_t *key, size_t key_len,
                const uint8_t *data, size_t data_len)
{
    uint8_t k[NOISE_BLOCKLEN] = { 0 };
    uint8_t pad[NOISE_BLOCKLEN];
    uint8_t inner[NOISE_HASH_LEN];

    if (key_len > NOISE_BLOCKLEN)
        noise_hash2(k, key, key_len, NULL, 0);
    else if (key_len)
        memcpy(k, key, key_len);

    for (size_t i = 0; i < NOISE_BLOCKLEN; i++)
        pad[i] = k[i] ^ NOISE_HMAC_IPAD;
    noise_hash2(inner, pad, sizeof(pad), data, data_len);

    for (size_t i = 0; i < NOISE_BLOCKLEN; i++)
        pad[i] = k[i] ^ NOISE_HMAC_OPAD;
    noise_hash2(out, pad, sizeof(pad), inner, sizeof(inner));

    sodium_memzero(k, sizeof(k));
    sodium_memzero(pad, sizeof(pad));
    sodium_memzero(inner, sizeof(inner));
}

/* Section 4.3: HKDF with the chaining key as HMAC key. */
void noise_hkdf(const uint8_t ck[NOISE_HASH_LEN],
                const uint8_t *ikm, size_t ikm_len,
                uint8_t out1[NOISE_HASH_LEN], uint8_t out2[NOISE_HASH_LEN],
                uint8_t *out3)
{
    uint8_t temp[NOISE_HASH_LEN];
    uint8_t buf[NOISE_HASH_LEN + 1];

    noise_hmac(temp, ck, NOISE_HASH_LEN, ikm, ikm_len);

    buf[0] = 0x01;
    noise_hmac(out1, temp, sizeof(temp), buf, 1);

    memcpy(buf, out1, NOISE_HASH_LEN);
    buf[NOISE_HASH_LEN] = 0x02;
    noise_hmac(out2, temp, sizeof(temp), buf, sizeof(buf));

    if (out3) {
        memcpy(buf, out2, NOISE_HASH_LEN);
        buf[NOISE_HASH_LEN] = 0x03;
        noise_hmac(out3, temp, sizeof(temp), buf, sizeof(buf));
    }
    sodium_memzero(temp, sizeof(temp));
    sodium_memzero(buf, sizeof(buf));
}

/* Section 12.3 and 12.4: the counter is little-endian for ChaChaPoly,
 * big-endian for AESGCM. */
static void noise_nonce(uint8_t nonce[NOISE_NONCE_LEN], enum noise_aead aead, uint64_t n)
{
    memset(nonce, 0, 4);
    for (int i = 0; i < 8; i++)
        nonce[aead == NOISE_AEAD_AESGCM ? 11 - i : 4 + i] = (uint8_t)(n >> (8 * i));
}

void noise_seal(enum noise_aead aead, const uint8_t key[NOISE_KEY_LEN], uint64_t n,
                const uint8_t *ad, size_t ad_len,
                const uint8_t *in, size_t len, uint8_t *out)
{
    uint8_t nonce[NOISE_NONCE_LEN];

    noise_nonce(nonce, aead, n);
    if (aead == NOISE_AEAD_AESGCM)
        crypto_aead_aes256gcm_encrypt(out, NULL, in, len, ad, ad_len, NULL, nonce, key);
    else
        crypto_aead_chacha20poly1305_ietf_encrypt(out, NULL, in, len, ad, ad_len,
                                                  NULL, nonce, key);
}

int noise_open(enum noise_aead aead, const uint8_t key[NOISE_KEY_LEN], uint64_t n,
               const uint8_t *ad, size_t ad_len,
               const uint8_t *in, size_t len, uint8_t *out)
{
    uint8_t nonce[NOISE_NONCE_LEN];
    int r;

    if (len < NOISE_TAG_LEN)
        return -EBADMSG;
    noise_nonce(nonce, aead, n);
    if (aead == NOISE_AEAD_AESGCM)
        r = crypto_aead_aes256gcm_decrypt(out, NULL, NULL, in, len, ad, ad_len, nonce, key);
    else
        r = crypto_aead_chacha20poly1305_ietf_decrypt(out, NULL, NULL, in, len,
                                                      ad, ad_len, nonce, key);
    return r == 0 ? 0 : -EBADMSG;
}

_Static_assert(sizeof(crypto_aead_aes256gcm_state) <= NOISE_AES_STATE_LEN,
               "struct noise_key cannot hold libsodium's AES-GCM state");

int noise_key_init(struct noise_key *k, enum noise_aead aead)
{
    k->aead = aead;
    if (aead == NOISE_AEAD_CHACHAPOLY)
        return 0;
    if (!noise_aead_available(aead))
        return -EINVAL;
    crypto_aead_aes256gcm_beforenm((crypto_aead_aes256gcm_state *)(void *)k->aes, k->raw);
    return 0;
}

void noise_key_seal(const struct noise_key *k, uint64_t n, const uint8_t *ad, size_t ad_len,
                    const uint8_t *in, size_t len, uint8_t *out)
{
    uint8_t nonce[NOISE_NONCE_LEN];

    if (k->aead != NOISE_AEAD_AESGCM) {
        noise_seal(k->aead, k->raw, n, ad, ad_len, in, len, out);
        return;
    }
    noise_nonce(nonce, k->aead, n);
    crypto_aead_aes256gcm_encrypt_afternm(out, NULL, in, len, ad, ad_len, NULL, nonce,
                                          (const crypto_aead_aes256gcm_state *)(const void *)k->aes);
}

int noise_key_open(const struct noise_key *k, uint64_t n, const uint8_t *ad, size_t ad_len,
                   const uint8_t *in, size_t len, uint8_t *out)
{
    uint8_t nonce[NOISE_NONCE_LEN];

    if (k->aead != NOISE_AEAD_AESGCM)
        return noise_open(k->aead, k->raw, n, ad, ad_len, in, len, out);
    if (len < NOISE_TAG_LEN)
        return -EBADMSG;
    noise_nonce(nonce, k->aead, n);
    return crypto_aead_aes256gcm_decrypt_afternm(out, NULL, NULL, in, len, ad, ad_len, nonce,
                                                 (const crypto_aead_aes256gcm_state *)(const void *)k->aes)
               ? -EBADMSG : 0;
}

int noise_pubkey(uint8_t pub[NOISE_DH_LEN], const uint8_t priv[NOISE_DH_LEN])
{
    if (crypto_scalarmult_base(pub, priv) != 0)
        return -EINVAL;
    return 0;
}

/*
 * DH() of section 12.1. An all-zero result means the peer's point has
 * small order: refusing it keeps a malicious peer from forcing a known
 * shared secret (libsodium already returns -1 then; we check again).
 */
static int noise_dh(uint8_t out[NOISE_DH_LEN], const uint8_t priv[NOISE_DH_LEN],
                    const uint8_t pub[NOISE_DH_LEN])
{
    if (crypto_scalarmult(out, priv, pub) != 0 || sodium_is_zero(out, NOISE_DH_LEN)) {
        sodium_memzero(out, NOISE_DH_LEN);
        return -EPROTO;
    }
    return 0;
}

/* ------------------------------------------------------------------ */
/* SymmetricState (section 5.2)                                        */

static void sym_mix_hash(struct noise_symmetric *sym, const uint8_t *data, size_t len)
{
    noise_hash2(sym->h, sym->h, NOISE_HASH_LEN, data, len);
}

static void sym_set_key(struct noise_symmetric *sym, const uint8_t *temp_k)
{
    /* HASHLEN 64 > 32: the key is truncated to 32 bytes (section 5.2). */
    memcpy(sym->cs.k, temp_k, NOISE_KEY_LEN);
    sym->cs.n = 0;
    sym->cs.has_key = true;
}

static void sym_mix_key(struct noise_symmetric *sym, const uint8_t *ikm, size_t len)
{
    uint8_t temp_k[NOISE_HASH_LEN];

    noise_hkdf(sym->ck, ikm, len, sym->ck, temp_k, NULL);
    sym_set_key(sym, temp_k);
    sodium_memzero(temp_k, sizeof(temp_k));
}

static void sym_mix_key_and_hash(struct noise_symmetric *sym, const uint8_t *ikm, size_t len)
{
    uint8_t temp_h[NOISE_HASH_LEN], temp_k[NOISE_HASH_LEN];

    noise_hkdf(sym->ck, ikm, len, sym->ck, temp_h, temp_k);
    sym_mix_hash(sym, temp_h, sizeof(temp_h));
    sym_set_key(sym, temp_k);
    sodium_memzero(temp_h, sizeof(temp_h));
    sodium_memzero(temp_k, sizeof(temp_k));
}

/* Writes len (+ NOISE_TAG_LEN when keyed) bytes to out. */
static size_t sym_encrypt_and_hash(struct noise_symmetric *sym, const uint8_t *in,
                                   size_t len, uint8_t *out)
{
    size_t out_len = len;

    if (sym->cs.has_key) {
        noise_seal(sym->aead, sym->cs.k, sym->cs.n++, sym->h, NOISE_HASH_LEN, in, len, out);
        out_len += NOISE_TAG_LEN;
    } else if (len) {
        memmove(out, in, len);
    }
    sym_mix_hash(sym, out, out_len);
    return out_len;
}

/*
 * h must absorb the ciphertext, which @out may overwrite when the caller
 * decrypts in place; so the next h is computed before decrypting.
 */
static int sym_decrypt_and_hash(struct noise_symmetric *sym, const uint8_t *in,
                                size_t len, uint8_t *out)
{
    uint8_t next_h[NOISE_HASH_LEN];
    int r = 0;

    noise_hash2(next_h, sym->h, NOISE_HASH_LEN, in, len);
    if (sym->cs.has_key) {
        r = noise_open(sym->aead, sym->cs.k, sym->cs.n, sym->h, NOISE_HASH_LEN, in, len, out);
        if (r == 0)
            sym->cs.n++;
        else if (len >= NOISE_TAG_LEN)
            sodium_memzero(out, len - NOISE_TAG_LEN);
    } else if (len) {
        memmove(out, in, len);
    }
    if (r == 0)
        memcpy(sym->h, next_h, NOISE_HASH_LEN);
    sodium_memzero(next_h, sizeof(next_h));
    return r;
}

/* ------------------------------------------------------------------ */
/* HandshakeState (section 5.3) for IK                                 */

/* A failed handshake is never resumed, so its secrets can go right away. */
static int hs_fail(struct noise_handshake *hs, int err)
{
    enum noise_role role = hs->role;

    noise_handshake_wipe(hs);
    hs->role = role;
    return err;
}

/*
 * After the last message only ck (for split) and h (channel binding) are
 * still needed; dropping the ephemeral and handshake cipher key early keeps
 * forward secrecy even if the caller is slow to wipe.
 */
static void hs_advance(struct noise_handshake *hs)
{
    if (hs->step == NOISE_STEP_MSG1) {
        hs->step = NOISE_STEP_MSG2;
        return;
    }
    hs->step = NOISE_STEP_DONE;
    sodium_memzero(hs->e_priv, sizeof(hs->e_priv));
    sodium_memzero(&hs->sym.cs, sizeof(hs->sym.cs));
    sodium_memzero(hs->psk, sizeof(hs->psk));
}

int noise_handshake_init(struct noise_handshake *hs, enum noise_role role,
                         const uint8_t *prologue, size_t prologue_len,
                         const uint8_t s_priv[NOISE_DH_LEN],
                         const uint8_t *rs_pub,
                         const uint8_t *psk, int psk_pos, enum noise_aead aead)
{
    uint8_t s_pub[NOISE_DH_LEN];

    if (!s_priv || sodium_init() < 0 || noise_pubkey(s_pub, s_priv) != 0) {
        memset(hs, 0, sizeof(*hs));
        hs->step = NOISE_STEP_FAILED;
        hs->psk_pos = -1;
        return -EINVAL;
    }
    return noise_handshake_init_pub(hs, role, prologue, prologue_len, s_priv, s_pub, rs_pub,
                                    psk, psk_pos, aead);
}

int noise_handshake_init_pub(struct noise_handshake *hs, enum noise_role role,
                             const uint8_t *prologue, size_t prologue_len,
                             const uint8_t s_priv[NOISE_DH_LEN],
                             const uint8_t s_pub[NOISE_DH_LEN],
                             const uint8_t *rs_pub,
                             const uint8_t *psk, int psk_pos, enum noise_aead aead)
{
    char name[NOISE_NAME_MAX];
    size_t name_len;
    uint8_t dh[NOISE_DH_LEN];

    memset(hs, 0, sizeof(*hs));
    hs->step = NOISE_STEP_FAILED;
    hs->psk_pos = -1;
    /* Idempotent; makes randombytes_buf() safe even if the caller forgot. */
    if (sodium_init() < 0)
        return -EINVAL;
    if (role != NOISE_INITIATOR && role != NOISE_RESPONDER)
        return -EINVAL;
    if (psk_pos < -1 || psk_pos > 2 || (psk_pos >= 0 && !psk) || !s_priv || !s_pub)
        return -EINVAL;
    if (role == NOISE_INITIATOR && !rs_pub)
        return -EINVAL;
    if (prologue_len && !prologue)
        return -EINVAL;
    if (aead != NOISE_AEAD_CHACHAPOLY && aead != NOISE_AEAD_AESGCM)
        return -EINVAL;
    if (!noise_aead_available(aead))
        return -ENOTSUP;

    hs->role = role;
    hs->sym.aead = aead;
    memcpy(hs->s_priv, s_priv, NOISE_DH_LEN);
    memcpy(hs->s_pub, s_pub, NOISE_DH_LEN);
    if (role == NOISE_INITIATOR) {
        /* Refuse a low-order responder key now rather than at "ss". */
        if (noise_dh(dh, s_priv, rs_pub) != 0) {
            noise_handshake_wipe(hs);
            return -EINVAL;
        }
        sodium_memzero(dh, sizeof(dh));
        memcpy(hs->rs, rs_pub, NOISE_DH_LEN);
        hs->rs_set = true;
    }
    hs->psk_pos = psk_pos;
    if (psk_pos >= 0)
        memcpy(hs->psk, psk, NOISE_KEY_LEN);

    /* InitializeSymmetric: names up to HASHLEN are zero-padded, not hashed. */
    if (psk_pos >= 0)
        snprintf(name, sizeof(name), "Noise_IKpsk%d_25519_%s_BLAKE2b", psk_pos,
                 noise_aead_name(aead));
    else
        snprintf(name, sizeof(name), "Noise_IK_25519_%s_BLAKE2b", noise_aead_name(aead));
    /* Every such name is shorter than HASHLEN: zero-padded, never hashed. */
    name_len = strlen(name);
    memcpy(hs->sym.h, name, name_len);
    memcpy(hs->sym.ck, hs->sym.h, NOISE_HASH_LEN);
    sym_mix_hash(&hs->sym, prologue, prologue_len);

    /* Pre-message "<- s": the responder's static key. */
    sym_mix_hash(&hs->sym, role == NOISE_INITIATOR ? hs->rs : hs->s_pub, NOISE_DH_LEN);
    hs->step = NOISE_STEP_MSG1;
    return 0;
}

/*
 * Replacing an ephemeral that a sent message already committed to would
 * silently desynchronise the two sides (and reuse key material), so a late
 * call fails the handshake instead.
 */
void noise_handshake_set_ephemeral(struct noise_handshake *hs,
                                   const uint8_t e_priv[NOISE_DH_LEN])
{
    bool unused = hs->step == NOISE_STEP_MSG1 ||
                  (hs->step == NOISE_STEP_MSG2 && hs->role == NOISE_RESPONDER);

    if (!unused || !e_priv) {
        hs_fail(hs, -EINVAL);
        return;
    }
    memcpy(hs->e_priv, e_priv, NOISE_DH_LEN);
    if (noise_pubkey(hs->e_pub, e_priv) != 0) {
        hs_fail(hs, -EINVAL);
        return;
    }
    hs->e_set = true;
}

static int hs_ensure_ephemeral(struct noise_handshake *hs)
{
    if (hs->e_set)
        return 0;
    randombytes_buf(hs->e_priv, NOISE_DH_LEN);
    if (noise_pubkey(hs->e_pub, hs->e_priv) != 0)
        return -EPROTO;
    hs->e_set = true;
    return 0;
}

/* Token "e" when writing; with a PSK, e also feeds the key (section 9.2). */
static void hs_mix_e(struct noise_handshake *hs, const uint8_t e_pub[NOISE_DH_LEN])
{
    sym_mix_hash(&hs->sym, e_pub, NOISE_DH_LEN);
    if (hs->psk_pos >= 0)
        sym_mix_key(&hs->sym, e_pub, NOISE_DH_LEN);
}

static int hs_mix_dh(struct noise_handshake *hs, const uint8_t *priv, const uint8_t *pub)
{
    uint8_t dh[NOISE_DH_LEN];

    if (noise_dh(dh, priv, pub) != 0)
        return -EPROTO;
    sym_mix_key(&hs->sym, dh, sizeof(dh));
    sodium_memzero(dh, sizeof(dh));
    return 0;
}

static void hs_psk_if(struct noise_handshake *hs, int pos)
{
    if (hs->psk_pos == pos)
        sym_mix_key_and_hash(&hs->sym, hs->psk, NOISE_KEY_LEN);
}

/* -> e, es, s, ss  [psk0 before, psk1 after] */
static int hs_write_msg1(struct noise_handshake *hs, const uint8_t *payload,
                         size_t payload_len, uint8_t *out, size_t *out_len)
{
    size_t off = 0;

    hs_psk_if(hs, 0);
    if (hs_ensure_ephemeral(hs) != 0)
        return -EPROTO;
    memcpy(out, hs->e_pub, NOISE_DH_LEN);
    off += NOISE_DH_LEN;
    hs_mix_e(hs, hs->e_pub);
    if (hs_mix_dh(hs, hs->e_priv, hs->rs) != 0)
        return -EPROTO;
    off += sym_encrypt_and_hash(&hs->sym, hs->s_pub, NOISE_DH_LEN, out + off);
    if (hs_mix_dh(hs, hs->s_priv, hs->rs) != 0)
        return -EPROTO;
    hs_psk_if(hs, 1);
    off += sym_encrypt_and_hash(&hs->sym, payload, payload_len, out + off);
    *out_len = off;
    return 0;
}

/* <- e, ee, se  [psk2 after] */
static int hs_write_msg2(struct noise_handshake *hs, const uint8_t *payload,
                         size_t payload_len, uint8_t *out, size_t *out_len)
{
    size_t off = 0;

    if (hs_ensure_ephemeral(hs) != 0)
        return -EPROTO;
    memcpy(out, hs->e_pub, NOISE_DH_LEN);
    off += NOISE_DH_LEN;
    hs_mix_e(hs, hs->e_pub);
    if (hs_mix_dh(hs, hs->e_priv, hs->re) != 0 ||
        hs_mix_dh(hs, hs->e_priv, hs->rs) != 0)
        return -EPROTO;
    hs_psk_if(hs, 2);
    off += sym_encrypt_and_hash(&hs->sym, payload, payload_len, out + off);
    *out_len = off;
    return 0;
}

int noise_handshake_write(struct noise_handshake *hs,
                          const uint8_t *payload, size_t payload_len,
                          uint8_t *out, size_t out_cap, size_t *out_len)
{
    size_t need;
    int r;

    if (!out_len || (payload_len && !payload))
        return hs_fail(hs, -EINVAL);
    if (hs->role == NOISE_INITIATOR && hs->step == NOISE_STEP_MSG1)
        need = NOISE_IK_MSG1_LEN + payload_len;
    else if (hs->role == NOISE_RESPONDER && hs->step == NOISE_STEP_MSG2)
        need = NOISE_IK_MSG2_LEN + payload_len;
    else
        return hs_fail(hs, -EINVAL);
    if (payload_len > NOISE_MAX_MSG_LEN || need > NOISE_MAX_MSG_LEN || out_cap < need || !out)
        return hs_fail(hs, -EMSGSIZE);

    if (hs->step == NOISE_STEP_MSG1)
        r = hs_write_msg1(hs, payload, payload_len, out, out_len);
    else
        r = hs_write_msg2(hs, payload, payload_len, out, out_len);
    if (r != 0) {
        sodium_memzero(out, need);
        return hs_fail(hs, r);
    }
    hs_advance(hs);
    return 0;
}

static int hs_read_msg1(struct noise_handshake *hs, const uint8_t *msg, size_t msg_len,
                        uint8_t *payload, size_t *payload_len)
{
    size_t off = 0;
    int r;

    hs_psk_if(hs, 0);
    memcpy(hs->re, msg, NOISE_DH_LEN);
    off += NOISE_DH_LEN;
    hs_mix_e(hs, hs->re);
    if ((r = hs_mix_dh(hs, hs->s_priv, hs->re)) != 0)
        return r;
    if ((r = sym_decrypt_and_hash(&hs->sym, msg + off, NOISE_DH_LEN + NOISE_TAG_LEN, hs->rs)) != 0)
        return r;
    off += NOISE_DH_LEN + NOISE_TAG_LEN;
    hs->rs_set = true;
    if ((r = hs_mix_dh(hs, hs->s_priv, hs->rs)) != 0)
        return r;
    hs_psk_if(hs, 1);
    if ((r = sym_decrypt_and_hash(&hs->sym, msg + off, msg_len - off, payload)) != 0)
        return r;
    *payload_len = msg_len - off - NOISE_TAG_LEN;
    return 0;
}

static int hs_read_msg2(struct noise_handshake *hs, const uint8_t *msg, size_t msg_len,
                        uint8_t *payload, size_t *payload_len)
{
    size_t off = 0;
    int r;

    memcpy(hs->re, msg, NOISE_DH_LEN);
    off += NOISE_DH_LEN;
    hs_mix_e(hs, hs->re);
    if ((r = hs_mix_dh(hs, hs->e_priv, hs->re)) != 0 ||
        (r = hs_mix_dh(hs, hs->s_priv, hs->re)) != 0)
        return r;
    hs_psk_if(hs, 2);
    if ((r = sym_decrypt_and_hash(&hs->sym, msg + off, msg_len - off, payload)) != 0)
        return r;
    *payload_len = msg_len - off - NOISE_TAG_LEN;
    return 0;
}

int noise_handshake_read(struct noise_handshake *hs,
                         const uint8_t *msg, size_t msg_len,
                         uint8_t *payload, size_t payload_cap,
                         size_t *payload_len)
{
    size_t min;
    int r;

    if (!payload_len || (msg_len && !msg))
        return hs_fail(hs, -EINVAL);
    if (hs->role == NOISE_RESPONDER && hs->step == NOISE_STEP_MSG1)
        min = NOISE_IK_MSG1_LEN;
    else if (hs->role == NOISE_INITIATOR && hs->step == NOISE_STEP_MSG2)
        min = NOISE_IK_MSG2_LEN;
    else
        return hs_fail(hs, -EINVAL);
    if (msg_len < min || msg_len > NOISE_MAX_MSG_LEN)
        return hs_fail(hs, -EBADMSG);
    if (payload_cap < msg_len - min || (msg_len > min && !payload))
        return hs_fail(hs, -EMSGSIZE);

    /* Every IK message ends with an encrypted payload (a key is set by then). */
    if (hs->step == NOISE_STEP_MSG1)
        r = hs_read_msg1(hs, msg, msg_len, payload, payload_len);
    else
        r = hs_read_msg2(hs, msg, msg_len, payload, payload_len);
    if (r != 0) {
        if (msg_len > min)
            sodium_memzero(payload, msg_len - min);
        return hs_fail(hs, r);
    }
    hs_advance(hs);
    return 0;
}

int noise_handshake_split(struct noise_handshake *hs,
                          uint8_t send[NOISE_KEY_LEN],
                          uint8_t recv[NOISE_KEY_LEN])
{
    uint8_t k1[NOISE_HASH_LEN], k2[NOISE_HASH_LEN];

    if (hs->step != NOISE_STEP_DONE || !send || !recv)
        return hs_fail(hs, -EINVAL);
    noise_hkdf(hs->sym.ck, NULL, 0, k1, k2, NULL);
    /* k1 protects initiator -> responder traffic. */
    memcpy(send, hs->role == NOISE_INITIATOR ? k1 : k2, NOISE_KEY_LEN);
    memcpy(recv, hs->role == NOISE_INITIATOR ? k2 : k1, NOISE_KEY_LEN);
    sodium_memzero(k1, sizeof(k1));
    sodium_memzero(k2, sizeof(k2));
    /*
     * ck would let anyone reading this state later rederive both transport
     * keys, and s_priv is no longer needed: keep only h and rs (public).
     */
    sodium_memzero(hs->sym.ck, sizeof(hs->sym.ck));
    sodium_memzero(hs->s_priv, sizeof(hs->s_priv));
    hs->step = NOISE_STEP_SPLIT;
    return 0;
}

const uint8_t *noise_handshake_hash(const struct noise_handshake *hs)
{
    return hs->sym.h;
}

const uint8_t *noise_handshake_remote_static(const struct noise_handshake *hs)
{
    return hs->rs_set ? hs->rs : NULL;
}

void noise_handshake_wipe(struct noise_handshake *hs)
{
    sodium_memzero(hs, sizeof(*hs));
    /* A wiped state must not look like a fresh one. */
    hs->step = NOISE_STEP_FAILED;
    hs->psk_pos = -1;
}
