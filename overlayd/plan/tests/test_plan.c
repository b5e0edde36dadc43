/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * overlayd/plan/ with literal timestamps: idle close, CLOSE requests, the
 * link cap, bootstrap and rejoin, the republish schedule, deadlines, paths,
 * and plan_next_hop() against a naive oracle on random ring layouts.
 */
#include <stdlib.h>
#include <string.h>

#include "crypto/ringid.h"
#include "lib/check.h"
#include "overlayd/plan/plan.h"

#define S(x) ((uint64_t)(x) * PLAN_SEC)
#define MS(x) ((uint64_t)(x) * PLAN_MS)

static uint64_t rng_state = 0x9e3779b97f4a7c15ull;

static uint64_t rnd(void)
{
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 7;
    rng_state ^= rng_state << 17;
    return rng_state;
}

static void mkpub(uint8_t pub[32])
{
    for (unsigned i = 0; i < 32; i += 8) {
        uint64_t v = rnd();

        memcpy(pub + i, &v, 8);
    }
}

static void mkpeer(ring_peer *p)
{
    memset(p, 0, sizeof(*p));
    mkpub(p->pub);
    ringid_from_pubkey(p->id.b, p->pub);
}

static uint8_t self_pub[32];
static ring_id self_id;

/* A fresh host whose ring id is below (@low) or above every one of @n peers. */
static struct plan *mkplan(uint8_t (*peers)[32], size_t n, uint64_t idle, int low)
{
    struct plan_config cfg = { .idle_ns = idle, .peers = (const uint8_t (*)[32])peers,
                               .n_peers = n };

    for (;;) {
        bool lowest = true;

        mkpub(self_pub);
        ringid_from_pubkey(self_id.b, self_pub);
        for (size_t i = 0; i < n; i++) {
            ring_id o;

            ringid_from_pubkey(o.b, peers[i]);
            if (ring_id_cmp(&o, &self_id) < 0)
                lowest = false;
        }
        if (low < 0 || lowest == (low == 1))
            break;
    }
    memcpy(cfg.self_pub, self_pub, 32);
    return plan_new(&cfg);
}

static struct plan_ring_view view;

/* Active, with @nb as neighbours: nb[0] the successor, nb[1] the predecessor. */
static void set_view(struct plan *pl, enum ring_state st, const ring_peer *nb, unsigned n,
                     unsigned cap, uint64_t now)
{
    memset(&view, 0, sizeof(view));
    view.state = st;
    view.succ = n ? nb[0].id : self_id;
    view.has_pred = n > 1;
    if (n > 1)
        view.pred = nb[1].id;
    view.link_cap = cap;
    view.n_nb = n;
    if (n)
        memcpy(view.nb, nb, n * sizeof(*nb));
    plan_on_ring(pl, &view, now);
}

/* Actions of kind @k (for @pub, when not NULL) produced by running the
 * plan from its next deadline up to @until; when the first was, in *@at. */
struct run {
    unsigned count;
    uint64_t at;
};

static struct plan_actions acts;

static struct run run_until(struct plan *pl, uint64_t until, enum plan_action_kind k,
                            const uint8_t *pub)
{
    struct run r = { 0, 0 };
    uint64_t now;

    while ((now = plan_next_deadline(pl)) <= until) {
        plan_on_timeout(pl, now, &acts);
        CHECK(plan_next_deadline(pl) > now);
        for (unsigned i = 0; i < acts.n; i++) {
            if (acts.a[i].kind != k || (pub && memcmp(acts.a[i].pub, pub, 32) != 0))
                continue;
            if (!r.count++)
                r.at = now;
        }
    }
    return r;
}

