/* SPDX-License-Identifier: GPL-2.0-only */
#include "overlayd/control/ctl_cmds.h"
#include "overlayd/control/ctl_int.h"

#include <arpa/inet.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "crypto/key.h"
#include "crypto/noise.h"
#include "crypto/ringid.h"
#include "overlayd/datapath/peer_admit.h"
#include "overlayd/daemon.h"
#include "overlayd/datapath/neigh.h"
#include "lib/json.h"
#include "lib/mac.h"
#include "overlayd/ring/ringd.h"
#include "lib/sbuf.h"
#include "lib/table.h"


uint64_t ctl_secs(uint64_t ns)
{
    return ns / 1000000000ull;
}

size_t ctl_peers_up(struct ctl_ctx *c)
{
    size_t n = 0;

    for (size_t i = 0; i < c->d->n_peers; i++)
        if (peer_state(c->d->peers[i], c->now) == LINK_UP)
            n++;
    return n;
}

/* An RTT (ns, 0 unknown) in ms for the JSON (a number, null) and the
 * table ("-"). */
void ctl_rtt_ns(uint64_t ns, const char *key, struct json *j, char text[24])
{
    if (j) {
        json_key(j, key);
        if (ns)
            json_double(j, (double)ns / 1e6);
        else
            json_null(j);
    }
    if (text) {
        if (ns)
            snprintf(text, 24, "%.3f", (double)ns / 1e6);
        else
            snprintf(text, 24, "-");
    }
}

/* rtt_var_ms (null without a probe sample), loss (null before a probe
 * settled), health: the probes' view of the link. */
static void ctl_path_json(const struct peer *p, struct json *j)
{
    struct path_info pi;

    peer_path_get(p, &pi);
    json_key(j, "rtt_var_ms");
    if (pi.has_sample)
        json_double(j, (double)pi.rttvar_ns / 1e6);
    else
        json_null(j);
    json_key(j, "loss");
    if (pi.has_loss)
        json_double(j, pi.loss);
    else
        json_null(j);
    json_kstr(j, "health", path_health_name(pi.health));
    json_ku64(j, "probes_sent", pi.probes_sent);
    json_ku64(j, "probes_answered", pi.probes_answered);
    json_ku64(j, "probes_lost", pi.probes_lost);
}

static void ctl_path_text(const struct peer *p, char var[24], char loss[24])
{
    struct path_info pi;

    peer_path_get(p, &pi);
    if (pi.has_sample)
        snprintf(var, 24, "%.3f", (double)pi.rttvar_ns / 1e6);
    else
        snprintf(var, 24, "-");
    if (pi.has_loss)
        snprintf(loss, 24, "%.2f", pi.loss);
    else
        snprintf(loss, 24, "-");
}

/* The AEAD of the session in use, as `peers` names it; NULL: none. */
static const char *ctl_cipher_name(const struct link_peer *lp)
{
    switch (link_peer_aead(lp)) {
    case NOISE_AEAD_CHACHAPOLY: return "chachapoly";
    case NOISE_AEAD_AESGCM: return "aesgcm";
    default: return NULL;
    }
}

static const char *ctl_state_name(enum link_state st)
{
    switch (st) {
    case LINK_UP: return "up";
    case LINK_CONNECTING: return "connecting";
    case LINK_DOWN: return "down";
    }
    return "down";
}

/* ---- status -------------------------------------------------------------- */

/*
 * Every counter `status` shows: the link layer's drops (crypto/link.h),
 * then every drop reason of the daemon (lib/drop.h), each under its own
 * name, then traffic, then what neighbour suppression answered and the
 * broadcast tree carried, paths, probes, location claims. @c holds
 * CTL_COUNTERS_MAX.
 */
