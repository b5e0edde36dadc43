/* SPDX-License-Identifier: GPL-2.0-only */
#include "overlayd/ring/inflight.h"

#include <stddef.h>

static bool inflight_live(const struct inflight_slot *s, uint64_t now)
{
    return s->until > now;
}

unsigned inflight_count(const struct inflight *f, uint32_t enclave, uint64_t now)
{
    unsigned n = 0;

    for (unsigned i = 0; i < INFLIGHT_SLOTS; i++)
        n += inflight_live(&f->s[i], now) && f->s[i].enclave == enclave;
    return n;
}

bool inflight_take(struct inflight *f, uint32_t enclave, uint64_t cookie, uint64_t now)
{
    struct inflight_slot *free_slot = NULL;
    unsigned n = 0;

    for (unsigned i = 0; i < INFLIGHT_SLOTS; i++) {
        struct inflight_slot *s = &f->s[i];

        if (!inflight_live(s, now))
            free_slot = free_slot ? free_slot : s;
        else if (s->enclave == enclave)
            n++;
    }
    if (n >= INFLIGHT_PER_ENCLAVE || !free_slot)
        return false;
    free_slot->cookie = cookie;
    free_slot->enclave = enclave;
    free_slot->until = now + (uint64_t)INFLIGHT_HOLD_S * 1000000000ull;
    return true;
}

void inflight_done(struct inflight *f, uint64_t cookie)
{
    for (unsigned i = 0; i < INFLIGHT_SLOTS; i++)
        if (f->s[i].until && f->s[i].cookie == cookie) {
            f->s[i].until = 0;
            return;
        }
}
