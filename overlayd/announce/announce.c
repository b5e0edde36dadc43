/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Enclave sets (ENCLAVES), MAC announcements and withdrawals sent to and
 * received from peers, the periodic refresh and the goodbye of a clean
 * shutdown. See announce.h.
 */
#include "overlayd/announce/announce.h"
#include "overlayd/announce/claims.h"
#include "overlayd/announce/encl_gate.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "overlayd/datapath/peer_admit.h"
#include "overlayd/daemon.h"
#include "overlayd/datapath/datapath.h"
#include "overlayd/datapath/inner.h"
#include "lib/log.h"

static void announce_send_tlvs(struct daemon *d, struct peer *p, struct inner_writer *w)
{
    if (inner_ctl_nonempty(w))
        tx_send(d, p, daemon_now(), w->buf, w->len);
}

/* Our local MACs of @e (attached or learned, heard here), to @p (@tlv:
 * announce or withdraw). */
static void announce_statics_tlv(struct daemon *d, struct peer *p, struct enclave *e,
                                 uint8_t tlv)
{
    struct inner_writer w;

    if (!admit_link_allows(d, p, e->id))
        return;
    inner_ctl_init(&w, d->ctl_buf, sizeof(d->ctl_buf));
    for (size_t i = 0; i < fdb_capacity(e->fdb); i++) {
        const struct fdb_entry *ent = fdb_at(e->fdb, i);

        if (!ent || !fdb_entry_local(ent))
            continue;
        if (inner_ctl_mac(&w, tlv, e->id, ent->mac, ent->seq) < 0) {
            announce_send_tlvs(d, p, &w);
            inner_ctl_init(&w, d->ctl_buf, sizeof(d->ctl_buf));
            inner_ctl_mac(&w, tlv, e->id, ent->mac, ent->seq);
        }
    }
    announce_send_tlvs(d, p, &w);
}

static void announce_statics(struct daemon *d, struct peer *p, struct enclave *e)
{
    announce_statics_tlv(d, p, e, INNER_TLV_MAC_ANNOUNCE);
}

void announce_hello(struct daemon *d, struct peer *p)
{
    size_t n = d->n_enclaves;
    size_t cap = 1 + INNER_TLV_HDR + 1 + 3 * n + INNER_TLV_HDR + INNER_FEATURES_LEN;
    uint32_t *ids = malloc((n ? n : 1) * sizeof(*ids));
    uint8_t *buf = malloc(cap);
    struct inner_writer w;

    if (!ids || !buf)
        goto out;
    n = enclave_ids(d, ids, n);
    /* Only the enclaves both of us may carry: the rest is not its business. */
    {
        size_t k = 0;

        for (size_t i = 0; i < n; i++)
            if (admit_link_allows(d, p, ids[i]))
                ids[k++] = ids[i];
        n = k;
    }
    inner_ctl_init(&w, buf, cap);
    if (inner_ctl_enclaves(&w, p->encl_known ? 0 : INNER_ENCLAVES_REQUEST, ids, n) == 0 &&
        inner_ctl_features(&w, d->features) == 0)
        announce_send_tlvs(d, p, &w);
    else
        log_warn("announce", "too many enclaves to announce to %s", p->name);
    log_debug("announce", "sent enclave set (%zu) to %s%s", n, p->name,
              p->encl_known ? "" : ", asking for theirs");
out:
    free(ids);
    free(buf);
}

void announce_mac(struct daemon *d, struct enclave *e, const uint8_t mac[6], uint64_t seq,
                  bool withdraw)
{
    struct inner_writer w;
    uint64_t now = daemon_now();

    inner_ctl_init(&w, d->ctl_buf, sizeof(d->ctl_buf));
    inner_ctl_mac(&w, withdraw ? INNER_TLV_MAC_WITHDRAW : INNER_TLV_MAC_ANNOUNCE, e->id, mac, seq);
    for (size_t i = 0; i < d->n_peers; i++) {
        struct peer *p = d->peers[i];

        if (tx_peer_takes(d, p, e->id, now))
            tx_send(d, p, now, w.buf, w.len);
    }
}

