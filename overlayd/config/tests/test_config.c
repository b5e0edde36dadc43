/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Config parser tests: real files in a mkdtemp() directory, loaded through
 * config_load() exactly as `overlayd --check` does. A valid config is
 * checked field by field; broken ones are table-driven, one line per case,
 * each asserting the exact "path:line: message" prefix the report callback
 * receives and, where it matters, that nothing else was reported.
 *
 * Placeholders in case texts: %D = the case directory, %K = the host's
 * private key, %O = the host's public key, %1 / %2 = two peers' public
 * keys, %A = an authority key.
 *
 * argv[1] (optional): the fixtures directory (tests/config).
 */
#include "overlayd/config/config.h"
#include "crypto/key.h"

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>
#include "lib/check.h"

/* ---- fixtures ---------------------------------------------------------- */

static char root[64];                       /* the mkdtemp() directory */
static char k_priv[KEY_B64_LEN + 1], k_pub[KEY_B64_LEN + 1];
static char k_peer1[KEY_B64_LEN + 1], k_peer2[KEY_B64_LEN + 1], k_auth[KEY_B64_LEN + 1];
static uint8_t priv_bin[32], pub_bin[32], peer1_bin[32], peer2_bin[32], auth_bin[32];

static void make_keys(void)
{
    uint8_t p[32];

    for (int i = 0; i < 32; i++)
        priv_bin[i] = (uint8_t)(i + 1);
    key_clamp(priv_bin);
    key_to_base64(k_priv, priv_bin);
    key_public(pub_bin, priv_bin);
    key_to_base64(k_pub, pub_bin);
    memset(p, 0x21, 32);
    key_public(peer1_bin, p);
    key_to_base64(k_peer1, peer1_bin);
    memset(p, 0x42, 32);
    key_public(peer2_bin, p);
    key_to_base64(k_peer2, peer2_bin);
    memset(auth_bin, 0x5a, 32);
    key_to_base64(k_auth, auth_bin);
}

/* Expand placeholders (see the file comment) into a new string. */
static char *subst(const char *t, const char *dir)
{
    static char long_line[4098];  /* %L: a comment line of 4097 bytes */
    size_t cap = strlen(t) * 2 + 2 * sizeof(long_line) + 1024, o = 0;
    char *out = malloc(cap);

    long_line[0] = '#';
    memset(long_line + 1, 'x', 4096);

    if (!out)
        abort();
    for (; *t; t++) {
        const char *rep = NULL;

        if (*t == '%' && t[1]) {
            switch (t[1]) {
            case 'D': rep = dir; break;
            case 'K': rep = k_priv; break;
            case 'O': rep = k_pub; break;
            case '1': rep = k_peer1; break;
            case '2': rep = k_peer2; break;
            case 'A': rep = k_auth; break;
            case 'L': rep = long_line; break;
            }
        }
        if (rep) {
            size_t n = strlen(rep);

            if (o + n + 1 >= cap)
                abort();
            memcpy(out + o, rep, n);
            o += n;
            t++;
        } else {
            if (o + 2 >= cap)
                abort();
            out[o++] = *t;
        }
    }
    out[o] = '\0';
    return out;
}

static void write_file(const char *path, const char *text, mode_t mode)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    size_t n = strlen(text);

    if (fd < 0 || write(fd, text, n) != (ssize_t)n || fchmod(fd, mode) < 0) {
        fprintf(stderr, "cannot write %s: %s\n", path, strerror(errno));
        exit(1);
    }
    close(fd);
}

/* Write @text (placeholders expanded) to dir/rel. */
static void put(const char *dir, const char *rel, const char *text, mode_t mode)
{
    char path[512];
    char *t = subst(text, dir);

    snprintf(path, sizeof(path), "%s/%s", dir, rel);
    write_file(path, t, mode);
    free(t);
}

static void mkdir_or_die(const char *path)
{
    if (mkdir(path, 0700) < 0 && errno != EEXIST) {
        fprintf(stderr, "mkdir %s: %s\n", path, strerror(errno));
        exit(1);
    }
}

static int rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    remove(path);
    return 0;
}

