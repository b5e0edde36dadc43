/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * ringd's links: endpoints and identities of ring peers, host names (HOST
 * messages), the peer for a ring destination (on demand with an
 * Authority), and closing links (CLOSE) as the plan decides. See ringd.h
 * and docs/design.md.
 */
#include "overlayd/ring/ringd_int.h"

#include <errno.h>
#include <ifaddrs.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include "crypto/key.h"
#include "crypto/ringid.h"
#include "overlayd/datapath/peer_admit.h"
#include "overlayd/daemon.h"
#include "overlayd/announce/announce.h"
#include "overlayd/datapath/inner.h"
#include "lib/log.h"

/* ---- endpoints and identities -------------------------------------------- */

void ringd_ep_from_addr(ring_endpoint *ep, const struct udp_addr *a)
{
    memset(ep, 0, sizeof(*ep));
    if (!a->len)
        return;
    if (a->ss.ss_family == AF_INET) {
        const struct sockaddr_in *s4 = (const struct sockaddr_in *)&a->ss;

        ep->family = 4;
        ep->port = ntohs(s4->sin_port);
        memcpy(ep->addr, &s4->sin_addr, 4);
    } else if (a->ss.ss_family == AF_INET6) {
        const struct sockaddr_in6 *s6 = (const struct sockaddr_in6 *)&a->ss;

        ep->port = ntohs(s6->sin6_port);
        if (IN6_IS_ADDR_V4MAPPED(&s6->sin6_addr)) {
            ep->family = 4;
            memcpy(ep->addr, &s6->sin6_addr.s6_addr[12], 4);
        } else {
            ep->family = 6;
            memcpy(ep->addr, &s6->sin6_addr, 16);
        }
    }
}

/* The form our socket sends to (v4-mapped on a dual-stack socket). */
static int ringd_addr_from_ep(const struct daemon *d, struct udp_addr *a, const ring_endpoint *ep)
{
    memset(a, 0, sizeof(*a));
    if (ep->family == 4 && d->udp.family == AF_INET) {
        struct sockaddr_in *s4 = (struct sockaddr_in *)&a->ss;

        s4->sin_family = AF_INET;
        s4->sin_port = htons(ep->port);
        memcpy(&s4->sin_addr, ep->addr, 4);
        a->len = sizeof(*s4);
        return 0;
    }
    if ((ep->family == 4 || ep->family == 6) && d->udp.family == AF_INET6) {
        struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&a->ss;

        s6->sin6_family = AF_INET6;
        s6->sin6_port = htons(ep->port);
        if (ep->family == 4) {
            s6->sin6_addr.s6_addr[10] = 0xff;
            s6->sin6_addr.s6_addr[11] = 0xff;
            memcpy(&s6->sin6_addr.s6_addr[12], ep->addr, 4);
        } else {
            memcpy(&s6->sin6_addr, ep->addr, 16);
        }
        a->len = sizeof(*s6);
        return 0;
    }
    return -EAFNOSUPPORT;
}

void ringd_peer_of(ring_peer *rp, const struct peer *p)
{
    memset(rp, 0, sizeof(*rp));
    ringid_from_pubkey(rp->id.b, p->pub);
    memcpy(rp->pub, p->pub, 32);
    ringd_ep_from_addr(&rp->ep, &p->ep);
}

/*
 * Our own endpoint as others should reach us: ListenAddress when it is a
 * specific address; else the source address the kernel picks towards
 * @towards (a [Peer]); else the first global address of the host.
 */
