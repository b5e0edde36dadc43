/* SPDX-License-Identifier: GPL-2.0-only */
#ifndef OVL_ROUTING_RING_H
#define OVL_ROUTING_RING_H

/*
 * DOC: ring — one host's Chord node and location store, as a pure state machine
 *
 * Structures: a ring_node holds the host's own ring_peer, a successor list
 * of cfg.nsucc entries (never empty while the node is a member; a lone node
 * lists itself), an optional predecessor, a set of distinct fingers kept in
 * clockwise order (conceptually 128 fingers, stored only where they differ
 * from the successor list, O(log n) entries, each with an rtt field; with
 * PNS each is the nearest in cb.rtt of the hosts sampled in its interval,
 * routing/pns.c), a
 * small cache of recently dead peers, a bounded memory of hosts seen
 * (ring_node_remember(): rings formed apart merge through it), in-flight
 * lookups ("ops"), and the location store (records this node holds as
 * primary or replica, plus the records this host publishes itself and
 * refreshes).
 *
 * Lifecycle: ring_node_new() → ring_node_create() (first node) or
 * ring_node_join(bootstrap) → feed ring_node_on_message() / _on_timeout()
 * → ring_node_leave() (graceful) → ring_node_free(). Nothing here reads a
 * clock, opens a socket or draws entropy: time comes in as @now (monotonic
 * ns), messages go out through cb.send as encoded bytes (routing/wire.c),
 * randomness comes from cb.rand. Ask ring_node_next_deadline() when to call
 * ring_node_on_timeout() next (ngtcp2 style); it changes after every call
 * into the node.
 *
 * Protocol: Chord (Stoica et al. 2001) with the corrections of P. Zave,
 * "Reasoning about identifier spaces: How to make Chord correct" (2017);
 * lookups are iterative. Rings formed apart merge by ring unification
 * (Shafaat, Ghodsi, Haridi 2008; routing/unity.c). Location records follow EVPN MAC mobility
 * (RFC 7432 §15): higher sequence wins, ties go to the lower host id.
 * Details, byte layouts and timer values: docs/routing.md.
 *
 * Trust (routing/trust.c, docs/security.md): @from of
 * ring_node_on_message() must be the identity the link layer
 * authenticated. With cfg.bind_ids every host a message names (sender,
 * peer lists, the host of each record) must have id = BLAKE2b-128 of its
 * key (crypto/ringid.h), or the message or record is dropped. Records of
 * enclave E are accepted (STORE and RECS) only from hosts that may carry
 * E, sent to, held for and answered to only such hosts; an OWNER answer
 * to a probe from a host that may not carry E is not believed. Sequence
 * numbers (RING_SEQ_MAX, RING_SEQ_AHEAD) and lifetimes (record_ttl) are
 * bounded, and the store has quotas per publisher, per enclave and in
 * total. Every refusal has a counter in ring_stats.
 *
 * Placement: the records of enclave E for key k live at the first host at
 * or after successor(k) that may carry E (the "E-owner") and the next r - 1
 * hosts that may carry E; a host never stores or answers with records of
 * an enclave it may not carry, and answers gets only to hosts that may
 * carry it. Replicas travel as a chain along successor[0] pointers.
 * Nothing that reveals E's records (a record, a MAC asked for) is sent to
 * a host that may not carry E: other hosts on a lookup's path get a
 * payload-free PROBE, and chains skip them (docs/routing.md).
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "routing/ids.h"

struct ring_node;

enum ring_limits {
    RING_SUCC_DEFAULT = 8,
    RING_SUCC_MAX = 16,
    RING_FINGER_MAX = 64,       /* distinct fingers stored (log2 n + slack) */
    RING_ROUTE_MAX = 6,         /* next-hop candidates a lookup keeps (ring_node_route) */
    RING_DEAD_CACHE = 16,
    RING_SEEN_MAX = 16,         /* hosts remembered for ring unity checks */
    RING_MSG_MAX = 4096,        /* largest encoded message */
    RING_MSG_RECS_MAX = 24,     /* records per message */
    RING_LINKS_MIN = 8,         /* ring_node_link_cap() never below this */
};

/* Bounds on what a record may claim (routing/trust.c). */
#define RING_SEQ_MAX UINT64_C(0xffffffff)   /* larger sequence numbers are refused */
enum ring_trust_limits {
    RING_SEQ_AHEAD = 1024,      /* a record may lead the one held by at most this */
    RING_QUOTA_HOST = 2048,     /* records held per publishing host */
    RING_QUOTA_ENCLAVE = 16384, /* records held per enclave */
    RING_QUOTA_TOTAL = 65536,   /* records held in all */
};

