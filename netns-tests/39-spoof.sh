#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
#
# Scenario 39 — anti-spoofing of guests (issue 12).
# h1 and h2, enclave blue (100) whose [Member]s give g1, g2, g3 MACs and
# Addresses. g1 and g3 on h1, g2 on h2, all attached with --mac (locked);
# u1 on h1 attached without --mac (not locked). Every guest frame of h1
# passes h1's daemon through the port it came from (docs/design.md
# "Guest ports"), so g1's frames to g3 on the same host are checked too.
# g1 sends five broadcast UDP datagrams (or ARP replies) per case from a raw
# socket, each carrying a marker, and g3 (same host) and g2 (other host)
# capture:
#  - another source MAC: drop_spoof +5 on h1, the marker reaches neither;
#  - its own MAC, another source IP: the same;
#  - an ARP reply whose sender IP is g2's: the same;
#  - its own MAC and IP: both get all five, drop_spoof unchanged;
#  - u1 (unlocked) with any MAC and IP: g3 gets them, drop_spoof unchanged;
#  - u1 with g1's MAC (locked to g1's port): drop_spoof +5, g3 gets none.
# Pings between g1, g3 and g2 work before and after.
. "$(dirname "$0")/lib.sh"
rig_init

G1_MAC=52:54:00:00:01:01 G2_MAC=52:54:00:00:01:02 G3_MAC=52:54:00:00:01:03
U1_MAC=52:54:00:00:01:09 FAKE_MAC=52:54:00:00:01:77

rig_say "topology: 2 hosts, blue=100 with members g1..g3"
rig_wan_create
rig_host_create h1 1
rig_host_create h2 2
rig_mesh h1 h2
for h in h1 h2; do
    rig_enclave "$h" blue 100 \
        "" "[Member]" "Name = g1" "MAC = $G1_MAC" "Address = 10.100.0.1/24" \
        "" "[Member]" "Name = g2" "MAC = $G2_MAC" "Address = 10.100.0.2/24" \
        "" "[Member]" "Name = g3" "MAC = $G3_MAC" "Address = 10.100.0.3/24"
done
rig_daemon_start h1
rig_daemon_start h2
rig_wait_links h1 1
rig_wait_links h2 1
rig_guest_create h1 blue g1 10.100.0.1 "$G1_MAC"
rig_guest_create h2 blue g2 10.100.0.2 "$G2_MAC"
rig_guest_create h1 blue g3 10.100.0.3 "$G3_MAC"
# u1: attached without --mac, so not locked.
rig_run ip netns add "$(rig_ns u1)"
rig_run ip -n "$(rig_ns h1)" link add g-u1 type veth peer name eth0 netns "$(rig_ns u1)"
rig_run ip -n "$(rig_ns u1)" link set eth0 address "$U1_MAC"
rig_run ip -n "$(rig_ns u1)" addr add 10.100.0.9/24 dev eth0
rig_assert "attach u1 without --mac" rig_ctl h1 attach blue g-u1 --name u1
u1_mtu=$(ip -n "$(rig_ns h1)" -j link show g-u1 | jq '.[0].mtu')
rig_run ip -n "$(rig_ns u1)" link set eth0 mtu "$u1_mtu" up

rig_say "legitimate traffic: same host and across hosts"
rig_ping g1 10.100.0.3
rig_ping g1 10.100.0.2
rig_ping u1 10.100.0.3
rig_ping g3 10.100.0.2

