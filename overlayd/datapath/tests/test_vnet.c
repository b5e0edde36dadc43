/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * vnet.c: super-frames built here are segmented and every segment is read
 * back independently (checksums from scratch, sequence numbers, ids,
 * lengths, flags, payload order); partial checksums completed; headers
 * that do not describe their frame refused, every truncation too.
 *
 * `test_vnet --write-seeds DIR` writes the fuzz_vnet seed corpus (the raw
 * 10-byte header, then the frame) instead of testing.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "overlayd/datapath/vnet.h"
#include "lib/check.h"

enum { FRAME_CAP = 65600, SEQ0 = 0xfffffa00u, ID0 = 0xfffe };

/* What to build: Ethernet, IPv4 or IPv6, TCP or UDP, a payload pattern. */
struct spec {
    int family;                         /* 4 or 6 */
    uint16_t tag;                       /* 0, or a VLAN TPID (0x8100, 0x88a8) */
    uint8_t proto;                      /* 6 or 17 */
    int ext;                            /* IPv6: hop-by-hop, dest. options; IPv4: 4 option bytes */
    size_t payload;
    uint16_t gso_size;                  /* 0: not GSO */
    uint8_t tcp_flags;
    int tcp_opts;                       /* 12 bytes of timestamps option */
};

struct built {
    uint8_t f[FRAME_CAP];
    size_t len, l3, l4, data;
    struct vnet_hdr h;
};

static unsigned rd16(const uint8_t *p)
{
    return (unsigned)p[0] << 8 | p[1];
}

static uint32_t rd32(const uint8_t *p)
{
    return (uint32_t)rd16(p) << 16 | rd16(p + 2);
}

static void put16(uint8_t *p, unsigned v)
{
    p[0] = (uint8_t)(v >> 8);
    p[1] = (uint8_t)v;
}

static uint8_t pattern(size_t i)
{
    return (uint8_t)(i * 7 + (i >> 8));
}

/* Sum of 16-bit words, folded, not complemented: 0xffff over a region
 * whose checksum is right. */
static unsigned fold_sum(const uint8_t *p, size_t n, unsigned long sum)
{
    for (size_t i = 0; i < n; i += 2)
        sum += (unsigned)p[i] << 8 | (i + 1 < n ? p[i + 1] : 0);
    while (sum > 0xffff)
        sum = (sum & 0xffff) + (sum >> 16);
    return (unsigned)sum;
}

/* The pseudo-header of the TCP/UDP segment at @l4 of @n bytes. */
static unsigned long pseudo(const uint8_t *f, size_t l3, size_t l4, size_t n, uint8_t proto)
{
    unsigned long sum = proto + (n - l4);

    if (f[l3] >> 4 == 4)
        return fold_sum(f + l3 + 12, 8, sum);
    return fold_sum(f + l3 + 8, 32, sum);
}

static void build_ip(const struct spec *s, struct built *b, size_t l4len)
{
    uint8_t *ip = b->f + b->l3;

    if (s->family == 4) {
        ip[0] = s->ext ? 0x46 : 0x45;
        put16(ip + 2, (unsigned)(b->l4 - b->l3 + l4len));
        put16(ip + 4, ID0);
        put16(ip + 6, 0x4000);                              /* DF */
        ip[8] = 64;
        ip[9] = s->proto;
        memcpy(ip + 12, "\x0a\x64\x00\x01\x0a\x64\x00\x02", 8);
        if (s->ext)
            memcpy(ip + 20, "\x01\x01\x01\x00", 4);         /* NOP NOP NOP EOL */
        return;
    }
    ip[0] = 0x60;
    put16(ip + 4, (unsigned)(b->l4 - b->l3 - 40 + l4len));
    ip[6] = s->ext ? 0 : s->proto;
    ip[7] = 64;
    ip[8] = ip[24] = 0xfd;
    ip[23] = 1;
    ip[39] = 2;
    if (s->ext) {                                           /* hop-by-hop (PadN), dst opts (16) */
        memcpy(ip + 40, "\x3c\x00\x01\x04\x00\x00\x00\x00", 8);
        memcpy(ip + 48, "\x00\x01\x01\x0c\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00", 16);
        ip[48] = s->proto;
    }
}

