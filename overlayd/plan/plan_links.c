/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The plan's link table (open addressing on the public key, which is
 * uniformly random already), the events that stamp it, CLOSE messages, and
 * the idle scan with the link cap. See plan.h and docs/design.md ("Ring").
 */
#include "overlayd/plan/plan_int.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "crypto/ringid.h"

static size_t plan_slot_of(const uint8_t pub[32])
{
    size_t h = 0;

    for (unsigned i = 0; i < sizeof(size_t) && i < 32; i++)
        h = h << 8 | pub[i];
    return h % PLAN_SLOTS;
}

struct plan_link *plan_link_find(const struct plan *pl, const uint8_t pub[32])
{
    size_t i = plan_slot_of(pub);

    for (size_t n = 0; n < PLAN_SLOTS && pl->slot[i].used; n++, i = (i + 1) % PLAN_SLOTS)
        if (memcmp(pl->slot[i].pub, pub, 32) == 0)
            return (struct plan_link *)&pl->slot[i];
    return NULL;
}

struct plan_link *plan_link_add(struct plan *pl, const uint8_t pub[32])
{
    struct plan_link *l = plan_link_find(pl, pub);
    size_t i = plan_slot_of(pub);

    if (l)
        return l;
    if (pl->n_links >= PLAN_LINKS_MAX || memcmp(pub, pl->self_pub, 32) == 0)
        return NULL;
    while (pl->slot[i].used)
        i = (i + 1) % PLAN_SLOTS;
    l = &pl->slot[i];
    memset(l, 0, sizeof(*l));
    l->used = l->seen = true;
    memcpy(l->pub, pub, 32);
    ringid_from_pubkey(l->id.b, pub);
    pl->n_links++;
    return l;
}

/* Backward-shift deletion: no tombstones, probes stay short. */
void plan_link_del(struct plan *pl, struct plan_link *l)
{
    size_t hole = (size_t)(l - pl->slot), i = hole;

    pl->slot[hole].used = false;
    pl->n_links--;
    for (;;) {
        size_t home;

        i = (i + 1) % PLAN_SLOTS;
        if (!pl->slot[i].used)
            return;
        home = plan_slot_of(pl->slot[i].pub);
        /* Move it into the hole unless its home lies cyclically in (hole, i]. */
        if ((i > hole && (home <= hole || home > i)) || (i < hole && home <= hole && home > i)) {
            pl->slot[hole] = pl->slot[i];
            pl->slot[i].used = false;
            hole = i;
        }
    }
}

void plan_links_begin(struct plan *pl)
{
    for (size_t i = 0; i < PLAN_SLOTS; i++)
        pl->slot[i].seen = false;
}

int plan_link_state(struct plan *pl, const uint8_t pub[32], unsigned flags, enum plan_link_st st)
{
    struct plan_link *l = plan_link_add(pl, pub);

    if (!l)
        return -ENOSPC;
    l->seen = true;
    l->flags = flags;
    l->st = st;
    return 0;
}

void plan_links_end(struct plan *pl)
{
    for (size_t i = 0; i < PLAN_SLOTS;) {
        /* A deletion may shift an unvisited entry into slot i: look again. */
        if (pl->slot[i].used && !pl->slot[i].seen)
            plan_link_del(pl, &pl->slot[i]);
        else
            i++;
    }
}

void plan_link_closed(struct plan *pl, const uint8_t pub[32], bool gone)
{
    struct plan_link *l = plan_link_find(pl, pub);

    if (!l)
        return;
    if (gone) {
        plan_link_del(pl, l);
        return;
    }
    l->close_asked = 0;
    l->st = PLAN_LINK_DOWN;
}

int plan_link_get(const struct plan *pl, const uint8_t pub[32], struct plan_link_info *out)
{
    const struct plan_link *l = plan_link_find(pl, pub);

    if (!l)
        return -ENOENT;
    out->flags = l->flags;
    out->st = l->st;
    out->last_data = l->last_data;
    out->last_frame = l->last_frame;
    out->last_rx = l->last_rx;
    out->ring_rx = l->ring_rx;
    out->echo_sent = l->echo_sent;
    out->close_asked = l->close_asked;
    return 0;
}

void plan_on_rx(struct plan *pl, const uint8_t pub[32], uint64_t now)
{
    struct plan_link *l = plan_link_add(pl, pub);

    if (l)
        l->last_rx = now;
}

void plan_on_data(struct plan *pl, const uint8_t pub[32], uint64_t now)
{
    struct plan_link *l = plan_link_add(pl, pub);

    if (l)
        l->last_data = now;
}

void plan_on_frame(struct plan *pl, const uint8_t pub[32], uint64_t now)
{
    struct plan_link *l = plan_link_add(pl, pub);

    if (l)
        l->last_data = l->last_frame = now;
}

void plan_on_ring_rx(struct plan *pl, const uint8_t pub[32], uint64_t now)
{
    struct plan_link *l = plan_link_add(pl, pub);

    if (l)
        l->last_data = l->ring_rx = now;
}

uint64_t plan_links_declined(const struct plan *pl)
{
    return pl->links_declined;
}

uint64_t plan_idle_ns(const struct plan *pl)
{
    return pl->idle_ns;
}

/* ---- idle links ----------------------------------------------------------- */

/*
 * May the link to @l go, as far as we are concerned? Not a [Peer] with an
 * Endpoint without an Authority (static admission: the [Peer]s are the
 * overlay), not one of our ring neighbours, and nothing carried for @idle.
 * With an Authority [Peer]s only say whom to contact first, so once we are
 * a member they are links like any other.
 */
