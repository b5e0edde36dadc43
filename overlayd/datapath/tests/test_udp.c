/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * udp.c: udp_flush on a full socket buffer (partial sends, EAGAIN). The test
 * replaces sendmmsg(2) so the kernel's answers can be scripted: the
 * executable's definition wins over libc's at link time.
 */
#include <errno.h>
#include <string.h>
#include <sys/socket.h>

#include "overlayd/datapath/udp.h"
#include "lib/check.h"

static int calls;
static int script_errno;          /* 0: accept everything */
static unsigned script_accept;    /* queue entries accepted before failing */
/* What the last call was given: per entry, bytes and UDP_SEGMENT (0: none). */
static size_t seen_len[UDP_SEND_QUEUE];
static unsigned seen_seg[UDP_SEND_QUEUE], seen_n;

enum { TEST_SOL_UDP = 17, TEST_UDP_SEGMENT = 103 };

static unsigned entry_seg(struct msghdr *h)
{
    for (struct cmsghdr *c = CMSG_FIRSTHDR(h); c; c = CMSG_NXTHDR(h, c)) {
        uint16_t seg;

        if (c->cmsg_level == TEST_SOL_UDP && c->cmsg_type == TEST_UDP_SEGMENT) {
            memcpy(&seg, CMSG_DATA(c), sizeof(seg));
            return seg;
        }
    }
    return 0;
}

int sendmmsg(int fd, struct mmsghdr *msg, unsigned vlen, int flags)
{
    (void)fd;
    (void)flags;
    calls++;
    seen_n = vlen;
    for (unsigned i = 0; i < vlen && i < UDP_SEND_QUEUE; i++) {
        seen_len[i] = msg[i].msg_hdr.msg_iov[0].iov_len;
        seen_seg[i] = entry_seg(&msg[i].msg_hdr);
    }
    if (script_accept) {
        unsigned n = vlen < script_accept ? vlen : script_accept;

        script_accept -= n;
        return (int)n;
    }
    if (script_errno) {
        errno = script_errno;
        return -1;
    }
    return (int)vlen;
}

static size_t msg_len[8];
static unsigned msg_seg[8], msg_n;
static int msg_errno;             /* 0: accept */

ssize_t sendmsg(int fd, const struct msghdr *msg, int flags)
{
    (void)fd;
    (void)flags;
    if (msg_errno) {
        errno = msg_errno;
        return -1;
    }
    if (msg_n < 8) {
        msg_len[msg_n] = msg->msg_iov[0].iov_len;
        msg_seg[msg_n] = entry_seg((struct msghdr *)msg);
    }
    msg_n++;
    return (ssize_t)msg->msg_iov[0].iov_len;
}

static void queue_n(struct udp *u, unsigned n)
{
    struct udp_addr to;
    uint8_t pkt[32] = { 0 };

    CHECK(udp_resolve(u, "127.0.0.1:9", &to) == 0);
    for (unsigned i = 0; i < n; i++)
        udp_queue(u, &to, pkt, sizeof(pkt));
}

static void run(int err, unsigned accept, unsigned queued, int max_calls,
                uint64_t want_tx, uint64_t want_err, int line)
{
    struct udp u;

    memset(&u, 0, sizeof(u));
    if (udp_open(&u, "127.0.0.1", 0) < 0) {
        printf("%s:%d: udp_open failed\n", __FILE__, line);
        check_failures++;
        return;
    }
    u.gso = false;                /* one entry per datagram: the error paths */
    queue_n(&u, queued);
    calls = 0;
    script_errno = err;
    script_accept = accept;
    udp_flush(&u);
    if (calls > max_calls || u.tx_packets != want_tx || u.tx_errors != want_err || u.tx_n != 0) {
        printf("%s:%d: errno %d: %d sendmmsg calls (max %d), tx %llu (want %llu), "
               "errors %llu (want %llu), left %u\n", __FILE__, line, err, calls, max_calls,
               (unsigned long long)u.tx_packets, (unsigned long long)want_tx,
               (unsigned long long)u.tx_errors, (unsigned long long)want_err, u.tx_n);
        check_failures++;
    }
    script_errno = 0;
    script_accept = 0;
    udp_close(&u);
}

