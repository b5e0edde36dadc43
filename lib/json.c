/* SPDX-License-Identifier: GPL-2.0-only */
#include "lib/json.h"

#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

void json_init(struct json *j, struct sbuf *b)
{
    memset(j, 0, sizeof(*j));
    j->b = b;
    j->first[0] = true;
}

/* Separator before a value (or key) at the current depth. */
static void json_sep(struct json *j)
{
    if (j->after_key) {
        j->after_key = false;
        return;
    }
    if (!j->first[j->depth])
        sbuf_putc(j->b, ',');
    j->first[j->depth] = false;
}

static void json_open(struct json *j, char c)
{
    json_sep(j);
    if (j->depth >= JSON_MAX_DEPTH) {
        j->failed = true;
        return;
    }
    sbuf_putc(j->b, c);
    j->depth++;
    j->first[j->depth] = true;
}

static void json_close(struct json *j, char c)
{
    if (j->depth == 0) {
        j->failed = true;
        return;
    }
    j->depth--;
    sbuf_putc(j->b, c);
}

void json_obj_begin(struct json *j) { json_open(j, '{'); }
void json_obj_end(struct json *j) { json_close(j, '}'); }
void json_arr_begin(struct json *j) { json_open(j, '['); }
void json_arr_end(struct json *j) { json_close(j, ']'); }

/* Length of the valid UTF-8 sequence at @s (RFC 3629), 0 if invalid. */
static size_t utf8_seq_len(const unsigned char *s)
{
    unsigned char c = s[0];

    if (c < 0x80)
        return 1;
    if (c >= 0xc2 && c <= 0xdf)
        return (s[1] & 0xc0) == 0x80 ? 2 : 0;
    if (c >= 0xe0 && c <= 0xef) {
        if ((s[1] & 0xc0) != 0x80 || (s[2] & 0xc0) != 0x80)
            return 0;
        if (c == 0xe0 && s[1] < 0xa0)
            return 0;                       /* overlong */
        if (c == 0xed && s[1] >= 0xa0)
            return 0;                       /* surrogates */
        return 3;
    }
    if (c >= 0xf0 && c <= 0xf4) {
        if ((s[1] & 0xc0) != 0x80 || (s[2] & 0xc0) != 0x80 || (s[3] & 0xc0) != 0x80)
            return 0;
        if (c == 0xf0 && s[1] < 0x90)
            return 0;
        if (c == 0xf4 && s[1] >= 0x90)
            return 0;                       /* above U+10FFFF */
        return 4;
    }
    return 0;
}

void json_escape(struct sbuf *b, const char *str)
{
    const unsigned char *s = (const unsigned char *)str;

    sbuf_putc(b, '"');
    while (*s) {
        unsigned char c = *s;
        size_t n;

        switch (c) {
        case '"': sbuf_puts(b, "\\\""); s++; continue;
        case '\\': sbuf_puts(b, "\\\\"); s++; continue;
        case '\n': sbuf_puts(b, "\\n"); s++; continue;
        case '\r': sbuf_puts(b, "\\r"); s++; continue;
        case '\t': sbuf_puts(b, "\\t"); s++; continue;
        case '\b': sbuf_puts(b, "\\b"); s++; continue;
        case '\f': sbuf_puts(b, "\\f"); s++; continue;
        default: break;
        }
        if (c < 0x20 || c == 0x7f) {
            sbuf_printf(b, "\\u%04x", c);
            s++;
            continue;
        }
        n = utf8_seq_len(s);
        if (n == 0) {
            sbuf_puts(b, "\\ufffd");
            s++;
            continue;
        }
        sbuf_put(b, (const char *)s, n);
        s += n;
    }
    sbuf_putc(b, '"');
}

void json_key(struct json *j, const char *key)
{
    json_sep(j);
    json_escape(j->b, key);
    sbuf_putc(j->b, ':');
    j->after_key = true;
}

void json_str(struct json *j, const char *s)
{
    json_sep(j);
    if (s)
        json_escape(j->b, s);
    else
        sbuf_puts(j->b, "null");
}

void json_u64(struct json *j, uint64_t v)
{
    json_sep(j);
    sbuf_printf(j->b, "%" PRIu64, v);
}

void json_i64(struct json *j, int64_t v)
{
    json_sep(j);
    sbuf_printf(j->b, "%" PRId64, v);
}

void json_double(struct json *j, double v)
{
    json_sep(j);
    if (!isfinite(v))
        sbuf_puts(j->b, "null");      /* JSON has no NaN/Inf */
    else
        sbuf_printf(j->b, "%.3f", v);
}

void json_bool(struct json *j, bool v)
{
    json_sep(j);
    sbuf_puts(j->b, v ? "true" : "false");
}

void json_null(struct json *j)
{
    json_sep(j);
    sbuf_puts(j->b, "null");
}

void json_kstr(struct json *j, const char *key, const char *s)
{
    json_key(j, key);
    json_str(j, s);
}

void json_ku64(struct json *j, const char *key, uint64_t v)
{
    json_key(j, key);
    json_u64(j, v);
}
