/* SPDX-License-Identifier: GPL-2.0-only */
/* inner.c: frame and control payload encoding/decoding, malformed input. */
#include <errno.h>
#include <string.h>

#include "overlayd/datapath/inner.h"
#include "lib/check.h"

static void test_frame(void)
{
    uint8_t buf[64] = { 0 }, hdr[4];
    const uint8_t *fr;
    size_t fl;
    uint32_t id;

    inner_frame_header(hdr, 0x0a0b0c);
    CHECK(hdr[0] == 1 && hdr[1] == 0x0a && hdr[2] == 0x0b && hdr[3] == 0x0c);
    memcpy(buf, hdr, 4);
    memset(buf + 4, 0xee, 20);
    CHECK(inner_frame_parse(buf, 24, &id, &fr, &fl) == 0);
    CHECK(id == 0x0a0b0c && fr == buf + 4 && fl == 20);
    /* shorter than an Ethernet header */
    CHECK(inner_frame_parse(buf, 4 + 13, &id, &fr, &fl) == -EBADMSG);
    CHECK(inner_frame_parse(buf, 4 + 14, &id, &fr, &fl) == 0);
    /* id 0 and wrong type */
    inner_frame_header(buf, 0);
    CHECK(inner_frame_parse(buf, 24, &id, &fr, &fl) == -EBADMSG);
    inner_frame_header(buf, 16777215);
    CHECK(inner_frame_parse(buf, 24, &id, &fr, &fl) == 0 && id == 16777215);
    buf[0] = 2;
    CHECK(inner_frame_parse(buf, 24, &id, &fr, &fl) == -EBADMSG);
}

/* Type 7: the virtio_net_hdr sits between the header and the frame. */
static void test_frame_gso(void)
{
    uint8_t buf[64] = { 0 };
    const uint8_t *vnet, *fr;
    size_t fl;
    uint32_t id;

    inner_frame_gso_header(buf, 0x0a0b0c);
    CHECK(buf[0] == INNER_FRAME_GSO && buf[1] == 0x0a && buf[2] == 0x0b && buf[3] == 0x0c);
    CHECK(inner_frame_gso_parse(buf, 14 + 14, &id, &vnet, &fr, &fl) == 0);
    CHECK(id == 0x0a0b0c && vnet == buf + 4 && fr == buf + 14 && fl == 14);
    /* no room for an Ethernet header after the virtio_net_hdr */
    CHECK(inner_frame_gso_parse(buf, 14 + 13, &id, &vnet, &fr, &fl) == -EBADMSG);
    /* a type 1 frame is not a type 7 one, nor the other way round */
    CHECK(inner_frame_parse(buf, 28, &id, &fr, &fl) == -EBADMSG);
    inner_frame_header(buf, 5);
    CHECK(inner_frame_gso_parse(buf, 28, &id, &vnet, &fr, &fl) == -EBADMSG);
    inner_frame_gso_header(buf, 0);
    CHECK(inner_frame_gso_parse(buf, 28, &id, &vnet, &fr, &fl) == -EBADMSG);
}

/* FEATURES: four bytes, big-endian; longer is a newer sender's, shorter malformed. */
static void test_features(void)
{
    uint8_t buf[64];
    uint8_t longer[] = { 2, 4, 0, 6, 0x80, 0, 0, 1, 0xaa, 0xbb };
    uint8_t shorter[] = { 2, 4, 0, 3, 0, 0, 1 };
    struct inner_writer w;
    struct inner_reader r;
    struct inner_tlv t;
    uint32_t f = 0;

    inner_ctl_init(&w, buf, sizeof(buf));
    CHECK(inner_ctl_features(&w, 0x01020304) == 0);
    CHECK(inner_ctl_reader(&r, w.buf, w.len) == 0);
    CHECK(inner_ctl_next(&r, &t) > 0 && t.type == INNER_TLV_FEATURES);
    CHECK(inner_features_value(&t, &f) == 0 && f == 0x01020304);
    CHECK(inner_ctl_reader(&r, longer, sizeof(longer)) == 0);
    CHECK(inner_ctl_next(&r, &t) > 0);
    CHECK(inner_features_value(&t, &f) == 0 && f == 0x80000001);
    CHECK(inner_ctl_reader(&r, shorter, sizeof(shorter)) == 0);
    CHECK(inner_ctl_next(&r, &t) > 0);
    CHECK(inner_features_value(&t, &f) == -EBADMSG);
    /* no room left */
    inner_ctl_init(&w, buf, 1 + 3 + 3);
    CHECK(inner_ctl_features(&w, 1) == -ENOSPC);
}

