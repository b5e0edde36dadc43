/* SPDX-License-Identifier: GPL-2.0-only */
#ifndef OVL_OVERLAYD_PLAN_INT_H
#define OVL_OVERLAYD_PLAN_INT_H

/*
 * DOC: plan_int — the plan's state, shared by plan_links.c (link table,
 * CLOSE, idle and cap scans), plan_route.c (neighbours, next hop, paths)
 * and plan_timers.c (bootstrap, republish, deadlines); not used elsewhere.
 */

#include "overlayd/plan/plan.h"

enum {
    PLAN_SLOTS = 2 * PLAN_LINKS_MAX,  /* open addressing, at most half full */
};

struct plan_link {
    uint8_t pub[32];
    ring_id id;
    bool used, seen;
    unsigned flags;
    enum plan_link_st st;
    uint64_t last_data;               /* last unicast frame or ring traffic: idle links */
    uint64_t last_frame;              /* last unicast frame either way: the cap spares it */
    uint64_t last_rx;                 /* last authenticated packet */
    uint64_t ring_rx;                 /* last ring message over its link */
    uint64_t echo_sent;               /* last ECHO request of ours */
    uint64_t close_asked;             /* we asked it to close the idle link */
};

struct plan {
    uint8_t self_pub[32];
    ring_id self;
    uint64_t idle_ns;
    size_t n_cfg_peers;
    bool lowest;                      /* lowest ring id among us and our [Peer]s */
    struct plan_ring_view view;
    struct plan_link slot[PLAN_SLOTS];
    size_t n_links;
    struct {
        uint8_t pub[32];
        uint64_t until;
    } declined[PLAN_DECLINED_MAX];
    unsigned declined_next;
    ring_peer keep[PLAN_KEEP_MAX];    /* enclave neighbours (plan_set_keep) */
    unsigned n_keep;
    uint64_t links_declined;
    /* bootstrap */
    uint64_t join_since, unjoined_since, member_seen, alone_since;
    unsigned join_next;
    /* neighbour changes and republication */
    ring_id last_pred, last_succ;
    uint64_t nb_changed;              /* 0: not a member yet */
    unsigned republish_step;
    /* deadlines (0: none) */
    uint64_t boot_at, scan_at, idle_at, republish_at;
};

struct plan_link *plan_link_find(const struct plan *pl, const uint8_t pub[32]);
struct plan_link *plan_link_add(struct plan *pl, const uint8_t pub[32]);
void plan_link_del(struct plan *pl, struct plan_link *l);
bool plan_active(const struct plan *pl);
bool plan_mandatory(const struct plan *pl, const ring_id *id);
bool plan_add_action(struct plan_actions *out, enum plan_action_kind k, const uint8_t *pub);
/* plan_flood.c */
bool plan_is_kept(const struct plan *pl, const ring_id *id);
void plan_connect_kept(struct plan *pl, struct plan_actions *out);
/* plan_links.c: the idle scan (link cap first). */
void plan_idle_scan(struct plan *pl, uint64_t now, struct plan_actions *out);

#endif
