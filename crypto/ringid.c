/* SPDX-License-Identifier: GPL-2.0-only */
#include "crypto/ringid.h"

#include <errno.h>
#include <string.h>

#include <sodium.h>

const char RINGID_LABEL[] = "overlayd ring id v1";

void ringid_from_pubkey(uint8_t id[RINGID_LEN], const uint8_t pub[32])
{
    crypto_generichash_state st;

    crypto_generichash_init(&st, NULL, 0, RINGID_LEN);
    crypto_generichash_update(&st, (const uint8_t *)RINGID_LABEL, strlen(RINGID_LABEL));
    crypto_generichash_update(&st, pub, 32);
    crypto_generichash_final(&st, id, RINGID_LEN);
}

void ringid_to_hex(char out[RINGID_HEX_LEN + 1], const uint8_t id[RINGID_LEN])
{
    static const char digits[] = "0123456789abcdef";

    for (int i = 0; i < RINGID_LEN; i++) {
        out[2 * i] = digits[id[i] >> 4];
        out[2 * i + 1] = digits[id[i] & 15];
    }
    out[RINGID_HEX_LEN] = '\0';
}

static int ringid_nibble(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

int ringid_from_hex(uint8_t id[RINGID_LEN], const char *s)
{
    memset(id, 0, RINGID_LEN);
    if (!s || strlen(s) != RINGID_HEX_LEN)
        return -EINVAL;
    for (int i = 0; i < RINGID_LEN; i++) {
        int hi = ringid_nibble(s[2 * i]), lo = ringid_nibble(s[2 * i + 1]);

        if (hi < 0 || lo < 0) {
            memset(id, 0, RINGID_LEN);
            return -EINVAL;
        }
        id[i] = (uint8_t)(hi << 4 | lo);
    }
    return 0;
}
