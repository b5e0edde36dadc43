/* SPDX-License-Identifier: GPL-2.0-only */
/* Unit tests for crypto/cert.c and crypto/cert_text.c. */
#include "crypto/cert.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>
#include "lib/check.h"

static uint8_t ca_pk[32], ca_sk[64], ca2_pk[32], ca2_sk[64];
static uint8_t host_pub[32], other_pub[32];

static const uint64_t NB = 1700000000, NA = 1700000000 + 86400;

static void seeded_keypair(uint8_t fill, uint8_t *pk, uint8_t *sk)
{
    uint8_t seed[32];

    memset(seed, fill, sizeof(seed));
    crypto_sign_seed_keypair(pk, sk, seed);
}

static struct cert_fields base_fields(const uint32_t *ids, size_t n, bool all)
{
    struct cert_fields f = {
        .serial = 0x0123456789abcdefULL,
        .not_before = NB,
        .not_after = NA,
        .name = "host-a",
        .host_pub = host_pub,
        .all_enclaves = all,
        .enclaves = ids,
        .n_enclaves = n,
    };
    return f;
}

static size_t sign_ok(const struct cert_fields *f, uint8_t *out)
{
    size_t len = 0;
    int ret = cert_sign(f, ca_sk, out, CERT_MAX_LEN, &len);

    CHECK_EQ(ret, 0);
    return len;
}

/* Re-sign a hand-modified body so that only the structural checks can reject it. */
static void resign(uint8_t *buf, size_t len, const uint8_t *sk)
{
    uint8_t msg[16 + CERT_MAX_LEN];
    size_t body = len - 64;

    memcpy(msg, CERT_SIG_CONTEXT, 16);
    memcpy(msg + 16, buf, body);
    crypto_sign_ed25519_detached(buf + body, NULL, msg, 16 + body, sk);
}

static void test_round_trip(void)
{
    uint32_t ids[] = { 100, 200, 16777215 };
    struct cert_fields f = base_fields(ids, 3, false);
    uint8_t buf[CERT_MAX_LEN], out[CERT_MAX_LEN];
    struct cert c;
    size_t len = sign_ok(&f, buf), plen = 0;

    CHECK_EQ(len, CERT_FIXED_LEN + 6 + 9);
    CHECK(memcmp(buf, "OVLC", 4) == 0);
    CHECK_EQ(cert_parse(buf, len, &c), 0);
    CHECK_EQ(c.serial, 0x0123456789abcdefULL);
    CHECK_EQ(c.not_before, NB);
    CHECK_EQ(c.not_after, NA);
    CHECK(strcmp(c.name, "host-a") == 0);
    CHECK(memcmp(c.host_pub, host_pub, 32) == 0);
    CHECK(memcmp(c.authority_pub, ca_pk, 32) == 0);
    CHECK(!c.all_enclaves);
    CHECK_EQ(c.n_enclaves, 3);
    CHECK_EQ(c.enclaves[2], 16777215);
    CHECK_EQ(cert_verify(&c, ca_pk, NB, host_pub), 0);
    CHECK_EQ(cert_verify(&c, NULL, NB + 5, NULL), 0);
    CHECK_EQ(cert_payload(&c, out, sizeof(out), &plen), 0);
    CHECK_EQ(plen, len);
    CHECK(memcmp(out, buf, len) == 0);
    CHECK_EQ(cert_payload(&c, out, len - 1, &plen), -ENOBUFS);
    CHECK_EQ(cert_admit(buf, len, ca_pk, NB + 1, host_pub, &c), 0);
    CHECK(cert_allows_enclave(&c, 200));
    CHECK(!cert_allows_enclave(&c, 300));

    /* A too-small output buffer is refused, not overrun. */
    CHECK_EQ(cert_sign(&f, ca_sk, out, len - 1, &plen), -ENOBUFS);
}

