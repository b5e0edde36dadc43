/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The tie rule between two hosts claiming one MAC at one sequence number
 * (fdb.h). Ordering by the keys themselves let the lowest key win every
 * tie of every MAC, and a key with leading zero bytes costs a few
 * thousand tries to make. A hash over key, MAC and number gives each tie
 * its own draw, the same on every host.
 */
#include "overlayd/datapath/fdb.h"

#include <string.h>
#include <sodium.h>

static void fdb_tie_rank(const uint8_t key[32], const uint8_t mac[6], uint64_t seq,
                         uint8_t out[16])
{
    static const char label[] = "overlayd mac tie v1";
    crypto_generichash_state st;
    uint8_t s[8];

    for (int i = 0; i < 8; i++)
        s[i] = (uint8_t)(seq >> (56 - 8 * i));
    crypto_generichash_init(&st, NULL, 0, 16);
    crypto_generichash_update(&st, (const uint8_t *)label, sizeof(label) - 1);
    crypto_generichash_update(&st, key, 32);
    crypto_generichash_update(&st, mac, 6);
    crypto_generichash_update(&st, s, sizeof(s));
    crypto_generichash_final(&st, out, 16);
}

int fdb_tie_order(const uint8_t ka[32], const uint8_t kb[32], const uint8_t mac[6],
                  uint64_t seq)
{
    uint8_t ra[16], rb[16];
    int c;

    if (memcmp(ka, kb, 32) == 0)
        return 0;
    fdb_tie_rank(ka, mac, seq, ra);
    fdb_tie_rank(kb, mac, seq, rb);
    c = memcmp(ra, rb, 16);
    /* 2^-128: fall back on the keys, still a total order */
    return c ? c : memcmp(ka, kb, 32);
}
