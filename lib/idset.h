/* SPDX-License-Identifier: GPL-2.0-only */
#ifndef OVL_OVERLAYD_IDSET_H
#define OVL_OVERLAYD_IDSET_H

/*
 * DOC: idset — sorted arrays of enclave ids
 *
 * A peer's announced enclaves, a certificate grant and our own enclave list
 * are all small sorted uint32_t arrays: membership is a binary search on the
 * forwarding path, building one is a qsort. One copy of both, here.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

static inline int idset_cmp(const void *a, const void *b)
{
    uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

    return (x > y) - (x < y);
}

static inline void idset_sort(uint32_t *ids, size_t n)
{
    if (n > 1)
        qsort(ids, n, sizeof(*ids), idset_cmp);
}

static inline bool idset_contains(const uint32_t *ids, size_t n, uint32_t id)
{
    size_t lo = 0, hi = n;

    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;

        if (ids[mid] == id)
            return true;
        if (ids[mid] < id)
            lo = mid + 1;
        else
            hi = mid;
    }
    return false;
}

#endif