size_t ctl_counters(struct daemon *d, struct ctl_counter *c)
{
    const struct link_counters *lc = link_host_counters(d->link);
    size_t n = 0;

    c[n++] = (struct ctl_counter){ "drop_replay", lc->drop_replay };
    c[n++] = (struct ctl_counter){ "drop_auth", lc->drop_auth };
    c[n++] = (struct ctl_counter){ "drop_unknown_peer", lc->drop_unknown_peer };
    c[n++] = (struct ctl_counter){ "drop_malformed", lc->drop_malformed };
    c[n++] = (struct ctl_counter){ "drop_expired", lc->drop_expired };
    c[n++] = (struct ctl_counter){ "drop_ratelimit", lc->drop_ratelimit };
    c[n++] = (struct ctl_counter){ "drop_truncated", d->udp.rx_truncated };
    c[n++] = (struct ctl_counter){ "drop_cipher", lc->drop_cipher };
    c[n++] = (struct ctl_counter){ "drop_cookie", lc->drop_cookie };
    c[n++] = (struct ctl_counter){ "drop_frag_malformed", lc->drop_frag_malformed };
    c[n++] = (struct ctl_counter){ "drop_frag_expired", lc->drop_frag_expired };
    for (unsigned r = 0; r < DROP__N; r++)
        c[n++] = (struct ctl_counter){ drop_name((enum drop_reason)r), d->drops.n[r] };
    c[n++] = (struct ctl_counter){ "handshakes_initiated", lc->handshakes_initiated };
    c[n++] = (struct ctl_counter){ "handshakes_completed", lc->handshakes_completed };
    c[n++] = (struct ctl_counter){ "cookies_sent", lc->cookies_sent };
    /* The contract's name for the same count. */
    c[n++] = (struct ctl_counter){ "cookie_replies", lc->cookies_sent };
    c[n++] = (struct ctl_counter){ "frag_sent", lc->frag_sent };
    c[n++] = (struct ctl_counter){ "frag_reassembled", lc->frag_reassembled };
    c[n++] = (struct ctl_counter){ "rx_packets", d->udp.rx_packets };
    c[n++] = (struct ctl_counter){ "tx_packets", d->udp.tx_packets };
    c[n++] = (struct ctl_counter){ "tx_errors", d->udp.tx_errors };
    c[n++] = (struct ctl_counter){ "tap_rx_frames", d->tap_rx_frames };
    c[n++] = (struct ctl_counter){ "tap_tx_frames", d->tap_tx_frames };
    c[n++] = (struct ctl_counter){ "arp_suppressed", d->arp_suppressed };
    c[n++] = (struct ctl_counter){ "nd_suppressed", d->nd_suppressed };
    c[n++] = (struct ctl_counter){ "arp_learned", d->arp_learned };
    c[n++] = (struct ctl_counter){ "nd_learned", d->nd_learned };
    c[n++] = (struct ctl_counter){ "neigh_conflicts", d->neigh_conflicts };
    c[n++] = (struct ctl_counter){ "neigh_ring_gets", d->neigh_ring_gets };
    c[n++] = (struct ctl_counter){ "neigh_ring_hits", d->neigh_ring_hits };
    c[n++] = (struct ctl_counter){ "neigh_ring_misses", d->neigh_ring_misses };
    c[n++] = (struct ctl_counter){ "flood_frames", d->flood_frames };
    c[n++] = (struct ctl_counter){ "flood_copies", d->flood_copies };
    c[n++] = (struct ctl_counter){ "flood_received", d->flood_received };
    c[n++] = (struct ctl_counter){ "detour_sent", d->detour_sent };
    c[n++] = (struct ctl_counter){ "detour_delivered", d->detour_delivered };
    c[n++] = (struct ctl_counter){ "detour_relayed", d->detour_relayed };
    c[n++] = (struct ctl_counter){ "detour_ring", d->detour_ring };
    c[n++] = (struct ctl_counter){ "path_switches", d->path_switches };
    c[n++] = (struct ctl_counter){ "direct_dead", d->direct_dead };
    c[n++] = (struct ctl_counter){ "path_probes_sent", d->path_probes_sent };
    c[n++] = (struct ctl_counter){ "path_probes_answered", d->path_probes_answered };
    c[n++] = (struct ctl_counter){ "path_probes_lost", d->path_probes_lost };
    c[n++] = (struct ctl_counter){ "path_probe_replies", d->path_probe_replies };
    c[n++] = (struct ctl_counter){ "mss_clamped", d->mss_clamped };
    c[n++] = (struct ctl_counter){ "gso_frames", d->gso_frames };
    c[n++] = (struct ctl_counter){ "gso_segmented", d->gso_segmented };
    c[n++] = (struct ctl_counter){ "udp_gso_trains", d->udp.tx_trains };
    c[n++] = (struct ctl_counter){ "udp_gro_batches", d->udp.rx_gro };
    c[n++] = (struct ctl_counter){ "udp_gso_runs", d->udp.tx_gso_runs };
    c[n++] = (struct ctl_counter){ "migrations", d->migrations };
    c[n++] = (struct ctl_counter){ "macs_frozen", d->macs_frozen };
    c[n++] = (struct ctl_counter){ "forwarded_frames", d->forwarded_frames };
    return n;
}

