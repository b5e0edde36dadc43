/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Admission, daemon side (peer_admit.h): our certificate at start and
 * reload, the link hooks (payload, accept of unknown keys, the check after
 * every handshake), the expiry timer that tears down links whose
 * certificate ran out, the policy asked of daemon objects, and what
 * `overlayctl peers` shows about certificates.
 */
#include "overlayd/datapath/peer_admit.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <uv.h>

#include "crypto/key.h"
#include "overlayd/daemon.h"
#include "overlayd/ring/ringd.h"
#include "overlayd/announce/announce.h"
#include "lib/json.h"
#include "lib/log.h"
#include "lib/sbuf.h"

enum {
    ADMIT_RECHECK_MS = 30 * 1000,   /* also re-checked this often: wall clock may jump */
};

static void admit_timer_cb(uv_timer_t *t);
static bool admit_relink(struct daemon *d, struct peer *p, bool connect);

uint64_t admit_now_unix(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_REALTIME, &ts);
    return ts.tv_sec < 0 ? 0 : (uint64_t)ts.tv_sec;
}

static uv_timer_t *admit_timer(struct daemon *d)
{
    return d->admit ? d->admit_timer : NULL;
}

/* ---- policy by daemon object ------------------------------------------------ */

bool admit_enabled(const struct daemon *d)
{
    return d->admit && d->admit->enabled;
}

bool admit_self_may_carry(const struct daemon *d, uint32_t enclave)
{
    return admit_self_allows(d->admit, enclave);
}

bool admit_peer_may_carry(const struct daemon *d, const struct peer *p, uint32_t enclave)
{
    return admit_peer_allows(d->admit, p->adm, enclave);
}

bool admit_link_allows(const struct daemon *d, const struct peer *p, uint32_t enclave)
{
    return admit_self_allows(d->admit, enclave) && admit_peer_allows(d->admit, p->adm, enclave);
}

/* The grant of the admitted link peer with @pub or @ring_id; NULL: none. */
static const struct admit_peer *admit_peer_grant(const struct daemon *d, const uint8_t *pub,
                                                 const uint8_t *ring_id)
{
    for (size_t i = 0; i < d->n_peers; i++) {
        const struct peer *p = d->peers[i];

        /* ring_id is filled when the peer is admitted; others carry nothing. */
        if (!p->adm || !p->adm->admitted)
            continue;
        if ((pub && memcmp(p->pub, pub, CERT_KEY_LEN) == 0) ||
            (ring_id && memcmp(p->adm->ring_id, ring_id, RINGID_LEN) == 0))
            return p->adm;
    }
    return NULL;
}

bool admit_may_carry(struct daemon *d, const uint8_t pub[CERT_KEY_LEN], uint32_t enclave)
{
    if (!admit_enabled(d))
        return true;
    return admit_host_allows(d->admit, admit_peer_grant(d, pub, NULL), pub, NULL, enclave);
}

bool admit_knows_ringid(struct daemon *d, const uint8_t ring_id[RINGID_LEN])
{
    if (!admit_enabled(d))
        return true;
    return admit_host_known(d->admit, admit_peer_grant(d, NULL, ring_id), NULL, ring_id);
}

bool admit_may_carry_ringid(struct daemon *d, const uint8_t ring_id[RINGID_LEN],
                            uint32_t enclave)
{
    if (!admit_enabled(d))
        return true;
    return admit_host_allows(d->admit, admit_peer_grant(d, NULL, ring_id), NULL, ring_id,
                             enclave);
}

bool admit_peer_dynamic(const struct peer *p)
{
    return p->adm && p->adm->dynamic;
}

/* ---- expiry timer ----------------------------------------------------------- */

