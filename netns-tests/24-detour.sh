#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
#
# Scenario 24 — detours (docs/paths.md): four hosts in a full mesh, enclave
# blue on h1, h3 and h4; h2 carries no enclave and relays.
#  1. h1 and h4 have no direct path from the start (WAN split; h3-h4 is
#     cut too, so h2 is the only relay): their
#     guests still ping, through h2 (`peers`: h4 via h2, from both ends);
#     h2 relayed link packets without carrying blue; a full-MTU (1418)
#     guest ping crosses the detour too;
#  2. h1-h3 runs direct; a guest ping every 10 ms runs while the WAN cuts
#     h1-h3: traffic moves to h2, and the longest gap between two replies
#     is printed and must stay under 1 s;
#  3. the cut heals: h1 and h3 go back to direct within DETOUR_BACK_S
#     (default 10 s; the design: detection + 2 s hold), printed; MinPaths
#     to h3, broken by the cut, is logged as holding again; a reload
#     with MinPaths = 1 applies at once;
#     `paths blue` (MaxLatency 500 ms, MinPaths 2) shows h4 via h2 with
#     one path (MinPaths broken, logged) and h3 direct with two;
#  4. no relayed packet was refused as spoofed, and the counters agree;
#  5. h1-h3, h1-h4 and h2-h3 cut: no one-hop detour joins h1 and h3, and
#     their guests still ping through h2 and h4 (h2's own path to h3 goes
#     via h4); `paths` counts no independent path.
. "$(dirname "$0")/lib.sh"
rig_init
BACK_S=${DETOUR_BACK_S:-10}

rig_wan_create
for i in 1 2 3 4; do rig_host_create "h$i" "$i"; done
rig_mesh h1 h2 h3 h4
for h in h1 h3 h4; do rig_enclave "$h" blue 100 "MaxLatency = 500ms" "MinPaths = 2"; done
# h3-h4 cut too for step 1, so h2 is the only relay between h1 and h4.
rig_wan_split h1 h3 -- h4
for i in 1 2 3 4; do rig_daemon_start "h$i"; done
rig_guest_create h1 blue b1 10.100.0.1 52:54:00:00:01:01
rig_guest_create h3 blue b3 10.100.0.3 52:54:00:00:01:03
rig_guest_create h4 blue b4 10.100.0.4 52:54:00:00:01:04
rig_wait_links h1 2

_via() { rig_ctl_q "$1" --json peers | jq -r --arg n "$2" '.peers[] | select(.name == $n) | .via // "direct"'; }
_via_is() { [ "$(_via "$1" "$2")" = "$3" ]; }
_pings() { rig_in "$1" ping -n -q -c 1 -W 1 "$2" >/dev/null 2>&1; }

rig_say "1. no direct path h1-h4 from the start: through h2"
t0=$SECONDS
rig_poll 45 "b1 pings b4 (no direct path)" _pings b1 10.100.0.4
printf '  b1 -> b4 answered %ss after the guests came up\n' "$((SECONDS - t0))" >&2
rig_assert "h1 reaches h4 via h2" _via_is h1 h4 h2
rig_poll 10 "h4 reaches h1 via h2" _via_is h4 h1 h2
rig_ctl h1 peers >&2
rig_ping b4 10.100.0.1
# A full-size frame through the relay (the detour adds 66 bytes outside it).
rig_ping b1 10.100.0.4 -s 1390 -M do
relayed=$(rig_counter h2 detour_relayed)
[ "$relayed" -gt 0 ] || rig_fail "h2 relayed nothing (detour_relayed $relayed)"
rig_assert_eq "$(rig_ctl_q h2 --json enclaves | jq '.enclaves | length')" 0 "enclaves on the relay h2"
printf '  h2 relayed %s link packets, carrying no enclave\n' "$relayed" >&2
_paths_is() {   # HOST PEER JQ-FILTER over its `paths blue --json` entry
    rig_ctl_q "$1" --json paths blue | jq -e --arg n "$2" ".hosts[] | select(.name == \$n) | $3" >/dev/null
}
rig_ctl h1 paths blue >&2
rig_poll 5 "h1 paths: h4 via h2, 1 path, MinPaths broken, MaxLatency holds" _paths_is h1 h4 \
    '.path == "via h2" and .via == "h2" and .paths == 1 and .paths_ok == false and .latency_ok == true and .rtt_ms > 0'
rig_poll 5 "h1 paths: h3 direct, 2 paths (direct, via h2), both bounds hold" _paths_is h1 h3 \
    '.path == "direct" and .paths == 2 and .paths_ok == true and .latency_ok == true'
