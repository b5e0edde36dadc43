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

enum {
    CTL_CERT_SKEW = 300,              /* not_before = now - 5 min (clock skew) */
    CTL_CERT_DEFAULT_VALID = 365 * 86400,
    CTL_CERT_FILE_MAX = 65536,        /* a certificate file is far smaller */
    CTL_CERT_KEYFILE_MAX = 256,
};

static int fail(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static int fail(const char *fmt, ...)
{
    va_list ap;

    fflush(stdout);
    fputs("overlayctl: ", stderr);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
    return 1;
}

/* @s for quoting in a message, unless a control byte would break the line. */
static const char *printable(const char *s)
{
    for (const char *p = s; *p; p++)
        if ((unsigned char)*p < 0x20 || *p == 0x7f)
            return "(value with control characters)";
    return s;
}

static int join_path(char *out, size_t cap, const char *dir, const char *file)
{
    int w = snprintf(out, cap, "%s/%s", dir, file);

    return (w < 0 || (size_t)w >= cap) ? -ENAMETOOLONG : 0;
}

static int write_all(int fd, const char *buf, size_t len)
{
    while (len) {
        ssize_t w = write(fd, buf, len);
        if (w < 0) {
            if (errno == EINTR)
                continue;
            return -errno;
        }
        buf += w;
        len -= (size_t)w;
    }
    return 0;
}

/* Create @path exclusively with @mode and write @text; never overwrites. */
static int create_file(const char *path, mode_t mode, const char *text)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, mode);
    int ret;

    if (fd < 0)
        return -errno;
    ret = write_all(fd, text, strlen(text));
    if (ret == 0 && fsync(fd) < 0)
        ret = -errno;
    if (close(fd) < 0 && ret == 0)
        ret = -errno;
    return ret;
}

/*
 * Read a whole small regular file. With @private_only, refuse a file that
 * group or others may access: it holds the authority's secret.
 */
static int read_file(const char *path, char *buf, size_t cap, size_t *len, bool private_only)
{
    struct stat st;
    size_t off = 0;
    int fd = open(path, O_RDONLY | O_CLOEXEC);

    if (fd < 0)
        return fail("%s: %s", path, strerror(errno));
    if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
        close(fd);
        return fail("%s: not a regular file", path);
    }
    if (private_only && (st.st_mode & 077)) {
        close(fd);
        return fail("%s: accessible by group or others (mode %04o); run chmod 600 %s", path,
                    (unsigned)(st.st_mode & 07777), path);
    }
    for (;;) {
        ssize_t r = read(fd, buf + off, cap - 1 - off);
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0) {
            int e = errno;
            close(fd);
            return fail("%s: %s", path, strerror(e));
        }
        if (r == 0)
            break;
        off += (size_t)r;
        if (off == cap - 1) {
            close(fd);
            return fail("%s: larger than %zu bytes", path, cap - 2);
        }
    }
    close(fd);
    buf[off] = '\0';
    *len = off;
    return 0;
}

/* Read a one-line base64 key file into @k (32 bytes). */
static int read_key_file(const char *path, uint8_t *k, bool private_only)
{
    char text[CTL_CERT_KEYFILE_MAX];
    size_t len;
    int ret;

    /* A failed read (file too long, say) may still have copied secret bytes. */
    if (read_file(path, text, sizeof(text), &len, private_only)) {
        sodium_memzero(text, sizeof(text));
        return 1;
    }
    ret = key_from_base64(k, text);
    sodium_memzero(text, sizeof(text));
    if (ret < 0)
        return fail("%s: not a base64 32-byte key (44 characters on one line)", path);
    return 0;
}

