/* SPDX-License-Identifier: GPL-2.0-only */
#ifndef OVL_OVERLAYD_FDB_H
#define OVL_OVERLAYD_FDB_H

/*
 * DOC: fdb — one enclave's MAC table (MAC -> local or peer)
 *
 * A bounded hash table (chained, preallocated: no allocation after
 * fdb_new()). Each entry says where a MAC lives: here (peer == NULL) or
 * behind a peer (an opaque pointer owned by the daemon), with a state:
 *
 *   FDB_LEARNED  from a frame's source address (data plane); aged out
 *                after the caller's max age; sequence number 0.
 *   FDB_STATIC   local, from `overlayctl attach --mac` (control plane);
 *                lives until removed.
 *   FDB_REMOTE   announced by a peer with a sequence number; lives until
 *                withdrawn or the peer is flushed (link down).
 *
 * Sequence numbers follow EVPN MAC mobility (RFC 7432 section 15): between
 * different locations the higher sequence number wins; a location's own
 * newer announcement always replaces its older one (a restarted host
 * starts counting again); a host that takes a MAC over announces the
 * highest sequence it has seen + 1 (fdb_set_static does that). Data-plane
 * learning never overrides a control-plane entry (static or remote) at
 * another location. When the table is full, the least recently seen
 * learned entry is evicted; control-plane entries are never evicted.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum fdb_state { FDB_LEARNED = 0, FDB_STATIC = 1, FDB_REMOTE = 2 };

enum fdb_limits {
    FDB_DEFAULT_MAX = 4096,           /* entries per enclave */
    FDB_LEARNED_AGE_S = 300,          /* like the Linux bridge's ageing time */
};

struct fdb_entry {
    uint8_t mac[6];
    bool used;
    enum fdb_state state;
    void *peer;                       /* NULL: local */
    uint64_t seq;
    uint64_t last_seen;               /* monotonic ns */
    uint32_t next;                    /* internal: chain, index + 1 (0 = end) */
};

struct fdb;

/* @max entries (>= 1); @seed keys the hash (random in the daemon). */
int fdb_new(size_t max, uint64_t seed, struct fdb **out);
void fdb_free(struct fdb *f);

const struct fdb_entry *fdb_lookup(const struct fdb *f, const uint8_t mac[6]);

/*
 * Data-plane learning: @mac was seen as a source at @peer (NULL = local).
 * Returns 0 (added, refreshed or moved), -EPERM (a control-plane entry
 * elsewhere owns it), -ENOSPC (full of control-plane entries).
 */
int fdb_learn(struct fdb *f, const uint8_t mac[6], void *peer, uint64_t now);

/*
 * A peer announces @mac with @seq. Returns 0 (applied), -ESTALE (an entry
 * elsewhere has an equal or higher sequence number), -ENOSPC.
 */
int fdb_announce(struct fdb *f, const uint8_t mac[6], void *peer, uint64_t seq, uint64_t now);

/* Withdrawal by @peer: removes its remote entry if @seq >= the entry's.
 * Returns 0 or -ENOENT (no such entry of that peer) or -ESTALE. */
int fdb_withdraw(struct fdb *f, const uint8_t mac[6], void *peer, uint64_t seq);

/*
 * Make @mac a local static entry; idempotent. *@seq_out is the sequence
 * number to announce: unchanged if already static, else the highest one
 * known + 1. Returns 0 or -ENOSPC.
 */
int fdb_set_static(struct fdb *f, const uint8_t mac[6], uint64_t now, uint64_t *seq_out);

/* Remove a local static entry; *@seq_out gets its sequence number.
 * Returns 0 or -ENOENT. */
int fdb_remove_static(struct fdb *f, const uint8_t mac[6], uint64_t *seq_out);

/* Remove every entry located at @peer (learned and remote). Returns the count. */
size_t fdb_flush_peer(struct fdb *f, void *peer);

/* Remove learned entries not seen for more than @max_age_ns. Returns the count. */
size_t fdb_age(struct fdb *f, uint64_t now, uint64_t max_age_ns);

size_t fdb_count(const struct fdb *f);
size_t fdb_capacity(const struct fdb *f);
/* Slot @i (< capacity): the entry, or NULL when the slot is free. */
const struct fdb_entry *fdb_at(const struct fdb *f, size_t i);

const char *fdb_state_name(enum fdb_state st);

#endif
