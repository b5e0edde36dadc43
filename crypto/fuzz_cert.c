/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * libFuzzer target for the certificate parsers: the binary parser (what a
 * peer sends in its handshake), the text loader (what an operator pastes)
 * and the overlayctl argument parsers. Whatever parses must also survive
 * a text round trip unchanged.
 */
#include "crypto/cert.h"

#include <stdlib.h>
#include <string.h>

#include <sodium.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct cert c1, c2;
static char text[CERT_TEXT_MAX];

static void round_trip(const struct cert *c)
{
    char why[256];
    int n = cert_to_text(c, text, sizeof(text));

    if (n < 0)
        abort();
    if (cert_load_text(text, (size_t)n, &c2, why, sizeof(why)) != 0)
        abort();
    if (c2.raw_len != c->raw_len || memcmp(c2.raw, c->raw, c->raw_len) != 0)
        abort();
    /* Results are irrelevant here; the calls must merely be safe. */
    (void)cert_verify(c, c->authority_pub, c->not_before, c->host_pub);
    (void)cert_allows_enclave(c, c->n_enclaves ? c->enclaves[0] : 1);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static int ready;
    char why[256];
    char *s;

    if (!ready) {
        if (sodium_init() < 0)
            abort();
        ready = 1;
    }
    if (cert_parse_why(data, size, &c1, why, sizeof(why)) == 0)
        round_trip(&c1);
    if (cert_load_text((const char *)data, size, &c1, why, sizeof(why)) == 0)
        round_trip(&c1);

    if (size <= 4096) {
        uint32_t ids[CERT_MAX_ENCLAVES];
        uint64_t secs;
        size_t n;
        bool all;

        s = malloc(size + 1);
        if (!s)
            return 0;
        memcpy(s, data, size);
        s[size] = '\0';
        if (cert_parse_enclave_list(s, &all, ids, CERT_MAX_ENCLAVES, &n, why, sizeof(why)) == 0) {
            for (size_t i = 1; i < n; i++)
                if (ids[i - 1] >= ids[i])
                    abort();
        }
        if (cert_parse_duration(s, &secs) == 0 && (secs == 0 || secs > CERT_DURATION_MAX))
            abort();
        free(s);
    }
    return 0;
}
