/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Wire helpers of the link layer: little-endian fields, mac1 and the
 * TAI64N timestamp. The byte layouts are specified in docs/protocol.md.
 */
#include <string.h>

#include <sodium.h>

#include "crypto/link_internal.h"

static const char LINK_MAC1_LABEL[8] = { 'm', 'a', 'c', '1', '-', '-', '-', '-' };
static const char LINK_COOKIE_LABEL[8] = { 'c', 'o', 'o', 'k', 'i', 'e', '-', '-' };
const uint8_t link_prologue[] = "overlayd link v1";
const size_t link_prologue_len = sizeof(link_prologue) - 1;   /* without NUL */

size_t link_hs_prologue(uint8_t *out, const uint8_t *init_hdr)
{
    _Static_assert(sizeof(link_prologue) - 1 + 4 <= LINK_HS_PROLOGUE_MAX, "prologue size");
    memcpy(out, link_prologue, link_prologue_len);
    memcpy(out + link_prologue_len, init_hdr, 4);
    return link_prologue_len + 4;
}

/* TAI64 label of the Unix epoch: 2^62 + 10 (libtai convention). */
#define LINK_TAI64_EPOCH (UINT64_C(0x4000000000000000) + 10)

void link_put_le32(uint8_t *p, uint32_t v)
{
    for (int i = 0; i < 4; i++)
        p[i] = (uint8_t)(v >> (8 * i));
}

uint32_t link_get_le32(const uint8_t *p)
{
    uint32_t v = 0;

    for (int i = 3; i >= 0; i--)
        v = (v << 8) | p[i];
    return v;
}

void link_put_le64(uint8_t *p, uint64_t v)
{
    for (int i = 0; i < 8; i++)
        p[i] = (uint8_t)(v >> (8 * i));
}

uint64_t link_get_le64(const uint8_t *p)
{
    uint64_t v = 0;

    for (int i = 7; i >= 0; i--)
        v = (v << 8) | p[i];
    return v;
}

void link_put_header(uint8_t *pkt, uint8_t type)
{
    pkt[0] = type;
    pkt[1] = pkt[2] = pkt[3] = 0;
}

/* Big-endian so that memcmp() orders timestamps chronologically. */
void link_tai64n(uint8_t out[LINK_TAI64N_LEN], uint64_t wall_ns)
{
    uint64_t secs = LINK_TAI64_EPOCH + wall_ns / LINK_NS_PER_SEC;
    uint32_t nsec = (uint32_t)(wall_ns % LINK_NS_PER_SEC);

    for (int i = 0; i < 8; i++)
        out[i] = (uint8_t)(secs >> (56 - 8 * i));
    for (int i = 0; i < 4; i++)
        out[8 + i] = (uint8_t)(nsec >> (24 - 8 * i));
}

/* BLAKE2b-256(label || pub): the keys of mac1 and of cookie replies. */
static void link_labelled_key(uint8_t key[LINK_KEY_LEN], const char label[8],
                              const uint8_t pub[LINK_KEY_LEN])
{
    crypto_generichash_state st;

    crypto_generichash_init(&st, NULL, 0, LINK_KEY_LEN);
    crypto_generichash_update(&st, (const uint8_t *)label, 8);
    crypto_generichash_update(&st, pub, LINK_KEY_LEN);
    crypto_generichash_final(&st, key, LINK_KEY_LEN);
}

void link_mac1_key(uint8_t key[LINK_KEY_LEN], const uint8_t pub[LINK_KEY_LEN])
{
    link_labelled_key(key, LINK_MAC1_LABEL, pub);
}

void link_cookie_key(uint8_t key[LINK_KEY_LEN], const uint8_t pub[LINK_KEY_LEN])
{
    link_labelled_key(key, LINK_COOKIE_LABEL, pub);
}

void link_cookie(uint8_t out[LINK_COOKIE_LEN], const uint8_t secret[LINK_KEY_LEN],
                 const void *src, size_t src_len)
{
    crypto_generichash(out, LINK_COOKIE_LEN, src, src_len, secret, LINK_KEY_LEN);
}

void link_mac1(uint8_t out[LINK_MAC_LEN], const uint8_t key[LINK_KEY_LEN],
               const uint8_t *pkt, size_t len)
{
    crypto_generichash(out, LINK_MAC_LEN, pkt, len, key, LINK_KEY_LEN);
}

bool link_mac1_ok(const uint8_t key[LINK_KEY_LEN], const uint8_t *pkt, size_t len)
{
    uint8_t mac[LINK_MAC_LEN];
    size_t off;

    if (len < 2 * LINK_MAC_LEN)
        return false;
    off = len - 2 * LINK_MAC_LEN;
    link_mac1(mac, key, pkt, off);
    return sodium_memcmp(mac, pkt + off, LINK_MAC_LEN) == 0;
}

void link_put_macs(const uint8_t key[LINK_KEY_LEN], const uint8_t *cookie, uint8_t *pkt,
                   size_t len)
{
    link_mac1(pkt + len, key, pkt, len);
    if (cookie)
        crypto_generichash(pkt + len + LINK_MAC_LEN, LINK_MAC_LEN, pkt, len + LINK_MAC_LEN,
                           cookie, LINK_COOKIE_LEN);
    else
        memset(pkt + len + LINK_MAC_LEN, 0, LINK_MAC_LEN);
}

bool link_mac2_ok(const uint8_t cookie[LINK_COOKIE_LEN], const uint8_t *pkt, size_t len)
{
    uint8_t mac[LINK_MAC_LEN];
    size_t off;

    if (len < 2 * LINK_MAC_LEN)
        return false;
    off = len - LINK_MAC_LEN;
    crypto_generichash(mac, LINK_MAC_LEN, pkt, off, cookie, LINK_COOKIE_LEN);
    return sodium_memcmp(mac, pkt + off, LINK_MAC_LEN) == 0;
}
