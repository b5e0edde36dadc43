/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * overlayd/paths/ with a fake clock: first probe at link-up, the RFC 6298
 * estimator, idle jitter, suspect -> dead -> recover, idle link death,
 * loss over the window, stale / duplicate / late / forged replies, the
 * sequence number wrapping, the RTO bounds, link down and up again.
 */
#include <errno.h>
#include <string.h>

#include "lib/check.h"
#include "overlayd/paths/path_probe.h"

enum { S = PATH_SUSPECT_MS };
#define MS(x) ((uint64_t)(x) * PATH_MS)
#define T0 MS(1000000)           /* far from 0: no accidental zero times */

/* Up at T0, first probe answered after @rtt: one sample. */
static void up_with_sample(struct path_probe *pp, uint64_t seed, uint64_t rtt)
{
    struct path_probe_req q;

    path_init(pp, seed);
    path_link_up(pp, T0);
    CHECK(path_poll(pp, T0, &q));
    path_on_rx(pp, T0 + rtt);
    CHECK_EQ(path_on_reply(pp, q.seq, q.ts, T0 + rtt), 0);
}

static void test_init(void)
{
    struct path_probe pp;
    struct path_probe_req q;
    struct path_info pi;

    path_init(&pp, 1);
    path_get(&pp, &pi);
    CHECK(!pi.has_sample);
    CHECK(!pi.has_loss);
    CHECK_EQ(pi.srtt_ns, 0);
    CHECK_EQ(pi.health, PATH_UP);
    CHECK(!path_poll(&pp, T0, &q), "inactive: no probe");
    CHECK(path_next_deadline(&pp) == UINT64_MAX);
}

static void test_first_probe_and_estimator(void)
{
    struct path_probe pp;
    struct path_probe_req q;
    struct path_info pi;

    path_init(&pp, 2);
    path_link_up(&pp, T0);
    CHECK(path_next_deadline(&pp) == T0, "first probe due at link-up");
    CHECK(path_poll(&pp, T0, &q));
    CHECK(q.ts == T0);
    CHECK(!path_poll(&pp, T0, &q), "only one at a time");
    /* First sample: srtt = R, rttvar = R / 2 (RFC 6298 2.2). */
    path_on_rx(&pp, T0 + MS(8));
    CHECK_EQ(path_on_reply(&pp, q.seq, q.ts, T0 + MS(8)), 0);
    path_get(&pp, &pi);
    CHECK(pi.has_sample);
    CHECK_EQ(pi.srtt_ns, MS(8));
    CHECK_EQ(pi.rttvar_ns, MS(4));
    CHECK(pi.has_loss);
    CHECK(pi.loss == 0.0);
    /* Second, R = 16 ms: rttvar = 3/4 4 + 1/4 |8 - 16| = 5, srtt = 7/8 8 + 1/8 16 = 9. */
    {
        uint64_t t = path_next_deadline(&pp);

        CHECK(path_poll(&pp, t, &q));
        path_on_rx(&pp, t + MS(16));
        CHECK_EQ(path_on_reply(&pp, q.seq, q.ts, t + MS(16)), 0);
    }
    path_get(&pp, &pi);
    CHECK_EQ(pi.srtt_ns, MS(9));
    CHECK_EQ(pi.rttvar_ns, MS(5));
    CHECK_EQ(pi.probes_sent, 2);
    CHECK_EQ(pi.probes_answered, 2);
    CHECK_EQ(pi.probes_lost, 0);
}

/* Up links are probed every 10 s plus a jitter below 5 s, from the seed. */
static void test_idle_jitter(void)
{
    uint64_t first[8];
    unsigned distinct = 0;

    for (unsigned s = 0; s < 8; s++) {
        struct path_probe pp;
        uint64_t dl;

        up_with_sample(&pp, 100 + s, MS(1));
        dl = path_next_deadline(&pp);
        CHECK(dl >= T0 + MS(PATH_IDLE_PROBE_MS), "seed %u: %llu", s, (unsigned long long)dl);
        CHECK(dl < T0 + MS(PATH_IDLE_PROBE_MS + PATH_IDLE_JITTER_MS));
        first[s] = dl;
        for (unsigned k = 0; k < s; k++)
            if (first[k] == dl)
                goto seen;
        distinct++;
seen:;
    }
    CHECK(distinct >= 7, "jitter differs between seeds (%u distinct)", distinct);
}

