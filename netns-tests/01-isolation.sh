#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
#
# Scenario 1 — enclave isolation with overlapping addresses.
# 3 hosts, enclaves blue (100) and red (200) using the SAME subnet and the
# same IPs. Blue has two guests on h1. Every guest pings every guest of its
# own enclave (across hosts and on the same host); tcpdump runs in every
# guest meanwhile: no frame carrying a MAC of the other enclave may show up,
# no guest's ARP table may hold a MAC of the other enclave, and no capture
# may hold the other enclave's ping payload pattern. Positive controls: each
# capture does see MACs and payloads of its own enclave.
. "$(dirname "$0")/lib.sh"
rig_init

rig_say "topology: 3 hosts, full mesh, enclaves blue=100 red=200 on each"
rig_wan_create
for i in 1 2 3; do rig_host_create "h$i" "$i"; done
rig_mesh h1 h2 h3
for i in 1 2 3; do
    rig_enclave "h$i" blue 100
    rig_enclave "h$i" red 200
done
for i in 1 2 3; do rig_daemon_start "h$i"; done
for i in 1 2 3; do rig_wait_links "h$i" 2; done

# guest -> "host ip mac"
declare -A G_HOST G_IP G_MAC G_ENC
add_guest() { G_HOST[$1]=$2; G_ENC[$1]=$3; G_IP[$1]=$4; G_MAC[$1]=$5; }
add_guest b1 h1 blue 10.100.0.1 52:54:00:00:01:01
add_guest b4 h1 blue 10.100.0.4 52:54:00:00:01:04
add_guest b2 h2 blue 10.100.0.2 52:54:00:00:01:02
add_guest b3 h3 blue 10.100.0.3 52:54:00:00:01:03
add_guest r1 h1 red 10.100.0.1 52:54:00:00:02:01
add_guest r2 h2 red 10.100.0.2 52:54:00:00:02:02
add_guest r3 h3 red 10.100.0.3 52:54:00:00:02:03
BLUE=(b1 b4 b2 b3)
RED=(r1 r2 r3)
# Ping payload patterns: a leaked frame is found even if its MACs were rewritten.
P_BLUE=b1b1b1b1e0e0e0e0b10eb10eb10eb10e
P_RED=2ed02ed02ed02ed0ffee0000ffee0000
declare -A PAT=([blue]=$P_BLUE [red]=$P_RED)

rig_say "guests"
for g in "${BLUE[@]}" "${RED[@]}"; do
    rig_guest_create "${G_HOST[$g]}" "${G_ENC[$g]}" "$g" "${G_IP[$g]}" "${G_MAC[$g]}"
done

rig_say "captures in every guest"
for g in "${BLUE[@]}" "${RED[@]}"; do
    rig_capture_start "$g" eth0 "$RIG_DIR/$g.pcap"
done

rig_say "blue: every guest pings every other blue guest"
for a in "${BLUE[@]}"; do
    for b in "${BLUE[@]}"; do
        [ "$a" = "$b" ] || rig_ping "$a" "${G_IP[$b]}" -p "$P_BLUE"
    done
done
rig_say "red: every guest pings every other red guest"
for a in "${RED[@]}"; do
    for b in "${RED[@]}"; do
        [ "$a" = "$b" ] || rig_ping "$a" "${G_IP[$b]}" -p "$P_RED"
    done
done

for g in "${BLUE[@]}" "${RED[@]}"; do rig_capture_stop "$RIG_DIR/$g.pcap"; done

# check_capture GUEST OWN_LIST OTHER_LIST
check_capture() {
    local g=$1 own=$2 other=$3 x hits macs mine theirs
    macs=$(rig_pcap macs "$RIG_DIR/$g.pcap")
    mine=${G_ENC[$g]}
    [ "$mine" = blue ] && theirs=red || theirs=blue
    rig_assert_eq "$(rig_pcap count "$RIG_DIR/$g.pcap" "${PAT[$theirs]}")" 0 "$g capture: $theirs ping payloads"
    hits=$(rig_pcap count "$RIG_DIR/$g.pcap" "${PAT[$mine]}")
    [ "$hits" -gt 0 ] || rig_fail "$g capture holds none of its own enclave's ping payloads; capture broken?"
    for x in $other; do
        hits=$(rig_pcap count "$RIG_DIR/$g.pcap" "$(rig_mac_hex "${G_MAC[$x]}")")
        rig_assert_eq "$hits" 0 "$g capture: bytes of $x's MAC ${G_MAC[$x]}"
    done
    for x in $own; do
        [ "$x" != "$g" ] || continue
        # Positive control: the capture works and sees its own enclave.
        grep -qx "${G_MAC[$x]}" <<<"$macs" \
            || rig_fail "$g capture never saw $x (${G_MAC[$x]}); capture broken?"
    done
    printf '  ok: %s saw its enclave and nothing of the other\n' "$g" >&2
}

check_arp() {
    local g=$1 other=$2 x neigh
    neigh=$(ip -n "$(rig_ns "$g")" neigh show dev eth0)
    rig_log "[$(rig_ns "$g")] ip neigh show dev eth0: $(tr '\n' ';' <<<"$neigh")"
    for x in $other; do
        ! grep -qi "${G_MAC[$x]}" <<<"$neigh" || rig_fail "$g ARP table holds $x's MAC ${G_MAC[$x]}"
    done
}

rig_say "isolation checks"
for g in "${RED[@]}"; do
    check_capture "$g" "${RED[*]}" "${BLUE[*]}"
    check_arp "$g" "${BLUE[*]}"
done
for g in "${BLUE[@]}"; do
    check_capture "$g" "${BLUE[*]}" "${RED[*]}"
    check_arp "$g" "${RED[*]}"
done

rig_say "each host's fdb for blue/red names only that enclave's MACs"
for i in 1 2 3; do
    fdb_blue=$(rig_ctl "h$i" --json fdb blue | jq -r '.entries[].mac')
    fdb_red=$(rig_ctl "h$i" --json fdb red | jq -r '.entries[].mac')
    for g in "${RED[@]}"; do
        ! grep -qx "${G_MAC[$g]}" <<<"$fdb_blue" || rig_fail "h$i fdb blue holds red MAC ${G_MAC[$g]}"
    done
    for g in "${BLUE[@]}"; do
        ! grep -qx "${G_MAC[$g]}" <<<"$fdb_red" || rig_fail "h$i fdb red holds blue MAC ${G_MAC[$g]}"
    done
done

rig_pass
