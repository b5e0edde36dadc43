/* SPDX-License-Identifier: GPL-2.0-only */
#ifndef OVL_OVERLAYD_CTL_SERVER_H
#define OVL_OVERLAYD_CTL_SERVER_H

/*
 * DOC: ctl_server — the control socket (AF_UNIX stream, libuv pipe)
 *
 * Protocol (docs/design.md "Control protocol"): the client sends the
 * output format ("text" or "json") and then each argument on its own
 * line, ending with an empty line; the daemon answers "ok\n" or
 * "error\n" followed by the body and closes the connection. One request
 * per connection. Requests are limited to CTL_REQ_MAX bytes (longer ones
 * get "error\nrequest too long").
 *
 * Limits, so a stuck or hostile local client cannot pin the daemon: each
 * connection lives at most CTL_CLIENT_TIMEOUT_MS (then it is closed), and
 * at most CTL_MAX_CLIENTS are served at once (the next one is answered
 * "error\ntoo many control clients" and closed). After a reply the write
 * side is shut down and whatever the client still sends is read and
 * discarded until it closes, so it sees the reply instead of a reset.
 *
 * Start-up: the parent directory is created; a stale socket file is
 * removed, but if another daemon answers on the path the start is
 * refused. The socket is created with mode 0600 and removed on close.
 */

#include <stdbool.h>
#include <stdint.h>
#include <uv.h>

struct daemon;
struct ctl_client;

enum ctl_limits {
    CTL_REQ_MAX = 4096,
    CTL_MAX_ARGS = 32,
    CTL_DEFERRED = 1,                 /* ctl_cmd_run: the reply comes later (ctl_server_reply) */
    CTL_MAX_CLIENTS = 64,
    CTL_CLIENT_TIMEOUT_MS = 5000,
};

struct ctl_server {
    struct daemon *d;
    uv_pipe_t pipe;
    bool open;
    bool bound;
    char path[108];
    struct ctl_client *clients;
    uint64_t next_id;
    uint64_t current;                 /* id of the request being handled */
    unsigned n_clients;
    unsigned timeout_ms;              /* CTL_CLIENT_TIMEOUT_MS (tests shorten it) */
};

/* Returns 0, -EADDRINUSE (another daemon answers), or a negative errno. */
int ctl_server_start(struct ctl_server *s, uv_loop_t *loop, const char *path, struct daemon *d);
/*
 * Asynchronous commands (lookup): inside ctl_cmd_run the command takes
 * s->current as its request id and returns CTL_DEFERRED; later it answers
 * with ctl_server_reply(). A reply to a client that is gone is dropped.
 */
void ctl_server_reply(struct ctl_server *s, uint64_t id, bool ok, const char *body);
/* Close the listener and every client; remove the socket file. */
void ctl_server_close(struct ctl_server *s);

#endif
