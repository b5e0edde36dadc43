/* SPDX-License-Identifier: GPL-2.0-only */
/* Link counts and greedy relay hops over the daemon's neighbour sets,
 * without and with its link cap. */
#include "routing/sim/links.h"
#include "routing/sim/engine_priv.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

enum {
    LINKS_NB_MAX = RING_ID_BITS + 1,    /* pred + one per finger bit */
    LINKS_HOP_CAP = 4096,               /* far beyond any sane walk */
};

#define LINKS_NONE UINT32_MAX           /* neighbour that is not a live member */

/* Neighbour sets by oracle position (the members sorted by id). */
struct graph {
    uint32_t m;
    uint32_t *off;              /* m + 1 */
    uint32_t *adj;              /* oracle positions or LINKS_NONE */
    uint32_t *src;              /* owner of each adj entry */
    uint8_t *cut;               /* per adj entry: the target declined it */
    uint32_t *pred, *succ;      /* each host's pred / succ[0] (positions) */
    unsigned *cap;              /* cap(v) */
    size_t nadj, capadj;
};

static uint64_t splitmix(uint64_t *s)
{
    uint64_t z = (*s += 0x9e3779b97f4a7c15ULL);

    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

static uint32_t position(const struct eng *e, uint32_t m, const ring_id *id)
{
    uint32_t pos = eng_orc_lower(e->orc, m, id);

    return ring_id_eq(&e->orc[pos].id, id) ? pos : LINKS_NONE;
}

static int graph_build(struct eng *e, struct graph *g)
{
    ring_peer nb[LINKS_NB_MAX];

    g->m = e->norc;
    g->off = malloc(((size_t)g->m + 1) * sizeof(*g->off));
    g->pred = malloc((size_t)g->m * sizeof(*g->pred));
    g->succ = malloc((size_t)g->m * sizeof(*g->succ));
    g->cap = malloc((size_t)g->m * sizeof(*g->cap));
    if (!g->off || !g->pred || !g->succ || !g->cap)
        return -ENOMEM;
    for (uint32_t v = 0; v < g->m; v++) {
        const struct ring_node *n = e->h[e->orc[v].idx].node;
        const ring_peer *p = ring_node_pred(n);
        unsigned k = ring_node_neighbours(n, nb, LINKS_NB_MAX);

        g->pred[v] = p ? position(e, g->m, &p->id) : LINKS_NONE;
        g->succ[v] = position(e, g->m, &ring_node_succ(n, 0)->id);
        g->cap[v] = ring_node_link_cap(n);
        g->off[v] = (uint32_t)g->nadj;
        if (g->nadj + k > g->capadj) {
            size_t cap = g->capadj ? g->capadj * 2 : (size_t)g->m * 16 + LINKS_NB_MAX;
            uint32_t *a = realloc(g->adj, cap * sizeof(*a));

            if (!a)
                return -ENOMEM;
            g->adj = a;
            g->capadj = cap;
        }
        for (unsigned i = 0; i < k; i++)
            g->adj[g->nadj++] = position(e, g->m, &nb[i].id);
    }
    g->off[g->m] = (uint32_t)g->nadj;
    g->src = malloc((g->nadj ? g->nadj : 1) * sizeof(*g->src));
    g->cut = calloc(g->nadj ? g->nadj : 1, 1);
    if (!g->src || !g->cut)
        return -ENOMEM;
    for (uint32_t v = 0; v < g->m; v++)
        for (uint32_t k = g->off[v]; k < g->off[v + 1]; k++)
            g->src[k] = v;
    return 0;
}

static void graph_free(struct graph *g)
{
    free(g->off);
    free(g->adj);
    free(g->src);
    free(g->cut);
    free(g->pred);
    free(g->succ);
    free(g->cap);
}

static bool has_nb(const struct graph *g, uint32_t v, uint32_t u)
{
    for (uint32_t k = g->off[v]; k < g->off[v + 1]; k++)
        if (g->adj[k] == u)
            return true;
    return false;
}

static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

    return (x > y) - (x < y);
}

static int cmp_u32(const void *a, const void *b)
{
    uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

    return (x > y) - (x < y);
}

/* deg[v] = |N(v) ∪ {u : v ∈ N(u)}| over the edges not cut: every directed
 * edge as an unordered pair, duplicates (u and v naming each other)
 * counted once. */
