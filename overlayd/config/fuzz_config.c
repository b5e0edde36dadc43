/* SPDX-License-Identifier: GPL-2.0-only */
/* libFuzzer target: arbitrary bytes as an enclave file and as a host
 * config (from memory: no key files, no EnclaveDir). */
#include "overlayd/config/config.h"

#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Touch every byte of each message so ASan sees bad formatting. */
static void fuzz_sink(void *ctx, const char *path, int line, const char *msg)
{
    size_t *total = ctx;

    *total += strlen(path) + strlen(msg) + (size_t)(line > 0);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static struct config cfg;                /* large: keep it off the stack */
    static struct config_enclave enc;
    size_t total = 0;

    if (config_parse_enclave("fuzz/enclave.conf", (const char *)data, size, fuzz_sink, &total,
                             &enc) == 0)
        config_enclave_clear(&enc);
    if (config_parse_host("fuzz/overlayd.conf", (const char *)data, size, fuzz_sink, &total,
                          &cfg) == 0) {
        (void)config_inner_mtu(&cfg, NULL, 1500);
        config_clear(&cfg);
    }
    return 0;
}
