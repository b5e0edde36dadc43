/* SPDX-License-Identifier: GPL-2.0-only */
/* overlayd.conf: [Host] and [Peer], key and certificate files, loading. */
#include "overlayd/config/config.h"
#include "overlayd/config/config_int.h"

#include "crypto/key.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <sodium.h>

_Static_assert(sizeof(((struct config *)0)->control_socket) ==
               sizeof(((struct sockaddr_un *)0)->sun_path),
               "ControlSocket must fit sun_path exactly");

enum host_key {
    HK_NAME, HK_PRIVATE_KEY_FILE, HK_PRIVATE_KEY, HK_LISTEN_PORT, HK_LISTEN_ADDRESS,
    HK_CONTROL_SOCKET, HK_ENCLAVE_DIR, HK_AUTHORITY, HK_CERTIFICATE_FILE, HK_PROXIMITY_SAMPLE,
    HK_CIPHER, HK_REVOKED_FILE, HK_METRICS_LISTEN, HK_COUNT,
};
enum peer_key { PK_NAME, PK_PUBLIC_KEY, PK_ENDPOINT, PK_COUNT };
enum host_section { HS_HOST, HS_PEER };

static const struct cfg_key_spec host_keys[HK_COUNT] = {
    [HK_NAME] = { "Name", true, false },
    [HK_PRIVATE_KEY_FILE] = { "PrivateKeyFile", false, false },
    [HK_PRIVATE_KEY] = { "PrivateKey", false, false },
    [HK_LISTEN_PORT] = { "ListenPort", false, false },
    [HK_LISTEN_ADDRESS] = { "ListenAddress", false, false },
    [HK_CONTROL_SOCKET] = { "ControlSocket", false, false },
    [HK_ENCLAVE_DIR] = { "EnclaveDir", false, false },
    [HK_AUTHORITY] = { "Authority", false, true },
    [HK_CERTIFICATE_FILE] = { "CertificateFile", false, false },
    [HK_PROXIMITY_SAMPLE] = { "ProximitySample", false, false },
    [HK_CIPHER] = { "Cipher", false, false },
    [HK_REVOKED_FILE] = { "RevokedFile", false, false },
    [HK_METRICS_LISTEN] = { "MetricsListen", false, false },
};
static const struct cfg_key_spec peer_keys[PK_COUNT] = {
    [PK_NAME] = { "Name", false, false },
    [PK_PUBLIC_KEY] = { "PublicKey", true, false },
    [PK_ENDPOINT] = { "Endpoint", false, false },
};
static const struct cfg_section_spec host_sections[] = {
    [HS_HOST] = { "Host", true, true, host_keys, HK_COUNT },
    [HS_PEER] = { "Peer", false, false, peer_keys, PK_COUNT },
};

struct host_state {
    struct cfg_sink *s;
    struct config *cfg;
    int host_line;                /* 0: no [Host] */
    int lines[HK_COUNT];          /* line each [Host] key was set on */
    bool delivered[HK_COUNT];     /* value reached host_key_value() */
    size_t peer_cap;
    /* Per [Peer]: did it have an Endpoint line at all (valid or not)?
     * An invalid one is reported once, not again as "missing". */
    bool *peer_has_endpoint;
    unsigned n_authority;         /* Authority lines seen */
    int authority_line;           /* the first one */
    int revoked_line;             /* RevokedFile */
};

static int host_begin(void *user, size_t sec, int line)
{
    struct host_state *h = user;
    struct config *cfg = h->cfg;

    if (sec == HS_HOST) {
        h->host_line = line;
        return 0;
    }
    if (cfg->n_peers == h->peer_cap) {
        size_t cap = h->peer_cap ? 2 * h->peer_cap : 4;
        struct config_peer *p = realloc(cfg->peers, cap * sizeof(*p));
        bool *e;

        if (!p)
            return -ENOMEM;
        cfg->peers = p;
        e = realloc(h->peer_has_endpoint, cap * sizeof(*e));
        if (!e)
            return -ENOMEM;
        h->peer_has_endpoint = e;
        h->peer_cap = cap;
    }
    h->peer_has_endpoint[cfg->n_peers] = false;
    memset(&cfg->peers[cfg->n_peers], 0, sizeof(cfg->peers[0]));
    cfg->peers[cfg->n_peers++].line = line;
    return 0;
}

