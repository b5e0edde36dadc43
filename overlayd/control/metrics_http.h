/* SPDX-License-Identifier: GPL-2.0-only */
#ifndef OVL_OVERLAYD_CONTROL_METRICS_HTTP_H
#define OVL_OVERLAYD_CONTROL_METRICS_HTTP_H

/*
 * DOC: metrics_http — `MetricsListen`: GET /metrics over HTTP/1.x
 *
 * One request per connection, answered with `overlayctl metrics`'s text
 * and closed. At most METRICS_HTTP_CONNS connections at once (more are
 * closed at accept), each closed after METRICS_HTTP_TIMEOUT_MS or when
 * its request head outgrows METRICS_HTTP_HEAD (431).
 */

#include <stdbool.h>
#include <stddef.h>
#include <uv.h>

enum {
    METRICS_HTTP_CONNS = 8,
    METRICS_HTTP_TIMEOUT_MS = 5000,
    METRICS_HTTP_HEAD = 2048,
};

struct daemon;

struct metrics_http {
    uv_tcp_t tcp;
    bool open;
    size_t conns;
    struct daemon *d;
};

/* Listen on @addr ("127.0.0.1:9475", "[::1]:9475"). 0 or a negative errno. */
int metrics_http_start(struct metrics_http *m, uv_loop_t *loop, const char *addr,
                       struct daemon *d);
void metrics_http_close(struct metrics_http *m);

#endif
