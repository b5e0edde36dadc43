/* SPDX-License-Identifier: GPL-2.0-only */
/* TCP MSS clamping of SYNs. See mss.h. */
#include "overlayd/datapath/mss.h"

enum {
    MSS_ETH_HDR = 14,
    MSS_VLAN_TAG = 4,
    MSS_ETH_IPV4 = 0x0800,
    MSS_ETH_IPV6 = 0x86dd,
    MSS_ETH_8021Q = 0x8100,
    MSS_ETH_8021AD = 0x88a8,
    MSS_IPV4_HDR = 20,
    MSS_IPV6_HDR = 40,
    MSS_IPV6_EXT_MIN = 8,               /* an extension header is a multiple of 8 */
    MSS_PROTO_TCP = 6,
    MSS_NH_HOP_BY_HOP = 0,
    MSS_NH_ROUTING = 43,
    MSS_NH_DEST_OPTS = 60,
    MSS_TCP_HDR = 20,
    MSS_TCP_CSUM = 16,                  /* checksum offset in the TCP header */
    MSS_TCP_SYN = 0x02,
    MSS_OPT_EOL = 0,
    MSS_OPT_NOP = 1,
    MSS_OPT_MSS = 2,
    MSS_OPT_MSS_LEN = 4,
};

/* The TCP segment of a frame: from its header to the end the IP length gives. */
struct mss_seg {
    uint8_t *tcp;
    size_t len;
    unsigned overhead;                  /* MSS_V4_OVERHEAD or MSS_V6_OVERHEAD */
};

static uint16_t mss_rd16(const uint8_t *p)
{
    return (uint16_t)(p[0] << 8 | p[1]);
}

static void mss_wr16(uint8_t *p, uint16_t v)
{
    p[0] = (uint8_t)(v >> 8);
    p[1] = (uint8_t)v;
}

/* IPv4, not a fragment: a later fragment holds no TCP header, and a
 * first one is left alone as behind an IPv6 fragment header (a SYN small
 * enough never needs fragmenting; one that was is not worth the risk). */
static bool mss_ipv4(uint8_t *ip, size_t len, struct mss_seg *s)
{
    size_t ihl, total;

    if (len < MSS_IPV4_HDR || ip[0] >> 4 != 4)
        return false;
    ihl = (size_t)(ip[0] & 0x0f) * 4;
    total = mss_rd16(ip + 2);
    if (ihl < MSS_IPV4_HDR || total < ihl || total > len)
        return false;
    if (ip[9] != MSS_PROTO_TCP || (mss_rd16(ip + 6) & 0x3fff))   /* MF or an offset */
        return false;
    s->tcp = ip + ihl;
    s->len = total - ihl;
    s->overhead = MSS_V4_OVERHEAD;
    return true;
}

/* IPv6: walk hop-by-hop, routing and destination-options headers to TCP.
 * Every step moves on by at least 8 bytes within the payload, so the walk
 * ends. A fragment header (the SYN may be split), AH (it authenticates
 * the segment we would change), ESP and anything unknown stop it. */
static bool mss_ipv6(uint8_t *ip, size_t len, struct mss_seg *s)
{
    size_t off = MSS_IPV6_HDR, end;
    uint8_t nh;

    if (len < MSS_IPV6_HDR || ip[0] >> 4 != 6)
        return false;
    end = MSS_IPV6_HDR + (size_t)mss_rd16(ip + 4);
    if (end == MSS_IPV6_HDR || end > len)    /* a jumbogram, or truncated */
        return false;
    nh = ip[6];
    while (nh != MSS_PROTO_TCP) {
        if (nh != MSS_NH_HOP_BY_HOP && nh != MSS_NH_ROUTING && nh != MSS_NH_DEST_OPTS)
            return false;
        if (end - off < MSS_IPV6_EXT_MIN)
            return false;
        nh = ip[off];
        off += ((size_t)ip[off + 1] + 1) * MSS_IPV6_EXT_MIN;
        if (off > end)
            return false;
    }
    s->tcp = ip + off;
    s->len = end - off;
    s->overhead = MSS_V6_OVERHEAD;
    return true;
}

