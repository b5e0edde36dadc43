/* SPDX-License-Identifier: GPL-2.0-only */
#ifndef OVL_OVERLAYD_ADMIT_H
#define OVL_OVERLAYD_ADMIT_H

/*
 * DOC: admit — admission of hosts by an overlay authority, and per-peer
 * enclave authorisation
 *
 * Two modes (CONTRACT.md, "Admission"):
 *   - no Authority: only [Peer] keys are link peers; every peer may carry
 *     every enclave (all checks below return true);
 *   - Authority: a host is admitted only with a certificate from that
 *     authority for the very static key it authenticated with, valid now
 *     (crypto/cert.h, cert_admit()); it may carry exactly the enclaves the
 *     certificate lists, until the certificate's not_after. This host's
 *     own certificate (CertificateFile) is checked at start and reload and
 *     limits what we ourselves carry over links the same way.
 *
 * Structures: struct admit (one per daemon, d->admit; NULL or !enabled
 * without Authority) holds our certificate and its handshake payload;
 * struct admit_peer (p->adm, NULL until a certificate was checked) holds
 * what a peer's certificate grants. Grants are filled by
 * admit_peer_check() from the link layer's handshake_done hook on every
 * completed handshake (so a rekey re-checks the certificate), and cleared
 * when the certificate expires (admit's own timer tears the link down).
 *
 * Lifecycle: admit_check_config() (--check and before start: a bad own
 * certificate is a configuration error) -> admit_start() (after the link
 * layer exists) -> hooks -> admit_reload() on SIGHUP -> admit_stop()
 * (closes the timer, from daemon_stop) -> admit_free().
 *
 * Policy functions (for fwd.c and the ring integration):
 *   admit_may_carry(d, pub, enclave)        by X25519 public key
 *   admit_may_carry_ringid(d, id, enclave)  by 128-bit ring id (ring_id
 *                                            bytes, crypto/ringid.h), for
 *                                            ring_callbacks.may_carry
 *   admit_peer_may_carry(d, p, enclave)     by peer object
 *   admit_link_allows(d, p, enclave)        both ends: us AND @p; the rule
 *                                            for anything sent or received
 * With Authority, a host we hold no valid certificate for (not a peer, or
 * a peer whose handshake has not completed, or expired) may carry nothing;
 * our own key answers from our own certificate.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "crypto/cert.h"
#include "crypto/ringid.h"

struct daemon;
struct peer;
struct config;
struct sbuf;
struct link_peer;
struct json;

/* What one certificate allows. */
struct admit_grant {
    char name[CERT_NAME_MAX + 1];
    uint64_t serial;
    uint64_t not_after;                 /* Unix seconds, exclusive */
    bool all;                           /* every enclave */
    uint16_t n;
    uint32_t ids[CERT_MAX_ENCLAVES];    /* ascending */
};

struct admit_peer {
    bool admitted;                      /* grant is valid (Authority mode) */
    bool dynamic;                       /* created by accept, not a [Peer] */
    bool teardown;                      /* failed or expired: drop the link */
    uint8_t ring_id[RINGID_LEN];
    struct admit_grant g;
};

/* A host known only through relayed ring messages (no link to it): its
 * certificate came inside the relay envelope. */
struct admit_known {
    uint8_t pub[CERT_KEY_LEN];
    uint8_t ring_id[RINGID_LEN];
    uint8_t digest[32];                 /* of the payload: the same bytes are not verified twice */
    uint64_t used;                      /* LRU tick */
    struct admit_grant g;
};

enum { ADMIT_KNOWN_MAX = 256 };

struct admit {
    bool enabled;                       /* Authority configured */
    uint8_t authority[CERT_KEY_LEN];
    uint8_t self_ring_id[RINGID_LEN];
    struct cert self;                   /* our certificate (raw = payload) */
    struct admit_grant self_grant;
    bool self_expired_logged;
    void *timer;                        /* uv_timer_t *, expiry checks */
    struct admit_known *known;          /* ADMIT_KNOWN_MAX entries, LRU */
    size_t n_known;
    uint64_t known_tick;
};

/* Wall-clock Unix seconds (certificates carry absolute dates). */
uint64_t admit_now_unix(void);

