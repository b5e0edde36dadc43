/* SPDX-License-Identifier: GPL-2.0-only */
#ifndef OVL_OVERLAYD_FWD_H
#define OVL_OVERLAYD_FWD_H

/*
 * DOC: fwd — forwarding decisions between uplink TAPs and links
 *
 * TAP -> peers: learn the source as local; unicast to a MAC behind a peer
 * goes to that peer only; a local MAC is dropped (the bridge delivered
 * it); broadcast, multicast and unknown unicast are flooded to every up
 * peer that announced it carries the enclave.
 * Peer -> TAP: a frame is accepted only for an enclave this host carries
 * AND the peer announced (else drop_unknown_enclave); its source is
 * learned behind the peer and it is written to that enclave's uplink TAP
 * only, so a frame of enclave E never reaches another enclave's bridge.
 * Control messages (inner.h) carry the enclave sets and MAC
 * announcements/withdrawals.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct daemon;
struct enclave;
struct peer;

/* Drain an uplink TAP (poll callback). */
void fwd_tap_readable(struct daemon *d, struct enclave *e);
/* A decrypted payload from @p. */
void fwd_from_peer(struct daemon *d, struct peer *p, uint8_t *data, size_t len);
/* Send our enclave set to @p (with the REQUEST flag if we lack theirs). */
void fwd_send_hello(struct daemon *d, struct peer *p);
/* Announce (or withdraw) a local static MAC to the peers carrying @e. */
void fwd_announce(struct daemon *d, struct enclave *e, const uint8_t mac[6], uint64_t seq,
                  bool withdraw);
/* Clean shutdown: tell every up peer we carry nothing any more (withdraw
 * our static MACs, send an empty enclave set) so it drops its entries
 * pointing at us at once. Queued only: the caller flushes the socket. */
void fwd_goodbye(struct daemon *d);
/* The link to @p went down, or @p is being removed: forget what it told us. */
void fwd_peer_down(struct daemon *d, struct peer *p);
/* Periodic: age learned MACs, re-send enclave sets and announcements. */
void fwd_refresh(struct daemon *d);

#endif