static void build_l4(const struct spec *s, struct built *b)
{
    uint8_t *t = b->f + b->l4;

    put16(t, 40000);
    put16(t + 2, 5201);
    if (s->proto == 17) {
        put16(t + 4, (unsigned)(b->len - b->l4));
        return;
    }
    put16(t + 4, SEQ0 >> 16);
    put16(t + 6, SEQ0 & 0xffff);
    memcpy(t + 8, "\x01\x02\x03\x04", 4);
    t[12] = (uint8_t)((b->data - b->l4) / 4 << 4);
    t[13] = s->tcp_flags;
    put16(t + 14, 501);
    if (s->tcp_opts)
        memcpy(t + 20, "\x01\x01\x08\x0a\x00\x00\x10\x00\x00\x00\x20\x00", 12);
}

/* The vnet header the kernel would write; a GSO frame's checksum field
 * holds junk (it must be recomputed), another one the pseudo-header sum. */
static void build_hdr(const struct spec *s, struct built *b)
{
    size_t at = b->l4 + (s->proto == 6 ? 16 : 6);

    b->h = (struct vnet_hdr){ .flags = VNET_F_NEEDS_CSUM, .hdr_len = (uint16_t)b->data,
                              .gso_size = s->gso_size, .csum_start = (uint16_t)b->l4,
                              .csum_offset = (uint16_t)(at - b->l4) };
    if (s->gso_size)
        b->h.gso_type = s->proto == 17 ? VNET_GSO_UDP_L4 : s->family == 4 ? VNET_GSO_TCPV4
                                                                         : VNET_GSO_TCPV6;
    if (s->gso_size && (s->tcp_flags & 0x80))
        b->h.gso_type |= VNET_GSO_ECN;
    put16(b->f + at, s->gso_size ? 0xbeef : (unsigned)pseudo(b->f, b->l3, b->l4, b->len, s->proto));
}

static void build(const struct spec *s, struct built *b)
{
    size_t o = 12, l4hdr;

    memset(b, 0, sizeof(*b));
    memcpy(b->f, "\x52\x54\x00\x00\x01\x02\x52\x54\x00\x00\x01\x01", 12);
    if (s->tag) {
        put16(b->f + o, s->tag);
        put16(b->f + o + 2, 42);
        o += 4;
    }
    put16(b->f + o, s->family == 4 ? 0x0800 : 0x86dd);
    b->l3 = o + 2;
    b->l4 = b->l3 + (s->family == 4 ? 20 + (s->ext ? 4 : 0) : 40 + (s->ext ? 24 : 0));
    l4hdr = s->proto == 17 ? 8 : 20 + (s->tcp_opts ? 12 : 0);
    b->data = b->l4 + l4hdr;
    b->len = b->data + s->payload;
    build_ip(s, b, l4hdr + s->payload);
    for (size_t i = 0; i < s->payload; i++)
        b->f[b->data + i] = pattern(i);
    build_l4(s, b);
    build_hdr(s, b);
}

/* What emit saw. */
struct seen {
    size_t n;
    uint8_t *seg[2048];
    size_t len[2048];
};

static void collect(void *ctx, uint8_t *frame, size_t len)
{
    struct seen *s = ctx;

    if (!CHECK(s->n < sizeof(s->seg) / sizeof(s->seg[0])))
        return;
    s->seg[s->n] = malloc(len);
    memcpy(s->seg[s->n], frame, len);
    s->len[s->n++] = len;
}

static void seen_free(struct seen *s)
{
    for (size_t i = 0; i < s->n; i++)
        free(s->seg[i]);
    s->n = 0;
}

/* Segment @k of @b: the IP header, its lengths and id, against the original. */
static void check_seg_ip(const struct built *b, const uint8_t *g, size_t n, size_t k)
{
    const uint8_t *ip = g + b->l3, *o = b->f + b->l3;

    CHECK(!memcmp(g, b->f, b->l3), "segment %zu: L2 changed", k);
    if (b->f[b->l3] >> 4 == 6) {
        CHECK_EQ(rd16(ip + 4), n - b->l3 - 40);
        CHECK(!memcmp(ip, o, 4) && !memcmp(ip + 6, o + 6, b->l4 - b->l3 - 6));
        return;
    }
    CHECK_EQ(rd16(ip + 2), n - b->l3);
    CHECK_EQ(rd16(ip + 4), (ID0 + k) & 0xffff);
    CHECK(!memcmp(ip, o, 2) && !memcmp(ip + 6, o + 6, 4));
    CHECK(!memcmp(ip + 12, o + 12, b->l4 - b->l3 - 12));
    CHECK_EQ(fold_sum(ip, b->l4 - b->l3, 0), 0xffff);
}

