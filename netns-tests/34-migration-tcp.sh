#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
#
# Scenario 34 — a TCP stream survives a simulated live migration
# (docs/migration.md). Hosts h1, h2, h3 in a full mesh, enclave blue (100)
# on all.
# The moving guest m (10.100.0.2, one MAC) is one namespace with two NICs
# of that MAC: eth0 on h2 and eth1 on h3 (down, as a paused incoming QEMU).
# Moving it brings eth0 down and eth1 up: its sockets stay, like a VM's
# memory does. Guest a1 on h1 sends m a TCP stream (tcpstream.py: 1 KiB
# every 5 ms, a counting byte pattern) throughout.
#  1. h3's port is attached first: `pending` on h3, h1 still sends to h2.
#  2. The move: m's eth0 goes down, eth1 up, and m sends a RARP on eth1.
#     h3 stores its claim's ring record at once (`ring --json`
#     stats.claims_stored grows, which the publish scan never does), and
#     h1's `lookup` (it asks the ring, not its MAC table) reads the new
#     sequence number (the time from the RARP is printed).
#  3. The stream ends cleanly: every byte sent arrives, in order; its
#     longest stall (no byte read) is printed and must stay under
#     TCP_STALL_MAX_MS (10000 ms, generous: a lost segment costs at least
#     TCP's 200 ms minimum retransmission timeout, doubled per loss, and a
#     loaded machine starves the daemons; the figure is the result).
. "$(dirname "$0")/lib.sh"
rig_init

MAC=52:54:00:00:03:04
TCP_STALL_MAX_MS=${TCP_STALL_MAX_MS:-10000}
STREAM=$(dirname "$0")/tcpstream.py
# The interpreter itself, not a wrapper (a pyenv shim costs ~1 s a run).
PY=$("$RIG_PYTHON" -c 'import sys; print(sys.executable)')

rig_wan_create
for i in 1 2 3; do rig_host_create "h$i" "$i"; done
rig_mesh h1 h2 h3
for h in h1 h2 h3; do rig_enclave "$h" blue 100; done
for i in 1 2 3; do rig_daemon_start "h$i"; done
for h in h1 h2 h3; do rig_wait_links "$h" 2; done
rig_guest_create h1 blue a1 10.100.0.1 52:54:00:00:03:01
rig_guest_create h2 blue m 10.100.0.2 "$MAC"

fdb_is() {
    rig_ctl_q "$1" --json fdb blue | jq -e --arg m "$MAC" ".entries[] | select(.mac == \$m) | $2" >/dev/null
}
fdb_show() { rig_ctl_q "$1" --json fdb blue | jq -c --arg m "$MAC" '.entries[] | select(.mac == $m)'; }
# bytes_rx: what m's end of the stream has received (ss -i).
bytes_rx() {
    ip netns exec "$(rig_ns m)" ss -Htni state established 'sport = :5001' |
        grep -o 'bytes_received:[0-9]*' | cut -d: -f2
}
_bytes_rx_ge() { [ "$(bytes_rx)" -ge "$1" ] 2>/dev/null; }
claims_stored() { rig_ctl_q "$1" --json ring | jq -r '.stats.claims_stored'; }

rig_say "a1 streams to m over TCP"
rig_ping a1 10.100.0.2
RESULT=$RIG_DIR/stream.json STOP=$RIG_DIR/stream.stop SENT=$RIG_DIR/stream.sent
rig_log "[$(rig_ns m)] tcpstream.py recv 10.100.0.2 5001 $RESULT &"
ip netns exec "$(rig_ns m)" "$PY" "$STREAM" recv 10.100.0.2 5001 "$RESULT" \
    2>"$RIG_DIR/stream-recv.err" &
_listening() { ip netns exec "$(rig_ns m)" ss -Hltn 'sport = :5001' | grep -q .; }
rig_poll 5 "m listens" _listening
rig_log "[$(rig_ns a1)] tcpstream.py send 10.100.0.2 5001 $STOP > $SENT &"
ip netns exec "$(rig_ns a1)" "$PY" "$STREAM" send 10.100.0.2 5001 "$STOP" \
    >"$SENT" 2>"$RIG_DIR/stream-send.err" &
SEND_PID=$!
_est() { ip netns exec "$(rig_ns m)" ss -Htn state established 'sport = :5001' | grep -q .; }
for _ in $(seq 100); do _est && break; sleep 0.1; done
_est || rig_fail "the stream did not come up: $(cat "$RIG_DIR"/stream-*.err)"
rig_poll 5 "h1 sends m's frames to h2" fdb_is h1 '.location == "h2" and .state == "remote"'
seq0=$(fdb_show h1 | jq .seq)
# `lookup` asks the ring, not the MAC table.
_ring_seq() { rig_ctl_q h1 --json lookup blue "$MAC" | jq -e ".seq == $1" >/dev/null; }
rig_poll 30 "the ring has m's record (seq $seq0)" _ring_seq "$seq0"

