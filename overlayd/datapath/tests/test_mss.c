/* SPDX-License-Identifier: GPL-2.0-only */
/* mss.c: MSS clamping of SYNs, checksums recomputed from scratch, every truncation. */
#include <stdlib.h>
#include <string.h>

#include "overlayd/datapath/mss.h"
#include "lib/check.h"

enum { MTU = 1418, FRAME_CAP = 256 };

/* What to build: a TCP segment in IPv4 or IPv6 in Ethernet. */
struct spec {
    int family;                         /* 4 or 6 */
    uint16_t tag;                       /* 0, or a VLAN TPID (0x8100, 0x88a8) */
    uint8_t flags;                      /* TCP flags */
    const uint8_t *opts;                /* TCP options, a multiple of 4 bytes */
    size_t opts_len;
    const uint8_t *ext;                 /* IPv6 extension headers, chained to TCP (6) */
    size_t ext_len;
    uint8_t ext_first;                  /* IPv6 next header of the base header when ext */
    uint16_t frag;                      /* IPv4 flags and fragment offset */
    size_t payload;                     /* TCP payload bytes (a SYN may carry data) */
    size_t pad;                         /* Ethernet padding after the IP packet */
};

/* Where build() put things. */
struct built {
    uint8_t f[FRAME_CAP];
    size_t len, ip, tcp, end;           /* end: of the IP packet */
};

static const uint8_t opts_mss1460[] = { 2, 4, 0x05, 0xb4, 1, 1, 4, 2 };            /* MSS 1460, NOP NOP SACK-perm */
static const uint8_t opts_linux[] = { 2, 4, 0x05, 0xb4, 4, 2, 8, 10, 0, 0, 0, 1,
                                      0, 0, 0, 0, 1, 3, 3, 7 };                     /* as Linux sends */
static const uint8_t opts_odd[] = { 1, 2, 4, 0x05, 0xb4, 1, 1, 0 };                /* MSS at odd offset 21 */
static const uint8_t opts_small[] = { 2, 4, 0x05, 0x14, 1, 1, 1, 0 };              /* MSS 1300 */

/* The Internet checksum of a TCP segment with its pseudo-header, from
 * scratch (RFC 793, RFC 8200 8.1); 0 when the segment is intact. */
static unsigned tcp_csum(const struct built *b)
{
    const uint8_t *ip = b->f + b->ip, *t = b->f + b->tcp;
    size_t tlen = b->end - b->tcp;
    unsigned long sum = 0;

    if ((ip[0] >> 4) == 4) {
        for (size_t i = 12; i < 20; i += 2)
            sum += (unsigned)ip[i] << 8 | ip[i + 1];
    } else {
        for (size_t i = 8; i < 40; i += 2)
            sum += (unsigned)ip[i] << 8 | ip[i + 1];
    }
    sum += 6 + tlen;
    for (size_t i = 0; i < tlen; i += 2)
        sum += (unsigned)t[i] << 8 | (i + 1 < tlen ? t[i + 1] : 0);
    while (sum > 0xffff)
        sum = (sum & 0xffff) + (sum >> 16);
    return ~sum & 0xffff;
}

static void put16(uint8_t *p, unsigned v)
{
    p[0] = (uint8_t)(v >> 8);
    p[1] = (uint8_t)v;
}

