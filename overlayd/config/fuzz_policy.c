/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * libFuzzer target: an Allow value (up to the first NUL), then a source
 * name, a destination name (NUL-separated), a protocol byte and two port
 * bytes to ask about. A rule that parses must print as text that parses
 * to the same rule, and answer without reading past its strings.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "overlayd/config/policy.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct policy_rule r, again;
    char *text = malloc(size + 1), err[160], buf[200];
    const char *src, *dst;
    size_t n;

    if (!text)
        return 0;
    memcpy(text, data, size);
    text[size] = 0;
    n = strlen(text);
    if (policy_rule_parse(text, &r, err, sizeof(err)) == 0) {
        policy_rule_format(&r, buf, sizeof(buf));
        if (policy_rule_parse(buf, &again, err, sizeof(err)) != 0 ||
            memcmp(&r, &again, sizeof(r)) != 0)
            __builtin_trap();
        src = n + 1 <= size ? text + n + 1 : "";
        dst = src[0] || n + 1 < size ? src + strlen(src) + (src < text + size) : "";
        if (dst > text + size)
            dst = "";
        (void)policy_rule_allows(&r, src, dst, size >= 3 ? data[size - 3] : 6,
                                 size >= 2 ? (uint16_t)(data[size - 2] << 8 | data[size - 1]) : 0);
    }
    free(text);
    return 0;
}
