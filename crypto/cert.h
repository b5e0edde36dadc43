/* SPDX-License-Identifier: GPL-2.0-only */
#ifndef OVL_CRYPTO_CERT_H
#define OVL_CRYPTO_CERT_H

/*
 * DOC: cert — overlay authority host certificates (Ed25519, libsodium)
 *
 * An overlay authority (an Ed25519 key pair made by `overlayctl ca init`)
 * signs host certificates binding a host name and its X25519 static key
 * (the Noise identity) to the enclaves the host may carry, for a validity
 * window. docs/certificates.md has the exact byte layout.
 *
 * Binary form (big-endian integers; the signed part is everything before
 * the signature):
 *
 *   magic "OVLC" | version 1 | flags (bit0 = all enclaves) | serial u64 |
 *   not_before u64 | not_after u64 | name_len u8 | name |
 *   host X25519 pub (32) | authority Ed25519 pub (32) |
 *   enclave count u16 | count * enclave id u24 (strictly ascending) |
 *   Ed25519 signature (64) over "overlayd cert v1" || signed part
 *
 * The full authority public key is embedded (not a key id) so that a
 * certificate can be checked on its own (`cert show`); whoever admits a
 * host must additionally compare it with its configured Authority, which
 * cert_verify() does when given one.
 *
 * Lifecycle: cert_sign() -> bytes -> cert_parse() (structure only) ->
 * cert_verify() (issuer, validity window, key binding, signature) ->
 * cert_allows_enclave(). Text form: cert_to_text() / cert_load_text().
 * For the Noise handshake: cert_payload() / cert_admit().
 *
 * Pure: no I/O, no clock reads. Unlike the rest of crypto/, times here are
 * wall-clock Unix seconds (certificates carry absolute dates), which the
 * caller reads from CLOCK_REALTIME. Randomness (the serial) is chosen by
 * the caller.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum {
    CERT_VERSION = 1,
    CERT_MAGIC_LEN = 4,
    CERT_NAME_MAX = 32,
    CERT_KEY_LEN = 32,             /* X25519 and Ed25519 public keys */
    CERT_SIG_LEN = 64,
    CERT_SEED_LEN = 32,            /* Ed25519 seed (authority.key) */
    CERT_SECRET_LEN = 64,          /* libsodium Ed25519 secret key */
    CERT_MAX_ENCLAVES = 256,
    CERT_ENCLAVE_MAX_ID = 16777215,
    CERT_FLAG_ALL = 0x01,
    /* Offsets into the binary form. */
    CERT_OFF_VERSION = 4,
    CERT_OFF_FLAGS = 5,
    CERT_OFF_SERIAL = 6,
    CERT_OFF_NOT_BEFORE = 14,
    CERT_OFF_NOT_AFTER = 22,
    CERT_OFF_NAME_LEN = 30,
    CERT_OFF_NAME = 31,
    /* Fixed bytes besides name and enclave ids: 31 + 32 + 32 + 2 + 64. */
    CERT_FIXED_LEN = 161,
    CERT_MIN_LEN = CERT_FIXED_LEN + 1,
    CERT_MAX_LEN = CERT_FIXED_LEN + CERT_NAME_MAX + 3 * CERT_MAX_ENCLAVES,
    /* Bound for cert_to_text() output (ids of up to 8 digits + comma). */
    CERT_TEXT_MAX = 8192,
};

#define CERT_MAGIC "OVLC"
#define CERT_SIG_CONTEXT "overlayd cert v1"
#define CERT_TEXT_BEGIN "-----BEGIN OVERLAYD CERTIFICATE-----"
#define CERT_TEXT_END "-----END OVERLAYD CERTIFICATE-----"
/* Latest representable time, 9999-12-31T23:59:59Z, so dates always format. */
#define CERT_TIME_MAX UINT64_C(253402300799)
/* Longest validity cert_parse_duration() accepts: 100 years of 365 days. */
#define CERT_DURATION_MAX (UINT64_C(36500) * 86400)

/* Verification failures (distinct from errno values). */
enum cert_error {
    CERT_E_SIGNATURE = -4001,      /* signature does not verify */
    CERT_E_AUTHORITY = -4002,      /* issued by another authority */
    CERT_E_EXPIRED = -4003,        /* now >= not_after */
    CERT_E_NOT_YET_VALID = -4004,  /* now < not_before */
    CERT_E_KEY_MISMATCH = -4005,   /* not for the authenticated static key */
};

/* What the authority signs. */
struct cert_fields {
    uint64_t serial;
    uint64_t not_before;           /* Unix seconds, inclusive */
    uint64_t not_after;            /* Unix seconds, exclusive */
    const char *name;              /* [a-z0-9-], 1..CERT_NAME_MAX */
    const uint8_t *host_pub;       /* X25519, CERT_KEY_LEN bytes */
    bool all_enclaves;
    const uint32_t *enclaves;      /* strictly ascending, 1..2^24-1 */
    size_t n_enclaves;             /* 0 when all_enclaves */
};

