/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Replays the published Noise test vectors (cacophony, snow) for
 * Noise_IK[pskN]_25519_ChaChaPoly_BLAKE2b through crypto/noise.c.
 * Usage: test_noise_vectors DIR   (every *.json file in DIR is read)
 */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "crypto/noise.h"
#include "json_min.h"
#include "lib/check.h"

/* A failed check ends the vector being checked. */
#define CHECK_OR_RETURN(...)                                              \
    do {                                                                  \
        if (!CHECK(__VA_ARGS__))                                          \
            return -1;                                                    \
    } while (0)

struct blob {
    uint8_t *p;
    size_t n;
};

static int hex_blob(struct blob *b, const char *hex)
{
    size_t len;

    b->p = NULL;
    b->n = 0;
    if (!hex)
        return -1;
    len = strlen(hex);
    if (len % 2)
        return -1;
    b->p = malloc(len / 2 + 1);
    if (!b->p)
        return -1;
    if (sodium_hex2bin(b->p, len / 2 + 1, hex, len, NULL, &b->n, NULL) != 0 || b->n != len / 2) {
        free(b->p);
        b->p = NULL;
        return -1;
    }
    return 0;
}

static int hex_key(uint8_t out[32], const char *hex)
{
    struct blob b;
    int ok;

    if (hex_blob(&b, hex) != 0)
        return -1;
    ok = b.n == 32;
    if (ok)
        memcpy(out, b.p, 32);
    free(b.p);
    return ok ? 0 : -1;
}

/* The psk position (-1: none) and the AEAD of @name, or -2: not a
 * pattern this implementation covers. */
static int psk_pos_of(const char *name, enum noise_aead *aead)
{
    for (int a = NOISE_AEAD_CHACHAPOLY; a <= NOISE_AEAD_AESGCM; a++) {
        char want[64];

        *aead = (enum noise_aead)a;
        snprintf(want, sizeof(want), "Noise_IK_25519_%s_BLAKE2b", noise_aead_name(*aead));
        if (strcmp(name, want) == 0)
            return -1;
        for (int i = 0; i < 3; i++) {
            snprintf(want, sizeof(want), "Noise_IKpsk%d_25519_%s_BLAKE2b", i,
                     noise_aead_name(*aead));
            if (strcmp(name, want) == 0)
                return i;
        }
    }
    return -2;
}

static int first_psk(uint8_t psk[32], const struct json_value *v, const char *key)
{
    const struct json_value *arr = json_get(v, key);

    if (!arr || arr->type != JSON_ARRAY || arr->n != 1 || arr->items[0]->type != JSON_STRING)
        return -1;
    return hex_key(psk, arr->items[0]->str);
}

/* Checks one message: sender produces the expected ciphertext, receiver the payload. */
static int check_handshake_msg(struct noise_handshake *tx, struct noise_handshake *rx,
                               const struct json_value *m, int idx)
{
    struct blob pl, ct;
    static uint8_t out[NOISE_MAX_MSG_LEN], back[NOISE_MAX_MSG_LEN];
    size_t out_len = 0, back_len = 0;
    int r, ok;

    if (hex_blob(&pl, json_get_str(m, "payload")) != 0 ||
        hex_blob(&ct, json_get_str(m, "ciphertext")) != 0) {
        free(pl.p);
        CHECK_OR_RETURN(0, "message %d: bad hex", idx);
    }
    r = noise_handshake_write(tx, pl.p, pl.n, out, sizeof(out), &out_len);
    ok = r == 0 && out_len == ct.n && memcmp(out, ct.p, ct.n) == 0;
    if (ok) {
        r = noise_handshake_read(rx, out, out_len, back, sizeof(back), &back_len);
        ok = r == 0 && back_len == pl.n && (pl.n == 0 || memcmp(back, pl.p, pl.n) == 0);
    }
    free(pl.p);
    free(ct.p);
    CHECK_OR_RETURN(ok, "handshake message %d (r=%d, len %zu)", idx, r, out_len);
    return 0;
}

