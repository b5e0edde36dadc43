/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Frames in: datagrams -> link layer -> inner payload -> uplink TAP (or
 * announce/ and ring/ for their payloads). See datapath.h.
 */
#include "overlayd/datapath/datapath.h"

#include <errno.h>
#include <string.h>

#include "lib/log.h"
#include "overlayd/datapath/peer_admit.h"
#include "overlayd/announce/announce.h"
#include "overlayd/announce/claims.h"
#include "overlayd/daemon.h"
#include "overlayd/datapath/inner.h"
#include "overlayd/datapath/vnet.h"
#include "overlayd/ring/ringd.h"
#include "tap/tap.h"

enum { RX_UDP_ROUNDS = 8 };         /* recvmmsg batches per wakeup */

static bool rx_is_unicast(const uint8_t *mac)
{
    return !(mac[0] & 1);
}

/* Where a frame of @id from @p may go: its enclave, or NULL (counted). */
static struct enclave *rx_enclave(struct daemon *d, struct peer *p, uint32_t id, uint64_t now)
{
    struct enclave *e = enclave_by_id(d, id);

    if (!e || !peer_carries(p, id) || !admit_link_allows(d, p, id)) {
        drop_count(&d->drops, DROP_UNKNOWN_ENCLAVE, now, "frame of enclave %u from %s", id,
                   p->name);
        return NULL;
    }
    return e;
}

/* What the source MAC of a frame from @p tells: where it lives. */
static void rx_learn(struct daemon *d, struct enclave *e, struct peer *p, const uint8_t *frame,
                     uint64_t now)
{
    if (rx_is_unicast(frame + 6)) {
        int rc = fdb_learn(e->fdb, frame + 6, p, now);

        if (rc == -ENOSPC)
            drop_count(&d->drops, DROP_FDB_FULL, now, "%s: MAC behind %s", e->name, p->name);
        else if (rc == -EBUSY)
            claims_frozen(d, e, frame + 6);
    }
    if (rx_is_unicast(frame))
        ringd_note_frame(d, p, now);
}

/* Type 1 (@vnet NULL) or type 7: learn, forward a claimed-away MAC's
 * frame, or deliver. @frame points into @data, ours to change. */
static void rx_frame_common(struct daemon *d, struct enclave *e, struct peer *p, uint8_t *data,
                            size_t len, uint8_t *frame, size_t flen, const uint8_t *vnet,
                            uint64_t now)
{
    rx_learn(d, e, p, frame, now);
    /* Sent before the sender heard of a claim: on to the guest's new host. */
    if (rx_is_unicast(frame) && claims_forward(d, e, p, frame, data, len, now))
        return;
    if (vnet)
        dp_tap_deliver_vnet(d, e, frame, flen, vnet, now);
    else
        dp_tap_deliver(d, e, frame, flen, now);
}

static void rx_frame(struct daemon *d, struct peer *p, uint8_t *data, size_t len, uint64_t now)
{
    uint32_t id;
    const uint8_t *frame;
    size_t flen;
    struct enclave *e;

    if (inner_frame_parse(data, len, &id, &frame, &flen) < 0) {
        drop_count(&d->drops, DROP_INNER_MALFORMED, now, "frame from %s", p->name);
        return;
    }
    if ((e = rx_enclave(d, p, id, now)))
        rx_frame_common(d, e, p, data, len, data + (frame - data), flen, NULL, now);
}

/* Type 7: a super-frame or a partial checksum. A partial checksum alone
 * is finished here, so every later reader (MSS clamp, policy, a port)
 * sees a plain frame; a super-frame keeps its header to the TAP. */
static void rx_frame_gso(struct daemon *d, struct peer *p, uint8_t *data, size_t len,
                         uint64_t now)
{
    const uint8_t *vnet, *frame;
    uint8_t *f;
    struct vnet_hdr h;
    size_t flen;
    uint32_t id;
    struct enclave *e;

    if (inner_frame_gso_parse(data, len, &id, &vnet, &frame, &flen) < 0) {
        drop_count(&d->drops, DROP_INNER_MALFORMED, now, "offload frame from %s", p->name);
        return;
    }
    f = data + (frame - data);
    vnet_hdr_read(vnet, &h);
    if (vnet_check(&h, f, flen) < 0 || vnet_wire_len(&h, f, flen) > DAEMON_FRAME_MAX ||
        (h.gso_type == VNET_GSO_NONE && vnet_csum_complete(&h, f, flen) < 0)) {
        drop_count(&d->drops, DROP_OFFLOAD_BAD, now, "offload frame from %s", p->name);
        return;
    }
    /* Finished: say so in the payload too, which claims_forward may pass on. */
    vnet_hdr_write(&h, data + INNER_FRAME_HDR);
    if ((e = rx_enclave(d, p, id, now)))
        rx_frame_common(d, e, p, data, len, f, flen,
                        h.gso_type == VNET_GSO_NONE ? NULL : vnet, now);
}

