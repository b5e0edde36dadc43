/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The ring inside the daemon, its entry points: start, stop and free (the
 * node's and the plan's timers), ring payloads from the links (ring
 * messages, HOST, ECHO, RELAY, CLOSE) and links that came up. See ringd.h
 * and docs/design.md ("Ring").
 */
#include "overlayd/ring/ringd_int.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sodium.h>

#include "overlayd/daemon.h"
#include "overlayd/datapath/inner.h"
#include "lib/log.h"
#include "routing/wire.h"

int ringd_start(struct daemon *d)
{
    struct ringd *r = calloc(1, sizeof(*r));
    int rc;

    if (!r)
        return -ENOMEM;
    r->d = d;
    keyidx_init(&r->pubidx, d->fdb_seed ^ 0x70756273ull);
    rc = ringd_plan_start(r);
    if (rc < 0) {
        free(r);
        return rc;
    }
    d->ringd = r;
    uv_timer_init(d->loop, &r->timer);
    r->timer.data = r;
    r->timers_open = true;
    /* The plan's first deadline is now: bootstrap. */
    ringd_rearm(r);
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
    uv_close((uv_handle_t *)&r->plan_timer, NULL);
}

void ringd_free(struct daemon *d)
{
    struct ringd *r = d->ringd;

    if (!r)
        return;
    ring_node_free(r->node);
    plan_free(r->plan);
    ringd_records_free(r);
    free(r->names);
    free(r->pend);
    sodium_memzero(r->boxkeys, sizeof(r->boxkeys));
    free(r);
    d->ringd = NULL;
}

/* A ring message over @p's link: the node's, and a sign of life for the plan. */
static void ringd_ring_msg(struct ringd *r, struct peer *p, const uint8_t *body, size_t blen)
{
    uint64_t now = daemon_now();
    ring_peer from;

    plan_on_ring_rx(r->plan, p->pub, now);
    /* Only members answer lookups (routing/lookup.c). */
    if (blen >= 2 && body[1] == RING_MSG_FIND_RESP && ringd_cfg_peer(r->d, p->pub))
        plan_member_seen(r->plan, now);
    if (!ringd_has_name(r, p->pub))
        ringd_send_host(r, p, true);
    if (!r->node)
        return;
    ringd_peer_of(&from, p);
    ringd_deliver(r, &from, body, blen, now);
}

void ringd_from_peer(struct daemon *d, struct peer *p, const uint8_t *data, size_t len)
{
    struct ringd *r = d->ringd;
    uint8_t kind;
    const uint8_t *body;
    size_t blen;
    char name[CONFIG_NAME_MAX + 1];

    if (!r || inner_ring_parse(data, len, &kind, &body, &blen) < 0) {
        drop_count(&d->drops, DROP_INNER_MALFORMED, daemon_now(), "ring payload from %s", p->name);
        return;
    }
    switch (kind) {
    case INNER_RING_MSG:
        ringd_ring_msg(r, p, body, blen);
        return;
    case INNER_RING_HOST:
        if (inner_ring_host_parse(body, blen, name) < 0) {
            drop_count(&d->drops, DROP_INNER_MALFORMED, daemon_now(), "HOST from %s", p->name);
            return;
        }
        ringd_set_host_name(r, p, name);
        if (body[0] & INNER_RING_HOST_REQUEST)
            ringd_send_host(r, p, false);
        /* A pending lookup may have waited for this name. */
        ringd_ctl_answer_due(r, daemon_now());
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
        ringd_close_msg(r, p, body, blen);
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
    plan_on_data(r->plan, p->pub, daemon_now());
    /* A [Peer] just reached may be in another ring (a reload added it). */
    ringd_remember(r, p, daemon_now());
    ringd_rearm(r);
    link_peer_set_persistent_keepalive(p->lp, DAEMON_KEEPALIVE_S);
    ringd_send_host(r, p, !ringd_has_name(r, p->pub));
}
