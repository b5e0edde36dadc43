/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Peers: one per [Peer] section, each with a link_peer, its current
 * endpoint (updated from authenticated packets: roaming), byte counters
 * and the set of enclaves it announced. Also the link layer's hooks.
 */
#include "overlayd/daemon.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sodium.h>

#include "crypto/key.h"
#include "crypto/ringid.h"
#include "overlayd/plan/plan.h"
#include "overlayd/datapath/peer_admit.h"
#include "overlayd/datapath/resolve.h"
#include "overlayd/announce/announce.h"
#include "lib/idset.h"
#include "lib/log.h"

void peer_display_name(const struct config_peer *cp, char out[CONFIG_NAME_MAX + 1])
{
    char b64[KEY_B64_LEN + 1];

    if (cp->name[0]) {
        memcpy(out, cp->name, sizeof(cp->name));
        return;
    }
    /* Unnamed peers are shown by the start of their key, like wg does. */
    key_to_base64(b64, cp->pubkey);
    memcpy(out, b64, 8);
    out[8] = '\0';
}

const struct config_peer *peer_cfg_by_pub(const struct daemon *d, const uint8_t pub[32])
{
    for (size_t i = 0; i < d->cfg->n_peers; i++)
        if (memcmp(d->cfg->peers[i].pubkey, pub, 32) == 0)
            return &d->cfg->peers[i];
    return NULL;
}

/* ---- replay protection across a peer's removal ----------------------------- */

static struct peer_ts *peer_ts_find(struct daemon *d, const uint8_t pub[32])
{
    for (size_t i = 0; i < d->n_ts; i++)
        if (memcmp(d->ts_cache[i].pub, pub, 32) == 0)
            return &d->ts_cache[i];
    return NULL;
}

static void peer_ts_save(struct daemon *d, const struct link_peer *lp)
{
    static const uint8_t zero[LINK_TIMESTAMP_LEN];
    uint8_t ts[LINK_TIMESTAMP_LEN];
    struct peer_ts *e;

    link_peer_last_timestamp(lp, ts);
    if (memcmp(ts, zero, sizeof(ts)) == 0)
        return;                       /* never initiated towards us: nothing to replay */
    e = peer_ts_find(d, link_peer_pubkey(lp));
    if (!e && d->n_ts < DAEMON_TS_CACHE) {
        if (!d->ts_cache) {
            d->ts_cache = calloc(DAEMON_TS_CACHE, sizeof(*d->ts_cache));
            if (!d->ts_cache)
                return;
        }
        e = &d->ts_cache[d->n_ts++];
        memset(e, 0, sizeof(*e));
    }
    if (!e) {                         /* full: evict the least recently used */
        e = &d->ts_cache[0];
        for (size_t i = 1; i < d->n_ts; i++)
            if (d->ts_cache[i].used < e->used)
                e = &d->ts_cache[i];
        memset(e, 0, sizeof(*e));
    }
    memcpy(e->pub, link_peer_pubkey(lp), 32);
    if (memcmp(ts, e->ts, sizeof(ts)) > 0)
        memcpy(e->ts, ts, sizeof(ts));
    e->used = ++d->ts_tick;
}

int peer_link_new(struct daemon *d, struct peer *p)
{
    struct peer_ts *e;
    int rc = link_peer_new(d->link, p->pub, p, &p->lp);

    if (rc < 0)
        return rc;
    e = peer_ts_find(d, p->pub);
    if (e) {
        link_peer_set_last_timestamp(p->lp, e->ts);
        e->used = ++d->ts_tick;
    }
    link_peer_set_persistent_keepalive(p->lp, DAEMON_KEEPALIVE_S);
    return 0;
}

void peer_link_free(struct daemon *d, struct peer *p)
{
    if (!p->lp)
        return;
    peer_ts_save(d, p->lp);
    path_link_down(&p->probe);
    link_peer_free(p->lp);
    p->lp = NULL;
}

/* Random seed: the first sequence number and the idle probes' jitter, so
 * hosts started together do not probe in step. */
static void peer_path_init(struct peer *p)
{
    uint64_t seed;

    randombytes_buf(&seed, sizeof(seed));
    path_init(&p->probe, seed);
}

enum link_state peer_state(const struct peer *p, uint64_t now)
{
    enum link_state st = p->lp ? link_peer_state(p->lp, now) : LINK_DOWN;
    struct path_info pi;

