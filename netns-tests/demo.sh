#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
#
# Live demo: three hosts and two enclaves in network namespaces.
#   OVERLAYD=build/overlayd/overlayd OVERLAYCTL=build/overlayd/overlayctl \
#       sudo -E bash netns-tests/demo.sh
# (or `sudo ./dev.sh demo`). Shows pings within an enclave succeeding, a ping
# across enclaves failing, a slow direct link (h1-h3, 80 ms, when WAN_DELAY
# names the NFQUEUE delayer) bypassed through h2, and overlayctl's view;
# cleans everything up; exits 0 only if every expectation held. RIG_QUIET=0
# shows every command run.
RIG_QUIET=${RIG_QUIET:-1}
. "$(dirname "$0")/lib.sh"
rig_init

OK=0
BAD=0
if [ -t 1 ]; then C_OK='\e[32m' C_BAD='\e[31m' C_B='\e[1m' C_0='\e[0m'; else C_OK='' C_BAD='' C_B='' C_0=''; fi
expect_ok() { printf "  ${C_OK}OK${C_0}   %s\n" "$*"; OK=$((OK + 1)); }
expect_bad() { printf "  ${C_BAD}FAIL${C_0} %s\n" "$*"; BAD=$((BAD + 1)); }
show() { printf "\n${C_B}%s${C_0}\n" "$*"; }

show "1. Three hosts h1 h2 h3 on a routed WAN (10.201.0.1-3), full mesh of keys"
rig_wan_create
for i in 1 2 3; do rig_host_create "h$i" "$i"; done
# A slow direct link h1-h3 (step 5), when the NFQUEUE delayer is built.
SLOW=0
if [ -x "${WAN_DELAY:-}" ]; then
    rig_wan_delay_check
    rig_wan_delay_both h1 h3 40
    rig_wan_delay_both h1 h2 5
    rig_wan_delay_both h2 h3 5
    SLOW=1
    echo "    WAN delays: h1-h3 40 ms each way (80 ms RTT), h1-h2 and h2-h3 5 ms each way"
fi
rig_mesh h1 h2 h3
for i in 1 2 3; do
    rig_enclave "h$i" blue 100
    rig_enclave "h$i" red 200
done
sed 's/^/    blue.conf: /' "$(rig_host_dir h1)/enclaves/blue.conf"
for i in 1 2 3; do rig_daemon_start "h$i"; done
for i in 1 2 3; do rig_wait_links "h$i" 2; done
echo "    overlayd running on h1 h2 h3; every host has 2 links up"

show "2. Guests: blue vm b1/b2/b3 and red vm r1/r2/r3, one of each per host, one subnet"
declare -A IP=([b1]=10.100.0.11 [b2]=10.100.0.12 [b3]=10.100.0.13
               [r1]=10.100.0.21 [r2]=10.100.0.22 [r3]=10.100.0.23)
for i in 1 2 3; do
    rig_guest_create "h$i" blue "b$i" "${IP[b$i]}" "52:54:00:00:01:0$i"
    rig_guest_create "h$i" red "r$i" "${IP[r$i]}" "52:54:00:00:02:0$i"
    printf '    h%s: b%s %s (blue)   r%s %s (red)\n' "$i" "$i" "${IP[b$i]}" "$i" "${IP[r$i]}"
done

