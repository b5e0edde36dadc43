/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * tap/ against the real kernel, inside a private network namespace made by
 * unshare(CLONE_NEWNET): every link created here vanishes with the process,
 * even when a check fails. Needs root (CAP_NET_ADMIN); exit 77 otherwise.
 */
#include "tap/tap.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <net/if.h>
#include <linux/if_link.h>
#include <linux/rtnetlink.h>

#include <netlink/netlink.h>
#include <netlink/msg.h>
#include <netlink/attr.h>
#include <netlink/route/route.h>
#include <netlink/route/nexthop.h>
#include "lib/check.h"

enum {
    TEST_ETHERTYPE = 0x88b5,      /* IEEE 802 local experimental */
    TEST_BATCH = 32,
    TEST_BUF = 2048,
};

static const uint8_t test_src[6] = { 0x02, 0, 0, 0, 0, 0x01 };
static const uint8_t test_unknown[6] = { 0x02, 0, 0, 0, 0, 0x99 };
static const uint8_t test_bcast[6] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };

/* Ethernet frame: dst, src, TEST_ETHERTYPE, 4-byte seq, fill pattern. */
static size_t make_frame(uint8_t *buf, const uint8_t *dst, uint32_t seq, size_t len)
{
    memcpy(buf, dst, 6);
    memcpy(buf + 6, test_src, 6);
    buf[12] = TEST_ETHERTYPE >> 8;
    buf[13] = TEST_ETHERTYPE & 0xff;
    buf[14] = seq >> 24;
    buf[15] = seq >> 16;
    buf[16] = seq >> 8;
    buf[17] = seq;
    for (size_t i = 18; i < len; i++)
        buf[i] = (uint8_t)(seq + i);
    return len;
}

static bool is_test_frame(const uint8_t *buf, size_t len)
{
    return len >= 18 && buf[12] == (TEST_ETHERTYPE >> 8) &&
           buf[13] == (TEST_ETHERTYPE & 0xff);
}

static uint32_t frame_seq(const uint8_t *buf)
{
    return (uint32_t)buf[14] << 24 | (uint32_t)buf[15] << 16 |
           (uint32_t)buf[16] << 8 | buf[17];
}

static size_t frame_len_for(uint32_t seq)
{
    return 60 + (seq * 37) % 1300;        /* 60..1359, fits MTU 1400 */
}

/*
 * Collect test frames from @fd (others, e.g. stray IPv6 noise, are skipped)
 * until @want arrived or @timeout_ms passed without any. Each is checked
 * against what make_frame() produced for its seq; seqs land in @seqs.
 */
static size_t collect(int fd, size_t want, int timeout_ms, uint32_t *seqs)
{
    static uint8_t bufs[TEST_BATCH][TEST_BUF];
    struct tap_frame fr[TEST_BATCH];
    uint8_t expect[TEST_BUF];
    size_t got = 0;

    while (got < want) {
        struct pollfd pfd = { .fd = fd, .events = POLLIN };
        ssize_t n;

        if (poll(&pfd, 1, timeout_ms) <= 0)
            break;
        for (size_t i = 0; i < TEST_BATCH; i++)
            fr[i] = (struct tap_frame){ .buf = bufs[i], .cap = TEST_BUF };
        n = tap_read_batch(fd, fr, TEST_BATCH);
        CHECK(n >= 0);
        for (ssize_t i = 0; i < n; i++) {
            uint32_t seq;

            if (!is_test_frame(fr[i].buf, fr[i].len))
                continue;
            seq = frame_seq(fr[i].buf);
            CHECK_EQ(fr[i].len, frame_len_for(seq));
            make_frame(expect, fr[i].buf, seq, frame_len_for(seq));
            CHECK(fr[i].len == frame_len_for(seq) &&
                  memcmp(expect, fr[i].buf, fr[i].len) == 0);
            if (got < want && seqs)
                seqs[got] = seq;
            got++;
        }
    }
    return got;
}

/* Bridge options straight from the kernel (libnl 3.7 does not parse them). */
struct br_opts {
    bool found;
    uint32_t forward_delay;
    uint32_t stp_state;
};