static void test_byte_flips(void)
{
    uint32_t ids[] = { 7, 4242 };
    struct cert_fields f = base_fields(ids, 2, false);
    uint8_t buf[CERT_MAX_LEN];
    size_t len = sign_ok(&f, buf);
    static const uint8_t masks[] = { 0x01, 0x02, 0x10, 0x80, 0xff };
    int survived = 0;

    for (size_t i = 0; i < len; i++) {
        for (size_t m = 0; m < sizeof(masks); m++) {
            struct cert c;
            buf[i] ^= masks[m];
            if (cert_parse(buf, len, &c) == 0 && cert_verify(&c, ca_pk, NB, host_pub) == 0) {
                survived++;
                fprintf(stderr, "flip of byte %zu with 0x%02x still verifies\n", i, masks[m]);
            }
            buf[i] ^= masks[m];
        }
    }
    CHECK_EQ(survived, 0);
    {
        struct cert c;
        CHECK_EQ(cert_parse(buf, len, &c), 0);
        CHECK_EQ(cert_verify(&c, ca_pk, NB, host_pub), 0);
    }
}

static void test_verify_errors(void)
{
    struct cert_fields f = base_fields(NULL, 0, true);
    uint8_t buf[CERT_MAX_LEN], other[CERT_MAX_LEN];
    struct cert c;
    size_t len = sign_ok(&f, buf), olen = 0;

    CHECK_EQ(cert_parse(buf, len, &c), 0);
    CHECK_EQ(cert_verify(&c, ca2_pk, NB, host_pub), CERT_E_AUTHORITY);
    CHECK_EQ(cert_verify(&c, ca_pk, NA, host_pub), CERT_E_EXPIRED);
    CHECK_EQ(cert_verify(&c, ca_pk, NA + 1000, host_pub), CERT_E_EXPIRED);
    CHECK_EQ(cert_verify(&c, ca_pk, NA - 1, host_pub), 0);
    CHECK_EQ(cert_verify(&c, ca_pk, NB, host_pub), 0);
    CHECK_EQ(cert_verify(&c, ca_pk, NB - 1, host_pub), CERT_E_NOT_YET_VALID);
    CHECK_EQ(cert_verify(&c, ca_pk, 0, host_pub), CERT_E_NOT_YET_VALID);
    CHECK_EQ(cert_verify(&c, ca_pk, NB, other_pub), CERT_E_KEY_MISMATCH);
    CHECK_EQ(cert_admit(buf, len, ca_pk, NB, other_pub, &c), CERT_E_KEY_MISMATCH);
    CHECK_EQ(cert_admit(buf, len, ca2_pk, NB, host_pub, &c), CERT_E_AUTHORITY);
    CHECK_EQ(cert_admit(buf, len, ca_pk, NA, host_pub, &c), CERT_E_EXPIRED);
    CHECK_EQ(cert_admit(buf, len - 1, ca_pk, NB, host_pub, &c), -EBADMSG);

    /* Signed by another authority: self-consistent, but not ours. */
    CHECK_EQ(cert_sign(&f, ca2_sk, other, sizeof(other), &olen), 0);
    CHECK_EQ(cert_parse(other, olen, &c), 0);
    CHECK_EQ(cert_verify(&c, NULL, NB, NULL), 0);
    CHECK_EQ(cert_verify(&c, ca_pk, NB, host_pub), CERT_E_AUTHORITY);
    /* Claiming our authority while signed by another one is a bad signature. */
    memcpy(other + CERT_OFF_NAME + 6 + 32, ca_pk, 32);
    CHECK_EQ(cert_parse(other, olen, &c), 0);
    CHECK_EQ(cert_verify(&c, ca_pk, NB, host_pub), CERT_E_SIGNATURE);
    CHECK_EQ(cert_admit(other, olen, ca_pk, NB, host_pub, &c), CERT_E_SIGNATURE);

    /* The cheap comparisons come first: a certificate that fails one of
     * them is refused without a signature check, however it is signed. */
    CHECK_EQ(cert_verify(&c, ca2_pk, 0, other_pub), CERT_E_AUTHORITY);
    CHECK_EQ(cert_verify(&c, ca_pk, 0, other_pub), CERT_E_NOT_YET_VALID);
    CHECK_EQ(cert_verify(&c, ca_pk, NB, other_pub), CERT_E_KEY_MISMATCH);

    /* Every code has its own message. */
    {
        const int codes[] = { CERT_E_SIGNATURE, CERT_E_AUTHORITY, CERT_E_EXPIRED,
                              CERT_E_NOT_YET_VALID, CERT_E_KEY_MISMATCH, -EBADMSG };
        for (size_t i = 0; i < 6; i++)
            for (size_t j = i + 1; j < 6; j++)
                CHECK(strcmp(cert_strerror(codes[i]), cert_strerror(codes[j])) != 0);
    }
}

