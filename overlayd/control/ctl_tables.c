/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The per-enclave tables of the control socket: fdb, neigh, paths. See
 * ctl_cmds.c for the command table.
 */
#include "overlayd/control/ctl_int.h"

#include <arpa/inet.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "lib/json.h"
#include "lib/mac.h"
#include "lib/sbuf.h"
#include "lib/table.h"
#include "overlayd/daemon.h"
#include "overlayd/datapath/neigh.h"
#include "overlayd/datapath/paths.h"

/* ---- per-enclave tables (fdb, neigh) -------------------------------------- */

/* "CMD ENCLAVE": the enclave named, or NULL with the error in c->out. */
static struct enclave *ctl_enclave_arg(struct ctl_ctx *c, const char *cmd)
{
    struct enclave *e;

    if (c->argc != 2) {
        sbuf_printf(c->out, "usage: %s ENCLAVE", cmd);
        return NULL;
    }
    e = enclave_by_name(c->d, c->argv[1]);
    if (!e)
        sbuf_printf(c->out, "unknown enclave %s", c->argv[1]);
    return e;
}

/* {"enclave": NAME, "entries": [ ... ]} in JSON, else a table of @ncols
 * columns under @head; ctl_entries_end closes either. */
static void ctl_entries_begin(struct ctl_ctx *c, const struct enclave *e, struct json *j,
                              struct table *t, unsigned ncols, const char *const *head)
{
    if (c->json) {
        json_init(j, c->out);
        json_obj_begin(j);
        json_kstr(j, "enclave", e->name);
        json_key(j, "entries");
        json_arr_begin(j);
    } else {
        table_init(t, ncols);
        table_row(t, head);
    }
}

static void ctl_entries_end(struct ctl_ctx *c, struct json *j, struct table *t)
{
    if (c->json) {
        json_arr_end(j);
        json_obj_end(j);
        sbuf_putc(c->out, '\n');
    } else {
        table_print(t, c->out);
        table_free(t);
    }
}

/* ---- fdb ----------------------------------------------------------------- */

int ctl_fdb(struct ctl_ctx *c)
{
    struct enclave *e = ctl_enclave_arg(c, "fdb");
    struct json j;
    struct table t;

    if (!e)
        return -1;
    ctl_entries_begin(c, e, &j, &t, 5,
                      (const char *const[]){ "MAC", "LOCATION", "AGE_S", "SEQ", "STATE" });
    for (size_t i = 0; i < fdb_capacity(e->fdb); i++) {
        const struct fdb_entry *ent = fdb_at(e->fdb, i);
        char mac[MAC_STR_LEN + 1], age[24], seq[24];
        const char *loc;
        uint64_t age_s;

        if (!ent)
            continue;
        mac_format(ent->mac, mac);
        loc = ent->peer ? ((struct peer *)ent->peer)->name : "local";
        age_s = c->now > ent->last_seen ? ctl_secs(c->now - ent->last_seen) : 0;
        if (c->json) {
            json_obj_begin(&j);
            json_kstr(&j, "mac", mac);
            json_kstr(&j, "location", loc);
            json_ku64(&j, "seq", ent->seq);
            json_ku64(&j, "age_s", age_s);
            json_kstr(&j, "state", fdb_entry_state(ent));
            json_obj_end(&j);
        } else {
            snprintf(age, sizeof(age), "%" PRIu64, age_s);
            snprintf(seq, sizeof(seq), "%" PRIu64, ent->seq);
            table_row(&t, (const char *const[]){ mac, loc, age, seq,
                                                fdb_entry_state(ent) });
        }
    }
    ctl_entries_end(c, &j, &t);
    return 0;
}

/* ---- paths --------------------------------------------------------------- */

static void ctl_bound_json(struct json *j, const char *key, enum paths_bound b)
{
    json_key(j, key);
    if (b == PATHS_UNKNOWN)
        json_null(j);
    else
        json_bool(j, b == PATHS_HOLDS);
}

static const char *ctl_bound_text(enum paths_bound b)
{
    return b == PATHS_UNKNOWN ? "-" : b == PATHS_HOLDS ? "yes" : "NO";
}

