/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Link sessions: handshake packets around crypto/noise.c, transport data,
 * keypair rotation and the outbound queue. When to do what (rekey,
 * keepalive, retry, expiry) is decided in timers.c; this file reports
 * facts to it and carries out its actions. Wire format: docs/protocol.md.
 */
#include "crypto/link.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "crypto/link_internal.h"

static int link_drop(struct link_host *host, enum link_drop why)
{
    struct link_counters *c = &host->counters;

    switch (why) {
    case LINK_DROP_MALFORMED: c->drop_malformed++; break;
    case LINK_DROP_AUTH: c->drop_auth++; break;
    case LINK_DROP_REPLAY: c->drop_replay++; break;
    case LINK_DROP_UNKNOWN_PEER: c->drop_unknown_peer++; break;
    case LINK_DROP_EXPIRED: c->drop_expired++; break;
    case LINK_DROP_RATELIMIT: c->drop_ratelimit++; break;
    case LINK_DROP_CIPHER: c->drop_cipher++; break;
    case LINK_DROP_COOKIE: c->drop_cookie++; break;
    case LINK_DROP_FRAG_MALFORMED: c->drop_frag_malformed++; break;
    }
    return -(int)why;
}

/* ------------------------------------------------------------------ */
/* Keypairs, handshake state, queue                                    */

static void link_keypair_free(struct link_host *host, struct link_keypair *kp)
{
    if (!kp)
        return;
    link_index_remove(&host->idx, kp->local_index);
    secpool_put(&host->kp_pool, kp);
}

static struct link_keypair *link_keypair_alloc(struct link_peer *peer, uint64_t now,
                                               bool initiator)
{
    struct link_keypair *kp = secpool_get(&peer->host->kp_pool);

    if (!kp)
        return NULL;
    kp->peer = peer;
    kp->birth = now;
    kp->initiator = initiator;
    replay_init(&kp->replay);
    return kp;
}

/* The transport keys of a finished handshake, expanded for kp->aead. */
static int link_keypair_split(struct link_keypair *kp, struct noise_handshake *hs)
{
    int r = noise_handshake_split(hs, kp->send_key.raw, kp->recv_key.raw);

    if (!r)
        r = noise_key_init(&kp->send_key, kp->aead);
    if (!r)
        r = noise_key_init(&kp->recv_key, kp->aead);
    return r;
}

/* Frees the in-flight handshake; @keep_index when the index moved to a keypair. */
static void link_handshake_release(struct link_peer *peer, bool keep_index)
{
    struct link_handshake *hs = peer->hs;

    if (!hs)
        return;
    if (!keep_index)
        link_index_remove(&peer->host->idx, hs->local_index);
    noise_handshake_wipe(&hs->noise);
    secpool_put(&peer->host->hs_pool, hs);
    peer->hs = NULL;
}

static void link_queue_clear(struct link_peer *peer)
{
    while (peer->q_len) {
        struct link_qpkt *q = peer->queue[peer->q_head];

        sodium_memzero(q->data, q->len);
        free(q);
        peer->queue[peer->q_head] = NULL;
        peer->q_head = (peer->q_head + 1) % LINK_QUEUE_MAX;
        peer->q_len--;
    }
    peer->q_head = 0;
}

static int link_queue_push(struct link_peer *peer, const uint8_t *data, size_t len)
{
    struct link_qpkt *q = malloc(sizeof(*q) + len);

    if (!q)
        return -ENOMEM;
    q->len = len;
    memcpy(q->data, data, len);
    if (peer->q_len == LINK_QUEUE_MAX) {     /* drop the oldest */
        struct link_qpkt *old = peer->queue[peer->q_head];

        sodium_memzero(old->data, old->len);
        free(old);
        peer->q_head = (peer->q_head + 1) % LINK_QUEUE_MAX;
        peer->q_len--;
    }
    peer->queue[(peer->q_head + peer->q_len) % LINK_QUEUE_MAX] = q;
    peer->q_len++;
    return 0;
}

/* ------------------------------------------------------------------ */
/* Sending                                                             */

