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
 * (as the plan says: no [Peer]: create the ring; else join through the
 * [Peer]s whose links are up, lowest id first, the host with the lowest id
 * among itself and its [Peer]s creating the ring when no join succeeds) ->
 * ringd_stop() (graceful leave, handles closed) -> ringd_free().
 *
 * Policy: which links to keep, open, close or decline, direct or relayed
 * delivery and the next hop, bootstrap and rejoin, the republish schedule
 * are decided by the pure overlay plan (overlayd/plan/plan.h); this folder
 * reports events and snapshots to it and carries out its actions.
 *
 * Timers: one uv_timer for the node, re-armed to ring_node_next_deadline()
 * (or a pending overlayctl lookup's deadline) after every call into the
 * node, and one for the plan, re-armed to plan_next_deadline(). Nothing
 * runs at a fixed tick.
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
/* What the data path saw of @p, for the plan's idle links and relay hops:
 * any authenticated packet, a unicast frame either way, a new link. */
void ringd_note_rx(struct daemon *d, const struct peer *p, uint64_t now);
void ringd_note_frame(struct daemon *d, const struct peer *p, uint64_t now);
void ringd_note_data(struct daemon *d, const struct peer *p, uint64_t now);
/* A claim of @mac in @e with @seq (claims.c): its ring record is stored
 * now, not with the next publish scan. Nothing when the ring is not up
 * (the scan publishes it once it is). */
void ringd_claim(struct daemon *d, const struct enclave *e, const uint8_t mac[6], uint64_t seq,
                 uint64_t now);
/* When @p last carried a frame or ring traffic (0: never, or no ring). */
uint64_t ringd_last_data(struct daemon *d, const struct peer *p);

/* overlayctl ring. Returns 0 or -1 (reason in @out). */
int ringd_ctl_ring(struct daemon *d, bool json, struct sbuf *out);
/* overlayctl lookup: returns CTL_DEFERRED (answered later through
 * ctl_server_reply(@ctl_id)) or -1 with the reason in @out. */
int ringd_ctl_lookup(struct daemon *d, struct enclave *e, const uint8_t mac[6], bool json,
                     uint64_t ctl_id, struct sbuf *out);

#endif
