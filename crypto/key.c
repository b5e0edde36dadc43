/* SPDX-License-Identifier: GPL-2.0-only */
#include "crypto/key.h"

#include <errno.h>
#include <string.h>

#include <sodium.h>

/* ASCII whitespace only: the C locale's isspace() set, locale-independent. */
static int key_is_space(char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f';
}

void key_to_base64(char out[KEY_B64_LEN + 1], const uint8_t k[KEY_LEN])
{
    sodium_bin2base64(out, KEY_B64_LEN + 1, k, KEY_LEN, sodium_base64_VARIANT_ORIGINAL);
}

int key_from_base64(uint8_t k[KEY_LEN], const char *s)
{
    char text[KEY_B64_LEN + 1], again[KEY_B64_LEN + 1];
    size_t start = 0, end, bin_len = 0;
    const char *stop = NULL;
    int r = -EINVAL;

    memset(k, 0, KEY_LEN);
    if (!s)
        return -EINVAL;
    end = strlen(s);
    while (start < end && key_is_space(s[start]))
        start++;
    while (end > start && key_is_space(s[end - 1]))
        end--;
    if (end - start != KEY_B64_LEN)
        return -EINVAL;
    memcpy(text, s + start, KEY_B64_LEN);
    text[KEY_B64_LEN] = '\0';

    if (text[KEY_B64_LEN - 1] != '=' || text[KEY_B64_LEN - 2] == '=')
        goto out;
    /* libsodium's decoder is constant time and rejects bad characters. */
    if (sodium_base642bin(k, KEY_LEN, text, KEY_B64_LEN, NULL, &bin_len, &stop,
                          sodium_base64_VARIANT_ORIGINAL) != 0 ||
        bin_len != KEY_LEN || stop != text + KEY_B64_LEN)
        goto out;
    /*
     * Canonical form: re-encoding must give the same text, which rejects
     * non-zero unused bits in the last character whatever the decoder
     * tolerates. sodium_memcmp keeps this constant time for private keys.
     */
    key_to_base64(again, k);
    if (sodium_memcmp(again, text, KEY_B64_LEN) != 0)
        goto out;
    r = 0;
out:
    if (r != 0)
        sodium_memzero(k, KEY_LEN);
    sodium_memzero(text, sizeof(text));
    sodium_memzero(again, sizeof(again));
    return r;
}

void key_clamp(uint8_t k[KEY_LEN])
{
    k[0] &= 248;
    k[31] &= 127;
    k[31] |= 64;
}

int key_public(uint8_t pub[KEY_LEN], const uint8_t priv[KEY_LEN])
{
    if (crypto_scalarmult_base(pub, priv) != 0)
        return -EINVAL;
    return 0;
}

int key_generate(uint8_t priv[KEY_LEN])
{
    if (sodium_init() < 0)
        return -EIO;
    randombytes_buf(priv, KEY_LEN);
    key_clamp(priv);
    return 0;
}
