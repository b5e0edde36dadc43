/* SPDX-License-Identifier: GPL-2.0-only */
/* encl_gate.c (issue 12 item 6): a peer packing REQUESTs into every
 * datagram gets the burst answered, then one answer per period; a quiet
 * peer gets its burst back; peers do not share a budget. */
#include "overlayd/announce/encl_gate.h"
#include "lib/check.h"

#define SEC UINT64_C(1000000000)

int main(void)
{
    struct bucket hostile = { 0 }, honest = { 0 };
    uint64_t t = 10 * SEC;
    unsigned answered = 0;

    /* 100,000 datagrams in 10 s, each a set with REQUEST */
    for (unsigned i = 0; i < 100000; i++)
        answered += encl_gate_answer(&hostile, t + (uint64_t)i * 100000);
    CHECK(answered >= ENCL_GATE_BURST + 10 / ENCL_GATE_PERIOD_S - 1 &&
          answered <= ENCL_GATE_BURST + 10 / ENCL_GATE_PERIOD_S + 1,
          "answered %u of 100000 in 10 s", answered);
    /* the honest peer's first hello is answered whatever the other did */
    CHECK(encl_gate_answer(&honest, t + 10 * SEC), "honest peer answered");
    /* an hour later the hostile peer has its burst again, no more */
    t += 3600 * SEC;
    answered = 0;
    while (encl_gate_answer(&hostile, t))
        answered++;
    CHECK(answered == ENCL_GATE_BURST, "refilled to %u", answered);
    return CHECK_DONE();
}
