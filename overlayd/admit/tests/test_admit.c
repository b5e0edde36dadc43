/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * admit.c: certificate checks of handshake payloads and of our own
 * certificate file, the per-enclave policy and the refusal-log limiter,
 * with certificates signed in-process by crypto/cert.c. No daemon, no
 * libuv, no clock: every time is passed in.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sodium.h>

#include "crypto/cert.h"
#include "crypto/key.h"
#include "crypto/ringid.h"
#include "overlayd/admit/admit.h"
#include "overlayd/config/config.h"
#include "lib/check.h"

static uint8_t ca_pk[32], ca_sk[64], other_pk[32], other_sk[64];
static uint8_t x_priv[32], x_pub[32], y_priv[32], y_pub[32];
static const uint64_t NOW = 1800000000;   /* 2027-01-15 */

/* Sign a certificate; @ids NULL = all enclaves. Returns its binary length. */
static size_t make_cert(uint8_t *out, const uint8_t *sk, const char *name, const uint8_t *pub,
                        uint64_t nb, uint64_t na, const uint32_t *ids, size_t n)
{
    struct cert_fields f = {
        .serial = 0x1122334455667788ull, .not_before = nb, .not_after = na, .name = name,
        .host_pub = pub, .all_enclaves = ids == NULL, .enclaves = ids, .n_enclaves = n,
    };
    size_t len = 0;

    if (cert_sign(&f, sk, out, CERT_MAX_LEN, &len) < 0) {
        printf("%s:%d: cert_sign failed\n", __FILE__, __LINE__);
        exit(1);
    }
    return len;
}

static void test_admit_check(void)
{
    static const uint32_t blue_red[] = { 100, 300 };
    struct admit a = { .enabled = true };
    struct admit_grant g;
    uint8_t buf[CERT_MAX_LEN];
    size_t len;

    memcpy(a.authority, ca_pk, 32);

    /* valid, enclave list */
    len = make_cert(buf, ca_sk, "host-x", x_pub, NOW - 60, NOW + 3600, blue_red, 2);
    memset(&g, 0xa5, sizeof(g));
    CHECK(admit_check(&a, buf, len, x_pub, NOW, &g) == 0);
    CHECK(strcmp(g.name, "host-x") == 0);
    CHECK(g.not_after == NOW + 3600);
    CHECK(g.serial == 0x1122334455667788ull);
    CHECK(!g.all && g.n == 2 && g.ids[0] == 100 && g.ids[1] == 300);
    /* enclave filtering */
    CHECK(admit_grant_allows(&g, 100, NOW));
    CHECK(admit_grant_allows(&g, 300, NOW));
    CHECK(!admit_grant_allows(&g, 200, NOW));
    CHECK(!admit_grant_allows(&g, 0, NOW));
    CHECK(!admit_grant_allows(&g, 301, NOW));
    CHECK(!admit_grant_allows(&g, 100, NOW + 3600));   /* not_after is exclusive */
    CHECK(admit_grant_allows(&g, 100, NOW + 3599));

    /* valid, all enclaves */
    len = make_cert(buf, ca_sk, "host-x", x_pub, NOW - 60, NOW + 3600, NULL, 0);
    CHECK(admit_check(&a, buf, len, x_pub, NOW, &g) == 0);
    CHECK(g.all && admit_grant_allows(&g, 16777215, NOW) && admit_grant_allows(&g, 1, NOW));

    /* no enclaves at all: a ring member that carries nothing */
    len = make_cert(buf, ca_sk, "host-x", x_pub, NOW - 60, NOW + 3600, blue_red, 0);
    CHECK(admit_check(&a, buf, len, x_pub, NOW, &g) == 0);
    CHECK(!g.all && g.n == 0 && !admit_grant_allows(&g, 100, NOW));

    /* another authority */
    len = make_cert(buf, other_sk, "host-x", x_pub, NOW - 60, NOW + 3600, NULL, 0);
    CHECK(admit_check(&a, buf, len, x_pub, NOW, &g) == CERT_E_AUTHORITY);

    /* expired, and the exact boundary */
    len = make_cert(buf, ca_sk, "host-x", x_pub, NOW - 7200, NOW - 1, NULL, 0);
    CHECK(admit_check(&a, buf, len, x_pub, NOW, &g) == CERT_E_EXPIRED);
    len = make_cert(buf, ca_sk, "host-x", x_pub, NOW - 7200, NOW, NULL, 0);
    CHECK(admit_check(&a, buf, len, x_pub, NOW, &g) == CERT_E_EXPIRED);
    CHECK(admit_check(&a, buf, len, x_pub, NOW - 1, &g) == 0);

    /* not yet valid */
    len = make_cert(buf, ca_sk, "host-x", x_pub, NOW + 10, NOW + 3600, NULL, 0);
    CHECK(admit_check(&a, buf, len, x_pub, NOW, &g) == CERT_E_NOT_YET_VALID);
    CHECK(admit_check(&a, buf, len, x_pub, NOW + 10, &g) == 0);

    /* for another key than the one the handshake authenticated */
    len = make_cert(buf, ca_sk, "host-x", x_pub, NOW - 60, NOW + 3600, NULL, 0);
    CHECK(admit_check(&a, buf, len, y_pub, NOW, &g) == CERT_E_KEY_MISMATCH);

    /* tampered, truncated, empty */
    buf[len - 1] ^= 1;
    CHECK(admit_check(&a, buf, len, x_pub, NOW, &g) == CERT_E_SIGNATURE);
    buf[len - 1] ^= 1;
    CHECK(admit_check(&a, buf, len - 1, x_pub, NOW, &g) == -EBADMSG);
    CHECK(admit_check(&a, buf, 0, x_pub, NOW, &g) == -EBADMSG);
    CHECK(admit_check(&a, NULL, 0, x_pub, NOW, &g) == -EBADMSG);
}

