/* SPDX-License-Identifier: GPL-2.0-only */
/* virtio-net headers: checks, checksum completion, software GSO. See vnet.h. */
#include <errno.h>
#include <stdbool.h>
#include <string.h>

#include "overlayd/datapath/vnet.h"

enum {
    VN_ETH_HDR = 14,
    VN_VLAN_TAG = 4,
    VN_ETH_IPV4 = 0x0800,
    VN_ETH_IPV6 = 0x86dd,
    VN_ETH_8021Q = 0x8100,
    VN_ETH_8021AD = 0x88a8,
    VN_IPV4_HDR = 20,
    VN_IPV4_FRAG = 0x3fff,              /* MF and the fragment offset */
    VN_IPV6_HDR = 40,
    VN_IPV6_EXT_UNIT = 8,               /* an extension header is a multiple of 8 */
    VN_NH_HOP_BY_HOP = 0,
    VN_NH_ROUTING = 43,
    VN_NH_DEST_OPTS = 60,
    VN_PROTO_TCP = 6,
    VN_PROTO_UDP = 17,
    VN_TCP_HDR = 20,
    VN_TCP_CSUM = 16,
    VN_TCP_FIN = 0x01,
    VN_TCP_SYN = 0x02,
    VN_TCP_RST = 0x04,
    VN_TCP_PSH = 0x08,
    VN_TCP_CWR = 0x80,
    VN_UDP_HDR = 8,
    VN_UDP_CSUM = 6,
    VN_IP_MAX = 0xffff,
};

/* Where the headers of a TCP or UDP frame are. */
struct vn_layout {
    size_t l3, l4, data;                /* offsets: IP header, TCP/UDP header, payload */
    int family;                         /* 4 or 6 */
    uint8_t proto;                      /* VN_PROTO_TCP or VN_PROTO_UDP */
    bool frag;                          /* IPv4: a fragment */
    bool ip_len_ok;                     /* the IP length covers exactly the frame */
    bool rh_left;                       /* IPv6: a routing header with segments left */
};

static uint16_t vn_rd16(const uint8_t *p)
{
    return (uint16_t)(p[0] << 8 | p[1]);
}

static void vn_wr16(uint8_t *p, size_t v)
{
    p[0] = (uint8_t)(v >> 8);
    p[1] = (uint8_t)v;
}

/* RFC 1071: the one's complement sum of @n bytes, big-endian words, an
 * odd last byte as the high half of a word; added to @sum. */
static uint64_t vn_sum(const uint8_t *p, size_t n, uint64_t sum)
{
    size_t i;

    for (i = 0; i + 1 < n; i += 2)
        sum += (uint32_t)(p[i] << 8 | p[i + 1]);
    if (i < n)
        sum += (uint32_t)p[i] << 8;
    return sum;
}

/* The checksum to store: the folded sum complemented, 0 sent as 0xffff. */
static uint16_t vn_fold(uint64_t sum)
{
    while (sum >> 16)
        sum = (sum & 0xffff) + (sum >> 16);
    sum = ~sum & 0xffff;
    return sum ? (uint16_t)sum : 0xffff;
}

void vnet_hdr_read(const uint8_t raw[VNET_HDR_LEN], struct vnet_hdr *h)
{
    h->flags = raw[0];
    h->gso_type = raw[1];
    h->hdr_len = (uint16_t)(raw[2] | raw[3] << 8);
    h->gso_size = (uint16_t)(raw[4] | raw[5] << 8);
    h->csum_start = (uint16_t)(raw[6] | raw[7] << 8);
    h->csum_offset = (uint16_t)(raw[8] | raw[9] << 8);
}

void vnet_hdr_write(const struct vnet_hdr *h, uint8_t raw[VNET_HDR_LEN])
{
    const uint16_t v[4] = { h->hdr_len, h->gso_size, h->csum_start, h->csum_offset };

    raw[0] = h->flags;
    raw[1] = h->gso_type;
    for (int i = 0; i < 4; i++) {
        raw[2 + 2 * i] = (uint8_t)v[i];
        raw[3 + 2 * i] = (uint8_t)(v[i] >> 8);
    }
}

