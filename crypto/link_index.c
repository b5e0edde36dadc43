/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Local session index -> (peer, keypair | handshake). Open addressing
 * with linear probing and backward-shift deletion (no tombstones), so a
 * lookup on the data path touches a few adjacent slots and never scans
 * peers. The table doubles when half full.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "crypto/link_internal.h"

enum { LINK_INDEX_INITIAL = 64, LINK_INDEX_MAX_TRIES = 64 };

int link_index_init(struct link_index_table *t)
{
    t->cap = LINK_INDEX_INITIAL;
    t->used = 0;
    t->slots = calloc(t->cap, sizeof(*t->slots));
    return t->slots ? 0 : -ENOMEM;
}

void link_index_free(struct link_index_table *t)
{
    free(t->slots);
    memset(t, 0, sizeof(*t));
}

/* The index is random, but an attacker may learn many of them; mix
 * anyway so sequential test indices spread too. */
static size_t link_index_home(const struct link_index_table *t, uint32_t index)
{
    return (size_t)((index * UINT32_C(2654435761)) & (t->cap - 1));
}

static void link_index_place(struct link_index_table *t, const struct link_index_entry *e)
{
    size_t i = link_index_home(t, e->index);

    while (t->slots[i].kind != LINK_IDX_FREE)
        i = (i + 1) & (t->cap - 1);
    t->slots[i] = *e;
    t->used++;
}

static int link_index_grow(struct link_index_table *t)
{
    struct link_index_table n = { .cap = t->cap * 2 };

    n.slots = calloc(n.cap, sizeof(*n.slots));
    if (!n.slots)
        return -ENOMEM;
    for (size_t i = 0; i < t->cap; i++)
        if (t->slots[i].kind != LINK_IDX_FREE)
            link_index_place(&n, &t->slots[i]);
    free(t->slots);
    *t = n;
    return 0;
}

struct link_index_entry *link_index_lookup(const struct link_index_table *t, uint32_t index)
{
    size_t i = link_index_home(t, index);

    while (t->slots[i].kind != LINK_IDX_FREE) {
        if (t->slots[i].index == index)
            return &t->slots[i];
        i = (i + 1) & (t->cap - 1);
    }
    return NULL;
}

int link_index_add(struct link_host *host, enum link_index_kind kind,
                   struct link_peer *peer, struct link_keypair *kp, uint32_t *index)
{
    struct link_index_table *t = &host->idx;
    struct link_index_entry e = { .kind = (uint8_t)kind, .peer = peer, .keypair = kp };
    uint8_t rnd[4];
    int r;

    if ((t->used + 1) * 2 > t->cap) {
        r = link_index_grow(t);
        if (r)
            return r;
    }
    /* With the table at most half full of a 2^32 space, a collision is
     * rare; the bound only protects against a broken random hook. */
    for (int tries = 0; tries < LINK_INDEX_MAX_TRIES; tries++) {
        host->hooks.random(host->hooks.ctx, rnd, sizeof(rnd));
        e.index = link_get_le32(rnd);
        if (!link_index_lookup(t, e.index)) {
            link_index_place(t, &e);
            *index = e.index;
            return 0;
        }
    }
    return -ENOMEM;
}

void link_index_remove(struct link_index_table *t, uint32_t index)
{
    struct link_index_entry *e = link_index_lookup(t, index);
    size_t hole, i, home;

    if (!e)
        return;
    hole = (size_t)(e - t->slots);
    t->slots[hole].kind = LINK_IDX_FREE;
    t->used--;
    /* Backward shift: move later members of the probe run into the hole
     * when their home position does not lie cyclically in (hole, i]. */
    i = hole;
    for (;;) {
        i = (i + 1) & (t->cap - 1);
        if (t->slots[i].kind == LINK_IDX_FREE)
            break;
        home = link_index_home(t, t->slots[i].index);
        if (((i - home) & (t->cap - 1)) >= ((i - hole) & (t->cap - 1))) {
            t->slots[hole] = t->slots[i];
            t->slots[i].kind = LINK_IDX_FREE;
            hole = i;
        }
    }
}
