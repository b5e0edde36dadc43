/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Ring messages to hosts we hold no link to.
 *
 * Iterative lookups, their answers and record replication name arbitrary
 * hosts; opening a link to each would let every host's link count grow
 * towards the ring size. So once a member, a host sends directly only to
 * its ring neighbours (successor, predecessor, distinct fingers: O(log n))
 * and to hosts it already has a link to. Any other ring message goes, in
 * a RELAY envelope (docs/inner-protocol.md), to the neighbour closest
 * before the destination on the ring, which does the same: greedy Chord
 * routing, O(log n) hops, every hop over an existing link.
 *
 * Trust: the message is sealed from origin to destination with libsodium's
 * crypto_box on the two hosts' static keys (X25519, then XSalsa20-Poly1305),
 * so relays can neither read it nor claim another origin: only the holder
 * of the origin's private key can seal what opens with its public key.
 * What the origin may carry never rests on the relays either: with an
 * Authority its certificate travels sealed in the envelope and is checked
 * against the authority here, as a handshake's would be (admit_learn());
 * without one the origin must be a configured [Peer]. A relay can still
 * drop or replay an envelope; ring messages are idempotent or matched to
 * requests, and a replayed STORE loses to any newer record (EVPN order).
 * docs/design.md ("Ring trust").
 */
#include "overlayd/ring/ringd_int.h"

#include <string.h>
#include <sodium.h>

#include "crypto/ringid.h"
#include "overlayd/datapath/peer_admit.h"
#include "overlayd/config/config.h"
#include "overlayd/daemon.h"
#include "overlayd/datapath/inner.h"
#include "lib/log.h"

/* Our ring neighbours (routing/, ring_node_neighbours), none before we
 * are a member. */
static unsigned ringd_neighbours(struct ringd *r, ring_peer *out, unsigned max)
{
    if (!r->node || ring_node_state(r->node) != RING_ACTIVE)
        return 0;
    return ring_node_neighbours(r->node, out, max);
}

/* Successor and predecessor: the ring breaks without them, so they are
 * neighbours even when they declined (then they were not sure of theirs). */
static bool ringd_mandatory(struct ringd *r, const ring_id *id)
{
    const ring_peer *p = ring_node_pred(r->node);

    return ring_id_eq(&ring_node_succ(r->node, 0)->id, id) || (p && ring_id_eq(&p->id, id));
}

bool ringd_declined(struct ringd *r, const uint8_t pub[32], uint64_t now)
{
    for (unsigned i = 0; i < RINGD_DECLINED_MAX; i++)
        if (r->declined[i].until > now && memcmp(r->declined[i].pub, pub, 32) == 0)
            return true;
    return false;
}

bool ringd_is_neighbour(struct ringd *r, const ring_id *id)
{
    ring_peer nb[RINGD_NEIGHBOURS_MAX];
    unsigned k = ringd_neighbours(r, nb, RINGD_NEIGHBOURS_MAX);

    for (unsigned i = 0; i < k; i++)
        if (ring_id_eq(&nb[i].id, id))
            return ringd_mandatory(r, id) || !ringd_declined(r, nb[i].pub, daemon_now());
    return false;
}

unsigned ringd_link_cap(struct ringd *r)
{
    return r->node ? ring_node_link_cap(r->node) : RING_LINKS_MIN;
}

/*
 * Direct: while the ring around us settles (below); a neighbour; or a host that just sent us a ring message over
 * its link (the answer to a request goes back the way it came, which is
 * also the only way to a host that is still joining); or anyone while we
 * are not a member. Everything else is relayed, so a link nobody needs
 * any more goes idle and closes even while the ring talks to that host.
 */
bool ringd_direct_ok(struct ringd *r, const ring_peer *to, uint64_t now)
{
    struct link_peer *lp;
    const struct peer *p;

    if (!r->node || ring_node_state(r->node) != RING_ACTIVE)
        return true;
    /* While our neighbours change (joins, failures) the tables relays
     * follow are wrong here and there, and a relay lost to them costs a
     * timeout; talk directly until things settle. */
    if (!r->nb_changed || now - r->nb_changed < RINGD_SETTLE_S * RINGD_SEC)
        return true;
    if (ringd_is_neighbour(r, &to->id))
        return true;
    lp = link_peer_find(r->d->link, to->pub);
    p = lp ? link_peer_user(lp) : NULL;
    return p && p->ring_rx && now - p->ring_rx < RINGD_REPLY_DIRECT_MS * RINGD_MS &&
           link_peer_state(lp, now) == LINK_UP;
}

