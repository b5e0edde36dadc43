/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The ring inside the daemon: one ring_node, its messages over the links
 * (inner type 3), bootstrap, record publication from the MAC tables,
 * unknown-unicast resolution, flooding to member hosts and idle links.
 * See ringd.h and docs/design.md ("Ring").
 */
#include "overlayd/ring/ringd_int.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sodium.h>

#include "crypto/ringid.h"
#include "overlayd/datapath/peer_admit.h"
#include "overlayd/daemon.h"
#include "overlayd/announce/announce.h"
#include "overlayd/datapath/inner.h"
#include "lib/log.h"
#include "routing/wire.h"

static void ringd_cb_send(void *ctx, const ring_peer *to, const uint8_t *buf, size_t len)
{
    struct ringd *r = ctx;
    uint64_t now = daemon_now();
    struct peer *p;

    if (!ringd_direct_ok(r, to, now) && ringd_relay_send(r, to, buf, len, now))
        return;
    p = ringd_peer_for(r, to, true, now);
    if (!p) {
        drop_count(&r->d->drops, DROP_RING_NO_LINK, now, "ring message");
        return;
    }
    p->last_data = now;
    ringd_send_raw(r, p, INNER_RING_MSG, buf, len);
}

static uint64_t ringd_cb_rand(void *ctx)
{
    uint64_t v;

    randombytes_buf(&v, sizeof(v));
    return v;
}

/*
 * Replicas (RECS) come from the record's primary, which checked the
 * publisher's certificate when it accepted the STORE; we may never have
 * met the publisher. So a RECS about a host we hold no certificate for is
 * taken on the (admitted) sender's word; one about a host we know is
 * checked against what we know. STOREs are always checked: their sender
 * is the publisher, whose certificate came with its link or its relay.
 */
static bool ringd_cb_may_carry(void *ctx, const ring_id *host, uint32_t enclave)
{
    struct ringd *r = ctx;

    if (r->in_replica && !admit_knows_ringid(r->d, host->b))
        return true;
    return admit_may_carry_ringid(r->d, host->b, enclave);
}

/*
 * Did @msg bring us an enclave's location data although we may not carry
 * that enclave? Records go to carriers only (routing/, "Probe first"), so
 * this must stay 0; `ring --json` shows it (stats.foreign_payloads) and the
 * authority scenario checks it.
 */
static bool ringd_foreign_payload(struct ringd *r, const uint8_t *msg, size_t len)
{
    static ring_msg m;          /* large; the loop is single-threaded */

    if (!admit_enabled(r->d) || ring_wire_decode(&m, msg, len) < 0)
        return false;
    if (m.type == RING_MSG_FIND_REQ && (m.op == RING_OP_GET_MAC || m.op == RING_OP_GET_MEMBERS))
        return !admit_self_may_carry(r->d, m.enclave);
    for (unsigned i = 0; i < m.nrecs; i++)
        if (!admit_self_may_carry(r->d, m.recs[i].enclave))
            return true;
    return false;
}

void ringd_deliver(struct ringd *r, const ring_peer *from, const uint8_t *msg, size_t len,
                   uint64_t now)
{
    if (ringd_foreign_payload(r, msg, len))
        r->foreign_payloads++;
    r->in_replica = len >= 2 && msg[1] == RING_MSG_RECS;
    ring_node_on_message(r->node, now, from, msg, len);
    r->in_replica = false;
    ringd_rearm(r);
}

static void ringd_cb_joined(void *ctx, int status)
{
    struct ringd *r = ctx;

    if (status == 0)
        log_info("ring", "joined the ring");
    else
        log_debug("ring", "join failed (%d); will retry", status);
    r->join_since = daemon_now();
}

static void ringd_resolved(struct ringd *r, const ring_record *recs, size_t n)
{
    const ring_record *best = ringd_best_record(recs, n);
    struct enclave *e;
    struct peer *p;
    uint64_t now = daemon_now();

    if (!best || best->type != RING_REC_MAC || memcmp(best->host.pub, r->d->pub, 32) == 0)
        return;
    e = enclave_by_id(r->d, best->enclave);
    if (!e)
        return;
    p = ringd_peer_for(r, &best->host, true, now);
    if (!p)
        return;
    p->last_data = now;
    link_peer_connect(p->lp, now);
    /* A record is only what some host stored: never point a MAC at a host
     * that may not carry the enclave (its frames would leak there). A host
     * not admitted yet (handshake under way) may not either: the next
     * lookup for this MAC (ringd_unknown_unicast) installs it once it is. */
    if (!admit_may_carry(r->d, best->host.pub, best->enclave)) {
        drop_count(&r->d->drops, DROP_RING_NOT_CARRY, now, "%s: record names a non-carrier",
                   e->name);
        return;
    }
    if (fdb_announce(e->fdb, best->mac, p, best->seq, now) == 0)
        log_debug("ring", "%s: MAC resolved to %s", e->name, p->name);
}

