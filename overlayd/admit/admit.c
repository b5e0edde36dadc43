/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Admission policy: certificate checks and the "may host X carry enclave
 * E" rules (admit.h). No libuv, no daemon and no clock here, so the unit
 * test links this file alone; the daemon glue is datapath/peer_admit.c.
 */
#include "overlayd/admit/admit.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sodium.h>

#include "crypto/key.h"
#include "crypto/ringid.h"
#include "overlayd/config/config.h"
#include "lib/idset.h"

static int admit_read_file(const char *path, char **out, size_t *len)
{
    enum { ADMIT_FILE_MAX = 64 * 1024 };   /* a certificate is ~2 KiB of text */
    char *buf = malloc(ADMIT_FILE_MAX + 1);
    size_t n = 0;
    int fd, err = 0;

    if (!buf)
        return -ENOMEM;
    fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        err = -errno;
        free(buf);
        return err;
    }
    for (;;) {
        ssize_t r = read(fd, buf + n, ADMIT_FILE_MAX + 1 - n);

        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0) {
            err = -errno;
            break;
        }
        if (r == 0)
            break;
        n += (size_t)r;
        if (n > ADMIT_FILE_MAX) {
            err = -EFBIG;
            break;
        }
    }
    close(fd);
    if (err) {
        free(buf);
        return err;
    }
    buf[n] = '\0';
    *out = buf;
    *len = n;
    return 0;
}

/* The refusal of our own certificate, in words an operator can act on. */
static void admit_explain(const struct cert *c, int rc, const uint8_t authority[CERT_KEY_LEN],
                          const uint8_t self_pub[CERT_KEY_LEN], uint64_t now,
                          char *why, size_t why_len)
{
    char t1[32], t2[32], k1[KEY_B64_LEN + 1], k2[KEY_B64_LEN + 1];

    switch (rc) {
    case CERT_E_AUTHORITY:
        key_to_base64(k1, c->authority_pub);
        key_to_base64(k2, authority);
        snprintf(why, why_len, "certificate issued by another authority (%s), not Authority %s",
                 k1, k2);
        break;
    case CERT_E_EXPIRED:
        cert_format_time(c->not_after, t1, sizeof(t1));
        cert_format_time(now, t2, sizeof(t2));
        snprintf(why, why_len, "certificate expired at %s (now %s)", t1, t2);
        break;
    case CERT_E_NOT_YET_VALID:
        cert_format_time(c->not_before, t1, sizeof(t1));
        cert_format_time(now, t2, sizeof(t2));
        snprintf(why, why_len, "certificate not valid before %s (now %s)", t1, t2);
        break;
    case CERT_E_KEY_MISMATCH:
        key_to_base64(k1, c->host_pub);
        key_to_base64(k2, self_pub);
        snprintf(why, why_len,
                 "certificate is for public key %s, not this host's key %s", k1, k2);
        break;
    default:
        snprintf(why, why_len, "certificate rejected: %s", cert_strerror(rc));
        break;
    }
}

int admit_load_self(const char *path, const uint8_t authority[CERT_KEY_LEN],
                    const uint8_t self_pub[CERT_KEY_LEN], uint64_t now,
                    struct cert *c, char *why, size_t why_len)
{
    char reason[256] = "";
    char *text = NULL;
    size_t len = 0;
    int rc;

    rc = admit_read_file(path, &text, &len);
    if (rc < 0) {
        snprintf(why, why_len, "cannot read certificate: %s", strerror(-rc));
        return -EINVAL;
    }
    rc = cert_load_text(text, len, c, reason, sizeof(reason));
    free(text);
    if (rc < 0) {
        snprintf(why, why_len, "not a certificate: %s", reason[0] ? reason : cert_strerror(rc));
        return -EINVAL;
    }
    rc = cert_verify(c, authority, now, self_pub);
    if (rc < 0) {
        admit_explain(c, rc, authority, self_pub, now, why, why_len);
        return -EINVAL;
    }
    return 0;
}

