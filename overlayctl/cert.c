/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * overlayctl ca/cert: everything around crypto/cert.h that touches files,
 * the clock or randomness. The authority key never leaves this process
 * unwiped.
 */
#include "overlayctl/cert.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <sodium.h>

#include "crypto/cert.h"
#include "crypto/key.h"
#include "lib/json.h"
#include "lib/sbuf.h"
#include "overlayctl/util.h"

enum {
    CTL_CERT_SKEW = 300,              /* not_before = now - 5 min (clock skew) */
    CTL_CERT_DEFAULT_VALID = 365 * 86400,
    CTL_CERT_FILE_MAX = 65536,        /* a certificate file is far smaller */
};

static int ca_print(const char *dir, const char *pub_line, bool json)
{
    struct sbuf b;
    struct json j;
    char pub[KEY_B64_LEN + 1];

    if (!json) {
        fputs(pub_line, stdout);
        return fflush(stdout) == 0 ? 0 : cli_fail("stdout: %s", strerror(errno));
    }
    snprintf(pub, sizeof(pub), "%.*s", KEY_B64_LEN, pub_line);
    sbuf_init(&b);
    json_init(&j, &b);
    json_obj_begin(&j);
    json_kstr(&j, "authority_public_key", pub);
    json_kstr(&j, "dir", dir);
    json_obj_end(&j);
    return cli_put_json(&b, &j);
}

static int ca_init(int argc, char **argv, bool json)
{
    char key_path[PATH_MAX], pub_path[PATH_MAX];
    char seed_b64[KEY_B64_LEN + 2], pub_b64[KEY_B64_LEN + 2];
    uint8_t seed[CERT_SEED_LEN], pk[CERT_KEY_LEN], sk[CERT_SECRET_LEN];
    const char *dir;
    struct stat st;
    int ret;

    if (argc != 3 || argv[2][0] == '\0' || argv[2][0] == '-')
        return cli_fail("usage: overlayctl ca init DIR");
    dir = argv[2];
    if (cli_join_path(key_path, sizeof(key_path), dir, "authority.key") < 0 ||
        cli_join_path(pub_path, sizeof(pub_path), dir, "authority.pub") < 0)
        return cli_fail("%s: path too long", dir);
    if (mkdir(dir, 0700) < 0 && errno != EEXIST)
        return cli_fail("%s: cannot create directory: %s", dir, strerror(errno));
    if (stat(dir, &st) < 0 || !S_ISDIR(st.st_mode))
        return cli_fail("%s: not a directory", dir);

    randombytes_buf(seed, sizeof(seed));
    crypto_sign_seed_keypair(pk, sk, seed);
    key_to_base64(seed_b64, seed);
    key_to_base64(pub_b64, pk);
    sodium_memzero(seed, sizeof(seed));
    sodium_memzero(sk, sizeof(sk));
    strcat(seed_b64, "\n");

    ret = cli_create_file(key_path, 0600, seed_b64);
    sodium_memzero(seed_b64, sizeof(seed_b64));
    if (ret == -EEXIST)
        return cli_fail("%s exists; refusing to overwrite", key_path);
    if (ret < 0) {
        unlink(key_path);
        return cli_fail("%s: %s", key_path, strerror(-ret));
    }
    strcat(pub_b64, "\n");
    ret = cli_create_file(pub_path, 0644, pub_b64);
    if (ret < 0) {
        /* Do not leave a secret behind without its public half. */
        unlink(key_path);
        if (ret == -EEXIST)
            return cli_fail("%s exists; refusing to overwrite", pub_path);
        unlink(pub_path);
        return cli_fail("%s: %s", pub_path, strerror(-ret));
    }
    return ca_print(dir, pub_b64, json);
}

