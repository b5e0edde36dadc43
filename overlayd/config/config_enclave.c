/* SPDX-License-Identifier: GPL-2.0-only */
/* Enclave files: [Enclave], [Member] and [Policy], and checks across the files of
 * one EnclaveDir. */
#include "overlayd/config/config.h"
#include "overlayd/config/config_int.h"

#include <dirent.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

enum enclave_key {
    EK_NAME, EK_ID, EK_BRIDGE, EK_BRIDGE_TYPE, EK_UPLINK, EK_MTU, EK_MAX_LATENCY, EK_MIN_PATHS,
    EK_CLAMP_MSS, EK_MAC_MOVE_LIMIT, EK_MAC_MOVE_WINDOW, EK_MAC_FREEZE_TIME, EK_COUNT
};
const char *config_bridge_type_name(enum config_bridge_type t)
{
    switch (t) {
    case CONFIG_BRIDGE_LINUX:
        return "linux";
    case CONFIG_BRIDGE_EXTERNAL:
        return "external";
    case CONFIG_BRIDGE_OPENVSWITCH:
        return "openvswitch";
    }
    return "?";
}

enum member_key { MK_NAME, MK_MAC, MK_ADDRESS, MK_COUNT };
enum policy_key { PK_ALLOW, PK_COUNT };
enum enclave_section { ES_ENCLAVE, ES_MEMBER, ES_POLICY };

static const struct cfg_key_spec enclave_keys[EK_COUNT] = {
    [EK_NAME] = { "Name", true, false },
    [EK_ID] = { "Id", true, false },
    [EK_BRIDGE] = { "Bridge", false, false },
    [EK_BRIDGE_TYPE] = { "BridgeType", false, false },
    [EK_UPLINK] = { "Uplink", false, false },
    [EK_MTU] = { "MTU", false, false },
    [EK_MAX_LATENCY] = { "MaxLatency", false, false },
    [EK_MIN_PATHS] = { "MinPaths", false, false },
    [EK_CLAMP_MSS] = { "ClampMSS", false, false },
    [EK_MAC_MOVE_LIMIT] = { "MacMoveLimit", false, false },
    [EK_MAC_MOVE_WINDOW] = { "MacMoveWindow", false, false },
    [EK_MAC_FREEZE_TIME] = { "MacFreezeTime", false, false },
};
static const struct cfg_key_spec member_keys[MK_COUNT] = {
    [MK_NAME] = { "Name", true, false },
    [MK_MAC] = { "MAC", true, false },
    [MK_ADDRESS] = { "Address", false, false },
};
static const struct cfg_key_spec policy_keys[PK_COUNT] = {
    [PK_ALLOW] = { "Allow", false, true },
};
static const struct cfg_section_spec enclave_sections[] = {
    [ES_ENCLAVE] = { "Enclave", true, true, enclave_keys, EK_COUNT },
    [ES_MEMBER] = { "Member", false, false, member_keys, MK_COUNT },
    [ES_POLICY] = { "Policy", true, false, policy_keys, PK_COUNT },
};

struct enclave_state {
    struct cfg_sink *s;
    struct config_enclave *e;
    size_t member_cap, rule_cap;
    int lines[EK_COUNT];          /* [Enclave] keys present (valid or not) */
};

static int enclave_begin(void *user, size_t sec, int line)
{
    struct enclave_state *st = user;
    struct config_enclave *e = st->e;

    if (sec == ES_ENCLAVE) {
        e->line = line;
        return 0;
    }
    if (sec == ES_POLICY) {
        e->policy_line = line;
        return 0;
    }
    if (e->n_members == st->member_cap) {
        size_t cap = st->member_cap ? 2 * st->member_cap : 4;
        struct config_member *m = realloc(e->members, cap * sizeof(*m));

        if (!m)
            return -ENOMEM;
        e->members = m;
        st->member_cap = cap;
    }
    memset(&e->members[e->n_members], 0, sizeof(e->members[0]));
    e->members[e->n_members++].line = line;
    return 0;
}

static void enclave_ifname(struct enclave_state *st, const char *key, const char *v, int line,
                           char out[CONFIG_IFNAME_MAX + 1], int *out_line)
{
    char q[80];

    if (cfg_ifname_ok(v)) {
        snprintf(out, CONFIG_IFNAME_MAX + 1, "%s", v);
        *out_line = line;
    } else {
        cfg_problem(st->s, line,
                    "%s %s is not a valid interface name (want 1..15 characters, no '/', ':' or blanks, not \".\" or \"..\")",
                    key, cfg_quote(q, v));
    }
}

