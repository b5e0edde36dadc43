/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Path choice (overlayd/plan/plan_path.c): the margin that keeps paths
 * from flapping, the hold before traffic returns direct, dead paths, and
 * unknown RTTs costed as a last resort.
 */
#include "lib/check.h"
#include "overlayd/plan/plan.h"

#define MS(x) ((uint64_t)(x) * PLAN_MS)

static struct plan_path_in in_direct(uint64_t rtt, int cur, const struct plan_path_cand *c,
                                     unsigned n)
{
    return (struct plan_path_in){ .direct_usable = true, .direct_cost = plan_path_cost(rtt),
                                  .direct_ok_since = 1, .cur = cur, .n = n, .cand = c };
}

static void test_cost(void)
{
    CHECK(plan_path_cost(0) == MS(PLAN_PATH_UNKNOWN_MS));
    CHECK(plan_path_cost(MS(3)) == MS(3));
}

/* The triangle: direct 80 ms, via B 20 ms. */
static void test_slow_direct_bypassed(void)
{
    struct plan_path_cand c[] = { { MS(20), true, true } };
    struct plan_path_in in = in_direct(MS(80), PLAN_PATH_PICK_DIRECT, c, 1);

    CHECK(plan_path_pick(&in, MS(10000)) == 0);
    /* Within the margin (20 % of 80 = 16 ms): stay direct. */
    c[0].cost = MS(65);
    CHECK(plan_path_pick(&in, MS(10000)) == PLAN_PATH_PICK_DIRECT);
    /* The minimum margin applies to fast paths: 3 ms vs 2 ms stays. */
    in.direct_cost = MS(3);
    c[0].cost = MS(2);
    CHECK(plan_path_pick(&in, MS(10000)) == PLAN_PATH_PICK_DIRECT);
    /* An unusable detour is never taken. */
    in.direct_cost = MS(80);
    c[0] = (struct plan_path_cand){ MS(20), false, true };
    CHECK(plan_path_pick(&in, MS(10000)) == PLAN_PATH_PICK_DIRECT);
}

static void test_dead_direct(void)
{
    struct plan_path_cand c[] = { { MS(900), true, true }, { MS(30), false, true } };
    struct plan_path_in in = in_direct(MS(2), PLAN_PATH_PICK_DIRECT, c, 2);

    in.direct_usable = false;
    in.direct_ok_since = 0;
    /* Any usable detour beats a dead direct path, however slow. */
    CHECK(plan_path_pick(&in, MS(5000)) == 0);
    c[0].usable = false;
    CHECK(plan_path_pick(&in, MS(5000)) == PLAN_PATH_PICK_NONE);
    CHECK(plan_path_count(&in) == 0);
    c[1].usable = true;
    CHECK(plan_path_pick(&in, MS(5000)) == 1);
    CHECK(plan_path_count(&in) == 1);
    /* A detour through two relays is a path, but not an independent one. */
    c[1].one_hop = false;
    CHECK(plan_path_pick(&in, MS(5000)) == 1);
    CHECK(plan_path_count(&in) == 0);
}

/* Back to direct only after PLAN_PATH_HOLD_MS of health. */
static void test_return_after_hold(void)
{
    struct plan_path_cand c[] = { { MS(12), true, true } };
    struct plan_path_in in = in_direct(MS(3), 0, c, 1);
    uint64_t healed = MS(50000);

    in.direct_ok_since = healed;
    CHECK(plan_path_pick(&in, healed) == 0);
    CHECK(plan_path_pick(&in, healed + MS(PLAN_PATH_HOLD_MS) - 1) == 0);
    CHECK(plan_path_pick(&in, healed + MS(PLAN_PATH_HOLD_MS)) == PLAN_PATH_PICK_DIRECT);
    CHECK(plan_path_count(&in) == 2);
    /* Held, but much slower than the detour: the detour stays. */
    in.direct_cost = MS(80);
    CHECK(plan_path_pick(&in, healed + MS(10000)) == 0);
    /* Direct only a little slower (within the detour's margin): direct. */
    in.direct_cost = MS(14);
    CHECK(plan_path_pick(&in, healed + MS(10000)) == PLAN_PATH_PICK_DIRECT);
}

