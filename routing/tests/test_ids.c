/* SPDX-License-Identifier: GPL-2.0-only */
/* ring_id arithmetic and intervals, with wrap-around. */
#include "routing/ids.h"
#include "lib/check.h"

#include <string.h>


static ring_id U(uint64_t hi, uint64_t lo)
{
    ring_id r;

    ring_id_from_u64(&r, hi, lo);
    return r;
}

static const uint64_t M = UINT64_MAX;

struct ivcase {
    ring_id x, a, b;
    int oo, oc;
};

int main(void)
{
    ring_id r, a, b;
    uint64_t hi, lo;
    char hex[33];

    /* add / sub carry across the 64-bit halves and wrap mod 2^128 */
    a = U(0, M);
    b = U(0, 1);
    ring_id_add(&r, &a, &b);
    ring_id_to_u64(&r, &hi, &lo);
    CHECK(hi == 1 && lo == 0, "carry: %llx %llx", (unsigned long long)hi, (unsigned long long)lo);
    a = U(M, M);
    ring_id_add(&r, &a, &b);
    CHECK(ring_id_is_zero(&r), "wrap on add");
    a = U(0, 0);
    ring_id_sub(&r, &a, &b);
    ring_id_to_u64(&r, &hi, &lo);
    CHECK(hi == M && lo == M, "wrap on sub");
    a = U(1, 0);
    ring_id_sub(&r, &a, &b);
    ring_id_to_u64(&r, &hi, &lo);
    CHECK(hi == 0 && lo == M, "borrow");

    /* big-endian byte layout */
    r = U(0x0102030405060708ULL, 0x090a0b0c0d0e0f10ULL);
    CHECK(r.b[0] == 1 && r.b[15] == 0x10, "byte order");
    ring_id_hex(hex, &r);
    CHECK(strcmp(hex, "0102030405060708090a0b0c0d0e0f10") == 0, "hex %s", hex);

    /* powers of two and finger starts */
    for (unsigned bit = 0; bit < 128; bit++) {
        ring_id_pow2(&r, bit);
        CHECK(ring_id_bitlen(&r) == bit + 1, "bitlen(2^%u) = %u", bit, ring_id_bitlen(&r));
    }
    r = U(0, 0);
    CHECK(ring_id_bitlen(&r) == 0, "bitlen 0");
    a = U(M, M);
    ring_id_add_pow2(&r, &a, 0);
    CHECK(ring_id_is_zero(&r), "finger start wraps");
    a = U(0x8000000000000000ULL, 5);
    ring_id_add_pow2(&r, &a, 127);
    ring_id_to_u64(&r, &hi, &lo);
    CHECK(hi == 0 && lo == 5, "2^127 wraps");

    /* distance is clockwise */
    a = U(M, M - 1);
    b = U(0, 3);
    ring_id_dist(&r, &a, &b);
    ring_id_to_u64(&r, &hi, &lo);
    CHECK(hi == 0 && lo == 5, "dist across zero = %llu", (unsigned long long)lo);
    ring_id_dist(&r, &b, &a);
    ring_id_to_u64(&r, &hi, &lo);
    CHECK(hi == M && lo == M - 4, "dist the long way");
    CHECK(ring_id_dist_cmp(&a, &b, &a) > 0, "dist to self is 0, smallest");

    /* intervals: (a,b) and (a,b] including wrap-around and a == b */
    const struct ivcase cases[] = {
        { U(0, 5), U(0, 1), U(0, 10), 1, 1 },
        { U(0, 10), U(0, 1), U(0, 10), 0, 1 },
        { U(0, 1), U(0, 1), U(0, 10), 0, 0 },
        { U(0, 11), U(0, 1), U(0, 10), 0, 0 },
        { U(0, 0), U(M, M - 5), U(0, 10), 1, 1 },        /* wraps through zero */
        { U(M, M), U(M, M - 5), U(0, 10), 1, 1 },
        { U(0, 10), U(M, M - 5), U(0, 10), 0, 1 },
        { U(M, M - 5), U(M, M - 5), U(0, 10), 0, 0 },
        { U(5, 0), U(M, M - 5), U(0, 10), 0, 0 },
        { U(0, 7), U(0, 7), U(0, 7), 0, 1 },            /* a == b: whole ring */
        { U(0, 8), U(0, 7), U(0, 7), 1, 1 },
        { U(0, 6), U(0, 7), U(0, 7), 1, 1 },
        { U(0, 8), U(0, 7), U(0, 8), 0, 1 },            /* adjacent */
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        const struct ivcase *c = &cases[i];

        CHECK(ring_id_in_oo(&c->x, &c->a, &c->b) == c->oo, "case %zu open", i);
        CHECK(ring_id_in_oc(&c->x, &c->a, &c->b) == c->oc, "case %zu half-open", i);
    }

    /* ordering is numeric */
    a = U(0, M);
    b = U(1, 0);
    CHECK(ring_id_cmp(&a, &b) < 0 && ring_id_cmp(&b, &a) > 0 && ring_id_cmp(&a, &a) == 0,
          "cmp");

    /* record keys are deterministic and distinct */
    {
        const uint8_t mac1[6] = { 2, 0, 0, 0, 0, 1 }, mac2[6] = { 2, 0, 0, 0, 0, 2 };
        ring_id k1, k2, k3, k4;

        ring_key_mac(&k1, 7, mac1);
        ring_key_mac(&k2, 7, mac1);
        ring_key_mac(&k3, 7, mac2);
        ring_key_mac(&k4, 8, mac1);
        CHECK(ring_id_eq(&k1, &k2), "mac key deterministic");
        CHECK(!ring_id_eq(&k1, &k3) && !ring_id_eq(&k1, &k4), "mac keys differ");
        ring_key_member(&k2, 7);
        CHECK(!ring_id_eq(&k1, &k2), "member key separate from mac key");
    }
    if (check_failures)
        fprintf(stderr, "%d failures\n", check_failures);
    return check_failures ? 1 : 0;
}
