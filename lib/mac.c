/* SPDX-License-Identifier: GPL-2.0-only */
#include "lib/mac.h"

#include <errno.h>
#include <stdio.h>

static int hexval(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

int mac_parse(const char *s, uint8_t mac[6])
{
    for (int i = 0; i < 6; i++) {
        int hi = hexval(s[3 * i]), lo = hi < 0 ? -1 : hexval(s[3 * i + 1]);
        char sep;

        if (hi < 0 || lo < 0)
            return -EINVAL;
        sep = s[3 * i + 2];
        if ((i < 5 && sep != ':') || (i == 5 && sep != '\0'))
            return -EINVAL;
        mac[i] = (uint8_t)(hi << 4 | lo);
    }
    return 0;
}

void mac_format(const uint8_t mac[6], char out[MAC_STR_LEN + 1])
{
    snprintf(out, MAC_STR_LEN + 1, "%02x:%02x:%02x:%02x:%02x:%02x", mac[0], mac[1], mac[2],
             mac[3], mac[4], mac[5]);
}

bool mac_is_guest(const uint8_t mac[6])
{
    return !(mac[0] & 1) && (mac[0] | mac[1] | mac[2] | mac[3] | mac[4] | mac[5]);
}
