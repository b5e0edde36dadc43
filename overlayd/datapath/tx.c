/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Frames out: a frame read from a TAP (tx_tap.c) -> checks, learning,
 * policy -> MAC table -> link(s) -> send queue. See datapath.h.
 */
#include "overlayd/datapath/datapath.h"

#include <errno.h>
#include <string.h>

#include "lib/log.h"
#include "overlayd/datapath/peer_admit.h"
#include "overlayd/daemon.h"
#include "overlayd/ring/ringd.h"
#include "overlayd/announce/claims.h"
#include "overlayd/datapath/inner.h"
#include "overlayd/datapath/mss.h"
#include "lib/mac.h"
#include "overlayd/datapath/spoof.h"
#include "overlayd/datapath/tx_int.h"
#include "overlayd/datapath/vnet.h"

static bool tx_is_unicast(const uint8_t *mac)
{
    return !(mac[0] & 1);
}

bool tx_peer_up(const struct peer *p, uint64_t now)
{
    return p->lp && link_peer_state(p->lp, now) == LINK_UP;
}

bool tx_peer_takes(const struct daemon *d, const struct peer *p, uint32_t id, uint64_t now)
{
    return peer_carries(p, id) && admit_link_allows(d, p, id) && tx_peer_up(p, now);
}

static void tx_link_send(struct peer *p, uint64_t now, const uint8_t *pkt, size_t len)
{
    int rc = link_peer_send(p->lp, now, pkt, len);

    detour_note_sent(p, now);
    if (rc < 0)
        log_debug("tx", "send to %s: %s", p->name, strerror(-rc));
}

struct tx_seg_ctx {
    struct daemon *d;
    struct peer *p;
    uint64_t now;
    const uint8_t *id;                 /* the enclave id's 3 bytes */
};

/* One segment of a super-frame, emitted INNER_FRAME_HDR bytes into seg_buf. */
static void tx_seg_send(void *ctx, uint8_t *frame, size_t len)
{
    struct tx_seg_ctx *c = ctx;

    frame[-INNER_FRAME_HDR] = INNER_FRAME;
    memcpy(frame - INNER_FRAME_HDR + 1, c->id, 3);
    tx_send(c->d, c->p, c->now, frame - INNER_FRAME_HDR, len + INNER_FRAME_HDR);
}

/* A type-7 frame for a host that takes none: cut it into plain frames. */
static void tx_send_segmented(struct daemon *d, struct peer *p, uint64_t now, const uint8_t *pkt,
                              size_t len)
{
    struct tx_seg_ctx c = { .d = d, .p = p, .now = now, .id = pkt + 1 };
    struct vnet_hdr h;
    int rc;

    vnet_hdr_read(pkt + INNER_FRAME_HDR, &h);
    rc = vnet_segment(&h, pkt + INNER_FRAME_GSO_HDR, len - INNER_FRAME_GSO_HDR,
                      d->seg_buf + INNER_FRAME_HDR, DAEMON_TAP_SLOT - INNER_FRAME_HDR,
                      tx_seg_send, &c);
    if (rc < 0)
        drop_count(&d->drops, DROP_OFFLOAD_BAD, now, "super-frame to %s", p->name);
    else
        d->gso_segmented += (unsigned)rc;
}

void tx_send(struct daemon *d, struct peer *p, uint64_t now, const uint8_t *pkt, size_t len)
{
    bool offload = p->features & INNER_FEAT_OFFLOAD;

    if (len && pkt[0] == INNER_FRAME_GSO && !offload) {
        tx_send_segmented(d, p, now, pkt, len);
        return;
    }
    if (len + LINK_DATA_OVERHEAD > d->frag_size && !offload) {
        drop_count(&d->drops, DROP_PEER_NO_OFFLOAD, now, "%zu bytes to %s", len, p->name);
        return;
    }
    if (len && pkt[0] == INNER_FRAME_GSO)
        d->gso_frames++;
    tx_link_send(p, now, pkt, len);
}

/* Queue @fact unless the iteration holds it already. */
static void dp_fact_queue(struct daemon *d, const struct dp_fact *fact, uint64_t now)
{
    struct dp_facts *f = &d->facts;

    for (unsigned i = 0; i < f->n; i++) {
        const struct dp_fact *x = &f->q[i];

        if (x->kind == fact->kind && x->enclave == fact->enclave &&
            memcmp(x->mac, fact->mac, 6) == 0 && x->ip_family == fact->ip_family &&
            memcmp(x->ip, fact->ip, 16) == 0)
            return;
    }
    if (f->n == DP_FACTS_MAX) {
        drop_count(&d->drops, DROP_FACTS_FULL, now, "enclave %u", fact->enclave);
        return;
    }
    f->q[f->n++] = *fact;
}