static void test_enclaves(void)
{
    uint32_t ids[CERT_MAX_ENCLAVES + 1];
    uint8_t buf[CERT_MAX_LEN];
    struct cert_fields f;
    struct cert c;
    size_t len = 0;

    f = base_fields(NULL, 0, true);
    len = sign_ok(&f, buf);
    CHECK_EQ(cert_parse(buf, len, &c), 0);
    CHECK(cert_allows_enclave(&c, 1));
    CHECK(cert_allows_enclave(&c, 16777215));
    CHECK(!cert_allows_enclave(&c, 0));
    CHECK(!cert_allows_enclave(&c, 16777216));

    /* No enclaves at all: a host that may only take part in the ring. */
    f = base_fields(NULL, 0, false);
    len = sign_ok(&f, buf);
    CHECK_EQ(cert_parse(buf, len, &c), 0);
    CHECK(!cert_allows_enclave(&c, 1));

    for (uint32_t i = 0; i <= CERT_MAX_ENCLAVES; i++)
        ids[i] = 1000 + 3 * i;
    f = base_fields(ids, CERT_MAX_ENCLAVES, false);
    f.name = "abcdefghijklmnopqrstuvwxyz-01234";
    len = sign_ok(&f, buf);
    CHECK_EQ(len, CERT_MAX_LEN);
    CHECK(len <= 1024);
    CHECK_EQ(cert_parse(buf, len, &c), 0);
    CHECK_EQ(cert_verify(&c, ca_pk, NB, host_pub), 0);
    for (uint32_t i = 0; i < CERT_MAX_ENCLAVES; i++) {
        CHECK(cert_allows_enclave(&c, 1000 + 3 * i));
        CHECK(!cert_allows_enclave(&c, 1001 + 3 * i));
    }
    CHECK(!cert_allows_enclave(&c, 999));

    f.n_enclaves = CERT_MAX_ENCLAVES + 1;
    CHECK_EQ(cert_sign(&f, ca_sk, buf, sizeof(buf), &len), -EINVAL);

    {
        uint32_t unsorted[] = { 5, 3 }, dup[] = { 3, 3 }, zero[] = { 0, 3 }, big[] = { 16777216 };
        f = base_fields(unsorted, 2, false);
        CHECK_EQ(cert_sign(&f, ca_sk, buf, sizeof(buf), &len), -EINVAL);
        f = base_fields(dup, 2, false);
        CHECK_EQ(cert_sign(&f, ca_sk, buf, sizeof(buf), &len), -EINVAL);
        f = base_fields(zero, 2, false);
        CHECK_EQ(cert_sign(&f, ca_sk, buf, sizeof(buf), &len), -EINVAL);
        f = base_fields(big, 1, false);
        CHECK_EQ(cert_sign(&f, ca_sk, buf, sizeof(buf), &len), -EINVAL);
        f = base_fields(dup, 1, true);
        CHECK_EQ(cert_sign(&f, ca_sk, buf, sizeof(buf), &len), -EINVAL);
    }
}

static void test_sign_rejects(void)
{
    static const char *const bad_names[] = { "", "Host", "a_b", "a.b", "héllo",
        "abcdefghijklmnopqrstuvwxyz-012345" };
    uint8_t buf[CERT_MAX_LEN], zero[32] = {0};
    struct cert_fields f;
    size_t len;

    for (size_t i = 0; i < sizeof(bad_names) / sizeof(bad_names[0]); i++) {
        f = base_fields(NULL, 0, true);
        f.name = bad_names[i];
        CHECK_EQ(cert_sign(&f, ca_sk, buf, sizeof(buf), &len), -EINVAL);
        CHECK_EQ(cert_name_valid(bad_names[i]), -EINVAL);
    }
    CHECK_EQ(cert_name_valid("a"), 0);
    CHECK_EQ(cert_name_valid("host-01"), 0);
    f = base_fields(NULL, 0, true);
    f.not_after = f.not_before;
    CHECK_EQ(cert_sign(&f, ca_sk, buf, sizeof(buf), &len), -EINVAL);
    f = base_fields(NULL, 0, true);
    f.not_after = CERT_TIME_MAX + 1;
    CHECK_EQ(cert_sign(&f, ca_sk, buf, sizeof(buf), &len), -EINVAL);
    f = base_fields(NULL, 0, true);
    f.host_pub = zero;
    CHECK_EQ(cert_sign(&f, ca_sk, buf, sizeof(buf), &len), -EINVAL);
}

