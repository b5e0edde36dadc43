/* SPDX-License-Identifier: GPL-2.0-only */
#ifndef OVL_OVERLAYD_CONFIG_INT_H
#define OVL_OVERLAYD_CONFIG_INT_H

/*
 * DOC: config_int — helpers shared by config.c and config_enclave.c
 *
 * Not a public interface: the problem sink wrapper (counts problems so a
 * parse can tell whether it succeeded), the schema-driven INI walker that
 * reports the generic problems (unknown section or key, duplicate key, key
 * outside a section, empty value, section missing or repeated, required
 * key missing), and the value validators (config_value.c).
 */

#include "overlayd/config/config.h"

struct cfg_sink {
    const char *path;
    config_report_fn report;
    void *ctx;
    unsigned problems;
};

void cfg_problem(struct cfg_sink *s, int line, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

enum { CFG_KEYS_MAX = 16 };

struct cfg_key_spec {
    const char *name;
    bool required;
    bool repeat;                  /* may be given more than once (Allow, Authority): key()
                                   * sees every value and counts; key_lines keeps the first */
};

struct cfg_section_spec {
    const char *name;
    bool once;                    /* at most one such section */
    bool required;                /* at least one such section */
    const struct cfg_key_spec *keys;
    size_t n_keys;
};

struct cfg_schema {
    const struct cfg_section_spec *sections;
    size_t n_sections;
    const char *expected;         /* "[Host] or [Peer]", for messages */
    /* A new section instance starts; 0 or -ENOMEM. */
    int (*begin)(void *user, size_t sec, int line);
    /* A well-formed, non-duplicate, non-empty key of the current section. */
    void (*key)(void *user, size_t sec, size_t key, const char *value, int line);
    /* The section ended; key_lines[k] is the line key k was set on, or 0. */
    void (*end)(void *user, size_t sec, int line, const int *key_lines);
};

/* Walk @text; returns 0 or -ENOMEM (a begin() failure). */
int cfg_walk(struct cfg_sink *s, const char *text, size_t len,
             const struct cfg_schema *schema, void *user);

/* Value validators (config_value.c): 0 or -EINVAL, no reporting. */
int cfg_parse_uint(const char *s, unsigned long min, unsigned long max, unsigned long *out);
bool cfg_name_ok(const char *s);
bool cfg_member_name_ok(const char *s);
bool cfg_ifname_ok(const char *s);
int cfg_parse_mac(const char *s, uint8_t mac[6]);
/* "30ms", "0.5s", "180s" in ns, within @min_ns..@max_ns (at most
 * 10^8 s). -EINVAL otherwise. */
int cfg_parse_duration(const char *s, uint64_t min_ns, uint64_t max_ns, uint64_t *ns);
/* A duration of 1 ms .. 60 s. */
int cfg_parse_latency(const char *s, uint64_t *ns);
int cfg_ip_family(const char *s);             /* AF_INET, AF_INET6 or 0 */
int cfg_cidr_ok(const char *s);               /* 0 or -EINVAL */
/* host:port forms; *family = AF_INET, AF_INET6 or 0 (hostname).
 * Returns 0, -EINVAL (shape) or -ERANGE (port). */
int cfg_parse_endpoint(const char *s, int *family, uint16_t *port);
/* @rel resolved against the directory of @base when relative.
 * Returns 0 or -ENAMETOOLONG. */
int cfg_resolve(char *out, size_t size, const char *base, const char *rel);
/* @s as a quoted string for messages, cut to fit, non-printables as '?'. */
const char *cfg_quote(char buf[80], const char *s);

/* File reading shared by host and enclave loading; reports problems. */
int cfg_read_file(struct cfg_sink *s, const char *path, char **text, size_t *len);

/* Enclave parsing with its own sink, and checks across files. */
int cfg_parse_enclave(struct cfg_sink *s, const char *text, size_t len,
                      struct config_enclave *out);
int cfg_load_enclaves(struct cfg_sink *s, const char *dir,
                      struct config_enclave **out, size_t *n_out);

#endif
