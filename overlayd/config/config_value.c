/* SPDX-License-Identifier: GPL-2.0-only */
/* Value validators and small helpers for the config parser. */
#include "overlayd/config/config_int.h"

#include "lib/mac.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/socket.h>
#include <unistd.h>

enum { CFG_FILE_MAX = 1 << 20 };  /* config files are small; refuse huge ones */

void cfg_problem(struct cfg_sink *s, int line, const char *fmt, ...)
{
    char msg[1024];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    s->problems++;
    if (s->report)
        s->report(s->ctx, s->path, line, msg);
}

const char *cfg_quote(char buf[80], const char *s)
{
    size_t o = 0, max = 80 - 6;   /* quotes, "...", NUL */

    buf[o++] = '"';
    for (; *s && o < max; s++)
        buf[o++] = (*s >= 0x20 && *s < 0x7f) ? *s : '?';
    if (*s) {
        memcpy(buf + o, "...", 3);
        o += 3;
    }
    buf[o++] = '"';
    buf[o] = '\0';
    return buf;
}

/* Decimal only: no sign, no blanks, no "0x", no trailing text. */
int cfg_parse_uint(const char *s, unsigned long min, unsigned long max, unsigned long *out)
{
    unsigned long v = 0;

    if (!*s)
        return -EINVAL;
    for (; *s; s++) {
        if (*s < '0' || *s > '9')
            return -EINVAL;
        unsigned long d = (unsigned long)(*s - '0');

        if (d > max || v > (max - d) / 10)
            return -ERANGE;
        v = v * 10 + (unsigned long)(*s - '0');
    }
    if (v < min)
        return -ERANGE;
    *out = v;
    return 0;
}

bool cfg_name_ok(const char *s)
{
    size_t n = strlen(s);

    if (n < 1 || n > CONFIG_NAME_MAX)
        return false;
    for (; *s; s++)
        if (!((*s >= 'a' && *s <= 'z') || (*s >= '0' && *s <= '9') || *s == '-'))
            return false;
    return true;
}

/* VM names come from libvirt and other tools, so they get a wider
 * alphabet than host and enclave names. */
bool cfg_member_name_ok(const char *s)
{
    size_t n = strlen(s);

    if (n < 1 || n > CONFIG_NAME_MAX)
        return false;
    for (; *s; s++)
        if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') ||
              (*s >= '0' && *s <= '9') || *s == '-' || *s == '_' || *s == '.'))
            return false;
    return true;
}

/* The kernel's dev_valid_name(): 1..15 bytes, not "." or "..", no '/',
 * ':' or whitespace. We also refuse non-ASCII bytes to keep names
 * printable in logs and JSON. */
bool cfg_ifname_ok(const char *s)
{
    size_t n = strlen(s);

    if (n < 1 || n > CONFIG_IFNAME_MAX || !strcmp(s, ".") || !strcmp(s, ".."))
        return false;
    for (; *s; s++)
        if (*s == '/' || *s == ':' || *s <= ' ' || *s >= 0x7f)
            return false;
    return true;
}

/* Digits with at most 3 decimals, then "ms" or "s": exact in microseconds,
 * no floating point, no locale. */
int cfg_parse_duration(const char *s, uint64_t min_ns, uint64_t max_ns, uint64_t *ns)
{
    uint64_t us = 0, scale;
    int frac = -1;
    const char *p = s;

    for (; (*p >= '0' && *p <= '9') || *p == '.'; p++) {
        if (*p == '.') {
            if (frac >= 0 || p == s)
                return -EINVAL;
            frac = 0;
            continue;
        }
        if (frac >= 3 || us > UINT64_C(100000000))
            return -EINVAL;
        us = us * 10 + (uint64_t)(*p - '0');
        if (frac >= 0)
            frac++;
    }
    if (p == s || (frac == 0))
        return -EINVAL;
    if (!strcmp(p, "ms"))
        scale = 1000;
    else if (!strcmp(p, "s"))
        scale = 1000000;
    else
        return -EINVAL;
    for (int i = frac < 0 ? 0 : frac; i > 0; i--)
        scale /= 10;
    if (scale == 0)
        return -EINVAL;              /* below a microsecond */
    us *= scale;
    if (us * 1000 < min_ns || us * 1000 > max_ns)
        return -EINVAL;
    *ns = us * 1000;
    return 0;
}

int cfg_parse_latency(const char *s, uint64_t *ns)
{
    return cfg_parse_duration(s, UINT64_C(1000000), UINT64_C(60000000000), ns);
}

int cfg_parse_mac(const char *s, uint8_t mac[6])
{
    return mac_parse(s, mac);
}

int cfg_ip_family(const char *s)
{
    struct in6_addr a6;
    struct in_addr a4;

    if (inet_pton(AF_INET, s, &a4) == 1)
        return AF_INET;
    if (inet_pton(AF_INET6, s, &a6) == 1)
        return AF_INET6;
    return 0;
}