static int ctl_status(struct ctl_ctx *c)
{
    struct daemon *d = c->d;
    char pub[KEY_B64_LEN + 1], rid_hex[RINGID_HEX_LEN + 1];
    uint8_t rid[RINGID_LEN];
    struct ctl_counter cnt[CTL_COUNTERS_MAX];
    size_t ncnt = ctl_counters(d, cnt);
    uint64_t up = ctl_secs(c->now - d->start_ns);

    key_to_base64(pub, d->pub);
    ringid_from_pubkey(rid, d->pub);
    ringid_to_hex(rid_hex, rid);
    if (c->json) {
        struct json j;

        json_init(&j, c->out);
        json_obj_begin(&j);
        json_kstr(&j, "name", d->cfg->name);
        json_kstr(&j, "public_key", pub);
        json_kstr(&j, "ring_id", rid_hex);
        json_kstr(&j, "listen", d->udp.listen_str);
        json_ku64(&j, "uptime_s", up);
        json_ku64(&j, "peers_up", ctl_peers_up(c));
        json_ku64(&j, "peers", d->n_peers);
        json_key(&j, "enclaves");
        json_arr_begin(&j);
        for (size_t i = 0; i < d->n_enclaves; i++)
            json_str(&j, d->enclaves[i]->name);
        json_arr_end(&j);
        json_key(&j, "counters");
        json_obj_begin(&j);
        for (size_t i = 0; i < ncnt; i++)
            json_ku64(&j, cnt[i].name, cnt[i].v);
        json_obj_end(&j);
        json_obj_end(&j);
        sbuf_putc(c->out, '\n');
        return 0;
    }
    sbuf_printf(c->out, "name         %s\n", d->cfg->name);
    sbuf_printf(c->out, "public_key   %s\n", pub);
    sbuf_printf(c->out, "ring_id      %s\n", rid_hex);
    sbuf_printf(c->out, "listen       %s\n", d->udp.listen_str);
    sbuf_printf(c->out, "uptime_s     %" PRIu64 "\n", up);
    sbuf_printf(c->out, "peers_up     %zu\n", ctl_peers_up(c));
    sbuf_printf(c->out, "peers        %zu\n", d->n_peers);
    sbuf_puts(c->out, "enclaves     ");
    for (size_t i = 0; i < d->n_enclaves; i++)
        sbuf_printf(c->out, "%s%s", i ? "," : "", d->enclaves[i]->name);
    sbuf_puts(c->out, d->n_enclaves ? "\n" : "-\n");
    sbuf_puts(c->out, "counters\n");
    for (size_t i = 0; i < ncnt; i++)
        sbuf_printf(c->out, "  %-22s %" PRIu64 "\n", cnt[i].name, cnt[i].v);
    return 0;
}

/* ---- peers --------------------------------------------------------------- */

