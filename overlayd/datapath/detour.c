/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Detours: our link packets through one intermediate host. See detour.h
 * and docs/paths.md.
 *
 * Health of a direct path is the probes' (overlayd/paths/): only what
 * comes straight back counts, since a packet relayed to us says the host
 * lives, not that its direct path does. Probes and their answers always
 * go straight to the endpoint (datapath/probe.c sends them with
 * detour_direct set), so they measure the direct path even while our data
 * takes a detour.
 */
#include "overlayd/datapath/detour.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "crypto/link.h"
#include "lib/log.h"
#include "overlayd/daemon.h"
#include "overlayd/datapath/datapath.h"
#include "overlayd/datapath/inner.h"
#include "overlayd/datapath/peer.h"
#include "overlayd/plan/plan.h"
#include "overlayd/ring/ringd.h"

enum {
    DETOUR_PROBE_REQUEST = 0x01,
    DETOUR_PROBE_LEN = 2 + 1 + 4,
};

static struct peer *detour_peer_by_key(struct daemon *d, const uint8_t key[32])
{
    struct link_peer *lp = link_peer_find(d->link, key);

    return lp ? link_peer_user(lp) : NULL;
}

/* Link packets of @p that must not take a detour: probes, what we relay,
 * and the relay's own packet around ours. */
int detour_send_direct(struct daemon *d, struct peer *p, const uint8_t *buf, size_t len,
                       uint64_t now)
{
    bool was = d->detour_direct;
    int rc;

    d->detour_direct = true;
    rc = link_peer_send(p->lp, now, buf, len);
    d->detour_direct = was;
    return rc;
}

static void detour_put_forward(uint8_t *b, uint8_t ttl, const uint8_t dest[32],
                               const uint8_t origin[32])
{
    b[0] = INNER_DETOUR;
    b[1] = INNER_DETOUR_FORWARD;
    b[2] = ttl;
    memcpy(b + 3, dest, 32);
    memcpy(b + 3 + 32, origin, 32);
}

bool detour_wrap(struct daemon *d, struct peer *p, const uint8_t *pkt, size_t len)
{
    struct peer *via = p->path.via;
    uint8_t *b = d->detour_buf;

    if (d->detour_direct)
        return false;
    if (d->rx_via && d->rx_via_origin == p)
        via = d->rx_via;              /* answer a relayed packet the way it came */
    if (!via || via == p || !via->lp)
        return false;
    if (len + INNER_DETOUR_FWD_HDR > sizeof(d->detour_buf))
        return false;
    detour_put_forward(b, INNER_DETOUR_TTL, p->pub, d->pub);
    memcpy(b + INNER_DETOUR_FWD_HDR, pkt, len);
    /* The answer comes back through the relay: its direct path is the
     * one to watch now. */
    path_on_tx(&via->probe, daemon_now());
    ringd_note_data(d, via, daemon_now());      /* a link in use: not idle */
    if (detour_send_direct(d, via, b, len + INNER_DETOUR_FWD_HDR, daemon_now()) == 0) {
        d->detour_sent++;
        d->detour_ring += p->path.via_ring;
        p->tx_bytes += len;
    } else {
        drop_count(&d->drops, DROP_DETOUR_SEND, daemon_now(), "to %s via %s", p->name, via->name);
    }
    return true;
}

void detour_note_sent(struct peer *p, uint64_t now)
{
    /* Sent straight to it: its answer should come back soon. Through a
     * relay, the answer says nothing about the direct path. */
    if (!p->path.via)
        path_on_tx(&p->probe, now);
}

bool detour_direct_dead(const struct peer *p, uint64_t now)
{
    /* A session that never came up has no probes: a handshake unanswered
     * for DETOUR_CONNECT_MS is the sign (its retry can go through a relay). */
    if (p->lp && link_peer_state(p->lp, now) == LINK_CONNECTING && p->connecting_since &&
        now - p->connecting_since >= DETOUR_CONNECT_MS * UINT64_C(1000000))
        return true;
    return path_health_now(&p->probe) == PATH_DEAD || p->path.follow;
}

bool detour_direct_healthy(const struct peer *p)
{
    struct path_info pi;

    path_get(&p->probe, &pi);
    /* Heard: a link whose every packet came through a relay has shown
     * nothing about its direct path yet. SUSPECT does not break the
     * health: it comes and goes with one-way traffic; DEAD does. */
    return pi.active && pi.health != PATH_DEAD && pi.heard && !p->path.follow;
}

