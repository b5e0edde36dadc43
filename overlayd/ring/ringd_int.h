/* SPDX-License-Identifier: GPL-2.0-only */
#ifndef OVL_OVERLAYD_RINGD_INT_H
#define OVL_OVERLAYD_RINGD_INT_H

/*
 * DOC: ringd_int — state shared by the files of overlayd/ring/: ringd.c
 * (entry points), ringd_node.c (the node, its callbacks and timer),
 * ringd_plan.c (the plan's timer, snapshots and actions), ringd_records.c
 * (publication, membership, resolution), ringd_neigh.c (ARP/ND bindings:
 * published, asked for, cached), ringd_link.c (peers, names,
 * CLOSE), ringd_relay.c (RELAY envelopes) and ringd_ctl.c (overlayctl ring
 * / lookup); not used elsewhere. The policy's constants live in
 * overlayd/plan/plan.h (enum plan_spec); these are the glue's.
 *
 * Cookies of ring_node_get_*() carry their purpose in the top byte:
 * RINGD_CK_CTL (a pending `lookup`), RINGD_CK_RESOLVE (an unknown unicast
 * MAC), RINGD_CK_MEMBERS (low 24 bits: the enclave), RINGD_CK_NEIGH (an
 * address asked for: bits 8..39 the ask's generation, low 8 bits its slot).
 */

#include "crypto/envelope.h"
#include <uv.h>

#include "lib/bucket.h"
#include "overlayd/config/config.h"
#include "overlayd/datapath/inner.h"
#include "overlayd/plan/plan.h"
#include "overlayd/ring/inflight.h"
#include "overlayd/ring/ringd.h"
#include "routing/keyidx.h"
#include "routing/ring.h"

#define RINGD_MS UINT64_C(1000000)
#define RINGD_SEC (1000 * RINGD_MS)

enum ringd_limits {
    RINGD_LOOKUP_MS = 3000,           /* overlayctl lookup deadline */
    RINGD_RESOLVE_SLOTS = 64,         /* recent unknown-unicast lookups */
    /* Ring lookups of unknown unicast MACs, a second and in a burst: a
     * guest sending to random MACs must not start one lookup per frame. */
    RINGD_RESOLVE_PER_S = 50,
    RINGD_RESOLVE_BURST = 100,
    RINGD_FIX_FINGERS_S = 6,          /* one finger per period (routing/ default: 2 s) */
    RINGD_DEAD_TTL_S = 5,
    RINGD_PNS_MARGIN_MS = 5,          /* a finger moves only to a host this much nearer */
    RINGD_DEMAND_PEERS_MAX = 256,     /* peers the ring may create on demand (not [Peer]s) */
    RINGD_PLAIN_MAX = 2 + INNER_RELAY_CERT_MAX + RING_MSG_MAX,
    RINGD_RELAY_MAX = INNER_RELAY_HDR + INNER_RELAY_MAC + RINGD_PLAIN_MAX,
    RINGD_BOXKEYS = 32,               /* static DH results with relay peers, LRU */
    RINGD_NEIGH_SLOTS = 64,           /* addresses asked of the ring recently */
};

enum ringd_cookie {
    RINGD_CK_CTL = 1,
    RINGD_CK_RESOLVE = 2,
    RINGD_CK_MEMBERS = 3,
    RINGD_CK_NEIGH = 4,
};

struct ringd_name {
    uint8_t pub[32];
    char name[CONFIG_NAME_MAX + 1];
};

struct ringd_pub {
    uint32_t enclave;
    uint8_t mac[6];
    bool member;                      /* membership record, not a MAC */
    bool seen;                        /* still local in this scan */
    uint64_t seq;
};

struct ringd_ipub {                   /* a local guest's binding we publish */
    uint32_t enclave;
    ring_ip ip;
    uint8_t mac[6];
    uint64_t seq;
    bool seen;                        /* still local in this scan */
};

struct ringd_ask {                    /* an address asked of the ring */
    uint32_t enclave;
    ring_ip ip;
    uint64_t at;                      /* 0: never used */
    uint32_t gen;                     /* matches the cookie of the answer awaited */
    bool pending;
};

