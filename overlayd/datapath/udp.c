/* SPDX-License-Identifier: GPL-2.0-only */
/* The daemon's UDP socket: opening it, receiving, addresses. See udp.h. */
#include "overlayd/datapath/udp.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <netinet/udp.h>

#include "overlayd/datapath/udp_int.h"

static int udp_listen_family(const char *listen, struct sockaddr_storage *ss, socklen_t *len,
                             uint16_t port)
{
    struct sockaddr_in *s4 = (struct sockaddr_in *)ss;
    struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)ss;

    memset(ss, 0, sizeof(*ss));
    if (listen[0] && inet_pton(AF_INET, listen, &s4->sin_addr) == 1) {
        s4->sin_family = AF_INET;
        s4->sin_port = htons(port);
        *len = sizeof(*s4);
        return AF_INET;
    }
    s6->sin6_family = AF_INET6;
    s6->sin6_port = htons(port);
    *len = sizeof(*s6);
    if (!listen[0]) {
        s6->sin6_addr = in6addr_any;
        return AF_INET6;
    }
    if (inet_pton(AF_INET6, listen, &s6->sin6_addr) == 1)
        return AF_INET6;
    return -EINVAL;
}

int udp_open(struct udp *u, const char *listen, uint16_t port)
{
    struct sockaddr_storage ss;
    socklen_t sl;
    int fam, fd, zero = 0, one = 1, err;
    int bufsz = 4 << 20;

    memset(u, 0, sizeof(*u));
    u->fd = -1;
    fam = udp_listen_family(listen, &ss, &sl, port);
    if (fam < 0)
        return fam;
    fd = socket(fam, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return -errno;
    if (fam == AF_INET6 && setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &zero, sizeof(zero)) < 0)
        goto fail;
    /* Bigger socket buffers absorb bursts between two loop iterations. */
    (void)setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &bufsz, sizeof(bufsz));
    (void)setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &bufsz, sizeof(bufsz));
    if (bind(fd, (struct sockaddr *)&ss, sl) < 0)
        goto fail;
    /* Super-frames arrive as trains of datagrams; let the kernel hand a
     * train over in one piece (no error when it cannot: one at a time). */
    u->gro = setsockopt(fd, SOL_UDP, UDP_GRO, &one, sizeof(one)) == 0;
    u->gso = true;
    u->rx_buf = malloc((size_t)UDP_BATCH * UDP_RX_MAX);
    u->tx_buf = malloc((size_t)UDP_SEND_QUEUE * UDP_PKT_MAX);
    if (!u->rx_buf || !u->tx_buf) {
        errno = ENOMEM;
        goto fail;
    }
    for (unsigned i = 0; i < UDP_BATCH; i++) {
        u->rx_iov[i].iov_base = udp_rx_data(u, i);
        u->rx_iov[i].iov_len = UDP_RX_MAX;
    }
    u->fd = fd;
    u->family = fam;
    u->port = port;
    if (fam == AF_INET)
        snprintf(u->listen_str, sizeof(u->listen_str), "%s:%u", listen, port);
    else
        snprintf(u->listen_str, sizeof(u->listen_str), "[%s]:%u", listen[0] ? listen : "::", port);
    return 0;
fail:
    err = -errno;
    close(fd);
    free(u->rx_buf);
    free(u->tx_buf);
    u->rx_buf = u->tx_buf = NULL;
    return err;
}

void udp_close(struct udp *u)
{
    if (u->fd >= 0)
        close(u->fd);
    u->fd = -1;
    free(u->rx_buf);
    free(u->tx_buf);
    u->rx_buf = u->tx_buf = NULL;
}

/* How long each datagram of entry @i is, when GRO joined several. */
static void udp_rx_note_seg(struct udp *u, unsigned i)
{
    struct msghdr *h = &u->rx_msg[i].msg_hdr;
    unsigned len = u->rx_msg[i].msg_len;

    u->rx_seg[i] = 0;
    for (struct cmsghdr *c = CMSG_FIRSTHDR(h); c; c = CMSG_NXTHDR(h, c)) {
        int seg;

        if (c->cmsg_level != SOL_UDP || c->cmsg_type != UDP_GRO ||
            c->cmsg_len < CMSG_LEN(sizeof(seg)))
            continue;
        memcpy(&seg, CMSG_DATA(c), sizeof(seg));
        if (seg > 0 && (unsigned)seg < len)
            u->rx_seg[i] = (unsigned)seg;
    }
    u->rx_gro += u->rx_seg[i] != 0;
    u->rx_packets += u->rx_seg[i] ? (len + u->rx_seg[i] - 1) / u->rx_seg[i] : 1;
}

int udp_recv_batch(struct udp *u)
{
    int n;

    for (unsigned i = 0; i < UDP_BATCH; i++) {
        struct msghdr *h = &u->rx_msg[i].msg_hdr;

        memset(h, 0, sizeof(*h));
        h->msg_name = &u->rx_addr[i];
        h->msg_namelen = sizeof(u->rx_addr[i]);
        h->msg_iov = &u->rx_iov[i];
        h->msg_iovlen = 1;
        if (u->gro) {
            h->msg_control = u->rx_ctl[i].buf;
            h->msg_controllen = sizeof(u->rx_ctl[i].buf);
        }
    }
    do {
        n = recvmmsg(u->fd, u->rx_msg, UDP_BATCH, MSG_DONTWAIT, NULL);
    } while (n < 0 && errno == EINTR);
    if (n < 0)
        return (errno == EAGAIN || errno == EWOULDBLOCK) ? 0 : -errno;
    for (int i = 0; i < n; i++)
        udp_rx_note_seg(u, (unsigned)i);
    return n;
}