/* Arm the timer for the earliest certificate expiry (or the recheck period). */
static void admit_schedule(struct daemon *d, uint64_t delay_ms)
{
    uv_timer_t *t = admit_timer(d);
    uint64_t now = admit_now_unix(), ms = ADMIT_RECHECK_MS, known;

    if (!t || d->stopping)
        return;
    /* Relayed hosts' grants end here, so the policy needs no clock. */
    known = admit_expire(d->admit, now);
    if (known != UINT64_MAX && (known - now) * 1000 < ms)
        ms = (known - now) * 1000;
    for (size_t i = 0; i < d->n_peers; i++) {
        const struct admit_peer *a = d->peers[i]->adm;

        if (a && a->admitted) {
            uint64_t dl = a->g.not_after > now ? (a->g.not_after - now) * 1000 : 0;

            if (dl < ms)
                ms = dl;
        }
    }
    if (delay_ms < ms)
        ms = delay_ms;
    uv_timer_start(t, admit_timer_cb, ms, 0);
}

static void admit_describe_self(const struct admit *a, const char *what)
{
    char encl[CERT_TEXT_MAX], t[32];

    cert_format_enclaves(&a->self, encl, sizeof(encl));
    cert_format_time(a->self.not_after, t, sizeof(t));
    log_info("admit", "%s: certificate for %s, serial %016" PRIx64 ", enclaves %s, expires %s",
             what, a->self.name, a->self.serial, encl[0] ? encl : "(none)", t);
}

/* An enclave file our certificate does not list: its frames stay local. */
static void admit_warn_enclaves(struct daemon *d, const struct config *cfg)
{
    for (size_t i = 0; i < cfg->n_enclaves; i++)
        if (!admit_self_may_carry(d, cfg->enclaves[i].id))
            log_warn("admit", "enclave %s (%u) is not in this host's certificate: "
                     "its frames and records stay on this host",
                     cfg->enclaves[i].name, cfg->enclaves[i].id);
}

int admit_start(struct daemon *d)
{
    const struct config *cfg = d->cfg;
    struct admit *a;
    char why[512];
    int rc;

    if (cfg->revoked.n_keys || cfg->revoked.n_serials)
        log_info("admit", "%s: %zu key(s) and %zu certificate serial(s) revoked",
                 cfg->revoked_file, cfg->revoked.n_keys, cfg->revoked.n_serials);
    if (!cfg->has_authority)
        return 0;
    a = calloc(1, sizeof(*a));
    if (!a)
        return -ENOMEM;
    d->admit = a;
    a->enabled = true;
    admit_set_trust(a, d->cfg);
    rc = admit_load_self2(cfg->certificate_file, a->authority,
                          a->has_authority2 ? a->authority2 : NULL, d->pub, admit_now_unix(),
                          &a->self, why, sizeof(why));
    if (rc < 0) {
        log_error("admit", "%s: %s", cfg->certificate_file, why);
        return rc;
    }
    admit_grant_from_cert(&a->self_grant, &a->self);
    ringid_from_pubkey(a->self_ring_id, d->pub);
    if (strcmp(a->self.name, cfg->name) != 0)
        log_warn("admit", "certificate name %s differs from [Host] Name %s; peers show %s",
                 a->self.name, cfg->name, a->self.name);
    admit_describe_self(a, cfg->certificate_file);
    admit_warn_enclaves(d, cfg);
    d->admit_timer = malloc(sizeof(uv_timer_t));
    if (!d->admit_timer)
        return -ENOMEM;
    uv_timer_init(d->loop, d->admit_timer);
    d->admit_timer->data = d;
    admit_schedule(d, ADMIT_RECHECK_MS);
    return 0;
}

/* Why a peer's admission no longer stands after a reload; NULL: it does. */
static const char *admit_untrusted_why(const struct daemon *d, const struct peer *p)
{
    const struct admit *a = d->admit;
    const struct admit_peer *ap = p->adm;

    if (admit_key_revoked(a, p->pub))
        return "key revoked";
    if (!ap || !ap->admitted)
        return NULL;
    if (config_revoked_serial(&a->revoked, ap->g.serial))
        return "certificate serial revoked";
    if (!admit_grant_trusted(a, &ap->g, p->pub))
        return "certificate from an authority no longer trusted";
    return NULL;
}

/*
 * After the authorities or the RevokedFile changed: close the links of
 * peers no longer admitted, now (within this reload), and remove those
 * peers, [Peer] sections included, so nothing contacts them again
 * (admit_contact_allowed(); a [Peer] revoked by serial stays shunned
 * while the serial is listed). Returns how many were closed.
 */
