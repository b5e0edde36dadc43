/* SPDX-License-Identifier: GPL-2.0-only */
#include "overlayd/daemon.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sodium.h>

#include "crypto/key.h"
#include "crypto/noise.h"
#include "overlayd/datapath/ovs.h"
#include "overlayd/datapath/peer_admit.h"
#include "overlayd/datapath/resolve.h"
#include "overlayd/announce/announce.h"
#include "overlayd/announce/claims.h"
#include "lib/log.h"
#include "overlayd/ring/ringd.h"
#include "lib/sbuf.h"
#include "tap/tap.h"

static void daemon_udp_cb(uv_poll_t *h, int status, int events)
{
    struct daemon *d = h->data;

    if (status < 0) {
        log_warn("udp", "poll error: %s", uv_strerror(status));
        return;
    }
    rx_udp_readable(d);
}

void daemon_timer_arm(uv_timer_t *t, uv_timer_cb cb, uint64_t deadline, uint64_t now)
{
    if (deadline == UINT64_MAX) {
        uv_timer_stop(t);
        return;
    }
    /* At least 1 ms so an overdue deadline cannot spin the loop. */
    uv_timer_start(t, cb, deadline > now ? (deadline - now + 999999) / 1000000 : 1, 0);
}

static void daemon_link_timer_cb(uv_timer_t *t)
{
    struct daemon *d = t->data;

    link_host_on_timeout(d->link, daemon_now());
}

/* The probes it sends are queued; the prepare callback flushes them and
 * re-arms this timer. */
static void daemon_path_timer_cb(uv_timer_t *t)
{
    struct daemon *d = t->data;

    probe_on_timeout(d, daemon_now());
}

static void daemon_claims_cb(uv_timer_t *t)
{
    struct daemon *d = t->data;
    uint64_t now = daemon_now();

    claims_on_timeout(d, now);
    daemon_timer_arm(t, daemon_claims_cb, claims_next_deadline(d), now);
}

static void daemon_detour_cb(uv_timer_t *t)
{
    struct daemon *d = t->data;
    uint64_t now = daemon_now();

    daemon_timer_arm(t, daemon_detour_cb, detour_on_timeout(d, now), now);
}

/*
 * Right before the loop blocks: the data path's facts to the ring,
 * deferred hellos, then one sendmmsg for everything queued this
 * iteration, then the link and probe timers re-armed (traffic of this
 * iteration may have moved a prober's deadline).
 */
static void daemon_prepare_cb(uv_prepare_t *h)
{
    struct daemon *d = h->data;
    uint64_t now = daemon_now(), dl;

    if (d->stopping)
        return;
    ringd_take_facts(d, &d->facts, now);
    d->facts.n = 0;
    for (size_t i = 0; i < d->n_peers; i++) {
        struct peer *p = d->peers[i];

        if (p->hello_pending) {
            p->hello_pending = false;
            if (link_peer_state(p->lp, now) == LINK_UP) {
                announce_hello(d, p);
                ringd_link_up(d, p);
            }
        }
    }
    udp_flush(&d->udp);
    dl = link_host_next_deadline(d->link);
    daemon_timer_arm(&d->link_timer, daemon_link_timer_cb, dl, now);
    daemon_timer_arm(&d->path_timer, daemon_path_timer_cb, probe_next_deadline(d), now);
    /* a claim of this iteration may have started a grace period */
    daemon_timer_arm(&d->claims_timer, daemon_claims_cb, claims_next_deadline(d), now);
}

static void daemon_refresh_cb(uv_timer_t *t)
{
    struct daemon *d = t->data;

    for (size_t i = 0; i < d->n_peers; i++) {
        struct peer *p = d->peers[i];

        if (p->endpoint_cfg[0] && !p->ep.len &&
            resolve_peer(d, p, RESOLVE_IF_UNSET) == 0) {
            log_info("peer", "%s: endpoint %s resolved", p->name, p->endpoint_cfg);
            link_peer_connect(p->lp, daemon_now());
        }
    }
    enclave_retry_failed(d);
    dp_neigh_age(d, daemon_now());
    announce_refresh(d);
}

