/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * libFuzzer target: ring_wire_decode() on arbitrary bytes must never
 * crash, a decoded message must re-encode to the same bytes (so the
 * decoder accepts exactly what the encoder can produce, RECS copies/ttl
 * included), and a live node fed the bytes (from a fixed peer) must
 * survive, both without a carry policy and with one that forbids odd
 * enclaves, and enclaves with bit 1 set to the node's successor[0]
 * (delegation, probes, refusals, replica lookups past a non-carrier,
 * RECS drops). The node remembers a host beyond its neighbours, so UNITY
 * and ZIP messages meet a node that runs unity checks.
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

static bool fz_may_carry(void *ctx, const ring_id *host, uint32_t enclave)
{
    (void)ctx;
    return !(enclave & 1) && !(host->b[0] == 0x80 && (enclave & 2));
}

static void feed(const ring_callbacks *cb, const uint8_t *data, size_t size)
{
    ring_config cfg;
    ring_peer self, from, other, far, succ[2];
    struct ring_node *n;

    memset(&self, 0, sizeof(self));
    memset(&from, 0, sizeof(from));
    memset(&other, 0, sizeof(other));
    self.id.b[0] = 0x40;
    from.id.b[0] = 0xc0;
    from.pub[0] = 1;
    other.id.b[0] = 0x80;
    far = other;
    far.id.b[0] = 0x10;
    ring_config_default(&cfg);
    n = ring_node_new(&cfg, cb, &self);
    if (!n)
        return;
    /* A three-member ring, so replicas have somewhere to go. */
    succ[0] = other;
    succ[1] = from;
    ring_node_bulk_init(n, 1000, &from, succ, 2, &other, 1);
    ring_node_remember(n, 1000, &far);
    ring_node_on_message(n, 2000, &from, data, size);
    ring_node_on_timeout(n, ring_node_next_deadline(n));
    ring_node_on_message(n, 3000000000ULL, &from, data, size);
    ring_node_free(n);
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
    feed(&cb, data, size);
    cb.may_carry = fz_may_carry;
    feed(&cb, data, size);
    return 0;
}