static char reported[1024];
static int n_reported;

static void report(void *ctx, const char *path, int line, const char *msg)
{
    (void)ctx;
    n_reported++;
    snprintf(reported, sizeof(reported), "%s:%d: %s", path, line, msg);
}

static void write_text(const char *path, const uint8_t *bin, size_t len)
{
    struct cert c;
    char text[CERT_TEXT_MAX];
    FILE *f;
    int n;

    if (cert_parse(bin, len, &c) < 0 || (n = cert_to_text(&c, text, sizeof(text))) < 0) {
        printf("%s:%d: cannot make text form\n", __FILE__, __LINE__);
        exit(1);
    }
    f = fopen(path, "w");
    if (!f || fwrite(text, 1, (size_t)n, f) != (size_t)n || fclose(f) != 0) {
        printf("%s:%d: cannot write %s\n", __FILE__, __LINE__, path);
        exit(1);
    }
}

static void test_load_self(const char *dir)
{
    static const uint32_t blue[] = { 100 };
    char path[512], why[512];
    uint8_t buf[CERT_MAX_LEN];
    struct cert c;
    struct config cfg;
    uint64_t now = NOW + 86400;             /* any time: the caller passes it */
    size_t len;

    snprintf(path, sizeof(path), "%s/host.cert", dir);

    len = make_cert(buf, ca_sk, "host-x", x_pub, NOW - 60, NOW + 3600, blue, 1);
    write_text(path, buf, len);
    CHECK(admit_load_self(path, ca_pk, x_pub, NOW, &c, why, sizeof(why)) == 0);
    CHECK(strcmp(c.name, "host-x") == 0 && c.n_enclaves == 1 && c.enclaves[0] == 100);
    CHECK(c.raw_len == len && memcmp(c.raw, buf, len) == 0);   /* the payload we send */

    CHECK(admit_load_self(path, ca_pk, x_pub, NOW + 3600, &c, why, sizeof(why)) == -EINVAL);
    CHECK(strstr(why, "certificate expired at") != NULL);
    CHECK(admit_load_self(path, ca_pk, x_pub, NOW - 61, &c, why, sizeof(why)) == -EINVAL);
    CHECK(strstr(why, "not valid before") != NULL);
    CHECK(admit_load_self(path, other_pk, x_pub, NOW, &c, why, sizeof(why)) == -EINVAL);
    CHECK(strstr(why, "another authority") != NULL);
    CHECK(admit_load_self(path, ca_pk, y_pub, NOW, &c, why, sizeof(why)) == -EINVAL);
    CHECK(strstr(why, "not this host's key") != NULL);

    snprintf(path, sizeof(path), "%s/missing.cert", dir);
    CHECK(admit_load_self(path, ca_pk, x_pub, NOW, &c, why, sizeof(why)) == -EINVAL);
    CHECK(strstr(why, "cannot read certificate") != NULL);

    snprintf(path, sizeof(path), "%s/junk.cert", dir);
    {
        FILE *f = fopen(path, "w");

        if (f) {
            fputs("Name = host-x\nnot a certificate\n", f);
            fclose(f);
        }
    }
    CHECK(admit_load_self(path, ca_pk, x_pub, NOW, &c, why, sizeof(why)) == -EINVAL);
    CHECK(strstr(why, "not a certificate") != NULL);

    /* --check path: certificates around the time it is given */
    memset(&cfg, 0, sizeof(cfg));
    snprintf(cfg.path, sizeof(cfg.path), "%s/overlayd.conf", dir);
    snprintf(cfg.certificate_file, sizeof(cfg.certificate_file), "%s/host.cert", dir);
    cfg.has_authority = true;
    memcpy(cfg.authority, ca_pk, 32);
    memcpy(cfg.private_key, x_priv, 32);
    cfg.has_private_key = true;
    len = make_cert(buf, ca_sk, "host-x", x_pub, now - 60, now + 3600, blue, 1);
    write_text(cfg.certificate_file, buf, len);
    n_reported = 0;
    CHECK(admit_check_config(&cfg, now, report, NULL) == 0 && n_reported == 0);
    len = make_cert(buf, ca_sk, "host-x", x_pub, now - 7200, now - 3600, blue, 1);
    write_text(cfg.certificate_file, buf, len);
    CHECK(admit_check_config(&cfg, now, report, NULL) == -EINVAL && n_reported == 1);
    CHECK(strstr(reported, "host.cert:0: certificate expired at") != NULL);
    memcpy(cfg.private_key, y_priv, 32);      /* valid certificate, wrong host key */
    len = make_cert(buf, ca_sk, "host-x", x_pub, now - 60, now + 3600, blue, 1);
    write_text(cfg.certificate_file, buf, len);
    n_reported = 0;
    CHECK(admit_check_config(&cfg, now, report, NULL) == -EINVAL && n_reported == 1);
    CHECK(strstr(reported, "not this host's key") != NULL);
    cfg.has_authority = false;                /* no Authority: nothing to check */
    n_reported = 0;
    CHECK(admit_check_config(&cfg, now, report, NULL) == 0 && n_reported == 0);
}

