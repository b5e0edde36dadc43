/* SPDX-License-Identifier: GPL-2.0-only */
#ifndef OVL_OVERLAYD_DATAPATH_SPOOF_H
#define OVL_OVERLAYD_DATAPATH_SPOOF_H

/*
 * DOC: spoof — is a frame a locked guest sent its own? (pure)
 *
 * A guest attached with `--mac` is locked to that MAC, and to its
 * `[Member] Address` when one is given. spoof_check() looks at one
 * Ethernet frame (no VLAN tag of the port: the data path removed it)
 * read from that guest's port:
 *   - the source MAC must be the lock's MAC; an ARP sender MAC too;
 *   - with an address: an IPv4 source and an ARP sender IP must be it,
 *     or 0.0.0.0 (DHCP, ARP probes); an IPv6 source must be it, or
 *     link-local (fe80::/10: neighbour discovery needs one) or :: (DAD);
 *     a neighbour advertisement's target likewise. A member has one
 *     Address: the other family is not checked (a dual-stack guest keeps
 *     it), only the MAC is.
 *   - with an address, frames a VLAN or QinQ tag hides (0x8100, 0x88a8)
 *     and truncated IPv4, ARP and IPv6 headers are refused: the addresses
 *     inside could not be checked.
 * Everything else (other ethertypes) passes the lock.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct spoof_lock {
    uint8_t mac[6];
    bool has_v4, has_v6;
    uint8_t v4[4];
    uint8_t v6[16];
};

enum spoof_verdict {
    SPOOF_OK = 0,
    SPOOF_MAC,          /* Ethernet source, or ARP sender MAC, not the lock's */
    SPOOF_IP,           /* IPv4 / IPv6 source, or NA target, not the lock's */
    SPOOF_ARP,          /* ARP sender IP not the lock's */
    SPOOF_MALFORMED,    /* headers too short or hidden behind a tag, with an address lock */
};

/* Parse "10.0.0.1/24", "fd00::1/64" or a bare address into @l (the
 * other family is left as it was). 0 or -EINVAL. */
int spoof_lock_address(struct spoof_lock *l, const char *text);

enum spoof_verdict spoof_check(const struct spoof_lock *l, const uint8_t *frame, size_t len);

#endif
