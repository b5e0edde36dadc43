/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Enclave latency bounds against the paths in use. See paths.h and
 * docs/paths.md.
 */
#include "overlayd/datapath/paths.h"

#include <string.h>

#include "lib/log.h"
#include "overlayd/config/config.h"
#include "overlayd/daemon.h"
#include "overlayd/datapath/detour.h"
#include "overlayd/datapath/enclave.h"
#include "overlayd/datapath/peer.h"
#include "overlayd/datapath/peer_admit.h"

enum { PATHS_BAD_LATENCY = 1, PATHS_BAD_PATHS = 2 };

const struct config_enclave *paths_config(const struct daemon *d, const struct enclave *e)
{
    for (size_t i = 0; d->cfg && i < d->cfg->n_enclaves; i++)
        if (d->cfg->enclaves[i].id == e->id)
            return &d->cfg->enclaves[i];
    return NULL;
}

bool paths_carries(const struct daemon *d, const struct peer *p, const struct enclave *e)
{
    return peer_carries(p, e->id) && admit_link_allows(d, p, e->id);
}

void paths_host(struct daemon *d, const struct config_enclave *ce, struct peer *p, uint64_t now,
                struct paths_host *out)
{
    memset(out, 0, sizeof(*out));
    out->via = p->path.via;
    out->n_paths = detour_paths(d, p, now);
    out->rtt = out->n_paths ? detour_path_rtt(p) : 0;
    out->latency = out->paths = PATHS_UNKNOWN;
    if (ce && ce->max_latency_ns && out->rtt)
        out->latency = out->rtt <= ce->max_latency_ns ? PATHS_HOLDS : PATHS_BROKEN;
    if (ce && ce->max_latency_ns && !out->n_paths)
        out->latency = PATHS_BROKEN;   /* no path at all breaks any latency bound */
    if (ce && ce->min_paths)
        out->paths = out->n_paths >= ce->min_paths ? PATHS_HOLDS : PATHS_BROKEN;
}

/* @p's remembered broken bounds for enclave @id: its slot, or a new one
 * (NULL when all DETOUR_BOUNDS_MAX are taken: that bound is not logged). */
static struct detour_bound *paths_slot(struct peer *p, uint32_t id, bool make)
{
    struct detour_bound *free_slot = NULL;

    for (unsigned i = 0; i < DETOUR_BOUNDS_MAX; i++) {
        struct detour_bound *b = &p->path.bounds[i];

        if (b->bad && b->enclave == id)
            return b;
        if (!b->bad && !free_slot)
            free_slot = b;
    }
    if (!make || !free_slot)
        return NULL;
    free_slot->enclave = id;
    return free_slot;
}

static void paths_note(struct peer *p, const struct enclave *e, unsigned bit, bool broken,
                       const char *what)
{
    struct detour_bound *b = paths_slot(p, e->id, broken);

    if (!b || broken == !!(b->bad & bit))
        return;
    if (broken) {
        b->bad |= (uint8_t)bit;
        log_warn("paths", "%s: %s to %s broken", e->name, what, p->name);
    } else {
        b->bad &= (uint8_t)~bit;
        log_info("paths", "%s: %s to %s holds again", e->name, what, p->name);
    }
}

void paths_watch(struct daemon *d, uint64_t now)
{
    for (size_t i = 0; i < d->n_enclaves; i++) {
        struct enclave *e = d->enclaves[i];
        const struct config_enclave *ce = paths_config(d, e);

        if (!ce || (!ce->max_latency_ns && !ce->min_paths))
            continue;
        for (size_t k = 0; k < d->n_peers; k++) {
            struct peer *p = d->peers[k];
            struct paths_host h;

            if (!paths_carries(d, p, e))
                continue;
            paths_host(d, ce, p, now, &h);
            if (h.latency != PATHS_UNKNOWN)
                paths_note(p, e, PATHS_BAD_LATENCY, h.latency == PATHS_BROKEN, "MaxLatency");
            if (h.paths != PATHS_UNKNOWN)
                paths_note(p, e, PATHS_BAD_PATHS, h.paths == PATHS_BROKEN, "MinPaths");
        }
    }
}
