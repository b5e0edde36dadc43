/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * An enclave's member policy on one frame, and the flows that make
 * replies pass: see fw.h. Pure: no I/O, no clock.
 */
#include "overlayd/datapath/fw.h"

#include <sodium.h>
#include <stdlib.h>
#include <string.h>

enum {
    ETH_HDR = 14,
    IPV4_MIN = 20,
    IPV6_HDR = 40,
    ICMP_HDR = 8,                       /* type, code, sum, and the id/seq or unused word */
    V6_EXT_MAX = 8,                     /* extension headers followed before giving up */
};

_Static_assert(sizeof(struct fw_flow) == 50, "fw_flow is hashed and compared whole");

struct fw_slot {
    struct fw_flow f;
    uint64_t expires;                   /* ns; 0: empty */
};

struct fw_table {
    size_t mask;
    uint64_t evictions;
    uint8_t key[crypto_shorthash_KEYBYTES];
    struct fw_slot slot[];
};

static uint16_t fw_be16(const uint8_t *p)
{
    return (uint16_t)(p[0] << 8 | p[1]);
}

/* ---- parsing --------------------------------------------------------------- */

static int fw_ip(struct fw_pkt *p, const uint8_t *ip, size_t len, int depth);

/* @l4: the transport header of @p's flow (protocol and addresses set). */
static int fw_l4(struct fw_pkt *p, const uint8_t *l4, size_t len, int depth)
{
    uint8_t proto = p->flow.proto, type;
    bool v6 = p->flow.family == 6;

    if (p->fragment)
        return 0;                       /* the ports are in the first fragment */
    if (proto == 6 || proto == 17) {
        if (len < 4)
            return -1;
        p->flow.sport = fw_be16(l4);
        p->flow.dport = fw_be16(l4 + 2);
        return 0;
    }
    if (proto != (v6 ? 58 : 1))
        return 0;
    if (len < ICMP_HDR)
        return -1;
    type = l4[0];
    if (v6 && ((type >= 133 && type <= 137) || (type >= 130 && type <= 132) || type == 143)) {
        p->kind = FW_ALWAYS;
        return 0;
    }
    if (v6 ? (type == 128 || type == 129) : (type == 8 || type == 0)) {
        p->flow.sport = p->flow.dport = fw_be16(l4 + 4);
        return 0;
    }
    if (v6 ? (type >= 1 && type <= 4) : (type == 3 || type == 11 || type == 12)) {
        uint8_t to[16];

        /* The quoted packet names the flow; an error about an error is not
         * one, nor one about a packet its receiver did not send. */
        if (depth > 0)
            return -1;
        memcpy(to, p->flow.dst, sizeof(to));
        memset(&p->flow, 0, sizeof(p->flow));
        if (fw_ip(p, l4 + ICMP_HDR, len - ICMP_HDR, depth + 1) < 0 || p->kind != FW_FLOW ||
            p->flow.family != (v6 ? 6 : 4) || memcmp(p->flow.src, to, sizeof(to)) != 0)
            return -1;
        p->kind = FW_ICMP_ERROR;
    }
    return 0;
}

static int fw_ipv4(struct fw_pkt *p, const uint8_t *ip, size_t len, int depth)
{
    size_t ihl, tot;

    if (len < IPV4_MIN || ip[0] >> 4 != 4)
        return -1;
    ihl = (size_t)(ip[0] & 15) * 4;
    tot = fw_be16(ip + 2);
    if (ihl < IPV4_MIN || ihl > len || tot < ihl)
        return -1;
    if (tot < len)
        len = tot;                      /* Ethernet padding; a quoted packet may be cut short */
    p->fragment = (fw_be16(ip + 6) & 0x1fff) != 0;
    p->flow.family = 4;
    p->flow.proto = ip[9];
    memcpy(p->flow.src, ip + 12, 4);
    memcpy(p->flow.dst, ip + 16, 4);
    return fw_l4(p, ip + ihl, len - ihl, depth);
}

