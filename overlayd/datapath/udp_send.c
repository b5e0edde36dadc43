/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The send side of the UDP socket: the sendmmsg queue, runs of one size
 * to one address sent with UDP_SEGMENT, and fragment trains. See udp.h.
 */
#include "overlayd/datapath/udp.h"

#include <errno.h>
#include <string.h>
#include <netinet/udp.h>

#include "overlayd/datapath/udp_int.h"

static unsigned udp_entries_sent(struct udp *u, unsigned from, unsigned n)
{
    unsigned pkts = 0;

    for (unsigned i = from; i < from + n; i++)
        pkts += u->tx_cnt[i];
    return pkts;
}

/* GSO refused for entry @i (EIO: the route's device cannot segment;
 * EINVAL: a kernel without it):
 * off for good, and this run goes out datagram by datagram. */
static void udp_unrun(struct udp *u, unsigned i)
{
    const uint8_t *p = u->tx_iov[i].iov_base;
    size_t left = u->tx_iov[i].iov_len, seg = u->tx_seg[i];

    u->gso = false;
    while (left) {
        size_t l = left < seg ? left : seg;

        if (sendto(u->fd, p, l, MSG_DONTWAIT, u->tx_msg[i].msg_hdr.msg_name,
                   u->tx_msg[i].msg_hdr.msg_namelen) < 0)
            u->tx_errors++;
        else
            u->tx_packets++;
        p += l;
        left -= l;
    }
}

void udp_flush(struct udp *u)
{
    unsigned off = 0;

    while (off < u->tx_n) {
        int n = sendmmsg(u->fd, u->tx_msg + off, u->tx_n - off, MSG_DONTWAIT);

        if (n < 0) {
            if (errno == EINTR)
                continue;
            /* Full socket buffer (or no memory): every later datagram
             * would fail alike, so retrying one by one only burns CPU.
             * Drop the rest; UDP has no retry and the link layer
             * recovers. */
            if (errno == EAGAIN || errno == EWOULDBLOCK || errno == ENOBUFS ||
                errno == ENOMEM) {
                u->tx_errors += udp_entries_sent(u, off, u->tx_n - off);
                break;
            }
            if ((errno == EIO || errno == EINVAL) && u->tx_cnt[off] > 1) {
                udp_unrun(u, off++);
                continue;
            }
            /* Refused for this destination only (unreachable, ...): skip it. */
            u->tx_errors += u->tx_cnt[off];
            off++;
            continue;
        }
        u->tx_packets += udp_entries_sent(u, off, (unsigned)n);
        off += (unsigned)n;
    }
    u->tx_n = 0;
}

/* Can @len bytes for @to join the run in the last queue entry? */
static bool udp_joins(const struct udp *u, const struct udp_addr *to, size_t len)
{
    unsigned i = u->tx_n - 1;

    return u->gso && u->tx_n && !u->tx_closed[i] && u->tx_cnt[i] < UDP_GSO_SEGS &&
           len <= u->tx_seg[i] && u->tx_iov[i].iov_len + len <= UDP_PKT_MAX &&
           u->tx_msg[i].msg_hdr.msg_namelen == to->len &&
           memcmp(&u->tx_addr[i], &to->ss, to->len) == 0;
}

static void udp_join(struct udp *u, const uint8_t *pkt, size_t len)
{
    unsigned i = u->tx_n - 1;
    struct msghdr *h = &u->tx_msg[i].msg_hdr;
    struct cmsghdr *c;
    uint16_t seg = u->tx_seg[i];

    memcpy((uint8_t *)u->tx_iov[i].iov_base + u->tx_iov[i].iov_len, pkt, len);
    u->tx_iov[i].iov_len += len;
    u->tx_closed[i] = len < seg;
    if (u->tx_cnt[i]++ > 1)
        return;
    u->tx_gso_runs++;
    memset(&u->tx_ctl[i], 0, sizeof(u->tx_ctl[i]));
    h->msg_control = u->tx_ctl[i].buf;
    h->msg_controllen = sizeof(u->tx_ctl[i].buf);
    c = CMSG_FIRSTHDR(h);
    c->cmsg_level = SOL_UDP;
    c->cmsg_type = UDP_SEGMENT;
    c->cmsg_len = CMSG_LEN(sizeof(seg));
    memcpy(CMSG_DATA(c), &seg, sizeof(seg));
}