static void host_path(struct host_state *h, const char *key, const char *v, int line,
                      char *out, size_t size)
{
    char q[80];

    if (cfg_resolve(out, size, h->s->path, v))
        cfg_problem(h->s, line, "%s %s is too long (at most %zu characters)", key,
                    cfg_quote(q, v), size - 1);
}

/* Authority, given once, or twice while a key rotation trusts both. */
static void host_authority(struct host_state *h, const char *v, int line)
{
    struct config *cfg = h->cfg;
    uint8_t key[32];
    char q[80];

    if (++h->n_authority > 2) {
        cfg_problem(h->s, line, "Authority is given more than twice (first on line %d); at most two are trusted at once, during a key rotation",
                    h->authority_line);
        return;
    }
    if (h->n_authority == 1)
        h->authority_line = line;
    if (key_from_base64(key, v) != 0) {
        cfg_problem(h->s, line, "Authority %s is not a base64 32-byte key (want the one line of authority.pub)",
                    cfg_quote(q, v));
        return;
    }
    if (h->n_authority == 1) {
        memcpy(cfg->authority, key, 32);
        cfg->has_authority = true;
    } else if (cfg->has_authority && memcmp(cfg->authority, key, 32) == 0) {
        cfg_problem(h->s, line, "Authority is the same key as on line %d", h->authority_line);
    } else {
        memcpy(cfg->authority2, key, 32);
        cfg->has_authority2 = true;
    }
}

static void host_key_value(struct host_state *h, size_t k, const char *v, int line)
{
    struct config *cfg = h->cfg;
    unsigned long n;
    char q[80], sock[PATH_MAX];
    int r;

    h->delivered[k] = true;
    switch (k) {
    case HK_NAME:
        if (cfg_name_ok(v))
            snprintf(cfg->name, sizeof(cfg->name), "%s", v);
        else
            cfg_problem(h->s, line, "Name %s is not a valid name (want 1..32 characters of a-z, 0-9 and -)",
                        cfg_quote(q, v));
        break;
    case HK_PRIVATE_KEY_FILE:
        host_path(h, "PrivateKeyFile", v, line, cfg->private_key_file, sizeof(cfg->private_key_file));
        break;
    case HK_PRIVATE_KEY:
        if (key_from_base64(cfg->private_key, v) == 0)
            cfg->has_private_key = true;
        else    /* never echo a secret back into logs */
            cfg_problem(h->s, line, "PrivateKey is not a base64 X25519 key (want 44 characters as printed by \"overlayctl genkey\")");
        break;
    case HK_LISTEN_PORT:
        r = cfg_parse_uint(v, 1, 65535, &n);
        if (r)
            cfg_problem(h->s, line, "ListenPort %s is not a port number (want 1..65535)", cfg_quote(q, v));
        else
            cfg->listen_port = (uint16_t)n;
        break;
    case HK_LISTEN_ADDRESS:
        if (cfg_ip_family(v))
            snprintf(cfg->listen_address, sizeof(cfg->listen_address), "%s", v);
        else
            cfg_problem(h->s, line, "ListenAddress %s is not an IPv4 or IPv6 address", cfg_quote(q, v));
        break;
    case HK_METRICS_LISTEN: {
        int fam = 0;
        uint16_t port = 0;

        /* A literal address: the daemon binds it before any resolver runs. */
        if (cfg_parse_endpoint(v, &fam, &port) < 0 || !fam || !port ||
            strlen(v) >= sizeof(cfg->metrics_listen))
            cfg_problem(h->s, line, "MetricsListen %s is not ADDRESS:PORT (want 127.0.0.1:9475 or [::1]:9475)", cfg_quote(q, v));
        else
            snprintf(cfg->metrics_listen, sizeof(cfg->metrics_listen), "%s", v);
        break;
    }
    case HK_CONTROL_SOCKET:
        /* Length first, then a plain copy: the path must fit sun_path
         * with its NUL, and a cut path would bind somewhere else. */
        if (cfg_resolve(sock, sizeof(sock), h->s->path, v) ||
            (n = strlen(sock)) >= sizeof(cfg->control_socket)) {
            cfg_problem(h->s, line, "ControlSocket %s is too long for a Unix socket path (at most %zu characters)",
                        cfg_quote(q, sock[0] ? sock : v), sizeof(cfg->control_socket) - 1);
        } else {
            memcpy(cfg->control_socket, sock, n + 1);
        }
        break;
    case HK_ENCLAVE_DIR:
        host_path(h, "EnclaveDir", v, line, cfg->enclave_dir, sizeof(cfg->enclave_dir));
        break;
    case HK_AUTHORITY:
        host_authority(h, v, line);
        break;
    case HK_REVOKED_FILE:
        host_path(h, "RevokedFile", v, line, cfg->revoked_file, sizeof(cfg->revoked_file));
        h->revoked_line = line;
        break;
    case HK_CERTIFICATE_FILE:
        host_path(h, "CertificateFile", v, line, cfg->certificate_file, sizeof(cfg->certificate_file));
        break;
    case HK_PROXIMITY_SAMPLE:
        if (cfg_parse_uint(v, 1, CONFIG_PROXIMITY_MAX, &n))
            cfg_problem(h->s, line, "ProximitySample %s is not a candidate count (want 1..%d; 1 = plain Chord fingers)",
                        cfg_quote(q, v), CONFIG_PROXIMITY_MAX);
        else
            cfg->proximity_sample = (unsigned)n;
        break;
    case HK_CIPHER:
        if (strcmp(v, "auto") == 0 || strcmp(v, "chachapoly") == 0)
            cfg->cipher_auto = v[0] == 'a';
        else
            cfg_problem(h->s, line, "Cipher %s is not auto or chachapoly", cfg_quote(q, v));
        break;
    }
}

