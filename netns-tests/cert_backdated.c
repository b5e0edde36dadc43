/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * cert_backdated — a test helper for the netns scenarios: prints a host
 * certificate (the text form `overlayctl cert issue` writes) whose validity
 * ended SECONDS ago, signed by the authority in CA_DIR. `overlayctl cert
 * issue --valid` only looks ahead; a scenario that needs a certificate that
 * is already expired uses this instead of waiting for one to expire.
 *
 *   cert_backdated CA_DIR NAME PUBKEY ENCLAVES SECONDS
 *
 * ENCLAVES as for --enclaves ("*" or "100,200"). Exit 0, or 1 with a line
 * on stderr.
 */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <sodium.h>

#include "crypto/cert.h"
#include "crypto/key.h"

static int fail(const char *what, const char *detail)
{
    fprintf(stderr, "cert_backdated: %s%s%s\n", what, detail ? ": " : "", detail ? detail : "");
    return 1;
}

/* One base64 key from the first line of @path. */
static int read_key(const char *path, uint8_t k[KEY_LEN])
{
    char line[128];
    FILE *f = fopen(path, "r");
    int ret = -1;

    if (!f)
        return -1;
    if (fgets(line, sizeof(line), f)) {
        line[strcspn(line, "\r\n")] = '\0';
        ret = key_from_base64(k, line);
    }
    sodium_memzero(line, sizeof(line));
    fclose(f);
    return ret;
}

int main(int argc, char **argv)
{
    uint8_t seed[CERT_SEED_LEN], pk[CERT_KEY_LEN], sk[CERT_SECRET_LEN];
    uint8_t host_pub[CERT_KEY_LEN], buf[CERT_MAX_LEN];
    uint32_t ids[CERT_MAX_ENCLAVES];
    char path[4096], why[160], text[CERT_TEXT_MAX], *end;
    struct cert_fields f = {0};
    struct cert c;
    size_t n_ids = 0, len;
    bool all = true;
    unsigned long long ago;
    uint64_t now;
    int ret;

    if (argc != 6)
        return fail("usage: cert_backdated CA_DIR NAME PUBKEY ENCLAVES SECONDS", NULL);
    if (sodium_init() < 0)
        return fail("sodium_init failed", NULL);
    ago = strtoull(argv[5], &end, 10);
    now = (uint64_t)time(NULL);
    if (*argv[5] == '\0' || *end != '\0' || ago == 0 || ago >= now / 2)
        return fail("bad SECONDS", argv[5]);
    snprintf(path, sizeof(path), "%s/authority.key", argv[1]);
    if (read_key(path, seed) < 0)
        return fail("cannot read the authority key", path);
    crypto_sign_seed_keypair(pk, sk, seed);
    sodium_memzero(seed, sizeof(seed));
    if (key_from_base64(host_pub, argv[3]) < 0)
        return fail("bad PUBKEY", argv[3]);
    if (cert_parse_enclave_list(argv[4], &all, ids, CERT_MAX_ENCLAVES, &n_ids, why,
                                sizeof(why)) < 0)
        return fail("bad ENCLAVES", why);

    f.serial = 0;
    while (f.serial == 0)
        randombytes_buf(&f.serial, sizeof(f.serial));
    /* Valid for a day that ended @ago seconds ago. */
    f.not_after = now - ago;
    f.not_before = f.not_after - 86400;
    f.name = argv[2];
    f.host_pub = host_pub;
    f.all_enclaves = all;
    f.enclaves = ids;
    f.n_enclaves = n_ids;
    ret = cert_sign(&f, sk, buf, sizeof(buf), &len);
    sodium_memzero(sk, sizeof(sk));
    if (ret < 0)
        return fail("cannot sign", cert_strerror(ret));
    ret = cert_parse(buf, len, &c);
    if (ret == 0)
        ret = cert_to_text(&c, text, sizeof(text));
    if (ret < 0)
        return fail("internal error", cert_strerror(ret));
    fputs(text, stdout);
    return fflush(stdout) == 0 ? 0 : 1;
}