/*
 * Load and verify the certificate at @path against @authority, our own
 * public key @self_pub and Unix time @now. Returns 0 or -EINVAL with a
 * precise reason in @why (e.g. "certificate expired at 2026-...Z").
 */
int admit_load_self(const char *path, const uint8_t authority[CERT_KEY_LEN],
                    const uint8_t self_pub[CERT_KEY_LEN], uint64_t now,
                    struct cert *c, char *why, size_t why_len);

/* --check / before start: verify @cfg's certificate (if Authority is set);
 * problems go to @report as "path: message". Returns 0 or -EINVAL. */
typedef void (*admit_report_fn)(void *ctx, const char *path, int line, const char *msg);
int admit_check_config(const struct config *cfg, admit_report_fn report, void *ctx);

/*
 * Check a handshake payload from static key @rs at Unix time @now
 * (cert_admit() with our authority) and fill @g. Returns 0 or the
 * CERT_E_* / -EBADMSG of the refusal (cert_strerror() explains).
 */
int admit_check(const struct admit *a, const uint8_t *payload, size_t len,
                const uint8_t rs[CERT_KEY_LEN], uint64_t now, struct admit_grant *g);

void admit_grant_from_cert(struct admit_grant *g, const struct cert *c);
/* Does @g allow @enclave at Unix time @now? */
bool admit_grant_allows(const struct admit_grant *g, uint32_t enclave, uint64_t now);

/* Policy (see DOC). Never allocate; safe on the data path. */
/*
 * Remember the certificate @payload of @pub, a host we reach only through
 * relays, after checking it against the authority at Unix time @now (the
 * same bytes as last time are not checked again). Returns 0 or a
 * CERT_E_* / negative errno code; the cache keeps ADMIT_KNOWN_MAX hosts.
 */
int admit_learn(struct admit *a, const uint8_t pub[CERT_KEY_LEN], const uint8_t *payload,
                size_t len, uint64_t now);
/* What a host known through relays may carry; NULL when unknown or expired. */
const struct admit_grant *admit_known_grant(const struct admit *a, const uint8_t *pub,
                                            const uint8_t *ring_id, uint64_t now);
bool admit_enabled(const struct daemon *d);
bool admit_self_may_carry(const struct daemon *d, uint32_t enclave);
bool admit_peer_may_carry(const struct daemon *d, const struct peer *p, uint32_t enclave);
bool admit_link_allows(const struct daemon *d, const struct peer *p, uint32_t enclave);
bool admit_may_carry(struct daemon *d, const uint8_t pub[CERT_KEY_LEN], uint32_t enclave);
/* Do we hold a valid certificate for the host with @ring_id (a link's or
 * a relayed one's)? Always true without an Authority. */
bool admit_knows_ringid(struct daemon *d, const uint8_t ring_id[RINGID_LEN]);
bool admit_may_carry_ringid(struct daemon *d, const uint8_t ring_id[RINGID_LEN],
                            uint32_t enclave);
/* Created by the accept hook (not a [Peer]): reload must keep it. */
bool admit_peer_dynamic(const struct peer *p);

/* Daemon side (admit_run.c). */
int admit_start(struct daemon *d);
int admit_reload(struct daemon *d, const struct config *nc, struct sbuf *out);
void admit_stop(struct daemon *d);
void admit_free(struct daemon *d);
void admit_peer_free(struct peer *p);
/* Link hooks (wired in peer.c). */
size_t admit_hook_payload(struct daemon *d, uint8_t *buf, size_t cap);
struct link_peer *admit_hook_accept(struct daemon *d, const uint8_t pub[CERT_KEY_LEN],
                                    const uint8_t *payload, size_t len);
int admit_hook_done(struct daemon *d, struct peer *p, const uint8_t *payload, size_t len);
/*
 * `overlayctl peers` extras. JSON: "admitted" (bool), "cert_name",
 * "cert_serial" (str|null), "cert_expires_s" (num|null), "allowed_all"
 * (bool), "allowed_enclaves" ([num]). Text: the CERT and ENCLAVES cells.
 */
void admit_peer_json(const struct daemon *d, const struct peer *p, struct json *j);
void admit_peer_text(const struct daemon *d, const struct peer *p, char *cert, size_t cert_len,
                     char *encl, size_t encl_len);

#endif
