/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Enclaves: per enclave file a bridge (BridgeType = linux; ours, created
 * and marked by us, or adopted from a crashed run, and deleted by us) and
 * the uplink TAP that carries its frames to and
 * from the daemon. BridgeType = external: only the TAP; the operator
 * plugs it into their switch. BridgeType = openvswitch: the TAP, plugged
 * into the named OVS bridge by us (ovs.c) at every open and reopen.
 */
#include "overlayd/daemon.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "overlayd/announce/announce.h"
#include "lib/idset.h"
#include "lib/log.h"

_Static_assert((int)CONFIG_DUP_MOVES == (int)FDB_DUP_MOVES &&
               (int)CONFIG_DUP_WINDOW_S == (int)FDB_DUP_WINDOW_S &&
               (int)CONFIG_DUP_FREEZE_S == (int)FDB_DUP_FREEZE_S,
               "the config's duplicate-detection defaults are the MAC table's");
#include "overlayd/datapath/neigh.h"
#include "overlayd/datapath/ovs.h"
#include "tap/tap.h"

/*
 * The bridge and uplink are pure L2 ports: without this the host would put
 * its own IPv6 router solicitations and MLD reports into the enclave.
 */
void enclave_no_ipv6(const char *ifname)
{
    char path[96];
    int fd;

    snprintf(path, sizeof(path), "/proc/sys/net/ipv6/conf/%s/disable_ipv6", ifname);
    fd = open(path, O_WRONLY | O_CLOEXEC);
    if (fd < 0)
        return;
    if (write(fd, "1", 1) < 0)
        log_debug("enclave", "%s: cannot disable IPv6: %s", ifname, strerror(errno));
    close(fd);
}

static void enclave_poll_free(uv_handle_t *h)
{
    free(h);
}

static void enclave_poll_cb(uv_poll_t *h, int status, int events);

static int enclave_poll_start(struct daemon *d, struct enclave *e)
{
    int rc;

    e->poll = malloc(sizeof(*e->poll));
    if (!e->poll)
        return -ENOMEM;
    rc = uv_poll_init(d->loop, e->poll, e->tap_fd);
    if (rc < 0) {
        free(e->poll);
        e->poll = NULL;
        return rc;
    }
    e->poll->data = e;
    uv_poll_start(e->poll, UV_READABLE, enclave_poll_cb);
    return 0;
}

static void enclave_uplink_close(struct enclave *e)
{
    if (e->poll) {
        uv_poll_stop(e->poll);
        uv_close((uv_handle_t *)e->poll, enclave_poll_free);
        e->poll = NULL;
    }
    if (e->tap_fd >= 0)
        close(e->tap_fd);      /* non-persistent TAP: the kernel deletes it */
    e->tap_fd = -1;
}

/* The MAC of @ifname into @mac (zero when it cannot be read). */
static void enclave_read_mac(struct daemon *d, const char *ifname, uint8_t mac[6])
{
    struct tap_link_info info;

    memset(mac, 0, 6);
    if (tap_link_get(d->nl, ifname, &info) == 0)
        memcpy(mac, info.mac, 6);
}

/* A new uplink TAP for a failed enclave, plugged as enclave_open does. */
static int enclave_uplink_reopen(struct daemon *d, struct enclave *e)
{
    int rc;

    enclave_uplink_close(e);
    rc = tap_open_vnet(e->uplink, &e->tap_fd, NULL);
    if (rc < 0)
        return rc;
    enclave_no_ipv6(e->uplink);
    rc = tap_link_set_mtu(d->nl, e->uplink, e->inner_mtu);
    if (rc == 0 && e->bridge_type == CONFIG_BRIDGE_LINUX)
        rc = tap_link_set_master(d->nl, e->uplink, e->bridge);
    if (rc == 0)
        rc = tap_link_set_up(d->nl, e->uplink, true);
    if (rc == 0)
        rc = enclave_poll_start(d, e);
    if (rc < 0) {
        enclave_uplink_close(e);
        return rc;
    }
    enclave_read_mac(d, e->uplink, e->uplink_mac);
    if (e->bridge_type == CONFIG_BRIDGE_OPENVSWITCH)
        ovs_plug(d, e);
    return 0;
}

