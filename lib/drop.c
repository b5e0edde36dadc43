/* SPDX-License-Identifier: GPL-2.0-only */
#include "lib/drop.h"

#include <stdarg.h>
#include <stdio.h>

#include "lib/log.h"

static const char *const drop_names[DROP__N] = {
#define DROP_NAME(id, name, why) name,
    DROP_REASONS(DROP_NAME)
#undef DROP_NAME
};

static const char *const drop_whys[DROP__N] = {
#define DROP_WHY(id, name, why) why,
    DROP_REASONS(DROP_WHY)
#undef DROP_WHY
};

const char *drop_name(enum drop_reason r)
{
    return (unsigned)r < DROP__N ? drop_names[r] : NULL;
}

const char *drop_why(enum drop_reason r)
{
    return (unsigned)r < DROP__N ? drop_whys[r] : NULL;
}

void drop_count(struct drop_stats *s, enum drop_reason r, uint64_t now, const char *fmt, ...)
{
    const uint64_t interval = (uint64_t)DROP_LOG_INTERVAL_S * 1000000000u;
    char what[256];
    va_list ap;

    if ((unsigned)r >= DROP__N)
        return;
    s->n[r]++;
    /* One line per reason and interval: a flood of bad packets must not
     * become a flood of log lines. */
    if (s->logged_at[r] && now - s->logged_at[r] < interval) {
        s->unlogged[r]++;
        return;
    }
    va_start(ap, fmt);
    vsnprintf(what, sizeof(what), fmt, ap);
    va_end(ap);
    if (s->unlogged[r])
        log_info("drop", "%s: %s (%s); %llu more since the last report", drop_names[r], what,
                 drop_whys[r], (unsigned long long)s->unlogged[r]);
    else
        log_info("drop", "%s: %s (%s)", drop_names[r], what, drop_whys[r]);
    s->logged_at[r] = now ? now : 1;
    s->unlogged[r] = 0;
}
