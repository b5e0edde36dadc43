/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Ring messages to hosts we hold no link to, in RELAY envelopes
 * (docs/inner-protocol.md). Which messages go relayed and through which
 * next hop is the plan's (overlayd/plan/plan_route.c: greedy Chord
 * routing over our neighbours' links, O(log n) hops); this file seals,
 * opens and carries the envelopes.
 *
 * Trust: the message is sealed from origin to destination with an
 * ephemeral-static seal (crypto/envelope.h: X25519 of a fresh key and of
 * the two static keys, ChaCha20-Poly1305 with the header as associated
 * data), so relays can neither read it, claim another origin, rewrite the
 * origin's endpoint, nor turn it back to its origin; a timestamp and the
 * cache of the ephemeral keys seen refuse replays (drop_relay_replay).
 * What the origin may carry never rests on the relays either: with an
 * Authority its certificate travels sealed in the envelope and is checked
 * against the authority here, as a handshake's would be (admit_learn());
 * without one the origin must be a configured [Peer]. A relay can still
 * drop an envelope, or delay it within the 60 s window.
 * docs/design.md ("Ring trust").
 */
#include "overlayd/ring/ringd_int.h"

#include <errno.h>
#include <errno.h>
#include <string.h>
#include <sodium.h>
#include <time.h>

#include "crypto/ringid.h"
#include "overlayd/datapath/peer_admit.h"
#include "overlayd/config/config.h"
#include "overlayd/daemon.h"
#include "overlayd/datapath/inner.h"
#include "lib/log.h"

static void ringd_relay_out(struct ringd *r, const ring_peer *hop, const uint8_t dest[32],
                            size_t len, uint64_t now)
{
    struct peer *p = ringd_peer_for(r, hop, true, now);

    if (!p) {
        drop_count(&r->d->drops, DROP_RELAY_DROPPED, now, "no peer for the next hop");
        return;
    }
    ringd_send_raw(r, p, INNER_RING_RELAY, r->rbuf, len);
    /* Transit is no use of the link (plan_on_relay_sent); a message for
     * the hop itself is, as it is for the hop when it arrives. */
    if (memcmp(p->pub, dest, 32) == 0)
        plan_on_data(r->plan, p->pub, now);
    /* A hop silent for PLAN_ECHO_MS is asked for an ECHO, and skipped
     * while that stays unanswered (plan_next_hop). */
    if (plan_on_relay_sent(r->plan, p->pub, now)) {
        uint8_t f = INNER_RING_ECHO_REQUEST;

        ringd_send_raw(r, p, INNER_RING_ECHO, &f, 1);
    }
}

/* X25519 of our static key and @pub (cached, least recently used out). */
static const uint8_t *ringd_box_key(struct ringd *r, const uint8_t pub[32])
{
    unsigned lru = 0;

    for (unsigned i = 0; i < RINGD_BOXKEYS; i++) {
        if (r->boxkeys[i].used && memcmp(r->boxkeys[i].pub, pub, 32) == 0) {
            r->boxkeys[i].used = ++r->boxkeys_tick;
            return r->boxkeys[i].k;
        }
        if (r->boxkeys[i].used < r->boxkeys[lru].used)
            lru = i;
    }
    /* Fails for a low-order public key: nothing can be sealed to it. */
    if (env_ss(r->boxkeys[lru].k, r->d->cfg->private_key, pub) < 0) {
        sodium_memzero(r->boxkeys[lru].k, sizeof(r->boxkeys[lru].k));
        r->boxkeys[lru].used = 0;
        return NULL;
    }
    memcpy(r->boxkeys[lru].pub, pub, 32);
    r->boxkeys[lru].used = ++r->boxkeys_tick;
    return r->boxkeys[lru].k;
}

/* The wall clock in Unix ms: envelopes carry it, the window checks it. */
static uint64_t ringd_relay_clock(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_REALTIME, &ts);
    return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

