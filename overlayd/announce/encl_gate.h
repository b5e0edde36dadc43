/* SPDX-License-Identifier: GPL-2.0-only */
#ifndef OVL_OVERLAYD_ENCL_GATE_H
#define OVL_OVERLAYD_ENCL_GATE_H

/*
 * DOC: encl_gate — how often a peer's enclave set is answered at once
 *
 * An ENCLAVES message with REQUEST, or one adding an enclave, is answered
 * with our set and every local MAC of the enclaves concerned: a scan of
 * each MAC table and up to a few dozen packets. A peer asks when it
 * starts or reconnects, so an honest one asks a handful of times an hour;
 * a hostile one could ask with every datagram. Each peer gets a token
 * bucket (ENCL_GATE_BURST, then one per ENCL_GATE_PERIOD_S): a message
 * over it still updates the peer's set (and flushes what it left), but
 * its answer waits for the 30 s refresh (drop_enclaves_ratelimit).
 * Pure: the caller passes `now` (monotonic ns).
 */

#include <stdbool.h>
#include <stdint.h>

#include "lib/bucket.h"

enum encl_gate_limits {
    ENCL_GATE_BURST = 5,
    ENCL_GATE_PERIOD_S = 5,
};

/* May a set from the peer owning @b be answered at @now? True: a token
 * was taken. */
bool encl_gate_answer(struct bucket *b, uint64_t now);

#endif
