/* SPDX-License-Identifier: GPL-2.0-only */
#ifndef OVL_OVERLAYD_DATAPATH_ENCLAVE_H
#define OVL_OVERLAYD_DATAPATH_ENCLAVE_H

/*
 * DOC: enclave — one carried enclave (bridge, uplink TAP, MAC table) and
 * the guest interfaces attached to it
 */

#include <stdbool.h>
#include <stdint.h>

#include <uv.h>

#include "overlayd/config/config.h"
#include "overlayd/datapath/spoof.h"

struct daemon;
struct fdb;
struct neigh_table;
struct fw_table;
struct policy_rule;
struct sbuf;

struct enclave {
    struct daemon *d;
    char name[CONFIG_NAME_MAX + 1];
    uint32_t id;
    char bridge[CONFIG_IFNAME_MAX + 1];
    enum config_bridge_type bridge_type;
    char uplink[CONFIG_IFNAME_MAX + 1];
    unsigned mtu_cfg;                   /* 0: derived */
    unsigned inner_mtu;
    bool clamp_mss;                     /* ClampMSS: lower the MSS of SYNs to fit inner_mtu */
    bool bridge_created;
    int tap_fd;
    uv_poll_t *poll;                    /* freed in its close callback */
    struct fdb *fdb;
    struct neigh_table *neigh;          /* IP -> MAC bindings (neigh.h) */
    bool failed;                        /* uplink TAP poll error: reopened on the refresh tick */
    uint8_t bridge_mac[6], uplink_mac[6]; /* our own ports' MACs (enclave_own_mac) */
    /* Linux bridge: every guest port's frames come to us through a TAP of
     * its own and leave through it; the bridge forwards none (ports.c). */
    bool ports_isolated;
    /* [Policy]: NULL when the enclave has none (policy_dp.c). */
    struct fw_table *fw;
    struct policy_rule *rules;
    size_t n_rules;
    uint8_t policy_digest[32];          /* of the rules and member names the flows met */
};

enum { PORT_SEEN_MAX = 4 };

struct attachment {
    char ifname[CONFIG_IFNAME_MAX + 1];
    struct enclave *enc;
    bool has_mac;                       /* attached with --mac: locked to it (spoof.h) */
    uint8_t mac[6];
    char vm[64];
    char port_tap[CONFIG_IFNAME_MAX + 1]; /* isolated bridge: its TAP, "ovp" + ifindex */
    int port_fd;                        /* -1: none */
    uv_poll_t *port_poll;               /* freed in its close callback */
    struct spoof_lock lock;             /* valid when has_mac */
    uint8_t seen[PORT_SEEN_MAX][6];     /* source MACs it sent from, newest first */
    unsigned n_seen;
};

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

int attach_add(struct daemon *d, const char *enclave, const char *ifname,
               const uint8_t *mac, const char *vm, struct sbuf *err);
int attach_remove(struct daemon *d, const char *ifname, struct sbuf *err);
void attach_drop_enclave(struct daemon *d, struct enclave *e);
/* Ports a previous run left on @e's adopted bridge: attached unlocked
 * (their redirects renewed; a later attach --mac locks them). */
void attach_adopt(struct daemon *d, struct enclave *e);
/* (Re)read the [Member] Address of every locked port of @e from @ce. */
void attach_relock(struct daemon *d, struct enclave *e, const struct config_enclave *ce);

/* ports.c: the guest ports of an isolated bridge (docs/design.md "Guest ports"). */
/* Give @a (an interface on @a->enc's bridge) its port TAP and redirects. */
int port_open(struct daemon *d, struct attachment *a);
void port_close(struct daemon *d, struct attachment *a);
/* The port @mac lives behind: locked to it, or it sent from it lately. */
struct attachment *port_by_mac(struct daemon *d, const struct enclave *e, const uint8_t mac[6]);
/* Remember that @a sent from @src (unicast). */
void port_note_mac(struct attachment *a, const uint8_t src[6]);


#endif