/* Data out, nothing back: suspect at PATH_SUSPECT_MS (S), probes every
 * 100 ms, dead at S + 300 ms; dead links probed every second; any packet
 * heard -> up. */
static void test_suspect_dead_recover(void)
{
    struct path_probe pp;
    struct path_probe_req q;
    struct path_info pi;
    uint64_t t = T0 + MS(2000);

    up_with_sample(&pp, 3, MS(1));
    path_on_tx(&pp, t);
    path_on_tx(&pp, t + MS(50));            /* the first unanswered send counts */
    CHECK(path_next_deadline(&pp) == t + MS(PATH_SUSPECT_MS));
    CHECK(!path_poll(&pp, t + MS(S - 1), &q));
    path_get(&pp, &pi);
    CHECK_EQ(pi.health, PATH_UP);
    CHECK(path_poll(&pp, t + MS(S), &q), "suspect: a probe at once");
    path_get(&pp, &pi);
    CHECK_EQ(pi.health, PATH_SUSPECT);
    CHECK(path_next_deadline(&pp) == t + MS(S + 100));
    CHECK(path_poll(&pp, t + MS(S + 100), &q));
    path_get(&pp, &pi);
    CHECK_EQ(pi.health, PATH_SUSPECT);
    CHECK(path_poll(&pp, t + MS(S + 200), &q));
    path_get(&pp, &pi);
    CHECK((pi.health) == (PATH_SUSPECT), "two lost: still suspect");
    CHECK(!path_poll(&pp, t + MS(S + 300), &q), "dead: next probe in a second");
    path_get(&pp, &pi);
    CHECK_EQ(pi.health, PATH_DEAD);
    CHECK_EQ(pi.probes_lost, 3);
    CHECK_EQ(pi.unanswered, 3);
    CHECK(pi.active && pi.heard && pi.heard_at == T0 + MS(1), "heard at the first reply");
    CHECK(path_health_now(&pp) == PATH_DEAD);
    CHECK(path_next_deadline(&pp) == t + MS(S + 1300));
    CHECK(path_poll(&pp, t + MS(S + 1300), &q));
    CHECK(path_next_deadline(&pp) == t + MS(S + 1400), "its timeout");
    CHECK(!path_poll(&pp, t + MS(S + 1400), &q));
    CHECK(path_next_deadline(&pp) == t + MS(S + 2300));
    /* The peer is back: anything authenticated makes it up. */
    path_on_rx(&pp, t + MS(S + 2350));
    path_get(&pp, &pi);
    CHECK_EQ(pi.health, PATH_UP);
    CHECK(path_next_deadline(&pp) >= t + MS(S + 2350 + PATH_IDLE_PROBE_MS), "slow again");
    /* Traffic both ways: never suspect. */
    for (unsigned i = 0; i < 50; i++) {
        uint64_t now = t + MS(3000 + 100 * i);

        path_on_tx(&pp, now);
        path_on_rx(&pp, now + MS(1));
        CHECK(!path_poll(&pp, now + MS(2), &q));
    }
    path_get(&pp, &pi);
    CHECK_EQ(pi.health, PATH_UP);
}

/* An answer while suspect: up, and the sample taken. */
static void test_suspect_answered(void)
{
    struct path_probe pp;
    struct path_probe_req q;
    struct path_info pi;
    uint64_t t = T0 + MS(5000);

    up_with_sample(&pp, 4, MS(2));
    path_on_tx(&pp, t);
    CHECK(path_poll(&pp, t + MS(S), &q));
    path_on_rx(&pp, t + MS(S + 2));
    CHECK_EQ(path_on_reply(&pp, q.seq, q.ts, t + MS(S + 2)), 0);
    path_get(&pp, &pi);
    CHECK_EQ(pi.health, PATH_UP);
    CHECK_EQ(pi.probes_answered, 2);
}

/* An idle link dies: its periodic probe is lost -> suspect -> dead. */
static void test_idle_death(void)
{
    struct path_probe pp;
    struct path_probe_req q;
    struct path_info pi;
    uint64_t t;

    up_with_sample(&pp, 5, MS(1));
    t = path_next_deadline(&pp);
    CHECK(path_poll(&pp, t, &q));
    CHECK(!path_poll(&pp, t + MS(99), &q));
    CHECK(path_poll(&pp, t + MS(100), &q), "lost -> suspect, probe at once");
    path_get(&pp, &pi);
    CHECK_EQ(pi.health, PATH_SUSPECT);
    CHECK(path_poll(&pp, t + MS(200), &q));
    CHECK(!path_poll(&pp, t + MS(300), &q));
    path_get(&pp, &pi);
    CHECK_EQ(pi.health, PATH_DEAD);
}