void dp_fact_push(struct daemon *d, enum dp_fact_kind kind, uint32_t enclave,
                  const uint8_t *mac, uint64_t now)
{
    struct dp_fact x;

    memset(&x, 0, sizeof(x));
    x.kind = (uint8_t)kind;
    x.enclave = enclave;
    if (mac)
        memcpy(x.mac, mac, 6);
    dp_fact_queue(d, &x, now);
}

void dp_fact_push_ip(struct daemon *d, uint32_t enclave, uint8_t family, const uint8_t ip[16],
                     uint64_t now)
{
    struct dp_fact x;

    memset(&x, 0, sizeof(x));
    x.kind = DP_FACT_UNKNOWN_IP;
    x.enclave = enclave;
    x.ip_family = family;
    memcpy(x.ip, ip, 16);
    dp_fact_queue(d, &x, now);
}

void dp_mss_clamp(struct daemon *d, const struct enclave *e, uint8_t *frame, size_t len)
{
    if (e->clamp_mss && mss_clamp(frame, len, e->inner_mtu))
        d->mss_clamped++;
}

/* A unicast frame to a MAC of @e we know: true when it went (or stays) where it belongs. */
static bool tx_known_unicast(struct daemon *d, struct enclave *e, const struct fdb_entry *ent,
                             const struct attachment *from, const struct tx_pkt *t, uint64_t now)
{
    struct peer *p = (struct peer *)ent->peer;

    if (!p) {
        if (e->ports_isolated)
            dp_port_deliver_vnet(d, e, t->frame, t->flen, t->vnet, from, now);
        else
            drop_count(&d->drops, DROP_LOCAL_DST, now, "%s", e->name);
        return true;
    }
    /* The entry may be stale or planted (a ring record, an old
     * announcement): never unicast to a host that does not carry @e or
     * may not; flood to the enclave's hosts instead. */
    if (peer_carries(p, e->id) && admit_link_allows(d, p, e->id)) {
        ringd_note_frame(d, p, now);
        tx_send(d, p, now, t->pkt, t->len);
        return true;
    }
    drop_count(&d->drops, DROP_NO_ROUTE, now, "%s: unicast to %s, flooded instead", e->name,
               p->name);
    return false;
}

/* Frames a guest may not send: not its own source (a locked port), or a
 * MAC another port of ours is locked to (any port). */
static bool tx_spoofed(struct daemon *d, struct enclave *e, const struct attachment *a,
                       const uint8_t *frame, size_t flen, uint64_t now)
{
    const struct attachment *owner;
    enum spoof_verdict v;
    char mac[MAC_STR_LEN + 1];

    if (a->has_mac) {
        v = spoof_check(&a->lock, frame, flen);
        if (v == SPOOF_OK)
            return false;
        mac_format(frame + 6, mac);
        drop_count(&d->drops, DROP_SPOOF, now, "%s: port %s (%s) sent as %s: %s", e->name,
                   a->ifname, a->vm[0] ? a->vm : "-", mac,
                   v == SPOOF_MAC ? "source MAC" : v == SPOOF_IP ? "source IP" :
                   v == SPOOF_ARP ? "ARP sender IP" : "unreadable headers");
        return true;
    }
    owner = port_by_mac(d, e, frame + 6);
    if (!owner || owner == a || !owner->has_mac || memcmp(owner->mac, frame + 6, 6) != 0)
        return false;
    mac_format(frame + 6, mac);
    drop_count(&d->drops, DROP_SPOOF, now, "%s: port %s sent as %s, locked to port %s",
               e->name, a->ifname, mac, owner->ifname);
    return true;
}

/* Put the inner header in front of the frame: type 7 keeps the
 * virtio_net_hdr the read left right before it, type 1 overwrites it. */
static void tx_header(struct tx_pkt *t, uint32_t id)
{
    if (t->vnet) {
        t->pkt = t->frame - INNER_FRAME_GSO_HDR;
        inner_frame_gso_header(t->pkt, id);
        t->len = t->flen + INNER_FRAME_GSO_HDR;
    } else {
        t->pkt = t->frame - INNER_FRAME_HDR;
        inner_frame_header(t->pkt, id);
        t->len = t->flen + INNER_FRAME_HDR;
    }
}