static struct ringd_members *ringd_members(struct ringd *r, uint32_t enclave, bool add)
{
    struct ringd_members *m;

    for (size_t i = 0; i < r->n_mem; i++)
        if (r->mem[i].enclave == enclave)
            return &r->mem[i];
    if (!add)
        return NULL;
    m = realloc(r->mem, (r->n_mem + 1) * sizeof(*m));
    if (!m)
        return NULL;
    r->mem = m;
    m = &r->mem[r->n_mem++];
    memset(m, 0, sizeof(*m));
    m->enclave = enclave;
    return m;
}

static void ringd_cb_get_done(void *ctx, uint64_t cookie, int status, const ring_record *recs,
                              size_t n, unsigned hops)
{
    struct ringd *r = ctx;

    switch (cookie >> 56) {
    case RINGD_CK_CTL:
        ringd_ctl_get_done(r, cookie, status, recs, n, hops);
        break;
    case RINGD_CK_RESOLVE:
        if (status == 0)
            ringd_resolved(r, recs, n);
        break;
    case RINGD_CK_MEMBERS: {
        struct ringd_members *m = ringd_members(r, (uint32_t)(cookie & 0xffffff), false);
        ring_peer *h;
        size_t k = 0;

        if (!m)
            break;
        m->pending = false;
        if (status != 0 && status != RING_ERR_NOTFOUND)
            break;
        m->fetched = daemon_now();
        h = malloc((n ? n : 1) * sizeof(*h));
        if (!h)
            break;
        for (size_t i = 0; i < n; i++)
            if (recs[i].type == RING_REC_MEMBER && memcmp(recs[i].host.pub, r->d->pub, 32) != 0)
                h[k++] = recs[i].host;
        free(m->hosts);
        m->hosts = h;
        m->n = k;
        break;
    }
    }
}

/* ---- timers --------------------------------------------------------------- */

static void ringd_timer_cb(uv_timer_t *t)
{
    struct ringd *r = t->data;

    if (r->node)
        ring_node_on_timeout(r->node, daemon_now());
    ringd_rearm(r);
}

void ringd_rearm(struct ringd *r)
{
    uint64_t now = daemon_now(), dl;

    if (!r->timers_open || r->d->stopping)
        return;
    dl = r->node ? ring_node_next_deadline(r->node) : UINT64_MAX;
    if (dl == UINT64_MAX) {
        uv_timer_stop(&r->timer);
        return;
    }
    /* At least 1 ms so an overdue deadline cannot spin the loop. */
    uv_timer_start(&r->timer, ringd_timer_cb, dl > now ? (dl - now + 999999) / 1000000 : 1, 0);
}

static int ringd_node_new(struct ringd *r, const struct udp_addr *towards)
{
    ring_config cfg;
    ring_callbacks cb = {
        .ctx = r,
        .send = ringd_cb_send,
        .rand = ringd_cb_rand,
        .may_carry = ringd_cb_may_carry,
        .get_done = ringd_cb_get_done,
        .joined = ringd_cb_joined,
    };

    /* A fresh node: a failed join leaves its bootstrap in the dead cache
     * for dead_ttl, and records must be published again. */
    if (r->node)
        ring_node_free(r->node);
    r->n_pubs = 0;
    ring_config_default(&cfg);
    /* One deadline for every lookup, joins included: a join through a
     * host that is not a member yet fails fast and tries the next one. */
    cfg.lookup_deadline_ns = (uint64_t)RINGD_LOOKUP_MS * RINGD_MS;
    /* Iterative lookups touch every hop directly, so each background
     * lookup opens links; fingers only shorten paths (the successor list
     * keeps lookups correct), so they are refreshed less eagerly. */
    cfg.fix_fingers_ns = (uint64_t)RINGD_FIX_FINGERS_S * RINGD_SEC;
    /* A request lost to a link being set up or closed is not a dead host;
     * the successor list and stabilization find real failures. */
    cfg.dead_ttl_ns = (uint64_t)RINGD_DEAD_TTL_S * RINGD_SEC;
    ringid_from_pubkey(r->self.id.b, r->d->pub);
    memcpy(r->self.pub, r->d->pub, 32);
    ringd_self_ep(r->d, &r->self.ep, towards);
    r->node = ring_node_new(&cfg, &cb, &r->self);
    return r->node ? 0 : -ENOMEM;
}

