/* SPDX-License-Identifier: GPL-2.0-only */
#ifndef OVL_OVERLAYD_DATAPATH_TX_INT_H
#define OVL_OVERLAYD_DATAPATH_TX_INT_H

/* Between tx_tap.c (reading TAPs) and tx.c (where a frame goes). */

#include <stddef.h>
#include <stdint.h>

struct daemon;
struct enclave;
struct attachment;

/* A frame read from a TAP, and the inner payload it goes out as. */
struct tx_pkt {
    uint8_t *frame;                    /* DAEMON_TAP_HEADROOM bytes of room before it */
    size_t flen;
    const uint8_t *vnet;               /* its virtio_net_hdr if it stays a super-frame */
    uint8_t *pkt;                      /* the type-1 or type-7 payload (tx_frame) */
    size_t len;
};

/*
 * One frame of @e read from a TAP (@a: the port it came in on; NULL: the
 * uplink): checks, learning, policy, then to its host, a local port or
 * the broadcast tree. @t->vnet set: a super-frame that goes whole.
 */
void tx_frame(struct daemon *d, struct enclave *e, struct attachment *a, struct tx_pkt *t,
              uint64_t now);

#endif
