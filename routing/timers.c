/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * All timer policy of the ring in one place: default periods, jitter,
 * the next deadline and what fires when it passes.
 *
 * Periods (defaults; docs/routing.md explains the choice):
 *   stabilize      1 s  ±25 %   STATE_REQ to successor, NOTIFY;
 *                  1/8 s after a round that changed the successor
 *   fix_fingers    2 s  ±25 %   one finger lookup per tick, highest first
 *   check_pred     2 s  ±25 %   PING predecessor
 *   self_check    10 s  ±25 %   look up our own id (finds nodes that skip us);
 *                                 every other one enters via the bootstrap node
 *   unity         20 s  ±50 %   ask a remembered host for our successor in its
 *                                 ring (unity.c); about a stabilize period
 *                                 after a host new to the memory is handed in
 *   rpc_timeout  500 ms         any request; a miss marks the peer dead
 *   lookup       10 s           overall deadline of a lookup
 *   refresh       30 s          republish own records
 *   record_ttl    90 s          expiry of a record nobody refreshed
 *   sweep          5 s          drop expired records
 *   dead_ttl      30 s          avoid a timed-out peer this long
 *
 * PNS (pns.c): up to 16 candidates per fix-fingers answer; every other
 * fix-fingers cycle looks up random points of the intervals.
 */
#include "routing/node_priv.h"

#define MS UINT64_C(1000000)
#define SEC (1000 * MS)

void ring_config_default(ring_config *cfg)
{
    *cfg = (ring_config){
        .nsucc = RING_SUCC_DEFAULT,
        .stabilize_ns = 1 * SEC,
        .fix_fingers_ns = 2 * SEC,
        .check_pred_ns = 2 * SEC,
        .self_check_ns = 10 * SEC,
        .unity_ns = 20 * SEC,
        .rpc_timeout_ns = 500 * MS,
        .lookup_deadline_ns = 10 * SEC,
        .refresh_ns = 30 * SEC,
        .record_ttl_ns = 90 * SEC,
        .sweep_ns = 5 * SEC,
        .dead_ttl_ns = 30 * SEC,
        .max_hops = 48,
        .pns_sample = 16,
        .pns_explore = true,
        .prs = true,
        .bind_ids = true,
        .quota_host = RING_QUOTA_HOST,
        .quota_enclave = RING_QUOTA_ENCLAVE,
        .quota_total = RING_QUOTA_TOTAL,
    };
}

uint64_t ring_jitter(struct ring_node *n, uint64_t period)
{
    /* ±25 % keeps thousands of nodes started together from ticking in step. */
    uint64_t span = period / 2;

    return period - period / 4 + (span ? n->cb.rand(n->cb.ctx) % span : 0);
}

uint64_t ring_jitter_half(struct ring_node *n, uint64_t period)
{
    /* ±50 %: unity checks are rare, and spreading them widely keeps the
     * hosts of a large ring from asking the same remembered host at once. */
    return period / 2 + (period ? n->cb.rand(n->cb.ctx) % period : 0);
}

void ring_unity_soon(struct ring_node *n, uint64_t now)
{
    uint64_t t;

    if (n->state != RING_ACTIVE || !n->cfg.unity_ns)
        return;
    t = now + ring_jitter(n, n->cfg.stabilize_ns);
    if (t < n->t_unity)
        n->t_unity = t;
}

void ring_timers_start(struct ring_node *n, uint64_t now)
{
    n->t_stab = now + ring_jitter(n, n->cfg.stabilize_ns);
    n->t_ff = now + ring_jitter(n, n->cfg.fix_fingers_ns);
    n->t_pred = now + ring_jitter(n, n->cfg.check_pred_ns);
    n->t_refresh = now + ring_jitter(n, n->cfg.refresh_ns);
    n->t_sweep = now + ring_jitter(n, n->cfg.sweep_ns);
    n->t_self = now + ring_jitter(n, n->cfg.self_check_ns);
    n->t_unity = n->cfg.unity_ns ? now + ring_jitter_half(n, n->cfg.unity_ns) : UINT64_MAX;
    if (ring_seen_unchecked(n))
        ring_unity_soon(n, now);
}

