/* SPDX-License-Identifier: GPL-2.0-only */
/* Enclave broadcast cost on the simulated ring: unicast, and the daemon's
 * tree (plan_flood_split() at every hop) with and without suppression
 * (bcast.h). */
#include "routing/sim/bcast.h"
#include "routing/sim/engine_priv.h"
#include "routing/sim/links.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "overlayd/plan/plan.h"

/* The carriers (0..k-1 clockwise) and each one's candidates: its links to
 * other carriers, as carrier numbers and 64-bit ids. */
struct carriers {
    uint32_t k;
    uint32_t *pos;              /* oracle position of each carrier */
    uint64_t *id64;
    uint32_t *coff, *cand;      /* cand[coff[c] .. coff[c + 1]) */
    uint64_t *cid;
};

struct tree_item {
    uint32_t y, from, depth;
    uint64_t limit;
};

static uint64_t splitmix(uint64_t *s)
{
    uint64_t z = (*s += 0x9e3779b97f4a7c15ULL);

    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

/* k of the m members at random; rank[p] = carrier number or LINKS_NONE. */
static int pick(uint32_t m, uint32_t k, uint64_t seed, uint32_t *rank, struct carriers *c)
{
    uint32_t *perm = malloc((size_t)m * sizeof(*perm)), r = 0;
    uint64_t s = seed ^ 0xbca57ULL;

    if (!perm)
        return -ENOMEM;
    for (uint32_t i = 0; i < m; i++) {
        perm[i] = i;
        rank[i] = LINKS_NONE;
    }
    for (uint32_t i = 0; i < k; i++) {
        uint32_t j = i + (uint32_t)(splitmix(&s) % (m - i)), t = perm[i];

        perm[i] = perm[j];
        perm[j] = t;
        rank[perm[i]] = 0;
    }
    for (uint32_t p = 0; p < m; p++)
        if (rank[p] != LINKS_NONE) {
            c->pos[r] = p;
            rank[p] = r++;
        }
    free(perm);
    return 0;
}

static const ring_peer *peer_at(const struct eng *e, uint32_t p)
{
    return &e->h[e->orc[p].idx].peer;
}

/* Every carrier's enclave successor and predecessor, as the daemon's
 * ringd_keep_update() asks the plan for them. */
static int enclave_keep(struct eng *e, const struct carriers *c, const uint32_t *rank,
                        uint32_t (*keep)[2])
{
    ring_peer *hosts = malloc((size_t)c->k * sizeof(*hosts)), nb[2];

    if (!hosts)
        return -ENOMEM;
    for (uint32_t i = 0; i < c->k; i++)
        hosts[i] = *peer_at(e, c->pos[i]);
    for (uint32_t p = 0; p < e->norc; p++)
        keep[p][0] = keep[p][1] = LINKS_NONE;
    for (uint32_t i = 0; i < c->k; i++) {
        if (!plan_enclave_neighbours(&hosts[i].id, hosts, c->k, &nb[0], &nb[1]))
            continue;
        for (unsigned j = 0; j < 2; j++) {
            uint32_t p = eng_orc_lower(e->orc, e->norc, &nb[j].id);

            keep[c->pos[i]][j] = rank[p] != LINKS_NONE ? p : LINKS_NONE;
        }
        if (keep[c->pos[i]][1] == keep[c->pos[i]][0])
            keep[c->pos[i]][1] = LINKS_NONE;
    }
    free(hosts);
    return 0;
}

/* Candidates from the capped graph; counts ring and enclave links. */
static int candidates(const struct links_graph *g, const uint32_t *rank, struct carriers *c,
                      struct bcast_stats *out)
{
    uint32_t *l = malloc(links_max(g) * sizeof(*l)), cap = 0, n = 0;
    bool *ring = malloc(links_max(g) * sizeof(*ring));
    uint64_t rl = 0;

    c->coff = malloc(((size_t)c->k + 1) * sizeof(*c->coff));
    if (!l || !ring || !c->coff)
        goto nomem;
    for (uint32_t i = 0; i < c->k; i++) {
        unsigned nl = links_of(g, c->pos[i], l, ring);

        c->coff[i] = n;
        for (unsigned j = 0; j < nl; j++) {
            uint32_t r = rank[l[j]];

            if (r == LINKS_NONE)
                continue;
            if (n == cap) {
                uint32_t *a;
                uint64_t *b;

                cap = cap ? 2 * cap : 16 * c->k + 64;
                a = realloc(c->cand, cap * sizeof(*a));
                if (a)
                    c->cand = a;
                b = realloc(c->cid, cap * sizeof(*b));
                if (b)
                    c->cid = b;
                if (!a || !b)
                    goto nomem;
            }
            c->cand[n] = r;
            c->cid[n++] = c->id64[r];
            rl += ring[j];
            /* Each enclave link once, at its lower-numbered end. */
            if (r > i && (g->keep[c->pos[i]][0] == l[j] || g->keep[c->pos[i]][1] == l[j] ||
                          g->keep[l[j]][0] == c->pos[i] || g->keep[l[j]][1] == c->pos[i])) {
                out->enc_links++;
                out->enc_new += !ring[j];
            }
        }
    }
    c->coff[c->k] = n;
    out->ring_linked = (double)rl / c->k;
    free(l);
    free(ring);
    return 0;
nomem:
    free(l);
    free(ring);
    return -ENOMEM;
}

/* One broadcast from @o, each hop as flood_send(); per-host totals add up
 * in @sent and @recv. */
static void tree_run(const struct carriers *c, uint32_t o, struct tree_item *stk, uint32_t *got,
                     uint64_t *sent, uint64_t *recv, struct bcast_stats *out)
{
    struct plan_flood_hop hop[PLAN_FLOOD_MAX];
    uint64_t ids[PLAN_FLOOD_MAX];
    uint32_t who[PLAN_FLOOD_MAX];
    struct bcast_fig *f = &out->tree;
    uint32_t nstk = 0, smax = 0, dmax = 0;
    uint64_t msgs = 0, dsum = 0;

    memset(got, 0, c->k * sizeof(*got));
    got[o] = 1;
    stk[nstk++] = (struct tree_item){ .y = o, .from = LINKS_NONE, .limit = c->id64[o] };
    while (nstk) {
        struct tree_item it = stk[--nstk];
        unsigned n = 0, nh;

        for (uint32_t i = c->coff[it.y]; i < c->coff[it.y + 1] && n < PLAN_FLOOD_MAX; i++)
            if (c->cand[i] != it.from) {
                who[n] = c->cand[i];
                ids[n++] = c->cid[i];
            }
        nh = plan_flood_split(c->id64[it.y], it.limit, ids, n, hop);
        for (unsigned i = 0; i < nh; i++) {
            uint32_t to = who[hop[i].idx];

            recv[to]++;
            if (got[to]++) {
                out->dup++;
                continue;
            }
            stk[nstk++] = (struct tree_item){
                .y = to, .from = it.y, .depth = it.depth + 1, .limit = hop[i].limit };
            dsum += it.depth + 1;
            dmax = it.depth + 1 > dmax ? it.depth + 1 : dmax;
        }
        sent[it.y] += nh;
        msgs += nh;
        smax = nh > smax ? nh : smax;
    }
    for (uint32_t i = 0; i < c->k; i++)
        out->missed += !got[i];
    f->msgs += (double)msgs;
    f->sent_max += smax;
    f->sent_max_all = smax > f->sent_max_all ? smax : f->sent_max_all;
    f->depth_mean += (double)dsum / (c->k - 1);
    f->depth_max += dmax;
    f->depth_max_all = dmax > f->depth_max_all ? dmax : f->depth_max_all;
}

static void per_second(const uint64_t *sent, const uint64_t *recv, uint32_t k, double rate,
                       struct bcast_fig *f)
{
    double ss = 0, rs = 0, sm = 0, rm = 0;

    for (uint32_t i = 0; i < k; i++) {
        ss += (double)sent[i];
        rs += (double)recv[i];
        sm = (double)sent[i] > sm ? (double)sent[i] : sm;
        rm = (double)recv[i] > rm ? (double)recv[i] : rm;
    }
    f->sent_s_mean = rate * ss / k;
    f->sent_s_max = rate * sm;
    f->recv_s_mean = rate * rs / k;
    f->recv_s_max = rate * rm;
}

static int trees(const struct carriers *c, struct bcast_stats *out)
{
    uint32_t k = c->k, *got = malloc(k * sizeof(*got));
    uint64_t *sent = calloc(k, sizeof(*sent)), *recv = calloc(k, sizeof(*recv));
    struct tree_item *stk = malloc(((size_t)k + 1) * sizeof(*stk));   /* each carrier once */
    struct bcast_fig *f = &out->tree, *s = &out->supp_tree;
    double keep = 1 - out->supp;

    if (!got || !sent || !recv || !stk) {
        free(got);
        free(sent);
        free(recv);
        free(stk);
        return -ENOMEM;
    }
    for (uint32_t o = 0; o < k; o++)
        tree_run(c, o, stk, got, sent, recv, out);
    f->msgs /= k;
    f->sent_max /= k;
    f->depth_mean /= k;
    f->depth_max /= k;
    f->new_links = 2.0 * out->enc_new / k;
    per_second(sent, recv, k, out->rate, f);
    /* Suppressed: the same trees for the broadcasts that still go out. */
    *s = *f;
    s->msgs *= keep;
    s->sent_s_mean *= keep;
    s->sent_s_max *= keep;
    s->recv_s_mean *= keep;
    s->recv_s_max *= keep;
    free(got);
    free(sent);
    free(recv);
    free(stk);
    return 0;
}

/* Unicast: the origin sends k - 1 copies and opens a link to every carrier
 * it holds none to; every carrier gets one copy from each other. */
static void unicast(const struct carriers *c, struct bcast_stats *out)
{
    double k1 = c->k - 1;

    out->uni = (struct bcast_fig){
        .msgs = k1, .sent_max = k1, .sent_max_all = c->k - 1,
        .depth_mean = 1, .depth_max = 1, .depth_max_all = 1,
        .new_links = k1 - out->ring_linked,
        .sent_s_mean = out->rate * k1, .sent_s_max = out->rate * k1,
        .recv_s_mean = out->rate * k1, .recv_s_max = out->rate * k1,
    };
}

int bcast_measure(struct eng *e, uint32_t carriers, uint64_t seed, double rate, double supp,
                  struct bcast_stats *out)
{
    struct links_graph g;
    struct carriers c = { .k = carriers };
    uint32_t *rank = NULL, (*keep)[2] = NULL;
    long declined;
    int rc;

    memset(out, 0, sizeof(*out));
    out->rate = rate;
    out->supp = supp;
    rc = links_graph_build(e, NULL, &g);
    if (rc < 0)
        goto done;
    rc = -EINVAL;
    if (c.k > g.m)
        c.k = g.m;
    if (c.k < 2)
        goto done;
    out->hosts = g.m;
    out->carriers = c.k;
    rc = -ENOMEM;
    rank = malloc((size_t)g.m * sizeof(*rank));
    keep = malloc((size_t)g.m * sizeof(*keep));
    c.pos = malloc((size_t)c.k * sizeof(*c.pos));
    c.id64 = malloc((size_t)c.k * sizeof(*c.id64));
    if (!rank || !keep || !c.pos || !c.id64 || pick(g.m, c.k, seed, rank, &c) < 0)
        goto done;
    for (uint32_t i = 0; i < c.k; i++)
        c.id64[i] = plan_id64(&peer_at(e, c.pos[i])->id);
    if ((rc = enclave_keep(e, &c, rank, keep)) < 0)
        goto done;
    g.keep = keep;
    declined = links_graph_cap(&g);
    if (declined < 0) {
        rc = (int)declined;
        goto done;
    }
    out->declined = (uint32_t)declined;
    if ((rc = candidates(&g, rank, &c, out)) < 0)
        goto done;
    unicast(&c, out);
    rc = trees(&c, out);
done:
    links_graph_free(&g);
    free(rank);
    free(keep);
    free(c.pos);
    free(c.id64);
    free(c.coff);
    free(c.cand);
    free(c.cid);
    return rc;
}
