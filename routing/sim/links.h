/* SPDX-License-Identifier: GPL-2.0-only */
#ifndef OVL_ROUTING_SIM_LINKS_H
#define OVL_ROUTING_SIM_LINKS_H

/*
 * DOC: links — the daemon's link graph on the simulated ring, as the
 * daemon's own plan (overlayd/plan/) decides it
 *
 * Every live ACTIVE member v gets a struct plan of its own, fed what
 * overlayd/ring/ringd_plan.c feeds it in the daemon: its ring view
 * (state, predecessor, successor, ring_node_link_cap(), and as neighbours
 * ring_node_neighbours() of its node), the declines it received, its
 * links as up with an endpoint, and its enclave neighbours
 * (plan_set_keep). The simulator decides nothing about links itself:
 *
 *   links   v's links are its view neighbours N(v), the hosts u with v in
 *           N(u), and enclave neighbours either way, minus those cut by a
 *           decline. A link to a host that is not a live member is not
 *           up and is not counted.
 *   cap     hosts in ring order, each over live counts, run the plan's
 *           idle scan (plan_on_timeout() when it is due); every DECLINE it
 *           returns is handed to the declined host's plan
 *           (plan_on_close_msg()), and the link is cut only if that plan
 *           then no longer counts v as a neighbour (plan_is_neighbour():
 *           its successor or predecessor stays).
 *   relay   the origin asks its plan plan_route() for the destination,
 *           each hop after asks plan_route_forward(), as the daemon's
 *           ringd_relay.c does; hops = messages sent. A failure: no next
 *           hop, a hop that is not a live member, DIRECT to a host that
 *           is neither linked nor a view neighbour (a declined neighbour
 *           is the last hop as plan_next_hop() allows: its link opens for
 *           it), or more than LINKS_HOP_CAP hops.
 *
 * Inputs the simulator has to supply because it has no traffic: the plan
 * declines the least recently used candidates, so v's links are stamped as
 * used (plan_on_data) in the order of their clockwise distance to v, the
 * closest before v the longest ago (its finger to v is the shortest and
 * covers the smallest arc, so it relays least); all within the idle time,
 * so no link is idle. No unicast frames (nothing is spared by last_frame).
 * The plan's clock is its own: ring view at T-60 s, declines at T-1 s,
 * questions at T, so every neighbourhood is settled (PLAN_SETTLE_S).
 *
 * Pairs come from a private splitmix64 stream so measuring does not move
 * the engine's random stream: the rest of a ringsim run stays identical.
 * Read-only on the engine; no simulated time passes.
 */

#include <stdint.h>

#include "routing/sim/engine.h"

#define LINKS_NONE UINT32_MAX           /* a host that is not a live member */

/* The members' link graph, by oracle position (members sorted by id). */
struct links_graph {
    struct eng *e;
    uint32_t m;
    uint32_t *off, *adj;        /* view neighbours N(v): adj[off[v] .. off[v + 1]) */
    ring_peer *nbp;             /* ... as ring_node_neighbours() gave them (same index) */
    uint32_t *src;              /* owner of each adj entry */
    uint8_t *dec;               /* per entry v → u: u declined v */
    uint8_t *cut;               /* ... and v's plan let u go: no link from this entry */
    uint32_t *ioff, *in;        /* entries naming v: in[ioff[v] .. ioff[v + 1]) */
    uint32_t (*keep)[2];        /* enclave neighbours (LINKS_NONE: none), or NULL */
    size_t nadj;
};

/* v's links (positions, ascending); @ring[i] false: an enclave neighbour
 * that is no ring link. Returns their number (<= links_max()). */
unsigned links_of(const struct links_graph *g, uint32_t v, uint32_t *out, bool *ring);
unsigned links_max(const struct links_graph *g);
uint32_t links_position(const struct links_graph *g, const ring_id *id);
/* The neighbour graph of the engine's members, before any decline; @keep
 * (m entries or NULL) becomes the graph's. 0 or -ENOMEM / -EINVAL (fewer
 * than 2 members). */
int links_graph_build(struct eng *e, uint32_t (*keep)[2], struct links_graph *g);
/* Every member runs its plan's cap, in ring order: returns the DECLINEs
 * sent, or -ENOMEM. */
long links_graph_cap(struct links_graph *g);
void links_graph_free(struct links_graph *g);

/* Link counts and relay walks over one graph. */
struct links_fig {
    double links_mean;          /* mean link count */
    unsigned links_p99, links_max;
    uint32_t pairs, reached;    /* relays tried / that reached dest */
    double hops_mean;           /* over the relays that reached dest */
    unsigned hops_p99;
};

struct links_stats {
    uint32_t hosts;             /* live ACTIVE hosts measured */
    double out_mean;            /* mean |N(v)| */
    double out_capped_mean;     /* mean N(v) entries not cut */
    struct links_fig raw;       /* before any decline */
    struct links_fig capped;    /* after the plans' caps */
    unsigned cap_min, cap_max;  /* range of plan_link_cap() over the hosts */
    uint32_t declined;          /* DECLINE actions */
    uint32_t cut;               /* ... that cut a link */
    uint32_t over_cap;          /* hosts still above their own cap */
    unsigned over_by;           /* max links(v) − cap(v) among those */
    unsigned keep_max;          /* max links v may not decline: its plan's
                                   neighbours and the hosts that kept it
                                   after its DECLINE */
    uint32_t beyond_keep;       /* hosts above both their cap and what they
                                   may not decline: 0 unless the plan failed
                                   to decline */
};

/* 0, or -ENOMEM / -EINVAL (fewer than 2 members). */
int links_measure(struct eng *e, uint32_t pairs, uint64_t seed, struct links_stats *out);

#endif
