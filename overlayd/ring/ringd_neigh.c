/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * ARP/ND bindings on the ring (EVPN-style suppression across hosts): the
 * bindings our own guests announced are published as IP binding records
 * (routing/ RING_REC_IP, same lifetime and refresh as MAC records), and an
 * address a guest asked for that nobody here binds is asked of the ring;
 * the answer is cached in the enclave's table (origin ring) so the next
 * request is answered on this host. See docs/design.md ("ARP and ND
 * suppression").
 *
 * Trust: a record is stored only from the host it names and only if that
 * host may carry the enclave (routing/ checks both at the E-owner), and
 * the host published it only for a binding its own guest announced on its
 * own TAP. Here an answer is cached only for the enclave and address asked,
 * never over a `[Member] Address` or a binding of our own guests.
 */
#include "overlayd/ring/ringd_int.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "lib/log.h"
#include "overlayd/daemon.h"
#include "overlayd/datapath/datapath.h"
#include "overlayd/datapath/neigh.h"
#include "overlayd/datapath/peer_admit.h"

static void ringd_ip_from(ring_ip *out, const struct neigh_ip *ip)
{
    memset(out, 0, sizeof(*out));
    out->family = ip->family;
    memcpy(out->addr, ip->ip, ip->family == 4 ? 4 : 16);
}

static struct ringd_ipub *ringd_ipub_find(struct ringd *r, uint32_t enclave, const ring_ip *ip)
{
    for (size_t i = 0; i < r->n_ipubs; i++)
        if (r->ipubs[i].enclave == enclave && ring_ip_eq(&r->ipubs[i].ip, ip))
            return &r->ipubs[i];
    return NULL;
}

/* Keep @x published: new, or a changed MAC or sequence number, goes out now. */
static void ringd_ipub_mark(struct ringd *r, uint64_t now, uint32_t enclave,
                            const struct neigh_entry *x)
{
    struct ringd_ipub *p;
    ring_ip ip;
    int rc;

    ringd_ip_from(&ip, &x->ip);
    p = ringd_ipub_find(r, enclave, &ip);
    if (p && p->seq == x->seq && memcmp(p->mac, x->mac, 6) == 0) {
        p->seen = true;
        return;
    }
    if (!p) {
        struct ringd_ipub *np = realloc(r->ipubs, (r->n_ipubs + 1) * sizeof(*np));

        if (!np)
            return;
        r->ipubs = np;
        p = &r->ipubs[r->n_ipubs++];
        memset(p, 0, sizeof(*p));
        p->enclave = enclave;
        p->ip = ip;
    }
    memcpy(p->mac, x->mac, 6);
    p->seq = x->seq;
    p->seen = true;
    /* Not a member (yet): leave it unmarked, the next scan tries again. */
    rc = ring_node_publish_ip(r->node, now, enclave, &ip, x->mac, x->seq);
    if (rc == -ERANGE)
        r->pubs_bad_seq++;
    else if (rc < 0)
        p->seen = false;
}

void ringd_neigh_publish(struct ringd *r, uint64_t now)
{
    struct daemon *d = r->d;

    for (size_t i = 0; i < r->n_ipubs; i++)
        r->ipubs[i].seen = false;
    for (size_t i = 0; i < d->n_enclaves; i++) {
        struct enclave *e = d->enclaves[i];

        /* The E-owner would refuse them; do not even send them. */
        if (!e->neigh || !admit_self_may_carry(d, e->id))
            continue;
        for (size_t k = 0; k < neigh_capacity(e->neigh); k++) {
            const struct neigh_entry *x = neigh_at(e->neigh, k);
            const struct fdb_entry *loc;

            if (!x || x->origin != NEIGH_ORIGIN_LOCAL)
                continue;
            /* The guest's MAC must still be ours: a guest that moved away
             * (or was detached and aged out) is published by its new host. */
            loc = fdb_lookup(e->fdb, x->mac);
            if (!loc || !fdb_entry_local(loc))
                continue;
            ringd_ipub_mark(r, now, e->id, x);
        }
    }
    for (size_t i = 0; i < r->n_ipubs;) {
        struct ringd_ipub *p = &r->ipubs[i];

        if (p->seen) {
            i++;
            continue;
        }
        /* No withdrawal message: the record expires after the record TTL. */
        ring_node_unpublish_ip(r->node, p->enclave, &p->ip);
        r->ipubs[i] = r->ipubs[--r->n_ipubs];
    }
}

void ringd_neigh_republish(struct ringd *r, uint64_t now)
{
    for (size_t i = 0; i < r->n_ipubs; i++) {
        const struct ringd_ipub *p = &r->ipubs[i];

        if (ring_node_publish_ip(r->node, now, p->enclave, &p->ip, p->mac, p->seq) == -ERANGE)
            r->pubs_bad_seq++;
    }
}

void ringd_neigh_free(struct ringd *r)
{
    free(r->ipubs);
    r->ipubs = NULL;
    r->n_ipubs = 0;
}

void ringd_neigh_ask(struct ringd *r, struct enclave *e, const struct dp_fact *f, uint64_t now)
{
    struct daemon *d = r->d;
    struct ringd_ask *s;
    ring_ip ip;
    unsigned slot;
    uint64_t cookie;

    if (!r->node || ring_node_state(r->node) != RING_ACTIVE)
        return;
    memset(&ip, 0, sizeof(ip));
    ip.family = f->ip_family;
    memcpy(ip.addr, f->ip, 16);
    if (!ring_ip_valid(&ip))
        return;
    /* A guest repeats its request every second or so: one get per address
     * and second is enough, and a guest scanning a subnet costs at most
     * that per address. */
    for (unsigned i = 0; i < RINGD_NEIGH_SLOTS; i++) {
        s = &r->ask[i];
        if (s->at && s->enclave == e->id && ring_ip_eq(&s->ip, &ip) &&
            (s->pending || now - s->at < RINGD_SEC))
            return;
    }
    slot = r->ask_next % RINGD_NEIGH_SLOTS;
    cookie = (uint64_t)RINGD_CK_NEIGH << 56 | (uint64_t)(r->ask_gen + 1) << 8 | slot;
    if (!inflight_take(&r->inflight, e->id, cookie, now)) {
        drop_count(&d->drops, DROP_LOOKUP_BUSY, now, "%s: %d lookups in flight", e->name,
                   INFLIGHT_PER_ENCLAVE);
        return;
    }
    r->ask_next++;
    s = &r->ask[slot];
    if (s->pending)
        d->neigh_ring_misses++;         /* its answer, if any, comes too late */
    s->enclave = e->id;
    s->ip = ip;
    s->at = now;
    s->gen = ++r->ask_gen;
    s->pending = true;
    d->neigh_ring_gets++;
    /* The answer may come before this returns (we own the key). */
    if (ring_node_get_ip(r->node, now, e->id, &ip, cookie) < 0) {
        inflight_done(&r->inflight, cookie);
        if (s->gen == r->ask_gen && s->pending) {
            s->pending = false;
            d->neigh_ring_misses++;
        }
    }
    ringd_rearm(r);
}

/* The record to cache among @recs: of the enclave and address asked, not
 * our own, the winner under the conflict rule (higher sequence number,
 * then lower host id). Others are counted as drop_ring_binding. */
static const ring_record *ringd_neigh_best(struct ringd *r, const struct ringd_ask *s,
                                          const ring_record *recs, size_t n, uint64_t now)
{
    const ring_record *best = NULL;

    for (size_t i = 0; i < n; i++) {
        const ring_record *x = &recs[i];

        if (x->type != RING_REC_IP || x->enclave != s->enclave || !ring_ip_eq(&x->ip, &s->ip)) {
            drop_count(&r->d->drops, DROP_RING_BINDING, now,
                       "enclave %u: answer for another enclave or address", s->enclave);
            continue;
        }
        if (memcmp(x->host.pub, r->d->pub, 32) == 0)
            continue;       /* ours, from before our guest's binding aged out */
        if (!best || x->seq > best->seq ||
            (x->seq == best->seq && ring_id_cmp(&x->host.id, &best->host.id) < 0))
            best = x;
    }
    return best;
}

void ringd_neigh_get_done(struct ringd *r, uint64_t cookie, int status,
                          const ring_record *recs, size_t n)
{
    struct daemon *d = r->d;
    unsigned slot = (unsigned)(cookie & 0xff);
    uint32_t gen = (uint32_t)(cookie >> 8);
    uint64_t now = daemon_now();
    struct ringd_ask *s;
    const ring_record *best;
    struct enclave *e;
    struct neigh_ip ip;
    int rc;

    if (slot >= RINGD_NEIGH_SLOTS)
        return;
    s = &r->ask[slot];
    if (!s->pending || s->gen != gen)
        return;     /* superseded: counted as a miss when its slot was reused */
    s->pending = false;
    e = enclave_by_id(d, s->enclave);
    best = status == 0 && e ? ringd_neigh_best(r, s, recs, n, now) : NULL;
    if (!best) {
        d->neigh_ring_misses++;
        return;
    }
    /* The E-owner checked the publisher when it stored the record; a host
     * we know better (its certificate) must still be allowed the enclave. */
    if (admit_knows_ringid(d, best->host.id.b) &&
        !admit_may_carry_ringid(d, best->host.id.b, s->enclave)) {
        drop_count(&d->drops, DROP_RING_BINDING, now, "%s: binding from a non-carrier",
                   e->name);
        d->neigh_ring_misses++;
        return;
    }
    memset(&ip, 0, sizeof(ip));
    ip.family = s->ip.family;
    memcpy(ip.ip, s->ip.addr, 16);
    rc = dp_neigh_from_ring(d, e, &ip, best->mac, best->seq, now);
    if (rc == 0) {
        d->neigh_ring_hits++;
        log_debug("neigh", "%s: binding from the ring cached", e->name);
        return;
    }
    d->neigh_ring_misses++;
    /* -EEXIST: a guest of ours announced the address meanwhile; it wins. */
    if (rc != -EEXIST)
        drop_count(&d->drops, DROP_RING_BINDING, now, "%s: ring binding refused: %s", e->name,
                   rc == -EPERM ? "a [Member] Address owns it" : strerror(-rc));
}
