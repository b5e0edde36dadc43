/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Frames read from TAPs: each comes after a virtio_net_hdr (tap_open_vnet).
 * A partial checksum is finished here; a super-frame goes whole when its
 * destination is known, else it is cut here and each segment takes the
 * plain path (docs/design.md "Offloads and super-frames").
 */
#include "overlayd/datapath/datapath.h"

#include <errno.h>
#include <string.h>

#include "overlayd/daemon.h"
#include "overlayd/datapath/inner.h"
#include "overlayd/datapath/tx_int.h"
#include "overlayd/datapath/vnet.h"
#include "tap/tap.h"

enum { TX_TAP_ROUNDS = 4 };        /* batches per wakeup, so one TAP cannot starve the rest */

/* Can super-frame @frame of @e go whole: to a known host or local port?
 * Else it is cut here, and each segment takes the plain path. */
static bool tx_gso_whole(const struct enclave *e, const uint8_t *frame)
{
    const struct fdb_entry *ent;

    if (frame[0] & 1)
        return false;
    ent = fdb_lookup(e->fdb, frame);
    return ent && ent->state != FDB_PENDING && (ent->peer || e->ports_isolated);
}

struct tx_seg_frame_ctx {
    struct daemon *d;
    struct enclave *e;
    struct attachment *a;
    uint64_t now;
};

static void tx_seg_frame(void *ctx, uint8_t *frame, size_t len)
{
    struct tx_seg_frame_ctx *c = ctx;
    struct tx_pkt t = { .frame = frame, .flen = len };

    tx_frame(c->d, c->e, c->a, &t, c->now);
}

/* A super-frame read from a TAP: whole to its host, or cut here. */
static void tx_super(struct daemon *d, struct enclave *e, struct attachment *a,
                     struct tx_pkt *t, const struct vnet_hdr *h, uint64_t now)
{
    struct tx_seg_frame_ctx c = { .d = d, .e = e, .a = a, .now = now };
    int rc;

    if (tx_gso_whole(e, t->frame)) {
        t->vnet = t->frame - TAP_VNET_HDR_LEN;
        tx_frame(d, e, a, t, now);
        return;
    }
    rc = vnet_segment(h, t->frame, t->flen, d->seg_buf + DAEMON_TAP_HEADROOM,
                      DAEMON_TAP_SLOT - DAEMON_TAP_HEADROOM, tx_seg_frame, &c);
    if (rc < 0)
        drop_count(&d->drops, DROP_OFFLOAD_BAD, now, "%s: super-frame", e->name);
    else
        d->gso_segmented += (unsigned)rc;
}

/* @slot: DAEMON_TAP_HEADROOM - TAP_VNET_HDR_LEN bytes of room, then the
 * virtio_net_hdr and the frame a read put there. */
static void tx_read_one(struct daemon *d, struct enclave *e, struct attachment *a,
                        uint8_t *slot, size_t rlen, uint64_t now)
{
    struct tx_pkt t = { .frame = slot + DAEMON_TAP_HEADROOM };
    struct vnet_hdr h;

    if (rlen < TAP_VNET_HDR_LEN + INNER_ETH_MIN) {
        drop_count(&d->drops, DROP_RUNT, now, "%s: %zu bytes", e->name, rlen);
        return;
    }
    t.flen = rlen - TAP_VNET_HDR_LEN;
    vnet_hdr_read(t.frame - TAP_VNET_HDR_LEN, &h);
    if (h.gso_type != VNET_GSO_NONE) {
        /* Its segments must fit where a plain frame fits (flood_buf). */
        if (vnet_check(&h, t.frame, t.flen) < 0 ||
            vnet_wire_len(&h, t.frame, t.flen) > DAEMON_FRAME_MAX)
            drop_count(&d->drops, DROP_OFFLOAD_BAD, now, "%s: from the TAP", e->name);
        else
            tx_super(d, e, a, &t, &h, now);
        return;
    }
    /* A partial checksum is finished at once: every later reader (MSS
     * clamp, policy, a host without offloads) then sees a plain frame. */
    if ((h.flags & VNET_F_NEEDS_CSUM) &&
        (vnet_check(&h, t.frame, t.flen) < 0 || vnet_csum_complete(&h, t.frame, t.flen) < 0)) {
        drop_count(&d->drops, DROP_OFFLOAD_BAD, now, "%s: from the TAP", e->name);
        return;
    }
    tx_frame(d, e, a, &t, now);
}

/* Read @fd's frames (@e's uplink, or port @a's TAP) into the data path. */
static void tx_drain(struct daemon *d, struct enclave *e, struct attachment *a, int fd)
{
    struct tap_frame fr[DAEMON_TAP_BATCH];
    size_t head = DAEMON_TAP_HEADROOM - TAP_VNET_HDR_LEN;

    for (size_t i = 0; i < DAEMON_TAP_BATCH; i++) {
        fr[i].buf = d->tap_buf + i * DAEMON_TAP_SLOT + head;
        fr[i].cap = DAEMON_TAP_SLOT - head;
        fr[i].len = 0;
    }
    for (int round = 0; round < TX_TAP_ROUNDS; round++) {
        ssize_t n = tap_read_batch(fd, fr, DAEMON_TAP_BATCH);
        uint64_t now = daemon_now();

        if (n < 0) {
            drop_count(&d->drops, DROP_TAP_READ, now, "%s: %s", e->name, strerror((int)-n));
            return;
        }
        for (ssize_t i = 0; i < n; i++)
            tx_read_one(d, e, a, d->tap_buf + (size_t)i * DAEMON_TAP_SLOT, fr[i].len, now);
        if (n < DAEMON_TAP_BATCH)
            return;
    }
}

void tx_tap_readable(struct daemon *d, struct enclave *e)
{
    tx_drain(d, e, NULL, e->tap_fd);
}

void tx_port_readable(struct daemon *d, struct attachment *a)
{
    tx_drain(d, a->enc, a, a->port_fd);
}
