#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
#
# Scenario 41 — the offload data path: TCP super-frames (up to 64 KB, TSO
# from the guest's veth through the bridge to the TAP, opened with
# IFF_VNET_HDR) cross the overlay whole, as one link message cut into
# fragments, and are put back together at the receiver; a peer that
# announces no offload (an older host) gets them cut into ordinary segments
# in software instead.
#  - h1, h2, h3 in a mesh, blue (100) on all three; h3's overlayd runs with
#    OVERLAYD_NO_OFFLOAD=1 (it announces no offload feature); guests g1, g2,
#    g3 at the MTU attach set; they ping each other;
#  - odd sizes byte for byte: g1 sends one UDP datagram of 1, 1417, 1418,
#    1419, 1500 and 9000 random bytes to an echo server in g2 and in g3,
#    each echo identical (bulk.py udpcheck); pings with DF set (-M do: they
#    must fit whole) of 1 data byte and of IPv4 packets of the inner MTU
#    minus 1 and exactly (1417 and 1418 bytes), and without DF (-M dont: the
#    guest fragments them) of an IPv4 packet of MTU + 1 and of 1417, 1418,
#    1419, 1500 and 9000 data bytes;
#  - super-frames: 32 MiB of random bytes over TCP g1 -> g2, g2 -> g1 and
#    g1 -> g3 (bulk.py tcpsink/tcpsource), the sha256 of what was sent equal
#    to that of what arrived; g1 -> g2 raises h1's gso_frames, h1's
#    udp_gso_trains or frag_sent and h2's frag_reassembled, g2 -> g1 the
#    same the other way round; g1 -> g3 raises h1's gso_segmented while h3's
#    frag_reassembled stays 0;
#  - drop_frag_malformed, drop_offload_bad and drop_inner_malformed are 0
#    on every host at the end (an honest run);
#  - enclave wide (200) on h1 and h2 with MTU = 1500 on the 1500-byte
#    underlay: guests w1, w2 get MTU 1500 from attach; a DF ping of a
#    1500-byte IP packet crosses, UDP echoes of 1, 1419 and 1472 bytes are
#    byte-identical, h1's frag_sent and h2's frag_reassembled rise (the
#    full-size frames went as fragments inside the overlay).
# The MB/s of each transfer is printed for the log; nothing asserts on
# timing. The counters are read before and after each transfer and asserted
# on after all three, so a run prints every figure before its first failure.
. "$(dirname "$0")/lib.sh"
rig_init ss

MIB=${OFFLOAD_MIB:-32}
XFER_TIMEOUT_S=${OFFLOAD_XFER_TIMEOUT_S:-150}
BULK="$RIG_HERE/bulk.py"

rig_wan_create
for i in 1 2 3; do rig_host_create "h$i" "$i"; done
rig_mesh h1 h2 h3
for h in h1 h2 h3; do rig_enclave "$h" blue 100; done
# Step 5: an enclave whose inner MTU is 1500 on a 1500-byte underlay.
for h in h1 h2; do rig_enclave "$h" wide 200 "MTU = 1500"; done
rig_daemon_start h1
rig_daemon_start h2
rig_log "h3: OVERLAYD_NO_OFFLOAD=1 (announces no offload feature)"
OVERLAYD_NO_OFFLOAD=1 rig_daemon_start h3
# `ip netns exec` execs overlayd, so the pid is the daemon's own.
_has_env() { tr '\0' '\n' <"/proc/$1/environ" | grep -qx "$2"; }
rig_assert "h3's overlayd runs with OVERLAYD_NO_OFFLOAD=1" _has_env "${RIG_DAEMON_PID[h3]}" OVERLAYD_NO_OFFLOAD=1
rig_assert_fails "h1's overlayd runs without OVERLAYD_NO_OFFLOAD" _has_env "${RIG_DAEMON_PID[h1]}" OVERLAYD_NO_OFFLOAD=1
rig_guest_create h1 blue g1 10.100.0.1 52:54:00:00:41:01
rig_guest_create h2 blue g2 10.100.0.2 52:54:00:00:41:02
rig_guest_create h3 blue g3 10.100.0.3 52:54:00:00:41:03
rig_guest_create h1 wide w1 10.200.0.1 52:54:00:00:42:01
rig_guest_create h2 wide w2 10.200.0.2 52:54:00:00:42:02
mtu=$(ip -n "$(rig_ns g1)" -j link show eth0 | jq '.[0].mtu')
rig_log "guest MTU (set by attach): $mtu"
for h in h1 h2 h3; do rig_wait_links "$h" 2; done

