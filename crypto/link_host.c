/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Lifecycle of link hosts and peers, accessors and the timer entry points
 * (the timer policy itself is in timers.c).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "crypto/link.h"
#include "crypto/link_internal.h"

enum { LINK_PAYLOAD_SCRATCH = LINK_TAI64N_LEN + LINK_MAX_HANDSHAKE_PAYLOAD };

int link_host_new(struct link_host **out, const uint8_t priv[LINK_KEY_LEN],
                  const struct link_hooks *hooks, uint64_t wall_offset_ns)
{
    struct link_host *host;

    *out = NULL;
    if (!hooks || !hooks->random || !hooks->send || !priv)
        return -EINVAL;
    if (sodium_init() < 0)
        return -ENOMEM;
    host = calloc(1, sizeof(*host));
    if (!host)
        return -ENOMEM;
    host->hooks = *hooks;
    host->wall_offset_ns = wall_offset_ns;
    host->priv = sodium_malloc(LINK_KEY_LEN);
    host->scratch_hs = sodium_malloc(sizeof(*host->scratch_hs));
    host->scratch_payload = sodium_malloc(LINK_PAYLOAD_SCRATCH);
    host->pktbuf = malloc(LINK_MAX_PACKET);
    /* 64 keypairs or handshakes to a chunk: about 16 KiB of locked pages
     * serve 20 peers' current, previous and next keypairs. */
    secpool_init(&host->kp_pool, sizeof(struct link_keypair), LINK_POOL_CHUNK);
    secpool_init(&host->hs_pool, sizeof(struct link_handshake), LINK_POOL_CHUNK);
    if (!host->priv || !host->scratch_hs || !host->scratch_payload || !host->pktbuf ||
        link_index_init(&host->idx)) {
        link_host_free(host);
        return -ENOMEM;
    }
    memcpy(host->priv, priv, LINK_KEY_LEN);
    if (noise_pubkey(host->pub, host->priv)) {
        link_host_free(host);
        return -EINVAL;
    }
    link_mac1_key(host->mac1_key, host->pub);
    link_cookie_key(host->cookie_key, host->pub);
    host->load_limit = LINK_LOAD_INITIATIONS;
    *out = host;
    return 0;
}

void link_host_free(struct link_host *host)
{
    if (!host)
        return;
    while (host->peers)
        link_peer_free(host->peers);
    link_frag_free(host);
    secpool_destroy(&host->kp_pool);
    secpool_destroy(&host->hs_pool);
    if (host->priv) {
        sodium_memzero(host->priv, LINK_KEY_LEN);
        sodium_free(host->priv);
    }
    if (host->scratch_hs) {
        sodium_memzero(host->scratch_hs, sizeof(*host->scratch_hs));
        sodium_free(host->scratch_hs);
    }
    if (host->scratch_payload) {
        sodium_memzero(host->scratch_payload, LINK_PAYLOAD_SCRATCH);
        sodium_free(host->scratch_payload);
    }
    if (host->pktbuf) {
        sodium_memzero(host->pktbuf, LINK_MAX_PACKET);
        free(host->pktbuf);
    }
    sodium_memzero(host->cookie_secret, sizeof(host->cookie_secret));
    if (host->idx.slots)
        link_index_free(&host->idx);
    sodium_memzero(host, sizeof(*host));
    free(host);
}

const uint8_t *link_host_pubkey(const struct link_host *host)
{
    return host->pub;
}

const struct link_counters *link_host_counters(const struct link_host *host)
{
    return &host->counters;
}