void ringd_relay_send(struct ringd *r, const ring_peer *to, const ring_peer *hop,
                      const uint8_t *msg, size_t len, uint64_t now)
{
    uint8_t cert[INNER_RELAY_CERT_MAX], e_pub[32], e_priv[32], k[ENV_KEY];
    struct inner_relay_plain pl = { .cert = cert, .msg = msg, .msg_len = len };
    struct inner_relay rl = {
        .ttl = INNER_RELAY_TTL,
        .dest = to->pub,
        .origin = r->self.pub,
        .family = r->self.ep.family,
        .port = r->self.ep.port,
        .addr = r->self.ep.addr,
        .epub = e_pub,
        .ts = ringd_relay_clock(),
        .sealed = r->rbuf + INNER_RELAY_HDR,
    };
    const uint8_t *ss;
    int plen, n;

    pl.cert_len = admit_hook_payload(r->d, cert, sizeof(cert));
    plen = inner_relay_plain_build(&pl, r->pbuf, sizeof(r->pbuf));
    ss = ringd_box_key(r, to->pub);
    crypto_box_keypair(e_pub, e_priv);
    if (plen < 0 || !ss || INNER_RELAY_HDR + INNER_RELAY_MAC + (size_t)plen > sizeof(r->rbuf) ||
        env_key_origin(k, e_priv, e_pub, ss, r->self.pub, to->pub) < 0) {
        sodium_memzero(e_priv, sizeof(e_priv));
        drop_count(&r->d->drops, DROP_RELAY_DROPPED, now, "cannot seal our own message");
        return;
    }
    sodium_memzero(e_priv, sizeof(e_priv));
    /* The header first (the sealed part is written over after), for the
     * associated data. */
    rl.sealed_len = INNER_RELAY_MAC + (size_t)plen;
    n = inner_relay_build(&rl, r->rbuf, sizeof(r->rbuf));
    if (n >= 0)
        env_seal(r->rbuf + INNER_RELAY_HDR, r->pbuf, (size_t)plen, r->rbuf + 1,
                 INNER_RELAY_HDR - 1, k);
    sodium_memzero(r->pbuf, (size_t)plen);
    sodium_memzero(k, sizeof(k));
    if (n < 0) {
        drop_count(&r->d->drops, DROP_RELAY_DROPPED, now, "cannot build our own envelope");
        return;
    }
    r->relay_sent++;
    ringd_relay_out(r, hop, to->pub, (size_t)n, now);
}

/* May @origin speak on the ring? (It is never one of our links.) */
static bool ringd_relay_admit(struct ringd *r, const uint8_t origin[32],
                              const struct inner_relay_plain *pl)
{
    struct daemon *d = r->d;
    struct link_peer *lp;
    struct peer *p;
    int rc;

    if (!admit_enabled(d))
        return ringd_cfg_peer(d, origin) != NULL;
    lp = link_peer_find(d->link, origin);
    p = lp ? link_peer_user(lp) : NULL;
    if (p && p->adm && p->adm->admitted)
        return true;
    if (!pl->cert_len)
        return admit_known_grant(d->admit, origin, NULL, admit_now_unix()) != NULL;
    rc = admit_learn(d->admit, origin, pl->cert, pl->cert_len, admit_now_unix());
    if (rc < 0) {
        log_debug("ring", "relayed message: origin's certificate refused (%d)", rc);
        return false;
    }
    return true;
}

