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
 *
 * Ring trust (routing/trust.c): those runs place hosts at chosen ids
 * (cfg.bind_ids off, so the bytes reach every handler); a last run uses
 * hosts whose ids are the hashes of their keys, with id checks on, tiny
 * store quotas, and a policy that also forbids enclaves with bit 2 set
 * to the sender — its RECS, GETs, PROBEs and probe answers are then
 * refused — so the trust filter, the sequence and lifetime bounds and the
 * quotas all meet fuzzed input.
 */
#include "routing/ring.h"
#include "routing/wire.h"
#include "crypto/ringid.h"

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

/* Hosts of the bound run: self, sender, successor, remembered host. */
static ring_peer fz_bound[4];

static bool fz_may_carry(void *ctx, const ring_id *host, uint32_t enclave)
{
    const ring_peer *p = ctx;

    if (p && ring_id_eq(host, &p[1].id) && (enclave & 4))
        return false;       /* the sender may not carry it */
    if (p ? ring_id_eq(host, &p[2].id) : host->b[0] == 0x80)
        return !(enclave & 1) && !(enclave & 2);
    return !(enclave & 1);
}

static void fz_peers(ring_peer *self, ring_peer *from, ring_peer *other, ring_peer *far,
                     bool bound)
{
    if (bound) {
        *self = fz_bound[0];
        *from = fz_bound[1];
        *other = fz_bound[2];
        *far = fz_bound[3];
        return;
    }
    memset(self, 0, sizeof(*self));
    memset(from, 0, sizeof(*from));
    memset(other, 0, sizeof(*other));
    self->id.b[0] = 0x40;
    from->id.b[0] = 0xc0;
    from->pub[0] = 1;
    other->id.b[0] = 0x80;
    *far = *other;
    far->id.b[0] = 0x10;
}

static void feed(const ring_callbacks *cb, const ring_config *cfg, bool bound,
                 const uint8_t *data, size_t size)
{
    ring_peer self, from, other, far, succ[2];
    struct ring_node *n;

    fz_peers(&self, &from, &other, &far, bound);
    n = ring_node_new(cfg, cb, &self);
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

static void fz_bound_init(void)
{
    if (fz_bound[0].ep.family)
        return;
    for (unsigned i = 0; i < 4; i++) {
        memset(fz_bound[i].pub, (int)(0x31 * (i + 1)), sizeof(fz_bound[i].pub));
        ringid_from_pubkey(fz_bound[i].id.b, fz_bound[i].pub);
        fz_bound[i].ep.family = 4;
        fz_bound[i].ep.port = (uint16_t)(7000 + i);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static ring_msg m;
    static uint8_t out[RING_MSG_MAX];
    ring_config cfg;
    ring_callbacks cb = { .send = fz_send, .rand = fz_rand };
    ring_peer self, from, other, far;
    struct ring_node *n;

    if (ring_wire_decode(&m, data, size) == 0) {
        int len = ring_wire_encode(&m, out, sizeof(out));

        if (len < 0 || (size_t)len != size || memcmp(out, data, size) != 0)
            abort();
    }
    fz_peers(&self, &from, &other, &far, false);
    ring_config_default(&cfg);
    cfg.bind_ids = false;       /* hosts at chosen ids: every handler is reached */
    n = ring_node_new(&cfg, &cb, &self);
    if (!n)
        return 0;
    ring_node_create(n, 1000);
    ring_node_on_message(n, 2000, &from, data, size);
    ring_node_on_timeout(n, ring_node_next_deadline(n));
    ring_node_on_message(n, 3000000000ULL, &from, data, size);
    ring_node_free(n);
    feed(&cb, &cfg, false, data, size);
    cb.may_carry = fz_may_carry;
    feed(&cb, &cfg, false, data, size);
    /* Bound ids, id checks on, quotas a message can fill. */
    fz_bound_init();
    ring_config_default(&cfg);
    cfg.quota_host = 2;
    cfg.quota_enclave = 3;
    cfg.quota_total = 4;
    cb.ctx = fz_bound;
    feed(&cb, &cfg, true, data, size);
    return 0;
}