static void test_policy(void)
{
    static const uint32_t blue[] = { 100 }, blue_red[] = { 100, 200 };
    struct admit *a = calloc(1, sizeof(*a));
    struct admit_peer ap_all = { 0 }, ap_blue = { 0 }, ap_gone = { 0 };
    uint8_t buf[CERT_MAX_LEN], unknown[32], rid[RINGID_LEN], all_pub[32], blue_pub[32];
    size_t len;

    if (!a)
        exit(1);
    randombytes_buf(all_pub, 32);
    randombytes_buf(blue_pub, 32);
    randombytes_buf(unknown, 32);
    memcpy(a->authority, ca_pk, 32);
    /* Peers: all enclaves; blue only; expired/refused (and "none yet" = NULL). */
    len = make_cert(buf, ca_sk, "p-all", all_pub, NOW - 60, NOW + 60, NULL, 0);
    CHECK(admit_check(a, buf, len, all_pub, NOW, &ap_all.g) == 0);
    len = make_cert(buf, ca_sk, "p-blue", blue_pub, NOW - 60, NOW + 60, blue, 1);
    CHECK(admit_check(a, buf, len, blue_pub, NOW, &ap_blue.g) == 0);
    ap_gone.g = ap_all.g;
    ap_all.admitted = ap_blue.admitted = true;
    ap_gone.admitted = false;                 /* what the expiry timer does */
    ringid_from_pubkey(ap_all.ring_id, all_pub);
    ringid_from_pubkey(ap_blue.ring_id, blue_pub);

    /* Without Authority (no struct admit, or not enabled): everything goes. */
    CHECK(admit_self_allows(NULL, 7) && admit_peer_allows(NULL, NULL, 200));
    CHECK(admit_peer_allows(a, &ap_gone, 200) && admit_self_allows(a, 7));
    CHECK(admit_host_allows(a, NULL, unknown, NULL, 200));
    CHECK(admit_host_known(NULL, NULL, unknown, NULL));
    ringid_from_pubkey(rid, unknown);
    CHECK(admit_host_allows(a, NULL, NULL, rid, 200));

    /* With Authority; our own certificate: blue and red. */
    a->enabled = true;
    len = make_cert(buf, ca_sk, "host-x", x_pub, NOW - 60, NOW + 60, blue_red, 2);
    CHECK(cert_parse(buf, len, &a->self) == 0);
    admit_grant_from_cert(&a->self_grant, &a->self);
    ringid_from_pubkey(a->self_ring_id, x_pub);

    CHECK(admit_self_allows(a, 100) && admit_self_allows(a, 200));
    CHECK(!admit_self_allows(a, 300));

    CHECK(admit_peer_allows(a, &ap_all, 300));
    CHECK(admit_peer_allows(a, &ap_blue, 100));
    CHECK(!admit_peer_allows(a, &ap_blue, 200));
    CHECK(!admit_peer_allows(a, NULL, 100));          /* no certificate checked yet */
    CHECK(!admit_peer_allows(a, &ap_gone, 100));      /* expired */

    /* By key and by ring id, as the ring asks: self, then the link's grant. */
    CHECK(admit_host_allows(a, NULL, x_pub, NULL, 200));
    CHECK(!admit_host_allows(a, NULL, x_pub, NULL, 300));
    CHECK(admit_host_allows(a, &ap_blue, blue_pub, NULL, 100));
    CHECK(!admit_host_allows(a, &ap_blue, blue_pub, NULL, 200));
    CHECK(admit_host_allows(a, &ap_all, all_pub, NULL, 300));
    CHECK(!admit_host_allows(a, NULL, all_pub, NULL, 100));   /* no admitted link */
    CHECK(!admit_host_allows(a, &ap_gone, unknown, NULL, 100));
    CHECK(!admit_host_allows(a, NULL, unknown, NULL, 100));
    ringid_from_pubkey(rid, blue_pub);
    CHECK(admit_host_allows(a, &ap_blue, NULL, rid, 100));
    CHECK(!admit_host_allows(a, &ap_blue, NULL, rid, 200));
    CHECK(admit_host_known(a, &ap_blue, NULL, rid));
    CHECK(!admit_host_known(a, NULL, NULL, rid));
    CHECK(!admit_host_known(a, &ap_gone, NULL, rid));
    ringid_from_pubkey(rid, x_pub);
    CHECK(admit_host_allows(a, NULL, NULL, rid, 200) && !admit_host_allows(a, NULL, NULL, rid, 300));
    CHECK(admit_host_known(a, NULL, NULL, rid));
    free(a);
}