/* Remove what the tests created. */
static void rm_tree(const char *path)
{
    nftw(path, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

/* ---- problem capture --------------------------------------------------- */

enum { CAP_MAX = 64 };

struct capture {
    char msg[CAP_MAX][2048];
    int n;
};

static void capture_fn(void *ctx, const char *path, int line, const char *msg)
{
    struct capture *c = ctx;

    if (c->n >= CAP_MAX)
        return;
    if (line > 0)
        snprintf(c->msg[c->n], sizeof(c->msg[0]), "%s:%d: %s", path, line, msg);
    else
        snprintf(c->msg[c->n], sizeof(c->msg[0]), "%s: %s", path, msg);
    c->n++;
}

static int capture_find(const struct capture *c, const char *prefix)
{
    for (int i = 0; i < c->n; i++)
        if (!strncmp(c->msg[i], prefix, strlen(prefix)))
            return i;
    return -1;
}

static void capture_dump(const struct capture *c)
{
    for (int i = 0; i < c->n; i++)
        fprintf(stderr, "    got: %s\n", c->msg[i]);
}

/* ---- the valid configuration -------------------------------------------- */

static const char valid_host[] =
    "# overlayd.conf for the tests\n"
    "\n"
    "[Host]\n"
    "Name = host-a            # trailing comment\n"
    "PrivateKeyFile = keys/host.key\n"
    "ListenPort = 51901\n"
    "ListenAddress = 192.0.2.1\n"
    "ControlSocket = run/ovl.sock\n"
    "EnclaveDir = enclaves\n"
    "Authority = %A\n"
    "CertificateFile = host.cert\n"
    "ProximitySample = 4\n"
    "Cipher = chachapoly\n"
    "[Peer]\n"
    "Name = host-b\n"
    "PublicKey = %1\n"
    "Endpoint = 10.201.0.2:51900\n"
    "\n"
    "[Peer]\n"
    "PublicKey = %2\n"
    "Endpoint = host-c.example.net:51902\n";

static const char valid_blue[] =
    "[Enclave]\n"
    "Name = blue\n"
    "Id = 100\n"
    "\n"
    "[Member]\n"
    "Name = vm1\n"
    "MAC = 52:54:00:00:01:01\n"
    "Address = 10.100.0.1/24\n"
    "\n"
    "[Member]\n"
    "Name = VM_2.test\n"
    "MAC = 52:54:00:AB:cd:02\n"
    "Address = fd00:100::2/64\n";

static const char valid_red[] =
    "  [Enclave]  \n"
    "\tName=a-very-long-enclave-name-x\r\n"
    "Id = 16777215\n"
    "Bridge = br-red\n"
    "BridgeType = external\n"
    "Uplink = up-red\n"
    "MTU = 1400\n"
    "MaxLatency = 2.5ms\n"
    "MinPaths = 2\n"
    "ClampMSS = no\n"
    "MacMoveLimit = 0\n"
    "MacMoveWindow = 2.5s\n"
    "MacFreezeTime = 86400s\n";

static void test_valid(void)
{
    char dir[128], path[256], want[256];
    struct capture cap = { .n = 0 };
    struct config *cfg = NULL;
    int r;

    snprintf(dir, sizeof(dir), "%s/valid", root);
    mkdir_or_die(dir);
    snprintf(path, sizeof(path), "%s/keys", dir);
    mkdir_or_die(path);
    snprintf(path, sizeof(path), "%s/enclaves", dir);
    mkdir_or_die(path);
    put(dir, "overlayd.conf", valid_host, 0644);
    put(dir, "keys/host.key", "%K\n", 0600);
    put(dir, "host.cert", "certificate text\n", 0644);
    put(dir, "enclaves/red.conf", valid_red, 0644);
    put(dir, "enclaves/blue.conf", valid_blue, 0644);
    /* Not enclave files: wrong suffix, hidden (editor swap files). */
    put(dir, "enclaves/notes.txt", "not an ini file\n", 0644);
    put(dir, "enclaves/blue.conf.bak", "[Bogus]\n", 0644);
    put(dir, "enclaves/.blue.conf", "[Bogus]\n", 0644);

    snprintf(path, sizeof(path), "%s/overlayd.conf", dir);
    r = config_load(path, capture_fn, &cap, &cfg);
    CHECK(r == 0, "config_load = %d", r);
    CHECK(cap.n == 0, "%d problems reported", cap.n);
    if (cap.n)
        capture_dump(&cap);
    if (!cfg)
        return;
    CHECK(!strcmp(cfg->path, path), "path %s", cfg->path);
    CHECK(!strcmp(cfg->name, "host-a"), "name %s", cfg->name);
    CHECK(cfg->has_private_key && !memcmp(cfg->private_key, priv_bin, 32), "private key");
    snprintf(want, sizeof(want), "%s/keys/host.key", dir);
    CHECK(!strcmp(cfg->private_key_file, want), "key file %s", cfg->private_key_file);
    CHECK(cfg->listen_port == 51901, "port %u", cfg->listen_port);
    CHECK(cfg->proximity_sample == 4, "proximity sample %u", cfg->proximity_sample);
    CHECK(!cfg->cipher_auto, "Cipher = chachapoly");
    CHECK(!strcmp(cfg->listen_address, "192.0.2.1"), "listen %s", cfg->listen_address);
    snprintf(want, sizeof(want), "%s/run/ovl.sock", dir);
    CHECK(!strcmp(cfg->control_socket, want), "socket %s", cfg->control_socket);
    snprintf(want, sizeof(want), "%s/enclaves", dir);
    CHECK(!strcmp(cfg->enclave_dir, want), "enclave dir %s", cfg->enclave_dir);
    CHECK(cfg->has_authority && !memcmp(cfg->authority, auth_bin, 32), "authority");
    snprintf(want, sizeof(want), "%s/host.cert", dir);
    CHECK(!strcmp(cfg->certificate_file, want), "cert %s", cfg->certificate_file);

    CHECK(cfg->n_peers == 2, "%zu peers", cfg->n_peers);
    if (cfg->n_peers == 2) {
        const struct config_peer *p = cfg->peers;

        CHECK(!strcmp(p[0].name, "host-b"), "peer 0 name %s", p[0].name);
        CHECK(!memcmp(p[0].pubkey, peer1_bin, 32), "peer 0 key");
        CHECK(!strcmp(p[0].endpoint, "10.201.0.2:51900"), "peer 0 endpoint %s", p[0].endpoint);
        CHECK(p[0].endpoint_family == AF_INET && p[0].endpoint_port == 51900, "peer 0 family/port");
        CHECK(p[0].line == 14 && p[0].name_line == 15 && p[0].pubkey_line == 16 &&
              p[0].endpoint_line == 17, "peer 0 lines %d %d %d %d", p[0].line, p[0].name_line,
              p[0].pubkey_line, p[0].endpoint_line);
        CHECK(p[1].name[0] == '\0' && p[1].name_line == 0, "peer 1 has no name");
        CHECK(!memcmp(p[1].pubkey, peer2_bin, 32), "peer 1 key");
        CHECK(!strcmp(p[1].endpoint, "host-c.example.net:51902"), "peer 1 endpoint");
        CHECK(p[1].endpoint_family == 0 && p[1].endpoint_port == 51902, "peer 1 family/port");
    }

    /* Sorted by name: blue.conf, then red.conf. */
    CHECK(cfg->n_enclaves == 2, "%zu enclaves", cfg->n_enclaves);
    if (cfg->n_enclaves == 2) {
        const struct config_enclave *b = &cfg->enclaves[0], *e = &cfg->enclaves[1];
        static const uint8_t mac2[6] = { 0x52, 0x54, 0x00, 0xab, 0xcd, 0x02 };

        snprintf(want, sizeof(want), "%s/enclaves/blue.conf", dir);
        CHECK(!strcmp(b->path, want), "blue path %s", b->path);
        CHECK(!strcmp(b->name, "blue") && b->id == 100, "blue %s %u", b->name, b->id);
        CHECK(!strcmp(b->bridge, "ovl-blue"), "blue bridge %s", b->bridge);
        CHECK(!strcmp(b->uplink, "ovu-blue"), "blue uplink %s", b->uplink);
        CHECK(b->bridge_type == CONFIG_BRIDGE_LINUX && b->mtu == 0, "blue defaults");
        CHECK(b->line == 1 && b->name_line == 2 && b->id_line == 3 && b->bridge_line == 0,
              "blue lines");
        CHECK(b->n_members == 2, "%zu members", b->n_members);
        if (b->n_members == 2) {
            CHECK(!strcmp(b->members[0].name, "vm1"), "member 0 %s", b->members[0].name);
            CHECK(!memcmp(b->members[0].mac, "\x52\x54\x00\x00\x01\x01", 6), "member 0 mac");
            CHECK(!strcmp(b->members[0].address, "10.100.0.1/24"), "member 0 address");
            CHECK(b->members[0].line == 5 && b->members[0].mac_line == 7, "member 0 lines");
            CHECK(!strcmp(b->members[1].name, "VM_2.test"), "member 1 %s", b->members[1].name);
            CHECK(!memcmp(b->members[1].mac, mac2, 6), "member 1 mac (mixed case)");
            CHECK(!strcmp(b->members[1].address, "fd00:100::2/64"), "member 1 address");
        }
        CHECK(!strcmp(e->name, "a-very-long-enclave-name-x") && e->id == 16777215, "red %s %u",
              e->name, e->id);
        CHECK(!strcmp(e->bridge, "br-red") && !strcmp(e->uplink, "up-red"), "red ifnames");
        CHECK(e->bridge_type == CONFIG_BRIDGE_EXTERNAL && e->mtu == 1400, "red type/mtu");
        CHECK(e->n_members == 0 && e->members == NULL, "red has no members");
        CHECK(e->max_latency_ns == 2500000 && e->min_paths == 2, "red bounds %llu %u",
              (unsigned long long)e->max_latency_ns, e->min_paths);
        CHECK(b->max_latency_ns == 0 && b->min_paths == 0, "blue sets no bounds");
        CHECK(b->clamp_mss && !e->clamp_mss, "ClampMSS: blue default yes, red no");
        CHECK(e->mac_move_limit == 0 && e->mac_move_window_ns == 2500000000u &&
              e->mac_freeze_ns == 86400ull * 1000000000u, "red duplicate detection %u %llu %llu",
              e->mac_move_limit, (unsigned long long)e->mac_move_window_ns,
              (unsigned long long)e->mac_freeze_ns);
        CHECK(b->mac_move_limit == 5 && b->mac_move_window_ns == 180000000000u &&
              b->mac_freeze_ns == 180000000000u, "blue: the RFC 7432 defaults");
        CHECK(config_inner_mtu(cfg, e, 1500) == 1400, "explicit MTU wins");
        CHECK(config_inner_mtu(cfg, b, 1500) == 1418, "IPv4 underlay: %u",
              config_inner_mtu(cfg, b, 1500));
    }
    config_free(cfg);
}

/* Defaults, through the in-memory parsers (no EnclaveDir read). */
static void test_defaults(void)
{
    struct capture cap = { .n = 0 };
    struct config cfg;
    struct config_enclave e;
    char *text = subst("[Host]\nName = h\nPrivateKey = %K\n", "");
    int r;

    r = config_parse_host("/etc/overlayd/overlayd.conf", text, strlen(text), capture_fn, &cap, &cfg);
    free(text);
    CHECK(r == 0 && cap.n == 0, "r = %d, %d problems", r, cap.n);
    if (r == 0) {
        CHECK(cfg.listen_port == CONFIG_DEFAULT_PORT && cfg.listen_port == 51900, "port %u",
              cfg.listen_port);
        CHECK(cfg.proximity_sample == 16, "proximity sample %u", cfg.proximity_sample);
        CHECK(cfg.cipher_auto, "Cipher defaults to auto");
        CHECK(!strcmp(cfg.control_socket, "/run/overlayd/overlayd.sock"), "socket %s",
              cfg.control_socket);
        CHECK(!strcmp(cfg.enclave_dir, "/etc/overlayd/enclaves"), "dir %s", cfg.enclave_dir);
        CHECK(cfg.listen_address[0] == '\0' && !cfg.has_authority && !cfg.certificate_file[0],
              "optional keys empty");
        CHECK(cfg.has_private_key && !memcmp(cfg.private_key, priv_bin, 32) &&
              cfg.private_key_file[0] == '\0', "inline key");
        CHECK(cfg.n_peers == 0 && cfg.peers == NULL, "no peers");
        CHECK(config_inner_mtu(&cfg, NULL, 1500) == 1418, "no peers: IPv4 rule");
        config_clear(&cfg);
    }

    /* A line of exactly 4096 bytes is still fine (4097 is not: see the table). */
    text = subst("[Host]\nName = h\nPrivateKey = %K\n%L\n", "");
    text[strlen(text) - 2] = '\n';
    text[strlen(text) - 1] = '\0';
    r = config_parse_host("mem.conf", text, strlen(text), capture_fn, &cap, &cfg);
    free(text);
    CHECK(r == 0 && cap.n == 0, "4096-byte line: r = %d", r);
    if (r == 0)
        config_clear(&cfg);

    /* Bridge and Uplink defaults are cut to 15 characters. */
    static const char enc[] = "[Enclave]\nName = abcdefghijklmnopqrstuvwxyz\nId = 7\n";
    r = config_parse_enclave("x.conf", enc, strlen(enc), capture_fn, &cap, &e);
    CHECK(r == 0 && cap.n == 0, "r = %d, %d problems", r, cap.n);
    if (r == 0) {
        CHECK(!strcmp(e.bridge, "ovl-abcdefghijk"), "bridge %s", e.bridge);
        CHECK(!strcmp(e.uplink, "ovu-abcdefghijk"), "uplink %s", e.uplink);
        CHECK(e.bridge_type == CONFIG_BRIDGE_LINUX && e.mtu == 0 && e.id == 7, "defaults");
        CHECK(e.clamp_mss, "ClampMSS defaults to yes");
        config_enclave_clear(&e);
    }

    /* openvswitch: an OVS bridge overlayd plugs its uplink into itself. */
    static const char ovs[] = "[Enclave]\nName = sw\nId = 8\nBridge = br-ovs\n"
                              "BridgeType = openvswitch\n";
    r = config_parse_enclave("x.conf", ovs, strlen(ovs), capture_fn, &cap, &e);
    CHECK(r == 0 && cap.n == 0, "openvswitch: r = %d, %d problems", r, cap.n);
    if (r == 0) {
        CHECK(e.bridge_type == CONFIG_BRIDGE_OPENVSWITCH, "openvswitch type %d", e.bridge_type);
        CHECK(!strcmp(e.bridge, "br-ovs") && !strcmp(e.uplink, "ovu-sw"), "openvswitch names");
        CHECK(!strcmp(config_bridge_type_name(e.bridge_type), "openvswitch"), "type name");
        config_enclave_clear(&e);
    }
    CHECK(!strcmp(config_bridge_type_name(CONFIG_BRIDGE_LINUX), "linux") &&
          !strcmp(config_bridge_type_name(CONFIG_BRIDGE_EXTERNAL), "external"), "type names");
}

/* ---- broken configurations ---------------------------------------------- */

struct bad_case {
    int line;                /* __LINE__, to find the case */
    const char *host;        /* overlayd.conf; NULL: H("") */
    const char *blue;        /* enclaves/blue.conf; NULL: E("") */
    const char *red;         /* enclaves/red.conf; NULL: none */
    mode_t key_mode;         /* of host.key; 0: 0600 */
    const char *want;        /* expected prefix of one problem */
    int n;                   /* problems expected in all; 0: do not check */
};

/* A valid host (lines 1-4) and enclave (lines 1-3); append lines to break them. */
#define H(x) "[Host]\nName = host-a\nPrivateKeyFile = host.key\nEnclaveDir = enclaves\n" x
#define E(x) "[Enclave]\nName = blue\nId = 100\n" x
#define M(mac) E("[Member]\nName = vm1\nMAC = " mac "\n")          /* MAC on line 6 */
#define PEER(x) H("[Peer]\nPublicKey = %1\n" x)                     /* peer lines 5, 6 */
#define HC "%D/overlayd.conf"
#define BC "%D/enclaves/blue.conf"
#define RC "%D/enclaves/red.conf"
#define RED(x) "[Enclave]\nName = red\nId = 200\n" x

static const struct bad_case bad_cases[] = {
    /* INI shape */
    { __LINE__, H("Foo = 1\n"), NULL, NULL, 0, HC ":5: unknown key \"Foo\" in [Host]", 1 },
    { __LINE__, H("listenPort = 1\n"), NULL, NULL, 0, HC ":5: unknown key \"listenPort\" in [Host]; did you mean \"ListenPort\"?", 1 },
    { __LINE__, H("[Hots]\nName = x\n"), NULL, NULL, 0, HC ":5: unknown section [Hots] (expected [Host] or [Peer])", 1 },
    { __LINE__, H("Name = host-b\n"), NULL, NULL, 0, HC ":5: duplicate key \"Name\" in [Host] (first set on line 2)", 1 },
    { __LINE__, "Name = x\n" H(""), NULL, NULL, 0, HC ":1: key \"Name\" is outside of any section", 1 },
    { __LINE__, H("ListenPort\n"), NULL, NULL, 0, HC ":5: expected \"Key = Value\" or \"[Section]\"", 1 },
    { __LINE__, H("[Host\n"), NULL, NULL, 0, HC ":5: section header lacks its closing ']'", 1 },
    { __LINE__, H("[Host]\n"), NULL, NULL, 0, HC ":5: [Host] appears again (first on line 1); only one is allowed", 1 },
    { __LINE__, "[Peer]\nPublicKey = %1\n", NULL, NULL, 0, HC ": missing [Host] section", 1 },
    { __LINE__, H("ListenPort =\n"), NULL, NULL, 0, HC ":5: ListenPort has an empty value", 1 },
    { __LINE__, H("EnclaveDir2 = x\nEnclaveDir =\n"), NULL, NULL, 0, HC ":6: duplicate key \"EnclaveDir\"", 2 },
    { __LINE__, "[Host]\nName = host-a\nPrivateKeyFile = host.key\nEnclaveDir =\n", NULL, NULL, 0, HC ":4: EnclaveDir has an empty value", 1 },
    { __LINE__, H("= 5\n"), NULL, NULL, 0, HC ":5: missing key name before '='", 1 },
    { __LINE__, H("List Port = 5\n"), NULL, NULL, 0, HC ":5: key name contains blanks", 1 },
    /* [Host] values */
    { __LINE__, H("ListenPort = 70000\n"), NULL, NULL, 0, HC ":5: ListenPort \"70000\" is not a port number (want 1..65535)", 1 },
    { __LINE__, H("ListenPort = 0\n"), NULL, NULL, 0, HC ":5: ListenPort \"0\" is not a port number", 1 },
    { __LINE__, H("ListenPort = 51900x\n"), NULL, NULL, 0, HC ":5: ListenPort \"51900x\" is not a port number", 1 },
    { __LINE__, H("ListenPort = -1\n"), NULL, NULL, 0, HC ":5: ListenPort \"-1\" is not a port number", 1 },
    { __LINE__, H("ListenPort = 99999999999999999999999\n"), NULL, NULL, 0, HC ":5: ListenPort \"99999999999999999999999\" is not a port number", 1 },
    { __LINE__, H("ProximitySample = 0\n"), NULL, NULL, 0, HC ":5: ProximitySample \"0\" is not a candidate count (want 1..64; 1 = plain Chord fingers)", 1 },
    { __LINE__, H("ProximitySample = 65\n"), NULL, NULL, 0, HC ":5: ProximitySample \"65\" is not a candidate count", 1 },
    { __LINE__, H("ProximitySample = 8x\n"), NULL, NULL, 0, HC ":5: ProximitySample \"8x\" is not a candidate count", 1 },
    { __LINE__, H("Cipher = aesgcm\n"), NULL, NULL, 0, HC ":5: Cipher \"aesgcm\" is not auto or chachapoly", 1 },
    { __LINE__, H("ListenAddress = 10.0.0.300\n"), NULL, NULL, 0, HC ":5: ListenAddress \"10.0.0.300\" is not an IPv4 or IPv6 address", 1 },
    { __LINE__, H("MetricsListen = localhost:9475\n"), NULL, NULL, 0, HC ":5: MetricsListen \"localhost:9475\" is not ADDRESS:PORT (want 127.0.0.1:9475 or [::1]:9475)", 1 },
    { __LINE__, H("MetricsListen = 127.0.0.1\n"), NULL, NULL, 0, HC ":5: MetricsListen \"127.0.0.1\" is not ADDRESS:PORT", 1 },
    { __LINE__, "[Host]\nName = Host_A\nPrivateKeyFile = host.key\nEnclaveDir = enclaves\n", NULL, NULL, 0, HC ":2: Name \"Host_A\" is not a valid name (want 1..32 characters of a-z, 0-9 and -)", 1 },
    { __LINE__, "[Host]\nName = abcdefghijklmnopqrstuvwxyz0123456\nPrivateKeyFile = host.key\nEnclaveDir = enclaves\n", NULL, NULL, 0, HC ":2: Name \"abcdefghijklmnopqrstuvwxyz0123456\" is not a valid name", 1 },
    { __LINE__, "[Host]\nPrivateKeyFile = host.key\nEnclaveDir = enclaves\n", NULL, NULL, 0, HC ":1: [Host] has no Name (required)", 1 },
    { __LINE__, H("PrivateKey = %K\n"), NULL, NULL, 0, HC ":5: PrivateKey and PrivateKeyFile are both set (lines 5 and 3); keep one", 1 },
    { __LINE__, "[Host]\nName = host-a\nEnclaveDir = enclaves\n", NULL, NULL, 0, HC ":1: [Host] needs PrivateKeyFile or PrivateKey", 1 },
    { __LINE__, "[Host]\nName = host-a\nPrivateKey = AAAA\nEnclaveDir = enclaves\n", NULL, NULL, 0, HC ":3: PrivateKey is not a base64 X25519 key", 1 },
    { __LINE__, H("Authority = %A\n"), NULL, NULL, 0, HC ":5: Authority is set but CertificateFile is not", 1 },
    { __LINE__, H("Authority = not-a-key\n"), NULL, NULL, 0, HC ":5: Authority \"not-a-key\" is not a base64 32-byte key", 2 },
    { __LINE__, H("Authority = %A\nCertificateFile = nope.cert\n"), NULL, NULL, 0, HC ":6: cannot read certificate file %D/nope.cert: No such file or directory", 1 },
    { __LINE__, H("CertificateFile = host.key\n"), NULL, NULL, 0, HC ":5: CertificateFile is set but Authority is not", 1 },
    { __LINE__, H("ControlSocket = /run/aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa.sock\n"), NULL, NULL, 0, HC ":5: ControlSocket \"/run/aaaa", 1 },
    { __LINE__, "[Host]\nName = host-a\nPrivateKeyFile = host.key\nEnclaveDir = nowhere\n", NULL, NULL, 0, HC ":4: cannot open EnclaveDir %D/nowhere: No such file or directory", 1 },
    { __LINE__, "[Host]\nName = host-a\nPrivateKeyFile = host.key\nEnclaveDir = host.key\n", NULL, NULL, 0, HC ":4: EnclaveDir %D/host.key is not a directory", 1 },
    /* key file */
    { __LINE__, "[Host]\nName = host-a\nPrivateKeyFile = missing.key\nEnclaveDir = enclaves\n", NULL, NULL, 0, HC ":3: cannot read private key file %D/missing.key: No such file or directory", 1 },
    { __LINE__, NULL, NULL, NULL, 0644, HC ": key file %D/host.key is readable by group or others (mode 0644); chmod 600 it", 1 },
    { __LINE__, NULL, NULL, NULL, 0640, HC ": key file %D/host.key is readable by group or others (mode 0640); chmod 600 it", 1 },
    { __LINE__, NULL, NULL, NULL, 0620, HC ": key file %D/host.key is accessible by group or others (mode 0620); chmod 600 it", 1 },
    { __LINE__, "[Host]\nName = host-a\nPrivateKeyFile = enclaves\nEnclaveDir = enclaves\n", NULL, NULL, 0, HC ":3: cannot read private key file %D/enclaves: Is a directory", 1 },
    { __LINE__, "[Host]\nName = host-a\nPrivateKeyFile = bad.key\nEnclaveDir = enclaves\n", NULL, NULL, 0, HC ":3: private key file %D/bad.key holds more than one line", 1 },
    /* [Peer] */
    { __LINE__, PEER("Endpoint = 10.0.0.2\n"), NULL, NULL, 0, HC ":7: Endpoint \"10.0.0.2\" is not an endpoint (want 10.0.0.2:51900, [fd00::2]:51900 or name:51900)", 1 },
    { __LINE__, PEER("Endpoint = 10.0.0.2:0\n"), NULL, NULL, 0, HC ":7: Endpoint \"10.0.0.2:0\" has a bad port (want 1..65535)", 1 },
    { __LINE__, PEER("Endpoint = [fd00::2]:65536\n"), NULL, NULL, 0, HC ":7: Endpoint \"[fd00::2]:65536\" has a bad port", 1 },
    { __LINE__, PEER("Endpoint = fd00::2:51900\n"), NULL, NULL, 0, HC ":7: Endpoint \"fd00::2:51900\" is not an endpoint", 1 },
    { __LINE__, PEER("Endpoint = 10.0.0.256:1\n"), NULL, NULL, 0, HC ":7: Endpoint \"10.0.0.256:1\" is not an endpoint", 1 },
    { __LINE__, PEER("Endpoint = bad_host:1\n"), NULL, NULL, 0, HC ":7: Endpoint \"bad_host:1\" is not an endpoint", 1 },
    { __LINE__, PEER("Endpoint = host-b:\n"), NULL, NULL, 0, HC ":7: Endpoint \"host-b:\" is not an endpoint", 1 },
    { __LINE__, PEER("Name = Peer B\n"), NULL, NULL, 0, HC ":7: Name \"Peer B\" is not a valid name", 1 },
    { __LINE__, H("[Peer]\nName = host-b\n"), NULL, NULL, 0, HC ":5: [Peer] has no PublicKey (required)", 1 },
    { __LINE__, PEER("[Peer]\nPublicKey = %1\n"), NULL, NULL, 0, HC ":8: PublicKey is already used by the [Peer] on line 5", 1 },
    { __LINE__, H("[Peer]\nPublicKey = %O\n"), NULL, NULL, 0, HC ":6: PublicKey is this host's own public key", 1 },
    { __LINE__, PEER("Name = b\n[Peer]\nName = b\nPublicKey = %2\n"), NULL, NULL, 0, HC ":9: peer Name \"b\" is already used by the [Peer] on line 5", 1 },
    { __LINE__, H("Authority = %A\nCertificateFile = host.key\n[Peer]\nPublicKey = %1\n"), NULL, NULL, 0, HC ":7: [Peer] has no Endpoint; with Authority", 1 },
    { __LINE__, H("Authority = %A\nCertificateFile = host.key\n[Peer]\nPublicKey = %1\nEndpoint = x:0\n"), NULL, NULL, 0, HC ":9: Endpoint \"x:0\" has a bad port", 1 },
    /* enclave files */
    { __LINE__, NULL, M("52:54:00:zz:01:01"), NULL, 0, BC ":6: MAC \"52:54:00:zz:01:01\" is not a MAC address (want aa:bb:cc:dd:ee:ff)", 1 },
    { __LINE__, NULL, M("52-54-00-00-01-01"), NULL, 0, BC ":6: MAC \"52-54-00-00-01-01\" is not a MAC address", 1 },
    { __LINE__, NULL, M("52:54:00:00:01:0"), NULL, 0, BC ":6: MAC \"52:54:00:00:01:0\" is not a MAC address", 1 },
    { __LINE__, NULL, M("01:00:5e:00:00:01"), NULL, 0, BC ":6: MAC \"01:00:5e:00:00:01\" is a multicast address; a member needs a unicast MAC", 1 },
    { __LINE__, NULL, M("FF:ff:ff:ff:ff:ff"), NULL, 0, BC ":6: MAC \"FF:ff:ff:ff:ff:ff\" is the broadcast address", 1 },
    { __LINE__, NULL, M("00:00:00:00:00:00"), NULL, 0, BC ":6: MAC \"00:00:00:00:00:00\" is all zero", 1 },
    { __LINE__, NULL, E("[Member]\nName = vm1\n"), NULL, 0, BC ":4: [Member] has no MAC (required)", 1 },
    { __LINE__, NULL, E("[Member]\nName = vm1\nMAC = 52:54:00:00:01:01\n[Member]\nName = vm2\nMAC = 52:54:00:00:01:01\n"), NULL, 0, BC ":9: MAC 52:54:00:00:01:01 is already used by member vm1 on line 6", 1 },
    { __LINE__, NULL, E("[Member]\nName = vm1\nMAC = 52:54:00:00:01:01\nAddress = 10.0.0.1\n"), NULL, 0, BC ":7: Address \"10.0.0.1\" is not an address with prefix length", 1 },
    { __LINE__, NULL, E("[Member]\nName = vm1\nMAC = 52:54:00:00:01:01\nAddress = 10.0.0.1/33\n"), NULL, 0, BC ":7: Address \"10.0.0.1/33\" is not an address", 1 },
    { __LINE__, NULL, "[Enclave]\nName = blue\nId = 0\n", NULL, 0, BC ":3: Id \"0\" is not an enclave id (want a decimal number in 1..16777215)", 1 },
    { __LINE__, NULL, "[Enclave]\nName = blue\nId = 16777216\n", NULL, 0, BC ":3: Id \"16777216\" is not an enclave id", 1 },
    { __LINE__, NULL, "[Enclave]\nName = blue\nId = abc\n", NULL, 0, BC ":3: Id \"abc\" is not an enclave id", 1 },
    { __LINE__, NULL, "[Enclave]\nName = blue\nId = 100abc\n", NULL, 0, BC ":3: Id \"100abc\" is not an enclave id", 1 },
    { __LINE__, NULL, "[Enclave]\nName = blue\nId = 0x10\n", NULL, 0, BC ":3: Id \"0x10\" is not an enclave id", 1 },
    { __LINE__, NULL, "[Enclave]\nName = blue\nId = 18446744073709551617\n", NULL, 0, BC ":3: Id \"18446744073709551617\" is not an enclave id", 1 },
    { __LINE__, NULL, "[Enclave]\nName = blue\n", NULL, 0, BC ":1: [Enclave] has no Id (required)", 1 },
    { __LINE__, NULL, "[Member]\nName = vm1\nMAC = 52:54:00:00:01:01\n", NULL, 0, BC ": missing [Enclave] section", 1 },
    { __LINE__, NULL, E("Bridge = ovl-abcdefghijklm\n"), NULL, 0, BC ":4: Bridge \"ovl-abcdefghijklm\" is not a valid interface name (want 1..15 characters", 1 },
    { __LINE__, NULL, E("Uplink = a/b\n"), NULL, 0, BC ":4: Uplink \"a/b\" is not a valid interface name", 1 },
    { __LINE__, NULL, E("Bridge = br0\nUplink = br0\n"), NULL, 0, BC ":5: Bridge and Uplink are both \"br0\"; they must differ", 1 },
    { __LINE__, NULL, E("BridgeType = ovs\n"), NULL, 0, BC ":4: BridgeType \"ovs\" is not a bridge type (want linux, external or openvswitch)", 1 },
    { __LINE__, NULL, E("BridgeType = OpenvSwitch\n"), NULL, 0, BC ":4: BridgeType \"OpenvSwitch\" is not a bridge type", 1 },
    { __LINE__, NULL, E("BridgeType = openvswitch\nBridgeType = linux\n"), NULL, 0, BC ":5: duplicate key \"BridgeType\"", 1 },
    { __LINE__, NULL, E("MTU = 575\n"), NULL, 0, BC ":4: MTU \"575\" is not an MTU (want 576..65453)", 1 },
    { __LINE__, NULL, E("MTU = 65454\n"), NULL, 0, BC ":4: MTU \"65454\" is not an MTU", 1 },
    { __LINE__, NULL, E("MaxLatency = 30\n"), NULL, 0, BC ":4: MaxLatency \"30\" is not a latency (want 1ms..60s", 1 },
    { __LINE__, NULL, E("MaxLatency = 0.5ms\n"), NULL, 0, BC ":4: MaxLatency \"0.5ms\" is not a latency", 1 },
    { __LINE__, NULL, E("MaxLatency = 61s\n"), NULL, 0, BC ":4: MaxLatency \"61s\" is not a latency", 1 },
    { __LINE__, NULL, E("MaxLatency = 1.2345s\n"), NULL, 0, BC ":4: MaxLatency \"1.2345s\" is not a latency", 1 },
    { __LINE__, NULL, E("MaxLatency = .5s\n"), NULL, 0, BC ":4: MaxLatency \".5s\" is not a latency", 1 },
    { __LINE__, NULL, E("MaxLatency = 5.s\n"), NULL, 0, BC ":4: MaxLatency \"5.s\" is not a latency", 1 },
    { __LINE__, NULL, E("MacMoveLimit = 1001\n"), NULL, 0, BC ":4: MacMoveLimit \"1001\" is not a move count (want 0..1000; 0 turns duplicate detection off)", 1 },
    { __LINE__, NULL, E("MacMoveLimit = -1\n"), NULL, 0, BC ":4: MacMoveLimit \"-1\" is not a move count", 1 },
    { __LINE__, NULL, E("MacMoveLimit = five\n"), NULL, 0, BC ":4: MacMoveLimit \"five\" is not a move count", 1 },
    { __LINE__, NULL, E("MacMoveWindow = 180\n"), NULL, 0, BC ":4: MacMoveWindow \"180\" is not a duration (want 1s..86400s, e.g. 180s or 1.5s)", 1 },
    { __LINE__, NULL, E("MacMoveWindow = 999ms\n"), NULL, 0, BC ":4: MacMoveWindow \"999ms\" is not a duration", 1 },
    { __LINE__, NULL, E("MacMoveWindow = 3m\n"), NULL, 0, BC ":4: MacMoveWindow \"3m\" is not a duration", 1 },
    { __LINE__, NULL, E("MacFreezeTime = 86401s\n"), NULL, 0, BC ":4: MacFreezeTime \"86401s\" is not a duration (want 1s..86400s", 1 },
    { __LINE__, NULL, E("MacFreezeTime = 0s\n"), NULL, 0, BC ":4: MacFreezeTime \"0s\" is not a duration", 1 },
    { __LINE__, NULL, E("MacFreezeTime = 10s\nMacFreezeTime = 20s\n"), NULL, 0, BC ":5: duplicate key \"MacFreezeTime\" in [Enclave] (first set on line 4)", 1 },
    { __LINE__, NULL, E("MinPaths = 0\n"), NULL, 0, BC ":4: MinPaths \"0\" is not a path count (want 1..8)", 1 },
    { __LINE__, NULL, E("MinPaths = 9\n"), NULL, 0, BC ":4: MinPaths \"9\" is not a path count", 1 },
    { __LINE__, NULL, E("ClampMSS = true\n"), NULL, 0, BC ":4: ClampMSS \"true\" is not a switch (want yes or no)", 1 },
    { __LINE__, NULL, E("ClampMSS = Yes\n"), NULL, 0, BC ":4: ClampMSS \"Yes\" is not a switch", 1 },
    { __LINE__, NULL, E("ClampMSS = 1\n"), NULL, 0, BC ":4: ClampMSS \"1\" is not a switch", 1 },
    { __LINE__, NULL, E("ClampMSS =\n"), NULL, 0, BC ":4: ClampMSS has an empty value", 1 },
    { __LINE__, NULL, E("ClampMSS = no\nClampMSS = yes\n"), NULL, 0, BC ":5: duplicate key \"ClampMSS\" in [Enclave] (first set on line 4)", 1 },
    { __LINE__, NULL, E("ClampMss = no\n"), NULL, 0, BC ":4: unknown key \"ClampMss\" in [Enclave]; did you mean \"ClampMSS\"? (keys are case-sensitive)", 1 },
    { __LINE__, NULL, "[Enclave]\nName = Blue\nId = 1\n", NULL, 0, BC ":2: Name \"Blue\" is not a valid name", 1 },
    /* across enclave files (red.conf is later by name, so it gets the error) */
    { __LINE__, NULL, NULL, "[Enclave]\nName = red\nId = 100\n", 0, RC ":3: enclave id 100 is already used by " BC ":3", 1 },
    { __LINE__, NULL, NULL, "[Enclave]\nId = 200\nName = blue\n", 0, RC ":3: enclave name \"blue\" is already used by " BC ":2", 1 },
    { __LINE__, NULL, NULL, RED("Bridge = ovl-blue\n"), 0, RC ":4: Bridge name ovl-blue is already the bridge of " BC ":1", 1 },
    { __LINE__, NULL, NULL, RED("Bridge = ovu-blue\n"), 0, RC ":4: Bridge name ovu-blue is already the uplink of " BC ":1", 1 },
    { __LINE__, NULL, E("Uplink = ovl-red\n"), RED(""), 0, RC ":1: Bridge name ovl-red (default from Name; set it explicitly) is already the uplink of " BC ":4", 1 },
    { __LINE__, NULL, NULL, "[Enclave\n", 0, RC ":1: section header lacks its closing ']'", 2 },
    /* many problems in one file, all of them reported */
    { __LINE__, "[Host]\nName = Bad Name\nListenPort = 0\nFoo = bar\nEnclaveDir = enclaves\n[Peer]\nEndpoint = x\n", NULL, NULL, 0, HC ":1: [Host] needs PrivateKeyFile or PrivateKey", 6 },
    { __LINE__, NULL, "[Enclave]\nName = blue\nId = 0\nMTU = big\n[Member]\nName = vm1\nMAC = zz\n[Member]\nMAC = 52:54:00:00:00:01\n", NULL, 0, BC ":7: MAC \"zz\" is not a MAC address", 4 },
    /* host and enclave problems in one run */
    { __LINE__, H("Foo = 1\n"), "[Enclave]\nName = blue\nId = 0\n", NULL, 0, BC ":3: Id \"0\" is not an enclave id", 2 },
    /* lines over 4096 bytes */
    { __LINE__, H("%L\n"), NULL, NULL, 0, HC ":5: line is longer than 4096 bytes", 1 },
};

/* Several problems in one file: every one of them, in order. */
static const char *const many_host_want[] = {
    HC ":2: Name \"Bad Name\" is not a valid name",
    HC ":3: ListenPort \"0\" is not a port number",
    HC ":4: unknown key \"Foo\" in [Host]",
    HC ":7: Endpoint \"x\" is not an endpoint",
    HC ":6: [Peer] has no PublicKey (required)",
    HC ":1: [Host] needs PrivateKeyFile or PrivateKey",
};

static void run_case(const struct bad_case *c, int idx, struct capture *cap)
{
    char dir[128], sub[160], path[200];
    struct config *cfg = (struct config *)&cfg;   /* must become NULL */
    char *want;
    int r, at;

    snprintf(dir, sizeof(dir), "%s/case%d", root, idx);
    mkdir_or_die(dir);
    snprintf(sub, sizeof(sub), "%s/enclaves", dir);
    mkdir_or_die(sub);
    put(dir, "overlayd.conf", c->host ? c->host : H(""), 0644);
    put(dir, "host.key", "%K\n", c->key_mode ? c->key_mode : 0600);
    put(dir, "bad.key", "%K\n%K\n", 0600);
    put(dir, "enclaves/blue.conf", c->blue ? c->blue : E(""), 0644);
    if (c->red)
        put(dir, "enclaves/red.conf", c->red, 0644);

    memset(cap, 0, sizeof(*cap));
    snprintf(path, sizeof(path), "%s/overlayd.conf", dir);
    r = config_load(path, capture_fn, cap, &cfg);
    want = subst(c->want, dir);
    at = capture_find(cap, want);
    CHECK(r == -EINVAL && cfg == NULL, "case line %d: r = %d", c->line, r);
    CHECK(at >= 0, "case line %d: want \"%s\"", c->line, want);
    CHECK(c->n == 0 || cap->n == c->n, "case line %d: %d problems, want %d", c->line, cap->n, c->n);
    if (at < 0 || (c->n && cap->n != c->n))
        capture_dump(cap);
    if (c->n == 6 && c->host && strstr(c->host, "Bad Name")) {
        for (size_t i = 0; i < sizeof(many_host_want) / sizeof(many_host_want[0]); i++) {
            char *w = subst(many_host_want[i], dir);

            CHECK((int)i < cap->n && !strncmp(cap->msg[i], w, strlen(w)),
                  "case line %d: problem %zu: want \"%s\"", c->line, i, w);
            free(w);
        }
    }
    free(want);
    if (r == 0)
        config_free(cfg);
}

static void test_broken(void)
{
    struct capture *cap = malloc(sizeof(*cap));

    if (!cap)
        abort();
    for (size_t i = 0; i < sizeof(bad_cases) / sizeof(bad_cases[0]); i++)
        run_case(&bad_cases[i], (int)i, cap);
    free(cap);
}

/* ---- enclave directory, MTU --------------------------------------------- */

static void test_enclave_dir(void)
{
    struct capture cap = { .n = 0 };
    struct config_enclave *v = (struct config_enclave *)&v;
    char dir[128];
    size_t n = 99;
    int r;

    /* Zero files is valid. */
    snprintf(dir, sizeof(dir), "%s/empty", root);
    mkdir_or_die(dir);
    r = config_load_enclaves(dir, capture_fn, &cap, &v, &n);
    CHECK(r == 0 && n == 0 && v == NULL && cap.n == 0, "empty dir: r = %d n = %zu", r, n);

    /* Sorted by name, bytewise. */
    snprintf(dir, sizeof(dir), "%s/sorted", root);
    mkdir_or_die(dir);
    put(dir, "b.conf", "[Enclave]\nName = b\nId = 2\n", 0644);
    put(dir, "a.conf", "[Enclave]\nName = a\nId = 1\n", 0644);
    put(dir, "C.conf", "[Enclave]\nName = c\nId = 3\n", 0644);
    put(dir, ".conf", "garbage\n", 0644);
    r = config_load_enclaves(dir, capture_fn, &cap, &v, &n);
    CHECK(r == 0 && n == 3 && cap.n == 0, "sorted: r = %d n = %zu", r, n);
    if (r == 0 && n == 3) {
        CHECK(!strcmp(v[0].name, "c") && !strcmp(v[1].name, "a") && !strcmp(v[2].name, "b"),
              "order %s %s %s", v[0].name, v[1].name, v[2].name);
        config_enclaves_free(v, n);
    }

    /* A broken file refuses the whole set (reload keeps the old one). */
    put(dir, "d.conf", "[Enclave]\nName = d\nId = 1\n", 0644);
    r = config_load_enclaves(dir, capture_fn, &cap, &v, &n);
    CHECK(r == -EINVAL && v == NULL && n == 0, "duplicate id: r = %d", r);

    snprintf(dir, sizeof(dir), "%s/does-not-exist", root);
    cap.n = 0;
    r = config_load_enclaves(dir, capture_fn, &cap, &v, &n);
    CHECK(r == -EINVAL && cap.n == 1, "missing dir: r = %d, %d problems", r, cap.n);
}

static void test_inner_mtu(void)
{
    struct capture cap = { .n = 0 };
    struct config cfg;
    struct config_enclave e = { .mtu = 0 };
    char *text = subst("[Host]\nName = h\nPrivateKey = %K\n"
                       "[Peer]\nPublicKey = %1\nEndpoint = 10.0.0.2:51900\n"
                       "[Peer]\nPublicKey = %2\nEndpoint = [fd00::2]:51900\n", "");
    int r;

    /* Overheads: IPv4 20 + UDP 8 + data header 16 + tag 16 + inner 4 + Ethernet 14 + 802.1Q 4. */
    CHECK(CONFIG_OVERHEAD_IPV4 == 82 && CONFIG_OVERHEAD_IPV6 == 102, "overheads");
    CHECK(config_inner_mtu(NULL, NULL, 1500) == 1418, "1500 IPv4 -> %u", config_inner_mtu(NULL, NULL, 1500));
    CHECK(config_inner_mtu(NULL, &e, 9000) == 8918, "jumbo");
    CHECK(config_inner_mtu(NULL, &e, 82 + 576) == 576, "smallest underlay");
    CHECK(config_inner_mtu(NULL, &e, 82 + 575) == 0, "too small underlay");
    e.mtu = 1300;
    CHECK(config_inner_mtu(NULL, &e, 1500) == 1300, "explicit MTU wins");

    r = config_parse_host("mem.conf", text, strlen(text), capture_fn, &cap, &cfg);
    free(text);
    CHECK(r == 0 && cap.n == 0, "r = %d", r);
    if (r)
        return;
    CHECK(config_underlay_ipv6(&cfg), "an IPv6 peer makes the underlay IPv6");
    e.mtu = 0;
    CHECK(config_inner_mtu(&cfg, &e, 1500) == 1398, "IPv6 peer: %u", config_inner_mtu(&cfg, &e, 1500));
    CHECK(config_inner_mtu(&cfg, NULL, 1500) == 1398, "IPv6 peer, no enclave");
    e.mtu = 1400;
    CHECK(config_inner_mtu(&cfg, &e, 1500) == 1400, "explicit MTU wins over IPv6");
    cfg.peers[1].endpoint_family = AF_INET;
    CHECK(!config_underlay_ipv6(&cfg), "IPv4 peers only");
    e.mtu = 0;
    CHECK(config_inner_mtu(&cfg, &e, 1500) == 1418, "IPv4 peers: %u", config_inner_mtu(&cfg, &e, 1500));
    config_clear(&cfg);
}

/* The example in tests/config (the one docs/config.md shows) must load. */
static void test_fixture(const char *fixtures)
{
    char dir[128], src[512], path[256];
    static const char *const files[] = { "overlayd.conf", "enclaves/blue.conf", "enclaves/red.conf" };
    struct capture cap = { .n = 0 };
    struct config *cfg = NULL;
    int r;

    if (!fixtures)
        return;
    snprintf(dir, sizeof(dir), "%s/fixture", root);
    mkdir_or_die(dir);
    snprintf(path, sizeof(path), "%s/enclaves", dir);
    mkdir_or_die(path);
    for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
        char text[8192];
        FILE *f;
        size_t n;

        snprintf(src, sizeof(src), "%s/%s", fixtures, files[i]);
        f = fopen(src, "r");
        CHECK(f != NULL, "cannot open fixture %s", src);
        if (!f)
            return;
        n = fread(text, 1, sizeof(text) - 1, f);
        fclose(f);
        text[n] = '\0';
        put(dir, files[i], text, 0644);
    }
    put(dir, "host.key", "%K\n", 0600);
    snprintf(path, sizeof(path), "%s/overlayd.conf", dir);
    r = config_load(path, capture_fn, &cap, &cfg);
    CHECK(r == 0 && cap.n == 0, "fixture: r = %d", r);
    if (cap.n)
        capture_dump(&cap);
    if (r == 0) {
        CHECK(cfg->n_enclaves == 2 && cfg->n_peers == 2, "fixture: %zu enclaves, %zu peers",
              cfg->n_enclaves, cfg->n_peers);
        /* host-c has an IPv6 endpoint; red sets its MTU. */
        if (cfg->n_enclaves == 2) {
            CHECK(config_inner_mtu(cfg, &cfg->enclaves[0], 1500) == 1398, "fixture blue MTU");
            CHECK(config_inner_mtu(cfg, &cfg->enclaves[1], 1500) == 1380, "fixture red MTU");
        }
        config_free(cfg);
    }
}

/* ---- Authority twice, RevokedFile ----------------------------------------- */

/* A host with an Authority (lines 1-6); append lines to it. */
#define HA(x) "[Host]\nName = host-a\nPrivateKeyFile = host.key\nEnclaveDir = enclaves\n" \
              "Authority = %A\nCertificateFile = host.cert\n" x

/* Load @host with @revoked as dir/revoked (NULL: no such file). */
static int load_rev(const char *name, const char *host, const char *revoked,
                    struct capture *cap, struct config **cfg, char *dir, size_t dir_len)
{
    char sub[200], path[200];

    snprintf(dir, dir_len, "%s/%s", root, name);
    mkdir_or_die(dir);
    snprintf(sub, sizeof(sub), "%s/enclaves", dir);
    mkdir_or_die(sub);
    put(dir, "overlayd.conf", host, 0644);
    put(dir, "host.key", "%K\n", 0600);
    put(dir, "host.cert", "certificate text\n", 0644);
    put(dir, "enclaves/blue.conf", E(""), 0644);
    if (revoked)
        put(dir, "revoked", revoked, 0644);
    memset(cap, 0, sizeof(*cap));
    snprintf(path, sizeof(path), "%s/overlayd.conf", dir);
    return config_load(path, capture_fn, cap, cfg);
}

/* One problem, with this exact "path:line: message" prefix. */
static void want_rev(const char *name, const char *host, const char *revoked,
                     const char *want_fmt, struct capture *cap)
{
    struct config *cfg = NULL;
    char dir[128], want[512];
    int r = load_rev(name, host, revoked, cap, &cfg, dir, sizeof(dir));

    snprintf(want, sizeof(want), want_fmt, dir);
    CHECK(r == -EINVAL && !cfg, "%s: r = %d", name, r);
    CHECK(cap->n == 1 && capture_find(cap, want) == 0, "%s: want \"%s\"", name, want);
    if (cap->n != 1 || capture_find(cap, want) != 0)
        capture_dump(cap);
    config_free(cfg);
}

static void test_revoked(void)
{
    struct capture *cap = malloc(sizeof(*cap));
    struct config *cfg = NULL;
    uint8_t k2[32], zero[32] = { 0 };
    char dir[128], host[1024], rev[512];
    int r;

    if (!cap)
        abort();
    memset(k2, 0x77, 32);
    /* Two authorities, a RevokedFile with comments, blanks, a repeat, CRLF */
    snprintf(rev, sizeof(rev),
             "# revoked hosts\n\n0123456789ABCDEF   # host-c, laptop lost\n"
             "\t%s\r\n0123456789abcdef\nfedcba9876543210 # again below\n%s #host-b\n",
             k_peer1, k_peer2);
    {
        char b64[KEY_B64_LEN + 1];

        key_to_base64(b64, k2);
        snprintf(host, sizeof(host), "%sAuthority = %s\nRevokedFile = revoked\n", HA(""), b64);
    }
    r = load_rev("rev-ok", host, rev, cap, &cfg, dir, sizeof(dir));
    CHECK(r == 0 && cap->n == 0, "valid RevokedFile: r = %d, %d problems", r, cap->n);
    if (cap->n)
        capture_dump(cap);
    if (cfg) {
        CHECK(cfg->has_authority && !memcmp(cfg->authority, auth_bin, 32), "first authority");
        CHECK(cfg->has_authority2 && !memcmp(cfg->authority2, k2, 32), "second authority");
        CHECK(cfg->revoked.n_serials == 2 && cfg->revoked.n_keys == 2,
              "%zu serials, %zu keys (repeats merged)", cfg->revoked.n_serials,
              cfg->revoked.n_keys);
        CHECK(config_revoked_serial(&cfg->revoked, UINT64_C(0x0123456789abcdef)) &&
              config_revoked_serial(&cfg->revoked, UINT64_C(0xfedcba9876543210)) &&
              !config_revoked_serial(&cfg->revoked, 1), "serial lookups");
        CHECK(config_revoked_key(&cfg->revoked, peer1_bin) &&
              config_revoked_key(&cfg->revoked, peer2_bin) &&
              !config_revoked_key(&cfg->revoked, pub_bin) &&
              !config_revoked_key(&cfg->revoked, zero), "key lookups");
        config_free(cfg);
        cfg = NULL;
    }
    /* an empty file revokes nothing */
    r = load_rev("rev-empty", HA("RevokedFile = revoked\n"), "", cap, &cfg, dir, sizeof(dir));
    CHECK(r == 0 && cfg && !cfg->revoked.n_keys && !cfg->revoked.n_serials && !cfg->has_authority2,
          "empty RevokedFile: r = %d", r);
    config_free(cfg);
    cfg = NULL;

    /* problems: each names the file and line */
    want_rev("rev-missing", HA("RevokedFile = revoked\n"), NULL,
             "%s/revoked: cannot read: No such file or directory", cap);
    want_rev("rev-short", HA("RevokedFile = revoked\n"), "# c\n\n0123\n",
             "%s/revoked:3: serial \"0123\" has 4 hex digits (want 16", cap);
    want_rev("rev-junk", HA("RevokedFile = revoked\n"), "0123456789abcdef\nhost-c\n",
             "%s/revoked:2: \"host-c\" is neither a certificate serial (16 hex digits) nor a base64 public key", cap);
    want_rev("rev-two", HA("RevokedFile = revoked\n"), "0123456789abcdef 0000000000000001\n",
             "%s/revoked:1: \"0123456789abcdef 0000000000000001\" holds more than one entry", cap);
    want_rev("rev-noauth", H("RevokedFile = revoked\n"), "",
             "%s/overlayd.conf:5: RevokedFile is set but Authority is not", cap);
    want_rev("auth-three", HA("Authority = %1\nAuthority = %2\n"), NULL,
             "%s/overlayd.conf:8: Authority is given more than twice (first on line 5)", cap);
    want_rev("auth-same", HA("Authority = %A\n"), NULL,
             "%s/overlayd.conf:7: Authority is the same key as on line 5", cap);
    want_rev("auth-bad2", HA("Authority = nope\n"), NULL,
             "%s/overlayd.conf:7: Authority \"nope\" is not a base64 32-byte key", cap);
    want_rev("rev-dup-key", HA("RevokedFile = revoked\nRevokedFile = revoked\n"), "",
             "%s/overlayd.conf:8: duplicate key \"RevokedFile\" in [Host] (first set on line 7)", cap);
    free(cap);
}

/* The parser alone, from memory: a line too long, a NUL byte, no final newline. */
static void test_revoked_parse(void)
{
    struct capture cap = { .n = 0 };
    struct config_revoked rv;
    char text[600];
    int r;

    memset(text, 'a', sizeof(text));
    memcpy(text + 300, "\n0000000000000002", 17);
    r = config_parse_revoked("mem", text, 317, capture_fn, &cap, &rv);
    CHECK(r == -EINVAL && cap.n == 1 && capture_find(&cap, "mem:1: not an entry") == 0 &&
          rv.n_serials == 0, "long line: r = %d", r);
    cap.n = 0;
    r = config_parse_revoked("mem", "00000000\0" "00000001\n", 18, capture_fn, &cap, &rv);
    CHECK(r == -EINVAL && capture_find(&cap, "mem:1: not an entry") == 0, "NUL byte: r = %d", r);
    cap.n = 0;
    r = config_parse_revoked("mem", "0000000000000002", 16, capture_fn, &cap, &rv);
    CHECK(r == 0 && cap.n == 0 && rv.n_serials == 1 && config_revoked_serial(&rv, 2),
          "no final newline: r = %d", r);
    config_revoked_clear(&rv);
}

int main(int argc, char **argv)
{
    snprintf(root, sizeof(root), "/tmp/test_config.XXXXXX");
    if (!mkdtemp(root)) {
        perror("mkdtemp");
        return 1;
    }
    make_keys();
    test_valid();
    test_defaults();
    test_broken();
    test_enclave_dir();
    test_inner_mtu();
    test_revoked();
    test_revoked_parse();
    test_fixture(argc > 1 ? argv[1] : NULL);
    rm_tree(root);
    if (check_failures)
        fprintf(stderr, "%d check(s) failed\n", check_failures);
    return check_failures ? 1 : 0;
}
