/* SPDX-License-Identifier: GPL-2.0-only */
#ifndef OVL_ROUTING_NODE_PRIV_H
#define OVL_ROUTING_NODE_PRIV_H

/*
 * DOC: node_priv — ring_node internals shared by the routing sources (not public)
 *
 * Memory plan (100k nodes in one process): the node struct is ~3 KB (half
 * of it the RING_SEEN_MAX hosts seen, unity.c), the
 * successor list r × 68 bytes, fingers ~log2(n) × 76 bytes, records ~ r ×
 * (records per host) × 120 bytes; ops exist only while a lookup runs.
 */

#include "routing/keyidx.h"
#include "routing/ring.h"
#include "routing/wire.h"

enum ring_priv_limits {
    RING_OP_CANDS = RING_ROUTE_MAX,
    RING_PRS_MAX = RING_FINGER_MAX + RING_SUCC_MAX + 1,
    RING_OP_OWNERS = 4,
    RING_OP_ASKED = 40,
    RING_NEXT_PEERS = 3,        /* candidates returned in a FIND_RESP NEXT */
    RING_BUSY_TRIES = 6,
    RING_STAB_WALK = 16,        /* predecessor hops per stabilize round */
};

enum ring_op_purpose {
    RING_P_LOOKUP = 0,
    RING_P_JOIN,
    RING_P_FINGER,
    RING_P_PUBLISH,
    RING_P_GET_MAC,
    RING_P_GET_MEMBERS,
    RING_P_SELF_CHECK,
    RING_P_REPLICA,             /* find the first carrier after us for a RECS */
    RING_P_UNITY,               /* a UNITY_REQ we serve: rec.host asked, cookie = rid */
    RING_P_GET_IP,
};

enum ring_unity_limits {
    RING_UNITY_SERVE_MAX = 4,   /* UNITY_REQs served at once; more are dropped */
    RING_SEEN_FAILS = 3,        /* unanswered checks before a self-noted host is forgotten */
};

struct ring_seen {
    ring_peer p;
    uint64_t seen, checked;     /* checked 0: never */
    uint8_t fails;
    bool sticky;                /* handed in (ring_node_remember, bootstrap) */
};

struct ring_rpc {
    uint64_t rid, deadline;
    ring_peer to;
    bool active;
};

struct ring_finger {
    ring_peer p;
    uint32_t rtt_us;            /* last measured round trip (0 = unknown) */
    uint8_t bit;                /* lowest finger index this entry answered */
};

struct ring_dead {
    ring_id id;
    uint64_t until;
};

struct ring_op {
    uint64_t rid, cookie, deadline, rpc_deadline, sent_at, wake_at;
    ring_id key, suspect;
    uint8_t purpose, finger_bit, busy_tries, cur_hint;
    bool waiting;               /* a FIND_REQ to cur is outstanding */
    bool delegated;             /* owners[] are E-owner candidates (FIND_DELEGATE) */
    uint16_t hops;
    ring_peer cur;
    uint8_t ncands, nowners, nasked;
    /* In what was padding, so ops do not grow: the outstanding FIND_REQ is
     * a PROBE; cur answered OWNER to a probe (it may get the payload). */
    bool probing : 1, confirmed : 1;
    ring_peer cands[RING_OP_CANDS];     /* preceding the key, closest first */
    ring_peer owners[RING_OP_OWNERS];   /* believed successors of the key */
    ring_id asked[RING_OP_ASKED];
    ring_record rec;            /* STORE payload / GET identity / replica */
    /* RING_P_REPLICA: origin of the RECS chain to continue at the carrier
     * found; its flags, copies and ttl travel in @cookie (ring_op_chain). */
    ring_id origin;
};

/* RING_P_FINGER cookie: the finger index, and whether the key is a
 * random point of its interval (pns.c) rather than its start. */
static inline uint64_t ring_op_finger(unsigned bit, bool explore)
{
    return (uint64_t)explore << 8 | bit;
}

