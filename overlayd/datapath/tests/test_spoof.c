/* SPDX-License-Identifier: GPL-2.0-only */
/* spoof.c: the source lock of a guest port, every header it reads, truncated or not. */
#include <string.h>

#include "overlayd/datapath/spoof.h"
#include "lib/check.h"

static const uint8_t MAC[6] = { 0x52, 0x54, 0, 0, 1, 1 };
static const uint8_t OTHER[6] = { 0x52, 0x54, 0, 0, 1, 2 };

static size_t eth(uint8_t *f, const uint8_t *src, uint16_t type)
{
    memset(f, 0xff, 6);
    memcpy(f + 6, src, 6);
    f[12] = (uint8_t)(type >> 8);
    f[13] = (uint8_t)type;
    return 14;
}

static size_t arp(uint8_t *f, const uint8_t *sha, const uint8_t spa[4])
{
    size_t n = eth(f, MAC, 0x0806);
    static const uint8_t hdr[8] = { 0, 1, 8, 0, 6, 4, 0, 1 };
    static const uint8_t tpa[4] = { 10, 100, 0, 2 };

    memcpy(f + n, hdr, 8);
    memcpy(f + n + 8, sha, 6);
    memcpy(f + n + 14, spa, 4);
    memset(f + n + 18, 0, 6);
    memcpy(f + n + 24, tpa, 4);
    return n + 28;
}

static size_t ipv4(uint8_t *f, const uint8_t src[4])
{
    size_t n = eth(f, MAC, 0x0800);

    memset(f + n, 0, 20);
    f[n] = 0x45;
    f[n + 9] = 1;
    memcpy(f + n + 12, src, 4);
    return n + 20;
}

static size_t ipv6(uint8_t *f, const uint8_t src[16], int icmp_type, const uint8_t *target)
{
    size_t n = eth(f, MAC, 0x86dd);

    memset(f + n, 0, 40);
    f[n] = 0x60;
    f[n + 6] = icmp_type ? 58 : 17;
    memcpy(f + n + 8, src, 16);
    n += 40;
    if (!icmp_type)
        return n;
    memset(f + n, 0, 24);
    f[n] = (uint8_t)icmp_type;
    memcpy(f + n + 8, target, 16);
    return n + 24;
}

static struct spoof_lock lock_v4(void)
{
    struct spoof_lock l;

    memset(&l, 0, sizeof(l));
    memcpy(l.mac, MAC, 6);
    CHECK_EQ(spoof_lock_address(&l, "10.100.0.1/24"), 0);
    return l;
}

static void test_address_text(void)
{
    struct spoof_lock l;

    memset(&l, 0, sizeof(l));
    CHECK_EQ(spoof_lock_address(&l, "fd00::1/64"), 0);
    CHECK(l.has_v6 && !l.has_v4 && l.v6[0] == 0xfd && l.v6[15] == 1);
    CHECK_EQ(spoof_lock_address(&l, "10.1.2.3"), 0);
    CHECK(l.has_v4 && l.v4[3] == 3);
    CHECK_EQ(spoof_lock_address(&l, "/24"), -22);
    CHECK_EQ(spoof_lock_address(&l, "host-a"), -22);
    CHECK_EQ(spoof_lock_address(&l, "10.1.2.300/8"), -22);
}

static void test_mac_only(void)
{
    struct spoof_lock l;
    uint8_t f[128];
    static const uint8_t any_ip[4] = { 192, 168, 9, 9 };
    size_t n;

    memset(&l, 0, sizeof(l));
    memcpy(l.mac, MAC, 6);
    n = eth(f, MAC, 0x88cc);
    CHECK_EQ(spoof_check(&l, f, n), SPOOF_OK);
    n = eth(f, OTHER, 0x88cc);
    CHECK_EQ(spoof_check(&l, f, n), SPOOF_MAC);
    CHECK_EQ(spoof_check(&l, f, 13), SPOOF_MALFORMED);
    /* No address: any IP, but the ARP sender MAC is still the port's. */
    n = ipv4(f, any_ip);
    CHECK_EQ(spoof_check(&l, f, n), SPOOF_OK);
    n = arp(f, MAC, any_ip);
    CHECK_EQ(spoof_check(&l, f, n), SPOOF_OK);
    n = arp(f, OTHER, any_ip);
    CHECK_EQ(spoof_check(&l, f, n), SPOOF_MAC);
    CHECK_EQ(spoof_check(&l, f, 20), SPOOF_OK);      /* truncated ARP: nothing to check */
}