static int br_opts_cb(struct nl_msg *msg, void *arg)
{
    struct br_opts *o = arg;
    struct nlattr *tb[IFLA_MAX + 1], *li[IFLA_INFO_MAX + 1], *br[IFLA_BR_MAX + 1];

    if (nlmsg_parse(nlmsg_hdr(msg), sizeof(struct ifinfomsg), tb, IFLA_MAX, NULL) < 0 ||
        !tb[IFLA_LINKINFO] ||
        nla_parse_nested(li, IFLA_INFO_MAX, tb[IFLA_LINKINFO], NULL) < 0 ||
        !li[IFLA_INFO_DATA] ||
        nla_parse_nested(br, IFLA_BR_MAX, li[IFLA_INFO_DATA], NULL) < 0 ||
        !br[IFLA_BR_FORWARD_DELAY] || !br[IFLA_BR_STP_STATE])
        return NL_SKIP;
    o->found = true;
    o->forward_delay = nla_get_u32(br[IFLA_BR_FORWARD_DELAY]);
    o->stp_state = nla_get_u32(br[IFLA_BR_STP_STATE]);
    return NL_OK;
}

static int get_br_opts(struct nl_sock *sk, int ifindex, struct br_opts *o)
{
    struct ifinfomsg ifi = { .ifi_family = AF_UNSPEC, .ifi_index = ifindex };
    struct nl_msg *msg = nlmsg_alloc_simple(RTM_GETLINK, 0);
    int err;

    memset(o, 0, sizeof(*o));
    if (!msg)
        return -1;
    err = nlmsg_append(msg, &ifi, sizeof(ifi), NLMSG_ALIGNTO);
    if (err >= 0)
        err = nl_socket_modify_cb(sk, NL_CB_VALID, NL_CB_CUSTOM, br_opts_cb, o);
    if (err >= 0)
        err = nl_send_auto(sk, msg);
    if (err >= 0)
        err = nl_recvmsgs_default(sk);
    nlmsg_free(msg);
    return err < 0 ? err : 0;
}

static int add_default_route(struct nl_sock *sk, int ifindex, uint32_t prio,
                             uint32_t mtu)
{
    struct rtnl_route *rt = rtnl_route_alloc();
    struct rtnl_nexthop *nh = rtnl_route_nh_alloc();
    struct nl_addr *dst = NULL;
    int err = -1;

    if (!rt || !nh || nl_addr_parse("default", AF_INET, &dst) < 0)
        goto out;
    rtnl_route_set_family(rt, AF_INET);
    rtnl_route_set_table(rt, RT_TABLE_MAIN);
    rtnl_route_set_scope(rt, RT_SCOPE_LINK);
    rtnl_route_set_dst(rt, dst);
    rtnl_route_set_priority(rt, prio);
    if (mtu && rtnl_route_set_metric(rt, RTAX_MTU, mtu) < 0)
        goto out;
    rtnl_route_nh_set_ifindex(nh, ifindex);
    rtnl_route_add_nexthop(rt, nh);   /* the route owns it now */
    nh = NULL;
    err = rtnl_route_add(sk, rt, NLM_F_CREATE | NLM_F_EXCL);
out:
    if (nh)
        rtnl_route_nh_free(nh);
    nl_addr_put(dst);
    if (rt)
        rtnl_route_put(rt);
    return err;
}

/* Keep IPv6 autoconf (RS, MLD, DAD) off the test TAPs; harmless if absent. */
static void disable_ipv6_default(void)
{
    int fd = open("/proc/sys/net/ipv6/conf/default/disable_ipv6", O_WRONLY | O_CLOEXEC);

    if (fd < 0)
        return;
    if (write(fd, "1", 1) != 1)
        fprintf(stderr, "note: could not disable IPv6 autoconf\n");
    close(fd);
}

