/* SPDX-License-Identifier: GPL-2.0-only */
#ifndef OVL_OVERLAYD_ADMIT_H
#define OVL_OVERLAYD_ADMIT_H

/*
 * DOC: admit — certificate policy: who is admitted, and who may carry
 * which enclave
 *
 * Two modes (CONTRACT.md, "Admission"):
 *   - no Authority (@a NULL or !a->enabled): every host may carry every
 *     enclave (all questions below answer true);
 *   - Authority: a host is admitted only with a certificate from that
 *     authority for the very static key it authenticated with, valid at
 *     `now` (crypto/cert.h, cert_admit()); it may carry exactly the enclaves
 *     the certificate lists, until the certificate's not_after. This host's
 *     own certificate (CertificateFile) limits what we ourselves carry.
 *
 * Pure: this module owns struct admit (our certificate, the authority, the
 * cache of hosts known through relays, the refusal-log limiter) and the
 * grants (struct admit_grant, struct admit_peer). It calls only crypto/
 * (cert, key, ringid), lib/idset.h, libsodium and, for the certificate
 * file, open/read; it reads struct config (overlayd/config/) for --check.
 * It never sees struct daemon or struct peer, never reads a clock (every
 * time is a `now` passed in: Unix seconds for certificates) and never
 * touches libuv. The daemon side (the expiry timer, the link hooks, the
 * peer-object wrappers such as admit_link_allows(d, p, id), the wall clock)
 * is overlayd/datapath/peer_admit.h.
 *
 * Expiry: the allow questions (admit_self_allows, admit_peer_allows,
 * admit_host_allows, admit_host_known) compare enclave sets only. A grant
 * stops counting when the daemon side clears admit_peer.admitted or calls
 * admit_expire() at the earliest not_after, so the data path never needs
 * the time.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "crypto/cert.h"
#include "crypto/ringid.h"
#include "overlayd/config/config.h"

struct config;

/* What one certificate allows. */
struct admit_grant {
    char name[CERT_NAME_MAX + 1];
    uint8_t authority[CERT_KEY_LEN];    /* who issued it: a reload may stop trusting it */
    uint64_t serial;
    uint64_t not_after;                 /* Unix seconds, exclusive */
    bool all;                           /* every enclave */
    uint16_t n;
    uint32_t ids[CERT_MAX_ENCLAVES];    /* ascending */
};