struct ringd_members {
    uint32_t enclave;
    ring_peer *hosts;
    size_t n;
    uint64_t fetched;                 /* 0: never */
    bool pending;
};

struct ringd_pending {                /* an overlayctl lookup in flight */
    uint64_t cookie, ctl_id, deadline;
    uint64_t started, took;           /* ns: asked, and time to the record */
    uint32_t enclave;
    char enclave_name[CONFIG_NAME_MAX + 1];
    uint8_t mac[6];
    bool json;
    bool resolved;                    /* record found, waiting for the host's name */
    ring_record rec;
    unsigned hops;
};

struct ringd_resolve {
    uint32_t enclave;
    uint8_t mac[6];
    uint64_t at;
};

struct ringd {
    struct daemon *d;
    struct ring_node *node;
    struct plan *plan;                /* the policy (overlayd/plan/) */
    ring_peer self;
    uv_timer_t timer;                 /* the node's deadlines and pending lookups */
    uv_timer_t plan_timer;            /* plan_next_deadline() */
    bool timers_open;
    uint64_t next_cookie;
    struct ringd_name *names;
    size_t n_names;
    struct ringd_pub *pubs;
    size_t n_pubs;
    struct keyidx pubidx;             /* pubs by enclave and MAC (the publish scan) */
    struct ringd_members *mem;
    size_t n_mem;
    struct ringd_pending *pend;
    size_t n_pend;
    struct ringd_resolve res[RINGD_RESOLVE_SLOTS];
    struct bucket resolve_budget;     /* RINGD_RESOLVE_PER_S / _BURST */
    unsigned res_next;
    uint64_t res_gen;                 /* tells resolve cookies apart */
    struct inflight inflight;         /* resolves and address lookups, per enclave */
    struct ringd_ipub *ipubs;         /* ringd_neigh.c */
    size_t n_ipubs;
    struct ringd_ask ask[RINGD_NEIGH_SLOTS];
    unsigned ask_next;
    uint32_t ask_gen;
    bool in_replica;                  /* delivering a RECS message (ringd_cb_may_carry) */
    ring_id replica_from;             /* its sender: never taken on its own word */
    uint64_t foreign_payloads;        /* ring messages with data of enclaves we may not carry */
    uint64_t pubs_bad_seq;            /* publications refused: seq above RING_SEQ_MAX */
    uint64_t claims_stored;           /* claims stored at once, not by the scan (ringd_claim) */
    uint64_t relay_sent, relay_forwarded, relay_delivered;
    struct plan_ring_view view;       /* filled by ringd_plan_refresh() */
    ring_peer keep[PLAN_KEEP_MAX];    /* enclave neighbours (ringd_records.c) */
    unsigned n_keep;
    struct plan_actions acts;
    uint8_t buf[INNER_RING_HDR + RINGD_RELAY_MAX];
    uint8_t rbuf[RINGD_RELAY_MAX];    /* a RELAY body being built or passed on */
    uint8_t pbuf[RINGD_PLAIN_MAX];    /* its sealed part in the clear */
    struct {
        uint8_t pub[32];
        uint8_t k[32];                /* X25519(our key, pub) (env_ss); wiped at exit */
        uint64_t used;
    } boxkeys[RINGD_BOXKEYS];
    uint64_t boxkeys_tick;
    struct env_replay relay_seen;     /* envelopes opened in the last minute */
};

struct udp_addr;

/* ringd_node.c */
int ringd_node_new(struct ringd *r, const struct udp_addr *towards);
/* After every call into the node: tell the plan, re-arm both timers. */
void ringd_rearm(struct ringd *r);
/* Tell the node of a configured [Peer] with an endpoint (others: no-op),
 * for its ring unity checks: a [Peer] of another ring (one added by a
 * reload, say) makes the two rings merge (docs/routing.md, "Merging rings"). */
void ringd_remember(struct ringd *r, const struct peer *p, uint64_t now);
/* Hand a ring message from @from (authenticated by its link or relays) to the node. */
void ringd_deliver(struct ringd *r, const ring_peer *from, const uint8_t *msg, size_t len,
                   uint64_t now);

/* ringd_plan.c */
int ringd_plan_start(struct ringd *r);
/* Before asking the plan: report every peer's link state and the node's view. */
void ringd_plan_refresh(struct ringd *r, uint64_t now);
void ringd_plan_rearm(struct ringd *r, uint64_t now);