/* Runs of one size to one address share an entry sent with UDP_SEGMENT. */
static void test_runs(void)
{
    struct udp u;
    struct udp_addr a, b;
    uint8_t pkt[200] = { 0 };

    memset(&u, 0, sizeof(u));
    CHECK(udp_open(&u, "127.0.0.1", 0) == 0);
    CHECK(u.gso);
    CHECK(udp_resolve(&u, "127.0.0.1:9", &a) == 0);
    CHECK(udp_resolve(&u, "127.0.0.1:10", &b) == 0);
    for (int i = 0; i < 100; i++)           /* 64 + 36 */
        udp_queue(&u, &a, pkt, 100);
    udp_queue(&u, &a, pkt, 60);             /* shorter: ends the run */
    udp_queue(&u, &a, pkt, 60);             /* a new one */
    udp_queue(&u, &b, pkt, 60);             /* another address */
    udp_queue(&u, &b, pkt, 200);            /* longer than the run's size */
    CHECK_EQ(u.tx_n, 5);
    calls = 0;
    udp_flush(&u);
    CHECK_EQ(calls, 1);
    CHECK_EQ(seen_n, 5);
    CHECK_EQ(seen_len[0], 6400);
    CHECK_EQ(seen_seg[0], 100);
    CHECK_EQ(seen_len[1], 36 * 100 + 60);
    CHECK_EQ(seen_seg[1], 100);
    CHECK_EQ(seen_len[2], 60);
    CHECK_EQ(seen_seg[2], 0);
    CHECK_EQ(seen_len[3], 60);
    CHECK_EQ(seen_len[4], 200);
    CHECK_EQ(seen_seg[4], 0);
    CHECK_EQ(u.tx_packets, 104);
    CHECK_EQ(u.tx_errors, 0);
    /* A full socket buffer counts every datagram of the lost runs. */
    for (int i = 0; i < 10; i++)
        udp_queue(&u, &a, pkt, 100);
    script_errno = EAGAIN;
    udp_flush(&u);
    script_errno = 0;
    CHECK_EQ(u.tx_errors, 10);
    udp_close(&u);
}

/* A train longer than one UDP message goes in messages of whole segments. */
static void test_train(void)
{
    static uint8_t pkt[70000];
    struct udp u;
    struct udp_addr a;

    memset(&u, 0, sizeof(u));
    CHECK(udp_open(&u, "127.0.0.1", 0) == 0);
    CHECK(udp_resolve(&u, "127.0.0.1:9", &a) == 0);
    msg_n = 0;
    udp_send_train(&u, &a, pkt, 65586, 1472);   /* 45 fragments of a 64 KB frame */
    CHECK_EQ(msg_n, 1);
    CHECK_EQ(msg_len[0], 44 * 1472);            /* 44 fit 65,507 bytes */
    CHECK_EQ(msg_seg[0], 1472);
    CHECK_EQ(u.tx_packets, 44);
    CHECK_EQ(u.tx_trains, 1);
    CHECK_EQ(u.tx_n, 1);                         /* the last, shorter one: queued */
    CHECK_EQ(u.tx_iov[0].iov_len, 65586 - 44 * 1472);
    u.tx_n = 0;
    /* EMSGSIZE: this train one by one through the queue, GSO stays on */
    msg_n = 0;
    msg_errno = EMSGSIZE;
    udp_send_train(&u, &a, pkt, 3000, 1000);
    msg_errno = 0;
    CHECK(u.gso);
    CHECK_EQ(u.tx_n, 1);                         /* one run of three, same size */
    CHECK_EQ(u.tx_cnt[0], 3);
    /* EIO: GSO off for good, and no run forms in the queue either */
    u.tx_n = 0;
    msg_errno = EIO;
    udp_send_train(&u, &a, pkt, 3000, 1000);
    msg_errno = 0;
    CHECK(!u.gso);
    CHECK_EQ(u.tx_n, 3);
    udp_close(&u);
}

int main(void)
{
    test_runs();
    test_train();
    /* all sent in one call */
    run(0, 0, 100, 1, 100, 0, __LINE__);
    /* full buffer: one failing call, the rest counted as errors, no spin */
    run(EAGAIN, 0, 200, 1, 0, 200, __LINE__);
    run(ENOBUFS, 0, 200, 1, 0, 200, __LINE__);
    /* partial send, then full: 2 calls */
    run(EAGAIN, 150, 200, 2, 150, 50, __LINE__);
    /* a per-destination error skips one datagram and goes on */
    run(ECONNREFUSED, 0, 3, 3, 0, 3, __LINE__);
    return CHECK_DONE();
}
