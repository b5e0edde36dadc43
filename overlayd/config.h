/* SPDX-License-Identifier: GPL-2.0-only */
#ifndef OVL_OVERLAYD_CONFIG_H
#define OVL_OVERLAYD_CONFIG_H

/*
 * DOC: config — overlayd.conf and enclave files
 *
 * INI files as ../shared/CONTRACT.md and docs/config.md describe them.
 * The parser reports every problem it finds (not just the first) as
 * "path:line: message" ("path: message" when no line applies, e.g. a key
 * file readable by group or others) through a caller-supplied sink, so
 * `overlayd --check`, startup and SIGHUP reload share one code path. It
 * does no I/O beyond reading the files it is pointed at.
 */

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

enum config_limits {
    CONFIG_NAME_MAX = 32,         /* host, peer, enclave and member names */
    CONFIG_IFNAME_MAX = 15,       /* Linux IFNAMSIZ - 1 */
    CONFIG_ENCLAVE_ID_MAX = 16777215,
    CONFIG_DEFAULT_PORT = 51900,
};

enum config_bridge_type { CONFIG_BRIDGE_LINUX = 0, CONFIG_BRIDGE_EXTERNAL = 1 };

struct config_peer {
    char name[CONFIG_NAME_MAX + 1];      /* "" if not given */
    uint8_t pubkey[32];
    char endpoint[256];                  /* "" if not given; host:port as written */
    int line;
};

struct config_member {
    char name[CONFIG_NAME_MAX + 1];
    uint8_t mac[6];
    char address[64];                    /* "" if not given; CIDR as written */
    int line;
};

struct config_enclave {
    char path[PATH_MAX];
    char name[CONFIG_NAME_MAX + 1];
    uint32_t id;
    char bridge[CONFIG_IFNAME_MAX + 1];
    enum config_bridge_type bridge_type;
    char uplink[CONFIG_IFNAME_MAX + 1];
    unsigned mtu;                        /* 0: derive from the underlay */
    struct config_member *members;
    size_t n_members;
};

struct config {
    char path[PATH_MAX];
    char name[CONFIG_NAME_MAX + 1];
    uint8_t private_key[32];
    uint16_t listen_port;
    char listen_address[64];             /* "" = any (IPv4 and IPv6) */
    char control_socket[108];
    char enclave_dir[PATH_MAX];
    bool has_authority;
    uint8_t authority[32];
    char certificate_file[PATH_MAX];     /* "" if not given */
    struct config_peer *peers;
    size_t n_peers;
    struct config_enclave *enclaves;
    size_t n_enclaves;
};

/*
 * Problem sink: called once per problem with @path, @line (0 = none) and
 * the message. The default (config_report_stderr) prints
 * "path:line: message\n" to stderr.
 */
typedef void (*config_report_fn)(void *ctx, const char *path, int line, const char *msg);
void config_report_stderr(void *ctx, const char *path, int line, const char *msg);

/*
 * Parse the host config at @path and every *.conf in its EnclaveDir
 * (sorted by name). All problems are reported; on any problem nothing is
 * returned. Returns 0 and a config to free with config_free(), or
 * -EINVAL (problems reported), -ENOMEM.
 */
int config_load(const char *path, config_report_fn report, void *ctx, struct config **out);

/*
 * Parse only the enclave files of @dir (for reload); same reporting rules.
 * Returns 0 or -EINVAL, -ENOMEM.
 */
int config_load_enclaves(const char *dir, config_report_fn report, void *ctx,
                         struct config_enclave **out, size_t *n_out);

/* Parse one enclave file from memory (fuzzing, tests). */
int config_parse_enclave(const char *path, const char *text, size_t len,
                         config_report_fn report, void *ctx, struct config_enclave *out);
/* Parse a host config from memory, without reading EnclaveDir or key files (fuzzing, tests). */
int config_parse_host(const char *path, const char *text, size_t len,
                      config_report_fn report, void *ctx, struct config *out);

void config_free(struct config *cfg);
void config_enclave_clear(struct config_enclave *e);
void config_enclaves_free(struct config_enclave *e, size_t n);

#endif
