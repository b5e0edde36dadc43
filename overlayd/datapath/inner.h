/* SPDX-License-Identifier: GPL-2.0-only */
#ifndef OVL_OVERLAYD_INNER_H
#define OVL_OVERLAYD_INNER_H

/*
 * DOC: inner — payloads carried inside link data packets
 *
 * Byte 0 of every decrypted link payload is its type (docs/inner-protocol.md):
 *
 *   1 frame:    type(1) || enclave id(3, big-endian) || Ethernet frame
 *   4 flood:    type(1) || enclave id(3) || limit(8) || origin(8) || Ethernet frame
 *               a broadcast passed along the tree (docs/design.md,
 *               "Broadcasts"): the receiver delivers it and passes it on to
 *               its links in the ring interval (itself, limit); limit and
 *               origin are the first 8 bytes of ring ids
 *   2 control:  type(1) || TLV*   with TLV = tlv type(1) || length(2, BE) || value
 *   3 ring:     type(1) || kind(1) || body
 *               kind 1 MSG:   a ring message (routing/wire.c)
 *               kind 2 HOST:  flags(1) || the sender's [Host] Name (1..32 bytes)
 *                             flag 0x01 REQUEST: "send me yours"
 *               kind 3 CLOSE: empty: the sender dropped our idle session;
 *                             flags(1), 0x01 REQUEST: "close it if you
 *                             do not need it either" (answered by CLOSE);
 *                             0x02 DECLINE: "I hold too many links: do not
 *                             use me as a ring neighbour for a while"
 *               kind 4 RELAY: a ring message for a host the sender holds no
 *                             link to, passed on hop by hop over ring links:
 *                             ttl(1) || dest key(32) || origin key(32) ||
 *                             origin endpoint: family(1) port(2) addr(16) ||
 *                             ephemeral key(32) || Unix ms(8) || sealed,
 *                             where sealed is the envelope (crypto/
 *                             envelope.h) from origin to dest of
 *                             cert length(2) || origin certificate || message
 *               kind 5 ECHO:  flags(1), 0x01 REQUEST: answer with an ECHO
 *                             (is the next relay hop still there?)
 *   5 probe:    type(1) || flags(1) || reserved(2) = 0 || seq(4, BE) || timestamp(8, BE)
 *               exactly 16 bytes; flags exactly one of 0x01 REQUEST ("answer at
 *               once") and 0x02 REPLY (seq and timestamp of the request echoed);
 *               the timestamp is the prober's own clock, opaque to the peer
 *               (overlayd/paths/path_probe.h, docs/inner-protocol.md)
 *
 *   6 detour:   type(1) || kind(1) || body   (docs/paths.md)
 *               kind 1 FORWARD: ttl(1) || dest key(32) || origin key(32) ||
 *                             link packet: "pass this packet of origin's
 *                             link with dest on" (ttl: relays it may
 *                             still pass, 1..3)
 *               kind 2 DELIVER: origin key(32) || link packet
 *                             "origin sent you this through me"
 *               kind 3 REPORT:  count(1) || (key(8) || flags(1) || rtt_us(3, BE))*
 *                             the sender's live links (first 8 bytes of
 *                             the other host's key, RTT or 0xffffff
 *                             unknown), and with flag 0x01 RELAYED the
 *                             hosts it reaches through a relay other than
 *                             the receiver (their detour's cost)
 *
 *   7 offload frame: type(1) || enclave id(3) || virtio_net_hdr(10) || Ethernet frame
 *               a frame with a partial checksum or a super-frame (up to
 *               64 KB, cut into segments by whoever delivers it to a
 *               device without offloads); only to a host whose FEATURES
 *               has INNER_FEAT_OFFLOAD
 *
 * Control TLVs:
 *   1 ENCLAVES      flags(1) || enclave id(3, BE)*   the sender's full set
 *                   flag 0x01 REQUEST: "send me yours" (sender has no view of ours)
 *   2 MAC_ANNOUNCE  enclave id(3) || MAC(6) || seq(8, BE)
 *   3 MAC_WITHDRAW  enclave id(3) || MAC(6) || seq(8, BE)
 *   4 FEATURES      flags(4, BE), sent with every ENCLAVES: what the sender
 *                   takes (INNER_FEAT_*); bytes past the fourth are a newer
 *                   sender's and are ignored; a set without FEATURES means 0
 * Unknown TLV types are skipped (forward compatibility); a TLV running
 * past the end makes the whole message malformed. A message carries at
 * most one ENCLAVES (a set is whole: a second one would only replace the
 * first); later ones are ignored (inner_ctl_extra), so one datagram costs
 * one set update however many it packs. Pure code: no I/O.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum inner_type {
    INNER_FRAME = 1,
    INNER_CONTROL = 2,
    INNER_RING = 3,
    INNER_FLOOD = 4,
    INNER_PROBE = 5,
    INNER_DETOUR = 6,
    INNER_FRAME_GSO = 7,
};

enum inner_probe_consts {
    INNER_PROBE_LEN = 16,
    INNER_PROBE_REQUEST = 0x01,
    INNER_PROBE_REPLY = 0x02,
};

/* A type-5 payload. */
struct inner_probe {
    uint8_t flags;                   /* INNER_PROBE_REQUEST or INNER_PROBE_REPLY */
    uint32_t seq;
    uint64_t ts;
};

