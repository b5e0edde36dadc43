#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
#
# Scenario 40 — the member policy (issue 12; CONTRACT.md [Policy]).
# h1 and h2, enclave blue (100) with members web-1 (g1 on h1), web-2 (g3
# on h1) and db-1 (g2 on h2), and
#     [Policy]
#     Allow = web-* -> db-1 tcp/5432
#     Allow = * -> db-1 udp/53
#     Allow = * -> * icmp
# TCP echo servers listen on 5432 and 22 in g2 and g3, UDP echo servers
# on 53 and 54 in g2. Checked:
#  - pings pass everywhere (the icmp rule), ARP too (always);
#  - web-1 -> db-1 tcp/5432 connects and its data comes back (the reply
#    flow passes though no rule allows db-1 -> web-1);
#  - web-1 -> db-1 tcp/22 fails: drop_policy on h1 (the sender's host);
#  - db-1 -> web-2 tcp/5432 fails: drop_policy on h2;
#  - web-2 -> db-1 udp/53 gets its answer back (the reply flow), from the
#    same host as web-1 across the WAN; udp/54 fails: drop_policy on h1;
#  - web-1 -> web-2 tcp/5432, two guests of one host, fails: drop_policy on h1;
#  - h1 reloads without [Policy] (a host that no longer filters, as a
#    hostile one would): web-1 -> db-1 tcp/22 still fails, now as
#    drop_policy on h2, the receiver's host; web-1 -> web-2 tcp/5432,
#    which only h1 could judge, now connects.
. "$(dirname "$0")/lib.sh"
rig_init

G1_MAC=52:54:00:00:01:01 G2_MAC=52:54:00:00:01:02 G3_MAC=52:54:00:00:01:03
MEMBERS=("" "[Member]" "Name = web-1" "MAC = $G1_MAC" "Address = 10.100.0.1/24"
         "" "[Member]" "Name = db-1" "MAC = $G2_MAC" "Address = 10.100.0.2/24"
         "" "[Member]" "Name = web-2" "MAC = $G3_MAC" "Address = 10.100.0.3/24")
POLICY=("" "[Policy]" "Allow = web-* -> db-1 tcp/5432" "Allow = * -> db-1 udp/53"
        "Allow = * -> * icmp")

rig_say "topology: 2 hosts, blue=100 with a [Policy]"
rig_wan_create
rig_host_create h1 1
rig_host_create h2 2
rig_mesh h1 h2
for h in h1 h2; do rig_enclave "$h" blue 100 "${MEMBERS[@]}" "${POLICY[@]}"; done
rig_daemon_start h1
rig_daemon_start h2
rig_wait_links h1 1
rig_wait_links h2 1
rig_guest_create h1 blue g1 10.100.0.1 "$G1_MAC"
rig_guest_create h2 blue g2 10.100.0.2 "$G2_MAC"
rig_guest_create h1 blue g3 10.100.0.3 "$G3_MAC"

# serve GUEST PORT: a TCP echo server in GUEST, until the rig cleans up.
serve() {
    rig_log "[$(rig_ns "$1")] TCP echo server on port $2"
    ip netns exec "$(rig_ns "$1")" "$RIG_PYTHON" - "$2" <<'PY' &
import socket, sys
s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("0.0.0.0", int(sys.argv[1])))
s.listen(16)
while True:
    c, _ = s.accept()
    c.settimeout(5)
    try:
        c.sendall(c.recv(64))
    except OSError:
        pass
    c.close()
PY
    RIG_BG_PIDS+=($!)
}
_listens() { ip netns exec "$(rig_ns "$1")" ss -ltn "sport = :$2" | grep -q LISTEN; }
for g in g2 g3; do
    for port in 5432 22; do
        serve "$g" "$port"
        rig_poll 10 "$g listens on $port" _listens "$g" "$port"
    done
done
# serve_udp GUEST PORT: a UDP echo server in GUEST.
serve_udp() {
    rig_log "[$(rig_ns "$1")] UDP echo server on port $2"
    ip netns exec "$(rig_ns "$1")" "$RIG_PYTHON" -c '
import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("0.0.0.0", int(sys.argv[1])))
while True:
    data, peer = s.recvfrom(64)
    s.sendto(data, peer)
