/* SPDX-License-Identifier: GPL-2.0-only */
#include "overlayd/control/ctl_server.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "overlayd/control/ctl_cmds.h"
#include "lib/log.h"
#include "lib/sbuf.h"

struct ctl_client {
    uv_pipe_t pipe;
    uv_timer_t timer;                 /* CTL_CLIENT_TIMEOUT_MS for the whole exchange */
    uv_shutdown_t shut;
    struct ctl_server *s;
    struct ctl_client *next;
    char req[CTL_REQ_MAX];
    size_t len;
    bool done;                        /* request handled, reply in flight */
    bool deferred;                    /* waiting for ctl_server_reply() */
    bool draining;                    /* reply sent: discard input until EOF */
    uint64_t id;
    struct sbuf reply;
    uv_write_t wr;
};

static void ctl_client_free(uv_handle_t *h)
{
    struct ctl_client *c = h->data;
    struct ctl_client **pp = &c->s->clients;

    while (*pp && *pp != c)
        pp = &(*pp)->next;
    if (*pp)
        *pp = c->next;
    c->s->n_clients--;
    sbuf_free(&c->reply);
    free(c);
}

/* The pipe closes first, then the timer, whose callback frees @c. */
static void ctl_pipe_closed(uv_handle_t *h)
{
    struct ctl_client *c = h->data;

    uv_close((uv_handle_t *)&c->timer, ctl_client_free);
}

static void ctl_client_close(struct ctl_client *c)
{
    if (!uv_is_closing((uv_handle_t *)&c->pipe)) {
        uv_timer_stop(&c->timer);
        uv_close((uv_handle_t *)&c->pipe, ctl_pipe_closed);
    }
}

static void ctl_timeout(uv_timer_t *t)
{
    struct ctl_client *c = t->data;

    log_debug("ctl", "client timed out");
    ctl_client_close(c);
}

static void ctl_alloc(uv_handle_t *h, size_t hint, uv_buf_t *buf)
{
    struct ctl_client *c = h->data;

    if (c->draining)                  /* discarded: the whole buffer is scratch */
        *buf = uv_buf_init(c->req, (unsigned)sizeof(c->req));
    else
        *buf = uv_buf_init(c->req + c->len, (unsigned)(sizeof(c->req) - 1 - c->len));
}

static void ctl_drain(uv_stream_t *st, ssize_t n, const uv_buf_t *buf)
{
    if (n < 0)                        /* EOF: the client has read our reply */
        ctl_client_close(st->data);
}

static void ctl_shut(uv_shutdown_t *req, int status)
{
    struct ctl_client *c = req->data;

    if (status < 0 || uv_is_closing((uv_handle_t *)&c->pipe)) {
        ctl_client_close(c);
        return;
    }
    /* Closing with unread input would reset the connection before the
     * client reads the reply; read until it closes (bounded by the timer). */
    c->draining = true;
    if (uv_read_start((uv_stream_t *)&c->pipe, ctl_alloc, ctl_drain) < 0)
        ctl_client_close(c);
}

static void ctl_written(uv_write_t *wr, int status)
{
    struct ctl_client *c = wr->data;

    if (status < 0 || uv_is_closing((uv_handle_t *)&c->pipe)) {
        ctl_client_close(c);
        return;
    }
    c->shut.data = c;
    if (uv_shutdown(&c->shut, (uv_stream_t *)&c->pipe, ctl_shut) < 0)
        ctl_client_close(c);
}

static void ctl_reply(struct ctl_client *c, bool ok, const char *body)
{
    uv_buf_t b;

    c->done = true;
    uv_read_stop((uv_stream_t *)&c->pipe);
    sbuf_reset(&c->reply);
    sbuf_puts(&c->reply, ok ? "ok\n" : "error\n");
    sbuf_puts(&c->reply, body);
    if (sbuf_oom(&c->reply)) {
        ctl_client_close(c);
        return;
    }
    b = uv_buf_init(c->reply.p, (unsigned)c->reply.len);
    c->wr.data = c;
    if (uv_write(&c->wr, (uv_stream_t *)&c->pipe, &b, 1, ctl_written) < 0)
        ctl_client_close(c);
}