rig_say "1. m's second NIC on h3 is attached first: pending"
rig_run ip -n "$(rig_ns h3)" link add g-m3 type veth peer name eth1 netns "$(rig_ns m)"
rig_run ip -n "$(rig_ns m)" link set eth1 address "$MAC"
rig_run ip -n "$(rig_ns m)" addr add 10.100.0.2/24 dev eth1
# No IPv6 chatter at link-up: the RARP is the frame that claims.
rig_in m sysctl -q -w net.ipv6.conf.eth1.disable_ipv6=1
rig_assert "attach m's MAC on h3" rig_ctl h3 attach blue g-m3 --mac "$MAC" --name m
rig_run ip -n "$(rig_ns m)" link set eth1 mtu "$(ip -n "$(rig_ns h3)" -j link show g-m3 | jq '.[0].mtu')"
rig_assert "h3 shows m pending" fdb_is h3 '.state == "pending"'
c0=$(bytes_rx)
rig_poll 20 "100 kB more arrive while m is pending on h3" _bytes_rx_ge $((c0 + 100000))
rig_assert "h3 still pending" fdb_is h3 '.state == "pending"'
rig_assert "h1 still sends to h2" fdb_is h1 ".location == \"h2\" and .seq == $seq0"
stored0=$(claims_stored h3)
[ "$stored0" != null ] || rig_fail "h3's ring --json has no stats.claims_stored"

rig_say "2. the move: eth0 (h2) down, eth1 (h3) up, a RARP on eth1"
t_move=$(date +%s.%N)
rig_run ip -n "$(rig_ns m)" link set eth0 down
rig_run ip -n "$(rig_ns m)" link set eth1 up
t_rarp=$(rig_guest_rarp m "$MAC" eth1)
rig_poll 5 "h3 holds m local" fdb_is h3 '.state == "local"'
seq1=$(fdb_show h3 | jq .seq)
[ "$seq1" -gt "$seq0" ] || rig_fail "h3's claim has seq $seq1, not above $seq0"
_stored() { [ "$(claims_stored h3)" -gt "$stored0" ]; }
rig_poll 5 "h3 stored its claim on the ring at once (claims_stored)" _stored
rig_poll 10 "the ring has h3's claim (seq $seq1)" _ring_seq "$seq1"
t_seen=$(date +%s.%N)
ring_ms=$(awk -v a="$t_rarp" -v b="$t_seen" 'BEGIN { printf "%d", (b - a) * 1000 }')
printf '  ok: claims_stored on h3 %s -> %s; the ring answered seq %s %s ms after the RARP (polling included)\n' \
    "$stored0" "$(claims_stored h3)" "$seq1" "$ring_ms" >&2
rig_poll 5 "h1 sends to h3" fdb_is h1 ".location == \"h3\" and .seq == $seq1"

rig_say "3. the stream goes on and ends cleanly"
c0=$(bytes_rx)
rig_poll 30 "200 kB more arrive behind h3" _bytes_rx_ge $((c0 + 200000))
rig_run touch "$STOP"
_sender_done() { ! kill -0 "$SEND_PID" 2>/dev/null; }
rig_poll 40 "the sender finishes" _sender_done
wait "$SEND_PID" || rig_fail "the sender failed: $(tail -3 "$RIG_DIR/stream-send.err")"
rig_poll 10 "the receiver reports" test -s "$RESULT"
rig_log "sent: $(cat "$SENT"); received: $(cat "$RESULT")"
sent=$(jq .bytes "$SENT")
rig_assert_eq "$(jq .bytes "$RESULT")" "$sent" "bytes received (of those sent)"
rig_assert_eq "$(jq .bad "$RESULT")" 0 "reads that broke the byte pattern"
stall=$(jq .max_gap_ms "$RESULT")
after=$(jq .gap_after "$RESULT")
# The stall starts when eth0 goes down; the RARP follows once its sender
# has started (seconds on a loaded machine), and TCP resends on its own
# backoff schedule, so the stream resumes some time after the RARP.
printf '  stream: %s bytes; longest stall %s ms, starting %s ms after eth0 went down; RARP %s ms after eth0 went down, the stream resumed %s ms after the RARP\n' \
    "$sent" "$stall" "$(awk -v a="$t_move" -v b="$after" 'BEGIN { printf "%d", (b - a) * 1000 }')" \
    "$(awk -v a="$t_move" -v b="$t_rarp" 'BEGIN { printf "%d", (b - a) * 1000 }')" \
    "$(awk -v a="$t_rarp" -v b="$after" -v g="$stall" 'BEGIN { printf "%d", (b - a) * 1000 + g }')" >&2
awk -v s="$stall" -v m="$TCP_STALL_MAX_MS" 'BEGIN { exit !(s <= m) }' \
    || rig_fail "the stream stalled ${stall} ms > ${TCP_STALL_MAX_MS} ms"
[ "$(rig_counter h3 migrations)" -ge 1 ] || rig_fail "h3 counts no migration"

rig_pass