/* Our own RELAY: open it, check its origin, hand the message to the node. */
static void ringd_relay_deliver(struct ringd *r, const struct inner_relay *rl, uint64_t now)
{
    struct inner_relay_plain pl;
    const uint8_t *ss = ringd_box_key(r, rl->origin);
    size_t plen = rl->sealed_len - INNER_RELAY_MAC;
    uint8_t k[ENV_KEY];
    enum env_verdict v;
    ring_peer from;
    int rc = -EINVAL;

    if (ss && plen <= sizeof(r->pbuf) &&
        env_key_dest(k, r->d->cfg->private_key, rl->epub, ss, rl->origin, r->d->pub) == 0) {
        rc = env_open(r->pbuf, rl->sealed, rl->sealed_len, rl->ad, INNER_RELAY_HDR - 1, k);
        sodium_memzero(k, sizeof(k));
    }
    if (rc < 0) {
        /* Not sealed by the origin it names, for us. */
        drop_count(&r->d->drops, DROP_RELAY_REFUSED, now, "not sealed by its origin for us");
        return;
    }
    /* Once it opened (a forger cannot fill the cache), before anything
     * costs (a replayed certificate is not checked again). */
    v = env_replay_check(&r->relay_seen, rl->origin, rl->epub, rl->ts, ringd_relay_clock());
    if (v != ENV_FRESH) {
        sodium_memzero(r->pbuf, plen);
        drop_count(&r->d->drops, DROP_RELAY_REPLAY, now, "%s",
                   v == ENV_REPLAYED ? "seen before" :
                   v == ENV_OVER_QUOTA ? "its origin's quota for the window is full" :
                   "stamped outside our clock's window");
        return;
    }
    if (inner_relay_plain_parse(r->pbuf, plen, &pl) < 0 || !ringd_relay_admit(r, rl->origin, &pl)) {
        sodium_memzero(r->pbuf, plen);
        drop_count(&r->d->drops, DROP_RELAY_REFUSED, now, "origin not admitted");
        return;
    }
    memset(&from, 0, sizeof(from));
    ringid_from_pubkey(from.id.b, rl->origin);
    memcpy(from.pub, rl->origin, 32);
    from.ep.family = rl->family;
    from.ep.port = rl->port;
    memcpy(from.ep.addr, rl->addr, sizeof(from.ep.addr));
    r->relay_delivered++;
    ringd_deliver(r, &from, pl.msg, pl.msg_len, now);
    sodium_memzero(r->pbuf, plen);
}

void ringd_relay_recv(struct ringd *r, struct peer *p, const uint8_t *body, size_t blen,
                      uint64_t now)
{
    struct daemon *d = r->d;
    struct inner_relay rl;
    struct plan_path path;
    int n;

    if (inner_relay_parse(body, blen, &rl) < 0) {
        drop_count(&d->drops, DROP_INNER_MALFORMED, now, "RELAY from %s", p->name);
        return;
    }
    if (!r->node || ring_node_state(r->node) != RING_ACTIVE ||
        (admit_enabled(d) && !(p->adm && p->adm->admitted)) ||
        (rl.ttl == INNER_RELAY_TTL && memcmp(rl.origin, p->pub, 32) != 0) ||
        memcmp(rl.origin, d->pub, 32) == 0) {
        drop_count(&d->drops, DROP_RELAY_DROPPED, now,
                   "from %s: we are no member, it is not admitted, or the origin is wrong", p->name);
        return;
    }
    /* Only a message for us makes the link needed. Transit does not: an
     * up link is a next-hop candidate because it is up (plan_next_hop), so
     * counting transit would keep every link that was ever opened. */
    if (memcmp(rl.dest, d->pub, 32) == 0) {
        plan_on_data(r->plan, p->pub, now);
        ringd_relay_deliver(r, &rl, now);
        return;
    }
    if (rl.ttl <= 1 || blen > sizeof(r->rbuf)) {
        drop_count(&d->drops, DROP_RELAY_DROPPED, now, "from %s: out of hops", p->name);
        return;
    }
    ringd_plan_refresh(r, now);
    plan_route_forward(r->plan, rl.dest, now, &path);
    if (path.kind == PLAN_PATH_NONE) {
        /* With a consistent ring the predecessor of @dest has it as
         * successor, so a relay ends at a neighbour; a dead end means
         * stale tables, and the origin's request times out and is
         * retried. */
        drop_count(&d->drops, DROP_RELAY_DROPPED, now, "from %s: no next hop", p->name);
        return;
    }
    memcpy(r->rbuf, body, blen);
    r->rbuf[0] = (uint8_t)(rl.ttl - 1);
    n = (int)blen;
    r->relay_forwarded++;
    ringd_relay_out(r, &path.hop, rl.dest, (size_t)n, now);
}