static void test_strict_parse(void)
{
    uint32_t ids[] = { 10, 20 };
    struct cert_fields f = base_fields(ids, 2, false);
    uint8_t buf[CERT_MAX_LEN + 8], mod[CERT_MAX_LEN + 8];
    size_t len = sign_ok(&f, buf);
    size_t name_off = CERT_OFF_NAME, ids_off = CERT_OFF_NAME + 6 + 64 + 2;
    struct cert c;
    char why[160];

    for (size_t n = 0; n < len; n++)
        CHECK_EQ(cert_parse(buf, n, &c), -EBADMSG);
    memcpy(mod, buf, len);
    mod[len] = 0;
    CHECK_EQ(cert_parse(mod, len + 1, &c), -EBADMSG);
    memset(mod, 0, sizeof(mod));
    CHECK_EQ(cert_parse(mod, CERT_MAX_LEN + 1, &c), -EBADMSG);
    CHECK_EQ(cert_parse(NULL, 0, &c), -EBADMSG);

    /* Each case is re-signed, so only the structural check can catch it. */
#define MUTATE(stmt, l) do { \
    memcpy(mod, buf, len); stmt; resign(mod, (l), ca_sk); \
    CHECK_EQ(cert_parse_why(mod, (l), &c, why, sizeof(why)), -EBADMSG); \
} while (0)
    MUTATE(mod[ids_off + 2] = 30, len);                       /* 30, 20: unsorted */
    MUTATE(mod[ids_off + 5] = 10, len);                       /* duplicate */
    MUTATE(mod[ids_off + 2] = 0, len);                        /* id 0 */
    MUTATE(mod[CERT_OFF_FLAGS] = CERT_FLAG_ALL, len);         /* all + list */
    MUTATE(mod[CERT_OFF_FLAGS] = 0x02, len);                  /* unknown flag */
    MUTATE(mod[CERT_OFF_VERSION] = 2, len);
    MUTATE(mod[0] = 'X', len);
    MUTATE(mod[name_off] = 'H', len);                         /* uppercase */
    MUTATE(mod[name_off + 1] = '\0', len);                    /* embedded NUL */
    MUTATE(mod[CERT_OFF_NAME_LEN] = 0, len);
    MUTATE(mod[CERT_OFF_NAME_LEN] = 33, len);
    MUTATE(mod[CERT_OFF_NAME_LEN] = 5, len);                  /* length disagrees */
    MUTATE(memcpy(mod + CERT_OFF_NOT_AFTER, mod + CERT_OFF_NOT_BEFORE, 8), len);
    MUTATE(mod[ids_off - 1] = 1, len);                        /* count 1, 2 ids */
    MUTATE(mod[ids_off - 1] = 3, len);                        /* count 3, 2 ids */
    MUTATE(memmove(mod + len + 1 - 64, mod + len - 64, 64), len + 1); /* trailing byte */
    MUTATE(memset(mod + name_off + 6, 0, 32), len);           /* zero host key */
#undef MUTATE
    /* A control: re-signing the unmodified body still parses and verifies. */
    memcpy(mod, buf, len);
    resign(mod, len, ca_sk);
    CHECK_EQ(cert_parse(mod, len, &c), 0);
    CHECK_EQ(cert_verify(&c, ca_pk, NB, host_pub), 0);
}

static void load_expect_fail(const char *text, const char *why_part)
{
    struct cert c;
    char why[256] = "";

    CHECK_EQ(cert_load_text(text, strlen(text), &c, why, sizeof(why)), -EBADMSG);
    if (!strstr(why, why_part))
        fprintf(stderr, "  (reason \"%s\" lacks \"%s\")\n", why, why_part);
    CHECK(strstr(why, why_part) != NULL);
}