void detour_on_health(struct daemon *d, struct peer *p, enum path_health old, uint64_t now)
{
    enum path_health h = path_health_now(&p->probe);

    if (h == PATH_UP)
        p->path.follow = false;
    if (!detour_direct_healthy(p))
        p->path.ok_since = 0;
    else if (!p->path.ok_since)
        p->path.ok_since = now;
    if (h == PATH_DEAD && old != PATH_DEAD && !p->path.follow)
        d->direct_dead++;
    detour_choose(d, p, now);
}

/* ---- the relay ------------------------------------------------------------ */

void detour_init(struct daemon *d)
{
    const char *env = getenv("OVERLAYD_RELAY_PPS");
    long v = env ? strtol(env, NULL, 10) : 0;

    /* Tests of the ring path turn REPORTs off: then no detour exists. */
    env = getenv("OVERLAYD_DETOUR_REPORTS");
    d->detour_reports = !env || strcmp(env, "0") != 0;
    if (!d->detour_reports)
        log_info("path", "no REPORTs sent (OVERLAYD_DETOUR_REPORTS=0): no host takes us as a relay");
    d->relay_pps = DETOUR_RELAY_PPS;
    d->relay_burst = DETOUR_RELAY_BURST;
    if (v > 0) {
        d->relay_pps = (double)v;
        d->relay_burst = v >= 5 ? (double)v / 5 : 1;
        log_info("path", "relay budget %ld packets/s per source (OVERLAYD_RELAY_PPS)", v);
    }
}

static bool detour_budget(struct daemon *d, struct peer *from, uint64_t now)
{
    return bucket_take(&from->path.relay_budget, d->relay_pps, d->relay_burst, now);
}

static bool detour_reaches_directly(const struct peer *p, uint64_t now)
{
    return tx_peer_up(p, now) && p->ep.len && !detour_direct_dead(p, now) && !p->path.via;
}

/* Pass the packet on to the host the FORWARD names: DELIVER it over our
 * live direct link, or, without one, FORWARD it (one ttl less) to the
 * relay our own path to that host goes through, which does have a direct
 * link to it (REPORTs list only such), or else to the next hop along the
 * ring (detour_ring_next: strictly closer on the ring, so no loop). Never
 * back to the sender. */
static void detour_relay(struct daemon *d, struct peer *from, const struct inner_detour *dt,
                         uint64_t now)
{
    struct peer *to = detour_peer_by_key(d, dt->key), *next = NULL;
    uint8_t *b = d->detour_buf;
    size_t hdr;

    /* The first relay knows the origin: the link it came in. */
    if (dt->ttl == INNER_DETOUR_TTL && memcmp(dt->origin, from->pub, 32) != 0) {
        drop_count(&d->drops, DROP_DETOUR_REFUSED, now, "origin is not the sender %s", from->name);
        return;
    }
    if (to && to != from && detour_reaches_directly(to, now))
        next = to;
    else if (to && dt->ttl > 1 && to->path.via && !to->path.via_ring && to->path.via != from &&
             detour_reaches_directly(to->path.via, now))
        next = to->path.via;
    else if (dt->ttl > 1 && (next = detour_ring_next(d, dt->key, from, now)))
        d->detour_ring++;
    if (!next) {
        drop_count(&d->drops, DROP_DETOUR_REFUSED, now, "from %s", from->name);
        return;
    }
    if (!detour_budget(d, from, now)) {
        drop_count(&d->drops, DROP_DETOUR_RATELIMIT, now, "from %s", from->name);
        return;
    }
    if (next == to) {
        hdr = INNER_DETOUR_HDR;
        memmove(b + hdr, dt->pkt, dt->pkt_len);
        b[0] = INNER_DETOUR;
        b[1] = INNER_DETOUR_DELIVER;
        memcpy(b + 2, dt->origin, 32);
    } else {
        uint8_t origin[32], dest[32];

        /* Along the ring the destination may be no peer of ours: name it
         * by the key the FORWARD carried, not by a peer entry. */
        memcpy(origin, dt->origin, 32);
        memcpy(dest, dt->key, 32);
        hdr = INNER_DETOUR_FWD_HDR;
        memmove(b + hdr, dt->pkt, dt->pkt_len);
        detour_put_forward(b, (uint8_t)(dt->ttl - 1), dest, origin);
    }
    /* Relayed packets are answered through us: a dead onward link must
     * show in our probes (and leave our REPORTs) as for our own data. */
    path_on_tx(&next->probe, now);
    /* Both links carry someone's traffic: neither is idle. */
    ringd_note_data(d, from, now);
    ringd_note_data(d, next, now);
    if (detour_send_direct(d, next, b, hdr + dt->pkt_len, now) == 0)
        d->detour_relayed++;
    else
        drop_count(&d->drops, DROP_DETOUR_SEND, now, "relayed from %s to %s", from->name,
                   next->name);
}

