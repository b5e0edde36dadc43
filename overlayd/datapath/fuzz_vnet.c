/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * libFuzzer target: virtio-net headers and frames (vnet.c). Input: the
 * raw 10-byte header, then the frame. A frame vnet_check refuses is
 * refused by vnet_segment with the same error and nothing is emitted.
 * One it accepts is segmented, and a naive second reading (byte by byte,
 * no shared helper) checks every emitted frame:
 *  - no longer than vnet_wire_len, which is at most the frame;
 *  - GSO: the L4 header where the oracle's own walk finds it, the IP
 *    length the rest of the frame; IPv4 header and TCP/UDP checksums
 *    verify from scratch; IP and UDP lengths, IPv4 id and TCP sequence
 *    number per segment; every segment but the last carries gso_size
 *    bytes; the payloads concatenate to the original;
 *  - not GSO: one frame, the input itself but for a completed checksum
 *    (the folded sum from csum_start, complemented, 0 as 0xffff).
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "overlayd/datapath/vnet.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

struct oracle {
    const uint8_t *f;                   /* the original frame */
    size_t n, wire;
    struct vnet_hdr h;
    bool gso;
    size_t l3, l4, hdrs;                /* IP header, TCP/UDP header, payload */
    uint8_t proto;
    size_t k, at;                       /* segments seen, payload bytes seen */
};

static unsigned be16(const uint8_t *p)
{
    return (unsigned)p[0] * 256u + p[1];
}

/* One's complement sum of @n bytes starting at @p, byte by byte. */
static uint64_t add_bytes(uint64_t sum, const uint8_t *p, size_t n)
{
    for (size_t i = 0; i < n; i++)
        sum += i % 2 ? p[i] : 256u * p[i];
    return sum;
}

static unsigned fold(uint64_t sum)
{
    while (sum >> 16)
        sum = (sum & 0xffff) + (sum >> 16);
    return (unsigned)sum;
}

/* Where the L4 header is, walking IPv6 extension headers (0, 43, 60). */
static bool oracle_walk(struct oracle *o)
{
    const uint8_t *f = o->f;
    size_t at;

    o->l3 = be16(f + 12) == 0x8100 || be16(f + 12) == 0x88a8 ? 18 : 14;
    if (f[o->l3] / 16 == 4) {
        o->proto = f[o->l3 + 9];
        o->l4 = o->l3 + 4 * (size_t)(f[o->l3] % 16);
    } else {
        o->proto = f[o->l3 + 6];
        at = o->l3 + 40;
        while (o->proto == 0 || o->proto == 43 || o->proto == 60) {
            o->proto = f[at];
            at += 8 + 8 * (size_t)f[at + 1];
        }
        o->l4 = at;
    }
    o->hdrs = o->l4 + (o->proto == 6 ? 4 * (size_t)(f[o->l4 + 12] / 16) : 8);
    if (be16(f + o->l3 + (f[o->l3] / 16 == 4 ? 2 : 4)) + (f[o->l3] / 16 == 4 ? 0 : 40) !=
        o->n - o->l3)                                   /* the IP length is the frame's */
        return false;
    return o->l4 == o->h.csum_start && o->hdrs <= o->n;
}

static bool check_ip(const struct oracle *o, const uint8_t *s, size_t len)
{
    const uint8_t *ip = s + o->l3, *orig = o->f + o->l3;

    if (ip[0] / 16 == 6)
        return be16(ip + 4) == len - o->l3 - 40;
    return be16(ip + 2) == len - o->l3 && fold(add_bytes(0, ip, o->l4 - o->l3)) == 0xffff &&
           be16(ip + 4) == (be16(orig + 4) + o->k) % 65536;
}

