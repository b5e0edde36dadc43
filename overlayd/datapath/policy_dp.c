/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * An enclave's [Policy] in the data path: the glue between tx.c / rx.c and
 * the pure fw module (docs/design.md "Member policy"). Names come from the
 * guest's port (attach --name) or the enclave's [Member] with that MAC.
 */
#include "overlayd/datapath/datapath.h"

#include <errno.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>

#include "lib/log.h"
#include "lib/mac.h"
#include "overlayd/daemon.h"
#include "overlayd/datapath/fw.h"

struct dp_policy_ask {
    struct daemon *d;
    struct enclave *e;
    const struct attachment *from;
    const uint8_t *frame;
    /* A guest's names once asked: its port's --name, its [Member] Name. */
    const char *src[2], *dst[2];
};

/* What the flows were judged on: the rules and the [Member] names of MACs. */
static void dp_policy_digest(const struct config_enclave *ce, uint8_t out[32])
{
    crypto_generichash_state st;

    crypto_generichash_init(&st, NULL, 0, 32);
    for (size_t i = 0; i < ce->n_rules; i++) {
        char text[2 * POLICY_NAME_MAX + 32];

        policy_rule_format(&ce->rules[i], text, sizeof(text));
        crypto_generichash_update(&st, (const uint8_t *)text, strlen(text) + 1);
    }
    for (size_t i = 0; i < ce->n_members; i++) {
        crypto_generichash_update(&st, ce->members[i].mac, 6);
        crypto_generichash_update(&st, (const uint8_t *)ce->members[i].name,
                                  strlen(ce->members[i].name) + 1);
    }
    crypto_generichash_final(&st, out, 32);
}

int dp_policy_load(struct daemon *d, struct enclave *e, const struct config_enclave *ce)
{
    struct policy_rule *rules = NULL;
    uint8_t key[16], digest[32];

    (void)d;
    if (!ce->policy_line) {
        dp_policy_free(e);
        return 0;
    }
    dp_policy_digest(ce, digest);
    if (e->fw && memcmp(digest, e->policy_digest, sizeof(digest)) == 0)
        return 0;                       /* flows stay: what let them by holds */
    if (ce->n_rules && !(rules = malloc(ce->n_rules * sizeof(*rules))))
        return -ENOMEM;
    if (!e->fw) {
        randombytes_buf(key, sizeof(key));
        if (!(e->fw = fw_table_new(FW_SLOTS_DEFAULT, key))) {
            free(rules);
            return -ENOMEM;
        }
    } else {
        fw_table_flush(e->fw);          /* what the old rules let by is asked again */
    }
    if (ce->n_rules)
        memcpy(rules, ce->rules, ce->n_rules * sizeof(*rules));
    free(e->rules);
    e->rules = rules;
    e->n_rules = ce->n_rules;
    memcpy(e->policy_digest, digest, sizeof(digest));
    log_info("enclave", "%s: [Policy] enforced: %zu rules (%s:%d)", e->name, e->n_rules,
             ce->path, ce->policy_line);
    return 0;
}

void dp_policy_free(struct enclave *e)
{
    fw_table_free(e->fw);
    free(e->rules);
    e->fw = NULL;
    e->rules = NULL;
    e->n_rules = 0;
}

/* @names: the --name of port @a (if any), then the [Member] Name with
 * @mac (if any); "" for none of either (matches only `*`). */
static void dp_policy_names(struct daemon *d, const struct enclave *e,
                            const struct attachment *a, const uint8_t mac[6],
                            const char *names[2])
{
    const struct config_enclave *ce = NULL;

    names[0] = a && a->vm[0] ? a->vm : "";
    names[1] = NULL;
    for (size_t i = 0; d->cfg && i < d->cfg->n_enclaves; i++)
        if (d->cfg->enclaves[i].id == e->id)
            ce = &d->cfg->enclaves[i];
    for (size_t i = 0; ce && i < ce->n_members; i++) {
        const struct config_member *m = &ce->members[i];

        if (!m->mac_line || memcmp(m->mac, mac, 6) != 0 || strcmp(m->name, names[0]) == 0)
            continue;
        if (names[0][0])
            names[1] = m->name;
        else
            names[0] = m->name;
        break;
    }
}

static bool dp_policy_allows(void *ctx, uint8_t proto, uint16_t dport)
{
    struct dp_policy_ask *q = ctx;
    const struct attachment *to = NULL;

    dp_policy_names(q->d, q->e, q->from, q->frame + 6, q->src);
    if (q->frame[0] & 1) {
        q->dst[0] = "";                 /* broadcast, multicast: no one guest */
        q->dst[1] = NULL;
    } else {
        if (q->e->ports_isolated)
            to = port_by_mac(q->d, q->e, q->frame);
        dp_policy_names(q->d, q->e, to, q->frame, q->dst);
    }
    /* A guest is known by either name. */
    for (int s = 0; s < 2 && q->src[s]; s++)
        for (int t = 0; t < 2 && q->dst[t]; t++)
            if (policy_allows(q->e->rules, q->e->n_rules, q->src[s], q->dst[t], proto, dport))
                return true;
    return false;
}

bool dp_policy_pass(struct daemon *d, struct enclave *e, const struct attachment *from,
                    const uint8_t *frame, size_t len, uint64_t now)
{
    struct dp_policy_ask q = { .d = d, .e = e, .from = from, .frame = frame };
    enum fw_verdict v;
    char smac[MAC_STR_LEN + 1], dmac[MAC_STR_LEN + 1];

    if (!e->fw)
        return true;
    v = fw_check(e->fw, frame, len, now, dp_policy_allows, &q);
    if (fw_passes(v))
        return true;
    mac_format(frame + 6, smac);
    mac_format(frame, dmac);
    drop_count(&d->drops, DROP_POLICY, now, "%s: %s (%s%s%s) -> %s (%s%s%s)%s", e->name, smac,
               q.src[0] && q.src[0][0] ? q.src[0] : "-", q.src[1] ? " " : "",
               q.src[1] ? q.src[1] : "", dmac, q.dst[0] && q.dst[0][0] ? q.dst[0] : "-",
               q.dst[1] ? " " : "", q.dst[1] ? q.dst[1] : "",
               v == FW_DENY_MALFORMED ? ": headers cut short" : "");
    return false;
}