static void test_flood(void)
{
    uint8_t buf[64] = { 0 };
    struct inner_flood f;

    inner_flood_header(buf, 0x0a0b0c, 0x1122334455667788ull, 0x8877665544332211ull);
    CHECK(buf[0] == 4 && buf[1] == 0x0a && buf[3] == 0x0c && buf[4] == 0x11 && buf[19] == 0x11);
    memset(buf + 20, 0xee, 14);
    CHECK(inner_flood_parse(buf, 34, &f) == 0);
    CHECK(f.enclave == 0x0a0b0c && f.limit == 0x1122334455667788ull &&
          f.origin == 0x8877665544332211ull && f.frame == buf + 20 && f.frame_len == 14);
    inner_flood_set_limit(buf, 7);
    CHECK(inner_flood_parse(buf, 34, &f) == 0 && f.limit == 7 && f.origin == 0x8877665544332211ull);
    /* shorter than an Ethernet header, id 0, wrong type */
    CHECK(inner_flood_parse(buf, 33, &f) == -EBADMSG);
    inner_flood_header(buf, 0, 1, 2);
    CHECK(inner_flood_parse(buf, 34, &f) == -EBADMSG);
    inner_flood_header(buf, 5, 1, 2);
    buf[0] = INNER_FRAME;
    CHECK(inner_flood_parse(buf, 34, &f) == -EBADMSG);
}

static void test_control_roundtrip(void)
{
    uint8_t buf[256], mac[6] = { 0x52, 0x54, 0, 1, 2, 3 }, m2[6];
    uint32_t ids[3] = { 100, 200, 0xffffff }, id;
    uint64_t seq;
    uint8_t flags;
    size_t n;
    struct inner_writer w;
    struct inner_reader r;
    struct inner_tlv t;

    inner_ctl_init(&w, buf, sizeof(buf));
    CHECK(!inner_ctl_nonempty(&w));
    CHECK(inner_ctl_enclaves(&w, INNER_ENCLAVES_REQUEST, ids, 3) == 0);
    CHECK(inner_ctl_mac(&w, INNER_TLV_MAC_ANNOUNCE, 100, mac, 0x0102030405060708ull) == 0);
    CHECK(inner_ctl_mac(&w, INNER_TLV_MAC_WITHDRAW, 200, mac, 9) == 0);
    CHECK(w.len == 1 + (3 + 10) + 2 * (3 + 17));
    /* exact wire bytes of the ENCLAVES TLV */
    CHECK(buf[0] == 2 && buf[1] == 1 && buf[2] == 0 && buf[3] == 10 && buf[4] == 1);
    CHECK(buf[5] == 0 && buf[6] == 0 && buf[7] == 100);
    CHECK(buf[11] == 0xff && buf[12] == 0xff && buf[13] == 0xff);

    CHECK(inner_ctl_reader(&r, buf, w.len) == 0);
    CHECK(inner_ctl_next(&r, &t) == 1 && t.type == INNER_TLV_ENCLAVES);
    CHECK(inner_enclaves_parse(&t, &flags, &n) == 0 && flags == 1 && n == 3);
    CHECK(inner_enclaves_id(&t, 0) == 100 && inner_enclaves_id(&t, 2) == 0xffffff);
    CHECK(inner_ctl_next(&r, &t) == 1 && t.type == INNER_TLV_MAC_ANNOUNCE);
    CHECK(inner_mac_parse(&t, &id, m2, &seq) == 0);
    CHECK(id == 100 && memcmp(m2, mac, 6) == 0 && seq == 0x0102030405060708ull);
    CHECK(inner_ctl_next(&r, &t) == 1 && t.type == INNER_TLV_MAC_WITHDRAW);
    CHECK(inner_mac_parse(&t, &id, m2, &seq) == 0 && id == 200 && seq == 9);
    CHECK(inner_ctl_next(&r, &t) == 0);

    /* truncation anywhere inside a TLV is malformed */
    for (size_t cut = 2; cut < w.len; cut++) {
        int rc;

        CHECK(inner_ctl_reader(&r, buf, cut) == 0);
        while ((rc = inner_ctl_next(&r, &t)) > 0)
            ;
        if (cut != 14 && cut != 34)   /* TLV boundaries: a clean end */
            CHECK(rc == -EBADMSG);
        else
            CHECK(rc == 0);
    }
    CHECK(inner_ctl_reader(&r, buf, 0) == -EBADMSG);
    buf[0] = 1;
    CHECK(inner_ctl_reader(&r, buf, 10) == -EBADMSG);
}

