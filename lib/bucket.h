/* SPDX-License-Identifier: GPL-2.0-only */
#ifndef OVL_LIB_BUCKET_H
#define OVL_LIB_BUCKET_H

/*
 * DOC: bucket — a token bucket (rate limits: relays per source, claims of
 * learned MACs). Pure: the caller passes `now` (monotonic ns).
 */

#include <stdbool.h>
#include <stdint.h>

struct bucket {
    double tokens;
    uint64_t at;                      /* ns of the last take; 0: never (full) */
};

/* Take one token at @now, refilling @rate a second up to @burst. False:
 * none left (nothing taken). A bucket never used starts full. */
bool bucket_take(struct bucket *b, double rate, double burst, uint64_t now);

#endif