enum inner_detour_kind {
    INNER_DETOUR_FORWARD = 1,
    INNER_DETOUR_DELIVER = 2,
    INNER_DETOUR_REPORT = 3,
    INNER_DETOUR_HDR = 2 + 32,         /* DELIVER before the packet */
    INNER_DETOUR_FWD_HDR = 2 + 1 + 32 + 32, /* FORWARD before the packet */
    INNER_DETOUR_TTL = 8,              /* relays one packet may pass */
    INNER_DETOUR_PKT_MIN = 32,         /* a link keepalive: header and tag */
    INNER_DETOUR_ENTRY = 12,
    INNER_DETOUR_REPORT_MAX = 64,      /* entries; keeps a REPORT under 800 bytes */
};

#define INNER_DETOUR_RTT_UNKNOWN UINT32_C(0xffffff)
#define INNER_DETOUR_RTT_MAX (INNER_DETOUR_RTT_UNKNOWN - 1)
#define INNER_DETOUR_RELAYED 0x01

struct inner_detour {
    uint8_t kind;
    const uint8_t *key;                /* FORWARD: dest; DELIVER: origin */
    const uint8_t *origin;             /* FORWARD */
    uint8_t ttl;                       /* FORWARD */
    const uint8_t *pkt;                /* FORWARD / DELIVER: the link packet */
    size_t pkt_len;
    unsigned n;                        /* REPORT: entries */
    const uint8_t *entries;
};

enum inner_ring_kind {
    INNER_RING_MSG = 1,
    INNER_RING_HOST = 2,
    INNER_RING_CLOSE = 3,
    INNER_RING_RELAY = 4,
    INNER_RING_ECHO = 5,
    INNER_RING_ECHO_REQUEST = 0x01,
    INNER_RING_HOST_REQUEST = 0x01,
    INNER_RING_CLOSE_REQUEST = 0x01,
    INNER_RING_CLOSE_DECLINE = 0x02,
    INNER_RING_HDR = 2,
    INNER_RING_NAME_MAX = 32,
};

enum inner_relay_consts {
    INNER_RELAY_EPUB = 32,           /* the seal's ephemeral public key (crypto/envelope.h) */
    INNER_RELAY_TS = 8,              /* the origin's wall clock, Unix ms */
    INNER_RELAY_MAC = 16,            /* ENV_MAC */
    INNER_RELAY_HDR = 1 + 32 + 32 + 1 + 2 + 16 + INNER_RELAY_EPUB + INNER_RELAY_TS,
    INNER_RELAY_TTL = 16,            /* hops; Chord needs O(log n) */
    INNER_RELAY_CERT_MAX = 1024,     /* as the handshake's certificate slot */
    /* sealed: MAC, cert length, at least one message byte */
    INNER_RELAY_SEALED_MIN = INNER_RELAY_MAC + 2 + 1,
};

/* A RELAY body, parsed; pointers into the buffer. */
struct inner_relay {
    uint8_t ttl;
    const uint8_t *dest;             /* 32-byte public key */
    const uint8_t *origin;           /* 32-byte public key */
    uint8_t family;                  /* 0 (unknown), 4 or 6 */
    uint16_t port;
    const uint8_t *addr;             /* 16 bytes, IPv4 in the first 4 */
    const uint8_t *epub;             /* INNER_RELAY_EPUB bytes */
    uint64_t ts;                     /* Unix ms */
    const uint8_t *ad;               /* what the seal authenticates: the header after ttl */
    const uint8_t *sealed;           /* ChaCha20-Poly1305 ciphertext, MAC last */
    size_t sealed_len;
};

