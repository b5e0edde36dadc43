/* SPDX-License-Identifier: GPL-2.0-only */
/* Link counts and greedy relay hops over the daemon's neighbour sets. */
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
    size_t nadj, capadj;
};

static uint64_t splitmix(uint64_t *s)
{
    uint64_t z = (*s += 0x9e3779b97f4a7c15ULL);

    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

/* Keep in step with ringd_neighbours() (overlayd/ringd_relay.c): the
 * measurement is only worth something if it is the daemon's rule. */
static unsigned neighbours(const struct ring_node *n, ring_id *out)
{
    const ring_id *self = &ring_node_self(n)->id;
    const ring_peer *p = ring_node_pred(n);
    unsigned k = 0, ns = ring_node_nsucc(n);

    if (p)
        out[k++] = p->id;
    for (unsigned b = 0; b < RING_ID_BITS; b++) {
        bool skip = false;

        p = ring_node_finger(n, b);
        if (ring_id_eq(&p->id, self))
            continue;
        for (unsigned i = 1; i < ns && !skip; i++)
            skip = ring_id_eq(&ring_node_succ(n, i)->id, &p->id);
        for (unsigned i = 0; i < k && !skip; i++)
            skip = ring_id_eq(&out[i], &p->id);
        if (!skip)
            out[k++] = p->id;
    }
    return k;
}

static int graph_build(struct eng *e, struct graph *g)
{
    ring_id nb[LINKS_NB_MAX];

    g->m = e->norc;
    g->off = malloc(((size_t)g->m + 1) * sizeof(*g->off));
    if (!g->off)
        return -ENOMEM;
    for (uint32_t v = 0; v < g->m; v++) {
        unsigned k = neighbours(e->h[e->orc[v].idx].node, nb);

        g->off[v] = (uint32_t)g->nadj;
        if (g->nadj + k > g->capadj) {
            size_t cap = g->capadj ? g->capadj * 2 : (size_t)g->m * 16 + LINKS_NB_MAX;
            uint32_t *a = realloc(g->adj, cap * sizeof(*a));

            if (!a)
                return -ENOMEM;
            g->adj = a;
            g->capadj = cap;
        }
        for (unsigned i = 0; i < k; i++) {
            uint32_t pos = eng_orc_lower(e->orc, g->m, &nb[i]);

            g->adj[g->nadj++] = ring_id_eq(&e->orc[pos].id, &nb[i]) ? pos : LINKS_NONE;
        }
    }
    g->off[g->m] = (uint32_t)g->nadj;
    return 0;
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

/* deg[v] = |N(v) ∪ {u : v ∈ N(u)}|: every directed edge as an unordered
 * pair, duplicates (u and v naming each other) counted once. */
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

/* Hops of the greedy walk src → dst, or -1 if it gets stuck. Non-members
 * in a table are skipped, as the daemon skips a hop that stays silent. */
static int walk(const struct eng *e, const struct graph *g, uint32_t src, uint32_t dst)
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

            if (u == LINKS_NONE)
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

int links_measure(struct eng *e, uint32_t pairs, uint64_t seed, struct links_stats *out)
{
    struct graph g = { 0 };
    uint32_t *deg = NULL, *hops = NULL;
    uint64_t rs = seed ^ 0x6c696e6b73ULL;     /* "links" */
    double sum = 0;
    int rc = -ENOMEM;

    memset(out, 0, sizeof(*out));
    eng_orc_build(e);
    if (e->norc < 2)
        return -EINVAL;
    if (graph_build(e, &g) < 0)
        goto done;
    deg = malloc((size_t)g.m * sizeof(*deg));
    hops = malloc((pairs ? pairs : 1) * sizeof(*hops));
    if (!deg || !hops || link_degrees(&g, deg) < 0)
        goto done;
    out->hosts = g.m;
    out->out_mean = (double)g.nadj / g.m;
    for (uint32_t v = 0; v < g.m; v++)
        sum += deg[v];
    out->links_mean = sum / g.m;
    qsort(deg, g.m, sizeof(*deg), cmp_u32);
    out->links_p99 = deg[(size_t)((double)(g.m - 1) * 0.99)];
    out->links_max = deg[g.m - 1];

    sum = 0;
    for (uint32_t k = 0; k < pairs; k++) {
        uint32_t s = (uint32_t)(splitmix(&rs) % g.m), d;
        int h;

        do
            d = (uint32_t)(splitmix(&rs) % g.m);
        while (d == s);
        h = walk(e, &g, s, d);
        out->pairs++;
        if (h >= 0) {
            hops[out->reached++] = (uint32_t)h;
            sum += h;
        }
    }
    if (out->reached) {
        qsort(hops, out->reached, sizeof(*hops), cmp_u32);
        out->hops_mean = sum / out->reached;
        out->hops_p99 = hops[(size_t)((double)(out->reached - 1) * 0.99)];
    }
    rc = 0;
done:
    free(g.off);
    free(g.adj);
    free(deg);
    free(hops);
    return rc;
}
