/* SPDX-License-Identifier: GPL-2.0-only */
#ifndef OVL_OVERLAYD_JSON_H
#define OVL_OVERLAYD_JSON_H

/*
 * DOC: json — minimal streaming JSON writer (RFC 8259)
 *
 * Writes compact JSON into an sbuf; commas are inserted automatically.
 * Strings are escaped per RFC 8259 section 7: '"' and '\\' are
 * backslash-escaped, control characters below 0x20 become \n, \t, ... or
 * \u00XX, and bytes that are not valid UTF-8 are replaced by U+FFFD so the
 * output is always valid JSON whatever an interface or VM name contains.
 * Nesting is limited to JSON_MAX_DEPTH levels (deeper calls are ignored
 * and flag the writer as failed).
 */

#include <stdbool.h>
#include <stdint.h>

#include "lib/sbuf.h"

enum { JSON_MAX_DEPTH = 32 };

struct json {
    struct sbuf *b;
    unsigned depth;
    bool first[JSON_MAX_DEPTH + 1];  /* next value at this depth is the first one */
    bool after_key;
    bool failed;
};

void json_init(struct json *j, struct sbuf *b);
void json_obj_begin(struct json *j);
void json_obj_end(struct json *j);
void json_arr_begin(struct json *j);
void json_arr_end(struct json *j);
void json_key(struct json *j, const char *key);
void json_str(struct json *j, const char *s);
void json_u64(struct json *j, uint64_t v);
void json_i64(struct json *j, int64_t v);
void json_double(struct json *j, double v);
void json_bool(struct json *j, bool v);
void json_null(struct json *j);
/* Shorthands: key followed by a value. */
void json_kstr(struct json *j, const char *key, const char *s);   /* s NULL -> null */
void json_ku64(struct json *j, const char *key, uint64_t v);
/* Escape @s as a JSON string literal (with quotes) into @b. */
void json_escape(struct sbuf *b, const char *s);

#endif
