#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
#
# Scenario 8 — a host's daemon crashes (SIGKILL) and is started again.
# The killed daemon's bridge is still there, marked as overlayd's own
# (interface alias "overlayd:enclave=100"): the new daemon must adopt it on
# its own (as systemd Restart=on-failure would start it), with the guest
# port still enslaved, and blue traffic flows again in both directions
# without touching the guest. A bridge of the same name that someone else
# created (no alias, or another enclave's mark) is still refused, naming
# it. Also: a stopped peer and a blocked underlay do not break the
# surviving daemon (it keeps answering, and the link comes back once the
# path does).
. "$(dirname "$0")/lib.sh"
rig_init nft

rig_wan_create
rig_host_create h1 1
rig_host_create h2 2
rig_mesh h1 h2
rig_enclave h1 blue 100
rig_enclave h2 blue 100
rig_daemon_start h1
rig_daemon_start h2
rig_wait_links h1 1
rig_wait_links h2 1
rig_guest_create h1 blue b1 10.100.0.1 52:54:00:00:01:01
rig_guest_create h2 blue b2 10.100.0.2 52:54:00:00:01:02
rig_ping b1 10.100.0.2

rig_say "SIGKILL overlayd of h2, start it again"
pid=${RIG_DAEMON_PID[h2]}
rig_run kill -KILL "$pid"
wait "$pid" 2>/dev/null || true
unset "RIG_DAEMON_PID[h2]"
rig_log "h2 interfaces after SIGKILL: $(ip -n "$(rig_ns h2)" -br link | awk '{print $1}' | tr '\n' ' ')"
rig_assert "h1's daemon still answers" rig_ctl h1 status
rig_run rm -f "$(rig_host_sock h2)"   # a crash leaves the socket file behind
_alias() { ip -n "$(rig_ns h2)" -d link show ovl-blue | sed -n 's/^ *alias //p'; }
rig_assert_eq "$(_alias)" "overlayd:enclave=100" "the leftover bridge carries overlayd's mark"
_master() { ip -n "$(rig_ns h2)" -d link show "$1" | grep -o 'master [^ ]*' | cut -d' ' -f2; }
rig_assert_eq "$(_master g-b2)" ovl-blue "g-b2 is still a port of the leftover bridge"
rig_daemon_start h2
grep -q "adopted bridge ovl-blue left by a previous run" "$(rig_host_dir h2)/overlayd.log" ||
    rig_fail "the restarted daemon does not log that it adopted ovl-blue"
rig_assert_eq "$(_master g-b2)" ovl-blue "g-b2 stays a port of the adopted bridge"
rig_assert_eq "$(_master ovu-blue)" ovl-blue "the new uplink is a port of the adopted bridge"
rig_wait_links h2 1
rig_wait_links h1 1
# No re-attach: the guest never left the bridge; the daemon learns it.
rig_ping b1 10.100.0.2
rig_ping b2 10.100.0.1

rig_say "underlay blocked between h1 and h2, then restored"
rig_in h2 nft -f - <<EOF
table inet rig {
    chain in { type filter hook input priority -10; udp dport 51900 drop; }
    chain out { type filter hook output priority -10; udp dport 51900 drop; }
}
EOF
rig_ping_fails b1 10.100.0.2
rig_assert "h1's daemon answers while the path is cut" rig_ctl h1 peers
rig_in h2 nft delete table inet rig
_pings() { ip netns exec "$(rig_ns b1)" ping -n -q -c 1 -W 1 10.100.0.2; }
rig_poll 30 "blue traffic flows again after the underlay is restored" _pings
rig_ping b2 10.100.0.1
rig_wait_links h1 1
rig_wait_links h2 1

# _refused WHY: overlayd of h2 must exit non-zero (not hang), naming ovl-blue,
# and leave the bridge in place (it is not ours to delete).
_refused() {
    local rc=0
    rig_log "[$(rig_ns h2)] timeout 10 $OVERLAYD -c $(rig_host_conf h2)   (must refuse: $1)"
    ip netns exec "$(rig_ns h2)" timeout 10 "$OVERLAYD" -c "$(rig_host_conf h2)" \
        2>"$RIG_DIR/restart.err" || rc=$?
    sed 's/^/  stderr: /' "$RIG_DIR/restart.err" >&2
    [ "$rc" -ne 0 ] && [ "$rc" -ne 124 ] || rig_fail "overlayd started over $1 (status $rc), or hung"
    grep -q "ovl-blue" "$RIG_DIR/restart.err" || rig_fail "the refusal does not name the bridge ovl-blue"
    rig_assert "$1 is left in place" ip -n "$(rig_ns h2)" link show ovl-blue
    rig_run rm -f "$(rig_host_sock h2)"
}

rig_say "SIGKILL overlayd of h2 again; a foreign bridge ovl-blue is refused"
pid=${RIG_DAEMON_PID[h2]}
rig_run kill -KILL "$pid"
wait "$pid" 2>/dev/null || true
unset "RIG_DAEMON_PID[h2]"
rig_run rm -f "$(rig_host_sock h2)"
rig_run ip -n "$(rig_ns h2)" link del ovl-blue
rig_run ip -n "$(rig_ns h2)" link add ovl-blue type bridge
_refused "a foreign bridge without alias"
rig_run ip -n "$(rig_ns h2)" link set ovl-blue alias "overlayd:enclave=101"
_refused "a bridge marked for another enclave"
rig_run ip -n "$(rig_ns h2)" link set ovl-blue alias "overlayd:enclave=1000"
_refused "a bridge whose mark only starts like ours"
rig_run ip -n "$(rig_ns h2)" link del ovl-blue
rig_daemon_start h2
rig_assert_eq "$(_alias)" "overlayd:enclave=100" "a bridge the daemon creates carries its mark"
rig_assert "re-attach g-b2 to the new bridge" rig_ctl h2 attach blue g-b2 --mac 52:54:00:00:01:02 --name b2
rig_wait_links h2 1
rig_wait_links h1 1
rig_ping b2 10.100.0.1

rig_pass
