/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The plan's clockwork: bootstrap and rejoin, the neighbour watch and the
 * republish schedule, the publish and idle scans, each at a deadline of
 * its own (plan_next_deadline / plan_on_timeout). See plan.h.
 */
#include "overlayd/plan/plan_int.h"

#include <stdlib.h>
#include <string.h>

#include "crypto/ringid.h"

struct plan *plan_new(const struct plan_config *cfg)
{
    struct plan *pl = calloc(1, sizeof(*pl));

    if (!pl)
        return NULL;
    memcpy(pl->self_pub, cfg->self_pub, 32);
    ringid_from_pubkey(pl->self.b, cfg->self_pub);
    pl->idle_ns = cfg->idle_ns ? cfg->idle_ns : (uint64_t)PLAN_IDLE_DEFAULT_S * PLAN_SEC;
    pl->n_cfg_peers = cfg->n_peers;
    pl->lowest = true;
    for (size_t i = 0; i < cfg->n_peers; i++) {
        ring_id other;

        ringid_from_pubkey(other.b, cfg->peers[i]);
        if (ring_id_cmp(&other, &pl->self) < 0)
            pl->lowest = false;
    }
    pl->view.state = RING_IDLE;
    pl->view.succ = pl->self;
    pl->boot_at = 1;                  /* bootstrap at the first timeout */
    return pl;
}

void plan_set_n_peers(struct plan *pl, size_t n)
{
    pl->n_cfg_peers = n;
}

void plan_free(struct plan *pl)
{
    free(pl);
}

bool plan_add_action(struct plan_actions *out, enum plan_action_kind k, const uint8_t *pub)
{
    struct plan_action *a;

    if (out->n >= PLAN_ACTIONS_MAX)
        return false;
    a = &out->a[out->n++];
    memset(a, 0, sizeof(*a));
    a->kind = k;
    if (pub)
        memcpy(a->pub, pub, 32);
    return true;
}

void plan_member_seen(struct plan *pl, uint64_t now)
{
    pl->member_seen = now;
}

void plan_on_joined(struct plan *pl, uint64_t now)
{
    pl->join_since = now;
    pl->boot_at = now;                /* a failed join: the next [Peer] at once */
}

/*
 * A record stored while the ring was settling may sit at a host that no
 * longer owns its key (a pointer that was stale when the store arrived),
 * and the node republishes only every refresh period (30 s). So when our
 * neighbours change, republish everything 1 s later and again after 3, 6,
 * 12 and 24 s, while the rest of the ring settles too.
 */
static void plan_watch_neighbours(struct plan *pl, uint64_t now)
{
    ring_id pid;

    memset(&pid, 0, sizeof(pid));
    if (pl->view.has_pred)
        pid = pl->view.pred;
    if (ring_id_eq(&pid, &pl->last_pred) && ring_id_eq(&pl->view.succ, &pl->last_succ))
        return;
    pl->last_pred = pid;
    pl->last_succ = pl->view.succ;
    pl->nb_changed = now;
    pl->republish_at = now + PLAN_SEC;
    pl->republish_step = 0;
}

void plan_on_ring(struct plan *pl, const struct plan_ring_view *v, uint64_t now)
{
    bool alone;

    if (v != &pl->view) {
        pl->view.state = v->state;
        pl->view.has_pred = v->has_pred;
        pl->view.pred = v->pred;
        pl->view.succ = v->succ;
        pl->view.link_cap = v->link_cap;
        pl->view.n_nb = v->n_nb < PLAN_NEIGHBOURS_MAX ? v->n_nb : PLAN_NEIGHBOURS_MAX;
        memcpy(pl->view.nb, v->nb, pl->view.n_nb * sizeof(v->nb[0]));
    }
    if (!plan_active(pl)) {
        pl->scan_at = pl->idle_at = 0;
        if (!pl->boot_at)
            pl->boot_at = pl->view.state == RING_JOINING
                              ? pl->join_since + (uint64_t)PLAN_JOIN_TRY_MS * PLAN_MS : now;
        return;
    }
    pl->unjoined_since = 0;
    if (!pl->scan_at)
        pl->scan_at = now;
    if (!pl->idle_at)
        pl->idle_at = now + (uint64_t)PLAN_SCAN_MS * PLAN_MS;
    plan_watch_neighbours(pl, now);
    /* Alone in a ring of our own while we have [Peer]s: two hosts created
     * rings at once (each the lowest of its [Peer]s, neither seeing the
     * other a member in time), and Chord never merges rings. */
    alone = ring_id_eq(&pl->view.succ, &pl->self) && pl->n_cfg_peers > 0;
    if (!alone) {
        pl->alone_since = 0;
        pl->boot_at = 0;
        return;
    }
    if (!pl->alone_since)
        pl->alone_since = now;
    pl->boot_at = pl->alone_since + PLAN_ALONE_S * PLAN_SEC;
}

static int plan_cmp_id(const void *a, const void *b)
{
    return ring_id_cmp(&(*(const struct plan_link *const *)a)->id,
                       &(*(const struct plan_link *const *)b)->id);
}

/* Join through an up [Peer]: every other try the lowest id, the others
 * in turn between; with none up, ask those that are down (closed as idle
 * while we were a member) to come back. The lowest is the one that creates
 * the ring, and gives it up when nobody joined within PLAN_ALONE_S: a
 * plain round of 11 [Peer]s at PLAN_JOIN_TRY_MS each came back to it too
 * late, and the hosts of one overlay never formed a ring (36-pns). */