static void test_idle_close(void)
{
    ring_peer nb[2], x;
    struct plan *pl = mkplan(NULL, 0, S(10), -1);
    struct run r;

    mkpeer(&nb[0]);
    mkpeer(&nb[1]);
    mkpeer(&x);
    plan_link_state(pl, x.pub, PLAN_LF_HAS_EP, PLAN_LINK_UP);
    plan_link_state(pl, nb[0].pub, PLAN_LF_HAS_EP, PLAN_LINK_UP);
    set_view(pl, RING_ACTIVE, nb, 2, 0, S(1));
    plan_on_data(pl, x.pub, S(2));
    plan_on_data(pl, nb[0].pub, S(2));
    r = run_until(pl, S(11) + MS(999), PLAN_ACT_ASK_CLOSE, NULL);
    CHECK(r.count == 0);                          /* idle for less than 10 s */
    r = run_until(pl, S(13), PLAN_ACT_ASK_CLOSE, x.pub);
    CHECK(r.count == 1 && r.at >= S(12) && r.at <= S(13));
    r = run_until(pl, S(20), PLAN_ACT_ASK_CLOSE, NULL);
    CHECK(r.count == 0);                          /* asked once per idle time; nb[0] kept */
    r = run_until(pl, S(24), PLAN_ACT_ASK_CLOSE, x.pub);
    CHECK(r.count == 1);                          /* and again after it */
    plan_free(pl);

    /* Relays through a link are no use of it: a link that only carries
     * our relays (a shortcut for ring traffic) still goes idle. */
    pl = mkplan(NULL, 0, S(10), -1);
    plan_link_state(pl, x.pub, PLAN_LF_HAS_EP, PLAN_LINK_UP);
    set_view(pl, RING_ACTIVE, nb, 2, 0, S(1));
    plan_on_data(pl, x.pub, S(2));
    for (uint64_t t = S(3); t < S(13); t += MS(500)) {
        plan_on_rx(pl, x.pub, t);
        plan_on_relay_sent(pl, x.pub, t);
    }
    r = run_until(pl, S(13), PLAN_ACT_ASK_CLOSE, x.pub);
    CHECK(r.count == 1, "a link carrying only our relays is asked to close");
    plan_free(pl);
}

static void test_close_request(void)
{
    ring_peer nb[2], x;
    struct plan *pl = mkplan(NULL, 0, S(10), -1);

    mkpeer(&nb[0]);
    mkpeer(&nb[1]);
    mkpeer(&x);
    plan_link_state(pl, x.pub, PLAN_LF_HAS_EP, PLAN_LINK_UP);
    plan_link_state(pl, nb[0].pub, PLAN_LF_HAS_EP, PLAN_LINK_UP);
    /* Not a member yet: never. */
    CHECK(plan_on_close_msg(pl, x.pub, PLAN_CLOSE_MSG_REQUEST, S(30)) == PLAN_CLOSE_IGNORE);
    set_view(pl, RING_ACTIVE, nb, 2, 0, S(1));
    plan_on_data(pl, x.pub, S(2));
    plan_on_data(pl, nb[0].pub, S(2));
    CHECK(plan_on_close_msg(pl, x.pub, PLAN_CLOSE_MSG_REQUEST, S(6)) == PLAN_CLOSE_IGNORE);
    CHECK(plan_on_close_msg(pl, nb[0].pub, PLAN_CLOSE_MSG_REQUEST, S(60)) == PLAN_CLOSE_IGNORE);
    CHECK(plan_on_close_msg(pl, x.pub, PLAN_CLOSE_MSG_REQUEST, S(7)) == PLAN_CLOSE_AGREE);
    CHECK(plan_link_get(pl, x.pub, &(struct plan_link_info){ 0 }) < 0);   /* gone */
    /* A pinned [Peer] stays whatever it asks. */
    plan_link_state(pl, x.pub, PLAN_LF_PEER | PLAN_LF_PINNED | PLAN_LF_HAS_EP, PLAN_LINK_UP);
    CHECK(plan_on_close_msg(pl, x.pub, PLAN_CLOSE_MSG_REQUEST, S(60)) == PLAN_CLOSE_IGNORE);
    /* A decline makes a finger no neighbour for PLAN_DECLINE_S, never the successor. */
    nb[1] = x;
    set_view(pl, RING_ACTIVE, (ring_peer[]){ nb[0], nb[1], x }, 3, 0, S(61));
    mkpeer(&x);
    view.nb[2] = x;
    plan_on_ring(pl, &view, S(61));
    CHECK(plan_is_neighbour(pl, &x.id, S(61)));
    CHECK(plan_on_close_msg(pl, x.pub, PLAN_CLOSE_MSG_DECLINE, S(62)) == PLAN_CLOSE_DROP);
    CHECK(!plan_is_neighbour(pl, &x.id, S(63)));
    CHECK(plan_is_neighbour(pl, &x.id, S(62) + S(PLAN_DECLINE_S)));
    CHECK(plan_on_close_msg(pl, nb[0].pub, PLAN_CLOSE_MSG_DECLINE, S(62)) == PLAN_CLOSE_DROP);
    CHECK(plan_is_neighbour(pl, &nb[0].id, S(63)));
    plan_free(pl);
}