static void build(const struct spec *s, struct built *b)
{
    static const uint8_t src4[4] = { 10, 100, 0, 1 }, dst4[4] = { 10, 100, 0, 2 };
    static const uint8_t src6[16] = { 0xfd, 0, [15] = 1 }, dst6[16] = { 0xfd, 0, [15] = 2 };
    size_t o = 12, tlen = 20 + s->opts_len + s->payload, iphdr;
    uint8_t *t;
    unsigned c;

    memset(b, 0, sizeof(*b));
    memcpy(b->f, "\x52\x54\x00\x00\x01\x02\x52\x54\x00\x00\x01\x01", 12);
    if (s->tag) {
        put16(b->f + o, s->tag);
        put16(b->f + o + 2, 42);
        o += 4;
    }
    put16(b->f + o, s->family == 4 ? 0x0800 : 0x86dd);
    b->ip = o + 2;
    if (s->family == 4) {
        uint8_t *ip = b->f + b->ip;

        iphdr = 20;
        ip[0] = 0x45;
        put16(ip + 2, (unsigned)(iphdr + tlen));
        put16(ip + 4, 0x1234);
        put16(ip + 6, s->frag ? s->frag : 0x4000);       /* DF */
        ip[8] = 64;
        ip[9] = 6;
        memcpy(ip + 12, src4, 4);
        memcpy(ip + 16, dst4, 4);
    } else {
        uint8_t *ip = b->f + b->ip;

        iphdr = 40 + s->ext_len;
        ip[0] = 0x60;
        put16(ip + 4, (unsigned)(s->ext_len + tlen));
        ip[6] = s->ext_len ? s->ext_first : 6;
        ip[7] = 64;
        memcpy(ip + 8, src6, 16);
        memcpy(ip + 24, dst6, 16);
        if (s->ext_len)
            memcpy(ip + 40, s->ext, s->ext_len);
    }
    b->tcp = b->ip + iphdr;
    b->end = b->tcp + tlen;
    b->len = b->end + s->pad;
    t = b->f + b->tcp;
    put16(t, 40000);
    put16(t + 2, 5201);
    memcpy(t + 4, "\x11\x22\x33\x44", 4);
    t[12] = (uint8_t)((20 + s->opts_len) / 4 << 4);
    t[13] = s->flags;
    put16(t + 14, 64240);
    if (s->opts_len)
        memcpy(t + 20, s->opts, s->opts_len);
    for (size_t i = 0; i < s->payload; i++)
        t[20 + s->opts_len + i] = (uint8_t)(0xa5 ^ i);
    for (size_t i = 0; i < s->pad; i++)
        b->f[b->end + i] = 0xee;
    c = tcp_csum(b);
    put16(t + 16, c);
}

/* Only the 2 bytes at @at (the MSS value) and the checksum may differ. */
static bool same_but(const struct built *a, const struct built *b, size_t at)
{
    for (size_t i = 0; i < a->len; i++) {
        if (i == at || i == at + 1 || i == a->tcp + 16 || i == a->tcp + 17)
            continue;
        if (a->f[i] != b->f[i])
            return false;
    }
    return true;
}

static unsigned rd16(const uint8_t *p)
{
    return (unsigned)p[0] << 8 | p[1];
}

/* @s clamped: the MSS value at TCP offset @mss_at becomes @want, the
 * checksum is right, nothing else moved. */
static void expect_clamped(const struct spec *s, size_t mss_at, unsigned want)
{
    struct built b, orig;

    build(s, &b);
    orig = b;
    CHECK_EQ(tcp_csum(&b), 0);
    CHECK(mss_clamp(b.f, b.len, MTU));
    CHECK_EQ(rd16(b.f + b.tcp + mss_at), want);
    CHECK_EQ(tcp_csum(&b), 0);
    CHECK(same_but(&orig, &b, b.tcp + mss_at));
    /* A second pass finds nothing to do. */
    CHECK(!mss_clamp(b.f, b.len, MTU));
}

static void expect_untouched(const struct spec *s, unsigned mtu)
{
    struct built b, orig;

    build(s, &b);
    orig = b;
    CHECK(!mss_clamp(b.f, b.len, mtu));
    CHECK(!memcmp(orig.f, b.f, b.len));
}

static void test_v4(void)
{
    struct spec s = { .family = 4, .flags = 0x02, .opts = opts_linux,
                      .opts_len = sizeof(opts_linux) };

    expect_clamped(&s, 22, MTU - 40);
    s.flags = 0x12;                                         /* SYN-ACK */
    expect_clamped(&s, 22, MTU - 40);
    s.opts = opts_odd;                                      /* checksum word split */
    s.opts_len = sizeof(opts_odd);
    expect_clamped(&s, 23, MTU - 40);
    s.payload = 7;                                          /* data on the SYN, odd length */
    s.pad = 0;
    expect_clamped(&s, 23, MTU - 40);
}