enum ring_rec_type {
    RING_REC_MAC = 1,           /* (enclave, MAC) -> host */
    RING_REC_MEMBER = 2,        /* (enclave, host) -> "host carries enclave" */
    RING_REC_IP = 3,            /* (enclave, IP) -> MAC + host: a guest's ARP/ND binding */
};

enum ring_state {
    RING_IDLE = 0,
    RING_JOINING,
    RING_ACTIVE,
    RING_LEFT,
};

/* Status codes beyond negative errnos. */
enum ring_status {
    RING_OK = 0,
    RING_ERR_TIMEOUT = -1000,   /* lookup deadline or hop limit reached */
    RING_ERR_NOTFOUND = -1001,  /* owner has no such record */
    RING_ERR_REJECTED = -1002,  /* owner refused the record or get (carry policy) */
    RING_ERR_STATE = -1003,     /* node not a ring member */
    RING_ERR_STALE = -1004,     /* owner holds a record that wins over ours */
};

typedef struct ring_record {
    uint8_t type;               /* enum ring_rec_type */
    uint8_t mac[6];             /* zero for RING_REC_MEMBER; RING_REC_IP: the bound MAC */
    uint32_t enclave;
    ring_ip ip;                 /* RING_REC_IP only (family 0 otherwise) */
    ring_peer host;             /* the host that has the MAC / members / binding */
    uint64_t seq;
    uint64_t expires;           /* local monotonic ns */
} ring_record;

typedef struct ring_config {
    unsigned nsucc;             /* r: successor-list length and replica count */
    uint64_t stabilize_ns;
    uint64_t fix_fingers_ns;    /* one finger per tick */
    uint64_t check_pred_ns;
    uint64_t self_check_ns;     /* look up our own id to find bypasses */
    uint64_t unity_ns;          /* ring unity check via a remembered host; 0: never */
    uint64_t rpc_timeout_ns;    /* one request/response exchange */
    uint64_t lookup_deadline_ns;
    uint64_t refresh_ns;        /* republish own records */
    uint64_t record_ttl_ns;     /* expiry of an unrefreshed record */
    uint64_t sweep_ns;          /* expiry sweep period */
    uint64_t dead_ttl_ns;       /* how long a timed-out peer is avoided */
    unsigned max_hops;
    /* Proximity neighbour selection (routing/pns.c): each finger is the
     * lowest-RTT host (cb.rtt) among the candidates a fix-fingers answer
     * names in its interval, at most this many per answer, plus the
     * finger kept from earlier rounds. 0 or 1: classic Chord (the first
     * host of the interval). */
    unsigned pns_sample;
    /* A finger stored with a measured RTT is replaced only by a host
     * measured more than this much nearer: RTT noise must not move
     * fingers (and with them links) back and forth. */
    uint64_t pns_margin_ns;
    /* Every other fix-fingers cycle looks up a random point of each
     * finger's interval instead of its start, so later answers name other
     * hosts (without it each round samples the same first hosts). */
    bool pns_explore;
    /* Proximity route selection (routing/prs.c): of the known hosts
     * before a key, a lookup asks first the one with the lowest RTT plus
     * estimated remaining hops, not the one closest to the key. Needs
     * cb.rtt; default on. */
    bool prs;
    /* Check that every host a message names has id = BLAKE2b-128("overlayd
     * ring id v1" || key) (crypto/ringid.h); default on. Off only for
     * tests that place hosts at chosen ids. */
    bool bind_ids;
    /* Store quotas (records held, new identities only; default the
     * RING_QUOTA_* values): per publishing host, per enclave, in total. */
    uint32_t quota_host, quota_enclave, quota_total;
} ring_config;