static void daemon_signal_cb(uv_signal_t *s, int signum)
{
    struct daemon *d = s->data;

    if (signum == SIGHUP) {
        struct sbuf out;
        char *line, *save = NULL;
        int rc;

        sbuf_init(&out);
        rc = daemon_reload(d, &out);
        for (line = out.p ? strtok_r(out.p, "\n", &save) : NULL; line;
             line = strtok_r(NULL, "\n", &save))
            log_msg(rc < 0 ? LOG_ERROR : LOG_INFO, "reload", "%s", line);
        sbuf_free(&out);
        return;
    }
    log_info("daemon", "%s: shutting down", signum == SIGTERM ? "SIGTERM" : "SIGINT");
    daemon_stop(d);
}

static void daemon_init_handles(struct daemon *d, uv_loop_t *loop)
{
    d->loop = loop;
    uv_timer_init(loop, &d->link_timer);
    uv_timer_init(loop, &d->refresh_timer);
    uv_timer_init(loop, &d->path_timer);
    uv_timer_init(loop, &d->detour_timer);
    uv_timer_init(loop, &d->claims_timer);
    uv_prepare_init(loop, &d->prepare);
    uv_signal_init(loop, &d->sig_term);
    uv_signal_init(loop, &d->sig_int);
    uv_signal_init(loop, &d->sig_hup);
    d->link_timer.data = d->refresh_timer.data = d->path_timer.data = d->detour_timer.data =
        d->claims_timer.data = d->prepare.data = d;
    d->sig_term.data = d->sig_int.data = d->sig_hup.data = d;
}

static uint64_t daemon_wall_offset(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_REALTIME, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec - uv_hrtime();
}

/* The control socket first (a second daemon must not touch interfaces),
 * then rtnetlink and the UDP socket. */
static int daemon_open_sockets(struct daemon *d, const struct config *cfg)
{
    int rc = ctl_server_start(&d->ctl, d->loop, cfg->control_socket, d);

    if (rc < 0)
        return rc;
    if (cfg->metrics_listen[0]) {
        rc = metrics_http_start(&d->metrics, d->loop, cfg->metrics_listen, d);
        if (rc < 0) {
            log_error("daemon", "MetricsListen %s: %s", cfg->metrics_listen, uv_strerror(rc));
            return rc;
        }
        log_info("daemon", "metrics at http://%s/metrics", cfg->metrics_listen);
    }
    rc = tap_nl_open(&d->nl);
    if (rc < 0) {
        log_error("daemon", "rtnetlink: %s", strerror(-rc));
        return rc;
    }
    rc = udp_open(&d->udp, cfg->listen_address, cfg->listen_port);
    if (rc < 0) {
        log_error("udp", "cannot listen on %s port %u: %s",
                  cfg->listen_address[0] ? cfg->listen_address : "*", cfg->listen_port,
                  strerror(-rc));
        return rc;
    }
    uv_poll_init(d->loop, &d->udp_poll, d->udp.fd);
    d->udp_poll.data = d;
    return 0;
}

/* The link layer, and our certificate before any handshake (it is the
 * handshake payload). */
static int daemon_open_links(struct daemon *d, const struct config *cfg)
{
    int rc;

    d->hooks = peer_link_hooks;
    d->hooks.ctx = d;
    rc = link_host_new(&d->link, cfg->private_key, &d->hooks, daemon_wall_offset());
    if (rc < 0) {
        log_error("link", "cannot create the link layer: %s", strerror(-rc));
        return rc;
    }
    /* Cipher = auto: offer AES-GCM where libsodium can run it (AES-NI). */
    if (cfg->cipher_auto && noise_aead_available(NOISE_AEAD_AESGCM))
        (void)link_host_set_aesgcm(d->link, true);
    log_info("link", "AEAD: ChaChaPoly%s", cfg->cipher_auto && noise_aead_available(NOISE_AEAD_AESGCM)
                                               ? ", AES-GCM offered" : " only");
    memcpy(d->pub, link_host_pubkey(d->link), 32);
    d->rid64 = peer_rid64(d->pub);
    return admit_start(d);
}

