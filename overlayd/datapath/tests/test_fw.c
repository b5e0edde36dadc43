/* SPDX-License-Identifier: GPL-2.0-only */
/* fw.c: frames classified, rules asked only when no flow decides, replies, ICMP errors, the table's bound. */
#include <string.h>

#include "overlayd/datapath/fw.h"
#include "lib/check.h"

static const uint8_t KEY[16] = { 1, 2, 3 };
static const uint8_t A4[4] = { 10, 100, 0, 1 }, B4[4] = { 10, 100, 0, 2 };

struct rules {
    int asked;
    uint8_t proto;                      /* what is allowed: proto and port (0: any) */
    uint16_t port;
    uint8_t last_proto;
    uint16_t last_port;
};

static bool allows(void *ctx, uint8_t proto, uint16_t dport)
{
    struct rules *r = ctx;

    r->asked++;
    r->last_proto = proto;
    r->last_port = dport;
    return proto == r->proto && (!r->port || dport == r->port);
}

static size_t eth(uint8_t *f, uint16_t type)
{
    memset(f, 0, 14);
    f[0] = 0x52;
    f[6] = 0x52;
    f[12] = (uint8_t)(type >> 8);
    f[13] = (uint8_t)type;
    return 14;
}

/* IPv4 + 8 bytes of L4: ports for TCP/UDP, type/id for ICMP. */
static size_t v4(uint8_t *f, const uint8_t *s, const uint8_t *d, uint8_t proto, uint16_t a,
                 uint16_t b)
{
    size_t n = eth(f, 0x0800);
    uint8_t *ip = f + n;

    memset(ip, 0, 28);
    ip[0] = 0x45;
    ip[3] = 28;
    ip[9] = proto;
    memcpy(ip + 12, s, 4);
    memcpy(ip + 16, d, 4);
    ip[20] = (uint8_t)(a >> 8);
    ip[21] = (uint8_t)a;
    ip[22] = (uint8_t)(b >> 8);
    ip[23] = (uint8_t)b;
    return n + 28;
}

static size_t icmp4(uint8_t *f, const uint8_t *s, const uint8_t *d, uint8_t type, uint16_t id)
{
    size_t n = v4(f, s, d, 1, (uint16_t)(type << 8), 0);

    f[14 + 24] = (uint8_t)(id >> 8);
    f[14 + 25] = (uint8_t)id;
    return n;
}

static void test_always(void)
{
    struct fw_table *t = fw_table_new(64, KEY);
    struct rules r = { 0 };
    uint8_t f[128];
    size_t n;

    n = eth(f, 0x0806);
    CHECK(fw_check(t, f, n + 28, 0, allows, &r) == FW_PASS_ALWAYS);
    n = eth(f, 0x8035);
    CHECK(fw_check(t, f, n + 28, 0, allows, &r) == FW_PASS_ALWAYS);
    /* IPv6 neighbour solicitation */
    n = eth(f, 0x86dd);
    memset(f + n, 0, 64);
    f[n] = 0x60;
    f[n + 5] = 24;
    f[n + 6] = 58;
    f[n + 40] = 135;
    CHECK(fw_check(t, f, n + 64, 0, allows, &r) == FW_PASS_ALWAYS);
    CHECK(r.asked == 0);
    fw_table_free(t);
}

static void test_tcp_reply(void)
{
    struct fw_table *t = fw_table_new(64, KEY);
    struct rules r = { .proto = 6, .port = 5432 };
    uint8_t f[128];
    size_t n;

    /* The reply before any request: denied. */
    n = v4(f, B4, A4, 6, 5432, 40000);
    CHECK(fw_check(t, f, n, 0, allows, &r) == FW_DENY);
    CHECK(r.last_port == 40000);
    n = v4(f, A4, B4, 6, 40000, 5432);
    CHECK(fw_check(t, f, n, 1, allows, &r) == FW_PASS_RULE);
    CHECK(fw_table_flows(t, 1) == 1);
    r.asked = 0;
    CHECK(fw_check(t, f, n, 2, allows, &r) == FW_PASS_TRACKED);
    n = v4(f, B4, A4, 6, 5432, 40000);
    CHECK(fw_check(t, f, n, 3, allows, &r) == FW_PASS_TRACKED);
    CHECK(r.asked == 0);
    /* Another port of the same hosts is its own flow. */
    n = v4(f, A4, B4, 6, 40000, 22);
    CHECK(fw_check(t, f, n, 4, allows, &r) == FW_DENY);
    CHECK(r.asked == 1 && r.last_proto == 6 && r.last_port == 22);
    /* Idle past its time, the flow is gone: the reply is asked again. */
    n = v4(f, B4, A4, 6, 5432, 40000);
    CHECK(fw_check(t, f, n, 3 + FW_IDLE_TCP_NS, allows, &r) == FW_DENY);
    fw_table_free(t);
}

