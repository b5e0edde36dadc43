#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
# End-to-end smoke test of overlayd: two hosts (network namespaces joined by
# a veth), one enclave, one guest namespace per host; guests must ping each
# other through the overlay; `overlayctl --json peers` must show the link up;
# SIGTERM must leave no bridge or TAP behind.
# Usage: smoke_netns.sh OVERLAYD OVERLAYCTL   (root; exit 77 = skipped)
SMOKE_PREFIX=dsm
. "$(dirname "$0")/smoke_lib.sh"

for n in a b ga gb; do ip netns add "$P-$n"; inns $n ip link set lo up; done
ip -n "$P-a" link add wan0 type veth peer name wan0 netns "$P-b"
inns a ip addr add 10.201.9.1/24 dev wan0
inns b ip addr add 10.201.9.2/24 dev wan0
inns a ip link set wan0 up
inns b ip link set wan0 up

for h in a b; do
    "$C" genkey > "$T/$h.key"
    "$C" pubkey < "$T/$h.key" > "$T/$h.pub"
    mkdir -p "$T/$h/enclaves"
    printf '[Enclave]\nName = blue\nId = 100\n' > "$T/$h/enclaves/blue.conf"
done
conf() {  # conf HOST N OTHER OTHER_N
    cat > "$T/$1.conf" <<EOT
[Host]
Name = host-$1
PrivateKey = $(cat "$T/$1.key")
ListenPort = 51900
ControlSocket = $T/$1/ctl.sock
EnclaveDir = $T/$1/enclaves

[Peer]
Name = host-$3
PublicKey = $(cat "$T/$3.pub")
Endpoint = 10.201.9.$4:51900
EOT
}
conf a 1 b 2
conf b 2 a 1
"$D" -c "$T/a.conf" --check || fail "--check of a valid config"

for h in a b; do
    # ip netns exec directly (not a function): $! must be the daemon itself
    ip netns exec "$P-$h" "$D" -c "$T/$h.conf" --log-level debug 2>"$T/$h.log" >/dev/null &
    PIDS+=($!)
done
ctl() { local h=$1; shift; "$C" -s "$T/$h/ctl.sock" "$@"; }
for h in a b; do
    for _ in $(seq 100); do ctl $h status >/dev/null 2>&1 && break; sleep 0.1; done
    ctl $h status >/dev/null || fail "daemon $h does not answer"
done

# guests
i=1
for h in a b; do
    g=g$h
    mac="52:54:00:00:01:0$i"
    ip -n "$P-$h" link add "g-$h" type veth peer name eth0 netns "$P-$g"
    inns $g ip link set eth0 address "$mac"
    inns $g ip addr add "10.100.0.$i/24" dev eth0
    ctl $h attach blue "g-$h" --mac "$mac" --name "vm$i" || fail "attach on $h"
    ctl $h attach blue "g-$h" --mac "$mac" --name "vm$i" || fail "attach on $h is not idempotent"
    mtu=$(ip -n "$P-$h" -j link show "g-$h" | jq '.[0].mtu')
    inns $g ip link set eth0 mtu "$mtu" up
    i=$((i + 1))
done
echo "guest MTU: $mtu"

up=0
for _ in $(seq 100); do
    up=$(ctl a --json peers | jq '[.peers[] | select(.state == "up")] | length')
    [ "$up" -ge 1 ] && break
    sleep 0.1
done
[ "$up" -ge 1 ] || fail "link a-b not up"
ctl a --json peers | jq -c .
inns ga ping -n -q -c 3 -i 0.2 -W 2 10.100.0.2 || fail "ping ga -> gb"
inns gb ping -n -q -c 3 -i 0.2 -W 2 -s 1390 -M do 10.100.0.1 || fail "ping gb -> ga at the full inner MTU (1418)"
if [ -n "${SMOKE_IPERF:-}" ] && command -v iperf3 >/dev/null; then
    inns gb iperf3 -s -1 -D
    sleep 0.5
    inns ga iperf3 -c 10.100.0.2 -t 5 | tail -4
fi
ctl a --json status | jq -c .
ctl a fdb blue
ctl a enclaves
ctl a peers

[ "$(stat -c %a "$T/a/ctl.sock")" = 600 ] || fail "control socket mode $(stat -c %a "$T/a/ctl.sock")"