static void peer_key_value(struct host_state *h, size_t k, const char *v, int line)
{
    struct config_peer *p = &h->cfg->peers[h->cfg->n_peers - 1];
    char q[80];
    int r;

    switch (k) {
    case PK_NAME:
        if (cfg_name_ok(v)) {
            snprintf(p->name, sizeof(p->name), "%s", v);
            p->name_line = line;
        } else {
            cfg_problem(h->s, line, "Name %s is not a valid name (want 1..32 characters of a-z, 0-9 and -)",
                        cfg_quote(q, v));
        }
        break;
    case PK_PUBLIC_KEY:
        if (key_from_base64(p->pubkey, v) == 0)
            p->pubkey_line = line;
        else
            cfg_problem(h->s, line, "PublicKey %s is not a base64 X25519 key (want 44 characters as printed by \"overlayctl pubkey\")",
                        cfg_quote(q, v));
        break;
    case PK_ENDPOINT:
        r = cfg_parse_endpoint(v, &p->endpoint_family, &p->endpoint_port);
        if (r == -ERANGE)
            cfg_problem(h->s, line, "Endpoint %s has a bad port (want 1..65535)", cfg_quote(q, v));
        else if (r || strlen(v) >= sizeof(p->endpoint))
            cfg_problem(h->s, line, "Endpoint %s is not an endpoint (want 10.0.0.2:51900, [fd00::2]:51900 or name:51900)",
                        cfg_quote(q, v));
        if (r == 0 && strlen(v) < sizeof(p->endpoint)) {
            snprintf(p->endpoint, sizeof(p->endpoint), "%s", v);
            p->endpoint_line = line;
        } else {
            p->endpoint_family = 0;
            p->endpoint_port = 0;
        }
        break;
    }
}

static void host_key(void *user, size_t sec, size_t k, const char *v, int line)
{
    if (sec == HS_HOST)
        host_key_value(user, k, v, line);
    else
        peer_key_value(user, k, v, line);
}

static void host_end(void *user, size_t sec, int line, const int *key_lines)
{
    struct host_state *h = user;

    /* Keep lines of keys that were set but invalid too, for the
     * cross-key checks below ("both PrivateKey and PrivateKeyFile"). */
    if (sec == HS_HOST) {
        memcpy(h->lines, key_lines, sizeof(h->lines));
        /* An empty EnclaveDir (reported by the walker) must not fall
         * back to the default and draw a second, misleading problem. */
        if (key_lines[HK_ENCLAVE_DIR] && !h->delivered[HK_ENCLAVE_DIR])
            h->cfg->enclave_dir[0] = '\0';
    } else {
        h->peer_has_endpoint[h->cfg->n_peers - 1] = key_lines[PK_ENDPOINT] != 0;
    }
}