/* ---- bootstrap ------------------------------------------------------------ */

static int ringd_cmp_peer_id(const void *a, const void *b)
{
    ring_id x, y;

    ringid_from_pubkey(x.b, (*(struct peer *const *)a)->pub);
    ringid_from_pubkey(y.b, (*(struct peer *const *)b)->pub);
    return ring_id_cmp(&x, &y);
}

/*
 * No [Peer]: create the ring. Else join through an up [Peer], lowest id
 * first (the host with the lowest id creates the ring when it has not
 * joined one within RINGD_CREATE_WAIT_S), moving on to the next one when a
 * join has not completed within RINGD_JOIN_TRY_MS: a join through a
 * member takes one round trip, one through a host that is itself joining
 * never completes.
 */
static void ringd_bootstrap(struct ringd *r, uint64_t now)
{
    struct daemon *d = r->d;
    enum ring_state st = r->node ? ring_node_state(r->node) : RING_IDLE;
    struct peer *up[64], *b;
    size_t nup = 0;
    ring_peer bp;

    if (st == RING_ACTIVE) {
        r->unjoined_since = 0;
        /* Alone in a ring of our own while a [Peer] is up: two hosts
         * created rings at once (each the lowest of its [Peer]s, neither
         * seeing the other a member in time), and Chord never merges
         * rings. Give ours up and join through the [Peer]s; if they are
         * alone too, all end up joining, nobody answers, and the lowest
         * creates one ring again. */
        if (!ring_id_eq(&ring_node_succ(r->node, 0)->id, &r->self.id) ||
            d->cfg->n_peers == 0) {
            r->alone_since = 0;
            return;
        }
        if (!r->alone_since)
            r->alone_since = now;
        if (now - r->alone_since < RINGD_ALONE_S * RINGD_SEC)
            return;
        r->alone_since = 0;
        r->join_since = 0;
        r->unjoined_since = now;
        log_info("ring", "alone in our ring: joining through our [Peer]s");
    } else if (st == RING_JOINING &&
               now - r->join_since < (uint64_t)RINGD_JOIN_TRY_MS * RINGD_MS) {
        return;
    }
    if (!r->unjoined_since)
        r->unjoined_since = now;
    /* The lowest id creates the ring only when no [Peer] has shown it is
     * a member: a join that is slow (owners busy while many hosts join at
     * once) must not end in a second ring, which Chord never merges. */
    if (st != RING_ACTIVE &&
        (d->cfg->n_peers == 0 ||
         (r->lowest && now - r->unjoined_since > RINGD_CREATE_WAIT_S * RINGD_SEC &&
          (!r->member_seen || now - r->member_seen > RINGD_MEMBER_SEEN_S * RINGD_SEC)))) {
        if (ringd_node_new(r, NULL) == 0 && ring_node_create(r->node, now) == 0)
            log_info("ring", "created the ring");
        return;
    }
    for (size_t i = 0; i < d->n_peers && nup < 64; i++) {
        struct peer *p = d->peers[i];

        if (ringd_cfg_peer(d, p->pub) && link_peer_state(p->lp, now) == LINK_UP && p->ep.len)
            up[nup++] = p;
    }
    if (!nup) {
        /* Our [Peer] links may have been closed as idle while we were a
         * member: ask them again. */
        for (size_t i = 0; i < d->n_peers; i++) {
            struct peer *p = d->peers[i];

            if (ringd_cfg_peer(d, p->pub) && p->ep.len &&
                link_peer_state(p->lp, now) == LINK_DOWN)
                link_peer_connect(p->lp, now);
        }
        return;
    }
    qsort(up, nup, sizeof(up[0]), ringd_cmp_peer_id);
    b = up[r->join_next++ % nup];
    ringd_peer_of(&bp, b);
    if (ringd_node_new(r, &b->ep) < 0)
        return;
    r->join_since = now;
    if (ring_node_join(r->node, now, &bp) == 0)
        log_debug("ring", "joining through %s", b->name);
}