void announce_goodbye(struct daemon *d)
{
    uint64_t now = daemon_now();
    uint8_t buf[1 + INNER_TLV_HDR + 1];
    struct inner_writer w;

    if (!d->link)
        return;
    for (size_t i = 0; i < d->n_peers; i++) {
        struct peer *p = d->peers[i];

        if (!tx_peer_up(p, now))
            continue;
        for (size_t j = 0; j < d->n_enclaves; j++)
            if (peer_carries(p, d->enclaves[j]->id))
                announce_statics_tlv(d, p, d->enclaves[j], INNER_TLV_MAC_WITHDRAW);
        /* An empty set: the peer flushes every entry pointing at us. */
        inner_ctl_init(&w, buf, sizeof(buf));
        if (inner_ctl_enclaves(&w, 0, NULL, 0) == 0)
            tx_send(d, p, now, w.buf, w.len);
    }
}

void announce_peer_down(struct daemon *d, struct peer *p)
{
    for (size_t i = 0; i < d->n_enclaves; i++)
        fdb_flush_peer(d->enclaves[i]->fdb, p);
    peer_forget_enclaves(p);
}

/* Does the set @p just sent (@old: before it) ask for our set or MACs? */
static bool announce_wants_answer(const struct daemon *d, const struct peer *p,
                                  const struct peer *old, bool was_known, uint8_t flags)
{
    if (flags & INNER_ENCLAVES_REQUEST)
        return true;
    for (size_t i = 0; i < d->n_enclaves; i++)
        if (peer_carries(p, d->enclaves[i]->id) &&
            !(was_known && peer_carries(old, d->enclaves[i]->id)))
            return true;
    return false;
}

static void announce_rx_enclaves(struct daemon *d, struct peer *p, const struct inner_tlv *t,
                                 uint64_t now)
{
    uint8_t flags;
    size_t n;
    uint32_t *ids;
    bool was_known = p->encl_known, answer = true;
    struct peer old = *p;             /* its previous set, for the diff */

    if (inner_enclaves_parse(t, &flags, &n) < 0) {
        drop_count(&d->drops, DROP_INNER_MALFORMED, now, "enclave set from %s", p->name);
        return;
    }
    ids = malloc((n ? n : 1) * sizeof(*ids));
    if (!ids)
        return;
    {
        size_t k = 0;

        /* An enclave it may not carry (or we may not) is dropped from its set. */
        for (size_t i = 0; i < n; i++) {
            uint32_t id = inner_enclaves_id(t, i);

            if (admit_link_allows(d, p, id))
                ids[k++] = id;
            else
                drop_count(&d->drops, DROP_UNKNOWN_ENCLAVE, now,
                           "enclave %u in the set from %s", id, p->name);
        }
        n = k;
    }
    p->encl = NULL;                   /* keep the old array alive in @old */
    if (peer_set_enclaves(p, ids, n) < 0) {
        p->encl = old.encl;
        free(ids);
        return;
    }
    /* An answer costs MAC-table scans and packets: within the peer's
     * budget only; the 30 s refresh answers the rest. */
    if (announce_wants_answer(d, p, &old, was_known, flags) &&
        !encl_gate_answer(&p->encl_answers, now)) {
        drop_count(&d->drops, DROP_ENCLAVES_RATELIMIT, now, "enclave set from %s", p->name);
        flags = 0;
        answer = false;
    }
    /* The peer (re)started or lost our state: it re-announces everything.
     * Our set goes before our MACs: the peer drops announcements for an
     * enclave it does not know we carry (drop_unknown_enclave). */
    if (flags & INNER_ENCLAVES_REQUEST) {
        for (size_t i = 0; i < d->n_enclaves; i++)
            fdb_flush_peer(d->enclaves[i]->fdb, p);
        announce_hello(d, p);         /* encl_known is true now: no request back */
    }
    for (size_t i = 0; i < d->n_enclaves; i++) {
        struct enclave *e = d->enclaves[i];
        bool now_c = peer_carries(p, e->id), before = was_known && peer_carries(&old, e->id);

        if (before && !now_c)
            fdb_flush_peer(e->fdb, p);
        if (answer && now_c && (!before || (flags & INNER_ENCLAVES_REQUEST)))
            announce_statics(d, p, e);
    }
    if (!was_known || old.n_encl != p->n_encl)
        log_info("announce", "%s carries %zu enclave(s)", p->name, n);
    free(old.encl);
    free(ids);
}