typedef struct ring_callbacks {
    void *ctx;
    /* Deliver @len bytes to @to (fire and forget; loss is tolerated). */
    void (*send)(void *ctx, const ring_peer *to, const uint8_t *buf, size_t len);
    uint64_t (*rand)(void *ctx);
    /* Policy: may @host carry @enclave? NULL = allow all. Decides where
     * records live (E-owner rule above), who may publish, replicate and
     * get them, and whose probe answers are believed; it is asked about
     * self, senders (STORE, RECS, GET, PROBE and their answers), record
     * hosts and successors. */
    bool (*may_carry)(void *ctx, const ring_id *host, uint32_t enclave);
    /* Round-trip time to @p in ns as the host knows it, 0 = unknown
     * (never measured). Optional (NULL: all unknown, i.e. classic
     * fingers, greedy routing). Asked when a fix-fingers answer arrives,
     * about the candidates for one finger (cfg.pns_sample), and with
     * cfg.prs when a lookup picks its next hop, about the candidates and
     * our successors. */
    uint64_t (*rtt)(void *ctx, const ring_peer *p);
    /* Completion of ring_node_lookup(): @owner valid when status == 0. */
    void (*lookup_done)(void *ctx, uint64_t cookie, int status,
                        const ring_peer *owner, unsigned hops);
    /* Completion of ring_node_get_*(): records valid during the call. */
    void (*get_done)(void *ctx, uint64_t cookie, int status,
                     const ring_record *recs, size_t n, unsigned hops);
    /* Join finished (status 0) or failed. Optional. */
    void (*joined)(void *ctx, int status);
} ring_callbacks;

typedef struct ring_stats {
    uint64_t msgs_sent, bytes_sent, msgs_recv, bad_msgs;
    uint64_t rpc_timeouts, stores_rejected;
    uint64_t unity_checks;      /* UNITY_REQs sent */
    uint64_t unity_splits;      /* answers that showed another ring (or a gap) */
    uint64_t zip_steps;         /* ZIP messages handled, own checks' first steps included */
    uint64_t ops_expired;       /* lookups that ran out of time */
    uint64_t ops_out_of_hops;   /* lookups that reached max_hops first */
    uint64_t recs_unasked;      /* records in get answers of another identity: dropped */
    /* Trust refusals (routing/trust.c; all 0 in an honest ring) */
    uint64_t msgs_bad_host;     /* messages whose sender or a named peer has id != H(key) */
    uint64_t recs_bad_host;     /* records whose host has id != H(key) */
    uint64_t recs_bad_seq;      /* records above RING_SEQ_MAX or RING_SEQ_AHEAD past the held one */
    uint64_t recs_bad_ttl;      /* records living longer than record_ttl */
    uint64_t recs_from_noncarrier; /* RECS records from a host that may not carry the enclave */
    uint64_t recs_quota;        /* new records refused: a publisher, enclave or total quota full */
    uint64_t gets_rejected;     /* GETs and PROBEs from hosts that may not carry the enclave */
    uint64_t probe_owner_noncarrier; /* OWNER answers to probes from hosts that may not carry it */
} ring_stats;

void ring_config_default(ring_config *cfg);

/* Returns NULL on allocation failure or bad config. @self is copied. */
struct ring_node *ring_node_new(const ring_config *cfg, const ring_callbacks *cb,
                                const ring_peer *self);
void ring_node_free(struct ring_node *n);

int ring_node_create(struct ring_node *n, uint64_t now);
int ring_node_join(struct ring_node *n, uint64_t now, const ring_peer *bootstrap);
/* Hand records to the successor, tell both neighbours; the node is then
 * RING_LEFT and ignores further input. */
int ring_node_leave(struct ring_node *n, uint64_t now);

uint64_t ring_node_next_deadline(const struct ring_node *n);   /* UINT64_MAX: none */
void ring_node_on_timeout(struct ring_node *n, uint64_t now);
int ring_node_on_message(struct ring_node *n, uint64_t now, const ring_peer *from,
                         const uint8_t *buf, size_t len);

int ring_node_lookup(struct ring_node *n, uint64_t now, const ring_id *key, uint64_t cookie);
/* Publish (and keep refreshing) this host's record; seq as in RFC 7432.
 * Returns 0 or one of: RING_ERR_STATE (not a member), -ERANGE (seq above
 * RING_SEQ_MAX: no store would take it), -ENOMEM. */
int ring_node_publish_mac(struct ring_node *n, uint64_t now, uint32_t enclave,
                          const uint8_t mac[6], uint64_t seq);
int ring_node_publish_member(struct ring_node *n, uint64_t now, uint32_t enclave);
/* Publish (and keep refreshing) a guest's binding of @ip to @mac, learned
 * on this host; @seq orders bindings of the same address like a MAC's.
 * Returns as ring_node_publish_mac(), or -EINVAL for a malformed @ip. */
int ring_node_publish_ip(struct ring_node *n, uint64_t now, uint32_t enclave, const ring_ip *ip,
                         const uint8_t mac[6], uint64_t seq);