/* Replace the first occurrence of @from in @s by @to (into @out). */
static void replace(const char *s, const char *from, const char *to, char *out, size_t cap)
{
    const char *p = strstr(s, from);

    CHECK(p != NULL);
    if (!p) {
        snprintf(out, cap, "%s", s);
        return;
    }
    snprintf(out, cap, "%.*s%s%s", (int)(p - s), s, to, p + strlen(from));
}

static void test_text(void)
{
    uint32_t ids[] = { 100, 200 };
    struct cert_fields f = base_fields(ids, 2, false);
    uint8_t buf[CERT_MAX_LEN];
    size_t len = sign_ok(&f, buf);
    struct cert c, back;
    char text[CERT_TEXT_MAX], mod[CERT_TEXT_MAX], why[256];
    const char *block;
    int n;

    CHECK_EQ(cert_parse(buf, len, &c), 0);
    n = cert_to_text(&c, text, sizeof(text));
    CHECK(n > 0);
    CHECK_EQ(cert_to_text(&c, mod, 40), -ENOBUFS);
    CHECK(strstr(text, "# overlayd host certificate\n") == text);
    CHECK(strstr(text, "\nName = host-a\n") != NULL);
    CHECK(strstr(text, "\nEnclaves = 100,200\n") != NULL);
    CHECK(strstr(text, "\nNotBefore = 2023-11-14T22:13:20Z\n") != NULL);
    CHECK(strstr(text, "\nNotAfter = 2023-11-15T22:13:20Z\n") != NULL);
    CHECK(strstr(text, "\nSerial = 0123456789abcdef\n") != NULL);
    CHECK_EQ(cert_load_text(text, (size_t)n, &back, why, sizeof(why)), 0);
    CHECK_EQ(back.raw_len, len);
    CHECK(memcmp(back.raw, buf, len) == 0);

    /* Header lines are optional; the block alone is enough. */
    block = strstr(text, CERT_TEXT_BEGIN);
    CHECK_EQ(cert_load_text(block, strlen(block), &back, why, sizeof(why)), 0);
    CHECK(memcmp(back.raw, buf, len) == 0);

    /* CRLF line ends, extra blank and comment lines are tolerated. */
    {
        size_t o = 0;
        o += (size_t)snprintf(mod + o, sizeof(mod) - o, "\n# my note\n\n");
        for (const char *p = text; *p && o + 2 < sizeof(mod); p++) {
            if (*p == '\n')
                mod[o++] = '\r';
            mod[o++] = *p;
        }
        mod[o] = '\0';
        o += (size_t)snprintf(mod + o, sizeof(mod) - o, "\n  \n");
        CHECK_EQ(cert_load_text(mod, o, &back, why, sizeof(why)), 0);
    }

    replace(text, "Name = host-a", "Name = host-b", mod, sizeof(mod));
    load_expect_fail(mod, "line 2: Name does not match");
    replace(text, "Enclaves = 100,200", "Enclaves = *", mod, sizeof(mod));
    load_expect_fail(mod, "Enclaves does not match");
    replace(text, "Serial = 0123456789abcdef", "Serial = 0123456789abcdee", mod, sizeof(mod));
    load_expect_fail(mod, "Serial does not match");
    replace(text, "NotAfter = 2023", "NotAfter = 2033", mod, sizeof(mod));
    load_expect_fail(mod, "NotAfter does not match");
    replace(text, "Name = host-a", "Nme = host-a", mod, sizeof(mod));
    load_expect_fail(mod, "unknown key");
    replace(text, "Name = host-a", "Name = host-a\nName = host-a", mod, sizeof(mod));
    load_expect_fail(mod, "given twice");
    replace(text, "Name = host-a", "Name host-a", mod, sizeof(mod));
    load_expect_fail(mod, "expected");
    replace(text, CERT_TEXT_END, "", mod, sizeof(mod));
    load_expect_fail(mod, "no " CERT_TEXT_END);
    replace(text, CERT_TEXT_BEGIN, "", mod, sizeof(mod));
    load_expect_fail(mod, "");
    replace(text, CERT_TEXT_END, CERT_TEXT_END "\ngarbage", mod, sizeof(mod));
    load_expect_fail(mod, "after the END");
    replace(text, CERT_TEXT_BEGIN "\n", CERT_TEXT_BEGIN "\n*", mod, sizeof(mod));
    load_expect_fail(mod, "not base64");
    replace(text, CERT_TEXT_BEGIN "\n", CERT_TEXT_BEGIN "\nAAAA", mod, sizeof(mod));
    load_expect_fail(mod, "certificate block");
    load_expect_fail("", "no " CERT_TEXT_BEGIN);
    {
        char nul[] = "Name = a\0b";
        CHECK_EQ(cert_load_text(nul, sizeof(nul) - 1, &back, why, sizeof(why)), -EBADMSG);
    }
    /* Control bytes never reach the reason, which is printed on a terminal. */
    replace(text, "Name", "\x1b[2J\x1b]0;x\x07Name", mod, sizeof(mod));
    load_expect_fail(mod, "control byte 0x1b");
    CHECK_EQ(cert_load_text(mod, strlen(mod), &back, why, sizeof(why)), -EBADMSG);
    for (const char *p = why; *p; p++)
        CHECK((unsigned char)*p >= 0x20 && *p != 0x7f);
    replace(text, CERT_TEXT_BEGIN "\n", CERT_TEXT_BEGIN "\n\x7f", mod, sizeof(mod));
    load_expect_fail(mod, "control byte 0x7f");
    /* Tabs and CRLF line ends are still fine. */
    replace(text, "Name = ", "Name =\t", mod, sizeof(mod));
    CHECK_EQ(cert_load_text(mod, strlen(mod), &back, why, sizeof(why)), 0);

    /* Tampering in the block with no header left to disagree: loads, but fails to verify. */
    {
        uint8_t t[CERT_MAX_LEN];
        memcpy(t, buf, len);
        t[CERT_OFF_SERIAL] ^= 1;
        CHECK_EQ(cert_parse(t, len, &back), 0);
        n = cert_to_text(&back, mod, sizeof(mod));
        CHECK(n > 0);
        block = strstr(mod, CERT_TEXT_BEGIN);
        CHECK_EQ(cert_load_text(block, strlen(block), &back, why, sizeof(why)), 0);
        CHECK_EQ(cert_verify(&back, ca_pk, NB, host_pub), CERT_E_SIGNATURE);
    }

    /* No enclaves: an empty Enclaves value that still round-trips. */
    {
        f = base_fields(NULL, 0, false);
        len = sign_ok(&f, buf);
        CHECK_EQ(cert_parse(buf, len, &c), 0);
        n = cert_to_text(&c, text, sizeof(text));
        CHECK(n > 0);
        CHECK(strstr(text, "\nEnclaves = \n") != NULL);
        CHECK_EQ(cert_load_text(text, (size_t)n, &back, why, sizeof(why)), 0);
        CHECK(!back.all_enclaves && back.n_enclaves == 0);
        replace(text, "Enclaves = \n", "Enclaves = *\n", mod, sizeof(mod));
        load_expect_fail(mod, "Enclaves does not match");
    }

    /* The largest certificate fits the text bound. */
    {
        uint32_t many[CERT_MAX_ENCLAVES];
        for (uint32_t i = 0; i < CERT_MAX_ENCLAVES; i++)
            many[i] = 16000000 + i;
        f = base_fields(many, CERT_MAX_ENCLAVES, false);
        len = sign_ok(&f, buf);
        CHECK_EQ(cert_parse(buf, len, &c), 0);
        n = cert_to_text(&c, text, sizeof(text));
        CHECK(n > 0);
        CHECK_EQ(cert_load_text(text, (size_t)n, &back, why, sizeof(why)), 0);
        CHECK_EQ(back.n_enclaves, CERT_MAX_ENCLAVES);
    }
}