/* Load DIR's authority secret, checking it against DIR/authority.pub if present. */
static int load_authority(const char *dir, uint8_t sk[CERT_SECRET_LEN])
{
    char key_path[PATH_MAX], pub_path[PATH_MAX];
    uint8_t seed[CERT_SEED_LEN], pk[CERT_KEY_LEN], file_pk[CERT_KEY_LEN];

    if (cli_join_path(key_path, sizeof(key_path), dir, "authority.key") < 0 ||
        cli_join_path(pub_path, sizeof(pub_path), dir, "authority.pub") < 0)
        return cli_fail("%s: path too long", dir);
    if (cli_read_key_file(key_path, seed, true))
        return 1;
    crypto_sign_seed_keypair(pk, sk, seed);
    sodium_memzero(seed, sizeof(seed));
    if (access(pub_path, F_OK) == 0) {
        if (cli_read_key_file(pub_path, file_pk, false)) {
            sodium_memzero(sk, CERT_SECRET_LEN);
            return 1;
        }
        if (memcmp(file_pk, pk, CERT_KEY_LEN) != 0) {
            sodium_memzero(sk, CERT_SECRET_LEN);
            return cli_fail("%s does not match %s", pub_path, key_path);
        }
    }
    return 0;
}

struct opt {
    const char *name;
    const char *value;
};

/*
 * Parse "--name value" / "--name=value" pairs from argv[first..]. Positional
 * arguments go to @pos (at most @pos_cap). Returns 0 or 1 (error printed).
 */
static int parse_opts(const char *cmd, int argc, char **argv, int first, struct opt *opts,
                      size_t n_opts, const char **pos, size_t pos_cap, size_t *n_pos)
{
    *n_pos = 0;
    for (int i = first; i < argc; i++) {
        const char *arg = argv[i], *eq, *value;
        size_t name_len, k;

        if (strncmp(arg, "--", 2) != 0 || arg[2] == '\0') {
            if (*n_pos == pos_cap)
                return cli_fail("%s: unexpected argument \"%s\"", cmd, cli_printable(arg));
            pos[(*n_pos)++] = arg;
            continue;
        }
        eq = strchr(arg, '=');
        name_len = eq ? (size_t)(eq - arg) : strlen(arg);
        for (k = 0; k < n_opts; k++)
            if (strlen(opts[k].name) == name_len && strncmp(opts[k].name, arg, name_len) == 0)
                break;
        if (k == n_opts)
            return cli_fail("%s: unknown option \"%.*s\"", cmd, (int)name_len, cli_printable(arg));
        if (eq) {
            value = eq + 1;
        } else {
            if (i + 1 >= argc)
                return cli_fail("%s: %s needs a value", cmd, opts[k].name);
            value = argv[++i];
        }
        /* An empty --ca would silently turn into "/authority.key". */
        if (value[0] == '\0')
            return cli_fail("%s: %s needs a non-empty value", cmd, opts[k].name);
        if (opts[k].value)
            return cli_fail("%s: %s given twice", cmd, opts[k].name);
        opts[k].value = value;
    }
    return 0;
}

enum { OPT_CA, OPT_NAME, OPT_PUBKEY, OPT_ENCLAVES, OPT_VALID, OPT__N };

/* What `cert issue` was asked for, checked. */
struct issue_req {
    const char *ca;
    const char *name;
    uint8_t host_pub[CERT_KEY_LEN];
    bool all;
    uint32_t ids[CERT_MAX_ENCLAVES];
    size_t n_ids;
    uint64_t valid;                   /* seconds */
};

static const char *const issue_cmd = "cert issue";

/* --enclaves and --valid, when given. Returns 0 or 1 (error printed). */
static int issue_parse_limits(const struct opt *opts, struct issue_req *r)
{
    char why[160];
    int ret;

    r->all = true;
    r->valid = CTL_CERT_DEFAULT_VALID;
    if (opts[OPT_ENCLAVES].value &&
        cert_parse_enclave_list(opts[OPT_ENCLAVES].value, &r->all, r->ids, CERT_MAX_ENCLAVES,
                                &r->n_ids, why, sizeof(why)) < 0)
        return cli_fail("%s: bad --enclaves: %s", issue_cmd, why);
    if (!opts[OPT_VALID].value)
        return 0;
    ret = cert_parse_duration(opts[OPT_VALID].value, &r->valid);
    if (ret == -ERANGE)
        return cli_fail("%s: bad --valid \"%s\": at most 36500d", issue_cmd,
                    cli_printable(opts[OPT_VALID].value));
    if (ret < 0)
        return cli_fail("%s: bad --valid \"%s\": expected a number and a unit s, m, h or d "
                    "(e.g. 90d, 12h)", issue_cmd, cli_printable(opts[OPT_VALID].value));
    return 0;
}