static unsigned admit_sweep(struct daemon *d, struct sbuf *out)
{
    unsigned n = 0;
    size_t i = 0;

    while (i < d->n_peers) {
        struct peer *p = d->peers[i];
        const char *why = admit_untrusted_why(d, p);

        if (!why) {
            i++;
            continue;
        }
        if (p->adm && p->adm->admitted && !admit_key_revoked(d->admit, p->pub))
            admit_shun(d->admit, p->pub, p->adm->g.serial);
        sbuf_printf(out, "peer %s: %s: link closed\n", p->name, why);
        log_warn("admit", "%s: %s: link closed, not contacted again", p->name, why);
        peer_remove(d, p);            /* d->peers shifted: same i again */
        n++;
    }
    return n;
}

/* Our certificate changed but not what it allows: every up peer learns it
 * at a handshake started now, the old session carrying traffic until the
 * new one is in place (no link goes down). */
static void admit_push_renewal(struct daemon *d)
{
    uint64_t now = daemon_now();

    for (size_t i = 0; i < d->n_peers; i++)
        if (link_peer_state(d->peers[i]->lp, now) == LINK_UP)
            (void)link_peer_rekey_now(d->peers[i]->lp, now);
}

int admit_reload(struct daemon *d, struct config *nc, struct sbuf *out)
{
    struct admit *a = d->admit;
    struct cert *c;
    char why[512];
    bool set_changed;
    int rc;

    /* Switching Authority on or off needs a restart (reload notes it). */
    if (!admit_enabled(d) || !nc->has_authority)
        return 0;
    c = malloc(sizeof(*c));
    if (!c)
        return -ENOMEM;
    /* Checked against the new authorities before anything changes: an
     * invalid certificate refuses the whole reload. */
    rc = admit_load_self2(nc->certificate_file, nc->authority,
                          nc->has_authority2 ? nc->authority2 : NULL, d->pub, admit_now_unix(),
                          c, why, sizeof(why));
    if (rc < 0) {
        sbuf_printf(out, "%s: %s\n", nc->certificate_file, why);
        free(c);
        return rc;
    }
    if (memcmp(nc->authority, a->authority, CERT_KEY_LEN) != 0 ||
        nc->has_authority2 != a->has_authority2 ||
        (nc->has_authority2 && memcmp(nc->authority2, a->authority2, CERT_KEY_LEN) != 0))
        sbuf_printf(out, "authorities: %u trusted\n", nc->has_authority2 ? 2u : 1u);
    admit_set_trust(a, nc);
    admit_sweep(d, out);
    /* A peer admitted without being a [Peer] may be one now: then a later
     * removal from the config removes it, like any [Peer]. */
    for (size_t i = 0; i < d->n_peers; i++) {
        struct admit_peer *ap = d->peers[i]->adm;

        for (size_t k = 0; ap && ap->dynamic && k < nc->n_peers; k++)
            if (memcmp(nc->peers[k].pubkey, d->peers[i]->pub, CERT_KEY_LEN) == 0)
                ap->dynamic = false;
    }
    if (c->raw_len == a->self.raw_len && memcmp(c->raw, a->self.raw, c->raw_len) == 0) {
        free(c);
        return 0;
    }
    set_changed = c->all_enclaves != a->self.all_enclaves ||
                  c->n_enclaves != a->self.n_enclaves ||
                  memcmp(c->enclaves, a->self.enclaves, c->n_enclaves * sizeof(c->enclaves[0]));
    a->self = *c;
    free(c);
    admit_grant_from_cert(&a->self_grant, &a->self);
    a->self_expired_logged = false;
    sbuf_printf(out, "certificate %s: serial %016" PRIx64 "\n", nc->certificate_file,
                a->self.serial);
    admit_describe_self(a, "reload");
    admit_warn_enclaves(d, nc);
    if (set_changed) {
        /*
         * What we may carry changed: new handshakes now, so every peer
         * checks the new certificate at once instead of at its next rekey,
         * and both sides start over with their records.
         */
        size_t i = 0;

        sbuf_puts(out, "certificate enclaves changed: links re-established\n");
        while (i < d->n_peers)
            if (admit_relink(d, d->peers[i], true))
                i++;
    } else {
        sbuf_puts(out, "certificate renewed: peers learn it at a handshake started now; "
                       "links stay up\n");
        admit_push_renewal(d);
    }
    return 0;
}

