/* SPDX-License-Identifier: GPL-2.0-only */
#include "overlayd/config/ini.h"

#include <string.h>

static int ini_is_blank(char c)
{
    return c == ' ' || c == '\t';
}

/* Trim blanks in place; returns the new start. */
static char *ini_trim(char *s)
{
    size_t n;

    while (ini_is_blank(*s))
        s++;
    n = strlen(s);
    while (n > 0 && ini_is_blank(s[n - 1]))
        s[--n] = '\0';
    return s;
}

/* A "#" starts a comment only at the line start or after a blank, so that
 * values such as "a#b" survive; cut the line there. */
static void ini_strip_comment(char *s)
{
    for (size_t i = 0; s[i]; i++) {
        if (s[i] == '#' && (i == 0 || ini_is_blank(s[i - 1]))) {
            s[i] = '\0';
            return;
        }
    }
}

void ini_init(struct ini_iter *it, const char *text, size_t len)
{
    it->text = text;
    it->len = text ? len : 0;
    it->pos = 0;
    it->line = 0;
    it->buf[0] = '\0';
}

static enum ini_kind ini_bad(struct ini_line *out, const char *msg)
{
    out->kind = INI_BAD;
    out->error = msg;
    return INI_BAD;
}

static enum ini_kind ini_classify(char *s, struct ini_line *out)
{
    char *eq, *close, *key, *rest;

    ini_strip_comment(s);
    s = ini_trim(s);
    if (*s == '\0') {
        out->kind = INI_EMPTY;
        return INI_EMPTY;
    }
    if (*s == '[') {
        close = strchr(s, ']');
        if (!close)
            return ini_bad(out, "section header lacks its closing ']'");
        *close = '\0';
        rest = ini_trim(close + 1);
        if (*rest)
            return ini_bad(out, "unexpected text after section header");
        s = ini_trim(s + 1);
        if (*s == '\0')
            return ini_bad(out, "empty section name");
        if (strchr(s, '['))
            return ini_bad(out, "'[' inside section name");
        out->kind = INI_SECTION;
        out->name = s;
        return INI_SECTION;
    }
    eq = strchr(s, '=');
    if (!eq)
        return ini_bad(out, "expected \"Key = Value\" or \"[Section]\"");
    *eq = '\0';
    key = ini_trim(s);
    if (*key == '\0')
        return ini_bad(out, "missing key name before '='");
    if (strpbrk(key, " \t"))
        return ini_bad(out, "key name contains blanks");
    out->kind = INI_PAIR;
    out->name = key;
    out->value = ini_trim(eq + 1);
    return INI_PAIR;
}

enum ini_kind ini_next(struct ini_iter *it, struct ini_line *out)
{
    const char *start, *nl;
    size_t n, avail;

    memset(out, 0, sizeof(*out));
    if (it->pos >= it->len) {
        out->kind = INI_END;
        return INI_END;
    }
    start = it->text + it->pos;
    avail = it->len - it->pos;
    nl = memchr(start, '\n', avail);
    n = nl ? (size_t)(nl - start) : avail;
    it->pos += nl ? n + 1 : n;
    out->line = ++it->line;
    if (n > 0 && start[n - 1] == '\r')
        n--;
    /* Some editors start UTF-8 files with a byte order mark. */
    if (it->line == 1 && n >= 3 && !memcmp(start, "\xef\xbb\xbf", 3)) {
        start += 3;
        n -= 3;
    }
    if (n > INI_LINE_MAX)
        return ini_bad(out, "line is longer than 4096 bytes");
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)start[i];

        if (c == '\0')
            return ini_bad(out, "line contains a NUL byte");
        if ((c < 0x20 && c != '\t') || c == 0x7f)
            return ini_bad(out, "line contains a control character");
    }
    memcpy(it->buf, start, n);
    it->buf[n] = '\0';
    return ini_classify(it->buf, out);
}