/* The command line of `cert issue` into @r. Returns 0 or 1 (error printed). */
static int issue_parse(int argc, char **argv, struct issue_req *r)
{
    struct opt opts[OPT__N] = {
        [OPT_CA] = { "--ca", NULL }, [OPT_NAME] = { "--name", NULL },
        [OPT_PUBKEY] = { "--pubkey", NULL }, [OPT_ENCLAVES] = { "--enclaves", NULL },
        [OPT_VALID] = { "--valid", NULL },
    };
    const char *pos[1];
    size_t n_pos;

    memset(r, 0, sizeof(*r));
    if (parse_opts(issue_cmd, argc, argv, 2, opts, OPT__N, pos, 0, &n_pos))
        return 1;
    if (!opts[OPT_CA].value)
        return cli_fail("%s: --ca DIR is required", issue_cmd);
    if (!opts[OPT_NAME].value)
        return cli_fail("%s: --name NAME is required", issue_cmd);
    if (!opts[OPT_PUBKEY].value)
        return cli_fail("%s: --pubkey KEY is required", issue_cmd);
    if (cert_name_valid(opts[OPT_NAME].value) < 0)
        return cli_fail("%s: bad --name \"%s\": use 1..%d characters of a-z, 0-9 and -", issue_cmd,
                    cli_printable(opts[OPT_NAME].value), CERT_NAME_MAX);
    if (key_from_base64(r->host_pub, opts[OPT_PUBKEY].value) < 0 ||
        sodium_is_zero(r->host_pub, sizeof(r->host_pub)))
        return cli_fail("%s: bad --pubkey: expected the host's base64 X25519 public key "
                    "(44 characters, as printed by overlayctl pubkey)", issue_cmd);
    r->ca = opts[OPT_CA].value;
    r->name = opts[OPT_NAME].value;
    return issue_parse_limits(opts, r);
}

/*
 * Sign @r with the authority secret @sk at Unix time @now (valid from a
 * little before, for clock skew) and parse the result back into @c.
 * Returns 0 or 1 (error printed).
 */
static int issue_sign(const struct issue_req *r, const uint8_t sk[CERT_SECRET_LEN],
                      uint64_t now, struct cert *c)
{
    uint8_t buf[CERT_MAX_LEN];
    struct cert_fields f = {0};
    size_t len;
    int ret;

    while (f.serial == 0)
        randombytes_buf(&f.serial, sizeof(f.serial));
    f.not_before = now > CTL_CERT_SKEW ? now - CTL_CERT_SKEW : 0;
    f.not_after = now + r->valid;
    f.name = r->name;
    f.host_pub = r->host_pub;
    f.all_enclaves = r->all;
    f.enclaves = r->ids;
    f.n_enclaves = r->n_ids;
    ret = cert_sign(&f, sk, buf, sizeof(buf), &len);
    if (ret < 0)
        return cli_fail("%s: cannot sign: %s", issue_cmd, cert_strerror(ret));
    ret = cert_parse(buf, len, c);
    if (ret < 0)
        return cli_fail("%s: internal error: %s", issue_cmd, cert_strerror(ret));
    return 0;
}

/* The fields `cert show` prints as "label: value", under the same names. */
static void json_cert_fields(struct json *j, const struct cert *c)
{
    char b64[KEY_B64_LEN + 1], when[32], serial[20];

    json_kstr(j, "name", c->name);
    key_to_base64(b64, c->host_pub);
    json_kstr(j, "public_key", b64);
    json_key(j, "all_enclaves");
    json_bool(j, c->all_enclaves);
    json_key(j, "enclaves");
    json_arr_begin(j);
    for (size_t i = 0; !c->all_enclaves && i < c->n_enclaves; i++)
        json_u64(j, c->enclaves[i]);
    json_arr_end(j);
    snprintf(serial, sizeof(serial), "%016llx", (unsigned long long)c->serial);
    json_kstr(j, "serial", serial);
    cert_format_time(c->not_before, when, sizeof(when));
    json_kstr(j, "not_before", when);
    json_ku64(j, "not_before_unix", c->not_before);
    cert_format_time(c->not_after, when, sizeof(when));
    json_kstr(j, "not_after", when);
    json_ku64(j, "not_after_unix", c->not_after);
    key_to_base64(b64, c->authority_pub);
    json_kstr(j, "authority", b64);
}