int admit_load_self2(const char *path, const uint8_t authority[CERT_KEY_LEN],
                     const uint8_t *authority2, const uint8_t self_pub[CERT_KEY_LEN],
                     uint64_t now, struct cert *c, char *why, size_t why_len)
{
    int rc = admit_load_self(path, authority, self_pub, now, c, why, why_len);

    /* Issued by the other trusted authority: check it against that one. */
    if (rc < 0 && authority2 && memcmp(c->authority_pub, authority2, CERT_KEY_LEN) == 0)
        rc = admit_load_self(path, authority2, self_pub, now, c, why, why_len);
    return rc;
}

int admit_check_config(const struct config *cfg, uint64_t now, admit_report_fn report,
                       void *ctx)
{
    struct cert *c;
    uint8_t pub[CERT_KEY_LEN];
    char why[512];
    int rc;

    if (!cfg->has_authority || !cfg->certificate_file[0] || !cfg->has_private_key)
        return 0;                     /* config_load() reported what is missing */
    if (key_public(pub, cfg->private_key) < 0) {
        report(ctx, cfg->path, 0, "cannot derive the public key from the private key");
        return -EINVAL;
    }
    c = malloc(sizeof(*c));
    if (!c)
        return -ENOMEM;
    rc = admit_load_self2(cfg->certificate_file, cfg->authority,
                          cfg->has_authority2 ? cfg->authority2 : NULL, pub, now, c, why,
                          sizeof(why));
    if (rc < 0)
        report(ctx, cfg->certificate_file, 0, why);
    free(c);
    return rc;
}

void admit_grant_from_cert(struct admit_grant *g, const struct cert *c)
{
    memset(g, 0, sizeof(*g));
    memcpy(g->name, c->name, sizeof(g->name));
    memcpy(g->authority, c->authority_pub, CERT_KEY_LEN);
    g->serial = c->serial;
    g->not_after = c->not_after;
    g->all = c->all_enclaves;
    g->n = c->n_enclaves;
    memcpy(g->ids, c->enclaves, c->n_enclaves * sizeof(g->ids[0]));
}

int admit_check(const struct admit *a, const uint8_t *payload, size_t len,
                const uint8_t rs[CERT_KEY_LEN], uint64_t now, struct admit_grant *g)
{
    struct cert *c;
    int rc;

    if (admit_key_revoked(a, rs))
        return ADMIT_E_REVOKED;       /* cheapest first: no parse, no signature */
    c = malloc(sizeof(*c));
    if (!c)
        return -ENOMEM;
    rc = cert_admit(payload, len, a->authority, now, rs, c);
    if (rc == CERT_E_AUTHORITY && a->has_authority2)
        rc = cert_admit(payload, len, a->authority2, now, rs, c);
    if (rc == 0 && config_revoked_serial(&a->revoked, c->serial)) {
        admit_grant_from_cert(g, c);  /* the caller remembers the serial */
        rc = ADMIT_E_REVOKED;
    }
    if (rc == 0)
        admit_grant_from_cert(g, c);
    free(c);
    return rc;
}

/* ---- trust: authorities and the RevokedFile ------------------------------ */

bool admit_key_revoked(const struct admit *a, const uint8_t pub[CERT_KEY_LEN])
{
    return config_revoked_key(&a->revoked, pub);
}

static bool admit_authority_trusted(const struct admit *a, const uint8_t key[CERT_KEY_LEN])
{
    return memcmp(key, a->authority, CERT_KEY_LEN) == 0 ||
           (a->has_authority2 && memcmp(key, a->authority2, CERT_KEY_LEN) == 0);
}

bool admit_grant_trusted(const struct admit *a, const struct admit_grant *g,
                         const uint8_t pub[CERT_KEY_LEN])
{
    return admit_authority_trusted(a, g->authority) && !admit_key_revoked(a, pub) &&
           !config_revoked_serial(&a->revoked, g->serial);
}

void admit_set_trust(struct admit *a, struct config *cfg)
{
    size_t i = 0;

    memcpy(a->authority, cfg->authority, CERT_KEY_LEN);
    a->has_authority2 = cfg->has_authority2;
    memcpy(a->authority2, cfg->authority2, CERT_KEY_LEN);
    config_revoked_clear(&a->revoked);
    a->revoked = cfg->revoked;
    memset(&cfg->revoked, 0, sizeof(cfg->revoked));
    for (size_t k = 0; k < a->n_shunned;) {
        if (!config_revoked_serial(&a->revoked, a->shunned[k].serial)) {
            a->shunned[k] = a->shunned[--a->n_shunned];
            continue;
        }
        k++;
    }
    while (i < a->n_known) {
        if (!admit_grant_trusted(a, &a->known[i].g, a->known[i].pub)) {
            a->known[i] = a->known[--a->n_known];
            continue;
        }
        i++;
    }
}