static int fw_ipv6(struct fw_pkt *p, const uint8_t *ip, size_t len, int depth)
{
    size_t off = IPV6_HDR, tot;
    uint8_t nh;

    if (len < IPV6_HDR || ip[0] >> 4 != 6)
        return -1;
    tot = IPV6_HDR + (size_t)fw_be16(ip + 4);
    if (tot < len)
        len = tot;
    nh = ip[6];
    for (int n = 0; nh == 0 || nh == 43 || nh == 60 || nh == 44 || nh == 51; n++) {
        size_t hl;

        if (n == V6_EXT_MAX || len - off < 8)
            return -1;
        if (nh == 44) {
            p->fragment = (fw_be16(ip + off + 2) & 0xfff8) != 0;
            hl = 8;
        } else {
            hl = nh == 51 ? ((size_t)ip[off + 1] + 2) * 4 : ((size_t)ip[off + 1] + 1) * 8;
        }
        nh = ip[off];
        if (hl > len - off)
            return -1;
        off += hl;
        if (p->fragment)
            break;                      /* what follows is not a header we can trust */
    }
    p->flow.family = 6;
    p->flow.proto = nh;
    memcpy(p->flow.src, ip + 8, 16);
    memcpy(p->flow.dst, ip + 24, 16);
    return fw_l4(p, ip + off, len - off, depth);
}

static int fw_ip(struct fw_pkt *p, const uint8_t *ip, size_t len, int depth)
{
    p->kind = FW_FLOW;
    p->fragment = false;
    if (len && ip[0] >> 4 == 4)
        return fw_ipv4(p, ip, len, depth);
    return fw_ipv6(p, ip, len, depth);
}

int fw_classify(const uint8_t *frame, size_t len, struct fw_pkt *p)
{
    uint16_t type;
    int rc;

    memset(p, 0, sizeof(*p));
    p->kind = FW_MALFORMED;
    if (len < ETH_HDR)
        return -1;
    type = fw_be16(frame + 12);
    if (type == 0x0806 || type == 0x8035) {
        p->kind = FW_ALWAYS;
        return 0;
    }
    if (type != 0x0800 && type != 0x86dd) {
        p->kind = FW_NOT_IP;
        return 0;
    }
    /* The ethertype and the version must agree: the rules judge what a
     * receiver will parse. */
    if (len == ETH_HDR || frame[ETH_HDR] >> 4 != (type == 0x0800 ? 4 : 6))
        return -1;
    rc = fw_ip(p, frame + ETH_HDR, len - ETH_HDR, 0);
    if (rc < 0) {
        memset(p, 0, sizeof(*p));
        p->kind = FW_MALFORMED;
        return rc;
    }
    /* The quoted packet went the other way: from the error's receiver to
     * its sender. */
    memcpy(p->flow.src_mac, p->kind == FW_ICMP_ERROR ? frame : frame + 6, 6);
    memcpy(p->flow.dst_mac, p->kind == FW_ICMP_ERROR ? frame + 6 : frame, 6);
    return 0;
}

/* ---- the flow table -------------------------------------------------------- */

struct fw_table *fw_table_new(size_t slots, const uint8_t key[16])
{
    size_t n = FW_PROBE;
    struct fw_table *t;

    while (n < slots)
        n <<= 1;
    t = calloc(1, sizeof(*t) + n * sizeof(t->slot[0]));
    if (!t)
        return NULL;
    t->mask = n - 1;
    memcpy(t->key, key, sizeof(t->key));
    return t;
}

void fw_table_free(struct fw_table *t)
{
    free(t);
}

void fw_table_flush(struct fw_table *t)
{
    memset(t->slot, 0, (t->mask + 1) * sizeof(t->slot[0]));
}

size_t fw_table_flows(const struct fw_table *t, uint64_t now)
{
    size_t n = 0;

    for (size_t i = 0; i <= t->mask; i++)
        n += t->slot[i].expires > now;
    return n;
}

uint64_t fw_table_evictions(const struct fw_table *t)
{
    return t->evictions;
}

