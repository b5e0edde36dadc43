/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Path probes on the wire (inner type 5): requests answered at once,
 * probes sent when a link's prober (overlayd/paths/) asks, replies handed
 * back to it. Traffic facts reach the prober from rx.c, tx.c, ring/ and
 * the link hooks (peer.c). See docs/design.md, "Path probes".
 */
#include "overlayd/datapath/datapath.h"

#include <errno.h>
#include <string.h>

#include "lib/log.h"
#include "overlayd/daemon.h"
#include "overlayd/datapath/inner.h"

/* One line per change of health, so an operator sees when and why. */
void probe_note_health(struct peer *p, enum path_health old, uint64_t now)
{
    struct path_info pi;

    if (path_health_now(&p->probe) == old)
        return;
    detour_on_health(p->d, p, old, now);
    path_get(&p->probe, &pi);
    /* Suspect comes and goes with one-way traffic (the peer has nothing
     * to say for 300 ms): debug; dead and back are news. */
    if (pi.health == PATH_UP)
        log_msg(old == PATH_DEAD ? LOG_INFO : LOG_DEBUG, "probe", "%s up again", p->name);
    else
        log_msg(pi.health == PATH_DEAD ? LOG_INFO : LOG_DEBUG, "probe",
                "%s %s: nothing heard for %llu ms, %u probe(s) unanswered", p->name,
                path_health_name(pi.health),
                pi.heard ? (unsigned long long)((now - pi.heard_at) / 1000000) : 0ull,
                pi.unanswered);
}

static void probe_send(struct daemon *d, struct peer *p, const struct inner_probe *pr,
                       uint64_t now)
{
    uint8_t buf[INNER_PROBE_LEN];
    int rc;

    inner_probe_build(buf, pr);
    /* Not tx_send(): a probe or a reply is no data the peer must answer,
     * so it must not make the link look silent (path_on_tx). */
    /* Straight to the endpoint even while our data takes a detour: a
     * probe measures the direct path (docs/paths.md). */
    rc = detour_send_direct(d, p, buf, sizeof(buf), now);
    if (rc < 0)
        log_debug("probe", "send to %s: %s", p->name, strerror(-rc));
}

static void probe_reply(struct daemon *d, struct peer *p, const struct inner_probe *pr,
                        uint64_t now)
{
    int rc = path_on_reply(&p->probe, pr->seq, pr->ts, now);

    if (rc < 0) {
        drop_count(&d->drops, DROP_PROBE_STALE, now, "reply %u from %s: %s", pr->seq, p->name,
                   rc == -ESTALE ? "unknown sequence" : rc == -EALREADY ? "not in flight"
                                                                          : "wrong time");
        return;
    }
    d->path_probes_answered++;
}

void probe_rx(struct daemon *d, struct peer *p, const uint8_t *data, size_t len, uint64_t now)
{
    struct inner_probe pr;

    if (d->rx_via) {
        drop_count(&d->drops, DROP_DETOUR_REFUSED, now, "probe through a relay from %s", p->name);
        return;
    }
    if (inner_probe_parse(data, len, &pr) < 0) {
        drop_count(&d->drops, DROP_PROBE_MALFORMED, now, "%zu bytes from %s", len, p->name);
        return;
    }
    if (pr.flags == INNER_PROBE_REPLY) {
        probe_reply(d, p, &pr, now);
        return;
    }
    /* At once, from inside the receive batch: any delay here is RTT the
     * peer measures. The send queue is flushed before the loop blocks. */
    pr.flags = INNER_PROBE_REPLY;
    probe_send(d, p, &pr, now);
    d->path_probe_replies++;
}

/* One peer's due work: settle its probes, send one if asked. */
static void probe_peer_timeout(struct daemon *d, struct peer *p, uint64_t now)
{
    struct path_probe_req q;
    struct inner_probe pr;
    struct path_info before, after;

    if (!p->lp || link_peer_state(p->lp, now) != LINK_UP) {
        path_link_down(&p->probe);
        return;
    }
    path_get(&p->probe, &before);
    if (path_poll(&p->probe, now, &q)) {
        pr.flags = INNER_PROBE_REQUEST;
        pr.seq = q.seq;
        pr.ts = q.ts;
        probe_send(d, p, &pr, now);
        d->path_probes_sent++;
    }
    path_get(&p->probe, &after);
    d->path_probes_lost += after.probes_lost - before.probes_lost;
    probe_note_health(p, before.health, now);
}

void probe_on_timeout(struct daemon *d, uint64_t now)
{
    for (size_t i = 0; i < d->n_peers; i++)
        if (path_next_deadline(&d->peers[i]->probe) <= now)
            probe_peer_timeout(d, d->peers[i], now);
}

uint64_t probe_next_deadline(const struct daemon *d)
{
    uint64_t dl = UINT64_MAX;

    for (size_t i = 0; i < d->n_peers; i++) {
        uint64_t x = path_next_deadline(&d->peers[i]->probe);

        if (x < dl)
            dl = x;
    }
    return dl;
}
