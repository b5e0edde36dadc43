/* SPDX-License-Identifier: GPL-2.0-only */
#ifndef OVL_OVERLAYD_INFLIGHT_H
#define OVL_OVERLAYD_INFLIGHT_H

/*
 * DOC: inflight — ring lookups the data path started, bounded per enclave
 *
 * A guest's frames to unknown MACs and its ARP/ND for unknown addresses
 * each start a ring lookup. The rates are limited (ringd_int.h), but an
 * enclave whose lookups go unanswered would still pile them up, and one
 * enclave's guest would crowd out the others'. So at most
 * INFLIGHT_PER_ENCLAVE lookups of one enclave are in flight, and
 * INFLIGHT_SLOTS in all; a lookup not started is counted
 * (drop_lookup_busy) and asked again by the guest's next frame. A lookup
 * whose answer never comes stops counting after INFLIGHT_HOLD_S. Pure:
 * the caller passes `now` (monotonic ns).
 */

#include <stdbool.h>
#include <stdint.h>

enum inflight_limits {
    INFLIGHT_PER_ENCLAVE = 32,
    INFLIGHT_SLOTS = 256,
    INFLIGHT_HOLD_S = 10,
};

struct inflight_slot {
    uint64_t cookie;
    uint64_t until;                   /* ns; 0: free */
    uint32_t enclave;
};

struct inflight {
    struct inflight_slot s[INFLIGHT_SLOTS];
};

/* Start counting lookup @cookie of @enclave at @now; false when the
 * enclave (or the table) is at its bound: do not start it. */
bool inflight_take(struct inflight *f, uint32_t enclave, uint64_t cookie, uint64_t now);
/* Lookup @cookie ended (answered, failed or never started). */
void inflight_done(struct inflight *f, uint64_t cookie);
/* Lookups of @enclave counted at @now. */
unsigned inflight_count(const struct inflight *f, uint32_t enclave, uint64_t now);

#endif
