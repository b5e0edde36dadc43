/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The ring node inside the daemon: its creation, its callbacks (messages
 * out directly or relayed as the plan says, randomness, what a host may
 * carry, lookups done, joins) and its timer. See ringd.h.
 */
#include "overlayd/ring/ringd_int.h"

#include <errno.h>
#include <string.h>
#include <sodium.h>

#include "crypto/ringid.h"
#include "overlayd/datapath/peer_admit.h"
#include "overlayd/daemon.h"
#include "lib/log.h"
#include "routing/wire.h"

/* Debug trace of the ring's traffic: which message went where, and how. */
static void ringd_log_send(struct ringd *r, const ring_peer *to, const ring_peer *hop,
                           const uint8_t *buf, size_t len)
{
    char a[CONFIG_NAME_MAX + 1], b[CONFIG_NAME_MAX + 1];

    log_debug("ring", "msg %u (%zu bytes) to %s %s%s", len > 1 ? buf[1] : 0, len,
              ringd_name_of(r, to->pub, a), hop ? "via " : "direct",
              hop ? ringd_name_of(r, hop->pub, b) : "");
}

static void ringd_cb_send(void *ctx, const ring_peer *to, const uint8_t *buf, size_t len)
{
    struct ringd *r = ctx;
    uint64_t now = daemon_now();
    struct plan_path path;
    struct peer *p;

    ringd_plan_refresh(r, now);
    plan_route(r->plan, to, now, &path);
    if (path.kind == PLAN_PATH_RELAY) {
        if (log_enabled(LOG_DEBUG))
            ringd_log_send(r, to, &path.hop, buf, len);
        ringd_relay_send(r, to, &path.hop, buf, len, now);
        return;
    }
    p = ringd_peer_for(r, to, true, now);
    if (!p) {
        drop_count(&r->d->drops, DROP_RING_NO_LINK, now, "ring message");
        return;
    }
    if (log_enabled(LOG_DEBUG))
        ringd_log_send(r, to, NULL, buf, len);
    plan_on_data(r->plan, p->pub, now);
    ringd_send_raw(r, p, INNER_RING_MSG, buf, len);
}

/* PNS (routing/pns.c): only hosts we hold a link to have an RTT; the
 * node treats the rest as unmeasured, so a finger moves only to a linked
 * host (by more than RINGD_PNS_MARGIN_MS nearer, once it has a measured
 * one). */
static uint64_t ringd_cb_rtt(void *ctx, const ring_peer *p)
{
    struct ringd *r = ctx;

    return ringd_link_rtt(r->d, p);
}

static uint64_t ringd_cb_rand(void *ctx)
{
    uint64_t v;

    (void)ctx;
    randombytes_buf(&v, sizeof(v));
    return v;
}

/*
 * Replicas (RECS) come from the record's primary, which checked the
 * publisher's certificate when it accepted the STORE; we may never have
 * met the publisher. So a RECS about a host we hold no certificate for is
 * taken on the (admitted) sender's word; one about a host we know is
 * checked against what we know. The sender itself is always checked: it
 * must hold a certificate for the enclave (its link or its relay brought
 * it), or it is forging replicas (routing/ counts recs_from_noncarrier).
 * STOREs are always checked: their sender is the publisher.
 */
static bool ringd_cb_may_carry(void *ctx, const ring_id *host, uint32_t enclave)
{
    struct ringd *r = ctx;

    if (r->in_replica && !ring_id_eq(host, &r->replica_from) &&
        !admit_knows_ringid(r->d, host->b))
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
    if (m.type == RING_MSG_FIND_REQ && (m.op == RING_OP_GET_MAC || m.op == RING_OP_GET_MEMBERS ||
                                      m.op == RING_OP_GET_IP))
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
    r->replica_from = from->id;
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
    plan_on_joined(r->plan, daemon_now());
}

static void ringd_cb_get_done(void *ctx, uint64_t cookie, int status, const ring_record *recs,
                              size_t n, unsigned hops)
{
    ringd_get_done(ctx, cookie, status, recs, n, hops);
}

/* ---- the node's timer ----------------------------------------------------- */

static void ringd_timer_cb(uv_timer_t *t)
{
    struct ringd *r = t->data;
    uint64_t now = daemon_now();

    if (r->node)
        ring_node_on_timeout(r->node, now);
    ringd_ctl_answer_due(r, now);
    ringd_rearm(r);
}

void ringd_rearm(struct ringd *r)
{
    uint64_t now = daemon_now(), dl, ctl;

    if (!r->timers_open || r->d->stopping)
        return;
    ringd_plan_rearm(r, now);
    dl = r->node ? ring_node_next_deadline(r->node) : UINT64_MAX;
    ctl = ringd_ctl_next_deadline(r);
    if (ctl < dl)
        dl = ctl;
    daemon_timer_arm(&r->timer, ringd_timer_cb, dl, now);
}

void ringd_remember(struct ringd *r, const struct peer *p, uint64_t now)
{
    ring_peer rp;

    if (!r->node || !p->ep.len || !ringd_cfg_peer(r->d, p->pub))
        return;
    ringd_peer_of(&rp, p);
    ring_node_remember(r->node, now, &rp);
}

int ringd_node_new(struct ringd *r, const struct udp_addr *towards)
{
    ring_config cfg;
    ring_callbacks cb = {
        .ctx = r,
        .send = ringd_cb_send,
        .rand = ringd_cb_rand,
        .may_carry = ringd_cb_may_carry,
        .rtt = ringd_cb_rtt,
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
    /* PNS with the default sample, without explore rounds: their answers
     * name hosts we hold no link to (unmeasured, so never chosen), and
     * every hop of the lookup would open a link. */
    cfg.pns_explore = false;
    cfg.pns_sample = r->d->cfg->proximity_sample;
    /* ProximitySample = 1 is plain Chord: greedy next hops too. */
    cfg.prs = cfg.pns_sample > 1;
    /* Link RTTs are smoothed samples of real traffic: a finger (and its
     * link) moves only for a clear gain, not for jitter between hosts
     * that are about equally near (a LAN, netns). */
    cfg.pns_margin_ns = (uint64_t)RINGD_PNS_MARGIN_MS * RINGD_MS;
    ringid_from_pubkey(r->self.id.b, r->d->pub);
    memcpy(r->self.pub, r->d->pub, 32);
    ringd_self_ep(r->d, &r->self.ep, towards);
    r->node = ring_node_new(&cfg, &cb, &r->self);
    if (!r->node)
        return -ENOMEM;
    for (size_t i = 0; i < r->d->n_peers; i++)
        ringd_remember(r, r->d->peers[i], daemon_now());
    return 0;
}
