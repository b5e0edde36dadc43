#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
#
# Scenario 3 — replayed, forged and unadmitted traffic is dropped.
#  a) data datagrams captured on the WAN and re-sent to their host are
#     dropped as replays: h2's drop_replay grows by exactly the number re-sent
#     and drop_auth does not move;
#  b) a data datagram (a 1000-byte ping, so it is told apart from
#     announcements and keepalives by its size) held back from h2 (nft drop in h2) and re-sent with one
#     flipped byte is dropped as unauthentic (drop_auth +1); re-sent intact it
#     is accepted and its frame reaches the guest (positive control for the
#     tool); re-sent once more it is a replay (drop_replay +1) and the guest
#     does not see the frame twice;
#  c) a host h3 whose key h1 does not list never gets a link with h1, and h1's
#     drop_unknown_peer grows.
. "$(dirname "$0")/lib.sh"
rig_init nft

K=5
rig_wan_create
for i in 1 2 3; do rig_host_create "h$i" "$i"; done
rig_mesh h1 h2
rig_host_peer h3 h1            # h3 knows h1; h1 does not know h3
for i in 1 2 3; do rig_enclave "h$i" blue 100; done
rig_daemon_start h1
rig_daemon_start h2
rig_wait_links h1 1
rig_wait_links h2 1
rig_guest_create h1 blue b1 10.100.0.1 52:54:00:00:01:01
rig_guest_create h2 blue b2 10.100.0.2 52:54:00:00:01:02
rig_ping b1 10.100.0.2

H1=$(rig_host_addr h1) H2=$(rig_host_addr h2)
SEL=(--src "$H1" --dst "$H2" --dport 51900 --type 4 --max-len 1514)
# Captured and re-sent on the router's port towards h2: the frames carry the
# MACs of that link, so they reach h2 exactly as the router delivered them.
W2=$(rig_wan_port h2)
replay() { rig_in wan "$RIG_PYTHON" "$RIG_HERE/pcaptool.py" replay "$1" "$W2" "${SEL[@]}" "${@:2}"; }
_counter_is() { [ "$(rig_counter "$1" "$2")" = "$3" ]; }
wait_counter() {   # HOST NAME VALUE: poll until equal, then report
    rig_poll 5 "$1 counters.$2 == $3 (now $(rig_counter "$1" "$2"))" _counter_is "$1" "$2" "$3"
    printf '  ok: %s counters.%s = %s\n' "$1" "$2" "$3" >&2
}

rig_say "a) capture h1 -> h2 data datagrams, re-send $K of them"
rig_capture_start wan "$W2" "$RIG_DIR/cap1.pcap" udp port 51900
rig_in b1 ping -n -q -c 10 -i 0.05 -W 2 10.100.0.2
rig_capture_stop "$RIG_DIR/cap1.pcap"
rig_pcap list "$RIG_DIR/cap1.pcap" "${SEL[@]}" >&2
n=$(rig_pcap udp "$RIG_DIR/cap1.pcap" "${SEL[@]}")
[ "$n" -ge "$K" ] || rig_fail "only $n data datagrams h1 -> h2 captured, want >= $K"
replay0=$(rig_counter h2 drop_replay)
auth0=$(rig_counter h2 drop_auth)
replay "$RIG_DIR/cap1.pcap" --skip 2 --count "$K"
wait_counter h2 drop_replay $((replay0 + K))
rig_assert_eq "$(rig_counter h2 drop_auth)" "$auth0" "h2 drop_auth after pure replays"
rig_assert_eq "$(rig_peer_state h2 h1)" up "h2's link to h1 after replays"

