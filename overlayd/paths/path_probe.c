/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Per-link RTT, loss and health from probes and traffic. See path_probe.h
 * for the rules; docs/design.md ("Path probes") for why these constants.
 */
#include "overlayd/paths/path_probe.h"

#include <errno.h>
#include <string.h>

static uint64_t path_ms(uint64_t ms)
{
    return ms * PATH_MS;
}

/* splitmix64: the jitter only has to differ between links and rounds, so
 * hosts started together do not probe in step; no secret is involved. */
static uint64_t path_rand(struct path_probe *pp)
{
    uint64_t z = (pp->rng += UINT64_C(0x9e3779b97f4a7c15));

    z = (z ^ (z >> 30)) * UINT64_C(0xbf58476d1ce4e5b9);
    z = (z ^ (z >> 27)) * UINT64_C(0x94d049bb133111eb);
    return z ^ (z >> 31);
}

void path_init(struct path_probe *pp, uint64_t seed)
{
    memset(pp, 0, sizeof(*pp));
    pp->rng = seed;
    pp->seq_next = (uint32_t)path_rand(pp);
}

/* The probe period for the current health. */
static uint64_t path_interval(struct path_probe *pp)
{
    switch (pp->health) {
    case PATH_SUSPECT:
        return path_ms(PATH_SUSPECT_PROBE_MS);
    case PATH_DEAD:
        return path_ms(PATH_DEAD_PROBE_MS);
    case PATH_UP:
        break;
    }
    return path_ms(PATH_IDLE_PROBE_MS) + path_rand(pp) % path_ms(PATH_IDLE_JITTER_MS);
}

/* RFC 6298 §2.3's RTO with our own bounds: its 1 s floor is for data
 * retransmission; a probe is cheap, and detection time is 3 timeouts. */
static uint64_t path_timeout(const struct path_probe *pp)
{
    uint64_t rto, lo = path_ms(PATH_TIMEOUT_MIN_MS), hi = path_ms(PATH_TIMEOUT_MAX_MS);

    if (!pp->has_sample)
        return lo;
    rto = pp->srtt + 4 * pp->rttvar;
    return rto < lo ? lo : rto > hi ? hi : rto;
}

void path_link_up(struct path_probe *pp, uint64_t now)
{
    if (pp->active) {             /* a rekey: the handshake was heard, nothing else changed */
        path_on_rx(pp, now);
        return;
    }
    pp->active = true;
    pp->health = PATH_UP;
    pp->tx_pending = false;
    pp->unanswered = 0;
    pp->inflight = 0;             /* a new session: old probes may never come back */
    pp->last_rx = now;            /* the handshake itself was heard */
    pp->heard = true;
    pp->next_probe = now;         /* an RTT sample soon after link-up */
}

void path_link_down(struct path_probe *pp)
{
    pp->active = false;
    pp->tx_pending = false;
    pp->inflight = 0;
}

void path_on_tx(struct path_probe *pp, uint64_t now)
{
    if (!pp->tx_pending) {
        pp->tx_pending = true;
        pp->tx_since = now;
    }
}

void path_on_rx(struct path_probe *pp, uint64_t now)
{
    pp->last_rx = now;
    pp->heard = true;
    pp->tx_pending = false;
    pp->unanswered = 0;
    if (pp->health != PATH_UP) {
        /* Back to the slow period; a probe still in flight may yet answer. */
        pp->health = PATH_UP;
        pp->next_probe = now + path_interval(pp);
    }
}

static void path_outcome(struct path_probe *pp, bool lost)
{
    pp->outcomes = (pp->outcomes << 1) | (lost ? 1u : 0u);
    if (pp->n_outcomes < PATH_WINDOW)
        pp->n_outcomes++;
}

/* RFC 6298 §2.2 and §2.3 with alpha 1/8, beta 1/4, in integer ns. */
static void path_sample(struct path_probe *pp, uint64_t r)
{
    uint64_t diff;

    if (!pp->has_sample) {
        pp->srtt = r;
        pp->rttvar = r / 2;
        pp->has_sample = true;
        return;
    }
    diff = pp->srtt > r ? pp->srtt - r : r - pp->srtt;
    pp->rttvar = pp->rttvar - pp->rttvar / 4 + diff / 4;
    pp->srtt = pp->srtt - pp->srtt / 8 + r / 8;
}

