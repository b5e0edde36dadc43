/* SPDX-License-Identifier: GPL-2.0-only */
#ifndef OVL_OVERLAYD_DAEMON_H
#define OVL_OVERLAYD_DAEMON_H

/*
 * DOC: daemon — overlayd's state and its single-threaded event loop
 *
 * One libuv loop drives everything (docs/design.md):
 *   - uv_poll on the UDP socket: recvmmsg batch -> link_receive -> the
 *     data path (datapath/rx.c);
 *   - uv_poll on each enclave's uplink TAP: tap_read_batch -> the data
 *     path (datapath/tx.c) -> link;
 *   - uv_prepare, right before the loop blocks: the data path's facts to
 *     the ring, deferred hellos, one sendmmsg for everything queued, and
 *     the link layer's uv_timer re-armed to link_host_next_deadline();
 *   - a uv_timer every DAEMON_REFRESH_S: unresolved endpoints retried,
 *     failed enclaves reopened, MAC re-announcement and fdb ageing;
 *   - the ring's timers (ring/), the certificate expiry timer
 *     (datapath/peer_admit.c) and endpoint name lookups on libuv's thread
 *     pool (datapath/resolve.c);
 *   - the claims timer: forwarding MACs withdrawn after their grace
 *     period (announce/claims.h), re-armed before the loop blocks;
 *   - uv_signal for SIGTERM/SIGINT (stop) and SIGHUP (reload);
 *   - the control socket (control/ctl_server.c).
 * Lifecycle: daemon_start() (from a loaded config) -> uv_run ->
 * daemon_cleanup() (bridges deleted, socket removed).
 */

#include <stdbool.h>
#include <stdint.h>
#include <uv.h>

#include "crypto/link.h"
#include "lib/bucket.h"
#include "lib/drop.h"
#include "overlayd/config/config.h"
#include "overlayd/control/ctl_server.h"
#include "overlayd/control/metrics_http.h"
#include "overlayd/datapath/datapath.h"
#include "overlayd/datapath/enclave.h"
#include "overlayd/datapath/fdb.h"
#include "overlayd/datapath/inner.h"
#include "overlayd/datapath/peer.h"
#include "overlayd/datapath/udp.h"

struct tap_nl;
struct admit;
struct admit_peer;
struct resolve_req;

enum daemon_limits {
    DAEMON_TAP_BATCH = 64,
    DAEMON_FRAME_MAX = 9216 + 18,       /* jumbo MTU + Ethernet + VLAN */
    /* A TAP read: a super-frame of up to 64 KB of IP + Ethernet + VLAN,
     * behind the virtio_net_hdr; a shorter buffer truncates silently. */
    DAEMON_SUPER_MAX = 65536 + 18,
    /* Before each frame read: room for a type-7 header, then the
     * virtio_net_hdr the read puts there. */
    DAEMON_TAP_HEADROOM = INNER_FRAME_GSO_HDR,
    DAEMON_TAP_SLOT = DAEMON_TAP_HEADROOM + DAEMON_SUPER_MAX,
    /* What this daemon takes from its peers (announce.c sends it). */
    DAEMON_FEATURES = INNER_FEAT_OFFLOAD,
    DAEMON_KEEPALIVE_S = 5,
    DAEMON_REFRESH_S = 30,              /* MAC re-announce + fdb ageing */
    DAEMON_TS_CACHE = 1024,             /* remembered handshake timestamps of removed peers */
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
    uv_timer_t path_timer;              /* the peers' probers (datapath/probe.c) */
    uv_prepare_t prepare;
    uv_signal_t sig_term, sig_int, sig_hup;
    struct ctl_server ctl;
    struct metrics_http metrics;        /* MetricsListen (control/metrics_http.h) */
    struct admit *admit;                /* Authority mode (admit.h); NULL without */
    uv_timer_t *admit_timer;            /* certificate expiry (peer_admit.c) */
    struct resolve_req *resolving;      /* endpoint lookups in flight (resolve.c) */
    struct ovs_job *ovs_jobs;           /* ovs-vsctl calls, the running one first (ovs.c) */
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

