/* SPDX-License-Identifier: GPL-2.0-only */
/* crypto/key.c (wg-compatible base64 keys) and crypto/ringid.c. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sodium.h>

#include "crypto/key.h"
#include "crypto/ringid.h"
#include "lib/check.h"

/*
 * Independent base64 encoder (RFC 4648 bit arithmetic written out here)
 * so the encoding is not checked against libsodium by libsodium.
 */
static void ref_b64(char out[45], const uint8_t k[32])
{
    static const char a[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    int o = 0;

    for (int i = 0; i < 30; i += 3) {
        uint32_t v = (uint32_t)k[i] << 16 | (uint32_t)k[i + 1] << 8 | k[i + 2];
        out[o++] = a[v >> 18 & 63];
        out[o++] = a[v >> 12 & 63];
        out[o++] = a[v >> 6 & 63];
        out[o++] = a[v & 63];
    }
    uint32_t v = (uint32_t)k[30] << 16 | (uint32_t)k[31] << 8;
    out[o++] = a[v >> 18 & 63];
    out[o++] = a[v >> 12 & 63];
    out[o++] = a[v >> 6 & 63];
    out[o++] = '=';
    out[o] = '\0';
}

static void test_known(void)
{
    /* Responder static key of the cacophony IK vector, and its X25519 public key. */
    static const char priv_hex[] = "4a3acbfdb163dec651dfa3194dece676d437029c62a408b4c5ea9114246e4893";
    static const char pub_hex[] = "31e0303fd6418d2f8c0e78b91f22e8caed0fbe48656dcf4767e4834f701b8f62";
    uint8_t priv[32], pub[32], want_pub[32], ours[32], back[32];
    char b64[45], ref[45];

    CHECK(sodium_hex2bin(priv, 32, priv_hex, 64, NULL, NULL, NULL) == 0);
    CHECK(sodium_hex2bin(want_pub, 32, pub_hex, 64, NULL, NULL, NULL) == 0);
    CHECK(key_public(pub, priv) == 0);
    CHECK(memcmp(pub, want_pub, 32) == 0);
    CHECK(crypto_scalarmult_base(ours, priv) == 0 && memcmp(ours, pub, 32) == 0);

    key_to_base64(b64, pub);
    ref_b64(ref, want_pub);
    CHECK(strlen(b64) == 44 && strcmp(b64, ref) == 0);
    CHECK(key_from_base64(back, ref) == 0 && memcmp(back, want_pub, 32) == 0);

    /* Fixed texts: all-zero and all-0xff keys. */
    memset(ours, 0, 32);
    key_to_base64(b64, ours);
    CHECK(strcmp(b64, "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=") == 0);
    memset(ours, 0xff, 32);
    key_to_base64(b64, ours);
    CHECK(strcmp(b64, "//////////////////////////////////////////8=") == 0);

    /* Random keys against the reference encoder. */
    for (int i = 0; i < 1000; i++) {
        randombytes_buf(ours, 32);
        key_to_base64(b64, ours);
        ref_b64(ref, ours);
        CHECK(strcmp(b64, ref) == 0);
        CHECK(key_from_base64(back, b64) == 0 && memcmp(back, ours, 32) == 0);
    }

    /* Clamping. */
    memset(ours, 0xff, 32);
    key_clamp(ours);
    CHECK(ours[0] == 0xf8 && ours[31] == 0x7f && ours[15] == 0xff);
    memset(ours, 0, 32);
    key_clamp(ours);
    CHECK(ours[0] == 0 && ours[31] == 0x40);
    CHECK(key_generate(ours) == 0);
    CHECK((ours[0] & 7) == 0 && (ours[31] & 0xc0) == 0x40);
}

static void test_malformed(void)
{
    static const char good[] = "MeAwP9ZBjS+MDni5HyLoyu0Pvkhlbc9HZ+eDT3Abj2I=";
    static const char *bad[] = {
        "",
        "MeAwP9ZBjS+MDni5HyLoyu0Pvkhlbc9HZ+eDT3Abj2I",       /* 43, no padding */
        "MeAwP9ZBjS+MDni5HyLoyu0Pvkhlbc9HZ+eDT3Abj2I==",     /* 45 */
        "MeAwP9ZBjS+MDni5HyLoyu0Pvkhlbc9HZ+eDT3Abj2Ia",      /* 44, no '=' */
        "MeAwP9ZBjS+MDni5HyLoyu0Pvkhlbc9HZ+eDT3Abj2==",      /* two '=' */
        "MeAwP9ZBjS-MDni5HyLoyu0Pvkhlbc9HZ+eDT3Abj2I=",      /* url-safe alphabet */
        "MeAwP9ZBjS_MDni5HyLoyu0Pvkhlbc9HZ+eDT3Abj2I=",
        "MeAwP9ZBjS+MDni5HyLoyu0Pvkhlbc9HZ+eDT3Abj2J=",      /* unused bits set */
        "MeAwP9ZBjS+MDni5HyLoyu0Pvkhlbc9HZ+eDT3Abj2L=",
        "MeAwP9ZBjS+MDni5HyLo u0Pvkhlbc9HZ+eDT3Abj2I=",      /* interior space */
        "MeAwP9ZBjS+MDni5HyLo=u0Pvkhlbc9HZ+eDT3Abj2I=",      /* interior '=' */
        "MeAwP9ZBjS+MDni5HyLo\xc3\xa9u0PvkhlbcHZ+eDT3Abj2I=",/* non-ASCII */
        "MeAwP9ZBjS+MDni5HyLoyu0PvkhlbcHZ+eDT3Abj2I=",       /* 43 incl. '=' */
        "MeAwP9ZBjS+MDni5HyLoyu0PvkhlbcHZ+eDT3Abj2I=\nX",
        "   \n",
    };
    uint8_t k[32];

    CHECK(key_from_base64(k, good) == 0);
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        memset(k, 0xaa, 32);
        if (key_from_base64(k, bad[i]) != -EINVAL)
            fprintf(stderr, "%s:%d: FAIL bad key #%zu accepted\n", __FILE__, __LINE__, i), check_failures++;
        CHECK(sodium_is_zero(k, 32));
    }
    CHECK(key_from_base64(k, NULL) == -EINVAL);
    /* Surrounding whitespace (a line from a file) is accepted. */
    CHECK(key_from_base64(k, "MeAwP9ZBjS+MDni5HyLoyu0Pvkhlbc9HZ+eDT3Abj2I=\n") == 0);
    CHECK(key_from_base64(k, " \tMeAwP9ZBjS+MDni5HyLoyu0Pvkhlbc9HZ+eDT3Abj2I=\r\n") == 0);
}

