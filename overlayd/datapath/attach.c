/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * `overlayctl attach/detach`: guest interfaces on enclave bridges, and the
 * MAC entries they announce once the guest is heard (pending until then).
 */
#include "overlayd/daemon.h"

#include <errno.h>
#include <ifaddrs.h>
#include <net/if.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "overlayd/announce/announce.h"
#include "lib/log.h"
#include "lib/sbuf.h"
#include "tap/tap.h"

static struct attachment *attach_find(struct daemon *d, const char *ifname)
{
    for (size_t i = 0; i < d->n_att; i++)
        if (strcmp(d->att[i].ifname, ifname) == 0)
            return &d->att[i];
    return NULL;
}

static void attach_unannounce(struct daemon *d, struct attachment *a)
{
    uint64_t seq;

    if (a->has_mac && fdb_remove_static(a->enc->fdb, a->mac, &seq) == 0)
        announce_mac(d, a->enc, a->mac, seq, true);
    a->has_mac = false;
}

/* Off the uplink's VLANs too (the port's own went with the port). */
static void attach_forget(struct daemon *d, struct attachment *a)
{
    port_close(d, a);

    size_t i = (size_t)(a - d->att);

    memmove(&d->att[i], &d->att[i + 1], (d->n_att - i - 1) * sizeof(*d->att));
    d->n_att--;
}

static bool attach_is_ours(struct daemon *d, const char *ifname)
{
    for (size_t i = 0; i < d->n_enclaves; i++)
        if (strcmp(d->enclaves[i]->bridge, ifname) == 0 ||
            strcmp(d->enclaves[i]->uplink, ifname) == 0)
            return true;
    for (size_t i = 0; i < d->n_att; i++)
        if (d->att[i].port_fd >= 0 && strcmp(d->att[i].port_tap, ifname) == 0)
            return true;
    return false;
}

/*
 * Does @ifname carry an IPv4 or a non-link-local IPv6 address? A guest
 * NIC's host end never does (an IPv6 link-local one may appear on its own
 * when it is up); the underlay and host interfaces do.
 */
static bool attach_has_addr(const char *ifname)
{
    struct ifaddrs *ifa, *i;
    bool found = false;

    if (getifaddrs(&ifa) < 0)
        return false;
    for (i = ifa; i && !found; i = i->ifa_next) {
        if (!i->ifa_addr || !i->ifa_name || strcmp(i->ifa_name, ifname) != 0)
            continue;
        if (i->ifa_addr->sa_family == AF_INET)
            found = true;
        else if (i->ifa_addr->sa_family == AF_INET6 &&
                 !IN6_IS_ADDR_LINKLOCAL(&((struct sockaddr_in6 *)i->ifa_addr)->sin6_addr))
            found = true;
    }
    freeifaddrs(ifa);
    return found;
}

/*
 * Put @ifname on @e's bridge. Nothing about the interface changes until it
 * is a port of the bridge, and a later failure takes it off again and
 * restores its MTU, so a refused attach leaves the interface as it was.
 */
static int attach_plug(struct daemon *d, struct enclave *e, const char *ifname,
                       const struct tap_link_info *info, struct sbuf *err)
{
    struct tap_link_info br;
    bool ours = false;
    int rc;

    if (tap_link_get(d->nl, e->bridge, &br) == 0 && info->master_ifindex == br.ifindex)
        ours = true;                  /* idempotent re-attach */
    else if (info->master_ifindex) {
        char master[IF_NAMESIZE] = "";

        if (!if_indextoname((unsigned)info->master_ifindex, master))
            snprintf(master, sizeof(master), "ifindex %d", info->master_ifindex);
        sbuf_printf(err, "%s is a port of %s; detach it first", ifname, master);
        return -EBUSY;
    }
    if (!ours) {
        rc = tap_link_set_master(d->nl, ifname, e->bridge);
        if (rc < 0) {
            sbuf_printf(err, "cannot put %s on bridge %s: %s", ifname, e->bridge, strerror(-rc));
            return rc;
        }
    }
    rc = tap_link_set_mtu(d->nl, ifname, e->inner_mtu);
    if (rc == 0) {
        enclave_no_ipv6(ifname);
        rc = tap_link_set_up(d->nl, ifname, true);
    }
    if (rc < 0) {
        sbuf_printf(err, "cannot put %s on bridge %s: %s", ifname, e->bridge, strerror(-rc));
        if (!ours) {
            tap_link_set_master(d->nl, ifname, NULL);
            tap_link_set_mtu(d->nl, ifname, info->mtu);
        }
        return rc;
    }
    return 0;
}