static int check_transport_msg(enum noise_aead aead, const uint8_t *send_key,
                               const uint8_t *recv_key, uint64_t n,
                               const struct json_value *m, int idx)
{
    struct blob pl, ct;
    static uint8_t out[NOISE_MAX_MSG_LEN + NOISE_TAG_LEN], back[NOISE_MAX_MSG_LEN];
    static struct noise_key ks, kr;
    int ok, r = 0;

    if (hex_blob(&pl, json_get_str(m, "payload")) != 0 ||
        hex_blob(&ct, json_get_str(m, "ciphertext")) != 0) {
        free(pl.p);
        CHECK_OR_RETURN(0, "message %d: bad hex", idx);
    }
    ok = pl.n <= NOISE_MAX_MSG_LEN && ct.n == pl.n + NOISE_TAG_LEN;
    if (ok) {
        noise_seal(aead, send_key, n, NULL, 0, pl.p, pl.n, out);
        ok = memcmp(out, ct.p, ct.n) == 0;
    }
    if (ok) {
        r = noise_open(aead, recv_key, n, NULL, 0, ct.p, ct.n, back);
        ok = r == 0 && (pl.n == 0 || memcmp(back, pl.p, pl.n) == 0);
    }
    /* The expanded keys the links use must give the same bytes. */
    memcpy(ks.raw, send_key, NOISE_KEY_LEN);
    memcpy(kr.raw, recv_key, NOISE_KEY_LEN);
    if (ok)
        ok = noise_key_init(&ks, aead) == 0 && noise_key_init(&kr, aead) == 0;
    if (ok) {
        noise_key_seal(&ks, n, NULL, 0, pl.p, pl.n, out);
        ok = memcmp(out, ct.p, ct.n) == 0;
    }
    if (ok) {
        r = noise_key_open(&kr, n, NULL, 0, ct.p, ct.n, back);
        ok = r == 0 && (pl.n == 0 || memcmp(back, pl.p, pl.n) == 0);
    }
    if (ok && ct.n > 0) {
        ct.p[0] ^= 1;
        ok = noise_key_open(&kr, n, NULL, 0, ct.p, ct.n, back) == -EBADMSG;
    }
    free(pl.p);
    free(ct.p);
    CHECK_OR_RETURN(ok, "transport message %d (n=%llu, r=%d)", idx, (unsigned long long)n, r);
    return 0;
}

static int run_vector(const struct json_value *v, int psk_pos, enum noise_aead aead)
{
    struct noise_handshake ini, res;
    uint8_t i_s[32], i_e[32], i_rs[32], r_s[32], r_e[32], psk[32], i_pub[32], r_pub[32];
    uint8_t i_send[32], i_recv[32], r_send[32], r_recv[32];
    uint64_t n_ir = 0, n_ri = 0;
    struct blob ipro, rpro, hh = { NULL, 0 };
    const struct json_value *msgs = json_get(v, "messages");
    int r1, r2, ok;

    CHECK_OR_RETURN(hex_key(i_s, json_get_str(v, "init_static")) == 0 &&
          hex_key(i_e, json_get_str(v, "init_ephemeral")) == 0 &&
          hex_key(i_rs, json_get_str(v, "init_remote_static")) == 0 &&
          hex_key(r_s, json_get_str(v, "resp_static")) == 0 &&
          hex_key(r_e, json_get_str(v, "resp_ephemeral")) == 0, "bad key fields");
    CHECK_OR_RETURN(msgs && msgs->type == JSON_ARRAY && msgs->n >= 2, "no messages");
    if (psk_pos >= 0) {
        uint8_t rpsk[32];

        CHECK_OR_RETURN(first_psk(psk, v, "init_psks") == 0 && first_psk(rpsk, v, "resp_psks") == 0 &&
              memcmp(psk, rpsk, 32) == 0, "bad psks");
    }
    CHECK_OR_RETURN(noise_pubkey(i_pub, i_s) == 0 && noise_pubkey(r_pub, r_s) == 0, "pubkey");
    CHECK_OR_RETURN(memcmp(i_rs, r_pub, 32) == 0, "init_remote_static is not resp_static's public key");
    CHECK_OR_RETURN(hex_blob(&ipro, json_get_str(v, "init_prologue")) == 0, "init_prologue");
    if (hex_blob(&rpro, json_get_str(v, "resp_prologue")) != 0) {
        free(ipro.p);
        CHECK_OR_RETURN(0, "resp_prologue");
    }
    r1 = noise_handshake_init(&ini, NOISE_INITIATOR, ipro.p, ipro.n, i_s, i_rs,
                              psk_pos >= 0 ? psk : NULL, psk_pos, aead);
    r2 = noise_handshake_init(&res, NOISE_RESPONDER, rpro.p, rpro.n, r_s, NULL,
                              psk_pos >= 0 ? psk : NULL, psk_pos, aead);
    free(ipro.p);
    free(rpro.p);
    CHECK_OR_RETURN(r1 == 0 && r2 == 0, "init %d %d", r1, r2);
    noise_handshake_set_ephemeral(&ini, i_e);
    noise_handshake_set_ephemeral(&res, r_e);

    if (check_handshake_msg(&ini, &res, msgs->items[0], 0) != 0 ||
        check_handshake_msg(&res, &ini, msgs->items[1], 1) != 0)
        return -1;
    CHECK_OR_RETURN(ini.step == NOISE_STEP_DONE && res.step == NOISE_STEP_DONE, "steps");
    CHECK_OR_RETURN(noise_handshake_remote_static(&res) &&
          memcmp(noise_handshake_remote_static(&res), i_pub, 32) == 0, "responder learnt wrong static");
    CHECK_OR_RETURN(memcmp(noise_handshake_hash(&ini), noise_handshake_hash(&res), NOISE_HASH_LEN) == 0,
          "handshake hashes differ");
    if (json_get_str(v, "handshake_hash")) {
        CHECK_OR_RETURN(hex_blob(&hh, json_get_str(v, "handshake_hash")) == 0, "handshake_hash hex");
        ok = hh.n == NOISE_HASH_LEN && memcmp(hh.p, noise_handshake_hash(&ini), NOISE_HASH_LEN) == 0;
        free(hh.p);
        CHECK_OR_RETURN(ok, "handshake_hash mismatch");
    }
    CHECK_OR_RETURN(noise_handshake_split(&ini, i_send, i_recv) == 0 &&
          noise_handshake_split(&res, r_send, r_recv) == 0, "split");
    CHECK_OR_RETURN(memcmp(i_send, r_recv, 32) == 0 && memcmp(i_recv, r_send, 32) == 0, "split keys");
    noise_handshake_wipe(&ini);
    noise_handshake_wipe(&res);

    for (size_t i = 2; i < msgs->n; i++) {
        int r = i % 2 == 0
            ? check_transport_msg(aead, i_send, r_recv, n_ir++, msgs->items[i], (int)i)
            : check_transport_msg(aead, r_send, i_recv, n_ri++, msgs->items[i], (int)i);
        if (r != 0)
            return -1;
    }
    return 0;
}