/* A probe lost while other packets arrive is loss, not a sign of death. */
static void test_loss_not_death(void)
{
    struct path_probe pp;
    struct path_probe_req q;
    struct path_info pi;
    uint64_t t;

    up_with_sample(&pp, 6, MS(1));
    t = path_next_deadline(&pp);
    CHECK(path_poll(&pp, t, &q));
    path_on_rx(&pp, t + MS(10));            /* some other packet */
    CHECK(!path_poll(&pp, t + MS(100), &q));
    path_get(&pp, &pi);
    CHECK_EQ(pi.health, PATH_UP);
    CHECK_EQ(pi.probes_lost, 1);
    CHECK(pi.loss == 0.5, "1 of 2: %f", pi.loss);
}

/* Loss over the last PATH_WINDOW settled probes. */
static void test_loss_window(void)
{
    struct path_probe pp;
    struct path_probe_req q;
    struct path_info pi;
    uint64_t t = T0;

    up_with_sample(&pp, 7, MS(1));          /* 1 answered */
    for (unsigned i = 0; i < 3; i++) {      /* 3 answered */
        t = path_next_deadline(&pp);
        CHECK(path_poll(&pp, t, &q));
        path_on_rx(&pp, t + MS(1));
        CHECK_EQ(path_on_reply(&pp, q.seq, q.ts, t + MS(1)), 0);
    }
    path_get(&pp, &pi);
    CHECK(pi.loss == 0.0);
    /* One lost with traffic heard (stays up): 1 of 5. */
    t = path_next_deadline(&pp);
    CHECK(path_poll(&pp, t, &q));
    path_on_rx(&pp, t + MS(1));
    CHECK(!path_poll(&pp, t + MS(100), &q));
    path_get(&pp, &pi);
    CHECK(pi.loss > 0.199 && pi.loss < 0.201, "%f", pi.loss);
    /* 16 answered: the lost one falls out of the window. */
    for (unsigned i = 0; i < PATH_WINDOW; i++) {
        t = path_next_deadline(&pp);
        CHECK(path_poll(&pp, t, &q));
        path_on_rx(&pp, t + MS(1));
        CHECK_EQ(path_on_reply(&pp, q.seq, q.ts, t + MS(1)), 0);
    }
    path_get(&pp, &pi);
    CHECK(pi.loss == 0.0, "%f", pi.loss);
    CHECK_EQ(pi.probes_lost, 1);
}

static void test_bad_replies(void)
{
    struct path_probe pp;
    struct path_probe_req q, q2;
    struct path_info pi, before;
    uint64_t t;

    up_with_sample(&pp, 8, MS(4));
    path_get(&pp, &before);
    /* Duplicate of the answered first probe. */
    CHECK_EQ(path_on_reply(&pp, pp.seq_next - 1, T0, T0 + MS(5)), -EALREADY);
    /* Never sent. */
    CHECK_EQ(path_on_reply(&pp, pp.seq_next, T0, T0 + MS(5)), -ESTALE);
    CHECK_EQ(path_on_reply(&pp, pp.seq_next + 1000, T0, T0 + MS(5)), -ESTALE);
    /* Older than the window. */
    CHECK_EQ(path_on_reply(&pp, pp.seq_next - PATH_WINDOW - 1, T0, T0 + MS(5)), -ESTALE);
    /* In flight but the echoed time is not ours: no sample, still in flight. */
    t = path_next_deadline(&pp);
    CHECK(path_poll(&pp, t, &q));
    CHECK_EQ(path_on_reply(&pp, q.seq, q.ts - 1, t + MS(1)), -EINVAL);
    CHECK((path_on_reply(&pp, q.seq, t + MS(2), t + MS(1))) == (-EINVAL), "from the future");
    path_get(&pp, &pi);
    CHECK_EQ(pi.srtt_ns, before.srtt_ns);
    CHECK_EQ(pi.probes_answered, before.probes_answered);
    /* Late: after its timeout it is lost and the reply gives nothing. */
    path_on_rx(&pp, t + MS(1));
    CHECK(!path_poll(&pp, t + MS(100), &q2));
    CHECK_EQ(path_on_reply(&pp, q.seq, q.ts, t + MS(150)), -EALREADY);
    path_get(&pp, &pi);
    CHECK_EQ(pi.srtt_ns, before.srtt_ns);
    CHECK_EQ(pi.probes_lost, 1);
}

