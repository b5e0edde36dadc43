/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The ring inside the daemon: one ring_node, its messages over the links
 * (inner type 3), bootstrap, record publication from the MAC tables,
 * unknown-unicast resolution, flooding to member hosts and idle links.
 * See ringd.h and docs/design.md ("Ring").
 */
#include "overlayd/ringd_int.h"

#include <errno.h>
#include <ifaddrs.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>
#include <sodium.h>

#include "crypto/key.h"
#include "crypto/ringid.h"
#include "overlayd/admit.h"
#include "overlayd/daemon.h"
#include "overlayd/fwd.h"
#include "overlayd/inner.h"
#include "overlayd/log.h"

struct ringd *ringd_of(struct daemon *d)
{
    return d->ringd;
}

/* ---- endpoints and identities -------------------------------------------- */

static void ringd_ep_from_addr(ring_endpoint *ep, const struct udp_addr *a)
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

static void ringd_peer_of(ring_peer *rp, const struct peer *p)
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
static void ringd_self_ep(struct daemon *d, ring_endpoint *ep, const struct udp_addr *towards)
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
    key_to_base64(b64, pub);
    memcpy(fallback, b64, 8);
    fallback[8] = '\0';
    return fallback;
}

static void ringd_set_name(struct ringd *r, struct peer *p, const char *name)
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

/* ---- peers and links ------------------------------------------------------ */

static const struct config_peer *ringd_cfg_peer(const struct daemon *d, const uint8_t pub[32])
{
    for (size_t i = 0; i < d->cfg->n_peers; i++)
        if (memcmp(d->cfg->peers[i].pubkey, pub, 32) == 0)
            return &d->cfg->peers[i];
    return NULL;
}

/* A fresh link peer for @p (session and handshake state dropped). On
 * failure @p is removed. */
