/* SPDX-License-Identifier: GPL-2.0-only */
#include "overlayd/datapath/fdb.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

/* Remote entries per peer: open addressing, linear probing, so counting
 * stays O(1) without allocation; at most max peers can hold any. */
struct fdb_pc {
    const void *peer;                 /* NULL: free */
    uint32_t n;
};

struct fdb {
    struct fdb_entry *e;
    uint32_t *bucket;                 /* index + 1, 0 = empty */
    size_t max;
    size_t nbuckets;                  /* power of two */
    size_t count;
    uint32_t free_head;               /* index + 1 of a free slot, chained via next */
    uint32_t lru_head, lru_tail;      /* learned entries, oldest first */
    uint64_t seed;
    struct fdb_pc *pc;                /* nbuckets slots */
    size_t remote;                    /* remote entries, all peers */
    size_t forwarding;                /* FDB_FORWARDING entries (timer work) */
    /* No later than the earliest forwarding deadline: the daemon asks for
     * it every loop iteration, so it is kept, not scanned for. It may be
     * early (an entry left before its grace ended): fdb_on_timeout then
     * finds nothing due and recomputes it. */
    uint64_t fwd_next;
    size_t peer_cap, remote_cap;
    fdb_tiebreak_fn tiebreak;
    void *tiebreak_ctx;
    unsigned dup_moves;               /* 0: no duplicate detection */
    uint64_t dup_window;              /* ns */
    uint64_t dup_freeze;              /* ns */
    uint64_t frozen_total;
};

int fdb_new(size_t max, uint64_t seed, struct fdb **out)
{
    struct fdb *f;

    if (max == 0 || max > UINT32_MAX / 4)
        return -EINVAL;
    f = calloc(1, sizeof(*f));
    if (!f)
        return -ENOMEM;
    f->max = max;
    f->nbuckets = 16;
    while (f->nbuckets < max * 2)
        f->nbuckets *= 2;
    f->e = calloc(max, sizeof(*f->e));
    f->bucket = calloc(f->nbuckets, sizeof(*f->bucket));
    f->pc = calloc(f->nbuckets, sizeof(*f->pc));
    if (!f->e || !f->bucket || !f->pc) {
        fdb_free(f);
        return -ENOMEM;
    }
    for (size_t i = 0; i < max; i++)
        f->e[i].next = i + 1 < max ? (uint32_t)(i + 2) : 0;
    f->free_head = 1;
    f->seed = seed;
    f->peer_cap = max / FDB_PEER_SHARE ? max / FDB_PEER_SHARE : 1;
    f->remote_cap = max - max / FDB_STATIC_RESERVE;
    f->dup_moves = FDB_DUP_MOVES;
    f->dup_window = (uint64_t)FDB_DUP_WINDOW_S * 1000000000ull;
    f->dup_freeze = (uint64_t)FDB_DUP_FREEZE_S * 1000000000ull;
    *out = f;
    return 0;
}

void fdb_set_dup_limits(struct fdb *f, unsigned moves, uint64_t window_ns, uint64_t freeze_ns)
{
    f->dup_moves = moves;
    f->dup_window = window_ns;
    f->dup_freeze = freeze_ns;
    /* Turned off (a reload): nothing stays frozen. */
    for (size_t i = 0; !moves && i < f->max; i++)
        f->e[i].frozen = f->e[i].frozen_unreported = false;
}

void fdb_dup_limits(const struct fdb *f, unsigned *moves, uint64_t *window_ns, uint64_t *freeze_ns)
{
    *moves = f->dup_moves;
    *window_ns = f->dup_window;
    *freeze_ns = f->dup_freeze;
}

uint64_t fdb_frozen_total(const struct fdb *f)
{
    return f->frozen_total;
}

void fdb_free(struct fdb *f)
{
    if (!f)
        return;
    free(f->e);
    free(f->bucket);
    free(f->pc);
    free(f);
}

void fdb_set_tiebreak(struct fdb *f, fdb_tiebreak_fn fn, void *ctx)
{
    f->tiebreak = fn;
    f->tiebreak_ctx = ctx;
}

