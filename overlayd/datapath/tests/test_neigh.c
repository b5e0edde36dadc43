/* SPDX-License-Identifier: GPL-2.0-only */
/* neigh.c / neigh_table.c: ARP and ND parsing, replies byte for byte, the binding table. */
#include <errno.h>
#include <string.h>

#include "overlayd/datapath/neigh.h"
#include "lib/check.h"

#define MAC1 0x52, 0x54, 0x00, 0x00, 0x01, 0x01
#define MAC2 0x52, 0x54, 0x00, 0x00, 0x01, 0x02
#define IP4_1 10, 100, 0, 1
#define IP4_2 10, 100, 0, 2
#define FD00_1 0xfd, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1
#define FD00_2 0xfd, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2

static const uint8_t mac1[6] = { MAC1 }, mac2[6] = { MAC2 };

static const uint8_t arp_req[42] = {
    0xff, 0xff, 0xff, 0xff, 0xff, 0xff, MAC1, 0x08, 0x06,
    0, 1, 0x08, 0, 6, 4, 0, 1, MAC1, IP4_1, 0, 0, 0, 0, 0, 0, IP4_2,
};

static const uint8_t arp_rep[60] = {
    MAC1, MAC2, 0x08, 0x06,
    0, 1, 0x08, 0, 6, 4, 0, 2, MAC2, IP4_2, MAC1, IP4_1,
    /* 18 bytes of padding: zero */
};

/* NS from fd00::1 for fd00::2 to its solicited-node group, checksum 0x2c43. */
static const uint8_t ns_req[86] = {
    0x33, 0x33, 0xff, 0x00, 0x00, 0x02, MAC1, 0x86, 0xdd,
    0x60, 0, 0, 0, 0, 32, 58, 255, FD00_1,
    0xff, 0x02, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0xff, 0, 0, 2,
    135, 0, 0x2c, 0x43, 0, 0, 0, 0, FD00_2, 1, 1, MAC1,
};

/* Its answer: solicited + override, target link-layer option, checksum 0xcb45. */
static const uint8_t na_rep[86] = {
    MAC1, MAC2, 0x86, 0xdd,
    0x60, 0, 0, 0, 0, 32, 58, 255, FD00_2, FD00_1,
    136, 0, 0xcb, 0x45, 0x60, 0, 0, 0, FD00_2, 2, 1, MAC2,
};

/* RFC 4443 section 2.3, written out plainly so it does not share code with neigh.c. */
static unsigned test_csum(const uint8_t *ip6, const uint8_t *msg, unsigned len)
{
    unsigned long sum = 0;

    for (unsigned i = 8; i < 40; i += 2)
        sum += (unsigned)ip6[i] << 8 | ip6[i + 1];
    sum += len + 58;
    for (unsigned i = 0; i < len; i += 2)
        sum += (unsigned)msg[i] << 8 | (i + 1 < len ? msg[i + 1] : 0);
    while (sum > 0xffff)
        sum = (sum & 0xffff) + (sum >> 16);
    return ~sum & 0xffff;
}

static void test_arp(void)
{
    struct neigh_query q;
    uint8_t out[NEIGH_REPLY_MAX], f[64];

    CHECK_EQ(neigh_parse(arp_req, sizeof(arp_req), &q), 0);
    CHECK(q.kind == NEIGH_ARP && q.target.family == 4 && !memcmp(q.target.ip, "\x0a\x64\x00\x02", 4));
    CHECK_EQ(neigh_reply(&q, mac2, out, sizeof(out)), 60);
    CHECK(!memcmp(out, arp_rep, 60), "ARP reply differs");
    CHECK_EQ(neigh_reply(&q, mac2, out, 59), -ENOSPC);
    /* truncated at every length */
    for (size_t n = 0; n < sizeof(arp_req); n++)
        CHECK(neigh_parse(arp_req, n, &q) < 0, "length %zu", n);
    /* gratuitous (sender == target) and probe (sender 0.0.0.0): not answered */
    memcpy(f, arp_req, 42);
    memcpy(f + 28, f + 38, 4);
    CHECK_EQ(neigh_parse(f, 42, &q), -ENOENT);
    memcpy(f, arp_req, 42);
    memset(f + 28, 0, 4);
    CHECK_EQ(neigh_parse(f, 42, &q), -ENOENT);
    /* a reply is no question; a bad hardware type is malformed */
    memcpy(f, arp_req, 42);
    f[21] = 2;
    CHECK_EQ(neigh_parse(f, 42, &q), -ENOENT);
    memcpy(f, arp_req, 42);
    f[15] = 6;
    CHECK_EQ(neigh_parse(f, 42, &q), -EBADMSG);
    /* a broadcast target */
    memcpy(f, arp_req, 42);
    memset(f + 38, 255, 4);
    CHECK_EQ(neigh_parse(f, 42, &q), -ENOENT);
}

