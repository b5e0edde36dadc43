/* SPDX-License-Identifier: GPL-2.0-only */
#ifndef OVL_OVERLAYD_DATAPATH_NEIGH_H
#define OVL_OVERLAYD_DATAPATH_NEIGH_H

/*
 * DOC: neigh — ARP and IPv6 neighbour discovery suppression (EVPN-style)
 *
 * Frames (neigh.c): recognise an ARP request or a Neighbour Solicitation
 * a host may answer for its guests (neigh_parse), build the ARP reply or
 * Neighbour Advertisement for it (neigh_reply), and read the IP -> MAC
 * binding an ARP, NS or NA announces (neigh_snoop). Untagged Ethernet
 * only; IPv6 without extension headers (a neighbour discovery message
 * never has any in practice, and one we do not parse is simply flooded).
 *
 * Table (neigh_table.c): per enclave, IP (v4 and v6) -> MAC, bounded and
 * preallocated (no allocation after neigh_table_new). Each entry has an
 * origin, and an origin never gives way to a weaker one:
 *   static — `[Member] MAC` + `Address`; never aged, evicted or changed by
 *            learning or the ring;
 *   local  — learned from a guest of this host (its own ARP/ND frames read
 *            from the uplink TAP); the daemon publishes these on the ring;
 *   ring   — a binding another host published, fetched when a guest asked
 *            for an address nobody here knew; never replaces a local one.
 * Local and ring entries age (one LRU list in last-seen order); when the
 * table is full the least recently seen of them makes room; a table full
 * of statics refuses. A binding whose MAC changes takes the sequence number
 * of the one it replaces plus one (EVPN MAC mobility, RFC 7432 §15, applied
 * to addresses), so its ring record wins over the old one.
 *
 * Pure: no I/O, no clock (`now` in ns comes in), no allocation per frame.
 * May call: libc.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum neigh_limits {
    NEIGH_DEFAULT_MAX = 4096,           /* bindings per enclave */
    NEIGH_LEARNED_AGE_S = 300,          /* like learned MACs */
    NEIGH_RING_AGE_S = 60,              /* a ring binding is asked for again after this */
    NEIGH_REPLY_MAX = 86,               /* Ethernet 14 + IPv6 40 + NA 32 */
    NEIGH_ARP_REPLY_LEN = 60,           /* 42 padded to the Ethernet minimum */
};

enum neigh_kind { NEIGH_ARP = 1, NEIGH_NS = 2 };

/* An IPv4 (family 4, first 4 bytes of ip) or IPv6 (family 6) address. */
struct neigh_ip {
    uint8_t family;
    uint8_t ip[16];
};

/* A request the host may answer. */
struct neigh_query {
    enum neigh_kind kind;
    uint8_t eth_src[6];                 /* where the reply goes */
    uint8_t asker_mac[6];               /* ARP sender / NS source link-layer option */
    struct neigh_ip asker;              /* ARP sender IP / NS IPv6 source */
    struct neigh_ip target;             /* the address asked for */
};

/*
 * @frame is an ARP request (not a probe or gratuitous ARP) or a multicast
 * NS (not DAD) that could be answered: fills @q. Returns 0, -ENOENT (some
 * other frame, or a request not to answer), -EBADMSG (malformed ARP/NS).
 */
int neigh_parse(const uint8_t *frame, size_t len, struct neigh_query *q);

/*
 * The answer to @q: @mac owns q->target. Writes an ARP reply
 * (NEIGH_ARP_REPLY_LEN bytes) or a Neighbour Advertisement (solicited and
 * override flags, target link-layer option) into @out. Returns its length
 * or -ENOSPC.
 */
int neigh_reply(const struct neigh_query *q, const uint8_t mac[6], uint8_t *out, size_t cap);

/*
 * The binding @frame announces about its sender: ARP request or reply
 * (sender IP and MAC), NS (IPv6 source and source link-layer option), NA
 * (target and target link-layer option). Only when that MAC is the
 * frame's Ethernet source, and the IP a unicast one. Returns 0, -ENOENT.
 */