static int ringd_reset_link(struct daemon *d, struct peer *p)
{
    fwd_peer_down(d, p);
    link_peer_free(p->lp);
    p->lp = NULL;
    p->state = LINK_DOWN;
    p->hello_pending = false;
    if (link_peer_new(d->link, p->pub, p, &p->lp) < 0) {
        peer_remove(d, p);
        return -ENOMEM;
    }
    link_peer_set_persistent_keepalive(p->lp, DAEMON_KEEPALIVE_S);
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

static void ringd_send_raw(struct ringd *r, struct peer *p, uint8_t kind, const uint8_t *body,
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

static void ringd_send_host(struct ringd *r, struct peer *p, bool request)
{
    uint8_t b[1 + CONFIG_NAME_MAX];
    size_t n = strlen(r->d->cfg->name);

    b[0] = request ? INNER_RING_HOST_REQUEST : 0;
    memcpy(b + 1, r->d->cfg->name, n);
    ringd_send_raw(r, p, INNER_RING_HOST, b, n + 1);
}

static void ringd_cb_send(void *ctx, const ring_peer *to, const uint8_t *buf, size_t len)
{
    struct ringd *r = ctx;
    uint64_t now = daemon_now();
    struct peer *p = ringd_peer_for(r, to, true, now);

    if (!p) {
        r->drop_no_link++;
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

static bool ringd_cb_may_carry(void *ctx, const ring_id *host, uint32_t enclave)
{
    struct ringd *r = ctx;

    return admit_may_carry_ringid(r->d, host->b, enclave);
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
    if (fdb_announce(e->fdb, best->mac, p, best->seq, now) == 0)
        log_debug("ring", "%s: MAC resolved to %s", e->name, p->name);
    p->last_data = now;
    link_peer_connect(p->lp, now);
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
        return;
    }
    if (!r->unjoined_since)
        r->unjoined_since = now;
    if (d->cfg->n_peers == 0 ||
        (r->lowest && now - r->unjoined_since > RINGD_CREATE_WAIT_S * RINGD_SEC)) {
        if (ringd_node_new(r, NULL) == 0 && ring_node_create(r->node, now) == 0)
            log_info("ring", "created the ring");
        return;
    }
    if (st == RING_JOINING && now - r->join_since < (uint64_t)RINGD_JOIN_TRY_MS * RINGD_MS)
        return;
    for (size_t i = 0; i < d->n_peers && nup < 64; i++) {
        struct peer *p = d->peers[i];

        if (ringd_cfg_peer(d, p->pub) && link_peer_state(p->lp, now) == LINK_UP && p->ep.len)
            up[nup++] = p;
    }
    if (!nup)
        return;
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

/* ---- idle links ------------------------------------------------------------ */

static bool ringd_in_tables(struct ringd *r, const uint8_t pub[32])
{
    ring_id id;
    const ring_peer *q;

    if (!r->node)
        return false;
    ringid_from_pubkey(id.b, pub);
    for (unsigned i = 0; i < ring_node_nsucc(r->node); i++)
        if (ring_id_eq(&ring_node_succ(r->node, i)->id, &id))
            return true;
    q = ring_node_pred(r->node);
    if (q && ring_id_eq(&q->id, &id))
        return true;
    for (unsigned b = 0; b < RING_ID_BITS; b++)
        if (ring_id_eq(&ring_node_finger(r->node, b)->id, &id))
            return true;
    return false;
}

/* Drop our session with @p: a peer learned through the ring goes away; a
 * [Peer] without Endpoint stays known (admission) with a fresh link peer. */
static void ringd_close_peer(struct ringd *r, struct peer *p, bool tell)
{
    struct daemon *d = r->d;

    if (tell && link_peer_state(p->lp, daemon_now()) == LINK_UP)
        ringd_send_raw(r, p, INNER_RING_CLOSE, NULL, 0);
    log_info("ring", "%s: idle link closed", p->name);
    if (!ringd_cfg_peer(d, p->pub)) {
        peer_remove(d, p);
        return;
    }
    ringd_reset_link(d, p);
}

static void ringd_idle_scan(struct ringd *r, uint64_t now)
{
    struct daemon *d = r->d;

    for (unsigned i = 0; i < r->n_close; i++) {
        struct link_peer *lp = link_peer_find(d->link, r->to_close[i]);

        if (lp && link_peer_user(lp))
            ringd_close_peer(r, link_peer_user(lp), false);
    }
    r->n_close = 0;
    for (size_t i = d->n_peers; i-- > 0;) {
        struct peer *p = d->peers[i];
        const struct config_peer *cp = ringd_cfg_peer(d, p->pub);

        if ((cp && cp->endpoint[0]) || now - p->last_data < r->idle_ns)
            continue;
        if (cp && link_peer_state(p->lp, now) != LINK_UP)
            continue;
        if (ringd_in_tables(r, p->pub))
            continue;
        ringd_close_peer(r, p, true);
    }
}

/*
 * A record stored while the ring was settling may sit at a host that no
 * longer owns its key; the node republishes only every refresh period
 * (30 s). So when our neighbours change, republish everything soon.
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
        r->republish_at = now + RINGD_SEC;
    }
    if (!r->republish_at || now < r->republish_at)
        return;
    r->republish_at = 0;
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
    struct daemon *d = r->d;
    uint64_t now = daemon_now();

    r->ticks++;
    ringd_bootstrap(r, now);
    if (r->node && ring_node_state(r->node) == RING_ACTIVE && r->ticks % 4 == 0) {
        ringd_publish_scan(r, now);
        ringd_watch_neighbours(r, now);
        ringd_idle_scan(r, now);
        for (size_t i = 0; i < d->n_enclaves; i++)
            ringd_members_refresh(r, now, d->enclaves[i]->id);
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
        d->cnt.drop_inner_malformed++;
        return;
    }
    switch (kind) {
    case INNER_RING_MSG:
        p->last_data = daemon_now();
        if (!ringd_has_name(r, p->pub))
            ringd_send_host(r, p, true);
        if (!r->node)
            return;
        ringd_peer_of(&from, p);
        ring_node_on_message(r->node, daemon_now(), &from, body, blen);
        ringd_rearm(r);
        return;
    case INNER_RING_HOST:
        if (inner_ring_host_parse(body, blen, name) < 0) {
            d->cnt.drop_inner_malformed++;
            return;
        }
        ringd_set_name(r, p, name);
        if (!ringd_cfg_peer(d, p->pub))
            snprintf(p->name, sizeof(p->name), "%s", name);
        if (body[0] & INNER_RING_HOST_REQUEST)
            ringd_send_host(r, p, false);
        return;
    case INNER_RING_CLOSE:
        if (r->n_close < RINGD_CLOSE_SLOTS)
            memcpy(r->to_close[r->n_close++], p->pub, 32);
        return;
    default:
        d->cnt.drop_inner_type++;
        return;
    }
}

void ringd_link_up(struct daemon *d, struct peer *p)
{
    struct ringd *r = d->ringd;

    if (!r)
        return;
    p->last_data = daemon_now();
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

void ringd_flood(struct daemon *d, struct enclave *e, const uint8_t *pkt, size_t len,
                 uint64_t now)
{
    struct ringd *r = d->ringd;
    struct ringd_members *m;

    if (!r || !r->node || ring_node_state(r->node) != RING_ACTIVE)
        return;
    m = ringd_members(r, e->id, true);
    if (!m)
        return;
    if (!m->fetched) {
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
