/* SPDX-License-Identifier: GPL-2.0-only */
/* Anti-replay window (crypto/replay.c): table-driven cases plus sweeps. */
#include <stdio.h>
#include <stdlib.h>

#include "crypto/link_internal.h"
#include "crypto/replay.h"
#include "lib/check.h"

enum { W = LINK_REPLAY_WINDOW };

struct step {
    uint64_t counter;
    int expect;                 /* REPLAY_* */
};

/*
 * One numbered line per case, executed in order on one window; each
 * line's comment says what it exercises.
 */
static const struct step table[] = {
    /*  1 */ { 0, REPLAY_OK },                 /* first packet, counter 0 */
    /*  2 */ { 1, REPLAY_OK },
    /*  3 */ { 1, REPLAY_SEEN },               /* immediate duplicate */
    /*  4 */ { 9, REPLAY_OK },                 /* jump ahead */
    /*  5 */ { 8, REPLAY_OK },                 /* reordered, inside window */
    /*  6 */ { 7, REPLAY_OK },
    /*  7 */ { 7, REPLAY_SEEN },
    /*  8 */ { 0, REPLAY_SEEN },               /* old duplicate */
    /*  9 */ { 2, REPLAY_OK },                 /* old but never seen */
    /* 10 */ { 63, REPLAY_OK },                /* last bit of word 0 (counter+1 = 64) */
    /* 11 */ { 64, REPLAY_OK },                /* crosses a word boundary */
    /* 12 */ { 62, REPLAY_OK },
    /* 13 */ { 63, REPLAY_SEEN },
    /* 14 */ { W - 1, REPLAY_OK },             /* top = W-1: counter 0 still in window */
    /* 15 */ { 3, REPLAY_OK },
    /* 16 */ { 0, REPLAY_SEEN },
    /* 17 */ { W, REPLAY_OK },                 /* counter 0 falls out */
    /* 18 */ { 0, REPLAY_TOO_OLD },
    /* 19 */ { 1, REPLAY_SEEN },               /* 1 is the oldest slot: still remembered */
    /* 20 */ { 4, REPLAY_OK },
    /* 21 */ { W + 1, REPLAY_OK },
    /* 22 */ { 1, REPLAY_TOO_OLD },
    /* 23 */ { 2, REPLAY_SEEN },
    /* 24 */ { 3 * W, REPLAY_OK },             /* far future: whole window cleared */
    /* 25 */ { W + 1, REPLAY_TOO_OLD },
    /* 26 */ { 2 * W, REPLAY_TOO_OLD },        /* exactly W behind */
    /* 27 */ { 2 * W + 1, REPLAY_OK },         /* W-1 behind: oldest acceptable */
    /* 28 */ { 2 * W + 1, REPLAY_SEEN },
    /* 29 */ { 3 * W - 64, REPLAY_OK },        /* same ring slot as an old cleared word */
    /* 30 */ { 3 * W, REPLAY_SEEN },
    /* 31 */ { 3 * W + 1, REPLAY_OK },
    /* 32 */ { 3 * W + 1000000, REPLAY_OK },   /* very far future */
    /* 33 */ { 3 * W + 1000000 - W + 1, REPLAY_OK },
    /* 34 */ { 3 * W, REPLAY_TOO_OLD },
    /* 35 */ { REJECT_AFTER_MESSAGES, REPLAY_LIMIT },
    /* 36 */ { UINT64_MAX, REPLAY_LIMIT },
    /* 37 */ { REJECT_AFTER_MESSAGES - 1, REPLAY_OK },   /* last allowed counter */
    /* 38 */ { REJECT_AFTER_MESSAGES - 1, REPLAY_SEEN },
    /* 39 */ { REJECT_AFTER_MESSAGES - 2, REPLAY_OK },
    /* 40 */ { REJECT_AFTER_MESSAGES - 1 - W, REPLAY_TOO_OLD },
    /* 41 */ { REJECT_AFTER_MESSAGES - W, REPLAY_OK },
    /* 42 */ { 3 * W + 1000000, REPLAY_TOO_OLD },
};

