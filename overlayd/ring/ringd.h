/* SPDX-License-Identifier: GPL-2.0-only */
#ifndef OVL_OVERLAYD_RINGD_H
#define OVL_OVERLAYD_RINGD_H

/*
 * DOC: ringd — the daemon's glue to the Chord ring (routing/ring.h)
 *
 * One ring_node per daemon. Its messages travel as inner type 3 payloads
 * (docs/inner-protocol.md) over the encrypted links; the sender of an
 * incoming message is the peer the link layer authenticated, or for a
 * relayed one the origin its (admitted) relays vouch for, whose
 * certificate travels along. A direct message uses the peer with that
 * public key (its endpoint taken from the ring when it has none) or, with
 * an Authority, a peer created on demand; without an Authority only
 * [Peer] keys are admitted.
 *
 * Lifecycle: ringd_start() after peers and enclaves exist -> bootstrap
 * (no [Peer]: create the ring; else join through the first [Peer] whose
 * link is up, the host with the lowest id among itself and its [Peer]s
 * creating the ring when no join succeeds) -> ringd_stop() (graceful
 * leave, handles closed) -> ringd_free().
 *
 * Timers: one uv_timer re-armed to ring_node_next_deadline() after every
 * call into the node, and a 250 ms housekeeping tick (join retries, the
 * publication of local MACs and enclave memberships from the MAC tables,
 * control-request deadlines, membership refresh, idle links).
 *
 * Links: ring messages go directly only to ring neighbours (predecessor,
 * successor, fingers beyond the successor list) and as answers; the rest
 * is relayed over those links (ringd_relay.c). A link neither side needs
 * (no frame, no ring message for the idle time: 120 s, env
 * OVERLAYD_RING_IDLE_S for tests) is closed by agreement (CLOSE with
 * REQUEST, answered by CLOSE), and a host over its link cap
 * (2 * ceil(log2 n)) declines hosts that chose it as a finger, so
 * links stay O(log n). docs/design.md, "Ring".
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct daemon;
struct enclave;
struct peer;
struct sbuf;

int ringd_start(struct daemon *d);
/* Leave the ring gracefully and close the timers (before uv_run returns). */
void ringd_stop(struct daemon *d);
void ringd_free(struct daemon *d);

/* A type 3 payload from the authenticated peer @p. */
void ringd_from_peer(struct daemon *d, struct peer *p, const uint8_t *data, size_t len);
/* @p's link came up (called from the loop, not from a link hook). */
void ringd_link_up(struct daemon *d, struct peer *p);
/* What the data path saw this loop iteration (datapath.h): resolve
 * unknown MACs, reach the member hosts of flooded enclaves. */
struct dp_facts;
void ringd_take_facts(struct daemon *d, const struct dp_facts *f, uint64_t now);
/* A frame of @e to a unicast MAC with no MAC-table entry: resolve it
 * through the ring (rate-limited); the caller floods meanwhile. */
void ringd_unknown_unicast(struct daemon *d, struct enclave *e, const uint8_t mac[6],
                           uint64_t now);
/* After a frame of @e was flooded over the up links:
 * open links to the hosts the ring lists as carrying @e (membership
 * records) that have none, so the next flood reaches them too. */
void ringd_flood(struct daemon *d, struct enclave *e, uint64_t now);

/* overlayctl ring. Returns 0 or -1 (reason in @out). */
int ringd_ctl_ring(struct daemon *d, bool json, struct sbuf *out);
/* overlayctl lookup: returns CTL_DEFERRED (answered later through
 * ctl_server_reply(@ctl_id)) or -1 with the reason in @out. */
int ringd_ctl_lookup(struct daemon *d, struct enclave *e, const uint8_t mac[6], bool json,
                     uint64_t ctl_id, struct sbuf *out);

#endif
