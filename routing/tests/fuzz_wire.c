/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * libFuzzer target: ring_wire_decode() on arbitrary bytes must never
 * crash, a decoded message must re-encode to the same bytes, and a live
 * node fed the bytes (from a fixed peer) must survive.
 */
#include "routing/ring.h"
#include "routing/wire.h"

#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void fz_send(void *ctx, const ring_peer *to, const uint8_t *buf, size_t len)
{
}

static uint64_t fz_rand(void *ctx)
{
    static uint64_t x = 88172645463325252ULL;

    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    return x;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static ring_msg m;
    static uint8_t out[RING_MSG_MAX];
    ring_config cfg;
    ring_callbacks cb = { .send = fz_send, .rand = fz_rand };
    ring_peer self, from;
    struct ring_node *n;

    if (ring_wire_decode(&m, data, size) == 0) {
        int len = ring_wire_encode(&m, out, sizeof(out));

        if (len < 0 || (size_t)len != size || memcmp(out, data, size) != 0)
            abort();
    }
    memset(&self, 0, sizeof(self));
    memset(&from, 0, sizeof(from));
    self.id.b[0] = 0x40;
    from.id.b[0] = 0xc0;
    from.pub[0] = 1;
    ring_config_default(&cfg);
    n = ring_node_new(&cfg, &cb, &self);
    if (!n)
        return 0;
    ring_node_create(n, 1000);
    ring_node_on_message(n, 2000, &from, data, size);
    ring_node_on_timeout(n, ring_node_next_deadline(n));
    ring_node_on_message(n, 3000000000ULL, &from, data, size);
    ring_node_free(n);
    return 0;
}
