/* SPDX-License-Identifier: GPL-2.0-only */
#ifndef OVL_OVERLAYD_INI_H
#define OVL_OVERLAYD_INI_H

/*
 * DOC: ini — a small line-fed INI reader
 *
 * The reader walks a text buffer one line at a time and classifies each
 * line; it knows nothing about sections or keys of any particular file
 * (config.c does). It never allocates and never reads files, so a fuzz
 * harness can feed it arbitrary bytes.
 *
 * Accepted syntax (see docs/config.md):
 *   - lines end with "\n" (a "\r" before it is dropped); the last line
 *     may lack the newline;
 *   - a UTF-8 byte order mark at the start of the text is skipped;
 *   - leading and trailing blanks (space, tab) are trimmed;
 *   - "#" at the start of a line, or after a blank, starts a comment that
 *     runs to the end of the line ("a#b" keeps its "#");
 *   - "[Name]" starts a section; "Key = Value" sets a key; the key is
 *     everything before the first "=", the value everything after it,
 *     both trimmed; the value may be empty (the caller decides);
 *   - a line longer than INI_LINE_MAX bytes, a line holding a NUL byte or
 *     another control character (tab excepted), a line with neither "["
 *     nor "=", "[" without "]", text after "]", an empty section name, an
 *     empty key or a key with blanks inside are INI_BAD with a message.
 *
 * Lifecycle: ini_init() once, then ini_next() until it returns INI_END.
 * The strings in struct ini_line point into the iterator and stay valid
 * until the next ini_next() call.
 */

#include <stddef.h>

enum ini_limits {
    INI_LINE_MAX = 4096,          /* bytes per line, without the newline */
};

enum ini_kind {
    INI_END = 0,                  /* no more lines */
    INI_EMPTY,                    /* blank or comment only */
    INI_SECTION,                  /* name = section name */
    INI_PAIR,                     /* name = key, value = value */
    INI_BAD,                      /* error = what is wrong */
};

struct ini_line {
    enum ini_kind kind;
    int line;                     /* 1-based */
    const char *name;
    const char *value;
    const char *error;
};

struct ini_iter {
    const char *text;
    size_t len;
    size_t pos;
    int line;
    char buf[INI_LINE_MAX + 1];
};

void ini_init(struct ini_iter *it, const char *text, size_t len);
enum ini_kind ini_next(struct ini_iter *it, struct ini_line *out);

#endif
