/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * All timer policy of the link layer, after the WireGuard paper (section
 * 6) and its reference implementation's behaviour. Nothing here reads a
 * clock: link.c reports facts with the current time, timers.c stores
 * absolute deadlines (0 = not armed) and, from link_timers_run(), calls
 * back the actions of link.c. Constants: enum link_wg_spec.
 */
#include <string.h>

#include "crypto/link_internal.h"

static bool link_age_below(uint64_t birth, uint64_t now, uint64_t limit)
{
    return now < birth || now - birth < limit;
}

/*
 * Deadlines saturate instead of wrapping: a wrapped now + interval would be
 * a deadline in the past that on_timeout cannot clear, so the daemon would
 * spin (and a wrapped zero_keys would wipe a fresh session at once).
 */
static uint64_t link_after(uint64_t t, uint64_t interval)
{
    return t > UINT64_MAX - interval ? UINT64_MAX : t + interval;
}

static uint64_t link_persistent_due(const struct link_timers *t)
{
    return link_after(t->last_traversal, (uint64_t)t->persistent_keepalive * LINK_NS_PER_SEC);
}

static uint64_t link_jitter(struct link_peer *peer)
{
    struct link_host *host = peer->host;
    uint8_t rnd[8];

    /* 64 random bits: the modulo bias is below 2^-34, so the jitter is
     * uniform as documented (32 bits would favour the low 299 ms by 1/12). */
    host->hooks.random(host->hooks.ctx, rnd, sizeof(rnd));
    return link_get_le64(rnd) % (REKEY_TIMEOUT_JITTER_MAX + 1);
}

static void link_traversal(struct link_peer *peer, uint64_t now)
{
    peer->t.last_traversal = now;
    peer->t.traversed = true;
}

/* ---- facts ---- */

void link_timers_data_sent(struct link_peer *peer, uint64_t now)
{
    /* If nothing authenticated comes back soon, the path or session is dead. */
    if (!peer->t.new_handshake)
        peer->t.new_handshake = link_after(now, KEEPALIVE_TIMEOUT + REKEY_TIMEOUT);
}

void link_timers_any_sent(struct link_peer *peer, uint64_t now)
{
    /* Anything we send already tells the peer we are alive. */
    peer->t.send_keepalive = 0;
    link_traversal(peer, now);
}

void link_timers_data_received(struct link_peer *peer, uint64_t now)
{
    if (!peer->t.send_keepalive)
        peer->t.send_keepalive = link_after(now, KEEPALIVE_TIMEOUT);
}

void link_timers_any_received(struct link_peer *peer, uint64_t now)
{
    peer->t.new_handshake = 0;
    link_traversal(peer, now);
}

void link_timers_handshake_initiated(struct link_peer *peer, uint64_t now, bool retry)
{
    if (!retry)
        peer->t.attempt_start = now;
    peer->t.last_initiation = now;
    peer->t.initiated = true;
    peer->t.upgrade = 0;
    peer->t.retransmit = link_after(now, REKEY_TIMEOUT + link_jitter(peer));
}

void link_timers_handshake_complete(struct link_peer *peer, uint64_t now)
{
    /* A session confirmed as responder leaves our own initiation (if any)
     * running; its retry timer decides whether it is still needed. */
    if (!peer->hs) {
        peer->t.retransmit = 0;
        peer->t.attempt_start = 0;
    }
}

void link_timers_session_derived(struct link_peer *peer, uint64_t now)
{
    peer->t.zero_keys = link_after(now, ZERO_KEYS_AFTER);
}

void link_timers_keys_zeroed(struct link_peer *peer)
{
    peer->t.zero_keys = 0;
    peer->t.send_keepalive = 0;
    peer->t.new_handshake = 0;
}

/*
 * The responder's sample ends at the initiator's confirmation, which is
 * sent at once; if it was lost, the first packet under the new keypair
 * may come seconds later and would be no round trip. Past REKEY_TIMEOUT
 * the responder starts its own handshake anyway, so such samples are
 * dropped. The initiator's sample needs no bound: a retransmission (at
 * most REKEY_TIMEOUT + jitter later) retires the initiation it measures.
 */
void link_timers_rtt_sample(struct link_peer *peer, uint64_t sent, uint64_t now, bool responder)
{
    uint64_t r;

    if (now < sent)
        return;
    r = now - sent;
    if (responder && r >= REKEY_TIMEOUT)
        return;
    if (!r)
        r = 1;              /* a zero would read as "unknown" */
    peer->rtt_last = r;
    if (!peer->rtt_srtt)
        peer->rtt_srtt = r;
    else    /* a weighted mean of two uint64_t: cannot overflow */
        peer->rtt_srtt = peer->rtt_srtt - peer->rtt_srtt / RTT_ALPHA_DIV + r / RTT_ALPHA_DIV;
}

/* ---- questions ---- */

bool link_timers_keypair_usable_send(const struct link_keypair *kp, uint64_t now)
{
    return link_age_below(kp->birth, now, REJECT_AFTER_TIME) &&
           kp->send_counter < REJECT_AFTER_MESSAGES;
}

bool link_timers_keypair_usable_recv(const struct link_keypair *kp, uint64_t now)
{
    return link_age_below(kp->birth, now, REJECT_AFTER_TIME);
}

/* Only the initiator of the current session rekeys by age, so the two
 * sides do not race; either side rekeys when its counter runs high. */
bool link_timers_rekey_on_send(const struct link_peer *peer, uint64_t now)
{
    const struct link_keypair *kp = peer->kp_cur;

    return kp && (kp->send_counter >= REKEY_AFTER_MESSAGES ||
                  (kp->initiator && !link_age_below(kp->birth, now, REKEY_AFTER_TIME)));
}

