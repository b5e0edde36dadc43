/* SPDX-License-Identifier: GPL-2.0-only */
/* libFuzzer target: arbitrary bytes as a RevokedFile. What parses must
 * answer its own entries back (sorted, so the lookups must find them). */
#include "overlayd/config/config.h"

#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void fuzz_sink(void *ctx, const char *path, int line, const char *msg)
{
    size_t *total = ctx;

    *total += strlen(path) + strlen(msg) + (size_t)(line > 0);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct config_revoked r;
    size_t total = 0;

    if (config_parse_revoked("fuzz/revoked", (const char *)data, size, fuzz_sink, &total,
                             &r) != 0)
        return 0;
    for (size_t i = 0; i < r.n_keys; i++)
        if (!config_revoked_key(&r, r.keys[i]))
            abort();
    for (size_t i = 0; i < r.n_serials; i++)
        if (!config_revoked_serial(&r, r.serials[i]))
            abort();
    config_revoked_clear(&r);
    return 0;
}