static void test_v6(void)
{
    struct spec s = { .family = 6, .flags = 0x02, .opts = opts_mss1460,
                      .opts_len = sizeof(opts_mss1460) };

    expect_clamped(&s, 22, MTU - 60);
    s.opts = opts_odd;
    s.opts_len = sizeof(opts_odd);
    expect_clamped(&s, 23, MTU - 60);
}

static void test_untouched(void)
{
    struct spec s = { .family = 4, .flags = 0x02, .opts = opts_small,
                      .opts_len = sizeof(opts_small) };

    expect_untouched(&s, MTU);                              /* 1300 < 1378: never raised */
    s.family = 6;
    expect_untouched(&s, MTU);                              /* 1300 < 1358 */
    s.opts = opts_mss1460;
    s.opts_len = sizeof(opts_mss1460);
    expect_untouched(&s, 1520);                             /* exactly 1460 */
    s.family = 4;
    expect_untouched(&s, 1500);
    s.flags = 0x10;                                         /* ACK, not a SYN */
    expect_untouched(&s, MTU);
    s.flags = 0x02;
    s.opts = NULL;                                          /* no options */
    s.opts_len = 0;
    expect_untouched(&s, MTU);
    s.opts = opts_mss1460;
    s.opts_len = sizeof(opts_mss1460);
    s.frag = 0x2000;                                        /* MF: a first fragment */
    expect_untouched(&s, MTU);
    s.frag = 0x0001;                                        /* a later one */
    expect_untouched(&s, MTU);
    s.frag = 0;
    expect_untouched(&s, 40);                               /* no room for any MSS */
    {
        static const uint8_t eol_first[] = { 0, 2, 4, 0x05, 0xb4, 0, 0, 0 };
        static const uint8_t bad_len[] = { 3, 1, 2, 4, 0x05, 0xb4, 0, 0 };
        static const uint8_t mss_len6[] = { 2, 6, 0x05, 0xb4, 0, 0, 1, 0 };

        s.opts = eol_first;                                 /* after end of options */
        expect_untouched(&s, MTU);
        s.opts = bad_len;                                   /* length 1: walk stops */
        expect_untouched(&s, MTU);
        s.opts = mss_len6;                                  /* MSS of the wrong length */
        expect_untouched(&s, MTU);
    }
}

static void test_vlan(void)
{
    struct spec s = { .family = 4, .tag = 0x8100, .flags = 0x02, .opts = opts_mss1460,
                      .opts_len = sizeof(opts_mss1460) };
    struct built b;

    expect_clamped(&s, 22, MTU - 40);
    s.tag = 0x88a8;
    s.family = 6;
    expect_clamped(&s, 22, MTU - 60);
    /* Two tags (QinQ): the inner one is not looked through. */
    build(&s, &b);
    memmove(b.f + 20, b.f + 16, b.len - 16);
    b.f[16] = 0x81;
    b.f[17] = 0x00;
    b.f[18] = 0;
    b.f[19] = 7;
    CHECK(!mss_clamp(b.f, b.len + 4, MTU));
}