static void test_errors(struct tap_nl *nl)
{
    struct tap_link_info info;
    int fd;

    CHECK_EQ(tap_link_get(nl, "nosuch0", &info), -ENODEV);
    CHECK_EQ(tap_link_delete(nl, "nosuch0"), -ENODEV);
    CHECK_EQ(tap_link_set_up(nl, "nosuch0", true), -ENODEV);
    CHECK_EQ(tap_link_set_mtu(nl, "nosuch0", 1400), -ENODEV);
    CHECK_EQ(tap_link_set_master(nl, "nosuch0", NULL), -ENODEV);
    CHECK_EQ(tap_link_exists(nl, "nosuch0"), 0);
    CHECK_EQ(tap_link_exists(nl, "lo"), 1);
    CHECK_EQ(tap_link_get(nl, "a-name-way-too-long", &info), -EINVAL);
    CHECK_EQ(tap_link_get(nl, "", &info), -EINVAL);
    CHECK_EQ(tap_bridge_add(nl, "a-name-way-too-long", 0), -EINVAL);
    CHECK_EQ(tap_bridge_add(nl, "ovbrx", 10), -EINVAL);
    CHECK_EQ(tap_link_exists(nl, "ovbrx"), 0);
    CHECK_EQ(tap_open("a-name-way-too-long", &fd), -EINVAL);
    CHECK_EQ(tap_open(NULL, &fd), -EINVAL);
}

/* The alias is how overlayd recognises its own bridge after a crash. */
static void test_alias(struct tap_nl *nl)
{
    char longer[TAP_IFALIASZ + 1];
    struct tap_link_info br;

    CHECK_EQ(tap_link_get(nl, "ovbr0", &br), 0);
    CHECK(strcmp(br.alias, "") == 0);          /* a new bridge has none */
    CHECK_EQ(tap_link_set_alias(nl, "ovbr0", "overlayd:enclave=7"), 0);
    CHECK_EQ(tap_link_get(nl, "ovbr0", &br), 0);
    CHECK(strcmp(br.alias, "overlayd:enclave=7") == 0);
    CHECK_EQ(tap_link_set_alias(nl, "ovbr0", "overlayd:enclave=8"), 0);
    CHECK_EQ(tap_link_get(nl, "ovbr0", &br), 0);
    CHECK(strcmp(br.alias, "overlayd:enclave=8") == 0);
    memset(longer, 'x', sizeof(longer) - 1);
    longer[sizeof(longer) - 1] = '\0';
    CHECK_EQ(tap_link_set_alias(nl, "ovbr0", longer), -EINVAL);
    CHECK_EQ(tap_link_set_alias(nl, "ovbr-none", "x"), -ENODEV);
    CHECK_EQ(tap_link_set_alias(nl, "ovbr0", ""), 0);
    CHECK_EQ(tap_link_get(nl, "ovbr0", &br), 0);
    CHECK(strcmp(br.alias, "") == 0);
}