static bool plan_idle_ok(const struct plan *pl, const struct plan_link *l, uint64_t now,
                         uint64_t idle)
{
    if ((l->flags & PLAN_LF_PINNED) || now - l->last_data < idle)
        return false;
    if ((l->flags & PLAN_LF_PEER) && l->st != PLAN_LINK_UP)
        return false;
    return !plan_is_neighbour(pl, &l->id, now);
}

/* The session is dropped: a host learned through the ring goes, a [Peer] stays. */
static void plan_dropped(struct plan *pl, struct plan_link *l)
{
    if (l->flags & PLAN_LF_PEER)
        plan_link_closed(pl, l->pub, false);
    else
        plan_link_del(pl, l);
}

/*
 * Closing is agreed, not imposed: we ask (CLOSE with REQUEST), and the
 * other side closes and answers CLOSE only if it does not need the link
 * either (we may be its successor or finger while it is neither of ours).
 * Closing one-sidedly would also lose what it sent us meanwhile, and a
 * ring request lost that way makes its sender shun us as dead.
 */
enum plan_close_verdict plan_on_close_msg(struct plan *pl, const uint8_t pub[32],
                                          enum plan_close_msg m, uint64_t now)
{
    struct plan_link *l = plan_link_find(pl, pub);
    unsigned i;

    switch (m) {
    case PLAN_CLOSE_MSG_CLOSED:
        if (l)
            plan_dropped(pl, l);
        return PLAN_CLOSE_DROP;
    case PLAN_CLOSE_MSG_DECLINE:
        i = pl->declined_next++ % PLAN_DECLINED_MAX;
        memcpy(pl->declined[i].pub, pub, 32);
        pl->declined[i].until = now + PLAN_DECLINE_S * PLAN_SEC;
        if (l)
            plan_dropped(pl, l);
        return PLAN_CLOSE_DROP;
    case PLAN_CLOSE_MSG_REQUEST:
        if (!l || !plan_active(pl) || !plan_idle_ok(pl, l, now, pl->idle_ns / 2))
            return PLAN_CLOSE_IGNORE;
        plan_dropped(pl, l);
        return PLAN_CLOSE_AGREE;
    case PLAN_CLOSE_MSG_OTHER:
        break;
    }
    return PLAN_CLOSE_IGNORE;
}

static int plan_cmp_last_data(const void *a, const void *b)
{
    const struct plan_link *x = *(struct plan_link *const *)a, *y = *(struct plan_link *const *)b;

    return x->last_data < y->last_data ? -1 : x->last_data > y->last_data;
}

/*
 * Links stay O(log n) by construction, not only on average: a host is the
 * finger of every host whose finger start falls in the gap before it, and
 * with an unlucky gap that is many. Over plan_link_cap() links we decline
 * the least recently used of the hosts that chose us (not our own
 * neighbours, carrying no frames): they stop using us as a neighbour for
 * PLAN_DECLINE_S and relay through others instead (one hop longer at
 * most: their successor always makes progress).
 */
static void plan_cap_links(struct plan *pl, uint64_t now, struct plan_actions *out)
{
    struct plan_link *cand[PLAN_LINKS_MAX];
    size_t up = 0, nc = 0;
    unsigned cap = plan_link_cap(pl);

    for (size_t i = 0; i < PLAN_SLOTS; i++)
        up += pl->slot[i].used && pl->slot[i].st == PLAN_LINK_UP;
    if (up <= cap)
        return;
    for (size_t i = 0; i < PLAN_SLOTS; i++) {
        struct plan_link *l = &pl->slot[i];

        if (!l->used || l->st != PLAN_LINK_UP || (l->flags & PLAN_LF_PINNED) ||
            (l->last_frame && now - l->last_frame < pl->idle_ns))
            continue;
        if (!plan_is_neighbour(pl, &l->id, now))
            cand[nc++] = l;
    }
    qsort(cand, nc, sizeof(cand[0]), plan_cmp_last_data);
    /* Pointers first, deletions after: a deletion moves other entries. */
    for (size_t i = 0; i < nc && up > cap; i++, up--) {
        if (!plan_add_action(out, PLAN_ACT_DECLINE, cand[i]->pub))
            break;
        pl->links_declined++;
    }
    for (unsigned i = 0; i < out->n; i++) {
        struct plan_link *l;

        if (out->a[i].kind == PLAN_ACT_DECLINE && (l = plan_link_find(pl, out->a[i].pub)))
            plan_dropped(pl, l);
    }
}

void plan_idle_scan(struct plan *pl, uint64_t now, struct plan_actions *out)
{
    uint8_t gone[PLAN_ACTIONS_MAX][32];
    unsigned ngone = 0;

    plan_cap_links(pl, now, out);
    for (size_t i = 0; i < PLAN_SLOTS; i++) {
        struct plan_link *l = &pl->slot[i];

        if (!l->used || !plan_idle_ok(pl, l, now, pl->idle_ns) ||
            (l->close_asked && now - l->close_asked < pl->idle_ns))
            continue;
        if (l->st != PLAN_LINK_UP) {
            /* nothing to agree on */
            if (!plan_add_action(out, PLAN_ACT_CLOSE, l->pub))
                break;
            memcpy(gone[ngone++], l->pub, 32);
            continue;
        }
        if (!plan_add_action(out, PLAN_ACT_ASK_CLOSE, l->pub))
            break;
        l->close_asked = now;
    }
    for (unsigned i = 0; i < ngone; i++) {
        struct plan_link *l = plan_link_find(pl, gone[i]);

        if (l)
            plan_dropped(pl, l);
    }
}