void udp_queue(struct udp *u, const struct udp_addr *to, const uint8_t *pkt, size_t len)
{
    unsigned i;
    struct msghdr *h;

    if (len > UDP_PKT_MAX || !len || !to->len) {
        u->tx_errors++;
        return;
    }
    if (udp_joins(u, to, len)) {
        udp_join(u, pkt, len);
        return;
    }
    if (u->tx_n == UDP_SEND_QUEUE)
        udp_flush(u);
    i = u->tx_n++;
    memcpy(u->tx_buf + (size_t)i * UDP_PKT_MAX, pkt, len);
    memcpy(&u->tx_addr[i], &to->ss, to->len);
    u->tx_iov[i].iov_base = u->tx_buf + (size_t)i * UDP_PKT_MAX;
    u->tx_iov[i].iov_len = len;
    u->tx_seg[i] = (uint16_t)len;
    u->tx_cnt[i] = 1;
    u->tx_closed[i] = false;
    h = &u->tx_msg[i].msg_hdr;
    memset(h, 0, sizeof(*h));
    h->msg_name = &u->tx_addr[i];
    h->msg_namelen = to->len;
    h->msg_iov = &u->tx_iov[i];
    h->msg_iovlen = 1;
}

/* One sendmsg for the whole train; false when GSO is not to be had. */
static bool udp_send_gso(struct udp *u, const struct udp_addr *to, const uint8_t *pkt,
                         size_t len, size_t seg)
{
    union {
        struct cmsghdr align;
        uint8_t buf[CMSG_SPACE(sizeof(uint16_t))];
    } ctl;
    struct iovec iov = { .iov_base = (void *)pkt, .iov_len = len };
    struct msghdr h = {
        .msg_name = (void *)&to->ss, .msg_namelen = to->len, .msg_iov = &iov,
        .msg_iovlen = 1, .msg_control = ctl.buf, .msg_controllen = sizeof(ctl.buf),
    };
    struct cmsghdr *c = CMSG_FIRSTHDR(&h);
    uint16_t s16 = (uint16_t)seg;
    ssize_t r;

    memset(&ctl, 0, sizeof(ctl));
    c->cmsg_level = SOL_UDP;
    c->cmsg_type = UDP_SEGMENT;
    c->cmsg_len = CMSG_LEN(sizeof(s16));
    memcpy(CMSG_DATA(c), &s16, sizeof(s16));
    do {
        r = sendmsg(u->fd, &h, MSG_DONTWAIT);
    } while (r < 0 && errno == EINTR);
    if (r >= 0) {
        u->tx_trains++;
        u->tx_packets += (len + seg - 1) / seg;
        return true;
    }
    /* EIO: the route's device cannot segment; EINVAL/ENOPROTOOPT: an old
     * kernel. Either way the datagrams go one by one from now on. */
    if (errno == EIO || errno == EINVAL || errno == ENOPROTOOPT || errno == EOPNOTSUPP) {
        u->gso = false;
        return false;
    }
    /* Longer than this route takes in one message: this once, one by one. */
    if (errno == EMSGSIZE)
        return false;
    u->tx_errors += (len + seg - 1) / seg;
    return true;
}

void udp_send_train(struct udp *u, const struct udp_addr *to, const uint8_t *pkt, size_t len,
                    size_t seg)
{
    size_t per;

    if (!seg || seg > UDP_PKT_MAX || !to->len) {
        u->tx_errors++;
        return;
    }
    /* One UDP message holds at most 64 KB (IPv4: 65,507 bytes of data)
     * and the kernel cuts at most UDP_GSO_SEGS: whole segments up to both. */
    per = UDP_GSO_BYTES / seg < UDP_GSO_SEGS ? UDP_GSO_BYTES / seg : UDP_GSO_SEGS;
    per *= seg;
    if (u->gso && len > seg)
        udp_flush(u);
    while (u->gso && len > seg) {
        size_t n = len < per ? len : per;

        if (!udp_send_gso(u, to, pkt, n, seg))
            break;
        pkt += n;
        len -= n;
    }
    for (size_t off = 0; off < len; off += seg)
        udp_queue(u, to, pkt + off, len - off < seg ? len - off : seg);
}