/* Duplicate detection (datapath/fdb.h): MacMoveLimit, MacMoveWindow,
 * MacFreezeTime. */
static void enclave_dup_key(struct enclave_state *st, size_t k, const char *v, int line)
{
    const uint64_t lo = UINT64_C(1000000000), hi = (uint64_t)CONFIG_DUP_TIME_MAX_S * lo;
    struct config_enclave *e = st->e;
    unsigned long n;
    char q[80];

    if (k == EK_MAC_MOVE_LIMIT) {
        if (cfg_parse_uint(v, 0, CONFIG_DUP_MOVES_MAX, &n))
            cfg_problem(st->s, line, "MacMoveLimit %s is not a move count (want 0..%d; 0 turns duplicate detection off)",
                        cfg_quote(q, v), CONFIG_DUP_MOVES_MAX);
        else
            e->mac_move_limit = (unsigned)n;
    } else if (cfg_parse_duration(v, lo, hi, k == EK_MAC_MOVE_WINDOW ? &e->mac_move_window_ns
                                                                    : &e->mac_freeze_ns)) {
        cfg_problem(st->s, line, "%s %s is not a duration (want 1s..%ds, e.g. 180s or 1.5s)",
                    k == EK_MAC_MOVE_WINDOW ? "MacMoveWindow" : "MacFreezeTime", cfg_quote(q, v),
                    CONFIG_DUP_TIME_MAX_S);
    }
}

static void enclave_key_value(struct enclave_state *st, size_t k, const char *v, int line)
{
    struct config_enclave *e = st->e;
    unsigned long n;
    char q[80];

    switch (k) {
    case EK_NAME:
        if (cfg_name_ok(v)) {
            snprintf(e->name, sizeof(e->name), "%s", v);
            e->name_line = line;
        } else {
            cfg_problem(st->s, line, "Name %s is not a valid name (want 1..32 characters of a-z, 0-9 and -)",
                        cfg_quote(q, v));
        }
        break;
    case EK_ID:
        if (cfg_parse_uint(v, 1, CONFIG_ENCLAVE_ID_MAX, &n)) {
            cfg_problem(st->s, line, "Id %s is not an enclave id (want a decimal number in 1..16777215)",
                        cfg_quote(q, v));
        } else {
            e->id = (uint32_t)n;
            e->id_line = line;
        }
        break;
    case EK_BRIDGE:
        enclave_ifname(st, "Bridge", v, line, e->bridge, &e->bridge_line);
        break;
    case EK_UPLINK:
        enclave_ifname(st, "Uplink", v, line, e->uplink, &e->uplink_line);
        break;
    case EK_BRIDGE_TYPE:
        if (!strcmp(v, "linux"))
            e->bridge_type = CONFIG_BRIDGE_LINUX;
        else if (!strcmp(v, "external"))
            e->bridge_type = CONFIG_BRIDGE_EXTERNAL;
        else if (!strcmp(v, "openvswitch"))
            e->bridge_type = CONFIG_BRIDGE_OPENVSWITCH;
        else
            cfg_problem(st->s, line, "BridgeType %s is not a bridge type (want linux, external "
                        "or openvswitch)",
                        cfg_quote(q, v));
        break;
    case EK_MTU:
        if (cfg_parse_uint(v, CONFIG_MTU_MIN, CONFIG_MTU_MAX, &n))
            cfg_problem(st->s, line, "MTU %s is not an MTU (want %d..%d)", cfg_quote(q, v),
                        CONFIG_MTU_MIN, CONFIG_MTU_MAX);
        else
            e->mtu = (unsigned)n;
        break;
    case EK_MAX_LATENCY:
        if (cfg_parse_latency(v, &e->max_latency_ns))
            cfg_problem(st->s, line, "MaxLatency %s is not a latency (want 1ms..60s, e.g. 30ms or 0.5s)",
                        cfg_quote(q, v));
        break;
    case EK_MIN_PATHS:
        if (cfg_parse_uint(v, 1, CONFIG_MIN_PATHS_MAX, &n))
            cfg_problem(st->s, line, "MinPaths %s is not a path count (want 1..%d)",
                        cfg_quote(q, v), CONFIG_MIN_PATHS_MAX);
        else
            e->min_paths = (unsigned)n;
        break;
    case EK_CLAMP_MSS:
        if (!strcmp(v, "yes"))
            e->clamp_mss = true;
        else if (!strcmp(v, "no"))
            e->clamp_mss = false;
        else
            cfg_problem(st->s, line, "ClampMSS %s is not a switch (want yes or no)", cfg_quote(q, v));
        break;
    case EK_MAC_MOVE_LIMIT:
    case EK_MAC_MOVE_WINDOW:
    case EK_MAC_FREEZE_TIME:
        enclave_dup_key(st, k, v, line);
        break;
    }
}