/* RING_P_REPLICA cookie: RECS flags, copies and ttl of the chain. */
static inline uint64_t ring_op_chain(uint8_t rflags, uint8_t copies, uint8_t ttl)
{
    return (uint64_t)rflags << 16 | (uint64_t)copies << 8 | ttl;
}

struct ring_srec {
    ring_record r;
    ring_id key;
};

struct ring_pub {
    uint8_t type;
    uint8_t mac[6];
    uint32_t enclave;
    ring_ip ip;                 /* RING_REC_IP */
    uint64_t seq;
};

struct ring_node {
    ring_config cfg;
    ring_callbacks cb;
    ring_peer self;
    enum ring_state state;
    uint64_t now;               /* time of the latest call into the node */
    uint64_t dead_until;        /* no entry of dead[] is live from this time on */

    ring_peer *succ;            /* cfg.nsucc slots */
    unsigned nsucc;
    ring_peer pred;
    bool has_pred, has_old_pred;
    ring_id old_pred;           /* last predecessor, found dead */

    struct ring_finger *fing;   /* sorted by clockwise distance from self */
    unsigned nfing, capfing;

    struct ring_rpc stab, stab2, ping;
    struct ring_rpc unity;      /* our outstanding UNITY_REQ (read by every rearm) */
    ring_peer rectify_cand;     /* notifier waiting for the pred check */
    bool has_rectify;
    uint8_t stab_depth;
    ring_id stab_prev;          /* successor when the round started */
    ring_id poked;              /* last node told it skips us */
    uint64_t poked_at;

    uint64_t t_stab, t_ff, t_pred, t_refresh, t_sweep, t_self, t_unity;
    uint8_t ff_next;
    uint32_t self_checks;
    bool ff_busy;
    bool ff_explore;            /* this fix-fingers cycle samples random points (pns.c) */

    struct ring_op *ops;
    unsigned nops, capops;

    struct ring_srec *recs;
    size_t nrecs, caprecs;
    struct ring_pub *pubs;
    unsigned npubs, cappubs;
    struct keyidx pubidx;       /* pubs by (type, enclave, MAC or address) */

    bool has_bootstrap;
    uint64_t next_rid;
    ring_stats stats;

    /* Last: over half the struct, read only by self checks, unity checks,
     * when a peer is forgotten, and (dead[]) while a dead host is cached
     * (dead_until says when not); every message touches the fields above
     * it, which the simulator prefetches (routing/sim/engine.c). */
    ring_peer bootstrap;
    struct ring_dead dead[RING_DEAD_CACHE];
    unsigned dead_next;
    unsigned nseen;
    struct ring_seen seen[RING_SEEN_MAX];
};

/* node.c */
void ring_send(struct ring_node *n, const ring_peer *to, const ring_msg *m);
uint64_t ring_new_rid(struct ring_node *n);
bool ring_is_self(const struct ring_node *n, const ring_id *id);
void ring_become_active(struct ring_node *n, uint64_t now, const ring_peer *succ,
                        const ring_peer *list, unsigned nlist);
void ring_stabilize_tick(struct ring_node *n, uint64_t now);
void ring_check_pred_tick(struct ring_node *n, uint64_t now);
void ring_rpc_expired(struct ring_node *n, uint64_t now, struct ring_rpc *rpc);
void ring_rejoin(struct ring_node *n, uint64_t now);

/* succ.c */
void ring_succ_adopt(struct ring_node *n, const ring_peer *first,
                     const ring_peer *list, unsigned nlist);
bool ring_succ_remove(struct ring_node *n, const ring_id *id);
bool ring_succ_contains(const struct ring_node *n, const ring_id *id);
void ring_succ_to_msg(const struct ring_node *n, ring_msg *m);
void ring_set_pred(struct ring_node *n, uint64_t now, const ring_peer *p, bool handoff);

