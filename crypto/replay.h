/* SPDX-License-Identifier: GPL-2.0-only */
#ifndef OVL_CRYPTO_REPLAY_H
#define OVL_CRYPTO_REPLAY_H

/*
 * DOC: replay — sliding anti-replay window (RFC 6479)
 *
 * One window per receiving keypair. The window remembers the greatest
 * counter accepted so far (top) and one bit for each of the
 * LINK_REPLAY_WINDOW counters below it, kept in a ring of 64-bit words as
 * RFC 6479 describes: sliding the window forward only clears the words
 * that fall out of it, so the cost of an update is bounded by the ring
 * size and never depends on how far the counter jumped.
 *
 * A counter is accepted when it is below REJECT_AFTER_MESSAGES, not older
 * than top - (LINK_REPLAY_WINDOW - 1), and not seen before.
 *
 * Lifecycle: replay_init() (or zero the struct), then replay_check()
 * before authentication (read-only, optional) and
 * replay_check_and_update() only AFTER the packet authenticated, so a
 * forged packet can never move the window.
 */

#include <stdbool.h>
#include <stdint.h>

#include "crypto/link.h"

enum replay_limits {
    REPLAY_WORD_BITS = 64,
    /* One extra word so a full window of bits never shares a word with
     * the position being cleared for a new top. */
    REPLAY_RING_WORDS = LINK_REPLAY_WINDOW / REPLAY_WORD_BITS + 1,
};

enum replay_result {
    REPLAY_OK = 0,
    REPLAY_SEEN = -1,        /* duplicate */
    REPLAY_TOO_OLD = -2,     /* left of the window */
    REPLAY_LIMIT = -3,       /* counter >= REJECT_AFTER_MESSAGES */
};

struct replay_window {
    uint64_t next;           /* greatest accepted counter + 1; 0 = none yet */
    uint64_t ring[REPLAY_RING_WORDS];
};

void replay_init(struct replay_window *w);
/* Would @counter be accepted? Does not modify @w. Returns REPLAY_*. */
int replay_check(const struct replay_window *w, uint64_t counter);
/* Accept @counter and record it. Returns REPLAY_OK or the reason not. */
int replay_check_and_update(struct replay_window *w, uint64_t counter);

#endif
