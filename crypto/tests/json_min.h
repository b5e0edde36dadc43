/* SPDX-License-Identifier: GPL-2.0-only */
#ifndef OVL_CRYPTO_TESTS_JSON_MIN_H
#define OVL_CRYPTO_TESTS_JSON_MIN_H

/*
 * DOC: json_min — the smallest JSON reader the Noise vector test needs
 *
 * Test-only. Parses a whole document (RFC 8259 syntax) into a tree of
 * json_value nodes. Strings support the simple escapes (\" \\ \/ \b \f
 * \n \r \t) and \uXXXX for code points below 0x80; other \u escapes make
 * the parse fail, which the vector files never need. Numbers are kept as
 * their text. json_parse() returns NULL on any syntax error; json_free()
 * releases a tree.
 */

#include <stddef.h>

enum json_type { JSON_NULL, JSON_BOOL, JSON_NUMBER, JSON_STRING, JSON_ARRAY, JSON_OBJECT };

struct json_value {
    enum json_type type;
    char *str;                  /* JSON_STRING / JSON_NUMBER text, NUL-terminated */
    int boolean;
    size_t n;                   /* children of an array / object */
    struct json_value **items;
    char **keys;                /* object member names (NULL for arrays) */
};

struct json_value *json_parse(const char *text, size_t len);
void json_free(struct json_value *v);

/* Member @key of an object, or NULL. */
const struct json_value *json_get(const struct json_value *obj, const char *key);
/* The string of member @key, or NULL if absent or not a string. */
const char *json_get_str(const struct json_value *obj, const char *key);

#endif
