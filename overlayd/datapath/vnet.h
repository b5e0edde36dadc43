/* SPDX-License-Identifier: GPL-2.0-only */
#ifndef OVL_OVERLAYD_DATAPATH_VNET_H
#define OVL_OVERLAYD_DATAPATH_VNET_H

/*
 * DOC: vnet — virtio-net headers of a TAP opened with IFF_VNET_HDR
 *
 * With TUNSETOFFLOAD the kernel hands the TAP reader frames whose
 * checksum is left partial (NEEDS_CSUM: the field holds the pseudo-header
 * sum, virtio 1.1, 5.1.6.2) and TCP or UDP "super-frames" of up to 64 KiB
 * that the reader must cut into wire-size segments itself (GSO). Each
 * frame comes after a 10-byte struct virtio_net_hdr (little-endian, see
 * <linux/virtio_net.h>). This module reads and writes that header, checks
 * it against the frame, completes partial checksums and segments.
 *
 * What a GSO frame must be (vnet_check): NEEDS_CSUM set, gso_size > 0;
 * Ethernet, at most one 802.1Q or 802.1ad tag; IPv4 (not a fragment) or
 * IPv6 with any hop-by-hop, destination-options and routing headers (a
 * routing header only with no segments left: the pseudo-header would need
 * the final destination); then the TCP or UDP header the gso_type names;
 * csum_start at that header and csum_offset at its checksum field; no TCP
 * SYN; at most VNET_SEGS_MAX segments; the IP length covering exactly the
 * rest of the frame (as the kernel writes it, so a truncated frame is
 * refused). hdr_len is never read: the headers are measured. Old UDP
 * fragmentation offload (UFO) is refused.
 *
 * Segmentation (vnet_segment) copies the headers in front of each
 * gso_size slice of the payload and writes, per segment: the IPv4 total
 * length, id (+1 per segment) and header checksum, or the IPv6 payload
 * length; the TCP sequence number (+gso_size per segment), FIN, PSH and
 * RST on the last segment only, CWR on the first only; or the UDP length.
 * Every TCP/UDP checksum is computed from scratch over the pseudo-header
 * (RFC 793, RFC 768, RFC 8200 8.1) and the segment: nothing the kernel
 * left in the field is used. A checksum that computes to 0 is sent as
 * 0xffff (the same in one's complement; UDP reserves 0 for "none").
 *
 * Pure: no I/O, no clock, no allocation. May call: libc.
 */

#include <stddef.h>
#include <stdint.h>

enum {
    VNET_HDR_LEN = 10,
    /* Most segments one GSO frame may hold: 64 KB of 256-byte segments.
     * The kernel's own TSO never comes near (about 45 of 1.4 KB). */
    VNET_SEGS_MAX = 256,
};

enum vnet_flags {
    VNET_F_NEEDS_CSUM = 1,              /* checksum from csum_start is partial */
    VNET_F_DATA_VALID = 2,              /* checksum already verified */
};

enum vnet_gso {
    VNET_GSO_NONE = 0,
    VNET_GSO_TCPV4 = 1,
    VNET_GSO_UDP = 3,                   /* UFO: IP fragmentation, refused */
    VNET_GSO_TCPV6 = 4,
    VNET_GSO_UDP_L4 = 5,                /* UDP segmentation (USO) */
    VNET_GSO_ECN = 0x80,                /* flag: the TCP super-frame has CWR set */
};

/* struct virtio_net_hdr, fields in host order. */
struct vnet_hdr {
    uint8_t flags, gso_type;
    uint16_t hdr_len, gso_size, csum_start, csum_offset;
};

void vnet_hdr_read(const uint8_t raw[VNET_HDR_LEN], struct vnet_hdr *h);
void vnet_hdr_write(const struct vnet_hdr *h, uint8_t raw[VNET_HDR_LEN]);

/*
 * Whether @h describes @frame (@len bytes) consistently: only known flags
 * and gso types (ECN with TCP only); with NEEDS_CSUM the checksum field
 * inside the frame; a GSO frame as the DOC block says. Any byte string
 * is a valid input. Returns 0 or one of: -EINVAL, -EPROTONOSUPPORT (UFO).
 */
int vnet_check(const struct vnet_hdr *h, const uint8_t *frame, size_t len);

/*
 * The largest frame vnet_segment() would emit: @len for a frame that is
 * not GSO (or whose headers cannot be read), else the L2, L3 and L4
 * headers plus gso_size, at most @len.
 */
size_t vnet_wire_len(const struct vnet_hdr *h, const uint8_t *frame, size_t len);

/*
 * Complete the partial checksum of a frame that is not GSO: the Internet
 * checksum from csum_start to the end of @frame (whose field holds the
 * pseudo-header sum) is stored at csum_start + csum_offset, and
 * NEEDS_CSUM is cleared in @h. Nothing to do without NEEDS_CSUM.
 * Returns 0 or one of: -EINVAL (a GSO frame, or vnet_check refuses it).
 */
int vnet_csum_complete(struct vnet_hdr *h, uint8_t *frame, size_t len);

typedef void (*vnet_emit_fn)(void *ctx, uint8_t *frame, size_t len);

/*
 * Call @emit once per wire-ready frame that @frame (@len bytes, described
 * by @h) stands for, every checksum final: the segments of a GSO frame,
 * else a copy of the frame with its checksum completed if NEEDS_CSUM (a
 * caller that can write the frame in place saves that copy with
 * vnet_csum_complete). Each frame is built in @scratch (@cap bytes; at
 * least vnet_wire_len()) and is only valid during the call. Returns the
 * number of frames emitted or one of: -EINVAL, -EPROTONOSUPPORT (as
 * vnet_check; nothing emitted), -ENOBUFS (@cap too small; nothing emitted).
 */
int vnet_segment(const struct vnet_hdr *h, const uint8_t *frame, size_t len, uint8_t *scratch,
                 size_t cap, vnet_emit_fn emit, void *ctx);

#endif
