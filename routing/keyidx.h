/* SPDX-License-Identifier: GPL-2.0-only */
#ifndef OVL_ROUTING_KEYIDX_H
#define OVL_ROUTING_KEYIDX_H

/*
 * DOC: keyidx — a hash index over an array the caller owns
 *
 * Publication lists (a host's own MAC records, here and in the daemon)
 * were searched linearly per MAC, so a guest sending from thousands of
 * random source MACs made every publish scan quadratic (issue 12, item
 * 7). The index maps a key's hash to the array positions holding it;
 * the caller confirms a candidate with its own comparison. Hashes are
 * SipHash keyed by a secret seed, so guests cannot aim their MACs at one
 * probe run. Open addressing, linear probing, backward-shift deletion;
 * grows at half load. Pure.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct keyidx_slot {
    uint64_t h;
    uint32_t pos;                     /* array position + 1; 0: free */
};

struct keyidx {
    struct keyidx_slot *s;
    size_t cap;                       /* power of two, or 0 */
    size_t n;
    uint8_t seed[16];
};

/* An empty index keyed by @seed (any 64 bits: the daemon's is random). */
void keyidx_init(struct keyidx *x, uint64_t seed);
void keyidx_free(struct keyidx *x);
/* The hash of @len bytes at @key. */
uint64_t keyidx_hash(const struct keyidx *x, const void *key, size_t len);
/* Position @pos now holds a key hashing to @h. 0 or -ENOMEM. */
int keyidx_add(struct keyidx *x, uint64_t h, uint32_t pos);
/* Position @pos (hash @h) is gone. */
void keyidx_del(struct keyidx *x, uint64_t h, uint32_t pos);
/* The key at @from (hash @h) moved to @to. */
void keyidx_move(struct keyidx *x, uint64_t h, uint32_t from, uint32_t to);
/* The position whose key hashes to @h and satisfies @eq, or -1. */
long keyidx_find(const struct keyidx *x, uint64_t h, bool (*eq)(const void *ctx, uint32_t pos),
                 const void *ctx);
/* Forget every position (keeps the memory). */
void keyidx_clear(struct keyidx *x);

#endif
