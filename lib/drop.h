/* SPDX-License-Identifier: GPL-2.0-only */
#ifndef OVL_LIB_DROP_H
#define OVL_LIB_DROP_H

/*
 * DOC: drop — every discarded packet, frame or message has a named reason
 *
 * One discipline for the whole daemon (after BIRD's DROP()): the code that
 * discards something calls drop_count() with a reason from the table
 * below. That bumps the reason's counter, which `overlayctl status` shows
 * under its name (and `metrics` once it exists), and logs one line per
 * reason at most every DROP_LOG_INTERVAL_S, saying how many more were
 * dropped since the last line. Drops the link layer makes (crypto/link.h:
 * replay, authentication, unknown session, malformed, expired, rate limit)
 * are counted there, by the pure module, and shown beside these.
 *
 * Pure: the caller passes `now` (ns, any monotonic origin).
 */

#include <stdint.h>

/* X(ID, "status counter name", "what was dropped and why") */
#define DROP_REASONS(X)                                                                     \
    X(UNKNOWN_ENCLAVE, "drop_unknown_enclave",                                              \
      "frame or record of an enclave this host or the sender may not carry")                \
    X(INNER_MALFORMED, "drop_inner_malformed", "decrypted payload that does not parse")     \
    X(INNER_TYPE, "drop_inner_type", "decrypted payload of an unknown type or kind")        \
    X(NO_ROUTE, "drop_no_route", "unicast to a host that may not take the enclave: flooded") \
    X(FDB_FULL, "drop_fdb_full", "MAC not learned: the enclave's MAC table is full")        \
    X(RUNT, "drop_runt", "frame from an uplink shorter than an Ethernet header")            \
    X(OWN_MAC, "drop_own_mac", "frame the host itself sent on the bridge (IGMP, ...)")      \
    X(LOCAL_DST, "drop_local_dst",                                                        \
      "frame to a local MAC: the (external) bridge delivered it already") \
    X(SPOOF, "drop_spoof",                                                                  \
      "guest frame from a source MAC or IP not its own (attach --mac, [Member] Address)")  \
    X(POLICY, "drop_policy",                                                                \
      "frame the enclave's [Policy] does not allow (nor a reply of a flow it allowed)")    \
    X(PORT_UNKNOWN, "drop_port_unknown",                                                    \
      "frame on an enclave bridge from a port that overlayd did not attach")              \
    X(PORT_MTU, "drop_port_mtu",                                                            \
      "frame for a guest port longer than its MTU (the inner MTU)")                         \
    X(TAP_READ, "drop_tap_read", "uplink TAP read failed")                                  \
    X(TAP_WRITE, "drop_tap_write", "frame not written to the uplink TAP")                   \
    X(FACTS_FULL, "drop_facts_full", "data-path fact not queued for the ring: queue full")  \
    X(RING_NO_LINK, "drop_ring_no_link", "ring message to a host we may not link to")      \
    X(RING_NOT_CARRY, "drop_ring_not_carry",                                                \
      "resolved MAC at a host that may not carry the enclave")                              \
    X(RING_PEER_CAP, "drop_ring_peer_cap", "on-demand link refused: peer table full")       \
    X(RING_BINDING, "drop_ring_binding",                                                    \
      "ring IP binding not cached: other enclave or address, a non-carrier, not unicast, "  \
      "or a [Member] Address owns it")                                                      \
    X(RELAY_DROPPED, "drop_relay", "relayed ring message with no next hop or out of hops") \
    X(RELAY_REFUSED, "drop_relay_refused", "relayed ring message from a host not admitted") \
    X(RELAY_REPLAY, "drop_relay_replay",                                                   \
      "relayed ring message seen before, stamped more than 60 s from our clock, or over its origin's 512 a minute") \
    X(DETOUR_REFUSED, "drop_detour_refused",                                               \
      "detour to a host we hold no live direct link to, back to its sender, or nested")    \
    X(DETOUR_RATELIMIT, "drop_detour_ratelimit", "detour over the source's relay budget") \
    X(DETOUR_SPOOF, "drop_detour_spoof",                                                  \
      "relayed link packet not from the host the relay named") \
    X(DETOUR_SEND, "drop_detour_send",                                                    \
      "detour packet the relay's link refused to send (too large, or out of memory)") \
    X(PROBE_MALFORMED, "drop_probe_malformed",                                              \
      "probe of a bad length, flags or reserved bits")                                      \
    X(PROBE_STALE, "drop_probe_stale",                                                      \
      "probe reply not for a probe in flight: duplicate, late, unknown sequence or time")  \
    X(CLAIM_UNADMITTED, "drop_claim_unadmitted",                                            \
      "MAC location claim from a host not admitted to the enclave")                         \
    X(CLAIM_RATELIMIT, "drop_claim_ratelimit",                                              \
      "claim of a MAC learned here not announced at once (over the rate): the next refresh does") \
    X(RESOLVE_RATELIMIT, "drop_resolve_ratelimit",                                          \
      "unknown unicast MAC not looked up on the ring: over the rate of lookups (flooded only)") \
    X(ENCLAVES_EXTRA, "drop_enclaves_extra",                                                \
      "ENCLAVES TLV after the first in one control message (ignored)")                      \
    X(ENCLAVES_RATELIMIT, "drop_enclaves_ratelimit",                                        \
      "enclave set taken but not answered at once (REQUEST or new enclave over the peer's " \
      "rate): the next refresh does")                                                       \
    X(CLAIM_SEQ, "drop_claim_seq",                                                          \
      "MAC claim whose sequence number leads the one held by more than 1024, or a new "     \
      "MAC's above 2^32 - 1")                                                               \
    X(LOOKUP_BUSY, "drop_lookup_busy",                                                      \
      "ring lookup not started: the enclave has 32 in flight (flooded, or asked again later)") \
    X(REVOKED, "drop_revoked",                                                              \
      "handshake from a host whose key or certificate serial is in the RevokedFile")      \
    X(OFFLOAD_BAD, "drop_offload_bad",                                                      \
      "frame whose virtio_net_hdr (partial checksum, super-frame) does not match its headers") \
    X(PEER_NO_OFFLOAD, "drop_peer_no_offload",                                              \
      "frame too long for one datagram to a host that takes no fragments (older version)") \
    X(TOO_LONG, "drop_too_long",                                                            \
      "frame from a guest or broadcast from a peer longer than a jumbo frame (9216-byte MTU), not a super-frame")

enum drop_reason {
#define DROP_ENUM(id, name, why) DROP_##id,
    DROP_REASONS(DROP_ENUM)
#undef DROP_ENUM
    DROP__N
};

enum { DROP_LOG_INTERVAL_S = 10 };

struct drop_stats {
    uint64_t n[DROP__N];
    uint64_t logged_at[DROP__N];        /* ns; 0: never logged */
    uint64_t unlogged[DROP__N];         /* counted since the last line */
};

/* Count one drop of @r at @now; @fmt describes this one (who, which enclave). */
void drop_count(struct drop_stats *s, enum drop_reason r, uint64_t now, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
/* "drop_fdb_full" etc.; NULL for an out-of-range reason. */
const char *drop_name(enum drop_reason r);
const char *drop_why(enum drop_reason r);

#endif
