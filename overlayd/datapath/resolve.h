/* SPDX-License-Identifier: GPL-2.0-only */
#ifndef OVL_OVERLAYD_DATAPATH_RESOLVE_H
#define OVL_OVERLAYD_DATAPATH_RESOLVE_H

/*
 * DOC: resolve — a peer's configured Endpoint to an address, without
 * blocking the loop
 *
 * Numeric endpoints are converted at once (udp_resolve(), no DNS). A
 * "hostname:port" goes to libuv's resolver (uv_getaddrinfo, on the thread
 * pool); its callback sets the peer's endpoint and starts a handshake.
 * A pending lookup holds the peer's public key and endpoint text, never a
 * pointer to the peer: when it completes, the peer is looked up again and
 * the result is dropped if the peer is gone, its Endpoint changed, or the
 * daemon is stopping. daemon_stop() cancels what it can (resolve_cancel_all);
 * uv_run only returns once every callback ran, so the requests are freed
 * before daemon_cleanup(). A lookup already running on the thread pool
 * cannot be interrupted: a stop then waits for it, at most the resolver's
 * timeout (resolv.conf).
 */

#include <stdbool.h>

struct daemon;
struct peer;

enum resolve_mode {
    RESOLVE_IF_UNSET,       /* keep an endpoint learnt meanwhile (periodic retry) */
    RESOLVE_REPLACE,        /* the configured Endpoint wins (start, reload) */
};

/*
 * Resolve @p's endpoint_cfg into p->ep. Returns 0 when done now (numeric
 * form), -EINPROGRESS when a lookup was started or is already pending for
 * the same endpoint, or a negative errno (-EINVAL syntax, -EHOSTUNREACH no
 * usable family, -ENOMEM).
 */
int resolve_peer(struct daemon *d, struct peer *p, enum resolve_mode mode);
/* Cancel every pending lookup (daemon_stop). */
void resolve_cancel_all(struct daemon *d);

#endif
