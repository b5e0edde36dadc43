/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The seal of a relayed ring message: see envelope.h. Pure: libsodium
 * only, no clock, no randomness (the caller brings the ephemeral key).
 */
#include "crypto/envelope.h"

#include <errno.h>
#include <sodium.h>
#include <string.h>

_Static_assert(ENV_MAC == crypto_aead_chacha20poly1305_ietf_ABYTES, "one MAC size");

static const uint8_t env_personal[crypto_generichash_blake2b_PERSONALBYTES] = "ovl-relay-v2";

int env_ss(uint8_t ss[32], const uint8_t priv[32], const uint8_t pub[32])
{
    return crypto_scalarmult(ss, priv, pub) == 0 ? 0 : -EINVAL;
}

static void env_kdf(uint8_t k[ENV_KEY], const uint8_t es[32], const uint8_t ss[32],
                    const uint8_t e_pub[32], const uint8_t origin[32], const uint8_t dest[32])
{
    uint8_t in[5 * 32];

    memcpy(in, es, 32);
    memcpy(in + 32, ss, 32);
    memcpy(in + 64, e_pub, 32);
    memcpy(in + 96, origin, 32);
    memcpy(in + 128, dest, 32);
    crypto_generichash_blake2b_salt_personal(k, ENV_KEY, in, sizeof(in), NULL, 0, NULL,
                                             env_personal);
    sodium_memzero(in, sizeof(in));
}

/* X25519(@secret, @public) is es, whichever side computes it. */
static int env_key(uint8_t k[ENV_KEY], const uint8_t secret[32], const uint8_t public[32],
                   const uint8_t ss[32], const uint8_t e_pub[32], const uint8_t origin[32],
                   const uint8_t dest[32])
{
    uint8_t es[32];

    if (crypto_scalarmult(es, secret, public) != 0)
        return -EINVAL;
    env_kdf(k, es, ss, e_pub, origin, dest);
    sodium_memzero(es, sizeof(es));
    return 0;
}

int env_key_origin(uint8_t k[ENV_KEY], const uint8_t e_priv[32], const uint8_t e_pub[32],
                   const uint8_t ss[32], const uint8_t origin[32], const uint8_t dest[32])
{
    return env_key(k, e_priv, dest, ss, e_pub, origin, dest);
}

int env_key_dest(uint8_t k[ENV_KEY], const uint8_t my_priv[32], const uint8_t e_pub[32],
                 const uint8_t ss[32], const uint8_t origin[32], const uint8_t dest[32])
{
    return env_key(k, my_priv, e_pub, ss, e_pub, origin, dest);
}

void env_seal(uint8_t *out, const uint8_t *plain, size_t len, const uint8_t *ad, size_t adlen,
              const uint8_t k[ENV_KEY])
{
    static const uint8_t zero[crypto_aead_chacha20poly1305_ietf_NPUBBYTES];

    crypto_aead_chacha20poly1305_ietf_encrypt(out, NULL, plain, len, ad, adlen, NULL, zero, k);
}

int env_open(uint8_t *out, const uint8_t *sealed, size_t len, const uint8_t *ad, size_t adlen,
             const uint8_t k[ENV_KEY])
{
    static const uint8_t zero[crypto_aead_chacha20poly1305_ietf_NPUBBYTES];

    if (len < ENV_MAC ||
        crypto_aead_chacha20poly1305_ietf_decrypt(out, NULL, NULL, sealed, len, ad, adlen, zero,
                                                  k) != 0)
        return -EBADMSG;
    return 0;
}

enum env_verdict env_replay_check(struct env_replay *r, const uint8_t origin[32],
                                  const uint8_t e_pub[32], uint64_t ts, uint64_t now)
{
    unsigned slot, mine = 0;

    if (ts + ENV_WINDOW_MS < now || ts > now + ENV_WINDOW_MS || ts <= r->floor)
        return ENV_STALE;
    for (unsigned i = 0; i < r->n; i++) {
        if (memcmp(r->seen[i].e, e_pub, sizeof(r->seen[i].e)) == 0)
            return ENV_REPLAYED;
        mine += r->seen[i].ts + ENV_WINDOW_MS >= now &&
                memcmp(r->seen[i].origin, origin, sizeof(r->seen[i].origin)) == 0;
    }
    if (mine >= ENV_PER_ORIGIN_MAX)
        return ENV_OVER_QUOTA;
    /* Entries out of the window can go; when none has, the oldest goes
     * and nothing as old is taken any more. */
    for (slot = 0; slot < r->n; slot++)
        if (r->seen[slot].ts + ENV_WINDOW_MS < now)
            break;
    if (slot == r->n) {
        if (r->n < ENV_REPLAY_MAX) {
            r->n++;
        } else {
            slot = r->next;
            r->next = (r->next + 1) % ENV_REPLAY_MAX;
            if (r->seen[slot].ts > r->floor)
                r->floor = r->seen[slot].ts;
        }
    }
    memcpy(r->seen[slot].e, e_pub, sizeof(r->seen[slot].e));
    memcpy(r->seen[slot].origin, origin, sizeof(r->seen[slot].origin));
    r->seen[slot].ts = ts;
    return ENV_FRESH;
}
