/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * libFuzzer target: any frame a guest could send, checked against a port
 * locked to a MAC and an address of either family. The verdict must not
 * depend on bytes past the frame, and a frame that passes must carry the
 * lock's source MAC.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "overlayd/datapath/spoof.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const uint8_t mac[6] = { 0x52, 0x54, 0, 0, 1, 1 };
    struct spoof_lock l[3];
    uint8_t *copy;

    memset(l, 0, sizeof(l));
    for (int i = 0; i < 3; i++)
        memcpy(l[i].mac, mac, 6);
    spoof_lock_address(&l[1], "10.100.0.1/24");
    spoof_lock_address(&l[2], "fd00::1/64");
    /* An exact-size heap copy: ASan sees any read past the frame. */
    copy = malloc(size ? size : 1);
    if (!copy)
        return 0;
    memcpy(copy, data, size);
    for (int i = 0; i < 3; i++) {
        enum spoof_verdict v = spoof_check(&l[i], copy, size);

        if (v > SPOOF_MALFORMED || (v == SPOOF_OK && (size < 14 || memcmp(copy + 6, mac, 6))))
            __builtin_trap();
    }
    free(copy);
    return 0;
}