/* Keyed mix so guests cannot aim many MACs at one chain. */
static size_t fdb_hash(const struct fdb *f, const uint8_t mac[6])
{
    uint64_t h = f->seed ^ 0x9e3779b97f4a7c15ull;

    for (int i = 0; i < 6; i++) {
        h ^= mac[i];
        h *= 0x100000001b3ull;
    }
    h ^= h >> 29;
    h *= 0xbf58476d1ce4e5b9ull;
    h ^= h >> 32;
    return (size_t)(h & (f->nbuckets - 1));
}

static size_t fdb_pc_home(const struct fdb *f, const void *peer)
{
    uint64_t h = (uint64_t)(uintptr_t)peer ^ f->seed;

    h ^= h >> 31;
    h *= 0x94d049bb133111ebull;
    h ^= h >> 29;
    return (size_t)(h & (f->nbuckets - 1));
}

/* The slot of @peer, or the free slot where it would go. */
static size_t fdb_pc_slot(const struct fdb *f, const void *peer)
{
    size_t i = fdb_pc_home(f, peer);

    while (f->pc[i].peer && f->pc[i].peer != peer)
        i = (i + 1) & (f->nbuckets - 1);
    return i;
}

static void fdb_pc_inc(struct fdb *f, const void *peer)
{
    size_t i = fdb_pc_slot(f, peer);

    f->pc[i].peer = peer;
    f->pc[i].n++;
    f->remote++;
}

/* Backward-shift deletion keeps probe chains intact without tombstones. */
static void fdb_pc_dec(struct fdb *f, const void *peer)
{
    size_t mask = f->nbuckets - 1, i = fdb_pc_slot(f, peer), j;

    if (!f->pc[i].peer)
        return;
    f->remote--;
    if (--f->pc[i].n)
        return;
    f->pc[i].peer = NULL;
    j = i;
    for (;;) {
        size_t k;

        j = (j + 1) & mask;
        if (!f->pc[j].peer)
            return;
        k = fdb_pc_home(f, f->pc[j].peer);
        /* move j back to the hole i unless its home lies in (i, j] */
        if ((j > i && (k <= i || k > j)) || (j < i && (k <= i && k > j))) {
            f->pc[i] = f->pc[j];
            f->pc[j].peer = NULL;
            f->pc[j].n = 0;
            i = j;
        }
    }
}

size_t fdb_peer_count(const struct fdb *f, const void *peer)
{
    size_t i;

    if (!peer)
        return 0;
    i = fdb_pc_slot(f, peer);
    return f->pc[i].peer ? f->pc[i].n : 0;
}

static void fdb_lru_del(struct fdb *f, struct fdb_entry *e)
{
    if (e->lru_prev)
        f->e[e->lru_prev - 1].lru_next = e->lru_next;
    else
        f->lru_head = e->lru_next;
    if (e->lru_next)
        f->e[e->lru_next - 1].lru_prev = e->lru_prev;
    else
        f->lru_tail = e->lru_prev;
    e->lru_prev = e->lru_next = 0;
}

static void fdb_lru_add(struct fdb *f, struct fdb_entry *e)
{
    uint32_t idx = (uint32_t)(e - f->e) + 1;

    e->lru_next = 0;
    e->lru_prev = f->lru_tail;
    if (f->lru_tail)
        f->e[f->lru_tail - 1].lru_next = idx;
    else
        f->lru_head = idx;
    f->lru_tail = idx;
}

/* Every state change goes through here so the LRU list and the per-peer
 * counts always match the entries. */
static void fdb_untrack(struct fdb *f, struct fdb_entry *e)
{
    if (e->state == FDB_LEARNED)
        fdb_lru_del(f, e);
    else if (e->state == FDB_REMOTE)
        fdb_pc_dec(f, e->peer);
    else if (e->state == FDB_FORWARDING)
        f->forwarding--;
}

static void fdb_retag(struct fdb *f, struct fdb_entry *e, enum fdb_state st, void *peer)
{
    fdb_untrack(f, e);
    e->state = st;
    e->peer = peer;
    if (st == FDB_LEARNED)
        fdb_lru_add(f, e);
    else if (st == FDB_REMOTE)
        fdb_pc_inc(f, peer);
    else if (st == FDB_FORWARDING)
        f->forwarding++;
}