int udp_endpoint_split(const char *ep, char *host, size_t hcap, char *port, size_t pcap)
{
    const char *colon, *h = ep;
    size_t hl;

    if (ep[0] == '[') {
        const char *close = strchr(ep, ']');

        if (!close || close[1] != ':')
            return -EINVAL;
        h = ep + 1;
        hl = (size_t)(close - h);
        colon = close + 1;
    } else {
        colon = strrchr(ep, ':');
        if (!colon)
            return -EINVAL;
        hl = (size_t)(colon - ep);
    }
    if (hl == 0 || hl >= hcap || strlen(colon + 1) == 0 || strlen(colon + 1) >= pcap)
        return -EINVAL;
    memcpy(host, h, hl);
    host[hl] = '\0';
    strcpy(port, colon + 1);
    for (const char *p = port; *p; p++)
        if (*p < '0' || *p > '9')
            return -EINVAL;
    if (atoi(port) < 1 || atoi(port) > 65535)
        return -EINVAL;
    return 0;
}

static int udp_convert(const struct udp *u, const struct addrinfo *ai, struct udp_addr *out)
{
    memset(out, 0, sizeof(*out));
    if (ai->ai_family == u->family) {
        memcpy(&out->ss, ai->ai_addr, ai->ai_addrlen);
        out->len = ai->ai_addrlen;
        return 0;
    }
    if (ai->ai_family == AF_INET && u->family == AF_INET6) {
        const struct sockaddr_in *s4 = (const struct sockaddr_in *)ai->ai_addr;
        struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&out->ss;

        s6->sin6_family = AF_INET6;
        s6->sin6_port = s4->sin_port;
        s6->sin6_addr.s6_addr[10] = 0xff;
        s6->sin6_addr.s6_addr[11] = 0xff;
        memcpy(&s6->sin6_addr.s6_addr[12], &s4->sin_addr, 4);
        out->len = sizeof(*s6);
        return 0;
    }
    return -EHOSTUNREACH;
}

void udp_resolve_hints(const struct udp *u, struct addrinfo *hints)
{
    memset(hints, 0, sizeof(*hints));
    hints->ai_family = u->family == AF_INET ? AF_INET : AF_UNSPEC;
    hints->ai_socktype = SOCK_DGRAM;
    hints->ai_flags = AI_NUMERICSERV;
}

int udp_addr_from_ai(const struct udp *u, const struct addrinfo *res, struct udp_addr *out)
{
    int rc = -EHOSTUNREACH;

    for (const struct addrinfo *ai = res; ai && rc < 0; ai = ai->ai_next)
        rc = udp_convert(u, ai, out);
    return rc;
}

int udp_resolve(const struct udp *u, const char *endpoint, struct udp_addr *out)
{
    char host[UDP_HOST_MAX], port[8];
    struct addrinfo hints, *res = NULL;
    int rc;

    rc = udp_endpoint_split(endpoint, host, sizeof(host), port, sizeof(port));
    if (rc < 0)
        return rc;
    /* Any family here, so an IPv6 literal on an IPv4 socket is "unusable",
     * not a name to look up. AI_NUMERICHOST: never a DNS query. */
    memset(&hints, 0, sizeof(hints));
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_DGRAM;
    hints.ai_flags = AI_NUMERICHOST | AI_NUMERICSERV;
    if (getaddrinfo(host, port, &hints, &res) != 0)
        return endpoint[0] == '[' ? -EINVAL : -EAGAIN;
    rc = udp_addr_from_ai(u, res, out);
    freeaddrinfo(res);
    return rc;
}

void udp_addr_str(const struct sockaddr *sa, char out[UDP_ADDRSTR])
{
    char a[INET6_ADDRSTRLEN];

    if (sa->sa_family == AF_INET) {
        const struct sockaddr_in *s4 = (const struct sockaddr_in *)sa;

        inet_ntop(AF_INET, &s4->sin_addr, a, sizeof(a));
        snprintf(out, UDP_ADDRSTR, "%s:%u", a, ntohs(s4->sin_port));
    } else if (sa->sa_family == AF_INET6) {
        const struct sockaddr_in6 *s6 = (const struct sockaddr_in6 *)sa;

        if (IN6_IS_ADDR_V4MAPPED(&s6->sin6_addr)) {
            inet_ntop(AF_INET, &s6->sin6_addr.s6_addr[12], a, sizeof(a));
            snprintf(out, UDP_ADDRSTR, "%s:%u", a, ntohs(s6->sin6_port));
        } else {
            inet_ntop(AF_INET6, &s6->sin6_addr, a, sizeof(a));
            snprintf(out, UDP_ADDRSTR, "[%s]:%u", a, ntohs(s6->sin6_port));
        }
    } else {
        snprintf(out, UDP_ADDRSTR, "?");
    }
}

int udp_addr_eq(const struct udp_addr *a, const struct sockaddr *sa, socklen_t len)
{
    if (a->len != len || a->ss.ss_family != sa->sa_family)
        return 0;
    if (sa->sa_family == AF_INET) {
        const struct sockaddr_in *x = (const struct sockaddr_in *)&a->ss;
        const struct sockaddr_in *y = (const struct sockaddr_in *)sa;

        return x->sin_port == y->sin_port && x->sin_addr.s_addr == y->sin_addr.s_addr;
    }
    if (sa->sa_family == AF_INET6) {
        const struct sockaddr_in6 *x = (const struct sockaddr_in6 *)&a->ss;
        const struct sockaddr_in6 *y = (const struct sockaddr_in6 *)sa;

        return x->sin6_port == y->sin6_port &&
               memcmp(&x->sin6_addr, &y->sin6_addr, sizeof(x->sin6_addr)) == 0;
    }
    return 0;
}
