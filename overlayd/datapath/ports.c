/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Guest ports of a Linux bridge (docs/design.md "Guest ports"): what a
 * guest sends is redirected, before the bridge sees it, to a TAP of the
 * daemon's own for that port ("ovp" + the port's ifindex); what the
 * daemon writes to that TAP is redirected to the guest. So every frame
 * of a guest passes the daemon, and the daemon knows its port by the file
 * descriptor it read it from.
 */
#include "overlayd/datapath/datapath.h"

#include <errno.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lib/log.h"
#include "overlayd/daemon.h"
#include "overlayd/datapath/vnet.h"
#include "tap/tap.h"

struct attachment *port_by_mac(struct daemon *d, const struct enclave *e, const uint8_t mac[6])
{
    for (size_t i = 0; i < d->n_att; i++) {
        struct attachment *a = &d->att[i];

        if (a->enc != e || a->port_fd < 0)
            continue;
        if (a->has_mac && memcmp(a->mac, mac, 6) == 0)
            return a;
        for (unsigned k = 0; k < a->n_seen; k++)
            if (memcmp(a->seen[k], mac, 6) == 0)
                return a;
    }
    return NULL;
}

void port_note_mac(struct attachment *a, const uint8_t src[6])
{
    unsigned k;

    if (a->n_seen && memcmp(a->seen[0], src, 6) == 0)
        return;                         /* the common case: nothing moves */
    for (k = 0; k < a->n_seen; k++)
        if (memcmp(a->seen[k], src, 6) == 0)
            break;
    if (k == a->n_seen && a->n_seen < PORT_SEEN_MAX)
        a->n_seen++;
    if (k == PORT_SEEN_MAX)
        k = PORT_SEEN_MAX - 1;          /* forget the oldest */
    memmove(a->seen[1], a->seen[0], k * 6);
    memcpy(a->seen[0], src, 6);
}

/* The attachments array moves on realloc: find the port by its fd. */
static void port_poll_cb(uv_poll_t *h, int status, int events)
{
    struct daemon *d = h->data;
    int fd;

    (void)events;
    if (uv_fileno((uv_handle_t *)h, &fd) < 0)
        return;
    for (size_t i = 0; i < d->n_att; i++) {
        if (d->att[i].port_fd != fd)
            continue;
        if (status < 0)
            log_warn("port", "%s: port TAP %s: %s", d->att[i].enc->name, d->att[i].port_tap,
                     uv_strerror(status));
        else
            tx_port_readable(d, &d->att[i]);
        return;
    }
}

static void port_poll_free(uv_handle_t *h)
{
    free(h);
}

void port_close(struct daemon *d, struct attachment *a)
{
    if (a->port_poll) {
        uv_poll_stop(a->port_poll);
        uv_close((uv_handle_t *)a->port_poll, port_poll_free);
        a->port_poll = NULL;
    }
    if (a->port_fd >= 0) {
        (void)tap_port_unredirect(d->nl, a->ifname);
        close(a->port_fd);              /* non-persistent: the kernel deletes the TAP */
    }
    a->port_fd = -1;
}

int port_open(struct daemon *d, struct attachment *a)
{
    unsigned idx = if_nametoindex(a->ifname);
    int rc;

    if (!idx)
        return -ENODEV;
    if (a->port_fd >= 0)
        port_close(d, a);
    snprintf(a->port_tap, sizeof(a->port_tap), "ovp%u", idx);
    rc = tap_open_vnet(a->port_tap, &a->port_fd, NULL);
    if (rc < 0)
        return rc;
    /* Its own stack would talk (router solicitations) into the guest's stream. */
    enclave_no_ipv6(a->port_tap);
    rc = tap_link_set_mtu(d->nl, a->port_tap, a->enc->inner_mtu);
    if (rc == 0)
        rc = tap_link_set_up(d->nl, a->port_tap, true);
    if (rc == 0)
        rc = tap_port_redirect(d->nl, a->port_tap, a->ifname);
    if (rc == 0)
        rc = tap_port_redirect(d->nl, a->ifname, a->port_tap);
    if (rc == 0 && !(a->port_poll = malloc(sizeof(*a->port_poll))))
        rc = -ENOMEM;
    if (rc == 0) {
        rc = uv_poll_init(d->loop, a->port_poll, a->port_fd);
        if (rc < 0) {
            free(a->port_poll);
            a->port_poll = NULL;
        }
    }
    if (rc == 0) {
        a->port_poll->data = d;
        rc = uv_poll_start(a->port_poll, UV_READABLE, port_poll_cb);
    }
    if (rc < 0)
        port_close(d, a);
    return rc;
}

