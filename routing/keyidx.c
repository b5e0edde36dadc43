/* SPDX-License-Identifier: GPL-2.0-only */
#include "routing/keyidx.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sodium.h>

void keyidx_init(struct keyidx *x, uint64_t seed)
{
    memset(x, 0, sizeof(*x));
    for (int i = 0; i < 8; i++)
        x->seed[i] = x->seed[15 - i] = (uint8_t)(seed >> (8 * i));
}

void keyidx_free(struct keyidx *x)
{
    free(x->s);
    x->s = NULL;
    x->cap = x->n = 0;
}

void keyidx_clear(struct keyidx *x)
{
    if (x->s)
        memset(x->s, 0, x->cap * sizeof(*x->s));
    x->n = 0;
}

uint64_t keyidx_hash(const struct keyidx *x, const void *key, size_t len)
{
    uint8_t out[crypto_shorthash_BYTES];
    uint64_t h = 0;

    crypto_shorthash(out, key, len, x->seed);
    for (int i = 0; i < 8; i++)
        h = h << 8 | out[i];
    return h;
}

static void keyidx_put(struct keyidx *x, uint64_t h, uint32_t pos)
{
    size_t i = (size_t)h & (x->cap - 1);

    while (x->s[i].pos)
        i = (i + 1) & (x->cap - 1);
    x->s[i].h = h;
    x->s[i].pos = pos + 1;
    x->n++;
}

static int keyidx_grow(struct keyidx *x)
{
    struct keyidx_slot *old = x->s;
    size_t old_cap = x->cap, cap = x->cap ? x->cap * 2 : 64;

    x->s = calloc(cap, sizeof(*x->s));
    if (!x->s) {
        x->s = old;
        return -ENOMEM;
    }
    x->cap = cap;
    x->n = 0;
    for (size_t i = 0; i < old_cap; i++)
        if (old[i].pos)
            keyidx_put(x, old[i].h, old[i].pos - 1);
    free(old);
    return 0;
}

int keyidx_add(struct keyidx *x, uint64_t h, uint32_t pos)
{
    if ((x->n + 1) * 2 > x->cap && keyidx_grow(x) < 0)
        return -ENOMEM;
    keyidx_put(x, h, pos);
    return 0;
}

static long keyidx_slot_of(const struct keyidx *x, uint64_t h, uint32_t pos)
{
    if (!x->cap)
        return -1;
    for (size_t i = (size_t)h & (x->cap - 1); x->s[i].pos; i = (i + 1) & (x->cap - 1))
        if (x->s[i].h == h && x->s[i].pos == pos + 1)
            return (long)i;
    return -1;
}

void keyidx_del(struct keyidx *x, uint64_t h, uint32_t pos)
{
    size_t mask = x->cap - 1, i, j;
    long at = keyidx_slot_of(x, h, pos);

    if (at < 0)
        return;
    i = (size_t)at;
    x->s[i].pos = 0;
    x->n--;
    /* move later members of the run back unless their home lies in (i, j] */
    for (j = (i + 1) & mask; x->s[j].pos; j = (j + 1) & mask) {
        size_t k = (size_t)x->s[j].h & mask;

        if ((j > i && (k <= i || k > j)) || (j < i && k <= i && k > j)) {
            x->s[i] = x->s[j];
            x->s[j].pos = 0;
            i = j;
        }
    }
}

void keyidx_move(struct keyidx *x, uint64_t h, uint32_t from, uint32_t to)
{
    long at = keyidx_slot_of(x, h, from);

    if (at >= 0)
        x->s[at].pos = to + 1;
}

long keyidx_find(const struct keyidx *x, uint64_t h, bool (*eq)(const void *ctx, uint32_t pos),
                 const void *ctx)
{
    if (!x->cap)
        return -1;
    for (size_t i = (size_t)h & (x->cap - 1); x->s[i].pos; i = (i + 1) & (x->cap - 1))
        if (x->s[i].h == h && eq(ctx, x->s[i].pos - 1))
            return (long)(x->s[i].pos - 1);
    return -1;
}