/* ---- records from the MAC tables ------------------------------------------ */

static struct ringd_pub *ringd_pub_find(struct ringd *r, uint32_t enclave, const uint8_t *mac)
{
    for (size_t i = 0; i < r->n_pubs; i++) {
        struct ringd_pub *p = &r->pubs[i];

        if (p->enclave == enclave && p->member == !mac && (!mac || memcmp(p->mac, mac, 6) == 0))
            return p;
    }
    return NULL;
}

static void ringd_pub_mark(struct ringd *r, uint64_t now, uint32_t enclave, const uint8_t *mac,
                           uint64_t seq)
{
    struct ringd_pub *p = ringd_pub_find(r, enclave, mac);

    if (p && p->seq == seq) {
        p->seen = true;
        return;
    }
    if (!p) {
        struct ringd_pub *np = realloc(r->pubs, (r->n_pubs + 1) * sizeof(*np));

        if (!np)
            return;
        r->pubs = np;
        p = &r->pubs[r->n_pubs++];
        memset(p, 0, sizeof(*p));
        p->enclave = enclave;
        p->member = !mac;
        if (mac)
            memcpy(p->mac, mac, 6);
    }
    p->seq = seq;
    p->seen = true;
    if (mac)
        ring_node_publish_mac(r->node, now, enclave, mac, seq);
    else
        ring_node_publish_member(r->node, now, enclave);
}

/* Publish every local MAC (static or learned) and a membership record per
 * enclave with local MACs; unpublish what went away. */
static void ringd_publish_scan(struct ringd *r, uint64_t now)
{
    struct daemon *d = r->d;

    for (size_t i = 0; i < r->n_pubs; i++)
        r->pubs[i].seen = false;
    for (size_t i = 0; i < d->n_enclaves; i++) {
        struct enclave *e = d->enclaves[i];
        bool any = false;

        for (size_t k = 0; k < fdb_capacity(e->fdb); k++) {
            const struct fdb_entry *ent = fdb_at(e->fdb, k);

            if (!ent || ent->peer)
                continue;
            any = true;
            ringd_pub_mark(r, now, e->id, ent->mac, ent->seq);
        }
        for (size_t k = 0; k < d->n_att && !any; k++)
            any = d->att[k].enc == e;
        if (any)
            ringd_pub_mark(r, now, e->id, NULL, 0);
    }
    for (size_t i = 0; i < r->n_pubs;) {
        struct ringd_pub *p = &r->pubs[i];

        if (p->seen) {
            i++;
            continue;
        }
        ring_node_unpublish(r->node, p->member ? RING_REC_MEMBER : RING_REC_MAC, p->enclave,
                            p->mac);
        r->pubs[i] = r->pubs[--r->n_pubs];
    }
}

static void ringd_members_refresh(struct ringd *r, uint64_t now, uint32_t enclave)
{
    struct ringd_members *m = ringd_members(r, enclave, true);

    if (!m || m->pending ||
        (m->fetched && now - m->fetched < RINGD_MEMBERS_REFRESH_S * RINGD_SEC))
        return;
    m->pending = true;
    if (ring_node_get_members(r->node, now, enclave,
                              (uint64_t)RINGD_CK_MEMBERS << 56 | enclave) < 0)
        m->pending = false;
}

/*
 * A record stored while the ring was settling may sit at a host that no
 * longer owns its key (a pointer that was stale when the store arrived),
 * and the node republishes only every refresh period (30 s). So when our
 * neighbours change, republish everything 1 s later and again after 3, 6,
 * 12 and 24 s, while the rest of the ring settles too.
 */