static int vn_ipv4(const uint8_t *f, size_t len, struct vn_layout *l)
{
    const uint8_t *ip = f + l->l3;
    size_t ihl;

    if (len - l->l3 < VN_IPV4_HDR || ip[0] >> 4 != 4)
        return -EINVAL;
    ihl = (size_t)(ip[0] & 0x0f) * 4;
    if (ihl < VN_IPV4_HDR || ihl > len - l->l3)
        return -EINVAL;
    l->family = 4;
    l->proto = ip[9];
    l->frag = (vn_rd16(ip + 6) & VN_IPV4_FRAG) != 0;
    l->ip_len_ok = (size_t)vn_rd16(ip + 2) == len - l->l3;
    l->l4 = l->l3 + ihl;
    return 0;
}

/* Hop-by-hop, routing and destination-options headers are walked; each
 * step moves on by at least 8 bytes within the frame, so the walk ends. */
static int vn_ipv6(const uint8_t *f, size_t len, struct vn_layout *l)
{
    size_t off = l->l3 + VN_IPV6_HDR;
    uint8_t nh;

    if (len - l->l3 < VN_IPV6_HDR || f[l->l3] >> 4 != 6)
        return -EINVAL;
    l->family = 6;
    l->ip_len_ok = vn_rd16(f + l->l3 + 4) + (size_t)VN_IPV6_HDR == len - l->l3;
    nh = f[l->l3 + 6];
    while (nh == VN_NH_HOP_BY_HOP || nh == VN_NH_ROUTING || nh == VN_NH_DEST_OPTS) {
        if (len - off < VN_IPV6_EXT_UNIT)
            return -EINVAL;
        if (nh == VN_NH_ROUTING && f[off + 3] != 0)
            l->rh_left = true;
        nh = f[off];
        off += ((size_t)f[off + 1] + 1) * VN_IPV6_EXT_UNIT;
        if (off > len)
            return -EINVAL;
    }
    l->proto = nh;
    l->l4 = off;
    return 0;
}

static int vn_l4(const uint8_t *f, size_t len, struct vn_layout *l)
{
    size_t room = len - l->l4, doff;

    if (l->proto == VN_PROTO_UDP) {
        if (room < VN_UDP_HDR)
            return -EINVAL;
        l->data = l->l4 + VN_UDP_HDR;
        return 0;
    }
    if (l->proto != VN_PROTO_TCP || room < VN_TCP_HDR)
        return -EINVAL;
    doff = (size_t)(f[l->l4 + 12] >> 4) * 4;
    if (doff < VN_TCP_HDR || doff > room)
        return -EINVAL;
    l->data = l->l4 + doff;
    return 0;
}

/* Ethernet, at most one VLAN tag, IPv4 or IPv6, then TCP or UDP. */
static int vn_layout(const uint8_t *f, size_t len, struct vn_layout *l)
{
    uint16_t type;
    int err;

    memset(l, 0, sizeof(*l));
    if (len < VN_ETH_HDR)
        return -EINVAL;
    l->l3 = VN_ETH_HDR;
    type = vn_rd16(f + 12);
    if (type == VN_ETH_8021Q || type == VN_ETH_8021AD) {
        if (len < VN_ETH_HDR + VN_VLAN_TAG)
            return -EINVAL;
        type = vn_rd16(f + 16);
        l->l3 += VN_VLAN_TAG;
    }
    if (type == VN_ETH_IPV4)
        err = vn_ipv4(f, len, l);
    else if (type == VN_ETH_IPV6)
        err = vn_ipv6(f, len, l);
    else
        err = -EINVAL;
    return err ? err : vn_l4(f, len, l);
}

