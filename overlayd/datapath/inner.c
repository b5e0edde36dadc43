/* SPDX-License-Identifier: GPL-2.0-only */
#include "overlayd/datapath/inner.h"

#include <errno.h>
#include <string.h>

static void put24(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)(v >> 16);
    p[1] = (uint8_t)(v >> 8);
    p[2] = (uint8_t)v;
}

static uint32_t get24(const uint8_t *p)
{
    return (uint32_t)p[0] << 16 | (uint32_t)p[1] << 8 | p[2];
}

void inner_frame_header(uint8_t hdr[INNER_FRAME_HDR], uint32_t enclave_id)
{
    hdr[0] = INNER_FRAME;
    put24(hdr + 1, enclave_id);
}

int inner_frame_parse(const uint8_t *p, size_t len, uint32_t *enclave_id,
                      const uint8_t **frame, size_t *frame_len)
{
    uint32_t id;

    if (len < INNER_FRAME_HDR + INNER_ETH_MIN || p[0] != INNER_FRAME)
        return -EBADMSG;
    id = get24(p + 1);
    if (id == 0)
        return -EBADMSG;
    *enclave_id = id;
    *frame = p + INNER_FRAME_HDR;
    *frame_len = len - INNER_FRAME_HDR;
    return 0;
}

void inner_frame_gso_header(uint8_t hdr[INNER_FRAME_HDR], uint32_t enclave_id)
{
    hdr[0] = INNER_FRAME_GSO;
    put24(hdr + 1, enclave_id);
}

int inner_frame_gso_parse(const uint8_t *p, size_t len, uint32_t *enclave_id,
                          const uint8_t **vnet, const uint8_t **frame, size_t *frame_len)
{
    uint32_t id;

    if (len < INNER_FRAME_GSO_HDR + INNER_ETH_MIN || p[0] != INNER_FRAME_GSO)
        return -EBADMSG;
    id = get24(p + 1);
    if (id == 0)
        return -EBADMSG;
    *enclave_id = id;
    *vnet = p + INNER_FRAME_HDR;
    *frame = p + INNER_FRAME_GSO_HDR;
    *frame_len = len - INNER_FRAME_GSO_HDR;
    return 0;
}

static void put64(uint8_t *p, uint64_t v)
{
    for (int i = 7; i >= 0; i--, v >>= 8)
        p[i] = (uint8_t)v;
}

static uint64_t get64(const uint8_t *p)
{
    uint64_t v = 0;

    for (int i = 0; i < 8; i++)
        v = v << 8 | p[i];
    return v;
}

void inner_flood_header(uint8_t hdr[INNER_FLOOD_HDR], uint32_t enclave_id, uint64_t limit,
                        uint64_t origin)
{
    hdr[0] = INNER_FLOOD;
    put24(hdr + 1, enclave_id);
    put64(hdr + 4, limit);
    put64(hdr + 12, origin);
}

void inner_flood_set_limit(uint8_t hdr[INNER_FLOOD_HDR], uint64_t limit)
{
    put64(hdr + 4, limit);
}

int inner_flood_parse(const uint8_t *p, size_t len, struct inner_flood *out)
{
    if (len < INNER_FLOOD_HDR + INNER_ETH_MIN || p[0] != INNER_FLOOD)
        return -EBADMSG;
    out->enclave = get24(p + 1);
    if (out->enclave == 0)
        return -EBADMSG;
    out->limit = get64(p + 4);
    out->origin = get64(p + 12);
    out->frame = p + INNER_FLOOD_HDR;
    out->frame_len = len - INNER_FLOOD_HDR;
    return 0;
}

void inner_ctl_init(struct inner_writer *w, uint8_t *buf, size_t cap)
{
    w->buf = buf;
    w->cap = cap;
    w->len = 1;
    buf[0] = INNER_CONTROL;
}

bool inner_ctl_nonempty(const struct inner_writer *w)
{
    return w->len > 1;
}

static uint8_t *inner_tlv_begin(struct inner_writer *w, uint8_t type, size_t vlen)
{
    uint8_t *p;

    if (vlen > 0xffff || w->len + INNER_TLV_HDR + vlen > w->cap)
        return NULL;
    p = w->buf + w->len;
    p[0] = type;
    p[1] = (uint8_t)(vlen >> 8);
    p[2] = (uint8_t)vlen;
    w->len += INNER_TLV_HDR + vlen;
    return p + INNER_TLV_HDR;
}

