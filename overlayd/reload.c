/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Reload (SIGHUP, `overlayctl reload`): re-read the same config path; if
 * anything is invalid, report every problem and keep the running config;
 * otherwise apply the difference in peers and enclaves, leaving unchanged
 * peers' links and unchanged enclaves' bridges alone.
 */
#include "overlayd/daemon.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "overlayd/datapath/paths.h"
#include "overlayd/datapath/peer_admit.h"
#include "overlayd/datapath/resolve.h"
#include "overlayd/announce/announce.h"
#include "lib/log.h"
#include "lib/sbuf.h"
#include "tap/tap.h"

static void reload_report(void *ctx, const char *path, int line, const char *msg)
{
    struct sbuf *out = ctx;

    if (line > 0)
        sbuf_printf(out, "%s:%d: %s\n", path, line, msg);
    else
        sbuf_printf(out, "%s: %s\n", path, msg);
}

static const struct config_peer *reload_find_peer(const struct config *c, const uint8_t pub[32])
{
    for (size_t i = 0; i < c->n_peers; i++)
        if (memcmp(c->peers[i].pubkey, pub, 32) == 0)
            return &c->peers[i];
    return NULL;
}

static const struct config_enclave *reload_find_enclave(const struct config *c, const char *name)
{
    for (size_t i = 0; i < c->n_enclaves; i++)
        if (strcmp(c->enclaves[i].name, name) == 0)
            return &c->enclaves[i];
    return NULL;
}

/* Same interfaces (what would need a new bridge or TAP); the MTU may differ. */
static bool reload_enclave_same_links(const struct enclave *e, const struct config_enclave *ce)
{
    return e->id == ce->id && strcmp(e->bridge, ce->bridge) == 0 &&
           e->bridge_type == ce->bridge_type && strcmp(e->uplink, ce->uplink) == 0;
}

/*
 * A new MTU is applied in place: the bridge, the uplink and every attached
 * port, so guests keep their links (a bridge port passes frames up to its
 * own MTU: all must agree). Ports first when shrinking is not needed: the
 * bridge's MTU is pinned and independent of its ports.
 */
static int reload_enclave_mtu(struct daemon *d, struct enclave *e, const struct config_enclave *ce,
                              struct sbuf *out)
{
    unsigned mtu = config_inner_mtu(d->cfg, ce, d->underlay_mtu);
    int rc = 0, r;

    if (mtu == 0) {
        sbuf_printf(out, "enclave %s: underlay MTU %u is too small to derive an inner MTU\n",
                    e->name, d->underlay_mtu);
        return -EINVAL;
    }
    if (e->bridge_type == CONFIG_BRIDGE_LINUX) {
        r = tap_link_set_mtu(d->nl, e->bridge, mtu);
        if (r < 0)
            rc = r;
        for (size_t i = 0; i < d->n_att; i++) {
            if (d->att[i].enc != e)
                continue;
            r = tap_link_set_mtu(d->nl, d->att[i].ifname, mtu);
            if (r < 0 && r != -ENODEV)
                rc = r;
        }
    }
    r = tap_link_set_mtu(d->nl, e->uplink, mtu);
    if (r < 0)
        rc = r;
    if (rc < 0) {
        sbuf_printf(out, "enclave %s: cannot set MTU %u: %s\n", e->name, mtu, strerror(-rc));
        return rc;
    }
    sbuf_printf(out, "enclave %s: MTU %u -> %u\n", e->name, e->inner_mtu, mtu);
    log_info("enclave", "%s: MTU %u -> %u", e->name, e->inner_mtu, mtu);
    e->mtu_cfg = ce->mtu;
    e->inner_mtu = mtu;
    return 0;
}

/* Attachments of an enclave that is recreated: plugged again afterwards. */
struct reload_att {
    char enclave[CONFIG_NAME_MAX + 1];
    char ifname[CONFIG_IFNAME_MAX + 1];
    bool has_mac;
    uint8_t mac[6];
    char vm[64];
};

static void reload_save_att(struct daemon *d, struct enclave *e, struct reload_att **saved,
                            size_t *n)
{
    for (size_t i = 0; i < d->n_att; i++) {
        struct reload_att *ns;
        struct attachment *a = &d->att[i];

        if (a->enc != e)
            continue;
        ns = realloc(*saved, (*n + 1) * sizeof(**saved));
        if (!ns) {
            log_warn("reload", "%s: out of memory: %s stays detached", e->name, a->ifname);
            continue;
        }
        *saved = ns;
        ns = &ns[(*n)++];
        memcpy(ns->enclave, e->name, sizeof(ns->enclave));
        memcpy(ns->ifname, a->ifname, sizeof(ns->ifname));
        ns->has_mac = a->has_mac;
        memcpy(ns->mac, a->mac, 6);
        memcpy(ns->vm, a->vm, sizeof(ns->vm));
    }
}