static void ringd_watch_neighbours(struct ringd *r, uint64_t now)
{
    const ring_peer *p = ring_node_pred(r->node), *s = ring_node_succ(r->node, 0);
    ring_id pid, sid;

    memset(&pid, 0, sizeof(pid));
    if (p)
        pid = p->id;
    sid = s ? s->id : r->self.id;
    if (!ring_id_eq(&pid, &r->last_pred) || !ring_id_eq(&sid, &r->last_succ)) {
        r->last_pred = pid;
        r->last_succ = sid;
        r->nb_changed = now;
        r->republish_at = now + RINGD_SEC;
        r->republish_step = 0;
    }
    if (!r->republish_at || now < r->republish_at)
        return;
    r->republish_at = r->republish_step < RINGD_REPUBLISH_STEPS
                          ? now + (RINGD_REPUBLISH_FIRST_S * RINGD_SEC << r->republish_step++)
                          : 0;
    for (size_t i = 0; i < r->n_pubs; i++) {
        const struct ringd_pub *q = &r->pubs[i];

        if (q->member)
            ring_node_publish_member(r->node, now, q->enclave);
        else
            ring_node_publish_mac(r->node, now, q->enclave, q->mac, q->seq);
    }
}

static void ringd_tick_cb(uv_timer_t *t)
{
    struct ringd *r = t->data;
    uint64_t now = daemon_now();

    r->ticks++;
    ringd_bootstrap(r, now);
    if (r->node && ring_node_state(r->node) == RING_ACTIVE && r->ticks % 4 == 0) {
        ringd_publish_scan(r, now);
        ringd_watch_neighbours(r, now);
        ringd_idle_scan(r, now);
    }
    ringd_ctl_tick(r, now);
    ringd_rearm(r);
}

/* ---- entry points ------------------------------------------------------- */

int ringd_start(struct daemon *d)
{
    struct ringd *r = calloc(1, sizeof(*r));
    const char *idle = getenv("OVERLAYD_RING_IDLE_S");
    ring_id self, other;

    if (!r)
        return -ENOMEM;
    r->d = d;
    d->ringd = r;
    r->started = daemon_now();
    r->idle_ns = (uint64_t)RINGD_IDLE_DEFAULT_S * RINGD_SEC;
    if (idle && atoi(idle) > 0)
        r->idle_ns = (uint64_t)atoi(idle) * RINGD_SEC;
    ringid_from_pubkey(self.b, d->pub);
    r->lowest = true;
    for (size_t i = 0; i < d->cfg->n_peers; i++) {
        ringid_from_pubkey(other.b, d->cfg->peers[i].pubkey);
        if (ring_id_cmp(&other, &self) < 0)
            r->lowest = false;
    }
    uv_timer_init(d->loop, &r->timer);
    uv_timer_init(d->loop, &r->tick);
    r->timer.data = r->tick.data = r;
    r->timers_open = true;
    uv_timer_start(&r->tick, ringd_tick_cb, RINGD_TICK_MS, RINGD_TICK_MS);
    return 0;
}

void ringd_stop(struct daemon *d)
{
    struct ringd *r = d->ringd;

    if (!r || !r->timers_open)
        return;
    if (r->node && ring_node_state(r->node) == RING_ACTIVE)
        ring_node_leave(r->node, daemon_now());
    r->timers_open = false;
    uv_close((uv_handle_t *)&r->timer, NULL);
    uv_close((uv_handle_t *)&r->tick, NULL);
}

void ringd_free(struct daemon *d)
{
    struct ringd *r = d->ringd;

    if (!r)
        return;
    ring_node_free(r->node);
    for (size_t i = 0; i < r->n_mem; i++)
        free(r->mem[i].hosts);
    free(r->mem);
    free(r->names);
    free(r->pubs);
    free(r->pend);
    sodium_memzero(r->boxkeys, sizeof(r->boxkeys));
    free(r);
    d->ringd = NULL;
}

