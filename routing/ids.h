/* SPDX-License-Identifier: GPL-2.0-only */
#ifndef OVL_ROUTING_IDS_H
#define OVL_ROUTING_IDS_H

/*
 * DOC: ids — ring identifiers, peers and key derivation for routing/
 *
 * A ring_id is an opaque 128-bit number stored as 16 big-endian bytes
 * (byte 0 most significant), the same layout crypto/ringid.h produces
 * (BLAKE2b-128("overlayd ring id v1" || pubkey)). routing/ never derives a
 * host id itself; it only compares and adds ids modulo 2^128.
 *
 * Intervals follow Chord's notation on the circle:
 *   ring_id_in_oo(x, a, b)  x in (a, b)   — if a == b: every x except a
 *   ring_id_in_oc(x, a, b)  x in (a, b]   — if a == b: every x
 * ring_id_dist(a, b) is the clockwise distance b - a (mod 2^128).
 *
 * A ring_peer names a host completely so a receiver can open a link to it:
 * ring id + 32-byte X25519 public key + endpoint (family 4/6, address,
 * port). IPv4 addresses use the first 4 bytes of addr.
 *
 * Location-store keys: ring_key_mac() / ring_key_member() / ring_key_ip()
 * hash a record's identity with BLAKE2b-128 (libsodium crypto_generichash;
 * pure, no I/O).
 */

#include <stdbool.h>
#include <stdint.h>
#include <string.h>

enum ring_id_limits {
    RING_ID_LEN = 16,
    RING_ID_BITS = 128,
    RING_PUB_LEN = 32,
};

typedef struct ring_id {
    uint8_t b[RING_ID_LEN];
} ring_id;

typedef struct ring_endpoint {
    uint8_t family;             /* 0 = unknown, 4 = IPv4, 6 = IPv6 */
    uint8_t reserved;
    uint16_t port;              /* host byte order */
    uint8_t addr[16];
} ring_endpoint;

typedef struct ring_peer {
    ring_id id;
    uint8_t pub[RING_PUB_LEN];
    ring_endpoint ep;
} ring_peer;

/* A guest's IP address in an IP binding record: family 4 (first 4 bytes
 * of addr, the rest zero) or 6; family 0 in records of other types. */
typedef struct ring_ip {
    uint8_t family;
    uint8_t addr[16];
} ring_ip;

int ring_id_cmp(const ring_id *a, const ring_id *b);
bool ring_id_eq(const ring_id *a, const ring_id *b);
bool ring_id_is_zero(const ring_id *a);
/* out = a + b mod 2^128 (out may alias a or b). */
void ring_id_add(ring_id *out, const ring_id *a, const ring_id *b);
/* out = a - b mod 2^128. */
void ring_id_sub(ring_id *out, const ring_id *a, const ring_id *b);
/* out = 2^bit (bit < 128). */
void ring_id_pow2(ring_id *out, unsigned bit);
/* out = a + 2^bit mod 2^128: the start of finger @bit of node a. */
void ring_id_add_pow2(ring_id *out, const ring_id *a, unsigned bit);
/* Clockwise distance from a to b: b - a mod 2^128. */
void ring_id_dist(ring_id *out, const ring_id *a, const ring_id *b);
/* Compare clockwise distances a->x and a->y (<0, 0, >0). */
int ring_id_dist_cmp(const ring_id *a, const ring_id *x, const ring_id *y);
/* Number of significant bits (0 for zero, 128 for >= 2^127). */
unsigned ring_id_bitlen(const ring_id *a);
bool ring_id_in_oo(const ring_id *x, const ring_id *a, const ring_id *b);
bool ring_id_in_oc(const ring_id *x, const ring_id *a, const ring_id *b);
/* Conversions for tests and the simulator (hi = most significant). */
void ring_id_from_u64(ring_id *out, uint64_t hi, uint64_t lo);
void ring_id_to_u64(const ring_id *a, uint64_t *hi, uint64_t *lo);
/* 32 lowercase hex digits + NUL. */
void ring_id_hex(char out[33], const ring_id *a);

bool ring_peer_eq(const ring_peer *a, const ring_peer *b);

/* An id as a 128-bit number (ids are big-endian bytes): for the loops that
 * compare many distances per routing decision, which would otherwise
 * reload self and the key for every candidate. */
__extension__ typedef unsigned __int128 ring_num;

static inline ring_num ring_id_num(const ring_id *a)
{
    uint64_t hi, lo;

    memcpy(&hi, a->b, 8);
    memcpy(&lo, a->b + 8, 8);
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
    hi = __builtin_bswap64(hi);
    lo = __builtin_bswap64(lo);
#endif
    return (ring_num)hi << 64 | lo;
}

/* Ring keys of location-store records (BLAKE2b-128 of a labelled identity). */
void ring_key_mac(ring_id *out, uint32_t enclave, const uint8_t mac[6]);
void ring_key_member(ring_id *out, uint32_t enclave);
/* (enclave, address) of an IP binding: family byte and all 16 address bytes. */
void ring_key_ip(ring_id *out, uint32_t enclave, const ring_ip *ip);
/* A well-formed binding address: family 4 with bytes 4..15 zero, or 6. */
bool ring_ip_valid(const ring_ip *ip);
bool ring_ip_eq(const ring_ip *a, const ring_ip *b);

#endif