static struct fdb_entry *fdb_find(const struct fdb *f, const uint8_t mac[6])
{
    uint32_t i = f->bucket[fdb_hash(f, mac)];

    while (i) {
        struct fdb_entry *e = &f->e[i - 1];

        if (memcmp(e->mac, mac, 6) == 0)
            return e;
        i = e->next;
    }
    return NULL;
}

const struct fdb_entry *fdb_lookup(const struct fdb *f, const uint8_t mac[6])
{
    return fdb_find(f, mac);
}

static void fdb_unlink(struct fdb *f, struct fdb_entry *e)
{
    uint32_t idx = (uint32_t)(e - f->e) + 1;
    uint32_t *pp = &f->bucket[fdb_hash(f, e->mac)];

    fdb_untrack(f, e);
    while (*pp && *pp != idx)
        pp = &f->e[*pp - 1].next;
    if (*pp)
        *pp = e->next;
    memset(e, 0, sizeof(*e));
    e->next = f->free_head;
    f->free_head = idx;
    f->count--;
}

/* New entry, untracked (no state yet): the caller fdb_retag()s it. */
static struct fdb_entry *fdb_insert(struct fdb *f, const uint8_t mac[6])
{
    struct fdb_entry *e;
    size_t b;
    uint32_t idx;

    if (!f->free_head) {
        if (!f->lru_head)
            return NULL;          /* only control-plane entries: never evicted */
        fdb_unlink(f, &f->e[f->lru_head - 1]);
    }
    idx = f->free_head;
    e = &f->e[idx - 1];
    f->free_head = e->next;
    memset(e, 0, sizeof(*e));
    memcpy(e->mac, mac, 6);
    e->used = true;
    e->state = FDB_STATIC;        /* placeholder: untracked until retagged */
    b = fdb_hash(f, mac);
    e->next = f->bucket[b];
    f->bucket[b] = idx;
    f->count++;
    return e;
}

static uint64_t fdb_seq_next(uint64_t seq)
{
    /* saturating: a wrap to 0 would make our claim look stale everywhere */
    return seq < FDB_SEQ_MAX ? seq + 1 : FDB_SEQ_MAX;
}

bool fdb_entry_local(const struct fdb_entry *e)
{
    return !e->peer && (e->state == FDB_STATIC || e->state == FDB_LEARNED);
}

/* The location of @e is gone (withdrawn, aged, peer down): a pending
 * entry stays, knowing no location; anything else goes. */
static void fdb_drop_location(struct fdb *f, struct fdb_entry *e)
{
    if (e->pending)
        fdb_retag(f, e, FDB_PENDING, NULL);
    else
        fdb_unlink(f, e);
}

/* ---- duplicate detection (RFC 7432 section 15.1) ------------------------ */

/* Is @e frozen at @now? A freeze ends dup_freeze after it began. */
static bool fdb_frozen_now(struct fdb_entry *e, const struct fdb *f, uint64_t now)
{
    if (e->frozen && now - e->frozen_at >= f->dup_freeze) {
        e->frozen = false;
        e->moves = 0;
    }
    return e->frozen;
}

/* @e is about to change location: false to go ahead (the change is
 * counted), true when it must not (frozen, or this change is one too
 * many within the window: frozen now). */
static bool fdb_move_refused(struct fdb *f, struct fdb_entry *e, uint64_t now)
{
    if (!f->dup_moves)
        return false;
    if (fdb_frozen_now(e, f, now))
        return true;
    if (!e->moves || now - e->moves_since >= f->dup_window) {
        e->moves_since = now;
        e->moves = 0;
    }
    if (e->moves >= f->dup_moves) {
        e->frozen = e->frozen_unreported = true;
        e->frozen_at = now;
        f->frozen_total++;
        return true;
    }
    e->moves++;
    return false;
}

bool fdb_frozen_report(struct fdb *f, const uint8_t mac[6])
{
    struct fdb_entry *e = fdb_find(f, mac);

    if (!e || !e->frozen_unreported)
        return false;
    e->frozen_unreported = false;
    return true;
}

