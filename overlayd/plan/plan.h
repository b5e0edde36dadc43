/* SPDX-License-Identifier: GPL-2.0-only */
#ifndef OVL_OVERLAYD_PLAN_H
#define OVL_OVERLAYD_PLAN_H

/*
 * DOC: plan — the overlay's policy as a pure state machine: which links to
 * keep, open, close or decline, direct or relayed delivery and the next
 * hop, bootstrap and rejoin, and the republish schedule.
 *
 * Owns: a bounded link table keyed by public key (per host: what its
 * [Peer] section says, its link state as last reported, and when it last
 * carried data, frames, ring messages, any packet, an ECHO request or a
 * CLOSE request of ours), the hosts that declined to be our neighbour, a
 * copy of the ring node's neighbourhood (struct plan_ring_view), and the
 * deadlines of its periodic work. It may call routing/ids.h, routing/ring.h
 * (types only) and crypto/ringid.h; it never includes libuv or daemon.h,
 * never reads a clock (@now, monotonic ns, comes in) and sends nothing: it
 * returns actions (struct plan_actions) for overlayd/ring/ to carry out.
 *
 * Pattern (ngtcp2's, as routing/ring.h): feed events (plan_on_*), refresh
 * the link snapshot (plan_links_begin / plan_link_state / plan_links_end)
 * and the ring view (plan_on_ring) before asking, call plan_on_timeout()
 * at plan_next_deadline(). Each piece of periodic work has a deadline of
 * its own (bootstrap, alone-in-our-ring, publish scan, idle scan,
 * republish), so nothing runs at a fixed tick.
 *
 * Why a view and not the node: the node is pure too, but a view lets the
 * tests state any neighbourhood literally (and the oracle test draw random
 * ones), and it is copied once per call instead of asked for per link.
 *
 * Declined hosts live in a table of their own, not in the link table: a
 * host that declines us is usually dropped at once (its link entry goes
 * with it), while the decline must outlive the link for PLAN_DECLINE_S.
 *
 * Paths: plan_route() answers with a struct plan_path: a kind (direct,
 * relay), the next hop and a cost. A later kind (via a detour host, or
 * along the ring with measured cost) fits the same struct; the cost is 0
 * (unknown) today, as every choice is by ring distance alone.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "routing/ids.h"
#include "routing/ring.h"

#define PLAN_MS UINT64_C(1000000)
#define PLAN_SEC (1000 * PLAN_MS)

/* The policy's constants: its specification (docs/design.md, "Ring"). */
enum plan_spec {
    PLAN_IDLE_DEFAULT_S = 120,        /* a link carrying nothing this long may close */
    PLAN_MEMBERS_REFRESH_S = 10,      /* membership records fetched at most this often */
    PLAN_CREATE_WAIT_S = 2,           /* lowest id: create after this without a join */
    PLAN_MEMBER_SEEN_S = 10,          /* ... unless a [Peer] showed it is a member this recently */
    PLAN_ALONE_S = 5,                 /* alone in our ring with [Peer]s: join through them */
    PLAN_REPLY_DIRECT_MS = 2000,      /* answer directly who spoke to us directly this recently */
    PLAN_SETTLE_S = 10,               /* neighbours unchanged this long: relay, else go direct */
    PLAN_DECLINE_S = 30,              /* a host that declined us is no neighbour this long */
    PLAN_DECLINED_MAX = 32,
    PLAN_ECHO_MS = 1000,              /* relay hop silent this long: probe it, skip it unanswered */
    PLAN_JOIN_TRY_MS = 1500,          /* then join through the next [Peer] */
    PLAN_BOOT_RETRY_MS = 250,         /* not a member: look at the [Peer] links this often */
    PLAN_SCAN_MS = 1000,              /* publish scan and idle scan period (each its own deadline) */
    PLAN_REPUBLISH_FIRST_S = 3,       /* after a neighbour change: +1 s, then 3, 6, 12, 24 s */
    PLAN_REPUBLISH_STEPS = 4,
    PLAN_NEIGHBOURS_MAX = 192,        /* relay next-hop candidates considered */
    PLAN_LINKS_MAX = 1024,            /* link table entries; hosts beyond it are never closed */
    PLAN_BOOT_PEERS_MAX = 64,         /* up [Peer]s considered for a join */
    PLAN_ACTIONS_MAX = 128,           /* per plan_on_timeout(); the rest waits for the next scan */
    PLAN_KEEP_MAX = 64,               /* enclave neighbours kept (2 per enclave) */
    /* Links one flood step considers: as many as the plan manages, so no
     * up link is left out of the tree (a left-out carrier would miss it). */
    PLAN_FLOOD_MAX = PLAN_LINKS_MAX,
};

