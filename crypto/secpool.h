/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * DOC: secpool — fixed-size slots of secret memory, carved from
 * sodium_malloc'd chunks.
 *
 * Every handshake and keypair used to be its own sodium_malloc: four pages,
 * two of them guards, an mlock and two mprotects, and a munmap (a TLB
 * shootdown on every core) when it was freed. At 200 hosts on two cores
 * that was a quarter of all CPU time. A pool keeps the properties that
 * matter for keys — locked memory, out of core dumps, guard pages around
 * each chunk, wiped on release — and pays the page-table cost once per
 * chunk. What it gives up is a guard page between two slots of the same
 * host; under AddressSanitizer free slots are poisoned instead, so a
 * use after release is still caught in the tests.
 *
 * Slots are 64-byte aligned and zeroed when handed out. Chunks are kept
 * until secpool_destroy: the pool holds the peak, never more.
 */
#ifndef OVL_CRYPTO_SECPOOL_H
#define OVL_CRYPTO_SECPOOL_H

#include <stddef.h>

struct secpool {
    size_t slot;        /* bytes per slot, a multiple of 64 */
    size_t per_chunk;   /* slots per chunk */
    void **chunks;
    size_t nchunks, chunks_cap;
    void *free_list;    /* released slots, linked through their first word */
    size_t in_use;
};

/* Slots of @size bytes, @per_chunk to a chunk. Returns 0 or -EINVAL. */
int secpool_init(struct secpool *p, size_t size, size_t per_chunk);
/* A zeroed slot, or NULL when no chunk can be had. */
void *secpool_get(struct secpool *p);
/* Wipes @slot and returns it to @p; NULL is ignored. */
void secpool_put(struct secpool *p, void *slot);
/* Wipes and frees every chunk; slots still out become invalid. */
void secpool_destroy(struct secpool *p);

#endif
