/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * libFuzzer target: frames a guest could send, through what datapath/tx.c
 * does with ARP and neighbour discovery: snoop a binding into a table,
 * parse a question, answer it from the table; and what a ring answer
 * could put there (the target of the question, the frame's last bytes as
 * MAC and sequence number): a ring binding never displaces a local one.
 */
#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "overlayd/datapath/neigh.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static struct neigh_table *t;
    static const uint8_t fallback[6] = { 0x52, 0x54, 0, 0, 0, 1 };
    struct neigh_query q;
    struct neigh_ip ip;
    const struct neigh_entry *x;
    uint8_t mac[6], out[NEIGH_REPLY_MAX];
    int n;

    if (!t && neigh_table_new(16, 1, &t) < 0)
        return 0;
    if (neigh_snoop(data, size, &ip, mac) == 0 && neigh_learn(t, &ip, mac, size) < 0 &&
        neigh_lookup(t, &ip) == NULL)
        __builtin_trap();
    if (neigh_parse(data, size, &q) == 0) {
        if (size >= 14) {
            const struct neigh_entry *was = neigh_lookup(t, &q.target);
            bool local = was && was->origin == NEIGH_ORIGIN_LOCAL;
            uint64_t seq = 0;
            int rc;

            memcpy(&seq, data + size - 8, 8);
            rc = neigh_learn_ring(t, &q.target, data + size - 14, seq, size);
            x = neigh_lookup(t, &q.target);
            if ((local && ((rc != -EEXIST && rc != -EINVAL) || !x ||
                           x->origin != NEIGH_ORIGIN_LOCAL)) ||
                (rc == 0 && (!x || x->origin != NEIGH_ORIGIN_RING || x->seq != seq)))
                __builtin_trap();
        }
        x = neigh_lookup(t, &q.target);
        n = neigh_reply(&q, x ? x->mac : fallback, out, sizeof(out));
        if (n < 0 || (size_t)n > sizeof(out))
            __builtin_trap();
        /* What we answer must itself parse as a binding of the target. */
        if (neigh_snoop(out, (size_t)n, &ip, mac) != 0 || memcmp(&ip, &q.target, sizeof(ip)))
            __builtin_trap();
    }
    neigh_age(t, size * 1000, 500);
    neigh_age_ring(t, size * 1000, 200);
    return 0;
}
