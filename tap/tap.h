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
 * Frame I/O is non-blocking and batched: the daemon drains a TAP per
 * wakeup with tap_read_batch() and writes with tap_write_batch().
 *
 * All functions return 0 (or a count) or a negative errno.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define TAP_IFNAMSIZ 16

struct tap_nl;

struct tap_link_info {
    int ifindex;
    unsigned mtu;
    int master_ifindex;           /* 0: no master */
    bool up;
    uint8_t mac[6];
    char kind[16];                /* "bridge", "tun", "veth", "" */
};

/* Open the rtnetlink socket. Returns 0 or a negative errno. */
int tap_nl_open(struct tap_nl **out);
void tap_nl_close(struct tap_nl *nl);

/* Create a Linux bridge (up, @mtu if non-zero). -EEXIST if it exists. */
int tap_bridge_add(struct tap_nl *nl, const char *name, unsigned mtu);
/* Delete any link by name. -ENODEV if it does not exist. */
int tap_link_delete(struct tap_nl *nl, const char *name);
/* Look a link up by name. -ENODEV if it does not exist. */
int tap_link_get(struct tap_nl *nl, const char *name, struct tap_link_info *info);
/* Enslave @ifname to bridge @master; @master NULL releases it. */
int tap_link_set_master(struct tap_nl *nl, const char *ifname, const char *master);
int tap_link_set_up(struct tap_nl *nl, const char *ifname, bool up);
int tap_link_set_mtu(struct tap_nl *nl, const char *ifname, unsigned mtu);

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

struct tap_frame {
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
 * kernel refuses with EAGAIN/ENOBUFS is dropped, not retried.
 */
ssize_t tap_write_batch(int fd, const struct tap_frame *frames, size_t n);

#endif