static void test_icmp(void)
{
    struct fw_table *t = fw_table_new(64, KEY);
    struct rules r = { .proto = 1 };
    uint8_t f[128], e[128];
    size_t n, m;

    n = icmp4(f, A4, B4, 8, 77);
    CHECK(fw_check(t, f, n, 0, allows, &r) == FW_PASS_RULE);
    r.proto = 0;                        /* no rule any more: only the flow passes */
    n = icmp4(f, B4, A4, 0, 77);
    CHECK(fw_check(t, f, n, 1, allows, &r) == FW_PASS_TRACKED);
    n = icmp4(f, B4, A4, 0, 78);
    CHECK(fw_check(t, f, n, 1, allows, &r) == FW_DENY);

    /* An error quoting a tracked TCP packet passes; quoting another, not. */
    r.proto = 6;
    n = v4(f, A4, B4, 6, 40000, 5432);
    CHECK(fw_check(t, f, n, 2, allows, &r) == FW_PASS_RULE);
    r.proto = 0;
    m = v4(e, B4, A4, 1, 3 << 8, 0);     /* destination unreachable, 8 bytes of ICMP */
    memcpy(e + m, f + 14, 28);          /* the quoted packet: IPv4 header + 8 bytes */
    e[14 + 3] = 56;
    CHECK(fw_check(t, e, m + 28, 3, allows, &r) == FW_PASS_TRACKED);
    e[m + 22] = 0;                      /* quotes destination port 0x0038: no flow */
    CHECK(fw_check(t, e, m + 28, 3, allows, &r) == FW_DENY);
    CHECK(r.last_proto == 1);
    /* Cut inside the quoted header: malformed, refused. */
    CHECK(fw_check(t, e, m + 10, 3, allows, &r) == FW_DENY_MALFORMED);
    fw_table_free(t);
}

/* The reviewer's bypass: a rule lets C reach D; C then sends the same
 * addresses and ports to another guest's MAC. That is another flow. */
static void test_flow_macs(void)
{
    struct fw_table *t = fw_table_new(64, KEY);
    struct rules r = { .proto = 6, .port = 80 };
    uint8_t f[128];
    size_t n;

    n = v4(f, A4, B4, 6, 40000, 80);
    f[5] = 0xd;                         /* to D's MAC */
    CHECK(fw_check(t, f, n, 0, allows, &r) == FW_PASS_RULE);
    r.proto = 0;                        /* what C may not do any more, by rule */
    f[5] = 0xa;                         /* the same 5-tuple to A's MAC */
    CHECK(fw_check(t, f, n, 1, allows, &r) == FW_DENY);
    /* ... and A's answer is no reply of C's flow with D. */
    n = v4(f, B4, A4, 6, 80, 40000);
    memset(f, 0, 12);
    f[0] = 0x52;
    f[6] = 0x52;
    f[11] = 0xa;
    CHECK(fw_check(t, f, n, 2, allows, &r) == FW_DENY);
    f[11] = 0xd;                        /* D's answer is */
    CHECK(fw_check(t, f, n, 2, allows, &r) == FW_PASS_TRACKED);
    fw_table_free(t);
}

/* ICMP errors: the quote must be of a packet the error's receiver sent,
 * to the MAC the error comes from. */
static void test_icmp_error_bound(void)
{
    static const uint8_t C4[4] = { 10, 100, 0, 3 };
    struct fw_table *t = fw_table_new(64, KEY);
    struct rules r = { .proto = 6 };
    uint8_t f[128], e[128];
    size_t n, m;

    n = v4(f, A4, B4, 6, 40000, 443);
    CHECK(fw_check(t, f, n, 0, allows, &r) == FW_PASS_RULE);
    r.proto = 0;
    /* From B's MAC to A, quoting A's packet: passes. */
    m = v4(e, B4, A4, 1, 3 << 8, 0);
    memcpy(e + m, f + 14, 28);
    e[14 + 3] = 56;
    CHECK(fw_check(t, e, m + 28, 1, allows, &r) == FW_PASS_TRACKED);
    /* The same error from C's MAC: no flow of A with C; the rules say no. */
    e[11] = 0xc;
    CHECK(fw_check(t, e, m + 28, 1, allows, &r) == FW_DENY);
    e[11] = 0;
    /* Sent to C (outer destination C), quoting A's packet: refused. */
    memcpy(e + 14 + 16, C4, 4);
    CHECK(fw_check(t, e, m + 28, 1, allows, &r) == FW_DENY_MALFORMED);
    fw_table_free(t);
}