static void plan_join(struct plan *pl, uint64_t now, bool rejoin, struct plan_actions *out)
{
    const struct plan_link *up[PLAN_BOOT_PEERS_MAX], *via;
    size_t nup = 0;
    unsigned t;

    for (size_t i = 0; i < PLAN_SLOTS && nup < PLAN_BOOT_PEERS_MAX; i++) {
        const struct plan_link *l = &pl->slot[i];

        if (l->used && (l->flags & PLAN_LF_PEER) && (l->flags & PLAN_LF_HAS_EP) &&
            l->st == PLAN_LINK_UP)
            up[nup++] = l;
    }
    if (!nup) {
        for (size_t i = 0; i < PLAN_SLOTS; i++) {
            const struct plan_link *l = &pl->slot[i];

            if (l->used && (l->flags & PLAN_LF_PEER) && (l->flags & PLAN_LF_HAS_EP) &&
                l->st == PLAN_LINK_DOWN)
                plan_add_action(out, PLAN_ACT_CONNECT, l->pub);
        }
        return;
    }
    qsort(up, nup, sizeof(up[0]), plan_cmp_id);
    t = pl->join_next++;
    via = t % 2 == 0 || nup == 1 ? up[0] : up[1 + (t / 2) % (nup - 1)];
    if (plan_add_action(out, PLAN_ACT_JOIN, via->pub)) {
        out->a[out->n - 1].rejoin = rejoin;
        pl->join_since = now;
    }
}

/*
 * No [Peer]: create the ring. Else join through an up [Peer], the lowest
 * id every other try (the host with the lowest id creates the ring when it has not
 * joined one within PLAN_CREATE_WAIT_S), moving on to the next one when a
 * join has not completed within PLAN_JOIN_TRY_MS: a join through a member
 * takes one round trip, one through a host that is itself joining never
 * completes. Alone in a ring of our own for PLAN_ALONE_S: give it up and
 * join through the [Peer]s; if they are alone too, all end up joining,
 * nobody answers, and the lowest creates one ring again.
 */
static void plan_bootstrap(struct plan *pl, uint64_t now, struct plan_actions *out)
{
    enum ring_state st = pl->view.state;
    bool rejoin = false;

    if (st == RING_ACTIVE) {
        if (!pl->alone_since || now - pl->alone_since < PLAN_ALONE_S * PLAN_SEC)
            return;
        pl->alone_since = 0;
        pl->join_since = 0;
        pl->unjoined_since = now;
        rejoin = true;
    } else if (st == RING_JOINING &&
               now - pl->join_since < (uint64_t)PLAN_JOIN_TRY_MS * PLAN_MS) {
        return;
    }
    if (!pl->unjoined_since)
        pl->unjoined_since = now;
    /* The lowest id creates the ring only when no [Peer] has shown it is
     * a member: a join that is slow (owners busy while many hosts join at
     * once) must not end in a second ring, which Chord never merges. */
    if (st != RING_ACTIVE &&
        (pl->n_cfg_peers == 0 ||
         (pl->lowest && now - pl->unjoined_since > PLAN_CREATE_WAIT_S * PLAN_SEC &&
          (!pl->member_seen || now - pl->member_seen > PLAN_MEMBER_SEEN_S * PLAN_SEC)))) {
        plan_add_action(out, PLAN_ACT_CREATE, NULL);
        return;
    }
    plan_join(pl, now, rejoin, out);
}

/* When to look at the bootstrap again, after plan_bootstrap(). */
static uint64_t plan_boot_next(const struct plan *pl, uint64_t now)
{
    uint64_t t;

    if (plan_active(pl))
        return pl->alone_since ? pl->alone_since + PLAN_ALONE_S * PLAN_SEC : 0;
    t = pl->join_since + (uint64_t)PLAN_JOIN_TRY_MS * PLAN_MS;
    if (pl->join_since && t > now && (pl->view.state == RING_JOINING || pl->join_since == now))
        return t;
    return now + (uint64_t)PLAN_BOOT_RETRY_MS * PLAN_MS;
}

static void plan_republish(struct plan *pl, uint64_t now, struct plan_actions *out)
{
    pl->republish_at = pl->republish_step < PLAN_REPUBLISH_STEPS
                           ? now + ((uint64_t)PLAN_REPUBLISH_FIRST_S * PLAN_SEC
                                    << pl->republish_step++)
                           : 0;
    plan_add_action(out, PLAN_ACT_REPUBLISH, NULL);
}

static bool plan_due(uint64_t at, uint64_t now)
{
    return at && now >= at;
}

void plan_on_timeout(struct plan *pl, uint64_t now, struct plan_actions *out)
{
    out->n = 0;
    if (plan_due(pl->boot_at, now)) {
        plan_bootstrap(pl, now, out);
        pl->boot_at = plan_boot_next(pl, now);
    }
    if (!plan_active(pl))
        return;
    if (plan_due(pl->scan_at, now)) {
        plan_add_action(out, PLAN_ACT_PUBLISH_SCAN, NULL);
        pl->scan_at = now + (uint64_t)PLAN_SCAN_MS * PLAN_MS;
    }
    if (plan_due(pl->republish_at, now))
        plan_republish(pl, now, out);
    if (plan_due(pl->idle_at, now)) {
        plan_idle_scan(pl, now, out);
        plan_connect_kept(pl, out);
        pl->idle_at = now + (uint64_t)PLAN_SCAN_MS * PLAN_MS;
    }
}

uint64_t plan_next_deadline(const struct plan *pl)
{
    uint64_t at[4] = { pl->boot_at, 0, 0, 0 }, best = UINT64_MAX;

    if (plan_active(pl)) {
        at[1] = pl->scan_at;
        at[2] = pl->idle_at;
        at[3] = pl->republish_at;
    }
    for (unsigned i = 0; i < 4; i++)
        if (at[i] && at[i] < best)
            best = at[i];
    return best;
}