/* ringd_records.c */
void ringd_publish_scan(struct ringd *r, uint64_t now);
void ringd_republish(struct ringd *r, uint64_t now);
void ringd_get_done(struct ringd *r, uint64_t cookie, int status, const ring_record *recs,
                    size_t n, unsigned hops);
void ringd_records_free(struct ringd *r);

/* ringd_neigh.c */
/* Publish the bindings local guests announced (origin local, MAC still
 * local), unpublish those that went; from the publish scan. */
void ringd_neigh_publish(struct ringd *r, uint64_t now);
void ringd_neigh_republish(struct ringd *r, uint64_t now);
/* An ARP request / NS of a guest of @e that nobody here could answer
 * (DP_FACT_UNKNOWN_IP): ask the ring, at most once a second per address. */
struct dp_fact;
void ringd_neigh_ask(struct ringd *r, struct enclave *e, const struct dp_fact *f, uint64_t now);
void ringd_neigh_get_done(struct ringd *r, uint64_t cookie, int status,
                          const ring_record *recs, size_t n);
void ringd_neigh_free(struct ringd *r);

/* ringd_link.c */
void ringd_ep_from_addr(ring_endpoint *ep, const struct udp_addr *a);
void ringd_peer_of(ring_peer *rp, const struct peer *p);
/* Our endpoint: ListenAddress, else the source address towards @towards,
 * else the first IPv4 address of the host. */
void ringd_self_ep(struct daemon *d, ring_endpoint *ep, const struct udp_addr *towards);
bool ringd_has_name(struct ringd *r, const uint8_t pub[32]);
const char *ringd_name_of(struct ringd *r, const uint8_t pub[32], char fallback[CONFIG_NAME_MAX + 1]);
void ringd_set_name(struct ringd *r, struct peer *p, const char *name);
/* A HOST message's name, unless we know a better one (certificate, [Peer] Name). */
void ringd_set_host_name(struct ringd *r, struct peer *p, const char *announced);
const struct config_peer *ringd_cfg_peer(const struct daemon *d, const uint8_t pub[32]);
struct peer *ringd_peer_for(struct ringd *r, const ring_peer *rp, bool create, uint64_t now);
/* The RTT of our link to @rp's host in ns, 0 when we have no link peer
 * for it or no measurement yet (the ring node's cb.rtt, ring status). */
uint64_t ringd_link_rtt(struct daemon *d, const ring_peer *rp);
/* The peer holding the link to @pub, or NULL (never created). */
struct peer *ringd_peer_by_pub(struct ringd *r, const uint8_t pub[32]);
void ringd_send_raw(struct ringd *r, struct peer *p, uint8_t kind, const uint8_t *body,
                    size_t len);
void ringd_send_host(struct ringd *r, struct peer *p, bool request);
void ringd_close_peer(struct ringd *r, struct peer *p, bool tell);
/* A CLOSE from @p: empty, it closed; with REQUEST, it asks us to; with
 * DECLINE, it will not be our neighbour. The plan decides. */
void ringd_close_msg(struct ringd *r, struct peer *p, const uint8_t *body, size_t len);

/* ringd_relay.c */
/* Send @msg to @to in a RELAY envelope through @hop (plan_route()). */
void ringd_relay_send(struct ringd *r, const ring_peer *to, const ring_peer *hop,
                      const uint8_t *msg, size_t len, uint64_t now);
/* A RELAY body from the authenticated peer @p: deliver or pass on. */
void ringd_relay_recv(struct ringd *r, struct peer *p, const uint8_t *body, size_t blen,
                      uint64_t now);

/* ringd_ctl.c */
void ringd_ctl_get_done(struct ringd *r, uint64_t cookie, int status, const ring_record *recs,
                        size_t n, unsigned hops);
/* Answer the lookups whose host is named or whose deadline passed. */
void ringd_ctl_answer_due(struct ringd *r, uint64_t now);
uint64_t ringd_ctl_next_deadline(const struct ringd *r);   /* UINT64_MAX: none */
const ring_record *ringd_best_record(const ring_record *recs, size_t n);

#endif