/* Hosts known only through relayed ring messages (admit_learn). */
static void test_known(void)
{
    static const uint32_t blue[] = { 100 };
    struct admit *a = calloc(1, sizeof(*a));
    uint8_t buf[CERT_MAX_LEN], rid[RINGID_LEN], keys[ADMIT_KNOWN_MAX + 1][32];
    size_t len;

    if (!a)
        exit(1);
    a->enabled = true;
    memcpy(a->authority, ca_pk, 32);
    ringid_from_pubkey(rid, y_pub);
    CHECK(!admit_host_allows(a, NULL, y_pub, NULL, 100) && !admit_host_known(a, NULL, NULL, rid));
    CHECK(admit_expire(a, NOW) == UINT64_MAX);
    /* another authority's, another key's, an expired one: refused, not remembered */
    len = make_cert(buf, other_sk, "y", y_pub, NOW - 60, NOW + 60, blue, 1);
    CHECK(admit_learn(a, y_pub, buf, len, NOW) == CERT_E_AUTHORITY);
    len = make_cert(buf, ca_sk, "y", x_pub, NOW - 60, NOW + 60, blue, 1);
    CHECK(admit_learn(a, y_pub, buf, len, NOW) == CERT_E_KEY_MISMATCH);
    len = make_cert(buf, ca_sk, "y", y_pub, NOW - 60, NOW - 1, blue, 1);
    CHECK(admit_learn(a, y_pub, buf, len, NOW) == CERT_E_EXPIRED);
    CHECK(a->n_known == 0);
    /* valid: blue only, by key and by ring id, until it expires */
    len = make_cert(buf, ca_sk, "y", y_pub, NOW - 60, NOW + 60, blue, 1);
    CHECK(admit_learn(a, y_pub, buf, len, NOW) == 0 && a->n_known == 1);
    CHECK(admit_learn(a, y_pub, buf, len, NOW) == 0 && a->n_known == 1);
    CHECK(admit_known_grant(a, y_pub, NULL, NOW) != NULL);
    CHECK(admit_known_grant(a, NULL, rid, NOW) != NULL);
    CHECK(admit_known_grant(a, y_pub, NULL, NOW + 60) == NULL);
    CHECK(strcmp(admit_known_grant(a, y_pub, NULL, NOW)->name, "y") == 0);
    CHECK(admit_host_allows(a, NULL, y_pub, NULL, 100) && !admit_host_allows(a, NULL, y_pub, NULL, 200));
    CHECK(admit_host_allows(a, NULL, NULL, rid, 100) && admit_host_known(a, NULL, NULL, rid));
    /* expiry is admit_expire()'s: until then the policy needs no clock */
    CHECK(admit_expire(a, NOW + 59) == NOW + 60 && a->n_known == 1);
    CHECK(admit_expire(a, NOW + 60) == UINT64_MAX && a->n_known == 0);
    CHECK(!admit_host_allows(a, NULL, y_pub, NULL, 100) && !admit_host_known(a, NULL, NULL, rid));
    /* the cache is bounded: the least recently used goes */
    CHECK(admit_learn(a, y_pub, buf, len, NOW) == 0 && a->n_known == 1);
    for (size_t i = 0; i < ADMIT_KNOWN_MAX + 1; i++) {
        randombytes_buf(keys[i], 32);
        len = make_cert(buf, ca_sk, "k", keys[i], NOW - 60, NOW + 60, NULL, 0);
        CHECK(admit_learn(a, keys[i], buf, len, NOW) == 0);
    }
    CHECK(a->n_known == ADMIT_KNOWN_MAX);
    CHECK(admit_known_grant(a, y_pub, NULL, NOW) == NULL);
    CHECK(admit_known_grant(a, keys[0], NULL, NOW) == NULL);
    CHECK(admit_known_grant(a, keys[ADMIT_KNOWN_MAX], NULL, NOW) != NULL);
    free(a->known);
    free(a);
}

