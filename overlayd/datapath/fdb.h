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
 *   FDB_PENDING  attached here (`attach --mac`) and not heard from yet,
 *                with no known location elsewhere: announces nothing,
 *                steals nothing, and a frame to it is an unknown unicast.
 *   FDB_FORWARDING  was local, claimed away by a higher sequence number:
 *                frames still arriving for it go to the new host (peer)
 *                until FDB_FORWARD_GRACE_MS, then it is a remote entry.
 *
 * Location claims (docs/migration.md). Any entry may also be *pending*
 * (the `pending` flag): attached here, not heard from, while the entry
 * still points where the guest was (a remote host) — a migration in
 * progress. The first frame of a MAC on this host (fdb_learn with peer
 * NULL) claims it: the entry becomes local with the highest sequence
 * number known + 1, and fdb_learn says so (FDB_CLAIMED / FDB_MIGRATED) so
 * the caller announces it. A peer's higher claim on a local entry moves
 * it to FDB_FORWARDING (FDB_MOVED_AWAY), unless the MAC was heard here
 * within FDB_LIVE_MS: then the claim is refused and answered with a
 * counter-claim (seq + 1, FDB_COUNTER), at most one per FDB_LIVE_MS per
 * MAC, so two live copies of one MAC flap instead of flooding the links
 * with claims. An attached (static) MAC claimed away stays pending here
 * until it is detached: if the guest comes back, it claims it again.
 *
 * Duplicate detection (RFC 7432 section 15.1, its defaults): a MAC whose
 * location changes more than FDB_DUP_MOVES times within FDB_DUP_WINDOW_S
 * (local to a peer, a peer to here, one peer to another) is *frozen*
 * where it is: the change that would exceed the limit is refused
 * (-EBUSY), and so is every further one until FDB_DUP_FREEZE_S after the
 * freeze (then it moves again, counting from zero). The three are the
 * defaults; fdb_set_dup_limits() sets them per table (the enclave's
 * MacMoveLimit, MacMoveWindow, MacFreezeTime). Two live copies of
 * one MAC, or a host replaying claims, thus stop redirecting traffic.
 * fdb_frozen_report() tells the caller once per freeze, to report it.
 *
 * Sequence numbers follow EVPN MAC mobility (RFC 7432 section 15): between
 * different locations the higher sequence number wins; a location's own
 * newer announcement always replaces its older one (a restarted host
 * starts counting again); a host that takes a MAC over announces the
 * highest sequence it has seen + 1 (fdb_set_static does that). Data-plane
 * learning never overrides a control-plane entry (static or remote) at
 * another location. When the table is full, the least recently seen
 * learned entry is evicted in O(1) (learned entries sit on an LRU list);
 * control-plane entries are never evicted.
 *
 * Hardening against a misbehaving peer:
 *   - each peer may hold at most max / FDB_PEER_SHARE remote entries, and
 *     all peers together at most max - max / FDB_STATIC_RESERVE, so the
 *     rest stays free for our own static (attach) and learned entries;
 *   - sequence numbers above FDB_SEQ_MAX (2^63 - 1) are malformed
 *     (inner_mac_parse rejects them, fdb_announce too) and a takeover
 *     saturates at FDB_SEQ_MAX instead of wrapping to 0;
 *   - bounded steps (issue 12 item 8): a claim may lead the sequence
 *     number held for its MAC by at most FDB_SEQ_AHEAD (1024), whoever
 *     holds it (its own location too), and a claim of a MAC with no
 *     sequence number held may carry at most FDB_SEQ_FRESH_MAX (2^32 -
 *     1); otherwise -ERANGE, nothing changes. So a claimant cannot jump
 *     to the top: reaching FDB_SEQ_MAX takes at least (2^63 - 2^32) /
 *     1024, about 9 * 10^15, accepted claims of that MAC (28 years at
 *     10 million a second), and the holder's answer (seq + 1) always
 *     fits;
 *   - equal sequence numbers at two locations: RFC 7432 section 15 lets
 *     the PE with the lowest IP address win. Our hosts have no stable
 *     address, so the tie-break callback (fdb_set_tiebreak) decides, and
 *     every host reaches the same answer. It gets the MAC and the
 *     sequence number: the daemon ranks hosts by a hash of key, MAC and
 *     sequence number (fdb_tie_order), so no key wins every tie, and a
 *     tie lost at one number is a fresh draw at the next. Without a
 *     callback the entry in place is kept;
 *   - remote entries age: a peer re-announces its statics every
 *     DAEMON_REFRESH_S (30 s), so one not refreshed for FDB_REMOTE_AGE_S
 *     (3 periods) is gone (fdb_age).
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum fdb_state {
    FDB_LEARNED = 0,
    FDB_STATIC = 1,
    FDB_REMOTE = 2,
    FDB_PENDING = 3,
    FDB_FORWARDING = 4,
};

