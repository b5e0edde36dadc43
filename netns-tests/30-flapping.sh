#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
#
# Scenario 30 — a MAC that moves too often is frozen (docs/migration.md,
# "Duplicate detection"). Hosts h1, h2, h3 in a mesh, enclave blue on all.
# Two guests with the same MAC, m2 behind h2 and m3 behind h3, attached on
# both hosts; only one is up at a time. The MAC moves h2 -> h3 -> h2 ...:
# each move brings one copy down, the other up, and the up one sends a
# RARP, as a migrating VM does.
#   - the first five moves are followed: h1's MAC table points at the
#     copy that spoke last, with a rising sequence number;
#   - the sixth move within MacMoveWindow (default 180 s) is refused by the
#     host where the guest reappears (h2 counts its own five moves): h2
#     shows the MAC `frozen` where it was (at h3), logs the freeze once and
#     counts it in `macs_frozen`, and claims nothing, so h1 keeps sending
#     to h3; another move back and forth changes nothing either;
#   - h2's enclave file sets MacFreezeTime = 8s (the others keep the
#     default 180 s): 8 s after the freeze the guest's next RARP claims the
#     MAC on h2 again, and h1, which counts its own moves with the default
#     limits, refuses that sixth move: frozen at h3 there, so the claim
#     still redirects nothing;
#   - a reload of h1 with MacMoveLimit = 0 applies at once: the reload
#     says so, `enclaves --json` shows it, and h1 no longer shows the MAC
#     frozen.
. "$(dirname "$0")/lib.sh"
rig_init

MAC=52:54:00:00:05:05
rig_wan_create
for i in 1 2 3; do rig_host_create "h$i" "$i"; done
rig_mesh h1 h2 h3
FREEZE_S=8
rig_enclave h1 blue 100
rig_enclave h2 blue 100 "MacFreezeTime = ${FREEZE_S}s"
rig_enclave h3 blue 100
for i in 1 2 3; do rig_daemon_start "h$i"; done
for h in h1 h2 h3; do rig_wait_links "$h" 2; done

# copy HOST GUEST: a guest with the flapping MAC behind HOST, attached, down.
copy() {
    rig_run ip netns add "$(rig_ns "$2")"
    rig_run ip -n "$(rig_ns "$1")" link add "g-$2" type veth peer name eth0 netns "$(rig_ns "$2")"
    rig_run ip -n "$(rig_ns "$2")" link set eth0 address "$MAC"
    # No IPv6 chatter at link-up: the RARP is the frame that claims.
    rig_in "$2" sysctl -q -w net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1 \
        net.ipv6.conf.eth0.disable_ipv6=1
    rig_assert "attach the MAC on $1" rig_ctl "$1" attach blue "g-$2" --mac "$MAC" --name "$2"
}
copy h2 m2
copy h3 m3

fdb_is() {
    rig_ctl_q "$1" --json fdb blue | jq -e --arg m "$MAC" ".entries[] | select(.mac == \$m) | $2" >/dev/null
}
fdb_show() { rig_ctl_q "$1" --json fdb blue | jq -c --arg m "$MAC" '.entries[] | select(.mac == $m)'; }

# to GUEST: only GUEST's copy is up, and it sends a RARP.
to() {
    local other=m2
    [ "$1" = m2 ] && other=m3
    rig_run ip -n "$(rig_ns "$other")" link set eth0 down
    rig_run ip -n "$(rig_ns "$1")" link set eth0 up
    rig_guest_rarp "$1" "$MAC" >/dev/null
}

rig_say "the MAC appears behind h2"
to m2
rig_poll 5 "h1 sends it to h2" fdb_is h1 '.location == "h2" and .state == "remote"'
seq=$(fdb_show h1 | jq .seq)
where=(h3 h2 h3 h2 h3)
for i in 0 1 2 3 4; do
    h=${where[$i]}
    # A MAC heard within FDB_LIVE_MS (100 ms) answers a claim with a
    # counter-claim: the copy that goes down must have been quiet longer.
    sleep 0.2
    to "m${h#h}"
    rig_poll 5 "move $((i + 1)): h1 follows to $h" fdb_is h1 ".location == \"$h\" and .seq > $seq"
    seq=$(fdb_show h1 | jq .seq)
