/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * libFuzzer target: frames a guest or a peer could send, through what
 * datapath/tx.c and rx.c do with ARP and neighbour discovery: snoop a
 * binding into a table, parse a question, answer it from the table.
 */
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
        x = neigh_lookup(t, &q.target);
        n = neigh_reply(&q, x ? x->mac : fallback, out, sizeof(out));
        if (n < 0 || (size_t)n > sizeof(out))
            __builtin_trap();
        /* What we answer must itself parse as a binding of the target. */
        if (neigh_snoop(out, (size_t)n, &ip, mac) != 0 || memcmp(&ip, &q.target, sizeof(ip)))
            __builtin_trap();
    }
    neigh_age(t, size * 1000, 500);
    return 0;
}