/* The configured peers and enclaves, then the first handshakes (peers
 * with a host name endpoint start theirs once it resolved: resolve.c). */
static int daemon_add_configured(struct daemon *d, const struct config *cfg)
{
    int rc;

    for (size_t i = 0; i < cfg->n_peers; i++) {
        if (!admit_contact_allowed(d, cfg->peers[i].pubkey)) {
            log_warn("peer", "%s: key revoked (RevokedFile): not contacted",
                     cfg->peers[i].name[0] ? cfg->peers[i].name : "[Peer]");
            continue;
        }
        rc = peer_add(d, &cfg->peers[i], NULL);
        if (rc < 0) {
            log_error("peer", "%s: %s", cfg->peers[i].name, strerror(-rc));
            return rc;
        }
    }
    for (size_t i = 0; i < cfg->n_enclaves; i++) {
        rc = enclave_open(d, &cfg->enclaves[i], NULL);
        if (rc < 0)
            return rc;
    }
    for (size_t i = 0; i < d->n_peers; i++)
        if (d->peers[i]->ep.len)
            link_peer_connect(d->peers[i]->lp, daemon_now());
    return 0;
}

static void daemon_start_handles(struct daemon *d)
{
    uv_poll_start(&d->udp_poll, UV_READABLE, daemon_udp_cb);
    uv_prepare_start(&d->prepare, daemon_prepare_cb);
    uv_timer_start(&d->refresh_timer, daemon_refresh_cb, DAEMON_REFRESH_S * 1000,
                   DAEMON_REFRESH_S * 1000);
    uv_timer_start(&d->detour_timer, daemon_detour_cb, DETOUR_REPORT_MS, 0);
    uv_signal_start(&d->sig_term, daemon_signal_cb, SIGTERM);
    uv_signal_start(&d->sig_int, daemon_signal_cb, SIGINT);
    uv_signal_start(&d->sig_hup, daemon_signal_cb, SIGHUP);
}

int daemon_start(struct daemon *d, uv_loop_t *loop, struct config *cfg)
{
    char pub[KEY_B64_LEN + 1];
    int rc;

    memset(d, 0, sizeof(*d));
    d->udp.fd = -1;
    d->cfg = cfg;
    d->start_ns = daemon_now();
    daemon_init_handles(d, loop);
    if (sodium_init() < 0)
        return -EIO;
    randombytes_buf(&d->fdb_seed, sizeof(d->fdb_seed));
    d->tap_buf = malloc((size_t)DAEMON_TAP_BATCH * DAEMON_TAP_SLOT);
    d->seg_buf = malloc(DAEMON_TAP_SLOT);
    d->detour_rx = malloc(LINK_MAX_PACKET);
    if (!d->tap_buf || !d->seg_buf || !d->detour_rx)
        return -ENOMEM;
    if ((rc = daemon_open_sockets(d, cfg)) < 0 || (rc = daemon_open_links(d, cfg)) < 0)
        return rc;
    if (tap_underlay_mtu(d->nl, &d->underlay_mtu) < 0 || d->underlay_mtu < 1280)
        d->underlay_mtu = 1500;
    /* A link message longer than one underlay datagram (a super-frame, a
     * guest frame above the inner MTU) goes as fragments of this size: the
     * outer headers counted as for the inner MTU, so a full inner-MTU frame
     * is exactly one datagram. */
    d->frag_size = d->underlay_mtu - (config_underlay_ipv6(cfg) ? 48u : 28u);
    if (d->frag_size > UDP_PKT_MAX)
        d->frag_size = UDP_PKT_MAX;         /* a send-queue slot (loopback: 64 KB MTU) */
    link_host_set_frag_size(d->link, d->frag_size);
    d->features = DAEMON_FEATURES;
    if (getenv("OVERLAYD_NO_OFFLOAD") && strcmp(getenv("OVERLAYD_NO_OFFLOAD"), "1") == 0)
        d->features = 0;
    if ((rc = daemon_add_configured(d, cfg)) < 0 || (rc = ringd_start(d)) < 0)
        return rc;
    detour_init(d);
    daemon_start_handles(d);
    key_to_base64(pub, d->pub);
    log_info("daemon", "%s (%s) listening on %s: %zu peer(s), %zu enclave(s), underlay MTU %u",
             cfg->name, pub, d->udp.listen_str, d->n_peers, d->n_enclaves, d->underlay_mtu);
    return 0;
}