static void test_ns(void)
{
    struct neigh_query q;
    uint8_t out[NEIGH_REPLY_MAX], f[96];

    CHECK_EQ(test_csum(ns_req + 14, ns_req + 54, 32), 0);
    CHECK_EQ(neigh_parse(ns_req, sizeof(ns_req), &q), 0);
    CHECK(q.kind == NEIGH_NS && q.target.family == 6 && !memcmp(q.asker_mac, mac1, 6));
    CHECK_EQ(neigh_reply(&q, mac2, out, sizeof(out)), 86);
    CHECK(!memcmp(out, na_rep, 86), "NA differs");
    CHECK_EQ(test_csum(out + 14, out + 54, 32), 0);
    CHECK_EQ(neigh_reply(&q, mac2, out, 85), -ENOSPC);
    for (size_t n = 0; n < sizeof(ns_req); n++)
        CHECK(neigh_parse(ns_req, n, &q) < 0, "length %zu", n);
    /* bad checksum, hop limit below 255: malformed */
    memcpy(f, ns_req, 86);
    f[57] ^= 1;
    CHECK_EQ(neigh_parse(f, 86, &q), -EBADMSG);
    memcpy(f, ns_req, 86);
    f[21] = 254;
    CHECK_EQ(neigh_parse(f, 86, &q), -EBADMSG);
    /* an option of length 0 (checksum fixed up): malformed */
    memcpy(f, ns_req, 86);
    f[79] = 0;
    f[56] = f[57] = 0;
    {
        unsigned c = test_csum(f + 14, f + 54, 32);

        f[56] = (uint8_t)(c >> 8);
        f[57] = (uint8_t)c;
    }
    CHECK_EQ(neigh_parse(f, 86, &q), -EBADMSG);
    /* DAD: from ::, no option; answered never */
    memcpy(f, ns_req, 78);
    memset(f + 22, 0, 16);
    f[19] = 24;
    f[56] = f[57] = 0;
    {
        unsigned c = test_csum(f + 14, f + 54, 24);

        f[56] = (uint8_t)(c >> 8);
        f[57] = (uint8_t)c;
    }
    CHECK_EQ(neigh_parse(f, 78, &q), -ENOENT);
    /* the same NS without the option but from fd00::1: answered to the Ethernet source */
    memcpy(f + 22, ns_req + 22, 16);
    f[56] = f[57] = 0;
    {
        unsigned c = test_csum(f + 14, f + 54, 24);

        f[56] = (uint8_t)(c >> 8);
        f[57] = (uint8_t)c;
    }
    CHECK_EQ(neigh_parse(f, 78, &q), 0);
    CHECK(!memcmp(q.asker_mac, mac1, 6));
}

