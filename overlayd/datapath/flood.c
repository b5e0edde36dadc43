/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Broadcasts along a tree over the links that are up: a frame that must
 * reach every host of its enclave goes to each up link carrying the
 * enclave with the ring interval that host passes it on in
 * (plan_flood_split(), overlayd/plan/plan_flood.c), never one copy per
 * member host and never over a link opened for it. See datapath.h and
 * docs/design.md ("Broadcasts").
 */
#include "overlayd/datapath/datapath.h"

#include <errno.h>
#include <string.h>

#include "overlayd/datapath/peer_admit.h"

#include "overlayd/daemon.h"
#include "overlayd/datapath/inner.h"
#include "overlayd/plan/plan.h"
#include "overlayd/ring/ringd.h"

/* Too large for the flood header within the inner MTU: plain copies to
 * the links (the underlay would fragment a tree copy). */
static bool flood_too_big(const struct enclave *e, size_t flen)
{
    return flen + INNER_FLOOD_HDR > e->inner_mtu + INNER_ETH_VLAN + INNER_FRAME_HDR;
}

static void flood_copies(struct daemon *d, struct enclave *e, const uint8_t *frame,
                         size_t flen, uint64_t now)
{
    uint8_t *pkt = d->flood_buf;

    inner_frame_header(pkt, e->id);
    memcpy(pkt + INNER_FRAME_HDR, frame, flen);
    for (size_t i = 0; i < d->n_peers; i++) {
        struct peer *p = d->peers[i];

        if (tx_peer_takes(d, p, e->id, now)) {
            tx_send(d, p, now, pkt, flen + INNER_FRAME_HDR);
            d->flood_copies++;
        }
    }
}

void flood_send(struct daemon *d, struct enclave *e, const struct peer *from, uint64_t limit,
                uint64_t origin, const uint8_t *frame, size_t flen, uint64_t now)
{
    struct peer *cand[PLAN_FLOOD_MAX];
    uint64_t ids[PLAN_FLOOD_MAX];
    struct plan_flood_hop hop[PLAN_FLOOD_MAX];
    unsigned n = 0, k;

    /* flood_buf holds a jumbo frame: a longer one (a hostile peer's, now
     * that fragments carry up to 64 KB) goes no further. */
    if (flen > DAEMON_FRAME_MAX) {
        drop_count(&d->drops, DROP_TOO_LONG, now, "%s: %zu-byte flood", e->name, flen);
        return;
    }
    if (!from && flood_too_big(e, flen)) {
        flood_copies(d, e, frame, flen, now);
        return;
    }
    for (size_t i = 0; i < d->n_peers && n < PLAN_FLOOD_MAX; i++) {
        struct peer *p = d->peers[i];

        if (p != from && tx_peer_takes(d, p, e->id, now)) {
            cand[n] = p;
            ids[n++] = p->rid64;
        }
    }
    k = plan_flood_split(d->rid64, limit, ids, n, hop);
    inner_flood_header(d->flood_buf, e->id, limit, origin);
    memcpy(d->flood_buf + INNER_FLOOD_HDR, frame, flen);
    for (unsigned i = 0; i < k; i++) {
        inner_flood_set_limit(d->flood_buf, hop[i].limit);
        tx_send(d, cand[hop[i].idx], now, d->flood_buf, flen + INNER_FLOOD_HDR);
        d->flood_copies++;
    }
}

/* The sender of a flooded frame is often not its origin: learn its
 * source behind the origin when we hold a peer for it, else not at all
 * (the ring resolves the MAC when we send to it). */
static struct peer *flood_origin(struct daemon *d, uint64_t origin, uint32_t id)
{
    for (size_t i = 0; i < d->n_peers; i++) {
        struct peer *p = d->peers[i];

        if (p->rid64 == origin)
            return peer_carries(p, id) && admit_link_allows(d, p, id) ? p : NULL;
    }
    return NULL;
}

void flood_recv(struct daemon *d, struct peer *p, uint8_t *data, size_t len, uint64_t now)
{
    struct inner_flood f;
    struct enclave *e;
    struct peer *o;

    if (inner_flood_parse(data, len, &f) < 0) {
        drop_count(&d->drops, DROP_INNER_MALFORMED, now, "flood from %s", p->name);
        return;
    }
    e = enclave_by_id(d, f.enclave);
    if (!e || !peer_carries(p, f.enclave) || !admit_link_allows(d, p, f.enclave)) {
        drop_count(&d->drops, DROP_UNKNOWN_ENCLAVE, now, "flood of enclave %u from %s",
                   f.enclave, p->name);
        return;
    }
    if (!(f.frame[6] & 1) && (o = flood_origin(d, f.origin, f.enclave)) &&
        fdb_learn(e->fdb, f.frame + 6, o, now) == -ENOSPC)
        drop_count(&d->drops, DROP_FDB_FULL, now, "%s: MAC behind %s", e->name, o->name);
    d->flood_received++;
    /* Delivered clamped to our inner MTU, and passed on so: each host
     * clamps to its own again, so the lowest MTU along the tree wins. */
    dp_tap_deliver(d, e, data + (f.frame - data), f.frame_len, now);
    flood_send(d, e, p, f.limit, f.origin, f.frame, f.frame_len, now);
}
