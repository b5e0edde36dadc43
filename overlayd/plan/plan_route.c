/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Direct or relayed delivery of ring messages, and the next hop.
 *
 * Iterative lookups, their answers and record replication name arbitrary
 * hosts; opening a link to each would let every host's link count grow
 * towards the ring size. So once a member, a host sends directly only to
 * its ring neighbours (successor, predecessor, distinct fingers: O(log n))
 * and to hosts that just spoke to it over their link; everything else
 * goes, relayed, to the neighbour closest before the destination on the
 * ring, which does the same (greedy Chord routing, O(log n) hops, every
 * hop over an existing link). overlayd/ring/ringd_relay.c seals and
 * carries the envelopes. See plan.h.
 */
#include "overlayd/plan/plan_int.h"

#include <string.h>

#include "crypto/ringid.h"

bool plan_active(const struct plan *pl)
{
    return pl->view.state == RING_ACTIVE;
}

/* Successor and predecessor: the ring breaks without them, so they are
 * neighbours even when they declined (then they were not sure of theirs). */
bool plan_mandatory(const struct plan *pl, const ring_id *id)
{
    return ring_id_eq(&pl->view.succ, id) || (pl->view.has_pred && ring_id_eq(&pl->view.pred, id));
}

bool plan_declined(const struct plan *pl, const uint8_t pub[32], uint64_t now)
{
    for (unsigned i = 0; i < PLAN_DECLINED_MAX; i++)
        if (pl->declined[i].until > now && memcmp(pl->declined[i].pub, pub, 32) == 0)
            return true;
    return false;
}

bool plan_is_neighbour(const struct plan *pl, const ring_id *id, uint64_t now)
{
    if (!plan_active(pl))
        return false;
    if (plan_is_kept(pl, id))
        return true;
    for (unsigned i = 0; i < pl->view.n_nb; i++)
        if (ring_id_eq(&pl->view.nb[i].id, id))
            return plan_mandatory(pl, id) || !plan_declined(pl, pl->view.nb[i].pub, now);
    return false;
}

unsigned plan_link_cap(const struct plan *pl)
{
    return pl->view.link_cap ? pl->view.link_cap : RING_LINKS_MIN;
}

/*
 * A next hop that died keeps its place in our tables until the ring finds
 * out, and relays through it vanish meanwhile. So before relaying through
 * a peer we have not heard from for PLAN_ECHO_MS we ask it for an ECHO
 * (plan_on_relay_sent), and skip it as a hop while that stays unanswered.
 */
static bool plan_hop_silent(const struct plan *pl, const uint8_t pub[32], uint64_t now)
{
    const struct plan_link *l = plan_link_find(pl, pub);

    return l && l->echo_sent > l->last_rx && now - l->echo_sent > PLAN_ECHO_MS * PLAN_MS;
}

/*
 * Relaying through @hop is no use of the link: every up link is a
 * next-hop candidate because it is up, so counting what we relay over it
 * would keep a link nobody needs (one opened for a guest's ping) from ever
 * going idle. The receiving side does not count transit either
 * (ringd_relay.c); a relay whose destination is the hop itself counts, on
 * both sides (ringd_relay_out, ringd_relay_rx).
 */
bool plan_on_relay_sent(struct plan *pl, const uint8_t hop[32], uint64_t now)
{
    struct plan_link *l = plan_link_add(pl, hop);

    if (!l)
        return false;
    if (now - l->last_rx < PLAN_ECHO_MS * PLAN_MS || l->echo_sent > l->last_rx)
        return false;
    l->echo_sent = now;
    return true;
}

static void plan_consider(const struct plan *pl, const ring_peer *c, const ring_id *dest,
                          uint64_t now, ring_id *best, ring_peer *out, bool *found)
{
    ring_id dist;

    ring_id_dist(&dist, &c->id, dest);
    if (ring_id_cmp(&dist, best) < 0 && !plan_hop_silent(pl, c->pub, now) &&
        (ring_id_eq(&c->id, dest) || plan_mandatory(pl, &c->id) ||
         !plan_declined(pl, c->pub, now))) {
        *best = dist;
        *out = *c;
        *found = true;
    }
}