static void test_link_cap(void)
{
    ring_peer nb[2], h[12];
    struct plan *pl = mkplan(NULL, 0, S(120), -1);
    unsigned declined = 0;

    mkpeer(&nb[0]);
    mkpeer(&nb[1]);
    for (unsigned i = 0; i < 12; i++) {
        mkpeer(&h[i]);
        plan_link_state(pl, h[i].pub, PLAN_LF_HAS_EP, PLAN_LINK_UP);
        plan_on_data(pl, h[i].pub, S(1) + MS(i));   /* h[0] least recently used */
    }
    nb[0] = h[0];                                    /* our successor: kept */
    set_view(pl, RING_ACTIVE, nb, 2, 8, S(1));
    plan_on_frame(pl, h[1].pub, S(1));               /* carries frames: kept */
    plan_on_timeout(pl, S(2) + MS(PLAN_SCAN_MS), &acts);
    for (unsigned i = 0; i < acts.n; i++) {
        if (acts.a[i].kind != PLAN_ACT_DECLINE)
            continue;
        declined++;
        for (unsigned k = 0; k < 12; k++)
            if (!memcmp(acts.a[i].pub, h[k].pub, 32))
                CHECK(k >= 2 && k <= 5);             /* the four least recently used */
    }
    CHECK(declined == 4 && plan_links_declined(pl) == 4);
    plan_free(pl);
}

static int cmp_pub_id(const void *a, const void *b)
{
    ring_id x, y;

    ringid_from_pubkey(x.b, a);
    ringid_from_pubkey(y.b, b);
    return ring_id_cmp(&x, &y);
}

static void test_bootstrap(void)
{
    uint8_t peers[3][32];
    struct plan *pl = mkplan(NULL, 0, 0, -1);
    struct run r;

    /* No [Peer]: create at once (and again until the node is active). */
    CHECK(plan_next_deadline(pl) <= S(1));
    plan_on_timeout(pl, S(1), &acts);
    CHECK(acts.n == 1 && acts.a[0].kind == PLAN_ACT_CREATE);
    set_view(pl, RING_ACTIVE, NULL, 0, 0, S(1));
    CHECK(run_until(pl, S(30), PLAN_ACT_CREATE, NULL).count == 0);
    plan_free(pl);

    for (unsigned i = 0; i < 3; i++)
        mkpub(peers[i]);
    qsort(peers, 3, 32, cmp_pub_id);
    pl = mkplan(peers, 3, 0, 0);
    for (unsigned i = 0; i < 3; i++)
        plan_link_state(pl, peers[i], PLAN_LF_PEER | PLAN_LF_PINNED | PLAN_LF_HAS_EP,
                        PLAN_LINK_UP);
    plan_on_timeout(pl, S(1), &acts);
    CHECK(acts.n == 1 && acts.a[0].kind == PLAN_ACT_JOIN && !memcmp(acts.a[0].pub, peers[0], 32));
    set_view(pl, RING_JOINING, NULL, 0, 0, S(1));
    CHECK(plan_next_deadline(pl) == S(1) + MS(PLAN_JOIN_TRY_MS));
    r = run_until(pl, S(1) + MS(PLAN_JOIN_TRY_MS) - 1, PLAN_ACT_JOIN, NULL);
    CHECK(r.count == 0);
    plan_on_timeout(pl, S(1) + MS(PLAN_JOIN_TRY_MS), &acts);
    CHECK(acts.n == 1 && acts.a[0].kind == PLAN_ACT_JOIN && !memcmp(acts.a[0].pub, peers[1], 32));
    /* A failed join moves on at once. */
    set_view(pl, RING_IDLE, NULL, 0, 0, S(3));
    plan_on_joined(pl, S(3));
    CHECK(plan_next_deadline(pl) == S(3));
    /* Every other try goes back to the lowest, the one that creates the
     * ring; the others take their turns between. */
    plan_on_timeout(pl, S(3), &acts);
    CHECK(acts.n == 1 && acts.a[0].kind == PLAN_ACT_JOIN && !memcmp(acts.a[0].pub, peers[0], 32));
    set_view(pl, RING_IDLE, NULL, 0, 0, S(4));
    plan_on_joined(pl, S(4));
    plan_on_timeout(pl, S(4), &acts);
    CHECK(acts.n == 1 && acts.a[0].kind == PLAN_ACT_JOIN && !memcmp(acts.a[0].pub, peers[2], 32));
    plan_free(pl);
}