/* A complete request: "format\narg\narg\n\n". */
static void ctl_handle(struct ctl_client *c)
{
    char *argv[CTL_MAX_ARGS + 1];
    int argc = 0;
    char *p = c->req, *nl;
    bool json;
    struct sbuf out;
    int rc;

    nl = strchr(p, '\n');
    *nl = '\0';
    if (strcmp(p, "json") != 0 && strcmp(p, "text") != 0) {
        ctl_reply(c, false, "bad request: unknown output format\n");
        return;
    }
    json = strcmp(p, "json") == 0;
    p = nl + 1;
    while (*p != '\n') {
        nl = strchr(p, '\n');
        *nl = '\0';
        if (argc == CTL_MAX_ARGS) {
            ctl_reply(c, false, "bad request: too many arguments\n");
            return;
        }
        argv[argc++] = p;
        p = nl + 1;
    }
    argv[argc] = NULL;
    if (argc == 0) {
        ctl_reply(c, false, "bad request: no command\n");
        return;
    }
    sbuf_init(&out);
    c->id = c->s->current = ++c->s->next_id;
    c->deferred = true;               /* a deferred command may answer at once */
    rc = ctl_cmd_run(c->s->d, argc, argv, json, &out);
    if (rc == CTL_DEFERRED) {
        if (c->deferred) {
            c->done = true;
            uv_read_stop((uv_stream_t *)&c->pipe);
        }
        sbuf_free(&out);
        return;
    }
    c->deferred = false;
    if (out.len && out.p[out.len - 1] != '\n')
        sbuf_putc(&out, '\n');
    if (sbuf_oom(&out))
        ctl_reply(c, false, "out of memory\n");
    else
        ctl_reply(c, rc == 0, sbuf_str(&out));
    sbuf_free(&out);
}

void ctl_server_reply(struct ctl_server *s, uint64_t id, bool ok, const char *body)
{
    struct sbuf b;

    for (struct ctl_client *c = s->clients; c; c = c->next) {
        if (c->id != id || !c->deferred || uv_is_closing((uv_handle_t *)&c->pipe))
            continue;
        c->deferred = false;
        sbuf_init(&b);
        sbuf_puts(&b, body);
        if (b.len && b.p[b.len - 1] != '\n')
            sbuf_putc(&b, '\n');
        ctl_reply(c, ok, sbuf_oom(&b) ? "out of memory\n" : sbuf_str(&b));
        sbuf_free(&b);
        return;
    }
}

static void ctl_read(uv_stream_t *st, ssize_t n, const uv_buf_t *buf)
{
    struct ctl_client *c = st->data;
    char *end;

    if (c->done)
        return;
    if (n < 0) {
        ctl_client_close(c);           /* EOF before a full request, or an error */
        return;
    }
    c->len += (size_t)n;
    c->req[c->len] = '\0';
    if (memchr(c->req, '\0', c->len)) {
        ctl_reply(c, false, "bad request: NUL byte\n");
        return;
    }
    end = strstr(c->req, "\n\n");
    if (!end && c->req[0] != '\n') {
        if (c->len >= sizeof(c->req) - 1)
            ctl_reply(c, false, "request too long\n");
        return;
    }
    if (!end) {
        ctl_reply(c, false, "bad request: empty\n");
        return;
    }
    end[2] = '\0';
    ctl_handle(c);
}

