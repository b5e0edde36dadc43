/* SPDX-License-Identifier: GPL-2.0-only */
#include "crypto/replay.h"

#include <string.h>

#include "crypto/link_internal.h"

void replay_init(struct replay_window *w)
{
    memset(w, 0, sizeof(*w));
}

/*
 * Counters are shifted by one internally (c1 = counter + 1) so that "no
 * packet yet" is next == 0 and counter 0 is an ordinary value. c1 cannot
 * overflow because counters >= REJECT_AFTER_MESSAGES are refused first.
 */
static int replay_classify(const struct replay_window *w, uint64_t counter,
                           uint64_t *word, uint64_t *bit)
{
    uint64_t c1;

    if (counter >= REJECT_AFTER_MESSAGES)
        return REPLAY_LIMIT;
    c1 = counter + 1;
    *word = (c1 / REPLAY_WORD_BITS) % REPLAY_RING_WORDS;
    *bit = UINT64_C(1) << (c1 % REPLAY_WORD_BITS);
    if (c1 > w->next)
        return REPLAY_OK;
    if (w->next - c1 >= LINK_REPLAY_WINDOW)
        return REPLAY_TOO_OLD;
    if (w->ring[*word] & *bit)
        return REPLAY_SEEN;
    return REPLAY_OK;
}

int replay_check(const struct replay_window *w, uint64_t counter)
{
    uint64_t word, bit;

    return replay_classify(w, counter, &word, &bit);
}

int replay_check_and_update(struct replay_window *w, uint64_t counter)
{
    uint64_t word, bit, c1, cur, target, steps, i;
    int r = replay_classify(w, counter, &word, &bit);

    if (r != REPLAY_OK)
        return r;
    c1 = counter + 1;
    if (c1 > w->next) {
        /* Slide: clear every word between the old top word (exclusive)
         * and the new one (inclusive); at most the whole ring. */
        cur = w->next / REPLAY_WORD_BITS;
        target = c1 / REPLAY_WORD_BITS;
        steps = target - cur;
        if (steps > REPLAY_RING_WORDS)
            steps = REPLAY_RING_WORDS;
        for (i = 1; i <= steps; i++)
            w->ring[(cur + i) % REPLAY_RING_WORDS] = 0;
        w->next = c1;
    }
    w->ring[word] |= bit;
    return REPLAY_OK;
}
