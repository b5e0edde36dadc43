#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
#
# Scenario 26 — a slow direct path bypassed (docs/paths.md). Three hosts in
# a full mesh on the impaired WAN (lib-wan.sh): h1-h3 40 ms each way (80 ms
# RTT), h1-h2 and h2-h3 5 ms each way (10 ms RTT). Blue on h1 and h3, with
# MaxLatency = 30ms and MinPaths = 2; h2 carries nothing.
#  1. h1 and h3 both send through h2 (`peers`: via h2, rtt_ms about 20);
#     guest pings b1 -> b3 average well under the direct 80 ms (printed;
#     bound 45 ms); `paths blue`: h3 via h2, 2 paths, both bounds hold;
#  2. h1-h2 cut: the only path left is the direct 80 ms one: `paths`
#     reports MaxLatency and MinPaths broken, and h1 logs both;
#  3. the cut heals: through h2 again, both bounds logged as holding again.
. "$(dirname "$0")/lib.sh"
rig_init

rig_wan_create
rig_wan_delay_check
for i in 1 2 3; do rig_host_create "h$i" "$i"; done
rig_mesh h1 h2 h3
for h in h1 h3; do rig_enclave "$h" blue 100 "MaxLatency = 30ms" "MinPaths = 2"; done
rig_wan_delay_both h1 h3 40
rig_wan_delay_both h1 h2 5
rig_wan_delay_both h2 h3 5
for i in 1 2 3; do rig_daemon_start "h$i"; done
rig_guest_create h1 blue b1 10.100.0.1 52:54:00:00:01:01
rig_guest_create h3 blue b3 10.100.0.3 52:54:00:00:01:03

_via_is() {
    [ "$(rig_ctl_q "$1" --json peers | jq -r --arg n "$2" '.peers[] | select(.name == $n) | .via // "direct"')" = "$3" ]
}
_paths_is() {   # HOST PEER JQ-FILTER over its `paths blue --json` entry
    rig_ctl_q "$1" --json paths blue | jq -e --arg n "$2" ".hosts[] | select(.name == \$n) | $3" >/dev/null
}
_logged() { grep -qF "$2" "$(rig_host_dir "$1")/overlayd.log"; }
_pings() { rig_in "$1" ping -n -q -c 1 -W 1 "$2" >/dev/null 2>&1; }

rig_say "1. the 80 ms direct path is bypassed through h2"
t0=$SECONDS
rig_poll 30 "h1 sends to h3 via h2" _via_is h1 h3 h2
rig_poll 30 "h3 sends to h1 via h2" _via_is h3 h1 h2
printf '  both ends via h2 %ss after the start\n' "$((SECONDS - t0))" >&2
rig_ctl h1 peers >&2
rig_ping b1 10.100.0.3
avg=$(rig_in b1 ping -n -q -c 10 -i 0.2 -W 2 10.100.0.3 | awk -F/ '/^rtt/ { printf "%d", $5 }')
printf '  guest ping b1 -> b3: average %s ms (direct path: 80 ms)\n' "$avg" >&2
[ -n "$avg" ] && [ "$avg" -lt 45 ] || rig_fail "guest RTT ${avg:-?} ms: the slow direct path is in use"
rig_ctl h1 paths blue >&2
rig_poll 10 "h1 paths: h3 via h2, ~20 ms, 2 paths, both bounds hold" _paths_is h1 h3 \
    '.path == "via h2" and .rtt_ms > 15 and .rtt_ms < 30 and .paths == 2 and .latency_ok == true and .paths_ok == true'
rig_assert "h1 peers: rtt_ms of the path in use (~20 ms), direct_rtt_ms ~80" eval \
    "rig_ctl_q h1 --json peers | jq -e '.peers[] | select(.name == \"h3\") | .rtt_ms < 30 and .direct_rtt_ms > 70' >/dev/null"

rig_say "2. h1-h2 cut: only the slow direct path is left"
rig_wan_cut_pair h1 h2
rig_poll 15 "h1 sends to h3 directly" _via_is h1 h3 direct
rig_poll 10 "h1 paths: h3 direct, 1 path, MaxLatency and MinPaths broken" _paths_is h1 h3 \
    '.path == "direct" and .rtt_ms > 70 and .paths == 1 and .latency_ok == false and .paths_ok == false'
rig_ctl h1 paths blue >&2
rig_poll 5 "h1 logs MaxLatency broken" _logged h1 "blue: MaxLatency to h3 broken"
rig_poll 5 "h1 logs MinPaths broken" _logged h1 "blue: MinPaths to h3 broken"
# h3 leaves h2 once h2's REPORT drops h1 (h2's probes hold h1 dead first).
rig_poll 10 "b1 pings b3 over the direct path" _pings b1 10.100.0.3
rig_poll 10 "h3 sends to h1 directly" _via_is h3 h1 direct

rig_say "3. the cut heals: through h2 again"
rig_wan_uncut_pair h1 h2
rig_poll 20 "h1 sends to h3 via h2 again" _via_is h1 h3 h2
rig_poll 5 "h1 logs MaxLatency holding again" _logged h1 "blue: MaxLatency to h3 holds again"
rig_poll 5 "h1 logs MinPaths holding again" _logged h1 "blue: MinPaths to h3 holds again"
rig_pass
