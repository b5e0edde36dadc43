#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
#
# Scenario 14 — the life of two hosts, end to end (formerly the daemon's
# smoke test). h1 and h2 list each other, enclave blue (100) on both.
#  - `overlayd --check` accepts the config; attach is idempotent; the link
#    comes up; guests ping both ways, h2 -> h1 with a 1418-byte DF packet;
#  - the control socket has mode 0600; a second overlayd on the same socket
#    is refused ("another overlayd answers") and the first keeps answering;
#  - a reload with a broken enclave file is refused with path:line, the old
#    config stays and guests still ping;
#  - enclave red (200) added by `overlayctl reload` on h1 and by SIGHUP on
#    h2; a second reload is a no-op; a red guest in blue's subnet does not
#    reach blue's guest, blue still pings, h1's red fdb learns the red MAC
#    and blue's fdb does not;
#  - h2 restarts (SIGTERM exits 0): the re-attached guest pings again;
#  - detach (twice) withdraws the MAC from h1's fdb;
#  - SIGTERM: exit 0, no ovl-*/ovu-* interface and no socket left;
#  - a foreign bridge named ovl-blue stops the start with a message, is left
#    alone, and no control socket is left behind.
RIG_LOG_LEVEL=${RIG_LOG_LEVEL:-debug}
. "$(dirname "$0")/lib.sh"
rig_init

rig_wan_create
rig_host_create h1 1
rig_host_create h2 2
rig_mesh h1 h2
rig_enclave h1 blue 100
rig_enclave h2 blue 100
rig_assert "--check of a valid config" "$OVERLAYD" -c "$(rig_host_conf h1)" --check
rig_daemon_start h1
rig_daemon_start h2

rig_say "guests, attach twice"
rig_guest_create h1 blue b1 10.100.0.1 52:54:00:00:01:01
rig_guest_create h2 blue b2 10.100.0.2 52:54:00:00:01:02
rig_assert "attach is idempotent" rig_ctl h1 attach blue g-b1 --mac 52:54:00:00:01:01 --name b1
rig_assert "attach is idempotent" rig_ctl h2 attach blue g-b2 --mac 52:54:00:00:01:02 --name b2
rig_wait_links h1 1
rig_ping b1 10.100.0.2
rig_ping b2 10.100.0.1 -s 1390 -M "do"  # 1418 bytes, don't fragment
for cmd in "--json status" "fdb blue" "enclaves" "peers"; do
    # shellcheck disable=SC2086
    rig_ctl h1 $cmd >/dev/null || rig_fail "overlayctl $cmd failed"
done

rig_say "control socket"
rig_assert_eq "$(stat -c %a "$(rig_host_sock h1)")" 600 "control socket mode"
rig_log "[$(rig_ns h1)] $OVERLAYD -c $(rig_host_conf h1)  (must be refused)"
out=$(timeout 10 ip netns exec "$(rig_ns h1)" "$OVERLAYD" -c "$(rig_host_conf h1)" 2>&1) \
    && rig_fail "a second overlayd started on the same control socket"
grep -q "another overlayd answers" <<<"$out" || rig_fail "second overlayd: unexpected message: $out"
rig_assert "the first overlayd answers after a refused second start" rig_ctl h1 status

rig_say "a broken enclave file: reload refused, old config stays"
printf '[Enclave]\nName = bad\nId = 0\n' > "$(rig_host_dir h1)/enclaves/bad.conf"
out=$(rig_ctl h1 reload 2>&1) && rig_fail "reload accepted an invalid enclave file"
grep -q "bad.conf:3:" <<<"$out" || rig_fail "reload error lacks path:line: $out"
rm "$(rig_host_dir h1)/enclaves/bad.conf"
rig_ping b1 10.100.0.2

rig_say "enclave red added by reload (h1) and SIGHUP (h2)"
rig_enclave h1 red 200
rig_enclave h2 red 200
out=$(rig_ctl h1 reload)
grep -q "added enclave red" <<<"$out" || rig_fail "reload h1: red not added: $out"
rig_run kill -HUP "${RIG_DAEMON_PID[h2]}"
_has_red() { rig_ctl_q "$1" --json enclaves | jq -e '.enclaves | map(.name) | index("red")' >/dev/null; }
rig_poll 5 "SIGHUP on h2 adds red" _has_red h2
out=$(rig_ctl h1 reload)
grep -q "no changes" <<<"$out" || rig_fail "a second reload is not a no-op: $out"
rig_guest_create h2 red r2 10.100.0.3 52:54:00:00:02:01
rig_ping_fails r2 10.100.0.1
rig_ping b1 10.100.0.2
_fdb_has() { grep -q "$3" <<<"$(rig_ctl_q "$1" fdb "$2")"; }
rig_poll 5 "h1's red fdb learns r2's MAC" _fdb_has h1 red 52:54:00:00:02:01
rig_assert_fails "r2's MAC is not in blue's fdb on h1" _fdb_has h1 blue 52:54:00:00:02:01

rig_say "h2 restarts"
rig_daemon_stop h2 || rig_fail "overlayd of h2 exited non-zero on SIGTERM"
rig_daemon_start h2
rig_assert "re-attach after the restart" rig_ctl h2 attach blue g-b2 --mac 52:54:00:00:01:02 --name b2
rig_ping b1 10.100.0.2
rig_ctl h1 fdb blue >&2

rig_say "detach withdraws the MAC"
rig_assert "detach" rig_ctl h2 detach g-b2
rig_assert "detach is idempotent" rig_ctl h2 detach g-b2
_no_remote_b2() { ! grep -q "52:54:00:00:01:02.*remote" <<<"$(rig_ctl_q h1 fdb blue)"; }
rig_poll 5 "h1 forgets b2's MAC after the detach" _no_remote_b2

rig_say "SIGTERM leaves nothing behind"
for h in h1 h2; do
    rig_daemon_stop "$h" || rig_fail "overlayd of $h exited non-zero on SIGTERM"
    left=$(ip -n "$(rig_ns "$h")" -br link show | awk '{print $1}' | grep -E '^ov[lu]-' || true)
    [ -z "$left" ] || rig_fail "left behind in $h: $left"
    [ ! -e "$(rig_host_sock "$h")" ] || rig_fail "control socket of $h left behind"
done

rig_say "someone else's bridge named ovl-blue: refused and left alone"
rig_in h1 ip link add ovl-blue type bridge
out=$(timeout 10 ip netns exec "$(rig_ns h1)" "$OVERLAYD" -c "$(rig_host_conf h1)" 2>&1) \
    && rig_fail "overlayd started over a foreign bridge"
grep -q "bridge ovl-blue already exists" <<<"$out" || rig_fail "foreign bridge: unexpected message: $out"
rig_assert "the foreign bridge is kept" rig_in h1 ip link show ovl-blue
[ ! -e "$(rig_host_sock h1)" ] || rig_fail "control socket left after a failed start"

rig_pass
