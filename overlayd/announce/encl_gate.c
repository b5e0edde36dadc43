/* SPDX-License-Identifier: GPL-2.0-only */
#include "overlayd/announce/encl_gate.h"

bool encl_gate_answer(struct bucket *b, uint64_t now)
{
    return bucket_take(b, 1.0 / ENCL_GATE_PERIOD_S, ENCL_GATE_BURST, now);
}