/* The certificate text, or with --json its fields and that text. */
static int issue_print(const struct cert *c, bool json)
{
    char text[CERT_TEXT_MAX];
    struct sbuf b;
    struct json j;
    int ret = cert_to_text(c, text, sizeof(text));

    if (ret < 0)
        return cli_fail("%s: internal error: %s", issue_cmd, cert_strerror(ret));
    if (!json) {
        fputs(text, stdout);
        return fflush(stdout) == 0 && !ferror(stdout) ? 0 : cli_fail("stdout: %s", strerror(errno));
    }
    sbuf_init(&b);
    json_init(&j, &b);
    json_obj_begin(&j);
    json_cert_fields(&j, c);
    json_kstr(&j, "certificate", text);
    json_obj_end(&j);
    return cli_put_json(&b, &j);
}

static int cert_issue(int argc, char **argv, bool json)
{
    struct issue_req r;
    uint8_t sk[CERT_SECRET_LEN];
    struct cert *c;
    time_t t;
    int ret;

    if (issue_parse(argc, argv, &r) || load_authority(r.ca, sk))
        return 1;
    t = time(NULL);
    c = malloc(sizeof(*c));
    if (t < 0 || !c) {
        sodium_memzero(sk, sizeof(sk));
        free(c);
        return cli_fail("%s: %s", issue_cmd, t < 0 ? "cannot read the clock" : "out of memory");
    }
    ret = issue_sign(&r, sk, (uint64_t)t, c);
    sodium_memzero(sk, sizeof(sk));
    if (ret == 0)
        ret = issue_print(c, json);
    free(c);
    return ret;
}

static void print_fields(const struct cert *c)
{
    char b64[KEY_B64_LEN + 1], when[32], list[CERT_MAX_ENCLAVES * 9 + 2];

    printf("name: %s\n", c->name);
    key_to_base64(b64, c->host_pub);
    printf("public key: %s\n", b64);
    cert_format_enclaves(c, list, sizeof(list));
    printf("enclaves: %s\n", c->all_enclaves ? "* (all)" : c->n_enclaves ? list : "(none)");
    printf("serial: %016llx\n", (unsigned long long)c->serial);
    cert_format_time(c->not_before, when, sizeof(when));
    printf("not before: %s\n", when);
    cert_format_time(c->not_after, when, sizeof(when));
    printf("not after: %s\n", when);
    key_to_base64(b64, c->authority_pub);
    printf("authority: %s\n", b64);
}

/* The checks `cert show` makes, besides the fields. */
struct show_result {
    int sig;                          /* cert_check_signature() */
    int tm;                           /* cert_check_time() at now */
    const char *issuer;               /* what the issuer was compared with; NULL: not */
    bool issuer_ok;
};

static const char *show_validity(int tm)
{
    return tm == 0 ? "valid" : tm == CERT_E_EXPIRED ? "expired" : "not yet valid";
}

static int show_print(const struct cert *c, const struct show_result *s, bool json)
{
    struct sbuf b;
    struct json j;

    if (!json) {
        print_fields(c);
        printf("signature: %s\n", s->sig == 0 ? "ok" : "BAD");
        if (s->issuer)
            printf("issuer: %s\n", s->issuer_ok ? "ok" : "MISMATCH");
        printf("validity: %s\n", show_validity(s->tm));
        fflush(stdout);
        return 0;
    }
    sbuf_init(&b);
    json_init(&j, &b);
    json_obj_begin(&j);
    json_cert_fields(&j, c);
    json_kstr(&j, "signature", s->sig == 0 ? "ok" : "BAD");
    json_kstr(&j, "issuer", s->issuer ? (s->issuer_ok ? "ok" : "MISMATCH") : NULL);
    json_kstr(&j, "validity", show_validity(s->tm));
    json_obj_end(&j);
    return cli_put_json(&b, &j);
}