/* Segment @k of @nseg: TCP sequence number and flags, or the UDP length;
 * the checksum from scratch. */
static void check_seg_l4(const struct built *b, const uint8_t *g, size_t n, size_t k, size_t nseg)
{
    const uint8_t *t = g + b->l4, *o = b->f + b->l4;
    uint8_t proto = b->h.csum_offset == 16 ? 6 : 17, want = o[13];

    CHECK_EQ(fold_sum(t, n - b->l4, pseudo(g, b->l3, b->l4, n, proto)), 0xffff);
    CHECK(!memcmp(t, o, 4));
    if (proto == 17) {
        CHECK_EQ(rd16(t + 4), n - b->l4);
        CHECK(rd16(t + 6) != 0);
        return;
    }
    CHECK_EQ(rd32(t + 4), (uint32_t)(SEQ0 + k * b->h.gso_size));
    if (k + 1 < nseg)
        want &= (uint8_t)~0x0d;                             /* FIN, RST, PSH */
    if (k > 0)
        want &= (uint8_t)~0x80;                             /* CWR */
    CHECK_EQ(t[13], want);
    CHECK(!memcmp(t + 8, o + 8, 5) && !memcmp(t + 14, o + 14, 2));
    CHECK(!memcmp(t + 18, o + 18, b->data - b->l4 - 18));
}

/* Segment @b; every segment checked; payloads concatenate to the original. */
static void expect_segments(const struct spec *s)
{
    static struct built b;
    static uint8_t scratch[FRAME_CAP], joined[FRAME_CAP];
    static struct seen seen;
    size_t payload = s->payload, nseg = payload ? (payload + s->gso_size - 1) / s->gso_size : 1;
    size_t wire, at = 0, longest = 0;

    build(s, &b);
    CHECK_EQ(vnet_check(&b.h, b.f, b.len), 0);
    wire = vnet_wire_len(&b.h, b.f, b.len);
    CHECK_EQ(vnet_segment(&b.h, b.f, b.len, scratch, wire, collect, &seen), nseg);
    CHECK_EQ(seen.n, nseg);
    for (size_t k = 0; k < seen.n; k++) {
        size_t n = seen.len[k], want = k + 1 < nseg ? s->gso_size : payload - k * s->gso_size;

        CHECK_EQ(n - b.data, want);
        longest = n > longest ? n : longest;
        check_seg_ip(&b, seen.seg[k], n, k);
        check_seg_l4(&b, seen.seg[k], n, k, nseg);
        memcpy(joined + at, seen.seg[k] + b.data, n - b.data);
        at += n - b.data;
    }
    CHECK_EQ(longest, wire);
    CHECK_EQ(at, payload);
    CHECK(!memcmp(joined, b.f + b.data, payload));
    seen_free(&seen);
}

static void test_hdr_rw(void)
{
    static const uint8_t raw[VNET_HDR_LEN] = { 1, 0x81, 0x36, 0, 0xa8, 0x05, 0x22, 0, 0x10, 0 };
    struct vnet_hdr h;
    uint8_t out[VNET_HDR_LEN];

    vnet_hdr_read(raw, &h);
    CHECK_EQ(h.flags, 1);
    CHECK_EQ(h.gso_type, 0x81);
    CHECK_EQ(h.hdr_len, 0x36);
    CHECK_EQ(h.gso_size, 1448);
    CHECK_EQ(h.csum_start, 34);
    CHECK_EQ(h.csum_offset, 16);
    vnet_hdr_write(&h, out);
    CHECK(!memcmp(raw, out, sizeof(raw)));
}