static void daemon_close_handle(uv_handle_t *h)
{
    if (h->loop && !uv_is_closing(h))
        uv_close(h, NULL);
}

void daemon_stop(struct daemon *d)
{
    if (d->stopping)
        return;
    d->stopping = true;
    /* Before anything closes: peers drop our MACs now instead of
     * forwarding into a dead host until the link expires. */
    if (d->link && d->udp.fd >= 0) {
        announce_goodbye(d);
        udp_flush(&d->udp);
    }
    /* Off the OVS bridge before our TAPs go; the loop runs until done. */
    ovs_cancel_queued(d);
    for (size_t i = 0; i < d->n_enclaves; i++)
        if (d->enclaves[i]->bridge_type == CONFIG_BRIDGE_OPENVSWITCH)
            ovs_unplug(d, d->enclaves[i]);
    daemon_close_handle((uv_handle_t *)&d->link_timer);
    daemon_close_handle((uv_handle_t *)&d->refresh_timer);
    daemon_close_handle((uv_handle_t *)&d->path_timer);
    daemon_close_handle((uv_handle_t *)&d->detour_timer);
    daemon_close_handle((uv_handle_t *)&d->claims_timer);
    daemon_close_handle((uv_handle_t *)&d->prepare);
    daemon_close_handle((uv_handle_t *)&d->sig_term);
    daemon_close_handle((uv_handle_t *)&d->sig_int);
    daemon_close_handle((uv_handle_t *)&d->sig_hup);
    daemon_close_handle((uv_handle_t *)&d->udp_poll);
    ctl_server_close(&d->ctl);
    metrics_http_close(&d->metrics);
    resolve_cancel_all(d);
    admit_stop(d);
    ringd_stop(d);
    for (size_t i = 0; i < d->n_enclaves; i++) {
        struct enclave *e = d->enclaves[i];

        if (e->poll) {
            uv_poll_stop(e->poll);
            uv_close((uv_handle_t *)e->poll, (uv_close_cb)free);
            e->poll = NULL;
        }
    }
    /* Guest port TAPs too, or the loop would never run out of handles. */
    for (size_t i = 0; i < d->n_att; i++)
        port_close(d, &d->att[i]);
}

void daemon_cleanup(struct daemon *d)
{
    if (d->udp.fd >= 0 && d->link)
        udp_flush(&d->udp);
    ringd_free(d);
    while (d->n_enclaves)
        enclave_close(d, d->enclaves[d->n_enclaves - 1]);
    while (d->n_peers)
        peer_remove(d, d->peers[d->n_peers - 1]);
    if (d->link)
        link_host_free(d->link);
    admit_free(d);
    udp_close(&d->udp);
    if (d->nl)
        tap_nl_close(d->nl);
    free(d->enclaves);
    free(d->peers);
    free(d->att);
    if (d->ts_cache)
        sodium_memzero(d->ts_cache, DAEMON_TS_CACHE * sizeof(*d->ts_cache));
    free(d->ts_cache);
    free(d->tap_buf);
    free(d->seg_buf);
    free(d->detour_rx);
    config_free(d->cfg);
    memset(d, 0, sizeof(*d));
}
