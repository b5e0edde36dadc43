/* SPDX-License-Identifier: GPL-2.0-only */
#ifndef OVL_OVERLAYD_DATAPATH_PEER_H
#define OVL_OVERLAYD_DATAPATH_PEER_H

/*
 * DOC: peer — a host we hold (or may hold) a link to: its endpoint, link
 * session, announced enclave set and traffic counters
 */

#include <stdbool.h>
#include <stdint.h>

#include "crypto/link.h"
#include "lib/bucket.h"
#include "overlayd/config/config.h"
#include "overlayd/datapath/detour.h"
#include "overlayd/datapath/udp.h"
#include "overlayd/paths/path_probe.h"

struct admit_peer;
struct config_peer;
struct daemon;

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
    uint32_t features;                  /* INNER_FEAT_* it announced with its set */
    bool hello_pending;                 /* send our ENCLAVES from the loop */
    struct bucket encl_answers;         /* its sets answered at once (announce/encl_gate.h) */
    enum link_state state;
    uint64_t connecting_since;
    struct admit_peer *adm;             /* certificate grant (admit.h); NULL: none yet */
    uint64_t rid64;                     /* its ring id's first 64 bits (broadcast tree) */
    struct path_probe probe;            /* RTT, loss, health of the direct link (paths/) */
    struct detour_peer path;            /* direct path health, detour in use (detour.h) */
};

/*
 * What the probes know of the direct link to @p (a path chooser's input):
 * has_sample (false: RTT unknown, cost it high), srtt_ns, rttvar_ns,
 * has_loss / loss (0..1), health (PATH_UP / PATH_SUSPECT / PATH_DEAD),
 * active, heard / heard_at, unanswered, probe counts.
 */
static inline void peer_path_get(const struct peer *p, struct path_info *out)
{
    path_get(&p->probe, out);
}
/* The contract's `state` of @p: the link's, except "down" while its
 * session is up but the probes hold the link DEAD. */
enum link_state peer_state(const struct peer *p, uint64_t now);

/* Remember @src as @p's endpoint (roaming); logs a change. */
void peer_set_endpoint(struct peer *p, const struct udp_addr *src);
/* The first 64 bits of the ring id of @pub. */
uint64_t peer_rid64(const uint8_t pub[32]);
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

#endif
