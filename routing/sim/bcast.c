/* SPDX-License-Identifier: GPL-2.0-only */
/* Enclave broadcast cost on the simulated ring: unicast vs a Chord
 * broadcast tree over the enclave's carriers (bcast.h). */
#include "routing/sim/bcast.h"
#include "routing/sim/engine_priv.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

enum { BC_NB_MAX = RING_ID_BITS + 1 };

#define BC_NONE UINT32_MAX

/* Carrier graph in rank space (carriers 0..k-1 clockwise by id). */
struct cgraph {
    uint32_t k;
    uint32_t *off;              /* k + 1 */
    uint32_t *adj;              /* neighbour ranks, clockwise from the owner */
    uint64_t *pairs;            /* (a << 32 | b) while building */
    size_t npairs, cappairs;
};

struct tree_item {
    uint32_t y, limit, depth;
};

static uint64_t splitmix(uint64_t *s)
{
    uint64_t z = (*s += 0x9e3779b97f4a7c15ULL);

    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

    return x < y ? -1 : x > y;
}

static int pair_add(struct cgraph *g, uint32_t a, uint32_t b)
{
    if (g->npairs + 2 > g->cappairs) {
        size_t cap = g->cappairs ? g->cappairs * 2 : 1024;
        uint64_t *p = realloc(g->pairs, cap * sizeof(*p));

        if (!p)
            return -ENOMEM;
        g->pairs = p;
        g->cappairs = cap;
    }
    g->pairs[g->npairs++] = (uint64_t)a << 32 | b;
    g->pairs[g->npairs++] = (uint64_t)b << 32 | a;
    return 0;
}

/* Sort and deduplicate the pairs into CSR, each list clockwise from its
 * owner (ranks are in ring order, so that is ascending (b - a) mod k). */
static int csr_build(struct cgraph *g)
{
    size_t w = 0;
    uint32_t *tmp;

    qsort(g->pairs, g->npairs, sizeof(*g->pairs), cmp_u64);
    free(g->off);
    free(g->adj);
    g->off = calloc((size_t)g->k + 1, sizeof(*g->off));
    g->adj = malloc((g->npairs ? g->npairs : 1) * sizeof(*g->adj));
    tmp = malloc((g->npairs ? g->npairs : 1) * sizeof(*tmp));
    if (!g->off || !g->adj || !tmp) {
        free(tmp);
        return -ENOMEM;
    }
    for (size_t i = 0; i < g->npairs; i++) {
        uint32_t a = (uint32_t)(g->pairs[i] >> 32);

        if (i && g->pairs[i] == g->pairs[i - 1])
            continue;
        g->adj[w++] = (uint32_t)g->pairs[i];
        g->off[a + 1]++;
    }
    for (uint32_t c = 0; c < g->k; c++) {
        uint32_t lo = g->off[c], n = g->off[c + 1], wrap = 0;

        g->off[c + 1] = lo + n;
        /* Ascending b: rotate the ranks below c (wrapped ones) to the end. */
        while (wrap < n && g->adj[lo + wrap] < c)
            wrap++;
        if (!wrap || wrap == n)
            continue;
        memcpy(tmp, &g->adj[lo], wrap * sizeof(*tmp));
        memmove(&g->adj[lo], &g->adj[lo + wrap], (n - wrap) * sizeof(*tmp));
        memcpy(&g->adj[lo + n - wrap], tmp, wrap * sizeof(*tmp));
    }
    free(tmp);
    return 0;
}

static bool linked(const struct cgraph *g, uint32_t a, uint32_t b)
{
    for (uint32_t i = g->off[a]; i < g->off[a + 1]; i++) {
        if (g->adj[i] == b)
            return true;
    }
    return false;
}

/* Pick the carriers (oracle positions, in ring order) and rank them. */
static int pick_carriers(struct eng *e, uint32_t k, uint64_t seed, uint32_t **rank_out)
{
    uint32_t m = e->norc, *perm = malloc((size_t)m * sizeof(*perm));
    uint32_t *rank = malloc((size_t)m * sizeof(*rank)), r = 0;
    uint64_t s = seed ^ 0xbca57ULL;

    if (!perm || !rank) {
        free(perm);
        free(rank);
        return -ENOMEM;
    }
    for (uint32_t i = 0; i < m; i++) {
        perm[i] = i;
        rank[i] = BC_NONE;
    }
    for (uint32_t i = 0; i < k; i++) {
        uint32_t j = i + (uint32_t)(splitmix(&s) % (m - i)), t = perm[i];

        perm[i] = perm[j];
        perm[j] = t;
        rank[perm[i]] = 0;
    }
    for (uint32_t p = 0; p < m; p++) {
        if (rank[p] != BC_NONE)
            rank[p] = r++;
    }
    free(perm);
    *rank_out = rank;
    return 0;
}

/* Carrier-to-carrier ring links, both directions. */
static int ring_pairs(struct eng *e, const uint32_t *rank, struct cgraph *g)
{
    ring_peer nb[BC_NB_MAX];

    for (uint32_t p = 0; p < e->norc; p++) {
        const struct ring_node *n;
        unsigned cnt;

        if (rank[p] == BC_NONE)
            continue;
        n = e->h[e->orc[p].idx].node;
        cnt = ring_node_neighbours(n, nb, BC_NB_MAX);
        for (unsigned i = 0; i < cnt; i++) {
            uint32_t q = eng_orc_lower(e->orc, e->norc, &nb[i].id);

            if (!ring_id_eq(&e->orc[q].id, &nb[i].id) || rank[q] == BC_NONE || q == p)
                continue;
            if (pair_add(g, rank[p], rank[q]) < 0)
                return -ENOMEM;
        }
    }
    return 0;
}