/* Longer than the port's MTU (the inner MTU, attach set it), with room
 * for one VLAN tag as a bridge port gives: the bridge would have dropped
 * it, and a guest must not get frames its own MTU says cannot come. A
 * super-frame counts by its segments: the guest's stack takes it whole. */
static bool port_too_long(const struct enclave *e, const uint8_t *frame, size_t len,
                          const uint8_t *vnet)
{
    size_t max = e->inner_mtu + 14;

    if (vnet) {
        struct vnet_hdr h;

        vnet_hdr_read(vnet, &h);
        len = vnet_wire_len(&h, frame, len);
    }
    if (len >= 14 && ((frame[12] == 0x81 && frame[13] == 0x00) ||
                      (frame[12] == 0x88 && frame[13] == 0xa8)))
        max += 4;
    return len > max;
}

struct port_cut_ctx {
    int fd;
    int rc;
};

static void port_cut_write(void *ctx, uint8_t *frame, size_t len)
{
    static const uint8_t plain[TAP_VNET_HDR_LEN];
    struct port_cut_ctx *c = ctx;

    if (tap_write_vnet(c->fd, plain, frame, len) < 0)
        c->rc = -EIO;
}

static int port_write_cut(struct daemon *d, int fd, const uint8_t *frame, size_t len,
                          const uint8_t *vnet)
{
    struct port_cut_ctx c = { .fd = fd, .rc = 0 };
    struct vnet_hdr h;
    int n;

    vnet_hdr_read(vnet, &h);
    n = vnet_segment(&h, frame, len, d->seg_buf, DAEMON_TAP_SLOT, port_cut_write, &c);
    if (n < 0)
        return n;
    d->gso_segmented += (unsigned)n;
    return c.rc;
}

bool dp_port_write_vnet(struct daemon *d, struct enclave *e, const struct attachment *to,
                        const uint8_t *frame, size_t len, const uint8_t *vnet, uint64_t now)
{
    static const uint8_t plain[TAP_VNET_HDR_LEN];
    int fd = to ? to->port_fd : e->tap_fd, rc;

    if (to && port_too_long(e, frame, len, vnet)) {
        drop_count(&d->drops, DROP_PORT_MTU, now, "%s: %zu bytes to port %s (MTU %u)", e->name,
                   len, to->ifname, e->inner_mtu);
        return false;
    }
    rc = tap_write_vnet(fd, vnet ? vnet : plain, frame, len);
    /* A kernel that does not know this super-frame's kind (USO from a
     * newer host): the segments, written one by one. */
    if (rc == -EINVAL && vnet)
        rc = port_write_cut(d, fd, frame, len, vnet);
    if (rc == 0) {
        d->tap_tx_frames++;
        return true;
    }
    drop_count(&d->drops, DROP_TAP_WRITE, now, "%s: to %s", e->name, to ? to->ifname : e->uplink);
    return false;
}

bool dp_port_write(struct daemon *d, struct enclave *e, const struct attachment *to,
                   const uint8_t *frame, size_t len, uint64_t now)
{
    return dp_port_write_vnet(d, e, to, frame, len, NULL, now);
}

void dp_port_deliver_vnet(struct daemon *d, struct enclave *e, const uint8_t *frame, size_t len,
                          const uint8_t *vnet, const struct attachment *from, uint64_t now)
{
    struct attachment *to;

    if (!e->ports_isolated) {
        /* A shared bridge: it delivered what its own ports sent. */
        if (!from)
            dp_port_write_vnet(d, e, NULL, frame, len, vnet, now);
        return;
    }
    if (!(frame[0] & 1) && (to = port_by_mac(d, e, frame))) {
        if (to != from)
            dp_port_write_vnet(d, e, to, frame, len, vnet, now);
        return;
    }
    /* Broadcast, multicast, or a MAC no port has sent from yet. */
    for (size_t i = 0; i < d->n_att; i++) {
        to = &d->att[i];
        if (to->enc == e && to->port_fd >= 0 && to != from)
            dp_port_write_vnet(d, e, to, frame, len, vnet, now);
    }
}

void dp_port_deliver(struct daemon *d, struct enclave *e, const uint8_t *frame, size_t len,
                     const struct attachment *from, uint64_t now)
{
    dp_port_deliver_vnet(d, e, frame, len, NULL, from, now);
}
