#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
#
# Scenario 9 — an enclave's frames go only to hosts that carry it.
# h1 and h2 carry blue and red, h3 carries only blue. h1's `enclaves` must
# list h2 (not h3) as carrying red; red broadcasts from h1 (ARP for an
# address nobody has) must not be sent to h3: h3's drop_unknown_enclave stays
# 0 and h3 never learns a red MAC. When h3 adds red by reload, h1 learns it
# (red's hosts gain h3) and a red guest on h3 reaches red guests elsewhere.
. "$(dirname "$0")/lib.sh"
rig_init

rig_wan_create
for i in 1 2 3; do rig_host_create "h$i" "$i"; done
rig_mesh h1 h2 h3
for i in 1 2 3; do rig_enclave "h$i" blue 100; done
rig_enclave h1 red 200
rig_enclave h2 red 200
for i in 1 2 3; do rig_daemon_start "h$i"; done
for i in 1 2 3; do rig_wait_links "h$i" 2; done

hosts_of() { rig_ctl_q "$1" --json enclaves | jq -r --arg e "$2" '[.enclaves[] | select(.name == $e) | .hosts[]] | sort | join(",")'; }
_hosts_are() { [ "$(hosts_of "$1" "$2")" = "$3" ]; }
rig_poll 10 "h1: blue carried by h2,h3" _hosts_are h1 blue h2,h3
rig_poll 10 "h1: red carried by h2 only" _hosts_are h1 red h2
printf '  ok: h1 sees blue on h2,h3 and red on h2\n' >&2

rig_guest_create h1 red r1 10.100.0.1 52:54:00:00:02:01
rig_guest_create h2 red r2 10.100.0.2 52:54:00:00:02:02
rig_guest_create h3 blue b3 10.100.0.3 52:54:00:00:01:03
rig_ping r1 10.100.0.2

rig_say "red broadcasts from h1 do not go to h3"
unk0=$(rig_counter h3 drop_unknown_enclave)
rig_capture_start b3 eth0 "$RIG_DIR/b3.pcap"
rig_ping_fails r1 10.100.0.99          # ARP broadcasts in red
rig_ping_fails r2 10.100.0.98
rig_capture_stop "$RIG_DIR/b3.pcap"
rig_assert_eq "$(rig_counter h3 drop_unknown_enclave)" "$unk0" "h3 drop_unknown_enclave after red broadcasts"
for mac in 52:54:00:00:02:01 52:54:00:00:02:02; do
    rig_assert_eq "$(rig_pcap count "$RIG_DIR/b3.pcap" "$(rig_mac_hex $mac)")" 0 "blue guest on h3: bytes of red MAC $mac"
done
f=$(rig_ctl_q h3 --json fdb blue | jq -r '.entries[].mac')
! grep -q '52:54:00:00:02' <<<"$f" || rig_fail "h3's blue fdb holds a red MAC"

rig_say "h3 adds red by reload"
rig_enclave h3 red 200
rig_assert "reload on h3" rig_ctl h3 reload
rig_poll 10 "h1: red carried by h2,h3 after h3's reload" _hosts_are h1 red h2,h3
rig_poll 10 "h2: red carried by h1,h3 after h3's reload" _hosts_are h2 red h1,h3
printf '  ok: h1 and h2 see red on h3\n' >&2
rig_guest_create h3 red r3 10.100.0.3 52:54:00:00:02:03
rig_ping r3 10.100.0.1
rig_ping r3 10.100.0.2
rig_pass