/* A frame of @mac from a guest here: the guest is here, so the MAC is
 * ours with a sequence number above every one known. */
static int fdb_learn_local(struct fdb *f, const uint8_t mac[6], uint64_t now)
{
    struct fdb_entry *e = fdb_find(f, mac);
    bool moved;

    if (e && fdb_entry_local(e)) {
        if (e->state == FDB_LEARNED)
            fdb_retag(f, e, FDB_LEARNED, NULL);   /* most recent on the LRU list */
        e->last_seen = now;
        return 0;
    }
    if (!e) {
        e = fdb_insert(f, mac);
        if (!e)
            return -ENOSPC;
        fdb_retag(f, e, FDB_LEARNED, NULL);
        e->seq = 1;
        e->last_seen = now;
        return FDB_CLAIMED;
    }
    moved = e->peer != NULL;
    if (moved && fdb_move_refused(f, e, now))
        return -EBUSY;
    e->seq = fdb_seq_next(e->seq);
    /* attached (pending): a control-plane entry, never evicted */
    fdb_retag(f, e, e->pending ? FDB_STATIC : FDB_LEARNED, NULL);
    e->pending = false;
    e->last_seen = now;
    return moved ? FDB_MIGRATED : FDB_CLAIMED;
}

int fdb_learn(struct fdb *f, const uint8_t mac[6], void *peer, uint64_t now)
{
    struct fdb_entry *e;

    if (!peer)
        return fdb_learn_local(f, mac, now);
    e = fdb_find(f, mac);
    if (e) {
        if (e->peer == peer && e->state != FDB_LEARNED) {
            e->last_seen = now;
            return 0;
        }
        /* Only data-plane entries elsewhere (and a pending one's unknown
         * location) move by data-plane learning; a local MAC moves by a
         * claim. */
        if (e->state != FDB_PENDING && !(e->state == FDB_LEARNED && e->peer))
            return -EPERM;
        if (e->peer && e->peer != peer && fdb_move_refused(f, e, now))
            return -EBUSY;
        fdb_retag(f, e, FDB_LEARNED, peer);   /* refreshed or moved: most recent */
        e->last_seen = now;
        return 0;
    }
    e = fdb_insert(f, mac);
    if (!e)
        return -ENOSPC;
    fdb_retag(f, e, FDB_LEARNED, peer);
    e->last_seen = now;
    return 0;
}

/* Does an announcement of @seq by @peer beat entry @e at another location? */
static bool fdb_beats(const struct fdb *f, const struct fdb_entry *e, const void *peer,
                      uint64_t seq)
{
    if (seq != e->seq)
        return seq > e->seq;
    return f->tiebreak && f->tiebreak(f->tiebreak_ctx, peer, e->peer, e->mac, seq) < 0;
}

/* Is @seq a step a claim may take over what @e holds (NULL: nothing)?
 * Data-plane entries elsewhere and pending ones with no location hold
 * no claimed number. */
static bool fdb_seq_in_reach(const struct fdb_entry *e, uint64_t seq)
{
    if (!e || e->state == FDB_PENDING || (e->state == FDB_LEARNED && e->peer))
        return seq <= FDB_SEQ_FRESH_MAX;
    return seq <= e->seq || seq - e->seq <= FDB_SEQ_AHEAD;
}

/* @peer claims local entry @e with @seq. */
static int fdb_claimed_away(struct fdb *f, struct fdb_entry *e, void *peer, uint64_t seq,
                            uint64_t now)
{
    const uint64_t live = (uint64_t)FDB_LIVE_MS * 1000000ull;

    if (!fdb_beats(f, e, peer, seq))
        return -ESTALE;
    if (fdb_frozen_now(e, f, now))
        return -EBUSY;
    /* Heard here just now: the guest runs here, whatever the claim says.
     * One counter-claim per window: two live copies of a MAC then flap
     * at that pace instead of trading claims at link speed. */
    if (now - e->last_seen < live && (!e->countered_at || now - e->countered_at >= live)) {
        e->seq = fdb_seq_next(seq);
        e->countered_at = now ? now : 1;
        return FDB_COUNTER;
    }
    if (fdb_move_refused(f, e, now))
        return -EBUSY;
    /* An attached port stays attached: if the guest comes back, its first
     * frame claims the MAC again as an attached one. */
    e->pending = e->state == FDB_STATIC;
    fdb_retag(f, e, FDB_FORWARDING, peer);
    e->seq = seq;
    e->until = now + (uint64_t)FDB_FORWARD_GRACE_MS * 1000000ull;
    if (f->forwarding == 1 || e->until < f->fwd_next)
        f->fwd_next = e->until;
    return FDB_MOVED_AWAY;
}

