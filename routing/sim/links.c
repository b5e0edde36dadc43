/* SPDX-License-Identifier: GPL-2.0-only */
/* The link graph and relay paths of the simulated ring as every host's
 * own overlay plan (overlayd/plan/) decides them (links.h). */
#include "routing/sim/links.h"
#include "routing/sim/engine_priv.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "overlayd/plan/plan.h"

#define LINKS_T (1000 * PLAN_SEC)       /* the plans' "now" */

enum {
    LINKS_HOP_CAP = 4096,               /* far beyond any sane walk */
};

static uint64_t splitmix(uint64_t *s)
{
    uint64_t z = (*s += 0x9e3779b97f4a7c15ULL);

    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

static int cmp_u32(const void *a, const void *b)
{
    uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

    return (x > y) - (x < y);
}

static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

    return (x > y) - (x < y);
}

static const ring_peer *peer_at(const struct links_graph *g, uint32_t p)
{
    return &g->e->h[g->e->orc[p].idx].peer;
}

static const struct ring_node *node_at(const struct links_graph *g, uint32_t p)
{
    return g->e->h[g->e->orc[p].idx].node;
}

uint32_t links_position(const struct links_graph *g, const ring_id *id)
{
    uint32_t pos = eng_orc_lower(g->e->orc, g->m, id);

    return ring_id_eq(&g->e->orc[pos].id, id) ? pos : LINKS_NONE;
}

unsigned links_max(const struct links_graph *g)
{
    uint32_t most = 0;

    for (uint32_t v = 0; v < g->m; v++) {
        uint32_t d = g->off[v + 1] - g->off[v] + g->ioff[v + 1] - g->ioff[v];

        most = d > most ? d : most;
    }
    return most + 4;
}

unsigned links_of(const struct links_graph *g, uint32_t v, uint32_t *out, bool *ring)
{
    uint64_t tmp[PLAN_LINKS_MAX + 4];
    unsigned n = 0, w = 0;

    for (uint32_t k = g->off[v]; k < g->off[v + 1] && n < PLAN_LINKS_MAX; k++)
        if (g->adj[k] != LINKS_NONE && !g->cut[k])
            tmp[n++] = (uint64_t)g->adj[k] << 1 | 1;
    for (uint32_t i = g->ioff[v]; i < g->ioff[v + 1] && n < PLAN_LINKS_MAX; i++)
        if (!g->cut[g->in[i]])
            tmp[n++] = (uint64_t)g->src[g->in[i]] << 1 | 1;
    /* Enclave neighbours: v's own are exactly those that have v as theirs
     * (all carriers see the same host list), so one side lists them all. */
    for (unsigned j = 0; g->keep && j < 2; j++)
        if (g->keep[v][j] != LINKS_NONE && g->keep[v][j] != v)
            tmp[n++] = (uint64_t)g->keep[v][j] << 1;
    qsort(tmp, n, sizeof(tmp[0]), cmp_u64);
    /* A host listed twice (both chose each other, or an enclave neighbour
     * that is a ring link too) is one link, a ring link if either is. */
    for (unsigned i = 0; i < n; i++) {
        uint32_t u = (uint32_t)(tmp[i] >> 1);

        if (w && out[w - 1] == u) {
            ring[w - 1] = ring[w - 1] || (tmp[i] & 1);
            continue;
        }
        out[w] = u;
        ring[w++] = tmp[i] & 1;
    }
    return w;
}

static int in_build(struct links_graph *g)
{
    uint32_t *fill = calloc((size_t)g->m + 1, sizeof(*fill));
    uint64_t *key = malloc((g->nadj ? g->nadj : 1) * sizeof(*key));

    g->ioff = calloc((size_t)g->m + 1, sizeof(*g->ioff));
    g->in = malloc((g->nadj ? g->nadj : 1) * sizeof(*g->in));
    if (!fill || !key || !g->ioff || !g->in) {
        free(fill);
        free(key);
        return -ENOMEM;
    }
    for (size_t k = 0; k < g->nadj; k++)
        if (g->adj[k] != LINKS_NONE)
            g->ioff[g->adj[k] + 1]++;
    for (uint32_t v = 0; v < g->m; v++)
        g->ioff[v + 1] += g->ioff[v];
    for (size_t k = 0; k < g->nadj; k++) {
        uint32_t v = g->adj[k];

        if (v != LINKS_NONE)
            key[g->ioff[v] + fill[v]++] = (uint64_t)g->src[k] << 32 | (uint32_t)k;
    }
    /* By source, so the walk through them is in ring order. */
    for (uint32_t v = 0; v < g->m; v++) {
        uint32_t a = g->ioff[v], b = g->ioff[v + 1];

        qsort(key + a, b - a, sizeof(*key), cmp_u64);
        for (uint32_t i = a; i < b; i++)
            g->in[i] = (uint32_t)key[i];
    }
    free(fill);
    free(key);
    return 0;
}

