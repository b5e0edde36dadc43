/* SPDX-License-Identifier: GPL-2.0-only */
#include "json_min.h"

#include <stdlib.h>
#include <string.h>

struct json_parser {
    const char *p, *end;
    int depth;
};

enum { JSON_MAX_DEPTH = 64 };

static struct json_value *json_value_parse(struct json_parser *ps);

static void json_skip_ws(struct json_parser *ps)
{
    while (ps->p < ps->end && (*ps->p == ' ' || *ps->p == '\t' || *ps->p == '\n' || *ps->p == '\r'))
        ps->p++;
}

static int json_lit(struct json_parser *ps, const char *lit)
{
    size_t n = strlen(lit);

    if ((size_t)(ps->end - ps->p) < n || memcmp(ps->p, lit, n) != 0)
        return -1;
    ps->p += n;
    return 0;
}

static struct json_value *json_new(enum json_type t)
{
    struct json_value *v = calloc(1, sizeof(*v));

    if (v)
        v->type = t;
    return v;
}

static int json_hex4(const char *s)
{
    int v = 0;

    for (int i = 0; i < 4; i++) {
        char c = s[i];
        v <<= 4;
        if (c >= '0' && c <= '9')
            v |= c - '0';
        else if (c >= 'a' && c <= 'f')
            v |= c - 'a' + 10;
        else if (c >= 'A' && c <= 'F')
            v |= c - 'A' + 10;
        else
            return -1;
    }
    return v;
}

/* Parses a string starting at the opening quote into a malloc'd buffer. */
static char *json_string(struct json_parser *ps)
{
    const char *start, *q;
    char *out, *o;

    if (ps->p >= ps->end || *ps->p != '"')
        return NULL;
    start = ++ps->p;
    /* Unescaping only shrinks: the raw length up to the closing quote
     * (skipping escaped characters) bounds the result. Sizing by the rest
     * of the document instead costs an mmap per string in large files. */
    for (q = start; q < ps->end && *q != '"'; q++)
        if (*q == '\\' && q + 1 < ps->end)
            q++;
    out = o = malloc((size_t)(q - start) + 1);
    if (!out)
        return NULL;
    while (ps->p < ps->end && *ps->p != '"') {
        char c = *ps->p++;

        if ((unsigned char)c < 0x20)
            goto fail;
        if (c != '\\') {
            *o++ = c;
            continue;
        }
        if (ps->p >= ps->end)
            goto fail;
        c = *ps->p++;
        switch (c) {
        case '"': case '\\': case '/': *o++ = c; break;
        case 'b': *o++ = '\b'; break;
        case 'f': *o++ = '\f'; break;
        case 'n': *o++ = '\n'; break;
        case 'r': *o++ = '\r'; break;
        case 't': *o++ = '\t'; break;
        case 'u': {
            int cp;

            if (ps->end - ps->p < 4 || (cp = json_hex4(ps->p)) < 0 || cp == 0 || cp >= 0x80)
                goto fail;
            *o++ = (char)cp;
            ps->p += 4;
            break;
        }
        default:
            goto fail;
        }
    }
    if (ps->p >= ps->end)
        goto fail;
    ps->p++;
    *o = '\0';
    return out;
fail:
    free(out);
    return NULL;
}

static int json_push(struct json_value *v, struct json_value *child, char *key)
{
    struct json_value **items = realloc(v->items, (v->n + 1) * sizeof(*items));

    if (!items)
        return -1;
    v->items = items;
    if (v->type == JSON_OBJECT) {
        char **keys = realloc(v->keys, (v->n + 1) * sizeof(*keys));

        if (!keys)
            return -1;
        v->keys = keys;
        v->keys[v->n] = key;
    }
    v->items[v->n++] = child;
    return 0;
}

static struct json_value *json_container(struct json_parser *ps, int object)
{
    struct json_value *v = json_new(object ? JSON_OBJECT : JSON_ARRAY);
    char close = object ? '}' : ']';

    if (!v)
        return NULL;
    ps->p++;
    json_skip_ws(ps);
    if (ps->p < ps->end && *ps->p == close) {
        ps->p++;
        return v;
    }
    for (;;) {
        char *key = NULL;
        struct json_value *child;

        json_skip_ws(ps);
        if (object) {
            if (!(key = json_string(ps)))
                goto fail;
            json_skip_ws(ps);
            if (ps->p >= ps->end || *ps->p++ != ':') {
                free(key);
                goto fail;
            }
        }
        child = json_value_parse(ps);
        if (!child || json_push(v, child, key) != 0) {
            json_free(child);
            free(key);
            goto fail;
        }
        json_skip_ws(ps);
        if (ps->p >= ps->end)
            goto fail;
        if (*ps->p == ',') {
            ps->p++;
            continue;
        }
        if (*ps->p++ == close)
            return v;
        goto fail;
    }
fail:
    json_free(v);
    return NULL;
}

static struct json_value *json_value_parse(struct json_parser *ps)
{
    struct json_value *v = NULL;

    json_skip_ws(ps);
    if (ps->p >= ps->end || ps->depth > JSON_MAX_DEPTH)
        return NULL;
    switch (*ps->p) {
    case '{':
    case '[':
        ps->depth++;
        v = json_container(ps, *ps->p == '{');
        ps->depth--;
        return v;
    case '"':
        if (!(v = json_new(JSON_STRING)))
            return NULL;
        if (!(v->str = json_string(ps))) {
            free(v);
            return NULL;
        }
        return v;
    case 't':
    case 'f':
        if (!(v = json_new(JSON_BOOL)))
            return NULL;
        v->boolean = *ps->p == 't';
        if (json_lit(ps, v->boolean ? "true" : "false") != 0) {
            free(v);
            return NULL;
        }
        return v;
    case 'n':
        if (json_lit(ps, "null") != 0 || !(v = json_new(JSON_NULL)))
            return NULL;
        return v;
    default: {
        const char *start = ps->p;

        while (ps->p < ps->end && strchr("+-0123456789.eE", *ps->p))
            ps->p++;
        if (ps->p == start || !(v = json_new(JSON_NUMBER)))
            return NULL;
        if (!(v->str = strndup(start, (size_t)(ps->p - start)))) {
            free(v);
            return NULL;
        }
        return v;
    }
    }
}

struct json_value *json_parse(const char *text, size_t len)
{
    struct json_parser ps = { text, text + len, 0 };
    struct json_value *v = json_value_parse(&ps);

    json_skip_ws(&ps);
    if (v && ps.p != ps.end) {
        json_free(v);
        return NULL;
    }
    return v;
}

void json_free(struct json_value *v)
{
    if (!v)
        return;
    for (size_t i = 0; i < v->n; i++) {
        json_free(v->items[i]);
        if (v->keys)
            free(v->keys[i]);
    }
    free(v->items);
    free(v->keys);
    free(v->str);
    free(v);
}

const struct json_value *json_get(const struct json_value *obj, const char *key)
{
    if (!obj || obj->type != JSON_OBJECT)
        return NULL;
    for (size_t i = 0; i < obj->n; i++)
        if (strcmp(obj->keys[i], key) == 0)
            return obj->items[i];
    return NULL;
}

const char *json_get_str(const struct json_value *obj, const char *key)
{
    const struct json_value *v = json_get(obj, key);

    return v && v->type == JSON_STRING ? v->str : NULL;
}
