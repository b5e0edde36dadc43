/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * What the ring stores for and tells the data path: our records from the
 * MAC tables (publish scan, republication when the plan says), membership
 * records of flooded enclaves, and unknown unicast MACs resolved into the
 * MAC tables. See ringd.h and docs/design.md ("Ring").
 */
#include "overlayd/ring/ringd_int.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "overlayd/datapath/peer_admit.h"
#include "overlayd/daemon.h"
#include "overlayd/announce/announce.h"
#include "overlayd/announce/claims.h"
#include "lib/log.h"

static void ringd_resolved(struct ringd *r, const ring_record *recs, size_t n)
{
    const ring_record *best = ringd_best_record(recs, n);
    const struct fdb_entry *ent;
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
    plan_on_data(r->plan, p->pub, now);
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
    /* A record is no claim: it may be older than what our guest said here. */
    ent = fdb_lookup(e->fdb, best->mac);
    if (ent && fdb_entry_local(ent))
        return;
    if (claims_remote(r->d, e, best->mac, p, best->seq, now) == 0)
        log_debug("ring", "%s: MAC resolved to %s", e->name, p->name);
}

static bool ringd_keep_has(const struct ringd *r, const ring_peer *p)
{
    for (unsigned i = 0; i < r->n_keep; i++)
        if (ring_id_eq(&r->keep[i].id, &p->id))
            return true;
    return false;
}

/* The enclave neighbours of every enclave we still hold, for the plan:
 * their links make the broadcast tree reach every carrier. */
static void ringd_keep_update(struct ringd *r)
{
    ring_peer nb[2];

    r->n_keep = 0;
    for (size_t i = 0; i < r->n_mem; i++) {
        const struct ringd_members *m = &r->mem[i];

        if (!enclave_by_id(r->d, m->enclave) ||
            !plan_enclave_neighbours(&r->self.id, m->hosts, m->n, &nb[0], &nb[1]))
            continue;
        for (unsigned k = 0; k < 2 && r->n_keep < PLAN_KEEP_MAX; k++)
            if (!ringd_keep_has(r, &nb[k]))
                r->keep[r->n_keep++] = nb[k];
    }
    plan_set_keep(r->plan, r->keep, r->n_keep);
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

void ringd_get_done(struct ringd *r, uint64_t cookie, int status, const ring_record *recs,
                    size_t n, unsigned hops)
{

    switch (cookie >> 56) {
    case RINGD_CK_CTL:
        ringd_ctl_get_done(r, cookie, status, recs, n, hops);
        break;
    case RINGD_CK_RESOLVE:
        inflight_done(&r->inflight, cookie);
        if (status == 0)
            ringd_resolved(r, recs, n);
        break;
    case RINGD_CK_NEIGH:
        inflight_done(&r->inflight, cookie);
        ringd_neigh_get_done(r, cookie, status, recs, n);
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
        ringd_keep_update(r);
        break;
    }
    }
}

static void ringd_members_refresh(struct ringd *r, uint64_t now, uint32_t enclave);

/* ---- records from the MAC tables ------------------------------------------ */

/* The publish scan looks up every local MAC: through an index, or a
 * guest with thousands of random source MACs makes each scan quadratic. */
static uint64_t ringd_pub_hash(const struct ringd *r, uint32_t enclave, const uint8_t *mac)
{
    uint8_t k[4 + 1 + 6] = { 0 };

    memcpy(k, &enclave, 4);
    k[4] = !mac;
    if (mac)
        memcpy(k + 5, mac, 6);
    return keyidx_hash(&r->pubidx, k, sizeof(k));
}

struct ringd_pub_want {
    const struct ringd *r;
    uint32_t enclave;
    const uint8_t *mac;
};

static bool ringd_pub_eq(const void *ctx, uint32_t pos)
{
    const struct ringd_pub_want *w = ctx;
    const struct ringd_pub *p = &w->r->pubs[pos];

    return p->enclave == w->enclave && p->member == !w->mac &&
           (!w->mac || memcmp(p->mac, w->mac, 6) == 0);
}