static void test_bridge_taps(struct tap_nl *nl, struct nl_sock *raw)
{
    static uint8_t bufs[TEST_BATCH + 1][TEST_BUF];
    struct tap_frame fr[TEST_BATCH + 1];
    struct tap_link_info br, ia, ib;
    struct br_opts opts;
    uint32_t seqs[TEST_BATCH];
    int fa = -1, fb = -1, flags;
    const uint8_t mac[6] = { 0x02, 0x11, 0x22, 0x33, 0x44, 0x55 };

    CHECK_EQ(tap_bridge_add(nl, "ovbr0", 1400), 0);
    CHECK_EQ(tap_bridge_add(nl, "ovbr0", 1400), -EEXIST);
    CHECK_EQ(tap_link_get(nl, "ovbr0", &br), 0);
    CHECK(strcmp(br.kind, "bridge") == 0);
    CHECK(br.up);
    CHECK_EQ(br.mtu, 1400);
    CHECK_EQ(br.master_ifindex, 0);
    CHECK(br.ifindex > 0);
    CHECK_EQ(get_br_opts(raw, br.ifindex, &opts), 0);
    CHECK(opts.found);
    CHECK_EQ(opts.forward_delay, 0);
    CHECK_EQ(opts.stp_state, 0);
    test_alias(nl);

    CHECK_EQ(tap_open("ovtapA", &fa), 0);
    CHECK_EQ(tap_open("ovtapB", &fb), 0);
    if (fa < 0 || fb < 0)
        goto out;
    flags = fcntl(fa, F_GETFL);
    CHECK(flags >= 0 && (flags & O_NONBLOCK));
    flags = fcntl(fa, F_GETFD);
    CHECK(flags >= 0 && (flags & FD_CLOEXEC));
    CHECK_EQ(tap_link_get(nl, "ovtapA", &ia), 0);
    CHECK(strcmp(ia.kind, "tun") == 0);
    CHECK(!ia.up);
    CHECK_EQ(ia.master_ifindex, 0);

    /* Nothing pending: 0, not -EAGAIN. */
    fr[0] = (struct tap_frame){ .buf = bufs[0], .cap = TEST_BUF };
    CHECK_EQ(tap_read_batch(fa, fr, 1), 0);

    CHECK_EQ(tap_link_set_mac(nl, "ovtapA", mac), 0);
    CHECK_EQ(tap_link_get(nl, "ovtapA", &ia), 0);
    CHECK(memcmp(ia.mac, mac, 6) == 0);

    CHECK_EQ(tap_link_set_mtu(nl, "ovtapA", 1400), 0);
    CHECK_EQ(tap_link_set_mtu(nl, "ovtapB", 1400), 0);
    CHECK_EQ(tap_link_set_mtu(nl, "ovtapA", 10), -EINVAL);
    CHECK_EQ(tap_link_set_master(nl, "ovtapA", "ovbr0"), 0);
    CHECK_EQ(tap_link_set_master(nl, "ovtapB", "ovbr0"), 0);
    CHECK_EQ(tap_link_set_master(nl, "ovtapA", "nosuch0"), -ENODEV);
    CHECK_EQ(tap_link_set_up(nl, "ovtapA", true), 0);
    CHECK_EQ(tap_link_set_up(nl, "ovtapB", true), 0);

    CHECK_EQ(tap_link_get(nl, "ovtapA", &ia), 0);
    CHECK_EQ(tap_link_get(nl, "ovtapB", &ib), 0);
    CHECK_EQ(ia.master_ifindex, br.ifindex);
    CHECK_EQ(ib.master_ifindex, br.ifindex);
    CHECK(ia.up && ib.up);
    CHECK_EQ(ia.mtu, 1400);
    CHECK_EQ(ib.mtu, 1400);
    CHECK_EQ(tap_link_get(nl, "ovbr0", &br), 0);
    CHECK_EQ(br.mtu, 1400);

    /* A bridge MTU change is applied (ports then limit what crosses). */
    CHECK_EQ(tap_link_set_mtu(nl, "ovbr0", 1300), 0);
    CHECK_EQ(tap_link_get(nl, "ovbr0", &br), 0);
    CHECK_EQ(br.mtu, 1300);
    CHECK_EQ(tap_link_set_mtu(nl, "ovbr0", 1400), 0);

    /* One frame, immediately after attach: forward_delay 0 at work. */
    make_frame(bufs[0], test_bcast, 1000, frame_len_for(1000));
    fr[0] = (struct tap_frame){ .buf = bufs[0], .len = frame_len_for(1000) };
    CHECK_EQ(tap_write_batch(fa, fr, 1), 1);
    CHECK_EQ(collect(fb, 1, 1000, seqs), 1);
    CHECK_EQ(seqs[0], 1000);

    /* A batch of 32 (unknown unicast and broadcast, both flooded), with
     * one runt frame in the middle that the kernel rejects and we drop. */
    for (uint32_t i = 0, k = 0; i < TEST_BATCH + 1; i++) {
        if (i == 7) {
            fr[i] = (struct tap_frame){ .buf = bufs[i], .len = 5 };
            memset(bufs[i], 0, 5);
            continue;
        }
        fr[i].buf = bufs[i];
        fr[i].len = make_frame(bufs[i], (k & 1) ? test_bcast : test_unknown,
                               k, frame_len_for(k));
        k++;
    }
    CHECK_EQ(tap_write_batch(fa, fr, TEST_BATCH + 1), TEST_BATCH);
    memset(seqs, 0xff, sizeof(seqs));
    CHECK_EQ(collect(fb, TEST_BATCH, 1000, seqs), TEST_BATCH);
    for (uint32_t i = 0; i < TEST_BATCH; i++)
        CHECK_EQ(seqs[i], i);
    /* The bridge never reflects a frame out of its ingress port. */
    CHECK_EQ(collect(fa, 1, 100, NULL), 0);

    /* tap_read_batch stops at n even when more is pending. */
    for (uint32_t i = 0; i < 5; i++) {
        fr[i].buf = bufs[i];
        fr[i].len = make_frame(bufs[i], test_bcast, 2000 + i, frame_len_for(2000 + i));
    }
    CHECK_EQ(tap_write_batch(fa, fr, 5), 5);
    {
        struct pollfd pfd = { .fd = fb, .events = POLLIN };
        size_t seen = 0;

        CHECK_EQ(poll(&pfd, 1, 1000), 1);
        usleep(50 * 1000);    /* let all five be queued */
        for (int round = 0; round < 10 && seen < 5; round++) {
            ssize_t n;

            for (size_t i = 0; i < 2; i++)
                fr[i] = (struct tap_frame){ .buf = bufs[i], .cap = TEST_BUF };
            n = tap_read_batch(fb, fr, 2);
            CHECK(n >= 0 && n <= 2);
            if (n <= 0)
                break;
            for (ssize_t i = 0; i < n; i++)
                seen += is_test_frame(fr[i].buf, fr[i].len);
        }
        CHECK_EQ(seen, 5);
    }

    /* Released from the bridge: frames from A no longer reach B. */
    CHECK_EQ(tap_link_set_master(nl, "ovtapA", NULL), 0);
    CHECK_EQ(tap_link_get(nl, "ovtapA", &ia), 0);
    CHECK_EQ(ia.master_ifindex, 0);
    make_frame(bufs[0], test_bcast, 3000, frame_len_for(3000));
    fr[0] = (struct tap_frame){ .buf = bufs[0], .len = frame_len_for(3000) };
    CHECK_EQ(tap_write_batch(fa, fr, 1), 1);
    CHECK_EQ(collect(fb, 1, 200, NULL), 0);

    CHECK_EQ(tap_link_set_up(nl, "ovtapA", false), 0);
    CHECK_EQ(tap_link_get(nl, "ovtapA", &ia), 0);
    CHECK(!ia.up);
    /* A down TAP refuses writes: a device error, reported, not dropped. */
    CHECK_EQ(tap_write_batch(fa, fr, 1), -EIO);

out:
    /* Non-persistent: closing the fd removes the device. */
    if (fa >= 0)
        close(fa);
    if (fb >= 0)
        close(fb);
    CHECK_EQ(tap_link_exists(nl, "ovtapA"), 0);
    CHECK_EQ(tap_link_exists(nl, "ovtapB"), 0);

    CHECK_EQ(tap_link_delete(nl, "ovbr0"), 0);
    CHECK_EQ(tap_link_exists(nl, "ovbr0"), 0);
    CHECK_EQ(tap_link_delete(nl, "ovbr0"), -ENODEV);
}

