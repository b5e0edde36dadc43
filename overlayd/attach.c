/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * `overlayctl attach/detach`: guest interfaces on enclave bridges, and the
 * static MAC entries they announce.
 */
#include "overlayd/daemon.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "overlayd/fwd.h"
#include "overlayd/log.h"
#include "overlayd/sbuf.h"
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
        fwd_announce(d, a->enc, a->mac, seq, true);
    a->has_mac = false;
}

static void attach_forget(struct daemon *d, struct attachment *a)
{
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
    return false;
}

int attach_add(struct daemon *d, const char *enclave, const char *ifname,
               const uint8_t *mac, const char *vm, struct sbuf *err)
{
    struct enclave *e = enclave_by_name(d, enclave);
    struct attachment *a;
    struct tap_link_info info;
    uint64_t seq;
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
        sbuf_printf(err, "%s is an overlayd bridge or uplink, not a guest interface", ifname);
        return -EINVAL;
    }
    a = attach_find(d, ifname);
    if (a && a->enc != e) {
        sbuf_printf(err, "%s is attached to enclave %s; detach it first", ifname, a->enc->name);
        return -EBUSY;
    }
    if (e->bridge_type == CONFIG_BRIDGE_LINUX) {
        enclave_no_ipv6(ifname);
        rc = tap_link_set_mtu(d->nl, ifname, e->inner_mtu);
        if (rc == 0)
            rc = tap_link_set_master(d->nl, ifname, e->bridge);
        if (rc == 0)
            rc = tap_link_set_up(d->nl, ifname, true);
        if (rc < 0) {
            sbuf_printf(err, "cannot put %s on bridge %s: %s", ifname, e->bridge, strerror(-rc));
            return rc;
        }
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
    }
    if (vm)
        snprintf(a->vm, sizeof(a->vm), "%s", vm);
    if (mac) {
        if (a->has_mac && memcmp(a->mac, mac, 6) != 0)
            attach_unannounce(d, a);
        rc = fdb_set_static(e->fdb, mac, daemon_now(), &seq);
        if (rc < 0) {
            sbuf_printf(err, "MAC table of enclave %s is full", e->name);
            return rc;
        }
        memcpy(a->mac, mac, 6);
        a->has_mac = true;
        fwd_announce(d, e, mac, seq, false);
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
        if (d->att[i].enc == e)
            attach_forget(d, &d->att[i]);
        else
            i++;
    }
}