static void test_tcp4(void)
{
    struct spec s = { .family = 4, .proto = 6, .payload = 10000, .gso_size = 1448,
                      .tcp_flags = 0x80 | 0x10 | 0x08 | 0x01 };     /* CWR ACK PSH FIN */

    expect_segments(&s);
    s.ext = 1;                                              /* IPv4 options, TCP options */
    s.tcp_opts = 1;
    s.payload = 3 * 1448;                                   /* exact multiple */
    s.tcp_flags = 0x10 | 0x04;                              /* ACK RST */
    expect_segments(&s);
    s.payload = 65535 - 24 - 32;                            /* the largest IPv4 packet */
    expect_segments(&s);
    s.payload = 100;                                        /* one segment, below gso_size */
    expect_segments(&s);
    s.payload = 0;                                          /* headers only */
    expect_segments(&s);
    s.payload = 50;                                         /* a byte per segment */
    s.gso_size = 1;
    expect_segments(&s);
    s.payload = VNET_SEGS_MAX;                              /* as many as allowed */
    expect_segments(&s);
}

static void test_tcp6(void)
{
    struct spec s = { .family = 6, .proto = 6, .ext = 1, .payload = 9001, .gso_size = 1400,
                      .tcp_flags = 0x80 | 0x18, .tcp_opts = 1 };

    expect_segments(&s);
    s.ext = 0;
    s.payload = 65535 - 32;                                 /* the largest IPv6 payload */
    expect_segments(&s);
}

static void test_udp(void)
{
    struct spec s = { .family = 4, .proto = 17, .payload = 5000, .gso_size = 1472 };

    expect_segments(&s);
    s.family = 6;
    s.ext = 1;
    s.payload = 3001;
    s.gso_size = 1000;
    expect_segments(&s);
}

static void test_vlan(void)
{
    struct spec s = { .family = 4, .tag = 0x8100, .proto = 6, .payload = 3000, .gso_size = 1000,
                      .tcp_flags = 0x18 };

    expect_segments(&s);
    s.tag = 0x88a8;
    s.family = 6;
    s.proto = 17;
    s.ext = 1;
    expect_segments(&s);
}

/* A partial checksum completed: it verifies from scratch, nothing else moved. */
static void expect_completed(const struct spec *s)
{
    static struct built b, orig;
    static uint8_t scratch[FRAME_CAP];
    static struct seen seen;
    size_t at;

    build(s, &b);
    orig = b;
    at = b.h.csum_start + b.h.csum_offset;
    CHECK_EQ(vnet_wire_len(&b.h, b.f, b.len), b.len);
    CHECK_EQ(vnet_segment(&b.h, b.f, b.len, scratch, b.len, collect, &seen), 1);
    CHECK_EQ(vnet_csum_complete(&b.h, b.f, b.len), 0);
    CHECK_EQ(b.h.flags, 0);
    CHECK_EQ(fold_sum(b.f + b.l4, b.len - b.l4, pseudo(b.f, b.l3, b.l4, b.len, s->proto)), 0xffff);
    CHECK(!memcmp(b.f, orig.f, at) && !memcmp(b.f + at + 2, orig.f + at + 2, b.len - at - 2));
    if (CHECK_EQ(seen.n, 1) && CHECK_EQ(seen.len[0], b.len))
        CHECK(!memcmp(seen.seg[0], b.f, b.len), "vnet_segment copy differs");
    seen_free(&seen);
    /* Done: a second completion changes nothing. */
    CHECK_EQ(vnet_csum_complete(&b.h, b.f, b.len), 0);
    CHECK_EQ(fold_sum(b.f + b.l4, b.len - b.l4, pseudo(b.f, b.l3, b.l4, b.len, s->proto)), 0xffff);
}

static void test_csum_complete(void)
{
    struct spec s = { .family = 4, .proto = 6, .payload = 101, .tcp_flags = 0x18 };
    static struct built b;
    uint8_t copy[128];

    expect_completed(&s);
    s.family = 6;
    s.ext = 1;
    s.proto = 17;
    s.tag = 0x8100;
    expect_completed(&s);
    s.payload = 1400;
    expect_completed(&s);
    /* Without NEEDS_CSUM (DATA_VALID alone): nothing to do. */
    s.payload = 10;
    build(&s, &b);
    b.h.flags = VNET_F_DATA_VALID;
    memcpy(copy, b.f, b.len);
    CHECK_EQ(vnet_csum_complete(&b.h, b.f, b.len), 0);
    CHECK(!memcmp(copy, b.f, b.len));
    /* A GSO frame is segmented, never completed whole. */
    s.gso_size = 4;
    build(&s, &b);
    CHECK_EQ(vnet_csum_complete(&b.h, b.f, b.len), -EINVAL);
}

