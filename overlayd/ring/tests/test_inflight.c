/* SPDX-License-Identifier: GPL-2.0-only */
/* inflight.c (issue 12 item 7): lookups of one enclave stop at the bound,
 * other enclaves are not crowded out, answers and the hold time free
 * slots, and the table's total bound holds. */
#include "overlayd/ring/inflight.h"
#include "lib/check.h"

#define SEC UINT64_C(1000000000)

int main(void)
{
    static struct inflight f;
    uint64_t t = 5 * SEC, ck = 1;
    unsigned started = 0;

    /* a guest flooding enclave 7 with 10,000 unknown MACs at once */
    for (unsigned i = 0; i < 10000; i++)
        started += inflight_take(&f, 7, ck++, t);
    CHECK(started == INFLIGHT_PER_ENCLAVE, "started %u", started);
    CHECK(inflight_count(&f, 7, t) == INFLIGHT_PER_ENCLAVE);
    /* enclave 8's guest still gets its lookups */
    CHECK(inflight_take(&f, 8, 100000, t), "another enclave is not crowded out");
    /* an answer frees one slot of enclave 7 */
    inflight_done(&f, 1);
    CHECK(inflight_take(&f, 7, ck++, t) && !inflight_take(&f, 7, ck++, t));
    /* unanswered lookups stop counting after the hold time */
    CHECK(!inflight_take(&f, 7, ck++, t + (INFLIGHT_HOLD_S * SEC) - 1));
    CHECK(inflight_take(&f, 7, ck++, t + INFLIGHT_HOLD_S * SEC), "held ones expired");
    /* many enclaves: the table's total bound */
    started = 0;
    t += 100 * SEC;
    for (uint32_t e = 1; e <= 100; e++)
        for (unsigned i = 0; i < INFLIGHT_PER_ENCLAVE; i++)
            started += inflight_take(&f, e, ck++, t);
    CHECK(started == INFLIGHT_SLOTS, "total %u", started);
    return CHECK_DONE();
}