static const struct cfg_schema host_schema = {
    .sections = host_sections,
    .n_sections = 2,
    .expected = "[Host] or [Peer]",
    .begin = host_begin,
    .key = host_key,
    .end = host_end,
};

/* Checks that involve more than one key or section. */
static void host_cross_checks(struct host_state *h)
{
    struct config *cfg = h->cfg;
    const int *L = h->lines;

    if (h->host_line) {
        if (L[HK_PRIVATE_KEY] && L[HK_PRIVATE_KEY_FILE])
            cfg_problem(h->s, L[HK_PRIVATE_KEY] > L[HK_PRIVATE_KEY_FILE] ? L[HK_PRIVATE_KEY] : L[HK_PRIVATE_KEY_FILE],
                        "PrivateKey and PrivateKeyFile are both set (lines %d and %d); keep one",
                        L[HK_PRIVATE_KEY], L[HK_PRIVATE_KEY_FILE]);
        else if (!L[HK_PRIVATE_KEY] && !L[HK_PRIVATE_KEY_FILE])
            cfg_problem(h->s, h->host_line, "[Host] needs PrivateKeyFile or PrivateKey");
        if (L[HK_AUTHORITY] && !L[HK_CERTIFICATE_FILE])
            cfg_problem(h->s, L[HK_AUTHORITY], "Authority is set but CertificateFile is not (this host needs its certificate)");
        if (L[HK_CERTIFICATE_FILE] && !L[HK_AUTHORITY])
            cfg_problem(h->s, L[HK_CERTIFICATE_FILE], "CertificateFile is set but Authority is not");
        if (L[HK_REVOKED_FILE] && !L[HK_AUTHORITY])
            cfg_problem(h->s, L[HK_REVOKED_FILE], "RevokedFile is set but Authority is not (without an Authority, remove the host's [Peer] instead)");
    }
    for (size_t i = 0; i < cfg->n_peers; i++) {
        struct config_peer *p = &cfg->peers[i];

        if (L[HK_AUTHORITY] && !h->peer_has_endpoint[i])
            cfg_problem(h->s, p->line, "[Peer] has no Endpoint; with Authority a [Peer] only says whom to contact, so it needs one");
        if (p->name_line && cfg->name[0] && !strcmp(p->name, cfg->name))
            cfg_problem(h->s, p->name_line, "peer Name \"%s\" is this host's own Name", p->name);
        for (size_t j = 0; j < i; j++) {
            const struct config_peer *o = &cfg->peers[j];

            if (p->name_line && o->name_line && !strcmp(p->name, o->name))
                cfg_problem(h->s, p->name_line, "peer Name \"%s\" is already used by the [Peer] on line %d",
                            p->name, o->line);
            if (p->pubkey_line && o->pubkey_line && !memcmp(p->pubkey, o->pubkey, 32))
                cfg_problem(h->s, p->pubkey_line, "PublicKey is already used by the [Peer] on line %d",
                            o->line);
        }
    }
}

/* Run only once the private key is known (inline or from its file). */
static void host_check_own_key(struct host_state *h)
{
    struct config *cfg = h->cfg;
    uint8_t pub[32];

    if (!cfg->has_private_key || key_public(pub, cfg->private_key))
        return;
    for (size_t i = 0; i < cfg->n_peers; i++)
        if (cfg->peers[i].pubkey_line && !memcmp(cfg->peers[i].pubkey, pub, 32))
            cfg_problem(h->s, cfg->peers[i].pubkey_line, "PublicKey is this host's own public key");
}

static int host_parse(struct host_state *h, const char *text, size_t len)
{
    struct config *cfg = h->cfg;
    int r;

    memset(cfg, 0, sizeof(*cfg));
    snprintf(cfg->path, sizeof(cfg->path), "%s", h->s->path);
    cfg->listen_port = CONFIG_DEFAULT_PORT;
    cfg->proximity_sample = CONFIG_PROXIMITY_DEFAULT;
    cfg->cipher_auto = true;
    snprintf(cfg->control_socket, sizeof(cfg->control_socket), "%s", CONFIG_DEFAULT_CONTROL_SOCKET);
    snprintf(cfg->enclave_dir, sizeof(cfg->enclave_dir), "%s", CONFIG_DEFAULT_ENCLAVE_DIR);
    r = cfg_walk(h->s, text, len, &host_schema, h);
    if (r)
        return r;
    host_cross_checks(h);
    return 0;
}

