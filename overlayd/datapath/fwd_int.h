/* SPDX-License-Identifier: GPL-2.0-only */
#ifndef OVL_OVERLAYD_FWD_INT_H
#define OVL_OVERLAYD_FWD_INT_H

/*
 * DOC: fwd_int — helpers shared by fwd.c (frames) and fwd_ctl.c (control
 * messages); not used elsewhere.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct daemon;
struct peer;

/* @p has a session that is up. */
bool fwd_peer_up(const struct peer *p, uint64_t now);
/* @p is up, announced @id, and both of us may carry @id (admit.h). */
bool fwd_peer_takes(const struct daemon *d, const struct peer *p, uint32_t id, uint64_t now);
/* Encrypt and queue @pkt to @p (failures logged at debug level). */
void fwd_send(struct daemon *d, struct peer *p, uint64_t now, const uint8_t *pkt, size_t len);
/* A decrypted control payload (inner type 2) from @p. */
void fwd_control(struct daemon *d, struct peer *p, const uint8_t *data, size_t len);

#endif
