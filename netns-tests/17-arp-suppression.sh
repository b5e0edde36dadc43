#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
#
# Scenario 17 — ARP and neighbour discovery suppression.
# h1 and h2, enclave blue (100) whose [Member]s give g1 (h1) and g2, g3
# (h2) their MACs and Addresses (g3 an IPv6 one); enclave red (200), no
# members, with guest r1 on h1 in blue's subnet.
#  - g1, its neighbour cache flushed, pings g2: h1 answers g1's ARP request
#    itself (arp_suppressed >= 1), no ARP request of g1 reaches g2's port on h2
#    or g2, and g1's neighbour entry for g2's IP holds g2's MAC;
#  - g1 pings g3 over IPv6: h1 answers the NS (nd_suppressed >= 1) and g1's
#    neighbour entry holds g3's MAC;
#  - r1 asks for g2's IP: blue's binding does not answer it (the ping
#    fails, h1's counters stay, r1 never learns g2's MAC).
. "$(dirname "$0")/lib.sh"
rig_init

G1_MAC=52:54:00:00:01:01 G2_MAC=52:54:00:00:01:02 G3_MAC=52:54:00:00:01:03
R1_MAC=52:54:00:00:02:07

rig_say "topology: 2 hosts, blue=100 with members, red=200 without"
rig_wan_create
rig_host_create h1 1
rig_host_create h2 2
rig_mesh h1 h2
for h in h1 h2; do
    rig_enclave "$h" blue 100 \
        "" "[Member]" "Name = g1" "MAC = $G1_MAC" "Address = 10.100.0.1/24" \
        "" "[Member]" "Name = g2" "MAC = $G2_MAC" "Address = 10.100.0.2/24" \
        "" "[Member]" "Name = g3" "MAC = $G3_MAC" "Address = fd00:100::3/64"
    rig_enclave "$h" red 200
done
rig_assert "--check accepts the members" "$OVERLAYD" -c "$(rig_host_conf h1)" --check
rig_daemon_start h1
rig_daemon_start h2
rig_wait_links h1 1
rig_wait_links h2 1

nb=$(rig_ctl h1 --json enclaves | jq '.enclaves[] | select(.name == "blue") | .neigh_bindings')
[ "$nb" -ge 3 ] || rig_fail "h1 holds $nb bindings for blue, want the 3 members'"

rig_guest_create h1 blue g1 10.100.0.1 "$G1_MAC"
rig_guest_create h2 blue g2 10.100.0.2 "$G2_MAC"
rig_guest_create h2 blue g3 10.100.0.3 "$G3_MAC"
rig_guest_create h1 red r1 10.100.0.7 "$R1_MAC"
rig_in g1 ip -6 addr add fd00:100::1/64 dev eth0 nodad
rig_in g3 ip -6 addr add fd00:100::3/64 dev eth0 nodad

# The ARP request of g1 (Ethernet type, ARP header, opcode 1, sender g1).
ARP_REQ_G1="08060001080006040001$(rig_mac_hex "$G1_MAC")"

rig_say "IPv4: g1 pings g2 with an empty neighbour cache; h1 answers the ARP request"
# h2 delivers to g2 through g2's port (docs/design.md "Guest ports").
rig_capture_start h2 g-g2 "$RIG_DIR/h2-port.pcap"
rig_capture_start g2 eth0 "$RIG_DIR/g2.pcap"
rig_in g1 ip neigh flush dev eth0
before=$(rig_counter h1 arp_suppressed)
rig_ping g1 10.100.0.2
rig_capture_stop "$RIG_DIR/h2-port.pcap"
rig_capture_stop "$RIG_DIR/g2.pcap"
after=$(rig_counter h1 arp_suppressed)
rig_log "h1 arp_suppressed $before -> $after, h2 arp_suppressed $(rig_counter h2 arp_suppressed)"
[ "$after" -ge $((before + 1)) ] || rig_fail "h1 arp_suppressed $before -> $after: g1's ARP request was not answered by h1"
for f in h2-port g2; do
    rig_assert_eq "$(rig_pcap count "$RIG_DIR/$f.pcap" "$ARP_REQ_G1")" 0 "ARP requests of g1 in $f capture"
    # Positive control: g1's pings did cross, so the capture works.
    [ "$(rig_pcap count "$RIG_DIR/$f.pcap" "$(rig_mac_hex "$G1_MAC")")" -gt 0 ] \
        || rig_fail "$f capture never saw g1's MAC; capture broken?"
done
neigh=$(ip -n "$(rig_ns g1)" neigh show 10.100.0.2 dev eth0)
rig_log "g1: $neigh"
grep -qi "lladdr $G2_MAC" <<<"$neigh" || rig_fail "g1's neighbour entry for 10.100.0.2 is '$neigh', not $G2_MAC"

rig_say "IPv6: g1 pings g3; h1 answers the neighbour solicitation"
before=$(rig_counter h1 nd_suppressed)
rig_in g1 ip -6 neigh flush dev eth0
rig_in g1 ping -6 -n -q -c 3 -i 0.2 -W 2 fd00:100::3 >/dev/null || rig_fail "ping from g1 to fd00:100::3 failed"
after=$(rig_counter h1 nd_suppressed)
rig_log "h1 nd_suppressed $before -> $after"
[ "$after" -ge $((before + 1)) ] || rig_fail "h1 nd_suppressed $before -> $after: g1's NS was not answered by h1"
neigh=$(ip -n "$(rig_ns g1)" -6 neigh show fd00:100::3 dev eth0)
rig_log "g1: $neigh"
grep -qi "lladdr $G3_MAC" <<<"$neigh" || rig_fail "g1's neighbour entry for fd00:100::3 is '$neigh', not $G3_MAC"

rig_say "isolation: red's r1 asks for g2's address; blue's binding does not answer"
before=$(rig_counter h1 arp_suppressed)
rig_capture_start r1 eth0 "$RIG_DIR/r1.pcap"
rig_ping_fails r1 10.100.0.2
rig_capture_stop "$RIG_DIR/r1.pcap"
rig_assert_eq "$(rig_counter h1 arp_suppressed)" "$before" "h1 arp_suppressed after r1's requests"
rig_assert_eq "$(rig_pcap count "$RIG_DIR/r1.pcap" "$(rig_mac_hex "$G2_MAC")")" 0 "g2's MAC in r1's capture"
# Positive control of the byte pattern the IPv4 case counts: r1's own
# (unanswered) ARP requests are in its capture.
[ "$(rig_pcap count "$RIG_DIR/r1.pcap" "08060001080006040001$(rig_mac_hex "$R1_MAC")")" -gt 0 ] \
    || rig_fail "r1's capture holds none of its ARP requests; pattern or capture broken?"
neigh=$(ip -n "$(rig_ns r1)" neigh show 10.100.0.2 dev eth0)
rig_log "r1: $neigh"
! grep -qi "$G2_MAC" <<<"$neigh" || rig_fail "r1 learned g2's MAC from blue: '$neigh'"

rig_say "blue's fdb and red's stay apart"
! rig_ctl h1 --json fdb red | jq -r '.entries[].mac' | grep -qx "$G2_MAC" \
    || rig_fail "h1's red fdb holds g2's MAC"

rig_pass