/* A TCPv4 super-frame from test_src to @dst: @payload bytes, gso_size
 * @mss, the checksum field holding the pseudo-header sum as virtio wants. */
static size_t make_super(uint8_t *buf, uint8_t *vh, const uint8_t *dst, size_t payload,
                         uint16_t mss)
{
    size_t ip_len = 20 + 20 + payload;
    uint32_t sum = 0;

    memcpy(buf, dst, 6);
    memcpy(buf + 6, test_src, 6);
    buf[12] = 0x08;
    buf[13] = 0x00;
    memset(buf + 14, 0, 40);
    buf[14] = 0x45;
    buf[16] = (uint8_t)(ip_len >> 8);
    buf[17] = (uint8_t)ip_len;
    buf[22] = 64;
    buf[23] = 6;                               /* TCP */
    memcpy(buf + 26, (const uint8_t[]){ 10, 0, 0, 1, 10, 0, 0, 2 }, 8);
    for (int i = 0; i < 20; i += 2)
        sum += (uint32_t)buf[14 + i] << 8 | buf[15 + i];
    sum = (sum & 0xffff) + (sum >> 16);
    sum = (sum & 0xffff) + (sum >> 16);
    buf[24] = (uint8_t)(~sum >> 8);
    buf[25] = (uint8_t)~sum;
    buf[34 + 1] = 1;                           /* ports 1 -> 2 */
    buf[34 + 3] = 2;
    buf[34 + 12] = 5 << 4;
    buf[34 + 13] = 0x10;                       /* ACK */
    buf[34 + 15] = 0xff;                       /* window */
    sum = 0x0a00 + 0x0001 + 0x0a00 + 0x0002 + 6 + (uint32_t)(20 + payload);
    sum = (sum & 0xffff) + (sum >> 16);
    buf[34 + 16] = (uint8_t)(sum >> 8);
    buf[34 + 17] = (uint8_t)sum;
    for (size_t i = 0; i < payload; i++)
        buf[54 + i] = (uint8_t)(i * 7);
    /* virtio_net_hdr: NEEDS_CSUM, TCPV4, hdr_len, gso_size, csum_start, csum_offset (LE) */
    memset(vh, 0, TAP_VNET_HDR_LEN);
    vh[0] = 1;
    vh[1] = 1;
    vh[2] = 54;
    vh[4] = (uint8_t)mss;
    vh[5] = (uint8_t)(mss >> 8);
    vh[6] = 34;
    vh[8] = 16;
    return 54 + payload;
}