struct tx_flood_ctx {
    struct daemon *d;
    struct enclave *e;
    uint64_t now;
};

static void tx_flood_seg(void *ctx, uint8_t *frame, size_t len)
{
    struct tx_flood_ctx *c = ctx;

    flood_send(c->d, c->e, NULL, c->d->rid64, c->d->rid64, frame, len, c->now);
}

/* Flood @t to the enclave's hosts; a super-frame goes as its segments. */
static void tx_flood(struct daemon *d, struct enclave *e, const struct tx_pkt *t, uint64_t now)
{
    struct tx_flood_ctx c = { .d = d, .e = e, .now = now };
    struct vnet_hdr h;
    int rc;

    if (!t->vnet) {
        flood_send(d, e, NULL, d->rid64, d->rid64, t->frame, t->flen, now);
        return;
    }
    vnet_hdr_read(t->vnet, &h);
    rc = vnet_segment(&h, t->frame, t->flen, d->seg_buf + DAEMON_TAP_HEADROOM,
                      DAEMON_TAP_SLOT - DAEMON_TAP_HEADROOM, tx_flood_seg, &c);
    if (rc < 0)
        drop_count(&d->drops, DROP_OFFLOAD_BAD, now, "%s: super-frame flooded", e->name);
    else
        d->gso_segmented += (unsigned)rc;
}

void tx_frame(struct daemon *d, struct enclave *e, struct attachment *a, struct tx_pkt *t,
              uint64_t now)
{
    const uint8_t *dst = t->frame, *src = dst + 6;
    const struct fdb_entry *ent;
    size_t flen = t->flen;

    if (flen < INNER_ETH_MIN) {
        drop_count(&d->drops, DROP_RUNT, now, "%s: %zu bytes", e->name, flen);
        return;
    }
    if (!t->vnet && flen > DAEMON_FRAME_MAX) {
        drop_count(&d->drops, DROP_TOO_LONG, now, "%s: %zu bytes", e->name, flen);
        return;
    }
    if (enclave_own_mac(e, src)) {
        drop_count(&d->drops, DROP_OWN_MAC, now, "%s", e->name);
        return;
    }
    /* Our bridge forwards no guest frame: this one came from a port
     * someone plugged without attach. */
    if (e->ports_isolated && !a) {
        drop_count(&d->drops, DROP_PORT_UNKNOWN, now, "%s: frame on the uplink", e->name);
        return;
    }
    if (a && tx_spoofed(d, e, a, dst, flen, now))
        return;
    d->tap_rx_frames++;
    if (tx_is_unicast(src)) {
        /* A guest speaks here: its first frame claims the MAC (claims.h). */
        int rc = fdb_learn(e->fdb, src, NULL, now);

        if (rc == -ENOSPC)
            drop_count(&d->drops, DROP_FDB_FULL, now, "%s: local MAC", e->name);
        else if (rc > 0 || rc == -EBUSY)
            claims_local(d, e, src, rc, now);
        if (a && !a->has_mac)
            port_note_mac(a, src);
    }
    if (!dp_policy_pass(d, e, a, dst, flen, now))
        return;
    /* Our certificate does not list @e: its frames stay on this host. */
    if (!admit_self_may_carry(d, e->id)) {
        dp_port_deliver_vnet(d, e, dst, flen, t->vnet, a, now);
        drop_count(&d->drops, DROP_UNKNOWN_ENCLAVE, now, "%s: not in our certificate", e->name);
        return;
    }
    dp_neigh_learn(d, e, dst, flen, now);
    if (!tx_is_unicast(dst) && dp_neigh_answer(d, e, a, dst, flen, now))
        return;
    if (!t->vnet)
        dp_mss_clamp(d, e, t->frame, flen);
    tx_header(t, e->id);
    if (tx_is_unicast(dst)) {
        ent = fdb_lookup(e->fdb, dst);
        if (ent && ent->state == FDB_PENDING)
            ent = NULL;               /* attached, never heard: located nowhere yet */
        if (ent && tx_known_unicast(d, e, ent, a, t, now))
            return;
        if (!ent)
            dp_fact_push(d, DP_FACT_UNKNOWN_MAC, e->id, dst, now);
    }
    d->flood_frames++;
    if (a)
        dp_port_deliver_vnet(d, e, dst, flen, t->vnet, a, now);
    tx_flood(d, e, t, now);
}