/*
 * @mac is attached to @e here. A MAC already heard here stays local and is
 * announced as before; any other is pending (fdb.h): the port is ready, but
 * the enclave's traffic stays where the guest runs until the guest's first
 * frame here claims it (a migration's destination is attached while the
 * guest still runs on the source). With no location known, the ring is
 * asked, so the claim can outbid the record. Returns 0 or -ENOSPC.
 */
static int attach_mac(struct daemon *d, struct enclave *e, const uint8_t mac[6])
{
    uint64_t now = daemon_now();
    const struct fdb_entry *ent;
    int rc = fdb_set_pending(e->fdb, mac, now);

    if (rc < 0)
        return rc;
    ent = fdb_lookup(e->fdb, mac);
    if (rc == FDB_CLAIMED && ent)
        announce_mac(d, e, mac, ent->seq, false);
    else if (ent && ent->state == FDB_PENDING)
        dp_fact_push(d, DP_FACT_UNKNOWN_MAC, e->id, mac, now);
    return 0;
}

static const struct config_enclave *attach_cfg(struct daemon *d, const struct enclave *e)
{
    for (size_t i = 0; d->cfg && i < d->cfg->n_enclaves; i++)
        if (d->cfg->enclaves[i].id == e->id)
            return &d->cfg->enclaves[i];
    return NULL;
}

/* Lock @a to its MAC and to the Address of the [Member] with that MAC. */
static void attach_lock(struct attachment *a, const struct config_enclave *ce)
{
    memset(&a->lock, 0, sizeof(a->lock));
    memcpy(a->lock.mac, a->mac, 6);
    for (size_t i = 0; ce && i < ce->n_members; i++) {
        const struct config_member *m = &ce->members[i];

        if (m->mac_line && m->address[0] && memcmp(m->mac, a->mac, 6) == 0 &&
            spoof_lock_address(&a->lock, m->address) < 0)
            log_warn("ctl", "%s: member %s: address %s not usable as a lock", a->enc->name,
                     m->name, m->address);
    }
}

void attach_relock(struct daemon *d, struct enclave *e, const struct config_enclave *ce)
{
    for (size_t i = 0; i < d->n_att; i++)
        if (d->att[i].enc == e && d->att[i].has_mac)
            attach_lock(&d->att[i], ce);
}

