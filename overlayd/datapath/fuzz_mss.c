/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * libFuzzer target: the MSS clamp (mss.c) on arbitrary frames. Input: two
 * bytes of inner MTU (big-endian), then the frame. A naive second reading
 * of the frame, written apart from mss.c (byte by byte, no shared helper),
 * is the oracle:
 *  - a frame reported unchanged is byte-identical;
 *  - a changed frame differs only in MSS option values and the TCP checksum;
 *  - every MSS option the oracle finds in a SYN ends at min(old, bound);
 *  - a TCP checksum that was valid stays valid.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "overlayd/datapath/mss.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

enum { ORACLE_MAX_MSS = 40 };           /* options are at most 40 bytes: at most 10 MSS */

struct oracle {
    size_t ip, tcp, end;                /* offsets in the frame; end of the IP packet */
    bool v6;
    bool syn;
    size_t n_mss, mss_at[ORACLE_MAX_MSS];   /* offsets of MSS values in the frame */
};

static unsigned be16(const uint8_t *p)
{
    return (unsigned)p[0] * 256u + p[1];
}

/* The IPv6 chain to TCP: 0, 43 and 60 are walked, anything else ends it. */
static bool oracle_v6(const uint8_t *f, size_t n, struct oracle *o)
{
    size_t at, end;
    unsigned nh;

    if (n < o->ip + 40 || f[o->ip] / 16 != 6 || be16(f + o->ip + 4) == 0)
        return false;
    end = o->ip + 40 + be16(f + o->ip + 4);
    if (end > n)
        return false;
    nh = f[o->ip + 6];
    at = o->ip + 40;
    while (nh == 0 || nh == 43 || nh == 60) {
        if (at + 8 > end)
            return false;
        nh = f[at];
        at = at + 8 + 8 * (size_t)f[at + 1];
        if (at > end)
            return false;
    }
    if (nh != 6)
        return false;
    o->tcp = at;
    o->end = end;
    o->v6 = true;
    return true;
}

static bool oracle_v4(const uint8_t *f, size_t n, struct oracle *o)
{
    size_t hl, total;

    if (n < o->ip + 20 || f[o->ip] / 16 != 4)
        return false;
    hl = 4 * (size_t)(f[o->ip] % 16);
    total = be16(f + o->ip + 2);
    if (hl < 20 || total < hl || o->ip + total > n || f[o->ip + 9] != 6)
        return false;
    if ((f[o->ip + 6] & 0x3f) || f[o->ip + 7])          /* MF or an offset */
        return false;
    o->tcp = o->ip + hl;
    o->end = o->ip + total;
    return true;
}

/* Where TCP and its MSS options are, if anywhere. */
static bool oracle_read(const uint8_t *f, size_t n, struct oracle *o)
{
    unsigned type;
    size_t doff, i;

    memset(o, 0, sizeof(*o));
    if (n < 14)
        return false;
    type = be16(f + 12);
    o->ip = 14;
    if (type == 0x8100 || type == 0x88a8) {
        if (n < 18)
            return false;
        type = be16(f + 16);
        o->ip = 18;
    }
    if (!(type == 0x0800 ? oracle_v4(f, n, o) : type == 0x86dd ? oracle_v6(f, n, o) : false))
        return false;
    if (o->end - o->tcp < 20)
        return false;
    doff = 4 * (size_t)(f[o->tcp + 12] / 16);
    if (doff < 20 || o->tcp + doff > o->end)
        return false;
    o->syn = (f[o->tcp + 13] & 2) != 0;
    for (i = o->tcp + 20; i < o->tcp + doff;) {
        if (f[i] == 0)
            break;
        if (f[i] == 1) {
            i += 1;
            continue;
        }
        if (i + 1 >= o->tcp + doff || f[i + 1] < 2 || i + f[i + 1] > o->tcp + doff)
            break;
        if (f[i] == 2 && f[i + 1] == 4 && o->n_mss < ORACLE_MAX_MSS)
            o->mss_at[o->n_mss++] = i + 2;
        i += f[i + 1];
    }
    return true;
}

/* The checksum over pseudo-header and segment; true when it verifies. */
static bool oracle_csum_ok(const uint8_t *f, const struct oracle *o)
{
    uint64_t sum = 6 + (o->end - o->tcp);

    if (o->v6) {
        for (size_t i = o->ip + 8; i < o->ip + 40; i += 2)
            sum += be16(f + i);
    } else {
        for (size_t i = o->ip + 12; i < o->ip + 20; i += 2)
            sum += be16(f + i);
    }
    for (size_t i = o->tcp; i < o->end; i++)
        sum += (i - o->tcp) % 2 ? f[i] : 256u * f[i];
    while (sum >> 16)
        sum = (sum & 0xffff) + (sum >> 16);
    return sum == 0xffff;
}

static bool oracle_may_change(const struct oracle *o, size_t i)
{
    if (i == o->tcp + 16 || i == o->tcp + 17)
        return true;
    for (size_t k = 0; k < o->n_mss; k++)
        if (i == o->mss_at[k] || i == o->mss_at[k] + 1)
            return true;
    return false;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct oracle o;
    unsigned mtu, bound;
    bool found, valid, changed;
    uint8_t *f;
    size_t n;

    if (size < 2)
        return 0;
    mtu = be16(data);
    n = size - 2;
    f = malloc(n ? n : 1);              /* exactly n bytes: ASan sees any read past them */
    if (!f)
        return 0;
    memcpy(f, data + 2, n);
    found = oracle_read(f, n, &o);
    valid = found && oracle_csum_ok(f, &o);
    changed = mss_clamp(f, n, mtu);
    if (!changed && memcmp(f, data + 2, n))
        __builtin_trap();
    if (changed && (!found || !o.syn))
        __builtin_trap();
    for (size_t i = 0; i < n; i++)
        if (f[i] != data[2 + i] && !oracle_may_change(&o, i))
            __builtin_trap();
    if (found && o.syn) {
        bound = o.v6 ? mtu - 60 : mtu - 40;
        for (size_t k = 0; k < o.n_mss; k++) {
            unsigned was = be16(data + 2 + o.mss_at[k]), now_v = be16(f + o.mss_at[k]);

            if (mtu <= (o.v6 ? 60u : 40u) ? now_v != was : now_v != (was < bound ? was : bound))
                __builtin_trap();
        }
    }
    if (valid && !oracle_csum_ok(f, &o))
        __builtin_trap();
    free(f);
    return 0;
}