    struct ringd *ringd;                /* the Chord ring (ring/ringd.c) */
    struct peer_ts *ts_cache;           /* DAEMON_TS_CACHE entries, allocated at first use */
    size_t n_ts;
    uint64_t ts_tick;
    struct drop_stats drops;            /* every discard, by reason (lib/drop.h) */
    uint64_t tap_rx_frames, tap_tx_frames;
    uint64_t arp_suppressed, nd_suppressed; /* answered here, not flooded (neigh_dp.c) */
    uint64_t arp_learned, nd_learned;   /* new bindings of local guests (neigh_dp.c) */
    uint64_t neigh_conflicts;           /* guest bindings a [Member] Address overrules */
    uint64_t neigh_ring_gets;           /* ring asked for an unanswered address (ringd_neigh.c) */
    uint64_t neigh_ring_hits;           /* ... and a binding came back and was cached */
    uint64_t neigh_ring_misses;         /* ... and none did (no record, timeout, refused) */
    uint64_t flood_frames;              /* frames of ours sent along the broadcast tree */
    uint64_t flood_copies;              /* tree copies sent, ours and passed on (flood.c) */
    uint64_t flood_received;            /* tree copies received and delivered */
    uint64_t rid64;                     /* our ring id's first 64 bits (flood.c) */
    uint64_t path_probes_sent;          /* path probe requests sent (probe.c) */
    uint64_t path_probes_answered;      /* ... answered in time: an RTT sample */
    uint64_t path_probes_lost;          /* ... not answered within their timeout */
    uint64_t path_probe_replies;        /* requests of other hosts answered */
    struct dp_facts facts;              /* for the ring, handled before the loop blocks */
    /* Source of the datagram inside link_receive() (NULL otherwise): the
     * link layer only answers the authenticated sender, so a send during
     * receive goes there (handshake responses to roaming/unknown endpoints).
     * An initiation (@rx_src_init) is answered there but moves no
     * endpoint: it may be a replay (after our restart nothing tells an old
     * one from a new one), so only a response or data, which prove the
     * sender holds the session's keys now, move it. */
    const struct udp_addr *rx_src;
    bool rx_src_init;
    /* Inside the handling of a packet @rx_via_origin sent us through the
     * relay @rx_via (detour.c): answers to it go back the same way. */
    struct peer *rx_via, *rx_via_origin;
    bool detour_direct;                 /* sends go straight to the endpoint (probes, relaying) */
    uint64_t detour_report_at;
    double relay_pps, relay_burst;      /* relay budget per source (detour_init) */
    bool detour_reports;                /* send REPORTs (off only in tests: OVERLAYD_DETOUR_REPORTS=0) */
    uv_timer_t detour_timer;
    uint64_t detour_sent;               /* our link packets sent through a relay */
    uint64_t detour_delivered;          /* link packets that came to us through a relay */
    uint64_t detour_relayed;            /* link packets we relayed for others */
    uint64_t detour_ring;               /* ... sent or relayed as a hop along the ring */
    uint64_t path_switches;             /* path in use changed (direct <-> via) */
    uint64_t direct_dead;               /* direct paths declared dead */
    uint64_t mss_clamped;               /* TCP SYNs whose MSS was lowered (datapath/mss.h) */
    uint64_t migrations;                /* MACs claimed away from here or here from elsewhere */
    uint64_t macs_frozen;               /* duplicate detection: MACs frozen (claims.c) */
    struct bucket claim_budget;         /* immediate claims of learned MACs (claims.c) */
    uint64_t forwarded_frames;          /* frames for a MAC claimed away, sent to its new host */
    uint64_t gso_frames;                /* super-frames read and sent whole (type 7) */
    uint64_t gso_segmented;             /* segments cut from super-frames in software */
    size_t frag_size;                   /* longest datagram before the link layer fragments */
    uint32_t features;                  /* what we announce: DAEMON_FEATURES, or none under
                                         * OVERLAYD_NO_OFFLOAD=1 (tests: an older host) */
    uv_timer_t claims_timer;            /* forwarding grace periods (announce/claims.c) */
    /* data-path buffers, preallocated */
    uint8_t *tap_buf;                   /* DAEMON_TAP_BATCH * DAEMON_TAP_SLOT */
    uint8_t *seg_buf;                   /* one segment of a super-frame cut in software */
    uint8_t *detour_rx;                 /* LINK_MAX_PACKET: a relayed link packet, decrypted */
    uint8_t ctl_buf[1400];
    uint8_t flood_buf[INNER_FLOOD_HDR + DAEMON_FRAME_MAX];
    uint8_t detour_buf[INNER_DETOUR_FWD_HDR + LINK_MAX_PACKET];
};

static inline uint64_t daemon_now(void) { return uv_hrtime(); }
/* One timer per pure object: (re)arm @t to fire @cb at @deadline (ns,
 * daemon_now() clock), or stop it for UINT64_MAX ("nothing to do"). */
void daemon_timer_arm(uv_timer_t *t, uv_timer_cb cb, uint64_t deadline, uint64_t now);

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

#endif
