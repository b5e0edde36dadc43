/* SPDX-License-Identifier: GPL-2.0-only */
#ifndef OVL_OVERLAYD_DATAPATH_DATAPATH_H
#define OVL_OVERLAYD_DATAPATH_DATAPATH_H

/*
 * DOC: datapath — frames between the uplink TAPs and the links
 *
 * Guest ports (ports.c): on a Linux bridge each attached port's frames
 * are redirected to a TAP of ours for that port and back, so a frame's
 * port is the fd it was read from; a port attached with --mac is locked
 * to its MAC and [Member] Address (spoof.h, drop_spoof), and we deliver
 * between local guests. With an external bridge, the uplink TAP as below.
 * Out (tx.c): port or uplink TAP -> learn the source as local -> MAC table ->
 * one peer for a known unicast MAC, else the broadcast tree (flood.c: up
 * links carrying the enclave, each passing it on in its part of the ring)
 * -> encrypt -> send queue (flushed once per loop iteration).
 * In (rx.c): UDP batch -> link layer (decrypt, replay window) -> inner
 * payload: a frame is accepted only for an enclave this host carries AND
 * the peer announced AND both certificates allow (else
 * drop_unknown_enclave); its source is learned behind the peer and it is
 * written to that enclave's ports only, so a frame of enclave E never
 * reaches another enclave's bridge (on a Linux bridge: to that enclave's
 * port TAPs, dp_port_deliver). Control payloads go to announce/,
 * ring payloads to ring/.
 *
 * The data path reads the clock once per batch, allocates nothing, and
 * never starts work of its own beyond sending: what the ring should do
 * about a frame (a MAC nobody knows) is queued as a fact
 * (struct dp_facts) and handled from the loop (daemon.c) before it blocks.
 * Every discarded frame is counted under a reason (lib/drop.h).
 *
 * ARP and neighbour discovery (neigh_dp.c, on the pure neigh module): a
 * guest's ARP request or NS for an address bound in its enclave (a
 * `[Member] MAC` + `Address`, a binding learned from the ARP/ND frames of
 * this host's own guests, read from the uplink TAP, or one another host
 * published on the ring) is answered on the uplink TAP and not flooded
 * (arp_suppressed / nd_suppressed). A request nobody here can answer
 * floods as before and becomes a fact: ring/ asks the ring for the
 * binding and hands the answer back (dp_neigh_from_ring), so the next
 * request is answered here.
 *
 * TCP MSS clamping (mss.h): with `ClampMSS = yes` (the default) every TCP
 * SYN read from an uplink TAP and every one written to it has its MSS
 * option lowered to fit the enclave's inner MTU (mss_clamped), so guests
 * left at MTU 1500 get working TCP across hosts.
 *
 * May call: fdb, inner, neigh, peer, enclave, udp, crypto/link, tap/, admit/
 * (grants), announce/ and ring/ (for their payloads), lib/.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct config_enclave;
struct daemon;
struct enclave;
struct peer;

enum dp_fact_kind {
    DP_FACT_UNKNOWN_MAC = 1,            /* unicast to a MAC no table entry knows */
    DP_FACT_UNKNOWN_IP = 2,             /* ARP request / NS for an address nobody here binds */
};

enum { DP_FACTS_MAX = 64 };

struct dp_fact {
    uint8_t kind;                       /* enum dp_fact_kind */
    uint8_t mac[6];                     /* DP_FACT_UNKNOWN_MAC */
    uint8_t ip_family;                  /* DP_FACT_UNKNOWN_IP: 4 or 6 */
    uint8_t ip[16];                     /* DP_FACT_UNKNOWN_IP (IPv4: bytes 0..3) */
    uint32_t enclave;
};

/* Facts of one loop iteration, fixed size: a full queue drops the fact
 * (drop_facts_full), never a frame. */
struct dp_facts {
    struct dp_fact q[DP_FACTS_MAX];
    unsigned n;
};

/* rx.c: drain the UDP socket (poll callback). */
void rx_udp_readable(struct daemon *d);
/* rx.c: a decrypted payload from @p, received at @now. */
void rx_payload(struct daemon *d, struct peer *p, uint8_t *data, size_t len, uint64_t now);
/* rx.c: write one accepted frame to @e's uplink TAP; a TCP SYN's MSS is
 * clamped in @frame first (dp_mss_clamp). */
void dp_tap_deliver(struct daemon *d, struct enclave *e, uint8_t *frame, size_t len,
                    uint64_t now);
/* The same for a type-7 frame: @vnet is its virtio_net_hdr, checked
 * (vnet_check) and with no partial checksum unless it is a super-frame. */
void dp_tap_deliver_vnet(struct daemon *d, struct enclave *e, uint8_t *frame, size_t len,
                         const uint8_t *vnet, uint64_t now);

/* ports.c: deliver @frame to the guest ports of @e it is for: a known
 * unicast MAC's port, else every port; never back to @from (the port it
 * came in on; NULL: from another host). On a shared (external) bridge,
 * one write to the uplink, and nothing for a frame of a port. */
struct attachment;
void dp_port_deliver(struct daemon *d, struct enclave *e, const uint8_t *frame, size_t len,
                     const struct attachment *from, uint64_t now);
/* The same with the frame's virtio_net_hdr (NULL: a plain frame). Every
 * TAP of ours takes one (tap_open_vnet), so super-frames stay whole. */
void dp_port_deliver_vnet(struct daemon *d, struct enclave *e, const uint8_t *frame, size_t len,
                          const uint8_t *vnet, const struct attachment *from, uint64_t now);
