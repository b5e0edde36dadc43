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
#include <net/if.h>
#include <linux/if_tun.h>

int tap_open(const char *name, int *fd)
{
    struct ifreq ifr;
    int tfd, err;

    if (!fd || !name || !name[0] || strnlen(name, TAP_IFNAMSIZ) >= TAP_IFNAMSIZ)
        return -EINVAL;
    tfd = open("/dev/net/tun", O_RDWR | O_NONBLOCK | O_CLOEXEC);
    if (tfd < 0)
        return -errno;

    memset(&ifr, 0, sizeof(ifr));
    /*
     * IFF_NO_PI: frames are plain Ethernet, no 4-byte packet-info prefix.
     * Performance work goes here: IFF_VNET_HDR (virtio_net_hdr in front of
     * every frame, so GSO/checksum offload survive the TAP; then also
     * TUNSETVNETHDRSZ and TUNSETOFFLOAD) and IFF_MULTI_QUEUE (one fd per
     * worker thread, same @name opened once per queue). Both change the
     * frame format/ownership seen by tap_read_batch()/tap_write_batch().
     */
    ifr.ifr_flags = IFF_TAP | IFF_NO_PI;
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