int inner_ctl_enclaves(struct inner_writer *w, uint8_t flags, const uint32_t *ids, size_t n)
{
    uint8_t *v;

    if (n > (0xffff - 1) / 3)
        return -ENOSPC;
    v = inner_tlv_begin(w, INNER_TLV_ENCLAVES, 1 + 3 * n);
    if (!v)
        return -ENOSPC;
    v[0] = flags;
    for (size_t i = 0; i < n; i++)
        put24(v + 1 + 3 * i, ids[i]);
    return 0;
}

int inner_ctl_features(struct inner_writer *w, uint32_t features)
{
    uint8_t *v = inner_tlv_begin(w, INNER_TLV_FEATURES, INNER_FEATURES_LEN);

    if (!v)
        return -ENOSPC;
    v[0] = (uint8_t)(features >> 24);
    v[1] = (uint8_t)(features >> 16);
    v[2] = (uint8_t)(features >> 8);
    v[3] = (uint8_t)features;
    return 0;
}

int inner_features_value(const struct inner_tlv *t, uint32_t *features)
{
    /* Longer values are a newer peer's: the first four bytes still count. */
    if (t->type != INNER_TLV_FEATURES || t->len < INNER_FEATURES_LEN)
        return -EBADMSG;
    *features = (uint32_t)t->val[0] << 24 | (uint32_t)t->val[1] << 16 |
                (uint32_t)t->val[2] << 8 | t->val[3];
    return 0;
}

int inner_ctl_mac(struct inner_writer *w, enum inner_tlv_type type, uint32_t enclave_id,
                  const uint8_t mac[6], uint64_t seq)
{
    uint8_t *v = inner_tlv_begin(w, (uint8_t)type, INNER_MAC_TLV_LEN);

    if (!v)
        return -ENOSPC;
    put24(v, enclave_id);
    memcpy(v + 3, mac, 6);
    for (int i = 0; i < 8; i++)
        v[9 + i] = (uint8_t)(seq >> (56 - 8 * i));
    return 0;
}

int inner_ctl_reader(struct inner_reader *r, const uint8_t *p, size_t len)
{
    if (len < 1 || p[0] != INNER_CONTROL)
        return -EBADMSG;
    r->p = p;
    r->len = len;
    r->off = 1;
    r->n_enclaves = 0;
    return 0;
}

int inner_ctl_next(struct inner_reader *r, struct inner_tlv *t)
{
    size_t vlen;

    if (r->off == r->len)
        return 0;
    if (r->len - r->off < INNER_TLV_HDR)
        return -EBADMSG;
    vlen = (size_t)r->p[r->off + 1] << 8 | r->p[r->off + 2];
    if (r->len - r->off - INNER_TLV_HDR < vlen)
        return -EBADMSG;
    t->type = r->p[r->off];
    t->val = r->p + r->off + INNER_TLV_HDR;
    t->len = vlen;
    r->off += INNER_TLV_HDR + vlen;
    if (t->type == INNER_TLV_ENCLAVES)
        r->n_enclaves++;
    return 1;
}

bool inner_ctl_extra(const struct inner_reader *r, const struct inner_tlv *t)
{
    return t->type == INNER_TLV_ENCLAVES && r->n_enclaves > 1;
}

int inner_enclaves_parse(const struct inner_tlv *t, uint8_t *flags, size_t *n)
{
    if (t->type != INNER_TLV_ENCLAVES || t->len < 1 || (t->len - 1) % 3 != 0)
        return -EBADMSG;
    for (size_t i = 0; i < (t->len - 1) / 3; i++)
        if (get24(t->val + 1 + 3 * i) == 0)
            return -EBADMSG;
    *flags = t->val[0];
    *n = (t->len - 1) / 3;
    return 0;
}

uint32_t inner_enclaves_id(const struct inner_tlv *t, size_t i)
{
    return get24(t->val + 1 + 3 * i);
}