/* Two TAPs with virtio_net_hdr and offloads on one bridge: a plain frame
 * comes with an empty header, and a super-frame crosses whole. */
static void test_vnet_taps(struct tap_nl *nl)
{
    static uint8_t frame[8192], in[TAP_VNET_HDR_LEN + 8192];
    uint8_t vh[TAP_VNET_HDR_LEN], zero[TAP_VNET_HDR_LEN] = { 0 };
    unsigned offl = 0;
    int fa = -1, fb = -1;
    size_t len;
    ssize_t r = -1;

    CHECK_EQ(tap_bridge_add(nl, "ovbr2", 1400), 0);
    CHECK_EQ(tap_open_vnet("ovvtA", &fa, &offl), 0);
    CHECK_EQ(tap_open_vnet("ovvtB", &fb, NULL), 0);
    if (fa < 0 || fb < 0)
        goto out;
    CHECK((offl & 0x0f) == 0x0f);             /* CSUM, TSO4, TSO6, TSO_ECN */
    CHECK_EQ(tap_link_set_master(nl, "ovvtA", "ovbr2"), 0);
    CHECK_EQ(tap_link_set_master(nl, "ovvtB", "ovbr2"), 0);
    CHECK_EQ(tap_link_set_up(nl, "ovvtA", true), 0);
    CHECK_EQ(tap_link_set_up(nl, "ovvtB", true), 0);

    len = make_frame(frame, test_bcast, 4000, 300);
    CHECK_EQ(tap_write_vnet(fa, zero, frame, len), 0);
    for (int i = 0; i < 100 && r < 0; i++) {
        r = read(fb, in, sizeof(in));
        if (r < 0 || !is_test_frame(in + TAP_VNET_HDR_LEN, (size_t)r - TAP_VNET_HDR_LEN))
            r = -1, usleep(10 * 1000);
    }
    CHECK_EQ(r, (ssize_t)(TAP_VNET_HDR_LEN + len));
    CHECK(r > 0 && memcmp(in, zero, TAP_VNET_HDR_LEN) == 0);
    CHECK(r > 0 && memcmp(in + TAP_VNET_HDR_LEN, frame, len) == 0);

    /* 6000 bytes of TCP in one write, segments of 1000: B takes TSO, so
     * the bridge hands it over whole, header and all. */
    len = make_super(frame, vh, test_unknown, 6000, 1000);
    CHECK_EQ(tap_write_vnet(fa, vh, frame, len), 0);
    r = -1;
    for (int i = 0; i < 100 && r < 0; i++) {
        r = read(fb, in, sizeof(in));
        if (r < 0 || in[TAP_VNET_HDR_LEN + 12] != 0x08)
            r = -1, usleep(10 * 1000);
    }
    CHECK_EQ(r, (ssize_t)(TAP_VNET_HDR_LEN + len));
    CHECK_EQ(in[1], 1);                       /* still GSO TCPV4 */
    CHECK_EQ(in[4] | in[5] << 8, 1000);
    CHECK(r > 0 && memcmp(in + TAP_VNET_HDR_LEN + 54, frame + 54, 6000) == 0);
    /* A header the kernel cannot take is refused, not half written. */
    vh[1] = 0x42;
    CHECK(tap_write_vnet(fa, vh, frame, len) < 0);
out:
    if (fa >= 0)
        close(fa);
    if (fb >= 0)
        close(fb);
    CHECK_EQ(tap_link_delete(nl, "ovbr2"), 0);
}