void link_data_seal(struct link_keypair *kp, const uint8_t *data, size_t len, uint8_t *pkt)
{
    static const uint8_t empty[1];

    link_put_header(pkt, LINK_MSG_DATA);
    link_put_le32(pkt + 4, kp->remote_index);
    link_put_le64(pkt + 8, kp->send_counter);
    /* The header is associated data: no header byte can be altered. */
    noise_key_seal(&kp->send_key, kp->send_counter, pkt, LINK_DATA_HEADER_LEN,
                   len ? data : empty, len, pkt + LINK_DATA_HEADER_LEN);
    kp->send_counter++;
}

/* Returns 0 or -ENOMEM (fragments: nothing sent). */
static int link_seal_send(struct link_peer *peer, struct link_keypair *kp, uint64_t now,
                          const uint8_t *data, size_t len)
{
    struct link_host *host = peer->host;

    if (link_frag_count(host, len + LINK_DATA_OVERHEAD) > 1) {
        int r = link_frag_send(peer, kp, data, len);

        if (r)
            return r;
    } else {
        link_data_seal(kp, data, len, host->pktbuf);
        host->hooks.send(host->hooks.ctx, peer, host->pktbuf, len + LINK_DATA_OVERHEAD);
    }
    link_timers_any_sent(peer, now);
    if (len)
        link_timers_data_sent(peer, now);
    return 0;
}

static struct link_keypair *link_send_keypair(struct link_peer *peer, uint64_t now)
{
    struct link_keypair *kp = peer->kp_cur;

    return kp && link_timers_keypair_usable_send(kp, now) ? kp : NULL;
}

static void link_queue_flush(struct link_peer *peer, uint64_t now)
{
    struct link_keypair *kp;

    while (peer->q_len && (kp = link_send_keypair(peer, now))) {
        struct link_qpkt *q = peer->queue[peer->q_head];

        peer->queue[peer->q_head] = NULL;
        peer->q_head = (peer->q_head + 1) % LINK_QUEUE_MAX;
        peer->q_len--;
        /* Out of memory for its fragments: lost, like a full queue's oldest. */
        (void)link_seal_send(peer, kp, now, q->data, q->len);
        sodium_memzero(q->data, q->len);
        free(q);
    }
}

/*
 * The payload is assembled on the stack, not in host->scratch_payload: this
 * runs from inside hooks (a handshake_done or accept hook calling
 * link_peer_send or link_peer_connect) while link_rx_init still needs the
 * incoming timestamp there, and the handshake_payload hook may itself send
 * to another peer.
 */
/*
 * AES-GCM only to a host whose own authenticated initiation offered it
 * (a first contact is always ChaChaPoly), and not again after such an
 * initiation went unanswered: that host may have stopped offering it.
 */
static enum noise_aead link_choose_aead(struct link_peer *peer, bool retry)
{
    if (retry && peer->hs && peer->hs->aead == NOISE_AEAD_AESGCM)
        peer->remote_aesgcm = false;
    return peer->host->aesgcm && peer->remote_aesgcm ? NOISE_AEAD_AESGCM : NOISE_AEAD_CHACHAPOLY;
}