/* Ethernet with at most one VLAN tag, then IPv4 or IPv6. */
static bool mss_segment(uint8_t *f, size_t len, struct mss_seg *s)
{
    size_t off = MSS_ETH_HDR;
    uint16_t type;

    if (len < MSS_ETH_HDR)
        return false;
    type = mss_rd16(f + 12);
    if (type == MSS_ETH_8021Q || type == MSS_ETH_8021AD) {
        if (len < MSS_ETH_HDR + MSS_VLAN_TAG)
            return false;
        type = mss_rd16(f + 16);
        off += MSS_VLAN_TAG;
    }
    if (type == MSS_ETH_IPV4)
        return mss_ipv4(f + off, len - off, s);
    if (type == MSS_ETH_IPV6)
        return mss_ipv6(f + off, len - off, s);
    return false;
}

/*
 * RFC 1624, eqn. 3: HC' = ~(~HC + ~m + m'), m the 16-bit word that
 * changed and m' (@m1) its new value. The MSS value starts at any offset
 * of the options; at an odd one its two bytes are the low half of one
 * checksum word and the high half of the next, which adds to the sum as
 * the byte-swapped value (RFC 1071, 2(B): byte order independence), so
 * the swapped values go in.
 */
static void mss_csum_update(uint8_t *tcp, size_t at, uint16_t m, uint16_t m1)
{
    uint32_t sum;

    if (at & 1) {
        m = (uint16_t)(m << 8 | m >> 8);
        m1 = (uint16_t)(m1 << 8 | m1 >> 8);
    }
    sum = (uint32_t)(uint16_t)~mss_rd16(tcp + MSS_TCP_CSUM) + (uint16_t)~m + m1;
    sum = (sum & 0xffff) + (sum >> 16);
    sum = (sum & 0xffff) + (sum >> 16);
    mss_wr16(tcp + MSS_TCP_CSUM, (uint16_t)~sum);
}

/* The MSS value at @tcp + @at: lowered to @max if above it. */
static bool mss_lower(uint8_t *tcp, size_t at, uint16_t max)
{
    uint16_t old = mss_rd16(tcp + at);

    if (old <= max)
        return false;
    mss_wr16(tcp + at, max);
    mss_csum_update(tcp, at, old, max);
    return true;
}

/* A SYN's options: every MSS option lowered (a receiver may take any of
 * them). A malformed option ends the walk, keeping what came before. */
static bool mss_tcp(uint8_t *tcp, size_t len, uint16_t max)
{
    size_t doff, i = MSS_TCP_HDR;
    bool changed = false;

    if (len < MSS_TCP_HDR || !(tcp[13] & MSS_TCP_SYN))
        return false;
    doff = (size_t)(tcp[12] >> 4) * 4;
    if (doff < MSS_TCP_HDR || doff > len)
        return false;
    while (i < doff && tcp[i] != MSS_OPT_EOL) {
        size_t olen;

        if (tcp[i] == MSS_OPT_NOP) {
            i++;
            continue;
        }
        if (doff - i < 2)
            break;
        olen = tcp[i + 1];
        if (olen < 2 || olen > doff - i)
            break;
        if (tcp[i] == MSS_OPT_MSS && olen == MSS_OPT_MSS_LEN)
            changed |= mss_lower(tcp, i + 2, max);
        i += olen;
    }
    return changed;
}

bool mss_clamp(uint8_t *frame, size_t len, unsigned inner_mtu)
{
    struct mss_seg s;
    unsigned max;

    if (!mss_segment(frame, len, &s) || inner_mtu <= s.overhead)
        return false;
    max = inner_mtu - s.overhead;
    return mss_tcp(s.tcp, s.len, max > UINT16_MAX ? UINT16_MAX : (uint16_t)max);
}
