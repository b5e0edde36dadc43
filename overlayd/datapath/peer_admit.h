/* SPDX-License-Identifier: GPL-2.0-only */
#ifndef OVL_OVERLAYD_PEER_ADMIT_H
#define OVL_OVERLAYD_PEER_ADMIT_H

/*
 * DOC: peer_admit — admission on the daemon's objects: the pure policy of
 * overlayd/admit/ applied to struct daemon and struct peer
 *
 * Owns d->admit (struct admit) and d->admit_timer, and p->adm (struct
 * admit_peer) of every peer. Grants are filled by admit_hook_done() from
 * the link layer's handshake_done hook on every completed handshake (so a
 * rekey re-checks the certificate) and cleared when the certificate
 * expires: the timer fires at the earliest not_after of the admitted peers
 * and of the hosts known through relays (and every 30 s anyway, in case
 * the wall clock jumps) and tears expired links down.
 *
 * Lifecycle: admit_check_config() (admit.h; --check and before start) ->
 * admit_start() (after the link layer exists) -> hooks -> admit_reload()
 * on SIGHUP -> admit_stop() (closes the timer, from daemon_stop) ->
 * admit_free().
 *
 * Policy by daemon object, for the data path, announce/ and the ring
 * (thin wrappers over admit.h; they never allocate or read a clock):
 *   admit_may_carry(d, pub, enclave)        by X25519 public key
 *   admit_may_carry_ringid(d, id, enclave)  by 128-bit ring id (ring_id
 *                                            bytes, crypto/ringid.h), for
 *                                            ring_callbacks.may_carry
 *   admit_peer_may_carry(d, p, enclave)     by peer object
 *   admit_link_allows(d, p, enclave)        both ends: us AND @p; the rule
 *                                            for anything sent or received
 * With Authority, a host we hold no valid certificate for (not a peer, or
 * a peer whose handshake has not completed, or expired) may carry nothing;
 * our own key answers from our own certificate.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "overlayd/admit/admit.h"

struct daemon;
struct peer;
struct config;
struct sbuf;
struct link_peer;
struct json;

/* Wall-clock Unix seconds (certificates carry absolute dates): the one
 * place the admission code reads the time. */
uint64_t admit_now_unix(void);

bool admit_enabled(const struct daemon *d);
bool admit_self_may_carry(const struct daemon *d, uint32_t enclave);
bool admit_peer_may_carry(const struct daemon *d, const struct peer *p, uint32_t enclave);
bool admit_link_allows(const struct daemon *d, const struct peer *p, uint32_t enclave);
bool admit_may_carry(struct daemon *d, const uint8_t pub[CERT_KEY_LEN], uint32_t enclave);
/* Do we hold a valid certificate for the host with @ring_id (a link's or
 * a relayed one's)? Always true without an Authority. */
bool admit_knows_ringid(struct daemon *d, const uint8_t ring_id[RINGID_LEN]);
bool admit_may_carry_ringid(struct daemon *d, const uint8_t ring_id[RINGID_LEN],
                            uint32_t enclave);
/* Created by the accept hook (not a [Peer]): reload must keep it. */
bool admit_peer_dynamic(const struct peer *p);

int admit_start(struct daemon *d);
/*
 * On reload, before the peers are synced: checks @nc's certificate
 * against @nc's authorities (refusing the reload when it fails), takes the
 * authorities and RevokedFile (moved out of @nc), closes at once the links
 * of peers no longer admitted (revoked key or serial, or an authority no
 * longer trusted) and removes those peers; a renewed certificate allowing
 * the same enclaves is pushed by a handshake started now on every up link.
 */
int admit_reload(struct daemon *d, struct config *nc, struct sbuf *out);
/* May a link to @pub be opened (start, reload, the ring's on-demand
 * links)? False for a revoked key or a host shunned for a revoked serial. */
bool admit_contact_allowed(const struct daemon *d, const uint8_t pub[CERT_KEY_LEN]);
void admit_stop(struct daemon *d);
void admit_free(struct daemon *d);
void admit_peer_free(struct peer *p);
/* Link hooks (wired in peer.c). */
size_t admit_hook_payload(struct daemon *d, uint8_t *buf, size_t cap);
struct link_peer *admit_hook_accept(struct daemon *d, const uint8_t pub[CERT_KEY_LEN],
                                    const uint8_t *payload, size_t len);
int admit_hook_done(struct daemon *d, struct peer *p, const uint8_t *payload, size_t len);
/*
 * `overlayctl peers` extras. JSON: "admitted" (bool), "cert_name",
 * "cert_serial" (str|null), "cert_expires_s" (num|null), "allowed_all"
 * (bool), "allowed_enclaves" ([num]). Text: the CERT and ENCLAVES cells.
 */
void admit_peer_json(const struct daemon *d, const struct peer *p, struct json *j);
void admit_peer_text(const struct daemon *d, const struct peer *p, char *cert, size_t cert_len,
                     char *encl, size_t encl_len);

#endif