static void test_table(void)
{
    struct replay_window w;

    replay_init(&w);
    for (size_t i = 0; i < sizeof(table) / sizeof(table[0]); i++) {
        int pre = replay_check(&w, table[i].counter);
        int r = replay_check_and_update(&w, table[i].counter);

        CHECK(r == table[i].expect, "case %zu: counter %llu: got %d want %d", i + 1,
              (unsigned long long)table[i].counter, r, table[i].expect);
        CHECK(pre == table[i].expect, "case %zu: replay_check got %d want %d", i + 1, pre,
              table[i].expect);
    }
}

/* replay_check() must not change anything. */
static void test_check_is_readonly(void)
{
    struct replay_window w;

    replay_init(&w);
    CHECK(replay_check(&w, 5) == REPLAY_OK, "fresh");
    CHECK(replay_check(&w, 5) == REPLAY_OK, "still fresh");
    CHECK(replay_check_and_update(&w, 5) == REPLAY_OK, "update");
    CHECK(replay_check(&w, 5) == REPLAY_SEEN, "seen after update");
}

/* Every counter of a long run delivered in a shuffled order within the
 * window is accepted exactly once. */
static void test_reorder_sweep(void)
{
    struct replay_window w;
    enum { N = 5 * W, BLOCK = W / 2 };
    static uint64_t order[N];
    unsigned seed = 12345;
    size_t accepted = 0, i;

    replay_init(&w);
    for (i = 0; i < N; i++)
        order[i] = i;
    /* Shuffle inside blocks of W/2 so reordering never exceeds the window. */
    for (size_t b = 0; b < N; b += BLOCK)
        for (i = BLOCK - 1; i > 0; i--) {
            size_t j;

            seed = seed * 1103515245u + 12345u;
            j = (seed >> 8) % (i + 1);
            uint64_t tmp = order[b + i];
            order[b + i] = order[b + j];
            order[b + j] = tmp;
        }
    for (i = 0; i < N; i++) {
        int r = replay_check_and_update(&w, order[i]);

        CHECK(r == REPLAY_OK, "counter %llu rejected (%d)", (unsigned long long)order[i], r);
        accepted += r == REPLAY_OK;
        /* and a duplicate right after is always refused */
        CHECK(replay_check_and_update(&w, order[i]) == REPLAY_SEEN, "dup of %llu",
              (unsigned long long)order[i]);
    }
    CHECK(accepted == N, "accepted %zu of %d", accepted, N);
}

/* Sliding by every distance 1..2W+130 keeps exactly the last W counters. */
static void test_slide_distances(void)
{
    for (uint64_t d = 1; d <= 2 * W + 130; d += (d < 200 ? 1 : 61)) {
        struct replay_window w;
        uint64_t base = 1000;

        replay_init(&w);
        for (uint64_t c = base; c < base + W; c++)
            replay_check_and_update(&w, c);
        uint64_t top = base + W - 1 + d;
        CHECK(replay_check_and_update(&w, top) == REPLAY_OK, "d=%llu top", (unsigned long long)d);
        for (uint64_t c = base; c < base + W; c++) {
            int want = (top - c >= W) ? REPLAY_TOO_OLD : REPLAY_SEEN;
            int r = replay_check(&w, c);

            if (r != want) {
                CHECK(r == want, "d=%llu c=%llu got %d want %d", (unsigned long long)d,
                      (unsigned long long)c, r, want);
                break;
            }
        }
        /* the gap between the old top and the new one is fresh */
        for (uint64_t c = base + W; c < top; c++) {
            int want = (top - c >= W) ? REPLAY_TOO_OLD : REPLAY_OK;

            if (replay_check(&w, c) != want) {
                CHECK(replay_check(&w, c) == want, "gap d=%llu c=%llu", (unsigned long long)d,
                      (unsigned long long)c);
                break;
            }
        }
    }
}

int main(void)
{
    test_table();
    test_check_is_readonly();
    test_reorder_sweep();
    test_slide_distances();
    if (check_failures) {
        fprintf(stderr, "test_replay: %d failure(s)\n", check_failures);
        return 1;
    }
    printf("test_replay: ok\n");
    return 0;
}