/* ports.c: write @frame to port @to (NULL: the uplink); counts drop_tap_write. */
bool dp_port_write(struct daemon *d, struct enclave *e, const struct attachment *to,
                   const uint8_t *frame, size_t len, uint64_t now);
bool dp_port_write_vnet(struct daemon *d, struct enclave *e, const struct attachment *to,
                        const uint8_t *frame, size_t len, const uint8_t *vnet, uint64_t now);
/* tx.c: drain a port TAP (poll callback). */
void tx_port_readable(struct daemon *d, struct attachment *a);

/* flood.c: pass a frame of @e on along the broadcast tree: to our up
 * links carrying @e in the ring interval (us, @limit) (limit == our id:
 * the whole ring), except @from; @origin: the flooding host (64-bit ring
 * id prefixes). A frame of ours goes with from NULL and limit = origin = us. */
void flood_send(struct daemon *d, struct enclave *e, const struct peer *from, uint64_t limit,
                uint64_t origin, const uint8_t *frame, size_t flen, uint64_t now);
/* flood.c: a type-4 payload from @p: deliver it, then pass it on. */
void flood_recv(struct daemon *d, struct peer *p, uint8_t *data, size_t len, uint64_t now);

/* tx.c: lower the MSS of a TCP SYN in @frame (an Ethernet frame of @e,
 * in either direction) to fit @e's inner MTU, unless @e has
 * `ClampMSS = no`; counts mss_clamped. */
void dp_mss_clamp(struct daemon *d, const struct enclave *e, uint8_t *frame, size_t len);
/* tx.c: drain an uplink TAP (poll callback). */
void tx_tap_readable(struct daemon *d, struct enclave *e);
/* @p has a session that is up. */
bool tx_peer_up(const struct peer *p, uint64_t now);
/* @p is up, announced @id, and both of us may carry @id (admit.h). */
bool tx_peer_takes(const struct daemon *d, const struct peer *p, uint32_t id, uint64_t now);
/* Encrypt and queue @pkt to @p (failures logged at debug level). */
void tx_send(struct daemon *d, struct peer *p, uint64_t now, const uint8_t *pkt, size_t len);

/* probe.c: a type-5 payload from @p: a request is answered at once, a
 * reply goes to @p's prober; malformed: drop_probe_malformed, a reply to
 * no probe in flight: drop_probe_stale. */
void probe_rx(struct daemon *d, struct peer *p, const uint8_t *data, size_t len, uint64_t now);
/* probe.c: log @p's change of health from @old, if any. */
enum path_health;
void probe_note_health(struct peer *p, enum path_health old, uint64_t now);
/* probe.c: every peer's prober that is due: settle, send the probes asked for. */
void probe_on_timeout(struct daemon *d, uint64_t now);
/* probe.c: the earliest of the peers' prober deadlines (UINT64_MAX: none). */
uint64_t probe_next_deadline(const struct daemon *d);
/* neigh_dp.c: (re)load @e's static bindings from @ce; makes the table at first use. */
int enclave_neigh_load(struct daemon *d, struct enclave *e, const struct config_enclave *ce);

/* policy_dp.c: the enclave's [Policy] (fw.h). Load at open and reload:
 * flows are forgotten only when the rules changed. */
int dp_policy_load(struct daemon *d, struct enclave *e, const struct config_enclave *ce);
void dp_policy_free(struct enclave *e);
/* May @frame (from port @from; NULL: from the uplink or another host)
 * go on? No: counted as drop_policy. */
bool dp_policy_pass(struct daemon *d, struct enclave *e, const struct attachment *from,
                    const uint8_t *frame, size_t len, uint64_t now);
/* neigh_dp.c: learn the IP -> MAC binding an ARP/ND frame a local guest
 * of @e sent (read from its uplink TAP) announces (arp_learned / nd_learned). */
void dp_neigh_learn(struct daemon *d, struct enclave *e, const uint8_t *frame, size_t len,
                    uint64_t now);
/* neigh_dp.c: answer an ARP request / NS from a local guest (port @from)
 * out of @e's bindings; true when answered (the request is then not flooded). Asked
 * for an address with no binding, it queues a DP_FACT_UNKNOWN_IP. */
bool dp_neigh_answer(struct daemon *d, struct enclave *e, const struct attachment *from,
                     const uint8_t *frame, size_t len, uint64_t now);
/* neigh_dp.c: a binding of @e another host published on the ring (@seq:
 * its record's). Returns 0 (cached), -EPERM (a [Member] Address owns the
 * address), -EEXIST (a guest of ours does), -EINVAL (not unicast), -ENOSPC. */
struct neigh_ip;
int dp_neigh_from_ring(struct daemon *d, struct enclave *e, const struct neigh_ip *ip,
                       const uint8_t mac[6], uint64_t seq, uint64_t now);
/* neigh_dp.c: age learned bindings (refresh tick). */
void dp_neigh_age(struct daemon *d, uint64_t now);

/* Queue a fact for the loop; identical facts of the iteration are merged. */
void dp_fact_push(struct daemon *d, enum dp_fact_kind kind, uint32_t enclave,
                  const uint8_t *mac, uint64_t now);
/* The same for DP_FACT_UNKNOWN_IP: @ip of @family (IPv4 in bytes 0..3, rest zero). */
void dp_fact_push_ip(struct daemon *d, uint32_t enclave, uint8_t family, const uint8_t ip[16],
                     uint64_t now);

#endif