static void test_control_limits(void)
{
    uint8_t buf[40], mac[6] = { 2, 0, 0, 0, 0, 1 };
    uint8_t v[20];
    struct inner_writer w;
    struct inner_tlv t;
    uint32_t id;
    uint64_t seq;
    uint8_t flags;
    size_t n;

    inner_ctl_init(&w, buf, sizeof(buf));
    CHECK(inner_ctl_mac(&w, INNER_TLV_MAC_ANNOUNCE, 1, mac, 1) == 0);   /* 21 bytes */
    CHECK(inner_ctl_mac(&w, INNER_TLV_MAC_ANNOUNCE, 1, mac, 2) == -ENOSPC);
    CHECK(w.len == 21);
    /* malformed values */
    memset(v, 0, sizeof(v));
    t.type = INNER_TLV_MAC_ANNOUNCE;
    t.val = v;
    t.len = 16;
    CHECK(inner_mac_parse(&t, &id, mac, &seq) == -EBADMSG);
    t.len = 17;
    CHECK(inner_mac_parse(&t, &id, mac, &seq) == -EBADMSG);   /* id 0 */
    v[2] = 5;
    CHECK(inner_mac_parse(&t, &id, mac, &seq) == 0 && id == 5);
    /* seq 2^63 - 1 is the largest valid one; 2^63 and above are malformed */
    memset(v + 9, 0xff, 8);
    v[9] = 0x7f;
    CHECK(inner_mac_parse(&t, &id, mac, &seq) == 0 && seq == INNER_SEQ_MAX);
    v[9] = 0x80;
    memset(v + 10, 0, 7);
    CHECK(inner_mac_parse(&t, &id, mac, &seq) == -EBADMSG);
    memset(v + 9, 0xff, 8);
    CHECK(inner_mac_parse(&t, &id, mac, &seq) == -EBADMSG);
    memset(v + 9, 0, 8);
    t.type = INNER_TLV_ENCLAVES;
    t.len = 3;                        /* flags + 2 bytes: not a whole id */
    CHECK(inner_enclaves_parse(&t, &flags, &n) == -EBADMSG);
    t.len = 0;
    CHECK(inner_enclaves_parse(&t, &flags, &n) == -EBADMSG);
    t.len = 1;
    CHECK(inner_enclaves_parse(&t, &flags, &n) == 0 && n == 0);
    t.len = 4;                        /* id 0 */
    memset(v, 0, sizeof(v));
    CHECK(inner_enclaves_parse(&t, &flags, &n) == -EBADMSG);
}

static void test_unknown_tlv_skipped(void)
{
    uint8_t msg[] = { 2, 99, 0, 2, 0xaa, 0xbb, 1, 0, 1, 0 };
    struct inner_reader r;
    struct inner_tlv t;
    uint8_t flags;
    size_t n;

    CHECK(inner_ctl_reader(&r, msg, sizeof(msg)) == 0);
    CHECK(inner_ctl_next(&r, &t) == 1 && t.type == 99 && t.len == 2);
    CHECK(inner_ctl_next(&r, &t) == 1 && t.type == INNER_TLV_ENCLAVES);
    CHECK(inner_enclaves_parse(&t, &flags, &n) == 0 && n == 0 && flags == 0);
    CHECK(inner_ctl_next(&r, &t) == 0);
}