int links_graph_build(struct eng *e, uint32_t (*keep)[2], struct links_graph *g)
{
    ring_peer nb[PLAN_NEIGHBOURS_MAX];
    size_t cap = 0;

    memset(g, 0, sizeof(*g));
    eng_orc_build(e);
    g->e = e;
    g->m = e->norc;
    g->keep = keep;
    if (g->m < 2)
        return -EINVAL;
    g->off = malloc(((size_t)g->m + 1) * sizeof(*g->off));
    if (!g->off)
        return -ENOMEM;
    for (uint32_t v = 0; v < g->m; v++) {
        unsigned k = ring_node_neighbours(node_at(g, v), nb, PLAN_NEIGHBOURS_MAX);

        g->off[v] = (uint32_t)g->nadj;
        if (g->nadj + k > cap) {
            size_t c = cap ? cap * 2 : (size_t)g->m * 16 + PLAN_NEIGHBOURS_MAX;
            uint32_t *a = realloc(g->adj, c * sizeof(*a));
            ring_peer *pa;

            if (!a)
                return -ENOMEM;
            g->adj = a;
            pa = realloc(g->nbp, c * sizeof(*pa));
            if (!pa)
                return -ENOMEM;
            g->nbp = pa;
            cap = c;
        }
        for (unsigned i = 0; i < k; i++) {
            uint32_t u = links_position(g, &nb[i].id);

            g->nbp[g->nadj] = nb[i];
            g->adj[g->nadj++] = u == v ? LINKS_NONE : u;
        }
    }
    g->off[g->m] = (uint32_t)g->nadj;
    g->src = malloc((g->nadj ? g->nadj : 1) * sizeof(*g->src));
    g->dec = calloc(g->nadj ? g->nadj : 1, 1);
    g->cut = calloc(g->nadj ? g->nadj : 1, 1);
    if (!g->src || !g->dec || !g->cut)
        return -ENOMEM;
    for (uint32_t v = 0; v < g->m; v++)
        for (uint32_t k = g->off[v]; k < g->off[v + 1]; k++)
            g->src[k] = v;
    return in_build(g);
}

void links_graph_free(struct links_graph *g)
{
    free(g->off);
    free(g->adj);
    free(g->nbp);
    free(g->src);
    free(g->dec);
    free(g->cut);
    free(g->ioff);
    free(g->in);
    memset(g, 0, sizeof(*g));
}

/* Clockwise distance u → v in the top 64 bits of the ids. */
static uint64_t cw64(const ring_id *u, const ring_id *v)
{
    return plan_id64(v) - plan_id64(u);
}

/*
 * v's plan as the daemon's glue (overlayd/ring/ringd_plan.c) would have
 * fed it by now: the ring view, the declines it got, its links, their use
 * and its enclave neighbours. @scratch holds links_max() positions.
 */
static struct plan *host_plan(const struct links_graph *g, uint32_t v, uint32_t *scratch)
{
    const struct ring_node *n = node_at(g, v);
    const ring_peer *self = peer_at(g, v), *pred = ring_node_pred(n);
    struct plan_config cfg = { .idle_ns = 0 };
    struct plan_ring_view *view = malloc(sizeof(*view));
    bool ring[PLAN_LINKS_MAX + 4];
    ring_peer keep[2];
    unsigned nl, nk = 0;
    struct plan *pl;

    memcpy(cfg.self_pub, self->pub, 32);
    pl = view ? plan_new(&cfg) : NULL;
    if (!pl) {
        free(view);
        return NULL;
    }
    memset(view, 0, sizeof(*view));
    view->state = ring_node_state(n);
    view->has_pred = pred != NULL;
    if (pred)
        view->pred = pred->id;
    view->succ = ring_node_succ(n, 0)->id;
    view->link_cap = ring_node_link_cap(n);
    /* As the node gave them when the graph was built: the tables do not
     * change while the plans are asked (and it saves 128 finger scans). */
    view->n_nb = g->off[v + 1] - g->off[v];
    memcpy(view->nb, &g->nbp[g->off[v]], view->n_nb * sizeof(view->nb[0]));
    plan_on_ring(pl, view, LINKS_T - 60 * PLAN_SEC);
    free(view);
    for (uint32_t k = g->off[v]; k < g->off[v + 1]; k++)
        if (g->dec[k])
            plan_on_close_msg(pl, peer_at(g, g->adj[k])->pub, PLAN_CLOSE_MSG_DECLINE,
                              LINKS_T - PLAN_SEC);
    nl = links_of(g, v, scratch, ring);
    plan_links_begin(pl);
    for (unsigned i = 0; i < nl; i++)
        plan_link_state(pl, peer_at(g, scratch[i])->pub, PLAN_LF_HAS_EP, PLAN_LINK_UP);
    plan_links_end(pl);
    /* Use, the least recent first: see links.h. ~2^30 ns over the ring. */
    for (unsigned i = 0; i < nl; i++) {
        const ring_peer *u = peer_at(g, scratch[i]);

        plan_on_data(pl, u->pub, LINKS_T - 2 * PLAN_SEC + (cw64(&u->id, &self->id) >> 34));
    }
    for (unsigned j = 0; g->keep && j < 2; j++)
        if (g->keep[v][j] != LINKS_NONE && g->keep[v][j] != v)
            keep[nk++] = *peer_at(g, g->keep[v][j]);
    plan_set_keep(pl, keep, nk);
    return pl;
}

