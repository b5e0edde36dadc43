/* SPDX-License-Identifier: GPL-2.0-only */
/* ARP and neighbour discovery frames: parse, answer, snoop. See neigh.h. */
#include "overlayd/datapath/neigh.h"

#include <errno.h>
#include <string.h>

enum {
    ETH_HDR = 14,
    ARP_LEN = 28,
    IP6_HDR = 40,
    ETHERTYPE_ARP = 0x0806,
    ETHERTYPE_IPV6 = 0x86dd,
    IPPROTO_ICMP6 = 58,
    ND_NS = 135,
    ND_NA = 136,
    ND_MSG = 24,                        /* type..target: NS and NA alike */
    ND_OPT_SLLA = 1,
    ND_OPT_TLLA = 2,
    NA_LEN = ND_MSG + 8,                /* with the target link-layer option */
};

static uint16_t rd16(const uint8_t *p)
{
    return (uint16_t)(p[0] << 8 | p[1]);
}

static void wr16(uint8_t *p, uint16_t v)
{
    p[0] = (uint8_t)(v >> 8);
    p[1] = (uint8_t)v;
}

static bool mac_unicast(const uint8_t *m)
{
    static const uint8_t zero[6];

    return !(m[0] & 1) && memcmp(m, zero, 6) != 0;
}

static bool ip4_unicast(const uint8_t *ip)
{
    return !(ip[0] == 0 || ip[0] >= 224 || (ip[0] == 127));
}

static bool ip6_unicast(const uint8_t *ip)
{
    static const uint8_t zero[16];

    return ip[0] != 0xff && memcmp(ip, zero, 16) != 0;
}

bool neigh_ip_unicast(const struct neigh_ip *ip)
{
    static const uint8_t zero[12];

    if (ip->family == 4)
        return ip4_unicast(ip->ip) && memcmp(ip->ip + 4, zero, sizeof(zero)) == 0;
    return ip->family == 6 && ip6_unicast(ip->ip);
}

static void set_ip(struct neigh_ip *a, uint8_t family, const uint8_t *ip)
{
    memset(a, 0, sizeof(*a));
    a->family = family;
    memcpy(a->ip, ip, family == 4 ? 4 : 16);
}

uint16_t neigh_icmp6_csum(const uint8_t src[16], const uint8_t dst[16], const uint8_t *msg,
                          size_t len)
{
    uint64_t sum = 0;

    for (int i = 0; i < 16; i += 2)
        sum += rd16(src + i) + rd16(dst + i);
    sum += (uint32_t)len >> 16;
    sum += (uint32_t)len & 0xffff;
    sum += IPPROTO_ICMP6;
    for (size_t i = 0; i + 1 < len; i += 2)
        sum += rd16(msg + i);
    if (len & 1)
        sum += (uint32_t)msg[len - 1] << 8;
    while (sum >> 16)
        sum = (sum & 0xffff) + (sum >> 16);
    return (uint16_t)~sum;
}

/* The ARP body of @frame (IPv4 over Ethernet), or NULL. */
static const uint8_t *arp_body(const uint8_t *frame, size_t len, int *rc)
{
    const uint8_t *a = frame + ETH_HDR;

    *rc = -ENOENT;
    if (len < ETH_HDR || rd16(frame + 12) != ETHERTYPE_ARP)
        return NULL;
    *rc = -EBADMSG;
    if (len < ETH_HDR + ARP_LEN || rd16(a) != 1 || rd16(a + 2) != 0x0800 || a[4] != 6 ||
        a[5] != 4)
        return NULL;
    *rc = 0;
    return a;
}

/*
 * The ND message of @frame (an ICMPv6 NS or NA with a valid checksum and
 * hop limit 255, RFC 4861 section 7.1.1), or NULL; *@mlen its length.
 */
