/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Guest ports the daemon sees one by one (docs/design.md "Guest ports"):
 * a frame arriving on one interface is handed, before any bridge sees it,
 * to another interface's transmit queue (tc ingress, u32 match-all, mirred
 * egress redirect; all through libnl-route-3). A redirect to a TAP the
 * daemon holds is how its frames reach the daemon tagged by file
 * descriptor; transmit also segments GSO frames and completes checksums,
 * as for any TAP.
 */
#include "tap/tap.h"

#include <errno.h>
#include <string.h>
#include <sys/socket.h>
#include <net/if.h>
#include <linux/if_ether.h>
#include <linux/pkt_cls.h>
#include <linux/pkt_sched.h>
#include <arpa/inet.h>

#include <netlink/route/action.h>
#include <netlink/route/act/mirred.h>
#include <netlink/route/classifier.h>
#include <netlink/route/cls/u32.h>
#include <netlink/route/qdisc.h>
#include <netlink/route/tc.h>
#include <netlink/route/link.h>
#include <netlink/cache.h>

#include "tap/nl_int.h"

/* ffff:0, the ingress qdisc's handle. libnl's TC_HANDLE(0xffff, 0) shifts
 * a signed int past its range (UBSan). */
#define TAP_INGRESS_HANDLE TC_H_MAKE(0xffff0000U, 0U)

static struct rtnl_qdisc *tap_ingress_qdisc(int ifindex)
{
    struct rtnl_qdisc *q = rtnl_qdisc_alloc();

    if (!q)
        return NULL;
    rtnl_tc_set_ifindex(TC_CAST(q), ifindex);
    rtnl_tc_set_parent(TC_CAST(q), TC_H_INGRESS);
    rtnl_tc_set_handle(TC_CAST(q), TAP_INGRESS_HANDLE);
    if (rtnl_tc_set_kind(TC_CAST(q), "ingress") < 0) {
        rtnl_qdisc_put(q);
        return NULL;
    }
    return q;
}

int tap_port_unredirect(struct tap_nl *nl, const char *ifname)
{
    struct rtnl_qdisc *q;
    int idx, err;

    if (!nl || !tap_name_ok(ifname))
        return -EINVAL;
    idx = (int)if_nametoindex(ifname);
    if (!idx)
        return -ENODEV;
    q = tap_ingress_qdisc(idx);
    if (!q)
        return -ENOMEM;
    err = tap_nlerr(rtnl_qdisc_delete(nl->sk, q));
    rtnl_qdisc_put(q);
    /* None there: nothing redirected. */
    return err == -ENODEV || err == -EINVAL || err == -ENOENT ? 0 : err;
}

/* Every frame arriving on @from goes out of @to instead. */
static struct rtnl_cls *tap_redirect_cls(int from, int to)
{
    struct rtnl_cls *c = rtnl_cls_alloc();
    struct rtnl_act *act = rtnl_act_alloc();

    if (!c || !act)
        goto fail;
    rtnl_tc_set_ifindex(TC_CAST(c), from);
    rtnl_tc_set_parent(TC_CAST(c), TAP_INGRESS_HANDLE);
    rtnl_cls_set_prio(c, 1);
    rtnl_cls_set_protocol(c, ETH_P_ALL);
    if (rtnl_tc_set_kind(TC_CAST(c), "u32") < 0 ||
        rtnl_u32_add_key_uint32(c, 0, 0, 0, 0) < 0 || rtnl_u32_set_cls_terminal(c) < 0)
        goto fail;
    if (rtnl_tc_set_kind(TC_CAST(act), "mirred") < 0 ||
        rtnl_mirred_set_action(act, TCA_EGRESS_REDIR) < 0 ||
        rtnl_mirred_set_policy(act, TC_ACT_STOLEN) < 0 ||
        rtnl_mirred_set_ifindex(act, (uint32_t)to) < 0 || rtnl_u32_add_action(c, act) < 0)
        goto fail;
    rtnl_act_put(act);
    return c;
fail:
    if (act)
        rtnl_act_put(act);
    if (c)
        rtnl_cls_put(c);
    return NULL;
}

int tap_port_redirect(struct tap_nl *nl, const char *from, const char *to)
{
    struct rtnl_qdisc *q;
    struct rtnl_cls *c;
    int fidx, tidx, err;

    if (!nl || !tap_name_ok(from) || !tap_name_ok(to))
        return -EINVAL;
    fidx = (int)if_nametoindex(from);
    tidx = (int)if_nametoindex(to);
    if (!fidx || !tidx)
        return -ENODEV;
    /* A fresh ingress qdisc: whatever redirect was there goes with the old one. */
    err = tap_port_unredirect(nl, from);
    if (err < 0)
        return err;
    q = tap_ingress_qdisc(fidx);
    if (!q)
        return -ENOMEM;
    err = tap_nlerr(rtnl_qdisc_add(nl->sk, q, NLM_F_CREATE | NLM_F_EXCL));
    rtnl_qdisc_put(q);
    if (err < 0)
        return err;
    c = tap_redirect_cls(fidx, tidx);
    if (!c)
        err = -ENOMEM;
    else
        err = tap_nlerr(rtnl_cls_add(nl->sk, c, NLM_F_CREATE | NLM_F_EXCL));
    if (c)
        rtnl_cls_put(c);
    if (err < 0)
        (void)tap_port_unredirect(nl, from);
    return err;
}

int tap_bridge_ports(struct tap_nl *nl, const char *bridge, char (*names)[TAP_IFNAMSIZ],
                     size_t cap, size_t *n)
{
    struct nl_cache *cache;
    struct nl_object *o;
    int br, err;

    *n = 0;
    if (!nl || !tap_name_ok(bridge))
        return -EINVAL;
    br = (int)if_nametoindex(bridge);
    if (br == 0)
        return -ENODEV;
    err = tap_nlerr(rtnl_link_alloc_cache(nl->sk, AF_UNSPEC, &cache));
    if (err < 0)
        return err;
    for (o = nl_cache_get_first(cache); o; o = nl_cache_get_next(o)) {
        struct rtnl_link *l = (struct rtnl_link *)o;
        const char *name = rtnl_link_get_name(l);

        if (rtnl_link_get_master(l) != br || !name)
            continue;
        if (*n == cap) {
            err = -ENOSPC;
            break;
        }
        strncpy(names[*n], name, TAP_IFNAMSIZ - 1);
        names[(*n)++][TAP_IFNAMSIZ - 1] = 0;
    }
    nl_cache_free(cache);
    return err;
}