void ring_stabilize_soon(struct ring_node *n, uint64_t now)
{
    /* While the successor keeps changing (joins, failures) rounds run
     * 8× faster; a quiet ring pays nothing extra. */
    uint64_t t = now + n->cfg.stabilize_ns / 8;

    if (t < n->t_stab)
        n->t_stab = t;
}

static uint64_t min64(uint64_t a, uint64_t b)
{
    return a < b ? a : b;
}

uint64_t ring_node_next_deadline(const struct ring_node *n)
{
    uint64_t d = UINT64_MAX;

    if (n->state == RING_JOINING || n->state == RING_ACTIVE)
        d = ring_op_next_deadline(n);
    if (n->state != RING_ACTIVE)
        return d;
    d = min64(d, min64(n->t_stab, n->t_ff));
    d = min64(d, min64(n->t_pred, min64(n->t_refresh, n->t_sweep)));
    d = min64(d, min64(n->t_self, n->t_unity));
    if (n->unity.active)
        d = min64(d, n->unity.deadline);
    if (n->stab.active)
        d = min64(d, n->stab.deadline);
    if (n->stab2.active)
        d = min64(d, n->stab2.deadline);
    if (n->ping.active)
        d = min64(d, n->ping.deadline);
    return d;
}

static void self_check_tick(struct ring_node *n, uint64_t now)
{
    const ring_peer *via = NULL;

    n->t_self = now + ring_jitter(n, n->cfg.self_check_ns);
    /* Every other check enters through the bootstrap node: two rings
     * that formed side by side (both internally consistent) know
     * nothing of each other, and only an outside entry point lets the
     * lookup cross and the pokes merge them. */
    if ((n->self_checks++ & 1) && n->has_bootstrap &&
        !ring_dead_has(n, now, &n->bootstrap.id))
        via = &n->bootstrap;
    if (!ring_is_self(n, &n->succ[0].id))
        ring_op_start(n, now, RING_P_SELF_CHECK, &n->self.id, 0, NULL, via);
}

static void fix_fingers_tick(struct ring_node *n, uint64_t now)
{
    ring_id key;
    int bit;

    if (n->ff_busy)
        return;
    bit = ring_finger_next_bit(n);
    if (bit < 0)
        return;
    if (n->ff_explore)
        ring_pns_random_key(n, (unsigned)bit, &key);
    else
        ring_id_add_pow2(&key, &n->self.id, (unsigned)bit);
    n->ff_busy = true;
    if (ring_op_start(n, now, RING_P_FINGER, &key, ring_op_finger((unsigned)bit, n->ff_explore),
                      NULL, NULL) < 0)
        n->ff_busy = false;
}

void ring_node_on_timeout(struct ring_node *n, uint64_t now)
{
    n->now = now;
    if (n->state != RING_ACTIVE && n->state != RING_JOINING)
        return;
    ring_op_timeouts(n, now);
    if (n->state != RING_ACTIVE)
        return;
    if (n->stab.active && now >= n->stab.deadline)
        ring_rpc_expired(n, now, &n->stab);
    if (n->stab2.active && now >= n->stab2.deadline)
        ring_rpc_expired(n, now, &n->stab2);
    if (n->ping.active && now >= n->ping.deadline)
        ring_rpc_expired(n, now, &n->ping);
    if (now >= n->t_stab) {
        n->t_stab = now + ring_jitter(n, n->cfg.stabilize_ns);
        ring_stabilize_tick(n, now);
    }
    if (now >= n->t_pred) {
        n->t_pred = now + ring_jitter(n, n->cfg.check_pred_ns);
        ring_check_pred_tick(n, now);
    }
    if (now >= n->t_ff) {
        n->t_ff = now + ring_jitter(n, n->cfg.fix_fingers_ns);
        fix_fingers_tick(n, now);
    }
    if (now >= n->t_self)
        self_check_tick(n, now);
    if (n->unity.active && now >= n->unity.deadline)
        ring_unity_expired(n, now);
    if (now >= n->t_unity) {
        n->t_unity = now + ring_jitter_half(n, n->cfg.unity_ns);
        ring_unity_tick(n, now);
    }
    if (now >= n->t_refresh) {
        n->t_refresh = now + n->cfg.refresh_ns;
        ring_pub_refresh_all(n, now);
    }
    if (now >= n->t_sweep) {
        n->t_sweep = now + n->cfg.sweep_ns;
        ring_store_expire(n, now);
    }
}