static char *slurp(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    char *buf = NULL;
    long sz;

    if (!f)
        return NULL;
    if (fseek(f, 0, SEEK_END) == 0 && (sz = ftell(f)) >= 0 && fseek(f, 0, SEEK_SET) == 0 &&
        (buf = malloc((size_t)sz + 1)) && fread(buf, 1, (size_t)sz, f) == (size_t)sz) {
        buf[sz] = '\0';
        *len = (size_t)sz;
    } else {
        free(buf);
        buf = NULL;
    }
    fclose(f);
    return buf;
}

struct tally {
    int files, checked, plain, aesgcm, skipped;
};

static int run_file(const char *path, struct tally *t)
{
    size_t len = 0;
    char *text = slurp(path, &len);
    struct json_value *doc;
    const struct json_value *vecs;

    if (!text) {
        fprintf(stderr, "%s:%d: cannot read %s\n", __FILE__, __LINE__, path);
        check_failures++;
        return -1;
    }
    doc = json_parse(text, len);
    free(text);
    vecs = json_get(doc, "vectors");
    if (!vecs || vecs->type != JSON_ARRAY) {
        fprintf(stderr, "%s:%d: %s: not a vector file\n", __FILE__, __LINE__, path);
        check_failures++;
        json_free(doc);
        return -1;
    }
    for (size_t i = 0; i < vecs->n; i++) {
        const char *name = json_get_str(vecs->items[i], "protocol_name");
        enum noise_aead aead = NOISE_AEAD_CHACHAPOLY;
        int pos = name ? psk_pos_of(name, &aead) : -2;

        /* The full files hold every pattern; only IK over 25519/BLAKE2b is ours. */
        if (pos == -2 || !noise_aead_available(aead)) {
            t->skipped++;
            continue;
        }
        if (run_vector(vecs->items[i], pos, aead) == 0) {
            printf("ok: %s (%s #%zu)\n", name, path, i);
            t->checked++;
            t->plain += pos == -1;
            t->aesgcm += aead == NOISE_AEAD_AESGCM;
        } else {
            printf("FAILED: %s (%s #%zu)\n", name, path, i);
        }
    }
    json_free(doc);
    return 0;
}

/* The wiki-format files: the extracts (.json) and the full upstream files (.txt). */
static bool is_vector_file(const char *name)
{
    size_t n = strlen(name);

    return n >= 5 && (strcmp(name + n - 5, ".json") == 0 ||
                      (strcmp(name + n - 4, ".txt") == 0 && strcmp(name, "SOURCES.txt") != 0));
}

int main(int argc, char **argv)
{
    struct tally t = { 0 };
    struct dirent *de;
    DIR *dir;

    if (sodium_init() < 0)
        return 1;
    if (argc != 2) {
        fprintf(stderr, "usage: %s VECTOR_DIR\n", argv[0]);
        return 1;
    }
    dir = opendir(argv[1]);
    if (!dir) {
        printf("**********************************************************\n"
               "SKIPPED: test vectors not found at %s (%s)\n"
               "**********************************************************\n",
               argv[1], strerror(errno));
        return 77;
    }
    while ((de = readdir(dir))) {
        char path[4096];

        if (!is_vector_file(de->d_name))
            continue;
        snprintf(path, sizeof(path), "%s/%s", argv[1], de->d_name);
        t.files++;
        run_file(path, &t);
    }
    closedir(dir);
    printf("%d files, %d vectors checked (%d plain IK, %d AESGCM), %d skipped, %d failures\n",
           t.files, t.checked, t.plain, t.aesgcm, t.skipped, check_failures);
    if (t.plain == 0) {
        fprintf(stderr, "%s:%d: no plain Noise_IK vector found in %s\n", __FILE__, __LINE__, argv[1]);
        return 1;
    }
    /* On a CPU with AES-NI the AESGCM suite must have been checked too. */
    if (noise_aead_available(NOISE_AEAD_AESGCM) && t.aesgcm == 0) {
        fprintf(stderr, "%s:%d: no Noise_IK AESGCM vector found in %s\n", __FILE__, __LINE__, argv[1]);
        return 1;
    }
    return check_failures ? 1 : 0;
}