enum plan_link_st {
    PLAN_LINK_DOWN = 0,
    PLAN_LINK_CONNECTING,
    PLAN_LINK_UP,
};

/* What configuration and the data path say about a host (plan_link_state). */
enum plan_link_flags {
    PLAN_LF_PEER = 1 << 0,            /* a [Peer] section names it */
    PLAN_LF_PINNED = 1 << 1,          /* [Peer] with Endpoint, no Authority: never closed */
    PLAN_LF_HAS_EP = 1 << 2,          /* we know an endpoint for it now */
};

/* The ring node as the plan sees it; the glue copies it from routing/. */
struct plan_ring_view {
    enum ring_state state;
    bool has_pred;
    ring_id pred, succ;               /* succ == self: alone */
    unsigned link_cap;                /* ring_node_link_cap() */
    unsigned n_nb;
    ring_peer nb[PLAN_NEIGHBOURS_MAX]; /* ring_node_neighbours() */
};

enum plan_path_kind {
    PLAN_PATH_NONE = 0,               /* no way now: drop (the origin retries) */
    PLAN_PATH_DIRECT,                 /* to the destination over its own link */
    PLAN_PATH_RELAY,                  /* in a RELAY envelope to @hop */
};

struct plan_path {
    enum plan_path_kind kind;
    ring_peer hop;                    /* RELAY: the next hop (endpoint when a neighbour) */
    uint64_t cost;                    /* 0: unknown (reserved for measured path costs) */
};

enum plan_action_kind {
    PLAN_ACT_CREATE = 1,              /* a fresh node creates the ring */
    PLAN_ACT_JOIN,                    /* a fresh node joins through @pub */
    PLAN_ACT_CONNECT,                 /* open the link to @pub */
    PLAN_ACT_ASK_CLOSE,               /* send CLOSE with REQUEST to @pub */
    PLAN_ACT_CLOSE,                   /* drop our session with @pub, telling nobody */
    PLAN_ACT_DECLINE,                 /* send CLOSE with DECLINE to @pub, then drop it */
    PLAN_ACT_PUBLISH_SCAN,            /* (un)publish local MACs and memberships */
    PLAN_ACT_REPUBLISH,               /* publish every record of ours again */
};

struct plan_action {
    enum plan_action_kind kind;
    uint8_t pub[32];
    bool rejoin;                      /* JOIN: we gave up a ring of our own */
};

struct plan_actions {
    unsigned n;
    struct plan_action a[PLAN_ACTIONS_MAX];
};

/* CLOSE messages (inner ring kind CLOSE) and what to do about them. */
enum plan_close_msg {
    PLAN_CLOSE_MSG_CLOSED = 0,        /* empty: the other side closed */
    PLAN_CLOSE_MSG_REQUEST,           /* it asks us to close */
    PLAN_CLOSE_MSG_DECLINE,           /* it declines to be our neighbour */
    PLAN_CLOSE_MSG_OTHER,
};

enum plan_close_verdict {
    PLAN_CLOSE_IGNORE = 0,            /* keep the link */
    PLAN_CLOSE_DROP,                  /* drop our session silently */
    PLAN_CLOSE_AGREE,                 /* answer CLOSE, then drop the session */
};