int link_send_initiation(struct link_peer *peer, uint64_t now, bool retry)
{
    struct link_host *host = peer->host;
    uint8_t pl[LINK_TAI64N_LEN + LINK_MAX_HANDSHAKE_PAYLOAD], *pkt = host->pktbuf;
    uint8_t eph[NOISE_DH_LEN], pro[LINK_HS_PROLOGUE_MAX], hdr[4];
    enum noise_aead aead = link_choose_aead(peer, retry);
    size_t ext = 0, mlen = 0;
    struct link_handshake *hs;
    int r;

    link_handshake_release(peer, false);
    hs = secpool_get(&host->hs_pool);
    if (!hs)
        return -ENOMEM;
    hs->aead = aead;
    link_put_header(hdr, LINK_MSG_INIT);
    hdr[1] = (uint8_t)aead;
    hdr[2] = host->aesgcm ? LINK_CAP_AESGCM : 0;
    r = noise_handshake_init_pub(&hs->noise, NOISE_INITIATOR, pro, link_hs_prologue(pro, hdr),
                                 host->priv, host->pub, peer->pub, NULL, -1, aead);
    if (!r)
        r = link_index_add(host, LINK_IDX_HANDSHAKE, peer, NULL, &hs->local_index);
    if (r) {
        noise_handshake_wipe(&hs->noise);
        secpool_put(&host->hs_pool, hs);
        return r;
    }
    peer->hs = hs;
    host->hooks.random(host->hooks.ctx, eph, sizeof(eph));
    noise_handshake_set_ephemeral(&hs->noise, eph);
    sodium_memzero(eph, sizeof(eph));

    link_tai64n(pl, host->wall_offset_ns + now);
    if (host->hooks.handshake_payload)
        ext = host->hooks.handshake_payload(host->hooks.ctx, peer, pl + LINK_TAI64N_LEN,
                                            LINK_MAX_HANDSHAKE_PAYLOAD);
    if (ext > LINK_MAX_HANDSHAKE_PAYLOAD)
        r = -EMSGSIZE;
    /* After the hook: it may itself send, through pktbuf. */
    memcpy(pkt, hdr, sizeof(hdr));
    link_put_le32(pkt + 4, hs->local_index);
    if (!r)
        r = noise_handshake_write(&hs->noise, pl, LINK_TAI64N_LEN + ext, pkt + LINK_INIT_HDR_LEN,
                                  LINK_INIT_MAX_LEN - LINK_INIT_HDR_LEN - 2 * LINK_MAC_LEN, &mlen);
    sodium_memzero(pl, sizeof(pl));
    if (r) {
        link_handshake_release(peer, false);
        return r;
    }
    link_put_macs(peer->mac1_key, link_cookie_for(peer, now), pkt, LINK_INIT_HDR_LEN + mlen);
    memcpy(peer->last_mac1, pkt + LINK_INIT_HDR_LEN + mlen, LINK_MAC_LEN);
    peer->sent_mac1 = true;
    hs->sent_at = now;
    host->counters.handshakes_initiated++;
    link_timers_handshake_initiated(peer, now, retry);
    link_timers_any_sent(peer, now);
    host->hooks.send(host->hooks.ctx, peer, pkt, LINK_INIT_HDR_LEN + mlen + 2 * LINK_MAC_LEN);
    link_report_state(peer, now);
    return 0;
}

static int link_maybe_initiate(struct link_peer *peer, uint64_t now)
{
    return link_timers_may_initiate(peer, now) ? link_send_initiation(peer, now, false) : 0;
}

int link_peer_send(struct link_peer *peer, uint64_t now, const uint8_t *data, size_t len)
{
    struct link_keypair *kp;
    int r = 0;

    if (len > LINK_MAX_PAYLOAD ||
        link_frag_count(peer->host, len + LINK_DATA_OVERHEAD) > LINK_FRAG_MAX)
        return -EMSGSIZE;
    kp = link_send_keypair(peer, now);
    if (kp) {
        r = link_seal_send(peer, kp, now, data, len);
        if (!r && link_timers_rekey_on_send(peer, now))
            r = link_maybe_initiate(peer, now);
    } else {
        /* A keepalive without a session only asks for the handshake. */
        if (len)
            r = link_queue_push(peer, data, len);
        if (!r)
            r = link_maybe_initiate(peer, now);
    }
    link_report_state(peer, now);
    return r;
}

void link_send_keepalive(struct link_peer *peer, uint64_t now)
{
    (void)link_peer_send(peer, now, NULL, 0);
}

int link_peer_connect(struct link_peer *peer, uint64_t now)
{
    int r = 0;

    if (!link_timers_session_fresh(peer, now))
        r = link_maybe_initiate(peer, now);
    link_report_state(peer, now);
    return r;
}

int link_peer_rekey_now(struct link_peer *peer, uint64_t now)
{
    int r = link_maybe_initiate(peer, now);

    link_report_state(peer, now);
    return r;
}

int link_peer_retry_now(struct link_peer *peer, uint64_t now)
{
    /* A retry: the attempt (and its REKEY_ATTEMPT_TIME) goes on. */
    return peer->hs ? link_send_initiation(peer, now, true) : 0;
}

void link_give_up_handshake(struct link_peer *peer)
{
    link_handshake_release(peer, false);
    link_queue_clear(peer);
}

/* An initiation in flight (and the data queued behind it) is left to its
 * own retry timer: it is newer than the keys being wiped. */
void link_zero_keys(struct link_peer *peer)
{
    struct link_host *host = peer->host;

    link_keypair_free(host, peer->kp_prev);
    link_keypair_free(host, peer->kp_cur);
    link_keypair_free(host, peer->kp_next);
    peer->kp_prev = peer->kp_cur = peer->kp_next = NULL;
    if (!peer->hs)
        link_queue_clear(peer);
}

