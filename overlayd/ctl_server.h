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
 * per connection. Requests are limited to CTL_REQ_MAX bytes.
 *
 * Start-up: the parent directory is created; a stale socket file is
 * removed, but if another daemon answers on the path the start is
 * refused. The socket is created with mode 0600 and removed on close.
 */

#include <stdbool.h>
#include <uv.h>

struct daemon;
struct ctl_client;

enum ctl_limits {
    CTL_REQ_MAX = 4096,
    CTL_MAX_ARGS = 32,
};

struct ctl_server {
    struct daemon *d;
    uv_pipe_t pipe;
    bool open;
    bool bound;
    char path[108];
    struct ctl_client *clients;
};

/* Returns 0, -EADDRINUSE (another daemon answers), or a negative errno. */
int ctl_server_start(struct ctl_server *s, uv_loop_t *loop, const char *path, struct daemon *d);
/* Close the listener and every client; remove the socket file. */
void ctl_server_close(struct ctl_server *s);

#endif
