/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Binary host certificates: signing, strict parsing, verification and the
 * small argument parsers (enclave list, duration, time) shared by
 * overlayctl and the tests. The text form lives in cert_text.c.
 */
#include "crypto/cert.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

static void set_why(char *why, size_t why_len, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void set_why(char *why, size_t why_len, const char *fmt, ...)
{
    va_list ap;

    if (!why || why_len == 0)
        return;
    va_start(ap, fmt);
    vsnprintf(why, why_len, fmt, ap);
    va_end(ap);
}

static void put_be64(uint8_t *p, uint64_t v)
{
    for (int i = 7; i >= 0; i--) {
        p[i] = (uint8_t)v;
        v >>= 8;
    }
}

static uint64_t get_be64(const uint8_t *p)
{
    uint64_t v = 0;

    for (int i = 0; i < 8; i++)
        v = (v << 8) | p[i];
    return v;
}

int cert_name_valid(const char *name)
{
    size_t n;

    if (!name)
        return -EINVAL;
    n = strlen(name);
    if (n < 1 || n > CERT_NAME_MAX)
        return -EINVAL;
    for (size_t i = 0; i < n; i++) {
        char ch = name[i];
        if (!((ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') || ch == '-'))
            return -EINVAL;
    }
    return 0;
}

static bool key_is_zero(const uint8_t *k)
{
    uint8_t acc = 0;

    for (int i = 0; i < CERT_KEY_LEN; i++)
        acc |= k[i];
    return acc == 0;
}

static int fields_valid(const struct cert_fields *f)
{
    if (cert_name_valid(f->name) < 0 || !f->host_pub || key_is_zero(f->host_pub))
        return -EINVAL;
    if (f->not_before >= f->not_after || f->not_after > CERT_TIME_MAX)
        return -EINVAL;
    if (f->all_enclaves) {
        if (f->n_enclaves != 0)
            return -EINVAL;
        return 0;
    }
    if (f->n_enclaves > CERT_MAX_ENCLAVES || (f->n_enclaves && !f->enclaves))
        return -EINVAL;
    for (size_t i = 0; i < f->n_enclaves; i++) {
        uint32_t id = f->enclaves[i];
        if (id < 1 || id > CERT_ENCLAVE_MAX_ID)
            return -EINVAL;
        if (i > 0 && f->enclaves[i - 1] >= id)
            return -EINVAL;
    }
    return 0;
}

/*
 * Ed25519 over context || body: the context keeps a certificate signature
 * from ever being valid for another message the authority key signs.
 */
static int sign_body(const uint8_t *body, size_t body_len, const uint8_t *sk, uint8_t *sig)
{
    uint8_t msg[sizeof(CERT_SIG_CONTEXT) - 1 + CERT_MAX_LEN];
    size_t ctx_len = sizeof(CERT_SIG_CONTEXT) - 1;

    memcpy(msg, CERT_SIG_CONTEXT, ctx_len);
    memcpy(msg + ctx_len, body, body_len);
    if (crypto_sign_ed25519_detached(sig, NULL, msg, ctx_len + body_len, sk) != 0)
        return -EINVAL;
    return 0;
}

int cert_sign(const struct cert_fields *f, const uint8_t authority_sk[CERT_SECRET_LEN],
              uint8_t *out, size_t out_cap, size_t *out_len)
{
    uint8_t buf[CERT_MAX_LEN];
    size_t name_len, off, total;
    int ret;

    if (!f || !authority_sk || !out || !out_len)
        return -EINVAL;
    ret = fields_valid(f);
    if (ret < 0)
        return ret;
    name_len = strlen(f->name);
    total = CERT_FIXED_LEN + name_len + 3 * f->n_enclaves;
    if (out_cap < total)
        return -ENOBUFS;

    memcpy(buf, CERT_MAGIC, CERT_MAGIC_LEN);
    buf[CERT_OFF_VERSION] = CERT_VERSION;
    buf[CERT_OFF_FLAGS] = f->all_enclaves ? CERT_FLAG_ALL : 0;
    put_be64(buf + CERT_OFF_SERIAL, f->serial);
    put_be64(buf + CERT_OFF_NOT_BEFORE, f->not_before);
    put_be64(buf + CERT_OFF_NOT_AFTER, f->not_after);
    buf[CERT_OFF_NAME_LEN] = (uint8_t)name_len;
    memcpy(buf + CERT_OFF_NAME, f->name, name_len);
    off = CERT_OFF_NAME + name_len;
    memcpy(buf + off, f->host_pub, CERT_KEY_LEN);
    off += CERT_KEY_LEN;
    /* libsodium's secret key is seed || public key. */
    memcpy(buf + off, authority_sk + CERT_SEED_LEN, CERT_KEY_LEN);
    off += CERT_KEY_LEN;
    buf[off++] = (uint8_t)(f->n_enclaves >> 8);
    buf[off++] = (uint8_t)f->n_enclaves;
    for (size_t i = 0; i < f->n_enclaves; i++) {
        buf[off++] = (uint8_t)(f->enclaves[i] >> 16);
        buf[off++] = (uint8_t)(f->enclaves[i] >> 8);
        buf[off++] = (uint8_t)f->enclaves[i];
    }
    ret = sign_body(buf, off, authority_sk, buf + off);
    if (ret < 0)
        return ret;
    off += CERT_SIG_LEN;
    memcpy(out, buf, off);
    *out_len = off;
    return 0;
}

int cert_parse_why(const uint8_t *buf, size_t len, struct cert *c,
                   char *why, size_t why_len)
{
    size_t name_len, off, count, want;

    if (!buf || !c) {
        set_why(why, why_len, "no input");
        return -EBADMSG;
    }
    if (len < CERT_MIN_LEN || len > CERT_MAX_LEN) {
        set_why(why, why_len, "length %zu outside %d..%d", len, CERT_MIN_LEN, CERT_MAX_LEN);
        return -EBADMSG;
    }
    if (memcmp(buf, CERT_MAGIC, CERT_MAGIC_LEN) != 0) {
        set_why(why, why_len, "bad magic");
        return -EBADMSG;
    }
    if (buf[CERT_OFF_VERSION] != CERT_VERSION) {
        set_why(why, why_len, "unsupported version %u", buf[CERT_OFF_VERSION]);
        return -EBADMSG;
    }
    if (buf[CERT_OFF_FLAGS] & ~CERT_FLAG_ALL) {
        set_why(why, why_len, "unknown flags 0x%02x", buf[CERT_OFF_FLAGS]);
        return -EBADMSG;
    }
    memset(c, 0, sizeof(*c));
    c->all_enclaves = buf[CERT_OFF_FLAGS] & CERT_FLAG_ALL;
    c->serial = get_be64(buf + CERT_OFF_SERIAL);
    c->not_before = get_be64(buf + CERT_OFF_NOT_BEFORE);
    c->not_after = get_be64(buf + CERT_OFF_NOT_AFTER);
    if (c->not_before >= c->not_after || c->not_after > CERT_TIME_MAX) {
        set_why(why, why_len, "bad validity window");
        return -EBADMSG;
    }
    name_len = buf[CERT_OFF_NAME_LEN];
    if (name_len < 1 || name_len > CERT_NAME_MAX ||
        len < CERT_FIXED_LEN + name_len) {
        set_why(why, why_len, "bad name length %zu", name_len);
        return -EBADMSG;
    }
    memcpy(c->name, buf + CERT_OFF_NAME, name_len);
    c->name[name_len] = '\0';
    /* An embedded NUL would shorten the string and fail the length check. */
    if (strlen(c->name) != name_len || cert_name_valid(c->name) < 0) {
        set_why(why, why_len, "invalid host name");
        return -EBADMSG;
    }
    off = CERT_OFF_NAME + name_len;
    memcpy(c->host_pub, buf + off, CERT_KEY_LEN);
    off += CERT_KEY_LEN;
    memcpy(c->authority_pub, buf + off, CERT_KEY_LEN);
    off += CERT_KEY_LEN;
    if (key_is_zero(c->host_pub)) {
        set_why(why, why_len, "all-zero host key");
        return -EBADMSG;
    }
    count = ((size_t)buf[off] << 8) | buf[off + 1];
    off += 2;
    if (count > CERT_MAX_ENCLAVES || (c->all_enclaves && count != 0)) {
        set_why(why, why_len, "bad enclave count %zu", count);
        return -EBADMSG;
    }
    want = CERT_FIXED_LEN + name_len + 3 * count;
    if (len != want) {
        set_why(why, why_len, "length %zu, expected %zu", len, want);
        return -EBADMSG;
    }
    for (size_t i = 0; i < count; i++, off += 3) {
        uint32_t id = ((uint32_t)buf[off] << 16) | ((uint32_t)buf[off + 1] << 8) | buf[off + 2];
        if (id == 0 || (i > 0 && c->enclaves[i - 1] >= id)) {
            set_why(why, why_len, "enclave ids not ascending, unique and nonzero");
            return -EBADMSG;
        }
        c->enclaves[i] = id;
    }
    c->n_enclaves = (uint16_t)count;
    memcpy(c->signature, buf + off, CERT_SIG_LEN);
    memcpy(c->raw, buf, len);
    c->raw_len = len;
    return 0;
}

int cert_parse(const uint8_t *buf, size_t len, struct cert *c)
{
    return cert_parse_why(buf, len, c, NULL, 0);
}

int cert_check_signature(const struct cert *c)
{
    uint8_t msg[sizeof(CERT_SIG_CONTEXT) - 1 + CERT_MAX_LEN];
    size_t ctx_len = sizeof(CERT_SIG_CONTEXT) - 1, body_len;

    if (!c || c->raw_len < CERT_MIN_LEN || c->raw_len > CERT_MAX_LEN)
        return CERT_E_SIGNATURE;
    body_len = c->raw_len - CERT_SIG_LEN;
    memcpy(msg, CERT_SIG_CONTEXT, ctx_len);
    memcpy(msg + ctx_len, c->raw, body_len);
    if (crypto_sign_ed25519_verify_detached(c->raw + body_len, msg, ctx_len + body_len,
                                            c->authority_pub) != 0)
        return CERT_E_SIGNATURE;
    return 0;
}

int cert_check_time(const struct cert *c, uint64_t now)
{
    if (now < c->not_before)
        return CERT_E_NOT_YET_VALID;
    if (now >= c->not_after)
        return CERT_E_EXPIRED;
    return 0;
}

/* The comparisons first, the Ed25519 verification last: a flood of
 * certificates of another authority, for another key or out of date costs
 * a few memcmp each, never a signature check. */
int cert_verify(const struct cert *c, const uint8_t *authority_pub, uint64_t now,
                const uint8_t *expected_pub)
{
    int ret;

    if (authority_pub && sodium_memcmp(authority_pub, c->authority_pub, CERT_KEY_LEN) != 0)
        return CERT_E_AUTHORITY;
    ret = cert_check_time(c, now);
    if (ret < 0)
        return ret;
    if (expected_pub && sodium_memcmp(expected_pub, c->host_pub, CERT_KEY_LEN) != 0)
        return CERT_E_KEY_MISMATCH;
    return cert_check_signature(c);
}

const char *cert_strerror(int err)
{
    switch (err) {
    case 0: return "ok";
    case CERT_E_SIGNATURE: return "certificate signature does not verify";
    case CERT_E_AUTHORITY: return "certificate issued by another authority";
    case CERT_E_EXPIRED: return "certificate expired";
    case CERT_E_NOT_YET_VALID: return "certificate not yet valid";
    case CERT_E_KEY_MISMATCH: return "certificate is for another public key";
    case -EBADMSG: return "malformed certificate";
    default: return err < 0 ? strerror(-err) : "unknown error";
    }
}

bool cert_allows_enclave(const struct cert *c, uint32_t id)
{
    size_t lo = 0, hi;

    if (!c || id < 1 || id > CERT_ENCLAVE_MAX_ID)
        return false;
    if (c->all_enclaves)
        return true;
    hi = c->n_enclaves;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (c->enclaves[mid] == id)
            return true;
        if (c->enclaves[mid] < id)
            lo = mid + 1;
        else
            hi = mid;
    }
    return false;
}

static int cmp_u32(const void *a, const void *b)
{
    uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

    return (x > y) - (x < y);
}

int cert_parse_enclave_list(const char *s, bool *all, uint32_t *ids, size_t cap,
                            size_t *n, char *why, size_t why_len)
{
    const char *p = s;
    size_t count = 0;

    *n = 0;
    *all = false;
    if (!s || !*s) {
        set_why(why, why_len, "empty enclave list");
        return -EINVAL;
    }
    if (strcmp(s, "*") == 0) {
        *all = true;
        return 0;
    }
    for (;;) {
        uint32_t v = 0;
        const char *start = p;

        while (*p >= '0' && *p <= '9') {
            v = v * 10 + (uint32_t)(*p - '0');
            p++;
            if (v > CERT_ENCLAVE_MAX_ID) {
                set_why(why, why_len, "enclave id \"%.*s...\" out of range 1..%d",
                        (int)(p - start), start, CERT_ENCLAVE_MAX_ID);
                return -EINVAL;
            }
        }
        if (p == start || (*p != ',' && *p != '\0')) {
            /* The position, not the text: @s may hold bytes unfit for a one-line message. */
            set_why(why, why_len, "unexpected character at position %zu: expected decimal ids "
                    "separated by commas, or *", (size_t)(p - s) + 1);
            return -EINVAL;
        }
        if (start[0] == '0') {
            set_why(why, why_len, "enclave id \"%.*s\" out of range 1..%d (or has a leading zero)",
                    (int)(p - start), start, CERT_ENCLAVE_MAX_ID);
            return -EINVAL;
        }
        if (count == cap) {
            set_why(why, why_len, "more than %zu enclave ids", cap);
            return -E2BIG;
        }
        ids[count++] = v;
        if (*p == '\0')
            break;
        p++;
    }
    qsort(ids, count, sizeof(ids[0]), cmp_u32);
    for (size_t i = 1; i < count; i++) {
        if (ids[i] == ids[i - 1]) {
            set_why(why, why_len, "enclave id %u listed twice", ids[i]);
            return -EINVAL;
        }
    }
    *n = count;
    return 0;
}

int cert_format_enclaves(const struct cert *c, char *out, size_t cap)
{
    size_t off = 0;

    if (cap == 0)
        return -ENOBUFS;
    if (c->all_enclaves) {
        if (cap < 2)
            return -ENOBUFS;
        memcpy(out, "*", 2);
        return 1;
    }
    out[0] = '\0';
    for (size_t i = 0; i < c->n_enclaves; i++) {
        int w = snprintf(out + off, cap - off, "%s%u", i ? "," : "", c->enclaves[i]);
        if (w < 0 || (size_t)w >= cap - off)
            return -ENOBUFS;
        off += (size_t)w;
    }
    return (int)off;
}

int cert_parse_duration(const char *s, uint64_t *seconds)
{
    uint64_t v = 0, mult;
    const char *p = s;

    if (!s || !(*p >= '1' && *p <= '9'))
        return -EINVAL;
    while (*p >= '0' && *p <= '9') {
        v = v * 10 + (uint64_t)(*p - '0');
        p++;
        if (v > CERT_DURATION_MAX)
            return -ERANGE;
    }
    switch (*p) {
    case 's': mult = 1; break;
    case 'm': mult = 60; break;
    case 'h': mult = 3600; break;
    case 'd': mult = 86400; break;
    default: return -EINVAL;
    }
    if (p[1] != '\0')
        return -EINVAL;
    if (v > CERT_DURATION_MAX / mult)
        return -ERANGE;
    *seconds = v * mult;
    return 0;
}

int cert_format_time(uint64_t t, char *out, size_t cap)
{
    /* Civil-from-days (proleptic Gregorian), avoiding gmtime and TZ. */
    uint64_t days = t / 86400, rem = t % 86400;
    int64_t z = (int64_t)days + 719468;
    int64_t era = z / 146097;
    int64_t doe = z - era * 146097;
    int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    int64_t y = yoe + era * 400;
    int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    int64_t mp = (5 * doy + 2) / 153;
    int64_t d = doy - (153 * mp + 2) / 5 + 1;
    int64_t m = mp < 10 ? mp + 3 : mp - 9;
    int w;

    if (t > CERT_TIME_MAX)
        return -ERANGE;
    if (m <= 2)
        y++;
    w = snprintf(out, cap, "%04lld-%02lld-%02lldT%02u:%02u:%02uZ", (long long)y,
                 (long long)m, (long long)d, (unsigned)(rem / 3600),
                 (unsigned)(rem / 60 % 60), (unsigned)(rem % 60));
    if (w < 0 || (size_t)w >= cap)
        return -ENOBUFS;
    return w;
}

int cert_payload(const struct cert *c, uint8_t *out, size_t cap, size_t *len)
{
    if (!c || c->raw_len == 0)
        return -EINVAL;
    if (cap < c->raw_len)
        return -ENOBUFS;
    memcpy(out, c->raw, c->raw_len);
    *len = c->raw_len;
    return 0;
}

int cert_admit(const uint8_t *payload, size_t len, const uint8_t authority_pub[CERT_KEY_LEN],
               uint64_t now, const uint8_t remote_static[CERT_KEY_LEN], struct cert *c)
{
    int ret;

    if (!authority_pub || !remote_static)
        return -EINVAL;
    ret = cert_parse(payload, len, c);
    if (ret < 0)
        return ret;
    return cert_verify(c, authority_pub, now, remote_static);
}
