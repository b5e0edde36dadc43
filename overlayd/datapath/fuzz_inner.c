/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * libFuzzer target: inner payloads as a peer could send them (frames,
 * broadcast-tree frames, control TLVs, ring, probe and detour messages),
 * decoded the way datapath/rx.c, datapath/probe.c, datapath/detour.c and
 * announce/announce.c do, and fed into an fdb and a path prober.
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "overlayd/datapath/fdb.h"
#include "overlayd/datapath/inner.h"
#include "overlayd/datapath/vnet.h"
#include "overlayd/paths/path_probe.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static struct fdb *f;
    static int peer;
    struct inner_reader r;
    struct inner_tlv t;
    const uint8_t *frame;
    size_t flen, n;
    uint32_t id;
    uint8_t mac[6], flags;
    uint64_t seq;

    if (!f && fdb_new(64, 1, &f) < 0)
        return 0;
    if (inner_frame_parse(data, size, &id, &frame, &flen) == 0) {
        fdb_learn(f, frame + 6, &peer, size);
        (void)fdb_lookup(f, frame);
    }
    {
        /* Type 7: the header a peer sent is checked against its frame
         * exactly as rx.c does before anything reads the frame. */
        const uint8_t *vnet;
        static uint8_t copy[70000];
        struct vnet_hdr h;

        if (inner_frame_gso_parse(data, size, &id, &vnet, &frame, &flen) == 0 &&
            flen <= sizeof(copy)) {
            if (vnet != data + INNER_FRAME_HDR || frame != data + INNER_FRAME_GSO_HDR)
                __builtin_trap();
            memcpy(copy, frame, flen);
            vnet_hdr_read(vnet, &h);
            if (vnet_check(&h, copy, flen) == 0 && h.gso_type == VNET_GSO_NONE)
                (void)vnet_csum_complete(&h, copy, flen);
        }
    }
    {
        struct inner_flood fl;
        static uint8_t hdr[INNER_FLOOD_HDR];

        /* A parsed flood header must rebuild to the very same bytes. */
        if (inner_flood_parse(data, size, &fl) == 0) {
            inner_flood_header(hdr, fl.enclave, fl.limit, fl.origin);
            if (memcmp(hdr, data, INNER_FLOOD_HDR) != 0 || fl.frame_len + INNER_FLOOD_HDR != size)
                __builtin_trap();
            fdb_learn(f, fl.frame + 6, &peer, size);
        }
    }
    {
        uint8_t kind;
        const uint8_t *body;
        size_t blen;
        char name[INNER_RING_NAME_MAX + 1];
        struct inner_relay rl;
        static uint8_t out[2 * 4096];

        if (inner_ring_parse(data, size, &kind, &body, &blen) == 0 && kind == INNER_RING_HOST)
            (void)inner_ring_host_parse(body, blen, name);
        /* A parsed relay must rebuild to the very same bytes. */
        if (inner_ring_parse(data, size, &kind, &body, &blen) == 0 && kind == INNER_RING_RELAY &&
            inner_relay_parse(body, blen, &rl) == 0) {
            int m = inner_relay_build(&rl, out, sizeof(out));

            if (m >= 0 && ((size_t)m != blen || memcmp(out, body, blen) != 0))
                __builtin_trap();
        }
        /* Any bytes as an opened sealed part (what a peer could seal). */
        {
            struct inner_relay_plain pl;

            if (inner_relay_plain_parse(data, size, &pl) == 0) {
                int m = inner_relay_plain_build(&pl, out, sizeof(out));

                if (m >= 0 && ((size_t)m != size || memcmp(out, data, size) != 0))
                    __builtin_trap();
            }
        }
    }
    {
        static struct path_probe pp;
        static uint64_t now;
        struct inner_probe pr;
        struct path_probe_req q;
        uint8_t out[INNER_PROBE_LEN];

        /* A parsed probe must rebuild to the very same bytes; a reply goes
         * to a prober with probes in flight (as probe.c does), which must
         * never take a sample from the future. */
        if (inner_probe_parse(data, size, &pr) == 0) {
            inner_probe_build(out, &pr);
            if (size != INNER_PROBE_LEN || memcmp(out, data, size) != 0)
                __builtin_trap();
            if (!pp.active) {
                path_init(&pp, 1);
                path_link_up(&pp, now);
            }
            now += PATH_MS;
            (void)path_poll(&pp, now, &q);
            path_on_rx(&pp, now);
            if (pr.flags == INNER_PROBE_REPLY && path_on_reply(&pp, pr.seq, pr.ts, now) == 0 &&
                pr.ts > now)
                __builtin_trap();
        }
    }
    {
        struct inner_detour dt;
        uint64_t key;
        uint32_t rtt;
        uint8_t fl;

        /* A parsed detour message must stay inside the input. */
        if (inner_detour_parse(data, size, &dt) == 0) {
            if (dt.pkt && (dt.pkt < data || dt.pkt + dt.pkt_len != data + size))
                __builtin_trap();
            for (unsigned i = 0; i < dt.n; i++)
                inner_detour_entry(&dt, i, &key, &fl, &rtt);
        }
    }
    if (inner_ctl_reader(&r, data, size) == 0) {
        size_t sets = 0;

        while (inner_ctl_next(&r, &t) > 0) {
            /* as announce_control: only a message's first set counts */
            if (inner_ctl_extra(&r, &t)) {
                if (t.type != INNER_TLV_ENCLAVES || sets != 1)
                    __builtin_trap();
                continue;
            }
            sets += t.type == INNER_TLV_ENCLAVES;
            if (inner_enclaves_parse(&t, &flags, &n) == 0)
                for (size_t i = 0; i < n; i++)
                    (void)inner_enclaves_id(&t, i);
            if (t.type == INNER_TLV_FEATURES) {
                uint32_t feat;

                if ((inner_features_value(&t, &feat) == 0) != (t.len >= INNER_FEATURES_LEN))
                    __builtin_trap();
            }
            if (inner_mac_parse(&t, &id, mac, &seq) == 0) {
                if (t.type == INNER_TLV_MAC_ANNOUNCE)
                    fdb_announce(f, mac, &peer, seq, size);
                else
                    fdb_withdraw(f, mac, &peer, seq);
            }
        }
    }
    fdb_age(f, size * 1000, 500);
    return 0;
}