/* Issue 12 item 6: one 9 KB datagram packed with ENCLAVES + REQUEST TLVs
 * (empty sets: about 2,240) counts as one set; every later ENCLAVES is marked extra,
 * the MAC TLVs among them still count. */
static void test_enclaves_once(void)
{
    static uint8_t buf[9000];
    const uint8_t mac[6] = { 2, 0, 0, 0, 0, 1 };
    struct inner_writer w;
    struct inner_reader r;
    struct inner_tlv t;
    size_t sets = 0, extra = 0, macs = 0, n_written = 0;

    inner_ctl_init(&w, buf, sizeof(buf));
    CHECK(inner_ctl_mac(&w, INNER_TLV_MAC_ANNOUNCE, 7, mac, 1) == 0);
    while (inner_ctl_enclaves(&w, INNER_ENCLAVES_REQUEST, NULL, 0) == 0)
        n_written++;
    CHECK(n_written > 2200, "a 9 KB datagram holds %zu sets", n_written);
    CHECK(inner_ctl_reader(&r, w.buf, w.len) == 0);
    while (inner_ctl_next(&r, &t) > 0) {
        if (t.type == INNER_TLV_MAC_ANNOUNCE)
            macs++;
        else if (inner_ctl_extra(&r, &t))
            extra++;
        else if (t.type == INNER_TLV_ENCLAVES)
            sets++;
    }
    CHECK(sets == 1 && extra == n_written - 1 && macs == 1, "sets %zu extra %zu macs %zu",
          sets, extra, macs);
    /* a new message counts afresh */
    CHECK(inner_ctl_reader(&r, w.buf, 1 + INNER_TLV_HDR + INNER_MAC_TLV_LEN + 4) == 0);
    CHECK(inner_ctl_next(&r, &t) == 1 && !inner_ctl_extra(&r, &t));
    CHECK(inner_ctl_next(&r, &t) == 1 && t.type == INNER_TLV_ENCLAVES && !inner_ctl_extra(&r, &t));
    CHECK(inner_ctl_next(&r, &t) == 0);
}

/* Type 3 (ring): kind + body; HOST names [a-z0-9-], 1..32 characters. */
static void test_ring(void)
{
    const uint8_t msg[] = { 3, 1, 0xaa, 0xbb }, hdr_only[] = { 3, 3 }, shortp[] = { 3 };
    const uint8_t host[] = { 1, 'h', '2', '-', 'x' }, empty[] = { 0 };
    const uint8_t upper[] = { 0, 'H' }, dot[] = { 0, 'a', '.' };
    uint8_t longn[1 + 33], kind = 0;
    const uint8_t *body;
    size_t blen;
    char name[INNER_RING_NAME_MAX + 1];

    CHECK(inner_ring_parse(msg, sizeof(msg), &kind, &body, &blen) == 0);
    CHECK(kind == INNER_RING_MSG && body == msg + 2 && blen == 2);
    CHECK(inner_ring_parse(hdr_only, sizeof(hdr_only), &kind, &body, &blen) == 0);
    CHECK(kind == INNER_RING_CLOSE && blen == 0);
    CHECK(inner_ring_parse(shortp, sizeof(shortp), &kind, &body, &blen) == -EBADMSG);
    CHECK(inner_ring_parse(msg, 0, &kind, &body, &blen) == -EBADMSG);
    CHECK(inner_ring_parse((const uint8_t[]){ 2, 1 }, 2, &kind, &body, &blen) == -EBADMSG);

    CHECK(inner_ring_host_parse(host, sizeof(host), name) == 0);
    CHECK(strcmp(name, "h2-x") == 0 && (host[0] & INNER_RING_HOST_REQUEST));
    CHECK(inner_ring_host_parse(empty, sizeof(empty), name) == -EBADMSG);
    CHECK(inner_ring_host_parse(upper, sizeof(upper), name) == -EBADMSG);
    CHECK(inner_ring_host_parse(dot, sizeof(dot), name) == -EBADMSG);
    memset(longn, 'a', sizeof(longn));
    CHECK(inner_ring_host_parse(longn, 1 + 32, name) == 0 && strlen(name) == 32);
    CHECK(inner_ring_host_parse(longn, 1 + 33, name) == -EBADMSG);
}