void ringd_from_peer(struct daemon *d, struct peer *p, const uint8_t *data, size_t len)
{
    struct ringd *r = d->ringd;
    uint8_t kind;
    const uint8_t *body;
    size_t blen;
    char name[CONFIG_NAME_MAX + 1];
    ring_peer from;

    if (!r || inner_ring_parse(data, len, &kind, &body, &blen) < 0) {
        drop_count(&d->drops, DROP_INNER_MALFORMED, daemon_now(), "ring payload from %s", p->name);
        return;
    }
    switch (kind) {
    case INNER_RING_MSG:
        p->last_data = p->ring_rx = daemon_now();
        /* Only members answer lookups (routing/lookup.c). */
        if (blen >= 2 && body[1] == RING_MSG_FIND_RESP && ringd_cfg_peer(d, p->pub))
            r->member_seen = daemon_now();
        if (!ringd_has_name(r, p->pub))
            ringd_send_host(r, p, true);
        if (!r->node)
            return;
        ringd_peer_of(&from, p);
        ringd_deliver(r, &from, body, blen, daemon_now());
        return;
    case INNER_RING_HOST:
        if (inner_ring_host_parse(body, blen, name) < 0) {
            drop_count(&d->drops, DROP_INNER_MALFORMED, daemon_now(), "HOST from %s", p->name);
            return;
        }
        ringd_set_host_name(r, p, name);
        if (body[0] & INNER_RING_HOST_REQUEST)
            ringd_send_host(r, p, false);
        return;
    case INNER_RING_ECHO:
        if (blen >= 1 && (body[0] & INNER_RING_ECHO_REQUEST)) {
            uint8_t f = 0;

            ringd_send_raw(r, p, INNER_RING_ECHO, &f, 1);
        }
        return;
    case INNER_RING_RELAY:
        ringd_relay_recv(r, p, body, blen, daemon_now());
        return;
    case INNER_RING_CLOSE:
        /* At once: a handshake that arrives after this CLOSE must find
         * the peer gone, or it would be torn down with the new session
         * (a half-open link the other side keeps sending into). Safe
         * here: rx_payload runs after link_receive and uses @p no more. */
        ringd_close_request(r, p, body, blen);
        return;
    default:
        drop_count(&d->drops, DROP_INNER_TYPE, daemon_now(), "ring kind %u from %s", kind, p->name);
        return;
    }
}

void ringd_link_up(struct daemon *d, struct peer *p)
{
    struct ringd *r = d->ringd;

    if (!r)
        return;
    p->last_data = daemon_now();
    link_peer_set_persistent_keepalive(p->lp, DAEMON_KEEPALIVE_S);
    ringd_send_host(r, p, !ringd_has_name(r, p->pub));
}

void ringd_unknown_unicast(struct daemon *d, struct enclave *e, const uint8_t mac[6],
                           uint64_t now)
{
    struct ringd *r = d->ringd;
    struct ringd_resolve *s;

    if (!r || !r->node || ring_node_state(r->node) != RING_ACTIVE)
        return;
    for (unsigned i = 0; i < RINGD_RESOLVE_SLOTS; i++) {
        s = &r->res[i];
        if (s->at && s->enclave == e->id && memcmp(s->mac, mac, 6) == 0 &&
            now - s->at < RINGD_SEC)
            return;
    }
    s = &r->res[r->res_next++ % RINGD_RESOLVE_SLOTS];
    s->enclave = e->id;
    memcpy(s->mac, mac, 6);
    s->at = now;
    ring_node_get_mac(r->node, now, e->id, mac, (uint64_t)RINGD_CK_RESOLVE << 56);
    ringd_rearm(r);
}

void ringd_flood(struct daemon *d, struct enclave *e, uint64_t now)
{
    struct ringd *r = d->ringd;
    struct ringd_members *m;

    if (!r || !r->node || ring_node_state(r->node) != RING_ACTIVE)
        return;
    m = ringd_members(r, e->id, true);
    if (!m)
        return;
    /* Fetched on demand (floods only), at most every RINGD_MEMBERS_REFRESH_S. */
    if (!m->pending &&
        (!m->fetched || now - m->fetched >= RINGD_MEMBERS_REFRESH_S * RINGD_SEC)) {
        ringd_members_refresh(r, now, e->id);
        ringd_rearm(r);
    }
    /* Only links: a frame sent before the link is up and the host has
     * announced @e would be dropped there; the caller's next flood (the
     * guest retries) reaches it once it is. */
    for (size_t i = 0; i < m->n; i++) {
        struct peer *p = ringd_peer_for(r, &m->hosts[i], true, now);

        if (p && link_peer_state(p->lp, now) == LINK_DOWN) {
            p->last_data = now;
            link_peer_connect(p->lp, now);
        }
    }
}

void ringd_take_facts(struct daemon *d, const struct dp_facts *f, uint64_t now)
{
    for (unsigned i = 0; i < f->n; i++) {
        const struct dp_fact *x = &f->q[i];
        struct enclave *e = enclave_by_id(d, x->enclave);

        if (!e)
            continue;
        if (x->kind == DP_FACT_UNKNOWN_MAC)
            ringd_unknown_unicast(d, e, x->mac, now);
        else if (x->kind == DP_FACT_FLOODED)
            ringd_flood(d, e, now);
    }
}