static const uint8_t *nd_body(const uint8_t *frame, size_t len, size_t *mlen, int *rc)
{
    const uint8_t *ip6 = frame + ETH_HDR, *m = ip6 + IP6_HDR;
    size_t plen;

    *rc = -ENOENT;
    if (len < ETH_HDR + IP6_HDR || rd16(frame + 12) != ETHERTYPE_IPV6 ||
        (ip6[0] >> 4) != 6 || ip6[6] != IPPROTO_ICMP6)
        return NULL;
    plen = rd16(ip6 + 4);
    if (plen < 1 || len < ETH_HDR + IP6_HDR + 1 || (m[0] != ND_NS && m[0] != ND_NA))
        return NULL;
    *rc = -EBADMSG;
    if (plen < ND_MSG || ETH_HDR + IP6_HDR + plen > len || ip6[7] != 255 || m[1] != 0 ||
        neigh_icmp6_csum(ip6 + 8, ip6 + 24, m, plen) != 0)
        return NULL;
    *mlen = plen;
    *rc = 0;
    return m;
}

/*
 * The link-layer address option of @type in the options of ND message @m
 * (@mlen bytes) into @mac. Returns 1 found, 0 absent, -EBADMSG for an
 * option of length 0 or past the end (RFC 4861 section 4.6: discard).
 */
static int nd_lla(const uint8_t *m, size_t mlen, uint8_t type, uint8_t mac[6])
{
    size_t off = ND_MSG;
    int found = 0;

    while (off < mlen) {
        size_t olen;

        if (mlen - off < 2 || m[off + 1] == 0)
            return -EBADMSG;
        olen = (size_t)m[off + 1] * 8;
        if (olen > mlen - off)
            return -EBADMSG;
        if (m[off] == type && olen == 8 && !found) {
            memcpy(mac, m + off + 2, 6);
            found = 1;
        }
        off += olen;
    }
    return found;
}

static int neigh_parse_arp(const uint8_t *frame, const uint8_t *a, struct neigh_query *q)
{
    static const uint8_t zero[4];

    if (rd16(a + 6) != 1)
        return -ENOENT;
    /* Probes (sender 0.0.0.0, RFC 5227) and gratuitous ARP (sender ==
     * target) announce or check an address: the owner must see them. */
    if (memcmp(a + 14, zero, 4) == 0 || memcmp(a + 14, a + 24, 4) == 0)
        return -ENOENT;
    if (!mac_unicast(frame + 6) || !mac_unicast(a + 8) || !ip4_unicast(a + 24))
        return -ENOENT;
    memset(q, 0, sizeof(*q));
    q->kind = NEIGH_ARP;
    memcpy(q->eth_src, frame + 6, 6);
    memcpy(q->asker_mac, a + 8, 6);
    set_ip(&q->asker, 4, a + 14);
    set_ip(&q->target, 4, a + 24);
    return 0;
}

static int neigh_parse_ns(const uint8_t *frame, const uint8_t *m, size_t mlen,
                          struct neigh_query *q)
{
    const uint8_t *ip6 = frame + ETH_HDR;
    int rc;

    if (m[0] != ND_NS)
        return -ENOENT;
    memset(q, 0, sizeof(*q));
    rc = nd_lla(m, mlen, ND_OPT_SLLA, q->asker_mac);
    if (rc < 0)
        return rc;
    /* DAD (source ::) must reach every owner of the address; a unicast
     * NS (reachability) goes to the owner anyway. */
    if (!(ip6[24] == 0xff && (frame[0] & 1)) || !ip6_unicast(ip6 + 8) ||
        !ip6_unicast(m + 8) || !mac_unicast(frame + 6))
        return -ENOENT;
    if (rc == 0)
        memcpy(q->asker_mac, frame + 6, 6);
    q->kind = NEIGH_NS;
    memcpy(q->eth_src, frame + 6, 6);
    set_ip(&q->asker, 6, ip6 + 8);
    set_ip(&q->target, 6, m + 8);
    return 0;
}

int neigh_parse(const uint8_t *frame, size_t len, struct neigh_query *q)
{
    const uint8_t *b;
    size_t mlen;
    int rc;

    b = arp_body(frame, len, &rc);
    if (b)
        return neigh_parse_arp(frame, b, q);
    if (rc != -ENOENT)
        return rc;
    b = nd_body(frame, len, &mlen, &rc);
    if (!b)
        return rc;
    return neigh_parse_ns(frame, b, mlen, q);
}