void ringd_self_ep(struct daemon *d, ring_endpoint *ep, const struct udp_addr *towards)
{
    struct udp_addr a = { .len = 0 };
    struct ifaddrs *ifa = NULL;

    memset(ep, 0, sizeof(*ep));
    ep->port = d->cfg->listen_port;
    if (d->cfg->listen_address[0]) {
        struct in_addr v4;
        struct in6_addr v6;

        if (inet_pton(AF_INET, d->cfg->listen_address, &v4) == 1 && v4.s_addr != INADDR_ANY) {
            ep->family = 4;
            memcpy(ep->addr, &v4, 4);
            return;
        }
        if (inet_pton(AF_INET6, d->cfg->listen_address, &v6) == 1 &&
            !IN6_IS_ADDR_UNSPECIFIED(&v6)) {
            ep->family = 6;
            memcpy(ep->addr, &v6, 16);
            return;
        }
    }
    if (towards && towards->len) {
        int fd = socket(towards->ss.ss_family, SOCK_DGRAM | SOCK_CLOEXEC, 0);

        a.len = sizeof(a.ss);
        if (fd >= 0 && connect(fd, (const struct sockaddr *)&towards->ss, towards->len) == 0 &&
            getsockname(fd, (struct sockaddr *)&a.ss, &a.len) == 0) {
            uint16_t port = ep->port;

            ringd_ep_from_addr(ep, &a);
            ep->port = port;
            close(fd);
            if (ep->family)
                return;
        } else if (fd >= 0) {
            close(fd);
        }
    }
    if (getifaddrs(&ifa) < 0)
        return;
    for (struct ifaddrs *i = ifa; i; i = i->ifa_next) {
        if (!i->ifa_addr || i->ifa_addr->sa_family != AF_INET)
            continue;
        const struct sockaddr_in *s4 = (const struct sockaddr_in *)i->ifa_addr;

        if ((ntohl(s4->sin_addr.s_addr) >> 24) == 127)
            continue;
        ep->family = 4;
        memcpy(ep->addr, &s4->sin_addr, 4);
        break;
    }
    freeifaddrs(ifa);
}

/* ---- names ---------------------------------------------------------------- */

/* A name from a HOST message, or from the certificate of an admitted
 * link peer (what ringd_name_of() would show). */
bool ringd_has_name(struct ringd *r, const uint8_t pub[32])
{
    struct link_peer *lp;
    const struct peer *p;

    if (memcmp(pub, r->d->pub, 32) == 0)
        return true;
    for (size_t i = 0; i < r->n_names; i++)
        if (memcmp(r->names[i].pub, pub, 32) == 0)
            return true;
    lp = link_peer_find(r->d->link, pub);
    p = lp ? link_peer_user(lp) : NULL;
    return p && p->adm && p->adm->admitted && p->adm->g.name[0];
}

const char *ringd_name_of(struct ringd *r, const uint8_t pub[32], char fallback[CONFIG_NAME_MAX + 1])
{
    struct link_peer *lp;
    char b64[KEY_B64_LEN + 1];

    if (memcmp(pub, r->d->pub, 32) == 0)
        return r->d->cfg->name;
    for (size_t i = 0; i < r->n_names; i++)
        if (memcmp(r->names[i].pub, pub, 32) == 0)
            return r->names[i].name;
    lp = link_peer_find(r->d->link, pub);
    if (lp && link_peer_user(lp)) {
        const struct peer *p = link_peer_user(lp);
        const struct config_peer *cp = ringd_cfg_peer(r->d, pub);

        /* Its HOST message may not have come yet (or been lost): with an
         * Authority, the certificate it was admitted with names it. */
        if (!(cp && cp->name[0]) && p->adm && p->adm->admitted && p->adm->g.name[0])
            return p->adm->g.name;
        return p->name;
    }
    if (admit_enabled(r->d)) {
        /* a host we reach through relays: its certificate's name */
        const struct admit_grant *g = admit_known_grant(r->d->admit, pub, NULL,
                                                        admit_now_unix());

        if (g && g->name[0])
            return g->name;
    }
    key_to_base64(b64, pub);
    memcpy(fallback, b64, 8);
    fallback[8] = '\0';
    return fallback;
}

void ringd_set_name(struct ringd *r, struct peer *p, const char *name)
{
    struct ringd_name *nn;

    for (size_t i = 0; i < r->n_names; i++) {
        if (memcmp(r->names[i].pub, p->pub, 32) == 0) {
            snprintf(r->names[i].name, sizeof(r->names[i].name), "%s", name);
            return;
        }
    }
    nn = realloc(r->names, (r->n_names + 1) * sizeof(*nn));
    if (!nn)
        return;
    r->names = nn;
    memcpy(nn[r->n_names].pub, p->pub, 32);
    snprintf(nn[r->n_names].name, sizeof(nn[r->n_names].name), "%s", name);
    r->n_names++;
}

