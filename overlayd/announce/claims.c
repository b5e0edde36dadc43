/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Location claims: announcing ours, answering others', forwarding for a
 * MAC that moved away. See claims.h and docs/migration.md.
 */
#include "overlayd/announce/claims.h"

#include <errno.h>

#include "overlayd/announce/announce.h"
#include "overlayd/daemon.h"
#include "overlayd/ring/ringd.h"
#include "lib/log.h"
#include "lib/mac.h"

static void claims_log(const struct enclave *e, const uint8_t mac[6], const char *what,
                       uint64_t seq)
{
    char m[MAC_STR_LEN + 1];

    mac_format(mac, m);
    log_info("claims", "%s: %s %s (seq %llu)", e->name, m, what, (unsigned long long)seq);
}

void claims_frozen(struct daemon *d, struct enclave *e, const uint8_t mac[6])
{
    const struct fdb_entry *ent = fdb_lookup(e->fdb, mac);
    const struct peer *at;
    char m[MAC_STR_LEN + 1];
    uint64_t window, freeze;
    unsigned moves;

    if (!ent || !fdb_frozen_report(e->fdb, mac))
        return;
    d->macs_frozen++;
    at = ent->peer;
    mac_format(mac, m);
    fdb_dup_limits(e->fdb, &moves, &window, &freeze);
    log_warn("claims", "%s: %s frozen at %s: more than %u moves in %.3f s (a duplicate MAC?); "
             "it stays there for %.3f s", e->name, m, at ? at->name : "this host",
             moves, (double)window / 1e9, (double)freeze / 1e9);
}

/* A claim goes to every up peer and to the ring at once: a host with no
 * link to us learns it from the ring within one round trip, not after
 * the next publish scan. */
static void claims_announce(struct daemon *d, struct enclave *e, const uint8_t mac[6],
                            uint64_t seq, uint64_t now)
{
    announce_mac(d, e, mac, seq, false);
    ringd_claim(d, e, mac, seq, now);
}

void claims_local(struct daemon *d, struct enclave *e, const uint8_t mac[6], int rc,
                  uint64_t now)
{
    const struct fdb_entry *ent;

    if (rc == -EBUSY)
        claims_frozen(d, e, mac);
    if (rc != FDB_CLAIMED && rc != FDB_MIGRATED)
        return;
    ent = fdb_lookup(e->fdb, mac);
    if (!ent)
        return;
    if (ent->state == FDB_LEARNED &&
        !bucket_take(&d->claim_budget, CLAIMS_LEARNED_PER_S, CLAIMS_LEARNED_BURST, now))
        drop_count(&d->drops, DROP_CLAIM_RATELIMIT, now, "%s: over %d claims a second",
                   e->name, CLAIMS_LEARNED_PER_S);
    else
        claims_announce(d, e, mac, ent->seq, now);
    if (rc == FDB_MIGRATED) {
        d->migrations++;
        claims_log(e, mac, "claimed here", ent->seq);
    }
}

int claims_remote(struct daemon *d, struct enclave *e, const uint8_t mac[6], struct peer *p,
                  uint64_t seq, uint64_t now)
{
    int rc = fdb_announce(e->fdb, mac, p, seq, now);
    const struct fdb_entry *ent = fdb_lookup(e->fdb, mac);

    if (rc == FDB_COUNTER && ent) {
        /* The guest answers here: say so to everyone the claim reached. */
        claims_announce(d, e, mac, ent->seq, now);
        claims_log(e, mac, "live here: counter-claim", ent->seq);
    } else if (rc == FDB_MOVED_AWAY) {
        d->migrations++;
        claims_log(e, mac, "claimed away, forwarding", seq);
    } else if (rc == -EBUSY) {
        claims_frozen(d, e, mac);
    } else if (rc == -ERANGE) {
        drop_count(&d->drops, DROP_CLAIM_SEQ, now, "%s: MAC claim by %s at seq %llu",
                   e->name, p->name, (unsigned long long)seq);
    }
    return rc;
}

bool claims_forward(struct daemon *d, struct enclave *e, struct peer *p, const uint8_t *dst,
                    const uint8_t *data, size_t len, uint64_t now)
{
    const struct fdb_entry *ent = fdb_lookup(e->fdb, dst);
    struct peer *to;

    if (!ent || ent->state != FDB_FORWARDING)
        return false;
    to = ent->peer;
    /* Never back to where it came from: that host is confused, not us. */
    if (to == p || !tx_peer_takes(d, to, e->id, now))
        return false;
    tx_send(d, to, now, data, len);
    d->forwarded_frames++;
    return true;
}

uint64_t claims_next_deadline(const struct daemon *d)
{
    uint64_t next = UINT64_MAX;

    for (size_t i = 0; i < d->n_enclaves; i++) {
        uint64_t t = fdb_next_deadline(d->enclaves[i]->fdb);

        if (t < next)
            next = t;
    }
    return next;
}

void claims_on_timeout(struct daemon *d, uint64_t now)
{
    for (size_t i = 0; i < d->n_enclaves; i++) {
        size_t n = fdb_on_timeout(d->enclaves[i]->fdb, now);

        if (n)
            log_info("claims", "%s: %zu forwarding MAC(s) withdrawn after the grace period",
                     d->enclaves[i]->name, n);
    }
}