struct plan_config {
    uint8_t self_pub[32];
    uint64_t idle_ns;                 /* 0: PLAN_IDLE_DEFAULT_S */
    const uint8_t (*peers)[32];       /* [Peer] keys, for the bootstrap order */
    size_t n_peers;
};

/* ---- paths: direct or one detour (plan_path.c) -------------------------- */
enum plan_path_spec {
    PLAN_PATH_UNKNOWN_MS = 1000,      /* cost of a path with no RTT sample yet: last resort */
    PLAN_PATH_MARGIN_PCT = 20,        /* a new path must be this much cheaper ... */
    PLAN_PATH_MARGIN_MIN_MS = 10,     /* ... and at least this (RTT noise of a loaded host) */
    PLAN_PATH_HOLD_MS = 2000,         /* direct healthy this long before traffic returns */
    PLAN_PATH_PICK_DIRECT = -1,
    PLAN_PATH_PICK_NONE = -2,         /* no usable path: the glue tries direct anyway */
};

struct plan_path_cand {
    uint64_t cost;                    /* ns: RTT to the relay + the relay's RTT onwards */
    bool usable;                      /* relay healthy and it reports a live path onwards */
    bool one_hop;                     /* the relay's own link reaches the destination */
};

struct plan_path_in {
    bool direct_usable;               /* endpoint known, link not held dead */
    uint64_t direct_cost;             /* plan_path_cost() of the direct RTT */
    bool direct_unmeasured;           /* no RTT sample of the direct path yet */
    uint64_t direct_ok_since;         /* healthy without a break since (0: not healthy) */
    int cur;                          /* path in use: PLAN_PATH_PICK_DIRECT or a cand index */
    unsigned n;
    const struct plan_path_cand *cand;
};

/* An RTT (ns, 0 unknown) as a cost: unknown costs PLAN_PATH_UNKNOWN_MS. */
uint64_t plan_path_cost(uint64_t rtt_ns);
/* PLAN_PATH_PICK_DIRECT, a candidate index, or PLAN_PATH_PICK_NONE. */
int plan_path_pick(const struct plan_path_in *in, uint64_t now);
/* Independent usable paths: the direct one plus every usable one-hop
 * detour (each through another relay, so no two share a host). */
unsigned plan_path_count(const struct plan_path_in *in);
/* Along the ring, when neither the direct path nor a detour reaches a
 * host: of @n linked hosts (their ring ids' first 64 bits), the index of
 * the one closest to @dest either way round the ring, nearer to it than
 * @self is (every hop strictly closer: no loop), or -1 if none is. */
int plan_ring_next(uint64_t self, uint64_t dest, const uint64_t *cand, unsigned n);

struct plan_link_info {               /* a link table entry, for status and tests */
    unsigned flags;
    enum plan_link_st st;
    uint64_t last_data, last_frame, last_rx, ring_rx, echo_sent, close_asked;
};

struct plan;

struct plan *plan_new(const struct plan_config *cfg);
void plan_free(struct plan *pl);

/* How many [Peer]s the configuration lists now (after a reload): none means
 * create the ring; some means a ring of our own alone is given up. The
 * lowest-id rule keeps the [Peer]s of plan_new(). */
void plan_set_n_peers(struct plan *pl, size_t n);

/* ---- the link snapshot: report every host we hold a peer for ------------ */
void plan_links_begin(struct plan *pl);
/* Returns 0 or -ENOSPC (table full: the host is not managed). */
int plan_link_state(struct plan *pl, const uint8_t pub[32], unsigned flags, enum plan_link_st st);
/* Entries not reported since plan_links_begin() are forgotten. */
void plan_links_end(struct plan *pl);
/* Our session with @pub was dropped (@gone: the peer went away too). */
void plan_link_closed(struct plan *pl, const uint8_t pub[32], bool gone);
int plan_link_get(const struct plan *pl, const uint8_t pub[32], struct plan_link_info *out);