/*
 * A poll error on the uplink (its TAP was deleted under us, ...) is
 * permanent for that fd: libuv stops the handle. Mark the enclave failed
 * (logged once), try a new TAP now, and again on every refresh tick.
 */
static void enclave_poll_cb(uv_poll_t *h, int status, int events)
{
    struct enclave *e = h->data;
    int rc;

    if (status >= 0) {
        tx_tap_readable(e->d, e);
        return;
    }
    if (!e->failed)
        log_error("enclave", "%s: uplink %s failed (%s); its traffic stops until it is "
                  "reopened", e->name, e->uplink, uv_strerror(status));
    e->failed = true;
    rc = enclave_uplink_reopen(e->d, e);
    if (rc == 0) {
        e->failed = false;
        log_info("enclave", "%s: uplink %s reopened", e->name, e->uplink);
    } else {
        log_debug("enclave", "%s: cannot reopen uplink %s yet: %s", e->name, e->uplink,
                  strerror(-rc));
    }
}

void enclave_retry_failed(struct daemon *d)
{
    for (size_t i = 0; i < d->n_enclaves; i++) {
        struct enclave *e = d->enclaves[i];

        if (!e->failed)
            continue;
        if (enclave_uplink_reopen(d, e) == 0) {
            e->failed = false;
            log_info("enclave", "%s: uplink %s reopened", e->name, e->uplink);
        }
    }
}

bool enclave_own_mac(const struct enclave *e, const uint8_t mac[6])
{
    static const uint8_t zero[6];

    return (memcmp(mac, e->bridge_mac, 6) == 0 || memcmp(mac, e->uplink_mac, 6) == 0) &&
           memcmp(mac, zero, 6) != 0;
}

/*
 * Frames from these MACs are the host's own (the bridge sends an IGMP
 * report when it is created): never learned, forwarded or published. A
 * Linux bridge takes the lowest MAC of its ports unless one is set, so
 * ours is pinned to the one it has now, or it would change as guests
 * attach.
 */
static void enclave_own_macs(struct daemon *d, struct enclave *e)
{
    /* An external bridge is someone else's: its host port may be a real
     * member of the segment, so only our own bridge is filtered. */
    if (e->bridge_created) {
        enclave_read_mac(d, e->bridge, e->bridge_mac);
        if (tap_link_set_mac(d->nl, e->bridge, e->bridge_mac) < 0)
            log_debug("enclave", "%s: cannot pin the MAC of %s", e->name, e->bridge);
    }
    enclave_read_mac(d, e->uplink, e->uplink_mac);
}

/* Undo what enclave_open did so far; frees @e. */
static void enclave_teardown(struct daemon *d, struct enclave *e)
{
    enclave_uplink_close(e);
    if (e->bridge_created) {
        int rc = tap_link_delete(d->nl, e->bridge);

        if (rc < 0 && rc != -ENODEV)
            log_warn("enclave", "%s: cannot delete bridge %s: %s", e->name, e->bridge,
                     strerror(-rc));
        else
            log_info("enclave", "%s: deleted bridge %s", e->name, e->bridge);
    }
    fdb_free(e->fdb);
    neigh_table_free(e->neigh);
    dp_policy_free(e);
    free(e);
}

static int enclave_fail(struct daemon *d, struct enclave *e, int rc, const char *what)
{
    log_error("enclave", "%s: %s: %s", e->name, what, strerror(-rc));
    enclave_teardown(d, e);
    return rc;
}

/*
 * docs/design.md "Enclaves and bridges": every bridge we create carries
 * this alias, so that after a crash (SIGKILL: no teardown) the next start
 * can tell its own leftover from a bridge someone else made. The enclave
 * id is part of it: a leftover of another enclave is not ours to reuse.
 */
static void enclave_bridge_mark(const struct enclave *e, char *buf, size_t len)
{
    snprintf(buf, len, "overlayd:enclave=%u", e->id);
}

/*
 * The bridge of a linux-type enclave: created and marked, or adopted when
 * a previous run left it (its guest ports stay enslaved: they are the
 * guests; its uplink TAP died with that run's fd). Anything else of that
 * name is refused. On failure @e is torn down.
 */