bool admit_contact_allowed(const struct daemon *d, const uint8_t pub[CERT_KEY_LEN])
{
    return !admit_enabled(d) || admit_may_contact(d->admit, pub);
}

void admit_stop(struct daemon *d)
{
    uv_timer_t *t = admit_timer(d);

    if (t) {
        uv_close((uv_handle_t *)t, (uv_close_cb)free);
        d->admit_timer = NULL;
    }
}

void admit_free(struct daemon *d)
{
    if (!d->admit)
        return;
    /* Not started on the loop (start failed early): free the timer here. */
    free(d->admit_timer);
    d->admit_timer = NULL;
    free(d->admit->known);
    config_revoked_clear(&d->admit->revoked);
    free(d->admit);
    d->admit = NULL;
}

void admit_peer_free(struct peer *p)
{
    free(p->adm);
    p->adm = NULL;
}

/* ---- tear down --------------------------------------------------------------- */

/* A configured [Peer] stays known but loses its session; it may come back
 * with a valid certificate at its next handshake (started now with
 * @connect). Returns false when the peer had to be removed instead (no
 * memory for a fresh link peer). */
static bool admit_relink(struct daemon *d, struct peer *p, bool connect)
{
    announce_peer_down(d, p);
    /* Free first: the link layer refuses a second peer with the same key. */
    peer_link_free(d, p);
    p->state = LINK_DOWN;
    if (peer_link_new(d, p) < 0) {
        log_error("admit", "%s: cannot reset the link: peer removed", p->name);
        peer_remove(d, p);
        return false;
    }
    if (connect && p->ep.len)
        link_peer_connect(p->lp, daemon_now());
    return true;
}

static void admit_timer_cb(uv_timer_t *t)
{
    struct daemon *d = t->data;
    struct admit *a = d->admit;
    uint64_t now = admit_now_unix();
    size_t i = 0;

    if (now >= a->self.not_after && !a->self_expired_logged) {
        a->self_expired_logged = true;
        log_error("admit", "our certificate expired: peers refuse us at the next handshake; "
                  "renew %s and reload", d->cfg->certificate_file);
    }
    while (i < d->n_peers) {
        struct peer *p = d->peers[i];
        struct admit_peer *ap = p->adm;

        if (ap && ap->admitted && now >= ap->g.not_after) {
            char ts[32];

            cert_format_time(ap->g.not_after, ts, sizeof(ts));
            log_warn("admit", "%s: certificate expired at %s: link torn down", p->name, ts);
            ap->admitted = false;
            ap->teardown = true;
        }
        if (!ap || !ap->teardown) {
            i++;
            continue;
        }
        ap->teardown = false;
        if (ap->revoked) {
            log_warn("admit", "%s: revoked: removed, not contacted again", p->name);
            if (!admit_key_revoked(a, p->pub))
                admit_shun(a, p->pub, ap->g.serial);
        }
        if (ap->dynamic || ap->revoked) {
            peer_remove(d, p);        /* d->peers shifted: same i again */
            continue;
        }
        if (admit_relink(d, p, false))
            i++;
    }
    admit_schedule(d, ADMIT_RECHECK_MS);
}

/* ---- link hooks -------------------------------------------------------------- */

size_t admit_hook_payload(struct daemon *d, uint8_t *buf, size_t cap)
{
    size_t len = 0;

    if (!admit_enabled(d) || cert_payload(&d->admit->self, buf, cap, &len) < 0)
        return 0;
    return len;
}

/* One line per refused key and minute: a refused host retries every 5 s.
 * Monotonic seconds, so a wall-clock jump neither floods nor mutes. */
