/* SPDX-License-Identifier: GPL-2.0-only */
/* secpool: slots are zeroed, aligned, distinct, reused after release, and wiped. */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "crypto/secpool.h"

static int failures;

#define CHECK(cond)                                                             \
    do {                                                                        \
        if (!(cond)) {                                                          \
            fprintf(stderr, "FAIL %s:%d: %s\n", __FILE__, __LINE__, #cond);     \
            failures++;                                                         \
        }                                                                       \
    } while (0)

static bool all_zero(const uint8_t *p, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (p[i])
            return false;
    return true;
}

static void test_init_rejects(void)
{
    struct secpool p;

    CHECK(secpool_init(&p, 0, 8) == -EINVAL);
    CHECK(secpool_init(&p, 100, 0) == -EINVAL);
    CHECK(secpool_init(&p, SIZE_MAX / 4, 8) == -EINVAL);
    CHECK(secpool_init(&p, 100, 8) == 0);
    CHECK(p.slot == 128);
    secpool_destroy(&p);
}

/* Three chunks' worth: growth, alignment, no overlap, zeroed on handout. */
static void test_grow_and_distinct(void)
{
    enum { N = 3 * 5 + 2 };
    struct secpool p;
    uint8_t *s[N];

    CHECK(secpool_init(&p, 200, 5) == 0);
    for (int i = 0; i < N; i++) {
        s[i] = secpool_get(&p);
        CHECK(s[i] != NULL);
        if (!s[i])
            return;
        CHECK(((uintptr_t)s[i] & 63) == 0);
        CHECK(all_zero(s[i], 200));
        memset(s[i], 0xa0 + i, 200);
    }
    CHECK(p.nchunks == 4);
    CHECK(p.in_use == N);
    for (int i = 0; i < N; i++)
        for (int j = 0; j < 200; j++)
            if (s[i][j] != (uint8_t)(0xa0 + i)) {
                CHECK(!"slots overlap");
                i = N;
                break;
            }
    for (int i = 0; i < N; i++)
        secpool_put(&p, s[i]);
    CHECK(p.in_use == 0);
    secpool_destroy(&p);
}

/* A released slot is wiped and handed out again before the pool grows. */
static void test_reuse_wiped(void)
{
    struct secpool p;
    uint8_t *a, *b;

    CHECK(secpool_init(&p, 64, 2) == 0);
    a = secpool_get(&p);
    CHECK(a != NULL);
    if (!a)
        return;
    memset(a, 0x5c, 64);
    secpool_put(&p, a);
    secpool_put(&p, NULL);
    b = secpool_get(&p);
    CHECK(b == a);
    CHECK(all_zero(b, 64));
    CHECK(p.nchunks == 1);
    secpool_put(&p, b);
    secpool_destroy(&p);
    CHECK(p.nchunks == 0 && p.chunks == NULL);
}

int main(void)
{
    if (sodium_init() < 0)
        return 1;
    test_init_rejects();
    test_grow_and_distinct();
    test_reuse_wiped();
    if (failures)
        return 1;
    printf("ok secpool\n");
    return 0;
}