static size_t fw_hash(const struct fw_table *t, const struct fw_flow *f)
{
    uint8_t h[crypto_shorthash_BYTES];
    uint64_t v;

    crypto_shorthash(h, (const uint8_t *)f, sizeof(*f), t->key);
    memcpy(&v, h, sizeof(v));
    return (size_t)v;
}

static uint64_t fw_idle(const struct fw_flow *f)
{
    switch (f->proto) {
    case 6:
        return FW_IDLE_TCP_NS;
    case 17:
        return FW_IDLE_UDP_NS;
    case 1:
    case 58:
        return FW_IDLE_ICMP_NS;
    default:
        return FW_IDLE_OTHER_NS;
    }
}

static struct fw_slot *fw_find(struct fw_table *t, const struct fw_flow *f, uint64_t now)
{
    size_t i = fw_hash(t, f);

    for (size_t k = 0; k < FW_PROBE; k++) {
        struct fw_slot *s = &t->slot[(i + k) & t->mask];

        if (s->expires > now && memcmp(&s->f, f, sizeof(*f)) == 0)
            return s;
    }
    return NULL;
}

static void fw_track(struct fw_table *t, const struct fw_flow *f, uint64_t now)
{
    size_t i = fw_hash(t, f);
    struct fw_slot *victim = NULL;

    for (size_t k = 0; k < FW_PROBE; k++) {
        struct fw_slot *s = &t->slot[(i + k) & t->mask];

        if (s->expires <= now) {
            victim = s;
            break;
        }
        if (!victim || s->expires < victim->expires)
            victim = s;
    }
    if (victim->expires > now)
        t->evictions++;
    victim->f = *f;
    victim->expires = now + fw_idle(f);
}

static void fw_reverse(const struct fw_flow *f, struct fw_flow *r)
{
    *r = *f;
    memcpy(r->src, f->dst, sizeof(r->src));
    memcpy(r->dst, f->src, sizeof(r->dst));
    memcpy(r->src_mac, f->dst_mac, sizeof(r->src_mac));
    memcpy(r->dst_mac, f->src_mac, sizeof(r->dst_mac));
    r->sport = f->dport;
    r->dport = f->sport;
}

/* The slot of @f's flow, either way, or NULL. */
static struct fw_slot *fw_seen(struct fw_table *t, const struct fw_flow *f, uint64_t now)
{
    struct fw_flow r;
    struct fw_slot *s = fw_find(t, f, now);

    if (s)
        return s;
    fw_reverse(f, &r);
    return fw_find(t, &r, now);
}

enum fw_verdict fw_check(struct fw_table *t, const uint8_t *frame, size_t len, uint64_t now,
                         fw_allows_fn allows, void *ctx)
{
    struct fw_pkt p;
    struct fw_slot *s;

    if (fw_classify(frame, len, &p) < 0)
        return FW_DENY_MALFORMED;
    switch (p.kind) {
    case FW_ALWAYS:
        return FW_PASS_ALWAYS;
    case FW_ICMP_ERROR:
        if (fw_seen(t, &p.flow, now))
            return FW_PASS_TRACKED;
        return allows(ctx, p.flow.family == 6 ? 58 : 1, 0) ? FW_PASS_RULE : FW_DENY;
    case FW_NOT_IP:
        /* One flow for every non-IP frame would let anything by: rules only. */
        return allows(ctx, 0, 0) ? FW_PASS_RULE : FW_DENY;
    case FW_FLOW:
        break;
    default:
        return FW_DENY_MALFORMED;
    }
    if (p.fragment)
        return allows(ctx, p.flow.proto, 0) ? FW_PASS_RULE : FW_DENY;
    if ((s = fw_seen(t, &p.flow, now))) {
        s->expires = now + fw_idle(&s->f);
        return FW_PASS_TRACKED;
    }
    if (!allows(ctx, p.flow.proto, p.flow.dport))
        return FW_DENY;
    fw_track(t, &p.flow, now);
    return FW_PASS_RULE;
}