static int enclave_bridge_make(struct daemon *d, struct enclave *e)
{
    char mark[TAP_IFALIASZ];
    struct tap_link_info info;
    int rc;

    enclave_bridge_mark(e, mark, sizeof(mark));
    rc = tap_link_get(d->nl, e->bridge, &info);
    if (rc == 0) {
        if (strcmp(info.kind, "bridge") != 0 || strcmp(info.alias, mark) != 0) {
            log_error("enclave", "%s: bridge %s already exists and was not created by "
                      "overlayd for enclave %u (alias \"%s\"): refusing to take it over "
                      "(someone else's? set BridgeType = external)", e->name, e->bridge,
                      e->id, info.alias);
            enclave_teardown(d, e);
            return -EEXIST;
        }
        /* From here on it is ours again: a failure below deletes it, as a
         * clean shutdown will, so a restart loop cannot leave it half-set. */
        e->bridge_created = true;
        rc = tap_link_set_mtu(d->nl, e->bridge, e->inner_mtu);
        if (rc < 0)
            return enclave_fail(d, e, rc, "set MTU of adopted bridge");
        enclave_no_ipv6(e->bridge);
        log_info("enclave", "%s: adopted bridge %s left by a previous run", e->name,
                 e->bridge);
        return 0;
    }
    if (rc != -ENODEV)
        return enclave_fail(d, e, rc, "look up bridge");
    rc = tap_bridge_add(d->nl, e->bridge, e->inner_mtu);
    if (rc < 0)
        return enclave_fail(d, e, rc, "create bridge");
    e->bridge_created = true;
    /* Unmarked, a bridge we die with would be refused by the next start;
     * better not to run with one. */
    rc = tap_link_set_alias(d->nl, e->bridge, mark);
    if (rc < 0)
        return enclave_fail(d, e, rc, "mark bridge");
    enclave_no_ipv6(e->bridge);
    return 0;
}

/*
 * Equal MAC sequence numbers at two hosts (fdb.h): RFC 7432 section 15
 * picks the lowest address; our hosts are named by their public key, and
 * fdb_tie_order ranks them per MAC and number, the same on every host.
 */
static int enclave_fdb_tiebreak(void *ctx, const void *a, const void *b, const uint8_t mac[6],
                                uint64_t seq)
{
    const struct daemon *d = ctx;
    const uint8_t *ka = a ? ((const struct peer *)a)->pub : d->pub;
    const uint8_t *kb = b ? ((const struct peer *)b)->pub : d->pub;

    return fdb_tie_order(ka, kb, mac, seq);
}