static void ctl_paths_row(struct ctl_ctx *c, struct json *j, struct table *t, struct peer *p,
                          const struct paths_host *h)
{
    char path[8 + CONFIG_NAME_MAX] = "direct", rtt[24], n[12];

    if (h->via)
        snprintf(path, sizeof(path), "via %s", h->via->name);
    if (c->json) {
        json_obj_begin(j);
        json_kstr(j, "name", p->name);
        json_kstr(j, "path", path);
        json_kstr(j, "via", h->via ? h->via->name : NULL);
        ctl_rtt_ns(h->rtt, "rtt_ms", j, NULL);
        json_ku64(j, "paths", h->n_paths);
        ctl_bound_json(j, "latency_ok", h->latency);
        ctl_bound_json(j, "paths_ok", h->paths);
        json_obj_end(j);
        return;
    }
    ctl_rtt_ns(h->rtt, "rtt_ms", NULL, rtt);
    snprintf(n, sizeof(n), "%u", h->n_paths);
    table_row(t, (const char *const[]){ p->name, path, rtt, n, ctl_bound_text(h->latency),
                                        ctl_bound_text(h->paths) });
}

/* Per other host carrying the enclave: the path in use, its RTT, the
 * usable paths, and whether MaxLatency / MinPaths hold (docs/paths.md). */
int ctl_paths(struct ctl_ctx *c)
{
    struct enclave *e = ctl_enclave_arg(c, "paths");
    const struct config_enclave *ce;
    struct json j;
    struct table t;

    if (!e)
        return -1;
    ce = paths_config(c->d, e);
    if (c->json) {
        json_init(&j, c->out);
        json_obj_begin(&j);
        json_kstr(&j, "enclave", e->name);
        ctl_rtt_ns(ce ? ce->max_latency_ns : 0, "max_latency_ms", &j, NULL);
        json_key(&j, "min_paths");
        if (ce && ce->min_paths)
            json_u64(&j, ce->min_paths);
        else
            json_null(&j);
        json_key(&j, "hosts");
        json_arr_begin(&j);
    } else {
        table_init(&t, 6);
        table_row(&t, (const char *const[]){ "HOST", "PATH", "RTT_MS", "PATHS", "LATENCY_OK",
                                            "PATHS_OK" });
    }
    for (size_t i = 0; i < c->d->n_peers; i++) {
        struct peer *p = c->d->peers[i];
        struct paths_host h;

        if (!paths_carries(c->d, p, e))
            continue;
        paths_host(c->d, ce, p, c->now, &h);
        ctl_paths_row(c, &j, &t, p, &h);
    }
    ctl_entries_end(c, &j, &t);
    return 0;
}

/* ---- neigh --------------------------------------------------------------- */

static const char *ctl_neigh_origin(uint8_t origin)
{
    switch (origin) {
    case NEIGH_ORIGIN_STATIC:
        return "static";
    case NEIGH_ORIGIN_LOCAL:
        return "local";
    case NEIGH_ORIGIN_RING:
        return "ring";
    }
    return "?";
}

/* An enclave's ARP/ND bindings: address, MAC, where the binding came from
 * (static: [Member] Address; local: a guest of this host; ring: another
 * host's record), seconds since last seen or fetched (null for static),
 * sequence number. */
int ctl_neigh(struct ctl_ctx *c)
{
    struct enclave *e = ctl_enclave_arg(c, "neigh");
    struct json j;
    struct table t;

    if (!e)
        return -1;
    ctl_entries_begin(c, e, &j, &t, 5,
                      (const char *const[]){ "IP", "MAC", "ORIGIN", "AGE_S", "SEQ" });
    for (size_t i = 0; e->neigh && i < neigh_capacity(e->neigh); i++) {
        const struct neigh_entry *x = neigh_at(e->neigh, i);
        char ip[INET6_ADDRSTRLEN], mac[MAC_STR_LEN + 1], age[24], seq[24];
        const char *origin;
        uint64_t age_s;

        if (!x)
            continue;
        if (!inet_ntop(x->ip.family == 4 ? AF_INET : AF_INET6, x->ip.ip, ip, sizeof(ip)))
            continue;
        mac_format(x->mac, mac);
        origin = ctl_neigh_origin(x->origin);
        age_s = c->now > x->last_seen ? ctl_secs(c->now - x->last_seen) : 0;
        if (c->json) {
            json_obj_begin(&j);
            json_kstr(&j, "ip", ip);
            json_kstr(&j, "mac", mac);
            json_kstr(&j, "origin", origin);
            json_key(&j, "age_s");
            if (x->is_static)
                json_null(&j);
            else
                json_u64(&j, age_s);
            json_ku64(&j, "seq", x->seq);
            json_obj_end(&j);
        } else {
            snprintf(age, sizeof(age), "%" PRIu64, age_s);
            snprintf(seq, sizeof(seq), "%" PRIu64, x->seq);
            table_row(&t, (const char *const[]){ ip, mac, origin, x->is_static ? "-" : age,
                                                seq });
        }
    }
    ctl_entries_end(c, &j, &t);
    return 0;
}