static void test_v4(void)
{
    struct spoof_lock l = lock_v4();
    uint8_t f[128];
    static const uint8_t own[4] = { 10, 100, 0, 1 }, other[4] = { 10, 100, 0, 2 };
    static const uint8_t any[4];
    static const uint8_t ll[16] = { 0xfe, 0x80, [15] = 7 }, glob[16] = { 0xfd, [15] = 1 };
    size_t n;

    n = ipv4(f, own);
    CHECK_EQ(spoof_check(&l, f, n), SPOOF_OK);
    CHECK_EQ(spoof_check(&l, f, n - 1), SPOOF_MALFORMED);
    f[14] = 0x65;
    CHECK_EQ(spoof_check(&l, f, n), SPOOF_MALFORMED);
    n = ipv4(f, other);
    CHECK_EQ(spoof_check(&l, f, n), SPOOF_IP);
    n = ipv4(f, any);
    CHECK_EQ(spoof_check(&l, f, n), SPOOF_OK);
    n = arp(f, MAC, own);
    CHECK_EQ(spoof_check(&l, f, n), SPOOF_OK);
    CHECK_EQ(spoof_check(&l, f, n - 1), SPOOF_MALFORMED);
    n = arp(f, MAC, any);
    CHECK_EQ(spoof_check(&l, f, n), SPOOF_OK);
    n = arp(f, MAC, other);
    CHECK_EQ(spoof_check(&l, f, n), SPOOF_ARP);
    n = arp(f, OTHER, own);
    CHECK_EQ(spoof_check(&l, f, n), SPOOF_MAC);
    /* IPv6 with only an IPv4 address: not checked (one Address per member). */
    n = ipv6(f, ll, 0, NULL);
    CHECK_EQ(spoof_check(&l, f, n), SPOOF_OK);
    n = ipv6(f, glob, 0, NULL);
    CHECK_EQ(spoof_check(&l, f, n), SPOOF_OK);
    n = ipv6(f, glob, 0, NULL);
    CHECK_EQ(spoof_check(&l, f, n - 1), SPOOF_MALFORMED);
    n = eth(f, MAC, 0x8100);
    memset(f + n, 0, 4);
    CHECK_EQ(spoof_check(&l, f, n + 4), SPOOF_MALFORMED);
    n = eth(f, MAC, 0x88a8);
    CHECK_EQ(spoof_check(&l, f, n), SPOOF_MALFORMED);
    n = eth(f, MAC, 0x88cc);
    CHECK_EQ(spoof_check(&l, f, n), SPOOF_OK);
}

static void test_v6(void)
{
    struct spoof_lock l;
    uint8_t f[160];
    static const uint8_t own[16] = { 0xfd, [15] = 1 }, other[16] = { 0xfd, [15] = 2 };
    static const uint8_t ll[16] = { 0xfe, 0x80, [15] = 7 }, any[16];
    static const uint8_t v4[4] = { 10, 100, 0, 1 }, v4any[4];
    size_t n;

    memset(&l, 0, sizeof(l));
    memcpy(l.mac, MAC, 6);
    CHECK_EQ(spoof_lock_address(&l, "fd00::1/64"), 0);
    n = ipv6(f, own, 0, NULL);
    CHECK_EQ(spoof_check(&l, f, n), SPOOF_OK);
    CHECK_EQ(spoof_check(&l, f, n - 1), SPOOF_MALFORMED);
    n = ipv6(f, other, 0, NULL);
    CHECK_EQ(spoof_check(&l, f, n), SPOOF_IP);
    n = ipv6(f, any, 0, NULL);
    CHECK_EQ(spoof_check(&l, f, n), SPOOF_OK);
    /* Neighbour advertisements: for our own address or a link-local one only. */
    n = ipv6(f, ll, 136, own);
    CHECK_EQ(spoof_check(&l, f, n), SPOOF_OK);
    n = ipv6(f, ll, 136, other);
    CHECK_EQ(spoof_check(&l, f, n), SPOOF_IP);
    n = ipv6(f, ll, 135, other);                 /* a solicitation asks, claims nothing */
    CHECK_EQ(spoof_check(&l, f, n), SPOOF_OK);
    /* IPv4 with only an IPv6 address: not checked, but the ARP sender MAC is. */
    n = ipv4(f, v4);
    CHECK_EQ(spoof_check(&l, f, n), SPOOF_OK);
    n = ipv4(f, v4any);
    CHECK_EQ(spoof_check(&l, f, n), SPOOF_OK);
    n = arp(f, MAC, v4);
    CHECK_EQ(spoof_check(&l, f, n), SPOOF_OK);
    n = arp(f, OTHER, v4);
    CHECK_EQ(spoof_check(&l, f, n), SPOOF_MAC);
}

int main(void)
{
    test_address_text();
    test_mac_only();
    test_v4();
    test_v6();
    return CHECK_DONE();
}