/* What a claim did (positive results of fdb_learn / fdb_announce). */
enum fdb_claim {
    FDB_CLAIMED = 1,                  /* local now, nobody had it: announce e->seq */
    FDB_MIGRATED = 2,                 /* local now, taken from elsewhere: announce, a migration */
    FDB_COUNTER = 3,                  /* live here: refused, announce our counter-claim e->seq */
    FDB_MOVED_AWAY = 4,               /* was local, now forwarding to the claimant: a migration */
};

enum fdb_limits {
    FDB_DEFAULT_MAX = 4096,           /* entries per enclave */
    FDB_LEARNED_AGE_S = 300,          /* like the Linux bridge's ageing time */
    FDB_REMOTE_AGE_S = 90,            /* 3 x the 30 s re-announce period */
    FDB_PEER_SHARE = 4,               /* one peer: at most max / 4 remote entries */
    FDB_STATIC_RESERVE = 8,           /* max / 8 never taken by remote entries */
    FDB_FORWARD_GRACE_MS = 2000,      /* forwarding pointer of a MAC claimed away */
    FDB_LIVE_MS = 100,                /* heard this recently: a remote claim is refused */
    FDB_DUP_MOVES = 5,                /* location changes allowed ... */
    FDB_DUP_WINDOW_S = 180,           /* ... within this; then frozen ... */
    FDB_DUP_FREEZE_S = 180,           /* ... for this long */
};

/* Largest valid sequence number (2^63 - 1); above is malformed. */
#define FDB_SEQ_MAX ((uint64_t)INT64_MAX)
/* A claim may lead the sequence number held for its MAC by at most this
 * (the ring's RING_SEQ_AHEAD); honest ones lead by 1 per move. */
#define FDB_SEQ_AHEAD UINT64_C(1024)
/* A claim of a MAC with no sequence number held (new, learned from
 * frames, pending with no location) may carry at most this (2^32 - 1,
 * the ring's RING_SEQ_MAX). */
#define FDB_SEQ_FRESH_MAX UINT64_C(0xffffffff)

struct fdb_entry {
    uint8_t mac[6];
    bool used;
    enum fdb_state state;
    void *peer;                       /* NULL: local */
    uint64_t seq;
    uint64_t last_seen;               /* monotonic ns */
    bool pending;                     /* attached here, not heard from yet */
    uint64_t until;                   /* FDB_FORWARDING: ns when it stops forwarding */
    uint64_t countered_at;            /* ns of our last counter-claim (0: never) */
    uint64_t moves_since;             /* start of the current duplicate-detection window */
    uint32_t moves;                   /* location changes in it */
    bool frozen;                      /* duplicate detected: does not move */
    bool frozen_unreported;           /* fdb_frozen_report() has not said so yet */
    uint64_t frozen_at;               /* ns */
    uint32_t next;                    /* internal: chain, index + 1 (0 = end) */
    uint32_t lru_prev, lru_next;      /* internal: learned LRU list, index + 1 */
};

struct fdb;

/* @max entries (>= 1); @seed keys the hash (random in the daemon). */
int fdb_new(size_t max, uint64_t seed, struct fdb **out);
void fdb_free(struct fdb *f);

/*
 * Equal-sequence tie-break between two locations (NULL = this host):
 * negative when @a must win over @b. Must be a total order that every host
 * computes alike (the daemon compares public keys).
 */
typedef int (*fdb_tiebreak_fn)(void *ctx, const void *a, const void *b, const uint8_t mac[6],
                               uint64_t seq);
void fdb_set_tiebreak(struct fdb *f, fdb_tiebreak_fn fn, void *ctx);
/* The daemon's tie rule for hosts with X25519 keys @ka and @kb tying at
 * @seq for @mac: negative when @ka wins. The lower BLAKE2b-128 of
 * ("overlayd mac tie v1", key, MAC, seq) wins; keys equal: 0. */
int fdb_tie_order(const uint8_t ka[32], const uint8_t kb[32], const uint8_t mac[6],
                  uint64_t seq);

const struct fdb_entry *fdb_lookup(const struct fdb *f, const uint8_t mac[6]);

/*
 * Data-plane learning: @mac was seen as a source at @peer (NULL = local).
 * A local frame claims the MAC unless it is local already (see the DOC).
 * Returns 0 (added, refreshed or moved), FDB_CLAIMED or FDB_MIGRATED
 * (local frame: a claim to announce), or one of: -EPERM (a control-plane
 * or local entry elsewhere owns it), -ENOSPC (full of control-plane
 * entries), -EBUSY (frozen: the MAC stays where it is).
 */