rig_say "1. the guests ping each other"
for pair in "g1 10.100.0.2" "g1 10.100.0.3" "g2 10.100.0.3" "g2 10.100.0.1" "g3 10.100.0.1" "g3 10.100.0.2"; do
    # shellcheck disable=SC2086
    rig_ping $pair
done

rig_say "2. odd sizes, byte for byte"
_udp_listens() { ip netns exec "$(rig_ns "$1")" ss -Hlun "sport = :$2" | grep -q .; }
for g in g2 g3; do
    rig_log "[$(rig_ns "$g")] bulk.py udpecho 0.0.0.0 7007 &"
    ip netns exec "$(rig_ns "$g")" "$RIG_PYTHON" "$BULK" udpecho 0.0.0.0 7007 &
    RIG_BG_PIDS+=("$!")
    rig_poll 5 "UDP echo server in $g listening" _udp_listens "$g" 7007
done
for ip in 10.100.0.2 10.100.0.3; do
    rig_log "[$(rig_ns g1)] bulk.py udpcheck $ip 7007 1 1417 1418 1419 1500 9000"
    ip netns exec "$(rig_ns g1)" "$RIG_PYTHON" "$BULK" udpcheck "$ip" 7007 1 1417 1418 1419 1500 9000 \
        || rig_fail "UDP echo from $ip is not byte-identical (size above)"
done
# ping -s N sends N data bytes: an IPv4 packet of N + 28 bytes.
for ip in 10.100.0.2 10.100.0.3; do
    for n in 1 $((mtu - 29)) $((mtu - 28)); do
        rig_ping g1 "$ip" -M "do" -s "$n"
    done
    for n in $((mtu - 27)) 1417 1418 1419 1500 9000; do
        rig_ping g1 "$ip" -M dont -s "$n"
    done
done

rig_say "3. super-frames: $MIB MiB over TCP"
# snap LABEL: every host's counters (status --json) as they are now.
declare -A SNAP=()
snap() {
    local h
    for h in h1 h2 h3; do SNAP[$1.$h]=$(rig_ctl_q "$h" --json status | jq -c .counters); done
}
# ctr LABEL HOST NAME: a counter from snapshot LABEL; fails the run if the
# daemon has no such counter.
ctr() {
    local v
    v=$(jq -r --arg n "$3" '.[$n] // "missing"' <<<"${SNAP[$1.$2]}")
    [[ $v =~ ^[0-9]+$ ]] || rig_fail "$2 has no counter $3 in status --json ($v)"
    printf '%s' "$v"
}
_tcp_listens() { ip netns exec "$(rig_ns "$1")" ss -Hltn "sport = :$2" | grep -q .; }
# xfer FROM TO_GUEST TO_IP: MIB MiB of random bytes FROM -> TO; the sha256
# sent equals the one received; prints MB/s as the receiver saw it.
xfer() {
    local from=$1 to=$2 ip=$3 out="$RIG_DIR/xfer-$1-$2.json" sent got
    rig_log "[$(rig_ns "$to")] bulk.py tcpsink 0.0.0.0 7008 $out &"
    ip netns exec "$(rig_ns "$to")" "$RIG_PYTHON" "$BULK" tcpsink 0.0.0.0 7008 "$out" &
    RIG_BG_PIDS+=("$!")
    rig_poll 5 "TCP sink in $to listening" _tcp_listens "$to" 7008
    rig_log "[$(rig_ns "$from")] timeout $XFER_TIMEOUT_S bulk.py tcpsource $ip 7008 $MIB"
    sent=$(timeout "$XFER_TIMEOUT_S" ip netns exec "$(rig_ns "$from")" \
        "$RIG_PYTHON" "$BULK" tcpsource "$ip" 7008 "$MIB") \
        || rig_fail "TCP $from -> $to: the sender failed or took over ${XFER_TIMEOUT_S}s"
    rig_poll 10 "TCP sink in $to wrote its result" test -s "$out"
    got=$(cat "$out")
    rig_log "sent $sent; received $got"
    rig_assert_eq "$(jq .bytes <<<"$got")" "$(jq .bytes <<<"$sent")" "bytes received $from -> $to"
    rig_assert_eq "$(jq -r .sha256 <<<"$got")" "$(jq -r .sha256 <<<"$sent")" "sha256 $from -> $to"
    jq -r --arg d "$from -> $to" \
        '"  figure: \($d): \(.bytes) bytes in \(.seconds) s, \(if .seconds > 0 then (.bytes / .seconds / 1e6 * 10 | round / 10) else "-" end) MB/s"' \
        <<<"$got" >&2
}
snap s0
xfer g1 g2 10.100.0.2
snap s1
xfer g2 g1 10.100.0.1
snap s2
xfer g1 g3 10.100.0.3
snap s3

