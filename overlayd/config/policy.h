/* SPDX-License-Identifier: GPL-2.0-only */
#ifndef OVL_OVERLAYD_CONFIG_POLICY_H
#define OVL_OVERLAYD_CONFIG_POLICY_H

/*
 * DOC: policy — `[Policy] Allow = SRC -> DST PROTO[/PORT[-PORT]]` (pure)
 *
 * SRC and DST are member names or globs of them (fnmatch(3) without
 * flags: `*`, `?`, `[...]`), `*` alone for any guest. PROTO is tcp, udp,
 * icmp (ICMP and ICMPv6) or any; tcp and udp may take a destination port
 * or an inclusive range (1..65535). Words are separated by blanks; `->`
 * may touch its neighbours ("web-*->db-1" is "web-*" -> "db-1").
 *
 * policy_allows() says whether one rule of a list lets a guest named
 * @src send to a guest named @dst with protocol @proto (IP protocol
 * number: 6, 17, 1 or 58) to port @dport (ignored for ICMP). A guest
 * with no name matches only `*`. What the data path does with it (ARP/ND,
 * replies) is its business, not this module's.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum { POLICY_NAME_MAX = 64 };

enum policy_proto { POLICY_ANY, POLICY_TCP, POLICY_UDP, POLICY_ICMP };

struct policy_rule {
    char src[POLICY_NAME_MAX + 1];
    char dst[POLICY_NAME_MAX + 1];
    uint8_t proto;                      /* enum policy_proto */
    uint16_t port_lo, port_hi;          /* 0, 0: every port */
    int line;                           /* in its enclave file; 0 when parsed alone */
};

/* Parse @text into @r. 0, or -EINVAL with what is wrong in @err
 * (NUL-terminated, cut to @errlen). */
int policy_rule_parse(const char *text, struct policy_rule *r, char *err, size_t errlen);
/* @r as the contract writes it, into @buf ("web-* -> db-1 tcp/5432"). */
void policy_rule_format(const struct policy_rule *r, char *buf, size_t len);

bool policy_rule_allows(const struct policy_rule *r, const char *src, const char *dst,
                        uint8_t proto, uint16_t dport);
bool policy_allows(const struct policy_rule *rules, size_t n, const char *src, const char *dst,
                   uint8_t proto, uint16_t dport);

#endif