static void admit_log_refusal(struct daemon *d, const uint8_t pub[CERT_KEY_LEN],
                              const char *name, int rc)
{
    char b64[KEY_B64_LEN + 1];
    uint64_t unlogged;

    if (rc == ADMIT_E_REVOKED) {
        key_to_base64(b64, pub);
        drop_count(&d->drops, DROP_REVOKED, daemon_now(), "handshake from %s%s%s", 
                   name ? name : "", name ? " " : "", b64);
    }
    if (!admit_refusal_log_due(d->admit, pub, daemon_now() / 1000000000u))
        return;
    key_to_base64(b64, pub);
    log_warn("admit", "refused %s%s%s: %s", name ? name : "", name ? " " : "", b64,
             admit_strerror(rc));
    if ((unlogged = admit_refusals_unlogged(d->admit)) > 0)
        log_warn("admit", "%" PRIu64 " more refusal(s) not logged: over %d lines a minute",
                 unlogged, ADMIT_REFUSAL_LINES);
}

static void admit_log_grant(const struct peer *p, const struct admit_grant *g, const char *what)
{
    char t[32], encl[64] = "*";
    size_t off = 0;

    if (!g->all) {
        encl[0] = '\0';
        for (size_t i = 0; i < g->n; i++) {
            if (off + 14 >= sizeof(encl)) {
                snprintf(encl + off, sizeof(encl) - off, ",...");
                break;
            }
            off += (size_t)snprintf(encl + off, sizeof(encl) - off, "%s%u", i ? "," : "",
                                    g->ids[i]);
        }
    }
    cert_format_time(g->not_after, t, sizeof(t));
    log_info("admit", "%s %s: certificate %s, serial %016" PRIx64 ", enclaves %s, expires %s",
             p->name, what, g->name, g->serial, encl[0] ? encl : "(none)", t);
}

struct link_peer *admit_hook_accept(struct daemon *d, const uint8_t pub[CERT_KEY_LEN],
                                    const uint8_t *payload, size_t len)
{
    struct config_peer cp;
    struct admit_peer *ap;
    struct peer *p = NULL;
    int rc;

    if (!admit_enabled(d))
        return NULL;                  /* only [Peer] keys, which are link peers already */
    ap = calloc(1, sizeof(*ap));
    if (!ap)
        return NULL;
    rc = admit_check(d->admit, payload, len, pub, admit_now_unix(), &ap->g);
    if (rc < 0) {
        admit_log_refusal(d, pub, NULL, rc);
        free(ap);
        return NULL;
    }
    memset(&cp, 0, sizeof(cp));
    memcpy(cp.pubkey, pub, CERT_KEY_LEN);
    /* Shown by its certificate name unless a peer has that name already. */
    if (!peer_by_name(d, ap->g.name))
        memcpy(cp.name, ap->g.name, sizeof(cp.name));
    /* No Endpoint: hook_send learns it from this very packet's source. */
    if (peer_add(d, &cp, &p) < 0) {
        free(ap);
        return NULL;
    }
    ap->dynamic = true;
    ap->admitted = true;
    ringid_from_pubkey(ap->ring_id, pub);
    p->adm = ap;
    admit_unshun(d->admit, pub);      /* back with a certificate that stands */
    /* A brand-new link is not idle: without this the plan's idle scan
     * sees no traffic ever and may close it before its first frame. */
    ringd_note_data(d, p, daemon_now());
    admit_log_grant(p, &ap->g, "admitted");
    return p->lp;
}

static bool admit_configured(const struct daemon *d, const uint8_t pub[CERT_KEY_LEN])
{
    return peer_cfg_by_pub(d, pub) != NULL;
}

static bool admit_grant_same_set(const struct admit_grant *a, const struct admit_grant *b)
{
    return a->all == b->all && a->n == b->n && memcmp(a->ids, b->ids, a->n * sizeof(a->ids[0])) == 0;
}

