/* SPDX-License-Identifier: GPL-2.0-only */
#ifndef OVL_OVERLAYD_DATAPATH_FW_H
#define OVL_OVERLAYD_DATAPATH_FW_H

/*
 * DOC: fw — an enclave's `[Policy]` on one frame, with replies (pure)
 *
 * fw_check() reads one Ethernet frame and says whether it may go on:
 *   - ARP, RARP (a migrated VM's first frames), IPv6 neighbour discovery
 *     (ICMPv6 133-137) and MLD (130-132, 143) always pass;
 *   - a frame of a flow seen passing, in either direction, passes: that
 *     is what makes replies of allowed flows pass. A flow is both MACs,
 *     IP version, protocol, both addresses and both ports (an ICMP echo's
 *     id for ports); it is remembered for FW_IDLE_* after its last frame;
 *   - an ICMP error passes when the packet it quotes belongs to such a
 *     flow, was sent by the error's receiver (quoted source = outer
 *     destination) to the error's sender's MAC (path MTU discovery needs
 *     "fragmentation needed" back); another quote is refused;
 *   - anything else is asked of @allows (the rules): IP protocol and
 *     destination port, 0 for non-IP frames and frames behind a VLAN tag
 *     (only an `any` rule lets those by), 0 as the port of a fragment
 *     that is not the first (only a rule without ports lets it by).
 *     Allowed, the flow is remembered;
 *   - IPv4 and IPv6 headers cut short are refused.
 * The flow table has a fixed size and never grows: when a slot's
 * neighbourhood is full, the flow that would go idle first makes room
 * (counted in evictions). No clock here: @now comes in, in ns.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum {
    FW_SLOTS_DEFAULT = 8192,
    FW_PROBE = 8,                       /* slots a flow may sit in, from its hash */
};

#define FW_IDLE_TCP_NS  (600ULL * 1000000000ULL)
#define FW_IDLE_UDP_NS  (120ULL * 1000000000ULL)
#define FW_IDLE_ICMP_NS (30ULL * 1000000000ULL)
#define FW_IDLE_OTHER_NS (60ULL * 1000000000ULL)

/* A flow is between two guests, so the MACs the rules judged are part of
 * it: the same addresses and ports to another MAC are another flow. */
struct fw_flow {
    uint8_t family;                     /* 4 or 6; 0: not IP */
    uint8_t proto;
    uint16_t sport, dport;
    uint8_t src[16], dst[16];
    uint8_t src_mac[6], dst_mac[6];
};

enum fw_kind {
    FW_ALWAYS,                          /* ARP, RARP, ND, MLD */
    FW_FLOW,                            /* IP: flow filled in */
    FW_ICMP_ERROR,                      /* flow: the quoted packet's */
    FW_NOT_IP,                          /* other ethertypes, tagged frames */
    FW_MALFORMED,
};

struct fw_pkt {
    enum fw_kind kind;
    struct fw_flow flow;
    bool fragment;                      /* not the first: no ports seen */
};

enum fw_verdict {
    FW_PASS_ALWAYS,
    FW_PASS_TRACKED,                    /* a flow seen passing, either way */
    FW_PASS_RULE,                       /* @allows said yes: flow remembered */
    FW_DENY,
    FW_DENY_MALFORMED,
};

struct fw_table;

/* @slots is rounded up to a power of two; @key seeds the flow hash (a
 * guest must not choose which flows collide). NULL on allocation failure. */
struct fw_table *fw_table_new(size_t slots, const uint8_t key[16]);
void fw_table_free(struct fw_table *t);
/* Forget every flow (the rules changed). */
void fw_table_flush(struct fw_table *t);
size_t fw_table_flows(const struct fw_table *t, uint64_t now);
uint64_t fw_table_evictions(const struct fw_table *t);

int fw_classify(const uint8_t *frame, size_t len, struct fw_pkt *p);

/* @allows(@ctx, proto, dport): does a rule let this frame's sender reach
 * its receiver? Called only when no flow decides, so names can be looked
 * up lazily. */
typedef bool (*fw_allows_fn)(void *ctx, uint8_t proto, uint16_t dport);

enum fw_verdict fw_check(struct fw_table *t, const uint8_t *frame, size_t len, uint64_t now,
                         fw_allows_fn allows, void *ctx);

static inline bool fw_passes(enum fw_verdict v)
{
    return v <= FW_PASS_RULE;
}

#endif
