/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Detours, the periodic half: REPORTs of our live links, and each host's
 * path chosen by the plan (overlayd/plan/plan_path.c) from the probes'
 * health and RTTs. See detour.h and docs/paths.md.
 */
#include "overlayd/datapath/detour.h"

#include <string.h>

#include "crypto/link.h"
#include "lib/log.h"
#include "overlayd/daemon.h"
#include "overlayd/datapath/datapath.h"
#include "overlayd/datapath/inner.h"
#include "overlayd/datapath/paths.h"
#include "overlayd/datapath/peer.h"
#include "overlayd/plan/plan.h"

#define MS(x) ((uint64_t)(x) * UINT64_C(1000000))

enum { DETOUR_CAND_MAX = 64 };

/* The probes' smoothed RTT once they have a sample, else the handshakes'. */
uint64_t detour_direct_rtt(const struct peer *p)
{
    struct path_info pi;

    path_get(&p->probe, &pi);
    if (pi.has_sample)
        return pi.srtt_ns ? pi.srtt_ns : 1;
    return p->lp ? link_peer_rtt_ns(p->lp) : 0;
}

/* A host we reach directly over an up link: may relay, may be reported. */
static bool detour_direct_up(const struct peer *p, uint64_t now)
{
    return tx_peer_up(p, now) && p->ep.len && !detour_direct_dead(p, now) && !p->path.via;
}

/* @relay's REPORT entry for @dst, or NULL (none, or the REPORT is stale). */
static const struct detour_rep *detour_rep_for(const struct peer *relay, uint64_t key,
                                               uint64_t now)
{
    const struct detour_peer *rp = &relay->path;

    if (!rp->rep_at || now - rp->rep_at > MS(DETOUR_REPORT_FRESH_MS))
        return NULL;
    for (unsigned i = 0; i < rp->n_rep; i++)
        if (rp->rep[i].key == key)
            return &rp->rep[i];
    return NULL;
}

/* Every one-hop detour to @p: relays we reach directly that report a live
 * link to it. Fills @c / @via; returns how many. */
static unsigned detour_candidates(struct daemon *d, struct peer *p, uint64_t now,
                                  struct plan_path_cand *c, struct peer **via)
{
    uint64_t key = inner_detour_key(p->pub);
    unsigned n = 0;

    for (size_t i = 0; i < d->n_peers && n < DETOUR_CAND_MAX; i++) {
        struct peer *r = d->peers[i];
        const struct detour_rep *e;

        if (r == p || !detour_direct_up(r, now) || !(e = detour_rep_for(r, key, now)))
            continue;
        c[n].cost = plan_path_cost(detour_direct_rtt(r)) +
                    (e->rtt_us == INNER_DETOUR_RTT_UNKNOWN ? plan_path_cost(0)
                                                           : (uint64_t)e->rtt_us * 1000);
        c[n].usable = true;
        c[n].one_hop = !(e->flags & INNER_DETOUR_RELAYED);
        via[n++] = r;
    }
    return n;
}

static void detour_fill(struct daemon *d, struct peer *p, uint64_t now, struct plan_path_in *in,
                        struct plan_path_cand *c, struct peer **via)
{
    in->direct_usable = p->ep.len && !detour_direct_dead(p, now);
    in->direct_cost = plan_path_cost(detour_direct_rtt(p));
    in->direct_unmeasured = detour_direct_rtt(p) == 0;
    in->direct_ok_since = p->path.ok_since;
    in->cand = c;
    in->n = detour_candidates(d, p, now, c, via);
    in->cur = PLAN_PATH_PICK_DIRECT;
    if (p->path.via) {
        in->cur = (int)in->n;         /* not a candidate any more: a dead detour */
        for (unsigned i = 0; i < in->n; i++)
            if (via[i] == p->path.via)
                in->cur = (int)i;
    }
}

unsigned detour_paths(struct daemon *d, struct peer *p, uint64_t now)
{
    struct plan_path_cand c[DETOUR_CAND_MAX];
    struct peer *via[DETOUR_CAND_MAX];
    struct plan_path_in in;

    detour_fill(d, p, now, &in, c, via);
    return plan_path_count(&in);
}

uint64_t detour_path_rtt(const struct peer *p)
{
    return p->path.via ? p->path.via_cost : detour_direct_rtt(p);
}

struct peer *detour_ring_next(struct daemon *d, const uint8_t dest[32], const struct peer *not,
                              uint64_t now)
{
    uint64_t ids[DETOUR_RING_CAND_MAX];
    struct peer *who[DETOUR_RING_CAND_MAX];
    unsigned n = 0;
    int k;

    for (size_t i = 0; i < d->n_peers && n < DETOUR_RING_CAND_MAX; i++) {
        struct peer *q = d->peers[i];

        if (q != not && detour_direct_up(q, now)) {
            ids[n] = q->rid64;
            who[n++] = q;
        }
    }
    k = plan_ring_next(d->rid64, peer_rid64(dest), ids, n);
    return k >= 0 ? who[k] : NULL;
}

bool detour_ring_heard(const struct peer *p, uint64_t now)
{
    return p->path.rx_via && now - p->path.rx_via_at < MS(DETOUR_RING_HEARD_MS);
}