/*
 * A next hop that died keeps its place in our tables until the ring finds
 * out, and relays through it vanish meanwhile. So before relaying through
 * a peer we have not heard from for RINGD_ECHO_MS we ask it for an ECHO,
 * and skip it as a hop while that stays unanswered.
 */
static bool ringd_hop_silent(struct ringd *r, const ring_peer *rp, uint64_t now)
{
    struct link_peer *lp = link_peer_find(r->d->link, rp->pub);
    const struct peer *p = lp ? link_peer_user(lp) : NULL;

    return p && p->echo_sent > p->last_rx && now - p->echo_sent > RINGD_ECHO_MS * RINGD_MS;
}

static void ringd_hop_probe(struct ringd *r, struct peer *p, uint64_t now)
{
    uint8_t f = INNER_RING_ECHO_REQUEST;

    if (now - p->last_rx < RINGD_ECHO_MS * RINGD_MS || p->echo_sent > p->last_rx)
        return;
    p->echo_sent = now;
    ringd_send_raw(r, p, INNER_RING_ECHO, &f, 1);
}

/*
 * The next hop towards @dest: among our neighbours and up links, the one
 * closest before (or at) @dest clockwise, and strictly closer than we
 * are. Returns false when none is (our tables are stale or @dest is
 * between us and our successor).
 */
static bool ringd_next_hop(struct ringd *r, const ring_id *dest, uint64_t now, ring_peer *out)
{
    struct daemon *d = r->d;
    ring_peer nb[RINGD_NEIGHBOURS_MAX];
    unsigned k = ringd_neighbours(r, nb, RINGD_NEIGHBOURS_MAX);
    ring_id best, dist;
    bool found = false;

    ring_id_dist(&best, &r->self.id, dest);
    for (size_t i = 0; i < d->n_peers && k < RINGD_NEIGHBOURS_MAX; i++) {
        struct peer *p = d->peers[i];

        if (p->ep.len && link_peer_state(p->lp, now) == LINK_UP)
            ringd_peer_of(&nb[k++], p);
    }
    for (unsigned i = 0; i < k; i++) {
        ring_id_dist(&dist, &nb[i].id, dest);
        if (ring_id_cmp(&dist, &best) < 0 && !ringd_hop_silent(r, &nb[i], now) &&
            (ring_id_eq(&nb[i].id, dest) || ringd_mandatory(r, &nb[i].id) ||
             !ringd_declined(r, nb[i].pub, now))) {
            best = dist;
            *out = nb[i];
            found = true;
        }
    }
    return found;
}

static void ringd_relay_out(struct ringd *r, const ring_peer *hop, size_t len, uint64_t now)
{
    struct peer *p = ringd_peer_for(r, hop, true, now);

    if (!p) {
        drop_count(&r->d->drops, DROP_RELAY_DROPPED, now, "no peer for the next hop");
        return;
    }
    p->last_data = now;
    ringd_send_raw(r, p, INNER_RING_RELAY, r->rbuf, len);
    ringd_hop_probe(r, p, now);
}

/* The crypto_box key shared with @pub (cached, least recently used out). */
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
    if (crypto_box_beforenm(r->boxkeys[lru].k, pub, r->d->cfg->private_key) != 0) {
        sodium_memzero(r->boxkeys[lru].k, sizeof(r->boxkeys[lru].k));
        r->boxkeys[lru].used = 0;
        return NULL;
    }
    memcpy(r->boxkeys[lru].pub, pub, 32);
    r->boxkeys[lru].used = ++r->boxkeys_tick;
    return r->boxkeys[lru].k;
}

