/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Test helper (netns-tests/37-enclaves-flood.sh): an admitted host that
 * misbehaves with control messages (issue 12, items 6 and 8). It opens a
 * link to one daemon with its own key, built on the project's link layer,
 * says it carries ENCLAVE, then does one of:
 *
 *   flood N    N datagrams, each packed with ENCLAVES + REQUEST TLVs;
 *              prints "sets S" (TLVs per datagram) and "answers K":
 *              ENCLAVES TLVs the daemon sent back
 *              from the first flood datagram until 2 s after the last
 *   claim MAC SEQ [COUNT]
 *              MAC_ANNOUNCE of MAC with SEQ (COUNT MACs: the last two
 *              bytes counted up from MAC's); prints "claimed COUNT"
 *
 * Usage: rogue_ctl KEYFILE PEER_PUBKEY IPV4:PORT ENCLAVE_ID MODE ARGS...
 * Exit 0 when the link came up and everything was sent, 1 otherwise.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>
#include <sodium.h>

#include "crypto/key.h"
#include "crypto/link.h"
#include "overlayd/datapath/inner.h"

struct rogue {
    int fd;
    struct sockaddr_in to;
    struct link_host *host;
    struct link_peer *peer;
    unsigned long answers;            /* ENCLAVES TLVs received */
    bool counting;
};

static uint64_t rogue_now(void)
{
    struct timespec t;

    clock_gettime(CLOCK_MONOTONIC, &t);
    return (uint64_t)t.tv_sec * 1000000000ull + (uint64_t)t.tv_nsec;
}

static void rogue_random(void *ctx, uint8_t *buf, size_t len)
{
    (void)ctx;
    randombytes_buf(buf, len);
}

static void rogue_send(void *ctx, struct link_peer *peer, const uint8_t *pkt, size_t len)
{
    struct rogue *r = ctx;

    (void)peer;
    (void)sendto(r->fd, pkt, len, 0, (const struct sockaddr *)&r->to, sizeof(r->to));
}

static void rogue_count(struct rogue *r, const uint8_t *data, size_t len)
{
    struct inner_reader rd;
    struct inner_tlv t;

    if (!r->counting || inner_ctl_reader(&rd, data, len) < 0)
        return;
    while (inner_ctl_next(&rd, &t) > 0)
        r->answers += t.type == INNER_TLV_ENCLAVES;
}

/* Receive and run timers until @until (ns). */
static void rogue_pump(struct rogue *r, uint64_t until)
{
    static uint8_t buf[65536];

    for (uint64_t now = rogue_now(); now < until; now = rogue_now()) {
        struct pollfd pfd = { .fd = r->fd, .events = POLLIN };
        struct link_rx rx;
        ssize_t n;

        link_host_on_timeout(r->host, now);
        if (poll(&pfd, 1, 10) <= 0)
            continue;
        n = recv(r->fd, buf, sizeof(buf), 0);
        if (n <= 0)
            continue;
        memset(&rx, 0, sizeof(rx));
        if (link_receive(r->host, rogue_now(), buf, (size_t)n, &rx) == 0 && rx.len)
            rogue_count(r, rx.data, rx.len);
    }
}

static int rogue_up(struct rogue *r, uint32_t enclave)
{
    uint8_t buf[64];
    struct inner_writer w;
    uint64_t deadline = rogue_now() + 10 * 1000000000ull;

    link_peer_connect(r->peer, rogue_now());
    while (link_peer_state(r->peer, rogue_now()) != LINK_UP) {
        if (rogue_now() > deadline)
            return -ETIMEDOUT;
        rogue_pump(r, rogue_now() + 50000000ull);
    }
    /* an honest hello first: we carry the enclave */
    inner_ctl_init(&w, buf, sizeof(buf));
    inner_ctl_enclaves(&w, INNER_ENCLAVES_REQUEST, &enclave, 1);
    link_peer_send(r->peer, rogue_now(), w.buf, w.len);
    rogue_pump(r, rogue_now() + 500000000ull);
    return 0;
}

static int rogue_flood(struct rogue *r, uint32_t enclave, unsigned n)
{
    uint8_t buf[INNER_CTL_MAX];
    struct inner_writer w;
    unsigned sets = 0;

    inner_ctl_init(&w, buf, sizeof(buf));
    while (inner_ctl_enclaves(&w, INNER_ENCLAVES_REQUEST, &enclave, 1) == 0)
        sets++;
    printf("sets %u\n", sets);
    r->counting = true;
    for (unsigned i = 0; i < n; i++) {
        if (link_peer_send(r->peer, rogue_now(), w.buf, w.len) < 0)
            return -EIO;
        rogue_pump(r, rogue_now() + 1000000ull);
    }
    rogue_pump(r, rogue_now() + 2000000000ull);
    printf("answers %lu\n", r->answers);
    return 0;
}

static int rogue_claim(struct rogue *r, uint32_t enclave, const char *mac_s, uint64_t seq,
                       unsigned count)
{
    uint8_t buf[INNER_CTL_MAX], mac[6];
    unsigned m[6], sent = 0;
    struct inner_writer w;

    if (sscanf(mac_s, "%x:%x:%x:%x:%x:%x", &m[0], &m[1], &m[2], &m[3], &m[4], &m[5]) != 6)
        return -EINVAL;
    for (int i = 0; i < 6; i++)
        mac[i] = (uint8_t)m[i];
    inner_ctl_init(&w, buf, sizeof(buf));
    for (unsigned i = 0; i < count; i++) {
        unsigned low = (m[4] << 8 | m[5]) + i;

        mac[4] = (uint8_t)(low >> 8);
        mac[5] = (uint8_t)low;
        if (inner_ctl_mac(&w, INNER_TLV_MAC_ANNOUNCE, enclave, mac, seq) < 0) {
            link_peer_send(r->peer, rogue_now(), w.buf, w.len);
            rogue_pump(r, rogue_now() + 1000000ull);
            inner_ctl_init(&w, buf, sizeof(buf));
            inner_ctl_mac(&w, INNER_TLV_MAC_ANNOUNCE, enclave, mac, seq);
        }
        sent++;
    }
    link_peer_send(r->peer, rogue_now(), w.buf, w.len);
    rogue_pump(r, rogue_now() + 500000000ull);
    printf("claimed %u\n", sent);
    return 0;
}

static int rogue_key(const char *path, uint8_t key[32])
{
    char line[128] = "";
    FILE *f = fopen(path, "r");

    if (!f)
        return -errno;
    if (!fgets(line, sizeof(line), f))
        line[0] = '\0';
    fclose(f);
    line[strcspn(line, "\r\n")] = '\0';
    return key_from_base64(key, line);
}

int main(int argc, char **argv)
{
    struct rogue r = { .fd = -1 };
    struct link_hooks hooks = { .ctx = &r, .random = rogue_random, .send = rogue_send };
    uint8_t priv[32], pub[32];
    char *colon;
    uint32_t enclave;
    int rc = -EINVAL;

    if (argc < 7 || sodium_init() < 0) {
        fprintf(stderr, "usage: rogue_ctl KEYFILE PEER_PUBKEY IPV4:PORT ENCLAVE_ID "
                        "flood N | claim MAC SEQ [COUNT]\n");
        return 1;
    }
    colon = strchr(argv[3], ':');
    if (rogue_key(argv[1], priv) < 0 || key_from_base64(pub, argv[2]) < 0 || !colon)
        return 1;
    *colon = '\0';
    r.to.sin_family = AF_INET;
    r.to.sin_port = htons((uint16_t)atoi(colon + 1));
    enclave = (uint32_t)strtoul(argv[4], NULL, 0);
    r.fd = socket(AF_INET, SOCK_DGRAM, 0);
    if (r.fd < 0 || inet_pton(AF_INET, argv[3], &r.to.sin_addr) != 1 ||
        connect(r.fd, (const struct sockaddr *)&r.to, sizeof(r.to)) < 0 ||
        link_host_new(&r.host, priv, &hooks, 0) < 0 ||
        link_peer_new(r.host, pub, NULL, &r.peer) < 0)
        return 1;
    if (rogue_up(&r, enclave) < 0) {
        fprintf(stderr, "rogue_ctl: the link did not come up\n");
        return 1;
    }
    if (strcmp(argv[5], "flood") == 0)
        rc = rogue_flood(&r, enclave, (unsigned)atoi(argv[6]));
    else if (strcmp(argv[5], "claim") == 0 && argc >= 8)
        rc = rogue_claim(&r, enclave, argv[6], strtoull(argv[7], NULL, 0),
                         argc > 8 ? (unsigned)atoi(argv[8]) : 1);
    link_host_free(r.host);
    close(r.fd);
    sodium_memzero(priv, sizeof(priv));
    return rc < 0 ? 1 : 0;
}