int admit_hook_done(struct daemon *d, struct peer *p, const uint8_t *payload, size_t len)
{
    struct admit_grant *g;
    struct admit_peer *ap;
    bool was, changed;
    int rc;

    if (!admit_enabled(d))
        return 0;
    if (!p)
        return -EACCES;               /* not ours to vouch for */
    if (!p->adm) {
        p->adm = calloc(1, sizeof(*p->adm));
        if (!p->adm)
            return -ENOMEM;
        /* Made by the ring on demand (not a [Peer]): reload must keep it. */
        p->adm->dynamic = !admit_configured(d, p->pub);
    }
    ap = p->adm;
    g = malloc(sizeof(*g));
    if (!g)
        return -ENOMEM;
    rc = admit_check(d->admit, payload, len, p->pub, admit_now_unix(), g);
    if (rc < 0) {
        admit_log_refusal(d, p->pub, p->name, rc);
        if (rc == ADMIT_E_REVOKED) {
            /* Not contacted again: removed at the next timer run (a
             * hook may not free the peer), the serial remembered. */
            ap->g = *g;
            ap->admitted = false;
            ap->revoked = true;
            ap->teardown = true;
            admit_schedule(d, 0);
        }
        if (ap->admitted) {
            /* A rekey with a bad certificate ends the session we had too. */
            ap->admitted = false;
            ap->teardown = true;
            admit_schedule(d, 0);
        }
        free(g);
        return -EACCES;
    }
    was = ap->admitted;
    changed = was && !admit_grant_same_set(&ap->g, g);
    if (!was || ap->g.serial != g->serial)
        admit_log_grant(p, g, was ? "renewed" : "admitted");
    ap->g = *g;
    free(g);
    ap->admitted = true;
    ap->teardown = false;
    ringid_from_pubkey(ap->ring_id, p->pub);
    /* A link the ring opened on demand was named by 8 characters of its
     * key; its certificate names it now, unless a peer has that name. */
    if (ap->dynamic && strcmp(p->name, ap->g.name) != 0 && !peer_by_name(d, ap->g.name))
        snprintf(p->name, sizeof(p->name), "%s", ap->g.name);
    if (changed) {
        /* Forget what it told us under the old set; both sides re-announce. */
        announce_peer_down(d, p);
        p->hello_pending = true;
    }
    admit_schedule(d, ADMIT_RECHECK_MS);
    return 0;
}

/* ---- overlayctl peers -------------------------------------------------------- */

void admit_peer_json(const struct daemon *d, const struct peer *p, struct json *j)
{
    const struct admit_peer *ap = p->adm;
    bool on = admit_enabled(d), ok = on && ap && ap->admitted;
    uint64_t now = admit_now_unix();
    char serial[20];

    json_key(j, "admitted");
    json_bool(j, !on || ok);
    json_kstr(j, "cert_name", ok ? ap->g.name : NULL);
    snprintf(serial, sizeof(serial), "%016" PRIx64, ok ? ap->g.serial : 0);
    json_kstr(j, "cert_serial", ok ? serial : NULL);
    json_key(j, "cert_expires_s");
    if (ok)
        json_u64(j, ap->g.not_after > now ? ap->g.not_after - now : 0);
    else
        json_null(j);
    json_key(j, "allowed_all");
    json_bool(j, !on || (ok && ap->g.all));
    json_key(j, "allowed_enclaves");
    json_arr_begin(j);
    for (size_t i = 0; ok && i < ap->g.n; i++)
        json_u64(j, ap->g.ids[i]);
    json_arr_end(j);
}

void admit_peer_text(const struct daemon *d, const struct peer *p, char *cert, size_t cert_len,
                     char *encl, size_t encl_len)
{
    const struct admit_peer *ap = p->adm;
    size_t off = 0;

    if (!admit_enabled(d)) {
        snprintf(cert, cert_len, "-");
        snprintf(encl, encl_len, "*");
        return;
    }
    if (!ap || !ap->admitted) {
        snprintf(cert, cert_len, "-");
        snprintf(encl, encl_len, "-");
        return;
    }
    snprintf(cert, cert_len, "%s", ap->g.name);
    if (ap->g.all) {
        snprintf(encl, encl_len, "*");
        return;
    }
    encl[0] = '\0';
    for (size_t i = 0; i < ap->g.n; i++) {
        if (off + 14 >= encl_len) {   /* room for ",...": the JSON has them all */
            snprintf(encl + off, encl_len - off, ",...");
            break;
        }
        off += (size_t)snprintf(encl + off, encl_len - off, "%s%u", i ? "," : "", ap->g.ids[i]);
    }
    if (!ap->g.n)
        snprintf(encl, encl_len, "(none)");
}
