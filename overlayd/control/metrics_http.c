/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * MetricsListen: see metrics_http.h. Control path only; nothing here
 * blocks the loop (a slow client holds one of a few slots, with a timer).
 */
#include "overlayd/control/metrics_http.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "lib/log.h"
#include "lib/sbuf.h"
#include "overlayd/control/ctl_cmds.h"

struct metrics_conn {
    uv_tcp_t tcp;
    uv_timer_t timer;
    uv_write_t wr;
    struct metrics_http *srv;
    char head[METRICS_HTTP_HEAD];
    size_t len;
    bool answered;
    int closing;                        /* handles still to close */
    struct sbuf resp;
};

static void metrics_conn_closed(uv_handle_t *h)
{
    struct metrics_conn *c = h->data;

    if (--c->closing > 0)
        return;
    c->srv->conns--;
    sbuf_free(&c->resp);
    free(c);
}

static void metrics_conn_close(struct metrics_conn *c)
{
    if (c->closing)
        return;
    c->closing = 2;
    uv_close((uv_handle_t *)&c->timer, metrics_conn_closed);
    uv_close((uv_handle_t *)&c->tcp, metrics_conn_closed);
}

static void metrics_written(uv_write_t *w, int status)
{
    (void)status;
    metrics_conn_close(w->data);
}

static void metrics_reply(struct metrics_conn *c, const char *status, const char *body,
                          size_t len)
{
    uv_buf_t b;

    c->answered = true;
    uv_read_stop((uv_stream_t *)&c->tcp);
    sbuf_printf(&c->resp,
                "HTTP/1.0 %s\r\nContent-Type: text/plain; version=0.0.4; charset=utf-8\r\n"
                "Content-Length: %zu\r\nConnection: close\r\n\r\n",
                status, len);
    sbuf_put(&c->resp, body, len);
    if (sbuf_oom(&c->resp)) {
        metrics_conn_close(c);
        return;
    }
    b = uv_buf_init(c->resp.p, (unsigned)c->resp.len);
    c->wr.data = c;
    if (uv_write(&c->wr, (uv_stream_t *)&c->tcp, &b, 1, metrics_written) < 0)
        metrics_conn_close(c);
}

/* The request head is whole: answer it. */
static void metrics_answer(struct metrics_conn *c)
{
    char *argv[] = { "metrics", NULL };
    struct sbuf body;
    const char *path = c->head + 4;

    if (strncmp(c->head, "GET ", 4) != 0) {
        metrics_reply(c, "405 Method Not Allowed", "GET /metrics\n", 13);
        return;
    }
    if (strncmp(path, "/metrics ", 9) != 0 && strncmp(path, "/metrics?", 9) != 0) {
        metrics_reply(c, "404 Not Found", "GET /metrics\n", 13);
        return;
    }
    sbuf_init(&body);
    if (ctl_cmd_run(c->srv->d, 1, argv, false, &body) < 0 || sbuf_oom(&body))
        metrics_reply(c, "500 Internal Server Error", "", 0);
    else
        metrics_reply(c, "200 OK", body.p, body.len);
    sbuf_free(&body);
}

static void metrics_alloc(uv_handle_t *h, size_t hint, uv_buf_t *b)
{
    struct metrics_conn *c = h->data;

    (void)hint;
    *b = uv_buf_init(c->head + c->len, (unsigned)(sizeof(c->head) - 1 - c->len));
}

static void metrics_read(uv_stream_t *s, ssize_t n, const uv_buf_t *b)
{
    struct metrics_conn *c = s->data;

    (void)b;
    if (n < 0) {
        metrics_conn_close(c);
        return;
    }
    c->len += (size_t)n;
    c->head[c->len] = 0;
    if (strstr(c->head, "\r\n\r\n") || strstr(c->head, "\n\n"))
        metrics_answer(c);
    else if (c->len == sizeof(c->head) - 1)
        metrics_reply(c, "431 Request Header Fields Too Large", "", 0);
}

static void metrics_timeout(uv_timer_t *t)
{
    metrics_conn_close(t->data);
}

static void metrics_accept(uv_stream_t *s, int status)
{
    struct metrics_http *m = s->data;
    struct metrics_conn *c;

    if (status < 0 || !(c = calloc(1, sizeof(*c))))
        return;
    c->srv = m;
    sbuf_init(&c->resp);
    uv_tcp_init(s->loop, &c->tcp);
    uv_timer_init(s->loop, &c->timer);
    c->tcp.data = c->timer.data = c;
    m->conns++;
    if (uv_accept(s, (uv_stream_t *)&c->tcp) < 0 || m->conns > METRICS_HTTP_CONNS) {
        metrics_conn_close(c);
        return;
    }
    uv_timer_start(&c->timer, metrics_timeout, METRICS_HTTP_TIMEOUT_MS, 0);
    if (uv_read_start((uv_stream_t *)&c->tcp, metrics_alloc, metrics_read) < 0)
        metrics_conn_close(c);
}

int metrics_http_start(struct metrics_http *m, uv_loop_t *loop, const char *addr,
                       struct daemon *d)
{
    struct sockaddr_storage ss;
    char host[64];
    const char *colon = strrchr(addr, ':');
    size_t n;
    int port, rc;

    memset(m, 0, sizeof(*m));
    m->d = d;
    if (!colon)
        return -EINVAL;
    n = (size_t)(colon - addr);
    if (addr[0] == '[') {
        addr++;
        n -= 2;
    }
    if (n >= sizeof(host))
        return -EINVAL;
    memcpy(host, addr, n);
    host[n] = 0;
    port = atoi(colon + 1);
    if (uv_ip4_addr(host, port, (struct sockaddr_in *)&ss) < 0 &&
        uv_ip6_addr(host, port, (struct sockaddr_in6 *)&ss) < 0)
        return -EINVAL;
    uv_tcp_init(loop, &m->tcp);
    m->tcp.data = m;
    m->open = true;
    rc = uv_tcp_bind(&m->tcp, (const struct sockaddr *)&ss, 0);
    if (rc == 0)
        rc = uv_listen((uv_stream_t *)&m->tcp, 16, metrics_accept);
    if (rc < 0) {
        metrics_http_close(m);
        return rc;
    }
    return 0;
}

void metrics_http_close(struct metrics_http *m)
{
    if (!m->open)
        return;
    m->open = false;
    uv_close((uv_handle_t *)&m->tcp, NULL);
}
