/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * `metrics`: every counter `status` shows and the gauges an operator
 * graphs, in the Prometheus text exposition format (version 0.0.4), or
 * with --json as {"metrics": [{"name", "type", "labels", "value"}]}.
 * MetricsListen serves the same text over HTTP (metrics_http.c).
 */
#include "overlayd/control/ctl_int.h"

#include <inttypes.h>
#include <stdio.h>

#include "lib/json.h"
#include "lib/sbuf.h"
#include "overlayd/daemon.h"
#include "overlayd/datapath/fdb.h"
#include "overlayd/datapath/fw.h"

struct metrics_out {
    struct ctl_ctx *c;
    struct json j;
};

/* One family's HELP and TYPE lines (text only). */
static void metrics_family(struct metrics_out *m, const char *name, const char *type,
                           const char *help)
{
    if (!m->c->json)
        sbuf_printf(m->c->out, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

/* One sample; @label NULL for none. Label values here are host and
 * enclave names ([a-z0-9-]) and counter names: nothing to escape. */
static void metrics_sample(struct metrics_out *m, const char *name, const char *type,
                           const char *label, const char *value, double v)
{
    if (!m->c->json) {
        if (label)
            sbuf_printf(m->c->out, "%s{%s=\"%s\"} %.17g\n", name, label, value, v);
        else
            sbuf_printf(m->c->out, "%s %.17g\n", name, v);
        return;
    }
    json_obj_begin(&m->j);
    json_kstr(&m->j, "name", name);
    json_kstr(&m->j, "type", type);
    json_key(&m->j, "labels");
    json_obj_begin(&m->j);
    if (label)
        json_kstr(&m->j, label, value);
    json_obj_end(&m->j);
    json_key(&m->j, "value");
    json_double(&m->j, v);
    json_obj_end(&m->j);
}

static void metrics_counters(struct metrics_out *m)
{
    struct ctl_counter cnt[CTL_COUNTERS_MAX];
    size_t n = ctl_counters(m->c->d, cnt);
    char name[96];

    for (size_t i = 0; i < n; i++) {
        snprintf(name, sizeof(name), "overlayd_%s_total", cnt[i].name);
        metrics_family(m, name, "counter",
                       "overlayctl status counter of that name (docs/design.md, Counters)");
        metrics_sample(m, name, "counter", NULL, NULL, (double)cnt[i].v);
    }
}

static void metrics_peers(struct metrics_out *m)
{
    struct daemon *d = m->c->d;
    static const char *const states[] = { "up", "connecting", "down" };
    static const enum link_state st[] = { LINK_UP, LINK_CONNECTING, LINK_DOWN };

    metrics_family(m, "overlayd_peers", "gauge", "known hosts by link state");
    for (size_t s = 0; s < 3; s++) {
        size_t n = 0;

        for (size_t i = 0; i < d->n_peers; i++)
            n += peer_state(d->peers[i], m->c->now) == st[s];
        metrics_sample(m, "overlayd_peers", "gauge", "state", states[s], (double)n);
    }
    metrics_family(m, "overlayd_peer_rx_bytes_total", "counter", "bytes received from a host");
    for (size_t i = 0; i < d->n_peers; i++)
        metrics_sample(m, "overlayd_peer_rx_bytes_total", "counter", "peer", d->peers[i]->name,
                       (double)d->peers[i]->rx_bytes);
    metrics_family(m, "overlayd_peer_tx_bytes_total", "counter", "bytes sent to a host");
    for (size_t i = 0; i < d->n_peers; i++)
        metrics_sample(m, "overlayd_peer_tx_bytes_total", "counter", "peer", d->peers[i]->name,
                       (double)d->peers[i]->tx_bytes);
}

static void metrics_enclaves(struct metrics_out *m)
{
    struct daemon *d = m->c->d;

    metrics_family(m, "overlayd_enclave_fdb_entries", "gauge", "MAC table entries of an enclave");
    for (size_t i = 0; i < d->n_enclaves; i++)
        metrics_sample(m, "overlayd_enclave_fdb_entries", "gauge", "enclave", d->enclaves[i]->name,
                       (double)fdb_count(d->enclaves[i]->fdb));
    metrics_family(m, "overlayd_enclave_policy_flows", "gauge",
                   "flows the enclave's [Policy] remembers (replies pass by them)");
    for (size_t i = 0; i < d->n_enclaves; i++)
        if (d->enclaves[i]->fw)
            metrics_sample(m, "overlayd_enclave_policy_flows", "gauge", "enclave",
                           d->enclaves[i]->name,
                           (double)fw_table_flows(d->enclaves[i]->fw, m->c->now));
}

int ctl_metrics(struct ctl_ctx *c)
{
    struct metrics_out m = { .c = c };

    if (c->argc != 1) {
        sbuf_puts(c->out, "metrics: takes no arguments");
        return -1;
    }
    if (c->json) {
        json_init(&m.j, c->out);
        json_obj_begin(&m.j);
        json_key(&m.j, "metrics");
        json_arr_begin(&m.j);
    }
    metrics_family(&m, "overlayd_uptime_seconds", "gauge", "seconds since the daemon started");
    metrics_sample(&m, "overlayd_uptime_seconds", "gauge", NULL, NULL,
                   (double)(c->now - c->d->start_ns) / 1e9);
    metrics_family(&m, "overlayd_enclaves", "gauge", "enclaves this host carries");
    metrics_sample(&m, "overlayd_enclaves", "gauge", NULL, NULL, (double)c->d->n_enclaves);
    metrics_peers(&m);
    metrics_enclaves(&m);
    metrics_counters(&m);
    if (c->json) {
        json_arr_end(&m.j);
        json_obj_end(&m.j);
        sbuf_putc(c->out, '\n');
    }
    return 0;
}