static void member_key_value(struct enclave_state *st, size_t k, const char *v, int line)
{
    struct config_member *m = &st->e->members[st->e->n_members - 1];
    char q[80];

    switch (k) {
    case MK_NAME:
        if (cfg_member_name_ok(v)) {
            snprintf(m->name, sizeof(m->name), "%s", v);
            m->name_line = line;
        } else {
            cfg_problem(st->s, line, "Name %s is not a valid member name (want 1..32 characters of A-Z, a-z, 0-9, '.', '_' and '-')",
                        cfg_quote(q, v));
        }
        break;
    case MK_MAC:
        if (cfg_parse_mac(v, m->mac))
            cfg_problem(st->s, line, "MAC %s is not a MAC address (want aa:bb:cc:dd:ee:ff)", cfg_quote(q, v));
        else if (!memcmp(m->mac, "\xff\xff\xff\xff\xff\xff", 6))
            cfg_problem(st->s, line, "MAC %s is the broadcast address; a member needs a unicast MAC", cfg_quote(q, v));
        else if (m->mac[0] & 1)
            cfg_problem(st->s, line, "MAC %s is a multicast address; a member needs a unicast MAC", cfg_quote(q, v));
        else if (!memcmp(m->mac, "\0\0\0\0\0\0", 6))
            cfg_problem(st->s, line, "MAC %s is all zero; a member needs a real MAC", cfg_quote(q, v));
        else
            m->mac_line = line;
        if (!m->mac_line)
            memset(m->mac, 0, 6);
        break;
    case MK_ADDRESS:
        if (cfg_cidr_ok(v) || strlen(v) >= sizeof(m->address))
            cfg_problem(st->s, line, "Address %s is not an address with prefix length (want 10.100.0.1/24 or fd00::1/64)",
                        cfg_quote(q, v));
        else
            snprintf(m->address, sizeof(m->address), "%s", v);
        break;
    }
}

/* One Allow line; a bad one is reported and left out (the file is then
 * refused as a whole, so no policy runs with a rule missing). */
static void policy_key_value(struct enclave_state *st, const char *v, int line)
{
    struct config_enclave *e = st->e;
    struct policy_rule r;
    char err[160];

    if (policy_rule_parse(v, &r, err, sizeof(err)) < 0) {
        cfg_problem(st->s, line, "Allow: %s", err);
        return;
    }
    if (e->n_rules == st->rule_cap) {
        size_t cap = st->rule_cap ? 2 * st->rule_cap : 4;
        struct policy_rule *nr = realloc(e->rules, cap * sizeof(*nr));

        if (!nr) {
            cfg_problem(st->s, line, "out of memory");
            return;
        }
        e->rules = nr;
        st->rule_cap = cap;
    }
    r.line = line;
    e->rules[e->n_rules++] = r;
}

static void enclave_key(void *user, size_t sec, size_t k, const char *v, int line)
{
    if (sec == ES_ENCLAVE)
        enclave_key_value(user, k, v, line);
    else if (sec == ES_MEMBER)
        member_key_value(user, k, v, line);
    else
        policy_key_value(user, v, line);
}

static void enclave_end(void *user, size_t sec, int line, const int *key_lines)
{
    struct enclave_state *st = user;

    if (sec == ES_ENCLAVE)
        memcpy(st->lines, key_lines, sizeof(st->lines));
}

static const struct cfg_schema enclave_schema = {
    .sections = enclave_sections,
    .n_sections = 3,
    .expected = "[Enclave], [Member] or [Policy]",
    .begin = enclave_begin,
    .key = enclave_key,
    .end = enclave_end,
};