void link_report_state(struct link_peer *peer, uint64_t now)
{
    enum link_state st = link_timers_state(peer, now);
    struct link_hooks *h = &peer->host->hooks;

    if (st == peer->reported)
        return;
    peer->reported = st;
    if (h->state_changed)
        h->state_changed(h->ctx, peer, st);
}

/* ------------------------------------------------------------------ */
/* Receiving                                                           */

/*
 * Responder, first half: read the initiation in host->scratch_hs and decide
 * whether to answer it. Returns 0 with *@peerp set, or the LINK_DROP_*
 * reason. The order keeps the cheap checks before the costly ones.
 */
static int link_init_accept(struct link_host *host, uint64_t now, const uint8_t *pkt,
                            size_t len, size_t *pl_len, struct link_peer **peerp)
{
    struct noise_handshake *hs = host->scratch_hs;
    uint8_t *pl = host->scratch_payload, pro[LINK_HS_PROLOGUE_MAX];
    const uint8_t *rs;
    struct link_peer *peer;
    int r;

    if (pkt[1] > NOISE_AEAD_AESGCM || (pkt[2] & ~LINK_CAP_AESGCM) || pkt[3])
        return LINK_DROP_MALFORMED;
    if (pkt[1] == NOISE_AEAD_AESGCM && !host->aesgcm)
        return LINK_DROP_CIPHER;
    r = noise_handshake_init_pub(hs, NOISE_RESPONDER, pro, link_hs_prologue(pro, pkt),
                                 host->priv, host->pub, NULL, NULL, -1, (enum noise_aead)pkt[1]);
    if (!r)
        r = noise_handshake_read(hs, pkt + LINK_INIT_HDR_LEN, len - LINK_INIT_HDR_LEN - 2 * LINK_MAC_LEN,
                                 pl, LINK_TAI64N_LEN + LINK_MAX_HANDSHAKE_PAYLOAD, pl_len);
    if (r || *pl_len < LINK_TAI64N_LEN)
        return LINK_DROP_AUTH;
    rs = noise_handshake_remote_static(hs);
    peer = link_peer_find(host, rs);
    if (!peer && host->hooks.accept) {
        peer = host->hooks.accept(host->hooks.ctx, rs, pl + LINK_TAI64N_LEN,
                                  *pl_len - LINK_TAI64N_LEN);
        if (peer && (peer->host != host || sodium_memcmp(peer->pub, rs, LINK_KEY_LEN)))
            peer = NULL;
    }
    if (!peer)
        return LINK_DROP_UNKNOWN_PEER;
    if (memcmp(pl, peer->last_ts, LINK_TAI64N_LEN) <= 0)
        return LINK_DROP_REPLAY;
    if (!link_timers_accept_initiation_rate(peer, now))
        return LINK_DROP_RATELIMIT;
    if (host->hooks.handshake_done &&
        host->hooks.handshake_done(host->hooks.ctx, peer, pl + LINK_TAI64N_LEN,
                                   *pl_len - LINK_TAI64N_LEN) < 0)
        return LINK_DROP_AUTH;
    *peerp = peer;
    return 0;
}

/*
 * Responder, second half: derive the next keypair and send the response.
 * Returns 0 or a negative errno (nothing installed then).
 */
static int link_init_respond(struct link_host *host, uint64_t now, const uint8_t *pkt,
                             struct link_peer *peer, size_t pl_len)
{
    struct noise_handshake *hs = host->scratch_hs;
    uint8_t *pl = host->scratch_payload, *out = host->pktbuf;
    struct link_keypair *kp = link_keypair_alloc(peer, now, false);
    size_t ext = 0, mlen = 0;
    int r;

