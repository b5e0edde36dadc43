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
static unsigned script_accept;    /* datagrams accepted before failing */

int sendmmsg(int fd, struct mmsghdr *msg, unsigned vlen, int flags)
{
    (void)fd;
    (void)msg;
    (void)flags;
    calls++;
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

int main(void)
{
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
