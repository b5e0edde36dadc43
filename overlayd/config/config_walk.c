/* SPDX-License-Identifier: GPL-2.0-only */
/* Schema-driven INI walk: the problems every config file shares. */
#include "overlayd/config/config_int.h"
#include "overlayd/config/ini.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

enum { CFG_NONE = -1 };

struct cfg_walk_state {
    struct cfg_sink *s;
    const struct cfg_schema *schema;
    void *user;
    int cur;                      /* section spec index or CFG_NONE */
    bool skip;                    /* inside an unknown or repeated section */
    int sec_line;
    int key_lines[CFG_KEYS_MAX];
};

static void cfg_walk_close(struct cfg_walk_state *w)
{
    const struct cfg_section_spec *sec;

    if (w->cur == CFG_NONE)
        return;
    sec = &w->schema->sections[w->cur];
    for (size_t k = 0; k < sec->n_keys; k++)
        if (sec->keys[k].required && !w->key_lines[k])
            cfg_problem(w->s, w->sec_line, "[%s] has no %s (required)", sec->name,
                        sec->keys[k].name);
    if (w->schema->end)
        w->schema->end(w->user, (size_t)w->cur, w->sec_line, w->key_lines);
    w->cur = CFG_NONE;
}

static int cfg_walk_section(struct cfg_walk_state *w, const struct ini_line *l,
                            int *count, int *first)
{
    const struct cfg_schema *sc = w->schema;
    char q[80];

    cfg_walk_close(w);
    w->skip = true;
    for (size_t i = 0; i < sc->n_sections; i++) {
        if (strcmp(sc->sections[i].name, l->name))
            continue;
        if (sc->sections[i].once && count[i]) {
            cfg_problem(w->s, l->line, "[%s] appears again (first on line %d); only one is allowed",
                        l->name, first[i]);
            return 0;
        }
        if (!count[i]++)
            first[i] = l->line;
        w->cur = (int)i;
        w->skip = false;
        w->sec_line = l->line;
        memset(w->key_lines, 0, sizeof(w->key_lines));
        return sc->begin ? sc->begin(w->user, i, l->line) : 0;
    }
    cfg_quote(q, l->name);
    q[strlen(q) - 1] = '\0';      /* print as [Name], not ["Name"] */
    cfg_problem(w->s, l->line, "unknown section [%s] (expected %s)", q + 1, sc->expected);
    return 0;
}

static void cfg_walk_pair(struct cfg_walk_state *w, const struct ini_line *l)
{
    const struct cfg_section_spec *sec;
    char q[80];

    if (w->skip)
        return;                   /* the section header was already reported */
    cfg_quote(q, l->name);
    if (w->cur == CFG_NONE) {
        cfg_problem(w->s, l->line, "key %s is outside of any section", q);
        return;
    }
    sec = &w->schema->sections[w->cur];
    for (size_t k = 0; k < sec->n_keys; k++) {
        if (strcmp(sec->keys[k].name, l->name))
            continue;
        if (w->key_lines[k] && !sec->keys[k].repeat) {
            cfg_problem(w->s, l->line, "duplicate key %s in [%s] (first set on line %d)", q,
                        sec->name, w->key_lines[k]);
            return;
        }
        if (!w->key_lines[k])
            w->key_lines[k] = l->line;
        if (!*l->value) {
            cfg_problem(w->s, l->line, "%s has an empty value", sec->keys[k].name);
            return;
        }
        w->schema->key(w->user, (size_t)w->cur, k, l->value, l->line);
        return;
    }
    for (size_t k = 0; k < sec->n_keys; k++) {
        if (!strcasecmp(sec->keys[k].name, l->name)) {
            cfg_problem(w->s, l->line,
                        "unknown key %s in [%s]; did you mean \"%s\"? (keys are case-sensitive)",
                        q, sec->name, sec->keys[k].name);
            return;
        }
    }
    cfg_problem(w->s, l->line, "unknown key %s in [%s]", q, sec->name);
}

int cfg_walk(struct cfg_sink *s, const char *text, size_t len,
             const struct cfg_schema *schema, void *user)
{
    struct cfg_walk_state w = { .s = s, .schema = schema, .user = user, .cur = CFG_NONE };
    int count[8] = { 0 }, first[8] = { 0 };
    struct ini_iter *it;
    struct ini_line l;
    int r = 0;

    if (schema->n_sections > 8)
        return -EINVAL;
    it = malloc(sizeof(*it));     /* ~4 KiB line buffer: keep it off the stack */
    if (!it)
        return -ENOMEM;
    ini_init(it, text, len);
    while (r == 0 && ini_next(it, &l) != INI_END) {
        switch (l.kind) {
        case INI_BAD:
            cfg_problem(s, l.line, "%s", l.error);
            break;
        case INI_SECTION:
            r = cfg_walk_section(&w, &l, count, first);
            break;
        case INI_PAIR:
            cfg_walk_pair(&w, &l);
            break;
        default:
            break;
        }
    }
    free(it);
    if (r)
        return r;
    cfg_walk_close(&w);
    for (size_t i = 0; i < schema->n_sections; i++)
        if (schema->sections[i].required && !count[i])
            cfg_problem(s, 0, "missing [%s] section", schema->sections[i].name);
    return 0;
}