/* A UDP checksum that computes to 0 goes out as 0xffff (0 means none):
 * the last two payload bytes are chosen to make it so. */
static void test_csum_zero(void)
{
    struct spec s = { .family = 4, .proto = 17, .payload = 20 };
    static struct built b;
    static uint8_t scratch[FRAME_CAP];
    static struct seen seen;
    unsigned sum;

    for (int gso = 0; gso <= 1; gso++) {
        s.gso_size = gso ? 64 : 0;
        build(&s, &b);
        put16(b.f + b.len - 2, 0);
        put16(b.f + b.l4 + 6, 0);
        sum = fold_sum(b.f + b.l4, b.len - b.l4, pseudo(b.f, b.l3, b.l4, b.len, 17));
        put16(b.f + b.len - 2, 0xffff - sum);
        build_hdr(&s, &b);
        CHECK_EQ(vnet_segment(&b.h, b.f, b.len, scratch, b.len, collect, &seen), 1);
        if (CHECK_EQ(seen.n, 1))
            CHECK_EQ(rd16(seen.seg[0] + b.l4 + 6), 0xffff);
        seen_free(&seen);
    }
}

static unsigned emitted;

static void count(void *ctx, uint8_t *frame, size_t len)
{
    (void)ctx;
    (void)frame;
    (void)len;
    emitted++;
}

/* @h refused for @b with @err, by vnet_segment too, nothing emitted. */
static void expect_refused(const struct built *b, const struct vnet_hdr *h, int err, int line)
{
    static uint8_t scratch[FRAME_CAP];

    emitted = 0;
    CHECK(vnet_check(h, b->f, b->len) == err, "line %d: vnet_check %d", line,
          vnet_check(h, b->f, b->len));
    CHECK(vnet_segment(h, b->f, b->len, scratch, sizeof(scratch), count, NULL) == err,
          "line %d", line);
    CHECK(emitted == 0, "line %d: %u emitted", line, emitted);
}

#define REFUSED(b, h, err) expect_refused(b, h, err, __LINE__)

/* One field of a valid TCPv4 super-frame's header wrong at a time. */
static void test_refused_hdr(void)
{
    struct spec s = { .family = 4, .proto = 6, .payload = 3000, .gso_size = 1000,
                      .tcp_flags = 0x10 };
    static struct built b;
    struct vnet_hdr h;

    build(&s, &b);
    CHECK_EQ(vnet_check(&b.h, b.f, b.len), 0);
    h = b.h, h.gso_type = VNET_GSO_TCPV6;
    REFUSED(&b, &h, -EINVAL);
    h = b.h, h.gso_type = VNET_GSO_UDP_L4;
    REFUSED(&b, &h, -EINVAL);
    h = b.h, h.gso_type = VNET_GSO_UDP;
    REFUSED(&b, &h, -EPROTONOSUPPORT);
    h = b.h, h.gso_type = 2;
    REFUSED(&b, &h, -EINVAL);
    h = b.h, h.gso_type = 6;
    REFUSED(&b, &h, -EINVAL);
    h = b.h, h.gso_type = VNET_GSO_NONE | VNET_GSO_ECN;
    REFUSED(&b, &h, -EINVAL);
    h = b.h, h.gso_size = 0;
    REFUSED(&b, &h, -EINVAL);
    h = b.h, h.flags = VNET_F_DATA_VALID;                   /* GSO without NEEDS_CSUM */
    REFUSED(&b, &h, -EINVAL);
    h = b.h, h.flags |= 4;
    REFUSED(&b, &h, -EINVAL);
    h = b.h, h.csum_start++;
    REFUSED(&b, &h, -EINVAL);
    h = b.h, h.csum_offset = 6;
    REFUSED(&b, &h, -EINVAL);
    h = b.h, h.gso_type |= VNET_GSO_ECN;                    /* ECN with TCP: fine */
    CHECK_EQ(vnet_check(&h, b.f, b.len), 0);
}