    path_get(&p->probe, &pi);
    /* Dead direct path, and no detour reaches it either; a path along the
     * ring is a guess until something comes back through it. */
    if (st == LINK_UP && pi.active && pi.health == PATH_DEAD &&
        (!p->path.via || (p->path.via_ring && !detour_ring_heard(p, now))))
        return LINK_DOWN;
    return st;
}

uint64_t peer_rid64(const uint8_t pub[32])
{
    ring_id id;

    ringid_from_pubkey(id.b, pub);
    return plan_id64(&id);
}

int peer_add(struct daemon *d, const struct config_peer *cp, struct peer **out)
{
    struct peer *p, **np;
    int rc;

    p = calloc(1, sizeof(*p));
    np = realloc(d->peers, (d->n_peers + 1) * sizeof(*np));
    if (!p || !np) {
        free(p);
        if (np)
            d->peers = np;
        return -ENOMEM;
    }
    d->peers = np;
    p->d = d;
    peer_display_name(cp, p->name);
    memcpy(p->pub, cp->pubkey, 32);
    p->rid64 = peer_rid64(p->pub);
    memcpy(p->endpoint_cfg, cp->endpoint, sizeof(p->endpoint_cfg));
    peer_path_init(p);
    rc = peer_link_new(d, p);
    if (rc < 0) {
        free(p);
        return rc;
    }
    d->peers[d->n_peers++] = p;
    if (p->endpoint_cfg[0]) {
        /* A name completes later, from the loop (resolve.c). */
        rc = resolve_peer(d, p, RESOLVE_REPLACE);
        if (rc < 0 && rc != -EINPROGRESS)
            log_warn("peer", "%s: cannot resolve endpoint %s (%s); will retry", p->name,
                     p->endpoint_cfg, strerror(-rc));
    }
    if (out)
        *out = p;
    return 0;
}

void peer_remove(struct daemon *d, struct peer *p)
{
    announce_peer_down(d, p);
    detour_forget(d, p);
    for (size_t i = 0; i < d->n_peers; i++) {
        if (d->peers[i] == p) {
            memmove(&d->peers[i], &d->peers[i + 1], (d->n_peers - i - 1) * sizeof(*d->peers));
            d->n_peers--;
            break;
        }
    }
    peer_link_free(d, p);
    admit_peer_free(p);
    free(p->encl);
    free(p);
}

struct peer *peer_by_name(struct daemon *d, const char *name)
{
    for (size_t i = 0; i < d->n_peers; i++)
        if (strcmp(d->peers[i]->name, name) == 0)
            return d->peers[i];
    return NULL;
}

bool peer_carries(const struct peer *p, uint32_t id)
{
    return idset_contains(p->encl, p->n_encl, id);
}

int peer_set_enclaves(struct peer *p, const uint32_t *ids, size_t n)
{
    uint32_t *v = NULL;

    if (n) {
        v = malloc(n * sizeof(*v));
        if (!v)
            return -ENOMEM;
        memcpy(v, ids, n * sizeof(*v));
        idset_sort(v, n);
    }
    free(p->encl);
    p->encl = v;
    p->n_encl = n;
    p->encl_known = true;
    return 0;
}

void peer_forget_enclaves(struct peer *p)
{
    free(p->encl);
    p->encl = NULL;
    p->n_encl = 0;
    p->encl_known = false;
}

void peer_set_endpoint(struct peer *p, const struct udp_addr *src)
{
    char a[UDP_ADDRSTR];

    if (udp_addr_eq(&p->ep, (const struct sockaddr *)&src->ss, src->len))
        return;
    p->ep = *src;
    udp_addr_str((const struct sockaddr *)&p->ep.ss, a);
    log_info("peer", "%s: endpoint now %s", p->name, a);
}

/* ---- link hooks ---------------------------------------------------------- */

static void hook_random(void *ctx, uint8_t *buf, size_t len)
{
    randombytes_buf(buf, len);
}