/* Runs @cmd with @input on stdin (if any), reads one line of output. */
static int run_line(const char *cmd, const char *input, char *out, size_t cap)
{
    char tmpl[] = "/tmp/test_keys.XXXXXX", full[256];
    FILE *p;
    int fd = -1, ok;

    if (input) {
        fd = mkstemp(tmpl);
        if (fd < 0 || write(fd, input, strlen(input)) != (ssize_t)strlen(input)) {
            if (fd >= 0)
                close(fd), unlink(tmpl);
            return -1;
        }
        close(fd);
        snprintf(full, sizeof(full), "%s < %s", cmd, tmpl);
    } else {
        snprintf(full, sizeof(full), "%s", cmd);
    }
    p = popen(full, "r");
    ok = p && fgets(out, (int)cap, p) != NULL;
    if (p && pclose(p) != 0)
        ok = 0;
    if (input)
        unlink(tmpl);
    out[ok ? strcspn(out, "\n") : 0] = '\0';
    return ok ? 0 : -1;
}

static void test_wg(void)
{
    char priv_b64[128], pub_wg[128], line[160], ours[45];
    uint8_t priv[32], pub[32];

    if (access("/usr/bin/wg", X_OK) != 0 && system("command -v wg >/dev/null 2>&1") != 0) {
        printf("wg not installed: compatibility part skipped\n");
        return;
    }
    for (int i = 0; i < 20; i++) {
        CHECK(run_line("wg genkey", NULL, priv_b64, sizeof(priv_b64)) == 0);
        snprintf(line, sizeof(line), "%s\n", priv_b64);
        CHECK(run_line("wg pubkey", line, pub_wg, sizeof(pub_wg)) == 0);
        CHECK(key_from_base64(priv, priv_b64) == 0);
        key_to_base64(ours, priv);
        CHECK(strcmp(ours, priv_b64) == 0);
        CHECK(key_public(pub, priv) == 0);
        key_to_base64(ours, pub);
        if (strcmp(ours, pub_wg) != 0)
            fprintf(stderr, "%s:%d: FAIL pubkey of %s: wg %s, ours %s\n", __FILE__, __LINE__,
                    priv_b64, pub_wg, ours), check_failures++;
    }
    for (int i = 0; i < 20; i++) {
        CHECK(key_generate(priv) == 0);
        key_to_base64(priv_b64, priv);
        snprintf(line, sizeof(line), "%s\n", priv_b64);
        CHECK(run_line("wg pubkey", line, pub_wg, sizeof(pub_wg)) == 0);
        CHECK(key_public(pub, priv) == 0);
        key_to_base64(ours, pub);
        CHECK(strcmp(ours, pub_wg) == 0);
    }
    printf("wg compatibility: 40 keys compared\n");
}