/* A claim on a forwarding entry: its target follows the newest claim;
 * the grace period runs on. */
static int fdb_forward_update(struct fdb *f, struct fdb_entry *e, void *peer, uint64_t seq,
                              uint64_t now)
{
    if (e->peer != peer && !fdb_beats(f, e, peer, seq))
        return -ESTALE;
    if (e->peer != peer && fdb_move_refused(f, e, now))
        return -EBUSY;
    e->peer = peer;
    e->seq = seq;
    e->last_seen = now;
    return 0;
}

int fdb_announce(struct fdb *f, const uint8_t mac[6], void *peer, uint64_t seq, uint64_t now)
{
    struct fdb_entry *e = fdb_find(f, mac);
    bool has = e && e->state == FDB_REMOTE && e->peer == peer;

    if (seq > FDB_SEQ_MAX || !peer)
        return -EINVAL;
    if (!fdb_seq_in_reach(e, seq))
        return -ERANGE;
    if (e && fdb_entry_local(e))
        return fdb_claimed_away(f, e, peer, seq, now);
    if (e && e->state == FDB_FORWARDING)
        return fdb_forward_update(f, e, peer, seq, now);
    /* a pending entry with no location steals nothing: any claim places it */
    if (e && e->state == FDB_REMOTE && e->peer != peer && !fdb_beats(f, e, peer, seq))
        return -ESTALE;
    if (!has && (fdb_peer_count(f, peer) >= f->peer_cap || f->remote >= f->remote_cap))
        return -ENOSPC;
    if (e && e->peer && e->peer != peer && fdb_move_refused(f, e, now))
        return -EBUSY;
    if (!e) {
        e = fdb_insert(f, mac);
        if (!e)
            return -ENOSPC;
    }
    fdb_retag(f, e, FDB_REMOTE, peer);
    e->seq = seq;
    e->last_seen = now;
    return 0;
}

int fdb_set_pending(struct fdb *f, const uint8_t mac[6], uint64_t now)
{
    struct fdb_entry *e = fdb_find(f, mac);

    if (e && fdb_entry_local(e)) {
        if (e->state == FDB_LEARNED)
            fdb_retag(f, e, FDB_STATIC, NULL);   /* attached: never evicted */
        return FDB_CLAIMED;
    }
    if (!e) {
        e = fdb_insert(f, mac);
        if (!e)
            return -ENOSPC;
        fdb_retag(f, e, FDB_PENDING, NULL);
        e->last_seen = now;
    }
    e->pending = true;
    return 0;
}

int fdb_withdraw(struct fdb *f, const uint8_t mac[6], void *peer, uint64_t seq)
{
    struct fdb_entry *e = fdb_find(f, mac);

    if (!e || (e->state != FDB_REMOTE && e->state != FDB_FORWARDING) || e->peer != peer)
        return -ENOENT;
    if (seq < e->seq)
        return -ESTALE;
    fdb_drop_location(f, e);
    return 0;
}

int fdb_set_static(struct fdb *f, const uint8_t mac[6], uint64_t now, uint64_t *seq_out)
{
    struct fdb_entry *e = fdb_find(f, mac);

    if (e && e->state == FDB_STATIC) {
        e->last_seen = now;
        *seq_out = e->seq;
        return 0;
    }
    if (!e) {
        e = fdb_insert(f, mac);
        if (!e)
            return -ENOSPC;
    }
    /* learned: 0 -> 1; remote s -> s + 1 */
    e->seq = fdb_seq_next(e->seq);
    e->pending = false;
    fdb_retag(f, e, FDB_STATIC, NULL);
    e->last_seen = now;
    *seq_out = e->seq;
    return 0;
}