/*
 * A HOST message names its sender, but a peer must not choose how we show
 * it when we know better: with an Authority its certificate's name, for a
 * [Peer] its Name; only otherwise the announced one (already checked to be
 * [a-z0-9-], 1..32 by inner_ring_host_parse).
 */
void ringd_set_host_name(struct ringd *r, struct peer *p, const char *announced)
{
    const struct config_peer *cp = ringd_cfg_peer(r->d, p->pub);
    const char *name = announced;

    if (p->adm && p->adm->admitted && p->adm->g.name[0])
        name = p->adm->g.name;
    else if (cp && cp->name[0])
        name = cp->name;
    ringd_set_name(r, p, name);
    if (cp && cp->name[0])
        return;                       /* the operator's label stays */
    if (strcmp(p->name, name) != 0 && !peer_by_name(r->d, name))
        snprintf(p->name, sizeof(p->name), "%s", name);
}

/* ---- peers and links ------------------------------------------------------ */

static size_t ringd_demand_peers(const struct daemon *d)
{
    size_t n = 0;

    for (size_t i = 0; i < d->n_peers; i++)
        if (!ringd_cfg_peer(d, d->peers[i]->pub))
            n++;
    return n;
}

const struct config_peer *ringd_cfg_peer(const struct daemon *d, const uint8_t pub[32])
{
    return peer_cfg_by_pub(d, pub);
}

/* A fresh link peer for @p (session and handshake state dropped). On
 * failure @p is removed. */
static int ringd_reset_link(struct daemon *d, struct peer *p)
{
    announce_peer_down(d, p);
    peer_link_free(d, p);
    p->state = LINK_DOWN;
    p->hello_pending = false;
    if (peer_link_new(d, p) < 0) {
        peer_remove(d, p);
        return -ENOMEM;
    }
    return 0;
}

/*
 * The peer to reach @rp: the one with its key (taking the ring's endpoint
 * when it has none), or with an Authority and @create, a new one. Without
 * an Authority only [Peer] keys are admitted, so there is none to create.
 */
struct peer *ringd_peer_for(struct ringd *r, const ring_peer *rp, bool create, uint64_t now)
{
    struct daemon *d = r->d;
    struct link_peer *lp = link_peer_find(d->link, rp->pub);
    struct peer *p = lp ? link_peer_user(lp) : NULL;

    if (!p && create && d->cfg->has_authority && memcmp(rp->pub, d->pub, 32) != 0 &&
        rp->ep.family) {
        struct config_peer cp;

        /* Other hosts may still list a host we revoked: never link to it. */
        if (!admit_contact_allowed(d, rp->pub))
            return NULL;

        /* A remote names the hosts we link to: bound what it makes us allocate. */
        if (ringd_demand_peers(d) >= RINGD_DEMAND_PEERS_MAX) {
            drop_count(&d->drops, DROP_RING_PEER_CAP, now, "%u on-demand peers",
                       (unsigned)RINGD_DEMAND_PEERS_MAX);
            return NULL;
        }
        memset(&cp, 0, sizeof(cp));
        memcpy(cp.pubkey, rp->pub, 32);
        if (peer_add(d, &cp, &p) < 0)
            return NULL;
        plan_on_data(r->plan, p->pub, now);
        log_info("ring", "%s: link on demand", p->name);
    }
    if (p && !p->ep.len && rp->ep.family &&
        ringd_addr_from_ep(d, &p->ep, &rp->ep) == 0 &&
        link_peer_state(p->lp, now) == LINK_CONNECTING) {
        /* Its keepalive started a handshake that went nowhere (no
         * endpoint); the retry would come only after REKEY_TIMEOUT. */
        if (ringd_reset_link(d, p) < 0)
            return NULL;
    }
    return p;
}