void admit_shun(struct admit *a, const uint8_t pub[CERT_KEY_LEN], uint64_t serial)
{
    struct admit_shunned *e;

    admit_unshun(a, pub);
    /* Full: the oldest goes (at worst it is refused again at a handshake). */
    if (a->n_shunned == ADMIT_SHUNNED_MAX)
        memmove(&a->shunned[0], &a->shunned[1], --a->n_shunned * sizeof(a->shunned[0]));
    e = &a->shunned[a->n_shunned++];
    memcpy(e->pub, pub, CERT_KEY_LEN);
    e->serial = serial;
}

void admit_unshun(struct admit *a, const uint8_t pub[CERT_KEY_LEN])
{
    for (size_t k = 0; k < a->n_shunned; k++) {
        if (memcmp(a->shunned[k].pub, pub, CERT_KEY_LEN) == 0) {
            memmove(&a->shunned[k], &a->shunned[k + 1],
                    (a->n_shunned - k - 1) * sizeof(a->shunned[0]));
            a->n_shunned--;
            return;
        }
    }
}

bool admit_may_contact(const struct admit *a, const uint8_t pub[CERT_KEY_LEN])
{
    if (admit_key_revoked(a, pub))
        return false;
    for (size_t k = 0; k < a->n_shunned; k++)
        if (memcmp(a->shunned[k].pub, pub, CERT_KEY_LEN) == 0)
            return false;
    return true;
}

const char *admit_strerror(int err)
{
    return err == ADMIT_E_REVOKED ? "key or certificate serial revoked (RevokedFile)"
                                  : cert_strerror(err);
}

bool admit_grant_lists(const struct admit_grant *g, uint32_t enclave)
{
    return g->all || idset_contains(g->ids, g->n, enclave);
}

bool admit_grant_allows(const struct admit_grant *g, uint32_t enclave, uint64_t now)
{
    return now < g->not_after && admit_grant_lists(g, enclave);
}

/* ---- hosts known through relays -------------------------------------------- */

int admit_learn(struct admit *a, const uint8_t pub[CERT_KEY_LEN], const uint8_t *payload,
                size_t len, uint64_t now)
{
    uint8_t digest[32];
    struct admit_known *k = NULL;
    struct admit_grant g;
    int rc;

    crypto_generichash(digest, sizeof(digest), payload, len, NULL, 0);
    for (size_t i = 0; i < a->n_known; i++) {
        if (sodium_memcmp(a->known[i].pub, pub, CERT_KEY_LEN) == 0) {
            k = &a->known[i];
            break;
        }
    }
    if (k && sodium_memcmp(k->digest, digest, sizeof(digest)) == 0 && now < k->g.not_after) {
        k->used = ++a->known_tick;
        return 0;
    }
    rc = admit_check(a, payload, len, pub, now, &g);
    if (rc < 0)
        return rc;
    if (!k) {
        if (!a->known) {
            a->known = calloc(ADMIT_KNOWN_MAX, sizeof(*a->known));
            if (!a->known)
                return -ENOMEM;
        }
        if (a->n_known < ADMIT_KNOWN_MAX) {
            k = &a->known[a->n_known++];
        } else {
            k = &a->known[0];
            for (size_t i = 1; i < a->n_known; i++)
                if (a->known[i].used < k->used)
                    k = &a->known[i];
        }
    }
    memcpy(k->pub, pub, CERT_KEY_LEN);
    ringid_from_pubkey(k->ring_id, pub);
    memcpy(k->digest, digest, sizeof(digest));
    k->g = g;
    k->used = ++a->known_tick;
    return 0;
}

