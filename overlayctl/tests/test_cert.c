/* SPDX-License-Identifier: GPL-2.0-only */
/* Drives `overlayctl ca/cert` through cli_cert_main() in a temporary directory. */
#include "overlayctl/cert.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <sodium.h>

#include "crypto/cert.h"
#include "crypto/key.h"
#include "lib/check.h"

#define CHECK_RUN(expect, ...) do { \
    int rc_ = run(__VA_ARGS__, NULL); \
    CHECK(rc_ == (expect), "exit %d, expected %d; stderr: %s", rc_, (expect), err_buf); \
} while (0)

static char tmp_dir[] = "/tmp/test_ctl_cert.XXXXXX";
static char out_buf[16384], err_buf[4096];

static void slurp(const char *path, char *buf, size_t cap)
{
    FILE *f = fopen(path, "r");
    size_t n = 0;

    if (f) {
        n = fread(buf, 1, cap - 1, f);
        fclose(f);
    }
    buf[n] = '\0';
}

static void spit(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");

    if (!f) {
        perror(path);
        exit(1);
    }
    fputs(text, f);
    fclose(f);
}

/* Run cli_cert_main with the NULL-terminated arguments, capturing stdout and stderr. */
static int run(const char *first, ...)
{
    char *argv[32], out_path[256], err_path[256];
    int argc = 0, saved_out, saved_err, fd_out, fd_err, rc;
    va_list ap;

    va_start(ap, first);
    for (const char *a = first; a && argc < 31; a = va_arg(ap, const char *))
        argv[argc++] = (char *)a;
    va_end(ap);
    argv[argc] = NULL;

    snprintf(out_path, sizeof(out_path), "%s/.stdout", tmp_dir);
    snprintf(err_path, sizeof(err_path), "%s/.stderr", tmp_dir);
    fflush(stdout);
    fflush(stderr);
    fd_out = open(out_path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    fd_err = open(err_path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    saved_out = dup(1);
    saved_err = dup(2);
    dup2(fd_out, 1);
    dup2(fd_err, 2);
    rc = cli_cert_main(argc, argv);
    fflush(stdout);
    fflush(stderr);
    dup2(saved_out, 1);
    dup2(saved_err, 2);
    close(saved_out);
    close(saved_err);
    close(fd_out);
    close(fd_err);
    slurp(out_path, out_buf, sizeof(out_buf));
    slurp(err_path, err_buf, sizeof(err_buf));
    return rc;
}

static char *path_in(const char *name)
{
    static char bufs[8][512];
    static int next;
    char *p = bufs[next++ % 8];

    snprintf(p, 512, "%s/%s", tmp_dir, name);
    return p;
}

#define ERR_HAS(s) CHECK(strstr(err_buf, (s)) != NULL, "stderr \"%s\" lacks \"%s\"", err_buf, (s))
#define OUT_HAS(s) CHECK(strstr(out_buf, (s)) != NULL, "stdout lacks \"%s\":\n%s", (s), out_buf)

static void rm_rf_tmp(void)
{
    char cmd[600];

    snprintf(cmd, sizeof(cmd), "rm -rf -- '%s'", tmp_dir);
    if (system(cmd) != 0)
        fprintf(stderr, "cleanup of %s failed\n", tmp_dir);
}

int main(void)
{
    char ca[512], ca2[512], pub_text[128], key_before[128], key_after[128], want[600];
    char host_b64[KEY_B64_LEN + 1], ca_b64[KEY_B64_LEN + 1];
    uint8_t host_priv[32], host_pub[32], ca_pub[32], seed[32], ca_pk[32], ca_sk[64];
    struct cert *c = malloc(sizeof(*c));
    struct stat st;
    uint64_t now = (uint64_t)time(NULL);
    char why[256];

    if (!c || sodium_init() < 0 || !mkdtemp(tmp_dir))
        return 1;
    atexit(rm_rf_tmp);
    snprintf(ca, sizeof(ca), "%s/ca", tmp_dir);
    snprintf(ca2, sizeof(ca2), "%s/ca2", tmp_dir);
    randombytes_buf(host_priv, sizeof(host_priv));
    key_clamp(host_priv);
    crypto_scalarmult_base(host_pub, host_priv);
    key_to_base64(host_b64, host_pub);

    /* ca init: creates the directory and both files. */
    CHECK_RUN(0, "ca", "init", ca);
    CHECK(stat(path_in("ca/authority.key"), &st) == 0 && (st.st_mode & 0777) == 0600);
    CHECK(stat(ca, &st) == 0 && S_ISDIR(st.st_mode));
    slurp(path_in("ca/authority.pub"), pub_text, sizeof(pub_text));
    CHECK(strlen(pub_text) == KEY_B64_LEN + 1 && pub_text[KEY_B64_LEN] == '\n');
    CHECK(strcmp(out_buf, pub_text) == 0);
    CHECK(key_from_base64(ca_pub, pub_text) == 0);
    slurp(path_in("ca/authority.key"), key_before, sizeof(key_before));
    CHECK(key_from_base64(seed, key_before) == 0);
    crypto_sign_seed_keypair(ca_pk, ca_sk, seed);
    CHECK(memcmp(ca_pk, ca_pub, 32) == 0);

    /* A second init refuses and leaves the key alone. */
    CHECK_RUN(1, "ca", "init", ca);
    snprintf(want, sizeof(want), "%s/authority.key exists; refusing to overwrite", ca);
    ERR_HAS(want);
    slurp(path_in("ca/authority.key"), key_after, sizeof(key_after));
    CHECK(strcmp(key_before, key_after) == 0);
    CHECK_RUN(1, "ca", "init");
    CHECK_RUN(1, "ca", "init", ca, "extra");
    CHECK_RUN(1, "ca", "frobnicate", ca);
    spit(path_in("plainfile"), "x");
    CHECK_RUN(1, "ca", "init", path_in("plainfile"));
    ERR_HAS("not a directory");
    /* A stray authority.pub makes init refuse and leave no key behind. */
    CHECK(mkdir(path_in("ca3"), 0700) == 0);
    spit(path_in("ca3/authority.pub"), "old\n");
    CHECK_RUN(1, "ca", "init", path_in("ca3"));
    ERR_HAS("authority.pub exists; refusing to overwrite");
    CHECK(access(path_in("ca3/authority.key"), F_OK) != 0);
    CHECK_RUN(0, "ca", "init", ca2);

    /* --json among the arguments: one JSON line with the same key, and the
     * JSON errors are the same one-line refusals. */
    CHECK_RUN(0, "ca", "init", path_in("ca4"), "--json");
    slurp(path_in("ca4/authority.pub"), pub_text, sizeof(pub_text));
    pub_text[KEY_B64_LEN] = '\0';
    snprintf(want, sizeof(want), "{\"authority_public_key\":\"%s\",\"dir\":\"%s\"}\n",
             pub_text, path_in("ca4"));
    CHECK(strcmp(out_buf, want) == 0);
    CHECK_RUN(1, "ca", "init", "--json", path_in("ca4"));
    ERR_HAS("refusing to overwrite");
    CHECK(out_buf[0] == '\0');
    CHECK(cli_cert_run(2, (char *[]){ "cert", "frobnicate", NULL }, true) == 1);

    /* cert issue, explicit arguments. */
    CHECK_RUN(0, "cert", "issue", "--ca", ca, "--name", "host-a", "--pubkey", host_b64,
              "--enclaves", "200,100", "--valid", "90d");
    CHECK(err_buf[0] == '\0');
    OUT_HAS("# overlayd host certificate\n");
    OUT_HAS("Enclaves = 100,200\n");
    CHECK(cert_load_text(out_buf, strlen(out_buf), c, why, sizeof(why)) == 0);
    CHECK(cert_verify(c, ca_pub, now, host_pub) == 0);
    CHECK(strcmp(c->name, "host-a") == 0);
    CHECK(c->n_enclaves == 2 && cert_allows_enclave(c, 100) && cert_allows_enclave(c, 200));
    CHECK(!cert_allows_enclave(c, 150));
    CHECK(c->not_after - c->not_before == 90 * 86400 + 300);
    CHECK(c->not_before + 300 >= now && c->not_before + 300 <= now + 5);
    spit(path_in("good.cert"), out_buf);

    /* Defaults: all enclaves, one year; --opt=value form. */
    CHECK_RUN(1, "cert", "issue", "--ca=", "--name", "x", "--pubkey", host_b64);
    CHECK_RUN(0, "cert", "issue", "--name=host-b", "--pubkey", host_b64, "--ca", ca);
    CHECK(cert_load_text(out_buf, strlen(out_buf), c, why, sizeof(why)) == 0);
    CHECK(c->all_enclaves && c->not_after - c->not_before == 365 * 86400 + 300);
    {
        uint64_t serial1 = c->serial;
        CHECK_RUN(0, "cert", "issue", "--name=host-b", "--pubkey", host_b64, "--ca", ca);
        CHECK(cert_load_text(out_buf, strlen(out_buf), c, why, sizeof(why)) == 0);
        CHECK(c->serial != serial1);
    }

    /* Every bad argument: exit 1, one line on stderr, nothing on stdout. */
#define BAD(needle, ...) do { \
    CHECK_RUN(1, "cert", "issue", __VA_ARGS__); \
    ERR_HAS(needle); \
    CHECK(out_buf[0] == '\0'); \
    CHECK(strchr(err_buf, '\n') == err_buf + strlen(err_buf) - 1); \
} while (0)
    BAD("bad --pubkey", "--ca", ca, "--name", "h", "--pubkey", "xyz");
    BAD("bad --pubkey", "--ca", ca, "--name", "h", "--pubkey",
        "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=");
    BAD("bad --pubkey", "--ca", ca, "--name", "h", "--pubkey", "AAAA");
    BAD("bad --enclaves", "--ca", ca, "--name", "h", "--pubkey", host_b64, "--enclaves", "0");
    BAD("bad --enclaves", "--ca", ca, "--name", "h", "--pubkey", host_b64, "--enclaves", "1,,2");
    BAD("listed twice", "--ca", ca, "--name", "h", "--pubkey", host_b64, "--enclaves", "5,5");
    BAD("bad --enclaves", "--ca", ca, "--name", "h", "--pubkey", host_b64,
        "--enclaves", "16777216");
    BAD("--enclaves needs a non-empty value", "--ca", ca, "--name", "h", "--pubkey", host_b64,
        "--enclaves", "");
    BAD("bad --valid", "--ca", ca, "--name", "h", "--pubkey", host_b64, "--valid", "90x");
    BAD("bad --valid", "--ca", ca, "--name", "h", "--pubkey", host_b64, "--valid", "0d");
    BAD("bad --valid", "--ca", ca, "--name", "h", "--pubkey", host_b64, "--valid", "90");
    BAD("at most", "--ca", ca, "--name", "h", "--pubkey", host_b64, "--valid", "99999d");
    BAD("bad --name", "--ca", ca, "--name", "Host_A", "--pubkey", host_b64);
    BAD("bad --name", "--ca", ca, "--name", "abcdefghijklmnopqrstuvwxyz0123456", "--pubkey",
        host_b64);
    BAD("--ca DIR is required", "--name", "h", "--pubkey", host_b64);
    BAD("--name NAME is required", "--ca", ca, "--pubkey", host_b64);
    BAD("--pubkey KEY is required", "--ca", ca, "--name", "h");
    BAD("unknown option \"--bogus\"", "--ca", ca, "--name", "h", "--pubkey", host_b64,
        "--bogus", "1");
    BAD("given twice", "--ca", ca, "--ca", ca, "--name", "h", "--pubkey", host_b64);
    BAD("needs a value", "--ca", ca, "--name", "h", "--pubkey");
    /* Control bytes in a value never break the one-line error. */
    BAD("bad --name", "--ca", ca, "--name", "a\nb", "--pubkey", host_b64);
    BAD("bad --valid", "--ca", ca, "--name", "h", "--pubkey", host_b64, "--valid", "9\n0d");
    BAD("bad --enclaves", "--ca", ca, "--name", "h", "--pubkey", host_b64, "--enclaves", "1\n2");
    BAD("unexpected argument", "--ca", ca, "--name", "h", "--pubkey", host_b64, "x\ny");
    /* An empty DIR must not become "/authority.key". */
    BAD("--ca needs a non-empty value", "--ca=", "--name", "h", "--pubkey", host_b64);
    BAD("--ca needs a non-empty value", "--ca", "", "--name", "h", "--pubkey", host_b64);
    BAD("unexpected argument", "--ca", ca, "--name", "h", "--pubkey", host_b64, "stray");
    BAD("No such file", "--ca", path_in("nope"), "--name", "h", "--pubkey", host_b64);
    CHECK(chmod(path_in("ca/authority.key"), 0640) == 0);
    BAD("accessible by group or others", "--ca", ca, "--name", "h", "--pubkey", host_b64);
    CHECK(chmod(path_in("ca/authority.key"), 0600) == 0);
    /* A public key file from another authority is caught before signing. */
    CHECK(rename(path_in("ca/authority.pub"), path_in("ca/pub.save")) == 0);
    slurp(path_in("ca2/authority.pub"), want, sizeof(want));
    spit(path_in("ca/authority.pub"), want);
    BAD("does not match", "--ca", ca, "--name", "h", "--pubkey", host_b64);
    CHECK(rename(path_in("ca/pub.save"), path_in("ca/authority.pub")) == 0);
#undef BAD

    /* cert show: good file. */
    CHECK_RUN(0, "cert", "show", path_in("good.cert"));
    OUT_HAS("name: host-a\n");
    OUT_HAS("enclaves: 100,200\n");
    OUT_HAS("signature: ok\n");
    OUT_HAS("validity: valid\n");
    snprintf(want, sizeof(want), "public key: %s\n", host_b64);
    OUT_HAS(want);
    key_to_base64(ca_b64, ca_pub);
    snprintf(want, sizeof(want), "authority: %s\n", ca_b64);
    OUT_HAS(want);
    CHECK_RUN(0, "cert", "show", path_in("good.cert"), "--ca", ca);
    OUT_HAS("issuer: ok\n");
    CHECK_RUN(0, "cert", "show", "--authority", ca_b64, path_in("good.cert"));
    OUT_HAS("issuer: ok\n");
    CHECK_RUN(1, "cert", "show", path_in("good.cert"), "--ca", ca2);
    OUT_HAS("issuer: MISMATCH\n");
    ERR_HAS("another authority");
    CHECK_RUN(1, "cert", "show", path_in("good.cert"), "--authority", "junk");
    CHECK_RUN(1, "cert", "show", path_in("good.cert"), "--ca", ca, "--authority", ca_b64);
    CHECK_RUN(1, "cert", "show");
    CHECK_RUN(1, "cert", "show", path_in("good.cert"), path_in("good.cert"));
    CHECK_RUN(1, "cert", "show", path_in("missing.cert"));
    ERR_HAS("No such file");
    spit(path_in("junk.cert"), "hello\n");
    CHECK_RUN(1, "cert", "show", path_in("junk.cert"));
    ERR_HAS("not a valid certificate");

    /* Tampered binary (header re-rendered to agree): parses, signature BAD. */
    {
        struct cert good = *c;
        char text[CERT_TEXT_MAX];
        slurp(path_in("good.cert"), text, sizeof(text));
        CHECK(cert_load_text(text, strlen(text), &good, why, sizeof(why)) == 0);
        good.raw[CERT_OFF_NAME] = 'j';          /* host-a -> jost-a */
        CHECK(cert_parse(good.raw, good.raw_len, c) == 0);
        CHECK(cert_to_text(c, text, sizeof(text)) > 0);
        spit(path_in("tampered.cert"), text);
        CHECK_RUN(1, "cert", "show", path_in("tampered.cert"));
        OUT_HAS("name: jost-a\n");
        OUT_HAS("signature: BAD\n");
        ERR_HAS("signature does not verify");

        /* Tampered header only: refused with the reason. */
        slurp(path_in("good.cert"), text, sizeof(text));
        memcpy(strstr(text, "Name = host-a"), "Name = host-b", 13);
        spit(path_in("header.cert"), text);
        CHECK_RUN(1, "cert", "show", path_in("header.cert"));
        ERR_HAS("Name does not match");
    }

    /* Expired and future certificates: intact, so exit 0, with the state shown. */
    {
        struct cert_fields f = { .serial = 9, .name = "old", .host_pub = host_pub,
                                 .all_enclaves = true };
        uint8_t bin[CERT_MAX_LEN];
        char text[CERT_TEXT_MAX];
        size_t len;

        f.not_before = 1000000000;
        f.not_after = 1000003600;
        CHECK(cert_sign(&f, ca_sk, bin, sizeof(bin), &len) == 0);
        CHECK(cert_parse(bin, len, c) == 0 && cert_to_text(c, text, sizeof(text)) > 0);
        spit(path_in("old.cert"), text);
        CHECK_RUN(0, "cert", "show", path_in("old.cert"), "--ca", ca);
        OUT_HAS("validity: expired\n");
        OUT_HAS("not before: 2001-09-09T01:46:40Z\n");
        f.not_before = now + 86400;
        f.not_after = now + 2 * 86400;
        CHECK(cert_sign(&f, ca_sk, bin, sizeof(bin), &len) == 0);
        CHECK(cert_parse(bin, len, c) == 0 && cert_to_text(c, text, sizeof(text)) > 0);
        spit(path_in("future.cert"), text);
        CHECK_RUN(0, "cert", "show", path_in("future.cert"));
        OUT_HAS("validity: not yet valid\n");
    }
    CHECK_RUN(1, "cert", "frob");
    CHECK_RUN(1, "cert");

    sodium_memzero(ca_sk, sizeof(ca_sk));
    free(c);
    if (check_failures) {
        fprintf(stderr, "test_ctl_cert: %d of %d checks failed\n", check_failures, check_count);
        return 1;
    }
    printf("test_ctl_cert: %d checks passed\n", check_count);
    return 0;
}