static void test_snoop(void)
{
    struct neigh_ip ip;
    uint8_t mac[6], f[64];

    CHECK_EQ(neigh_snoop(arp_req, sizeof(arp_req), &ip, mac), 0);
    CHECK(ip.family == 4 && !memcmp(ip.ip, "\x0a\x64\x00\x01", 4) && !memcmp(mac, mac1, 6));
    CHECK_EQ(neigh_snoop(arp_rep, sizeof(arp_rep), &ip, mac), 0);
    CHECK(!memcmp(ip.ip, "\x0a\x64\x00\x02", 4) && !memcmp(mac, mac2, 6));
    CHECK_EQ(neigh_snoop(ns_req, sizeof(ns_req), &ip, mac), 0);
    CHECK(ip.family == 6 && ip.ip[15] == 1 && !memcmp(mac, mac1, 6));
    CHECK_EQ(neigh_snoop(na_rep, sizeof(na_rep), &ip, mac), 0);
    CHECK(ip.family == 6 && ip.ip[15] == 2 && !memcmp(mac, mac2, 6));
    /* sender MAC other than the Ethernet source: not believed */
    memcpy(f, arp_req, 42);
    f[27] = 9;
    CHECK_EQ(neigh_snoop(f, 42, &ip, mac), -ENOENT);
    memcpy(f, arp_req, 42);
    memset(f + 28, 0, 4);
    CHECK_EQ(neigh_snoop(f, 42, &ip, mac), -ENOENT);
    CHECK_EQ(neigh_snoop(arp_req, 20, &ip, mac), -ENOENT);
}

/* What a guest's frame teaches: GARP yes; probes (0.0.0.0), DAD (source ::)
 * and multicast MACs no. */
static void test_snoop_rules(void)
{
    static const uint8_t garp[42] = {
        0xff, 0xff, 0xff, 0xff, 0xff, 0xff, MAC1, 0x08, 0x06,
        0, 1, 0x08, 0, 6, 4, 0, 1, MAC1, IP4_1, 0, 0, 0, 0, 0, 0, IP4_1,
    };
    struct neigh_ip ip;
    uint8_t mac[6], f[86];

    CHECK_EQ(neigh_snoop(garp, sizeof(garp), &ip, mac), 0);
    CHECK(ip.family == 4 && !memcmp(ip.ip, "\x0a\x64\x00\x01", 4) && !memcmp(mac, mac1, 6));
    /* an ARP probe: sender 0.0.0.0 */
    memcpy(f, arp_req, 42);
    memset(f + 28, 0, 4);
    CHECK_EQ(neigh_snoop(f, 42, &ip, mac), -ENOENT);
    /* a multicast sender MAC, in the frame and the ARP body alike */
    memcpy(f, arp_req, 42);
    f[6] |= 1;
    f[22] |= 1;
    CHECK_EQ(neigh_snoop(f, 42, &ip, mac), -ENOENT);
    /* DAD: an NS from :: (no source link-layer option, checksum redone) */
    memcpy(f, ns_req, 86);
    memset(f + 22, 0, 16);
    f[19] = 24;                                     /* payload: the NS without options */
    f[56] = f[57] = 0;
    {
        uint16_t c = (uint16_t)test_csum(f + 14, f + 54, 24);

        f[56] = (uint8_t)(c >> 8);
        f[57] = (uint8_t)c;
    }
    CHECK_EQ(neigh_snoop(f, 78, &ip, mac), -ENOENT);
    CHECK(neigh_ip_unicast(&(struct neigh_ip){ .family = 4, .ip = { IP4_1 } }));
    CHECK(!neigh_ip_unicast(&(struct neigh_ip){ .family = 4, .ip = { 224, 0, 0, 1 } }));
    CHECK(!neigh_ip_unicast(&(struct neigh_ip){ .family = 4, .ip = { IP4_1, 1 } }));
    CHECK(!neigh_ip_unicast(&(struct neigh_ip){ .family = 6, .ip = { 0xff, 2, [15] = 1 } }));
    CHECK(!neigh_ip_unicast(&(struct neigh_ip){ .family = 5 }));
}

/*
 * Origins, one numbered line per step on one address: static beats
 * everything, a local guest beats the ring, and a binding whose MAC
 * changes (or that moves here from another host) takes the sequence
 * number of the one it replaces plus one.
 */