static int ctl_peers(struct ctl_ctx *c)
{
    struct daemon *d = c->d;
    struct json j;
    struct table t;

    if (c->json) {
        json_init(&j, c->out);
        json_obj_begin(&j);
        json_key(&j, "peers");
        json_arr_begin(&j);
    } else {
        table_init(&t, 15);
        table_row(&t, (const char *const[]){ "NAME", "PUBLIC_KEY", "ENDPOINT", "STATE", "RTT_MS",
                                            "RTT_VAR_MS", "LOSS", "HEALTH", "RX_BYTES", "TX_BYTES", "HANDSHAKE_S", "VIA",
                                            "CERT", "ENCLAVES", "CIPHER" });
    }
    for (size_t i = 0; i < d->n_peers; i++) {
        struct peer *p = d->peers[i];
        char pub[KEY_B64_LEN + 1], ep[UDP_ADDRSTR] = "", rx[24], tx[24], hs[24] = "";
        uint64_t last = link_peer_last_handshake(p->lp);
        const char *st = ctl_state_name(peer_state(p, c->now));
        char via[8 + CONFIG_NAME_MAX] = "direct";

        key_to_base64(pub, p->pub);
        if (p->ep.len)
            udp_addr_str((struct sockaddr *)&p->ep.ss, ep);
        snprintf(rx, sizeof(rx), "%" PRIu64, p->rx_bytes);
        snprintf(tx, sizeof(tx), "%" PRIu64, p->tx_bytes);
        if (last)
            snprintf(hs, sizeof(hs), "%" PRIu64, ctl_secs(c->now - last));
        if (c->json) {
            json_obj_begin(&j);
            json_kstr(&j, "name", p->name);
            json_kstr(&j, "public_key", pub);
            json_kstr(&j, "endpoint", ep[0] ? ep : NULL);
            json_kstr(&j, "state", st);
            ctl_rtt_ns(detour_path_rtt(p), "rtt_ms", &j, NULL);
            ctl_rtt_ns(detour_direct_rtt(p), "direct_rtt_ms", &j, NULL);
            json_ku64(&j, "paths", detour_paths(d, p, c->now));
            ctl_path_json(p, &j);
            json_ku64(&j, "rx_bytes", p->rx_bytes);
            json_ku64(&j, "data_idle_s", ctl_secs(c->now - ringd_last_data(c->d, p)));
            json_ku64(&j, "tx_bytes", p->tx_bytes);
            json_key(&j, "last_handshake_s");
            if (last)
                json_u64(&j, ctl_secs(c->now - last));
            else
                json_null(&j);
            json_kstr(&j, "via", p->path.via ? p->path.via->name : NULL);
            json_kstr(&j, "cipher", ctl_cipher_name(p->lp));
            admit_peer_json(d, p, &j);
            json_obj_end(&j);
        } else {
            char cert[CERT_NAME_MAX + 1], encl[64], rtt[24], var[24], loss[24];
            const char *cipher = ctl_cipher_name(p->lp);

            admit_peer_text(d, p, cert, sizeof(cert), encl, sizeof(encl));
            ctl_rtt_ns(detour_path_rtt(p), "rtt_ms", NULL, rtt);
            ctl_path_text(p, var, loss);
            pub[10] = '\0';           /* short form, like `wg show` abbreviations */
            if (p->path.via)
                snprintf(via, sizeof(via), "via %s", p->path.via->name);
            table_row(&t, (const char *const[]){ p->name, pub, ep, st, rtt, var, loss,
                                                path_health_name(path_health_now(&p->probe)), rx, tx, hs,
                                                via, cert, encl, cipher ? cipher : "" });
        }
    }
    if (c->json) {
        json_arr_end(&j);
        json_obj_end(&j);
        sbuf_putc(c->out, '\n');
    } else {
        table_print(&t, c->out);
        table_free(&t);
    }
    return 0;
}

/* ---- enclaves ------------------------------------------------------------ */

/* Duplicate detection as configured (MacMoveLimit, MacMoveWindow,
 * MacFreezeTime). */
static void ctl_enclave_dup_json(const struct enclave *e, struct json *j)
{
    uint64_t window, freeze;
    unsigned moves;

    fdb_dup_limits(e->fdb, &moves, &window, &freeze);
    json_ku64(j, "mac_move_limit", moves);
    json_ku64(j, "mac_move_window_ms", window / 1000000);
    json_ku64(j, "mac_freeze_time_ms", freeze / 1000000);
}

static void ctl_enclave_lists(struct ctl_ctx *c, struct enclave *e, struct sbuf *members,
                              struct sbuf *hosts, struct json *j)
{
    struct daemon *d = c->d;

    if (j) {
        json_key(j, "members");
        json_arr_begin(j);
    }
    for (size_t i = 0; i < d->n_att; i++) {
        struct attachment *a = &d->att[i];
        const char *m = a->vm[0] ? a->vm : a->ifname;

        if (a->enc != e)
            continue;
        if (j)
            json_str(j, m);
        else
            sbuf_printf(members, "%s%s", members->len ? "," : "", m);
    }
    if (j) {
        json_arr_end(j);
        json_key(j, "hosts");
        json_arr_begin(j);
    }
    for (size_t i = 0; i < d->n_peers; i++) {
        struct peer *p = d->peers[i];

        if (!peer_carries(p, e->id) || link_peer_state(p->lp, c->now) != LINK_UP)
            continue;
        if (j)
            json_str(j, p->name);
        else
            sbuf_printf(hosts, "%s%s", hosts->len ? "," : "", p->name);
    }
    if (j)
        json_arr_end(j);
}