/* finger.c */
void ring_finger_insert(struct ring_node *n, const ring_peer *p, unsigned bit);
bool ring_finger_remove(struct ring_node *n, const ring_id *id);
/* A fix-fingers answer for @bit: @owner of the key looked up and its
 * successor list @list (PNS candidates). @explore: the key was a random
 * point of the interval, not its start (owner is then not "the first"). */
void ring_finger_apply(struct ring_node *n, unsigned bit, const ring_peer *owner,
                       const ring_peer *list, unsigned nlist, bool explore);
void ring_finger_rtt(struct ring_node *n, const ring_id *id, uint32_t rtt_us);
/* Up to @max known nodes in (self, key), closest to the key first. */
unsigned ring_closest_preceding(const struct ring_node *n, const ring_id *key,
                                ring_peer *out, unsigned max);
/* PRS (prs.c): the index in @c (hosts in (self, key)) with the lowest
 * estimated latency to @key, 0 on ties, with PRS off or nothing measured;
 * ring_prs_sort orders @c that way (stable). At most RING_PRS_MAX. */
unsigned ring_prs_best(const struct ring_node *n, const ring_id *key, const ring_peer *c,
                       unsigned nc);
void ring_prs_sort(const struct ring_node *n, const ring_id *key, ring_peer *c, unsigned nc);
/* Our successors from @key's owner on, if @key lies in (self, last
 * successor]: the owner is then known and asked directly. */
unsigned ring_owner_cands(const struct ring_node *n, const ring_id *key, ring_peer *out,
                          unsigned max);
/* Next finger index to refresh, or -1 if the successor list covers all. */
int ring_finger_next_bit(struct ring_node *n);
void ring_dead_add(struct ring_node *n, uint64_t now, const ring_id *id);
bool ring_dead_has(const struct ring_node *n, uint64_t now, const ring_id *id);
void ring_dead_del(struct ring_node *n, const ring_id *id);
/* Forget a peer everywhere (successors, fingers, predecessor). */
void ring_forget(struct ring_node *n, uint64_t now, const ring_id *id);

/* lookup.c */
int ring_op_start(struct ring_node *n, uint64_t now, uint8_t purpose, const ring_id *key,
                  uint64_t cookie, const ring_record *rec, const ring_peer *via);
void ring_op_on_resp(struct ring_node *n, uint64_t now, const ring_peer *from,
                     const ring_msg *m);
void ring_op_timeouts(struct ring_node *n, uint64_t now);
uint64_t ring_op_next_deadline(const struct ring_node *n);
void ring_handle_find(struct ring_node *n, uint64_t now, const ring_peer *from,
                      const ring_msg *m);
bool ring_owns(const struct ring_node *n, const ring_id *key);
/* Continue a RECS chain for @rec at the first host after us that may carry
 * its enclave (found with probes, so non-carriers never see the record). */
int ring_op_start_replica(struct ring_node *n, uint64_t now, const ring_record *rec,
                          uint8_t rflags, uint8_t copies, uint8_t ttl, const ring_id *origin);

/* store.c */
/* cb.may_carry, or true when the hook is NULL. */
bool ring_may_carry(const struct ring_node *n, const ring_id *host, uint32_t enclave);
void ring_record_key(ring_id *out, const ring_record *r);
/* Store @r: 0 stored, 1 lost the conflict rule (or expired), -1 refused
 * (type, address or carry policy), -ERANGE its sequence number leads the
 * held record's by more than RING_SEQ_AHEAD (recs_bad_seq), -ENOSPC a
 * quota is full (recs_quota). */
int ring_store_put(struct ring_node *n, const ring_record *r);
/* Records of (@type, @enclave, @mac or @ip), at most @max; membership
 * records nearest @near on the ring when there are more (NULL: any @max). */
unsigned ring_store_find(const struct ring_node *n, uint8_t type, uint32_t enclave,
                         const uint8_t mac[6], const ring_ip *ip, const ring_id *near,
                         ring_wrec *out, unsigned max, uint64_t now);