/* The entry u → v (u chose v) of the host u with key @pub, or UINT32_MAX:
 * the hosts a plan declines are those that chose it. */
static uint32_t entry_to(const struct links_graph *g, uint32_t v, const uint8_t pub[32])
{
    for (uint32_t i = g->ioff[v]; i < g->ioff[v + 1]; i++)
        if (memcmp(peer_at(g, g->src[g->in[i]])->pub, pub, 32) == 0)
            return g->in[i];
    return UINT32_MAX;
}

long links_graph_cap(struct links_graph *g)
{
    uint32_t *scratch = malloc(links_max(g) * sizeof(*scratch));
    struct plan_actions *act = malloc(sizeof(*act));
    long declined = 0;

    if (!scratch || !act) {
        declined = -ENOMEM;
        goto out;
    }
    for (uint32_t v = 0; v < g->m; v++) {
        struct plan *pl = host_plan(g, v, scratch);

        if (!pl) {
            declined = -ENOMEM;
            goto out;
        }
        plan_on_timeout(pl, LINKS_T, act);
        plan_free(pl);
        for (unsigned i = 0; i < act->n; i++) {
            struct plan *upl;
            uint32_t k;

            if (act->a[i].kind != PLAN_ACT_DECLINE)
                continue;
            declined++;
            k = entry_to(g, v, act->a[i].pub);
            if (k == UINT32_MAX)
                continue;
            g->dec[k] = 1;
            /* Declined, the other side lets us go unless we are its
             * successor or predecessor: its plan says which. */
            upl = host_plan(g, g->src[k], scratch);
            if (!upl) {
                declined = -ENOMEM;
                goto out;
            }
            g->cut[k] = !plan_is_neighbour(upl, &peer_at(g, v)->id, LINKS_T);
            plan_free(upl);
        }
    }
out:
    free(scratch);
    free(act);
    return declined;
}

static bool has_link(const uint32_t *l, unsigned n, uint32_t u)
{
    return bsearch(&u, l, n, sizeof(*l), cmp_u32) != NULL;
}

/* The plan sends to a view neighbour that declined us directly when it is
 * the destination (plan_next_hop): the link opens for it. */
static bool is_view_nb(const struct links_graph *g, uint32_t v, uint32_t u)
{
    for (uint32_t k = g->off[v]; k < g->off[v + 1]; k++)
        if (g->adj[k] == u)
            return true;
    return false;
}

/*
 * Messages a relay from @s to @d takes, each host asking its own plan
 * (plan_route at the origin, plan_route_forward after, as
 * ringd_relay.c), or -1 (links.h says when).
 */
static int relay(const struct links_graph *g, uint32_t s, uint32_t d, uint32_t *scratch)
{
    bool ring[PLAN_LINKS_MAX + 4];
    const ring_peer *dest = peer_at(g, d);
    struct plan_path path;
    uint32_t cur = s;
    int hops = 0;

    for (;;) {
        struct plan *pl = host_plan(g, cur, scratch);
        unsigned nl;

        if (!pl)
            return -1;
        if (hops == 0)
            plan_route(pl, dest, LINKS_T, &path);
        else
            plan_route_forward(pl, dest->pub, LINKS_T, &path);
        plan_free(pl);
        hops++;
        switch (path.kind) {
        case PLAN_PATH_NONE:
            return -1;
        case PLAN_PATH_DIRECT:
            nl = links_of(g, cur, scratch, ring);
            return has_link(scratch, nl, d) || is_view_nb(g, cur, d) ? hops : -1;
        case PLAN_PATH_RELAY:
            break;
        }
        cur = links_position(g, &path.hop.id);
        if (cur == LINKS_NONE || hops >= LINKS_HOP_CAP)
            return -1;
        if (cur == d)
            return hops;
    }
}