/* A parsed certificate; raw keeps the exact bytes for verification. */
struct cert {
    uint64_t serial;
    uint64_t not_before;
    uint64_t not_after;
    char name[CERT_NAME_MAX + 1];
    uint8_t host_pub[CERT_KEY_LEN];
    uint8_t authority_pub[CERT_KEY_LEN];
    bool all_enclaves;
    uint16_t n_enclaves;
    uint32_t enclaves[CERT_MAX_ENCLAVES];
    uint8_t signature[CERT_SIG_LEN];
    uint8_t raw[CERT_MAX_LEN];
    size_t raw_len;
};

/* 0 when @name is 1..CERT_NAME_MAX chars of [a-z0-9-], else -EINVAL. */
int cert_name_valid(const char *name);

/*
 * Sign @f with the authority's libsodium secret key @authority_sk (64
 * bytes, seed || public key). Writes the binary certificate to @out.
 * Returns 0, -EINVAL (bad field), -ENOBUFS (@out_cap too small).
 */
int cert_sign(const struct cert_fields *f, const uint8_t authority_sk[CERT_SECRET_LEN],
              uint8_t *out, size_t out_cap, size_t *out_len);

/*
 * Strict structural parse (no signature check). Returns 0 or -EBADMSG.
 * cert_parse_why() also explains a failure in @why (may be NULL).
 */
int cert_parse(const uint8_t *buf, size_t len, struct cert *c);
int cert_parse_why(const uint8_t *buf, size_t len, struct cert *c,
                   char *why, size_t why_len);

/* 0 when the signature verifies with the embedded authority key. */
int cert_check_signature(const struct cert *c);

/* 0, CERT_E_NOT_YET_VALID or CERT_E_EXPIRED for Unix time @now. */
int cert_check_time(const struct cert *c, uint64_t now);

/*
 * Full check, cheapest first: issuer (skipped if @authority_pub is NULL),
 * validity window, key binding (skipped if @expected_pub is NULL), then
 * the signature. Returns 0 or the first failing CERT_E_* code.
 */
int cert_verify(const struct cert *c, const uint8_t *authority_pub, uint64_t now,
                const uint8_t *expected_pub);

/* Message for a CERT_E_* code or a negative errno. */
const char *cert_strerror(int err);

bool cert_allows_enclave(const struct cert *c, uint32_t id);

/*
 * Parse "*" (all) or a comma list of decimal ids 1..16777215 into a
 * sorted array. Duplicates and empty items are errors. Returns 0,
 * -EINVAL or -E2BIG (more than @cap ids); @why explains (may be NULL).
 */
int cert_parse_enclave_list(const char *s, bool *all, uint32_t *ids, size_t cap,
                            size_t *n, char *why, size_t why_len);

/* Render the enclave set as "*" or "100,200". Returns length or -ENOBUFS. */
int cert_format_enclaves(const struct cert *c, char *out, size_t cap);

/*
 * Parse a duration "<n><unit>", unit s, m, h or d, 1 s .. 100 years.
 * Returns 0, -EINVAL (syntax) or -ERANGE.
 */
int cert_parse_duration(const char *s, uint64_t *seconds);

/* Format Unix seconds as "YYYY-MM-DDTHH:MM:SSZ". Returns length or -ENOBUFS. */
int cert_format_time(uint64_t t, char *out, size_t cap);

/*
 * Text form: comment line, "Key = value" header lines, then the binary in
 * base64 between CERT_TEXT_BEGIN / CERT_TEXT_END. Returns length or
 * -ENOBUFS. Needs a parsed @c (raw filled).
 */
int cert_to_text(const struct cert *c, char *out, size_t cap);

/*
 * Parse the text form. The binary is authoritative; header lines, when
 * present, must each be a known key whose value equals what the binary
 * says, so a reader of the header is never misled. Returns 0 or -EBADMSG
 * with a reason (prefixed "line N: " where it applies) in @why.
 */
int cert_load_text(const char *text, size_t len, struct cert *c,
                   char *why, size_t why_len);

/*
 * Handshake payload: the binary certificate, copied to @out. Returns 0 or
 * -ENOBUFS.
 */
int cert_payload(const struct cert *c, uint8_t *out, size_t cap, size_t *len);

/*
 * Admission check of a received handshake payload: parse it and verify it
 * against the configured @authority_pub, Unix time @now and the remote
 * static key @remote_static the handshake authenticated. On 0, @c holds
 * the certificate (use cert_allows_enclave(); c->not_after bounds the
 * admission). Returns 0, -EBADMSG or a CERT_E_* code.
 */
int cert_admit(const uint8_t *payload, size_t len, const uint8_t authority_pub[CERT_KEY_LEN],
               uint64_t now, const uint8_t remote_static[CERT_KEY_LEN], struct cert *c);

#endif