static int ctl_enclaves(struct ctl_ctx *c)
{
    struct daemon *d = c->d;
    struct json j;
    struct table t;

    if (c->json) {
        json_init(&j, c->out);
        json_obj_begin(&j);
        json_key(&j, "enclaves");
        json_arr_begin(&j);
    } else {
        table_init(&t, 8);
        table_row(&t, (const char *const[]){ "NAME", "ID", "BRIDGE", "TYPE", "MTU", "STATE",
                                            "MEMBERS", "HOSTS" });
    }
    for (size_t i = 0; i < d->n_enclaves; i++) {
        struct enclave *e = d->enclaves[i];

        if (c->json) {
            json_obj_begin(&j);
            json_kstr(&j, "name", e->name);
            json_ku64(&j, "id", e->id);
            json_kstr(&j, "bridge", e->bridge);
            json_kstr(&j, "bridge_type", config_bridge_type_name(e->bridge_type));
            json_kstr(&j, "uplink", e->uplink);
            json_ku64(&j, "mtu", e->inner_mtu);
            json_key(&j, "clamp_mss");
            json_bool(&j, e->clamp_mss);
            ctl_enclave_dup_json(e, &j);
            json_kstr(&j, "state", e->failed ? "failed" : "ok");
            json_ku64(&j, "neigh_bindings", neigh_count(e->neigh));
            ctl_enclave_lists(c, e, NULL, NULL, &j);
            json_obj_end(&j);
        } else {
            struct sbuf m, h;
            char id[16], mtu[16];

            sbuf_init(&m);
            sbuf_init(&h);
            ctl_enclave_lists(c, e, &m, &h, NULL);
            snprintf(id, sizeof(id), "%u", e->id);
            snprintf(mtu, sizeof(mtu), "%u", e->inner_mtu);
            table_row(&t, (const char *const[]){
                e->name, id, e->bridge,
                config_bridge_type_name(e->bridge_type), mtu,
                e->failed ? "failed" : "ok", sbuf_str(&m), sbuf_str(&h) });
            sbuf_free(&m);
            sbuf_free(&h);
        }
    }
    if (c->json) {
        json_arr_end(&j);
        json_obj_end(&j);
        sbuf_putc(c->out, '\n');
    } else {
        table_print(&t, c->out);
        table_free(&t);
    }
    return 0;
}

/* ---- attach / detach / reload -------------------------------------------- */

static int ctl_done(struct ctl_ctx *c, const char *msg)
{
    if (c->json) {
        struct json j;

        json_init(&j, c->out);
        json_obj_begin(&j);
        json_kstr(&j, "result", msg);
        json_obj_end(&j);
        sbuf_putc(c->out, '\n');
    } else {
        sbuf_printf(c->out, "%s\n", msg);
    }
    return 0;
}

static int ctl_attach(struct ctl_ctx *c)
{
    const char *mac_s = NULL, *vm = NULL;
    uint8_t mac[6];
    struct sbuf err;
    int rc;

    if (c->argc < 3) {
        sbuf_puts(c->out, "usage: attach ENCLAVE IFNAME [--mac MAC] [--name VMNAME]");
        return -1;
    }
    for (int i = 3; i < c->argc; i++) {
        if (strcmp(c->argv[i], "--mac") == 0 && i + 1 < c->argc)
            mac_s = c->argv[++i];
        else if (strcmp(c->argv[i], "--name") == 0 && i + 1 < c->argc)
            vm = c->argv[++i];
        else {
            sbuf_printf(c->out, "attach: unexpected argument %s", c->argv[i]);
            return -1;
        }
    }
    if (mac_s && (mac_parse(mac_s, mac) < 0 || !mac_is_guest(mac))) {
        sbuf_printf(c->out, "attach: bad MAC %s (want a unicast aa:bb:cc:dd:ee:ff)", mac_s);
        return -1;
    }
    sbuf_init(&err);
    rc = attach_add(c->d, c->argv[1], c->argv[2], mac_s ? mac : NULL, vm, &err);
    if (rc < 0) {
        sbuf_puts(c->out, sbuf_str(&err));
        sbuf_free(&err);
        return -1;
    }
    sbuf_free(&err);
    sbuf_printf(&err, "attached %s to %s", c->argv[2], c->argv[1]);
    rc = ctl_done(c, sbuf_str(&err));
    sbuf_free(&err);
    return rc;
}

