/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * overlayctl [-s SOCKET] [--json] COMMAND [ARGS]
 *
 * Key commands (genkey, pubkey) and the authority commands (ca, cert)
 * run locally; the rest are sent to the daemon over its control socket
 * (protocol: overlayd/control/ctl_server.h, docs/design.md). Prefix cli_ in this folder. Exit 0 on success, 1 with a
 * one-line reason on stderr otherwise.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/un.h>
#include <unistd.h>
#include <sodium.h>

#include "crypto/key.h"
#include "lib/json.h"
#include "lib/mac.h"
#include "lib/sbuf.h"
#include "overlayctl/cert.h"
#include "overlayctl/util.h"

#define DEFAULT_SOCKET "/run/overlayd/overlayd.sock"

struct cli_opts {
    const char *sock;
    bool json;
};

/*
 * Every error is one line on stderr (scripts read one reason): a refused
 * reload's problems, one per line from the daemon, are joined with "; ".
 */
static int fail_joined(const char *body)
{
    fputs("overlayctl: ", stderr);
    for (const char *c = body; *c; c++) {
        if (*c == '\n') {
            while (c[1] == '\n')
                c++;
            fputs("; ", stderr);
        } else {
            fputc(*c, stderr);
        }
    }
    fputc('\n', stderr);
    return 1;
}

/* ---- local commands ------------------------------------------------------ */

/* A key as the command's output: the bare line, or {"@field": key}. */
static int print_key(const struct cli_opts *o, const char *cmd, const char *field,
                     const char *b64)
{
    struct sbuf b;
    struct json j;

    if (!o->json) {
        printf("%s\n", b64);
    } else {
        sbuf_init(&b);
        json_init(&j, &b);
        json_obj_begin(&j);
        json_kstr(&j, field, b64);
        json_obj_end(&j);
        if (sbuf_oom(&b) || j.failed) {
            sbuf_free(&b);
            return cli_fail("%s: out of memory", cmd);
        }
        printf("%s\n", sbuf_str(&b));
        /* It may hold a private key. */
        sodium_memzero(b.p, b.len);
        sbuf_free(&b);
    }
    return fflush(stdout) == 0 ? 0 : cli_fail("%s: cannot write the key", cmd);
}

static int cmd_genkey(const struct cli_opts *o, int argc, char **argv)
{
    uint8_t k[KEY_LEN];
    char b64[KEY_B64_LEN + 1];
    int rc;

    if (argc != 1)
        return cli_fail("genkey: takes no arguments");
    if (key_generate(k) < 0)
        return cli_fail("genkey: cannot initialise libsodium");
    key_to_base64(b64, k);
    sodium_memzero(k, sizeof(k));
    rc = print_key(o, "genkey", "private_key", b64);
    sodium_memzero(b64, sizeof(b64));
    return rc;
}

static int cmd_pubkey(const struct cli_opts *o, int argc, char **argv)
{
    char in[256];
    size_t n;
    uint8_t k[KEY_LEN], pub[KEY_LEN];
    char b64[KEY_B64_LEN + 1];
    int rc;

    if (argc != 1)
        return cli_fail("pubkey: takes no arguments (the private key is read from stdin)");
    n = fread(in, 1, sizeof(in) - 1, stdin);
    in[n] = '\0';
    if (!feof(stdin) && n == sizeof(in) - 1) {
        sodium_memzero(in, sizeof(in));
        return cli_fail("pubkey: input too long for a private key");
    }
    rc = key_from_base64(k, in);
    sodium_memzero(in, sizeof(in));
    if (rc < 0)
        return cli_fail("pubkey: invalid private key on stdin (want 44 base64 characters, as from genkey)");
    rc = key_public(pub, k);
    sodium_memzero(k, sizeof(k));
    if (rc < 0)
        return cli_fail("pubkey: cannot derive the public key");
    key_to_base64(b64, pub);
    return print_key(o, "pubkey", "public_key", b64);
}

static int cmd_cert(const struct cli_opts *o, int argc, char **argv)
{
    return cli_cert_run(argc, argv, o->json);
}

/* ---- daemon commands ----------------------------------------------------- */

/* The request text: "json"/"text", then one argument per line, then an
 * empty line. Returns 0 or 1 (error printed); *@req is malloc'ed. */
static int cli_build_request(const struct cli_opts *o, int argc, char **argv, char **req,
                             size_t *len)
{
    FILE *f = open_memstream(req, len);

    if (!f)
        return cli_fail("out of memory");
    fprintf(f, "%s\n", o->json ? "json" : "text");
    for (int i = 0; i < argc; i++) {
        if (!argv[i][0] || strchr(argv[i], '\n')) {
            fclose(f);
            free(*req);
            return cli_fail("%s: empty argument or newline in an argument", argv[0]);
        }
        fprintf(f, "%s\n", argv[i]);
    }
    fputc('\n', f);
    if (fclose(f) != 0) {
        free(*req);
        return cli_fail("out of memory");
    }
    return 0;
}

