/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The overlay plan (overlayd/plan/) inside the daemon: its timer, the
 * snapshots it decides on (every peer's link state, the node's
 * neighbourhood), the actions it returns carried out on peers, links and
 * the node, and the data path's events reported to it. See ringd.h.
 */
#include "overlayd/ring/ringd_int.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "overlayd/datapath/peer_admit.h"
#include "overlayd/daemon.h"
#include "lib/log.h"

static enum plan_link_st ringd_plan_st(enum link_state st)
{
    switch (st) {
    case LINK_UP: return PLAN_LINK_UP;
    case LINK_CONNECTING: return PLAN_LINK_CONNECTING;
    case LINK_DOWN: break;
    }
    return PLAN_LINK_DOWN;
}

static void ringd_plan_view(struct ringd *r, uint64_t now)
{
    struct plan_ring_view *v = &r->view;
    const ring_peer *pred;

    v->state = r->node ? ring_node_state(r->node) : RING_IDLE;
    v->has_pred = false;
    v->succ = r->self.id;
    v->n_nb = 0;
    v->link_cap = r->node ? ring_node_link_cap(r->node) : RING_LINKS_MIN;
    if (v->state == RING_ACTIVE) {
        pred = ring_node_pred(r->node);
        v->has_pred = pred != NULL;
        if (pred)
            v->pred = pred->id;
        v->succ = ring_node_succ(r->node, 0)->id;
        v->n_nb = ring_node_neighbours(r->node, v->nb, PLAN_NEIGHBOURS_MAX);
    }
    plan_on_ring(r->plan, v, now);
}

void ringd_plan_refresh(struct ringd *r, uint64_t now)
{
    struct daemon *d = r->d;

    plan_set_n_peers(r->plan, d->cfg->n_peers);
    plan_links_begin(r->plan);
    for (size_t i = 0; i < d->n_peers; i++) {
        const struct peer *p = d->peers[i];
        const struct config_peer *cp = ringd_cfg_peer(d, p->pub);
        unsigned f = 0;

        if (cp)
            f |= PLAN_LF_PEER;
        /* Static admission: the [Peer]s are the overlay. */
        if (cp && cp->endpoint[0] && !admit_enabled(d))
            f |= PLAN_LF_PINNED;
        if (p->ep.len)
            f |= PLAN_LF_HAS_EP;
        plan_link_state(r->plan, p->pub, f, ringd_plan_st(link_peer_state(p->lp, now)));
    }
    plan_links_end(r->plan);
    ringd_plan_view(r, now);
}

static void ringd_plan_join(struct ringd *r, const struct plan_action *a, uint64_t now)
{
    struct peer *b = ringd_peer_by_pub(r, a->pub);
    ring_peer bp;

    if (!b)
        return;
    if (a->rejoin)
        log_info("ring", "alone in our ring: joining through our [Peer]s");
    ringd_peer_of(&bp, b);
    if (ringd_node_new(r, &b->ep) < 0)
        return;
    if (ring_node_join(r->node, now, &bp) == 0)
        log_debug("ring", "joining through %s", b->name);
}

/* The peer for a CONNECT: an enclave neighbour may have none yet. */
static struct peer *ringd_plan_peer(struct ringd *r, const struct plan_action *a, uint64_t now)
{
    struct peer *p = ringd_peer_by_pub(r, a->pub);

    for (unsigned i = 0; !p && a->kind == PLAN_ACT_CONNECT && i < r->n_keep; i++)
        if (memcmp(r->keep[i].pub, a->pub, 32) == 0)
            p = ringd_peer_for(r, &r->keep[i], true, now);
    return p;
}

