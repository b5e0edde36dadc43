/* SPDX-License-Identifier: GPL-2.0-only */
#ifndef OVL_OVERLAYD_TABLE_H
#define OVL_OVERLAYD_TABLE_H

/*
 * DOC: table — aligned text columns for overlayctl output
 *
 * Cells are copied; every column is padded to its widest cell with
 * spaces (two between columns, none after the last), so the output reads
 * well and `awk '{print $N}'` parses it (empty cells are written as "-").
 */

#include <stddef.h>

struct sbuf;

enum { TABLE_MAX_COLS = 16 };        /* peers: 14 */

struct table {
    size_t ncols;
    size_t nrows;
    char **cells;                     /* nrows * ncols */
    size_t width[TABLE_MAX_COLS];
    int oom;
};

void table_init(struct table *t, size_t ncols);
/* Add a row of ncols cells (NULL or "" -> "-"). */
void table_row(struct table *t, const char *const *cells);
void table_print(const struct table *t, struct sbuf *out);
void table_free(struct table *t);

#endif
