/* SPDX-License-Identifier: GPL-2.0-only */
#include "lib/bucket.h"

bool bucket_take(struct bucket *b, double rate, double burst, uint64_t now)
{
    if (!b->at)
        b->tokens = burst;
    else if (now > b->at)
        b->tokens += (double)(now - b->at) * rate / 1e9;
    /* now 0 would read as "never used": keep it apart */
    b->at = now ? now : 1;
    if (b->tokens > burst)
        b->tokens = burst;
    if (b->tokens < 1)
        return false;
    b->tokens -= 1;
    return true;
}