int fdb_remove_static(struct fdb *f, const uint8_t mac[6], uint64_t *seq_out)
{
    struct fdb_entry *e = fdb_find(f, mac);

    if (!e)
        return -ENOENT;
    if (e->state == FDB_STATIC) {
        *seq_out = e->seq;
        fdb_unlink(f, e);
        return 0;
    }
    /* never heard here: nothing was announced, so nothing to withdraw */
    e->pending = false;
    if (e->state == FDB_PENDING)
        fdb_unlink(f, e);
    return -ENOENT;
}

size_t fdb_flush_peer(struct fdb *f, void *peer)
{
    size_t n = 0;

    if (!peer)
        return 0;
    for (size_t i = 0; i < f->max; i++) {
        if (f->e[i].used && f->e[i].peer == peer) {
            fdb_drop_location(f, &f->e[i]);
            n++;
        }
    }
    return n;
}

static bool fdb_older(uint64_t now, uint64_t t, uint64_t max_age_ns)
{
    return now > t && now - t > max_age_ns;
}

size_t fdb_age(struct fdb *f, uint64_t now, uint64_t max_age_ns)
{
    const uint64_t remote_age = (uint64_t)FDB_REMOTE_AGE_S * 1000000000ull;
    size_t n = 0;

    /* learned: oldest first, stop at the first young one */
    while (f->lru_head && fdb_older(now, f->e[f->lru_head - 1].last_seen, max_age_ns)) {
        fdb_drop_location(f, &f->e[f->lru_head - 1]);
        n++;
    }
    /* remote: a scan, once per refresh period */
    for (size_t i = 0; i < f->max; i++) {
        struct fdb_entry *e = &f->e[i];

        if (e->used && e->state == FDB_REMOTE && fdb_older(now, e->last_seen, remote_age)) {
            fdb_drop_location(f, e);
            n++;
        } else if (e->used) {
            (void)fdb_frozen_now(e, f, now);
        }
    }
    return n;
}

uint64_t fdb_next_deadline(const struct fdb *f)
{
    return f->forwarding ? f->fwd_next : UINT64_MAX;
}

size_t fdb_on_timeout(struct fdb *f, uint64_t now)
{
    size_t n = 0;

    if (!f->forwarding || f->fwd_next > now)
        return 0;
    f->fwd_next = UINT64_MAX;
    for (size_t i = 0; f->forwarding && i < f->max; i++) {
        struct fdb_entry *e = &f->e[i];

        if (!e->used || e->state != FDB_FORWARDING)
            continue;
        if (e->until > now) {
            if (e->until < f->fwd_next)
                f->fwd_next = e->until;
            continue;
        }
        n++;
        /* Where the MAC lives now is still worth knowing; the claimant
         * keeps announcing it, so a full share only costs a lookup. */
        if (fdb_peer_count(f, e->peer) < f->peer_cap && f->remote < f->remote_cap) {
            fdb_retag(f, e, FDB_REMOTE, e->peer);
            e->last_seen = now;
        } else {
            fdb_drop_location(f, e);
        }
    }
    return n;
}

size_t fdb_count(const struct fdb *f)
{
    return f->count;
}

size_t fdb_capacity(const struct fdb *f)
{
    return f->max;
}

const struct fdb_entry *fdb_at(const struct fdb *f, size_t i)
{
    if (i >= f->max || !f->e[i].used)
        return NULL;
    return &f->e[i];
}

const char *fdb_state_name(enum fdb_state st)
{
    switch (st) {
    case FDB_LEARNED: return "learned";
    case FDB_STATIC: return "static";
    case FDB_REMOTE: return "remote";
    case FDB_PENDING: return "pending";
    case FDB_FORWARDING: return "forwarding";
    }
    return "?";
}

const char *fdb_entry_state(const struct fdb_entry *e)
{
    if (e->frozen)
        return "frozen";
    if (e->state == FDB_FORWARDING)
        return "forwarding";
    if (e->pending || e->state == FDB_PENDING)
        return "pending";
    return e->peer ? "remote" : "local";
}
