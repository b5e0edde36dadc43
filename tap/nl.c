/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * rtnetlink side of tap/: bridges, links, veth pairs and the underlay MTU,
 * all through libnl-route-3 on one NETLINK_ROUTE socket.
 */
#include "tap/tap.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/socket.h>
#include <net/if.h>
#include <linux/if_link.h>
#include <linux/rtnetlink.h>

#include <netlink/netlink.h>
#include <netlink/errno.h>
#include <netlink/msg.h>
#include <netlink/attr.h>
#include <netlink/cache.h>
#include <netlink/route/link.h>
#include <netlink/route/link/veth.h>
#include <netlink/route/route.h>
#include <netlink/route/nexthop.h>

#include "tap/nl_int.h"

enum {
    TAP_MTU_FALLBACK = 1500,      /* Ethernet default (IEEE 802.3) */
    TAP_MTU_MIN = 68,             /* IPv4 minimum link MTU (RFC 791) */
    TAP_MTU_MAX = 65535,          /* largest IP datagram */
};

/*
 * The one place libnl's negative NLE_* codes become negative errnos, so
 * callers of tap_* only ever see errnos.
 */
int tap_nlerr(int err)
{
    if (err >= 0)
        return err;
    switch (-err) {
    case NLE_EXIST:        return -EEXIST;
    case NLE_OBJ_NOTFOUND:
    case NLE_NODEV:        return -ENODEV;
    case NLE_PERM:         return -EPERM;
    case NLE_NOACCESS:     return -EACCES;
    case NLE_INVAL:
    case NLE_MISSING_ATTR: return -EINVAL;
    case NLE_NOMEM:        return -ENOMEM;
    case NLE_BUSY:         return -EBUSY;
    case NLE_RANGE:        return -ERANGE;
    case NLE_AGAIN:        return -EAGAIN;
    case NLE_OPNOTSUPP:    return -EOPNOTSUPP;
    default:               return -EIO;
    }
}

bool tap_name_ok(const char *name)
{
    return name && name[0] && strnlen(name, TAP_IFNAMSIZ) < TAP_IFNAMSIZ;
}

int tap_nl_open(struct tap_nl **out)
{
    struct tap_nl *nl;
    int err;

    if (!out)
        return -EINVAL;
    *out = NULL;
    nl = calloc(1, sizeof(*nl));
    if (!nl)
        return -ENOMEM;
    nl->sk = nl_socket_alloc();
    if (!nl->sk) {
        free(nl);
        return -ENOMEM;
    }
    err = nl_connect(nl->sk, NETLINK_ROUTE);
    if (err < 0) {
        nl_socket_free(nl->sk);
        free(nl);
        return tap_nlerr(err);
    }
    *out = nl;
    return 0;
}

void tap_nl_close(struct tap_nl *nl)
{
    if (!nl)
        return;
    nl_socket_free(nl->sk);        /* also closes the socket */
    free(nl);
}

/* Current kernel state of @name; the caller puts the reference. */
static int tap_link_lookup(struct tap_nl *nl, const char *name,
                           struct rtnl_link **link)
{
    if (!nl || !tap_name_ok(name))
        return -EINVAL;
    return tap_nlerr(rtnl_link_get_kernel(nl->sk, 0, name, link));
}

/*
 * libnl 3.7 has no setter for bridge options (IFLA_BR_*), so the bridge is
 * created with a hand-built RTM_NEWLINK. STP stays off and forward_delay is
 * 0 so a port forwards the moment it is attached (no 15 s listening and
 * learning phase; there is no loop to protect against on an enclave bridge).
 *
 * MTU: a Linux bridge's MTU follows the smallest MTU of its ports unless it
 * was changed after creation (kernel >= 4.17 then keeps it; an IFLA_MTU in
 * the creating RTM_NEWLINK does not count and is overridden by the first
 * 1500-byte port). @mtu is therefore applied as a separate change. Frames
 * still only cross ports whose own MTU fits, so the daemon sets the same
 * MTU on every port it attaches.
 */
int tap_bridge_add(struct tap_nl *nl, const char *name, unsigned mtu)
{
    struct ifinfomsg ifi = {
        .ifi_family = AF_UNSPEC,
        .ifi_flags = IFF_UP,
        .ifi_change = IFF_UP,
    };
    struct nlattr *linkinfo, *data;
    struct nl_msg *msg;
    int err;

    if (!nl || !tap_name_ok(name))
        return -EINVAL;
    if (mtu && (mtu < TAP_MTU_MIN || mtu > TAP_MTU_MAX))
        return -EINVAL;

    msg = nlmsg_alloc_simple(RTM_NEWLINK, NLM_F_CREATE | NLM_F_EXCL);
    if (!msg)
        return -ENOMEM;
    err = -EMSGSIZE;
    if (nlmsg_append(msg, &ifi, sizeof(ifi), NLMSG_ALIGNTO) < 0)
        goto out;
    if (nla_put_string(msg, IFLA_IFNAME, name) < 0)
        goto out;
    linkinfo = nla_nest_start(msg, IFLA_LINKINFO);
    if (!linkinfo || nla_put_string(msg, IFLA_INFO_KIND, "bridge") < 0)
        goto out;
    data = nla_nest_start(msg, IFLA_INFO_DATA);
    if (!data)
        goto out;
    if (nla_put_u32(msg, IFLA_BR_FORWARD_DELAY, 0) < 0 ||
        nla_put_u32(msg, IFLA_BR_STP_STATE, 0) < 0)
        goto out;
    nla_nest_end(msg, data);
    nla_nest_end(msg, linkinfo);

    err = nl_send_auto(nl->sk, msg);
    if (err >= 0)
        err = nl_wait_for_ack(nl->sk);
    err = tap_nlerr(err);
    if (err == 0 && mtu) {
        err = tap_link_set_mtu(nl, name, mtu);
        if (err < 0)
            (void)tap_link_delete(nl, name);   /* no half-made bridge */
    }
out:
    nlmsg_free(msg);
    return err < 0 ? err : 0;
}