static void detour_log_switch(struct peer *p, struct peer *to, bool ring, uint64_t cost,
                              uint64_t now)
{
    if (ring)
        log_info("path", "%s: along the ring through %s (no direct path, no detour)", p->name,
                 to->name);
    else if (to)
        log_info("path", "%s: via %s (%.1f ms; direct %s)", p->name, to->name,
                 (double)cost / 1e6, detour_direct_dead(p, now) ? "dead" : "slower");
    else
        log_info("path", "%s: direct", p->name);
}

void detour_choose(struct daemon *d, struct peer *p, uint64_t now)
{
    struct plan_path_cand c[DETOUR_CAND_MAX];
    struct peer *via[DETOUR_CAND_MAX];
    struct plan_path_in in;
    struct peer *to;
    bool ring = false;
    int k;

    detour_fill(d, p, now, &in, c, via);
    k = plan_path_pick(&in, now);
    to = k >= 0 ? via[k] : NULL;
    /* A direct path found dead and no detour: hand it to the ring, hop by
     * hop. Not for a host whose endpoint we do not know yet: it is no
     * dead path, and that host's own initiation (which tells us the
     * endpoint) must be answered straight back, not along the ring. */
    if (k == PLAN_PATH_PICK_NONE && p->ep.len && (to = detour_ring_next(d, p->pub, p, now)))
        ring = true;
    p->path.via_cost = k >= 0 ? c[k].cost : 0;
    if (to == p->path.via && ring == p->path.via_ring)
        return;
    d->path_switches++;
    detour_log_switch(p, to, ring, p->path.via_cost, now);
    p->path.via = to;
    p->path.via_ring = ring;
    /* An initiation that went the old way (often: to an endpoint not
     * known yet, or cut) would wait REKEY_TIMEOUT for its retry. */
    if (link_peer_retry_now(p->lp, now) < 0)
        log_debug("path", "%s: handshake retry failed", p->name);
}

/* ---- REPORTs ------------------------------------------------------------------ */

static void detour_put_be24(uint8_t *b, uint32_t v)
{
    b[0] = (uint8_t)(v >> 16), b[1] = (uint8_t)(v >> 8), b[2] = (uint8_t)v;
}

static void detour_report_to(struct daemon *d, struct peer *to, uint64_t now)
{
    uint8_t b[3 + DETOUR_REPORT_MAX * INNER_DETOUR_ENTRY];
    unsigned n = 0;

    for (size_t i = 0; i < d->n_peers && n < DETOUR_REPORT_MAX; i++) {
        struct peer *q = d->peers[i];
        uint8_t *e = b + 3 + (size_t)n * INNER_DETOUR_ENTRY;
        uint64_t rtt;
        uint8_t flags = 0;

        if (q == to)
            continue;
        if (detour_direct_up(q, now)) {
            rtt = detour_direct_rtt(q);
        } else if (q->path.via && !q->path.via_ring && q->path.via != to &&
                   detour_direct_up(q->path.via, now)) {
            rtt = q->path.via_cost;   /* through a relay; never one through @to itself */
            flags = INNER_DETOUR_RELAYED;
        } else {
            continue;
        }
        rtt /= 1000;
        memcpy(e, q->pub, 8);
        e[8] = flags;
        detour_put_be24(e + 9, !rtt ? INNER_DETOUR_RTT_UNKNOWN
                               : rtt < INNER_DETOUR_RTT_MAX ? (uint32_t)rtt : INNER_DETOUR_RTT_MAX);
        n++;
    }
    b[0] = INNER_DETOUR;
    b[1] = INNER_DETOUR_REPORT;
    b[2] = (uint8_t)n;
    (void)link_peer_send(to->lp, now, b, 3 + (size_t)n * INNER_DETOUR_ENTRY);
}

/* ---- the periodic work ------------------------------------------------------------ */

uint64_t detour_on_timeout(struct daemon *d, uint64_t now)
{
    bool report = now >= d->detour_report_at, busy = false;

    if (report) {
        d->detour_report_at = now + MS(DETOUR_REPORT_MS);
        paths_watch(d, now);
    }
    for (size_t i = 0; i < d->n_peers; i++) {
        struct peer *p = d->peers[i];

        if (!p->lp)
            continue;
        /* A link that came up healthy has no health change to tell us. */
        if (!detour_direct_healthy(p))
            p->path.ok_since = 0;
        else if (!p->path.ok_since)
            p->path.ok_since = now;
        detour_choose(d, p, now);
        if (report && d->detour_reports && tx_peer_up(p, now))
            detour_report_to(d, p, now);
        busy |= p->path.via || path_health_now(&p->probe) != PATH_UP ||
                link_peer_state(p->lp, now) == LINK_CONNECTING;
    }
    /* A path in doubt or a detour (whose hold ends on no event of its
     * own) is looked at every DETOUR_BUSY_MS; else at the next REPORT. */
    if (busy && now + MS(DETOUR_BUSY_MS) < d->detour_report_at)
        return now + MS(DETOUR_BUSY_MS);
    return d->detour_report_at;
}

void detour_forget(struct daemon *d, struct peer *gone)
{
    for (size_t i = 0; i < d->n_peers; i++) {
        struct peer *p = d->peers[i];

        if (p->path.via == gone)
            p->path.via = NULL;
        if (p->path.rx_via == gone)
            p->path.rx_via = NULL;
    }
    if (d->rx_via == gone)
        d->rx_via = NULL;
}