    if (kp)
        kp->aead = (enum noise_aead)pkt[1];
    r = kp ? link_index_add(host, LINK_IDX_KEYPAIR, peer, kp, &kp->local_index) : -ENOMEM;
    if (r) {
        secpool_put(&host->kp_pool, kp);
        return r;
    }
    kp->remote_index = link_get_le32(pkt + 4);
    sodium_memzero(pl, pl_len);
    if (host->hooks.handshake_payload)
        ext = host->hooks.handshake_payload(host->hooks.ctx, peer, pl, LINK_MAX_HANDSHAKE_PAYLOAD);
    r = ext > LINK_MAX_HANDSHAKE_PAYLOAD ? -EMSGSIZE : 0;
    link_put_header(out, LINK_MSG_RESPONSE);
    link_put_le32(out + 4, kp->local_index);
    link_put_le32(out + 8, kp->remote_index);
    if (!r)
        r = noise_handshake_write(hs, pl, ext, out + LINK_RESP_HDR_LEN,
                                  LINK_RESP_MAX_LEN - LINK_RESP_HDR_LEN - 2 * LINK_MAC_LEN, &mlen);
    if (!r)
        r = link_keypair_split(kp, hs);
    if (r) {
        link_keypair_free(host, kp);
        return r;
    }
    link_put_macs(peer->mac1_key, NULL, out, LINK_RESP_HDR_LEN + mlen);
    /* Not usable for sending until the initiator proves it has it. */
    link_keypair_free(host, peer->kp_next);
    peer->kp_next = kp;
    link_timers_any_received(peer, now);
    link_timers_session_derived(peer, now);
    link_timers_any_sent(peer, now);
    host->hooks.send(host->hooks.ctx, peer, out, LINK_RESP_HDR_LEN + mlen + 2 * LINK_MAC_LEN);
    return 0;
}

static int link_rx_init(struct link_host *host, uint64_t now, const uint8_t *pkt, size_t len,
                        const void *src, size_t src_len, struct link_rx *rx)
{
    uint8_t *pl = host->scratch_payload;
    struct link_peer *peer = NULL;
    size_t pl_len = 0;
    int drop, r = 0;

    if (len < LINK_INIT_MIN_LEN || len > LINK_INIT_MAX_LEN)
        return link_drop(host, LINK_DROP_MALFORMED);
    /* mac1 first: junk costs one BLAKE2b, never a DH. */
    if (!link_mac1_ok(host->mac1_key, pkt, len))
        return link_drop(host, LINK_DROP_AUTH);
    /* Then, under load, mac2: a flood from spoofed sources costs no DH. */
    if (link_cookie_under_load(host, now) && src &&
        (drop = link_cookie_check(host, now, pkt, len, src, src_len)))
        return link_drop(host, drop);
    drop = link_init_accept(host, now, pkt, len, &pl_len, &peer);
    if (!drop) {
        memcpy(peer->last_ts, pl, LINK_TAI64N_LEN);
        peer->last_init_accepted = now;
        peer->has_init_accepted = true;
        peer->remote_aesgcm = pkt[2] & LINK_CAP_AESGCM;
        r = link_init_respond(host, now, pkt, peer, pl_len);
        if (!r) {
            rx->peer = peer;
            link_report_state(peer, now);
        }
    }
    /* One exit for every path: the handshake state and payload are wiped. */
    noise_handshake_wipe(host->scratch_hs);
    sodium_memzero(pl, LINK_TAI64N_LEN + LINK_MAX_HANDSHAKE_PAYLOAD);
    if (drop)
        return link_drop(host, drop);
    return r;
}

/* Initiator: previous <- (next if a simultaneous handshake left one, else current). */
static void link_install_initiator(struct link_peer *peer, struct link_keypair *kp)
{
    struct link_host *host = peer->host;

    link_keypair_free(host, peer->kp_prev);
    if (peer->kp_next) {
        link_keypair_free(host, peer->kp_cur);
        peer->kp_prev = peer->kp_next;
        peer->kp_next = NULL;
    } else {
        peer->kp_prev = peer->kp_cur;
    }
    peer->kp_cur = kp;
}

/*
 * The session just installed is ChaChaPoly although both hosts offer
 * AES-GCM: initiate again, choosing it. Only a host that has read the
 * other's offer (in an initiation) can: on a first contact that is the
 * responder, once the initiator confirmed the session; after crossing
 * initiations both may, and both new sessions are AES-GCM. The old
 * session carries data meanwhile.
 */
/* An initiation of ours still in flight is ChaChaPoly (sent before we
 * knew the offer) and moot (a session is up): the upgrade replaces it. */
