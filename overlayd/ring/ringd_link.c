/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * ringd's links: endpoints and identities of ring peers, host names (HOST
 * messages), the peer for a ring destination (on demand with an
 * Authority), and idle links (CLOSE). See ringd.h and docs/design.md.
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

bool ringd_has_name(struct ringd *r, const uint8_t pub[32])
{
    if (memcmp(pub, r->d->pub, 32) == 0)
        return true;
    for (size_t i = 0; i < r->n_names; i++)
        if (memcmp(r->names[i].pub, pub, 32) == 0)
            return true;
    return false;
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
    if (lp && link_peer_user(lp))
        return ((struct peer *)link_peer_user(lp))->name;
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
        p->last_data = now;
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

/* ---- idle links ------------------------------------------------------------ */

/* Drop our session with @p: a peer learned through the ring goes away; a
 * [Peer] without Endpoint stays known (admission) with a fresh link peer. */
void ringd_close_peer(struct ringd *r, struct peer *p, bool tell)
{
    struct daemon *d = r->d;

    if (tell && link_peer_state(p->lp, daemon_now()) == LINK_UP)
        ringd_send_raw(r, p, INNER_RING_CLOSE, NULL, 0);
    log_info("ring", "%s: idle link closed", p->name);
    if (!ringd_cfg_peer(d, p->pub)) {
        peer_remove(d, p);
        return;
    }
    /* A [Peer] stays known (admission, the next join); without the
     * keepalive its fresh link would handshake again at once. It comes
     * back with the next message for it (ringd_link_up re-arms it). */
    p->close_asked = 0;
    if (ringd_reset_link(d, p) == 0)
        link_peer_set_persistent_keepalive(p->lp, 0);
}

/*
 * May the link to @p go, as far as we are concerned? Not a [Peer] with an
 * Endpoint without an Authority (static admission: the [Peer]s are the
 * overlay), not one of our ring neighbours, and nothing carried for @idle.
 * With an Authority [Peer]s only say whom to contact first, so once we are
 * a member they are links like any other.
 */
static bool ringd_idle_ok(struct ringd *r, struct peer *p, uint64_t now, uint64_t idle)
{
    struct daemon *d = r->d;
    const struct config_peer *cp = ringd_cfg_peer(d, p->pub);
    ring_id id;

    if ((cp && cp->endpoint[0] && !admit_enabled(d)) || now - p->last_data < idle)
        return false;
    if (cp && link_peer_state(p->lp, now) != LINK_UP)
        return false;
    ringid_from_pubkey(id.b, p->pub);
    return !ringd_is_neighbour(r, &id);
}

/*
 * Closing is agreed, not imposed: we ask (CLOSE with REQUEST), and the
 * other side closes and answers CLOSE only if it does not need the link
 * either (we may be its successor or finger while it is neither of ours).
 * Closing one-sidedly would also lose what it sent us meanwhile, and a
 * ring request lost that way makes its sender shun us as dead.
 */
void ringd_close_request(struct ringd *r, struct peer *p, const uint8_t *body, size_t len)
{
    uint64_t now = daemon_now();

    if (len == 0) {                   /* the other side closed */
        ringd_close_peer(r, p, false);
        return;
    }
    if (body[0] & INNER_RING_CLOSE_DECLINE) {
        unsigned i = r->declined_next++ % RINGD_DECLINED_MAX;

        memcpy(r->declined[i].pub, p->pub, 32);
        r->declined[i].until = now + RINGD_DECLINE_S * RINGD_SEC;
        log_debug("ring", "%s declined to be our ring neighbour", p->name);
        ringd_close_peer(r, p, false);
        return;
    }
    if (!(body[0] & INNER_RING_CLOSE_REQUEST) || !r->node ||
        ring_node_state(r->node) != RING_ACTIVE || !ringd_idle_ok(r, p, now, r->idle_ns / 2))
        return;
    ringd_close_peer(r, p, true);
}

static int ringd_cmp_last_data(const void *a, const void *b)
{
    const struct peer *x = *(struct peer *const *)a, *y = *(struct peer *const *)b;

    return x->last_data < y->last_data ? -1 : x->last_data > y->last_data;
}

/*
 * Links stay O(log n) by construction, not only on average: a host is the
 * finger of every host whose finger start falls in the gap before it, and
 * with an unlucky gap that is many. Over ringd_link_cap() links we decline
 * the least recently used of the hosts that chose us (not our own
 * neighbours, carrying no frames): they stop using us as a neighbour for
 * RINGD_DECLINE_S and relay through others instead (one hop longer at
 * most: their successor always makes progress).
 */
static void ringd_cap_links(struct ringd *r, uint64_t now)
{
    struct daemon *d = r->d;
    struct peer **cand;
    size_t up = 0, nc = 0;
    unsigned cap = ringd_link_cap(r);
    uint8_t f = INNER_RING_CLOSE_DECLINE;

    for (size_t i = 0; i < d->n_peers; i++)
        up += link_peer_state(d->peers[i]->lp, now) == LINK_UP;
    if (up <= cap || !(cand = malloc(d->n_peers * sizeof(*cand))))
        return;
    for (size_t i = 0; i < d->n_peers; i++) {
        struct peer *p = d->peers[i];
        const struct config_peer *cp = ringd_cfg_peer(d, p->pub);
        ring_id id;

        if (link_peer_state(p->lp, now) != LINK_UP || (cp && cp->endpoint[0] && !admit_enabled(d)) ||
            (p->last_frame && now - p->last_frame < r->idle_ns))
            continue;
        ringid_from_pubkey(id.b, p->pub);
        if (!ringd_is_neighbour(r, &id))
            cand[nc++] = p;
    }
    qsort(cand, nc, sizeof(cand[0]), ringd_cmp_last_data);
    for (size_t i = 0; i < nc && up > cap; i++, up--) {
        r->links_declined++;
        log_debug("ring", "%s: declined as a ring neighbour (%zu links, cap %u)", cand[i]->name,
                  up, cap);
        ringd_send_raw(r, cand[i], INNER_RING_CLOSE, &f, 1);
        ringd_close_peer(r, cand[i], false);
    }
    free(cand);
}

void ringd_idle_scan(struct ringd *r, uint64_t now)
{
    struct daemon *d = r->d;

    ringd_cap_links(r, now);

    for (size_t i = d->n_peers; i-- > 0;) {
        struct peer *p = d->peers[i];
        uint8_t req = INNER_RING_CLOSE_REQUEST;

        if (!ringd_idle_ok(r, p, now, r->idle_ns) ||
            (p->close_asked && now - p->close_asked < r->idle_ns))
            continue;
        if (link_peer_state(p->lp, now) != LINK_UP) {
            ringd_close_peer(r, p, false);   /* nothing to agree on */
            continue;
        }
        p->close_asked = now;
        ringd_send_raw(r, p, INNER_RING_CLOSE, &req, 1);
    }
}