static size_t make_cert_serial(uint8_t *out, const uint8_t *sk, const uint8_t *pub,
                               uint64_t serial)
{
    struct cert_fields f = {
        .serial = serial, .not_before = NOW - 60, .not_after = NOW + 3600, .name = "h",
        .host_pub = pub, .all_enclaves = true,
    };
    size_t len = 0;

    if (cert_sign(&f, sk, out, CERT_MAX_LEN, &len) < 0) {
        printf("%s:%d: cert_sign failed\n", __FILE__, __LINE__);
        exit(1);
    }
    return len;
}

/* A RevokedFile text through the config parser into @a, as a reload does. */
static void set_trust(struct admit *a, const char *revoked, const uint8_t *authority2)
{
    struct config *cfg = calloc(1, sizeof(*cfg));

    if (!cfg)
        exit(1);
    cfg->has_authority = true;
    memcpy(cfg->authority, ca_pk, 32);
    if (authority2) {
        cfg->has_authority2 = true;
        memcpy(cfg->authority2, authority2, 32);
    }
    CHECK(config_parse_revoked("revoked", revoked, strlen(revoked), report, NULL,
                               &cfg->revoked) == 0);
    admit_set_trust(a, cfg);
    CHECK(cfg->revoked.n_keys == 0 && cfg->revoked.n_serials == 0);   /* moved */
    config_free(cfg);
}