static void test_lowest_creates(void)
{
    uint8_t peers[2][32];
    struct plan *pl;
    struct run r;

    mkpub(peers[0]);
    mkpub(peers[1]);
    pl = mkplan(peers, 2, 0, 1);
    for (unsigned i = 0; i < 2; i++)
        plan_link_state(pl, peers[i], PLAN_LF_PEER | PLAN_LF_HAS_EP, PLAN_LINK_DOWN);
    plan_on_timeout(pl, S(1), &acts);
    CHECK(acts.n == 2 && acts.a[0].kind == PLAN_ACT_CONNECT);   /* asks its [Peer]s */
    r = run_until(pl, S(1) + S(PLAN_CREATE_WAIT_S), PLAN_ACT_CREATE, NULL);
    CHECK(r.count == 0);
    r = run_until(pl, S(4), PLAN_ACT_CREATE, NULL);
    CHECK(r.count >= 1 && r.at > S(1) + S(PLAN_CREATE_WAIT_S) && r.at <= S(3) + MS(PLAN_BOOT_RETRY_MS));
    plan_free(pl);

    /* A [Peer] answered a lookup: the ring exists, wait for it. */
    pl = mkplan(peers, 2, 0, 1);
    for (unsigned i = 0; i < 2; i++)
        plan_link_state(pl, peers[i], PLAN_LF_PEER | PLAN_LF_HAS_EP, PLAN_LINK_DOWN);
    plan_on_timeout(pl, S(1), &acts);
    plan_member_seen(pl, S(1));
    r = run_until(pl, S(1) + S(PLAN_MEMBER_SEEN_S), PLAN_ACT_CREATE, NULL);
    CHECK(r.count == 0);
    r = run_until(pl, S(12), PLAN_ACT_CREATE, NULL);
    CHECK(r.count >= 1 && r.at > S(11) && r.at <= S(11) + MS(PLAN_BOOT_RETRY_MS));
    plan_free(pl);

    /* Not the lowest: never creates. */
    pl = mkplan(peers, 2, 0, 0);
    plan_on_timeout(pl, S(1), &acts);
    r = run_until(pl, S(30), PLAN_ACT_CREATE, NULL);
    CHECK(r.count == 0);
    plan_free(pl);
}