static void test_origins(void)
{
    enum { LEARN, RING, STATIC, CLEAR };
    static const uint8_t m3[6] = { 0x52, 0x54, 0, 0, 1, 3 }, mcast[6] = { 0x33, 0x33, 0, 0, 0, 1 };
    static const struct {
        int op;
        const uint8_t *mac;
        uint64_t seq;                               /* RING: the record's */
        int rc;
        uint8_t origin;                             /* 0: no entry after */
        const uint8_t *want_mac;
        uint64_t want_seq;
    } step[] = {
        /* 0 */ { RING, mac1, 5, 0, NEIGH_ORIGIN_RING, mac1, 5 },
        /* 1 */ { RING, mac2, 7, 0, NEIGH_ORIGIN_RING, mac2, 7 },     /* newer record */
        /* 2 */ { RING, mcast, 9, -EINVAL, NEIGH_ORIGIN_RING, mac2, 7 },
        /* 3 */ { LEARN, mac2, 0, 0, NEIGH_ORIGIN_LOCAL, mac2, 8 },   /* moved here */
        /* 4 */ { LEARN, mac2, 0, 0, NEIGH_ORIGIN_LOCAL, mac2, 8 },   /* refresh */
        /* 5 */ { RING, m3, 20, -EEXIST, NEIGH_ORIGIN_LOCAL, mac2, 8 },
        /* 6 */ { LEARN, m3, 0, 0, NEIGH_ORIGIN_LOCAL, m3, 9 },       /* new MAC, same host */
        /* 7 */ { STATIC, mac1, 0, 0, NEIGH_ORIGIN_STATIC, mac1, 0 },
        /* 8 */ { LEARN, m3, 0, -EPERM, NEIGH_ORIGIN_STATIC, mac1, 0 },
        /* 9 */ { RING, m3, 30, -EPERM, NEIGH_ORIGIN_STATIC, mac1, 0 },
        /* 10 */ { CLEAR, NULL, 0, 0, 0, NULL, 0 },
        /* 11 */ { RING, m3, 3, 0, NEIGH_ORIGIN_RING, m3, 3 },
        /* 12 */ { LEARN, mac1, 0, 0, NEIGH_ORIGIN_LOCAL, mac1, 4 },  /* another MAC here */
    };
    struct neigh_table *t;
    struct neigh_ip a = { .family = 4, .ip = { IP4_1 } }, mc = { .family = 4, .ip = { 224, 0, 0, 1 } };
    const struct neigh_entry *x;
    size_t seen = 0;

    if (!CHECK_EQ(neigh_table_new(4, 3, &t), 0))
        return;
    for (size_t i = 0; i < sizeof(step) / sizeof(step[0]); i++) {
        int rc = 0;

        switch (step[i].op) {
        case LEARN:
            rc = neigh_learn(t, &a, step[i].mac, 1000 + i);
            break;
        case RING:
            rc = neigh_learn_ring(t, &a, step[i].mac, step[i].seq, 1000 + i);
            break;
        case STATIC:
            rc = neigh_set_static(t, &a, step[i].mac);
            break;
        case CLEAR:
            neigh_clear_static(t);
            break;
        }
        CHECK(rc == step[i].rc, "step %zu: rc %d, want %d", i, rc, step[i].rc);
        x = neigh_lookup(t, &a);
        if (!step[i].origin) {
            CHECK(x == NULL, "step %zu: entry left", i);
            continue;
        }
        CHECK(x && x->origin == step[i].origin && !memcmp(x->mac, step[i].want_mac, 6) &&
              x->seq == step[i].want_seq, "step %zu: origin %d seq %llu", i, x ? x->origin : -1,
              x ? (unsigned long long)x->seq : 0ull);
    }
    /* The ring never binds a multicast address; ring entries age with learned ones too. */
    CHECK_EQ(neigh_learn_ring(t, &mc, mac1, 1, 1), -EINVAL);
    CHECK_EQ(neigh_learn_ring(t, &(struct neigh_ip){ .family = 6, .ip = { FD00_2 } }, mac2, 1,
                              2000), 0);
    for (size_t i = 0; i < neigh_capacity(t); i++)
        seen += neigh_at(t, i) != NULL;
    CHECK_EQ(seen, neigh_count(t));
    CHECK(neigh_at(t, neigh_capacity(t)) == NULL);
    /* Ring bindings go sooner than learned ones; learned ones stay. */
    CHECK_EQ(neigh_age_ring(t, 2000 + 100, 100), 0);
    CHECK_EQ(neigh_age_ring(t, 2000 + 101, 100), 1);
    CHECK_EQ(neigh_count(t), 1);
    CHECK(neigh_lookup(t, &a) && neigh_lookup(t, &a)->origin == NEIGH_ORIGIN_LOCAL);
    CHECK_EQ(neigh_learn_ring(t, &(struct neigh_ip){ .family = 6, .ip = { FD00_2 } }, mac2, 1,
                              2000), 0);
    CHECK_EQ(neigh_age(t, 3000 + 300, 300), 2);
    CHECK_EQ(neigh_count(t), 0);
    neigh_table_free(t);
}

