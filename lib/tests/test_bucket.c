/* SPDX-License-Identifier: GPL-2.0-only */
/* bucket.c: a full start, the burst, the refill rate, no credit beyond it. */
#include "lib/bucket.h"
#include "lib/check.h"

#define MS UINT64_C(1000000)

int main(void)
{
    struct bucket b = { 0 };
    unsigned n = 0;
    uint64_t t = 1000 * MS;

    while (bucket_take(&b, 100, 20, t))
        n++;
    CHECK(n == 20, "a fresh bucket holds the burst: %u", n);
    CHECK(!bucket_take(&b, 100, 20, t + 9 * MS), "9 ms at 100/s: not one token yet");
    CHECK(bucket_take(&b, 100, 20, t + 10 * MS), "10 ms: one");
    CHECK(!bucket_take(&b, 100, 20, t + 10 * MS), "and only one");
    n = 0;
    for (uint64_t s = t + 10 * MS; s < t + 1010 * MS; s += MS)
        n += bucket_take(&b, 100, 20, s);
    CHECK(n >= 99 && n <= 101, "a second at full demand: %u, the rate", n);
    n = 0;
    t += 60000 * MS;
    while (bucket_take(&b, 100, 20, t))
        n++;
    CHECK(n == 20, "a minute idle refills to the burst only: %u", n);
    return CHECK_DONE();
}
