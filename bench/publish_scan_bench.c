/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The publish scan's cost (issue 12, item 7): every second the daemon
 * looks up each local MAC among its publications. This times one scan of
 * N MACs with the linear search it used before and with the keyidx index
 * it uses now. Run by hand: publish_scan_bench [N] (default 4096, one
 * full MAC table).
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sodium.h>

#include "routing/keyidx.h"

struct bench_pub {                  /* as overlayd/ring/ringd_int.h's ringd_pub */
    uint32_t enclave;
    uint8_t mac[6];
    bool member, seen;
    uint64_t seq;
};

struct bench {
    struct bench_pub *pubs;
    size_t n;
    struct keyidx idx;
};

static double bench_now(void)
{
    struct timespec t;

    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static long bench_linear(const struct bench *b, uint32_t enclave, const uint8_t *mac)
{
    for (size_t i = 0; i < b->n; i++)
        if (b->pubs[i].enclave == enclave && !b->pubs[i].member &&
            memcmp(b->pubs[i].mac, mac, 6) == 0)
            return (long)i;
    return -1;
}

static uint64_t bench_hash(const struct bench *b, uint32_t enclave, const uint8_t *mac)
{
    uint8_t k[10];

    memcpy(k, &enclave, 4);
    memcpy(k + 4, mac, 6);
    return keyidx_hash(&b->idx, k, sizeof(k));
}

struct bench_want {
    const struct bench *b;
    const uint8_t *mac;
};

static bool bench_eq(const void *ctx, uint32_t pos)
{
    const struct bench_want *w = ctx;

    return memcmp(w->b->pubs[pos].mac, w->mac, 6) == 0;
}

int main(int argc, char **argv)
{
    struct bench b = { 0 };
    size_t n = argc > 1 ? strtoul(argv[1], NULL, 0) : 4096, found = 0;
    double t0, t1, t2;

    if (sodium_init() < 0 || !n || !(b.pubs = calloc(n, sizeof(*b.pubs))))
        return 1;
    keyidx_init(&b.idx, randombytes_random());
    for (size_t i = 0; i < n; i++) {
        b.pubs[i].enclave = 1;
        randombytes_buf(b.pubs[i].mac, 6);      /* a guest's random source MACs */
        if (keyidx_add(&b.idx, bench_hash(&b, 1, b.pubs[i].mac), (uint32_t)i) < 0)
            return 1;
    }
    b.n = n;
    t0 = bench_now();
    for (size_t i = 0; i < n; i++)
        found += bench_linear(&b, 1, b.pubs[i].mac) >= 0;
    t1 = bench_now();
    for (size_t i = 0; i < n; i++) {
        struct bench_want w = { &b, b.pubs[i].mac };

        found += keyidx_find(&b.idx, bench_hash(&b, 1, b.pubs[i].mac), bench_eq, &w) >= 0;
    }
    t2 = bench_now();
    printf("publish scan of %zu MACs: linear %.2f ms, indexed %.3f ms (%zu found of %zu)\n", n,
           (t1 - t0) * 1e3, (t2 - t1) * 1e3, found, 2 * n);
    keyidx_free(&b.idx);
    free(b.pubs);
    return found == 2 * n ? 0 : 1;
}