/* What a RELAY seals: the origin's certificate and one ring message. */
struct inner_relay_plain {
    const uint8_t *cert;             /* NULL when cert_len is 0 */
    size_t cert_len;
    const uint8_t *msg;
    size_t msg_len;
};

enum inner_tlv_type {
    INNER_TLV_ENCLAVES = 1,
    INNER_TLV_MAC_ANNOUNCE = 2,
    INNER_TLV_MAC_WITHDRAW = 3,
    INNER_TLV_FEATURES = 4,
};

/* FEATURES bits: what the sender can take. */
enum inner_feature {
    /* Type-7 frames (partial checksums, super-frames) and link messages
     * sent as fragments (crypto/link.h, LINK_MSG_FRAG). */
    INNER_FEAT_OFFLOAD = 0x00000001,
};

enum inner_limits {
    INNER_FRAME_HDR = 4,
    INNER_VNET_HDR = 10,             /* struct virtio_net_hdr */
    INNER_FRAME_GSO_HDR = INNER_FRAME_HDR + INNER_VNET_HDR,
    INNER_FEATURES_LEN = 4,
    INNER_FLOOD_HDR = 20,
    INNER_ETH_MIN = 14,              /* dst(6) src(6) ethertype(2) */
    INNER_ETH_VLAN = 18,             /* Ethernet header with one 802.1Q tag: frame = MTU + this */
    INNER_TLV_HDR = 3,
    INNER_MAC_TLV_LEN = 17,
    INNER_ENCLAVES_REQUEST = 0x01,
    INNER_ENCLAVE_ID_MAX = 0xffffff,
    INNER_CTL_MAX = 1200,            /* control messages stay below any sane inner MTU */
};

/* Write the 4-byte frame header for @enclave_id. */
void inner_frame_header(uint8_t hdr[INNER_FRAME_HDR], uint32_t enclave_id);
/*
 * Parse a type-1 payload. Returns 0 with the enclave id and the frame, or
 * -EBADMSG (wrong type, too short for an Ethernet header, id 0).
 */
int inner_frame_parse(const uint8_t *p, size_t len, uint32_t *enclave_id,
                      const uint8_t **frame, size_t *frame_len);

/* Write the 4-byte header of a type-7 frame (the virtio_net_hdr follows). */
void inner_frame_gso_header(uint8_t hdr[INNER_FRAME_HDR], uint32_t enclave_id);
/*
 * Parse a type-7 payload: @vnet gets the INNER_VNET_HDR bytes of its
 * virtio_net_hdr (not checked here: datapath/vnet.h), @frame the frame.
 * -EBADMSG as inner_frame_parse().
 */
int inner_frame_gso_parse(const uint8_t *p, size_t len, uint32_t *enclave_id,
                          const uint8_t **vnet, const uint8_t **frame, size_t *frame_len);

/* A type-4 payload, parsed; @frame points into it. */
struct inner_flood {
    uint32_t enclave;
    uint64_t limit, origin;
    const uint8_t *frame;
    size_t frame_len;
};

void inner_flood_header(uint8_t hdr[INNER_FLOOD_HDR], uint32_t enclave_id, uint64_t limit,
                        uint64_t origin);
void inner_flood_set_limit(uint8_t hdr[INNER_FLOOD_HDR], uint64_t limit);
/* Returns 0, or -EBADMSG (wrong type, short, id 0). */
int inner_flood_parse(const uint8_t *p, size_t len, struct inner_flood *out);

struct inner_writer {
    uint8_t *buf;
    size_t cap;
    size_t len;
};

/* Start a control message in @buf (cap >= 1). */
void inner_ctl_init(struct inner_writer *w, uint8_t *buf, size_t cap);
/* Append TLVs. Return 0 or -ENOSPC (nothing appended). */
int inner_ctl_enclaves(struct inner_writer *w, uint8_t flags, const uint32_t *ids, size_t n);
struct inner_tlv;
/* A FEATURES TLV (INNER_FEAT_* bits). */
int inner_ctl_features(struct inner_writer *w, uint32_t features);
/* Its value; -EBADMSG when shorter than four bytes. */
int inner_features_value(const struct inner_tlv *t, uint32_t *features);
int inner_ctl_mac(struct inner_writer *w, enum inner_tlv_type type, uint32_t enclave_id,
                  const uint8_t mac[6], uint64_t seq);