int path_on_reply(struct path_probe *pp, uint32_t seq, uint64_t ts, uint64_t now)
{
    uint32_t age = pp->seq_next - seq;      /* serial arithmetic: wraps */
    unsigned slot = seq % PATH_WINDOW;

    if (age == 0 || age > PATH_WINDOW)
        return -ESTALE;
    if (!(pp->inflight & (1u << slot)))
        return -EALREADY;
    if (pp->sent_at[slot] != ts || ts > now)
        return -EINVAL;
    pp->inflight &= (uint16_t)~(1u << slot);
    pp->n_answered++;
    path_outcome(pp, false);
    path_sample(pp, now - ts);
    return 0;
}

/* Probes past their timeout are lost; those sent after the last packet
 * heard count towards DEAD. */
static void path_settle(struct path_probe *pp, uint64_t now)
{
    uint64_t to = path_timeout(pp);

    for (unsigned i = 0; i < PATH_WINDOW; i++) {
        if (!(pp->inflight & (1u << i)) || now < pp->sent_at[i] + to)
            continue;
        pp->inflight &= (uint16_t)~(1u << i);
        pp->n_lost++;
        path_outcome(pp, true);
        if (!pp->heard || pp->sent_at[i] >= pp->last_rx)
            pp->unanswered++;
    }
}

static void path_update_health(struct path_probe *pp, uint64_t now)
{
    bool silent = pp->tx_pending && now >= pp->tx_since + path_ms(PATH_SUSPECT_MS);

    if (pp->unanswered >= PATH_DEAD_PROBES) {
        if (pp->health != PATH_DEAD) {
            pp->health = PATH_DEAD;
            pp->next_probe = now + path_interval(pp);
        }
        return;
    }
    if (pp->health == PATH_UP && (silent || pp->unanswered > 0)) {
        pp->health = PATH_SUSPECT;
        pp->next_probe = now;     /* at once */
    }
}

static void path_record(struct path_probe *pp, uint64_t now, struct path_probe_req *out)
{
    uint32_t seq = pp->seq_next++;
    unsigned slot = seq % PATH_WINDOW;

    if (pp->inflight & (1u << slot)) {      /* cannot happen with these bounds: be safe */
        pp->n_lost++;
        path_outcome(pp, true);
    }
    pp->inflight |= (uint16_t)(1u << slot);
    pp->sent_at[slot] = now;
    pp->n_sent++;
    out->seq = seq;
    out->ts = now;
}

bool path_poll(struct path_probe *pp, uint64_t now, struct path_probe_req *out)
{
    if (!pp->active)
        return false;
    path_settle(pp, now);
    path_update_health(pp, now);
    if (now < pp->next_probe)
        return false;
    path_record(pp, now, out);
    pp->next_probe = now + path_interval(pp);
    return true;
}

uint64_t path_next_deadline(const struct path_probe *pp)
{
    uint64_t dl, to;

    if (!pp->active)
        return UINT64_MAX;
    dl = pp->next_probe;
    to = path_timeout(pp);
    for (unsigned i = 0; i < PATH_WINDOW; i++)
        if ((pp->inflight & (1u << i)) && pp->sent_at[i] + to < dl)
            dl = pp->sent_at[i] + to;
    if (pp->health == PATH_UP && pp->tx_pending && pp->tx_since + path_ms(PATH_SUSPECT_MS) < dl)
        dl = pp->tx_since + path_ms(PATH_SUSPECT_MS);
    return dl;
}

void path_get(const struct path_probe *pp, struct path_info *out)
{
    unsigned lost = 0;

    memset(out, 0, sizeof(*out));
    out->has_sample = pp->has_sample;
    if (pp->has_sample) {
        out->srtt_ns = pp->srtt;
        out->rttvar_ns = pp->rttvar;
    }
    for (unsigned i = 0; i < pp->n_outcomes; i++)
        lost += (pp->outcomes >> i) & 1u;
    out->has_loss = pp->n_outcomes > 0;
    out->loss = pp->n_outcomes ? (double)lost / pp->n_outcomes : 0.0;
    out->health = pp->health;
    out->active = pp->active;
    out->heard = pp->heard;
    out->heard_at = pp->last_rx;
    out->unanswered = pp->unanswered;
    out->probes_sent = pp->n_sent;
    out->probes_answered = pp->n_answered;
    out->probes_lost = pp->n_lost;
}

const char *path_health_name(enum path_health h)
{
    switch (h) {
    case PATH_UP: return "up";
    case PATH_SUSPECT: return "suspect";
    case PATH_DEAD: return "dead";
    }
    return "up";
}