static void ctl_connection(uv_stream_t *server, int status)
{
    struct ctl_server *s = server->data;
    struct ctl_client *c;

    if (status < 0)
        return;
    c = calloc(1, sizeof(*c));
    if (!c)
        return;
    c->s = s;
    sbuf_init(&c->reply);
    uv_pipe_init(server->loop, &c->pipe, 0);
    uv_timer_init(server->loop, &c->timer);
    c->pipe.data = c;
    c->timer.data = c;
    c->next = s->clients;
    s->clients = c;
    s->n_clients++;
    if (uv_accept(server, (uv_stream_t *)&c->pipe) < 0) {
        ctl_client_close(c);
        return;
    }
    uv_timer_start(&c->timer, ctl_timeout, s->timeout_ms, 0);
    if (s->n_clients > CTL_MAX_CLIENTS) {
        ctl_reply(c, false, "too many control clients\n");
        return;
    }
    if (uv_read_start((uv_stream_t *)&c->pipe, ctl_alloc, ctl_read) < 0)
        ctl_client_close(c);
}

static int ctl_mkdir_parent(const char *path)
{
    char dir[sizeof(((struct ctl_server *)0)->path)];
    char *slash;

    snprintf(dir, sizeof(dir), "%s", path);
    slash = strrchr(dir, '/');
    if (!slash || slash == dir)
        return 0;
    *slash = '\0';
    for (char *p = dir + 1; *p; p++) {
        if (*p == '/') {
            *p = '\0';
            if (mkdir(dir, 0755) < 0 && errno != EEXIST)
                return -errno;
            *p = '/';
        }
    }
    if (mkdir(dir, 0755) < 0 && errno != EEXIST)
        return -errno;
    return 0;
}

/* 1 when a daemon answers on @path, 0 when not (stale or absent). */
static int ctl_in_use(const char *path)
{
    struct sockaddr_un sa = { .sun_family = AF_UNIX };
    int fd, rc;

    fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return 0;
    snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", path);
    rc = connect(fd, (struct sockaddr *)&sa, sizeof(sa));
    close(fd);
    return rc == 0;
}

int ctl_server_start(struct ctl_server *s, uv_loop_t *loop, const char *path, struct daemon *d)
{
    struct stat st;
    mode_t old;
    int rc;

    memset(s, 0, sizeof(*s));
    s->d = d;
    s->timeout_ms = CTL_CLIENT_TIMEOUT_MS;
    if (!path[0] || strlen(path) >= sizeof(s->path))
        return -ENAMETOOLONG;
    snprintf(s->path, sizeof(s->path), "%s", path);
    rc = ctl_mkdir_parent(path);
    if (rc < 0) {
        log_error("ctl", "cannot create the directory of %s: %s", path, strerror(-rc));
        return rc;
    }
    if (lstat(path, &st) == 0) {
        if (!S_ISSOCK(st.st_mode)) {
            log_error("ctl", "%s exists and is not a socket: refusing to replace it", path);
            return -EEXIST;
        }
        if (ctl_in_use(path)) {
            log_error("ctl", "another overlayd answers on %s: refusing to start", path);
            return -EADDRINUSE;
        }
        log_info("ctl", "removing stale socket %s", path);
        unlink(path);
    }
    uv_pipe_init(loop, &s->pipe, 0);
    s->pipe.data = s;
    s->open = true;
    old = umask(0177);                /* the socket is born 0600 */
    rc = uv_pipe_bind(&s->pipe, path);
    umask(old);
    if (rc < 0) {
        log_error("ctl", "bind %s: %s", path, uv_strerror(rc));
        return rc;
    }
    s->bound = true;
    chmod(path, 0600);
    rc = uv_listen((uv_stream_t *)&s->pipe, 16, ctl_connection);
    if (rc < 0) {
        log_error("ctl", "listen %s: %s", path, uv_strerror(rc));
        return rc;
    }
    return 0;
}

void ctl_server_close(struct ctl_server *s)
{
    if (s->open && !uv_is_closing((uv_handle_t *)&s->pipe))
        uv_close((uv_handle_t *)&s->pipe, NULL);
    for (struct ctl_client *c = s->clients; c; c = c->next)
        ctl_client_close(c);
    if (s->bound)
        unlink(s->path);
    s->bound = false;
}