/* Flags and gso type alone. */
static int vn_check_hdr(const struct vnet_hdr *h)
{
    uint8_t base = h->gso_type & (uint8_t)~VNET_GSO_ECN;

    if (h->flags & ~(VNET_F_NEEDS_CSUM | VNET_F_DATA_VALID))
        return -EINVAL;
    if (base == VNET_GSO_UDP)
        return -EPROTONOSUPPORT;
    if (base != VNET_GSO_NONE && base != VNET_GSO_TCPV4 && base != VNET_GSO_TCPV6 &&
        base != VNET_GSO_UDP_L4)
        return -EINVAL;
    if ((h->gso_type & VNET_GSO_ECN) && base != VNET_GSO_TCPV4 && base != VNET_GSO_TCPV6)
        return -EINVAL;
    return 0;
}

/* A GSO frame: the headers its gso type names, where @h says they are. */
static int vn_check_gso(const struct vnet_hdr *h, const uint8_t *f, size_t len,
                        struct vn_layout *l)
{
    uint8_t base = h->gso_type & (uint8_t)~VNET_GSO_ECN;
    int family = base == VNET_GSO_TCPV4 ? 4 : base == VNET_GSO_TCPV6 ? 6 : 0;
    uint8_t proto = base == VNET_GSO_UDP_L4 ? VN_PROTO_UDP : VN_PROTO_TCP;

    if (h->gso_size == 0 || !(h->flags & VNET_F_NEEDS_CSUM) || vn_layout(f, len, l))
        return -EINVAL;
    if ((family && l->family != family) || l->proto != proto)
        return -EINVAL;
    if (l->frag || l->rh_left || !l->ip_len_ok || h->csum_start != l->l4)
        return -EINVAL;
    if (h->csum_offset != (proto == VN_PROTO_TCP ? VN_TCP_CSUM : VN_UDP_CSUM))
        return -EINVAL;
    /* No kernel cuts a SYN, and one marked so would pass the MSS clamp. */
    if (proto == VN_PROTO_TCP && (f[l->l4 + 13] & VN_TCP_SYN))
        return -EINVAL;
    /* Tiny segments would turn one frame into tens of thousands. */
    if (len > l->data && (len - l->data + h->gso_size - 1) / h->gso_size > VNET_SEGS_MAX)
        return -EINVAL;
    return 0;
}

static bool vn_is_gso(const struct vnet_hdr *h)
{
    return (h->gso_type & (uint8_t)~VNET_GSO_ECN) != VNET_GSO_NONE;
}

/* vnet_check, and where the headers of a GSO frame are in @l. */
static int vn_check(const struct vnet_hdr *h, const uint8_t *frame, size_t len,
                    struct vn_layout *l)
{
    int err = vn_check_hdr(h);

    if (err)
        return err;
    if ((h->flags & VNET_F_NEEDS_CSUM) && (size_t)h->csum_start + h->csum_offset + 2 > len)
        return -EINVAL;
    return vn_is_gso(h) ? vn_check_gso(h, frame, len, l) : 0;
}

int vnet_check(const struct vnet_hdr *h, const uint8_t *frame, size_t len)
{
    struct vn_layout l;

    return vn_check(h, frame, len, &l);
}

size_t vnet_wire_len(const struct vnet_hdr *h, const uint8_t *frame, size_t len)
{
    struct vn_layout l;
    size_t payload;

    if (!vn_is_gso(h) || vn_layout(frame, len, &l))
        return len;
    payload = len - l.data;
    return l.data + (payload < h->gso_size ? payload : h->gso_size);
}

int vnet_csum_complete(struct vnet_hdr *h, uint8_t *frame, size_t len)
{
    int err = vnet_check(h, frame, len);

    if (err || vn_is_gso(h))
        return -EINVAL;
    if (!(h->flags & VNET_F_NEEDS_CSUM))
        return 0;
    vn_wr16(frame + h->csum_start + h->csum_offset,
            vn_fold(vn_sum(frame + h->csum_start, len - h->csum_start, 0)));
    h->flags &= (uint8_t)~VNET_F_NEEDS_CSUM;
    return 0;
}

