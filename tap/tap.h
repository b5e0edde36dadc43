/* SPDX-License-Identifier: GPL-2.0-only */
#ifndef OVL_TAP_TAP_H
#define OVL_TAP_TAP_H

/*
 * DOC: tap — TAP devices, bridges and links through libnl-3
 *
 * Everything the daemon does to kernel interfaces goes through here, over
 * one rtnetlink socket (libnl-route-3); nothing shells out to ip(8).
 * TAP devices are opened non-persistent (IFF_TAP | IFF_NO_PI), so the
 * kernel deletes them when the daemon's fd closes, even after a crash.
 * Frame I/O is non-blocking: the daemon drains a TAP per wakeup with
 * tap_read_batch() and writes with tap_write_batch(), which loop over
 * read(2)/write(2), one call per frame (a TAP has no batched syscall;
 * with tap_open_vnet() one call carries a super-frame of up to 64 KB).
 *
 * All functions return 0 (or a count) or a negative errno.
 * A struct tap_nl is one socket: use it from one thread at a time.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define TAP_IFNAMSIZ 16
#define TAP_IFALIASZ 256          /* IFALIASZ: the kernel's alias limit */

struct tap_nl;

struct tap_link_info {
    int ifindex;
    unsigned mtu;
    int master_ifindex;           /* 0: no master */
    bool up;
    uint8_t mac[6];
    char kind[16];                /* "bridge", "tun", "veth", "" */
    char alias[TAP_IFALIASZ];     /* IFLA_IFALIAS; "" when unset */
};

/* Open the rtnetlink socket. Returns 0 or a negative errno. */
int tap_nl_open(struct tap_nl **out);
void tap_nl_close(struct tap_nl *nl);

/*
 * Create a Linux bridge: up, STP off, forward_delay 0 (ports forward at
 * once), @mtu if non-zero. -EEXIST if it exists. The MTU is pinned (set
 * after creation, so attaching ports does not change it), but a port only
 * passes frames up to its own MTU: give every port the same MTU.
 */
int tap_bridge_add(struct tap_nl *nl, const char *name, unsigned mtu);
/*
 * Set the interface alias (IFLA_IFALIAS, what `ip link show` prints as
 * "alias") of @name; "" clears it. -EINVAL if longer than TAP_IFALIASZ - 1.
 * The daemon marks the bridges it creates with it (docs/design.md).
 */
int tap_link_set_alias(struct tap_nl *nl, const char *name, const char *alias);
/* Delete any link by name. -ENODEV if it does not exist. */
int tap_link_delete(struct tap_nl *nl, const char *name);
/* Look a link up by name. -ENODEV if it does not exist. */
int tap_link_get(struct tap_nl *nl, const char *name, struct tap_link_info *info);
/* Enslave @ifname to bridge @master; @master NULL releases it. */
int tap_link_set_master(struct tap_nl *nl, const char *ifname, const char *master);
int tap_link_set_up(struct tap_nl *nl, const char *ifname, bool up);
int tap_link_set_mtu(struct tap_nl *nl, const char *ifname, unsigned mtu);
int tap_link_set_mac(struct tap_nl *nl, const char *ifname, const uint8_t mac[6]);
/* 1 if link @name exists, 0 if not, or a negative errno. */
int tap_link_exists(struct tap_nl *nl, const char *name);
/* Create veth pair @name <-> @peer (down). -EEXIST if either exists. */
int tap_veth_add(struct tap_nl *nl, const char *name, const char *peer);

/*
 * Guest ports (docs/design.md "Guest ports"): every frame arriving on
 * @from is sent out of @to instead, before a bridge @from may be a port
 * of sees it (an ingress qdisc with one match-all redirect; a previous
 * one on @from is replaced). tap_port_unredirect() removes it (0 when
 * there was none).
 */
int tap_port_redirect(struct tap_nl *nl, const char *from, const char *to);
int tap_port_unredirect(struct tap_nl *nl, const char *ifname);
/* The names of the ports of @bridge (at most @cap; -ENOSPC if more). */
int tap_bridge_ports(struct tap_nl *nl, const char *bridge, char (*names)[TAP_IFNAMSIZ],
                     size_t cap, size_t *n);

/*
 * MTU of the interface that carries the default route (or, without one,
 * the largest MTU of any non-loopback up interface); 1500 as a last resort.
 */
int tap_underlay_mtu(struct tap_nl *nl, unsigned *mtu);

/*
 * Create (or attach to) TAP @name: IFF_TAP | IFF_NO_PI, non-blocking,
 * close-on-exec, not persistent. Returns 0 and the fd in @fd, or a
 * negative errno.
 */
int tap_open(const char *name, int *fd);

enum { TAP_VNET_HDR_LEN = 10 };   /* struct virtio_net_hdr */

/*
 * The same with IFF_VNET_HDR: every frame read or written has a 10-byte
 * virtio_net_hdr in front, and the kernel may hand over partial checksums
 * and super-frames up to 64 KB (TUNSETOFFLOAD: CSUM, TSO4/6, TSO_ECN, and
 * USO4/6 when the kernel has them). @offloads (may be NULL) gets the
 * TUN_F_* set the kernel took.
 */
int tap_open_vnet(const char *name, int *fd, unsigned *offloads);
/*
 * Write one frame with @hdr in front to a TAP from tap_open_vnet().
 * Returns 0 or a negative errno (-EAGAIN/-ENOBUFS: congested; -EINVAL:
 * the kernel refused the header or the frame).
 */
int tap_write_vnet(int fd, const uint8_t hdr[TAP_VNET_HDR_LEN], const uint8_t *frame,
                   size_t len);

struct tap_frame {
    /* For reads, cap >= MTU + 18 (Ethernet header + one VLAN tag): with
     * IFF_NO_PI the kernel silently truncates a longer frame. */
    uint8_t *buf;                 /* caller's buffer */
    size_t cap;                   /* its size */
    size_t len;                   /* filled by tap_read_batch */
};

/*
 * Read up to @n frames (stops at EAGAIN). Returns the number read (0 when
 * nothing was pending) or a negative errno other than EAGAIN.
 */
ssize_t tap_read_batch(int fd, struct tap_frame *frames, size_t n);
/*
 * Write @n frames (buf/len). Returns the number written; a frame the
 * kernel refuses with EAGAIN/ENOBUFS (congestion) or EINVAL/EMSGSIZE
 * (malformed, e.g. shorter than 14 bytes) is dropped, not retried. Any other
 * error (EIO: the TAP is down) stops the batch: the count so far, or the
 * negative errno if nothing was written.
 */
ssize_t tap_write_batch(int fd, const struct tap_frame *frames, size_t n);

#endif
