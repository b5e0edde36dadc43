/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * ctl_server.c limits (request size, idle time, client count): an over-long request gets
 * "request too long" (not a reset), idle clients time out, at most
 * CTL_MAX_CLIENTS are served at once. The server runs its libuv loop in
 * the main thread; the clients are plain blocking sockets in a thread.
 * ctl_cmd_run is this file's: it answers "pong".
 */
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "overlayd/control/ctl_cmds.h"
#include "overlayd/control/ctl_server.h"
#include "lib/log.h"
#include "lib/sbuf.h"
#include "lib/check.h"

static char sock_path[108];
static uv_async_t stop_async;

int ctl_cmd_run(struct daemon *d, int argc, char **argv, bool json, struct sbuf *out)
{
    (void)d;
    (void)json;
    sbuf_puts(out, argc == 1 && strcmp(argv[0], "ping") == 0 ? "pong" : "what");
    return 0;
}

static int connect_ctl(void)
{
    struct sockaddr_un sa = { .sun_family = AF_UNIX };
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

    if (fd < 0)
        return -1;
    snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", sock_path);
    if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
        close(fd);
        return -1;
    }
    return fd;
}

/* Read until EOF (or @ms without data). Returns bytes read or -errno. */
static ssize_t read_all(int fd, char *buf, size_t cap, int ms)
{
    size_t len = 0;

    for (;;) {
        struct pollfd p = { .fd = fd, .events = POLLIN };
        ssize_t n;

        if (poll(&p, 1, ms) <= 0)
            return -ETIMEDOUT;
        n = read(fd, buf + len, cap - 1 - len);
        if (n < 0)
            return -errno;
        if (n == 0)
            break;
        len += (size_t)n;
        if (len == cap - 1)
            break;
    }
    buf[len] = '\0';
    return (ssize_t)len;
}

static struct ctl_server srv;

/* Wait until the server has seen every earlier client go (the loop runs
 * in the main thread; a plain relaxed read is enough for this test). */
static void wait_no_clients(void)
{
    for (int i = 0; i < 2000 && __atomic_load_n(&srv.n_clients, __ATOMIC_RELAXED) != 0; i++)
        usleep(1000);
}

static void *client_thread(void *arg)
{
    char buf[256];
    int fds[CTL_MAX_CLIENTS];
    ssize_t n;
    int fd;

    (void)arg;
    /* a normal request */
    fd = connect_ctl();
    CHECK(fd >= 0);
    CHECK(write(fd, "text\nping\n\n", 11) == 11);
    n = read_all(fd, buf, sizeof(buf), 2000);
    CHECK(n > 0 && strcmp(buf, "ok\npong\n") == 0);
    close(fd);

    /* over-long: 3 x CTL_REQ_MAX without a blank line; the client is
     * still writing when the server answers */
    fd = connect_ctl();
    CHECK(fd >= 0);
    {
        char *big = malloc(3 * CTL_REQ_MAX);

        memset(big, 'a', 3 * CTL_REQ_MAX);
        memcpy(big, "text\n", 5);
        /* the socket buffer holds it all; no deadlock */
        CHECK(write(fd, big, 3 * CTL_REQ_MAX) == 3 * CTL_REQ_MAX);
        free(big);
    }
    n = read_all(fd, buf, sizeof(buf), 2000);
    if (n < 0)
        printf("%s:%d: over-long request: read: %s\n", __FILE__, __LINE__, strerror((int)-n));
    CHECK(n > 0 && strcmp(buf, "error\nrequest too long\n") == 0);
    close(fd);

    /* the client limit: CTL_MAX_CLIENTS idle clients, one more is refused */
    wait_no_clients();
    CHECK(__atomic_load_n(&srv.n_clients, __ATOMIC_RELAXED) == 0);
    for (int i = 0; i < CTL_MAX_CLIENTS; i++) {
        fds[i] = connect_ctl();
        CHECK(fds[i] >= 0);
    }
    usleep(100 * 1000);
    fd = connect_ctl();
    CHECK(fd >= 0);
    n = read_all(fd, buf, sizeof(buf), 2000);
    CHECK(n > 0 && strcmp(buf, "error\ntoo many control clients\n") == 0);
    close(fd);

    /* idle clients are closed by the timeout (300 ms here) */
    for (int i = 0; i < CTL_MAX_CLIENTS; i++) {
        n = read_all(fds[i], buf, sizeof(buf), 3000);
        if (!(n == 0 || n == -ECONNRESET))
            printf("%s:%d: idle client %d: n=%zd buf=%.40s\n", __FILE__, __LINE__, i, n, n > 0 ? buf : "");
        CHECK(n == 0 || n == -ECONNRESET);
        close(fds[i]);
    }
    /* and then a client is served again */
    fd = connect_ctl();
    CHECK(fd >= 0);
    CHECK(write(fd, "text\nping\n\n", 11) == 11);
    n = read_all(fd, buf, sizeof(buf), 2000);
    CHECK(n > 0 && strcmp(buf, "ok\npong\n") == 0);
    close(fd);

    uv_async_send(&stop_async);
    return NULL;
}

static void stop_cb(uv_async_t *a)
{
    ctl_server_close(&srv);
    uv_close((uv_handle_t *)a, NULL);
}

int main(void)
{
    uv_loop_t loop;
    pthread_t th;
    char dir[] = "/tmp/ovl-ctl-test-XXXXXX";

    if (!mkdtemp(dir))
        return 77;
    snprintf(sock_path, sizeof(sock_path), "%s/ctl.sock", dir);
    log_set_level(LOG_ERROR);
    uv_loop_init(&loop);
    CHECK(ctl_server_start(&srv, &loop, sock_path, NULL) == 0);
    srv.timeout_ms = 300;
    uv_async_init(&loop, &stop_async, stop_cb);
    pthread_create(&th, NULL, client_thread, NULL);
    uv_run(&loop, UV_RUN_DEFAULT);
    pthread_join(th, NULL);
    CHECK(srv.n_clients == 0);
    uv_loop_close(&loop);
    rmdir(dir);
    return CHECK_DONE();
}