static void reload_restore_att(struct daemon *d, const char *enclave,
                               const struct reload_att *saved, size_t n, struct sbuf *out)
{
    for (size_t i = 0; i < n; i++) {
        struct sbuf err;

        if (strcmp(saved[i].enclave, enclave) != 0)
            continue;
        sbuf_init(&err);
        if (attach_add(d, enclave, saved[i].ifname, saved[i].has_mac ? saved[i].mac : NULL,
                       saved[i].vm[0] ? saved[i].vm : NULL, &err) < 0)
            sbuf_printf(out, "enclave %s: cannot re-attach %s: %s\n", enclave,
                        saved[i].ifname, sbuf_str(&err));
        sbuf_free(&err);
    }
}

static unsigned reload_peers(struct daemon *d, const struct config *nc, struct sbuf *out)
{
    unsigned changes = 0;
    size_t i = 0;

    while (i < d->n_peers) {
        struct peer *p = d->peers[i];

        /* Peers admitted by certificate are not in the config: keep them. */
        if (!reload_find_peer(nc, p->pub) && !admit_peer_dynamic(p)) {
            sbuf_printf(out, "removed peer %s\n", p->name);
            peer_remove(d, p);
            changes++;
        } else {
            i++;
        }
    }
    for (i = 0; i < nc->n_peers; i++) {
        const struct config_peer *cp = &nc->peers[i];
        struct peer *p = NULL;
        char name[CONFIG_NAME_MAX + 1];

        for (size_t j = 0; j < d->n_peers; j++)
            if (memcmp(d->peers[j]->pub, cp->pubkey, 32) == 0)
                p = d->peers[j];
        if (!p && !admit_contact_allowed(d, cp->pubkey)) {
            sbuf_printf(out, "peer %s: revoked, not contacted\n", cp->name[0] ? cp->name : "(unnamed)");
            continue;
        }
        if (!p) {
            if (peer_add(d, cp, &p) < 0) {
                sbuf_printf(out, "cannot add peer %s\n", cp->name);
                continue;
            }
            sbuf_printf(out, "added peer %s\n", p->name);
            if (p->ep.len)
                link_peer_connect(p->lp, daemon_now());
            changes++;
            continue;
        }
        peer_display_name(cp, name);
        if (strcmp(name, p->name) != 0) {
            sbuf_printf(out, "renamed peer %s to %s\n", p->name, name);
            memcpy(p->name, name, sizeof(p->name));
            changes++;
        }
        if (strcmp(cp->endpoint, p->endpoint_cfg) != 0) {
            memcpy(p->endpoint_cfg, cp->endpoint, sizeof(p->endpoint_cfg));
            if (p->endpoint_cfg[0] && resolve_peer(d, p, RESOLVE_REPLACE) == 0)
                link_peer_connect(p->lp, daemon_now());
            sbuf_printf(out, "peer %s: endpoint %s\n", p->name,
                        p->endpoint_cfg[0] ? p->endpoint_cfg : "(none)");
            changes++;
        }
    }
    return changes;
}

/* MaxLatency / MinPaths changed: say so (the new values apply once the
 * running config holds the new enclave list). */
static unsigned reload_enclave_bounds(struct daemon *d, const struct enclave *e,
                                      const struct config_enclave *ce, struct sbuf *out)
{
    const struct config_enclave *old = paths_config(d, e);

    if (!old || (old->max_latency_ns == ce->max_latency_ns && old->min_paths == ce->min_paths))
        return 0;
    sbuf_printf(out, "enclave %s: MaxLatency %.3f ms, MinPaths %u (0: no bound)\n", e->name,
                (double)ce->max_latency_ns / 1e6, ce->min_paths);
    return 1;
}

/* ClampMSS changed: applied in place, from the next frame on. */
static unsigned reload_enclave_clamp(struct enclave *e, const struct config_enclave *ce,
                                     struct sbuf *out)
{
    if (e->clamp_mss == ce->clamp_mss)
        return 0;
    sbuf_printf(out, "enclave %s: ClampMSS %s\n", e->name, ce->clamp_mss ? "yes" : "no");
    log_info("enclave", "%s: ClampMSS %s", e->name, ce->clamp_mss ? "yes" : "no");
    e->clamp_mss = ce->clamp_mss;
    return 1;
}

/* MacMoveLimit / MacMoveWindow / MacFreezeTime changed: applied in place;
 * moves counted so far stay counted, a freeze ends by the new time. */
static unsigned reload_enclave_dup(struct enclave *e, const struct config_enclave *ce,
                                   struct sbuf *out)
{
    uint64_t window, freeze;
    unsigned moves;

    fdb_dup_limits(e->fdb, &moves, &window, &freeze);
    if (moves == ce->mac_move_limit && window == ce->mac_move_window_ns &&
        freeze == ce->mac_freeze_ns)
        return 0;
    fdb_set_dup_limits(e->fdb, ce->mac_move_limit, ce->mac_move_window_ns, ce->mac_freeze_ns);
    sbuf_printf(out, "enclave %s: MacMoveLimit %u, MacMoveWindow %.3f s, MacFreezeTime %.3f s\n",
                e->name, ce->mac_move_limit, (double)ce->mac_move_window_ns / 1e9,
                (double)ce->mac_freeze_ns / 1e9);
    log_info("enclave", "%s: MacMoveLimit %u, MacMoveWindow %.3f s, MacFreezeTime %.3f s",
             e->name, ce->mac_move_limit, (double)ce->mac_move_window_ns / 1e9,
             (double)ce->mac_freeze_ns / 1e9);
    return 1;
}

