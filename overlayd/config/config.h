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

#include "overlayd/config/policy.h"

enum config_limits {
    CONFIG_NAME_MAX = 32,         /* host, peer, enclave and member names */
    CONFIG_IFNAME_MAX = 15,       /* Linux IFNAMSIZ - 1 */
    CONFIG_ENCLAVE_ID_MAX = 16777215,
    CONFIG_DEFAULT_PORT = 51900,
    CONFIG_MTU_MIN = 576,         /* smallest datagram every IPv4 host must take */
    CONFIG_MTU_MAX = 65453,       /* 65535 minus the IPv4 encapsulation overhead */
    CONFIG_MIN_PATHS_MAX = 8,     /* MinPaths: direct plus one-hop detours wanted */
    /* ProximitySample: candidates weighed per finger (1 = plain Chord). */
    CONFIG_PROXIMITY_DEFAULT = 16,
    CONFIG_PROXIMITY_MAX = 64,
    /* Duplicate detection (MacMoveLimit, MacMoveWindow, MacFreezeTime):
     * the RFC 7432 section 15.1 defaults, as datapath/fdb.h has them. */
    CONFIG_DUP_MOVES = 5,
    CONFIG_DUP_WINDOW_S = 180,
    CONFIG_DUP_FREEZE_S = 180,
    CONFIG_DUP_MOVES_MAX = 1000,
    CONFIG_DUP_TIME_MAX_S = 86400,
};

/*
 * Encapsulation overhead between the underlay MTU and the inner (guest)
 * MTU: outer IP header + UDP 8 + link data header 16 + AEAD tag 16 +
 * inner header 4 + Ethernet 14 + 802.1Q 4 (docs/config.md, "Inner MTU").
 */
enum config_overhead {
    CONFIG_OVERHEAD_IPV4 = 20 + 8 + 16 + 16 + 4 + 14 + 4,    /* 82 */
    CONFIG_OVERHEAD_IPV6 = 40 + 8 + 16 + 16 + 4 + 14 + 4,    /* 102 */
};

#define CONFIG_DEFAULT_CONTROL_SOCKET "/run/overlayd/overlayd.sock"
#define CONFIG_DEFAULT_ENCLAVE_DIR "/etc/overlayd/enclaves"

/* linux: ours; external: someone else's, we only make the TAP; openvswitch:
 * an OVS bridge someone else owns, into which we plug our TAP ourselves. */
enum config_bridge_type {
    CONFIG_BRIDGE_LINUX = 0, CONFIG_BRIDGE_EXTERNAL = 1, CONFIG_BRIDGE_OPENVSWITCH = 2
};

/* "linux", "external" or "openvswitch", as in the BridgeType key. */
const char *config_bridge_type_name(enum config_bridge_type t);

struct config_peer {
    char name[CONFIG_NAME_MAX + 1];      /* "" if not given */
    uint8_t pubkey[32];
    char endpoint[256];                  /* "" if not given; host:port as written */
    int line;                            /* of the [Peer] header */
    int endpoint_family;                 /* AF_INET, AF_INET6, 0 = host name or none */
    uint16_t endpoint_port;              /* 0 if no Endpoint */
    int name_line, pubkey_line, endpoint_line;   /* 0: not set (or invalid) */
};

struct config_member {
    char name[CONFIG_NAME_MAX + 1];
    uint8_t mac[6];
    char address[64];                    /* "" if not given; CIDR as written */
    int line;                            /* of the [Member] header */
    int name_line, mac_line;             /* 0: not set (or invalid) */
};

struct config_enclave {
    char path[PATH_MAX];
    char name[CONFIG_NAME_MAX + 1];
    uint32_t id;
    char bridge[CONFIG_IFNAME_MAX + 1];
    enum config_bridge_type bridge_type;
    char uplink[CONFIG_IFNAME_MAX + 1];
    unsigned mtu;                        /* 0: derive from the underlay */
    uint64_t max_latency_ns;             /* MaxLatency; 0: no bound */
    unsigned min_paths;                  /* MinPaths; 0: no bound */
    bool clamp_mss;                      /* ClampMSS (default yes): datapath/mss.h */
    unsigned mac_move_limit;             /* MacMoveLimit (0: no duplicate detection) */
    uint64_t mac_move_window_ns;         /* MacMoveWindow */
    uint64_t mac_freeze_ns;              /* MacFreezeTime */
    struct config_member *members;
    size_t n_members;
    /* [Policy] (policy.h): once present, what no rule allows is denied. */
    struct policy_rule *rules;
    size_t n_rules;
    int policy_line;                     /* of the [Policy] header; 0: none */
    int line;                            /* of the [Enclave] header */
    /* Lines the values were set on; 0 when not set (Bridge and Uplink:
     * defaulted from Name) or invalid. */
    int name_line, id_line, bridge_line, uplink_line;
};