/* A receive-only initiator must rekey before the session dies under it. */
bool link_timers_rekey_on_receive(const struct link_peer *peer, uint64_t now)
{
    const struct link_keypair *kp = peer->kp_cur;

    return kp && kp->initiator &&
           !link_age_below(kp->birth, now, REJECT_AFTER_TIME - KEEPALIVE_TIMEOUT - REKEY_TIMEOUT);
}

/* What link_peer_connect() calls fresh: no reason to handshake now. */
bool link_timers_session_fresh(const struct link_peer *peer, uint64_t now)
{
    const struct link_keypair *kp = peer->kp_cur;

    return kp && link_timers_keypair_usable_send(kp, now) &&
           kp->send_counter < REKEY_AFTER_MESSAGES &&
           link_age_below(kp->birth, now, REKEY_AFTER_TIME);
}

/* Not while our initiation is in flight (its retry timer owns it), nor
 * right after we answered the peer's: its confirmation is on the way. */
bool link_timers_may_initiate(const struct link_peer *peer, uint64_t now)
{
    if (peer->hs)
        return false;
    return !(peer->kp_next && link_age_below(peer->kp_next->birth, now, REKEY_TIMEOUT));
}

bool link_timers_accept_initiation_rate(const struct link_peer *peer, uint64_t now)
{
    return !peer->has_init_accepted ||
           !link_age_below(peer->last_init_accepted, now, INITIATION_MIN_INTERVAL);
}

enum link_state link_timers_state(const struct link_peer *peer, uint64_t now)
{
    if (peer->kp_cur && link_age_below(peer->kp_cur->birth, now, REJECT_AFTER_TIME))
        return LINK_UP;
    if (peer->hs)
        return LINK_CONNECTING;
    if (peer->kp_next && link_age_below(peer->kp_next->birth, now, REJECT_AFTER_TIME))
        return LINK_CONNECTING;
    return LINK_DOWN;
}

static void link_min(uint64_t *best, uint64_t d)
{
    if (d && d < *best)
        *best = d;
}

static bool link_queue_waits_on_next(const struct link_peer *peer)
{
    return peer->q_len && peer->kp_next && !peer->hs;
}

uint64_t link_timers_deadline(const struct link_peer *peer)
{
    const struct link_timers *t = &peer->t;
    uint64_t best = UINT64_MAX;

    link_min(&best, t->retransmit);
    link_min(&best, t->send_keepalive);
    link_min(&best, t->new_handshake);
    link_min(&best, t->zero_keys);
    link_min(&best, t->upgrade);
    if (t->persistent_keepalive) {
        if (!t->traversed)
            return 0;       /* never talked: send the first one at once */
        link_min(&best, link_persistent_due(t));
    }
    if (link_queue_waits_on_next(peer))
        link_min(&best, link_after(peer->kp_next->birth, REKEY_TIMEOUT));
    /* Points where the reported state changes by time alone. */
    if (peer->reported == LINK_UP && peer->kp_cur)
        link_min(&best, link_after(peer->kp_cur->birth, REJECT_AFTER_TIME));
    if (peer->reported == LINK_CONNECTING && peer->kp_next && !peer->hs)
        link_min(&best, link_after(peer->kp_next->birth, REJECT_AFTER_TIME));
    return best;
}

void link_timers_run(struct link_peer *peer, uint64_t now)
{
    struct link_timers *t = &peer->t;
    const struct link_keypair *cur = peer->kp_cur;

    if (t->zero_keys && now >= t->zero_keys) {
        link_zero_keys(peer);
        link_timers_keys_zeroed(peer);
    }
    if (t->retransmit && now >= t->retransmit) {
        t->retransmit = 0;
        cur = peer->kp_cur;
        if (!peer->hs) {
            /* nothing in flight any more */
        } else if (cur && peer->last_handshake > t->attempt_start &&
                   link_timers_keypair_usable_send(cur, now) &&
                   !link_timers_rekey_on_send(peer, now)) {
            /* A session came up the other way round since this attempt
             * began: ours is moot. A current keypair older than the
             * attempt proves nothing (dead-peer handshakes start with
             * one), so then we keep retrying. */
            link_give_up_handshake(peer);
            t->attempt_start = 0;
        } else if (now - t->attempt_start >= REKEY_ATTEMPT_TIME) {
            link_give_up_handshake(peer);
            t->attempt_start = 0;
            t->new_handshake = 0;
        } else if (link_send_initiation(peer, now, true)) {
            link_give_up_handshake(peer);
        }
    }
    if (t->send_keepalive && now >= t->send_keepalive) {
        t->send_keepalive = 0;
        cur = peer->kp_cur;
        if (cur && link_timers_keypair_usable_send(cur, now))
            link_send_keepalive(peer, now);
    }
    if (t->new_handshake && now >= t->new_handshake) {
        t->new_handshake = 0;
        if (link_timers_may_initiate(peer, now))
            (void)link_send_initiation(peer, now, false);
    }
    if (t->upgrade && now >= t->upgrade) {
        t->upgrade = 0;
        if (link_aead_upgrade_wanted(peer))
            (void)link_send_initiation(peer, now, false);
    }
    if (t->persistent_keepalive &&
        (!t->traversed || now >= link_persistent_due(t))) {
        /* Rearm first: without a session the keepalive may send nothing. */
        link_traversal(peer, now);
        link_send_keepalive(peer, now);
    }
    if (link_queue_waits_on_next(peer) && now >= link_after(peer->kp_next->birth, REKEY_TIMEOUT)) {
        /* We answered, but the initiator never confirmed: try ourselves. */
        if (link_send_initiation(peer, now, false))
            link_give_up_handshake(peer);
    }
}