/* True when the message holds at least one TLV. */
bool inner_ctl_nonempty(const struct inner_writer *w);

struct inner_tlv {
    uint8_t type;
    const uint8_t *val;
    size_t len;
};

struct inner_reader {
    const uint8_t *p;
    size_t len;
    size_t off;
    size_t n_enclaves;               /* ENCLAVES TLVs read so far */
};

/* Returns 0, or -EBADMSG when @p is not a control message. */
int inner_ctl_reader(struct inner_reader *r, const uint8_t *p, size_t len);
/* Next TLV: 1 (in @t), 0 at the end, -EBADMSG when truncated. */
int inner_ctl_next(struct inner_reader *r, struct inner_tlv *t);
/* Is @t, just read from @r, an ENCLAVES after the message's first (to be
 * ignored)? */
bool inner_ctl_extra(const struct inner_reader *r, const struct inner_tlv *t);

/* ENCLAVES value: flags and count (ids via inner_enclaves_id). -EBADMSG if malformed. */
int inner_enclaves_parse(const struct inner_tlv *t, uint8_t *flags, size_t *n);
uint32_t inner_enclaves_id(const struct inner_tlv *t, size_t i);
/* Largest valid MAC sequence number (2^63 - 1, as fdb.h FDB_SEQ_MAX): above
 * it a takeover (seq + 1) could not be expressed, so such a value would pin
 * a MAC forever. */
#define INNER_SEQ_MAX ((uint64_t)INT64_MAX)
/* MAC_ANNOUNCE / MAC_WITHDRAW value. -EBADMSG if malformed (length, id 0,
 * seq > INNER_SEQ_MAX). */
int inner_mac_parse(const struct inner_tlv *t, uint32_t *enclave_id, uint8_t mac[6], uint64_t *seq);

/* Type 3: the kind and the body after the 2-byte header. -EBADMSG if shorter. */
int inner_ring_parse(const uint8_t *p, size_t len, uint8_t *kind, const uint8_t **body,
                     size_t *body_len);
/* HOST body: flags, then a name of 1..32 characters [a-z0-9-] copied NUL-terminated
 * into @name. -EBADMSG if malformed. */
int inner_ring_host_parse(const uint8_t *body, size_t len, char name[INNER_RING_NAME_MAX + 1]);
/* RELAY body. -EBADMSG if malformed: short (sealed part below
 * INNER_RELAY_SEALED_MIN), ttl 0 or above INNER_RELAY_TTL, family not
 * 0/4/6. */
int inner_relay_parse(const uint8_t *body, size_t len, struct inner_relay *out);
/* Write a RELAY body (not the 2-byte ring header) for @in into @buf.
 * Returns its length, or -EMSGSIZE / -EINVAL. */
int inner_relay_build(const struct inner_relay *in, uint8_t *buf, size_t cap);
/* The sealed part once opened: cert length(2) || cert || message. -EBADMSG
 * if the certificate is longer than INNER_RELAY_CERT_MAX or leaves no
 * message. */
int inner_relay_plain_parse(const uint8_t *p, size_t len, struct inner_relay_plain *out);
/* Returns the plain length, or -EMSGSIZE / -EINVAL. */
int inner_relay_plain_build(const struct inner_relay_plain *in, uint8_t *buf, size_t cap);

/* Write a probe into @buf. */
void inner_probe_build(uint8_t buf[INNER_PROBE_LEN], const struct inner_probe *in);
/* Strict: returns 0, or -EBADMSG (not type 5, length not exactly
 * INNER_PROBE_LEN, flags not exactly REQUEST or REPLY, reserved not 0). */
int inner_probe_parse(const uint8_t *p, size_t len, struct inner_probe *out);
/* Type 6. -EBADMSG if malformed: unknown kind, a link packet shorter than
 * INNER_DETOUR_PKT_MIN, a REPORT whose length is not its count's or whose
 * count is above INNER_DETOUR_REPORT_MAX, a FORWARD ttl of 0 or above
 * INNER_DETOUR_TTL. */
int inner_detour_parse(const uint8_t *p, size_t len, struct inner_detour *out);
/* REPORT entry @i (< out->n). */
void inner_detour_entry(const struct inner_detour *dt, unsigned i, uint64_t *key,
                        uint8_t *flags, uint32_t *rtt_us);
/* The first 8 bytes of a key, as REPORT entries name hosts. */
uint64_t inner_detour_key(const uint8_t pub[32]);

#endif