static int link_degrees(const struct graph *g, uint32_t *deg)
{
    uint64_t *pr = malloc((g->nadj ? g->nadj : 1) * sizeof(*pr));
    size_t np = 0;

    if (!pr)
        return -ENOMEM;
    memset(deg, 0, (size_t)g->m * sizeof(*deg));
    for (uint32_t v = 0; v < g->m; v++) {
        for (uint32_t k = g->off[v]; k < g->off[v + 1]; k++) {
            uint32_t u = g->adj[k];

            if (g->cut[k])
                continue;
            if (u == LINKS_NONE)
                deg[v]++;   /* link to a non-member: only v holds it */
            else
                pr[np++] = v < u ? (uint64_t)v << 32 | u : (uint64_t)u << 32 | v;
        }
    }
    qsort(pr, np, sizeof(*pr), cmp_u64);
    for (size_t i = 0; i < np; i++) {
        if (i && pr[i] == pr[i - 1])
            continue;
        deg[pr[i] >> 32]++;
        deg[(uint32_t)pr[i]]++;
    }
    free(pr);
    return 0;
}

/* In-edges of every host: edge indexes k with adj[k] == v, listed for v
 * at in[ioff[v] .. ioff[v + 1]), nearest source before v first (the order
 * in which v declines). Positions are ring order, so the source nearest
 * before v is the one with the smallest (v − u) mod m. */
struct in_edges {
    uint32_t *ioff, *in;
};

static int in_build(const struct graph *g, struct in_edges *ie)
{
    uint64_t *key;
    uint32_t *fill;

    ie->ioff = calloc((size_t)g->m + 1, sizeof(*ie->ioff));
    ie->in = malloc((g->nadj ? g->nadj : 1) * sizeof(*ie->in));
    fill = calloc((size_t)g->m, sizeof(*fill));
    key = malloc((g->nadj ? g->nadj : 1) * sizeof(*key));
    if (!ie->ioff || !ie->in || !fill || !key) {
        free(fill);
        free(key);
        return -ENOMEM;
    }
    for (size_t k = 0; k < g->nadj; k++)
        if (g->adj[k] != LINKS_NONE)
            ie->ioff[g->adj[k] + 1]++;
    for (uint32_t v = 0; v < g->m; v++)
        ie->ioff[v + 1] += ie->ioff[v];
    for (size_t k = 0; k < g->nadj; k++) {
        uint32_t v = g->adj[k], u = g->src[k], at;

        if (v == LINKS_NONE)
            continue;
        at = ie->ioff[v] + fill[v]++;
        key[at] = (uint64_t)((v - u + g->m) % g->m) << 32 | (uint32_t)k;
    }
    for (uint32_t v = 0; v < g->m; v++) {
        uint32_t a = ie->ioff[v], b = ie->ioff[v + 1];

        qsort(key + a, b - a, sizeof(*key), cmp_u64);
        for (uint32_t i = a; i < b; i++)
            ie->in[i] = (uint32_t)key[i];
    }
    free(fill);
    free(key);
    return 0;
}

/* v is @u's successor or predecessor: u keeps v even if v declines. */
static bool mandatory(const struct graph *g, uint32_t u, uint32_t v)
{
    return g->succ[u] == v || g->pred[u] == v;
}

/* Every host over its cap, in ring order, declines in-neighbours outside
 * its own N(v) for which it is not mandatory until it is at the cap. */
static uint32_t apply_cap(struct graph *g, const struct in_edges *ie, uint32_t *deg,
                          uint32_t *keepv)
{
    uint32_t declined = 0;

    for (uint32_t v = 0; v < g->m; v++) {
        unsigned keep = g->off[v + 1] - g->off[v];

        for (uint32_t i = ie->ioff[v]; i < ie->ioff[v + 1]; i++) {
            uint32_t k = ie->in[i], u = g->src[k];

            if (has_nb(g, v, u))
                continue;           /* counted in keep already */
            if (mandatory(g, u, v)) {
                keep++;
                continue;
            }
            if (deg[v] > g->cap[v] && !g->cut[k]) {
                g->cut[k] = 1;
                deg[v]--;
                deg[u]--;
                declined++;
            }
        }
        keepv[v] = keep;
    }
    return declined;
}

/* Hops of the greedy walk src → dst, or -1 if it gets stuck. Non-members
 * in a table are skipped, as the daemon skips a hop that stays silent.
 * Cut edges are skipped unless they lead to dst itself. */