int fdb_learn(struct fdb *f, const uint8_t mac[6], void *peer, uint64_t now);

/* Duplicate detection: at most @moves location changes per @window_ns,
 * then frozen for @freeze_ns (defaults FDB_DUP_MOVES, FDB_DUP_WINDOW_S,
 * FDB_DUP_FREEZE_S; @moves 0 = off, and thaws every frozen entry).
 * Entries frozen already thaw by the new @freeze_ns. */
void fdb_set_dup_limits(struct fdb *f, unsigned moves, uint64_t window_ns, uint64_t freeze_ns);
void fdb_dup_limits(const struct fdb *f, unsigned *moves, uint64_t *window_ns, uint64_t *freeze_ns);
/* True once per freeze of @mac (then false until it freezes again). */
bool fdb_frozen_report(struct fdb *f, const uint8_t mac[6]);
/* MACs frozen so far (every freeze counts). */
uint64_t fdb_frozen_total(const struct fdb *f);

/*
 * A peer announces (claims) @mac with @seq. Returns 0 (applied),
 * FDB_COUNTER or FDB_MOVED_AWAY (a local entry, see the DOC), or one of:
 * -ESTALE (an entry elsewhere has a higher sequence number, or an equal
 * one and wins the tie-break), -EINVAL (@seq > FDB_SEQ_MAX), -ERANGE
 * (@seq leads the one held by more than FDB_SEQ_AHEAD, or none is held
 * and it is above FDB_SEQ_FRESH_MAX), -ENOSPC
 * (table full, or @peer or all peers at their share), -EBUSY (frozen: the
 * MAC stays where it is).
 */
int fdb_announce(struct fdb *f, const uint8_t mac[6], void *peer, uint64_t seq, uint64_t now);

/*
 * `attach --mac`: @mac is attached here. Already local: it stays local
 * (returns FDB_CLAIMED, the caller announces e->seq as before). Else the
 * entry is pending: it keeps pointing where it did, announces nothing, and
 * the MAC's first frame here claims it. Returns 0 (pending), FDB_CLAIMED,
 * or -ENOSPC.
 */
int fdb_set_pending(struct fdb *f, const uint8_t mac[6], uint64_t now);

/* Withdrawal by @peer: removes its remote (or forwarding) entry if @seq
 * >= the entry's; a pending entry stays, pending with no location.
 * Returns 0 or -ENOENT (no such entry of that peer) or -ESTALE. */
int fdb_withdraw(struct fdb *f, const uint8_t mac[6], void *peer, uint64_t seq);

/*
 * Make @mac a local static entry; idempotent. *@seq_out is the sequence
 * number to announce: unchanged if already static, else the highest one
 * known + 1. Returns 0 or -ENOSPC.
 */
int fdb_set_static(struct fdb *f, const uint8_t mac[6], uint64_t now, uint64_t *seq_out);

/* Detach: remove a local static entry; *@seq_out gets its sequence
 * number (to withdraw). A pending entry stops being pending (and goes if
 * it has no location). Returns 0 (withdraw *@seq_out) or -ENOENT
 * (nothing of ours was announced). */
int fdb_remove_static(struct fdb *f, const uint8_t mac[6], uint64_t *seq_out);

/* Remove every entry located at @peer (learned, remote, forwarding; a
 * pending one stays, with no location). Returns the count. */
size_t fdb_flush_peer(struct fdb *f, void *peer);

/* Remove learned entries not seen for more than @max_age_ns, and remote
 * entries not re-announced for FDB_REMOTE_AGE_S; thaw frozen entries past
 * their window. Returns the count removed. */
size_t fdb_age(struct fdb *f, uint64_t now, uint64_t max_age_ns);

/* Earliest forwarding deadline (ns), UINT64_MAX when nothing forwards. */
uint64_t fdb_next_deadline(const struct fdb *f);
/* Forwarding entries past their grace become remote entries of the host
 * that claimed them (or go, when it is at its share). Returns the count. */
size_t fdb_on_timeout(struct fdb *f, uint64_t now);

/* Is @e a MAC of a guest here that has been heard (local, not pending)? */
bool fdb_entry_local(const struct fdb_entry *e);
/* The contract's state of @e: "local", "remote", "pending", "forwarding",
 * "frozen". */
const char *fdb_entry_state(const struct fdb_entry *e);

size_t fdb_count(const struct fdb *f);
/* Remote entries held by @peer. */
size_t fdb_peer_count(const struct fdb *f, const void *peer);
size_t fdb_capacity(const struct fdb *f);
/* Slot @i (< capacity): the entry, or NULL when the slot is free. */
const struct fdb_entry *fdb_at(const struct fdb *f, size_t i);

const char *fdb_state_name(enum fdb_state st);

#endif