static void enclave_checks(struct enclave_state *st)
{
    struct config_enclave *e = st->e;

    /* Defaults follow the contract: prefix + Name, cut to IFNAMSIZ - 1.
     * Only for absent keys: an invalid Bridge was reported already and
     * must not turn into a default that draws further problems. */
    if (e->name_line && !st->lines[EK_BRIDGE])
        snprintf(e->bridge, sizeof(e->bridge), "ovl-%.11s", e->name);
    if (e->name_line && !st->lines[EK_UPLINK])
        snprintf(e->uplink, sizeof(e->uplink), "ovu-%.11s", e->name);
    if (e->bridge[0] && !strcmp(e->bridge, e->uplink))
        cfg_problem(st->s, e->uplink_line ? e->uplink_line : e->bridge_line ? e->bridge_line : e->line,
                    "Bridge and Uplink are both \"%s\"; they must differ", e->bridge);
    for (size_t i = 0; i < e->n_members; i++) {
        const struct config_member *m = &e->members[i];

        for (size_t j = 0; j < i; j++) {
            const struct config_member *o = &e->members[j];

            if (m->name_line && o->name_line && !strcmp(m->name, o->name))
                cfg_problem(st->s, m->name_line, "member Name \"%s\" is already used by the [Member] on line %d",
                            m->name, o->line);
            if (m->mac_line && o->mac_line && !memcmp(m->mac, o->mac, 6))
                cfg_problem(st->s, m->mac_line,
                            "MAC %02x:%02x:%02x:%02x:%02x:%02x is already used by member %s on line %d",
                            m->mac[0], m->mac[1], m->mac[2], m->mac[3], m->mac[4], m->mac[5],
                            o->name[0] ? o->name : "(unnamed)", o->mac_line);
        }
    }
}

int cfg_parse_enclave(struct cfg_sink *s, const char *text, size_t len,
                      struct config_enclave *out)
{
    struct enclave_state st = { .s = s, .e = out };
    int r;

    memset(out, 0, sizeof(*out));
    snprintf(out->path, sizeof(out->path), "%s", s->path);
    /* Guests left at MTU 1500 get working TCP unless the operator says no. */
    out->clamp_mss = true;
    out->mac_move_limit = CONFIG_DUP_MOVES;
    out->mac_move_window_ns = (uint64_t)CONFIG_DUP_WINDOW_S * 1000000000u;
    out->mac_freeze_ns = (uint64_t)CONFIG_DUP_FREEZE_S * 1000000000u;
    r = cfg_walk(s, text, len, &enclave_schema, &st);
    if (r)
        return r;
    enclave_checks(&st);
    return 0;
}

int config_parse_enclave(const char *path, const char *text, size_t len,
                         config_report_fn report, void *ctx, struct config_enclave *out)
{
    struct cfg_sink s = { .path = path, .report = report, .ctx = ctx };
    int r = cfg_parse_enclave(&s, text, len, out);

    if (r == 0 && s.problems)
        r = -EINVAL;
    if (r)
        config_enclave_clear(out);
    return r;
}