static int ca_init(int argc, char **argv)
{
    char key_path[PATH_MAX], pub_path[PATH_MAX];
    char seed_b64[KEY_B64_LEN + 2], pub_b64[KEY_B64_LEN + 2];
    uint8_t seed[CERT_SEED_LEN], pk[CERT_KEY_LEN], sk[CERT_SECRET_LEN];
    const char *dir;
    struct stat st;
    int ret;

    if (argc != 3 || argv[2][0] == '\0' || argv[2][0] == '-')
        return fail("usage: overlayctl ca init DIR");
    dir = argv[2];
    if (join_path(key_path, sizeof(key_path), dir, "authority.key") < 0 ||
        join_path(pub_path, sizeof(pub_path), dir, "authority.pub") < 0)
        return fail("%s: path too long", dir);
    if (mkdir(dir, 0700) < 0 && errno != EEXIST)
        return fail("%s: cannot create directory: %s", dir, strerror(errno));
    if (stat(dir, &st) < 0 || !S_ISDIR(st.st_mode))
        return fail("%s: not a directory", dir);

    randombytes_buf(seed, sizeof(seed));
    crypto_sign_seed_keypair(pk, sk, seed);
    key_to_base64(seed_b64, seed);
    key_to_base64(pub_b64, pk);
    sodium_memzero(seed, sizeof(seed));
    sodium_memzero(sk, sizeof(sk));
    strcat(seed_b64, "\n");

    ret = create_file(key_path, 0600, seed_b64);
    sodium_memzero(seed_b64, sizeof(seed_b64));
    if (ret == -EEXIST)
        return fail("%s exists; refusing to overwrite", key_path);
    if (ret < 0) {
        unlink(key_path);
        return fail("%s: %s", key_path, strerror(-ret));
    }
    strcat(pub_b64, "\n");
    ret = create_file(pub_path, 0644, pub_b64);
    if (ret < 0) {
        /* Do not leave a secret behind without its public half. */
        unlink(key_path);
        if (ret == -EEXIST)
            return fail("%s exists; refusing to overwrite", pub_path);
        unlink(pub_path);
        return fail("%s: %s", pub_path, strerror(-ret));
    }
    fputs(pub_b64, stdout);
    return fflush(stdout) == 0 ? 0 : fail("stdout: %s", strerror(errno));
}

/* Load DIR's authority secret, checking it against DIR/authority.pub if present. */
static int load_authority(const char *dir, uint8_t sk[CERT_SECRET_LEN])
{
    char key_path[PATH_MAX], pub_path[PATH_MAX];
    uint8_t seed[CERT_SEED_LEN], pk[CERT_KEY_LEN], file_pk[CERT_KEY_LEN];

    if (join_path(key_path, sizeof(key_path), dir, "authority.key") < 0 ||
        join_path(pub_path, sizeof(pub_path), dir, "authority.pub") < 0)
        return fail("%s: path too long", dir);
    if (read_key_file(key_path, seed, true))
        return 1;
    crypto_sign_seed_keypair(pk, sk, seed);
    sodium_memzero(seed, sizeof(seed));
    if (access(pub_path, F_OK) == 0) {
        if (read_key_file(pub_path, file_pk, false)) {
            sodium_memzero(sk, CERT_SECRET_LEN);
            return 1;
        }
        if (memcmp(file_pk, pk, CERT_KEY_LEN) != 0) {
            sodium_memzero(sk, CERT_SECRET_LEN);
            return fail("%s does not match %s", pub_path, key_path);
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
                return fail("%s: unexpected argument \"%s\"", cmd, printable(arg));
            pos[(*n_pos)++] = arg;
            continue;
        }
        eq = strchr(arg, '=');
        name_len = eq ? (size_t)(eq - arg) : strlen(arg);
        for (k = 0; k < n_opts; k++)
            if (strlen(opts[k].name) == name_len && strncmp(opts[k].name, arg, name_len) == 0)
                break;
        if (k == n_opts)
            return fail("%s: unknown option \"%.*s\"", cmd, (int)name_len, printable(arg));
        if (eq) {
            value = eq + 1;
        } else {
            if (i + 1 >= argc)
                return fail("%s: %s needs a value", cmd, opts[k].name);
            value = argv[++i];
        }
        /* An empty --ca would silently turn into "/authority.key". */
        if (value[0] == '\0')
            return fail("%s: %s needs a non-empty value", cmd, opts[k].name);
        if (opts[k].value)
            return fail("%s: %s given twice", cmd, opts[k].name);
        opts[k].value = value;
    }
    return 0;
}