static struct neigh_ip v4(uint8_t last)
{
    struct neigh_ip ip = { .family = 4, .ip = { 10, 100, 0, last } };

    return ip;
}

static void test_table(void)
{
    struct neigh_table *t;
    struct neigh_ip a = v4(1), b = v4(2), c = v4(3), d = v4(4);
    const struct neigh_entry *x;
    uint8_t m3[6] = { 0x52, 0x54, 0, 0, 1, 3 };

    if (!CHECK_EQ(neigh_table_new(3, 7, &t), 0))
        return;
    CHECK_EQ(neigh_set_static_text(t, "10.100.0.1/24", mac1), 0);
    CHECK_EQ(neigh_set_static_text(t, "fd00::2/64", mac2), 0);
    CHECK_EQ(neigh_set_static_text(t, "10.100.0/24", mac2), -EINVAL);
    x = neigh_lookup(t, &a);
    CHECK(x && x->is_static && !memcmp(x->mac, mac1, 6));
    /* a learned binding never overrides a static one */
    CHECK_EQ(neigh_learn(t, &a, mac2, 1000), -EPERM);
    CHECK(!memcmp(neigh_lookup(t, &a)->mac, mac1, 6));
    /* IPv4 10.100.0.2 and fd00::2 are different keys */
    CHECK(neigh_lookup(t, &b) == NULL);
    CHECK_EQ(neigh_learn(t, &b, mac2, 1000), 0);
    CHECK_EQ(neigh_count(t), 3);
    /* full: the oldest learned one makes room */
    CHECK_EQ(neigh_learn(t, &c, m3, 2000), 0);
    CHECK(neigh_lookup(t, &b) == NULL && neigh_lookup(t, &c) != NULL);
    /* full of statics: refused */
    CHECK_EQ(neigh_set_static(t, &c, m3), 0);
    CHECK_EQ(neigh_learn(t, &d, m3, 3000), -ENOSPC);
    CHECK_EQ(neigh_count(t), 3);
    /* reload: statics cleared, learned ones age from their last sighting */
    neigh_clear_static(t);
    CHECK_EQ(neigh_count(t), 0);
    CHECK_EQ(neigh_learn(t, &a, mac2, 1000000000ull), 0);
    CHECK_EQ(neigh_learn(t, &b, mac2, 5000000000ull), 0);
    CHECK_EQ(neigh_learn(t, &a, mac1, 6000000000ull), 0);     /* refreshed, moved */
    CHECK(!memcmp(neigh_lookup(t, &a)->mac, mac1, 6));
    CHECK_EQ(neigh_set_static(t, &d, m3), 0);
    CHECK_EQ(neigh_age(t, 305000000000ull, 300000000000ull), 0);
    CHECK_EQ(neigh_age(t, 305000000001ull, 300000000000ull), 1);
    CHECK(neigh_lookup(t, &b) == NULL && neigh_lookup(t, &a) != NULL);
    CHECK_EQ(neigh_age(t, 400000000000ull, 300000000000ull), 1);
    CHECK(neigh_lookup(t, &d) != NULL && neigh_count(t) == 1);
    neigh_table_free(t);
    CHECK_EQ(neigh_table_new(0, 0, &t), -EINVAL);
}

int main(void)
{
    test_arp();
    test_ns();
    test_snoop();
    test_table();
    test_snoop_rules();
    test_origins();
    return CHECK_DONE();
}