/* Frames the header does not describe. */
static void test_refused_frame(void)
{
    struct spec s = { .family = 6, .proto = 6, .payload = 3000, .gso_size = 1000 };
    static struct built b;
    struct vnet_hdr h;

    build(&s, &b);
    h = b.h, h.gso_type = VNET_GSO_TCPV4;                   /* TCPV4 on IPv6 */
    REFUSED(&b, &h, -EINVAL);
    s.family = 4;
    s.proto = 17;
    build(&s, &b);
    h = b.h, h.gso_type = VNET_GSO_TCPV4;                   /* TCPV4 on UDP */
    h.csum_offset = 16;
    REFUSED(&b, &h, -EINVAL);
    s.proto = 6;
    build(&s, &b);
    put16(b.f + b.l3 + 6, 0x2000);                          /* MF */
    REFUSED(&b, &b.h, -EINVAL);
    put16(b.f + b.l3 + 6, 0x0001);                          /* a later fragment */
    REFUSED(&b, &b.h, -EINVAL);
    put16(b.f + b.l3 + 6, 0);
    put16(b.f + b.l3 + 2, (unsigned)(b.len - b.l3 + 1));    /* IP length past the frame */
    REFUSED(&b, &b.h, -EINVAL);
    put16(b.f + b.l3 + 2, (unsigned)(b.len - b.l3 - 1));    /* ... or short of it */
    REFUSED(&b, &b.h, -EINVAL);
    s.tcp_flags = 0x02;                                     /* a SYN would skip the clamp */
    build(&s, &b);
    REFUSED(&b, &b.h, -EINVAL);
    s.tcp_flags = 0x12;                                     /* SYN-ACK */
    build(&s, &b);
    REFUSED(&b, &b.h, -EINVAL);
    s.tcp_flags = 0x10;
    s.payload = VNET_SEGS_MAX + 1;                          /* one segment too many */
    s.gso_size = 1;
    build(&s, &b);
    REFUSED(&b, &b.h, -EINVAL);
}

/* IPv6: a routing header with segments left, or a fragment header. */
static void test_refused_v6_ext(void)
{
    struct spec s = { .family = 6, .proto = 6, .ext = 1, .payload = 3000, .gso_size = 1000 };
    static struct built b;

    build(&s, &b);
    b.f[b.l3 + 40] = 43;                                    /* hbh -> routing */
    memcpy(b.f + b.l3 + 48, "\x06\x01\x00\x00", 4);         /* type 0, 0 left */
    CHECK_EQ(vnet_check(&b.h, b.f, b.len), 0);
    b.f[b.l3 + 51] = 1;                                     /* 1 segment left */
    REFUSED(&b, &b.h, -EINVAL);
    b.f[b.l3 + 51] = 0;
    b.f[b.l3 + 40] = 44;                                    /* a fragment header */
    REFUSED(&b, &b.h, -EINVAL);
}

/* Partial checksums and buffers: offsets inside the frame, room for a segment. */
static void test_refused_bounds(void)
{
    struct spec s = { .family = 4, .proto = 17, .payload = 20 };
    static struct built b;
    static uint8_t scratch[FRAME_CAP];
    struct vnet_hdr h;
    size_t wire;

    build(&s, &b);
    h = b.h, h.csum_offset = (uint16_t)(b.len - b.h.csum_start - 2);   /* last two bytes */
    CHECK_EQ(vnet_check(&h, b.f, b.len), 0);
    h.csum_offset++;
    REFUSED(&b, &h, -EINVAL);
    h = b.h, h.csum_start = 0xffff;
    REFUSED(&b, &h, -EINVAL);
    h = b.h, h.csum_start = (uint16_t)b.len;
    h.csum_offset = 0;
    REFUSED(&b, &h, -EINVAL);
    emitted = 0;
    CHECK_EQ(vnet_segment(&b.h, b.f, b.len, scratch, b.len - 1, count, NULL), -ENOBUFS);
    s.gso_size = 8;
    build(&s, &b);
    wire = vnet_wire_len(&b.h, b.f, b.len);
    CHECK_EQ(wire, b.data + 8);
    CHECK_EQ(vnet_segment(&b.h, b.f, b.len, scratch, wire - 1, count, NULL), -ENOBUFS);
    CHECK_EQ(emitted, 0);
    CHECK_EQ(vnet_segment(&b.h, b.f, b.len, scratch, wire, count, NULL), 3);
}

/* Every prefix of valid super-frames, in a buffer of exactly that size
 * (ASan sees a read past it): refused, nothing emitted. */