# a second daemon on the same control socket is refused, the first keeps running
if ip netns exec "$P-a" "$D" -c "$T/a.conf" 2>"$T/dup.log"; then fail "second daemon started"; fi
grep -q "another overlayd answers" "$T/dup.log" || fail "second daemon: $(cat "$T/dup.log")"
ctl a status >/dev/null || fail "first daemon gone after a refused second start"

# an invalid enclave file: reload refused with path:line, old config stays
printf '[Enclave]\nName = bad\nId = 0\n' > "$T/a/enclaves/bad.conf"
if ctl a reload 2>"$T/reload.err"; then fail "invalid reload accepted"; fi
grep -q "bad.conf:3:" "$T/reload.err" || fail "reload error lacks path:line: $(cat "$T/reload.err")"
rm "$T/a/enclaves/bad.conf"
inns ga ping -n -q -c 1 -W 2 10.100.0.2 >/dev/null || fail "ping after a refused reload"

# enclave red (id 200) added by reload on both hosts; its guest shares the
# blue subnet but must not reach blue's guests
for h in a b; do printf '[Enclave]\nName = red\nId = 200\n' > "$T/$h/enclaves/red.conf"; done
ctl a reload | grep -q "added enclave red" || fail "reload a: red not added"
kill -HUP "${PIDS[1]}"
for _ in $(seq 50); do ctl b enclaves | grep -q '^red' && break; sleep 0.1; done
ctl b --json enclaves | jq -e '.enclaves | map(.name) | index("red")' >/dev/null || fail "SIGHUP on b: red not added"
ctl a reload | grep -q "no changes" || fail "second reload is not a no-op"
ip netns add "$P-gr"
ip -n "$P-b" link add g-r type veth peer name eth0 netns "$P-gr"
inns gr ip link set lo up
inns gr ip link set eth0 address 52:54:00:00:02:01
inns gr ip addr add 10.100.0.3/24 dev eth0
ctl b attach red g-r --mac 52:54:00:00:02:01 || fail "attach red"
inns gr ip link set eth0 up
if inns gr ping -n -q -c 2 -i 0.2 -W 1 10.100.0.1 >/dev/null; then fail "red guest reached blue guest"; fi
inns ga ping -n -q -c 2 -i 0.2 -W 2 10.100.0.2 >/dev/null || fail "blue ping after red was added"
ctl a fdb red | grep -q "52:54:00:00:02:01" || fail "red MAC not announced to a"
ctl a fdb blue | grep -q "52:54:00:00:02:01" && fail "red MAC leaked into blue's table"

# b restarts: links come back, statics are re-announced, ping works again
kill -TERM "${PIDS[1]}"; wait "${PIDS[1]}" || fail "b exit status"
ip netns exec "$P-b" "$D" -c "$T/b.conf" --log-level debug 2>>"$T/b.log" >/dev/null &
PIDS[1]=$!
for _ in $(seq 100); do ctl b status >/dev/null 2>&1 && break; sleep 0.1; done
ctl b attach blue g-b --mac 52:54:00:00:01:02 --name vm2 || fail "re-attach after restart"
inns gb ip link set eth0 up
inns ga ping -n -q -c 3 -i 0.2 -W 2 10.100.0.2 >/dev/null || fail "ping after b restarted"
ctl a fdb blue

ctl b detach g-b || fail "detach"
ctl b detach g-b || fail "detach is not idempotent"
ctl a fdb blue | grep "52:54:00:00:01:02" | grep -q remote && fail "withdrawn MAC still remote on a"

# clean shutdown: exit 0, nothing left behind
for k in 0 1; do
    kill -TERM "${PIDS[$k]}"
    wait "${PIDS[$k]}" || fail "overlayd exited non-zero on SIGTERM"
done
PIDS=()
for h in a b; do
    left=$(ip -n "$P-$h" -br link show | awk '{print $1}' | grep -E '^ov[lu]-' || true)
    [ -z "$left" ] || fail "left behind in $h: $left"
    [ ! -e "$T/$h/ctl.sock" ] || fail "control socket of $h left behind"
done
# someone else's bridge with our name: refused, and left alone
inns a ip link add ovl-blue type bridge
if ip netns exec "$P-a" "$D" -c "$T/a.conf" 2>"$T/exists.log"; then fail "started over a foreign bridge"; fi
grep -q "bridge ovl-blue already exists" "$T/exists.log" || fail "foreign bridge: $(cat "$T/exists.log")"
inns a ip link show ovl-blue >/dev/null 2>&1 || fail "foreign bridge deleted"
[ ! -e "$T/a/ctl.sock" ] || fail "control socket left after a failed start"
echo "PASS: smoke"