# show NAME...: the counters of every host in every snapshot, for the log.
show() {
    local n h s line
    for n in "$@"; do
        for h in h1 h2 h3; do
            line=""
            for s in s0 s1 s2 s3; do
                line+=" $s=$(jq -r --arg n "$n" '.[$n] // "missing"' <<<"${SNAP[$s.$h]}")"
            done
            printf '  %s %-22s%s\n' "$h" "$n" "$line" >&2
        done
    done
}
rig_log "counters (s0: before, s1: after g1->g2, s2: after g2->g1, s3: after g1->g3)"
show gso_frames gso_segmented udp_gso_trains frag_sent frag_reassembled drop_frag_expired \
    drop_frag_malformed drop_offload_bad drop_inner_malformed

# assert_rose HOST NAME FROM TO
assert_rose() {
    local a b
    a=$(ctr "$3" "$1" "$2") || exit 1
    b=$(ctr "$4" "$1" "$2") || exit 1
    [ "$b" -gt "$a" ] || rig_fail "$1's $2 did not rise from $3 to $4 ($a -> $b)"
    printf '  ok: %s %s rose %s -> %s\n' "$1" "$2" "$a" "$b" >&2
}
# assert_either_rose HOST NAME1 NAME2 FROM TO
assert_either_rose() {
    local a1 b1 a2 b2
    a1=$(ctr "$4" "$1" "$2") || exit 1
    b1=$(ctr "$5" "$1" "$2") || exit 1
    a2=$(ctr "$4" "$1" "$3") || exit 1
    b2=$(ctr "$5" "$1" "$3") || exit 1
    [ "$b1" -gt "$a1" ] || [ "$b2" -gt "$a2" ] \
        || rig_fail "neither $1's $2 ($a1 -> $b1) nor its $3 ($a2 -> $b2) rose from $4 to $5"
    printf '  ok: %s %s %s -> %s, %s %s -> %s\n' "$1" "$2" "$a1" "$b1" "$3" "$a2" "$b2" >&2
}
rig_say "3a. g1 -> g2 went as super-frames (h1 sends them whole, h2 reassembles)"
assert_rose h1 gso_frames s0 s1
assert_either_rose h1 udp_gso_trains frag_sent s0 s1
assert_rose h2 frag_reassembled s0 s1
rig_say "3b. g2 -> g1 the same the other way round"
assert_rose h2 gso_frames s1 s2
assert_either_rose h2 udp_gso_trains frag_sent s1 s2
assert_rose h1 frag_reassembled s1 s2
rig_say "3c. g1 -> g3: h3 announces no offload, h1 cuts the super-frames in software"
assert_rose h1 gso_segmented s2 s3
n=$(ctr s3 h3 frag_reassembled) || exit 1
rig_assert_eq "$n" 0 "h3 frag_reassembled"

rig_say "4. no malformed fragment, offload header or inner frame on any host"
for h in h1 h2 h3; do
    for n in drop_frag_malformed drop_offload_bad drop_inner_malformed; do
        v=$(ctr s3 "$h" "$n") || exit 1
        rig_assert_eq "$v" 0 "$h $n"
    done
done

rig_say "5. MTU = 1500 on a 1500-byte underlay: full-size frames go as fragments inside the overlay"
wmtu=$(ip -n "$(rig_ns w1)" -j link show eth0 | jq '.[0].mtu')
rig_assert_eq "$wmtu" 1500 "w1's MTU (attach gives the enclave's MTU)"
snap s4
rig_ping w1 10.200.0.2 -M "do" -s 1472       # a 1500-byte IP packet, never fragmented by IP
rig_log "[$(rig_ns w2)] bulk.py udpecho 0.0.0.0 7007 &"
ip netns exec "$(rig_ns w2)" "$RIG_PYTHON" "$BULK" udpecho 0.0.0.0 7007 &
RIG_BG_PIDS+=("$!")
rig_poll 5 "UDP echo server in w2 listening" _udp_listens w2 7007
ip netns exec "$(rig_ns w1)" "$RIG_PYTHON" "$BULK" udpcheck 10.200.0.2 7007 1 1419 1472 \
    || rig_fail "UDP echo at MTU 1500 is not byte-identical (size above)"
snap s5
assert_rose h1 frag_sent s4 s5
assert_rose h2 frag_reassembled s4 s5
for h in h1 h2; do
    v=$(ctr s5 "$h" drop_frag_malformed) || exit 1
    rig_assert_eq "$v" 0 "$h drop_frag_malformed"
done

rig_pass
