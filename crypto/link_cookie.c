/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Cookies under load (docs/protocol.md 2.3): when a host counts more
 * initiations a second than its load limit, an initiation must carry the
 * mac2 its source address's cookie gives, or it gets a cookie reply and
 * no Diffie-Hellman. The initiator keeps the cookie for its retry.
 */
#include <string.h>

#include <sodium.h>

#include "crypto/link_internal.h"

/* A cookie is good for as long as the responder keeps its secret. */
const uint8_t *link_cookie_for(const struct link_peer *peer, uint64_t now)
{
    return peer->has_cookie && now - peer->cookie_at < COOKIE_SECRET_MAX_AGE ? peer->cookie : NULL;
}

bool link_cookie_under_load(struct link_host *host, uint64_t now)
{
    if (!host->load_limit)
        return false;
    if (now - host->load_window >= LINK_LOAD_WINDOW || now < host->load_window) {
        host->load_window = now;
        host->load_count = 0;
    }
    if (host->load_count < UINT32_MAX)
        host->load_count++;
    return host->load_count > host->load_limit;
}

static void link_cookie_secret(struct link_host *host, uint64_t now)
{
    if (host->has_cookie_secret && now - host->cookie_secret_at < COOKIE_SECRET_MAX_AGE)
        return;
    host->hooks.random(host->hooks.ctx, host->cookie_secret, LINK_KEY_LEN);
    host->cookie_secret_at = now;
    host->has_cookie_secret = true;
}

/*
 * Under load: 0 if the initiation's mac2 is the one @src's cookie gives,
 * else a cookie reply to @src (sealed to the initiator's mac1, so only the
 * host that sent that initiation can open it) and LINK_DROP_COOKIE. Costs
 * two BLAKE2b and one XChaCha20-Poly1305 seal, no Diffie-Hellman.
 */
int link_cookie_check(struct link_host *host, uint64_t now, const uint8_t *pkt, size_t len,
                      const void *src, size_t src_len)
{
    uint8_t cookie[LINK_COOKIE_LEN], reply[LINK_COOKIE_REPLY_LEN];
    const uint8_t *mac1 = pkt + len - 2 * LINK_MAC_LEN;
    bool ok;

    link_cookie_secret(host, now);
    link_cookie(cookie, host->cookie_secret, src, src_len);
    ok = link_mac2_ok(cookie, pkt, len);
    if (!ok && host->hooks.send_to) {
        link_put_header(reply, LINK_MSG_COOKIE);
        memcpy(reply + 4, pkt + 4, 4);          /* the initiation's sender index */
        host->hooks.random(host->hooks.ctx, reply + 8, LINK_COOKIE_NONCE_LEN);
        crypto_aead_xchacha20poly1305_ietf_encrypt(reply + 8 + LINK_COOKIE_NONCE_LEN, NULL,
                                                   cookie, LINK_COOKIE_LEN, mac1, LINK_MAC_LEN,
                                                   NULL, reply + 8, host->cookie_key);
        host->hooks.send_to(host->hooks.ctx, src, src_len, reply, sizeof(reply));
        host->counters.cookies_sent++;
    }
    sodium_memzero(cookie, sizeof(cookie));
    return ok ? 0 : LINK_DROP_COOKIE;
}

int link_cookie_take(struct link_host *host, uint64_t now, const uint8_t *pkt, size_t len)
{
    struct link_index_entry *e;
    struct link_peer *peer;
    uint8_t cookie[LINK_COOKIE_LEN];

    if (len != LINK_COOKIE_REPLY_LEN)
        return LINK_DROP_MALFORMED;
    e = link_index_lookup(&host->idx, link_get_le32(pkt + 4));
    if (!e || e->kind != LINK_IDX_HANDSHAKE)
        return LINK_DROP_UNKNOWN_PEER;
    peer = e->peer;
    if (!peer->sent_mac1 ||
        crypto_aead_xchacha20poly1305_ietf_decrypt(cookie, NULL, NULL,
                                                   pkt + 8 + LINK_COOKIE_NONCE_LEN,
                                                   len - 8 - LINK_COOKIE_NONCE_LEN,
                                                   peer->last_mac1, LINK_MAC_LEN, pkt + 8,
                                                   peer->cookie_key) != 0)
        return LINK_DROP_AUTH;
    /* Used by the retry, REKEY_TIMEOUT after the initiation: sending at
     * once would let a cookie reply trigger a send. */
    memcpy(peer->cookie, cookie, LINK_COOKIE_LEN);
    peer->cookie_at = now;
    peer->has_cookie = true;
    sodium_memzero(cookie, sizeof(cookie));
    return 0;
}