bool ringd_relay_send(struct ringd *r, const ring_peer *to, const uint8_t *msg, size_t len,
                      uint64_t now)
{
    uint8_t cert[INNER_RELAY_CERT_MAX], nonce[INNER_RELAY_NONCE];
    struct inner_relay_plain pl = { .cert = cert, .msg = msg, .msg_len = len };
    struct inner_relay rl = {
        .ttl = INNER_RELAY_TTL,
        .dest = to->pub,
        .origin = r->self.pub,
        .family = r->self.ep.family,
        .port = r->self.ep.port,
        .addr = r->self.ep.addr,
        .nonce = nonce,
        .sealed = r->rbuf + INNER_RELAY_HDR,
    };
    const uint8_t *k;
    ring_peer hop;
    int plen, n;

    if (!ringd_next_hop(r, &to->id, now, &hop) || ring_id_eq(&hop.id, &to->id))
        return false;       /* send directly */
    pl.cert_len = admit_hook_payload(r->d, cert, sizeof(cert));
    plen = inner_relay_plain_build(&pl, r->pbuf, sizeof(r->pbuf));
    k = ringd_box_key(r, to->pub);
    if (plen < 0 || !k || INNER_RELAY_HDR + INNER_RELAY_MAC + (size_t)plen > sizeof(r->rbuf)) {
        drop_count(&r->d->drops, DROP_RELAY_DROPPED, now, "cannot seal our own message");
        return true;
    }
    randombytes_buf(nonce, sizeof(nonce));
    crypto_box_easy_afternm(r->rbuf + INNER_RELAY_HDR, r->pbuf, (size_t)plen, nonce, k);
    rl.sealed_len = INNER_RELAY_MAC + (size_t)plen;
    n = inner_relay_build(&rl, r->rbuf, sizeof(r->rbuf));
    sodium_memzero(r->pbuf, (size_t)plen);
    if (n < 0) {
        drop_count(&r->d->drops, DROP_RELAY_DROPPED, now, "cannot build our own envelope");
        return true;
    }
    r->relay_sent++;
    ringd_relay_out(r, &hop, (size_t)n, now);
    return true;
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
    const uint8_t *k = ringd_box_key(r, rl->origin);
    size_t plen = rl->sealed_len - INNER_RELAY_MAC;
    ring_peer from;

    if (!k || plen > sizeof(r->pbuf) ||
        crypto_box_open_easy_afternm(r->pbuf, rl->sealed, rl->sealed_len, rl->nonce, k) != 0 ||
        inner_relay_plain_parse(r->pbuf, plen, &pl) < 0 || !ringd_relay_admit(r, rl->origin, &pl)) {
        /* Not sealed by the origin it names, or the origin may not speak. */
        drop_count(&r->d->drops, DROP_RELAY_REFUSED, now, "not sealed by its origin, or origin not admitted");
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
    ring_peer hop;
    ring_id dest;
    int n;

    if (inner_relay_parse(body, blen, &rl) < 0) {
        drop_count(&d->drops, DROP_INNER_MALFORMED, now, "RELAY from %s", p->name);
        return;
    }
    p->last_data = now;
    if (!r->node || ring_node_state(r->node) != RING_ACTIVE ||
        (admit_enabled(d) && !(p->adm && p->adm->admitted)) ||
        (rl.ttl == INNER_RELAY_TTL && memcmp(rl.origin, p->pub, 32) != 0) ||
        memcmp(rl.origin, d->pub, 32) == 0) {
        drop_count(&d->drops, DROP_RELAY_DROPPED, now,
                   "from %s: we are no member, it is not admitted, or the origin is wrong", p->name);
        return;
    }
    if (memcmp(rl.dest, d->pub, 32) == 0) {
        ringd_relay_deliver(r, &rl, now);
        return;
    }
    ringid_from_pubkey(dest.b, rl.dest);
    if (rl.ttl > 1 && blen <= sizeof(r->rbuf) && !ringd_next_hop(r, &dest, now, &hop)) {
        /* No neighbour is closer: our tables are behind (a kill, a join).
         * A link to @dest that is up still gets it there. */
        struct link_peer *lp = link_peer_find(d->link, rl.dest);

        if (lp && link_peer_user(lp) && link_peer_state(lp, now) == LINK_UP) {
            ringd_peer_of(&hop, link_peer_user(lp));
        } else {
            /* With a consistent ring the predecessor of @dest has it as
             * successor, so a relay ends at a neighbour; a dead end means
             * stale tables, and the origin's request times out and is
             * retried. */
            drop_count(&d->drops, DROP_RELAY_DROPPED, now, "from %s: no next hop", p->name);
            return;
        }
    } else if (rl.ttl == 1 || blen > sizeof(r->rbuf)) {
        drop_count(&d->drops, DROP_RELAY_DROPPED, now, "from %s: out of hops", p->name);
        return;
    }
    memcpy(r->rbuf, body, blen);
    r->rbuf[0] = (uint8_t)(rl.ttl - 1);
    n = (int)blen;
    r->relay_forwarded++;
    ringd_relay_out(r, &hop, (size_t)n, now);
}