static void test_ringid(void)
{
    uint8_t pub[32], pub2[32], id[16], id2[16], back[16], want[16];
    char hex[33];
    crypto_generichash_state st;

    randombytes_buf(pub, 32);
    ringid_from_pubkey(id, pub);
    ringid_from_pubkey(id2, pub);
    CHECK(memcmp(id, id2, 16) == 0);

    /* The documented derivation, spelled out independently. */
    uint8_t buf[19 + 32];
    memcpy(buf, "overlayd ring id v1", 19);
    memcpy(buf + 19, pub, 32);
    crypto_generichash(want, 16, buf, sizeof(buf), NULL, 0);
    CHECK(memcmp(id, want, 16) == 0);
    crypto_generichash_init(&st, NULL, 0, 16);
    crypto_generichash_update(&st, pub, 32);
    crypto_generichash_final(&st, want, 16);
    CHECK(memcmp(id, want, 16) != 0);
    CHECK(strcmp(RINGID_LABEL, "overlayd ring id v1") == 0);

    memcpy(pub2, pub, 32);
    pub2[31] ^= 1;
    ringid_from_pubkey(id2, pub2);
    CHECK(memcmp(id, id2, 16) != 0);

    ringid_to_hex(hex, id);
    CHECK(strlen(hex) == 32 && strspn(hex, "0123456789abcdef") == 32);
    CHECK(ringid_from_hex(back, hex) == 0 && memcmp(back, id, 16) == 0);

    memset(id2, 0, 16);
    id2[15] = 0x0a;
    ringid_to_hex(hex, id2);
    CHECK(strcmp(hex, "0000000000000000000000000000000a") == 0);
    CHECK(ringid_from_hex(back, "0000000000000000000000000000000A") == 0 && memcmp(back, id2, 16) == 0);
    CHECK(ringid_from_hex(back, "000000000000000000000000000000a") == -EINVAL);
    CHECK(ringid_from_hex(back, "00000000000000000000000000000000a") == -EINVAL);
    CHECK(ringid_from_hex(back, "0000000000000000000000000000000g") == -EINVAL);
    CHECK(ringid_from_hex(back, " 000000000000000000000000000000a") == -EINVAL);
    CHECK(ringid_from_hex(back, NULL) == -EINVAL);

    /* 1000 random keys give 1000 distinct ids. */
    {
        enum { N = 1000 };
        static uint8_t ids[N][16];
        int dup = 0;

        for (int i = 0; i < N; i++) {
            randombytes_buf(pub, 32);
            ringid_from_pubkey(ids[i], pub);
            for (int j = 0; j < i; j++)
                dup |= memcmp(ids[i], ids[j], 16) == 0;
        }
        CHECK(!dup);
    }
}

int main(void)
{
    if (sodium_init() < 0)
        return 1;
    test_known();
    test_malformed();
    test_ringid();
    test_wg();
    if (check_failures)
        fprintf(stderr, "%d check(s) failed\n", check_failures);
    else
        printf("test_keys: all checks passed\n");
    return check_failures ? 1 : 0;
}
