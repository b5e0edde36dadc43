/* SPDX-License-Identifier: GPL-2.0-only */
#include "lib/table.h"

#include <stdlib.h>
#include <string.h>

#include "lib/sbuf.h"

void table_init(struct table *t, size_t ncols)
{
    memset(t, 0, sizeof(*t));
    t->ncols = ncols < TABLE_MAX_COLS ? ncols : TABLE_MAX_COLS;
}

void table_row(struct table *t, const char *const *cells)
{
    char **nc = realloc(t->cells, (t->nrows + 1) * t->ncols * sizeof(*nc));

    if (!nc) {
        t->oom = 1;
        return;
    }
    t->cells = nc;
    for (size_t i = 0; i < t->ncols; i++) {
        const char *s = cells[i] && cells[i][0] ? cells[i] : "-";
        char *c = strdup(s);
        size_t w = strlen(s);

        if (!c)
            t->oom = 1;
        nc[t->nrows * t->ncols + i] = c;
        if (w > t->width[i])
            t->width[i] = w;
    }
    t->nrows++;
}

void table_print(const struct table *t, struct sbuf *out)
{
    for (size_t r = 0; r < t->nrows; r++) {
        for (size_t i = 0; i < t->ncols; i++) {
            const char *c = t->cells[r * t->ncols + i];

            if (!c)
                c = "?";
            sbuf_puts(out, c);
            if (i + 1 < t->ncols)
                for (size_t k = strlen(c); k < t->width[i] + 2; k++)
                    sbuf_putc(out, ' ');
        }
        sbuf_putc(out, '\n');
    }
}

void table_free(struct table *t)
{
    for (size_t i = 0; i < t->nrows * t->ncols; i++)
        free(t->cells[i]);
    free(t->cells);
    memset(t, 0, sizeof(*t));
}
