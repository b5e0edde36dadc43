/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Detours, the periodic half: probes due, direct paths declared dead,
 * REPORTs of our live links, and each host's path chosen by the plan
 * (overlayd/plan/plan_path.c). See detour.h and docs/paths.md.
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

uint64_t detour_direct_rtt(const struct peer *p)
{
    if (p->path.srtt)
        return p->path.srtt;
    return p->lp ? link_peer_rtt_ns(p->lp) : 0;
}

/* A host we reach directly over an up link: may relay, may be reported. */
static bool detour_direct_up(const struct peer *p, uint64_t now)
{
    return tx_peer_up(p, now) && p->ep.len && !p->path.dead && !p->path.via;
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
    in->direct_usable = p->ep.len && !p->path.dead;
    in->direct_cost = plan_path_cost(detour_direct_rtt(p));
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

void detour_choose(struct daemon *d, struct peer *p, uint64_t now)
{
    struct plan_path_cand c[DETOUR_CAND_MAX];
    struct peer *via[DETOUR_CAND_MAX];
    struct plan_path_in in;
    struct peer *to;
    int k;

    detour_fill(d, p, now, &in, c, via);
    k = plan_path_pick(&in, now);
    to = k >= 0 ? via[k] : NULL;
    if (k >= 0)
        p->path.via_cost = c[k].cost;
    if (to == p->path.via)
        return;
    d->path_switches++;
    if (to)
        log_info("path", "%s: via %s (%.1f ms; direct %s)", p->name, to->name,
                 (double)c[k].cost / 1e6, p->path.dead ? "dead" : "slower");
    else
        log_info("path", "%s: direct", p->name);
    p->path.via = to;
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
        } else if (q->path.via && q->path.via != to && detour_direct_up(q->path.via, now)) {
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

/* How often @p's direct path is probed now, and from when (a suspect
 * path: from DETOUR_SUSPECT_MS after the unanswered send). */
static uint64_t detour_probe_period(const struct detour_peer *dp, uint64_t now, uint64_t *from)
{
    *from = 0;
    if (dp->dead)
        return MS(DETOUR_DEAD_PROBE_MS);
    if (dp->unanswered_since) {
        *from = dp->unanswered_since + MS(DETOUR_SUSPECT_MS);
        return MS(DETOUR_PROBE_MS);
    }
    return dp->via ? MS(DETOUR_DETOURED_PROBE_MS) : MS(DETOUR_RTT_PROBE_MS);
}

/* Probes due on @p's direct path, and dead when nothing came back.
 * Returns when @p needs looking at next. */
static uint64_t detour_watch(struct daemon *d, struct peer *p, uint64_t now)
{
    struct detour_peer *dp = &p->path;
    uint64_t since = dp->unanswered_since, from, period, due, dead_at = UINT64_MAX;

    /* Dead takes both the time and the probes: after a stall of our own
     * (a loaded host), the timer runs before the socket is read, and what
     * came back meanwhile must get its chance. */
    if (since && now - since >= MS(DETOUR_DEAD_MS) && dp->probes_out >= DETOUR_DEAD_PROBES)
        detour_mark_dead(d, p, now, "nothing came back");
    else if (since && since + MS(DETOUR_DEAD_MS) > now)
        dead_at = since + MS(DETOUR_DEAD_MS);
    period = detour_probe_period(dp, now, &from);
    due = dp->probe_at ? dp->probe_at + period : now;
    if (due < from)
        due = from;
    if (!tx_peer_up(p, now) || !p->ep.len)
        return dead_at;
    if (now >= due) {
        detour_probe(d, p, now);
        due = now + period;
    }
    return due < dead_at ? due : dead_at;
}

uint64_t detour_on_timeout(struct daemon *d, uint64_t now)
{
    bool report = now >= d->detour_report_at;
    uint64_t next = UINT64_MAX;

    if (report) {
        d->detour_report_at = now + MS(DETOUR_REPORT_MS);
        paths_watch(d, now);
    }
    for (size_t i = 0; i < d->n_peers; i++) {
        struct peer *p = d->peers[i];
        uint64_t due;

        if (!p->lp)
            continue;
        due = detour_watch(d, p, now);
        detour_choose(d, p, now);
        if (report && tx_peer_up(p, now))
            detour_report_to(d, p, now);
        if (due < next)
            next = due;
    }
    /* A detour's hold ends on no event of its own: look again at the
     * next REPORT at the latest. */
    return next < d->detour_report_at ? next : d->detour_report_at;
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