void dp_tap_deliver(struct daemon *d, struct enclave *e, uint8_t *frame, size_t len,
                    uint64_t now)
{
    if (!dp_policy_pass(d, e, NULL, frame, len, now))
        return;
    dp_mss_clamp(d, e, frame, len);
    dp_port_deliver(d, e, frame, len, NULL, now);
}

void dp_tap_deliver_vnet(struct daemon *d, struct enclave *e, uint8_t *frame, size_t len,
                         const uint8_t *vnet, uint64_t now)
{
    /* No MSS clamp: a super-frame is never a SYN (vnet_check), and its
     * partial checksum must not be patched. */
    if (dp_policy_pass(d, e, NULL, frame, len, now))
        dp_port_deliver_vnet(d, e, frame, len, vnet, NULL, now);
}

void rx_payload(struct daemon *d, struct peer *p, uint8_t *data, size_t len, uint64_t now)
{
    switch (data[0]) {
    case INNER_FRAME:
        rx_frame(d, p, data, len, now);
        return;
    case INNER_FRAME_GSO:
        rx_frame_gso(d, p, data, len, now);
        return;
    case INNER_CONTROL:
        announce_control(d, p, data, len, now);
        return;
    case INNER_RING:
        ringd_from_peer(d, p, data, len);
        return;
    case INNER_FLOOD:
        flood_recv(d, p, data, len, now);
        return;
    case INNER_PROBE:
        probe_rx(d, p, data, len, now);
        return;
    case INNER_DETOUR:
        detour_recv(d, p, data, len, now);
        return;
    default:
        drop_count(&d->drops, DROP_INNER_TYPE, now, "type %u from %s", data[0], p->name);
        return;
    }
}

/* One datagram: authenticated and decrypted by the link layer, then
 * handed on by its inner type. */
static void rx_datagram(struct daemon *d, uint8_t *pkt, size_t len, struct udp_addr *src,
                        uint64_t now)
{
    struct link_rx rx = { 0 };
    struct peer *p;
    int rc;

    d->rx_src = src;
    d->rx_src_init = len > 0 && pkt[0] == LINK_MSG_INIT;
    rc = link_receive_from(d->link, now, pkt, len, &src->ss, src->len, &rx);
    d->rx_src = NULL;
    /* Refusals are counted by the link layer (crypto/link.h counters). */
    if (rc < 0 || !rx.peer)
        return;
    p = link_peer_user(rx.peer);
    if (!p)
        return;
    p->rx_bytes += len;
    ringd_note_rx(d, p, now);
    {
        enum path_health old = path_health_now(&p->probe);

        /* Alive: every authenticated packet that came straight from it
         * counts (a relayed one comes through detour.c, not here). */
        path_on_rx(&p->probe, now);
        probe_note_health(p, old, now);
    }
    if (!d->rx_src_init)
        peer_set_endpoint(p, src);      /* roaming */
    if (rx.len > 0)
        rx_payload(d, p, rx.data, rx.len, now);
}

/* Entry @i of the batch: one datagram, or several of rx_seg[i] bytes
 * each that the kernel joined (UDP_GRO). */
static void rx_entry(struct daemon *d, unsigned i, uint64_t now)
{
    struct udp *u = &d->udp;
    struct mmsghdr *m = &u->rx_msg[i];
    uint8_t *pkt = udp_rx_data(u, i);
    size_t len = m->msg_len, seg = u->rx_seg[i] ? u->rx_seg[i] : len;
    struct udp_addr src;

    if (m->msg_hdr.msg_flags & MSG_TRUNC) {
        u->rx_truncated++;
        return;
    }
    src.len = m->msg_hdr.msg_namelen;
    memcpy(&src.ss, &u->rx_addr[i], src.len);
    for (size_t off = 0; off < len; off += seg)
        rx_datagram(d, pkt + off, len - off < seg ? len - off : seg, &src, now);
}

void rx_udp_readable(struct daemon *d)
{
    for (int round = 0; round < RX_UDP_ROUNDS; round++) {
        int n = udp_recv_batch(&d->udp);
        uint64_t now = daemon_now();

        if (n < 0) {
            log_debug("udp", "recvmmsg: %s", strerror(-n));
            return;
        }
        for (int i = 0; i < n; i++)
            rx_entry(d, (unsigned)i, now);
        if (n < UDP_BATCH)
            return;
    }
}