/* Sequence numbers wrap from 2^32 - 1 to 0 without losing a reply. */
static void test_seq_wrap(void)
{
    struct path_probe pp;
    struct path_probe_req q;
    uint32_t want[3] = { UINT32_MAX - 1, UINT32_MAX, 0 };
    uint64_t t;

    up_with_sample(&pp, 9, MS(1));
    pp.seq_next = UINT32_MAX - 1;
    for (unsigned i = 0; i < 3; i++) {
        t = path_next_deadline(&pp);
        CHECK(path_poll(&pp, t, &q));
        CHECK(q.seq == want[i], "probe %u: seq %u", i, q.seq);
        path_on_rx(&pp, t + MS(1));
        CHECK_EQ(path_on_reply(&pp, q.seq, q.ts, t + MS(1)), 0);
    }
    CHECK((path_on_reply(&pp, UINT32_MAX, 0, t + MS(2))) == (-EALREADY), "before the wrap");
    CHECK((path_on_reply(&pp, 1, t, t + MS(2))) == (-ESTALE), "not sent yet");
    CHECK((path_on_reply(&pp, UINT32_MAX - PATH_WINDOW + 1, t, t + MS(2))) == (-ESTALE),
             "out of the window across the wrap");
    CHECK((path_on_reply(&pp, UINT32_MAX - PATH_WINDOW + 2, t, t + MS(2))) == (-EALREADY),
             "the window's oldest, settled");
}

/* The probe timeout follows the RTO, within its bounds. */
static void test_timeout_bounds(void)
{
    struct path_probe pp;
    struct path_probe_req q;
    uint64_t t;

    up_with_sample(&pp, 10, MS(200));       /* srtt 200, rttvar 100: RTO 600 */
    t = path_next_deadline(&pp);
    CHECK(path_poll(&pp, t, &q));
    CHECK(path_next_deadline(&pp) == t + MS(600));
    up_with_sample(&pp, 11, MS(900));       /* 900 + 1800: clamped to 1 s */
    t = path_next_deadline(&pp);
    CHECK(path_poll(&pp, t, &q));
    CHECK(path_next_deadline(&pp) == t + MS(PATH_TIMEOUT_MAX_MS));
}

static void test_link_down_up(void)
{
    struct path_probe pp;
    struct path_probe_req q;
    struct path_info pi;
    uint64_t t;

    up_with_sample(&pp, 12, MS(3));
    t = path_next_deadline(&pp);
    CHECK(path_poll(&pp, t, &q));
    /* A rekey while up: a packet heard, the probe in flight stays. */
    path_link_up(&pp, t + MS(1));
    CHECK((path_on_reply(&pp, q.seq, q.ts, t + MS(2))) == (0));
    t = path_next_deadline(&pp);
    CHECK(t > T0 + MS(PATH_IDLE_PROBE_MS), "not a fresh start");
    CHECK(path_poll(&pp, t, &q));
    path_link_down(&pp);
    CHECK(path_next_deadline(&pp) == UINT64_MAX);
    CHECK(!path_poll(&pp, t + MS(5000), &q));
    path_get(&pp, &pi);
    CHECK(pi.has_sample, "the last known RTT stays");
    CHECK((pi.probes_lost) == (0), "a probe of the old session is not lost");
    path_link_up(&pp, t + MS(6000));
    CHECK(path_next_deadline(&pp) == t + MS(6000));
    CHECK(path_poll(&pp, t + MS(6000), &q));
}

static void test_names(void)
{
    CHECK(strcmp(path_health_name(PATH_UP), "up") == 0);
    CHECK(strcmp(path_health_name(PATH_SUSPECT), "suspect") == 0);
    CHECK(strcmp(path_health_name(PATH_DEAD), "dead") == 0);
}

int main(void)
{
    test_init();
    test_first_probe_and_estimator();
    test_idle_jitter();
    test_suspect_dead_recover();
    test_suspect_answered();
    test_idle_death();
    test_loss_not_death();
    test_loss_window();
    test_bad_replies();
    test_seq_wrap();
    test_timeout_bounds();
    test_link_down_up();
    test_names();
    return CHECK_DONE();
}