/* RevokedFile: handshakes, relayed certificates and standing grants. */
static void test_revocation(void)
{
    struct admit *a = calloc(1, sizeof(*a));
    uint8_t buf[CERT_MAX_LEN], junk[8] = { 0 };
    struct admit_grant g, gy;
    char text[256], yb64[KEY_B64_LEN + 1];
    size_t len;

    if (!a)
        exit(1);
    a->enabled = true;
    key_to_base64(yb64, y_pub);
    snprintf(text, sizeof(text), "# test\n00000000000000c1\n%s\n", yb64);
    set_trust(a, text, NULL);
    /* a revoked serial: refused after the signature check, the grant names it */
    len = make_cert_serial(buf, ca_sk, x_pub, 0xc1);
    memset(&g, 0, sizeof(g));
    CHECK(admit_check(a, buf, len, x_pub, NOW, &g) == ADMIT_E_REVOKED && g.serial == 0xc1);
    CHECK(strstr(admit_strerror(ADMIT_E_REVOKED), "revoked") != NULL);
    /* the same host with a renewed certificate (another serial) is admitted */
    len = make_cert_serial(buf, ca_sk, x_pub, 0xc2);
    CHECK(admit_check(a, buf, len, x_pub, NOW, &g) == 0 && g.serial == 0xc2);
    CHECK(admit_grant_trusted(a, &g, x_pub));
    /* a revoked key: refused before anything is parsed, whatever its certificate */
    CHECK(admit_check(a, junk, sizeof(junk), y_pub, NOW, &gy) == ADMIT_E_REVOKED);
    len = make_cert_serial(buf, ca_sk, y_pub, 0xd1);
    CHECK(admit_check(a, buf, len, y_pub, NOW, &gy) == ADMIT_E_REVOKED);
    CHECK(admit_key_revoked(a, y_pub) && !admit_key_revoked(a, x_pub));
    /* relayed certificates: the same rules, nothing remembered */
    CHECK(admit_learn(a, y_pub, buf, len, NOW) == ADMIT_E_REVOKED && a->n_known == 0);
    len = make_cert_serial(buf, ca_sk, x_pub, 0xc1);
    CHECK(admit_learn(a, x_pub, buf, len, NOW) == ADMIT_E_REVOKED && a->n_known == 0);
    len = make_cert_serial(buf, ca_sk, x_pub, 0xc2);
    CHECK(admit_learn(a, x_pub, buf, len, NOW) == 0 && a->n_known == 1);

    /* a reload that revokes 0xc2: the standing grant and the cache entry fall */
    set_trust(a, "00000000000000c2\n", NULL);
    CHECK(!admit_grant_trusted(a, &g, x_pub));
    CHECK(a->n_known == 0 && admit_known_grant(a, x_pub, NULL, NOW) == NULL);
    CHECK(!admit_key_revoked(a, y_pub));    /* no longer listed */

    /* shunned hosts: not contacted while the serial stays listed */
    CHECK(admit_may_contact(a, x_pub));
    admit_shun(a, x_pub, 0xc2);
    CHECK(!admit_may_contact(a, x_pub) && admit_may_contact(a, y_pub));
    set_trust(a, "00000000000000c2\n", NULL);
    CHECK(!admit_may_contact(a, x_pub));
    set_trust(a, "", NULL);
    CHECK(admit_may_contact(a, x_pub) && a->n_shunned == 0);
    admit_shun(a, x_pub, 0xc2);
    admit_unshun(a, x_pub);
    CHECK(admit_may_contact(a, x_pub));
    /* bounded: the oldest goes first */
    admit_shun(a, x_pub, 0xc2);
    for (size_t i = 0; i < ADMIT_SHUNNED_MAX; i++) {
        uint8_t k[32];

        randombytes_buf(k, sizeof(k));
        admit_shun(a, k, i);
        CHECK(!admit_may_contact(a, k));
    }
    CHECK(a->n_shunned == ADMIT_SHUNNED_MAX && admit_may_contact(a, x_pub));
    set_trust(a, "", NULL);
    CHECK(a->n_shunned == 0);
    config_revoked_clear(&a->revoked);
    free(a->known);
    free(a);
}

