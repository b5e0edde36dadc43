/* SPDX-License-Identifier: GPL-2.0-only */
#ifndef OVL_OVERLAYD_PATHS_PATH_PROBE_H
#define OVL_OVERLAYD_PATHS_PATH_PROBE_H

/*
 * DOC: path_probe — per-link measurement and failure detection, pure
 *
 * Owns, per link: a smoothed RTT and its variance (RFC 6298 §2, in ns),
 * the loss of the last PATH_WINDOW settled probes, and a health verdict
 * (UP, SUSPECT, DEAD). It may call libc only: it never reads a clock
 * (@now, monotonic ns, comes in), never sends (path_poll() says when a
 * probe is due and what it carries; the daemon sends it, datapath/probe.c)
 * and draws the idle probes' jitter from a seed the caller passes in.
 *
 * Pattern (as overlayd/plan/ and ngtcp2): feed events (path_on_tx,
 * path_on_rx, path_on_reply, path_link_up/down), call path_poll() at
 * path_next_deadline(). Lifecycle: path_init() once (no RTT sample:
 * "unknown"), path_link_up() each time the link's session comes up (the
 * first probe is due at once), path_link_down() when it goes (no more
 * probes; the estimates are kept as the path's last known values).
 *
 * Rules (docs/design.md, "Path probes", says why):
 *  - data sent and nothing authenticated heard since for PATH_SUSPECT_MS
 *    -> SUSPECT, a probe at once, then one every PATH_SUSPECT_PROBE_MS;
 *  - a probe unanswered for its timeout (RTO = srtt + 4 rttvar clamped to
 *    [PATH_TIMEOUT_MIN_MS, PATH_TIMEOUT_MAX_MS]) is lost; lost with nothing
 *    heard since it was sent -> SUSPECT; PATH_DEAD_PROBES such in a row ->
 *    DEAD, probed every PATH_DEAD_PROBE_MS so a recovery is seen;
 *  - any authenticated packet from the peer -> UP (it piggybacks: traffic
 *    both ways needs no probe for liveness);
 *  - UP links are probed every PATH_IDLE_PROBE_MS plus a jitter below
 *    PATH_IDLE_JITTER_MS, only for RTT and loss.
 * Probes are told apart by a 32-bit sequence number (wrapping) and carry
 * the prober's send time, echoed by the peer; a reply counts only when its
 * sequence is one of the last PATH_WINDOW sent and still in flight and its
 * echoed time is the one recorded: a duplicate, late or forged reply gives
 * no RTT sample.
 */

#include <stdbool.h>
#include <stdint.h>

#define PATH_MS UINT64_C(1000000)

/* The constants: docs/design.md, "Path probes", justifies each. */
enum path_spec {
    PATH_SUSPECT_MS = 150,          /* data out, nothing back this long: suspect */
    PATH_SUSPECT_PROBE_MS = 100,    /* probe period while suspect */
    PATH_DEAD_PROBES = 3,           /* lost probes in a row, nothing heard: dead */
    PATH_DEAD_PROBE_MS = 1000,      /* probe period while dead (to see it return) */
    PATH_IDLE_PROBE_MS = 10000,     /* probe period while up ... */
    PATH_IDLE_JITTER_MS = 5000,     /* ... plus a random [0, this) */
    PATH_TIMEOUT_MIN_MS = 100,      /* a probe's timeout: RTO clamped to these */
    PATH_TIMEOUT_MAX_MS = 1000,
    PATH_WINDOW = 16,               /* probes tracked in flight, and the loss window */
};

enum path_health { PATH_UP = 0, PATH_SUSPECT = 1, PATH_DEAD = 2 };

/* One link's prober. Caller-allocated (inside struct peer); fields are
 * private: read them through path_get(). */
struct path_probe {
    uint64_t srtt, rttvar;          /* ns, valid when has_sample */
    bool has_sample;
    bool active;                    /* session up: probing */
    bool tx_pending;                /* data sent since the last packet heard */
    enum path_health health;
    uint64_t tx_since;              /* first such send */
    uint64_t last_rx;               /* last authenticated packet heard */
    bool heard;                     /* last_rx is valid */
    uint64_t next_probe;
    uint32_t seq_next;
    uint16_t inflight;              /* bit seq % PATH_WINDOW: awaiting its reply */
    uint64_t sent_at[PATH_WINDOW];
    unsigned unanswered;            /* lost in a row with nothing heard since sent */
    uint32_t outcomes;              /* last settled probes, bit 0 newest: 1 lost */
    unsigned n_outcomes;            /* up to PATH_WINDOW */
    uint64_t rng;
    uint64_t n_sent, n_answered, n_lost;
};

/* What a path chooser reads (path_get). */
struct path_info {
    bool has_sample;                /* false: RTT unknown, cost the link high */
    uint64_t srtt_ns, rttvar_ns;    /* 0 without a sample */
    bool has_loss;                  /* at least one probe settled */
    double loss;                    /* 0..1 over the last PATH_WINDOW probes */
    enum path_health health;
    bool active;                    /* the link's session is up: probing */
    bool heard;                     /* heard_at is valid */
    uint64_t heard_at;              /* last authenticated packet from the peer */
    unsigned unanswered;            /* probes lost in a row with nothing heard since */
    uint64_t probes_sent, probes_answered, probes_lost;
};

/* A probe to send now (path_poll). */
struct path_probe_req {
    uint32_t seq;
    uint64_t ts;                    /* the @now it was recorded at; echoed back */
};

/* @seed: random (the daemon: randombytes); sets the first sequence number
 * and the idle jitter. No RTT sample, health UP, inactive. */
void path_init(struct path_probe *pp, uint64_t seed);
/* The session came up at @now: start probing, the first probe at once.
 * Already active (a rekey): only counts as a packet heard. */
void path_link_up(struct path_probe *pp, uint64_t now);
/* The session went: no probes; estimates and health kept. */
void path_link_down(struct path_probe *pp);
/* Data (not a probe or a probe reply) sent on the link. */
void path_on_tx(struct path_probe *pp, uint64_t now);
/* Any authenticated packet from the peer: it is alive. */
void path_on_rx(struct path_probe *pp, uint64_t now);
/*
 * A probe reply echoing @seq and @ts. Returns 0 (an RTT sample taken) or
 * one of: -ESTALE (not among the last PATH_WINDOW probes sent: stale, or
 * never sent), -EALREADY (already answered or timed out: a duplicate or a
 * late reply), -EINVAL (@ts is not the time that probe was sent).
 */
int path_on_reply(struct path_probe *pp, uint32_t seq, uint64_t ts, uint64_t now);
/* Settle timed-out probes and update the health at @now. Returns true when
 * a probe is due: @out says what to send (it is recorded as sent). */
bool path_poll(struct path_probe *pp, uint64_t now, struct path_probe_req *out);
/* When path_poll() has work next (UINT64_MAX: none). */
uint64_t path_next_deadline(const struct path_probe *pp);
void path_get(const struct path_probe *pp, struct path_info *out);
/* Just the health, for the per-packet path (path_get computes the loss). */
static inline enum path_health path_health_now(const struct path_probe *pp)
{
    return pp->health;
}
/* "up", "suspect", "dead". */
const char *path_health_name(enum path_health h);

#endif