static void test_relay(void)
{
    uint8_t dest[32], origin[32], addr[16] = { 10, 201, 0, 7 }, epub[INNER_RELAY_EPUB];
    uint8_t sealed[INNER_RELAY_SEALED_MIN + 4], buf[256];
    struct inner_relay in = {
        .ttl = INNER_RELAY_TTL, .dest = dest, .origin = origin, .family = 4, .port = 51900,
        .addr = addr, .epub = epub, .ts = 0x0102030405060708ull, .sealed = sealed,
        .sealed_len = sizeof(sealed),
    }, out;
    int n;

    memset(dest, 0xd1, 32);
    memset(origin, 0x0c, 32);
    memset(epub, 0x77, sizeof(epub));
    memset(sealed, 0x5e, sizeof(sealed));
    n = inner_relay_build(&in, buf, sizeof(buf));
    CHECK(n == INNER_RELAY_HDR + (int)sizeof(sealed));
    CHECK(inner_relay_parse(buf, (size_t)n, &out) == 0);
    CHECK(out.ttl == INNER_RELAY_TTL && memcmp(out.dest, dest, 32) == 0);
    CHECK(memcmp(out.origin, origin, 32) == 0 && out.family == 4 && out.port == 51900);
    CHECK(memcmp(out.addr, addr, 16) == 0 && memcmp(out.epub, epub, sizeof(epub)) == 0);
    CHECK(out.ts == 0x0102030405060708ull && out.ad == buf + 1);
    CHECK(buf[INNER_RELAY_HDR - 8] == 1 && buf[INNER_RELAY_HDR - 1] == 8);   /* big-endian */
    CHECK(out.sealed_len == sizeof(sealed) && out.sealed[0] == 0x5e);
    /* malformed: sealed part too short, ttl 0 or too high, bad family */
    CHECK(inner_relay_parse(buf, INNER_RELAY_HDR + INNER_RELAY_SEALED_MIN - 1, &out) == -EBADMSG);
    CHECK(inner_relay_parse(buf, INNER_RELAY_HDR + INNER_RELAY_SEALED_MIN, &out) == 0);
    buf[0] = 0;
    CHECK(inner_relay_parse(buf, (size_t)n, &out) == -EBADMSG);
    buf[0] = INNER_RELAY_TTL + 1;
    CHECK(inner_relay_parse(buf, (size_t)n, &out) == -EBADMSG);
    buf[0] = 1;
    buf[65] = 5;
    CHECK(inner_relay_parse(buf, (size_t)n, &out) == -EBADMSG);
    buf[65] = 6;
    CHECK(inner_relay_parse(buf, (size_t)n, &out) == 0 && out.family == 6);
    /* the builder refuses what the parser would */
    in.ttl = 0;
    CHECK(inner_relay_build(&in, buf, sizeof(buf)) == -EINVAL);
    in.ttl = 3;
    in.sealed_len = INNER_RELAY_SEALED_MIN - 1;
    CHECK(inner_relay_build(&in, buf, sizeof(buf)) == -EINVAL);
    in.sealed_len = sizeof(sealed);
    CHECK(inner_relay_build(&in, buf, INNER_RELAY_HDR + 4) == -EMSGSIZE);
}