rig_say "b) hold one data datagram back from h2, then flip / deliver / replay it"
rig_in h2 nft -f - <<EOF
table inet rig {
    chain in {
        type filter hook input priority -10;
        ip saddr $H1 udp dport 51900 @th,64,8 4 counter drop
    }
}
EOF
rig_capture_start b2 eth0 "$RIG_DIR/b2.pcap" icmp
rig_capture_start wan "$W2" "$RIG_DIR/cap2.pcap" udp port 51900
PATTERN=7e57ab1e0ddc0de5
rig_assert_fails "ping through the held-back link must get no reply" \
    ip netns exec "$(rig_ns b1)" ping -n -q -c 1 -W 1 -s 1000 -p "$PATTERN" 10.100.0.2
rig_capture_stop "$RIG_DIR/cap2.pcap"
rig_in h2 nft list table inet rig >&2
rig_in h2 nft delete table inet rig
rig_pcap list "$RIG_DIR/cap2.pcap" "${SEL[@]}" >&2
[ "$(rig_pcap udp "$RIG_DIR/cap2.pcap" "${SEL[@]}" --min-udp 1000)" -ge 1 ] || rig_fail "the held-back ping was not captured on the WAN"
rig_assert_eq "$(rig_pcap count "$RIG_DIR/b2.pcap" "$PATTERN")" 0 "b2 saw the held-back ping"

replay1=$(rig_counter h2 drop_replay)
auth1=$(rig_counter h2 drop_auth)
replay "$RIG_DIR/cap2.pcap" --min-udp 1000 --count 1 --flip -1
wait_counter h2 drop_auth $((auth1 + 1))
rig_assert_eq "$(rig_counter h2 drop_replay)" "$replay1" "h2 drop_replay after a forged datagram"

replay "$RIG_DIR/cap2.pcap" --min-udp 1000 --count 1
_seen() { [ "$(rig_pcap count "$RIG_DIR/b2.pcap" "$PATTERN" 2>/dev/null)" -gt 0 ]; }
rig_poll 5 "the held-back ping reaches b2 once delivered intact" _seen
seen=$(rig_pcap count "$RIG_DIR/b2.pcap" "$PATTERN")
rig_assert_eq "$(rig_counter h2 drop_replay)" "$replay1" "h2 drop_replay after delivering the held-back datagram"
rig_assert_eq "$(rig_counter h2 drop_auth)" $((auth1 + 1)) "h2 drop_auth after delivering the held-back datagram"

replay "$RIG_DIR/cap2.pcap" --min-udp 1000 --count 1
wait_counter h2 drop_replay $((replay1 + 1))
rig_capture_stop "$RIG_DIR/b2.pcap"
rig_assert_eq "$(rig_pcap count "$RIG_DIR/b2.pcap" "$PATTERN")" "$seen" "pattern bytes in b2 after the replay (no second delivery)"
rig_assert_eq "$(rig_peer_state h2 h1)" up "h2's link to h1 after forged and replayed datagrams"
rig_ping b1 10.100.0.2

rig_say "c) h3 is not listed by h1: no link"
unk0=$(rig_counter h1 drop_unknown_peer)
rig_daemon_start h3
_unk_grew() { [ "$(rig_counter h1 drop_unknown_peer)" -gt "$unk0" ]; }
rig_poll 15 "h1 counters.drop_unknown_peer grows above $unk0 when h3 knocks" _unk_grew
printf '  ok: h1 drop_unknown_peer %s -> %s\n' "$unk0" "$(rig_counter h1 drop_unknown_peer)" >&2
rig_ctl h3 peers >&2
rig_ctl h1 peers >&2
st=$(rig_peer_state h3 h1)
[ "$st" != up ] || rig_fail "h3's link to h1 is up although h1 does not list h3"
rig_assert_eq "$(rig_links_up h3)" 0 "h3 links up"
rig_assert_eq "$(rig_links_up h1)" 1 "h1 links up (h2 only)"
# A handshake retry later still does not admit h3.
grew=$(rig_counter h1 drop_unknown_peer)
_unk_grew2() { [ "$(rig_counter h1 drop_unknown_peer)" -gt "$grew" ]; }
rig_poll 15 "h3 retries and is refused again" _unk_grew2
rig_assert_eq "$(rig_links_up h3)" 0 "h3 links up after a retry"

rig_pass