static void test_alone_rejoin(void)
{
    uint8_t peers[1][32];
    struct plan *pl;
    struct run r;

    mkpub(peers[0]);
    pl = mkplan(peers, 1, 0, 1);
    plan_link_state(pl, peers[0], PLAN_LF_PEER | PLAN_LF_HAS_EP, PLAN_LINK_UP);
    set_view(pl, RING_ACTIVE, NULL, 0, 0, S(2));     /* we created it, alone */
    r = run_until(pl, S(2) + S(PLAN_ALONE_S) - 1, PLAN_ACT_JOIN, NULL);
    CHECK(r.count == 0);
    plan_on_timeout(pl, S(2) + S(PLAN_ALONE_S), &acts);
    r.count = 0;
    for (unsigned i = 0; i < acts.n; i++)
        if (acts.a[i].kind == PLAN_ACT_JOIN && acts.a[i].rejoin &&
            !memcmp(acts.a[i].pub, peers[0], 32))
            r.count++;
    CHECK(r.count == 1);
    plan_free(pl);

    /* Not alone: no rejoin. */
    pl = mkplan(peers, 1, 0, 1);
    plan_link_state(pl, peers[0], PLAN_LF_PEER | PLAN_LF_HAS_EP, PLAN_LINK_UP);
    {
        ring_peer nb[1];

        mkpeer(&nb[0]);
        set_view(pl, RING_ACTIVE, nb, 1, 0, S(2));
    }
    r = run_until(pl, S(30), PLAN_ACT_JOIN, NULL);
    CHECK(r.count == 0);
    plan_free(pl);
}

static void test_republish(void)
{
    static const unsigned want[] = { 11, 14, 20, 32, 56 };
    ring_peer nb[2];
    struct plan *pl = mkplan(NULL, 0, 0, -1);
    unsigned n = 0;
    uint64_t now;

    mkpeer(&nb[0]);
    mkpeer(&nb[1]);
    set_view(pl, RING_ACTIVE, nb, 2, 0, S(10));
    while ((now = plan_next_deadline(pl)) <= S(200)) {
        plan_on_timeout(pl, now, &acts);
        CHECK(plan_next_deadline(pl) > now);
        for (unsigned i = 0; i < acts.n; i++) {
            if (acts.a[i].kind != PLAN_ACT_REPUBLISH)
                continue;
            CHECK(n < 5 && now == S(want[n]));
            n++;
        }
    }
    CHECK(n == 5);
    /* The same neighbours again: nothing new. */
    set_view(pl, RING_ACTIVE, nb, 2, 0, S(201));
    CHECK(run_until(pl, S(300), PLAN_ACT_REPUBLISH, NULL).count == 0);
    plan_free(pl);
}

static void test_route(void)
{
    ring_peer nb[4], to, hop;
    struct plan *pl = mkplan(NULL, 0, 0, -1);
    struct plan_path path;
    ring_id best, dist;
    unsigned bi = 0, second = 0;

    for (unsigned i = 0; i < 4; i++)
        mkpeer(&nb[i]);
    /* A destination no neighbour is: retry until one is closer than us. */
    do {
        mkpeer(&to);
        ring_id_dist(&best, &self_id, &to.id);
        bi = 4;
        for (unsigned i = 0; i < 4; i++) {
            ring_id_dist(&dist, &nb[i].id, &to.id);
            if (ring_id_cmp(&dist, &best) < 0) {
                best = dist;
                second = bi;
                bi = i;
            }
        }
    } while (bi == 4 || second == 4);
    for (unsigned i = 0; i < 4; i++)
        plan_link_state(pl, nb[i].pub, PLAN_LF_HAS_EP, PLAN_LINK_UP);
    plan_route(pl, &to, S(1), &path);
    CHECK(path.kind == PLAN_PATH_DIRECT);            /* not a member */
    set_view(pl, RING_ACTIVE, nb, 4, 0, S(1));
    plan_route(pl, &to, S(5), &path);
    CHECK(path.kind == PLAN_PATH_DIRECT);            /* settling */
    plan_route(pl, &to, S(1) + S(PLAN_SETTLE_S), &path);
    CHECK(path.kind == PLAN_PATH_RELAY && ring_id_eq(&path.hop.id, &nb[bi].id));
    plan_route(pl, &nb[2], S(20), &path);
    CHECK(path.kind == PLAN_PATH_DIRECT);            /* a neighbour */
    /* The hop goes silent: probed once, skipped while unanswered. */
    plan_on_rx(pl, nb[bi].pub, S(20));
    CHECK(!plan_on_relay_sent(pl, nb[bi].pub, S(20) + MS(500)));
    CHECK(plan_on_relay_sent(pl, nb[bi].pub, S(22)));
    CHECK(!plan_on_relay_sent(pl, nb[bi].pub, S(22) + MS(100)));
    CHECK(plan_next_hop(pl, &to.id, S(23), &hop) && ring_id_eq(&hop.id, &nb[bi].id));
    CHECK(plan_next_hop(pl, &to.id, S(23) + 1, &hop) && ring_id_eq(&hop.id, &nb[second].id));
    plan_on_rx(pl, nb[bi].pub, S(24));               /* it answered */
    CHECK(plan_next_hop(pl, &to.id, S(24), &hop) && ring_id_eq(&hop.id, &nb[bi].id));
    /* Someone who just spoke to us over its link gets its answer directly. */
    plan_link_state(pl, to.pub, PLAN_LF_HAS_EP, PLAN_LINK_UP);
    plan_on_ring_rx(pl, to.pub, S(30));
    plan_route(pl, &to, S(31), &path);
    CHECK(path.kind == PLAN_PATH_DIRECT);
    plan_free(pl);
}