int enclave_open(struct daemon *d, const struct config_enclave *ce, struct enclave **out)
{
    struct enclave *e, **ne;
    bool adopted = false;
    int rc;

    ne = realloc(d->enclaves, (d->n_enclaves + 1) * sizeof(*ne));
    if (!ne)
        return -ENOMEM;
    d->enclaves = ne;
    e = calloc(1, sizeof(*e));
    if (!e)
        return -ENOMEM;
    e->d = d;
    e->tap_fd = -1;
    memcpy(e->name, ce->name, sizeof(e->name));
    e->id = ce->id;
    memcpy(e->bridge, ce->bridge, sizeof(e->bridge));
    e->bridge_type = ce->bridge_type;
    memcpy(e->uplink, ce->uplink, sizeof(e->uplink));
    e->mtu_cfg = ce->mtu;
    e->clamp_mss = ce->clamp_mss;
    e->ports_isolated = e->bridge_type == CONFIG_BRIDGE_LINUX;
    /* docs/config.md "Inner MTU": underlay - 82 (IPv4) or - 102 (IPv6 peer). */
    e->inner_mtu = config_inner_mtu(d->cfg, ce, d->underlay_mtu);
    if (e->inner_mtu == 0) {
        log_error("enclave", "%s: underlay MTU %u is too small to derive an inner MTU; set MTU",
                  e->name, d->underlay_mtu);
        free(e);
        return -EINVAL;
    }

    rc = fdb_new(FDB_DEFAULT_MAX, d->fdb_seed ^ e->id, &e->fdb);
    if (rc == 0)
        rc = enclave_neigh_load(d, e, ce);
    if (rc < 0)
        return enclave_fail(d, e, rc, "MAC and neighbour tables");
    fdb_set_tiebreak(e->fdb, enclave_fdb_tiebreak, d);
    fdb_set_dup_limits(e->fdb, ce->mac_move_limit, ce->mac_move_window_ns, ce->mac_freeze_ns);

    if (tap_link_exists(d->nl, e->uplink) == 1) {
        log_error("enclave", "%s: uplink %s already exists (another overlayd, or a leftover): "
                  "refusing to use it", e->name, e->uplink);
        enclave_teardown(d, e);
        return -EEXIST;
    }
    if (e->bridge_type == CONFIG_BRIDGE_LINUX) {
        adopted = tap_link_exists(d->nl, e->bridge) == 1;
        rc = enclave_bridge_make(d, e);
        if (rc < 0)
            return rc;
    }
    rc = tap_open_vnet(e->uplink, &e->tap_fd, NULL);
    if (rc < 0)
        return enclave_fail(d, e, rc, "open uplink TAP");
    enclave_no_ipv6(e->uplink);
    rc = tap_link_set_mtu(d->nl, e->uplink, e->inner_mtu);
    if (rc < 0)
        return enclave_fail(d, e, rc, "set uplink MTU");
    if (e->bridge_type == CONFIG_BRIDGE_LINUX) {
        rc = tap_link_set_master(d->nl, e->uplink, e->bridge);
        if (rc < 0)
            return enclave_fail(d, e, rc, "enslave uplink");
        rc = tap_link_set_up(d->nl, e->bridge, true);
        if (rc < 0)
            return enclave_fail(d, e, rc, "bring bridge up");
    }
    rc = tap_link_set_up(d->nl, e->uplink, true);
    if (rc < 0)
        return enclave_fail(d, e, rc, "bring uplink up");

    rc = enclave_poll_start(d, e);
    if (rc < 0)
        return enclave_fail(d, e, rc, "poll");
    enclave_own_macs(d, e);
    if (e->bridge_type == CONFIG_BRIDGE_OPENVSWITCH)
        ovs_plug(d, e);

    d->enclaves[d->n_enclaves++] = e;
    if (adopted)
        attach_adopt(d, e);
    log_info("enclave", "%s: id %u, %s bridge %s, uplink %s, MTU %u", e->name, e->id,
             config_bridge_type_name(e->bridge_type), e->bridge, e->uplink,
             e->inner_mtu);
    if (out)
        *out = e;
    return 0;
}

void enclave_close(struct daemon *d, struct enclave *e)
{
    attach_drop_enclave(d, e);
    for (size_t i = 0; i < d->n_enclaves; i++) {
        if (d->enclaves[i] == e) {
            memmove(&d->enclaves[i], &d->enclaves[i + 1],
                    (d->n_enclaves - i - 1) * sizeof(*d->enclaves));
            d->n_enclaves--;
            break;
        }
    }
    /* At shutdown daemon_stop did this while the loop still ran. */
    if (e->bridge_type == CONFIG_BRIDGE_OPENVSWITCH && !d->stopping)
        ovs_unplug(d, e);
    log_info("enclave", "%s: closed", e->name);
    enclave_teardown(d, e);
}

struct enclave *enclave_by_name(struct daemon *d, const char *name)
{
    for (size_t i = 0; i < d->n_enclaves; i++)
        if (strcmp(d->enclaves[i]->name, name) == 0)
            return d->enclaves[i];
    return NULL;
}

struct enclave *enclave_by_id(struct daemon *d, uint32_t id)
{
    for (size_t i = 0; i < d->n_enclaves; i++)
        if (d->enclaves[i]->id == id)
            return d->enclaves[i];
    return NULL;
}

size_t enclave_ids(const struct daemon *d, uint32_t *ids, size_t cap)
{
    size_t n = 0;

    for (size_t i = 0; i < d->n_enclaves && n < cap; i++)
        ids[n++] = d->enclaves[i]->id;
    idset_sort(ids, n);
    return n;
}