/* ---- delivered through a relay -------------------------------------------- */

static void detour_deliver(struct daemon *d, struct peer *relay, const struct inner_detour *dt,
                           uint64_t now)
{
    struct link_rx rx = { 0 };
    struct peer *p = detour_peer_by_key(d, dt->key);
    uint8_t key[32];
    int rc;

    /* The origin's own link authenticates the packet; the relay only
     * names whose session to try, and answers go back through it. */
    d->rx_via = relay;
    d->rx_via_origin = p;
    /* @dt may lie in the relay link's reassembly buffer, which this very
     * call may take for the origin's fragment: keep copies. */
    if (dt->pkt_len > LINK_MAX_PACKET) {
        d->rx_via = NULL;
        drop_count(&d->drops, DROP_DETOUR_REFUSED, now, "%zu bytes through %s", dt->pkt_len,
                   relay->name);
        return;
    }
    memcpy(key, dt->key, sizeof(key));
    memcpy(d->detour_rx, dt->pkt, dt->pkt_len);
    rc = link_receive(d->link, now, d->detour_rx, dt->pkt_len, &rx);
    if (rc < 0 || !rx.peer) {
        d->rx_via = NULL;
        return;                       /* counted by the link layer */
    }
    p = link_peer_user(rx.peer);
    if (!p || memcmp(link_peer_pubkey(rx.peer), key, sizeof(key)) != 0) {
        d->rx_via = NULL;
        drop_count(&d->drops, DROP_DETOUR_SPOOF, now, "through %s", relay->name);
        return;
    }
    d->rx_via_origin = p;
    d->detour_delivered++;
    ringd_note_data(d, relay, now);
    p->rx_bytes += dt->pkt_len;
    p->path.rx_via = relay;
    p->path.rx_via_at = now;
    ringd_note_rx(d, p, now);
    /* It left the direct path, and our own direct path to it is suspect
     * (probes out, nothing back): follow at once rather than wait for the
     * probes' verdict, so both directions move together. A host that took
     * a detour only for its lower RTT answers our probes, and we stay. */
    if (path_health_now(&p->probe) == PATH_SUSPECT && !p->path.follow && !p->path.via) {
        p->path.follow = true;
        p->path.ok_since = 0;
        d->direct_dead++;
        log_info("path", "%s: direct path suspect and its packets come through %s: follow",
                 p->name, relay->name);
        detour_choose(d, p, now);
    }
    if (rx.len > 0)
        rx_payload(d, p, rx.data, rx.len, now);
    d->rx_via = NULL;
    d->rx_via_origin = NULL;
}

/* ---- reports ----------------------------------------------------------------- */

static void detour_on_report(struct peer *p, const struct inner_detour *dt, uint64_t now)
{
    struct detour_peer *dp = &p->path;

    dp->n_rep = dt->n < DETOUR_REPORT_MAX ? dt->n : DETOUR_REPORT_MAX;
    for (unsigned i = 0; i < dp->n_rep; i++)
        inner_detour_entry(dt, i, &dp->rep[i].key, &dp->rep[i].flags, &dp->rep[i].rtt_us);
    dp->rep_at = now;
}

void detour_recv(struct daemon *d, struct peer *from, uint8_t *data, size_t len, uint64_t now)
{
    struct inner_detour dt;

    if (inner_detour_parse(data, len, &dt) < 0) {
        drop_count(&d->drops, DROP_INNER_MALFORMED, now, "detour from %s", from->name);
        return;
    }
    switch (dt.kind) {
    case INNER_DETOUR_FORWARD:
        if (d->rx_via)
            drop_count(&d->drops, DROP_DETOUR_REFUSED, now, "nested, from %s", from->name);
        else
            detour_relay(d, from, &dt, now);
        return;
    case INNER_DETOUR_DELIVER:
        if (d->rx_via)
            drop_count(&d->drops, DROP_DETOUR_REFUSED, now, "nested, from %s", from->name);
        else
            detour_deliver(d, from, &dt, now);
        return;
    case INNER_DETOUR_REPORT:
        /* May come through a relay: it is about the sender's links. */
        detour_on_report(from, &dt, now);
        return;
    }
}
