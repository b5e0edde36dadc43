/* SPDX-License-Identifier: GPL-2.0-only */
#ifndef OVL_OVERLAYD_ANNOUNCE_ANNOUNCE_H
#define OVL_OVERLAYD_ANNOUNCE_ANNOUNCE_H

/*
 * DOC: announce — what linked hosts tell each other about enclaves
 *
 * Control payloads (inner type 2, docs/inner-protocol.md): a host's
 * enclave set (ENCLAVES, filtered to what both certificates allow) and its
 * static MACs (announce / withdraw, with EVPN sequence numbers), sent when
 * a link comes up, on change, every DAEMON_REFRESH_S, and as a goodbye on
 * a clean shutdown. Received sets and announcements update the peer's
 * enclave set and the MAC tables; anything of an enclave the link may not
 * carry is counted as drop_unknown_enclave.
 *
 * May call: datapath/ (peers, fdb, inner, tx_send), admit/, lib/.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct daemon;
struct enclave;
struct peer;

/* A decrypted control payload (inner type 2) from @p, received at @now. */
void announce_control(struct daemon *d, struct peer *p, const uint8_t *data, size_t len,
                      uint64_t now);
/* Send our enclave set to @p (with the REQUEST flag if we lack theirs). */
void announce_hello(struct daemon *d, struct peer *p);
/* Announce (or withdraw) a local static MAC to the peers carrying @e. */
void announce_mac(struct daemon *d, struct enclave *e, const uint8_t mac[6], uint64_t seq,
                  bool withdraw);
/* Clean shutdown: tell every up peer we carry nothing any more (withdraw
 * our static MACs, send an empty enclave set) so it drops its entries
 * pointing at us at once. Queued only: the caller flushes the socket. */
void announce_goodbye(struct daemon *d);
/* The link to @p went down, or @p is being removed: forget what it told us. */
void announce_peer_down(struct daemon *d, struct peer *p);
/* Periodic: age learned MACs, re-send enclave sets and announcements. */
void announce_refresh(struct daemon *d);

#endif
