/* SPDX-License-Identifier: GPL-2.0-only */
#include "routing/ids.h"

#include <string.h>

#include <sodium.h>

/* 128-bit arithmetic through the compiler's native type; the byte layout
 * stays big-endian so ids compare with memcmp. */
typedef unsigned __int128 u128;

static u128 ld(const ring_id *a)
{
    return ring_id_num(a);
}

/* Byte swaps, as ring_id_num(): a byte loop does not always become them. */
static void st(ring_id *out, u128 v)
{
    uint64_t hi = (uint64_t)(v >> 64), lo = (uint64_t)v;

#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
    hi = __builtin_bswap64(hi);
    lo = __builtin_bswap64(lo);
#endif
    memcpy(out->b, &hi, 8);
    memcpy(out->b + 8, &lo, 8);
}

int ring_id_cmp(const ring_id *a, const ring_id *b)
{
    u128 x = ld(a), y = ld(b);

    return x < y ? -1 : x > y;
}

bool ring_id_eq(const ring_id *a, const ring_id *b)
{
    return memcmp(a->b, b->b, RING_ID_LEN) == 0;
}

bool ring_id_is_zero(const ring_id *a)
{
    static const ring_id zero;

    return ring_id_eq(a, &zero);
}

void ring_id_add(ring_id *out, const ring_id *a, const ring_id *b)
{
    st(out, ld(a) + ld(b));
}

void ring_id_sub(ring_id *out, const ring_id *a, const ring_id *b)
{
    st(out, ld(a) - ld(b));
}

void ring_id_pow2(ring_id *out, unsigned bit)
{
    st(out, bit < RING_ID_BITS ? (u128)1 << bit : 0);
}

void ring_id_add_pow2(ring_id *out, const ring_id *a, unsigned bit)
{
    st(out, ld(a) + (bit < RING_ID_BITS ? (u128)1 << bit : 0));
}

void ring_id_dist(ring_id *out, const ring_id *a, const ring_id *b)
{
    st(out, ld(b) - ld(a));
}

int ring_id_dist_cmp(const ring_id *a, const ring_id *x, const ring_id *y)
{
    u128 base = ld(a), dx = ld(x) - base, dy = ld(y) - base;

    return dx < dy ? -1 : dx > dy ? 1 : 0;
}

unsigned ring_id_bitlen(const ring_id *a)
{
    for (int i = 0; i < RING_ID_LEN; i++) {
        if (a->b[i])
            return (unsigned)(8 * (RING_ID_LEN - i) - __builtin_clz(a->b[i]) + 24);
    }
    return 0;
}

bool ring_id_in_oo(const ring_id *x, const ring_id *a, const ring_id *b)
{
    u128 base = ld(a), dx = ld(x) - base, db = ld(b) - base;

    if (db == 0)
        return dx != 0;
    return dx != 0 && dx < db;
}

bool ring_id_in_oc(const ring_id *x, const ring_id *a, const ring_id *b)
{
    u128 base = ld(a), dx = ld(x) - base, db = ld(b) - base;

    if (db == 0)
        return true;
    return dx != 0 && dx <= db;
}

void ring_id_from_u64(ring_id *out, uint64_t hi, uint64_t lo)
{
    st(out, (u128)hi << 64 | lo);
}

void ring_id_to_u64(const ring_id *a, uint64_t *hi, uint64_t *lo)
{
    u128 v = ld(a);

    *hi = (uint64_t)(v >> 64);
    *lo = (uint64_t)v;
}

void ring_id_hex(char out[33], const ring_id *a)
{
    static const char digits[] = "0123456789abcdef";

    for (int i = 0; i < RING_ID_LEN; i++) {
        out[2 * i] = digits[a->b[i] >> 4];
        out[2 * i + 1] = digits[a->b[i] & 15];
    }
    out[32] = '\0';
}

bool ring_peer_eq(const ring_peer *a, const ring_peer *b)
{
    return ring_id_eq(&a->id, &b->id) && memcmp(a->pub, b->pub, RING_PUB_LEN) == 0;
}

static void key_hash(ring_id *out, const char *label, const uint8_t *data, size_t len)
{
    crypto_generichash_state st_;

    crypto_generichash_init(&st_, NULL, 0, RING_ID_LEN);
    crypto_generichash_update(&st_, (const uint8_t *)label, strlen(label));
    crypto_generichash_update(&st_, data, len);
    crypto_generichash_final(&st_, out->b, RING_ID_LEN);
}

void ring_key_mac(ring_id *out, uint32_t enclave, const uint8_t mac[6])
{
    uint8_t buf[10] = {
        (uint8_t)(enclave >> 24), (uint8_t)(enclave >> 16),
        (uint8_t)(enclave >> 8), (uint8_t)enclave,
    };

    memcpy(buf + 4, mac, 6);
    key_hash(out, "overlayd ring key mac v1", buf, sizeof(buf));
}

void ring_key_member(ring_id *out, uint32_t enclave)
{
    uint8_t buf[4] = {
        (uint8_t)(enclave >> 24), (uint8_t)(enclave >> 16),
        (uint8_t)(enclave >> 8), (uint8_t)enclave,
    };

    key_hash(out, "overlayd ring key member v1", buf, sizeof(buf));
}

void ring_key_ip(ring_id *out, uint32_t enclave, const ring_ip *ip)
{
    uint8_t buf[21] = {
        (uint8_t)(enclave >> 24), (uint8_t)(enclave >> 16),
        (uint8_t)(enclave >> 8), (uint8_t)enclave, ip->family,
    };

    memcpy(buf + 5, ip->addr, 16);
    key_hash(out, "overlayd ring key ip v1", buf, sizeof(buf));
}

bool ring_ip_valid(const ring_ip *ip)
{
    static const uint8_t zero[12];

    if (ip->family == 6)
        return true;
    return ip->family == 4 && memcmp(ip->addr + 4, zero, sizeof(zero)) == 0;
}

bool ring_ip_eq(const ring_ip *a, const ring_ip *b)
{
    return a->family == b->family && memcmp(a->addr, b->addr, 16) == 0;
}