void ring_store_expire(struct ring_node *n, uint64_t now);
/* Send records whose key satisfies !(key in (lo, hi]) (or all if @all).
 * RING_RECS_HANDOFF starts a replica chain of r copies at @to (leave);
 * RING_RECS_REPLICA is a one-hop transfer of the records @to may carry
 * (a new predecessor). */
void ring_store_send(struct ring_node *n, uint64_t now, const ring_peer *to,
                     const ring_id *lo, const ring_id *hi, bool all, uint8_t flags);
void ring_store_replicate(struct ring_node *n, uint64_t now, const ring_record *r);
/* One RECS of @rec (a chain step) to @to. */
void ring_store_chain_send(struct ring_node *n, uint64_t now, const ring_peer *to,
                           const ring_record *rec, uint8_t rflags, uint8_t copies,
                           uint8_t ttl, const ring_id *origin);
void ring_store_on_recs(struct ring_node *n, uint64_t now, const ring_peer *from,
                        const ring_msg *m);
void ring_pub_refresh_all(struct ring_node *n, uint64_t now);
void ring_wrec_from(ring_wrec *w, const ring_record *r, uint64_t now);
void ring_record_from(ring_record *r, const ring_wrec *w, uint64_t now);
/* Conflict rule (RFC 7432 §15): does @cand replace @cur? */
bool ring_record_wins(const ring_record *cand, const ring_record *cur);

/* trust.c */
/* Is @p's id the hash of its key (always true without cfg.bind_ids)? */
bool ring_peer_bound(const struct ring_node *n, const ring_peer *p);
/* Check what @m claims before dispatch: false = drop it (counted); bad
 * records are removed from @m (counted). */
bool ring_trust_msg(struct ring_node *n, const ring_peer *from, ring_msg *m);

/* unity.c */
void ring_seen_add(struct ring_node *n, uint64_t now, const ring_peer *p, bool sticky);
/* Forget-time hook: a peer found dead may be across a partition. */
void ring_seen_note_id(struct ring_node *n, uint64_t now, const ring_id *id);
bool ring_seen_unchecked(const struct ring_node *n);
void ring_unity_tick(struct ring_node *n, uint64_t now);
void ring_unity_expired(struct ring_node *n, uint64_t now);
void ring_unity_on_req(struct ring_node *n, uint64_t now, const ring_peer *from,
                       const ring_msg *m);
void ring_unity_on_resp(struct ring_node *n, uint64_t now, const ring_peer *from,
                        const ring_msg *m);
/* A RING_P_UNITY op ended: answer its asker. */
void ring_unity_served(struct ring_node *n, const ring_peer *asker, uint64_t rid, int status,
                       const ring_peer *owner, const ring_msg *m);
void ring_zip(struct ring_node *n, uint64_t now, const ring_peer *cand, uint16_t hops);

/* pns.c */
/* Is @id in finger @bit's interval [self + 2^bit, self + 2^(bit+1))? */
bool ring_pns_in_interval(const struct ring_node *n, unsigned bit, const ring_id *id);
/* A random key in finger @bit's interval (explore rounds). */
void ring_pns_random_key(struct ring_node *n, unsigned bit, ring_id *key);
/* The finger to keep for @bit among the stored one, @owner and @list
 * (copied to @out with its cost, UINT64_MAX = unmeasured); false when none
 * of them is in the interval. */
bool ring_pns_pick(struct ring_node *n, unsigned bit, const ring_peer *owner,
                   const ring_peer *list, unsigned nlist, ring_peer *out, uint64_t *cost);

/* timers.c */
uint64_t ring_jitter(struct ring_node *n, uint64_t period);
uint64_t ring_jitter_half(struct ring_node *n, uint64_t period);    /* ±50 % */
void ring_unity_soon(struct ring_node *n, uint64_t now);
void ring_timers_start(struct ring_node *n, uint64_t now);
void ring_stabilize_soon(struct ring_node *n, uint64_t now);

#endif