static bool check_l4(const struct oracle *o, const uint8_t *s, size_t len)
{
    const uint8_t *ip = s + o->l3, *t = s + o->l4, *orig = o->f + o->l4;
    uint64_t sum = o->proto + (len - o->l4);
    uint32_t seq;

    sum = ip[0] / 16 == 4 ? add_bytes(sum, ip + 12, 8) : add_bytes(sum, ip + 8, 32);
    if (fold(add_bytes(sum, t, len - o->l4)) != 0xffff)
        return false;
    if (o->proto == 17)
        return be16(t + 4) == len - o->l4 && be16(t + 6) != 0;
    seq = (uint32_t)be16(orig + 4) << 16 | be16(orig + 6);
    seq += (uint32_t)(o->k * o->h.gso_size);
    return be16(t + 4) == seq >> 16 && be16(t + 6) == (seq & 0xffff);
}

/* A segment: headers, then the next slice of the original payload. */
static void check_segment(struct oracle *o, const uint8_t *s, size_t len)
{
    size_t slice = len - o->hdrs, left = o->n - o->hdrs - o->at;

    if (len < o->hdrs || slice > left || (slice < o->h.gso_size && slice != left))
        __builtin_trap();
    if (memcmp(s, o->f, o->l3) || memcmp(s + o->hdrs, o->f + o->hdrs + o->at, slice))
        __builtin_trap();
    if (!check_ip(o, s, len) || !check_l4(o, s, len))
        __builtin_trap();
    o->at += slice;
}

/* Not GSO: the input, but for a completed checksum. */
static void check_single(const struct oracle *o, const uint8_t *s, size_t len)
{
    size_t c = (size_t)o->h.csum_start + o->h.csum_offset;
    unsigned want;

    if (len != o->n || o->k)
        __builtin_trap();
    if (!(o->h.flags & VNET_F_NEEDS_CSUM)) {
        if (memcmp(s, o->f, len))
            __builtin_trap();
        return;
    }
    want = 0xffff & ~fold(add_bytes(0, o->f + o->h.csum_start, len - o->h.csum_start));
    if (memcmp(s, o->f, c) || memcmp(s + c + 2, o->f + c + 2, len - c - 2) ||
        be16(s + c) != (want ? want : 0xffff))
        __builtin_trap();
}

static void on_emit(void *ctx, uint8_t *frame, size_t len)
{
    struct oracle *o = ctx;

    if (len > o->wire)
        __builtin_trap();
    if (o->gso)
        check_segment(o, frame, len);
    else
        check_single(o, frame, len);
    o->k++;
}

static void run(struct oracle *o)
{
    uint8_t *scratch = malloc(o->wire ? o->wire : 1);   /* exactly wire: ASan sees overruns */
    int r;

    if (!scratch)
        return;
    if (o->gso && !oracle_walk(o))
        __builtin_trap();
    r = vnet_segment(&o->h, o->f, o->n, scratch, o->wire, on_emit, o);
    if (r < 1 || (size_t)r != o->k || (o->gso && o->at != o->n - o->hdrs))
        __builtin_trap();
    free(scratch);
}

static void no_emit(void *ctx, uint8_t *frame, size_t len)
{
    (void)ctx;
    (void)frame;
    (void)len;
    __builtin_trap();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct oracle o = { 0 };
    uint8_t *f, scratch[64];
    int err;

    if (size < VNET_HDR_LEN)
        return 0;
    vnet_hdr_read(data, &o.h);
    o.n = size - VNET_HDR_LEN;
    f = malloc(o.n ? o.n : 1);          /* exactly n bytes: ASan sees any read past them */
    if (!f)
        return 0;
    memcpy(f, data + VNET_HDR_LEN, o.n);
    o.f = f;
    o.wire = vnet_wire_len(&o.h, f, o.n);
    o.gso = (o.h.gso_type & 0x7f) != VNET_GSO_NONE;
    if (o.wire > o.n)
        __builtin_trap();
    err = vnet_check(&o.h, f, o.n);
    if (err && vnet_segment(&o.h, f, o.n, scratch, sizeof(scratch), no_emit, NULL) != err)
        __builtin_trap();
    if (!err)
        run(&o);
    if (memcmp(f, data + VNET_HDR_LEN, o.n))            /* the input is never written */
        __builtin_trap();
    free(f);
    return 0;
}