/* Stop refreshing; the record expires after record_ttl. */
int ring_node_unpublish(struct ring_node *n, uint8_t type, uint32_t enclave,
                        const uint8_t mac[6]);
int ring_node_unpublish_ip(struct ring_node *n, uint32_t enclave, const ring_ip *ip);
int ring_node_get_mac(struct ring_node *n, uint64_t now, uint32_t enclave,
                      const uint8_t mac[6], uint64_t cookie);
/* The binding record of @ip in @enclave (-EINVAL for a malformed @ip). */
int ring_node_get_ip(struct ring_node *n, uint64_t now, uint32_t enclave, const ring_ip *ip,
                     uint64_t cookie);
/* Membership records of @enclave: all of them, or with more than a
 * message holds (RING_MSG_RECS_MAX), those nearest this host on the ring. */
int ring_node_get_members(struct ring_node *n, uint64_t now, uint32_t enclave,
                          uint64_t cookie);

/*
 * Remember @host as one this node has seen (a bootstrap, a configured peer
 * of the daemon): the node checks now and then, with jitter, that asking
 * such a host for our successor gives the answer our own ring gives, and
 * merges the two rings when it does not (docs/routing.md, "Merging
 * rings"). A host new to the memory is checked within about a stabilize
 * period. The memory is bounded (RING_SEEN_MAX, least recently seen goes
 * first, hosts handed in here before those the node noted itself).
 * Allowed in any state; returns 0 or -EINVAL for self.
 */
int ring_node_remember(struct ring_node *n, uint64_t now, const ring_peer *host);

/* Bulk bootstrap (simulator, tests): install a correct successor list,
 * predecessor and finger set directly and become RING_ACTIVE. */
int ring_node_bulk_init(struct ring_node *n, uint64_t now, const ring_peer *pred,
                        const ring_peer *succ, unsigned nsucc,
                        const ring_peer *fingers, unsigned nfingers);

/* Introspection. */
enum ring_state ring_node_state(const struct ring_node *n);
const ring_peer *ring_node_self(const struct ring_node *n);
unsigned ring_node_nsucc(const struct ring_node *n);
const ring_peer *ring_node_succ(const struct ring_node *n, unsigned i);
const ring_peer *ring_node_pred(const struct ring_node *n);     /* NULL if none */
unsigned ring_node_nfingers(const struct ring_node *n);
/* Effective finger @bit: first known node at clockwise distance >= 2^bit
 * (self if none): Chord's finger[bit], or with PNS (cfg.pns_sample > 1)
 * the host chosen in [2^bit, 2^(bit+1)), any of which is legal. */
const ring_peer *ring_node_finger(const struct ring_node *n, unsigned bit);
/* Where this node sends a request for @key first, best first (at most
 * @max, RING_ROUTE_MAX is what a lookup keeps): if @key lies in (self,
 * last successor], our successors from its owner on (*owners = true);
 * else the known hosts before the key, closest to it first, reordered by
 * proximity route selection (cfg.prs, routing/prs.c). */
unsigned ring_node_route(const struct ring_node *n, const ring_id *key, ring_peer *out,
                         unsigned max, bool *owners);
/* The hosts to keep links to (predecessor, successor, distinct fingers
 * beyond the successor list), at most @max; the overlay relays the rest
 * over these (overlayd/ringd_relay.c). */
unsigned ring_node_neighbours(const struct ring_node *n, ring_peer *out, unsigned max);
/* How many links a host should hold at most: 2 * ceil(log2 n) for the ring
 * size n its successor list suggests, at least RING_LINKS_MIN. */
unsigned ring_node_link_cap(const struct ring_node *n);
size_t ring_node_nrecords(const struct ring_node *n);
unsigned ring_node_nseen(const struct ring_node *n);
const ring_peer *ring_node_seen(const struct ring_node *n, unsigned i);
const ring_record *ring_node_record(const struct ring_node *n, size_t i);
const ring_stats *ring_node_stats(const struct ring_node *n);
/* Approximate heap + struct bytes held by the node. */
size_t ring_node_mem(const struct ring_node *n);
/* A cache hint for a caller that knows which node it will call next (the
 * simulator runs 100k nodes in one process): start loading the fields
 * every call reads; with @arrays also its successor list, fingers and
 * ops, whose addresses are read from the node (so it should be cached). */
void ring_node_prefetch(const struct ring_node *n, bool arrays);

#endif