static unsigned reload_enclaves(struct daemon *d, const struct config *nc, struct sbuf *out,
                                int *failed)
{
    unsigned changes = 0;
    size_t i = 0, n_saved = 0;
    struct reload_att *saved = NULL;

    while (i < d->n_enclaves) {
        struct enclave *e = d->enclaves[i];
        const struct config_enclave *ce = reload_find_enclave(nc, e->name);

        if (ce && reload_enclave_same_links(e, ce)) {
            enclave_neigh_load(d, e, ce);
            if (e->mtu_cfg != ce->mtu) {
                if (reload_enclave_mtu(d, e, ce, out) < 0)
                    *failed = 1;
                changes++;
            }
            changes += reload_enclave_bounds(d, e, ce, out);
            changes += reload_enclave_clamp(e, ce, out);
            changes += reload_enclave_dup(e, ce, out);
            i++;
            continue;
        }
        if (ce) {
            sbuf_printf(out, "recreating enclave %s (%u)\n", e->name, e->id);
            reload_save_att(d, e, &saved, &n_saved);
        } else {
            sbuf_printf(out, "removed enclave %s (%u)\n", e->name, e->id);
        }
        enclave_close(d, e);
        changes++;
    }
    for (i = 0; i < nc->n_enclaves; i++) {
        const struct config_enclave *ce = &nc->enclaves[i];
        int rc;

        if (enclave_by_name(d, ce->name))
            continue;
        if (enclave_by_id(d, ce->id)) {
            sbuf_printf(out, "enclave %s: id %u is already used by a running enclave\n",
                        ce->name, ce->id);
            *failed = 1;
            continue;
        }
        rc = enclave_open(d, ce, NULL);
        if (rc < 0) {
            sbuf_printf(out, "enclave %s: cannot start: %s\n", ce->name, strerror(-rc));
            *failed = 1;
            continue;
        }
        sbuf_printf(out, "added enclave %s (%u)\n", ce->name, ce->id);
        reload_restore_att(d, ce->name, saved, n_saved, out);
        changes++;
    }
    free(saved);
    return changes;
}

static void reload_host_notes(const struct config *old, const struct config *nc, struct sbuf *out)
{
    if (strcmp(old->name, nc->name) != 0 ||
        memcmp(old->private_key, nc->private_key, 32) != 0 ||
        old->listen_port != nc->listen_port ||
        strcmp(old->listen_address, nc->listen_address) != 0 ||
        strcmp(old->control_socket, nc->control_socket) != 0 ||
        strcmp(old->enclave_dir, nc->enclave_dir) != 0 ||
        old->has_authority != nc->has_authority ||
        old->cipher_auto != nc->cipher_auto)
        sbuf_puts(out, "note: [Host] changes (name, key, listen address or port, control "
                       "socket, enclave dir, authority, cipher) take effect after a restart\n");
}

int daemon_reload(struct daemon *d, struct sbuf *out)
{
    struct config *nc = NULL;
    unsigned changes;
    int failed = 0, rc;
    size_t n_before = d->n_enclaves;

    rc = config_load(d->cfg->path, reload_report, out, &nc);
    if (rc < 0) {
        if (out->len == 0)
            sbuf_printf(out, "%s: %s\n", d->cfg->path, strerror(-rc));
        sbuf_puts(out, "reload refused: the running configuration stays in force\n");
        return -EINVAL;
    }
    /* A renewed certificate is taken; an invalid one refuses the reload. */
    if (admit_reload(d, nc, out) < 0) {
        config_free(nc);
        sbuf_puts(out, "reload refused: the running configuration stays in force\n");
        return -EINVAL;
    }
    reload_host_notes(d->cfg, nc, out);
    changes = reload_peers(d, nc, out);
    /* The running config now lists the new peers (derived MTUs use them);
     * [Host] settings stay as they were. */
    {
        struct config_peer *tp = d->cfg->peers;
        size_t tn = d->cfg->n_peers;

        d->cfg->peers = nc->peers;
        d->cfg->n_peers = nc->n_peers;
        nc->peers = tp;
        nc->n_peers = tn;
    }
    {
        unsigned ec = reload_enclaves(d, nc, out, &failed);
        struct config_enclave *te = d->cfg->enclaves;
        size_t tn = d->cfg->n_enclaves;

        changes += ec;
        /* The running config lists the new enclave files too: their
         * MaxLatency / MinPaths apply at once (datapath/paths.c). */
        d->cfg->enclaves = nc->enclaves;
        d->cfg->n_enclaves = nc->n_enclaves;
        nc->enclaves = te;
        nc->n_enclaves = tn;
        /* Tell every peer our new enclave set. */
        if (ec || n_before != d->n_enclaves)
            for (size_t i = 0; i < d->n_peers; i++)
                d->peers[i]->hello_pending = true;
    }
    config_free(nc);
    if (!changes && !failed)
        sbuf_puts(out, "no changes\n");
    return failed ? -EIO : 0;
}