/* What a link peer's certificate grants (p->adm; NULL until one was checked). */
struct admit_peer {
    bool admitted;                      /* grant is valid (Authority mode) */
    bool dynamic;                       /* created by accept, not a [Peer] */
    bool teardown;                      /* failed or expired: drop the link */
    bool revoked;                       /* refused by the RevokedFile: remove the peer */
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

/* A key whose refusal was logged, and when (admit_refusal_log_due()). */
struct admit_refusal {
    uint8_t pub[CERT_KEY_LEN];
    uint64_t logged_at;                 /* caller's seconds */
};

enum {
    ADMIT_KNOWN_MAX = 256,
    ADMIT_REFUSALS_MAX = 32,            /* keys whose last refusal line is remembered */
    ADMIT_REFUSAL_LOG_S = 60,           /* one refusal line per key and minute */
    ADMIT_REFUSAL_LINES = 64,           /* and at most this many a minute in all */
    ADMIT_SHUNNED_MAX = 64,
};

/* A host whose certificate serial is revoked, by key: we do not contact
 * it while that serial stays listed (it may still come to us with a
 * certificate that stands). */
struct admit_shunned {
    uint8_t pub[CERT_KEY_LEN];
    uint64_t serial;
};

/* A handshake or relayed certificate refused by the RevokedFile (key or
 * serial), beside the CERT_E_* codes; admit_strerror() names both. */
enum { ADMIT_E_REVOKED = -4101 };

struct admit {
    bool enabled;                       /* Authority configured */
    uint8_t authority[CERT_KEY_LEN];
    bool has_authority2;                /* a second one, during a key rotation */
    uint8_t authority2[CERT_KEY_LEN];
    struct config_revoked revoked;      /* RevokedFile (owned) */
    struct admit_shunned shunned[ADMIT_SHUNNED_MAX];   /* oldest first */
    size_t n_shunned;
    uint8_t self_ring_id[RINGID_LEN];
    struct cert self;                   /* our certificate (raw = payload) */
    struct admit_grant self_grant;
    bool self_expired_logged;
    struct admit_known *known;          /* ADMIT_KNOWN_MAX entries, LRU */
    size_t n_known;
    uint64_t known_tick;
    struct admit_refusal refused[ADMIT_REFUSALS_MAX];
    size_t n_refused;
    uint64_t refusal_window;            /* start of the current minute of lines */
    unsigned refusal_lines;             /* lines in it */
    uint64_t refusals_unlogged;         /* refusals over the budget, not yet reported */
};

/*
 * Take @cfg's authorities and move its RevokedFile entries into @a (the
 * previous ones are freed; @cfg->revoked is left empty), then forget the
 * relayed hosts whose certificate they no longer admit. For start and
 * reload; the caller re-checks its link peers with admit_grant_trusted().
 */
void admit_set_trust(struct admit *a, struct config *cfg);
/* Is @pub (a host key) listed in the RevokedFile? */
bool admit_key_revoked(const struct admit *a, const uint8_t pub[CERT_KEY_LEN]);
/* Does @g, the grant of the host with key @pub, still stand: issued by a
 * trusted authority, neither key nor serial revoked? (Expiry: admit_expire.) */
bool admit_grant_trusted(const struct admit *a, const struct admit_grant *g,
                         const uint8_t pub[CERT_KEY_LEN]);
/*
 * Hosts found holding a revoked serial (at a handshake or a reload): not
 * contacted while the serial stays in the RevokedFile (admit_set_trust()
 * forgets the others). admit_unshun() when the host is admitted again.
 */
void admit_shun(struct admit *a, const uint8_t pub[CERT_KEY_LEN], uint64_t serial);
void admit_unshun(struct admit *a, const uint8_t pub[CERT_KEY_LEN]);
/* May we open a link to @pub: key not revoked, host not shunned? */
bool admit_may_contact(const struct admit *a, const uint8_t pub[CERT_KEY_LEN]);
/* Message for ADMIT_E_REVOKED, a CERT_E_* code or a negative errno. */
const char *admit_strerror(int err);

/*
 * Load and verify the certificate at @path against @authority, our own
 * public key @self_pub and Unix time @now. Returns 0 or -EINVAL with a
 * precise reason in @why (e.g. "certificate expired at 2026-...Z").
 */
int admit_load_self(const char *path, const uint8_t authority[CERT_KEY_LEN],
                    const uint8_t self_pub[CERT_KEY_LEN], uint64_t now,
                    struct cert *c, char *why, size_t why_len);
/* The same with a second trusted @authority2 (NULL: none): either may
 * have issued it. */
int admit_load_self2(const char *path, const uint8_t authority[CERT_KEY_LEN],
                     const uint8_t *authority2, const uint8_t self_pub[CERT_KEY_LEN],
                     uint64_t now, struct cert *c, char *why, size_t why_len);

/* --check / before start: verify @cfg's certificate (if Authority is set)
 * at Unix time @now; problems go to @report as "path: message". Returns 0
 * or -EINVAL. */
typedef void (*admit_report_fn)(void *ctx, const char *path, int line, const char *msg);
int admit_check_config(const struct config *cfg, uint64_t now, admit_report_fn report,
                       void *ctx);

/*
 * Check a handshake payload from static key @rs at Unix time @now and
 * fill @g: a revoked key is refused before any parsing or signature
 * check; then cert_admit() with our authority (or the second one, when
 * the certificate names it); then its serial against the RevokedFile.
 * Returns 0, ADMIT_E_REVOKED or the CERT_E_* / -EBADMSG of the refusal
 * (admit_strerror() explains). A serial refused as revoked still fills
 * @g, so the caller knows which.
 */
int admit_check(const struct admit *a, const uint8_t *payload, size_t len,
                const uint8_t rs[CERT_KEY_LEN], uint64_t now, struct admit_grant *g);

void admit_grant_from_cert(struct admit_grant *g, const struct cert *c);
/* Does @g allow @enclave at Unix time @now? */
bool admit_grant_allows(const struct admit_grant *g, uint32_t enclave, uint64_t now);
/* Does @g list @enclave (expiry left to the caller)? */
bool admit_grant_lists(const struct admit_grant *g, uint32_t enclave);

/*
 * Remember the certificate @payload of @pub, a host we reach only through
 * relays, after checking it against the authority at Unix time @now (the
 * same bytes as last time are not checked again). Returns 0 or a
 * CERT_E_* / negative errno code; the cache keeps ADMIT_KNOWN_MAX hosts.
 */
int admit_learn(struct admit *a, const uint8_t pub[CERT_KEY_LEN], const uint8_t *payload,
                size_t len, uint64_t now);
/* What a host known through relays may carry, by @pub or @ring_id (either
 * may be NULL); NULL when unknown or expired at @now. */
const struct admit_grant *admit_known_grant(const struct admit *a, const uint8_t *pub,
                                            const uint8_t *ring_id, uint64_t now);
/*
 * Forget the relayed hosts whose certificate expired at Unix time @now.
 * Returns the earliest not_after still cached (UINT64_MAX: none), for the
 * caller's next expiry check.
 */
uint64_t admit_expire(struct admit *a, uint64_t now);

/*
 * Policy. Never allocate or read a clock; safe on the data path.
 * Without Authority (@a NULL or !a->enabled) every answer is true.
 */
/* May we ourselves carry @enclave (our certificate)? */
bool admit_self_allows(const struct admit *a, uint32_t enclave);
/* May the link peer whose grant is @ap (NULL: none checked yet) carry it? */
bool admit_peer_allows(const struct admit *a, const struct admit_peer *ap, uint32_t enclave);
/*
 * May the host with @pub or @ring_id (either may be NULL) carry @enclave?
 * Ourselves answer from our certificate; else @ap, the grant of that
 * host's link peer when it has an admitted one; else the relay cache;
 * any other host may carry nothing.
 */
bool admit_host_allows(const struct admit *a, const struct admit_peer *ap, const uint8_t *pub,
                       const uint8_t *ring_id, uint32_t enclave);
/* Do we hold a valid certificate for that host (same lookup)? */
bool admit_host_known(const struct admit *a, const struct admit_peer *ap, const uint8_t *pub,
                      const uint8_t *ring_id);

/*
 * Refusal lines: true when a refusal of @pub at @now (seconds, any
 * origin) should be logged, i.e. none was in the last ADMIT_REFUSAL_LOG_S;
 * then @now is remembered. A refused host retries every few seconds and
 * several may do so at once: the last ADMIT_REFUSALS_MAX keys are kept,
 * the one logged longest ago is forgotten first. A flood of fresh keys
 * would still log one line each, so beyond ADMIT_REFUSAL_LINES lines a
 * minute the refusals are only counted: admit_refusals_unlogged() hands
 * the count to the next line that is logged.
 */
bool admit_refusal_log_due(struct admit *a, const uint8_t pub[CERT_KEY_LEN], uint64_t now);
/* Refusals not logged for the budget since the last call; resets it. */
uint64_t admit_refusals_unlogged(struct admit *a);

#endif