int tap_veth_add(struct tap_nl *nl, const char *name, const char *peer)
{
    if (!nl || !tap_name_ok(name) || !tap_name_ok(peer))
        return -EINVAL;
    /*
     * rtnl_link_veth_add() always sends the peer's IFLA_NET_NS_PID, so pass
     * our own pid to keep the peer in our namespace (0 means "no such
     * process"). It uses NLM_F_CREATE|NLM_F_EXCL: -EEXIST on a clash.
     */
    return tap_nlerr(rtnl_link_veth_add(nl->sk, name, peer, getpid()));
}

int tap_link_delete(struct tap_nl *nl, const char *name)
{
    struct rtnl_link *link;
    int err;

    if (!nl || !tap_name_ok(name))
        return -EINVAL;
    link = rtnl_link_alloc();
    if (!link)
        return -ENOMEM;
    rtnl_link_set_name(link, name);
    err = tap_nlerr(rtnl_link_delete(nl->sk, link));
    rtnl_link_put(link);
    return err;
}

int tap_link_get(struct tap_nl *nl, const char *name, struct tap_link_info *info)
{
    struct rtnl_link *link;
    struct nl_addr *addr;
    const char *kind, *alias;
    int err;

    if (!info)
        return -EINVAL;
    err = tap_link_lookup(nl, name, &link);
    if (err < 0)
        return err;
    memset(info, 0, sizeof(*info));
    info->ifindex = rtnl_link_get_ifindex(link);
    info->mtu = rtnl_link_get_mtu(link);
    info->master_ifindex = rtnl_link_get_master(link);
    info->up = (rtnl_link_get_flags(link) & IFF_UP) != 0;
    addr = rtnl_link_get_addr(link);
    if (addr && nl_addr_get_len(addr) == sizeof(info->mac))
        memcpy(info->mac, nl_addr_get_binary_addr(addr), sizeof(info->mac));
    kind = rtnl_link_get_type(link);
    if (kind)
        snprintf(info->kind, sizeof(info->kind), "%s", kind);
    alias = rtnl_link_get_ifalias(link);
    if (alias)
        snprintf(info->alias, sizeof(info->alias), "%s", alias);
    rtnl_link_put(link);
    return 0;
}

int tap_link_exists(struct tap_nl *nl, const char *name)
{
    struct rtnl_link *link;
    int err = tap_link_lookup(nl, name, &link);

    if (err == -ENODEV)
        return 0;
    if (err < 0)
        return err;
    rtnl_link_put(link);
    return 1;
}

/*
 * Apply @change (attributes/flags set by the caller) to link @name.
 * rtnl_link_change() only sends what differs from the kernel's copy.
 */
static int tap_link_apply(struct tap_nl *nl, const char *name,
                          struct rtnl_link *change)
{
    struct rtnl_link *orig;
    int err = tap_link_lookup(nl, name, &orig);

    if (err < 0)
        return err;
    err = tap_nlerr(rtnl_link_change(nl->sk, orig, change, 0));
    rtnl_link_put(orig);
    return err;
}

int tap_link_set_master(struct tap_nl *nl, const char *ifname, const char *master)
{
    struct rtnl_link *slave, *br;
    int err, idx;

    err = tap_link_lookup(nl, ifname, &slave);
    if (err < 0)
        return err;
    idx = rtnl_link_get_ifindex(slave);
    rtnl_link_put(slave);
    if (!master)
        return tap_nlerr(rtnl_link_release_ifindex(nl->sk, idx));

    err = tap_link_lookup(nl, master, &br);
    if (err < 0)
        return err;
    /* Verifies afterwards that the kernel really set the master. */
    err = tap_nlerr(rtnl_link_enslave_ifindex(nl->sk,
                                              rtnl_link_get_ifindex(br), idx));
    rtnl_link_put(br);
    return err;
}

int tap_link_set_up(struct tap_nl *nl, const char *ifname, bool up)
{
    struct rtnl_link *change = rtnl_link_alloc();
    int err;

    if (!change)
        return -ENOMEM;
    if (up)
        rtnl_link_set_flags(change, IFF_UP);
    else
        rtnl_link_unset_flags(change, IFF_UP);
    err = tap_link_apply(nl, ifname, change);
    rtnl_link_put(change);
    return err;
}