static void ringd_plan_close(struct ringd *r, const struct plan_action *a, uint64_t now)
{
    struct peer *p = ringd_plan_peer(r, a, now);
    uint8_t f;

    if (!p)
        return;
    switch (a->kind) {
    case PLAN_ACT_CONNECT:
        link_peer_connect(p->lp, now);
        return;
    case PLAN_ACT_ASK_CLOSE:
        log_debug("ring", "%s: link idle, asking to close it", p->name);
        f = INNER_RING_CLOSE_REQUEST;
        ringd_send_raw(r, p, INNER_RING_CLOSE, &f, 1);
        return;
    case PLAN_ACT_DECLINE:
        log_debug("ring", "%s: declined as a ring neighbour (cap %u)", p->name,
                  plan_link_cap(r->plan));
        f = INNER_RING_CLOSE_DECLINE;
        ringd_send_raw(r, p, INNER_RING_CLOSE, &f, 1);
        ringd_close_peer(r, p, false);
        return;
    case PLAN_ACT_CLOSE:
        ringd_close_peer(r, p, false);   /* not up: nothing to agree on */
        return;
    default:
        return;
    }
}

static void ringd_plan_do(struct ringd *r, const struct plan_action *a, uint64_t now)
{
    switch (a->kind) {
    case PLAN_ACT_CREATE:
        if (ringd_node_new(r, NULL) == 0 && ring_node_create(r->node, now) == 0)
            log_info("ring", "created the ring");
        return;
    case PLAN_ACT_JOIN:
        ringd_plan_join(r, a, now);
        return;
    case PLAN_ACT_PUBLISH_SCAN:
        if (r->node)
            ringd_publish_scan(r, now);
        return;
    case PLAN_ACT_REPUBLISH:
        if (r->node)
            ringd_republish(r, now);
        return;
    case PLAN_ACT_CONNECT:
    case PLAN_ACT_ASK_CLOSE:
    case PLAN_ACT_CLOSE:
    case PLAN_ACT_DECLINE:
        ringd_plan_close(r, a, now);
        return;
    }
}

static void ringd_plan_timer_cb(uv_timer_t *t)
{
    struct ringd *r = t->data;
    uint64_t now = daemon_now();

    ringd_plan_refresh(r, now);
    plan_on_timeout(r->plan, now, &r->acts);
    for (unsigned i = 0; i < r->acts.n; i++)
        ringd_plan_do(r, &r->acts.a[i], now);
    ringd_rearm(r);
}

void ringd_plan_rearm(struct ringd *r, uint64_t now)
{
    uint64_t dl;

    ringd_plan_view(r, now);
    dl = plan_next_deadline(r->plan);
    daemon_timer_arm(&r->plan_timer, ringd_plan_timer_cb, dl, now);
}

int ringd_plan_start(struct ringd *r)
{
    struct daemon *d = r->d;
    const char *idle = getenv("OVERLAYD_RING_IDLE_S");
    struct plan_config cfg = { .n_peers = d->cfg->n_peers };
    uint8_t (*peers)[32] = calloc(d->cfg->n_peers ? d->cfg->n_peers : 1, 32);

    if (!peers)
        return -ENOMEM;
    memcpy(cfg.self_pub, d->pub, 32);
    if (idle && atoi(idle) > 0)
        cfg.idle_ns = (uint64_t)atoi(idle) * RINGD_SEC;
    for (size_t i = 0; i < d->cfg->n_peers; i++)
        memcpy(peers[i], d->cfg->peers[i].pubkey, 32);
    cfg.peers = (const uint8_t (*)[32])peers;
    r->plan = plan_new(&cfg);
    free(peers);
    if (!r->plan)
        return -ENOMEM;
    uv_timer_init(d->loop, &r->plan_timer);
    r->plan_timer.data = r;
    return 0;
}

/* ---- the data path's events --------------------------------------------- */

void ringd_note_rx(struct daemon *d, const struct peer *p, uint64_t now)
{
    if (d->ringd && d->ringd->plan)
        plan_on_rx(d->ringd->plan, p->pub, now);
}

void ringd_note_frame(struct daemon *d, const struct peer *p, uint64_t now)
{
    if (d->ringd && d->ringd->plan)
        plan_on_frame(d->ringd->plan, p->pub, now);
}

void ringd_note_data(struct daemon *d, const struct peer *p, uint64_t now)
{
    if (d->ringd && d->ringd->plan)
        plan_on_data(d->ringd->plan, p->pub, now);
}

uint64_t ringd_last_data(struct daemon *d, const struct peer *p)
{
    struct plan_link_info li;

    if (!d->ringd || !d->ringd->plan || plan_link_get(d->ringd->plan, p->pub, &li) < 0)
        return 0;
    return li.last_data;
}
