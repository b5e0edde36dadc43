/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Source lock of a guest port: see spoof.h. Pure: no I/O, no clock.
 */
#include "overlayd/datapath/spoof.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

enum {
    ETH_HDR = 14,
    ETYPE_IPV4 = 0x0800,
    ETYPE_ARP = 0x0806,
    ETYPE_IPV6 = 0x86dd,
    ETYPE_VLAN = 0x8100,
    ETYPE_QINQ = 0x88a8,
    IPV4_MIN = 20,
    IPV6_HDR = 40,
    ARP_IPV4 = 28,           /* Ethernet/IPv4 ARP body */
    ICMPV6_NA = 136,
    NA_MIN = 24,             /* type, code, sum, flags, target */
};

int spoof_lock_address(struct spoof_lock *l, const char *text)
{
    char buf[64];
    const char *slash = strchr(text, '/');
    size_t n = slash ? (size_t)(slash - text) : strlen(text);

    if (n == 0 || n >= sizeof(buf))
        return -EINVAL;
    memcpy(buf, text, n);
    buf[n] = 0;
    if (inet_pton(AF_INET, buf, l->v4) == 1) {
        l->has_v4 = true;
        return 0;
    }
    if (inet_pton(AF_INET6, buf, l->v6) == 1) {
        l->has_v6 = true;
        return 0;
    }
    return -EINVAL;
}

static uint16_t spoof_be16(const uint8_t *p)
{
    return (uint16_t)(p[0] << 8 | p[1]);
}

static bool spoof_has_addr(const struct spoof_lock *l)
{
    return l->has_v4 || l->has_v6;
}

/* @ip is ours to send from: the lock's, or 0.0.0.0 (says nobody); any
 * when the lock has no IPv4 address (one Address per member: a dual-stack
 * guest's other family stays usable). */
static bool spoof_v4_ok(const struct spoof_lock *l, const uint8_t ip[4])
{
    static const uint8_t any[4];

    return !l->has_v4 || memcmp(ip, any, 4) == 0 || memcmp(ip, l->v4, 4) == 0;
}

/* The lock's, link-local (ND must work before anything), or :: (DAD);
 * any when the lock has no IPv6 address. */
static bool spoof_v6_ok(const struct spoof_lock *l, const uint8_t ip[16])
{
    static const uint8_t any[16];

    if (!l->has_v6 || (ip[0] == 0xfe && (ip[1] & 0xc0) == 0x80))
        return true;
    return memcmp(ip, any, 16) == 0 || memcmp(ip, l->v6, 16) == 0;
}

static enum spoof_verdict spoof_arp(const struct spoof_lock *l, const uint8_t *a, size_t len)
{
    if (len < ARP_IPV4 || spoof_be16(a) != 1 || spoof_be16(a + 2) != ETYPE_IPV4 ||
        a[4] != 6 || a[5] != 4)
        return spoof_has_addr(l) ? SPOOF_MALFORMED : SPOOF_OK;
    if (memcmp(a + 8, l->mac, 6) != 0)
        return SPOOF_MAC;
    if (spoof_has_addr(l) && !spoof_v4_ok(l, a + 14))
        return SPOOF_ARP;
    return SPOOF_OK;
}

static enum spoof_verdict spoof_ipv4(const struct spoof_lock *l, const uint8_t *ip, size_t len)
{
    if (len < IPV4_MIN || (ip[0] >> 4) != 4)
        return SPOOF_MALFORMED;
    return spoof_v4_ok(l, ip + 12) ? SPOOF_OK : SPOOF_IP;
}

static enum spoof_verdict spoof_ipv6(const struct spoof_lock *l, const uint8_t *ip, size_t len)
{
    if (len < IPV6_HDR || (ip[0] >> 4) != 6)
        return SPOOF_MALFORMED;
    if (!spoof_v6_ok(l, ip + 8))
        return SPOOF_IP;
    /* An advertisement's target is what a neighbour cache will believe. */
    if (ip[6] == 58 && len >= IPV6_HDR + NA_MIN && ip[IPV6_HDR] == ICMPV6_NA &&
        !spoof_v6_ok(l, ip + IPV6_HDR + 8))
        return SPOOF_IP;
    return SPOOF_OK;
}

enum spoof_verdict spoof_check(const struct spoof_lock *l, const uint8_t *frame, size_t len)
{
    uint16_t type;

    if (len < ETH_HDR)
        return SPOOF_MALFORMED;
    if (memcmp(frame + 6, l->mac, 6) != 0)
        return SPOOF_MAC;
    type = spoof_be16(frame + 12);
    if (type == ETYPE_ARP)
        return spoof_arp(l, frame + ETH_HDR, len - ETH_HDR);
    if (!spoof_has_addr(l))
        return SPOOF_OK;
    switch (type) {
    case ETYPE_IPV4:
        return spoof_ipv4(l, frame + ETH_HDR, len - ETH_HDR);
    case ETYPE_IPV6:
        return spoof_ipv6(l, frame + ETH_HDR, len - ETH_HDR);
    case ETYPE_VLAN:
    case ETYPE_QINQ:
        return SPOOF_MALFORMED;
    default:
        return SPOOF_OK;
    }
}
