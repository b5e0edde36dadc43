/* SPDX-License-Identifier: GPL-2.0-only */
#include "overlayd/datapath/fwd.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "overlayd/admit/admit.h"
#include "overlayd/daemon.h"
#include "overlayd/datapath/fwd_int.h"
#include "overlayd/datapath/inner.h"
#include "lib/log.h"
#include "overlayd/ring/ringd.h"
#include "tap/tap.h"

enum { FWD_TAP_ROUNDS = 4 };       /* batches per wakeup, so one TAP cannot starve the rest */

static size_t fwd_slot_size(void)
{
    return INNER_FRAME_HDR + DAEMON_FRAME_MAX;
}

static bool fwd_is_unicast(const uint8_t *mac)
{
    return !(mac[0] & 1);
}

bool fwd_peer_up(const struct peer *p, uint64_t now)
{
    return p->lp && link_peer_state(p->lp, now) == LINK_UP;
}

bool fwd_peer_takes(const struct daemon *d, const struct peer *p, uint32_t id, uint64_t now)
{
    return peer_carries(p, id) && admit_link_allows(d, p, id) && fwd_peer_up(p, now);
}

void fwd_send(struct daemon *d, struct peer *p, uint64_t now, const uint8_t *pkt, size_t len)
{
    int rc = link_peer_send(p->lp, now, pkt, len);

    if (rc < 0)
        log_debug("fwd", "send to %s: %s", p->name, strerror(-rc));
}

/* @slot: 4 bytes of room, then the frame read from @e's TAP. */
static void fwd_frame_from_tap(struct daemon *d, struct enclave *e, uint8_t *slot, size_t flen,
                               uint64_t now)
{
    const uint8_t *dst = slot + INNER_FRAME_HDR, *src = dst + 6;
    const struct fdb_entry *ent;

    if (flen < INNER_ETH_MIN || enclave_own_mac(e, src))   /* host-made, e.g. the bridge's IGMP */
        return;
    d->cnt.rx_frames++;
    if (fwd_is_unicast(src) && fdb_learn(e->fdb, src, NULL, now) == -ENOSPC)
        d->cnt.drop_fdb_full++;
    /* Our certificate does not list @e: its frames stay on this host. */
    if (!admit_self_may_carry(d, e->id)) {
        d->cnt.drop_unknown_enclave++;
        return;
    }
    inner_frame_header(slot, e->id);
    if (fwd_is_unicast(dst)) {
        ent = fdb_lookup(e->fdb, dst);
        if (ent && !ent->peer)
            return;                   /* local: the bridge has already delivered it */
        if (ent) {
            struct peer *p = (struct peer *)ent->peer;

            /* The entry may be stale or planted (a ring record, an old
             * announcement): never unicast to a host that does not carry
             * @e or may not; flood to the enclave's hosts instead. */
            if (peer_carries(p, e->id) && admit_link_allows(d, p, e->id)) {
                p->last_data = p->last_frame = now;
                fwd_send(d, p, now, slot, flen + INNER_FRAME_HDR);
                return;
            }
            d->cnt.drop_no_route++;
        } else {
            ringd_unknown_unicast(d, e, dst, now);
        }
    }
    for (size_t i = 0; i < d->n_peers; i++) {
        struct peer *p = d->peers[i];

        if (fwd_peer_takes(d, p, e->id, now))
            fwd_send(d, p, now, slot, flen + INNER_FRAME_HDR);
    }
    ringd_flood(d, e, slot, flen + INNER_FRAME_HDR, now);
}

void fwd_tap_readable(struct daemon *d, struct enclave *e)
{
    struct tap_frame fr[DAEMON_TAP_BATCH];
    size_t slot = fwd_slot_size();

    for (size_t i = 0; i < DAEMON_TAP_BATCH; i++) {
        fr[i].buf = d->tap_buf + i * slot + INNER_FRAME_HDR;
        fr[i].cap = DAEMON_FRAME_MAX;
        fr[i].len = 0;
    }
    for (int round = 0; round < FWD_TAP_ROUNDS; round++) {
        ssize_t n = tap_read_batch(e->tap_fd, fr, DAEMON_TAP_BATCH);
        uint64_t now = daemon_now();

        if (n < 0) {
            d->cnt.tap_errors++;
            log_debug("fwd", "%s: read uplink: %s", e->name, strerror((int)-n));
            return;
        }
        for (ssize_t i = 0; i < n; i++)
            fwd_frame_from_tap(d, e, d->tap_buf + (size_t)i * slot, fr[i].len, now);
        if (n < DAEMON_TAP_BATCH)
            return;
    }
}

void fwd_from_peer(struct daemon *d, struct peer *p, uint8_t *data, size_t len)
{
    uint32_t id;
    const uint8_t *frame;
    size_t flen;
    struct enclave *e;
    struct tap_frame tf;

    switch (data[0]) {
    case INNER_FRAME:
        if (inner_frame_parse(data, len, &id, &frame, &flen) < 0) {
            d->cnt.drop_inner_malformed++;
            return;
        }
        e = enclave_by_id(d, id);
        if (!e || !peer_carries(p, id) || !admit_link_allows(d, p, id)) {
            d->cnt.drop_unknown_enclave++;
            return;
        }
        if (fwd_is_unicast(frame + 6) && fdb_learn(e->fdb, frame + 6, p, daemon_now()) == -ENOSPC)
            d->cnt.drop_fdb_full++;
        if (fwd_is_unicast(frame))
            p->last_data = p->last_frame = daemon_now();
        tf.buf = data + INNER_FRAME_HDR;
        tf.cap = tf.len = flen;
        if (tap_write_batch(e->tap_fd, &tf, 1) == 1)
            d->cnt.tx_frames++;
        else
            d->cnt.tap_errors++;
        return;
    case INNER_CONTROL:
        fwd_control(d, p, data, len);
        return;
    case INNER_RING:
        ringd_from_peer(d, p, data, len);
        return;
    default:
        d->cnt.drop_inner_type++;
        return;
    }
}
