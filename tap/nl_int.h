/* SPDX-License-Identifier: GPL-2.0-only */
#ifndef OVL_TAP_NL_INT_H
#define OVL_TAP_NL_INT_H

/* Shared by the rtnetlink files of tap/ (nl.c, nl_port.c); not for others. */

#include <stdbool.h>

#include <netlink/netlink.h>

struct tap_nl {
    struct nl_sock *sk;
};

/* libnl's negative NLE_* code as a negative errno. */
int tap_nlerr(int err);
bool tap_name_ok(const char *name);

#endif