static void test_relay_plain(void)
{
    uint8_t cert[40], msg[5] = "hello", buf[128];
    struct inner_relay_plain in = { .cert = cert, .cert_len = sizeof(cert), .msg = msg,
                                    .msg_len = sizeof(msg) }, out;
    int n;

    memset(cert, 0xce, sizeof(cert));
    n = inner_relay_plain_build(&in, buf, sizeof(buf));
    CHECK(n == 2 + 40 + 5);
    CHECK(inner_relay_plain_parse(buf, (size_t)n, &out) == 0);
    CHECK(out.cert_len == 40 && out.cert[0] == 0xce && out.msg_len == 5);
    CHECK(memcmp(out.msg, "hello", 5) == 0);
    in.cert_len = 0;
    n = inner_relay_plain_build(&in, buf, sizeof(buf));
    CHECK(inner_relay_plain_parse(buf, (size_t)n, &out) == 0 && !out.cert && out.msg_len == 5);
    /* a certificate that leaves no message, or is too long */
    buf[0] = 0;
    buf[1] = 5;
    CHECK(inner_relay_plain_parse(buf, 7, &out) == -EBADMSG);
    CHECK(inner_relay_plain_parse(buf, 8, &out) == 0 && out.msg_len == 1);
    buf[0] = (INNER_RELAY_CERT_MAX + 1) >> 8;
    buf[1] = (INNER_RELAY_CERT_MAX + 1) & 0xff;
    CHECK(inner_relay_plain_parse(buf, sizeof(buf), &out) == -EBADMSG);
    CHECK(inner_relay_plain_parse(buf, 2, &out) == -EBADMSG);
    in.msg_len = 0;
    CHECK(inner_relay_plain_build(&in, buf, sizeof(buf)) == -EINVAL);
    in.msg_len = 5;
    in.cert_len = INNER_RELAY_CERT_MAX + 1;
    CHECK(inner_relay_plain_build(&in, buf, sizeof(buf)) == -EINVAL);
    in.cert_len = 40;
    CHECK(inner_relay_plain_build(&in, buf, 10) == -EMSGSIZE);
}

/* Type 6: exact lengths, every kind, entries decoded big-endian. */
static void test_detour(void)
{
    uint8_t b[3 + 2 * INNER_DETOUR_ENTRY + 64];
    struct inner_detour dt;
    uint64_t key;
    uint32_t rtt;
    uint8_t fl;

    memset(b, 0, sizeof(b));
    b[0] = INNER_DETOUR;
    b[1] = INNER_DETOUR_FORWARD;
    b[2] = INNER_DETOUR_TTL;
    CHECK(inner_detour_parse(b, INNER_DETOUR_FWD_HDR + INNER_DETOUR_PKT_MIN, &dt) == 0);
    CHECK(dt.kind == INNER_DETOUR_FORWARD && dt.ttl == INNER_DETOUR_TTL && dt.key == b + 3 &&
          dt.origin == b + 35 && dt.pkt == b + INNER_DETOUR_FWD_HDR &&
          dt.pkt_len == INNER_DETOUR_PKT_MIN);
    CHECK(inner_detour_parse(b, INNER_DETOUR_FWD_HDR + INNER_DETOUR_PKT_MIN - 1, &dt) == -EBADMSG);
    b[2] = 0;
    CHECK(inner_detour_parse(b, sizeof(b), &dt) == -EBADMSG);
    b[2] = INNER_DETOUR_TTL + 1;
    CHECK(inner_detour_parse(b, sizeof(b), &dt) == -EBADMSG);
    b[1] = INNER_DETOUR_DELIVER;
    for (int i = 0; i < 32; i++)
        b[2 + i] = (uint8_t)(i + 1);
    CHECK(inner_detour_parse(b, sizeof(b), &dt) == 0 && dt.pkt_len == sizeof(b) - INNER_DETOUR_HDR);
    CHECK(inner_detour_key(b + 2) == 0x0102030405060708ull);

    b[1] = INNER_DETOUR_REPORT;
    b[2] = 2;
    memcpy(b + 3, "\x01\x02\x03\x04\x05\x06\x07\x08\x00\x01\x86\xa0", 12);
    memcpy(b + 15, "\xff\xff\xff\xff\xff\xff\xff\xff\x01\xff\xff\xff", 12);
    CHECK(inner_detour_parse(b, 3 + 2 * INNER_DETOUR_ENTRY, &dt) == 0 && dt.n == 2);
    inner_detour_entry(&dt, 0, &key, &fl, &rtt);
    CHECK(key == 0x0102030405060708ull && fl == 0 && rtt == 100000);
    inner_detour_entry(&dt, 1, &key, &fl, &rtt);
    CHECK(key == UINT64_MAX && fl == INNER_DETOUR_RELAYED && rtt == INNER_DETOUR_RTT_UNKNOWN);
    CHECK(inner_detour_parse(b, 3 + 2 * INNER_DETOUR_ENTRY + 1, &dt) == -EBADMSG);
    CHECK(inner_detour_parse(b, 3 + INNER_DETOUR_ENTRY, &dt) == -EBADMSG);
    b[2] = 0;
    CHECK(inner_detour_parse(b, 3, &dt) == 0 && dt.n == 0);
    b[2] = INNER_DETOUR_REPORT_MAX + 1;
    CHECK(inner_detour_parse(b, 3 + (INNER_DETOUR_REPORT_MAX + 1) * INNER_DETOUR_ENTRY, &dt) ==
          -EBADMSG);
    CHECK(inner_detour_parse(b, 2, &dt) == -EBADMSG);

    b[1] = 9;
    CHECK(inner_detour_parse(b, 7, &dt) == -EBADMSG);
    b[0] = INNER_FRAME;
    b[1] = INNER_DETOUR_REPORT;
    b[2] = 0;
    CHECK(inner_detour_parse(b, 3, &dt) == -EBADMSG);
    /* Kind 4 was a probe of type 6's; probes are type 5 (test_probe). */
    b[0] = INNER_DETOUR;
    b[1] = 4;
    CHECK(inner_detour_parse(b, 7, &dt) == -EBADMSG);
}