static int walk(const struct eng *e, const struct graph *g, uint32_t src, uint32_t dst,
                bool capped)
{
    const ring_id *dest = &e->orc[dst].id;
    uint32_t cur = src;
    int hops = 0;

    while (cur != dst) {
        ring_id best, d;
        uint32_t next = LINKS_NONE;

        if (hops >= LINKS_HOP_CAP)
            return -1;
        ring_id_dist(&best, &e->orc[cur].id, dest);
        for (uint32_t k = g->off[cur]; k < g->off[cur + 1]; k++) {
            uint32_t u = g->adj[k];

            if (u == LINKS_NONE || (capped && g->cut[k] && u != dst))
                continue;
            ring_id_dist(&d, &e->orc[u].id, dest);
            if (ring_id_cmp(&d, &best) < 0) {
                best = d;
                next = u;
            }
        }
        if (next == LINKS_NONE)
            return -1;
        cur = next;
        hops++;
    }
    return hops;
}

/* Mean / p99 / max of deg (sorted in place). */
static void deg_fig(uint32_t *deg, uint32_t m, struct links_fig *f)
{
    double sum = 0;

    for (uint32_t v = 0; v < m; v++)
        sum += deg[v];
    f->links_mean = sum / m;
    qsort(deg, m, sizeof(*deg), cmp_u32);
    f->links_p99 = deg[(size_t)((double)(m - 1) * 0.99)];
    f->links_max = deg[m - 1];
}

static void walks(const struct eng *e, const struct graph *g, uint32_t pairs, uint64_t rs,
                  bool capped, uint32_t *hops, struct links_fig *f)
{
    double sum = 0;

    for (uint32_t k = 0; k < pairs; k++) {
        uint32_t s = (uint32_t)(splitmix(&rs) % g->m), d;
        int h;

        do
            d = (uint32_t)(splitmix(&rs) % g->m);
        while (d == s);
        h = walk(e, g, s, d, capped);
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
}

int links_measure(struct eng *e, uint32_t pairs, uint64_t seed, struct links_stats *out)
{
    struct graph g = { 0 };
    struct in_edges ie = { 0 };
    uint32_t *deg = NULL, *hops = NULL, *keep = NULL, cut = 0;
    uint64_t rs = seed ^ 0x6c696e6b73ULL;     /* "links" */
    int rc = -ENOMEM;

    memset(out, 0, sizeof(*out));
    eng_orc_build(e);
    if (e->norc < 2)
        return -EINVAL;
    if (graph_build(e, &g) < 0 || in_build(&g, &ie) < 0)
        goto done;
    deg = malloc((size_t)g.m * sizeof(*deg));
    hops = malloc((pairs ? pairs : 1) * sizeof(*hops));
    keep = malloc((size_t)g.m * sizeof(*keep));
    if (!deg || !hops || !keep || link_degrees(&g, deg) < 0)
        goto done;
    out->hosts = g.m;
    out->out_mean = (double)g.nadj / g.m;
    out->cap_min = UINT32_MAX;
    for (uint32_t v = 0; v < g.m; v++) {
        out->cap_min = g.cap[v] < out->cap_min ? g.cap[v] : out->cap_min;
        out->cap_max = g.cap[v] > out->cap_max ? g.cap[v] : out->cap_max;
    }
    walks(e, &g, pairs, rs, false, hops, &out->raw);

    out->declined = apply_cap(&g, &ie, deg, keep);
    /* Recount from scratch rather than trust the running counts. */
    if (link_degrees(&g, deg) < 0)
        goto done;
    for (uint32_t v = 0; v < g.m; v++) {
        out->keep_max = keep[v] > out->keep_max ? keep[v] : out->keep_max;
        if (deg[v] > g.cap[v]) {
            out->over_cap++;
            if (deg[v] - g.cap[v] > out->over_by)
                out->over_by = deg[v] - g.cap[v];
            /* Above the cap only on what v may not decline. */
            out->beyond_keep += deg[v] > keep[v];
        }
    }
    for (size_t k = 0; k < g.nadj; k++)
        cut += g.cut[k];
    out->out_capped_mean = (double)(g.nadj - cut) / g.m;
    deg_fig(deg, g.m, &out->capped);
    walks(e, &g, pairs, rs, true, hops, &out->capped);

    /* The uncapped counts last: deg is sorted by deg_fig(). */
    memset(g.cut, 0, g.nadj);
    if (link_degrees(&g, deg) < 0)
        goto done;
    deg_fig(deg, g.m, &out->raw);
    rc = 0;
done:
    graph_free(&g);
    free(ie.ioff);
    free(ie.in);
    free(deg);
    free(hops);
    free(keep);
    return rc;
}
