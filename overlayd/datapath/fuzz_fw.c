/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * libFuzzer target: any frame a guest or a host could send, through an
 * enclave's policy with a small flow table. The verdict must not depend
 * on bytes past the frame; rules are asked only with a protocol and port
 * the frame can carry, and a frame that passes by a rule passes again by
 * its flow (unless it is no flow: non-IP, a later fragment, an ICMP error).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "overlayd/datapath/fw.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static bool fuzz_allows(void *ctx, uint8_t proto, uint16_t dport)
{
    (void)ctx;
    if (dport && proto != 6 && proto != 17 && proto != 1 && proto != 58)
        __builtin_trap();
    return (proto ^ dport) & 1;
}

static bool fuzz_never(void *ctx, uint8_t proto, uint16_t dport)
{
    (void)ctx;
    (void)proto;
    (void)dport;
    return false;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const uint8_t key[16] = { 7 };
    static struct fw_table *t;
    struct fw_pkt p;
    enum fw_verdict v;
    uint8_t *copy;

    if (!t && !(t = fw_table_new(16, key)))
        return 0;
    /* An exact-size heap copy: ASan sees any read past the frame. */
    copy = malloc(size ? size : 1);
    if (!copy)
        return 0;
    memcpy(copy, data, size);
    v = fw_check(t, copy, size, 1, fuzz_allows, NULL);
    if (v > FW_DENY_MALFORMED)
        __builtin_trap();
    fw_classify(copy, size, &p);
    if (v == FW_PASS_RULE && p.kind == FW_FLOW && !p.fragment &&
        fw_check(t, copy, size, 2, fuzz_never, NULL) != FW_PASS_TRACKED)
        __builtin_trap();
    fw_table_flush(t);
    free(copy);
    return 0;
}