int attach_add(struct daemon *d, const char *enclave, const char *ifname,
               const uint8_t *mac, const char *vm, struct sbuf *err)
{
    struct enclave *e = enclave_by_name(d, enclave);
    struct attachment *a;
    struct tap_link_info info;
    bool fresh = false;
    int rc;

    if (!e) {
        sbuf_printf(err, "unknown enclave %s", enclave);
        return -ENOENT;
    }
    if (strlen(ifname) > CONFIG_IFNAME_MAX || tap_link_get(d->nl, ifname, &info) < 0) {
        sbuf_printf(err, "no such interface %s", ifname);
        return -ENODEV;
    }
    if (attach_is_ours(d, ifname)) {
        sbuf_printf(err, "%s is an overlayd bridge, uplink or port TAP, not a guest interface",
                    ifname);
        return -EINVAL;
    }
    a = attach_find(d, ifname);
    if (a && a->enc != e) {
        sbuf_printf(err, "%s is attached to enclave %s; detach it first", ifname, a->enc->name);
        return -EBUSY;
    }
    /* Guest NICs only: a tap or one end of a veth. Anything else (the
     * underlay, loopback, a bond, someone's bridge) must never be moved
     * into an enclave. */
    if (strcmp(info.kind, "tun") != 0 && strcmp(info.kind, "veth") != 0) {
        sbuf_printf(err, "%s is not a tap or veth interface (kind %s); refusing to attach it",
                    ifname, info.kind[0] ? info.kind : "none");
        return -EINVAL;
    }
    if (attach_has_addr(ifname)) {
        sbuf_printf(err, "%s has IP addresses (a host or underlay interface?); refusing to "
                    "attach it", ifname);
        return -EINVAL;
    }
    if (e->bridge_type == CONFIG_BRIDGE_LINUX) {
        rc = attach_plug(d, e, ifname, &info, err);
        if (rc < 0)
            return rc;
    }
    if (!a) {
        struct attachment *na = realloc(d->att, (d->n_att + 1) * sizeof(*na));

        if (!na) {
            sbuf_puts(err, "out of memory");
            return -ENOMEM;
        }
        d->att = na;
        a = &d->att[d->n_att++];
        memset(a, 0, sizeof(*a));
        strcpy(a->ifname, ifname);
        a->enc = e;
        a->port_fd = -1;
        fresh = true;
    }
    if (e->ports_isolated) {
        rc = port_open(d, a);
        if (rc < 0)
            sbuf_printf(err, "cannot give %s a port TAP: %s", ifname, strerror(-rc));
        if (rc < 0 && fresh) {
            tap_link_set_master(d->nl, ifname, NULL);
            attach_forget(d, a);
        }
        if (rc < 0)
            return rc;
    }
    if (vm)
        snprintf(a->vm, sizeof(a->vm), "%s", vm);
    if (mac) {
        if (a->has_mac && memcmp(a->mac, mac, 6) != 0)
            attach_unannounce(d, a);
        rc = attach_mac(d, e, mac);
        if (rc < 0) {
            sbuf_printf(err, "MAC table of enclave %s is full", e->name);
            return rc;
        }
        memcpy(a->mac, mac, 6);
        a->has_mac = true;
        attach_lock(a, attach_cfg(d, e));
    }
    log_info("ctl", "attached %s to enclave %s%s%s", ifname, e->name, a->vm[0] ? " as " : "",
             a->vm);
    return 0;
}

int attach_remove(struct daemon *d, const char *ifname, struct sbuf *err)
{
    struct attachment *a = attach_find(d, ifname);
    int rc;

    if (!a)
        return 0;                     /* idempotent: nothing attached by that name */
    if (a->enc->bridge_type == CONFIG_BRIDGE_LINUX) {
        rc = tap_link_set_master(d->nl, ifname, NULL);
        if (rc < 0 && rc != -ENODEV) {
            sbuf_printf(err, "cannot take %s off bridge %s: %s", ifname, a->enc->bridge,
                        strerror(-rc));
            return rc;
        }
    }
    attach_unannounce(d, a);
    log_info("ctl", "detached %s from enclave %s", ifname, a->enc->name);
    attach_forget(d, a);
    return 0;
}

void attach_drop_enclave(struct daemon *d, struct enclave *e)
{
    size_t i = 0;

    while (i < d->n_att) {
        if (d->att[i].enc == e) {
            /* Peers must not keep sending this VM's frames to us. */
            attach_unannounce(d, &d->att[i]);
            attach_forget(d, &d->att[i]);
        }
        else
            i++;
    }
}

void attach_adopt(struct daemon *d, struct enclave *e)
{
    char names[64][TAP_IFNAMSIZ];
    size_t n = 0;
    int rc = tap_bridge_ports(d->nl, e->bridge, names, 64, &n);

    if (rc < 0)
        log_warn("enclave", "%s: ports of %s: %s (the rest stay unplugged until attached)",
                 e->name, e->bridge, strerror(-rc));
    for (size_t i = 0; i < n; i++) {
        struct sbuf err;

        if (strcmp(names[i], e->uplink) == 0)
            continue;
        sbuf_init(&err);
        if (attach_add(d, e->name, names[i], NULL, NULL, &err) < 0)
            log_warn("enclave", "%s: left-over port %s not adopted: %s", e->name, names[i],
                     sbuf_str(&err));
        else
            log_info("enclave", "%s: adopted port %s, unlocked until attached again", e->name,
                     names[i]);
        sbuf_free(&err);
    }
}