bool link_aead_upgrade_wanted(const struct link_peer *peer)
{
    return peer->kp_cur && peer->kp_cur->aead == NOISE_AEAD_CHACHAPOLY && peer->host->aesgcm &&
           peer->remote_aesgcm && !(peer->hs && peer->hs->aead == NOISE_AEAD_AESGCM);
}

static void link_maybe_upgrade(struct link_peer *peer, uint64_t now)
{
    uint64_t due = peer->t.initiated ? peer->t.last_initiation + AEAD_UPGRADE_GAP : now;

    if (!link_aead_upgrade_wanted(peer))
        return;
    if (due <= now)
        (void)link_send_initiation(peer, now, false);
    else
        peer->t.upgrade = due;
}

static int link_rx_response(struct link_host *host, uint64_t now, const uint8_t *pkt, size_t len,
                            struct link_rx *rx)
{
    struct noise_handshake *tmp = host->scratch_hs;
    uint8_t *pl = host->scratch_payload;
    struct link_index_entry *e;
    struct link_peer *peer;
    struct link_keypair *kp;
    size_t pl_len = 0;
    int drop = 0, r;

    if (len < LINK_RESP_MIN_LEN || len > LINK_RESP_MAX_LEN)
        return link_drop(host, LINK_DROP_MALFORMED);
    if (!link_mac1_ok(host->mac1_key, pkt, len))
        return link_drop(host, LINK_DROP_AUTH);
    e = link_index_lookup(&host->idx, link_get_le32(pkt + 8));
    if (!e || e->kind != LINK_IDX_HANDSHAKE)
        return link_drop(host, LINK_DROP_UNKNOWN_PEER);
    peer = e->peer;
    /* Read on a copy: a forged response must not kill our handshake. */
    memcpy(tmp, &peer->hs->noise, sizeof(*tmp));
    r = noise_handshake_read(tmp, pkt + LINK_RESP_HDR_LEN, len - LINK_RESP_HDR_LEN - 2 * LINK_MAC_LEN,
                             pl, LINK_MAX_HANDSHAKE_PAYLOAD, &pl_len);
    if (r) {
        drop = LINK_DROP_AUTH;
        goto out;
    }
    if (host->hooks.handshake_done &&
        host->hooks.handshake_done(host->hooks.ctx, peer, pl, pl_len) < 0) {
        drop = LINK_DROP_AUTH;
        goto out;
    }
    /* The hook may have changed the table (peers added): look up again. */
    e = link_index_lookup(&host->idx, link_get_le32(pkt + 8));
    if (!e || e->kind != LINK_IDX_HANDSHAKE || e->peer != peer) {
        drop = LINK_DROP_UNKNOWN_PEER;
        goto out;
    }
    kp = link_keypair_alloc(peer, now, true);
    if (!kp) {
        r = -ENOMEM;
        goto out;
    }
    kp->aead = peer->hs->aead;
    r = link_keypair_split(kp, tmp);
    if (r) {
        secpool_put(&peer->host->kp_pool, kp);
        goto out;
    }
    /* The handshake's index becomes the keypair's: the peer already uses it. */
    kp->local_index = peer->hs->local_index;
    kp->remote_index = link_get_le32(pkt + 4);
    /* peer->hs is the initiation this response answers (found by its index). */
    link_timers_rtt_sample(peer, peer->hs->sent_at, now, false);
    e->kind = LINK_IDX_KEYPAIR;
    e->keypair = kp;
    link_handshake_release(peer, true);
    link_install_initiator(peer, kp);
    peer->last_handshake = now;
    host->counters.handshakes_completed++;
    link_timers_any_received(peer, now);
    link_timers_handshake_complete(peer, now);
    link_timers_session_derived(peer, now);
    rx->peer = peer;
    /* Confirm the session to the responder at once: queued data or a keepalive. */
    if (peer->q_len)
        link_queue_flush(peer, now);
    else
        link_send_keepalive(peer, now);
    link_maybe_upgrade(peer, now);
    link_report_state(peer, now);
out:
    noise_handshake_wipe(tmp);
    sodium_memzero(pl, LINK_TAI64N_LEN + LINK_MAX_HANDSHAKE_PAYLOAD);
    return drop ? link_drop(host, drop) : r;
}