static void test_truncated(void)
{
    const struct spec specs[] = {
        { .family = 4, .proto = 6, .ext = 1, .tcp_opts = 1, .payload = 2000, .gso_size = 700 },
        { .family = 6, .tag = 0x8100, .proto = 6, .ext = 1, .payload = 1500, .gso_size = 600 },
        { .family = 6, .tag = 0x88a8, .proto = 17, .ext = 1, .payload = 1500, .gso_size = 600 },
        { .family = 4, .proto = 17, .payload = 1500, .gso_size = 600 },
    };
    static struct built b;
    static uint8_t scratch[FRAME_CAP];

    for (size_t k = 0; k < sizeof(specs) / sizeof(specs[0]); k++) {
        build(&specs[k], &b);
        for (size_t n = 0; n < b.len; n++) {
            uint8_t *p = malloc(n ? n : 1);
            int err;

            if (!CHECK(p != NULL))
                return;
            memcpy(p, b.f, n);
            emitted = 0;
            err = vnet_segment(&b.h, p, n, scratch, sizeof(scratch), count, NULL);
            CHECK(err < 0 && vnet_check(&b.h, p, n) == err, "spec %zu, %zu of %zu: %d", k, n,
                  b.len, err);
            CHECK(emitted == 0);
            CHECK(vnet_wire_len(&b.h, p, n) <= n);
            free(p);
        }
    }
}

/* The fuzz_vnet seeds: raw header, then the frame. */
static int write_seed(const char *dir, const char *name, const struct spec *s)
{
    static struct built b;
    uint8_t raw[VNET_HDR_LEN];
    char path[4096];
    FILE *f;
    int ok;

    build(s, &b);
    vnet_hdr_write(&b.h, raw);
    snprintf(path, sizeof(path), "%s/%s", dir, name);
    f = fopen(path, "wb");
    if (!f)
        return -1;
    ok = fwrite(raw, 1, sizeof(raw), f) == sizeof(raw) && fwrite(b.f, 1, b.len, f) == b.len;
    return fclose(f) == 0 && ok ? 0 : -1;
}

static int write_seeds(const char *dir)
{
    const struct {
        const char *name;
        struct spec s;
    } seeds[] = {
        { "v4-tcp", { .family = 4, .proto = 6, .payload = 3000, .gso_size = 1000,
                      .tcp_flags = 0x80 | 0x19 } },
        { "v4-opts-tcp", { .family = 4, .proto = 6, .ext = 1, .tcp_opts = 1, .payload = 2001,
                           .gso_size = 500, .tcp_flags = 0x10 } },
        { "v6-hbh-dst-tcp", { .family = 6, .proto = 6, .ext = 1, .payload = 2500,
                              .gso_size = 1000, .tcp_flags = 0x18 } },
        { "v4-udp", { .family = 4, .proto = 17, .payload = 3000, .gso_size = 1472 } },
        { "v6-udp", { .family = 6, .proto = 17, .payload = 1999, .gso_size = 700 } },
        { "vlan-v4-tcp", { .family = 4, .tag = 0x8100, .proto = 6, .payload = 2000,
                           .gso_size = 900, .tcp_flags = 0x10 } },
        { "8021ad-v6-udp", { .family = 6, .tag = 0x88a8, .proto = 17, .ext = 1,
                             .payload = 1500, .gso_size = 600 } },
        { "v4-tcp-csum", { .family = 4, .proto = 6, .payload = 101, .tcp_flags = 0x18 } },
        { "v6-udp-csum", { .family = 6, .proto = 17, .ext = 1, .payload = 33 } },
    };

    for (size_t i = 0; i < sizeof(seeds) / sizeof(seeds[0]); i++)
        if (write_seed(dir, seeds[i].name, &seeds[i].s)) {
            perror(seeds[i].name);
            return 1;
        }
    return 0;
}

int main(int argc, char **argv)
{
    if (argc == 3 && !strcmp(argv[1], "--write-seeds"))
        return write_seeds(argv[2]);
    test_hdr_rw();
    test_tcp4();
    test_tcp6();
    test_udp();
    test_vlan();
    test_csum_complete();
    test_csum_zero();
    test_refused_hdr();
    test_refused_frame();
    test_refused_v6_ext();
    test_refused_bounds();
    test_truncated();
    return CHECK_DONE();
}
