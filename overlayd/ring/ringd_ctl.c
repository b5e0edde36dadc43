/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * overlayctl `ring` (this host's view of the ring) and `lookup ENCLAVE
 * MAC` (through the ring, answered asynchronously when the get completes,
 * once the owning host's [Host] Name is known, or after RINGD_LOOKUP_MS).
 */
#include "overlayd/ring/ringd_int.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "crypto/ringid.h"
#include "overlayd/control/ctl_server.h"
#include "overlayd/daemon.h"
#include "lib/json.h"
#include "lib/log.h"
#include "lib/mac.h"
#include "lib/sbuf.h"
#include "lib/table.h"

/* RFC 7432 section 15: the highest sequence wins, ties go to the lower host id. */
const ring_record *ringd_best_record(const ring_record *recs, size_t n)
{
    const ring_record *best = NULL;

    for (size_t i = 0; i < n; i++) {
        if (recs[i].type != RING_REC_MAC)
            continue;
        if (!best || recs[i].seq > best->seq ||
            (recs[i].seq == best->seq && ring_id_cmp(&recs[i].host.id, &best->host.id) < 0))
            best = &recs[i];
    }
    return best;
}

/* ---- ring ----------------------------------------------------------------- */

static const char *ringd_state_name(const struct ringd *r)
{
    switch (r->node ? ring_node_state(r->node) : RING_IDLE) {
    case RING_JOINING: return "joining";
    case RING_ACTIVE: return "active";
    case RING_LEFT: return "left";
    case RING_IDLE: break;
    }
    return "idle";
}

static void ringd_json_peer(struct ringd *r, struct json *j, const ring_peer *p)
{
    char hex[33], fb[CONFIG_NAME_MAX + 1];

    ring_id_hex(hex, &p->id);
    json_obj_begin(j);
    json_kstr(j, "id", hex);
    json_kstr(j, "name", ringd_name_of(r, p->pub, fb));
    json_obj_end(j);
}

/* Distinct effective fingers, each with the start of the lowest finger
 * index it answers (self + 2^bit). */
static unsigned ringd_fingers(struct ringd *r, const ring_peer **fp, unsigned *bits)
{
    unsigned n = 0;

    if (!r->node || ring_node_state(r->node) != RING_ACTIVE)
        return 0;
    for (unsigned b = 0; b < RING_ID_BITS; b++) {
        const ring_peer *f = ring_node_finger(r->node, b);

        if (!f || ring_id_eq(&f->id, &r->self.id))
            continue;
        if (n && ring_id_eq(&fp[n - 1]->id, &f->id))
            continue;
        fp[n] = f;
        bits[n++] = b;
    }
    return n;
}

/* "stored": the enclaves this host holds location records of (as the
 * records' E-owner or replica), with counts (all records, and the IP
 * binding records among them): what a host learns about enclaves
 * through the ring. */
static void ringd_ctl_record_enclaves(struct ringd *r, struct json *j)
{
    size_t n = ring_node_nrecords(r->node);
    uint32_t ids[64];
    uint64_t cnt[64], ips[64];
    size_t k = 0;

    for (size_t i = 0; i < n; i++) {
        const ring_record *rec = ring_node_record(r->node, i);
        size_t x;

        for (x = 0; x < k && ids[x] != rec->enclave; x++)
            ;
        if (x == k) {
            if (k == 64)
                continue;
            ids[k] = rec->enclave;
            ips[k] = 0;
            cnt[k++] = 0;
        }
        cnt[x]++;
        ips[x] += rec->type == RING_REC_IP;
    }
    json_key(j, "stored");
    json_arr_begin(j);
    for (size_t x = 0; x < k; x++) {
        json_obj_begin(j);
        json_ku64(j, "enclave", ids[x]);
        json_ku64(j, "records", cnt[x]);
        json_ku64(j, "bindings", ips[x]);
        json_obj_end(j);
    }
    json_arr_end(j);
}

/* What `ring` shows: our id, predecessor, successors and fingers. */
struct ringd_view {
    ring_id self;
    const ring_peer *pred;
    unsigned ns, nf;
    const ring_peer *fp[RING_ID_BITS];
    unsigned bits[RING_ID_BITS];
};

static void ringd_ctl_stats(struct ringd *r, struct json *j)
{
    const ring_stats *st = ring_node_stats(r->node);

    json_key(j, "stats");
    json_obj_begin(j);
    json_ku64(j, "msgs_sent", st->msgs_sent);
    json_ku64(j, "msgs_recv", st->msgs_recv);
    json_ku64(j, "bad_msgs", st->bad_msgs);
    json_ku64(j, "rpc_timeouts", st->rpc_timeouts);
    json_ku64(j, "ops_expired", st->ops_expired);
    json_ku64(j, "ops_out_of_hops", st->ops_out_of_hops);
    json_ku64(j, "stores_rejected", st->stores_rejected);
    json_ku64(j, "recs_unasked", st->recs_unasked);
    /* Trust refusals (docs/security.md): 0 in an honest ring. */
    json_ku64(j, "msgs_bad_host", st->msgs_bad_host);
    json_ku64(j, "recs_bad_host", st->recs_bad_host);
    json_ku64(j, "recs_bad_seq", st->recs_bad_seq);
    json_ku64(j, "recs_bad_ttl", st->recs_bad_ttl);
    json_ku64(j, "recs_from_noncarrier", st->recs_from_noncarrier);
    json_ku64(j, "recs_quota", st->recs_quota);
    json_ku64(j, "gets_rejected", st->gets_rejected);
    json_ku64(j, "probe_owner_noncarrier", st->probe_owner_noncarrier);
    json_ku64(j, "pubs_bad_seq", r->pubs_bad_seq);
    json_ku64(j, "claims_stored", r->claims_stored);
    json_ku64(j, "unity_checks", st->unity_checks);
    json_ku64(j, "unity_splits", st->unity_splits);
    json_ku64(j, "zip_steps", st->zip_steps);
    json_ku64(j, "hosts_remembered", ring_node_nseen(r->node));
    json_ku64(j, "records", ring_node_nrecords(r->node));
    json_ku64(j, "drop_no_link", r->d->drops.n[DROP_RING_NO_LINK]);
    json_ku64(j, "drop_not_carry", r->d->drops.n[DROP_RING_NOT_CARRY]);
    json_ku64(j, "drop_peer_cap", r->d->drops.n[DROP_RING_PEER_CAP]);
    json_ku64(j, "relay_sent", r->relay_sent);
    json_ku64(j, "relay_forwarded", r->relay_forwarded);
    json_ku64(j, "relay_delivered", r->relay_delivered);
    json_ku64(j, "relay_dropped", r->d->drops.n[DROP_RELAY_DROPPED]);
    json_ku64(j, "relay_refused", r->d->drops.n[DROP_RELAY_REFUSED]);
    json_ku64(j, "links_declined", plan_links_declined(r->plan));
    json_ku64(j, "foreign_payloads", r->foreign_payloads);
    json_ku64(j, "link_cap", r->node ? ring_node_link_cap(r->node) : RING_LINKS_MIN);
    json_obj_end(j);
}

static void ringd_ctl_fingers_json(struct ringd *r, const struct ringd_view *v, struct json *j)
{
    char hex[33], fb[CONFIG_NAME_MAX + 1];
    ring_id start;

    json_key(j, "fingers");
    json_arr_begin(j);
    for (unsigned i = 0; i < v->nf; i++) {
        uint64_t rtt_ns = ringd_link_rtt(r->d, v->fp[i]);

        ring_id_add_pow2(&start, &v->self, v->bits[i]);
        ring_id_hex(hex, &start);
        json_obj_begin(j);
        json_kstr(j, "start", hex);
        ring_id_hex(hex, &v->fp[i]->id);
        json_kstr(j, "id", hex);
        json_kstr(j, "name", ringd_name_of(r, v->fp[i]->pub, fb));
        json_key(j, "rtt_ms");
        if (rtt_ns)
            json_double(j, (double)rtt_ns / 1e6);
        else
            json_null(j);
        json_obj_end(j);
    }
    json_arr_end(j);
}

static void ringd_ctl_ring_json(struct ringd *r, const struct ringd_view *v, struct sbuf *out)
{
    struct json j;
    char hex[33];

    ring_id_hex(hex, &v->self);
    json_init(&j, out);
    json_obj_begin(&j);
    json_kstr(&j, "id", hex);
    json_kstr(&j, "name", r->d->cfg->name);
    json_kstr(&j, "state", ringd_state_name(r));
    json_key(&j, "predecessor");
    if (v->pred)
        ringd_json_peer(r, &j, v->pred);
    else
        json_null(&j);
    json_key(&j, "successors");
    json_arr_begin(&j);
    for (unsigned i = 0; i < v->ns; i++)
        ringd_json_peer(r, &j, ring_node_succ(r->node, i));
    json_arr_end(&j);
    ringd_ctl_fingers_json(r, v, &j);
    if (r->node) {
        ringd_ctl_stats(r, &j);
        ringd_ctl_record_enclaves(r, &j);
    }
    json_obj_end(&j);
    sbuf_putc(out, '\n');
}

static void ringd_ctl_ring_text(struct ringd *r, const struct ringd_view *v, struct sbuf *out)
{
    char hex[33], sh[33], rtt[24], fb[CONFIG_NAME_MAX + 1];
    struct table t;
    ring_id start;

    ring_id_hex(hex, &v->self);
    sbuf_printf(out, "id           %s\n", hex);
    sbuf_printf(out, "state        %s\n", ringd_state_name(r));
    if (v->pred) {
        ring_id_hex(hex, &v->pred->id);
        sbuf_printf(out, "predecessor  %s %s\n", hex, ringd_name_of(r, v->pred->pub, fb));
    } else {
        sbuf_puts(out, "predecessor  -\n");
    }
    sbuf_puts(out, "successors\n");
    for (unsigned i = 0; i < v->ns; i++) {
        const ring_peer *s = ring_node_succ(r->node, i);

        ring_id_hex(hex, &s->id);
        sbuf_printf(out, "  %-2u %s %s\n", i + 1, hex, ringd_name_of(r, s->pub, fb));
    }
    sbuf_puts(out, "fingers\n");
    table_init(&t, 4);
    table_row(&t, (const char *const[]){ "START", "ID", "NAME", "RTT_MS" });
    for (unsigned i = 0; i < v->nf; i++) {
        uint64_t rtt_ns = ringd_link_rtt(r->d, v->fp[i]);

        ring_id_add_pow2(&start, &v->self, v->bits[i]);
        ring_id_hex(sh, &start);
        ring_id_hex(hex, &v->fp[i]->id);
        if (rtt_ns)
            snprintf(rtt, sizeof(rtt), "%.3f", (double)rtt_ns / 1e6);
        else
            snprintf(rtt, sizeof(rtt), "-");
        table_row(&t, (const char *const[]){ sh, hex, ringd_name_of(r, v->fp[i]->pub, fb), rtt });
    }
    table_print(&t, out);
    table_free(&t);
}

int ringd_ctl_ring(struct daemon *d, bool json, struct sbuf *out)
{
    struct ringd *r = d->ringd;
    struct ringd_view v = { .pred = NULL, .ns = 0 };

    if (!r) {
        sbuf_puts(out, "the ring is not running");
        return -1;
    }
    ringid_from_pubkey(v.self.b, d->pub);
    if (r->node && ring_node_state(r->node) == RING_ACTIVE) {
        v.pred = ring_node_pred(r->node);
        v.ns = ring_node_nsucc(r->node);
        /* Alone on the ring we are our own predecessor (null means joining). */
        if (!v.pred && ring_id_eq(&ring_node_succ(r->node, 0)->id, &v.self))
            v.pred = ring_node_self(r->node);
    }
    v.nf = ringd_fingers(r, v.fp, v.bits);
    if (json)
        ringd_ctl_ring_json(r, &v, out);
    else
        ringd_ctl_ring_text(r, &v, out);
    return 0;
}

/* ---- lookup --------------------------------------------------------------- */

static void ringd_reply(struct ringd *r, struct ringd_pending *pd, const char *err)
{
    struct sbuf out;
    char mac[MAC_STR_LEN + 1], fb[CONFIG_NAME_MAX + 1], hex[33];
    const char *host;

    sbuf_init(&out);
    if (err) {
        sbuf_puts(&out, err);
        ctl_server_reply(&r->d->ctl, pd->ctl_id, false, sbuf_str(&out));
        sbuf_free(&out);
        return;
    }
    mac_format(pd->mac, mac);
    host = ringd_name_of(r, pd->rec.host.pub, fb);
    ring_id_hex(hex, &pd->rec.host.id);
    if (pd->json) {
        struct json j;

        json_init(&j, &out);
        json_obj_begin(&j);
        json_kstr(&j, "enclave", pd->enclave_name);
        json_kstr(&j, "mac", mac);
        json_kstr(&j, "host", host);
        json_ku64(&j, "seq", pd->rec.seq);
        json_ku64(&j, "hops", pd->hops);
        json_key(&j, "latency_ms");
        json_double(&j, (double)pd->took / RINGD_MS);
        json_kstr(&j, "host_id", hex);
        json_obj_end(&j);
        sbuf_putc(&out, '\n');
    } else {
        sbuf_printf(&out, "enclave  %s\nmac      %s\nhost     %s\nhost_id  %s\n"
                    "seq      %" PRIu64 "\nhops     %u\nlatency  %.3f ms\n", pd->enclave_name, mac,
                    host, hex, pd->rec.seq, pd->hops, (double)pd->took / RINGD_MS);
    }
    ctl_server_reply(&r->d->ctl, pd->ctl_id, !sbuf_oom(&out), sbuf_oom(&out) ? "out of memory"
                                                                           : sbuf_str(&out));
    sbuf_free(&out);
}

static void ringd_pend_del(struct ringd *r, size_t i)
{
    r->pend[i] = r->pend[--r->n_pend];
}

int ringd_ctl_lookup(struct daemon *d, struct enclave *e, const uint8_t mac[6], bool json,
                     uint64_t ctl_id, struct sbuf *out)
{
    struct ringd *r = d->ringd;
    struct ringd_pending *np, *pd;
    int rc;

    if (!r || !r->node || ring_node_state(r->node) != RING_ACTIVE) {
        sbuf_puts(out, "lookup: this host has not joined the ring yet");
        return -1;
    }
    np = realloc(r->pend, (r->n_pend + 1) * sizeof(*np));
    if (!np) {
        sbuf_puts(out, "out of memory");
        return -1;
    }
    r->pend = np;
    pd = &r->pend[r->n_pend++];
    memset(pd, 0, sizeof(*pd));
    pd->cookie = (uint64_t)RINGD_CK_CTL << 56 | (++r->next_cookie & 0xffffffffffffull);
    pd->ctl_id = ctl_id;
    pd->started = daemon_now();
    pd->deadline = pd->started + (uint64_t)RINGD_LOOKUP_MS * RINGD_MS;
    pd->enclave = e->id;
    snprintf(pd->enclave_name, sizeof(pd->enclave_name), "%s", e->name);
    memcpy(pd->mac, mac, 6);
    pd->json = json;
    /* May complete at once (we own the key): the entry exists before. */
    rc = ring_node_get_mac(r->node, daemon_now(), e->id, mac, pd->cookie);
    ringd_rearm(r);
    if (rc < 0) {
        for (size_t i = 0; i < r->n_pend; i++) {
            if (r->pend[i].ctl_id == ctl_id) {
                ringd_pend_del(r, i);
                sbuf_printf(out, "lookup failed (%d)", rc);
                return -1;
            }
        }
    }
    return CTL_DEFERRED;
}

void ringd_ctl_get_done(struct ringd *r, uint64_t cookie, int status, const ring_record *recs,
                        size_t n, unsigned hops)
{
    struct ringd_pending *pd = NULL;
    const ring_record *best;
    char mac[MAC_STR_LEN + 1], msg[128];
    size_t i;

    for (i = 0; i < r->n_pend; i++)
        if (r->pend[i].cookie == cookie && !r->pend[i].resolved)
            pd = &r->pend[i];
    if (!pd)
        return;                       /* timed out already */
    i = (size_t)(pd - r->pend);
    best = status == 0 ? ringd_best_record(recs, n) : NULL;
    if (!best) {
        mac_format(pd->mac, mac);
        if (status == 0 || status == RING_ERR_NOTFOUND)
            snprintf(msg, sizeof(msg), "no record for %s in %s", mac, pd->enclave_name);
        else if (status == RING_ERR_TIMEOUT)
            snprintf(msg, sizeof(msg), "lookup timed out after %u hops", hops);
        else if (status == RING_ERR_REJECTED)
            snprintf(msg, sizeof(msg), "refused: %s is not in this host's certificate",
                     pd->enclave_name);
        else
            snprintf(msg, sizeof(msg), "lookup failed (%d)", status);
        ringd_reply(r, pd, msg);
        ringd_pend_del(r, i);
        return;
    }
    pd->rec = *best;
    pd->hops = hops;
    /* The ring's part only: waiting for the host's name comes after. */
    pd->took = daemon_now() - pd->started;
    pd->resolved = true;
    if (ringd_has_name(r, best->host.pub)) {
        ringd_reply(r, pd, NULL);
        ringd_pend_del(r, i);
        return;
    }
    /* Its name arrives with its HOST message once a link is up. */
    struct peer *p = ringd_peer_for(r, &best->host, true, daemon_now());

    if (p) {
        plan_on_data(r->plan, p->pub, daemon_now());
        link_peer_connect(p->lp, daemon_now());
    }
}

void ringd_ctl_answer_due(struct ringd *r, uint64_t now)
{
    for (size_t i = 0; i < r->n_pend;) {
        struct ringd_pending *pd = &r->pend[i];

        if (pd->resolved && (ringd_has_name(r, pd->rec.host.pub) || now >= pd->deadline)) {
            ringd_reply(r, pd, NULL);
        } else if (now >= pd->deadline) {
            ringd_reply(r, pd, "lookup timed out");
        } else {
            i++;
            continue;
        }
        ringd_pend_del(r, i);
    }
}

uint64_t ringd_ctl_next_deadline(const struct ringd *r)
{
    uint64_t dl = UINT64_MAX;

    for (size_t i = 0; i < r->n_pend; i++)
        if (r->pend[i].deadline < dl)
            dl = r->pend[i].deadline;
    return dl;
}