/*
 * RevokedFile ([Host] RevokedFile, config_revoked.c): one entry per line,
 * a certificate serial as `overlayctl cert show` prints it (16 hex digits)
 * or a host public key (base64, 44 characters as `overlayctl pubkey`
 * prints it). Blank lines and `#` comments (whole lines, or after the
 * entry) are allowed; a repeated entry is harmless. Sorted, without
 * duplicates, for binary search.
 */
enum { CONFIG_REVOKED_MAX = 65536 };    /* entries, keys and serials together */

struct config_revoked {
    uint8_t (*keys)[32];
    size_t n_keys;
    uint64_t *serials;
    size_t n_serials;
};

struct config {
    char path[PATH_MAX];
    char name[CONFIG_NAME_MAX + 1];
    uint8_t private_key[32];
    uint16_t listen_port;
    unsigned proximity_sample;           /* ProximitySample */
    bool cipher_auto;                    /* Cipher = auto: offer AES-GCM where the CPU has AES-NI */
    char listen_address[64];             /* "" = any (IPv4 and IPv6) */
    char metrics_listen[80];             /* MetricsListen, "" = none: ADDRESS:PORT as written */
    char control_socket[108];
    char enclave_dir[PATH_MAX];
    bool has_authority;
    uint8_t authority[32];
    /* A second Authority line: certificates of either are accepted (a key
     * rotation); authority2 is meaningful only with has_authority2. */
    bool has_authority2;
    uint8_t authority2[32];
    char revoked_file[PATH_MAX];         /* "" if not given */
    struct config_revoked revoked;       /* read by config_load() */
    char certificate_file[PATH_MAX];     /* "" if not given */
    struct config_peer *peers;
    size_t n_peers;
    struct config_enclave *enclaves;
    size_t n_enclaves;
    /* PrivateKeyFile resolved against the config's directory; "" when the
     * key is given inline (PrivateKey). config_parse_host() leaves
     * private_key zero in that case; config_load() reads the file. */
    char private_key_file[PATH_MAX];
    bool has_private_key;                /* private_key holds the key */
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

/*
 * Parse a RevokedFile's @text (@len bytes; @path for messages) into @out,
 * reporting every bad line as "path:line: message". Returns 0, -EINVAL
 * (problems reported) or -ENOMEM; on error @out is empty.
 */
int config_parse_revoked(const char *path, const char *text, size_t len,
                         config_report_fn report, void *ctx, struct config_revoked *out);
bool config_revoked_key(const struct config_revoked *r, const uint8_t key[32]);
bool config_revoked_serial(const struct config_revoked *r, uint64_t serial);
void config_revoked_clear(struct config_revoked *r);

/*
 * Inner MTU of enclave @e: its MTU key if set, else @underlay_mtu minus
 * CONFIG_OVERHEAD_IPV6 when any peer endpoint is an IPv6 literal (see
 * config_underlay_ipv6()), CONFIG_OVERHEAD_IPV4 otherwise. Returns 0 when
 * the underlay is too small to carry CONFIG_MTU_MIN. @e may be NULL.
 */
unsigned config_inner_mtu(const struct config *cfg, const struct config_enclave *e,
                          unsigned underlay_mtu);
bool config_underlay_ipv6(const struct config *cfg);

void config_free(struct config *cfg);
/* Free what @cfg holds (peers, enclaves) and wipe it, not @cfg itself:
 * for a struct filled by config_parse_host(). */
void config_clear(struct config *cfg);
void config_enclave_clear(struct config_enclave *e);
void config_enclaves_free(struct config_enclave *e, size_t n);

#endif
