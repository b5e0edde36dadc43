/* SPDX-License-Identifier: GPL-2.0-only */
#ifndef OVL_CRYPTO_TESTS_LINK_HARNESS_H
#define OVL_CRYPTO_TESTS_LINK_HARNESS_H

/*
 * DOC: link_harness — in-memory network of link_hosts with a fake clock
 *
 * Nodes 0..n-1 each own a link_host. hooks->send appends to one global
 * FIFO; the test delivers it (all, one by one, shuffled, or dropping
 * packets to a node) and advances the clock through the hosts' deadlines
 * with h_run_until(). Randomness is a per-node xorshift, so runs are
 * reproducible.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "crypto/link.h"
#include "lib/check.h"

#define SEC UINT64_C(1000000000)
#define MSEC UINT64_C(1000000)

enum { H_MAX_NODES = 6, H_MAX_STATES = 64 };

struct h_pkt {
    int from, to;
    uint64_t sent_at;
    size_t len;
    uint8_t *data;
};

struct h_node {
    int id;
    struct link_host *host;
    uint8_t priv[LINK_KEY_LEN], pub[LINK_KEY_LEN];
    struct link_peer *peer[H_MAX_NODES];
    uint64_t rng;
    /* delivered traffic */
    uint64_t rx_data, rx_keepalive;
    int last_rx_from;
    size_t last_rx_len;
    uint8_t last_rx[2048];
    void (*on_data)(struct h_node *n, int from, const uint8_t *d, size_t len);
    /* hooks->send_train calls (each queues its datagrams) and the last @seg */
    unsigned trains;
    size_t train_seg;
    /* Called from hooks->send after queueing (re-entry probe). */
    void (*on_send)(struct h_node *n, int to, const uint8_t *pkt, size_t len);
    /* hook behaviour and observations */
    bool accept_unknown;
    int accept_calls;
    const char *hs_payload;
    int hs_done_calls;
    int hs_done_result;
    char hs_done_seen[LINK_MAX_HANDSHAKE_PAYLOAD + 1];
    size_t hs_done_seen_len;
    /* Re-entrancy probes: called from inside the accept / handshake_done hooks. */
    void (*on_accept)(struct h_node *n, struct link_peer *peer);
    void (*on_hs_done)(struct h_node *n, struct link_peer *peer);
    int n_states;
    int state_from[H_MAX_STATES];
    enum link_state states[H_MAX_STATES];
    uint64_t state_at[H_MAX_STATES];
};

struct h_net {
    int n;
    struct h_node node[H_MAX_NODES];
    struct h_pkt *q;
    size_t qlen, qcap;
    uint64_t now;
    bool drop_to[H_MAX_NODES];
    bool shuffle;
    uint64_t rng;
    int last_rc;
    /* The sender of the packet being delivered, given to link_receive_from
     * as its source address (one byte: the node id); -1: no source. */
    int rx_from;
};

extern struct h_net H;

/* @know: every node adds every other as a peer. */
void h_init(int n, bool know);
void h_free(void);
/* Deliver everything queued, including what deliveries produce. Returns
 * the number of packets handed to link_receive(). */
size_t h_deliver_all(void);
/* Deliver queued packet @i (removing it); returns link_receive's result. */
int h_deliver_at(size_t i);
/* Remove queued packet @i into @out (caller frees out->data). */
void h_take(size_t i, struct h_pkt *out);
void h_drop_all(void);
/* Advance the clock to @t, firing every deadline on the way and
 * delivering packets instantly. */
void h_run_until(uint64_t t);
int h_send(int from, int to, const void *data, size_t len);
/* Handshake @a -> @b and deliver; true when both are LINK_UP. */
bool h_establish(int a, int b);
/* Raw receive on node @to (source: H.rx_from). */
int h_receive(int to, uint8_t *pkt, size_t len, struct link_rx *rx);
/* Raw receive on node @to from source address @from (a node id, or any
 * byte: a spoofed source; -1 none). */
int h_receive_from(int to, int from, uint8_t *pkt, size_t len, struct link_rx *rx);
uint64_t h_deadline(void);

/* test groups */
void test_link_timers(void);
void test_link_rtt(void);
void test_link_aead(void);
void test_link_cookie(void);
void test_link_frag(void);

#endif