/* Key rotation: certificates of either of two authorities are admitted. */
static void test_two_authorities(const char *dir)
{
    struct admit *a = calloc(1, sizeof(*a));
    uint8_t buf[CERT_MAX_LEN];
    struct admit_grant g;
    struct cert *c = malloc(sizeof(*c));
    char path[512], why[512];
    size_t len;

    if (!a || !c)
        exit(1);
    a->enabled = true;
    set_trust(a, "", NULL);
    len = make_cert_serial(buf, other_sk, x_pub, 7);
    CHECK(admit_check(a, buf, len, x_pub, NOW, &g) == CERT_E_AUTHORITY);
    set_trust(a, "", other_pk);
    CHECK(admit_check(a, buf, len, x_pub, NOW, &g) == 0 && g.serial == 7);
    CHECK(memcmp(g.authority, other_pk, 32) == 0 && admit_grant_trusted(a, &g, x_pub));
    len = make_cert_serial(buf, ca_sk, x_pub, 8);
    CHECK(admit_check(a, buf, len, x_pub, NOW, &g) == 0 && g.serial == 8);
    CHECK(memcmp(g.authority, ca_pk, 32) == 0);
    /* a third authority is still refused, and revocation applies to both */
    {
        uint8_t third_pk[32], third_sk[64];

        crypto_sign_keypair(third_pk, third_sk);
        len = make_cert_serial(buf, third_sk, x_pub, 9);
        CHECK(admit_check(a, buf, len, x_pub, NOW, &g) == CERT_E_AUTHORITY);
    }
    set_trust(a, "0000000000000007\n", other_pk);
    len = make_cert_serial(buf, other_sk, x_pub, 7);
    CHECK(admit_check(a, buf, len, x_pub, NOW, &g) == ADMIT_E_REVOKED);
    /* authority 2 dropped at a reload: its grants no longer stand */
    set_trust(a, "", other_pk);
    CHECK(admit_check(a, buf, len, x_pub, NOW, &g) == 0);
    set_trust(a, "", NULL);
    CHECK(!admit_grant_trusted(a, &g, x_pub));
    /* our own certificate from the second authority */
    snprintf(path, sizeof(path), "%s/two.cert", dir);
    write_text(path, buf, len);
    CHECK(admit_load_self2(path, ca_pk, NULL, x_pub, NOW, c, why, sizeof(why)) == -EINVAL);
    CHECK(strstr(why, "another authority") != NULL);
    CHECK(admit_load_self2(path, ca_pk, other_pk, x_pub, NOW, c, why, sizeof(why)) == 0);
    CHECK(c->serial == 7);
    config_revoked_clear(&a->revoked);
    free(c);
    free(a);
}