done
rig_assert_eq "$(rig_counter h1 macs_frozen)" 0 "h1 macs_frozen after five moves"

rig_say "the sixth move within 180 s: frozen at h3"
sleep 0.2
to m2
frozen_at=$SECONDS
rig_poll 5 "h2 shows the MAC frozen at h3" fdb_is h2 '.state == "frozen" and .location == "h3"'
rig_assert_eq "$(rig_counter h2 macs_frozen)" 1 "h2 macs_frozen"
rig_assert_eq "$(grep -c "$MAC frozen at h3" "$(rig_host_dir h2)/overlayd.log")" 1 "h2's freeze warnings"
rig_assert "h1 still sends to h3, same seq" fdb_is h1 ".location == \"h3\" and .seq == $seq"
rig_log "h1: $(fdb_show h1); h2: $(fdb_show h2); h3: $(fdb_show h3)"

rig_say "back and forth once more: nothing moves"
frames=$(rig_counter h2 tap_rx_frames)
sleep 0.2
to m3
sleep 0.2
to m2
_h2_heard() { [ "$(rig_counter h2 tap_rx_frames)" -gt "$frames" ]; }
rig_poll 5 "h2 read the RARP" _h2_heard
rig_assert "h2 still frozen at h3" fdb_is h2 '.state == "frozen" and .location == "h3"'
rig_assert "h1 still sends to h3, same seq" fdb_is h1 ".location == \"h3\" and .seq == $seq"
rig_assert_eq "$(rig_counter h2 macs_frozen)" 1 "h2 macs_frozen (one freeze, reported once)"
rig_assert "h2 shows its MacFreezeTime" eval \
    "rig_ctl_q h2 --json enclaves | jq -e '.enclaves[0] | .mac_freeze_time_ms == $((FREEZE_S * 1000)) and .mac_move_limit == 5 and .mac_move_window_ms == 180000' >/dev/null"

rig_say "MacFreezeTime (${FREEZE_S} s on h2) later: h2 claims again, h1 (180 s) refuses"
# The freeze ends FREEZE_S after it began; SECONDS rounds, so one more.
while [ $((SECONDS - frozen_at)) -le "$FREEZE_S" ]; do sleep 0.5; done
to m2
rig_poll 5 "h2 claims the MAC again" fdb_is h2 '.state == "local" and .seq > '"$seq"
rig_poll 5 "h1 refuses its sixth move: frozen at h3" fdb_is h1 '.state == "frozen" and .location == "h3"'
rig_assert_eq "$(rig_counter h1 macs_frozen)" 1 "h1 macs_frozen"
rig_say "a reload with MacMoveLimit = 0 on h1: duplicate detection off, nothing frozen"
rig_enclave h1 blue 100 "MacMoveLimit = 0"
out=$(rig_ctl h1 reload 2>&1) || rig_fail "h1 reload: $out"
rig_log "$out"
grep -q "enclave blue: MacMoveLimit 0, MacMoveWindow 180.000 s, MacFreezeTime 180.000 s" <<<"$out" \
    || rig_fail "h1's reload does not report the new limits: $out"
rig_assert "h1 shows MacMoveLimit 0" eval \
    "rig_ctl_q h1 --json enclaves | jq -e '.enclaves[0].mac_move_limit == 0' >/dev/null"
rig_assert "h1 no longer shows the MAC frozen (still at h3)" fdb_is h1 '.state == "remote" and .location == "h3"'
printf '  ok: frozen at h2 after 5 moves, thawed after %s s; h1: %s, h2: %s\n' "$FREEZE_S" \
    "$(fdb_show h1)" "$(fdb_show h2)" >&2

rig_pass
