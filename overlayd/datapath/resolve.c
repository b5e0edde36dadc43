/* SPDX-License-Identifier: GPL-2.0-only */
/* Endpoint names through libuv's resolver (resolve.h). */
#include "overlayd/datapath/resolve.h"

#include <errno.h>
#include <netdb.h>
#include <stdlib.h>
#include <string.h>
#include <uv.h>

#include "lib/log.h"
#include "overlayd/daemon.h"

struct resolve_req {
    uv_getaddrinfo_t req;
    struct daemon *d;
    struct resolve_req *next;
    enum resolve_mode mode;
    uint8_t pub[32];
    char endpoint[sizeof(((struct peer *)0)->endpoint_cfg)];
};

static struct peer *resolve_find_peer(struct daemon *d, const struct resolve_req *r)
{
    for (size_t i = 0; i < d->n_peers; i++) {
        struct peer *p = d->peers[i];

        if (memcmp(p->pub, r->pub, sizeof(r->pub)) == 0)
            return strcmp(p->endpoint_cfg, r->endpoint) == 0 ? p : NULL;
    }
    return NULL;
}

static void resolve_unlink(struct daemon *d, struct resolve_req *r)
{
    for (struct resolve_req **pp = &d->resolving; *pp; pp = &(*pp)->next) {
        if (*pp == r) {
            *pp = r->next;
            return;
        }
    }
}

static void resolve_done(struct daemon *d, struct resolve_req *r, int status,
                         const struct addrinfo *res)
{
    struct peer *p = resolve_find_peer(d, r);
    struct udp_addr ep;
    int rc;

    if (!p)
        return;                     /* removed, or its Endpoint changed meanwhile */
    if (status < 0) {
        log_warn("peer", "%s: cannot resolve endpoint %s (%s); will retry", p->name,
                 r->endpoint, uv_strerror(status));
        return;
    }
    rc = udp_addr_from_ai(&d->udp, res, &ep);
    if (rc < 0) {
        log_warn("peer", "%s: endpoint %s has no usable address (%s); will retry", p->name,
                 r->endpoint, strerror(-rc));
        return;
    }
    if (r->mode == RESOLVE_IF_UNSET && p->ep.len)
        return;                     /* it reached us meanwhile: keep what works */
    p->ep = ep;
    log_info("peer", "%s: endpoint %s resolved", p->name, r->endpoint);
    link_peer_connect(p->lp, daemon_now());
}

static void resolve_cb(uv_getaddrinfo_t *req, int status, struct addrinfo *res)
{
    struct resolve_req *r = req->data;
    struct daemon *d = r->d;

    resolve_unlink(d, r);
    if (!d->stopping && status != UV_EAI_CANCELED)
        resolve_done(d, r, status, res);
    uv_freeaddrinfo(res);
    free(r);
}

static bool resolve_pending(const struct daemon *d, const struct peer *p)
{
    for (const struct resolve_req *r = d->resolving; r; r = r->next)
        if (memcmp(r->pub, p->pub, sizeof(r->pub)) == 0 &&
            strcmp(r->endpoint, p->endpoint_cfg) == 0)
            return true;
    return false;
}

int resolve_peer(struct daemon *d, struct peer *p, enum resolve_mode mode)
{
    char host[UDP_HOST_MAX], port[8];
    struct addrinfo hints;
    struct resolve_req *r;
    int rc;

    rc = udp_resolve(&d->udp, p->endpoint_cfg, &p->ep);
    if (rc != -EAGAIN)
        return rc;
    if (d->stopping)
        return -ECANCELED;
    if (resolve_pending(d, p))
        return -EINPROGRESS;
    rc = udp_endpoint_split(p->endpoint_cfg, host, sizeof(host), port, sizeof(port));
    if (rc < 0)
        return rc;
    r = calloc(1, sizeof(*r));
    if (!r)
        return -ENOMEM;
    r->d = d;
    r->mode = mode;
    r->req.data = r;
    memcpy(r->pub, p->pub, sizeof(r->pub));
    memcpy(r->endpoint, p->endpoint_cfg, sizeof(r->endpoint));
    udp_resolve_hints(&d->udp, &hints);
    rc = uv_getaddrinfo(d->loop, &r->req, resolve_cb, host, port, &hints);
    if (rc < 0) {
        free(r);
        return rc == UV_ENOMEM ? -ENOMEM : -EAGAIN;
    }
    r->next = d->resolving;
    d->resolving = r;
    return -EINPROGRESS;
}

void resolve_cancel_all(struct daemon *d)
{
    /* A lookup already running on the thread pool cannot be cancelled: its
     * callback still comes, sees d->stopping and only frees. */
    for (struct resolve_req *r = d->resolving; r; r = r->next)
        uv_cancel((uv_req_t *)&r->req);
}
