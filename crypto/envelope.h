/* SPDX-License-Identifier: GPL-2.0-only */
#ifndef OVL_CRYPTO_ENVELOPE_H
#define OVL_CRYPTO_ENVELOPE_H

/*
 * DOC: envelope — the seal of a relayed ring message (pure)
 *
 * A ring message for a host we hold no link to travels hop by hop inside
 * a RELAY envelope (docs/inner-protocol.md). Its seal is ephemeral-static,
 * in the manner of Noise X (`-> e, es, s, ss`, the static key known to
 * the receiver from the header):
 *   es = X25519(e, dest),  ss = X25519(origin, dest),
 *   k  = BLAKE2b-256(personal "ovl-relay-v2", es || ss || E || origin || dest),
 * and ChaCha20-Poly1305 (IETF) under k with a zero nonce (k is used for
 * one message only), the header as associated data. So:
 *   - only the origin's key can seal what opens with the origin named
 *     (ss), and only the destination can open it (es, ss);
 *   - the direction is bound: swapped origin and destination give another
 *     es, so a relay cannot reflect A's envelope back to A as B's;
 *   - the endpoint and the timestamp in the header are authenticated;
 *   - the origin's static key alone no longer opens what it sent once e
 *     is gone (forward secrecy for the sender; the destination's key
 *     still opens it, as in Noise X);
 *   - replays are refused by env_replay: a timestamp window and a cache
 *     of the ephemeral keys seen in it.
 * No clock here: times come in (Unix ms, the origin's wall clock in the
 * header, ours for the window).
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum {
    ENV_KEY = 32,
    ENV_MAC = 16,
    ENV_REPLAY_MAX = 4096,              /* ephemeral keys remembered */
    ENV_PER_ORIGIN_MAX = 512,           /* of them from one origin, in one window */
};

#define ENV_WINDOW_MS (60ULL * 1000ULL)    /* accepted clock difference, either way */

/* @k from our ephemeral secret @e_priv (its public key goes in the header)
 * for @dest, with @ss = X25519(our static, dest) (env_ss). */
int env_key_origin(uint8_t k[ENV_KEY], const uint8_t e_priv[32], const uint8_t e_pub[32],
                   const uint8_t ss[32], const uint8_t origin[32], const uint8_t dest[32]);
/* @k as the destination: @my_priv is our static secret, @e_pub from the
 * header, @ss = X25519(our static, origin). -EINVAL for a low-order @e_pub. */
int env_key_dest(uint8_t k[ENV_KEY], const uint8_t my_priv[32], const uint8_t e_pub[32],
                 const uint8_t ss[32], const uint8_t origin[32], const uint8_t dest[32]);
/* X25519(@priv, @pub); -EINVAL for a low-order @pub. */
int env_ss(uint8_t ss[32], const uint8_t priv[32], const uint8_t pub[32]);

/* @out gets @len + ENV_MAC bytes. */
void env_seal(uint8_t *out, const uint8_t *plain, size_t len, const uint8_t *ad, size_t adlen,
              const uint8_t k[ENV_KEY]);
/* @out gets @len - ENV_MAC bytes. -EBADMSG if it does not open. */
int env_open(uint8_t *out, const uint8_t *sealed, size_t len, const uint8_t *ad, size_t adlen,
             const uint8_t k[ENV_KEY]);

struct env_replay {
    struct {
        uint8_t e[16];                  /* a prefix of the ephemeral key is enough */
        uint8_t origin[8];              /* a prefix of the origin's key: its quota */
        uint64_t ts;
    } seen[ENV_REPLAY_MAX];
    unsigned n, next;
    uint64_t floor;                     /* timestamps at or below: refused (evicted) */
};

enum env_verdict {
    ENV_FRESH = 0,
    ENV_STALE,                          /* outside the window, or below what was evicted */
    ENV_REPLAYED,                       /* this ephemeral key was seen */
    ENV_OVER_QUOTA,                     /* its origin has ENV_PER_ORIGIN_MAX in the window */
};

/* Is an envelope from @origin with @e_pub and timestamp @ts fresh at our
 * @now (ms)? ENV_FRESH only once per ephemeral key; it is remembered then.
 * Call it after the envelope opened, so a forger cannot fill the cache;
 * the quota per origin keeps one admitted host from filling it with its
 * own (the cache's floor would then refuse everybody's). */
enum env_verdict env_replay_check(struct env_replay *r, const uint8_t origin[32],
                                  const uint8_t e_pub[32], uint64_t ts, uint64_t now);

#endif