void ringd_send_raw(struct ringd *r, struct peer *p, uint8_t kind, const uint8_t *body,
                           size_t len)
{
    int rc;

    r->buf[0] = INNER_RING;
    r->buf[1] = kind;
    if (len)
        memcpy(r->buf + 2, body, len);
    rc = link_peer_send(p->lp, daemon_now(), r->buf, len + 2);
    detour_note_sent(p, daemon_now());
    if (rc < 0)
        log_debug("ring", "send to %s: %s", p->name, strerror(-rc));
}

void ringd_send_host(struct ringd *r, struct peer *p, bool request)
{
    uint8_t b[1 + CONFIG_NAME_MAX];
    size_t n = strlen(r->d->cfg->name);

    b[0] = request ? INNER_RING_HOST_REQUEST : 0;
    memcpy(b + 1, r->d->cfg->name, n);
    ringd_send_raw(r, p, INNER_RING_HOST, b, n + 1);
}

/* Looked up directly in the link layer, not with ringd_peer_for(): asking
 * must not create or reset links (a status query, a PNS candidate). */
uint64_t ringd_link_rtt(struct daemon *d, const ring_peer *rp)
{
    struct link_peer *lp = link_peer_find(d->link, rp->pub);

    return lp && link_peer_user(lp) ? link_peer_rtt_ns(lp) : 0;
}

/* ---- closing links --------------------------------------------------------- */

struct peer *ringd_peer_by_pub(struct ringd *r, const uint8_t pub[32])
{
    struct link_peer *lp = link_peer_find(r->d->link, pub);

    return lp ? link_peer_user(lp) : NULL;
}

/* Drop our session with @p: a peer learned through the ring goes away; a
 * [Peer] stays known (admission) with a fresh link peer. */
void ringd_close_peer(struct ringd *r, struct peer *p, bool tell)
{
    struct daemon *d = r->d;
    bool cfg = ringd_cfg_peer(d, p->pub) != NULL;

    if (tell && link_peer_state(p->lp, daemon_now()) == LINK_UP)
        ringd_send_raw(r, p, INNER_RING_CLOSE, NULL, 0);
    log_info("ring", "%s: idle link closed", p->name);
    plan_link_closed(r->plan, p->pub, !cfg);
    if (!cfg) {
        peer_remove(d, p);
        return;
    }
    /* A [Peer] stays known (admission, the next join); without the
     * keepalive its fresh link would handshake again at once. It comes
     * back with the next message for it (ringd_link_up re-arms it). */
    if (ringd_reset_link(d, p) == 0)
        link_peer_set_persistent_keepalive(p->lp, 0);
}

/* Whether to close is the plan's (plan_on_close_msg): agreed, not imposed. */
void ringd_close_msg(struct ringd *r, struct peer *p, const uint8_t *body, size_t len)
{
    uint64_t now = daemon_now();
    enum plan_close_msg m = PLAN_CLOSE_MSG_OTHER;

    if (len == 0)
        m = PLAN_CLOSE_MSG_CLOSED;
    else if (body[0] & INNER_RING_CLOSE_DECLINE)
        m = PLAN_CLOSE_MSG_DECLINE;
    else if (body[0] & INNER_RING_CLOSE_REQUEST)
        m = PLAN_CLOSE_MSG_REQUEST;
    ringd_plan_refresh(r, now);
    switch (plan_on_close_msg(r->plan, p->pub, m, now)) {
    case PLAN_CLOSE_DROP:
        if (m == PLAN_CLOSE_MSG_DECLINE)
            log_debug("ring", "%s declined to be our ring neighbour", p->name);
        ringd_close_peer(r, p, false);
        return;
    case PLAN_CLOSE_AGREE:
        ringd_close_peer(r, p, true);
        return;
    case PLAN_CLOSE_IGNORE:
        if (m == PLAN_CLOSE_MSG_REQUEST)
            log_debug("ring", "%s asks to close our link: still needed here", p->name);
        return;
    }
}
