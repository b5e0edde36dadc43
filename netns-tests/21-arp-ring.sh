#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
#
# Scenario 21 — ARP/ND bindings learned on one host, published on the ring
# and answered on another.
# h1, h2, h3 (one ring, no Authority), enclave blue (100) whose only
# [Member] with an Address is gm (52:54:00:00:01:09, 10.100.0.9; no guest).
# Guests gA (h1), gB (h2), gC (h3), none with a [Member] Address.
#  - gA pings gB: h1 learns gA's binding from gA's ARP request
#    (arp_learned; `neigh blue` shows it as local), publishes it; the ring
#    holds a binding record of blue;
#  - gC pings gA: h3 has no binding, floods the request and asks the ring;
#    the answer is cached (neigh_ring_hits; `neigh blue` on h3: ring);
#  - gC, its neighbour cache flushed, pings gA again: h3 answers the ARP
#    request itself (arp_suppressed on h3 rises), no ARP request of gC shows
#    up on gA's port on h1 (its pings do), gC's entry holds gA's MAC;
#  - the same over IPv6 (nd_learned on h1, nd_suppressed on h3);
#  - gB claims gm's address 10.100.0.9: h2 does not learn it
#    (neigh_conflicts), and gC asking for it gets gm's configured MAC.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib-ring.sh"
rig_init

GA_MAC=52:54:00:00:01:01 GB_MAC=52:54:00:00:01:02 GC_MAC=52:54:00:00:01:03
GM_MAC=52:54:00:00:01:09
hosts=(h1 h2 h3)

rig_say "topology: 3 hosts in one ring, blue=100, guests without [Member] Address"
rig_wan_create
for i in 1 2 3; do rig_host_create "h$i" "$i"; done
rig_mesh "${hosts[@]}"
for h in "${hosts[@]}"; do
    rig_enclave "$h" blue 100 "" "[Member]" "Name = gm" "MAC = $GM_MAC" "Address = 10.100.0.9/24"
    rig_daemon_start "$h"
done
for h in "${hosts[@]}"; do rig_wait_links "$h" 2; done
rig_poll 60 "h1, h2, h3 form one ring" ring_check "${hosts[@]}"

rig_guest_create h1 blue gA 10.100.0.1 "$GA_MAC"
rig_guest_create h2 blue gB 10.100.0.2 "$GB_MAC"
rig_guest_create h3 blue gC 10.100.0.3 "$GC_MAC"
rig_in gA ip -6 addr add fd00:100::1/64 dev eth0 nodad
rig_in gB ip -6 addr add fd00:100::2/64 dev eth0 nodad
rig_in gC ip -6 addr add fd00:100::3/64 dev eth0 nodad

# Binding records of blue held anywhere on the ring (E-owner and replicas).
_ring_bindings() {
    local h n=0 c
    for h in "${hosts[@]}"; do
        c=$(rig_ctl_q "$h" --json ring | jq '[.stored[] | select(.enclave == 100) | .bindings] | add // 0')
        n=$((n + c))
    done
    echo "$n"
}
_bindings_ge() { [ "$(_ring_bindings)" -ge "$1" ]; }
_counter_ge() { [ "$(rig_counter "$1" "$2")" -ge "$3" ]; }

rig_say "IPv4: gA pings gB; h1 learns and publishes gA's binding"
rig_ping gA 10.100.0.2
rig_log "h1 arp_learned $(rig_counter h1 arp_learned), h2 arp_learned $(rig_counter h2 arp_learned)"
_counter_ge h1 arp_learned 1 || rig_fail "h1 did not learn gA's binding (arp_learned 0)"
_origin_of() {
    rig_ctl_q "$1" --json neigh blue | jq -r --arg ip "$2" '[.entries[] | select(.ip == $ip) | .origin][0] // "none"'
}
rig_assert_eq "$(_origin_of h1 10.100.0.1)" local "origin of h1's binding of 10.100.0.1"
rig_assert_eq "$(_origin_of h3 10.100.0.1)" none "h3's binding of 10.100.0.1 before gC asks"
# gA's and gB's (from its reply), each on r = min(8, 3) hosts at most.
rig_poll 10 "binding records of blue on the ring" _bindings_ge 2
rig_log "binding records of blue on the ring: $(_ring_bindings)"

