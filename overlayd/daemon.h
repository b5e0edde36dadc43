/* SPDX-License-Identifier: GPL-2.0-only */
#ifndef OVL_OVERLAYD_DAEMON_H
#define OVL_OVERLAYD_DAEMON_H

/*
 * DOC: daemon — overlayd's state and its single-threaded event loop
 *
 * One libuv loop drives everything (docs/design.md):
 *   - uv_poll on the UDP socket: recvmmsg batch -> link_receive -> fwd;
 *   - uv_poll on each enclave's uplink TAP: tap_read_batch -> fwd -> link;
 *   - one uv_timer for the link layer, re-armed to
 *     link_host_next_deadline() before the loop blocks (uv_prepare), where
 *     the sendmmsg queue is flushed too;
 *   - one uv_timer for MAC ageing and announcement refresh;
 *   - uv_signal for SIGTERM/SIGINT (stop) and SIGHUP (reload);
 *   - the control socket (ctl_server.c).
 * Lifecycle: daemon_start() (from a loaded config) -> uv_run ->
 * daemon_cleanup() (bridges deleted, socket removed).
 */

#include <stdbool.h>
#include <stdint.h>
#include <uv.h>

#include "crypto/link.h"
#include "overlayd/config.h"
#include "overlayd/ctl_server.h"
#include "overlayd/fdb.h"
#include "overlayd/udp.h"

struct tap_nl;
struct admit;
struct admit_peer;

enum daemon_limits {
    DAEMON_TAP_BATCH = 64,
    DAEMON_FRAME_MAX = 9216 + 18,       /* jumbo MTU + Ethernet + VLAN */
    DAEMON_KEEPALIVE_S = 5,
    DAEMON_REFRESH_S = 30,              /* MAC re-announce + fdb ageing */
    DAEMON_TS_CACHE = 1024,             /* remembered handshake timestamps of removed peers */
};

/* The greatest initiation timestamp (TAI64N) of a link peer that was freed:
 * its re-creation is seeded with it, so an initiation captured before the
 * gap cannot be replayed (peer.c). Least recently used is evicted. */
struct peer_ts {
    uint8_t pub[32];
    uint8_t ts[LINK_TIMESTAMP_LEN];
    uint64_t used;
};

struct peer {
    struct daemon *d;
    char name[CONFIG_NAME_MAX + 1];
    uint8_t pub[32];
    char endpoint_cfg[256];             /* as configured ("" none) */
    struct link_peer *lp;
    struct udp_addr ep;                 /* current endpoint (roaming) */
    uint64_t rx_bytes, tx_bytes;
    uint32_t *encl;                     /* enclaves it announced, sorted */
    size_t n_encl;
    bool encl_known;                    /* got its ENCLAVES at least once */
    bool hello_pending;                 /* send our ENCLAVES from the loop */
    enum link_state state;
    uint64_t connecting_since;
    struct admit_peer *adm;             /* certificate grant (admit.h); NULL: none yet */
    uint64_t last_data;                 /* last unicast frame or ring message (ringd.c: idle links) */
    uint64_t close_asked;               /* we asked the other side to close the idle link */
    uint64_t last_rx;                   /* last authenticated packet from it */
    uint64_t echo_sent;                 /* last ring ECHO request (ringd_relay.c) */
    uint64_t ring_rx;                   /* last ring message it sent us over the link */
    uint64_t last_frame;                /* last unicast frame either way */
};

struct enclave {
    struct daemon *d;
    char name[CONFIG_NAME_MAX + 1];
    uint32_t id;
    char bridge[CONFIG_IFNAME_MAX + 1];
    enum config_bridge_type bridge_type;
    char uplink[CONFIG_IFNAME_MAX + 1];
    unsigned mtu_cfg;                   /* 0: derived */
    unsigned inner_mtu;
    bool bridge_created;
    int tap_fd;
    uv_poll_t *poll;                    /* freed in its close callback */
    struct fdb *fdb;
    bool failed;                        /* uplink TAP poll error: reopened on the refresh tick */
    uint8_t bridge_mac[6], uplink_mac[6]; /* our own ports' MACs (enclave_own_mac) */
};

struct attachment {
    char ifname[CONFIG_IFNAME_MAX + 1];
    struct enclave *enc;
    bool has_mac;
    uint8_t mac[6];
    char vm[64];
};

struct daemon_counters {
    uint64_t drop_unknown_enclave;
    uint64_t drop_inner_malformed;
    uint64_t drop_inner_type;
    uint64_t drop_no_route;             /* unicast to a peer that is gone */
    uint64_t drop_fdb_full;
    uint64_t rx_frames, tx_frames;      /* to / from the TAPs */
    uint64_t tap_errors;
};

