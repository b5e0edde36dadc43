/* SPDX-License-Identifier: GPL-2.0-only */
#include "crypto/secpool.h"

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#if defined(__SANITIZE_ADDRESS__)
#define SECPOOL_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define SECPOOL_ASAN 1
#endif
#endif

#ifdef SECPOOL_ASAN
#include <sanitizer/asan_interface.h>
#define secpool_poison(p, n) ASAN_POISON_MEMORY_REGION((p), (n))
#define secpool_unpoison(p, n) ASAN_UNPOISON_MEMORY_REGION((p), (n))
#else
#define secpool_poison(p, n) ((void)(p), (void)(n))
#define secpool_unpoison(p, n) ((void)(p), (void)(n))
#endif

enum { SECPOOL_ALIGN = 64 };

int secpool_init(struct secpool *p, size_t size, size_t per_chunk)
{
    memset(p, 0, sizeof(*p));
    if (size == 0 || per_chunk == 0 || size > SIZE_MAX / 2 / per_chunk)
        return -EINVAL;
    p->slot = (size + SECPOOL_ALIGN - 1) / SECPOOL_ALIGN * SECPOOL_ALIGN;
    p->per_chunk = per_chunk;
    return 0;
}

/* Links a released (or never used) slot into the free list, then poisons it. */
static void secpool_push(struct secpool *p, void *slot)
{
    memcpy(slot, &p->free_list, sizeof(void *));
    p->free_list = slot;
    secpool_poison(slot, p->slot);
}

/*
 * sodium_malloc puts the buffer's end against its trailing guard page, so
 * a chunk whose size is a multiple of 64 starts 64-byte aligned too.
 */
static int secpool_grow(struct secpool *p)
{
    uint8_t *chunk;

    if (p->nchunks == p->chunks_cap) {
        size_t cap = p->chunks_cap ? p->chunks_cap * 2 : 4;
        void **c = realloc(p->chunks, cap * sizeof(*c));

        if (!c)
            return -ENOMEM;
        p->chunks = c;
        p->chunks_cap = cap;
    }
    chunk = sodium_malloc(p->slot * p->per_chunk);
    if (!chunk)
        return -ENOMEM;
    p->chunks[p->nchunks++] = chunk;
    for (size_t i = p->per_chunk; i-- > 0;)
        secpool_push(p, chunk + i * p->slot);
    return 0;
}

void *secpool_get(struct secpool *p)
{
    void *slot;

    if (!p->free_list && secpool_grow(p) < 0)
        return NULL;
    slot = p->free_list;
    secpool_unpoison(slot, p->slot);
    memcpy(&p->free_list, slot, sizeof(void *));
    memset(slot, 0, p->slot);
    p->in_use++;
    return slot;
}

void secpool_put(struct secpool *p, void *slot)
{
    if (!slot)
        return;
    sodium_memzero(slot, p->slot);
    p->in_use--;
    secpool_push(p, slot);
}

void secpool_destroy(struct secpool *p)
{
    for (size_t i = 0; i < p->nchunks; i++) {
        secpool_unpoison(p->chunks[i], p->slot * p->per_chunk);
        sodium_memzero(p->chunks[i], p->slot * p->per_chunk);
        sodium_free(p->chunks[i]);
    }
    free(p->chunks);
    memset(p, 0, sizeof(*p));
}