static int ctl_detach(struct ctl_ctx *c)
{
    struct sbuf err;
    int rc;

    if (c->argc != 2) {
        sbuf_puts(c->out, "usage: detach IFNAME");
        return -1;
    }
    sbuf_init(&err);
    rc = attach_remove(c->d, c->argv[1], &err);
    if (rc < 0) {
        sbuf_puts(c->out, sbuf_str(&err));
        sbuf_free(&err);
        return -1;
    }
    sbuf_free(&err);
    return ctl_done(c, "detached");
}

static int ctl_reload(struct ctl_ctx *c)
{
    struct sbuf msg;
    int rc;

    sbuf_init(&msg);
    rc = daemon_reload(c->d, &msg);
    if (c->json && rc == 0) {
        struct json j;
        char *save = NULL;

        json_init(&j, c->out);
        json_obj_begin(&j);
        json_key(&j, "changes");
        json_arr_begin(&j);
        for (char *l = msg.p ? strtok_r(msg.p, "\n", &save) : NULL; l;
             l = strtok_r(NULL, "\n", &save))
            json_str(&j, l);
        json_arr_end(&j);
        json_obj_end(&j);
        sbuf_putc(c->out, '\n');
    } else {
        sbuf_puts(c->out, sbuf_str(&msg));
    }
    sbuf_free(&msg);
    return rc < 0 ? -1 : 0;
}

/* ---- ring / lookup (ringd_ctl.c) ------------------------------------------- */

static int ctl_ring(struct ctl_ctx *c)
{
    if (c->argc != 1) {
        sbuf_puts(c->out, "ring: takes no arguments");
        return -1;
    }
    return ringd_ctl_ring(c->d, c->json, c->out);
}

static int ctl_lookup(struct ctl_ctx *c)
{
    struct enclave *e;
    uint8_t mac[6];

    if (c->argc != 3) {
        sbuf_puts(c->out, "usage: lookup ENCLAVE MAC");
        return -1;
    }
    e = enclave_by_name(c->d, c->argv[1]);
    if (!e) {
        sbuf_printf(c->out, "unknown enclave %s", c->argv[1]);
        return -1;
    }
    if (mac_parse(c->argv[2], mac) < 0 || !mac_is_guest(mac)) {
        sbuf_printf(c->out, "lookup: bad MAC %s (want a unicast aa:bb:cc:dd:ee:ff)", c->argv[2]);
        return -1;
    }
    /* Answered later (ctl_server_reply) when the ring get completes. */
    return ringd_ctl_lookup(c->d, e, mac, c->json, c->d->ctl.current, c->out);
}

static const struct {
    const char *name;
    int (*fn)(struct ctl_ctx *c);
} ctl_cmds[] = {
    { "status", ctl_status },
    { "peers", ctl_peers },
    { "enclaves", ctl_enclaves },
    { "fdb", ctl_fdb },
    { "neigh", ctl_neigh },
    { "paths", ctl_paths },
    { "attach", ctl_attach },
    { "detach", ctl_detach },
    { "reload", ctl_reload },
    { "ring", ctl_ring },
    { "lookup", ctl_lookup },
    { "metrics", ctl_metrics },
};

int ctl_cmd_run(struct daemon *d, int argc, char **argv, bool json, struct sbuf *out)
{
    struct ctl_ctx c = { .d = d, .argc = argc, .argv = argv, .json = json, .out = out,
                         .now = daemon_now() };

    for (size_t i = 0; i < sizeof(ctl_cmds) / sizeof(ctl_cmds[0]); i++)
        if (strcmp(argv[0], ctl_cmds[i].name) == 0) {
            int rc = ctl_cmds[i].fn(&c);

            return rc < 0 ? -1 : rc;
        }
    sbuf_printf(out, "unknown command %s", argv[0]);
    return -1;
}