int inner_mac_parse(const struct inner_tlv *t, uint32_t *enclave_id, uint8_t mac[6], uint64_t *seq)
{
    uint64_t s = 0;

    if ((t->type != INNER_TLV_MAC_ANNOUNCE && t->type != INNER_TLV_MAC_WITHDRAW) ||
        t->len != INNER_MAC_TLV_LEN)
        return -EBADMSG;
    *enclave_id = get24(t->val);
    if (*enclave_id == 0)
        return -EBADMSG;
    memcpy(mac, t->val + 3, 6);
    for (int i = 0; i < 8; i++)
        s = s << 8 | t->val[9 + i];
    if (s > INNER_SEQ_MAX)
        return -EBADMSG;
    *seq = s;
    return 0;
}

int inner_ring_parse(const uint8_t *p, size_t len, uint8_t *kind, const uint8_t **body,
                     size_t *body_len)
{
    if (len < INNER_RING_HDR || p[0] != INNER_RING)
        return -EBADMSG;
    *kind = p[1];
    *body = p + INNER_RING_HDR;
    *body_len = len - INNER_RING_HDR;
    return 0;
}

int inner_ring_host_parse(const uint8_t *body, size_t len, char name[INNER_RING_NAME_MAX + 1])
{
    if (len < 2 || len > 1 + INNER_RING_NAME_MAX)
        return -EBADMSG;
    for (size_t i = 1; i < len; i++) {
        uint8_t c = body[i];

        if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-'))
            return -EBADMSG;
        name[i - 1] = (char)c;
    }
    name[len - 1] = '\0';
    return 0;
}

int inner_relay_parse(const uint8_t *body, size_t len, struct inner_relay *out)
{
    size_t off = 0;

    if (len < INNER_RELAY_HDR + INNER_RELAY_SEALED_MIN)
        return -EBADMSG;
    memset(out, 0, sizeof(*out));
    out->ttl = body[off++];
    out->dest = body + off;
    off += 32;
    out->origin = body + off;
    off += 32;
    out->family = body[off++];
    out->port = (uint16_t)(body[off] << 8 | body[off + 1]);
    off += 2;
    out->addr = body + off;
    off += 16;
    out->epub = body + off;
    off += INNER_RELAY_EPUB;
    out->ts = 0;
    for (int i = 0; i < INNER_RELAY_TS; i++)
        out->ts = out->ts << 8 | body[off + (size_t)i];
    off += INNER_RELAY_TS;
    out->ad = body + 1;
    if (out->ttl == 0 || out->ttl > INNER_RELAY_TTL ||
        (out->family != 0 && out->family != 4 && out->family != 6))
        return -EBADMSG;
    out->sealed = body + off;
    out->sealed_len = len - off;
    return 0;
}

int inner_relay_build(const struct inner_relay *in, uint8_t *buf, size_t cap)
{
    size_t off = 0, need = INNER_RELAY_HDR + in->sealed_len;

    if (in->ttl == 0 || in->ttl > INNER_RELAY_TTL || in->sealed_len < INNER_RELAY_SEALED_MIN ||
        (in->family != 0 && in->family != 4 && in->family != 6))
        return -EINVAL;
    if (need > cap || need > INT32_MAX)
        return -EMSGSIZE;
    buf[off++] = in->ttl;
    memcpy(buf + off, in->dest, 32);
    off += 32;
    memcpy(buf + off, in->origin, 32);
    off += 32;
    buf[off++] = in->family;
    buf[off++] = (uint8_t)(in->port >> 8);
    buf[off++] = (uint8_t)in->port;
    if (in->addr)
        memcpy(buf + off, in->addr, 16);
    else
        memset(buf + off, 0, 16);
    off += 16;
    memcpy(buf + off, in->epub, INNER_RELAY_EPUB);
    off += INNER_RELAY_EPUB;
    for (int i = INNER_RELAY_TS - 1; i >= 0; i--)
        buf[off++] = (uint8_t)(in->ts >> (8 * i));
    /* the caller may have sealed in place already */
    if (buf + off != in->sealed)
        memmove(buf + off, in->sealed, in->sealed_len);
    return (int)(off + in->sealed_len);
}

int inner_relay_plain_parse(const uint8_t *p, size_t len, struct inner_relay_plain *out)
{
    if (len < 3)
        return -EBADMSG;
    memset(out, 0, sizeof(*out));
    out->cert_len = (size_t)p[0] << 8 | p[1];
    if (out->cert_len > INNER_RELAY_CERT_MAX || out->cert_len >= len - 2)
        return -EBADMSG;
    out->cert = out->cert_len ? p + 2 : NULL;
    out->msg = p + 2 + out->cert_len;
    out->msg_len = len - 2 - out->cert_len;
    return 0;
}