# gC asks for gA: flooded (h3 knows nothing yet) and asked of the ring. A
# request that reached the ring before h1's record did finds nothing: ask
# again with a fresh neighbour cache until the ring's answer is cached.
_ask_until_hit() {
    local guest=$1 ip=$2 fam=$3
    rig_in "$guest" ip "$fam" neigh flush dev eth0
    rig_in "$guest" ping "$fam" -n -q -c 1 -W 2 "$ip" >/dev/null || return 1
    sleep 0.3
    [ "$(rig_counter h3 neigh_ring_hits)" -gt "$hits0" ]
}
rig_say "gC pings gA: h3 floods the request, asks the ring, caches the answer"
hits0=$(rig_counter h3 neigh_ring_hits)
rig_poll 20 "h3 caches gA's binding from the ring" _ask_until_hit gC 10.100.0.1 -4
rig_log "h3 neigh_ring_gets $(rig_counter h3 neigh_ring_gets) hits $(rig_counter h3 neigh_ring_hits) misses $(rig_counter h3 neigh_ring_misses)"
rig_assert_eq "$(_origin_of h3 10.100.0.1)" ring "origin of h3's binding of 10.100.0.1"
rig_ctl h3 neigh blue >&2

ARP_REQ_GC="08060001080006040001$(rig_mac_hex "$GC_MAC")"
rig_say "gC pings gA again, neighbour cache flushed: h3 answers, the request never reaches h1"
# h1 delivers to gA through gA's port (docs/design.md "Guest ports").
rig_capture_start h1 g-gA "$RIG_DIR/h1-port.pcap"
rig_in gC ip neigh flush dev eth0
before=$(rig_counter h3 arp_suppressed)
rig_ping gC 10.100.0.1
rig_capture_stop "$RIG_DIR/h1-port.pcap"
after=$(rig_counter h3 arp_suppressed)
rig_log "h3 arp_suppressed $before -> $after"
[ "$after" -ge $((before + 1)) ] || rig_fail "h3 arp_suppressed $before -> $after: gC's ARP request was not answered on h3"
rig_assert_eq "$(rig_pcap count "$RIG_DIR/h1-port.pcap" "$ARP_REQ_GC")" 0 "ARP requests of gC on gA's port"
[ "$(rig_pcap count "$RIG_DIR/h1-port.pcap" "$(rig_mac_hex "$GC_MAC")")" -gt 0 ] \
    || rig_fail "gA's port capture never saw gC's MAC; capture broken?"
neigh=$(ip -n "$(rig_ns gC)" neigh show 10.100.0.1 dev eth0)
rig_log "gC: $neigh"
grep -qi "lladdr $GA_MAC" <<<"$neigh" || rig_fail "gC's neighbour entry for 10.100.0.1 is '$neigh', not $GA_MAC"

rig_say "IPv6: gA pings gB; later h3 answers gC's neighbour solicitation for gA"
rig_in gA ping -6 -n -q -c 2 -i 0.2 -W 2 fd00:100::2 >/dev/null || rig_fail "ping6 gA -> gB failed"
_counter_ge h1 nd_learned 1 || rig_fail "h1 did not learn gA's IPv6 binding (nd_learned 0)"
hits0=$(rig_counter h3 neigh_ring_hits)
rig_poll 20 "h3 caches gA's IPv6 binding from the ring" _ask_until_hit gC fd00:100::1 -6
rig_in gC ip -6 neigh flush dev eth0
before=$(rig_counter h3 nd_suppressed)
rig_in gC ping -6 -n -q -c 3 -i 0.2 -W 2 fd00:100::1 >/dev/null || rig_fail "ping6 gC -> gA failed"
after=$(rig_counter h3 nd_suppressed)
rig_log "h3 nd_suppressed $before -> $after"
[ "$after" -ge $((before + 1)) ] || rig_fail "h3 nd_suppressed $before -> $after: gC's NS was not answered on h3"
neigh=$(ip -n "$(rig_ns gC)" -6 neigh show fd00:100::1 dev eth0)
grep -qi "lladdr $GA_MAC" <<<"$neigh" || rig_fail "gC's neighbour entry for fd00:100::1 is '$neigh', not $GA_MAC"

rig_say "gB claims gm's configured address: not learned; gC gets gm's MAC"
before=$(rig_counter h2 neigh_conflicts)
rig_in gB ip addr add 10.100.0.9/24 dev eth0
rig_in gB ip neigh flush dev eth0
rig_in gB ping -n -q -c 1 -W 2 -I 10.100.0.9 10.100.0.1 >/dev/null || true
rig_poll 5 "h2 counts gB's claim on 10.100.0.9 as a conflict" _counter_ge h2 neigh_conflicts $((before + 1))
rig_in gC ip neigh flush dev eth0
rig_in gC ping -n -q -c 1 -W 1 10.100.0.9 >/dev/null || true
neigh=$(ip -n "$(rig_ns gC)" neigh show 10.100.0.9 dev eth0)
rig_log "gC: $neigh"
grep -qi "lladdr $GM_MAC" <<<"$neigh" || rig_fail "gC's entry for 10.100.0.9 is '$neigh', not the configured $GM_MAC"
rig_assert_eq "$(_origin_of h2 10.100.0.9)" static "origin of h2's binding of 10.100.0.9 after gB's claim"

for h in "${hosts[@]}"; do
    rig_log "$h: drop_ring_binding $(rig_counter "$h" drop_ring_binding)"
done
rig_pass