enum { OPT_CA, OPT_NAME, OPT_PUBKEY, OPT_ENCLAVES, OPT_VALID };

static int cert_issue(int argc, char **argv)
{
    struct opt opts[] = {
        [OPT_CA] = { "--ca", NULL }, [OPT_NAME] = { "--name", NULL },
        [OPT_PUBKEY] = { "--pubkey", NULL }, [OPT_ENCLAVES] = { "--enclaves", NULL },
        [OPT_VALID] = { "--valid", NULL },
    };
    static const char *const cmd = "cert issue";
    uint32_t ids[CERT_MAX_ENCLAVES];
    uint8_t host_pub[CERT_KEY_LEN], sk[CERT_SECRET_LEN], buf[CERT_MAX_LEN];
    char why[160], text[CERT_TEXT_MAX];
    uint64_t valid = CTL_CERT_DEFAULT_VALID, now;
    struct cert_fields f = {0};
    struct cert *c;
    const char *pos[1];
    size_t n_pos, n_ids = 0, len;
    bool all = true;
    int ret;

    if (parse_opts(cmd, argc, argv, 2, opts, 5, pos, 0, &n_pos))
        return 1;
    if (!opts[OPT_CA].value)
        return fail("%s: --ca DIR is required", cmd);
    if (!opts[OPT_NAME].value)
        return fail("%s: --name NAME is required", cmd);
    if (!opts[OPT_PUBKEY].value)
        return fail("%s: --pubkey KEY is required", cmd);
    if (cert_name_valid(opts[OPT_NAME].value) < 0)
        return fail("%s: bad --name \"%s\": use 1..%d characters of a-z, 0-9 and -", cmd,
                    printable(opts[OPT_NAME].value), CERT_NAME_MAX);
    if (key_from_base64(host_pub, opts[OPT_PUBKEY].value) < 0 ||
        sodium_is_zero(host_pub, sizeof(host_pub)))
        return fail("%s: bad --pubkey: expected the host's base64 X25519 public key "
                    "(44 characters, as printed by overlayctl pubkey)", cmd);
    if (opts[OPT_ENCLAVES].value &&
        cert_parse_enclave_list(opts[OPT_ENCLAVES].value, &all, ids, CERT_MAX_ENCLAVES,
                                &n_ids, why, sizeof(why)) < 0)
        return fail("%s: bad --enclaves: %s", cmd, why);
    if (opts[OPT_VALID].value) {
        ret = cert_parse_duration(opts[OPT_VALID].value, &valid);
        if (ret == -ERANGE)
            return fail("%s: bad --valid \"%s\": at most 36500d", cmd,
                        printable(opts[OPT_VALID].value));
        if (ret < 0)
            return fail("%s: bad --valid \"%s\": expected a number and a unit s, m, h or d "
                        "(e.g. 90d, 12h)", cmd, printable(opts[OPT_VALID].value));
    }
    if (load_authority(opts[OPT_CA].value, sk))
        return 1;

    {
        time_t t = time(NULL);

        if (t < 0) {
            sodium_memzero(sk, sizeof(sk));
            return fail("%s: cannot read the clock", cmd);
        }
        now = (uint64_t)t;
    }
    f.serial = 0;
    while (f.serial == 0)
        randombytes_buf(&f.serial, sizeof(f.serial));
    f.not_before = now > CTL_CERT_SKEW ? now - CTL_CERT_SKEW : 0;
    f.not_after = now + valid;
    f.name = opts[OPT_NAME].value;
    f.host_pub = host_pub;
    f.all_enclaves = all;
    f.enclaves = ids;
    f.n_enclaves = n_ids;
    ret = cert_sign(&f, sk, buf, sizeof(buf), &len);
    sodium_memzero(sk, sizeof(sk));
    if (ret < 0)
        return fail("%s: cannot sign: %s", cmd, cert_strerror(ret));
    c = malloc(sizeof(*c));
    if (!c)
        return fail("%s: out of memory", cmd);
    ret = cert_parse(buf, len, c);
    if (ret == 0)
        ret = cert_to_text(c, text, sizeof(text));
    free(c);
    if (ret < 0)
        return fail("%s: internal error: %s", cmd, cert_strerror(ret));
    fputs(text, stdout);
    return fflush(stdout) == 0 && !ferror(stdout) ? 0 : fail("stdout: %s", strerror(errno));
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

static int cert_show(int argc, char **argv)
{
    struct opt opts[] = { { "--ca", NULL }, { "--authority", NULL } };
    static const char *const cmd = "cert show";
    uint8_t expected[CERT_KEY_LEN];
    char path[PATH_MAX], why[256], *text;
    const char *pos[1], *issuer = NULL;
    struct cert *c;
    size_t n_pos, len;
    int sig, tm, rc = 0;

    if (parse_opts(cmd, argc, argv, 2, opts, 2, pos, 1, &n_pos))
        return 1;
    if (n_pos != 1)
        return fail("usage: overlayctl cert show FILE [--ca DIR | --authority KEY]");
    if (opts[0].value && opts[1].value)
        return fail("%s: give --ca or --authority, not both", cmd);
    if (opts[0].value) {
        if (join_path(path, sizeof(path), opts[0].value, "authority.pub") < 0)
            return fail("%s: path too long", opts[0].value);
        if (read_key_file(path, expected, false))
            return 1;
        issuer = path;
    } else if (opts[1].value) {
        if (key_from_base64(expected, opts[1].value) < 0)
            return fail("%s: bad --authority: expected a base64 public key (44 characters)", cmd);
        issuer = "--authority";
    }

    text = malloc(CTL_CERT_FILE_MAX + 2);
    c = malloc(sizeof(*c));
    if (!text || !c) {
        free(text);
        free(c);
        return fail("%s: out of memory", cmd);
    }
    if (read_file(pos[0], text, CTL_CERT_FILE_MAX + 2, &len, false)) {
        rc = 1;
        goto out;
    }
    if (cert_load_text(text, len, c, why, sizeof(why)) < 0) {
        rc = fail("%s: not a valid certificate: %s", pos[0], why);
        goto out;
    }
    print_fields(c);
    sig = cert_check_signature(c);
    printf("signature: %s\n", sig == 0 ? "ok" : "BAD");
    if (issuer) {
        bool same = sodium_memcmp(expected, c->authority_pub, CERT_KEY_LEN) == 0;
        printf("issuer: %s\n", same ? "ok" : "MISMATCH");
        if (!same)
            rc = 1;
    }
    tm = cert_check_time(c, (uint64_t)time(NULL));
    printf("validity: %s\n", tm == 0 ? "valid" : tm == CERT_E_EXPIRED ? "expired" : "not yet valid");
    if (sig != 0)
        rc = fail("%s: %s", pos[0], cert_strerror(sig));
    else if (rc)
        rc = fail("%s: issued by another authority than %s", pos[0], issuer);
    fflush(stdout);
out:
    free(text);
    free(c);
    return rc;
}

int ctl_cert_main(int argc, char **argv)
{
    if (sodium_init() < 0)
        return fail("libsodium initialisation failed");
    if (argc >= 1 && strcmp(argv[0], "ca") == 0) {
        if (argc >= 2 && strcmp(argv[1], "init") == 0)
            return ca_init(argc, argv);
        return fail("usage: overlayctl ca init DIR");
    }
    if (argc >= 1 && strcmp(argv[0], "cert") == 0) {
        if (argc >= 2 && strcmp(argv[1], "issue") == 0)
            return cert_issue(argc, argv);
        if (argc >= 2 && strcmp(argv[1], "show") == 0)
            return cert_show(argc, argv);
        return fail("usage: overlayctl cert issue --ca DIR --name NAME --pubkey KEY "
                    "[--enclaves LIST] [--valid DURATION] | cert show FILE [--ca DIR | --authority KEY]");
    }
    return fail("unknown command \"%s\"", argc >= 1 ? argv[0] : "");
}
