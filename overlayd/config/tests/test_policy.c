/* SPDX-License-Identifier: GPL-2.0-only */
/* policy.c: Allow syntax with its errors, matching, and [Policy] in an enclave file. */
#include <stdio.h>
#include <string.h>

#include "overlayd/config/config.h"
#include "overlayd/config/policy.h"
#include "lib/check.h"

static void parse_ok(const char *text, const char *want_formatted)
{
    struct policy_rule r;
    char err[160] = "", buf[200];

    if (!CHECK(policy_rule_parse(text, &r, err, sizeof(err)) == 0, "%s: %s", text, err))
        return;
    policy_rule_format(&r, buf, sizeof(buf));
    CHECK(strcmp(buf, want_formatted) == 0, "%s -> %s, want %s", text, buf, want_formatted);
}

static void parse_bad(const char *text, const char *want_err)
{
    struct policy_rule r;
    char err[160] = "";

    CHECK_EQ(policy_rule_parse(text, &r, err, sizeof(err)), -22);
    CHECK(strcmp(err, want_err) == 0, "%s: \"%s\", want \"%s\"", text, err, want_err);
}

static void test_syntax(void)
{
    parse_ok("web-* -> db-1 tcp/5432", "web-* -> db-1 tcp/5432");
    parse_ok("* -> * icmp", "* -> * icmp");
    parse_ok("  a->b   udp/53-54  ", "a -> b udp/53-54");
    parse_ok("a -> b udp/7-7", "a -> b udp/7");
    parse_ok("vm[12] -> ?x any", "vm[12] -> ?x any");
    parse_ok("a -> b tcp/65535", "a -> b tcp/65535");
    parse_bad("a b tcp", "no \"->\" (want SRC -> DST PROTO[/PORT[-PORT]])");
    parse_bad(" -> b tcp", "source \"\" is not a member name, a glob or *");
    parse_bad("a/b -> c tcp", "source \"a/b\" is not a member name, a glob or *");
    parse_bad("a ->", "no destination after \"->\"");
    parse_bad("a -> b;c tcp", "destination \"b;c\" is not a member name, a glob or *");
    parse_bad("a -> b", "no protocol after the destination (want tcp, udp, icmp or any)");
    parse_bad("a -> b sctp", "protocol \"sctp\" is not tcp, udp, icmp or any");
    parse_bad("a -> b TCP", "protocol \"TCP\" is not tcp, udp, icmp or any");
    parse_bad("a -> b icmp/8", "icmp takes no port (only tcp and udp do)");
    parse_bad("a -> b any/80", "any takes no port (only tcp and udp do)");
    parse_bad("a -> b tcp/0", "port \"0\" is not a port number (want 1..65535)");
    parse_bad("a -> b tcp/65536", "port \"65536\" is not a port number (want 1..65535)");
    parse_bad("a -> b tcp/", "port \"\" is not a port number (want 1..65535)");
    parse_bad("a -> b tcp/8x", "port \"8x\" is not a port number (want 1..65535)");
    parse_bad("a -> b tcp/90-80", "port range 90-80 is reversed (want LOW-HIGH)");
    parse_bad("a -> b tcp/80-", "port \"\" is not a port number (want 1..65535)");
    parse_bad("a -> b tcp/80 udp", "unexpected \"udp\" after the protocol");
}

static void test_match(void)
{
    struct policy_rule r[3];
    char err[160];

    CHECK_EQ(policy_rule_parse("web-* -> db-1 tcp/5432", &r[0], err, sizeof(err)), 0);
    CHECK_EQ(policy_rule_parse("* -> * icmp", &r[1], err, sizeof(err)), 0);
    CHECK_EQ(policy_rule_parse("dns -> * udp/53-54", &r[2], err, sizeof(err)), 0);
    CHECK(policy_allows(r, 3, "web-1", "db-1", 6, 5432));
    CHECK(!policy_allows(r, 3, "web-1", "db-1", 6, 5433));
    CHECK(!policy_allows(r, 3, "web-1", "db-1", 17, 5432));
    CHECK(!policy_allows(r, 3, "db-1", "web-1", 6, 5432));
    CHECK(!policy_allows(r, 3, "web-1", "db-2", 6, 5432));
    CHECK(!policy_allows(r, 3, "", "db-1", 6, 5432));          /* unnamed: only * */
    CHECK(!policy_allows(r, 3, NULL, "db-1", 6, 5432));
    CHECK(policy_allows(r, 3, NULL, NULL, 1, 0));              /* * -> * icmp */
    CHECK(policy_allows(r, 3, "a", "b", 58, 0));               /* ICMPv6 too */
    CHECK(policy_allows(r, 3, "dns", "x", 17, 54));
    CHECK(!policy_allows(r, 3, "dns", "x", 17, 55));
    CHECK(!policy_allows(r, 2, "dns", "x", 17, 53));
    CHECK(!policy_allows(r, 0, "a", "b", 1, 0));
}

static void problem(void *ctx, const char *path, int line, const char *msg)
{
    char *out = ctx;
    size_t n = strlen(out);

    snprintf(out + n, 1024 - n, "%s:%d: %s\n", path, line, msg);
}

static void test_file(void)
{
    static const char good[] = "[Enclave]\nName = blue\nId = 100\n\n[Member]\nName = web-1\n"
                               "MAC = 52:54:00:00:01:01\n\n[Policy]\n"
                               "Allow = web-* -> db-1 tcp/5432\nAllow = * -> * icmp\n";
    static const char bad[] = "[Enclave]\nName = blue\nId = 100\n[Policy]\n"
                              "Allow = a -> b tcp/99999\n[Policy]\n";
    static const char empty[] = "[Enclave]\nName = blue\nId = 100\n[Policy]\n";
    struct config_enclave e;
    char out[1024] = "";

    CHECK_EQ(config_parse_enclave("blue.conf", good, sizeof(good) - 1, problem, out, &e), 0);
    CHECK(out[0] == 0, "%s", out);
    CHECK_EQ(e.n_rules, 2u);
    CHECK_EQ(e.policy_line, 9);
    CHECK(e.n_rules == 2 && e.rules[1].line == 11 && e.rules[1].proto == POLICY_ICMP);
    config_enclave_clear(&e);

    CHECK(config_parse_enclave("blue.conf", bad, sizeof(bad) - 1, problem, out, &e) != 0);
    CHECK(strstr(out, "blue.conf:5: Allow: port \"99999\" is not a port number (want 1..65535)"),
          "%s", out);
    CHECK(strstr(out, "blue.conf:6: "), "%s", out);    /* a second [Policy] */

    out[0] = 0;
    CHECK_EQ(config_parse_enclave("blue.conf", empty, sizeof(empty) - 1, problem, out, &e), 0);
    CHECK(e.policy_line == 4 && e.n_rules == 0);        /* present and empty: deny all */
    config_enclave_clear(&e);
}

int main(void)
{
    test_syntax();
    test_match();
    test_file();
    return CHECK_DONE();
}
