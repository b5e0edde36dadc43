/* SPDX-License-Identifier: GPL-2.0-only */
#ifndef OVL_ROUTING_SIM_ENGINE_H
#define OVL_ROUTING_SIM_ENGINE_H

/*
 * DOC: engine — discrete-event driver for many ring_nodes in one process
 *
 * Used by the unit tests (small rings) and by ringsim (up to 100,000
 * hosts). One virtual clock, one 4-ary heap of events (message delivery
 * or "this host's next deadline"), an oracle (sorted array of live member
 * ids) to check the ring against. Hosts sit at random 2-D coordinates in a
 * unit square; one-way delay = 5 ms + 95 ms × distance / sqrt(2), so
 * 5..100 ms. The engine drives the real routing/ code through its public
 * API only: ring_node_on_message / _on_timeout / _next_deadline. Host i's
 * endpoint is 10.(i>>16).(i>>8).(i) port 7000, which is how send() finds
 * the destination. Fully deterministic for a given seed.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "routing/ring.h"

struct eng;

enum eng_lookup_kind {
    ENG_LK_LOOKUP = 0,
    ENG_LK_GET_MAC,
    ENG_LK_GET_MEMBERS,
    ENG_LK_GET_IP,
};

/* One entry per lookup/get issued through the engine. */
struct eng_lookup {
    ring_id key;
    uint64_t issued, done_at;
    uint32_t host;
    int32_t owner;              /* host index of the answer, -1 none */
    int status;
    uint16_t hops;
    uint8_t kind, done;
    uint32_t nrecs;
    ring_record rec0;           /* first record returned by a get */
};

struct eng *eng_new(uint32_t nhosts, uint64_t seed, const ring_config *cfg);
void eng_free(struct eng *e);
uint64_t eng_now(const struct eng *e);
uint64_t eng_rand(struct eng *e);
uint32_t eng_nhosts(const struct eng *e);

/* Override host i's id (tests: wrap-around cases); before create/join. */
void eng_set_id(struct eng *e, uint32_t i, const ring_id *id);
const ring_peer *eng_peer(const struct eng *e, uint32_t i);
struct ring_node *eng_node(const struct eng *e, uint32_t i);
bool eng_alive(const struct eng *e, uint32_t i);
/* Reverse map from an id (for tests); -1 if unknown. */
int32_t eng_index_of(const struct eng *e, const ring_id *id);

int eng_create(struct eng *e, uint32_t i);
int eng_join(struct eng *e, uint32_t i, uint32_t via);
int eng_leave(struct eng *e, uint32_t i);
void eng_kill(struct eng *e, uint32_t i);
/* Install correct state from the oracle for every listed host. */
void eng_bulk_bootstrap(struct eng *e, const uint32_t *hosts, uint32_t n);

void eng_run_until(struct eng *e, uint64_t t);

/* Policy hook for the location store: host i may carry enclave e? */
void eng_set_may_carry(struct eng *e, bool (*fn)(uint32_t host, uint32_t enclave));

/* Loss hook (partitions): a message from @src to @dst for which @fn says
 * true is counted as sent and then lost. NULL: no loss. */
void eng_set_drop(struct eng *e, bool (*fn)(void *ctx, uint32_t src, uint32_t dst),
                  void *ctx);
uint64_t eng_dropped(const struct eng *e);
/* One-way delay from host @a to host @b in ns (the model above); the
 * node's cb.rtt answers twice this for any host. */
uint64_t eng_latency(const struct eng *e, uint32_t a, uint32_t b);
/* Host i's coordinates in the unit square. */
void eng_pos(const struct eng *e, uint32_t i, double *x, double *y);

/* Issue lookups / gets; the returned index refers to eng_lookups(). */
int64_t eng_lookup(struct eng *e, uint32_t host, const ring_id *key);
int64_t eng_get_mac(struct eng *e, uint32_t host, uint32_t enclave, const uint8_t mac[6]);
int64_t eng_get_members(struct eng *e, uint32_t host, uint32_t enclave);
int64_t eng_get_ip(struct eng *e, uint32_t host, uint32_t enclave, const ring_ip *ip);
const struct eng_lookup *eng_lookups(const struct eng *e, size_t *n);
void eng_lookups_clear(struct eng *e);

/* Oracle over live ACTIVE hosts. */
uint32_t eng_oracle_size(struct eng *e);
/* Host index of the key's successor among live members (-1 if none). */
int32_t eng_oracle_succ(struct eng *e, const ring_id *key);
/* Number of live members whose successor list or predecessor is wrong. */
uint32_t eng_check_ring(struct eng *e);
/* Wrong effective fingers among @sample random members × 128 bits: right
 * is the first live member at or after self + 2^bit, or (PNS) any live
 * member in [self + 2^bit, self + 2^(bit+1)). */
uint64_t eng_check_fingers(struct eng *e, uint32_t sample);

/* Totals over all hosts ever started. */
uint64_t eng_msgs_sent(const struct eng *e);
uint64_t eng_events(const struct eng *e);

#endif