/* Connect to the daemon and send @req. Returns the socket or -1 (error printed). */
static int cli_connect_send(const struct cli_opts *o, const char *req, size_t len)
{
    struct sockaddr_un sa = { .sun_family = AF_UNIX };
    struct timeval tv = { .tv_sec = 30 };
    int fd, rc;

    strcpy(sa.sun_path, o->sock);
    fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) {
        cli_fail("socket: %s", strerror(errno));
        return -1;
    }
    if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
        rc = errno;
        close(fd);
        cli_fail("daemon not running (%s: %s)", o->sock, strerror(rc));
        return -1;
    }
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
    rc = cli_write_all(fd, req, len);
    if (rc < 0) {
        close(fd);
        cli_fail("cannot send to the daemon (%s: %s)", o->sock, strerror(-rc));
        return -1;
    }
    shutdown(fd, SHUT_WR);
    return fd;
}

/* Read the whole answer from @fd (closed here). Returns 0 or 1 (error
 * printed); *@out is malloc'ed and NUL-terminated. */
static int cli_read_answer(const struct cli_opts *o, int fd, char **out)
{
    char *resp = NULL;
    size_t rlen = 0, cap = 0;
    int rc;

    for (;;) {
        ssize_t r;

        if (cap - rlen < 4096) {
            char *nr = realloc(resp, cap ? cap * 2 : 8192);

            if (!nr) {
                close(fd);
                free(resp);
                return cli_fail("out of memory");
            }
            resp = nr;
            cap = cap ? cap * 2 : 8192;
        }
        r = read(fd, resp + rlen, cap - rlen - 1);
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0) {
            rc = errno;
            close(fd);
            free(resp);
            return cli_fail("no answer from the daemon (%s: %s)", o->sock, strerror(rc));
        }
        if (r == 0)
            break;
        rlen += (size_t)r;
    }
    close(fd);
    resp[rlen] = '\0';
    *out = resp;
    return 0;
}

/* "ok\n" + output to stdout, or "error\n" + reasons as one line on stderr. */
static int cli_print_answer(const struct cli_opts *o, char *resp)
{
    char *body;
    size_t bl;

    if (strncmp(resp, "ok\n", 3) == 0) {
        fputs(resp + 3, stdout);
        return fflush(stdout) == 0 ? 0 : 1;
    }
    if (strncmp(resp, "error\n", 6) != 0)
        return cli_fail("malformed answer from the daemon (%s)", o->sock);
    body = resp + 6;
    bl = strlen(body);
    while (bl && body[bl - 1] == '\n')
        body[--bl] = '\0';
    return fail_joined(bl ? body : "failed");
}

static int cli_request(const struct cli_opts *o, int argc, char **argv)
{
    struct sockaddr_un sa;
    char *req = NULL, *resp = NULL;
    size_t rlen = 0;
    int fd, rc;

    if (strlen(o->sock) >= sizeof(sa.sun_path))
        return cli_fail("socket path too long: %s", o->sock);
    if (cli_build_request(o, argc, argv, &req, &rlen))
        return 1;
    fd = cli_connect_send(o, req, rlen);
    free(req);
    if (fd < 0)
        return 1;
    if (cli_read_answer(o, fd, &resp))
        return 1;
    rc = cli_print_answer(o, resp);
    free(resp);
    return rc;
}

static int cmd_noargs(const struct cli_opts *o, int argc, char **argv)
{
    if (argc != 1)
        return cli_fail("%s: takes no arguments", argv[0]);
    return cli_request(o, argc, argv);
}

static int cmd_fdb(const struct cli_opts *o, int argc, char **argv)
{
    if (argc != 2)
        return cli_fail("usage: fdb ENCLAVE");
    return cli_request(o, argc, argv);
}

static int cmd_neigh(const struct cli_opts *o, int argc, char **argv)
{
    if (argc != 2)
        return cli_fail("usage: neigh ENCLAVE");
    return cli_request(o, argc, argv);
}

static int cmd_paths(const struct cli_opts *o, int argc, char **argv)
{
    if (argc != 2)
        return cli_fail("usage: paths ENCLAVE");
    return cli_request(o, argc, argv);
}

static int cmd_lookup(const struct cli_opts *o, int argc, char **argv)
{
    uint8_t mac[6];

    if (argc != 3 || argv[1][0] == '-')
        return cli_fail("usage: lookup ENCLAVE MAC");
    if (mac_parse(argv[2], mac) < 0 || !mac_is_guest(mac))
        return cli_fail("lookup: bad MAC %s (want a unicast aa:bb:cc:dd:ee:ff)", argv[2]);
    return cli_request(o, argc, argv);
}

