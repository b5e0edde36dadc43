/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Member policy rules: see policy.h. Pure: no I/O.
 */
#include "overlayd/config/policy.h"

#include <errno.h>
#include <fnmatch.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const policy_protos[] = {
    [POLICY_ANY] = "any", [POLICY_TCP] = "tcp", [POLICY_UDP] = "udp", [POLICY_ICMP] = "icmp",
};

__attribute__((format(printf, 3, 4)))
static int policy_err(char *err, size_t len, const char *fmt, ...)
{
    va_list ap;

    if (len) {
        va_start(ap, fmt);
        vsnprintf(err, len, fmt, ap);
        va_end(ap);
    }
    return -EINVAL;
}

static bool policy_blank(char c)
{
    return c == ' ' || c == '\t';
}

/* A member name or a glob of one: what [Member] Name allows, plus * ? [ ] ! */
static bool policy_name_ok(const char *s, size_t n)
{
    if (n == 0 || n > POLICY_NAME_MAX)
        return false;
    for (size_t i = 0; i < n; i++) {
        char c = s[i];

        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              strchr("._-*?[]!", c)))
            return false;
    }
    return true;
}

static const char *policy_skip(const char *p)
{
    while (policy_blank(*p))
        p++;
    return p;
}

/* "5432" -> 5432: 1..65535, digits only. */
static int policy_port(const char *s, size_t n, uint16_t *out)
{
    unsigned long v = 0;

    if (n == 0 || n > 5)
        return -EINVAL;
    for (size_t i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9')
            return -EINVAL;
        v = v * 10 + (unsigned long)(s[i] - '0');
    }
    if (v < 1 || v > 65535)
        return -ERANGE;
    *out = (uint16_t)v;
    return 0;
}

static int policy_ports(const char *s, struct policy_rule *r, char *err, size_t errlen)
{
    const char *dash = strchr(s, '-');
    size_t n1 = dash ? (size_t)(dash - s) : strlen(s);

    if (policy_port(s, n1, &r->port_lo) < 0)
        return policy_err(err, errlen, "port \"%.*s\" is not a port number (want 1..65535)",
                          (int)n1, s);
    r->port_hi = r->port_lo;
    if (!dash)
        return 0;
    if (policy_port(dash + 1, strlen(dash + 1), &r->port_hi) < 0)
        return policy_err(err, errlen, "port \"%s\" is not a port number (want 1..65535)",
                          dash + 1);
    if (r->port_hi < r->port_lo)
        return policy_err(err, errlen, "port range %u-%u is reversed (want LOW-HIGH)",
                          r->port_lo, r->port_hi);
    return 0;
}

static int policy_proto_parse(const char *s, struct policy_rule *r, char *err, size_t errlen)
{
    const char *slash = strchr(s, '/');
    size_t n = slash ? (size_t)(slash - s) : strlen(s);
    unsigned i;

    for (i = 0; i < sizeof(policy_protos) / sizeof(policy_protos[0]); i++)
        if (strlen(policy_protos[i]) == n && strncmp(s, policy_protos[i], n) == 0)
            break;
    if (i == sizeof(policy_protos) / sizeof(policy_protos[0]))
        return policy_err(err, errlen,
                          "protocol \"%.*s\" is not tcp, udp, icmp or any", (int)n, s);
    r->proto = (uint8_t)i;
    if (!slash)
        return 0;
    if (r->proto != POLICY_TCP && r->proto != POLICY_UDP)
        return policy_err(err, errlen, "%s takes no port (only tcp and udp do)",
                          policy_protos[i]);
    return policy_ports(slash + 1, r, err, errlen);
}

int policy_rule_parse(const char *text, struct policy_rule *r, char *err, size_t errlen)
{
    const char *p = policy_skip(text), *arrow = strstr(text, "->"), *q;
    size_t n;

    memset(r, 0, sizeof(*r));
    if (!arrow)
        return policy_err(err, errlen, "no \"->\" (want SRC -> DST PROTO[/PORT[-PORT]])");
    for (q = arrow; q > p && policy_blank(q[-1]); q--)
        ;
    if (!policy_name_ok(p, (size_t)(q - p)))
        return policy_err(err, errlen, "source \"%.*s\" is not a member name, a glob or *",
                          (int)(q - p), p);
    memcpy(r->src, p, (size_t)(q - p));
    p = policy_skip(arrow + 2);
    for (n = 0; p[n] && !policy_blank(p[n]); n++)
        ;
    if (n == 0)
        return policy_err(err, errlen, "no destination after \"->\"");
    if (!policy_name_ok(p, n))
        return policy_err(err, errlen, "destination \"%.*s\" is not a member name, a glob or *",
                          (int)n, p);
    memcpy(r->dst, p, n);
    p = policy_skip(p + n);
    for (n = 0; p[n] && !policy_blank(p[n]); n++)
        ;
    if (n == 0)
        return policy_err(err, errlen, "no protocol after the destination (want tcp, udp, "
                          "icmp or any)");
    if (n >= 32)
        return policy_err(err, errlen, "protocol \"%.*s...\" is not tcp, udp, icmp or any", 16, p);
    {
        char proto[32];

        memcpy(proto, p, n);
        proto[n] = 0;
        if (policy_proto_parse(proto, r, err, errlen) < 0)
            return -EINVAL;
    }
    p = policy_skip(p + n);
    if (*p)
        return policy_err(err, errlen, "unexpected \"%.20s\" after the protocol", p);
    return 0;
}

void policy_rule_format(const struct policy_rule *r, char *buf, size_t len)
{
    const char *proto = r->proto < 4 ? policy_protos[r->proto] : "?";

    if (r->port_lo && r->port_hi != r->port_lo)
        snprintf(buf, len, "%s -> %s %s/%u-%u", r->src, r->dst, proto, r->port_lo, r->port_hi);
    else if (r->port_lo)
        snprintf(buf, len, "%s -> %s %s/%u", r->src, r->dst, proto, r->port_lo);
    else
        snprintf(buf, len, "%s -> %s %s", r->src, r->dst, proto);
}

static bool policy_name_matches(const char *glob, const char *name)
{
    if (strcmp(glob, "*") == 0)
        return true;
    return name && name[0] && fnmatch(glob, name, 0) == 0;
}

bool policy_rule_allows(const struct policy_rule *r, const char *src, const char *dst,
                        uint8_t proto, uint16_t dport)
{
    if (!policy_name_matches(r->src, src) || !policy_name_matches(r->dst, dst))
        return false;
    switch (r->proto) {
    case POLICY_ANY:
        return true;
    case POLICY_ICMP:
        return proto == 1 || proto == 58;
    case POLICY_TCP:
    case POLICY_UDP:
        if (proto != (r->proto == POLICY_TCP ? 6 : 17))
            return false;
        return !r->port_lo || (dport >= r->port_lo && dport <= r->port_hi);
    default:
        return false;
    }
}

bool policy_allows(const struct policy_rule *rules, size_t n, const char *src, const char *dst,
                   uint8_t proto, uint16_t dport)
{
    for (size_t i = 0; i < n; i++)
        if (policy_rule_allows(&rules[i], src, dst, proto, dport))
            return true;
    return false;
}