static void hook_send(void *ctx, struct link_peer *lp, const uint8_t *pkt, size_t len)
{
    struct daemon *d = ctx;
    struct peer *p = link_peer_user(lp);

    if (!p)
        return;
    if (d->rx_src && d->rx_src_init) {
        /* The response: through our relay if we use one, else straight
         * back where the initiation came from. */
        if (!detour_wrap(d, p, pkt, len)) {
            udp_queue(&d->udp, d->rx_src, pkt, len);
            p->tx_bytes += len;
        }
        return;
    }
    if (d->rx_src)
        peer_set_endpoint(p, d->rx_src);
    if (detour_wrap(d, p, pkt, len))
        return;                       /* through a relay (detour.c) */
    if (!p->ep.len)
        return;                       /* no endpoint yet: it has to contact us */
    udp_queue(&d->udp, &p->ep, pkt, len);
    p->tx_bytes += len;
}

/* The fragments of one link message, @seg bytes each but the last: one
 * GSO send when they go straight to the peer's endpoint. */
static void hook_send_train(void *ctx, struct link_peer *lp, const uint8_t *pkt, size_t len,
                            size_t seg)
{
    struct daemon *d = ctx;
    struct peer *p = link_peer_user(lp);

    if (!p)
        return;
    if (d->rx_src || p->path.via || d->rx_via || !p->ep.len) {
        /* An answer, a detour, or no endpoint: hook_send's rules, one
         * fragment at a time. */
        for (size_t off = 0; off < len; off += seg)
            hook_send(ctx, lp, pkt + off, len - off < seg ? len - off : seg);
        return;
    }
    udp_send_train(&d->udp, &p->ep, pkt, len, seg);
    p->tx_bytes += len;
}

static struct link_peer *hook_accept(void *ctx, const uint8_t pub[LINK_KEY_LEN],
                                     const uint8_t *payload, size_t payload_len)
{
    /*
     * Without Authority only [Peer] keys are admitted, and those are all
     * link peers already, so an unknown key is refused (NULL). With
     * Authority a valid certificate for @pub creates a peer (peer_admit.c).
     */
    return admit_hook_accept(ctx, pub, payload, payload_len);
}

static size_t hook_handshake_payload(void *ctx, struct link_peer *lp, uint8_t *buf, size_t cap)
{
    return admit_hook_payload(ctx, buf, cap);
}

/* After every handshake, [Peer]s included: with Authority a certificate is required. */
static int hook_handshake_done(void *ctx, struct link_peer *lp, const uint8_t *payload,
                               size_t payload_len)
{
    return admit_hook_done(ctx, link_peer_user(lp), payload, payload_len);
}

static void hook_state_changed(void *ctx, struct link_peer *lp, enum link_state st)
{
    struct daemon *d = ctx;
    struct peer *p = link_peer_user(lp);
    uint64_t now = daemon_now();
    enum link_state old;

    if (!p)
        return;
    old = p->state;
    p->state = st;
    switch (st) {
    case LINK_CONNECTING:
        p->connecting_since = now;
        log_debug("link", "%s connecting", p->name);
        break;
    case LINK_UP:
        if (old == LINK_CONNECTING && p->connecting_since)
            log_info("link", "%s up (handshake %llu ms)", p->name,
                     (unsigned long long)((now - p->connecting_since) / 1000000));
        else
            log_info("link", "%s up", p->name);
        /* Not from inside the hook: link_peer_send is not re-entrant. */
        p->hello_pending = true;
        path_link_up(&p->probe, now);
        break;
    case LINK_DOWN:
        log_info("link", "%s down", p->name);
        path_link_down(&p->probe);
        announce_peer_down(d, p);
        break;
    }
}

/* A cookie reply: to the source of the initiation it answers, which is
 * the sockaddr rx.c gave link_receive_from(). */
static void hook_send_to(void *ctx, const void *addr, size_t addr_len, const uint8_t *pkt,
                         size_t len)
{
    struct daemon *d = ctx;
    struct udp_addr to = { .len = (socklen_t)addr_len };

    if (addr_len == 0 || addr_len > sizeof(to.ss))
        return;
    memcpy(&to.ss, addr, addr_len);
    udp_queue(&d->udp, &to, pkt, len);
}

const struct link_hooks peer_link_hooks = {
    .random = hook_random,
    .send = hook_send,
    .send_train = hook_send_train,
    .send_to = hook_send_to,
    .accept = hook_accept,
    .handshake_payload = hook_handshake_payload,
    .handshake_done = hook_handshake_done,
    .state_changed = hook_state_changed,
};