int tap_link_set_mtu(struct tap_nl *nl, const char *ifname, unsigned mtu)
{
    struct rtnl_link *change;
    int err;

    if (mtu < TAP_MTU_MIN || mtu > TAP_MTU_MAX)
        return -EINVAL;
    change = rtnl_link_alloc();
    if (!change)
        return -ENOMEM;
    rtnl_link_set_mtu(change, mtu);
    err = tap_link_apply(nl, ifname, change);
    rtnl_link_put(change);
    return err;
}

int tap_link_set_alias(struct tap_nl *nl, const char *name, const char *alias)
{
    struct rtnl_link *change;
    int err;

    if (!alias || strlen(alias) >= TAP_IFALIASZ)
        return -EINVAL;
    change = rtnl_link_alloc();
    if (!change)
        return -ENOMEM;
    rtnl_link_set_ifalias(change, alias);
    err = tap_link_apply(nl, name, change);
    rtnl_link_put(change);
    return err;
}

int tap_link_set_mac(struct tap_nl *nl, const char *ifname, const uint8_t mac[6])
{
    struct rtnl_link *change;
    struct nl_addr *addr;
    int err;

    if (!mac)
        return -EINVAL;
    change = rtnl_link_alloc();
    if (!change)
        return -ENOMEM;
    addr = nl_addr_build(AF_LLC, mac, 6);
    if (!addr) {
        rtnl_link_put(change);
        return -ENOMEM;
    }
    rtnl_link_set_addr(change, addr);   /* takes its own reference */
    nl_addr_put(addr);
    err = tap_link_apply(nl, ifname, change);
    rtnl_link_put(change);
    return err;
}

struct tap_route_scan {
    int oif;                      /* default route's output ifindex, 0: none */
    uint32_t route_mtu;           /* its RTAX_MTU metric, 0: none */
    uint32_t priority;
};

/* Prefer the main-table default route with the lowest metric. */
static void tap_route_visit(struct nl_object *obj, void *arg)
{
    struct rtnl_route *rt = (struct rtnl_route *)obj;
    struct tap_route_scan *scan = arg;
    struct nl_addr *dst = rtnl_route_get_dst(rt);
    struct rtnl_nexthop *nh;
    uint32_t mtu = 0;
    int oif;

    if (rtnl_route_get_table(rt) != RT_TABLE_MAIN ||
        rtnl_route_get_type(rt) != RTN_UNICAST)
        return;
    if (dst && nl_addr_get_prefixlen(dst) != 0)
        return;
    if (rtnl_route_get_nnexthops(rt) < 1)
        return;
    nh = rtnl_route_nexthop_n(rt, 0);
    oif = nh ? rtnl_route_nh_get_ifindex(nh) : 0;
    if (oif <= 0)
        return;
    if (scan->oif && rtnl_route_get_priority(rt) >= scan->priority)
        return;
    (void)rtnl_route_get_metric(rt, RTAX_MTU, &mtu);
    scan->oif = oif;
    scan->route_mtu = mtu;
    scan->priority = rtnl_route_get_priority(rt);
}

static int tap_default_route(struct tap_nl *nl, int family,
                             struct tap_route_scan *scan)
{
    struct nl_cache *routes;
    int err = rtnl_route_alloc_cache(nl->sk, family, 0, &routes);

    if (err < 0)
        return tap_nlerr(err);
    nl_cache_foreach(routes, tap_route_visit, scan);
    nl_cache_free(routes);
    return 0;
}

static void tap_largest_up_visit(struct nl_object *obj, void *arg)
{
    struct rtnl_link *link = (struct rtnl_link *)obj;
    unsigned *best = arg;
    unsigned flags = rtnl_link_get_flags(link);

    if ((flags & IFF_UP) && !(flags & IFF_LOOPBACK) &&
        rtnl_link_get_mtu(link) > *best)
        *best = rtnl_link_get_mtu(link);
}

int tap_underlay_mtu(struct tap_nl *nl, unsigned *mtu)
{
    struct tap_route_scan scan = { 0 };
    struct nl_cache *links;
    unsigned best = 0;
    int err;

    if (!nl || !mtu)
        return -EINVAL;
    /* IPv4 first: the overlay's UDP links are IPv4 unless configured so. */
    err = tap_default_route(nl, AF_INET, &scan);
    if (err == 0 && !scan.oif)
        err = tap_default_route(nl, AF_INET6, &scan);
    if (err < 0)
        return err;

    err = tap_nlerr(rtnl_link_alloc_cache(nl->sk, AF_UNSPEC, &links));
    if (err < 0)
        return err;
    if (scan.oif) {
        struct rtnl_link *link = rtnl_link_get(links, scan.oif);

        if (link) {
            best = rtnl_link_get_mtu(link);
            rtnl_link_put(link);
        }
        if (best && scan.route_mtu && scan.route_mtu < best)
            best = scan.route_mtu;
    }
    if (!best)
        nl_cache_foreach(links, tap_largest_up_visit, &best);
    nl_cache_free(links);
    *mtu = best ? best : TAP_MTU_FALLBACK;
    return 0;
}