static struct ringd_pub *ringd_pub_find(struct ringd *r, uint32_t enclave, const uint8_t *mac,
                                        uint64_t h)
{
    struct ringd_pub_want w = { r, enclave, mac };
    long at = keyidx_find(&r->pubidx, h, ringd_pub_eq, &w);

    return at < 0 ? NULL : &r->pubs[at];
}

static void ringd_pub_mark(struct ringd *r, uint64_t now, uint32_t enclave, const uint8_t *mac,
                           uint64_t seq)
{
    uint64_t h = ringd_pub_hash(r, enclave, mac);
    struct ringd_pub *p = ringd_pub_find(r, enclave, mac, h);

    if (p && p->seq == seq) {
        p->seen = true;
        return;
    }
    if (!p) {
        struct ringd_pub *np = realloc(r->pubs, (r->n_pubs + 1) * sizeof(*np));

        if (!np)
            return;
        r->pubs = np;
        if (keyidx_add(&r->pubidx, h, (uint32_t)r->n_pubs) < 0)
            return;
        p = &r->pubs[r->n_pubs++];
        memset(p, 0, sizeof(*p));
        p->enclave = enclave;
        p->member = !mac;
        if (mac)
            memcpy(p->mac, mac, 6);
    }
    p->seq = seq;
    p->seen = true;
    /* The MAC table takes sequence numbers up to 2^63 - 1, the ring no
     * store beyond 2^32 - 1 (routing/trust.c): count, do not hide it. */
    if (mac && ring_node_publish_mac(r->node, now, enclave, mac, seq) == -ERANGE)
        r->pubs_bad_seq++;
    else if (!mac)
        ring_node_publish_member(r->node, now, enclave);
}

/* Remove pubs[@i]: the last one takes its place. */
static void ringd_pub_drop(struct ringd *r, size_t i)
{
    const struct ringd_pub *p = &r->pubs[i], *last = &r->pubs[r->n_pubs - 1];

    keyidx_del(&r->pubidx, ringd_pub_hash(r, p->enclave, p->member ? NULL : p->mac),
               (uint32_t)i);
    if (p != last)
        keyidx_move(&r->pubidx, ringd_pub_hash(r, last->enclave, last->member ? NULL : last->mac),
                    (uint32_t)(r->n_pubs - 1), (uint32_t)i);
    r->pubs[i] = *last;
    r->n_pubs--;
}

/* Publish every local MAC (static or learned) and a membership record per
 * enclave with local MACs; unpublish what went away. */
void ringd_publish_scan(struct ringd *r, uint64_t now)
{
    struct daemon *d = r->d;

    for (size_t i = 0; i < r->n_pubs; i++)
        r->pubs[i].seen = false;
    for (size_t i = 0; i < d->n_enclaves; i++) {
        struct enclave *e = d->enclaves[i];
        bool any = false;

        for (size_t k = 0; k < fdb_capacity(e->fdb); k++) {
            const struct fdb_entry *ent = fdb_at(e->fdb, k);

            if (!ent || !fdb_entry_local(ent))
                continue;             /* pending ones announce nothing */
            any = true;
            ringd_pub_mark(r, now, e->id, ent->mac, ent->seq);
        }
        for (size_t k = 0; k < d->n_att && !any; k++)
            any = d->att[k].enc == e;
        if (any)
            ringd_pub_mark(r, now, e->id, NULL, 0);
        if (admit_self_may_carry(d, e->id))
            ringd_members_refresh(r, now, e->id);
    }
    for (size_t i = 0; i < r->n_pubs;) {
        struct ringd_pub *p = &r->pubs[i];

        if (p->seen) {
            i++;
            continue;
        }
        ring_node_unpublish(r->node, p->member ? RING_REC_MEMBER : RING_REC_MAC, p->enclave,
                            p->mac);
        ringd_pub_drop(r, i);
    }
    ringd_neigh_publish(r, now);
}

void ringd_claim(struct daemon *d, const struct enclave *e, const uint8_t mac[6], uint64_t seq,
                 uint64_t now)
{
    struct ringd *r = d->ringd;

    if (!r || !r->node || ring_node_state(r->node) != RING_ACTIVE)
        return;
    ringd_pub_mark(r, now, e->id, mac, seq);
    r->claims_stored++;
    ringd_rearm(r);
}