static void test_detour_to_detour(void)
{
    struct plan_path_cand c[] = { { MS(40), true, true }, { MS(35), true, true }, { MS(10), true, true } };
    struct plan_path_in in = in_direct(MS(100), 0, c, 3);

    in.direct_usable = false;
    /* 35 vs 40 is within the margin; 10 wins. */
    CHECK(plan_path_pick(&in, MS(1000)) == 2);
    c[2].usable = false;
    CHECK(plan_path_pick(&in, MS(1000)) == 0);
    /* The detour in use died: the best other one, else direct if usable. */
    c[0].usable = false;
    CHECK(plan_path_pick(&in, MS(1000)) == 1);
    c[1].usable = false;
    CHECK(plan_path_pick(&in, MS(1000)) == PLAN_PATH_PICK_NONE);
    in.direct_usable = true;
    in.direct_ok_since = 0;
    CHECK(plan_path_pick(&in, MS(1000)) == PLAN_PATH_PICK_DIRECT);
    /* A stale index (the relay went away) counts as a dead detour. */
    in.cur = 7;
    CHECK(plan_path_pick(&in, MS(1000)) == PLAN_PATH_PICK_DIRECT);
}

/* Unknown RTTs: a measured path wins; an unknown direct path loses to a
 * measured detour only by the margin like any other. */
static void test_unknown(void)
{
    struct plan_path_cand c[] = { { plan_path_cost(0), true, true } };
    struct plan_path_in in = in_direct(0, PLAN_PATH_PICK_DIRECT, c, 1);

    CHECK(plan_path_pick(&in, MS(1000)) == PLAN_PATH_PICK_DIRECT);
    c[0].cost = MS(30);
    CHECK(plan_path_pick(&in, MS(1000)) == 0);
    /* A new host's direct path, not measured yet, is tried first... */
    in.direct_unmeasured = true;
    CHECK(plan_path_pick(&in, MS(1000)) == PLAN_PATH_PICK_DIRECT);
    /* ... unless it is dead. */
    in.direct_usable = false;
    CHECK(plan_path_pick(&in, MS(1000)) == 0);
}

/* Two relays rank the minimum margin above one. */
static void test_one_hop_preferred(void)
{
    struct plan_path_cand c[] = { { MS(8), true, false }, { MS(12), true, true } };
    struct plan_path_in in = in_direct(0, PLAN_PATH_PICK_DIRECT, c, 2);

    in.direct_usable = false;
    CHECK(plan_path_pick(&in, MS(1000)) == 1);
    c[0].cost = MS(1);
    CHECK(plan_path_pick(&in, MS(1000)) == 0);
}

/* Greedy along the ring, either way round: strictly closer each hop, the
 * destination itself best of all, nothing when nobody is closer. */
static void test_ring_next(void)
{
    const uint64_t c[] = { 100, 900, 400, UINT64_C(0xfffffffffffffff0) };

    CHECK(plan_ring_next(0, 500, c, 4) == 2);
    CHECK(plan_ring_next(0, 400, c, 4) == 2);       /* the destination itself */
    CHECK(plan_ring_next(450, 500, c, 4) == -1);    /* 400 and 900 are farther */
    CHECK(plan_ring_next(UINT64_MAX - 100, 5, c, 4) == 3);    /* across zero: -16 is 21 from 5 */
    CHECK(plan_ring_next(0, 50, c, 4) == -1);       /* 100 and -16 are farther than 50 */
    CHECK(plan_ring_next(0, 80, c, 4) == 0);        /* 100 is 20 past it */
    /* Backwards, against the ring's direction. */
    CHECK(plan_ring_next(950, 50, c, 4) == 0);      /* 100 is 50 from it */
    CHECK(plan_ring_next(1000, 500, c, 4) == 2);    /* 400 is 100 from it */
    CHECK(plan_ring_next(0, 500, c, 0) == -1);
    /* A host at our own place is no progress. */
    CHECK(plan_ring_next(400, 500, c, 4) == -1);
}

int main(void)
{
    test_ring_next();
    test_cost();
    test_slow_direct_bypassed();
    test_dead_direct();
    test_return_after_hold();
    test_detour_to_detour();
    test_unknown();
    test_one_hop_preferred();
    return CHECK_DONE();
}