static void link_promote_next(struct link_peer *peer, uint64_t now)
{
    link_keypair_free(peer->host, peer->kp_prev);
    peer->kp_prev = peer->kp_cur;
    peer->kp_cur = peer->kp_next;
    peer->kp_next = NULL;
    peer->last_handshake = now;
    peer->host->counters.handshakes_completed++;
    link_timers_handshake_complete(peer, now);
}

/* A type 4 datagram, or the type 4 packet its fragments made. */
static int link_rx_data(struct link_host *host, uint64_t now, uint8_t *pkt, size_t len,
                        struct link_rx *rx)
{
    struct link_index_entry *e;
    struct link_keypair *kp;
    struct link_peer *peer;
    uint64_t counter;
    size_t plen;
    int r;

    if (len < LINK_DATA_OVERHEAD)
        return link_drop(host, LINK_DROP_MALFORMED);
    e = link_index_lookup(&host->idx, link_get_le32(pkt + 4));
    if (!e || e->kind != LINK_IDX_KEYPAIR)
        return link_drop(host, LINK_DROP_UNKNOWN_PEER);
    kp = e->keypair;
    peer = kp->peer;
    if (!link_timers_keypair_usable_recv(kp, now))
        return link_drop(host, LINK_DROP_EXPIRED);
    counter = link_get_le64(pkt + 8);
    plen = len - LINK_DATA_OVERHEAD;
    if (noise_key_open(&kp->recv_key, counter, pkt, LINK_DATA_HEADER_LEN,
                       pkt + LINK_DATA_HEADER_LEN, len - LINK_DATA_HEADER_LEN,
                       pkt + LINK_DATA_HEADER_LEN))
        return link_drop(host, LINK_DROP_AUTH);
    r = replay_check_and_update(&kp->replay, counter);
    if (r == REPLAY_LIMIT)
        return link_drop(host, LINK_DROP_EXPIRED);
    if (r)
        return link_drop(host, LINK_DROP_REPLAY);
    if (kp == peer->kp_next) {
        /* The first packet under the keypair our response created: the
         * response went out when the keypair was born. */
        link_timers_rtt_sample(peer, kp->birth, now, true);
        link_promote_next(peer, now);
        link_maybe_upgrade(peer, now);
    }
    link_timers_any_received(peer, now);
    if (plen)
        link_timers_data_received(peer, now);
    rx->peer = peer;
    rx->data = pkt + LINK_DATA_HEADER_LEN;
    rx->len = plen;
    link_queue_flush(peer, now);
    if (link_timers_rekey_on_receive(peer, now))
        (void)link_maybe_initiate(peer, now);
    link_report_state(peer, now);
    return 0;
}

static int link_rx_frag(struct link_host *host, uint64_t now, const uint8_t *pkt, size_t len,
                        struct link_rx *rx)
{
    uint8_t *msg = NULL;
    size_t msg_len = 0;
    int drop = link_frag_take(host, now, pkt, len, &msg, &msg_len);

    if (drop > 0)
        return link_drop(host, drop);
    if (drop < 0)
        return drop;
    return msg ? link_rx_data(host, now, msg, msg_len, rx) : 0;
}

int link_receive(struct link_host *host, uint64_t now, uint8_t *pkt, size_t len,
                 struct link_rx *rx)
{
    return link_receive_from(host, now, pkt, len, NULL, 0, rx);
}

int link_receive_from(struct link_host *host, uint64_t now, uint8_t *pkt, size_t len,
                      const void *src, size_t src_len, struct link_rx *rx)
{
    rx->peer = NULL;
    rx->data = NULL;
    rx->len = 0;
    if (len < 4 || len > LINK_MAX_PACKET)
        return link_drop(host, LINK_DROP_MALFORMED);
    switch (pkt[0]) {
    case LINK_MSG_INIT:
        return link_rx_init(host, now, pkt, len, src, src_len, rx);
    case LINK_MSG_RESPONSE:
        return link_rx_response(host, now, pkt, len, rx);
    case LINK_MSG_DATA:
        return link_rx_data(host, now, pkt, len, rx);
    case LINK_MSG_FRAG:
        return link_rx_frag(host, now, pkt, len, rx);
    case LINK_MSG_COOKIE: {
        int drop = link_cookie_take(host, now, pkt, len);

        return drop ? link_drop(host, drop) : 0;
    }
    default:
        return link_drop(host, LINK_DROP_MALFORMED);
    }
}
