/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Text form of host certificates: readable header lines followed by the
 * authoritative binary in base64. The loader rejects a header that
 * disagrees with the binary, so an edited header cannot mislead a reader.
 */
#include "crypto/cert.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include <sodium.h>

enum {
    B64_LINE = 64,
    B64_MAX = ((CERT_MAX_LEN + 2) / 3) * 4,
    HDR_VALUE_MAX = CERT_MAX_ENCLAVES * 9 + 16,
};

enum hdr_key { HDR_NAME, HDR_PUBKEY, HDR_AUTHORITY, HDR_ENCLAVES, HDR_NOT_BEFORE,
               HDR_NOT_AFTER, HDR_SERIAL, HDR_COUNT };

static const char *const hdr_names[HDR_COUNT] = {
    [HDR_NAME] = "Name",
    [HDR_PUBKEY] = "PublicKey",
    [HDR_AUTHORITY] = "Authority",
    [HDR_ENCLAVES] = "Enclaves",
    [HDR_NOT_BEFORE] = "NotBefore",
    [HDR_NOT_AFTER] = "NotAfter",
    [HDR_SERIAL] = "Serial",
};

static void set_why(char *why, size_t why_len, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void set_why(char *why, size_t why_len, const char *fmt, ...)
{
    va_list ap;

    if (!why || why_len == 0)
        return;
    va_start(ap, fmt);
    vsnprintf(why, why_len, fmt, ap);
    va_end(ap);
}

/* The canonical header value for @key, as cert_to_text() writes it. */
static int hdr_value(const struct cert *c, enum hdr_key key, char *out, size_t cap)
{
    switch (key) {
    case HDR_NAME:
        return snprintf(out, cap, "%s", c->name) < (int)cap ? 0 : -ENOBUFS;
    case HDR_PUBKEY:
        sodium_bin2base64(out, cap, c->host_pub, CERT_KEY_LEN, sodium_base64_VARIANT_ORIGINAL);
        return 0;
    case HDR_AUTHORITY:
        sodium_bin2base64(out, cap, c->authority_pub, CERT_KEY_LEN,
                          sodium_base64_VARIANT_ORIGINAL);
        return 0;
    case HDR_ENCLAVES:
        return cert_format_enclaves(c, out, cap) < 0 ? -ENOBUFS : 0;
    case HDR_NOT_BEFORE:
        return cert_format_time(c->not_before, out, cap) < 0 ? -ENOBUFS : 0;
    case HDR_NOT_AFTER:
        return cert_format_time(c->not_after, out, cap) < 0 ? -ENOBUFS : 0;
    case HDR_SERIAL:
        return snprintf(out, cap, "%016llx", (unsigned long long)c->serial) < (int)cap ?
               0 : -ENOBUFS;
    default:
        return -EINVAL;
    }
}

int cert_to_text(const struct cert *c, char *out, size_t cap)
{
    char value[HDR_VALUE_MAX];
    char b64[B64_MAX + 1];
    size_t off = 0, b64_len;
    int w;

    if (!c || c->raw_len < CERT_MIN_LEN || c->raw_len > CERT_MAX_LEN || cap == 0)
        return -EINVAL;
    w = snprintf(out, cap, "# overlayd host certificate\n");
    if (w < 0 || (size_t)w >= cap)
        return -ENOBUFS;
    off = (size_t)w;
    for (int k = 0; k < HDR_COUNT; k++) {
        if (hdr_value(c, (enum hdr_key)k, value, sizeof(value)) < 0)
            return -ENOBUFS;
        w = snprintf(out + off, cap - off, "%s = %s\n", hdr_names[k], value);
        if (w < 0 || (size_t)w >= cap - off)
            return -ENOBUFS;
        off += (size_t)w;
    }
    sodium_bin2base64(b64, sizeof(b64), c->raw, c->raw_len, sodium_base64_VARIANT_ORIGINAL);
    b64_len = strlen(b64);
    w = snprintf(out + off, cap - off, "%s\n", CERT_TEXT_BEGIN);
    if (w < 0 || (size_t)w >= cap - off)
        return -ENOBUFS;
    off += (size_t)w;
    for (size_t i = 0; i < b64_len; i += B64_LINE) {
        size_t n = b64_len - i < B64_LINE ? b64_len - i : B64_LINE;
        w = snprintf(out + off, cap - off, "%.*s\n", (int)n, b64 + i);
        if (w < 0 || (size_t)w >= cap - off)
            return -ENOBUFS;
        off += (size_t)w;
    }
    w = snprintf(out + off, cap - off, "%s\n", CERT_TEXT_END);
    if (w < 0 || (size_t)w >= cap - off)
        return -ENOBUFS;
    off += (size_t)w;
    return (int)off;
}

struct span {
    const char *p;
    size_t n;
};

static bool is_space(char ch)
{
    return ch == ' ' || ch == '\t' || ch == '\r';
}

static struct span trim(struct span s)
{
    while (s.n && is_space(s.p[0])) {
        s.p++;
        s.n--;
    }
    while (s.n && is_space(s.p[s.n - 1]))
        s.n--;
    return s;
}

static bool span_eq(struct span s, const char *lit)
{
    return s.n == strlen(lit) && memcmp(s.p, lit, s.n) == 0;
}

static bool is_b64_char(char ch)
{
    return (ch >= 'A' && ch <= 'Z') || (ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') ||
           ch == '+' || ch == '/' || ch == '=';
}

enum { ST_HEADER, ST_BODY, ST_AFTER };

/* cert_load_text() in progress: the header lines seen and the base64 block. */
struct text_parse {
    struct span hdr[HDR_COUNT];
    unsigned hdr_line[HDR_COUNT];       /* 0: key not given */
    char b64[B64_MAX + 1];
    size_t b64_len;
    unsigned line_no;
    int state;
    char *why;
    size_t why_len;
};

/*
 * Parts of a bad line are quoted in @why, which ends up on a terminal:
 * control bytes (escape sequences, NUL) are refused up front.
 */
static int text_check_bytes(const char *text, size_t len, char *why, size_t why_len)
{
    for (size_t i = 0; i < len; i++) {
        unsigned char ch = (unsigned char)text[i];

        if ((ch < 0x20 && ch != '\n' && ch != '\r' && ch != '\t') || ch == 0x7f) {
            set_why(why, why_len, "control byte 0x%02x in text", ch);
            return -EBADMSG;
        }
    }
    return 0;
}

/* A line between BEGIN and END: base64, or the END line. */
static int text_body_line(struct text_parse *t, struct span line)
{
    if (span_eq(line, CERT_TEXT_END)) {
        t->state = ST_AFTER;
        return 0;
    }
    for (size_t i = 0; i < line.n; i++) {
        if (!is_b64_char(line.p[i])) {
            set_why(t->why, t->why_len, "line %u: not base64", t->line_no);
            return -EBADMSG;
        }
    }
    if (t->b64_len + line.n > B64_MAX) {
        set_why(t->why, t->why_len, "line %u: certificate block too long", t->line_no);
        return -EBADMSG;
    }
    memcpy(t->b64 + t->b64_len, line.p, line.n);
    t->b64_len += line.n;
    return 0;
}

/* A "Key = value" header line, kept to compare with the binary later. */
static int text_header_kv(struct text_parse *t, struct span line)
{
    const char *eq = memchr(line.p, '=', line.n);
    struct span key, val;
    int k;

    if (!eq) {
        set_why(t->why, t->why_len, "line %u: expected \"Key = value\", a comment or %s",
                t->line_no, CERT_TEXT_BEGIN);
        return -EBADMSG;
    }
    key = trim((struct span){ line.p, (size_t)(eq - line.p) });
    val = trim((struct span){ eq + 1, line.n - (size_t)(eq - line.p) - 1 });
    for (k = 0; k < HDR_COUNT; k++)
        if (span_eq(key, hdr_names[k]))
            break;
    if (k == HDR_COUNT) {
        set_why(t->why, t->why_len, "line %u: unknown key \"%.*s\"", t->line_no,
                (int)(key.n > 32 ? 32 : key.n), key.p);
        return -EBADMSG;
    }
    if (t->hdr_line[k]) {
        set_why(t->why, t->why_len, "line %u: %s given twice", t->line_no, hdr_names[k]);
        return -EBADMSG;
    }
    t->hdr[k] = val;
    t->hdr_line[k] = t->line_no;
    return 0;
}

/* One trimmed line, by where we are: header, block, or after END. */
static int text_line(struct text_parse *t, struct span line)
{
    switch (t->state) {
    case ST_AFTER:
        if (line.n) {
            set_why(t->why, t->why_len, "line %u: text after the END line", t->line_no);
            return -EBADMSG;
        }
        return 0;
    case ST_BODY:
        return text_body_line(t, line);
    default:
        if (line.n == 0 || line.p[0] == '#')
            return 0;
        if (span_eq(line, CERT_TEXT_BEGIN)) {
            t->state = ST_BODY;
            return 0;
        }
        return text_header_kv(t, line);
    }
}

/* Decode the block into @c and check every header given against it. */
static int text_finish(struct text_parse *t, struct cert *c)
{
    uint8_t bin[CERT_MAX_LEN];
    char value[HDR_VALUE_MAX];
    char inner[160];
    size_t bin_len = 0;

    if (t->state != ST_AFTER) {
        set_why(t->why, t->why_len, "no %s line",
                t->state == ST_HEADER ? CERT_TEXT_BEGIN : CERT_TEXT_END);
        return -EBADMSG;
    }
    t->b64[t->b64_len] = '\0';
    if (t->b64_len == 0 ||
        sodium_base642bin(bin, sizeof(bin), t->b64, t->b64_len, NULL, &bin_len, NULL,
                          sodium_base64_VARIANT_ORIGINAL) != 0) {
        set_why(t->why, t->why_len, "certificate block is not valid base64 (or too long)");
        return -EBADMSG;
    }
    if (cert_parse_why(bin, bin_len, c, inner, sizeof(inner)) < 0) {
        set_why(t->why, t->why_len, "certificate block: %s", inner);
        return -EBADMSG;
    }
    for (int k = 0; k < HDR_COUNT; k++) {
        if (!t->hdr_line[k])
            continue;
        if (hdr_value(c, (enum hdr_key)k, value, sizeof(value)) < 0 ||
            !span_eq(t->hdr[k], value)) {
            set_why(t->why, t->why_len, "line %u: %s does not match the certificate block (%s)",
                    t->hdr_line[k], hdr_names[k], value);
            return -EBADMSG;
        }
    }
    return 0;
}

int cert_load_text(const char *text, size_t len, struct cert *c, char *why, size_t why_len)
{
    struct text_parse t = { .state = ST_HEADER, .why = why, .why_len = why_len };
    size_t pos = 0;
    int rc;

    if (!text || !c) {
        set_why(why, why_len, "no input");
        return -EBADMSG;
    }
    rc = text_check_bytes(text, len, why, why_len);
    while (rc == 0 && pos < len) {
        const char *nl = memchr(text + pos, '\n', len - pos);
        size_t end = nl ? (size_t)(nl - text) : len;
        struct span line = trim((struct span){ text + pos, end - pos });

        pos = nl ? end + 1 : len;
        t.line_no++;
        rc = text_line(&t, line);
    }
    return rc < 0 ? rc : text_finish(&t, c);
}