int inner_relay_plain_build(const struct inner_relay_plain *in, uint8_t *buf, size_t cap)
{
    size_t need = 2 + in->cert_len + in->msg_len;

    if (in->cert_len > INNER_RELAY_CERT_MAX || !in->msg_len)
        return -EINVAL;
    if (need > cap || need > INT32_MAX)
        return -EMSGSIZE;
    buf[0] = (uint8_t)(in->cert_len >> 8);
    buf[1] = (uint8_t)in->cert_len;
    if (in->cert_len)
        memcpy(buf + 2, in->cert, in->cert_len);
    memcpy(buf + 2 + in->cert_len, in->msg, in->msg_len);
    return (int)need;
}

int inner_detour_parse(const uint8_t *p, size_t len, struct inner_detour *out)
{
    if (len < 2 || p[0] != INNER_DETOUR)
        return -EBADMSG;
    memset(out, 0, sizeof(*out));
    out->kind = p[1];
    switch (out->kind) {
    case INNER_DETOUR_FORWARD:
        if (len < INNER_DETOUR_FWD_HDR + INNER_DETOUR_PKT_MIN || p[2] == 0 ||
            p[2] > INNER_DETOUR_TTL)
            return -EBADMSG;
        out->ttl = p[2];
        out->key = p + 3;
        out->origin = p + 3 + 32;
        out->pkt = p + INNER_DETOUR_FWD_HDR;
        out->pkt_len = len - INNER_DETOUR_FWD_HDR;
        return 0;
    case INNER_DETOUR_DELIVER:
        if (len < INNER_DETOUR_HDR + INNER_DETOUR_PKT_MIN)
            return -EBADMSG;
        out->key = p + 2;
        out->pkt = p + INNER_DETOUR_HDR;
        out->pkt_len = len - INNER_DETOUR_HDR;
        return 0;
    case INNER_DETOUR_REPORT:
        if (len < 3 || p[2] > INNER_DETOUR_REPORT_MAX ||
            len != 3 + (size_t)p[2] * INNER_DETOUR_ENTRY)
            return -EBADMSG;
        out->n = p[2];
        out->entries = p + 3;
        return 0;
    default:
        return -EBADMSG;
    }
}

void inner_detour_entry(const struct inner_detour *dt, unsigned i, uint64_t *key,
                        uint8_t *flags, uint32_t *rtt_us)
{
    const uint8_t *e = dt->entries + (size_t)i * INNER_DETOUR_ENTRY;

    *key = inner_detour_key(e);
    *flags = e[8];
    *rtt_us = (uint32_t)e[9] << 16 | (uint32_t)e[10] << 8 | e[11];
}

uint64_t inner_detour_key(const uint8_t pub[32])
{
    uint64_t k = 0;

    for (int i = 0; i < 8; i++)
        k = k << 8 | pub[i];
    return k;
}

void inner_probe_build(uint8_t buf[INNER_PROBE_LEN], const struct inner_probe *in)
{
    buf[0] = INNER_PROBE;
    buf[1] = in->flags;
    buf[2] = buf[3] = 0;
    buf[4] = (uint8_t)(in->seq >> 24);
    buf[5] = (uint8_t)(in->seq >> 16);
    buf[6] = (uint8_t)(in->seq >> 8);
    buf[7] = (uint8_t)in->seq;
    put64(buf + 8, in->ts);
}

int inner_probe_parse(const uint8_t *p, size_t len, struct inner_probe *out)
{
    /* Exact length and flags: a probe is answered at once, so anything a
     * future version might add gets a new flag or type, never slack here. */
    if (len != INNER_PROBE_LEN || p[0] != INNER_PROBE || p[2] || p[3])
        return -EBADMSG;
    if (p[1] != INNER_PROBE_REQUEST && p[1] != INNER_PROBE_REPLY)
        return -EBADMSG;
    out->flags = p[1];
    out->seq = (uint32_t)p[4] << 24 | (uint32_t)p[5] << 16 | (uint32_t)p[6] << 8 | p[7];
    out->ts = get64(p + 8);
    return 0;
}