const struct admit_grant *admit_known_grant(const struct admit *a, const uint8_t *pub,
                                            const uint8_t *ring_id, uint64_t now)
{
    for (size_t i = 0; i < a->n_known; i++) {
        const struct admit_known *k = &a->known[i];

        if ((pub && memcmp(k->pub, pub, CERT_KEY_LEN) == 0) ||
            (ring_id && memcmp(k->ring_id, ring_id, RINGID_LEN) == 0))
            return now < k->g.not_after ? &k->g : NULL;
    }
    return NULL;
}

uint64_t admit_expire(struct admit *a, uint64_t now)
{
    uint64_t next = UINT64_MAX;
    size_t i = 0;

    while (i < a->n_known) {
        if (now >= a->known[i].g.not_after) {
            a->known[i] = a->known[--a->n_known];   /* order is LRU ticks, not position */
            continue;
        }
        if (a->known[i].g.not_after < next)
            next = a->known[i].g.not_after;
        i++;
    }
    return next;
}

/* ---- policy -------------------------------------------------------------- */

static bool admit_on(const struct admit *a)
{
    return a && a->enabled;
}

/*
 * Which grant answers for a host. Expiry is the daemon side's job
 * (admit_peer.admitted cleared, admit_expire()), so the cache is asked
 * with now = 0: only presence and the enclave set matter here.
 */
static const struct admit_grant *admit_host_grant(const struct admit *a,
                                                  const struct admit_peer *ap,
                                                  const uint8_t *pub, const uint8_t *ring_id)
{
    if ((pub && sodium_memcmp(pub, a->self.host_pub, CERT_KEY_LEN) == 0) ||
        (ring_id && memcmp(ring_id, a->self_ring_id, RINGID_LEN) == 0))
        return &a->self_grant;
    if (ap && ap->admitted)
        return &ap->g;
    return admit_known_grant(a, pub, ring_id, 0);
}

bool admit_self_allows(const struct admit *a, uint32_t enclave)
{
    return !admit_on(a) || admit_grant_lists(&a->self_grant, enclave);
}

bool admit_peer_allows(const struct admit *a, const struct admit_peer *ap, uint32_t enclave)
{
    return !admit_on(a) || (ap && ap->admitted && admit_grant_lists(&ap->g, enclave));
}

bool admit_host_allows(const struct admit *a, const struct admit_peer *ap, const uint8_t *pub,
                       const uint8_t *ring_id, uint32_t enclave)
{
    const struct admit_grant *g;

    if (!admit_on(a))
        return true;
    g = admit_host_grant(a, ap, pub, ring_id);
    return g && admit_grant_lists(g, enclave);
}

bool admit_host_known(const struct admit *a, const struct admit_peer *ap, const uint8_t *pub,
                      const uint8_t *ring_id)
{
    return !admit_on(a) || admit_host_grant(a, ap, pub, ring_id) != NULL;
}

/* ---- refusal lines ------------------------------------------------------- */

bool admit_refusal_log_due(struct admit *a, const uint8_t pub[CERT_KEY_LEN], uint64_t now)
{
    struct admit_refusal *r = NULL;

    for (size_t i = 0; i < a->n_refused; i++) {
        if (memcmp(a->refused[i].pub, pub, CERT_KEY_LEN) == 0) {
            r = &a->refused[i];
            break;
        }
    }
    if (r && now - r->logged_at < ADMIT_REFUSAL_LOG_S && now >= r->logged_at)
        return false;
    if (now - a->refusal_window >= ADMIT_REFUSAL_LOG_S || now < a->refusal_window) {
        a->refusal_window = now;
        a->refusal_lines = 0;
    }
    if (a->refusal_lines >= ADMIT_REFUSAL_LINES) {
        a->refusals_unlogged++;
        return false;
    }
    a->refusal_lines++;
    if (!r && a->n_refused < ADMIT_REFUSALS_MAX) {
        r = &a->refused[a->n_refused++];
    } else if (!r) {
        r = &a->refused[0];
        for (size_t i = 1; i < a->n_refused; i++)
            if (a->refused[i].logged_at < r->logged_at)
                r = &a->refused[i];
    }
    memcpy(r->pub, pub, CERT_KEY_LEN);
    r->logged_at = now;
    return true;
}

uint64_t admit_refusals_unlogged(struct admit *a)
{
    uint64_t n = a->refusals_unlogged;

    a->refusals_unlogged = 0;
    return n;
}