int neigh_snoop(const uint8_t *frame, size_t len, struct neigh_ip *ip, uint8_t mac[6]);

/* The ICMPv6 checksum of @msg (@len bytes, its checksum field as is) from @src to @dst. */
uint16_t neigh_icmp6_csum(const uint8_t src[16], const uint8_t dst[16], const uint8_t *msg,
                          size_t len);

/* ---- the binding table ---- */

enum neigh_origin {
    NEIGH_ORIGIN_STATIC = 1,            /* [Member] MAC + Address */
    NEIGH_ORIGIN_LOCAL = 2,             /* a guest of this host said so (published) */
    NEIGH_ORIGIN_RING = 3,              /* another host's published binding (cached) */
};

struct neigh_entry {
    struct neigh_ip ip;
    uint8_t mac[6];
    bool used;
    bool is_static;                     /* origin == NEIGH_ORIGIN_STATIC */
    uint8_t origin;                     /* enum neigh_origin */
    uint64_t seq;                       /* local: ours to publish; ring: the record's */
    uint64_t last_seen;                 /* ns; learned entries */
    uint32_t next;                      /* internal: chain, index + 1 */
    uint32_t lru_prev, lru_next;        /* internal: learned entries, index + 1 */
};

struct neigh_table;

/* @max entries (>= 1); @seed keys the hash. Returns 0, -EINVAL, -ENOMEM. */
int neigh_table_new(size_t max, uint64_t seed, struct neigh_table **out);
void neigh_table_free(struct neigh_table *t);

const struct neigh_entry *neigh_lookup(const struct neigh_table *t, const struct neigh_ip *ip);

/*
 * Binding a local guest announced at @now (origin local; it replaces a
 * ring entry). Returns 0 (added, refreshed or moved), -EPERM (a static
 * binding owns @ip), -ENOSPC (full of statics).
 */
int neigh_learn(struct neigh_table *t, const struct neigh_ip *ip, const uint8_t mac[6],
                uint64_t now);

/*
 * Binding another host published (@seq: its record's), fetched at @now.
 * Returns 0 (added or refreshed), -EPERM (a static binding owns @ip),
 * -EEXIST (a local guest's binding does), -EINVAL (@mac not unicast, @ip
 * not a unicast address), -ENOSPC (full of statics).
 */
int neigh_learn_ring(struct neigh_table *t, const struct neigh_ip *ip, const uint8_t mac[6],
                     uint64_t seq, uint64_t now);

/* Entry @i (0 .. neigh_capacity() - 1) or NULL when that slot is free. */
const struct neigh_entry *neigh_at(const struct neigh_table *t, size_t i);
size_t neigh_capacity(const struct neigh_table *t);

/* @ip is a unicast address of its family (what neigh_snoop learns). */
bool neigh_ip_unicast(const struct neigh_ip *ip);

/* Static binding (replaces a learned one). Returns 0 or -ENOSPC. */
int neigh_set_static(struct neigh_table *t, const struct neigh_ip *ip, const uint8_t mac[6]);

/*
 * Static binding from a `[Member] Address` as written ("10.0.0.1/24",
 * "fd00::1/64"; the prefix length is ignored). Returns 0, -EINVAL, -ENOSPC.
 */
int neigh_set_static_text(struct neigh_table *t, const char *address, const uint8_t mac[6]);

/* Remove every static binding (before loading a new configuration). */
void neigh_clear_static(struct neigh_table *t);

/* Remove learned bindings not seen for more than @max_age_ns. Returns the count. */
size_t neigh_age(struct neigh_table *t, uint64_t now, uint64_t max_age_ns);
/* Remove ring bindings fetched more than @max_age_ns ago (a whole-table
 * walk: they sit among the learned ones in the LRU list). Returns the count. */
size_t neigh_age_ring(struct neigh_table *t, uint64_t now, uint64_t max_age_ns);

size_t neigh_count(const struct neigh_table *t);

#endif