# send GUEST KIND SRC_MAC SRC_IP MARKER: five broadcast frames from GUEST's
# eth0: KIND udp (to 10.100.0.255 port 9999, MARKER as payload) or arp (a
# reply "SRC_IP is at SRC_MAC", MARKER as padding).
send() {
    local guest=$1 kind=$2 mac=$3 ip=$4 marker=$5
    rig_log "[$(rig_ns "$guest")] 5 x $kind from $mac $ip ($marker)"
    ip netns exec "$(rig_ns "$guest")" "$RIG_PYTHON" - "$kind" "$mac" "$ip" "$marker" <<'PY'
import socket, struct, sys
kind, mac, ip, marker = sys.argv[1], bytes.fromhex(sys.argv[2].replace(":", "")), \
    socket.inet_aton(sys.argv[3]), sys.argv[4].encode()
bcast = b"\xff" * 6
def csum(b):
    s = sum(struct.unpack("!%dH" % (len(b) // 2), b))
    s = (s >> 16) + (s & 0xffff)
    return ~(s + (s >> 16)) & 0xffff
if kind == "udp":
    udp = struct.pack("!HHHH", 40000, 9999, 8 + len(marker), 0) + marker
    hdr = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(udp), 1, 0, 64, 17, 0, ip,
                      socket.inet_aton("10.100.0.255"))
    hdr = hdr[:10] + struct.pack("!H", csum(hdr)) + hdr[12:]
    frame = bcast + mac + b"\x08\x00" + hdr + udp
else:
    frame = (bcast + mac + b"\x08\x06" + b"\x00\x01\x08\x00\x06\x04\x00\x02" + mac + ip
             + bcast + ip + marker)
s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW)
s.bind(("eth0", 0))
for _ in range(5):
    s.send(frame.ljust(60, b"\x00"))
PY
}

hexof() { printf '%s' "$1" | od -An -tx1 | tr -d ' \n'; }

# case NAME GUEST KIND SRC_MAC SRC_IP WANT_SPOOF WANT_G3 WANT_G2
case_run() {
    local name=$1 guest=$2 kind=$3 mac=$4 ip=$5 want_spoof=$6 want_g3=$7 want_g2=$8
    local marker="SPOOF39-$name" before after n3 n2
    rig_say "$name: $guest sends $kind from $mac / $ip"
    rig_capture_start g3 eth0 "$RIG_DIR/$name-g3.pcap"
    rig_capture_start g2 eth0 "$RIG_DIR/$name-g2.pcap"
    before=$(rig_counter h1 drop_spoof)
    send "$guest" "$kind" "$mac" "$ip" "$marker"
    if [ "$want_g3" -gt 0 ]; then
        _got() {
            [ "$(rig_pcap count "$RIG_DIR/$name-g3.pcap" "$(hexof "$marker")")" -ge "$want_g3" ]
        }
        rig_poll 10 "g3 receives the $name frames" _got
    else
        _spoofed() { [ "$(rig_counter h1 drop_spoof)" -ge $((before + want_spoof)) ]; }
        rig_poll 10 "h1 counts the $name frames as drop_spoof" _spoofed
    fi
    rig_capture_stop "$RIG_DIR/$name-g3.pcap"
    rig_capture_stop "$RIG_DIR/$name-g2.pcap"
    after=$(rig_counter h1 drop_spoof)
    n3=$(rig_pcap count "$RIG_DIR/$name-g3.pcap" "$(hexof "$marker")")
    n2=$(rig_pcap count "$RIG_DIR/$name-g2.pcap" "$(hexof "$marker")")
    rig_assert_eq "$((after - before))" "$want_spoof" "$name: h1 drop_spoof increase"
    rig_assert_eq "$n3" "$want_g3" "$name: frames g3 (same host) received"
    [ "$want_g2" = any ] || rig_assert_eq "$n2" "$want_g2" "$name: frames g2 (h2) received"
}

case_run other-mac g1 udp "$FAKE_MAC" 10.100.0.1 5 0 0
case_run other-ip g1 udp "$G1_MAC" 10.100.0.77 5 0 0
case_run arp-forged g1 arp "$G1_MAC" 10.100.0.2 5 0 0
case_run legit g1 udp "$G1_MAC" 10.100.0.1 0 5 5
case_run legit-arp g1 arp "$G1_MAC" 10.100.0.1 0 5 5
case_run unlocked u1 udp "$FAKE_MAC" 10.100.0.78 0 5 any
case_run hijack u1 udp "$G1_MAC" 10.100.0.9 5 0 0

rig_say "h2 counted nothing: the spoofed frames never crossed the WAN"
rig_assert_eq "$(rig_counter h2 drop_spoof)" 0 "h2 drop_spoof"

rig_say "legitimate traffic still flows"
rig_ping g1 10.100.0.3
rig_ping g1 10.100.0.2
rig_ping u1 10.100.0.3

rig_pass
