/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Which path our link packets to one host take: direct, or through one
 * intermediate host (a detour, docs/paths.md). Pure: the glue states the
 * direct path and every candidate detour with its measured cost; this
 * answers with the path to use, remembering nothing itself (the glue keeps
 * the path in use and when the direct path became healthy).
 *
 * Two rules keep paths from flapping. A path is left for a cheaper one only
 * when the cheaper one wins by the margin (PLAN_PATH_MARGIN_*). The direct
 * path is taken back only after it has been healthy for PLAN_PATH_HOLD_MS:
 * a direct path that just came back from a cut is often still lossy, and
 * a detour costs the relay, so the hold errs towards the relay's load only
 * for that long.
 */
#include "overlayd/plan/plan.h"

uint64_t plan_path_cost(uint64_t rtt_ns)
{
    return rtt_ns ? rtt_ns : PLAN_PATH_UNKNOWN_MS * PLAN_MS;
}

static uint64_t plan_path_margin(uint64_t cost)
{
    uint64_t m = cost * PLAN_PATH_MARGIN_PCT / 100;

    return m > PLAN_PATH_MARGIN_MIN_MS * PLAN_MS ? m : PLAN_PATH_MARGIN_MIN_MS * PLAN_MS;
}

/* A detour through two relays ranks as if it cost the minimum margin
 * more: it is taken over a one-relay detour only when it wins by that. */
static uint64_t plan_path_rank(const struct plan_path_cand *c)
{
    return c->cost + (c->one_hop ? 0 : PLAN_PATH_MARGIN_MIN_MS * PLAN_MS);
}

/* The best usable detour, or -1. */
static int plan_path_best_detour(const struct plan_path_in *in)
{
    int best = -1;

    for (unsigned i = 0; i < in->n; i++) {
        if (!in->cand[i].usable)
            continue;
        if (best < 0 || plan_path_rank(&in->cand[i]) < plan_path_rank(&in->cand[best]))
            best = (int)i;
    }
    return best;
}

static bool plan_path_direct_held(const struct plan_path_in *in, uint64_t now)
{
    return in->direct_usable && in->direct_ok_since &&
           now - in->direct_ok_since >= PLAN_PATH_HOLD_MS * PLAN_MS;
}

/* On the direct path now: stay unless it is unusable or a detour wins by
 * the margin. A direct path not measured yet is not left for its unknown
 * cost: using it is how it gets measured (a new host's handshake). */
static int plan_path_from_direct(const struct plan_path_in *in, int best)
{
    if (!in->direct_usable)
        return best >= 0 ? best : PLAN_PATH_PICK_NONE;
    if (in->direct_unmeasured)
        return PLAN_PATH_PICK_DIRECT;
    if (best >= 0 && in->cand[best].cost + plan_path_margin(in->direct_cost) < in->direct_cost)
        return best;
    return PLAN_PATH_PICK_DIRECT;
}

/* On detour @cur now: back to direct once it is held healthy and not worse
 * by more than the margin; to another detour only if that wins by it. */
static int plan_path_from_detour(const struct plan_path_in *in, int cur, int best, uint64_t now)
{
    bool cur_ok = cur < (int)in->n && in->cand[cur].usable;
    uint64_t cur_cost = cur_ok ? in->cand[cur].cost : UINT64_MAX;

    if (plan_path_direct_held(in, now) &&
        (!cur_ok || in->direct_cost <= cur_cost + plan_path_margin(cur_cost)))
        return PLAN_PATH_PICK_DIRECT;
    if (!cur_ok)
        return best >= 0 ? best : in->direct_usable ? PLAN_PATH_PICK_DIRECT : PLAN_PATH_PICK_NONE;
    if (best >= 0 && best != cur && in->cand[best].cost + plan_path_margin(cur_cost) < cur_cost)
        return best;
    return cur;
}

int plan_path_pick(const struct plan_path_in *in, uint64_t now)
{
    int best = plan_path_best_detour(in);

    if (in->cur < 0)
        return plan_path_from_direct(in, best);
    return plan_path_from_detour(in, in->cur, best, now);
}

unsigned plan_path_count(const struct plan_path_in *in)
{
    unsigned n = in->direct_usable ? 1 : 0;

    for (unsigned i = 0; i < in->n; i++)
        n += in->cand[i].usable && in->cand[i].one_hop;
    return n;
}

/* Distance on the ring either way round, in 2^64 arithmetic: an answer
 * goes back the way its question came, against the ring's direction. */
static uint64_t plan_ring_dist(uint64_t a, uint64_t b)
{
    uint64_t cw = b - a, ccw = a - b;

    return cw < ccw ? cw : ccw;
}

int plan_ring_next(uint64_t self, uint64_t dest, const uint64_t *cand, unsigned n)
{
    uint64_t best = plan_ring_dist(self, dest);
    int k = -1;

    for (unsigned i = 0; i < n; i++) {
        uint64_t d = plan_ring_dist(cand[i], dest);

        if (d < best) {
            best = d;
            k = (int)i;
        }
    }
    return k;
}
