/* SPDX-License-Identifier: GPL-2.0-only */
/* lib/drop: every reason has a distinct name, counts are exact, and the
 * log is limited to one line per reason and interval. */
#include "lib/drop.h"

#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lib/check.h"

#define SEC UINT64_C(1000000000)

/* Run @fn with stderr captured; return the number of lines it wrote. */
static int lines_of(void (*fn)(struct drop_stats *), struct drop_stats *s)
{
    char path[] = "/tmp/test_drop.XXXXXX", buf[8192];
    int fd = mkstemp(path), saved = dup(STDERR_FILENO), n = 0;
    ssize_t len;

    if (fd < 0 || saved < 0)
        return -1;
    dup2(fd, STDERR_FILENO);
    fn(s);
    dup2(saved, STDERR_FILENO);
    close(saved);
    len = pread(fd, buf, sizeof(buf) - 1, 0);
    close(fd);
    unlink(path);
    for (ssize_t i = 0; i < len; i++)
        n += buf[i] == '\n';
    return n;
}

/* 1,000 drops of one reason within 9 s, then one after 10 s: two lines. */
static void burst(struct drop_stats *s)
{
    for (uint64_t i = 0; i < 1000; i++)
        drop_count(s, DROP_FDB_FULL, 1 * SEC + i * (8 * SEC / 1000), "mac %llu",
                   (unsigned long long)i);
    drop_count(s, DROP_FDB_FULL, 11 * SEC, "late");
}

/* Two reasons alternating: each has its own limit, so two lines. */
static void alternate(struct drop_stats *s)
{
    for (uint64_t i = 0; i < 100; i++)
        drop_count(s, i % 2 ? DROP_RUNT : DROP_OWN_MAC, SEC + i * 1000, "x");
}

int main(void)
{
    struct drop_stats s;

    for (int a = 0; a < DROP__N; a++) {
        CHECK(drop_name((enum drop_reason)a) != NULL);
        CHECK(strncmp(drop_name((enum drop_reason)a), "drop_", 5) == 0);
        CHECK(drop_why((enum drop_reason)a)[0] != '\0');
        for (int b = a + 1; b < DROP__N; b++)
            CHECK(strcmp(drop_name((enum drop_reason)a), drop_name((enum drop_reason)b)) != 0);
    }
    CHECK(drop_name(DROP__N) == NULL);

    memset(&s, 0, sizeof(s));
    CHECK(lines_of(burst, &s) == 2);
    CHECK(s.n[DROP_FDB_FULL] == 1001);
    CHECK(s.unlogged[DROP_FDB_FULL] == 0);
    for (int a = 0; a < DROP__N; a++)
        CHECK(a == DROP_FDB_FULL || s.n[a] == 0);

    memset(&s, 0, sizeof(s));
    CHECK(lines_of(alternate, &s) == 2);
    CHECK(s.n[DROP_RUNT] == 50 && s.n[DROP_OWN_MAC] == 50);

    /* An out-of-range reason is ignored, not written out of bounds. */
    drop_count(&s, DROP__N, SEC, "bad");
    CHECK(s.n[DROP_RUNT] == 50);
    return CHECK_DONE();
}