static int cert_show(int argc, char **argv, bool json)
{
    struct opt opts[] = { { "--ca", NULL }, { "--authority", NULL } };
    static const char *const cmd = "cert show";
    uint8_t expected[CERT_KEY_LEN];
    char path[PATH_MAX], why[256], *text;
    const char *pos[1];
    struct show_result s = { 0 };
    struct cert *c;
    size_t n_pos, len;
    int rc = 0;

    if (parse_opts(cmd, argc, argv, 2, opts, 2, pos, 1, &n_pos))
        return 1;
    if (n_pos != 1)
        return cli_fail("usage: overlayctl cert show FILE [--ca DIR | --authority KEY]");
    if (opts[0].value && opts[1].value)
        return cli_fail("%s: give --ca or --authority, not both", cmd);
    if (opts[0].value) {
        if (cli_join_path(path, sizeof(path), opts[0].value, "authority.pub") < 0)
            return cli_fail("%s: path too long", opts[0].value);
        if (cli_read_key_file(path, expected, false))
            return 1;
        s.issuer = path;
    } else if (opts[1].value) {
        if (key_from_base64(expected, opts[1].value) < 0)
            return cli_fail("%s: bad --authority: expected a base64 public key (44 characters)", cmd);
        s.issuer = "--authority";
    }

    text = malloc(CTL_CERT_FILE_MAX + 2);
    c = malloc(sizeof(*c));
    if (!text || !c) {
        free(text);
        free(c);
        return cli_fail("%s: out of memory", cmd);
    }
    if (cli_read_file(pos[0], text, CTL_CERT_FILE_MAX + 2, &len, false)) {
        rc = 1;
        goto out;
    }
    if (cert_load_text(text, len, c, why, sizeof(why)) < 0) {
        rc = cli_fail("%s: not a valid certificate: %s", pos[0], why);
        goto out;
    }
    s.sig = cert_check_signature(c);
    s.issuer_ok = s.issuer && sodium_memcmp(expected, c->authority_pub, CERT_KEY_LEN) == 0;
    s.tm = cert_check_time(c, (uint64_t)time(NULL));
    rc = show_print(c, &s, json);
    if (s.sig != 0)
        rc = cli_fail("%s: %s", pos[0], cert_strerror(s.sig));
    else if (s.issuer && !s.issuer_ok)
        rc = cli_fail("%s: issued by another authority than %s", pos[0], s.issuer);
out:
    free(text);
    free(c);
    return rc;
}

/* Take "--json" out of @argv (ca and cert accept it anywhere). */
static int strip_json(int argc, char **argv, bool *json)
{
    int n = 0;

    for (int i = 0; i < argc; i++) {
        if (i > 0 && strcmp(argv[i], "--json") == 0)
            *json = true;
        else
            argv[n++] = argv[i];
    }
    return n;
}

int cli_cert_main(int argc, char **argv)
{
    return cli_cert_run(argc, argv, false);
}

int cli_cert_run(int argc, char **argv, bool json)
{
    argc = strip_json(argc, argv, &json);
    if (sodium_init() < 0)
        return cli_fail("libsodium initialisation failed");
    if (argc >= 1 && strcmp(argv[0], "ca") == 0) {
        if (argc >= 2 && strcmp(argv[1], "init") == 0)
            return ca_init(argc, argv, json);
        return cli_fail("usage: overlayctl ca init DIR");
    }
    if (argc >= 1 && strcmp(argv[0], "cert") == 0) {
        if (argc >= 2 && strcmp(argv[1], "issue") == 0)
            return cert_issue(argc, argv, json);
        if (argc >= 2 && strcmp(argv[1], "show") == 0)
            return cert_show(argc, argv, json);
        return cli_fail("usage: overlayctl cert issue --ca DIR --name NAME --pubkey KEY "
                    "[--enclaves LIST] [--valid DURATION] | cert show FILE [--ca DIR | --authority KEY]");
    }
    return cli_fail("unknown command \"%s\"", argc >= 1 ? argv[0] : "");
}