int config_parse_host(const char *path, const char *text, size_t len,
                      config_report_fn report, void *ctx, struct config *out)
{
    struct cfg_sink s = { .path = path, .report = report, .ctx = ctx };
    struct host_state h = { .s = &s, .cfg = out };
    int r;

    r = host_parse(&h, text, len);
    free(h.peer_has_endpoint);
    if (r == 0)
        host_check_own_key(&h);
    if (r == 0 && s.problems)
        r = -EINVAL;
    if (r)
        config_clear(out);
    return r;
}

static void host_read_key_file(struct host_state *h)
{
    struct config *cfg = h->cfg;
    const char *kf = cfg->private_key_file;
    int line = h->lines[HK_PRIVATE_KEY_FILE];
    char buf[256], *end;
    struct stat st;
    ssize_t n;
    int fd;

    /* O_NONBLOCK: a FIFO put there by mistake must not hang --check. */
    fd = open(kf, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
    if (fd < 0) {
        cfg_problem(h->s, line, "cannot read private key file %s: %s", kf, strerror(errno));
        return;
    }
    if (fstat(fd, &st) < 0) {
        cfg_problem(h->s, line, "cannot read private key file %s: %s", kf, strerror(errno));
        close(fd);
        return;
    }
    if (!S_ISREG(st.st_mode)) {
        cfg_problem(h->s, line, "cannot read private key file %s: %s", kf,
                    S_ISDIR(st.st_mode) ? strerror(EISDIR) : "not a regular file");
        close(fd);
        return;
    }
    /* The contract's "path: message" form: the problem is the file's
     * mode, not any line of the config. */
    if (st.st_mode & 0044)
        cfg_problem(h->s, 0, "key file %s is readable by group or others (mode %04o); chmod 600 it",
                    kf, (unsigned)(st.st_mode & 07777));
    else if (st.st_mode & 0077)
        cfg_problem(h->s, 0, "key file %s is accessible by group or others (mode %04o); chmod 600 it",
                    kf, (unsigned)(st.st_mode & 07777));
    do
        n = read(fd, buf, sizeof(buf) - 1);
    while (n < 0 && errno == EINTR);
    close(fd);
    if (n < 0) {
        cfg_problem(h->s, line, "cannot read private key file %s: %s", kf, strerror(errno));
        return;
    }
    buf[n] = '\0';
    end = buf + n;
    while (end > buf && (end[-1] == '\n' || end[-1] == '\r' || end[-1] == ' ' || end[-1] == '\t'))
        *--end = '\0';
    if (end == buf)
        cfg_problem(h->s, line, "private key file %s is empty", kf);
    else if ((size_t)n == sizeof(buf) - 1)
        cfg_problem(h->s, line, "private key file %s is too long to hold one key", kf);
    else if (strchr(buf, '\n'))
        cfg_problem(h->s, line, "private key file %s holds more than one line (want one key as printed by \"overlayctl genkey\")", kf);
    else if (key_from_base64(cfg->private_key, buf))
        cfg_problem(h->s, line, "private key file %s does not hold a base64 X25519 key (want one line as printed by \"overlayctl genkey\")", kf);
    else
        cfg->has_private_key = true;
    sodium_memzero(buf, sizeof(buf));
}

/* A missing RevokedFile is an error, not an empty list: a mistyped path
 * must not silently readmit every revoked host. */
static int host_read_revoked(struct host_state *h)
{
    struct config *cfg = h->cfg;
    struct cfg_sink fs = { .path = cfg->revoked_file, .report = h->s->report,
                           .ctx = h->s->ctx };
    char *text = NULL;
    size_t len = 0;
    int r;

    r = cfg_read_file(&fs, cfg->revoked_file, &text, &len);
    if (r == 0) {
        r = config_parse_revoked(cfg->revoked_file, text, len, h->s->report, h->s->ctx,
                                 &cfg->revoked);
        if (r == -EINVAL)
            fs.problems++;
    }
    free(text);
    h->s->problems += fs.problems;
    return r == -ENOMEM ? r : 0;
}

static void host_check_files(struct host_state *h)
{
    struct config *cfg = h->cfg;
    struct stat st;
    int line;

    if (h->lines[HK_PRIVATE_KEY_FILE] && !h->lines[HK_PRIVATE_KEY] && cfg->private_key_file[0])
        host_read_key_file(h);
    if (cfg->certificate_file[0]) {
        line = h->lines[HK_CERTIFICATE_FILE];
        if (access(cfg->certificate_file, R_OK) < 0)
            cfg_problem(h->s, line, "cannot read certificate file %s: %s", cfg->certificate_file,
                        strerror(errno));
        else if (stat(cfg->certificate_file, &st) == 0 && !S_ISREG(st.st_mode))
            cfg_problem(h->s, line, "certificate file %s is not a regular file", cfg->certificate_file);
    }
    if (cfg->revoked_file[0] && h->revoked_line)
        (void)host_read_revoked(h);
}

int config_load(const char *path, config_report_fn report, void *ctx, struct config **out)
{
    struct cfg_sink s = { .path = path, .report = report, .ctx = ctx };
    struct host_state h = { .s = &s };
    struct stat st;
    char *text = NULL;
    size_t len;
    int r, line;

    *out = NULL;
    h.cfg = calloc(1, sizeof(*h.cfg));
    if (!h.cfg)
        return -ENOMEM;
    r = cfg_read_file(&s, path, &text, &len);
    if (r) {
        free(h.cfg);
        return r == -ENOMEM ? r : -EINVAL;
    }
    r = host_parse(&h, text, len);
    free(h.peer_has_endpoint);
    free(text);
    if (r)
        goto fail;
    host_check_files(&h);
    host_check_own_key(&h);

    /* Enclave files are checked even when the host part has problems, so
     * that one --check run shows everything. */
    line = h.lines[HK_ENCLAVE_DIR];
    if (!h.host_line || (line && !h.cfg->enclave_dir[0])) {
        /* no [Host] or an invalid EnclaveDir, already reported */
    } else if (stat(h.cfg->enclave_dir, &st) < 0) {
        cfg_problem(&s, line, "cannot open EnclaveDir %s%s: %s", h.cfg->enclave_dir,
                    line ? "" : " (the default)", strerror(errno));
    } else if (!S_ISDIR(st.st_mode)) {
        cfg_problem(&s, line, "EnclaveDir %s is not a directory", h.cfg->enclave_dir);
    } else {
        r = cfg_load_enclaves(&s, h.cfg->enclave_dir, &h.cfg->enclaves, &h.cfg->n_enclaves);
        if (r == -ENOMEM)
            goto fail;
    }
    if (s.problems) {
        r = -EINVAL;
        goto fail;
    }
    *out = h.cfg;
    return 0;
fail:
    config_free(h.cfg);
    return r;
}

int config_load_enclaves(const char *dir, config_report_fn report, void *ctx,
                         struct config_enclave **out, size_t *n_out)
{
    struct cfg_sink s = { .path = dir, .report = report, .ctx = ctx };

    return cfg_load_enclaves(&s, dir, out, n_out);
}

bool config_underlay_ipv6(const struct config *cfg)
{
    for (size_t i = 0; cfg && i < cfg->n_peers; i++)
        if (cfg->peers[i].endpoint_family == AF_INET6)
            return true;
    return false;
}

unsigned config_inner_mtu(const struct config *cfg, const struct config_enclave *e,
                          unsigned underlay_mtu)
{
    unsigned overhead = config_underlay_ipv6(cfg) ? CONFIG_OVERHEAD_IPV6 : CONFIG_OVERHEAD_IPV4;

    if (e && e->mtu)
        return e->mtu;
    if (underlay_mtu < overhead + CONFIG_MTU_MIN)
        return 0;
    return underlay_mtu - overhead > CONFIG_MTU_MAX ? CONFIG_MTU_MAX : underlay_mtu - overhead;
}

void config_clear(struct config *cfg)
{
    if (!cfg)
        return;
    free(cfg->peers);
    config_enclaves_free(cfg->enclaves, cfg->n_enclaves);
    config_revoked_clear(&cfg->revoked);
    sodium_memzero(cfg, sizeof(*cfg));
}

void config_free(struct config *cfg)
{
    if (!cfg)
        return;
    config_clear(cfg);
    free(cfg);
}

void config_report_stderr(void *ctx, const char *path, int line, const char *msg)
{
    if (line > 0)
        fprintf(stderr, "%s:%d: %s\n", path, line, msg);
    else
        fprintf(stderr, "%s: %s\n", path, msg);
}
