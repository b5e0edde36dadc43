/* SPDX-License-Identifier: GPL-2.0-only */
#ifndef OVL_OVERLAYD_DATAPATH_MSS_H
#define OVL_OVERLAYD_DATAPATH_MSS_H

/*
 * DOC: mss — TCP MSS clamping of SYNs crossing an enclave
 *
 * A guest left at MTU 1500 on an enclave whose inner MTU is smaller (1418
 * on a 1500-byte IPv4 underlay) sends full-size segments that the bridge
 * port drops before the daemon sees them: ping works, TCP stalls. The
 * daemon lowers the MSS option of every TCP SYN (and SYN-ACK) it carries,
 * out of the uplink TAP and into it, so both ends agree on segments that
 * fit (RFC 6691: the MSS counts neither IP nor TCP options, so the base
 * headers are what is subtracted):
 *
 *     IPv4: MSS <= inner MTU - 40   (IPv4 header 20 + TCP header 20)
 *     IPv6: MSS <= inner MTU - 60   (IPv6 header 40 + TCP header 20)
 *
 * An MSS already at or below that is left alone (never raised). The TCP
 * checksum is updated incrementally (RFC 1624, eqn. 3), so a frame whose
 * checksum was valid stays valid and no other byte changes. The checksum
 * must be complete: a frame with a partial checksum (a vnet header's
 * NEEDS_CSUM) holds only the pseudo-header sum there, which covers no
 * option, and must not come here.
 *
 * What is looked at: Ethernet, at most one 802.1Q or 802.1ad tag; IPv4
 * that is not a fragment; IPv6 with any hop-by-hop, routing and
 * destination-options headers before TCP (a fragment header, AH, ESP or
 * anything else: untouched, as is a jumbogram); the IP length bounds the
 * segment (Ethernet padding is not TCP). Every read is bounds-checked: any
 * byte string of any length is a valid input.
 *
 * Pure: no I/O, no clock, no allocation. May call: libc.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum mss_limits {
    MSS_V4_OVERHEAD = 40,               /* IPv4 base header + TCP base header */
    MSS_V6_OVERHEAD = 60,               /* IPv6 base header + TCP base header */
};

/*
 * Lower every MSS option of the TCP SYN in @frame (@len bytes) to what
 * fits in @inner_mtu and fix its checksum. Returns true when @frame was
 * changed (only MSS values and the TCP checksum are ever written), false
 * when nothing was: not such a SYN, no MSS option above the bound, or a
 * malformed frame.
 */
bool mss_clamp(uint8_t *frame, size_t len, unsigned inner_mtu);

#endif