static void test_duration(void)
{
    static const struct { const char *s; int ret; uint64_t v; } table[] = {
        { "90d", 0, 90 * 86400ULL }, { "12h", 0, 12 * 3600 }, { "30m", 0, 1800 },
        { "3600s", 0, 3600 }, { "1s", 0, 1 }, { "365d", 0, 365 * 86400ULL },
        { "36500d", 0, 36500 * 86400ULL }, { "36501d", -ERANGE, 0 },
        { "99999999999999999999999d", -ERANGE, 0 }, { "876000h", 0, 876000 * 3600ULL },
        { "876001h", -ERANGE, 0 },
        { "", -EINVAL, 0 }, { "d", -EINVAL, 0 }, { "0d", -EINVAL, 0 }, { "010d", -EINVAL, 0 },
        { "90", -EINVAL, 0 }, { "90D", -EINVAL, 0 }, { "90dd", -EINVAL, 0 },
        { "1d12h", -EINVAL, 0 }, { "-5d", -EINVAL, 0 }, { " 5d", -EINVAL, 0 },
        { "5 d", -EINVAL, 0 }, { "5w", -EINVAL, 0 }, { "1.5h", -EINVAL, 0 },
    };

    for (size_t i = 0; i < sizeof(table) / sizeof(table[0]); i++) {
        uint64_t v = 12345;
        int ret = cert_parse_duration(table[i].s, &v);
        if (ret != table[i].ret)
            fprintf(stderr, "  duration \"%s\"\n", table[i].s);
        CHECK_EQ(ret, table[i].ret);
        if (table[i].ret == 0)
            CHECK_EQ(v, table[i].v);
        else
            CHECK_EQ(v, 12345);
    }
}