int cfg_cidr_ok(const char *s)
{
    char addr[INET6_ADDRSTRLEN];
    const char *slash = strchr(s, '/');
    unsigned long prefix;
    size_t n;
    int fam;

    if (!slash)
        return -EINVAL;
    n = (size_t)(slash - s);
    if (n == 0 || n >= sizeof(addr))
        return -EINVAL;
    memcpy(addr, s, n);
    addr[n] = '\0';
    fam = cfg_ip_family(addr);
    if (!fam)
        return -EINVAL;
    return cfg_parse_uint(slash + 1, 0, fam == AF_INET ? 32 : 128, &prefix) ? -EINVAL : 0;
}

/* RFC 1123 host name: dot-separated labels of letters, digits and '-',
 * 1..63 each, not starting or ending with '-', 253 in all. */
static bool cfg_hostname_ok(const char *s, size_t n)
{
    size_t label = 0;

    if (n < 1 || n > 253)
        return false;
    for (size_t i = 0; i < n; i++) {
        char c = s[i];

        if (c == '.') {
            if (label == 0 || s[i - 1] == '-')
                return false;
            label = 0;
            continue;
        }
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
              (c >= '0' && c <= '9') || c == '-'))
            return false;
        if (c == '-' && label == 0)
            return false;
        if (++label > 63)
            return false;
    }
    return label > 0 && s[n - 1] != '-';
}

int cfg_parse_endpoint(const char *s, int *family, uint16_t *port)
{
    char host[256];
    const char *colon;
    unsigned long p;
    size_t n;
    int r;

    if (s[0] == '[') {
        const char *close = strchr(s, ']');

        if (!close || close[1] != ':')
            return -EINVAL;
        n = (size_t)(close - s - 1);
        if (n == 0 || n >= sizeof(host))
            return -EINVAL;
        memcpy(host, s + 1, n);
        host[n] = '\0';
        if (cfg_ip_family(host) != AF_INET6)
            return -EINVAL;
        *family = AF_INET6;
        colon = close + 1;
    } else {
        colon = strrchr(s, ':');
        if (!colon || strchr(s, ':') != colon)   /* bare IPv6 needs brackets */
            return -EINVAL;
        n = (size_t)(colon - s);
        if (n == 0 || n >= sizeof(host))
            return -EINVAL;
        memcpy(host, s, n);
        host[n] = '\0';
        if (strspn(host, "0123456789.") == n) {
            /* All digits and dots: an IPv4 literal, never a host name. */
            if (cfg_ip_family(host) != AF_INET)
                return -EINVAL;
            *family = AF_INET;
        } else {
            if (!cfg_hostname_ok(host, n))
                return -EINVAL;
            *family = 0;
        }
    }
    r = cfg_parse_uint(colon + 1, 1, 65535, &p);
    if (r)
        return r == -ERANGE ? -ERANGE : -EINVAL;
    *port = (uint16_t)p;
    return 0;
}

int cfg_resolve(char *out, size_t size, const char *base, const char *rel)
{
    const char *slash;
    int n;

    if (rel[0] == '/') {
        n = snprintf(out, size, "%s", rel);
    } else {
        slash = strrchr(base, '/');
        if (slash)
            n = snprintf(out, size, "%.*s/%s", (int)(slash - base), base, rel);
        else
            n = snprintf(out, size, "%s", rel);   /* config in the cwd */
        if (slash == base)
            n = snprintf(out, size, "/%s", rel);
    }
    if (n < 0 || (size_t)n >= size) {
        out[0] = '\0';
        return -ENAMETOOLONG;
    }
    return 0;
}

int cfg_read_file(struct cfg_sink *s, const char *path, char **text, size_t *len)
{
    struct stat st;
    char *buf = NULL;
    size_t got = 0;
    int fd, r = 0;

    *text = NULL;
    *len = 0;
    fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);   /* never hang on a FIFO */
    if (fd < 0) {
        r = -errno;
        cfg_problem(s, 0, "cannot read: %s", strerror(-r));
        return r;
    }
    if (fstat(fd, &st) < 0) {
        r = -errno;
        cfg_problem(s, 0, "cannot read: %s", strerror(-r));
        goto out;
    }
    if (!S_ISREG(st.st_mode)) {
        r = -EINVAL;
        cfg_problem(s, 0, "cannot read: %s", S_ISDIR(st.st_mode) ? strerror(EISDIR)
                                                                 : "not a regular file");
        goto out;
    }
    if (st.st_size > CFG_FILE_MAX) {
        r = -EFBIG;
        cfg_problem(s, 0, "file is larger than %d bytes", CFG_FILE_MAX);
        goto out;
    }
    buf = malloc((size_t)st.st_size + 1);
    if (!buf) {
        r = -ENOMEM;
        goto out;
    }
    while (got < (size_t)st.st_size) {
        ssize_t k = read(fd, buf + got, (size_t)st.st_size - got);

        if (k < 0 && errno == EINTR)
            continue;
        if (k < 0) {
            r = -errno;
            cfg_problem(s, 0, "cannot read: %s", strerror(-r));
            goto out;
        }
        if (k == 0)
            break;                 /* shrank under us: take what we got */
        got += (size_t)k;
    }
    buf[got] = '\0';
    *text = buf;
    *len = got;
    buf = NULL;
out:
    free(buf);
    close(fd);
    return r;
}