static int relays(const struct links_graph *g, uint32_t pairs, uint64_t rs, struct links_fig *f)
{
    uint32_t *hops = malloc((pairs ? pairs : 1) * sizeof(*hops));
    uint32_t *scratch = malloc(links_max(g) * sizeof(*scratch));
    double sum = 0;

    if (!hops || !scratch) {
        free(hops);
        free(scratch);
        return -ENOMEM;
    }
    for (uint32_t k = 0; k < pairs; k++) {
        uint32_t s = (uint32_t)(splitmix(&rs) % g->m), d;
        int h;

        do
            d = (uint32_t)(splitmix(&rs) % g->m);
        while (d == s);
        h = relay(g, s, d, scratch);
        f->pairs++;
        if (h >= 0) {
            hops[f->reached++] = (uint32_t)h;
            sum += h;
        }
    }
    if (f->reached) {
        qsort(hops, f->reached, sizeof(*hops), cmp_u32);
        f->hops_mean = sum / f->reached;
        f->hops_p99 = hops[(size_t)((double)(f->reached - 1) * 0.99)];
    }
    free(hops);
    free(scratch);
    return 0;
}

/* Link counts: mean / p99 / max. */
static int degrees(const struct links_graph *g, struct links_fig *f)
{
    uint32_t *deg = malloc((size_t)g->m * sizeof(*deg));
    uint32_t *scratch = malloc(links_max(g) * sizeof(*scratch));
    bool ring[PLAN_LINKS_MAX + 4];
    double sum = 0;

    if (!deg || !scratch) {
        free(deg);
        free(scratch);
        return -ENOMEM;
    }
    for (uint32_t v = 0; v < g->m; v++) {
        deg[v] = links_of(g, v, scratch, ring);
        sum += deg[v];
    }
    f->links_mean = sum / g->m;
    qsort(deg, g->m, sizeof(*deg), cmp_u32);
    f->links_p99 = deg[(size_t)((double)(g->m - 1) * 0.99)];
    f->links_max = deg[g->m - 1];
    free(deg);
    free(scratch);
    return 0;
}

/*
 * After the caps: each host's cap as its plan states it, and whether it
 * ended above it only on links it may not decline (its plan's neighbours,
 * and hosts that kept it after its DECLINE).
 */
static int cap_check(const struct links_graph *g, struct links_stats *out)
{
    uint32_t *scratch = malloc(links_max(g) * sizeof(*scratch));
    bool ring[PLAN_LINKS_MAX + 4];

    if (!scratch)
        return -ENOMEM;
    out->cap_min = UINT32_MAX;
    for (uint32_t v = 0; v < g->m; v++) {
        struct plan *pl = host_plan(g, v, scratch);
        unsigned nl, cap, keep = 0;

        if (!pl) {
            free(scratch);
            return -ENOMEM;
        }
        cap = plan_link_cap(pl);
        nl = links_of(g, v, scratch, ring);
        for (unsigned i = 0; i < nl; i++)
            keep += plan_is_neighbour(pl, &peer_at(g, scratch[i])->id, LINKS_T);
        plan_free(pl);
        for (uint32_t i = g->ioff[v]; i < g->ioff[v + 1]; i++)
            keep += g->dec[g->in[i]] && !g->cut[g->in[i]];
        out->cap_min = cap < out->cap_min ? cap : out->cap_min;
        out->cap_max = cap > out->cap_max ? cap : out->cap_max;
        out->keep_max = keep > out->keep_max ? keep : out->keep_max;
        if (nl > cap) {
            out->over_cap++;
            out->over_by = nl - cap > out->over_by ? nl - cap : out->over_by;
            out->beyond_keep += nl > keep;
        }
    }
    free(scratch);
    return 0;
}

int links_measure(struct eng *e, uint32_t pairs, uint64_t seed, struct links_stats *out)
{
    struct links_graph g;
    uint64_t rs = seed ^ 0x6c696e6b73ULL;     /* "links" */
    long declined;
    int rc;

    memset(out, 0, sizeof(*out));
    rc = links_graph_build(e, NULL, &g);
    if (rc < 0)
        goto done;
    out->hosts = g.m;
    out->out_mean = (double)g.nadj / g.m;
    rc = degrees(&g, &out->raw);
    if (rc == 0)
        rc = relays(&g, pairs, rs, &out->raw);
    if (rc < 0)
        goto done;
    declined = links_graph_cap(&g);
    if (declined < 0) {
        rc = (int)declined;
        goto done;
    }
    out->declined = (uint32_t)declined;
    for (size_t k = 0; k < g.nadj; k++)
        out->cut += g.cut[k];
    out->out_capped_mean = (double)(g.nadj - out->cut) / g.m;
    rc = degrees(&g, &out->capped);
    if (rc == 0)
        rc = relays(&g, pairs, rs, &out->capped);
    if (rc == 0)
        rc = cap_check(&g, out);
done:
    links_graph_free(&g);
    return rc;
}