static void test_enclave_list(void)
{
    uint32_t ids[4];
    size_t n;
    bool all;
    char why[128];

    CHECK_EQ(cert_parse_enclave_list("*", &all, ids, 4, &n, why, sizeof(why)), 0);
    CHECK(all);
    CHECK_EQ(n, 0);
    CHECK_EQ(cert_parse_enclave_list("300,100,200", &all, ids, 4, &n, why, sizeof(why)), 0);
    CHECK(!all);
    CHECK_EQ(n, 3);
    CHECK_EQ(ids[0], 100);
    CHECK_EQ(ids[2], 300);
    CHECK_EQ(cert_parse_enclave_list("16777215", &all, ids, 4, &n, why, sizeof(why)), 0);
    CHECK_EQ(ids[0], 16777215);
    static const char *const bad[] = { "", "0", "16777216", "99999999999", "1,,2", ",1",
        "1,", "1,1", "a", "1 ,2", "*,1", "1;2", "-1", "01", "**" };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        int ret = cert_parse_enclave_list(bad[i], &all, ids, 4, &n, why, sizeof(why));
        if (ret != -EINVAL)
            fprintf(stderr, "  list \"%s\"\n", bad[i]);
        CHECK_EQ(ret, -EINVAL);
    }
    CHECK_EQ(cert_parse_enclave_list("1,2,3,4,5", &all, ids, 4, &n, why, sizeof(why)), -E2BIG);
}

static void test_time_format(void)
{
    static const struct { uint64_t t; const char *s; } table[] = {
        { 0, "1970-01-01T00:00:00Z" }, { 951782400, "2000-02-29T00:00:00Z" },
        { 951868799, "2000-02-29T23:59:59Z" }, { 1700000000, "2023-11-14T22:13:20Z" },
        { 4107542400ULL, "2100-03-01T00:00:00Z" }, { 253402300799ULL, "9999-12-31T23:59:59Z" },
    };
    char out[32];

    for (size_t i = 0; i < sizeof(table) / sizeof(table[0]); i++) {
        CHECK_EQ(cert_format_time(table[i].t, out, sizeof(out)), 20);
        CHECK(strcmp(out, table[i].s) == 0);
    }
    CHECK_EQ(cert_format_time(253402300800ULL, out, sizeof(out)), -ERANGE);
    CHECK_EQ(cert_format_time(0, out, 20), -ENOBUFS);
}

int main(void)
{
    uint8_t scratch[64];

    if (sodium_init() < 0)
        return 1;
    seeded_keypair(1, ca_pk, ca_sk);
    seeded_keypair(2, ca2_pk, ca2_sk);
    seeded_keypair(3, host_pub, scratch);     /* any 32 nonzero bytes will do */
    seeded_keypair(4, other_pub, scratch);

    test_round_trip();
    test_byte_flips();
    test_verify_errors();
    test_enclaves();
    test_sign_rejects();
    test_strict_parse();
    test_text();
    test_duration();
    test_enclave_list();
    test_time_format();

    if (check_failures) {
        fprintf(stderr, "test_cert: %d of %d checks failed\n", check_failures, check_count);
        return 1;
    }
    printf("test_cert: %d checks passed\n", check_count);
    return 0;
}