static void test_v6_ext(void)
{
    /* hop-by-hop (8 bytes, PadN) -> destination options (16 bytes) -> TCP */
    static const uint8_t hbh_dst[] = {
        60, 0, 1, 4, 0, 0, 0, 0,
        6, 1, 1, 12, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    };
    /* routing header (type 0, no addresses left) -> TCP */
    static const uint8_t rh[] = { 6, 0, 0, 0, 0, 0, 0, 0 };
    /* fragment header -> TCP: never touched */
    static const uint8_t fh[] = { 6, 0, 0, 0, 0, 0, 0, 1 };
    /* an extension header claiming more bytes than the packet has */
    static const uint8_t too_long[] = { 6, 200, 0, 0, 0, 0, 0, 0 };
    struct spec s = { .family = 6, .flags = 0x02, .opts = opts_mss1460,
                      .opts_len = sizeof(opts_mss1460), .ext = hbh_dst,
                      .ext_len = sizeof(hbh_dst), .ext_first = 0 };

    expect_clamped(&s, 22, MTU - 60);
    s.ext = rh;
    s.ext_len = sizeof(rh);
    s.ext_first = 43;
    expect_clamped(&s, 22, MTU - 60);
    s.ext = fh;
    s.ext_first = 44;
    expect_untouched(&s, MTU);
    s.ext = too_long;
    s.ext_first = 60;
    expect_untouched(&s, MTU);
    s.ext = rh;
    s.ext_first = 51;                                       /* AH: not ours to change */
    expect_untouched(&s, MTU);
}

/* Ethernet padding is not TCP: the IP length bounds the segment. */
static void test_padding(void)
{
    struct spec s = { .family = 4, .flags = 0x02, .opts = opts_mss1460,
                      .opts_len = sizeof(opts_mss1460), .pad = 6 };

    expect_clamped(&s, 22, MTU - 40);
}

/* Every MSS value, every option alignment, both families: the
 * incremental checksum always equals one computed from scratch. */
static void test_checksum_sweep(void)
{
    uint8_t opts[12];
    unsigned bad = 0, clamped = 0;

    for (int fam = 4; fam <= 6; fam += 2) {
        for (size_t nops = 0; nops < 4; nops++) {
            for (unsigned mss = 0; mss <= 0xffff; mss += 7) {
                struct spec s = { .family = fam, .flags = 0x02, .opts = opts,
                                  .opts_len = sizeof(opts), .payload = mss & 3 };
                struct built b;
                unsigned want = fam == 4 ? MTU - 40 : MTU - 60;

                memset(opts, 0, sizeof(opts));
                memset(opts, 1, nops);
                opts[nops] = 2;
                opts[nops + 1] = 4;
                put16(opts + nops + 2, mss);
                build(&s, &b);
                if (mss_clamp(b.f, b.len, MTU)) {
                    clamped++;
                    bad += rd16(b.f + b.tcp + 22 + nops) != want;
                } else {
                    bad += mss <= want ? 0 : 1;
                }
                bad += tcp_csum(&b) != 0;
            }
        }
    }
    CHECK_EQ(bad, 0);
    CHECK(clamped > 1000);
}

/* Every prefix of every frame, in a buffer of exactly that size (ASan
 * sees a read past it): never changed, since the IP length no longer fits. */
static void test_truncated(void)
{
    static const uint8_t hbh[] = { 6, 0, 1, 4, 0, 0, 0, 0 };
    const struct spec specs[] = {
        { .family = 4, .flags = 0x02, .opts = opts_linux, .opts_len = sizeof(opts_linux) },
        { .family = 6, .tag = 0x8100, .flags = 0x02, .opts = opts_odd,
          .opts_len = sizeof(opts_odd) },
        { .family = 6, .flags = 0x02, .opts = opts_mss1460, .opts_len = sizeof(opts_mss1460),
          .ext = hbh, .ext_len = sizeof(hbh), .ext_first = 0 },
    };

    for (size_t k = 0; k < sizeof(specs) / sizeof(specs[0]); k++) {
        struct built b;

        build(&specs[k], &b);
        for (size_t n = 0; n < b.len; n++) {
            uint8_t *p = malloc(n ? n : 1);

            if (!CHECK(p != NULL))
                return;
            memcpy(p, b.f, n);
            CHECK(!mss_clamp(p, n, MTU), "spec %zu, %zu of %zu bytes", k, n, b.len);
            CHECK(!memcmp(p, b.f, n));
            free(p);
        }
    }
}

int main(void)
{
    test_v4();
    test_v6();
    test_untouched();
    test_vlan();
    test_v6_ext();
    test_padding();
    test_checksum_sweep();
    test_truncated();
    return CHECK_DONE();
}