/* ---- events ------------------------------------------------------------- */
void plan_on_rx(struct plan *pl, const uint8_t pub[32], uint64_t now);      /* any authenticated packet */
void plan_on_data(struct plan *pl, const uint8_t pub[32], uint64_t now);    /* ring traffic, a new link */
void plan_on_frame(struct plan *pl, const uint8_t pub[32], uint64_t now);   /* a unicast frame either way */
void plan_on_ring_rx(struct plan *pl, const uint8_t pub[32], uint64_t now); /* a ring message over its link */
/* A ring message from a [Peer] answered a lookup: the ring exists. */
void plan_member_seen(struct plan *pl, uint64_t now);
/* The node's join completed or failed: look at the bootstrap again. */
void plan_on_joined(struct plan *pl, uint64_t now);
/* After every call into the ring node: its current neighbourhood. */
void plan_on_ring(struct plan *pl, const struct plan_ring_view *v, uint64_t now);
enum plan_close_verdict plan_on_close_msg(struct plan *pl, const uint8_t pub[32],
                                          enum plan_close_msg m, uint64_t now);

/* ---- decisions ---------------------------------------------------------- */
/* Successor, predecessor or a finger of ours that did not decline, or an
 * enclave neighbour (plan_set_keep). */
bool plan_is_neighbour(const struct plan *pl, const ring_id *id, uint64_t now);
bool plan_declined(const struct plan *pl, const uint8_t pub[32], uint64_t now);
unsigned plan_link_cap(const struct plan *pl);
/* The neighbour or up link closest before (or at) @dest, strictly closer than we are. */
bool plan_next_hop(const struct plan *pl, const ring_id *dest, uint64_t now, ring_peer *out);
/* A ring message of ours to @to: DIRECT or RELAY (never NONE). */
void plan_route(const struct plan *pl, const ring_peer *to, uint64_t now, struct plan_path *out);
/* A RELAY envelope to pass on towards @dest: RELAY, DIRECT (its link is up) or NONE. */
void plan_route_forward(const struct plan *pl, const uint8_t dest[32], uint64_t now,
                        struct plan_path *out);
/* We sent a RELAY to @hop: true when it should be probed with an ECHO. */
bool plan_on_relay_sent(struct plan *pl, const uint8_t hop[32], uint64_t now);

/* ---- broadcasts: a tree over existing links (plan_flood.c) -------------- */
/* The first 64 bits of a ring id: what a flooded frame carries as limit. */
uint64_t plan_id64(const ring_id *id);
struct plan_flood_hop {
    unsigned idx;                     /* into the candidates */
    uint64_t limit;                   /* the part of the ring it passes the frame on in */
};
/* Chord broadcast: a host responsible for (self, limit) (limit == self:
 * the whole ring) hands each of its candidates (the 64-bit ids of its up
 * links to carriers of the enclave) in that interval the part up to the
 * next one, clockwise. Returns how many hops @out holds (<= PLAN_FLOOD_MAX). */
unsigned plan_flood_split(uint64_t self, uint64_t limit, const uint64_t *cand, unsigned n,
                          struct plan_flood_hop *out);
/* @self's enclave successor and predecessor among @hosts (self skipped):
 * false when there is none. */
bool plan_enclave_neighbours(const ring_id *self, const ring_peer *hosts, size_t n,
                             ring_peer *succ, ring_peer *pred);
/* The enclave neighbours of every enclave we carry: their links are kept
 * (never idle-closed, never declined) and opened when down. */
void plan_set_keep(struct plan *pl, const ring_peer *keep, unsigned n);

/* ---- timers ------------------------------------------------------------- */
uint64_t plan_next_deadline(const struct plan *pl);      /* UINT64_MAX: none */
void plan_on_timeout(struct plan *pl, uint64_t now, struct plan_actions *out);

uint64_t plan_links_declined(const struct plan *pl);      /* DECLINE actions so far */
uint64_t plan_idle_ns(const struct plan *pl);

#endif
