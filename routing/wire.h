/* SPDX-License-Identifier: GPL-2.0-only */
#ifndef OVL_ROUTING_WIRE_H
#define OVL_ROUTING_WIRE_H

/*
 * DOC: wire — byte layouts of ring messages
 *
 * Every message: version (1 byte, RING_WIRE_VERSION), type (1 byte), then
 * the type's fields; integers big-endian. A peer is 67 bytes:
 * id(16) pubkey(32) family(1) port(2) addr(16). A record is 90 bytes:
 * type(1) enclave(4) mac(6) host-peer(67) seq(8) ttl_ms(4); an IP binding
 * record (type 3) adds ip-family(1: 4|6) ip(16; IPv4 in bytes 0..3, the
 * rest zero): 107 bytes. The type byte decides the length.
 *
 *   FIND_REQ   rid(8) key(16) op(1) flags(1) suspect(16) [op payload]
 *              op GET_MAC: enclave(4) mac(6); GET_MEMBERS: enclave(4);
 *              STORE: record(90|107); PROBE: enclave(4);
 *              GET_IP: enclave(4) ip-family(1) ip(16)
 *              flags: bit0 OWNER_HINT, bit1 DELEGATED (GET/STORE/PROBE only)
 *   FIND_RESP  rid(8) code(1: 0..4) status(1) npeers(1) peer*n nrecs(1) record*n
 *   STATE_REQ  rid(8)
 *   STATE_RESP rid(8) has_pred(1) [peer] nsucc(1) peer*n
 *   NOTIFY     (empty)
 *   PING/PONG  rid(8)
 *   LEAVE      has_pred(1) [peer] nsucc(1) peer*n
 *   RECS       flags(1: 0|1) copies(1: 1..16) ttl(1: 0..40) origin(16) nrecs(1) record*n
 *   UNITY_REQ  rid(8) key(16)
 *   UNITY_RESP rid(8) npeers(1) peer*n
 *   ZIP        hops(2: 0..RING_ZIP_HOPS) peer
 *
 * UNITY_REQ asks its receiver to look @key up in its own ring; UNITY_RESP
 * names the owner it found followed by the owner's successors (none: the
 * lookup failed). ZIP carries a merge of two rings one step on: the peer
 * is a candidate successor for the receiver from the other ring, @hops the
 * forwards still allowed (routing/unity.c).
 *
 * RECS travel as a chain from each carrier of a record's enclave to the
 * next (successor[0], or the first carrier after it, found with probes;
 * docs/routing.md, "Location store"): @copies is the number of carriers of
 * a record's enclave still to store it, the receiver included; @ttl the number of
 * further forwards allowed; @origin the id of the node that started the
 * chain (it is never forwarded back there).
 *
 * ring_wire_decode() rejects anything malformed (short, trailing bytes,
 * counts above limits, unknown type/version) with -EBADMSG.
 */

#include <stddef.h>
#include <stdint.h>

#include "routing/ring.h"

enum ring_wire_consts {
    RING_WIRE_VERSION = 1,
    RING_WIRE_PEER_LEN = 67,
    RING_WIRE_REC_LEN = 90,
    RING_WIRE_IPREC_LEN = 90 + 17,          /* + ip-family(1) ip(16) */
    RING_RECS_TTL_MAX = 2 * RING_SUCC_MAX + 8,  /* RECS chain forwards */
    RING_ZIP_HOPS = 1024,                       /* ZIP forwards: the union ring once */

    RING_MSG_FIND_REQ = 1,
    RING_MSG_FIND_RESP = 2,
    RING_MSG_STATE_REQ = 3,
    RING_MSG_STATE_RESP = 4,
    RING_MSG_NOTIFY = 5,
    RING_MSG_PING = 6,
    RING_MSG_PONG = 7,
    RING_MSG_LEAVE = 8,
    RING_MSG_RECS = 9,
    RING_MSG_UNITY_REQ = 10,
    RING_MSG_UNITY_RESP = 11,
    RING_MSG_ZIP = 12,

    /* FIND_REQ op */
    RING_OP_LOOKUP = 0,
    RING_OP_GET_MAC = 1,
    RING_OP_GET_MEMBERS = 2,
    RING_OP_STORE = 3,
    /* Record op without its payload, sent to a host not known to carry the
     * enclave: it answers like a record op, and as E-owner OWNER/OK with no
     * records, so the payload goes only to a confirmed E-owner. */
    RING_OP_PROBE = 4,
    RING_OP_GET_IP = 5,

    /* FIND_REQ flags */
    RING_FIND_OWNER_HINT = 1,   /* asked as owner candidate: predecessor list said so */
    /* GET/STORE: asked as E-owner candidate for the key, because every host
     * from the key's successor up to the receiver may not carry the enclave */
    RING_FIND_DELEGATED = 2,

    /* FIND_RESP code */
    RING_FIND_OWNER = 0,        /* I own the key; peers = my successor list */
    RING_FIND_NEXT = 1,         /* peers = closer preceding nodes, best first */
    RING_FIND_CANDS = 2,        /* key in (me, succ]: peers = owner candidates */
    RING_FIND_BUSY = 3,         /* owner unsure (predecessor being checked) */
    RING_FIND_DELEGATE = 4,     /* I may not carry the enclave: peers = my successor list */

    /* FIND_RESP status (OWNER) */
    RING_ST_OK = 0,
    RING_ST_NOTFOUND = 1,
    RING_ST_REJECTED = 2,
    RING_ST_STALE = 3,          /* lost the conflict rule; a newer record is held */

    /* RECS flags */
    RING_RECS_REPLICA = 0,
    RING_RECS_HANDOFF = 1,      /* from a leaving node (informational) */
};

typedef struct ring_wrec {
    uint8_t type;
    uint8_t mac[6];
    uint32_t enclave;
    ring_ip ip;                 /* RING_REC_IP */
    ring_peer host;
    uint64_t seq;
    uint32_t ttl_ms;
} ring_wrec;

typedef struct ring_msg {
    uint8_t type;
    uint64_t rid;
    /* FIND_REQ */
    ring_id key;
    uint8_t op, flags;
    ring_id suspect;
    uint32_t enclave;
    uint8_t mac[6];
    ring_ip ip;                 /* GET_IP */
    /* FIND_RESP */
    uint8_t code, status;
    /* ZIP */
    uint16_t hops;
    /* FIND_RESP, STATE_RESP, LEAVE, UNITY_RESP, ZIP (one peer) */
    uint8_t has_pred;
    ring_peer pred;
    uint8_t npeers;
    ring_peer peers[RING_SUCC_MAX];
    /* RECS */
    uint8_t rflags, copies, ttl;
    ring_id origin;
    /* FIND_REQ STORE (1), FIND_RESP, RECS */
    uint8_t nrecs;
    ring_wrec recs[RING_MSG_RECS_MAX];
} ring_msg;

/* Returns the encoded length, or -EMSGSIZE / -EINVAL. */
int ring_wire_encode(const ring_msg *m, uint8_t *buf, size_t cap);
int ring_wire_decode(ring_msg *m, const uint8_t *buf, size_t len);

#endif