/* Type 5: byte for byte, and every malformed shape refused. */
static void test_probe(void)
{
    static const uint8_t want[INNER_PROBE_LEN] = {
        0x05, 0x01, 0x00, 0x00, 0xfe, 0xdc, 0xba, 0x98,
        0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08,
    };
    struct inner_probe in = { INNER_PROBE_REQUEST, 0xfedcba98u, 0x0102030405060708ull }, out;
    uint8_t buf[INNER_PROBE_LEN + 1], bad[INNER_PROBE_LEN + 1];

    inner_probe_build(buf, &in);
    CHECK(memcmp(buf, want, sizeof(want)) == 0);
    CHECK(inner_probe_parse(buf, INNER_PROBE_LEN, &out) == 0);
    CHECK(out.flags == INNER_PROBE_REQUEST && out.seq == in.seq && out.ts == in.ts);
    in.flags = INNER_PROBE_REPLY;
    inner_probe_build(buf, &in);
    CHECK(buf[1] == 0x02);
    CHECK(inner_probe_parse(buf, INNER_PROBE_LEN, &out) == 0 && out.flags == INNER_PROBE_REPLY);
    /* Exact length only. */
    CHECK(inner_probe_parse(buf, INNER_PROBE_LEN - 1, &out) == -EBADMSG);
    CHECK(inner_probe_parse(buf, INNER_PROBE_LEN + 1, &out) == -EBADMSG);
    CHECK(inner_probe_parse(buf, 1, &out) == -EBADMSG);
    /* Flags: none, both, unknown. */
    for (unsigned f = 0; f < 256; f++) {
        memcpy(bad, want, sizeof(want));
        bad[1] = (uint8_t)f;
        CHECK((inner_probe_parse(bad, INNER_PROBE_LEN, &out) == 0) == (f == 1 || f == 2),
              "flags 0x%02x", f);
    }
    /* Reserved bytes and the type. */
    memcpy(bad, want, sizeof(want));
    bad[2] = 1;
    CHECK(inner_probe_parse(bad, INNER_PROBE_LEN, &out) == -EBADMSG);
    memcpy(bad, want, sizeof(want));
    bad[3] = 0x80;
    CHECK(inner_probe_parse(bad, INNER_PROBE_LEN, &out) == -EBADMSG);
    memcpy(bad, want, sizeof(want));
    bad[0] = INNER_RING;
    CHECK(inner_probe_parse(bad, INNER_PROBE_LEN, &out) == -EBADMSG);
}

int main(void)
{
    test_frame_gso();
    test_features();
    test_detour();
    test_probe();
    test_ring();
    test_relay();
    test_relay_plain();
    test_frame();
    test_flood();
    test_control_roundtrip();
    test_control_limits();
    test_unknown_tlv_skipped();
    test_enclaves_once();
    return CHECK_DONE();
}