rig_assert_eq "$(rig_ctl_q h1 --json paths blue | jq -c '[.max_latency_ms, .min_paths]')" "[500,2]" "bounds"
_logged() { grep -qF "$2" "$(rig_host_dir "$1")/overlayd.log"; }
rig_poll 5 "h1 logs the broken MinPaths to h4" _logged h1 "blue: MinPaths to h4 broken"

rig_say "2. cut h1-h3 under a 10 ms ping: the longest gap"
rig_wan_split h1 -- h4
rig_poll 10 "h1 reaches h3 directly" _via_is h1 h3 direct
log=$RIG_DIR/ping-b1-b3.log
ip netns exec "$(rig_ns b1)" ping -n -D -i 0.01 -W 1 10.100.0.3 > "$log" 2>&1 &
ping_pid=$!
_replies() { [ "$(grep -c 'bytes from' "$log")" -ge "$1" ]; }
rig_poll 10 "50 replies before the cut" _replies 50
n_cut=$(grep -c 'bytes from' "$log")
rig_wan_split h1 -- h3 h4
rig_poll 10 "h1 reaches h3 via h2 after the cut" _via_is h1 h3 h2
rig_poll 10 "100 replies after the cut" _replies $((n_cut + 100))
kill "$ping_pid" 2>/dev/null; wait "$ping_pid" 2>/dev/null || true
gap=$(awk -F'[][]' '/bytes from/ { t = $2 + 0; if (p) { g = (t - p) * 1000; if (g > m) m = g } p = t }
      END { printf "%d", m }' "$log")
printf '  longest gap between replies around the cut: %s ms (%s replies)\n' \
    "$gap" "$(grep -c 'bytes from' "$log")" >&2
[ "$gap" -lt 1000 ] || rig_fail "failover gap ${gap} ms is not under 1 s"

rig_say "3. the cut heals: back to direct"
t0=$SECONDS
rig_wan_split h1 -- h4
rig_poll "$BACK_S" "h1 reaches h3 directly again" _via_is h1 h3 direct
rig_poll "$BACK_S" "h3 reaches h1 directly again" _via_is h3 h1 direct
printf '  direct again %ss after the heal\n' "$((SECONDS - t0))" >&2
rig_ping b1 10.100.0.3
rig_assert "h1 still reaches h4 via h2" _via_is h1 h4 h2
rig_poll 5 "h1 logs MinPaths to h3 broken at the cut and holding again" _logged h1 "blue: MinPaths to h3 holds again"

rig_say "3b. a reload changes the bounds at once"
rig_enclave h1 blue 100 "MaxLatency = 500ms" "MinPaths = 1"
out=$(rig_ctl h1 reload)
grep -q "enclave blue: MaxLatency 500.000 ms, MinPaths 1" <<<"$out" || rig_fail "reload: $out"
rig_assert "h1 paths: min_paths 1 holds for h4" _paths_is h1 h4 '.paths >= 1 and .paths_ok == true'
rig_assert_eq "$(rig_ctl_q h1 --json paths blue | jq .min_paths)" 1 "min_paths after the reload"

rig_say "4. counters"
for h in h1 h2 h3 h4; do
    rig_assert_eq "$(rig_counter "$h" drop_detour_spoof)" 0 "$h drop_detour_spoof"
done
[ "$(rig_counter h1 direct_dead)" -ge 2 ] || rig_fail "h1 direct_dead < 2 (h4 from the start, h3 at the cut)"
[ "$(rig_counter h1 path_switches)" -ge 3 ] || rig_fail "h1 path_switches < 3"
[ "$(rig_counter h1 detour_sent)" -gt 0 ] || rig_fail "h1 sent nothing through a relay"
[ "$(rig_counter h3 detour_delivered)" -gt 0 ] || rig_fail "h3 got nothing through a relay"

rig_say "5. no one-hop detour: h1 - h2 - h4 - h3"
rig_wan_clear
rig_wan_cut_pair h1 h3
rig_wan_cut_pair h1 h4
rig_wan_cut_pair h2 h3
before=$(rig_counter h4 detour_relayed)
rig_poll 30 "b1 pings b3 through h2 and h4" _pings b1 10.100.0.3
rig_poll 10 "h1 reaches h3 via h2" _via_is h1 h3 h2
rig_poll 10 "h2 reaches h3 via h4" _via_is h2 h3 h4
rig_poll 15 "b3 pings b1 back through h4 and h2" _pings b3 10.100.0.1
[ "$(rig_counter h4 detour_relayed)" -gt "$before" ] || rig_fail "h4 relayed nothing"
rig_poll 5 "h1 paths: h3 reached (1 path through two relays), no independent path" _paths_is h1 h3 \
    '.path == "via h2" and .paths == 0 and .paths_ok == false'
rig_pass