show "3. Pings within an enclave (across hosts) succeed"
for pair in b1:b2 b1:b3 b2:b3 r1:r2 r1:r3 r2:r3; do
    a=${pair%:*} b=${pair#*:}
    printf '\n  $ [%s] ping -c 3 %s   (%s)\n' "$a" "${IP[$b]}" "$b"
    if ip netns exec "$(rig_ns "$a")" ping -n -c 3 -i 0.2 -W 2 "${IP[$b]}" >"$RIG_DIR/ping.out" 2>&1; then
        sed 's/^/    /' "$RIG_DIR/ping.out" | grep -E 'bytes from|packet loss' || true
        expect_ok "$a reaches $b"
    else
        sed 's/^/    /' "$RIG_DIR/ping.out"
        expect_bad "$a cannot reach $b"
    fi
done

show "4. Pings across enclaves are refused (same subnet, no path)"
for pair in b1:r2 b1:r1 r3:b2; do
    a=${pair%:*} b=${pair#*:}
    printf '\n  $ [%s] ping -c 2 -W 1 %s   (%s, other enclave)\n' "$a" "${IP[$b]}" "$b"
    if ip netns exec "$(rig_ns "$a")" ping -n -c 2 -i 0.2 -W 1 "${IP[$b]}" >"$RIG_DIR/ping.out" 2>&1; then
        sed 's/^/    /' "$RIG_DIR/ping.out"
        expect_bad "$a reached $b across enclaves"
    else
        sed 's/^/    /' "$RIG_DIR/ping.out" | grep -E 'packet loss|Unreachable' | head -n 2 || true
        expect_ok "$a cannot reach $b"
    fi
done

show "5. Path choice: the slow direct link h1-h3 is bypassed through h2"
if [ "$SLOW" = 1 ]; then
    _via_h2() {
        [ "$(rig_ctl_q h1 --json peers | jq -r '.peers[] | select(.name == "h3") | .via')" = h2 ]
    }
    deadline=$((SECONDS + 30))
    until _via_h2 || [ "$SECONDS" -ge "$deadline" ]; do sleep 0.2; done
    if _via_h2; then
        expect_ok "h1 reaches h3 via h2, not over the 80 ms direct link"
    else
        expect_bad "h1 does not reach h3 via h2"
    fi
    printf '
  $ overlayctl paths blue   (on h1)
'
    rig_ctl h1 paths blue 2>&1 | sed 's/^/    /'
    avg=$(ip netns exec "$(rig_ns b1)" ping -n -q -c 5 -i 0.2 -W 2 "${IP[b3]}" |
          awk -F/ '/^rtt/ { printf "%d", $5 }')
    printf '
  $ [b1] ping -c 5 %s   (b3): average %s ms
' "${IP[b3]}" "${avg:-?}"
    if [ -n "$avg" ] && [ "$avg" -lt 45 ]; then
        expect_ok "b1 -> b3 averages ${avg} ms, not the direct 80 ms"
    else
        expect_bad "b1 -> b3 averages ${avg:-?} ms"
    fi
else
    echo "    (skipped: the NFQUEUE delayer netns-tests/wan_delay is not built)"
fi

show "6. What the daemon on h1 sees"
for cmd in peers enclaves "fdb blue"; do
    printf '\n  $ overlayctl %s\n' "$cmd"
    # shellcheck disable=SC2086
    if rig_ctl h1 $cmd >"$RIG_DIR/ctl.out" 2>&1; then
        sed 's/^/    /' "$RIG_DIR/ctl.out"
        expect_ok "overlayctl $cmd"
    else
        sed 's/^/    /' "$RIG_DIR/ctl.out"
        expect_bad "overlayctl $cmd failed"
    fi
done
up=$(rig_links_up h1)
[ "$up" = 2 ] && expect_ok "h1 has 2 links up" || expect_bad "h1 has $up links up, want 2"
fdb=$(rig_ctl_q h1 --json fdb blue | jq -r '.entries[].mac' | sort | tr '\n' ' ')
if grep -q 52:54:00:00:01:02 <<<"$fdb" && ! grep -q 52:54:00:00:02 <<<"$fdb"; then
    expect_ok "blue's fdb knows b2 and holds no red MAC"
else
    expect_bad "blue's fdb: '$fdb'"
fi

show "7. Cleaning up (namespaces, daemons, temp files)"
printf '\n%s expectations held, %s failed\n' "$OK" "$BAD"
if [ "$BAD" -eq 0 ]; then
    rig_pass
fi
exit 1