struct daemon {
    uv_loop_t *loop;
    struct config *cfg;
    struct tap_nl *nl;
    struct link_host *link;
    struct link_hooks hooks;
    struct udp udp;
    uv_poll_t udp_poll;
    uv_timer_t link_timer;
    uv_timer_t refresh_timer;
    uv_prepare_t prepare;
    uv_signal_t sig_term, sig_int, sig_hup;
    struct ctl_server ctl;
    struct admit *admit;                /* Authority mode (admit.h); NULL without */
    uint8_t pub[32];
    uint64_t fdb_seed;
    uint64_t start_ns;
    unsigned underlay_mtu;
    bool stopping;
    int exit_code;

    struct peer **peers;
    size_t n_peers;
    struct enclave **enclaves;
    size_t n_enclaves;
    struct attachment *att;
    size_t n_att;

    struct ringd *ringd;                /* the Chord ring (ringd.c) */
    struct peer_ts *ts_cache;           /* up to DAEMON_TS_CACHE, grown on demand */
    size_t n_ts;
    uint64_t ts_tick;
    struct daemon_counters cnt;
    /* Source of the datagram inside link_receive() (NULL otherwise): the
     * link layer only answers the authenticated sender, so a send during
     * receive goes there (handshake responses to roaming/unknown endpoints). */
    const struct udp_addr *rx_src;
    /* data-path buffers, preallocated */
    uint8_t *tap_buf;                   /* DAEMON_TAP_BATCH * (4 + DAEMON_FRAME_MAX) */
    uint8_t ctl_buf[1400];
};

static inline uint64_t daemon_now(void) { return uv_hrtime(); }

/* Start everything from @cfg (owned by the daemon from now on). */
int daemon_start(struct daemon *d, uv_loop_t *loop, struct config *cfg);
/* Begin a clean shutdown: close every handle so uv_run returns. */
void daemon_stop(struct daemon *d);
/* After uv_run returned: delete bridges, free everything. */
void daemon_cleanup(struct daemon *d);
/* Reload config (SIGHUP / ctl). Changes and problems go to @out (one per
 * line). Returns 0 (applied) or -EINVAL (refused, old config kept). */
struct sbuf;
int daemon_reload(struct daemon *d, struct sbuf *out);

/* peer.c */
/* Remember @src as @p's endpoint (roaming); logs a change. */
void peer_set_endpoint(struct peer *p, const struct udp_addr *src);
int peer_add(struct daemon *d, const struct config_peer *cp, struct peer **out);
void peer_remove(struct daemon *d, struct peer *p);
struct peer *peer_by_name(struct daemon *d, const char *name);
bool peer_carries(const struct peer *p, uint32_t id);
int peer_set_enclaves(struct peer *p, const uint32_t *ids, size_t n);
void peer_forget_enclaves(struct peer *p);
void peer_display_name(const struct config_peer *cp, char out[CONFIG_NAME_MAX + 1]);
/* @p's link peer: a new one (seeded with the timestamp remembered for its key,
 * persistent keepalive set), or freed (its timestamp remembered). */
int peer_link_new(struct daemon *d, struct peer *p);
void peer_link_free(struct daemon *d, struct peer *p);
/* The [Peer] section with key @pub, or NULL. */
const struct config_peer *peer_cfg_by_pub(const struct daemon *d, const uint8_t pub[32]);
extern const struct link_hooks peer_link_hooks;

/* enclave.c */
int enclave_open(struct daemon *d, const struct config_enclave *ce, struct enclave **out);
void enclave_close(struct daemon *d, struct enclave *e);
struct enclave *enclave_by_name(struct daemon *d, const char *name);
struct enclave *enclave_by_id(struct daemon *d, uint32_t id);
/* Sorted ids of the enclaves we carry into @ids (cap n_enclaves). */
size_t enclave_ids(const struct daemon *d, uint32_t *ids, size_t cap);
/* Best effort: no IPv6 (no RS/MLD from the host) on an L2-only port. */
void enclave_no_ipv6(const char *ifname);
/* Refresh tick: reopen the uplink TAP of every failed enclave. */
void enclave_retry_failed(struct daemon *d);
/* Is @mac the bridge's or the uplink's own (host-made frames, never a guest)? */
bool enclave_own_mac(const struct enclave *e, const uint8_t mac[6]);

/* attach.c */
int attach_add(struct daemon *d, const char *enclave, const char *ifname,
               const uint8_t *mac, const char *vm, struct sbuf *err);
int attach_remove(struct daemon *d, const char *ifname, struct sbuf *err);
void attach_drop_enclave(struct daemon *d, struct enclave *e);

#endif