/* A relay passed on: to the next hop, else over the destination's own up
 * link, else nowhere. */
static void test_forward(void)
{
    ring_peer nb[2], dest;
    struct plan *pl = mkplan(NULL, 0, 0, -1);
    struct plan_path path;
    ring_id d0, d1, ds;

    /* Neighbours both farther from @dest than we are: no next hop. */
    do {
        mkpeer(&nb[0]);
        mkpeer(&nb[1]);
        mkpeer(&dest);
        ring_id_dist(&ds, &self_id, &dest.id);
        ring_id_dist(&d0, &nb[0].id, &dest.id);
        ring_id_dist(&d1, &nb[1].id, &dest.id);
    } while (ring_id_cmp(&d0, &ds) < 0 || ring_id_cmp(&d1, &ds) < 0);
    set_view(pl, RING_ACTIVE, nb, 2, 0, S(1));
    plan_route_forward(pl, dest.pub, S(2), &path);
    CHECK(path.kind == PLAN_PATH_NONE);
    plan_link_state(pl, dest.pub, 0, PLAN_LINK_UP);    /* up, but no endpoint: not a hop */
    plan_route_forward(pl, dest.pub, S(2), &path);
    CHECK(path.kind == PLAN_PATH_DIRECT && !memcmp(path.hop.pub, dest.pub, 32));
    plan_link_state(pl, dest.pub, PLAN_LF_HAS_EP, PLAN_LINK_UP);
    plan_route_forward(pl, dest.pub, S(2), &path);
    CHECK(path.kind == PLAN_PATH_RELAY && ring_id_eq(&path.hop.id, &dest.id));
    plan_free(pl);
}

/* The link table against a plain array: entries reported, forgotten and
 * stamped at random, with keys crowding a few home slots. */
static void test_table(void)
{
    enum { K = 600 };
    static uint8_t pubs[K][32];
    static bool in[K];
    static uint64_t stamp[K];
    struct plan *pl = mkplan(NULL, 0, 0, -1);
    unsigned bad = 0;

    for (unsigned i = 0; i < K; i++) {
        mkpub(pubs[i]);
        /* 16 home slots for 600 keys, around the table's wrap-around */
        unsigned home = (unsigned)(2 * PLAN_LINKS_MAX - 8 + rnd() % 16) % (2 * PLAN_LINKS_MAX);

        memset(pubs[i], 0, 8);
        pubs[i][6] = (uint8_t)(home >> 8);
        pubs[i][7] = (uint8_t)home;
    }
    for (unsigned round = 0; round < 300; round++) {
        plan_links_begin(pl);
        for (unsigned i = 0; i < K; i++) {
            if (rnd() % 3 == 0)
                in[i] = !in[i];
            if (in[i])
                CHECK(plan_link_state(pl, pubs[i], 0, PLAN_LINK_UP) == 0);
        }
        plan_links_end(pl);
        for (unsigned i = 0; i < K; i++) {
            struct plan_link_info li;
            bool has = plan_link_get(pl, pubs[i], &li) == 0;

            if (!in[i])
                stamp[i] = 0;
            bad += has != in[i] || (has && li.last_data != stamp[i]);
            if (in[i] && rnd() % 4 == 0)
                plan_on_data(pl, pubs[i], stamp[i] = S(round + 1));
        }
    }
    CHECK(bad == 0);
    plan_free(pl);
}