/* The TCP or UDP checksum of the segment in @s (@len bytes), from scratch. */
static void vn_l4_csum(const struct vn_layout *l, uint8_t *s, size_t len)
{
    size_t l4len = len - l->l4;
    size_t at = l->l4 + (l->proto == VN_PROTO_TCP ? VN_TCP_CSUM : VN_UDP_CSUM);
    uint64_t sum = (uint64_t)l->proto + l4len;

    if (l->family == 4)
        sum = vn_sum(s + l->l3 + 12, 8, sum);           /* source and destination */
    else
        sum = vn_sum(s + l->l3 + 8, 32, sum);
    vn_wr16(s + at, 0);
    vn_wr16(s + at, vn_fold(vn_sum(s + l->l4, l4len, sum)));
}

/* Lengths, IPv4 id and header checksum of segment @i (@len bytes). */
static void vn_seg_ip(const struct vn_layout *l, uint8_t *s, size_t len, size_t i)
{
    uint8_t *ip = s + l->l3;
    size_t ihl = (size_t)(ip[0] & 0x0f) * 4;

    if (l->family == 6) {
        vn_wr16(ip + 4, len - l->l3 - VN_IPV6_HDR);
        return;
    }
    vn_wr16(ip + 2, len - l->l3);
    vn_wr16(ip + 4, (vn_rd16(ip + 4) + i) & 0xffff);
    vn_wr16(ip + 10, 0);
    vn_wr16(ip + 10, vn_fold(vn_sum(ip, ihl, 0)));
}

/* Sequence number and flags of TCP segment @i, or the UDP length. */
static void vn_seg_l4(const struct vnet_hdr *h, const struct vn_layout *l, uint8_t *s,
                      size_t len, size_t i, bool last)
{
    uint8_t *t = s + l->l4;
    uint32_t seq;

    if (l->proto == VN_PROTO_UDP) {
        vn_wr16(t + 4, len - l->l4);
        return;
    }
    seq = (uint32_t)t[4] << 24 | (uint32_t)t[5] << 16 | (uint32_t)t[6] << 8 | t[7];
    seq += (uint32_t)(i * h->gso_size);
    t[4] = (uint8_t)(seq >> 24);
    t[5] = (uint8_t)(seq >> 16);
    t[6] = (uint8_t)(seq >> 8);
    t[7] = (uint8_t)seq;
    if (!last)
        t[13] &= (uint8_t)~(VN_TCP_FIN | VN_TCP_PSH | VN_TCP_RST);
    if (i > 0)
        t[13] &= (uint8_t)~VN_TCP_CWR;
}

/* A frame that is not GSO: copied, its checksum completed. */
static int vn_single(const struct vnet_hdr *h, const uint8_t *frame, size_t len,
                     uint8_t *scratch, size_t cap, vnet_emit_fn emit, void *ctx)
{
    struct vnet_hdr c = *h;

    if (cap < len)
        return -ENOBUFS;
    memcpy(scratch, frame, len);
    if (vnet_csum_complete(&c, scratch, len))
        return -EINVAL;
    emit(ctx, scratch, len);
    return 1;
}

int vnet_segment(const struct vnet_hdr *h, const uint8_t *frame, size_t len, uint8_t *scratch,
                 size_t cap, vnet_emit_fn emit, void *ctx)
{
    struct vn_layout l;
    size_t payload, n_seg;
    int err = vn_check(h, frame, len, &l);

    if (err)
        return err;
    if (!vn_is_gso(h))
        return vn_single(h, frame, len, scratch, cap, emit, ctx);
    payload = len - l.data;
    if (cap < l.data + (payload < h->gso_size ? payload : h->gso_size))
        return -ENOBUFS;
    n_seg = payload ? (payload + h->gso_size - 1) / h->gso_size : 1;
    for (size_t i = 0; i < n_seg; i++) {
        size_t off = i * h->gso_size, n = payload - off < h->gso_size ? payload - off : h->gso_size;

        memcpy(scratch, frame, l.data);
        memcpy(scratch + l.data, frame + l.data + off, n);
        vn_seg_ip(&l, scratch, l.data + n, i);
        vn_seg_l4(h, &l, scratch, l.data + n, i, i + 1 == n_seg);
        vn_l4_csum(&l, scratch, l.data + n);
        emit(ctx, scratch, l.data + n);
    }
    return (int)n_seg;
}