/*
 * Among our neighbours (none before we are a member) and up links with an
 * endpoint, the one closest before (or at) @dest clockwise, and strictly
 * closer than we are. False when none is (our tables are stale or @dest is
 * between us and our successor).
 */
bool plan_next_hop(const struct plan *pl, const ring_id *dest, uint64_t now, ring_peer *out)
{
    unsigned k = plan_active(pl) ? pl->view.n_nb : 0;
    ring_id best;
    bool found = false;

    ring_id_dist(&best, &pl->self, dest);
    for (unsigned i = 0; i < k; i++)
        plan_consider(pl, &pl->view.nb[i], dest, now, &best, out, &found);
    for (size_t i = 0; i < PLAN_SLOTS && k < PLAN_NEIGHBOURS_MAX; i++) {
        const struct plan_link *l = &pl->slot[i];
        ring_peer c;

        if (!l->used || l->st != PLAN_LINK_UP || !(l->flags & PLAN_LF_HAS_EP))
            continue;
        memset(&c, 0, sizeof(c));
        c.id = l->id;
        memcpy(c.pub, l->pub, 32);
        k++;
        plan_consider(pl, &c, dest, now, &best, out, &found);
    }
    return found;
}

/*
 * Direct: while the ring around us settles; to a neighbour; to a host that
 * just sent us a ring message over its link (the answer to a request goes
 * back the way it came, which is also the only way to a host that is still
 * joining); or to anyone while we are not a member. Everything else is
 * relayed, so a link nobody needs any more goes idle and closes even while
 * the ring talks to that host.
 */
static bool plan_direct_ok(const struct plan *pl, const ring_peer *to, uint64_t now)
{
    const struct plan_link *l;

    if (!plan_active(pl))
        return true;
    /* While our neighbours change (joins, failures) the tables relays
     * follow are wrong here and there, and a relay lost to them costs a
     * timeout; talk directly until things settle. */
    if (!pl->nb_changed || now - pl->nb_changed < PLAN_SETTLE_S * PLAN_SEC)
        return true;
    if (plan_is_neighbour(pl, &to->id, now))
        return true;
    l = plan_link_find(pl, to->pub);
    return l && l->ring_rx && now - l->ring_rx < PLAN_REPLY_DIRECT_MS * PLAN_MS &&
           l->st == PLAN_LINK_UP;
}

void plan_route(const struct plan *pl, const ring_peer *to, uint64_t now, struct plan_path *out)
{
    memset(out, 0, sizeof(*out));
    out->kind = PLAN_PATH_DIRECT;
    if (plan_direct_ok(pl, to, now))
        return;
    /* No hop closer than us, or the hop is @to itself: send directly. */
    if (!plan_next_hop(pl, &to->id, now, &out->hop) || ring_id_eq(&out->hop.id, &to->id)) {
        memset(&out->hop, 0, sizeof(out->hop));
        return;
    }
    out->kind = PLAN_PATH_RELAY;
}

void plan_route_forward(const struct plan *pl, const uint8_t dest[32], uint64_t now,
                        struct plan_path *out)
{
    const struct plan_link *l = plan_link_find(pl, dest);
    ring_id id;

    memset(out, 0, sizeof(*out));
    if (l)
        id = l->id;
    else
        ringid_from_pubkey(id.b, dest);
    if (plan_next_hop(pl, &id, now, &out->hop)) {
        out->kind = PLAN_PATH_RELAY;
        return;
    }
    /* No neighbour is closer: our tables are behind (a kill, a join). A
     * link to @dest that is up still gets it there; else a dead end means
     * stale tables, and the origin's request times out and is retried. */
    if (l && l->st == PLAN_LINK_UP) {
        out->kind = PLAN_PATH_DIRECT;
        out->hop.id = id;
        memcpy(out->hop.pub, dest, 32);
    }
}