static int enclave_name_cmp(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Names of the *.conf files in @dir (not hidden ones: editors leave
 * ".blue.conf.swp"-like files), sorted bytewise so the order does not
 * depend on the locale. */
static int enclave_list(struct cfg_sink *s, const char *dir, char ***names, size_t *n)
{
    size_t cap = 0, len;
    struct dirent *d;
    char **v = NULL;
    DIR *dp;
    int r = 0;

    *n = 0;
    dp = opendir(dir);
    if (!dp) {
        r = -errno;
        cfg_problem(s, 0, "cannot open enclave directory: %s", strerror(-r));
        *names = NULL;
        return r == -ENOMEM ? r : -EINVAL;
    }
    while ((d = readdir(dp))) {
        len = strlen(d->d_name);
        if (d->d_name[0] == '.' || len <= 5 || strcmp(d->d_name + len - 5, ".conf"))
            continue;
        if (*n == cap) {
            char **nv = realloc(v, (cap = cap ? 2 * cap : 8) * sizeof(*v));

            if (!nv) {
                r = -ENOMEM;
                break;
            }
            v = nv;
        }
        v[*n] = strdup(d->d_name);
        if (!v[*n]) {
            r = -ENOMEM;
            break;
        }
        (*n)++;
    }
    closedir(dp);
    if (*n)
        qsort(v, *n, sizeof(*v), enclave_name_cmp);
    *names = v;
    return r;
}

static void enclave_ifname_clash(struct cfg_sink *s, const struct config_enclave *e,
                                 const char *what, const char *name, int line,
                                 const struct config_enclave *o)
{
    int at = line ? line : e->line;
    const char *dflt = line ? "" : " (default from Name; set it explicitly)";

    if (!name[0])
        return;
    if (!strcmp(name, o->bridge))
        cfg_problem(s, at, "%s name %s%s is already the bridge of %s:%d", what, name, dflt,
                    o->path, o->bridge_line ? o->bridge_line : o->line);
    else if (!strcmp(name, o->uplink))
        cfg_problem(s, at, "%s name %s%s is already the uplink of %s:%d", what, name, dflt,
                    o->path, o->uplink_line ? o->uplink_line : o->line);
}

/* @e is checked against every earlier file: the later file gets the error. */
static void enclave_cross_checks(struct cfg_sink *s, const struct config_enclave *e,
                                 const struct config_enclave *all, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        const struct config_enclave *o = &all[i];

        if (e->id_line && o->id_line && e->id == o->id)
            cfg_problem(s, e->id_line, "enclave id %u is already used by %s:%d", e->id, o->path,
                        o->id_line);
        if (e->name_line && o->name_line && !strcmp(e->name, o->name))
            cfg_problem(s, e->name_line, "enclave name \"%s\" is already used by %s:%d", e->name,
                        o->path, o->name_line);
        /* Same Name: the default Bridge and Uplink clash as a matter of
         * course; the Name problem above says all there is to say. */
        if (!(e->name_line && o->name_line && !strcmp(e->name, o->name)) ||
            e->bridge_line)
            enclave_ifname_clash(s, e, "Bridge", e->bridge, e->bridge_line, o);
        if (!(e->name_line && o->name_line && !strcmp(e->name, o->name)) ||
            e->uplink_line)
            enclave_ifname_clash(s, e, "Uplink", e->uplink, e->uplink_line, o);
    }
}

int cfg_load_enclaves(struct cfg_sink *s, const char *dir,
                      struct config_enclave **out, size_t *n_out)
{
    struct config_enclave *v = NULL;
    unsigned before = s->problems;
    char **names = NULL, path[PATH_MAX];
    size_t n = 0, k = 0;
    int r;

    *out = NULL;
    *n_out = 0;
    r = enclave_list(s, dir, &names, &n);
    if (r)
        goto done;
    if (n && !(v = calloc(n, sizeof(*v)))) {
        r = -ENOMEM;
        goto done;
    }
    for (size_t i = 0; i < n; i++) {
        struct cfg_sink fs = { .path = path, .report = s->report, .ctx = s->ctx };
        char *text = NULL;
        size_t len;

        if (snprintf(path, sizeof(path), "%s%s%s", dir, (dir[0] && dir[strlen(dir) - 1] == '/') ? "" : "/",
                     names[i]) >= (int)sizeof(path)) {
            cfg_problem(s, 0, "path of %s is too long", names[i]);
            continue;
        }
        r = cfg_read_file(&fs, path, &text, &len);
        if (r == 0)
            r = cfg_parse_enclave(&fs, text, len, &v[k]);
        free(text);
        if (r == -ENOMEM) {
            k++;
            goto done;
        }
        r = 0;
        if (fs.problems == 0 || v[k].path[0]) {
            enclave_cross_checks(&fs, &v[k], v, k);
            k++;
        }
        s->problems += fs.problems;
    }
done:
    for (size_t i = 0; i < n; i++)
        free(names[i]);
    free(names);
    if (r == 0 && s->problems != before)
        r = -EINVAL;
    if (r) {
        config_enclaves_free(v, k);
        return r;
    }
    *out = v;
    *n_out = k;
    return 0;
}

void config_enclave_clear(struct config_enclave *e)
{
    if (!e)
        return;
    free(e->members);
    free(e->rules);
    memset(e, 0, sizeof(*e));
}

void config_enclaves_free(struct config_enclave *e, size_t n)
{
    for (size_t i = 0; e && i < n; i++)
        config_enclave_clear(&e[i]);
    free(e);
}
