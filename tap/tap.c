/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * TAP side of tap/: opening /dev/net/tun and batched, non-blocking frame
 * I/O. One read()/write() per frame for now (see the IFF_VNET_HDR note).
 */
#include "tap/tap.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>
#include <sys/ioctl.h>
#include <sys/uio.h>
#include <net/if.h>
#include <linux/if_tun.h>

#ifndef TUN_F_USO4
#define TUN_F_USO4 0x20                 /* kernels >= 6.2; older headers lack it */
#define TUN_F_USO6 0x40
#endif

static int tap_open_flags(const char *name, int *fd, short flags)
{
    struct ifreq ifr;
    int tfd, err;

    if (!fd || !name || !name[0] || strnlen(name, TAP_IFNAMSIZ) >= TAP_IFNAMSIZ)
        return -EINVAL;
    tfd = open("/dev/net/tun", O_RDWR | O_NONBLOCK | O_CLOEXEC);
    if (tfd < 0)
        return -errno;

    memset(&ifr, 0, sizeof(ifr));
    /* IFF_NO_PI: frames are plain Ethernet, no 4-byte packet-info prefix. */
    ifr.ifr_flags = (short)(IFF_TAP | IFF_NO_PI | flags);
    memcpy(ifr.ifr_name, name, strlen(name));
    if (ioctl(tfd, TUNSETIFF, &ifr) < 0) {
        err = -errno;
        close(tfd);
        return err;
    }
    /* Not TUNSETPERSIST: the device must vanish with the fd (crash-safe). */
    *fd = tfd;
    return 0;
}

int tap_open(const char *name, int *fd)
{
    return tap_open_flags(name, fd, 0);
}

/*
 * What we offer to take: partial checksums and TCP super-frames always;
 * UDP super-frames (USO) where the kernel knows them, which it reports by
 * refusing the whole set with EINVAL.
 */
static int tap_set_offload(int fd, unsigned *offloads)
{
    unsigned base = TUN_F_CSUM | TUN_F_TSO4 | TUN_F_TSO6 | TUN_F_TSO_ECN;
    unsigned full = base | TUN_F_USO4 | TUN_F_USO6;

    if (ioctl(fd, TUNSETOFFLOAD, (unsigned long)full) == 0) {
        *offloads = full;
        return 0;
    }
    if (errno != EINVAL || ioctl(fd, TUNSETOFFLOAD, (unsigned long)base) < 0)
        return -errno;
    *offloads = base;
    return 0;
}

int tap_open_vnet(const char *name, int *fd, unsigned *offloads)
{
    int hdr = TAP_VNET_HDR_LEN, tfd, rc;
    unsigned got = 0;

    rc = tap_open_flags(name, &tfd, IFF_VNET_HDR);
    if (rc < 0)
        return rc;
    if (ioctl(tfd, TUNSETVNETHDRSZ, &hdr) < 0)
        rc = -errno;
    else
        rc = tap_set_offload(tfd, &got);
    if (rc < 0) {
        close(tfd);
        return rc;
    }
    if (offloads)
        *offloads = got;
    *fd = tfd;
    return 0;
}

int tap_write_vnet(int fd, const uint8_t hdr[TAP_VNET_HDR_LEN], const uint8_t *frame,
                   size_t len)
{
    struct iovec iov[2] = {
        { .iov_base = (void *)hdr, .iov_len = TAP_VNET_HDR_LEN },
        { .iov_base = (void *)frame, .iov_len = len },
    };
    ssize_t r;

    do {
        r = writev(fd, iov, 2);
    } while (r < 0 && errno == EINTR);
    return r < 0 ? -errno : 0;
}

/*
 * Each frame's buffer should hold MTU + 14 (Ethernet header) + 4 (one VLAN
 * tag): with IFF_NO_PI the kernel silently truncates a longer frame.
 */
ssize_t tap_read_batch(int fd, struct tap_frame *frames, size_t n)
{
    size_t i = 0;

    if (!frames && n)
        return -EINVAL;
    while (i < n) {
        ssize_t r = read(fd, frames[i].buf, frames[i].cap);

        if (r < 0) {
            if (errno == EINTR)
                continue;
            if (errno == EAGAIN || errno == EWOULDBLOCK)
                break;
            /* Report what was read; the error recurs on the next call. */
            return i ? (ssize_t)i : -errno;
        }
        frames[i].len = (size_t)r;
        i++;
    }
    return (ssize_t)i;
}

ssize_t tap_write_batch(int fd, const struct tap_frame *frames, size_t n)
{
    size_t i, written = 0;

    if (!frames && n)
        return -EINVAL;
    for (i = 0; i < n; i++) {
        ssize_t r;

        do {
            r = write(fd, frames[i].buf, frames[i].len);
        } while (r < 0 && errno == EINTR);
        if (r >= 0) {
            written++;
            continue;
        }
        switch (errno) {
        case EAGAIN:
#if EWOULDBLOCK != EAGAIN
        case EWOULDBLOCK:
#endif
        case ENOBUFS:
            /* Congested: drop like a full NIC queue would; the overlay's
             * upper layers (TCP in the guests) recover. */
        case EINVAL:
        case EMSGSIZE:
            /* One malformed frame (e.g. shorter than an Ethernet header)
             * must not cost the rest of the batch. */
            continue;
        default:
            /* Device-level failure (EIO: TAP down, EBADF...): stop. */
            return written ? (ssize_t)written : -errno;
        }
    }
    return (ssize_t)written;
}

