#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
#
# Scenario 2 — nothing of the guests travels in clear on the WAN.
# tcpdump on every port of the WAN router while guests ping each other with
# a distinctive payload pattern. The raw capture must contain UDP datagrams
# on port 51900 (the links are used, so the test can fail) but not the
# pattern, no guest MAC and no guest IP. Positive control: a capture inside
# a guest sees the pattern, so the byte search itself works.
# h3 runs with Cipher = chachapoly: where the CPU has AES-NI, h1-h2 move to
# AES-GCM and the links to h3 stay on ChaChaPoly, so both AEADs carry the
# captured traffic (elsewhere every link is ChaChaPoly).
. "$(dirname "$0")/lib.sh"
rig_init

PATTERN=5ca1ab1ed00dfeedc0ffee0ddba11ad5    # 16 bytes, ping -p
N=20

rig_wan_create
for i in 1 2 3; do rig_host_create "h$i" "$i"; done
rig_mesh h1 h2 h3
sed -i '/^\[Host\]/a Cipher = chachapoly' "$(rig_host_conf h3)"
for i in 1 2 3; do
    rig_enclave "h$i" blue 100
    rig_enclave "h$i" red 200
done
for i in 1 2 3; do rig_daemon_start "h$i"; done
for i in 1 2 3; do rig_wait_links "h$i" 2; done

rig_guest_create h1 blue b1 10.100.0.1 52:54:00:00:01:01
rig_guest_create h2 blue b2 10.100.0.2 52:54:00:00:01:02
rig_guest_create h3 red r3 10.100.0.3 52:54:00:00:02:03
rig_guest_create h1 red r1 10.100.0.1 52:54:00:00:02:01

rig_say "capture on all WAN router ports and in guest b1"
rig_wan_capture_start "$RIG_DIR/wan.pcap"
rig_capture_start b1 eth0 "$RIG_DIR/b1.pcap"

rig_say "guests ping across hosts with pattern $PATTERN"
rig_in b1 ping -n -c "$N" -i 0.05 -W 2 -p "$PATTERN" 10.100.0.2 | tail -n 2
rig_in b2 ping -n -c "$N" -i 0.05 -W 2 -p "$PATTERN" 10.100.0.1 | tail -n 2
rig_in r1 ping -n -c "$N" -i 0.05 -W 2 -p "$PATTERN" 10.100.0.3 | tail -n 2
rig_in r1 ping -n -c 5 -i 0.05 -W 2 -s 1200 -p "$PATTERN" 10.100.0.3 | tail -n 2

rig_capture_stop "$RIG_DIR/wan.pcap"
rig_capture_stop "$RIG_DIR/b1.pcap"

aes=chachapoly
grep -qw aes /proc/cpuinfo && grep -qw pclmulqdq /proc/cpuinfo && aes=aesgcm
cipher_of() { rig_ctl_q "$1" --json peers | jq -r --arg p "$2" '.peers[] | select(.name == $p) | .cipher'; }
_cipher_is() { [ "$(cipher_of "$1" "$2")" = "$3" ]; }
rig_poll 10 "h1-h2 on $aes" _cipher_is h1 h2 "$aes"
rig_poll 10 "h2-h1 on $aes" _cipher_is h2 h1 "$aes"
for h in h1 h2; do rig_poll 10 "$h-h3 on chachapoly (h3 offers nothing)" _cipher_is "$h" h3 chachapoly; done
rig_poll 10 "h3-h1 on chachapoly" _cipher_is h3 h1 chachapoly
rig_assert "text peers shows the CIPHER column" bash -c \
    "'$OVERLAYCTL' -s '$(rig_host_sock h1)' peers | grep -Eq '^h2 .* $aes *\$'"
for h in h1 h2 h3; do
    rig_assert_eq "$(rig_counter "$h" drop_cipher)" 0 "$h: drop_cipher"
done

rig_say "checks on the raw WAN capture"
udp=$(rig_pcap udp "$RIG_DIR/wan.pcap" --port 51900)
[ "$udp" -ge $((3 * 2 * N)) ] || rig_fail "WAN capture holds only $udp UDP/51900 datagrams, want >= $((3 * 2 * N))"
printf '  ok: %s UDP datagrams on port 51900\n' "$udp" >&2

ctl=$(rig_pcap count "$RIG_DIR/b1.pcap" "$PATTERN")
[ "$ctl" -ge "$N" ] || rig_fail "positive control: b1's own capture shows the pattern $ctl times, want >= $N"
printf '  ok: control capture in b1 shows the pattern %s times\n' "$ctl" >&2

rig_assert_eq "$(rig_pcap count "$RIG_DIR/wan.pcap" "$PATTERN")" 0 "WAN: ping pattern occurrences"
# A shorter piece too, in case only part of a payload leaked.
rig_assert_eq "$(rig_pcap count "$RIG_DIR/wan.pcap" "${PATTERN:0:12}")" 0 "WAN: 6-byte pattern prefix occurrences"
for mac in 52:54:00:00:01:01 52:54:00:00:01:02 52:54:00:00:02:01 52:54:00:00:02:03; do
    rig_assert_eq "$(rig_pcap count "$RIG_DIR/wan.pcap" "$(rig_mac_hex $mac)")" 0 "WAN: guest MAC $mac occurrences"
done
for ip in 10.100.0.1 10.100.0.2 10.100.0.3; do
    rig_assert_eq "$(rig_pcap count "$RIG_DIR/wan.pcap" "$(rig_ip_hex $ip)")" 0 "WAN: guest IP $ip occurrences"
done

rig_pass