int link_peer_new(struct link_host *host, const uint8_t pub[LINK_KEY_LEN],
                  void *user, struct link_peer **out)
{
    struct link_peer *peer;

    if (out)
        *out = NULL;
    if (!sodium_memcmp(pub, host->pub, LINK_KEY_LEN))
        return -EINVAL;
    if (link_peer_find(host, pub))
        return -EEXIST;
    peer = calloc(1, sizeof(*peer));
    if (!peer)
        return -ENOMEM;
    peer->host = host;
    peer->user = user;
    memcpy(peer->pub, pub, LINK_KEY_LEN);
    link_mac1_key(peer->mac1_key, pub);
    link_cookie_key(peer->cookie_key, pub);
    peer->reported = LINK_DOWN;
    peer->next = host->peers;
    if (host->peers)
        host->peers->prev = peer;
    host->peers = peer;
    if (out)
        *out = peer;
    return 0;
}

void link_peer_free(struct link_peer *peer)
{
    struct link_host *host;

    if (!peer)
        return;
    host = peer->host;
    link_zero_keys(peer);
    link_give_up_handshake(peer);
    link_frag_forget_peer(peer);
    if (peer->prev)
        peer->prev->next = peer->next;
    else
        host->peers = peer->next;
    if (peer->next)
        peer->next->prev = peer->prev;
    sodium_memzero(peer, sizeof(*peer));
    free(peer);
}

/* Handshakes only (after a DH): the data path looks up indices instead. */
struct link_peer *link_peer_find(struct link_host *host, const uint8_t pub[LINK_KEY_LEN])
{
    for (struct link_peer *p = host->peers; p; p = p->next)
        if (!memcmp(p->pub, pub, LINK_KEY_LEN))
            return p;
    return NULL;
}

void *link_peer_user(const struct link_peer *peer)
{
    return peer->user;
}

const uint8_t *link_peer_pubkey(const struct link_peer *peer)
{
    return peer->pub;
}

enum link_state link_peer_state(const struct link_peer *peer, uint64_t now)
{
    return link_timers_state(peer, now);
}

uint64_t link_peer_last_handshake(const struct link_peer *peer)
{
    return peer->last_handshake;
}

void link_host_set_load_limit(struct link_host *host, unsigned per_second)
{
    host->load_limit = per_second;
}

int link_host_set_aesgcm(struct link_host *host, bool on)
{
    if (on && !noise_aead_available(NOISE_AEAD_AESGCM))
        return -ENOTSUP;
    host->aesgcm = on;
    return 0;
}

int link_peer_aead(const struct link_peer *peer)
{
    return peer->kp_cur ? (int)peer->kp_cur->aead : -1;
}

uint64_t link_peer_rtt_ns(const struct link_peer *peer)
{
    return peer->rtt_srtt;
}

uint64_t link_peer_rtt_last_ns(const struct link_peer *peer)
{
    return peer->rtt_last;
}

void link_peer_set_persistent_keepalive(struct link_peer *peer, unsigned seconds)
{
    peer->t.persistent_keepalive = seconds;
}

uint64_t link_host_next_deadline(const struct link_host *host)
{
    uint64_t best = UINT64_MAX;

    for (const struct link_peer *p = host->peers; p; p = p->next) {
        uint64_t d = link_timers_deadline(p);

        if (d < best)
            best = d;
    }
    return best;
}

void link_host_on_timeout(struct link_host *host, uint64_t now)
{
    for (struct link_peer *p = host->peers; p; p = p->next) {
        link_timers_run(p, now);
        link_report_state(p, now);
    }
}

_Static_assert((int)LINK_TIMESTAMP_LEN == (int)LINK_TAI64N_LEN, "public and internal TAI64N lengths");

void link_peer_last_timestamp(const struct link_peer *peer, uint8_t out[LINK_TIMESTAMP_LEN])
{
    memcpy(out, peer->last_ts, LINK_TIMESTAMP_LEN);
}

void link_peer_set_last_timestamp(struct link_peer *peer, const uint8_t ts[LINK_TIMESTAMP_LEN])
{
    /* Big-endian TAI64N: byte order is time order (as the check in link.c). */
    if (memcmp(ts, peer->last_ts, LINK_TIMESTAMP_LEN) > 0)
        memcpy(peer->last_ts, ts, LINK_TIMESTAMP_LEN);
}