static void ringd_members_refresh(struct ringd *r, uint64_t now, uint32_t enclave)
{
    struct ringd_members *m = ringd_members(r, enclave, true);

    if (!m || m->pending ||
        (m->fetched && now - m->fetched < PLAN_MEMBERS_REFRESH_S * PLAN_SEC))
        return;
    m->pending = true;
    if (ring_node_get_members(r->node, now, enclave,
                              (uint64_t)RINGD_CK_MEMBERS << 56 | enclave) < 0)
        m->pending = false;
}

/* Everything of ours again, when the plan's republish schedule says
 * (plan.h: after a neighbour change, +1 s, then 3, 6, 12 and 24 s). */
void ringd_republish(struct ringd *r, uint64_t now)
{
    for (size_t i = 0; i < r->n_pubs; i++) {
        const struct ringd_pub *q = &r->pubs[i];

        if (q->member)
            ring_node_publish_member(r->node, now, q->enclave);
        else if (ring_node_publish_mac(r->node, now, q->enclave, q->mac, q->seq) == -ERANGE)
            r->pubs_bad_seq++;
    }
    ringd_neigh_republish(r, now);
}

void ringd_records_free(struct ringd *r)
{
    for (size_t i = 0; i < r->n_mem; i++)
        free(r->mem[i].hosts);
    free(r->mem);
    free(r->pubs);
    keyidx_free(&r->pubidx);
    ringd_neigh_free(r);
}

/* ---- facts from the data path -------------------------------------------- */

/* A frame of @e to a unicast MAC with no MAC-table entry: resolve it
 * through the ring (rate-limited); the data path floods meanwhile. */
static void ringd_unknown_unicast(struct ringd *r, struct enclave *e, const uint8_t mac[6],
                                  uint64_t now)
{
    struct ringd_resolve *s;
    uint64_t cookie;

    if (!r->node || ring_node_state(r->node) != RING_ACTIVE)
        return;
    for (unsigned i = 0; i < RINGD_RESOLVE_SLOTS; i++) {
        s = &r->res[i];
        if (s->at && s->enclave == e->id && memcmp(s->mac, mac, 6) == 0 &&
            now - s->at < RINGD_SEC)
            return;
    }
    if (!bucket_take(&r->resolve_budget, RINGD_RESOLVE_PER_S, RINGD_RESOLVE_BURST, now)) {
        drop_count(&r->d->drops, DROP_RESOLVE_RATELIMIT, now, "%s: over %d lookups a second",
                   e->name, RINGD_RESOLVE_PER_S);
        return;
    }
    cookie = (uint64_t)RINGD_CK_RESOLVE << 56 | (++r->res_gen & 0xffffffffffffffull);
    if (!inflight_take(&r->inflight, e->id, cookie, now)) {
        drop_count(&r->d->drops, DROP_LOOKUP_BUSY, now, "%s: %d lookups in flight", e->name,
                   INFLIGHT_PER_ENCLAVE);
        return;
    }
    s = &r->res[r->res_next++ % RINGD_RESOLVE_SLOTS];
    s->enclave = e->id;
    memcpy(s->mac, mac, 6);
    s->at = now;
    if (ring_node_get_mac(r->node, now, e->id, mac, cookie) < 0)
        inflight_done(&r->inflight, cookie);
    ringd_rearm(r);
}

void ringd_take_facts(struct daemon *d, const struct dp_facts *f, uint64_t now)
{
    if (!d->ringd)
        return;
    for (unsigned i = 0; i < f->n; i++) {
        const struct dp_fact *x = &f->q[i];
        struct enclave *e = enclave_by_id(d, x->enclave);

        if (!e)
            continue;
        if (x->kind == DP_FACT_UNKNOWN_MAC)
            ringd_unknown_unicast(d->ringd, e, x->mac, now);
        else if (x->kind == DP_FACT_UNKNOWN_IP)
            ringd_neigh_ask(d->ringd, e, x, now);
    }
}