static void test_veth(struct tap_nl *nl)
{
    struct tap_link_info a, b, br;

    CHECK_EQ(tap_bridge_add(nl, "ovbr1", 1400), 0);
    CHECK_EQ(tap_veth_add(nl, "ovv0", "ovv1"), 0);
    CHECK_EQ(tap_veth_add(nl, "ovv0", "ovv2"), -EEXIST);
    CHECK_EQ(tap_link_get(nl, "ovv0", &a), 0);
    CHECK_EQ(tap_link_get(nl, "ovv1", &b), 0);
    CHECK(strcmp(a.kind, "veth") == 0);
    CHECK(strcmp(b.kind, "veth") == 0);
    CHECK_EQ(tap_link_set_master(nl, "ovv0", "ovbr1"), 0);
    CHECK_EQ(tap_link_get(nl, "ovv0", &a), 0);
    CHECK_EQ(tap_link_get(nl, "ovbr1", &br), 0);
    CHECK_EQ(a.master_ifindex, br.ifindex);
    /* The bridge MTU was set explicitly, so a 1500 port does not move it. */
    CHECK_EQ(a.mtu, 1500);
    CHECK_EQ(br.mtu, 1400);
    /* Deleting one end of a veth pair removes both. */
    CHECK_EQ(tap_link_delete(nl, "ovv0"), 0);
    CHECK_EQ(tap_link_exists(nl, "ovv1"), 0);
    CHECK_EQ(tap_link_delete(nl, "ovbr1"), 0);
}

static void test_underlay(struct tap_nl *nl, struct nl_sock *raw)
{
    struct tap_link_info up0, up1;
    unsigned mtu = 0;

    CHECK_EQ(tap_veth_add(nl, "upl0", "upl1"), 0);
    CHECK_EQ(tap_link_set_mtu(nl, "upl0", 9000), 0);
    CHECK_EQ(tap_link_set_mtu(nl, "upl1", 1600), 0);
    CHECK_EQ(tap_link_set_up(nl, "upl0", true), 0);
    CHECK_EQ(tap_link_set_up(nl, "upl1", true), 0);
    /* No default route: largest up non-loopback link. */
    CHECK_EQ(tap_underlay_mtu(nl, &mtu), 0);
    CHECK_EQ(mtu, 9000);
    /* Default route via the smaller one: it wins. */
    CHECK_EQ(tap_link_get(nl, "upl1", &up1), 0);
    CHECK_EQ(add_default_route(raw, up1.ifindex, 100, 0), 0);
    CHECK_EQ(tap_underlay_mtu(nl, &mtu), 0);
    CHECK_EQ(mtu, 1600);
    /* A better (lower metric) default via upl0, clamped by a route MTU. */
    CHECK_EQ(tap_link_get(nl, "upl0", &up0), 0);
    CHECK_EQ(add_default_route(raw, up0.ifindex, 10, 1450), 0);
    CHECK_EQ(tap_underlay_mtu(nl, &mtu), 0);
    CHECK_EQ(mtu, 1450);
    CHECK_EQ(tap_link_delete(nl, "upl0"), 0);
    CHECK_EQ(tap_underlay_mtu(nl, &mtu), 0);
    CHECK_EQ(mtu, 1500);
}

int main(void)
{
    struct tap_nl *nl = NULL;
    struct nl_sock *raw;
    unsigned mtu = 0;

    if (geteuid() != 0) {
        fprintf(stderr, "skip: needs root\n");
        return 77;
    }
    if (unshare(CLONE_NEWNET) < 0) {
        fprintf(stderr, "skip: unshare(CLONE_NEWNET): %s\n", strerror(errno));
        return 77;
    }
    disable_ipv6_default();

    CHECK_EQ(tap_nl_open(&nl), 0);
    raw = nl_socket_alloc();
    if (!nl || !raw || nl_connect(raw, NETLINK_ROUTE) < 0) {
        fprintf(stderr, "%s:%d: netlink setup failed\n", __FILE__, __LINE__);
        return 1;
    }

    /* Fresh namespace: only lo (down, loopback) exists. */
    CHECK_EQ(tap_underlay_mtu(nl, &mtu), 0);
    CHECK_EQ(mtu, 1500);

    test_errors(nl);
    test_bridge_taps(nl, raw);
    test_vnet_taps(nl);
    test_veth(nl);
    test_underlay(nl, raw);

    nl_socket_free(raw);
    tap_nl_close(nl);
    if (check_failures)
        fprintf(stderr, "%d check(s) failed\n", check_failures);
    return check_failures ? 1 : 0;
}