/* One refusal line per key and minute, for several keys at once. */
static void test_refusal_log(void)
{
    struct admit *a = calloc(1, sizeof(*a));
    uint8_t keys[ADMIT_REFUSALS_MAX + 1][32];
    uint64_t t = 1000;

    if (!a)
        exit(1);
    for (size_t i = 0; i <= ADMIT_REFUSALS_MAX; i++)
        randombytes_buf(keys[i], 32);
    /* two keys refused alternately every 5 s: one line each per minute */
    CHECK(admit_refusal_log_due(a, keys[0], t) && admit_refusal_log_due(a, keys[1], t));
    for (t = 1005; t < 1000 + ADMIT_REFUSAL_LOG_S; t += 5)
        CHECK(!admit_refusal_log_due(a, keys[0], t) && !admit_refusal_log_due(a, keys[1], t));
    CHECK(admit_refusal_log_due(a, keys[0], 1000 + ADMIT_REFUSAL_LOG_S));
    CHECK(admit_refusal_log_due(a, keys[1], 1000 + ADMIT_REFUSAL_LOG_S));
    CHECK(!admit_refusal_log_due(a, keys[0], 1001 + ADMIT_REFUSAL_LOG_S));
    /* bounded: the key logged longest ago is forgotten first */
    t = 2000;
    for (size_t i = 0; i < ADMIT_REFUSALS_MAX; i++)
        CHECK(admit_refusal_log_due(a, keys[i], t + i));
    CHECK(a->n_refused == ADMIT_REFUSALS_MAX);
    CHECK(admit_refusal_log_due(a, keys[ADMIT_REFUSALS_MAX], t + 40));
    CHECK(a->n_refused == ADMIT_REFUSALS_MAX);
    CHECK(!admit_refusal_log_due(a, keys[1], t + 41));     /* still remembered */
    CHECK(admit_refusal_log_due(a, keys[0], t + 41));      /* was evicted */
    /* a flood of fresh keys: ADMIT_REFUSAL_LINES lines a minute, the rest
     * counted for the next line that is logged */
    t = 3000;
    {
        unsigned logged = 0;
        uint8_t k[32];

        for (unsigned i = 0; i < 1000; i++) {
            randombytes_buf(k, sizeof(k));
            logged += admit_refusal_log_due(a, k, t);
        }
        CHECK(logged == ADMIT_REFUSAL_LINES, "%u lines in the flood's minute", logged);
        CHECK(admit_refusals_unlogged(a) == 1000 - ADMIT_REFUSAL_LINES);
        CHECK(admit_refusals_unlogged(a) == 0, "the count resets when taken");
        randombytes_buf(k, sizeof(k));
        CHECK(!admit_refusal_log_due(a, k, t + ADMIT_REFUSAL_LOG_S - 1), "budget spent");
        CHECK(admit_refusal_log_due(a, k, t + ADMIT_REFUSAL_LOG_S), "a new minute");
    }
    free(a);
}

int main(void)
{
    char dir[] = "/tmp/test_admit.XXXXXX";
    char cmd[600];

    if (sodium_init() < 0)
        return 1;
    crypto_sign_keypair(ca_pk, ca_sk);
    crypto_sign_keypair(other_pk, other_sk);
    if (key_generate(x_priv) < 0 || key_public(x_pub, x_priv) < 0 ||
        key_generate(y_priv) < 0 || key_public(y_pub, y_priv) < 0)
        return 1;
    if (!mkdtemp(dir))
        return 1;
    test_admit_check();
    test_load_self(dir);
    test_policy();
    test_known();
    test_refusal_log();
    test_revocation();
    test_two_authorities(dir);
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
    if (system(cmd) != 0)
        printf("warning: cannot remove %s\n", dir);
    return CHECK_DONE();
}