' "$2" &
    RIG_BG_PIDS+=($!)
}
_udp_listens() { ip netns exec "$(rig_ns "$1")" ss -lun "sport = :$2" | grep -q ":$2"; }
for port in 53 54; do
    serve_udp g2 "$port"
    rig_poll 10 "g2 listens on udp/$port" _udp_listens g2 "$port"
done

# udp_echo FROM IP PORT: one datagram out, its echo back within 1 s (3 tries).
udp_echo() {
    rig_log "[$(rig_ns "$1")] UDP echo with $2:$3"
    ip netns exec "$(rig_ns "$1")" "$RIG_PYTHON" - "$2" "$3" <<'PY'
import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.settimeout(1)
for _ in range(3):
    s.sendto(b"policy40", (sys.argv[1], int(sys.argv[2])))
    try:
        if s.recvfrom(64)[0] == b"policy40":
            sys.exit(0)
    except socket.timeout:
        pass
sys.exit(1)
PY
}

# tcp_echo FROM IP PORT: connect, send a word, read it back (3 s at most).
tcp_echo() {
    rig_log "[$(rig_ns "$1")] TCP echo with $2:$3"
    ip netns exec "$(rig_ns "$1")" "$RIG_PYTHON" - "$2" "$3" <<'PY'
import socket, sys
c = socket.create_connection((sys.argv[1], int(sys.argv[2])), timeout=3)
c.sendall(b"policy40")
sys.exit(0 if c.recv(64) == b"policy40" else 1)
PY
}

# allowed FROM IP PORT / denied FROM IP PORT HOST: HOST's drop_policy rises.
allowed() { rig_assert "$1 -> $2 tcp/$3 connects (echo comes back)" tcp_echo "$1" "$2" "$3"; }
denied() {
    local before after
    before=$(rig_counter "$4" drop_policy)
    ! tcp_echo "$1" "$2" "$3" 2>/dev/null || rig_fail "$1 -> $2 tcp/$3 connected but must not"
    after=$(rig_counter "$4" drop_policy)
    rig_log "  $4 drop_policy $before -> $after"
    [ "$after" -gt "$before" ] || rig_fail "$1 -> $2 tcp/$3: $4 counted no drop_policy"
    printf '  ok: %s -> %s tcp/%s refused, %s drop_policy +%d\n' "$1" "$2" "$3" "$4" \
        $((after - before))
}

rig_say "1. ICMP and ARP pass everywhere"
rig_ping g1 10.100.0.2
rig_ping g2 10.100.0.3
rig_ping g1 10.100.0.3

rig_say "2. web-1 -> db-1 tcp/5432 is allowed; its replies come back"
allowed g1 10.100.0.2 5432

rig_say "3. what no rule allows is refused where the sender is"
denied g1 10.100.0.2 22 h1
denied g2 10.100.0.3 5432 h2
denied g1 10.100.0.3 5432 h1

rig_say "3b. UDP: web-2 -> db-1 udp/53 and its answer; udp/54 refused"
rig_assert "g3 -> 10.100.0.2 udp/53 gets its echo back" udp_echo g3 10.100.0.2 53
before=$(rig_counter h1 drop_policy)
! udp_echo g3 10.100.0.2 54 2>/dev/null || rig_fail "g3 -> 10.100.0.2 udp/54 answered but must not"
after=$(rig_counter h1 drop_policy)
[ "$after" -ge $((before + 3)) ] || rig_fail "udp/54: h1 drop_policy $before -> $after, want +3"
printf '  ok: g3 -> 10.100.0.2 udp/54 refused, h1 drop_policy +%d\n' $((after - before))

rig_say "4. the receiving host judges too: h1 stops filtering"
rig_enclave h1 blue 100 "${MEMBERS[@]}"
rig_assert "h1 reloads without [Policy]" rig_ctl h1 reload
denied g1 10.100.0.2 22 h2
allowed g1 10.100.0.3 5432
allowed g1 10.100.0.2 5432
rig_ping g1 10.100.0.2

rig_say "5. h2 drops its icmp rule: pings from h1 stop at h2"
rig_enclave h2 blue 100 "${MEMBERS[@]}" "" "[Policy]" "Allow = web-* -> db-1 tcp/5432"
rig_assert "h2 reloads with one rule" rig_ctl h2 reload
rig_ping_fails g1 10.100.0.2
allowed g1 10.100.0.2 5432
rig_pass