static void announce_rx_mac(struct daemon *d, struct peer *p, const struct inner_tlv *t,
                            uint64_t now)
{
    uint32_t id;
    uint8_t mac[6];
    uint64_t seq;
    struct enclave *e;

    if (inner_mac_parse(t, &id, mac, &seq) < 0) {
        drop_count(&d->drops, DROP_INNER_MALFORMED, now, "MAC announcement from %s", p->name);
        return;
    }
    e = enclave_by_id(d, id);
    /* A claim counts only from a host admitted to the enclave. */
    if (e && t->type == INNER_TLV_MAC_ANNOUNCE && admit_self_may_carry(d, id) &&
        !admit_link_allows(d, p, id)) {
        drop_count(&d->drops, DROP_CLAIM_UNADMITTED, now, "%s: MAC claim from %s", e->name,
                   p->name);
        return;
    }
    if (!e || !peer_carries(p, id) || !admit_link_allows(d, p, id)) {
        drop_count(&d->drops, DROP_UNKNOWN_ENCLAVE, now, "MAC announcement of enclave %u from %s",
                   id, p->name);
        return;
    }
    if (t->type == INNER_TLV_MAC_ANNOUNCE) {
        if (claims_remote(d, e, mac, p, seq, now) == -ENOSPC)
            drop_count(&d->drops, DROP_FDB_FULL, now, "%s: MAC announced by %s", e->name,
                       p->name);
    } else {
        fdb_withdraw(e->fdb, mac, p, seq);
    }
}

void announce_control(struct daemon *d, struct peer *p, const uint8_t *data, size_t len,
                      uint64_t now)
{
    struct inner_reader r;
    struct inner_tlv t;
    uint32_t features = 0;
    bool set = false;
    int rc;

    if (inner_ctl_reader(&r, data, len) < 0) {
        drop_count(&d->drops, DROP_INNER_MALFORMED, now, "control payload from %s", p->name);
        return;
    }
    while ((rc = inner_ctl_next(&r, &t)) > 0) {
        if (inner_ctl_extra(&r, &t)) {
            drop_count(&d->drops, DROP_ENCLAVES_EXTRA, now, "second enclave set from %s",
                       p->name);
            continue;
        }
        switch (t.type) {
        case INNER_TLV_ENCLAVES:
            announce_rx_enclaves(d, p, &t, now);
            set = true;
            break;
        case INNER_TLV_FEATURES:
            if (inner_features_value(&t, &features) < 0)
                drop_count(&d->drops, DROP_INNER_MALFORMED, now, "features from %s", p->name);
            break;
        case INNER_TLV_MAC_ANNOUNCE:
        case INNER_TLV_MAC_WITHDRAW:
            announce_rx_mac(d, p, &t, now);
            break;
        default:
            /* A newer peer's TLV: skipped, the rest of the payload still counts. */
            drop_count(&d->drops, DROP_INNER_TYPE, now, "control TLV %u from %s", t.type, p->name);
            break;
        }
    }
    if (rc < 0)
        drop_count(&d->drops, DROP_INNER_MALFORMED, now, "control TLVs from %s", p->name);
    /* The features come with the set: a set alone is a peer without them. */
    if (set)
        p->features = features;
}

void announce_refresh(struct daemon *d)
{
    uint64_t now = daemon_now();

    for (size_t i = 0; i < d->n_enclaves; i++)
        fdb_age(d->enclaves[i]->fdb, now, (uint64_t)FDB_LEARNED_AGE_S * 1000000000ull);
    for (size_t i = 0; i < d->n_peers; i++) {
        struct peer *p = d->peers[i];

        if (!tx_peer_up(p, now))
            continue;
        announce_hello(d, p);
        for (size_t j = 0; j < d->n_enclaves; j++)
            if (peer_carries(p, d->enclaves[j]->id))
                announce_statics(d, p, d->enclaves[j]);
    }
}