static int neigh_reply_arp(const struct neigh_query *q, const uint8_t mac[6], uint8_t *out,
                           size_t cap)
{
    uint8_t *a = out + ETH_HDR;

    if (cap < NEIGH_ARP_REPLY_LEN)
        return -ENOSPC;
    memset(out, 0, NEIGH_ARP_REPLY_LEN);
    memcpy(out, q->eth_src, 6);
    memcpy(out + 6, mac, 6);
    wr16(out + 12, ETHERTYPE_ARP);
    wr16(a, 1);
    wr16(a + 2, 0x0800);
    a[4] = 6;
    a[5] = 4;
    wr16(a + 6, 2);
    memcpy(a + 8, mac, 6);
    memcpy(a + 14, q->target.ip, 4);
    memcpy(a + 18, q->asker_mac, 6);
    memcpy(a + 24, q->asker.ip, 4);
    return NEIGH_ARP_REPLY_LEN;
}

static int neigh_reply_na(const struct neigh_query *q, const uint8_t mac[6], uint8_t *out,
                          size_t cap)
{
    uint8_t *ip6 = out + ETH_HDR, *m = ip6 + IP6_HDR;
    const size_t len = ETH_HDR + IP6_HDR + NA_LEN;

    if (cap < len)
        return -ENOSPC;
    memset(out, 0, len);
    memcpy(out, q->eth_src, 6);
    memcpy(out + 6, mac, 6);
    wr16(out + 12, ETHERTYPE_IPV6);
    ip6[0] = 0x60;
    wr16(ip6 + 4, NA_LEN);
    ip6[6] = IPPROTO_ICMP6;
    ip6[7] = 255;
    memcpy(ip6 + 8, q->target.ip, 16);
    memcpy(ip6 + 24, q->asker.ip, 16);
    m[0] = ND_NA;
    /* Solicited, and override: the binding is the one the overlay
     * knows, so it corrects a stale cache entry. */
    m[4] = 0x60;
    memcpy(m + 8, q->target.ip, 16);
    m[ND_MSG] = ND_OPT_TLLA;
    m[ND_MSG + 1] = 1;
    memcpy(m + ND_MSG + 2, mac, 6);
    wr16(m + 2, neigh_icmp6_csum(ip6 + 8, ip6 + 24, m, NA_LEN));
    return (int)len;
}

int neigh_reply(const struct neigh_query *q, const uint8_t mac[6], uint8_t *out, size_t cap)
{
    if (q->kind == NEIGH_ARP)
        return neigh_reply_arp(q, mac, out, cap);
    return neigh_reply_na(q, mac, out, cap);
}

static int neigh_snoop_nd(const uint8_t *frame, const uint8_t *m, size_t mlen,
                          struct neigh_ip *ip, uint8_t mac[6])
{
    const uint8_t *src = m[0] == ND_NS ? frame + ETH_HDR + 8 : m + 8;

    if (nd_lla(m, mlen, m[0] == ND_NS ? ND_OPT_SLLA : ND_OPT_TLLA, mac) != 1 ||
        !ip6_unicast(src))
        return -ENOENT;
    set_ip(ip, 6, src);
    return 0;
}

int neigh_snoop(const uint8_t *frame, size_t len, struct neigh_ip *ip, uint8_t mac[6])
{
    const uint8_t *b;
    size_t mlen;
    int rc;

    b = arp_body(frame, len, &rc);
    if (b) {
        if ((rd16(b + 6) != 1 && rd16(b + 6) != 2) || !ip4_unicast(b + 14))
            return -ENOENT;
        memcpy(mac, b + 8, 6);
        set_ip(ip, 4, b + 14);
    } else if (rc == -ENOENT) {
        b = nd_body(frame, len, &mlen, &rc);
        if (!b || neigh_snoop_nd(frame, b, mlen, ip, mac) < 0)
            return -ENOENT;
    } else {
        return -ENOENT;
    }
    /* A guest speaks for itself only: a binding to some other MAC is
     * either a proxy or a lie, and neither is ours to repeat. */
    if (!mac_unicast(mac) || memcmp(mac, frame + 6, 6) != 0)
        return -ENOENT;
    return 0;
}
