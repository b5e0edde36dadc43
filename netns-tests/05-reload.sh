#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
#
# Scenario 4b — SIGHUP / `overlayctl reload`.
# A broken enclave file added on h1 and SIGHUP: the daemon reports it in its
# log, keeps running with the old configuration (same enclaves, link still
# up, guests still ping), and `overlayctl reload` exits 1 naming the file.
# Then a good change (the broken file removed, a new enclave file red added
# on both hosts) is applied by `overlayctl reload`: red appears in
# `enclaves`, its bridge exists, and red guests on the two hosts ping.
. "$(dirname "$0")/lib.sh"
rig_init

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

enclave_names() { rig_ctl_q "$1" --json enclaves | jq -r '[.enclaves[].name] | sort | join(",")'; }
rig_assert_eq "$(enclave_names h1)" blue "h1 enclaves before reload"

rig_say "broken enclave file + SIGHUP: old configuration stays"
BAD=$(rig_host_dir h1)/enclaves/bad.conf
cat > "$BAD" <<'EOF'
[Enclave]
Name = bad
Id = 300

[Member]
Name = vm
MAC = 52:54:00:zz:00:01
EOF
LOG=$(rig_host_dir h1)/overlayd.log
rig_run kill -HUP "${RIG_DAEMON_PID[h1]}"
rig_poll 5 "h1 logs the broken file after SIGHUP" grep -q "bad.conf" "$LOG"
grep "bad.conf" "$LOG" | sed 's/^/  log: /' >&2
kill -0 "${RIG_DAEMON_PID[h1]}" || rig_fail "overlayd of h1 died on SIGHUP with a broken file"
rig_assert_eq "$(enclave_names h1)" blue "h1 enclaves after a refused SIGHUP"
rig_assert_eq "$(rig_peer_state h1 h2)" up "h1's link to h2 after a refused SIGHUP"
rig_ping b1 10.100.0.2

rig_say "overlayctl reload with the broken file: exit 1 with the reason"
rc=0
rig_log "overlayctl(h1) reload"
rig_ctl_q h1 reload 2>"$RIG_DIR/reload.err" || rc=$?
sed 's/^/  stderr: /' "$RIG_DIR/reload.err" >&2
rig_assert_eq "$rc" 1 "overlayctl reload exit status with a broken file"
grep -q "bad.conf" "$RIG_DIR/reload.err" || rig_fail "overlayctl reload's reason does not name bad.conf"
rig_assert_eq "$(enclave_names h1)" blue "h1 enclaves after a refused reload"
rig_assert_eq "$(rig_peer_state h1 h2)" up "h1's link to h2 after a refused reload"
rig_ping b2 10.100.0.1

rig_say "good change: remove the broken file, add enclave red on both hosts"
rig_run rm "$BAD"
rig_enclave h1 red 200
rig_enclave h2 red 200
rig_assert "overlayctl reload on h1" rig_ctl h1 reload
rig_assert "overlayctl reload on h2" rig_ctl h2 reload
rig_assert_eq "$(enclave_names h1)" blue,red "h1 enclaves after reload"
rig_assert_eq "$(enclave_names h2)" blue,red "h2 enclaves after reload"
bridge=$(rig_ctl_q h1 --json enclaves | jq -r '.enclaves[] | select(.name == "red") | .bridge')
rig_assert "bridge $bridge of red exists on h1" ip -n "$(rig_ns h1)" link show "$bridge"
rig_guest_create h1 red r1 10.100.0.1 52:54:00:00:02:01
rig_guest_create h2 red r2 10.100.0.2 52:54:00:00:02:02
rig_ping r1 10.100.0.2
rig_ping r2 10.100.0.1
rig_ping b1 10.100.0.2
rig_assert_eq "$(rig_peer_state h1 h2)" up "h1's link to h2 after the good reload"

rig_pass