static void test_other(void)
{
    struct fw_table *t = fw_table_new(64, KEY);
    struct rules r = { .proto = 17 };
    uint8_t f[128];
    size_t n;

    /* A VLAN tag hides what is inside: only an `any` rule (proto 0) lets it by. */
    n = eth(f, 0x8100);
    CHECK(fw_check(t, f, n + 46, 0, allows, &r) == FW_DENY);
    CHECK(r.last_proto == 0);
    r.proto = 0;
    CHECK(fw_check(t, f, n + 46, 0, allows, &r) == FW_PASS_RULE);
    CHECK(fw_table_flows(t, 0) == 0);   /* non-IP frames make no flow */
    /* A later fragment: asked with port 0, never tracked. */
    r.proto = 17;
    r.port = 53;
    n = v4(f, A4, B4, 17, 40000, 53);
    f[14 + 6] = 0x00;
    f[14 + 7] = 0x10;
    CHECK(fw_check(t, f, n, 0, allows, &r) == FW_DENY);
    CHECK(r.last_port == 0);
    r.port = 0;
    CHECK(fw_check(t, f, n, 0, allows, &r) == FW_PASS_RULE);
    CHECK(fw_table_flows(t, 0) == 0);
    /* Ethertype IPv4 with an IPv6 header, a short header, a bad IHL. */
    n = v4(f, A4, B4, 17, 1, 2);
    f[14] = 0x65;
    CHECK(fw_check(t, f, n, 0, allows, &r) == FW_DENY_MALFORMED);
    f[14] = 0x45;
    CHECK(fw_check(t, f, 14 + 19, 0, allows, &r) == FW_DENY_MALFORMED);
    CHECK(fw_check(t, f, 14, 0, allows, &r) == FW_DENY_MALFORMED);
    f[14] = 0x44;
    CHECK(fw_check(t, f, n, 0, allows, &r) == FW_DENY_MALFORMED);
    fw_table_free(t);
}

static void test_v6_ext(void)
{
    struct fw_table *t = fw_table_new(64, KEY);
    struct rules r = { .proto = 17, .port = 53 };
    uint8_t f[160];
    size_t n = eth(f, 0x86dd);
    uint8_t *ip = f + n;

    memset(ip, 0, 80);
    ip[0] = 0x60;
    ip[5] = 24;                         /* hop-by-hop (8) + destination options (8) + UDP (8) */
    ip[6] = 0;
    ip[8] = 0xfd;
    ip[24] = 0xfd;
    ip[39] = 2;
    ip[40] = 60;                        /* hop-by-hop: next destination options, 8 bytes */
    ip[48] = 17;                        /* destination options: next UDP, 8 bytes */
    ip[56 + 1] = 99;                    /* sport 99 */
    ip[56 + 3] = 53;                    /* dport 53 */
    CHECK(fw_check(t, f, n + 64, 0, allows, &r) == FW_PASS_RULE);
    CHECK(r.last_proto == 17 && r.last_port == 53);
    /* An extension header running past the packet. */
    ip[49] = 200;
    CHECK(fw_check(t, f, n + 64, 0, allows, &r) == FW_DENY_MALFORMED);
    fw_table_free(t);
}

/* A full neighbourhood: the flow closest to idling out makes room, counted. */
static void test_bound(void)
{
    struct fw_table *t = fw_table_new(8, KEY);
    struct rules r = { .proto = 17 };
    uint8_t f[128];
    size_t n;

    for (uint16_t p = 1; p <= 100; p++) {
        n = v4(f, A4, B4, 17, p, 53);
        CHECK(fw_check(t, f, n, p, allows, &r) == FW_PASS_RULE);
    }
    CHECK(fw_table_flows(t, 100) == 8);
    CHECK(fw_table_evictions(t) == 92);
    /* The last flows stay; the first went. */
    r.proto = 0;
    n = v4(f, A4, B4, 17, 100, 53);
    CHECK(fw_check(t, f, n, 101, allows, &r) == FW_PASS_TRACKED);
    n = v4(f, A4, B4, 17, 1, 53);
    CHECK(fw_check(t, f, n, 101, allows, &r) == FW_DENY);
    fw_table_flush(t);
    CHECK(fw_table_flows(t, 101) == 0);
    fw_table_free(t);
}

int main(void)
{
    test_always();
    test_tcp_reply();
    test_icmp();
    test_flow_macs();
    test_icmp_error_bound();
    test_other();
    test_v6_ext();
    test_bound();
    return CHECK_DONE();
}
