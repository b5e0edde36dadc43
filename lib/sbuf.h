/* SPDX-License-Identifier: GPL-2.0-only */
#ifndef OVL_OVERLAYD_SBUF_H
#define OVL_OVERLAYD_SBUF_H

/*
 * DOC: sbuf — growable text buffer for control-socket replies
 *
 * Control path only (never on the data path). Allocation failure is
 * sticky: sbuf_oom() tells the caller the text is incomplete; the buffer
 * is always NUL-terminated when p != NULL.
 */

#include <stdbool.h>
#include <stddef.h>

struct sbuf {
    char *p;
    size_t len;
    size_t cap;
    bool oom;
};

void sbuf_init(struct sbuf *b);
void sbuf_free(struct sbuf *b);
void sbuf_reset(struct sbuf *b);
void sbuf_putc(struct sbuf *b, char c);
void sbuf_put(struct sbuf *b, const char *s, size_t n);
void sbuf_puts(struct sbuf *b, const char *s);
void sbuf_printf(struct sbuf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static inline bool sbuf_oom(const struct sbuf *b) { return b->oom; }
static inline const char *sbuf_str(const struct sbuf *b) { return b->p ? b->p : ""; }

#endif