/* ---- naive oracle ---------------------------------------------------------- */

static unsigned __int128 id128(const ring_id *id)
{
    unsigned __int128 v = 0;

    for (unsigned i = 0; i < 16; i++)
        v = v << 8 | id->b[i];
    return v;
}

struct cand {
    ring_peer p;
    bool declined, silent, mandatory;
};

/* Every candidate, every distance, the smallest eligible one below ours. */
static bool oracle_next_hop(const struct cand *c, unsigned n, const ring_id *dest, ring_id *out)
{
    unsigned __int128 d = id128(dest), best = d - id128(&self_id);
    bool found = false;

    for (unsigned i = 0; i < n; i++) {
        unsigned __int128 dist = d - id128(&c[i].p.id);
        bool at_dest = dist == 0;

        if (c[i].silent || (c[i].declined && !at_dest && !c[i].mandatory))
            continue;
        if (dist < best) {
            best = dist;
            *out = c[i].p.id;
            found = true;
        }
    }
    return found;
}

static void test_oracle(void)
{
    unsigned mismatches = 0, hops = 0;

    for (unsigned t = 0; t < 200; t++) {
        struct plan *pl = mkplan(NULL, 0, 0, -1);
        unsigned n = 8 + (unsigned)(rnd() % 33), nnb = 0;
        struct cand c[40];
        ring_peer nb[40], got;
        ring_id want, dest;
        uint64_t now = S(100);
        bool a, b;

        for (unsigned i = 0; i < n; i++) {
            memset(&c[i], 0, sizeof(c[i]));
            mkpeer(&c[i].p);
        }
        /* Neighbours (the first two: successor, predecessor) and up links. */
        for (unsigned i = 0; i < n; i++) {
            unsigned role = (unsigned)(rnd() % 3);

            if (i < 2 || role == 0)
                nb[nnb++] = c[i].p;
            else
                plan_link_state(pl, c[i].p.pub, PLAN_LF_HAS_EP, PLAN_LINK_UP);
            if (i < 2)
                c[i].mandatory = true;
        }
        set_view(pl, RING_ACTIVE, nb, nnb, 0, S(1));
        for (unsigned i = 0; i < n; i++) {
            if (rnd() % 5 == 0) {
                plan_on_close_msg(pl, c[i].p.pub, PLAN_CLOSE_MSG_DECLINE, S(90));
                c[i].declined = true;
                /* declining drops a link: it is no candidate then */
                if (!c[i].mandatory && plan_link_get(pl, c[i].p.pub, &(struct plan_link_info){ 0 }) < 0) {
                    bool is_nb = false;

                    for (unsigned k = 0; k < nnb; k++)
                        is_nb |= ring_id_eq(&nb[k].id, &c[i].p.id);
                    if (!is_nb)
                        c[i].silent = true;      /* excluded */
                }
            } else if (rnd() % 6 == 0) {
                plan_on_rx(pl, c[i].p.pub, S(50));
                plan_on_relay_sent(pl, c[i].p.pub, S(60));
                c[i].silent = true;
            }
        }
        if (rnd() % 4 == 0)
            dest = c[rnd() % n].p.id;
        else
            mkpeer(&got), dest = got.id;
        a = plan_next_hop(pl, &dest, now, &got);
        b = oracle_next_hop(c, n, &dest, &want);
        if (a != b || (a && !ring_id_eq(&got.id, &want)))
            mismatches++;
        hops += a;
        plan_free(pl);
    }
    CHECK(mismatches == 0);
    CHECK(hops > 100);                               /* the trials did route */
}

int main(void)
{
    test_idle_close();
    test_close_request();
    test_link_cap();
    test_bootstrap();
    test_lowest_creates();
    test_alone_rejoin();
    test_republish();
    test_route();
    test_forward();
    test_table();
    test_oracle();
    return CHECK_DONE();
}
