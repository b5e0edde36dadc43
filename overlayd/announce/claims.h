/* SPDX-License-Identifier: GPL-2.0-only */
#ifndef OVL_OVERLAYD_ANNOUNCE_CLAIMS_H
#define OVL_OVERLAYD_ANNOUNCE_CLAIMS_H

/*
 * DOC: claims — what the daemon does with the MAC table's location claims
 *
 * The rules live in the pure MAC table (datapath/fdb.h); this file acts on
 * their outcomes (docs/migration.md):
 *   - a local frame claimed a MAC (fdb_learn: FDB_CLAIMED, FDB_MIGRATED):
 *     the claim goes at once to every up peer carrying the enclave (the
 *     hosts that may be sending to it), and its record at once to the
 *     ring (ringd_claim), within the same token bucket;
 *   - a peer's (or a ring record's) claim on a local MAC: a live one is
 *     answered with a counter-claim to every peer and the ring; otherwise
 *     the entry forwards to the claimant for FDB_FORWARD_GRACE_MS (the daemon's
 *     claims timer: claims_next_deadline / claims_on_timeout);
 *   - frames that still arrive for a forwarding MAC go to its new host
 *     (forwarded_frames);
 *   - a MAC that moved too often is frozen by the table (duplicate
 *     detection): reported once per freeze (a warning, `macs_frozen`).
 * `migrations` counts MACs claimed away from here and MACs claimed here
 * from another host.
 *
 * May call: datapath/ (fdb, tx_send), announce.c, ring/ringd.h, lib/.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct daemon;
struct enclave;
struct peer;

/* Claims of MACs learned from guests' frames (not attached) announced at
 * once, per second and in a burst: a guest sending from random source
 * MACs must not make its host send an announcement per frame to every
 * peer. The rest (drop_claim_ratelimit) go with the 30 s refresh. */
enum { CLAIMS_LEARNED_PER_S = 100, CLAIMS_LEARNED_BURST = 200 };

/* @rc is fdb_learn()'s result for a frame of @mac read from @e's uplink. */
void claims_local(struct daemon *d, struct enclave *e, const uint8_t mac[6], int rc,
                  uint64_t now);

/*
 * @p (admitted for @e: the caller checked) claims @mac with @seq. Returns
 * fdb_announce()'s result: 0 or a positive enum fdb_claim, or one of
 * -ESTALE, -EINVAL, -ENOSPC, -EBUSY (frozen), -ERANGE (seq out of reach:
 * counted as drop_claim_seq).
 */
int claims_remote(struct daemon *d, struct enclave *e, const uint8_t mac[6], struct peer *p,
                  uint64_t seq, uint64_t now);

/*
 * A frame of @e from @p to @dst: true when @dst is forwarding and the frame
 * (@data, @len: the inner frame payload as received) went to its new host.
 */
bool claims_forward(struct daemon *d, struct enclave *e, struct peer *p, const uint8_t *dst,
                    const uint8_t *data, size_t len, uint64_t now);

/* The claims timer: earliest forwarding deadline of every enclave
 * (UINT64_MAX: none); forwarding entries past it stop forwarding. */
uint64_t claims_next_deadline(const struct daemon *d);
void claims_on_timeout(struct daemon *d, uint64_t now);

/* @mac of @e refused to move (-EBUSY from the table): frozen. Logs and
 * counts each freeze once. */
void claims_frozen(struct daemon *d, struct enclave *e, const uint8_t mac[6]);

#endif