static uint32_t cw(uint32_t from, uint32_t to, uint32_t k)
{
    return (to + k - from) % k;
}

/* One broadcast from @o; fills recv[] and depth[], returns the max sends
 * of one host, adds per-origin figures to @f. */
static void tree_run(const struct cgraph *g, uint32_t o, struct tree_item *stk,
                     uint32_t *recv, uint32_t *depth, struct bcast_fig *f, uint64_t *dup)
{
    uint32_t k = g->k, nstk = 0, smax = 0, dmax = 0;
    uint64_t msgs = 0, dsum = 0;

    memset(recv, 0, k * sizeof(*recv));
    stk[nstk++] = (struct tree_item){ .y = o, .limit = o, .depth = 0 };
    recv[o] = 1;
    depth[o] = 0;
    while (nstk) {
        struct tree_item it = stk[--nstk];
        uint32_t span = it.limit == it.y ? k : cw(it.y, it.limit, k), sent = 0;
        uint32_t lo = g->off[it.y], hi = g->off[it.y + 1], end = lo;

        while (end < hi && cw(it.y, g->adj[end], k) < span)
            end++;
        for (uint32_t i = lo; i < end; i++) {
            uint32_t c = g->adj[i];

            if (recv[c]++) {
                (*dup)++;
                continue;
            }
            depth[c] = it.depth + 1;
            stk[nstk++] = (struct tree_item){
                .y = c, .limit = i + 1 < end ? g->adj[i + 1] : it.limit, .depth = it.depth + 1 };
            sent++;
            dsum += it.depth + 1;
            if (it.depth + 1 > dmax)
                dmax = it.depth + 1;
        }
        msgs += sent;
        if (sent > smax)
            smax = sent;
    }
    f->sent_max += smax;
    if (smax > f->sent_max_all)
        f->sent_max_all = smax;
    f->msgs += (double)msgs;
    f->depth_mean += (double)dsum / (k - 1);
    f->depth_max += dmax;
    if (dmax > f->depth_max_all)
        f->depth_max_all = dmax;
}

static int tree_all(const struct cgraph *g, struct bcast_stats *out)
{
    uint32_t k = g->k;
    uint32_t *recv = malloc(k * sizeof(*recv)), *depth = malloc(k * sizeof(*depth));
    struct tree_item *stk = malloc(((size_t)g->off[k] + 1) * sizeof(*stk));
    struct bcast_fig *f = &out->tree;

    if (!recv || !depth || !stk) {
        free(recv);
        free(depth);
        free(stk);
        return -ENOMEM;
    }
    for (uint32_t o = 0; o < k; o++) {
        tree_run(g, o, stk, recv, depth, f, &out->dup);
        for (uint32_t c = 0; c < k; c++)
            out->missed += !recv[c];
    }
    f->sent_max /= k;
    f->msgs /= k;
    f->depth_mean /= k;
    f->depth_max /= k;
    f->recv_max = out->dup ? 2 : 1;
    free(recv);
    free(depth);
    free(stk);
    return 0;
}

/* Unicast: the origin sends k - 1 copies, each carrier gets one, and the
 * origin opens a link to every carrier it has no ring link to. */
static void unicast(const struct cgraph *ring, struct bcast_stats *out)
{
    uint32_t k = ring->k;
    uint64_t deg = 0;

    for (uint32_t c = 0; c < k; c++)
        deg += ring->off[c + 1] - ring->off[c];
    out->ring_linked = (double)deg / k;
    out->uni = (struct bcast_fig){
        .sent_max = k - 1, .sent_max_all = k - 1, .recv_max = 1, .msgs = k - 1,
        .depth_mean = 1, .depth_max = 1, .depth_max_all = 1,
        .new_links = (double)(k - 1) - out->ring_linked,
    };
}

static int measure(struct eng *e, const uint32_t *rank, uint32_t k, struct bcast_stats *out)
{
    struct cgraph g = { .k = k };
    int rc = ring_pairs(e, rank, &g);

    if (rc == 0)
        rc = csr_build(&g);
    if (rc == 0) {
        unicast(&g, out);
        out->enc_links = k == 2 ? 1 : k;
        for (uint32_t c = 0; c < out->enc_links; c++)
            out->enc_new += !linked(&g, c, (c + 1) % k);
        /* Each new enclave link is one more link at both its ends. */
        out->tree.new_links = 2.0 * out->enc_new / k;
        for (uint32_t c = 0; c < k && rc == 0; c++)
            rc = pair_add(&g, c, (c + 1) % k);
    }
    if (rc == 0)
        rc = csr_build(&g);
    if (rc == 0)
        rc = tree_all(&g, out);
    free(g.off);
    free(g.adj);
    free(g.pairs);
    return rc;
}

int bcast_measure(struct eng *e, uint32_t carriers, uint64_t seed, struct bcast_stats *out)
{
    uint32_t *rank;
    int rc;

    memset(out, 0, sizeof(*out));
    eng_orc_build(e);
    if (carriers > e->norc)
        carriers = e->norc;
    if (carriers < 2)
        return -EINVAL;
    out->hosts = e->norc;
    out->carriers = carriers;
    rc = pick_carriers(e, carriers, seed, &rank);
    if (rc < 0)
        return rc;
    rc = measure(e, rank, carriers, out);
    free(rank);
    return rc;
}