static int cmd_attach(const struct cli_opts *o, int argc, char **argv)
{
    uint8_t mac[6];

    if (argc < 3 || argv[1][0] == '-' || argv[2][0] == '-')
        return cli_fail("usage: attach ENCLAVE IFNAME [--mac MAC] [--name VMNAME]");
    for (int i = 3; i < argc; i++) {
        if (strcmp(argv[i], "--mac") == 0 && i + 1 < argc) {
            if (mac_parse(argv[i + 1], mac) < 0 || !mac_is_guest(mac))
                return cli_fail("attach: bad MAC %s (want a unicast aa:bb:cc:dd:ee:ff)", argv[i + 1]);
            i++;
        } else if (strcmp(argv[i], "--name") == 0 && i + 1 < argc) {
            i++;
        } else {
            return cli_fail("attach: unexpected argument %s", argv[i]);
        }
    }
    return cli_request(o, argc, argv);
}

static int cmd_detach(const struct cli_opts *o, int argc, char **argv)
{
    if (argc != 2 || argv[1][0] == '-')
        return cli_fail("usage: detach IFNAME");
    return cli_request(o, argc, argv);
}

static int cmd_help(const struct cli_opts *o, int argc, char **argv);

static const struct {
    const char *name;
    int (*fn)(const struct cli_opts *o, int argc, char **argv);
    const char *help;
} commands[] = {
    { "genkey", cmd_genkey, "genkey                      new private key (base64), like wg genkey" },
    { "pubkey", cmd_pubkey, "pubkey < KEY                public key of a private key, like wg pubkey" },
    { "status", cmd_noargs, "status                      host, keys, ring id, uptime, counters" },
    { "peers", cmd_noargs, "peers                       known hosts and their links" },
    { "enclaves", cmd_noargs, "enclaves                    enclaves, members, hosts carrying them" },
    { "fdb", cmd_fdb, "fdb ENCLAVE                 MAC table of an enclave" },
    { "neigh", cmd_neigh, "neigh ENCLAVE               ARP/ND bindings of an enclave (static, local, ring)" },
    { "paths", cmd_paths, "paths ENCLAVE               path, RTT and bounds to each host carrying it" },
    { "attach", cmd_attach, "attach ENCLAVE IFNAME [--mac MAC] [--name VM]  put a guest interface on an enclave" },
    { "detach", cmd_detach, "detach IFNAME               take it off again" },
    { "reload", cmd_noargs, "reload                      re-read the configuration (like SIGHUP)" },
    { "ring", cmd_noargs, "ring                        the ring view: id, predecessor, successors, fingers" },
    { "lookup", cmd_lookup, "lookup ENCLAVE MAC          where a VM lives, through the ring" },
    { "metrics", cmd_noargs, "metrics                     counters and gauges, Prometheus text format" },
    { "ca", cmd_cert, "ca init DIR                 create an overlay authority" },
    { "cert", cmd_cert, "cert issue|show ...         host certificates" },
    { "help", cmd_help, "help                        this text" },
};

static void usage(FILE *f)
{
    fprintf(f, "usage: overlayctl [-s SOCKET] [--json] COMMAND [ARGS]\n"
               "default SOCKET: " DEFAULT_SOCKET "\ncommands:\n");
    for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
        fprintf(f, "  %s\n", commands[i].help);
}

static int cmd_help(const struct cli_opts *o, int argc, char **argv)
{
    usage(stdout);
    return 0;
}

int main(int argc, char **argv)
{
    struct cli_opts o = { .sock = DEFAULT_SOCKET, .json = false };
    char **args;
    int i = 1, n = 0;

    while (i < argc && argv[i][0] == '-') {
        if (strcmp(argv[i], "-s") == 0 || strcmp(argv[i], "--socket") == 0) {
            if (i + 1 >= argc)
                return cli_fail("-s needs a socket path");
            o.sock = argv[i + 1];
            i += 2;
        } else if (strcmp(argv[i], "--json") == 0 || strcmp(argv[i], "-j") == 0) {
            o.json = true;
            i++;
        } else if (strcmp(argv[i], "-h") == 0 || strcmp(argv[i], "--help") == 0) {
            usage(stdout);
            return 0;
        } else {
            return cli_fail("unknown option %s (see overlayctl help)", argv[i]);
        }
    }
    if (i >= argc)
        return cli_fail("no command given (see overlayctl help)");
    /* --json is also accepted after the command (ca and cert take it out
     * of their own arguments: cli_cert_run). */
    args = calloc((size_t)(argc - i + 1), sizeof(*args));
    if (!args)
        return cli_fail("out of memory");
    for (int k = i; k < argc; k++) {
        if (strcmp(argv[k], "--json") == 0 && strcmp(argv[i], "ca") != 0 &&
            strcmp(argv[i], "cert") != 0 && k > i) {
            o.json = true;
            continue;
        }
        args[n++] = argv[k];
    }
    for (size_t c = 0; c < sizeof(commands) / sizeof(commands[0]); c++) {
        if (strcmp(args[0], commands[c].name) == 0) {
            int rc = commands[c].fn(&o, n, args);

            free(args);
            return rc;
        }
    }
    cli_fail("unknown command %s (see overlayctl help)", args[0]);
    free(args);
    return 1;
}
