/* SPDX-License-Identifier: GPL-2.0-only */
#ifndef OVL_OVERLAYD_UDP_H
#define OVL_OVERLAYD_UDP_H

/*
 * DOC: udp — the daemon's one UDP socket, batched
 *
 * One non-blocking socket: IPv6 dual-stack (IPV6_V6ONLY = 0, IPv4 peers
 * as v4-mapped addresses) when ListenAddress is empty or IPv6, plain IPv4
 * when it is IPv4. Receiving drains with recvmmsg(2) into UDP_BATCH
 * preallocated buffers; sending queues datagrams (copied into
 * preallocated slots) and udp_flush() hands the whole queue to one
 * sendmmsg(2). Consecutive datagrams of one size to one address share a
 * queue entry, sent as one UDP GSO message (the kernel then moves them as
 * one packet until the wire, and a receiver with UDP_GRO gets them in one
 * piece). A train (the fragments of one link message, all of one
 * size but the last) goes out in one sendmsg(2) with UDP_SEGMENT (UDP
 * GSO) after the queue; when the kernel refuses GSO (EIO), GSO is off
 * for good and trains are queued datagram by datagram. With UDP_GRO the
 * kernel may hand over several datagrams of one size in one buffer:
 * u->rx_seg[i] says how long each is. Nothing is allocated after
 * udp_open().
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>
#include <netinet/in.h>

enum udp_limits {
    UDP_BATCH = 64,                 /* datagrams per recvmmsg */
    UDP_SEND_QUEUE = 256,           /* datagrams per sendmmsg */
    UDP_PKT_MAX = 9344,             /* jumbo inner frame + headers */
    UDP_RX_MAX = 65536,             /* one receive buffer: a GRO batch of datagrams */
    UDP_GSO_SEGS = 64,              /* datagrams per GSO send: every kernel takes 64 */
    UDP_GSO_BYTES = 65507,          /* data in one UDP message over IPv4 */
    UDP_ADDRSTR = 64,               /* "[v6]:port" */
    UDP_HOST_MAX = 256,             /* host part of an endpoint, NUL included */
};

struct addrinfo;

struct udp_addr {
    struct sockaddr_storage ss;
    socklen_t len;                  /* 0: none */
};

struct udp {
    int fd;
    int family;                     /* AF_INET or AF_INET6 */
    uint16_t port;
    char listen_str[UDP_ADDRSTR];
    /* receive side */
    uint8_t *rx_buf;                /* UDP_BATCH * UDP_RX_MAX */
    struct mmsghdr rx_msg[UDP_BATCH];
    unsigned rx_seg[UDP_BATCH];     /* GRO: each datagram's length; 0: one datagram */
    union {
        struct cmsghdr align;
        uint8_t buf[64];
    } rx_ctl[UDP_BATCH];
    struct iovec rx_iov[UDP_BATCH];
    struct sockaddr_storage rx_addr[UDP_BATCH];
    /* send side */
    uint8_t *tx_buf;                /* UDP_SEND_QUEUE * UDP_PKT_MAX */
    struct mmsghdr tx_msg[UDP_SEND_QUEUE];
    struct iovec tx_iov[UDP_SEND_QUEUE];
    struct sockaddr_storage tx_addr[UDP_SEND_QUEUE];
    /* Each queue entry is a run of datagrams to one address, all of
     * tx_seg bytes but a shorter last one (then closed), sent with
     * UDP_SEGMENT when it holds more than one. */
    uint16_t tx_seg[UDP_SEND_QUEUE];
    uint8_t tx_cnt[UDP_SEND_QUEUE];
    bool tx_closed[UDP_SEND_QUEUE];
    union {
        struct cmsghdr align;
        uint8_t buf[CMSG_SPACE(sizeof(uint16_t))];
    } tx_ctl[UDP_SEND_QUEUE];
    unsigned tx_n;
    bool gso;                       /* UDP_SEGMENT works (cleared on EIO) */
    bool gro;                       /* UDP_GRO is on */
    /* counters */
    uint64_t rx_packets, tx_packets, tx_errors, rx_truncated;
    uint64_t tx_trains;             /* trains sent with one GSO sendmsg */
    uint64_t tx_gso_runs;           /* queue entries of several datagrams (GSO) */
    uint64_t rx_gro;                /* receive entries that held several datagrams (GRO) */
};

/* @listen: "" or a numeric IPv4/IPv6 address. Returns 0 or a negative errno. */
int udp_open(struct udp *u, const char *listen, uint16_t port);
void udp_close(struct udp *u);

/* Receive up to UDP_BATCH datagrams. Returns the count (0: none pending)
 * or a negative errno. Datagram i: udp_rx_data(u, i), u->rx_msg[i].msg_len,
 * source u->rx_addr[i] (length u->rx_msg[i].msg_hdr.msg_namelen). */
int udp_recv_batch(struct udp *u);
static inline uint8_t *udp_rx_data(struct udp *u, unsigned i)
{
    return u->rx_buf + (size_t)i * UDP_RX_MAX;
}

/* Queue a datagram (flushes first when the queue is full). */
void udp_queue(struct udp *u, const struct udp_addr *to, const uint8_t *pkt, size_t len);
/* Send everything queued with sendmmsg. */
void udp_flush(struct udp *u);
/*
 * Send @len bytes of datagrams of @seg bytes each (the last may be
 * shorter) to @to, after everything queued (order is kept). One sendmsg
 * with UDP_SEGMENT while GSO works; else queued one by one.
 */
void udp_send_train(struct udp *u, const struct udp_addr *to, const uint8_t *pkt, size_t len,
                    size_t seg);

/*
 * Resolve "a.b.c.d:port" or "[v6]:port" for this socket's family (IPv4
 * results are v4-mapped on an IPv6 socket), without touching DNS. Returns
 * 0, -EINVAL (syntax), -EHOSTUNREACH (no address of a usable family), or
 * -EAGAIN for "hostname:port": a name is looked up off the loop
 * (datapath/resolve.h) with udp_resolve_hints() and udp_addr_from_ai().
 */
int udp_resolve(const struct udp *u, const char *endpoint, struct udp_addr *out);
/* Split "host:port" / "[v6]:port" into @host and @port (checked 1..65535).
 * Returns 0 or -EINVAL. */
int udp_endpoint_split(const char *endpoint, char *host, size_t hcap, char *port, size_t pcap);
/* getaddrinfo() hints for a name looked up for this socket. */
void udp_resolve_hints(const struct udp *u, struct addrinfo *hints);
/* The first address of @res usable on this socket: 0 or -EHOSTUNREACH. */
int udp_addr_from_ai(const struct udp *u, const struct addrinfo *res, struct udp_addr *out);
/* "1.2.3.4:5" / "[::1]:5" (v4-mapped shown as IPv4). */
void udp_addr_str(const struct sockaddr *sa, char out[UDP_ADDRSTR]);
/* Same address and port? */
int udp_addr_eq(const struct udp_addr *a, const struct sockaddr *sa, socklen_t len);

#endif
