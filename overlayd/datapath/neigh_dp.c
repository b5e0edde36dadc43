/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * ARP and neighbour discovery suppression in the data path: the glue
 * between tx.c / rx.c and the pure neigh module. See datapath.h.
 */
#include "overlayd/datapath/datapath.h"

#include <errno.h>
#include <string.h>

#include "lib/log.h"
#include "overlayd/daemon.h"
#include "overlayd/datapath/neigh.h"
#include "tap/tap.h"

int enclave_neigh_load(struct daemon *d, struct enclave *e, const struct config_enclave *ce)
{
    int rc;

    if (!e->neigh) {
        rc = neigh_table_new(NEIGH_DEFAULT_MAX, d->fdb_seed ^ e->id ^ 0x6e65696768ull,
                             &e->neigh);
        if (rc < 0)
            return rc;
    }
    attach_relock(d, e, ce);
    rc = dp_policy_load(d, e, ce);
    if (rc < 0)
        return rc;
    /* Statics are the configuration: a reload replaces them all. */
    neigh_clear_static(e->neigh);
    for (size_t i = 0; i < ce->n_members; i++) {
        const struct config_member *m = &ce->members[i];

        if (!m->mac_line || !m->address[0])
            continue;
        rc = neigh_set_static_text(e->neigh, m->address, m->mac);
        if (rc < 0)
            log_warn("neigh", "%s: member %s: address %s not bound: %s", e->name, m->name,
                     m->address, strerror(-rc));
    }
    return 0;
}

void dp_neigh_learn(struct daemon *d, struct enclave *e, const uint8_t *frame, size_t len,
                    uint64_t now)
{
    const struct neigh_entry *was;
    struct neigh_ip ip;
    uint8_t mac[6];
    bool fresh;
    int rc;

    if (neigh_snoop(frame, len, &ip, mac) < 0)
        return;
    was = neigh_lookup(e->neigh, &ip);
    fresh = !was || was->origin != NEIGH_ORIGIN_LOCAL || memcmp(was->mac, mac, 6) != 0;
    /* The frame goes on either way; a conflict leaves the table as it is. */
    rc = neigh_learn(e->neigh, &ip, mac, now);
    if (rc == -EPERM && memcmp(was->mac, mac, 6) != 0) {
        d->neigh_conflicts++;
        log_debug("neigh", "%s: a guest claims an address a [Member] binds to another MAC",
                  e->name);
    }
    if (rc < 0 || !fresh)
        return;
    if (ip.family == 4)
        d->arp_learned++;
    else
        d->nd_learned++;
}

int dp_neigh_from_ring(struct daemon *d, struct enclave *e, const struct neigh_ip *ip,
                       const uint8_t mac[6], uint64_t seq, uint64_t now)
{
    (void)d;
    return neigh_learn_ring(e->neigh, ip, mac, seq, now);
}

bool dp_neigh_answer(struct daemon *d, struct enclave *e, const struct attachment *from,
                     const uint8_t *frame, size_t len, uint64_t now)
{
    struct neigh_query q;
    const struct neigh_entry *b;
    const struct fdb_entry *loc;
    uint8_t out[NEIGH_REPLY_MAX];
    int n;

    if (neigh_parse(frame, len, &q) < 0)
        return false;
    /* Only this enclave's table is asked: a binding never crosses enclaves. */
    b = neigh_lookup(e->neigh, &q.target);
    if (!b) {
        /* Flooded as before; the ring may know, for the next request. */
        dp_fact_push_ip(d, e->id, q.target.family, q.target.ip, now);
        return false;
    }
    if (memcmp(b->mac, q.asker_mac, 6) == 0 || memcmp(b->mac, q.eth_src, 6) == 0)
        return false;
    /* A guest on this bridge got the request already and answers itself;
     * a reply from the uplink would teach the bridge its MAC on the wrong port. */
    loc = fdb_lookup(e->fdb, b->mac);
    if (loc && fdb_entry_local(loc))
        return false;
    n = neigh_reply(&q, b->mac, out, sizeof(out));
    if (n < 0)
        return false;
    /* Not written: the request floods as it would without us. */
    if (!dp_port_write(d, e, from, out, (size_t)n, now))
        return false;
    if (q.kind == NEIGH_ARP)
        d->arp_suppressed++;
    else
        d->nd_suppressed++;
    return true;
}

void dp_neigh_age(struct daemon *d, uint64_t now)
{
    for (size_t i = 0; i < d->n_enclaves; i++) {
        neigh_age(d->enclaves[i]->neigh, now, (uint64_t)NEIGH_LEARNED_AGE_S * 1000000000ull);
        /* Shorter: the address may have moved to another guest since, and
         * remote frames do not correct a cached binding; the ring does. */
        neigh_age_ring(d->enclaves[i]->neigh, now, (uint64_t)NEIGH_RING_AGE_S * 1000000000ull);
    }
}
