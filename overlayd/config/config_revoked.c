/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * RevokedFile: certificate serials and host keys that are no longer
 * admitted (config.h, struct config_revoked). Untrusted only in the sense
 * that an operator's typo must be named, not guessed at: every bad line is
 * reported and nothing of a bad file is used (fuzz_revoked.c).
 */
#include "overlayd/config/config.h"
#include "overlayd/config/config_int.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "crypto/key.h"

enum {
    REV_SERIAL_DIGITS = 16,       /* "%016llx", as cert show prints it */
    REV_LINE_MAX = 256,           /* longer than any entry plus a comment */
};

struct rev_state {
    struct cfg_sink *s;
    struct config_revoked *out;
    size_t cap_keys, cap_serials;
};

static bool rev_space(char c)
{
    return c == ' ' || c == '\t' || c == '\r';
}

static int rev_hex(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

/* 0 and the value when @s is hex digits only; -ERANGE: not 16 of them. */
static int rev_serial(const char *s, size_t n, uint64_t *out)
{
    uint64_t v = 0;

    for (size_t i = 0; i < n; i++) {
        int h = rev_hex(s[i]);

        if (h < 0)
            return -EINVAL;
        v = v << 4 | (uint64_t)h;
    }
    if (n != REV_SERIAL_DIGITS)
        return -ERANGE;
    *out = v;
    return 0;
}

static int rev_push_key(struct rev_state *st, const uint8_t key[32])
{
    struct config_revoked *r = st->out;

    if (r->n_keys == st->cap_keys) {
        size_t cap = st->cap_keys ? 2 * st->cap_keys : 16;
        uint8_t (*k)[32] = realloc(r->keys, cap * sizeof(*k));

        if (!k)
            return -ENOMEM;
        r->keys = k;
        st->cap_keys = cap;
    }
    memcpy(r->keys[r->n_keys++], key, 32);
    return 0;
}

static int rev_push_serial(struct rev_state *st, uint64_t serial)
{
    struct config_revoked *r = st->out;

    if (r->n_serials == st->cap_serials) {
        size_t cap = st->cap_serials ? 2 * st->cap_serials : 16;
        uint64_t *v = realloc(r->serials, cap * sizeof(*v));

        if (!v)
            return -ENOMEM;
        r->serials = v;
        st->cap_serials = cap;
    }
    r->serials[r->n_serials++] = serial;
    return 0;
}

/* One line, comment and blanks already cut: an entry or a problem. */
static int rev_entry(struct rev_state *st, const char *e, size_t n, int line)
{
    char buf[REV_LINE_MAX + 1], q[80];
    uint8_t key[32];
    uint64_t serial;
    int r;

    if (st->out->n_keys + st->out->n_serials >= CONFIG_REVOKED_MAX) {
        cfg_problem(st->s, line, "more than %d entries", CONFIG_REVOKED_MAX);
        return 0;
    }
    if (n > REV_LINE_MAX || memchr(e, '\0', n)) {
        cfg_problem(st->s, line, "not an entry (want one certificate serial of 16 hex digits or one base64 public key per line)");
        return 0;
    }
    memcpy(buf, e, n);
    buf[n] = '\0';
    for (size_t i = 0; i < n; i++) {
        if (rev_space(buf[i])) {
            cfg_problem(st->s, line, "%s holds more than one entry (one serial or key per line; comments start with #)",
                        cfg_quote(q, buf));
            return 0;
        }
    }
    r = rev_serial(buf, n, &serial);
    if (r == 0)
        return rev_push_serial(st, serial);
    if (r == -ERANGE) {
        cfg_problem(st->s, line, "serial %s has %zu hex digits (want 16, as \"overlayctl cert show\" prints it)",
                    cfg_quote(q, buf), n);
        return 0;
    }
    if (key_from_base64(key, buf) == 0)
        return rev_push_key(st, key);
    cfg_problem(st->s, line, "%s is neither a certificate serial (16 hex digits) nor a base64 public key (44 characters)",
                cfg_quote(q, buf));
    return 0;
}

static int rev_cmp_key(const void *a, const void *b)
{
    return memcmp(a, b, 32);
}

static int rev_cmp_serial(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

    return x < y ? -1 : x > y;
}

/* Sort and drop repeats: a serial listed twice is one revocation. */
static void rev_finish(struct config_revoked *r)
{
    size_t k = 0;

    if (r->n_keys)
        qsort(r->keys, r->n_keys, 32, rev_cmp_key);
    for (size_t i = 0; i < r->n_keys; i++)
        if (k == 0 || memcmp(r->keys[k - 1], r->keys[i], 32) != 0)
            memmove(r->keys[k++], r->keys[i], 32);
    r->n_keys = k;
    k = 0;
    if (r->n_serials)
        qsort(r->serials, r->n_serials, sizeof(r->serials[0]), rev_cmp_serial);
    for (size_t i = 0; i < r->n_serials; i++)
        if (k == 0 || r->serials[k - 1] != r->serials[i])
            r->serials[k++] = r->serials[i];
    r->n_serials = k;
}

int config_parse_revoked(const char *path, const char *text, size_t len,
                         config_report_fn report, void *ctx, struct config_revoked *out)
{
    struct cfg_sink s = { .path = path, .report = report, .ctx = ctx };
    struct rev_state st = { .s = &s, .out = out };
    size_t off = 0;
    int line = 0, r = 0;

    memset(out, 0, sizeof(*out));
    while (off < len && r == 0) {
        const char *l = text + off, *nl = memchr(l, '\n', len - off);
        size_t n = nl ? (size_t)(nl - l) : len - off;
        const char *hash = memchr(l, '#', n);

        off += n + (nl != NULL);
        line++;
        if (hash)
            n = (size_t)(hash - l);
        while (n && rev_space(l[0])) {
            l++;
            n--;
        }
        while (n && rev_space(l[n - 1]))
            n--;
        if (n)
            r = rev_entry(&st, l, n, line);
    }
    if (r == 0 && s.problems)
        r = -EINVAL;
    if (r) {
        config_revoked_clear(out);
        return r;
    }
    rev_finish(out);
    return 0;
}

bool config_revoked_key(const struct config_revoked *r, const uint8_t key[32])
{
    return r->n_keys && bsearch(key, r->keys, r->n_keys, 32, rev_cmp_key) != NULL;
}

bool config_revoked_serial(const struct config_revoked *r, uint64_t serial)
{
    return r->n_serials &&
           bsearch(&serial, r->serials, r->n_serials, sizeof(serial), rev_cmp_serial) != NULL;
}

void config_revoked_clear(struct config_revoked *r)
{
    free(r->keys);
    free(r->serials);
    memset(r, 0, sizeof(*r));
}
