/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Admission policy: certificate checks and the "may host X carry enclave
 * E" rules (admit.h). No libuv and no peer creation here, so the unit test
 * links this file alone; the daemon glue is admit_run.c.
 */
#include "overlayd/admit/admit.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sodium.h>

#include "crypto/key.h"
#include "crypto/ringid.h"
#include "overlayd/config/config.h"
#include "overlayd/daemon.h"
#include "lib/idset.h"

uint64_t admit_now_unix(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_REALTIME, &ts);
    return ts.tv_sec < 0 ? 0 : (uint64_t)ts.tv_sec;
}

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

int admit_check_config(const struct config *cfg, admit_report_fn report, void *ctx)
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
    rc = admit_load_self(cfg->certificate_file, cfg->authority, pub, admit_now_unix(), c,
                         why, sizeof(why));
    if (rc < 0)
        report(ctx, cfg->certificate_file, 0, why);
    free(c);
    return rc;
}

void admit_grant_from_cert(struct admit_grant *g, const struct cert *c)
{
    memset(g, 0, sizeof(*g));
    memcpy(g->name, c->name, sizeof(g->name));
    g->serial = c->serial;
    g->not_after = c->not_after;
    g->all = c->all_enclaves;
    g->n = c->n_enclaves;
    memcpy(g->ids, c->enclaves, c->n_enclaves * sizeof(g->ids[0]));
}

int admit_check(const struct admit *a, const uint8_t *payload, size_t len,
                const uint8_t rs[CERT_KEY_LEN], uint64_t now, struct admit_grant *g)
{
    struct cert *c = malloc(sizeof(*c));
    int rc;

    if (!c)
        return -ENOMEM;
    rc = cert_admit(payload, len, a->authority, now, rs, c);
    if (rc == 0)
        admit_grant_from_cert(g, c);
    free(c);
    return rc;
}

bool admit_grant_allows(const struct admit_grant *g, uint32_t enclave, uint64_t now)
{
    if (now >= g->not_after)
        return false;
    return g->all || idset_contains(g->ids, g->n, enclave);
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

/* ---- policy -------------------------------------------------------------- */

bool admit_enabled(const struct daemon *d)
{
    return d->admit && d->admit->enabled;
}

/*
 * The data path asks per frame and per peer: the expiry is enforced by the
 * admit timer (admit_run.c) clearing `admitted`, so no clock is read here;
 * not_after is compared with 0 so only the enclave set matters.
 */
bool admit_self_may_carry(const struct daemon *d, uint32_t enclave)
{
    if (!admit_enabled(d))
        return true;
    return admit_grant_allows(&d->admit->self_grant, enclave, 0);
}

bool admit_peer_may_carry(const struct daemon *d, const struct peer *p, uint32_t enclave)
{
    if (!admit_enabled(d))
        return true;
    return p->adm && p->adm->admitted && admit_grant_allows(&p->adm->g, enclave, 0);
}

bool admit_link_allows(const struct daemon *d, const struct peer *p, uint32_t enclave)
{
    return admit_self_may_carry(d, enclave) && admit_peer_may_carry(d, p, enclave);
}

bool admit_may_carry(struct daemon *d, const uint8_t pub[CERT_KEY_LEN], uint32_t enclave)
{
    const struct admit_grant *g;

    if (!admit_enabled(d))
        return true;
    if (sodium_memcmp(pub, d->pub, CERT_KEY_LEN) == 0)
        return admit_self_may_carry(d, enclave);
    for (size_t i = 0; i < d->n_peers; i++)
        if (memcmp(d->peers[i]->pub, pub, CERT_KEY_LEN) == 0 &&
            d->peers[i]->adm && d->peers[i]->adm->admitted)
            return admit_peer_may_carry(d, d->peers[i], enclave);
    g = admit_known_grant(d->admit, pub, NULL, admit_now_unix());
    return g && admit_grant_allows(g, enclave, 0);
}

bool admit_knows_ringid(struct daemon *d, const uint8_t ring_id[RINGID_LEN])
{
    if (!admit_enabled(d) || memcmp(ring_id, d->admit->self_ring_id, RINGID_LEN) == 0)
        return true;
    for (size_t i = 0; i < d->n_peers; i++) {
        const struct peer *p = d->peers[i];

        if (p->adm && p->adm->admitted && memcmp(p->adm->ring_id, ring_id, RINGID_LEN) == 0)
            return true;
    }
    return admit_known_grant(d->admit, NULL, ring_id, admit_now_unix()) != NULL;
}

bool admit_may_carry_ringid(struct daemon *d, const uint8_t ring_id[RINGID_LEN],
                            uint32_t enclave)
{
    const struct admit_grant *g;

    if (!admit_enabled(d))
        return true;
    if (memcmp(ring_id, d->admit->self_ring_id, RINGID_LEN) == 0)
        return admit_self_may_carry(d, enclave);
    for (size_t i = 0; i < d->n_peers; i++) {
        const struct peer *p = d->peers[i];

        /* ring_id is filled when the peer is admitted; others carry nothing. */
        if (p->adm && p->adm->admitted && memcmp(p->adm->ring_id, ring_id, RINGID_LEN) == 0)
            return admit_peer_may_carry(d, p, enclave);
    }
    g = admit_known_grant(d->admit, NULL, ring_id, admit_now_unix());
    return g && admit_grant_allows(g, enclave, 0);
}

bool admit_peer_dynamic(const struct peer *p)
{
    return p->adm && p->adm->dynamic;
}
