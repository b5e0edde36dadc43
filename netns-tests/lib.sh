# SPDX-License-Identifier: GPL-2.0-only
# shellcheck shell=bash
#
# lib.sh — multi-host rig for overlayd in network namespaces.
#
# Sourced by every scenario. Topology — a routed WAN:
#
#   ovlPID-wan:  the router (the "internet"): 10.201.255.254/32 on lo, IPv4
#                and IPv6 forwarding on (in this namespace only), one veth
#                port w-NAME per host with a /32 (/128) route to that host
#   ovlPID-NAME: a host; wan0 = 10.201.X.Y/32 (N = 254*X + Y, so hosts
#                1..254 are 10.201.0.N), a link route to the router and the
#                default route via it; rig_host_v6 adds fd42::X:Y/128 and a
#                default route via the router's fe80::1; runs overlayd
#   ovlPID-GUEST: a guest; eth0 (IP, MAC) whose veth peer g-GUEST sits in
#                its host namespace and is attached with `overlayctl attach`
#
#        h1 wan0 ---- w-h1 \
#        h2 wan0 ---- w-h2 -- router (ovlPID-wan) -- w-hN ---- hN wan0
#
# Why routed, with permanent neighbour entries: the kernel has ONE IPv4 (and
# one IPv6) neighbour table for all namespaces, capped by gc_thresh3 (1024)
# for the entries its garbage collector manages. On a shared L2 bridge every
# host ARPed every host it talks to (N^2 entries: "neighbor table overflow"
# and drops at ~64 hosts). Here each host's only neighbour is the router and
# the router has one per host; and both ends are written as permanent
# entries (the MACs are fixed: wan0 02:00:0a:c9:X:Y, w-NAME 02:01:0a:c9:X:Y),
# which the kernel exempts from gc_thresh3 (neigh_add: exempt_from_gc), so
# the WAN uses none of the shared cap at any size and sends no ARP/ND at all
# (if an entry is lost, e.g. wan0 set down, the host ARPs the router again).
# No sysctl of the machine (init namespace) is changed.
# Captures: rig_wan_capture_start (all ports) or rig_capture_start wan
# "$(rig_wan_port NAME)" (frames to and from NAME, Ethernet, replayable on
# that port). Impairments (cuts, loss, delay) belong in the router's forward
# path, matched by port (iifname/oifname w-NAME), or in a host's namespace;
# rig_wan_split/rig_wan_heal and rig_wan_cut/rig_wan_uncut do partitions and
# per-host cuts that way (nft table rigwan in the router namespace);
# lib-wan.sh, sourced at the end, adds per-pair delay (NFQUEUE and the
# wan_delay helper), loss and cuts.
#
# Rules this file keeps:
#  - every name carries the per-run prefix ovl$$-, so parallel runs never
#    collide; leftovers of the same prefix are deleted before we start;
#  - every helper prints the command it runs to stderr ("+ cmd"): the trace
#    is the log;
#  - readiness is polled (rig_poll), never a fixed sleep;
#  - cleanup runs from `trap EXIT`, on success and failure alike: it stops
#    every process inside our namespaces, deletes the namespaces and the temp
#    dir, and prints the daemon logs when the run failed.
#
# Inputs (environment): OVERLAYD, OVERLAYCTL — paths of the binaries (meson
# passes them). RIG_LOG_LEVEL — daemon log level (default info). For a
# failure under study: RIG_KEEP_DIR=1 keeps the temp dir (logs, configs),
# RIG_HOLD_S=N leaves the failed rig running N seconds before cleanup.

set -euo pipefail

RIG_P="ovl$$"
RIG_DIR=""
RIG_NAME=$(basename "$0" .sh)
RIG_HOSTS=()
declare -A RIG_HOST_N=()      # host name -> N
declare -A RIG_HOST_ADDR=()   # host name -> IPv4 WAN address 10.201.X.Y (from N)
declare -A RIG_HOST_ADDR6=()  # host name -> IPv6 WAN address fd42::X:Y
declare -A RIG_HOST_MAC=()    # host name -> MAC of its wan0
declare -A RIG_WAN_MAC=()     # host name -> MAC of the router's port w-NAME
RIG_WAN_GW=10.201.255.254     # the router's IPv4 address (on its lo)
RIG_WAN_GW6=fe80::1           # the router's IPv6 address on each of its ports
RIG_WAN_MAX_N=$((254 * 254))  # X <= 253: 10.201.255.254 stays the router's
declare -A RIG_DAEMON_PID=()  # host name -> overlayd pid
declare -A RIG_CAP_PID=()     # pcap file -> tcpdump pid
declare -A RIG_WAN_CUT=()     # host name -> 1 while rig_wan_cut holds
RIG_WAN_NFT=""                # 1 once the router's nft table rigwan exists
RIG_BG_PIDS=()                # any other background process we started
RIG_PYTHON=${RIG_PYTHON:-python3}
RIG_HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
RIG_FAILED=1                  # set to 0 by rig_pass

# RIG_QUIET=1 (the demo) sends the trace to $RIG_DIR/trace.log instead; it is
# printed when the run fails.
rig_log() {
    if [ "${RIG_QUIET:-0}" = 1 ] && [ -n "$RIG_DIR" ]; then
        printf '+ %s\n' "$*" >>"$RIG_DIR/trace.log"
    else
        printf '+ %s\n' "$*" >&2
    fi
}
rig_say() { printf '\n=== %s\n' "$*" >&2; }
rig_run() { rig_log "$*"; "$@"; }

rig_fail() {
    printf 'FAIL (%s): %s\n' "$RIG_NAME" "$*" >&2
    exit 1
}

rig_skip() {
    printf 'SKIP (%s): %s\n' "$RIG_NAME" "$*" >&2
    RIG_FAILED=0
    exit 77
}

# rig_pass: stop every daemon still running (each must exit 0 on SIGTERM) and
# make sure no daemon log holds a sanitizer report, the same for the WAN
# delayer if one runs (lib-wan.sh), then succeed. Under an
# ASan/UBSan build this turns every scenario into a memory-safety check of
# the code paths it drove.
rig_pass() {
    local h rc
    for h in "${!RIG_DAEMON_PID[@]}"; do
        rc=0
        rig_daemon_stop "$h" || rc=$?
        [ "$rc" -eq 0 ] || rig_fail "overlayd of $h exited with status $rc after SIGTERM"
    done
    for h in "${RIG_HOSTS[@]}"; do
        if grep -qE 'Sanitizer|runtime error:' "$RIG_DIR/$h/overlayd.log" 2>/dev/null; then
            rig_fail "sanitizer report in the log of $h's overlayd"
        fi
    done
    _rig_wan_delay_stop
    RIG_FAILED=0
    printf 'PASS (%s)\n' "$RIG_NAME" >&2
    exit 0
}

rig_ns() { printf '%s-%s' "$RIG_P" "$1"; }

# rig_in NAME CMD...: run CMD inside namespace NAME (host, guest or "wan").
rig_in() {
    local ns; ns=$(rig_ns "$1"); shift
    rig_log "[$ns] $*"
    ip netns exec "$ns" "$@"
}

# ---- asserts ---------------------------------------------------------------

# rig_assert DESC CMD...: CMD must succeed.
rig_assert() {
    local desc=$1; shift
    rig_log "$*"
    if ! "$@"; then
        rig_fail "$desc (command failed: $*)"
    fi
}

# rig_assert_fails DESC CMD...: CMD must fail.
rig_assert_fails() {
    local desc=$1; shift
    rig_log "! $*"
    ! "$@" || rig_fail "$desc (command succeeded but must fail: $*)"
}

rig_assert_eq() {
    local got=$1 want=$2 desc=$3
    [ "$got" = "$want" ] || rig_fail "$desc: got '$got', want '$want'"
    printf '  ok: %s = %s\n' "$desc" "$got" >&2
}

# rig_poll TIMEOUT_S DESC CMD...: re-run CMD every 0.1 s until it succeeds;
# fail the test with DESC after TIMEOUT_S seconds.
rig_poll() {
    local timeout=$1 desc=$2; shift 2
    rig_log "poll (${timeout}s): $*"
    local deadline=$((SECONDS + timeout))
    while ! "$@" >/dev/null 2>&1; do
        if [ "$SECONDS" -ge "$deadline" ]; then
            "$@" >/dev/null || true     # once more, its complaint on stderr
            rig_fail "timeout after ${timeout}s: $desc"
        fi
        sleep 0.1
    done
}

# ---- setup / cleanup -------------------------------------------------------

rig_require() {
    if [ "${RIG_NO_ROOT:-0}" != 1 ] && [ "$(id -u)" -ne 0 ]; then
        rig_skip "needs root (network namespaces)"
    fi
    local t
    for t in ip tcpdump ping jq "$RIG_PYTHON" "$@"; do
        command -v "$t" >/dev/null 2>&1 || rig_skip "missing tool: $t"
    done
    # The benchmark runs without the daemon too (RIG_NEED_DAEMON=0).
    if [ "${RIG_NEED_DAEMON:-1}" = 1 ]; then
        [ -n "${OVERLAYD:-}" ] && [ -x "$OVERLAYD" ] || rig_fail "OVERLAYD not set or not executable: '${OVERLAYD:-}'"
        [ -n "${OVERLAYCTL:-}" ] && [ -x "$OVERLAYCTL" ] || rig_fail "OVERLAYCTL not set or not executable: '${OVERLAYCTL:-}'"
    fi
}

rig_ns_list() {
    ip netns list 2>/dev/null | awk '{print $1}' | grep "^$RIG_P-" || true
}

# Stop every process in our namespaces: SIGTERM, wait up to 3 s, SIGKILL.
rig_kill_ns_procs() {
    local ns pids=() p
    for ns in $(rig_ns_list); do
        # shellcheck disable=SC2207
        pids+=($(ip netns pids "$ns" 2>/dev/null || true))
    done
    pids+=("${RIG_BG_PIDS[@]}")
    [ ${#pids[@]} -gt 0 ] || return 0
    kill -TERM "${pids[@]}" 2>/dev/null || true
    local deadline=$((SECONDS + 3)) alive
    while :; do
        alive=()
        for p in "${pids[@]}"; do
            _rig_exited "$p" || alive+=("$p")   # a zombie child counts as gone
        done
        [ ${#alive[@]} -eq 0 ] && break
        if [ "$SECONDS" -ge "$deadline" ]; then
            printf 'cleanup: SIGKILL %s\n' "${alive[*]}" >&2
            kill -KILL "${alive[@]}" 2>/dev/null || true
            break
        fi
        sleep 0.1
    done
    wait "${pids[@]}" 2>/dev/null || true
}

rig_delete_ns() {
    local ns
    for ns in $(rig_ns_list); do
        ip netns del "$ns" 2>/dev/null || printf 'cleanup: could not delete %s\n' "$ns" >&2
    done
}

rig_cleanup() {
    local rc=$?
    set +e
    trap - EXIT INT TERM
    # Falling off the end of a scenario without rig_pass is a failure too.
    if [ "$rc" -ne 77 ] && { [ "$rc" -ne 0 ] || [ "$RIG_FAILED" -ne 0 ]; }; then
        if [ "$rc" -eq 0 ]; then
            printf 'FAIL (%s): ended without rig_pass\n' "$RIG_NAME" >&2
            rc=1
        fi
        local h
        # RIG_HOLD_S=N: leave the failed rig running N seconds to look at.
        if [ -n "${RIG_HOLD_S:-}" ]; then
            printf 'holding the failed rig %ss (prefix %s, dir %s)\n' "$RIG_HOLD_S" "$RIG_P" "$RIG_DIR" >&2
            sleep "$RIG_HOLD_S"
        fi
        if [ -s "$RIG_DIR/trace.log" ]; then
            printf '\n----- trace (last 40 commands) -----\n' >&2
            tail -n 40 "$RIG_DIR/trace.log" >&2
        fi
        if [ -s "$RIG_DIR/wan_delay.log" ]; then
            printf '\n----- wan_delay log (last 20 lines) -----\n' >&2
            tail -n 20 "$RIG_DIR/wan_delay.log" >&2
        fi
        for h in "${RIG_HOSTS[@]}"; do
            if [ -s "$RIG_DIR/$h/overlayd.log" ]; then
                printf '\n----- overlayd log of %s (last 60 lines) -----\n' "$h" >&2
                tail -n 60 "$RIG_DIR/$h/overlayd.log" >&2
            fi
        done
    fi
    rig_log "cleanup: stop processes, delete namespaces $RIG_P-*, remove $RIG_DIR"
    rig_kill_ns_procs
    rig_delete_ns
    # A user of the library may add its own cleanup (the benchmark does).
    if declare -F rig_cleanup_hook >/dev/null; then rig_cleanup_hook; fi
    [ -n "$RIG_DIR" ] && [ -z "${RIG_KEEP_DIR:-}" ] && rm -rf "$RIG_DIR"
    local left; left=$(rig_ns_list)
    [ -z "$left" ] || printf 'cleanup: namespaces left: %s\n' "$left" >&2
    exit "$rc"
}

# rig_init: check prerequisites, delete leftovers of our prefix, make the
# temp dir and install the EXIT trap. Every scenario calls it first.
rig_init() {
    rig_require "$@"
    if [ -n "$(rig_ns_list)" ]; then
        rig_log "deleting leftovers of prefix $RIG_P"
        rig_kill_ns_procs
        rig_delete_ns
    fi
    RIG_DIR=$(mktemp -d "/tmp/$RIG_P.XXXXXX")
    chmod 0755 "$RIG_DIR"
    trap rig_cleanup EXIT
    # Under set -e a failing command ends the run: say which one and where.
    set -E
    trap 'printf "FAIL (%s): line %s: %s (status %s)\n" "$RIG_NAME" "$LINENO" "$BASH_COMMAND" "$?" >&2' ERR
    trap 'exit 130' INT TERM
    rig_log "run prefix $RIG_P, temp dir $RIG_DIR"
}

# ---- topology --------------------------------------------------------------

rig_wan_create() {
    rig_run ip netns add "$(rig_ns wan)"
    _rig_ip_batch wan <<EOF
link set lo up
addr add $RIG_WAN_GW/32 dev lo
EOF
    # Forwarding inside the router namespace only: these are per-namespace
    # settings; the machine's own (init namespace) sysctls are never touched.
    rig_in wan sysctl -qw net.ipv4.ip_forward=1 net.ipv6.conf.all.forwarding=1
}

# _rig_ip_batch NS: run the `ip` commands on stdin (one a line) in namespace
# NS with one `ip -batch` (a process per command would dominate the set-up of
# hundreds of hosts); each line goes to the trace; the first failure fails.
_rig_ip_batch() {
    local ns cmds l
    ns=$(rig_ns "$1"); cmds=$(cat)
    while IFS= read -r l; do rig_log "[$ns] ip $l"; done <<<"$cmds"
    ip -n "$ns" -batch - <<<"$cmds" || rig_fail "ip -batch in $ns failed (commands above)"
}

# rig_host_addr NAME: the host's WAN address 10.201.X.Y; rig_host_create
# derives it from N (the only place that does).
rig_host_addr() { printf '%s' "${RIG_HOST_ADDR[$1]}"; }
# rig_wan_port NAME: the router's port towards host NAME, e.g. for a capture
# or an impairment of that host's traffic only.
rig_wan_port() { printf 'w-%s' "$1"; }
rig_host_dir() { printf '%s/%s' "$RIG_DIR" "$1"; }
rig_host_sock() { printf '%s/%s/ctl.sock' "$RIG_DIR" "$1"; }
rig_host_conf() { printf '%s/%s/overlayd.conf' "$RIG_DIR" "$1"; }
rig_host_pubkey() { cat "$RIG_DIR/$1/host.pub"; }

# rig_host_create NAME N: namespace, veth to the WAN router, key, config.
# Host N (1..RIG_WAN_MAX_N) is 10.201.X.Y with N = 254*X + Y, Y in 1..254:
# hosts 1..254 keep 10.201.0.N, host 255 is 10.201.1.1. Its wan0 has the
# address as a /32, a link route to the router and the default route via it;
# the router has a /32 route to the host on w-NAME. Both ends get a permanent
# neighbour entry for the other (see the header: no ARP on the WAN, and no
# entry counted against the kernel's shared gc_thresh3). Neither end makes
# an IPv6 link-local address (addrgenmode none): otherwise every host's
# router solicitation would leave a dynamic IPv6 neighbour entry on the
# router, one per host; rig_host_v6 adds the only IPv6 addresses.
rig_host_create() {
    local name=$1 n=$2
    local ns dir x y addr hmac rmac
    ns=$(rig_ns "$name"); dir=$(rig_host_dir "$name")
    [[ $n =~ ^[1-9][0-9]*$ ]] && [ "$n" -le "$RIG_WAN_MAX_N" ] \
        || rig_fail "host $name: number '$n' is not in 1..$RIG_WAN_MAX_N"
    x=$(((n - 1) / 254)) y=$(((n - 1) % 254 + 1))
    addr="10.201.$x.$y"
    hmac=$(printf '02:00:0a:c9:%02x:%02x' "$x" "$y")   # host's wan0
    rmac=$(printf '02:01:0a:c9:%02x:%02x' "$x" "$y")   # router's w-NAME
    RIG_HOSTS+=("$name")
    RIG_HOST_N[$name]=$n
    RIG_HOST_ADDR[$name]=$addr
    RIG_HOST_ADDR6[$name]=$([ "$x" = 0 ] && printf 'fd42::%s' "$y" || printf 'fd42::%s:%s' "$x" "$y")
    RIG_HOST_MAC[$name]=$hmac
    RIG_WAN_MAC[$name]=$rmac
    rig_run ip netns add "$ns"
    _rig_ip_batch wan <<EOF
link add w-$name address $rmac type veth peer name wan0 address $hmac netns $ns
link set w-$name addrgenmode none
link set w-$name up
route add $addr/32 dev w-$name
neigh add $addr lladdr $hmac dev w-$name nud permanent
EOF
    _rig_ip_batch "$name" <<EOF
link set lo up
link set wan0 addrgenmode none
link set wan0 up
addr add $addr/32 dev wan0
route add $RIG_WAN_GW/32 dev wan0 scope link
route add default via $RIG_WAN_GW dev wan0
neigh add $RIG_WAN_GW lladdr $rmac dev wan0 nud permanent
EOF
    rig_run mkdir -p "$dir/enclaves"
    rig_log "$OVERLAYCTL genkey > $dir/host.key; chmod 0600"
    (umask 077; "$OVERLAYCTL" genkey > "$dir/host.key") || rig_fail "overlayctl genkey failed"
    chmod 0600 "$dir/host.key"
    "$OVERLAYCTL" pubkey < "$dir/host.key" > "$dir/host.pub" || rig_fail "overlayctl pubkey failed"
    rig_log "write $(rig_host_conf "$name")"
    cat > "$(rig_host_conf "$name")" <<EOF
[Host]
Name = $name
PrivateKeyFile = $dir/host.key
ListenPort = 51900
ControlSocket = $(rig_host_sock "$name")
EnclaveDir = $dir/enclaves
EOF
}

# rig_host_peer A B [ENDPOINT]: A lists B as a [Peer] with B's key and
# ENDPOINT (default B's IPv4 WAN address, port 51900; "-": no Endpoint line,
# A learns it from B's handshake).
rig_host_peer() {
    local a=$1 b=$2 ep=${3:-}
    [ -n "$ep" ] || ep="$(rig_host_addr "$b"):51900"
    rig_log "add [Peer] $b (Endpoint $ep) to $(rig_host_conf "$a")"
    {
        printf '\n[Peer]\nName = %s\nPublicKey = %s\n' "$b" "$(rig_host_pubkey "$b")"
        [ "$ep" = - ] || printf 'Endpoint = %s\n' "$ep"
    } >> "$(rig_host_conf "$a")"
}

# rig_host_addr6 NAME: the host's IPv6 WAN address fd42::X:Y (the same X, Y
# as its IPv4 address; fd42::N for hosts 1..254); rig_host_v6 adds it.
rig_host_addr6() { printf '%s' "${RIG_HOST_ADDR6[$1]}"; }

# rig_host_v6 NAME: IPv6 on the host's WAN link too: fd42::X:Y/128 on wan0,
# the default route via the router's link-local fe80::1, a /128 route back
# on the router; permanent neighbour entries at both ends, as for IPv4.
rig_host_v6() {
    local name=$1 a6
    a6=$(rig_host_addr6 "$name")
    _rig_ip_batch wan <<EOF
addr add $RIG_WAN_GW6/64 dev w-$name nodad
route add $a6/128 dev w-$name
neigh add $a6 lladdr ${RIG_HOST_MAC[$name]} dev w-$name nud permanent
EOF
    _rig_ip_batch "$name" <<EOF
addr add $a6/128 dev wan0 nodad
route add ::/0 via $RIG_WAN_GW6 dev wan0
neigh add $RIG_WAN_GW6 lladdr ${RIG_WAN_MAC[$name]} dev wan0 nud permanent
EOF
}

# rig_wan_neigh_only_router HOST: every neighbour entry in HOST's namespace
# (all devices, both families) is the router, and permanent: the host never
# learned another host's address, nor anything the kernel's shared
# neighbour-table cap counts.
rig_wan_neigh_only_router() {
    local h=$1 bad
    bad=$(ip -n "$(rig_ns "$h")" -j neigh show | jq -r --arg a "$RIG_WAN_GW" --arg b "$RIG_WAN_GW6" \
        '.[] | select((.dst != $a and .dst != $b) or ((.state // []) | index("PERMANENT") | not))
             | "\(.dst) dev \(.dev) \(.state // [] | join(","))"')
    [ -z "$bad" ] || { printf '%s: neighbour entries other than the permanent router: %s\n' \
        "$h" "$(tr '\n' ';' <<<"$bad")" >&2; return 1; }
}

# rig_wan_capture_start FILE [FILTER...]: capture all WAN traffic: every
# router port (`any`; each forwarded packet appears twice, in and out,
# with a Linux "cooked" header instead of Ethernet, which pcaptool reads; a
# capture to replay from must be on one port, `rig_wan_port`).
rig_wan_capture_start() {
    local file=$1; shift
    rig_capture_start wan any "$file" "$@"
}

# ---- WAN partitions and cuts ------------------------------------------------
#
# rig_wan_split A... -- B...   the router drops every packet between a host of
#                              group A and one of group B (both directions);
#                              within a group, and between either group and
#                              hosts in neither, traffic flows. A second split
#                              replaces the first.
# rig_wan_heal                 ends the split (cuts stay)
# rig_wan_cut HOST...          the router drops everything from and to HOST
# rig_wan_uncut HOST...        ends HOST's cut
# rig_wan_dropped              packets the router dropped so far for splits and
#                              cuts (a scenario's evidence that its split held)
#
# Why nft sets of router ports, in the router namespace: the WAN is routed, so
# every host-to-host packet crosses the router's forward path exactly once,
# entering on w-SRC and leaving on w-DST. One fixed chain in table inet
# rigwan matches the ports against named sets (type ifname), so a split of
# any size is two set memberships (lookups are hashed, the rule count stays
# 4), one `nft -f` transaction applies or ends it atomically (no half-split
# moment), ports cover IPv4 and IPv6 alike, and the counters say how much was
# dropped. Blackhole routes were the alternative: a route is chosen by
# destination only, so a blackhole for B's address cuts B off from every host,
# not just from A; a pairwise partition would need |A|*|B| policy rules
# (`ip rule from a to b blackhole`), 1024 at 64 hosts, per family. The drops
# are silent (no ICMP): to the daemons a split looks like a WAN that stopped
# delivering, not like an unreachable network. Nothing outside the router
# namespace changes; the namespace's deletion takes the table along.
_rig_wan_nft() {
    rig_log "[$(rig_ns wan)] nft -f - <<< $(tr '\n' ';' <<<"$1")"
    ip netns exec "$(rig_ns wan)" nft -f - <<<"$1" || rig_fail "nft in the router namespace failed (commands above)"
}

_rig_wan_nft_init() {
    [ -z "${RIG_WAN_NFT:-}" ] || return 0
    command -v nft >/dev/null 2>&1 || rig_fail "rig_wan_split, rig_wan_cut, rig_wan_cut_pair and rig_wan_loss need nft (rig_init nft)"
    _rig_wan_nft 'table inet rigwan {
    set split_a { type ifname; }
    set split_b { type ifname; }
    set cut { type ifname; }
    set cut_pair { type ifname . ifname; }
    chain loss {
    }
    chain forward {
        type filter hook forward priority 0; policy accept;
        iifname @cut counter drop
        oifname @cut counter drop
        iifname @split_a oifname @split_b counter drop
        iifname @split_b oifname @split_a counter drop
        iifname . oifname @cut_pair counter drop
        jump loss
    }
}'
    RIG_WAN_NFT=1
}

# _rig_wan_ports H...: the router ports of hosts H as an nft element list.
_rig_wan_ports() {
    local h out=""
    for h in "$@"; do
        [ -n "${RIG_HOST_N[$h]:-}" ] || rig_fail "no host named '$h'"
        out+="${out:+, }\"$(rig_wan_port "$h")\""
    done
    printf '{ %s }' "$out"
}

rig_wan_split() {
    local a=() b=() side=a h
    for h in "$@"; do
        if [ "$h" = -- ]; then side=b; continue; fi
        if [ "$side" = a ]; then a+=("$h"); else b+=("$h"); fi
    done
    [ ${#a[@]} -gt 0 ] && [ ${#b[@]} -gt 0 ] || rig_fail "usage: rig_wan_split HOST... -- HOST..."
    for h in "${a[@]}"; do
        [[ " ${b[*]} " != *" $h "* ]] || rig_fail "rig_wan_split: $h is in both groups"
    done
    _rig_wan_nft_init
    rig_log "WAN split: {${a[*]}} | {${b[*]}}"
    _rig_wan_nft "flush set inet rigwan split_a
flush set inet rigwan split_b
add element inet rigwan split_a $(_rig_wan_ports "${a[@]}")
add element inet rigwan split_b $(_rig_wan_ports "${b[@]}")"
}

rig_wan_heal() {
    _rig_wan_nft_init
    rig_log "WAN split healed"
    _rig_wan_nft 'flush set inet rigwan split_a
flush set inet rigwan split_b'
}

rig_wan_cut() {
    [ $# -gt 0 ] || rig_fail "usage: rig_wan_cut HOST..."
    _rig_wan_nft_init
    local h
    for h in "$@"; do RIG_WAN_CUT[$h]=1; done
    _rig_wan_nft "add element inet rigwan cut $(_rig_wan_ports "$@")"
}

rig_wan_uncut() {
    [ $# -gt 0 ] || rig_fail "usage: rig_wan_uncut HOST..."
    _rig_wan_nft_init
    local h cut=()
    for h in "$@"; do
        [ -z "${RIG_WAN_CUT[$h]:-}" ] || cut+=("$h")
        unset "RIG_WAN_CUT[$h]"
    done
    [ ${#cut[@]} -eq 0 ] || _rig_wan_nft "delete element inet rigwan cut $(_rig_wan_ports "${cut[@]}")"
}

rig_wan_dropped() {
    if [ -z "${RIG_WAN_NFT:-}" ]; then printf 0; return; fi
    ip netns exec "$(rig_ns wan)" nft -j list chain inet rigwan forward \
        | jq '[.nftables[] | .rule? // empty | .expr[] | .counter? // empty | .packets] | add // 0'
}

# rig_mesh H1 H2 ...: every host lists every other one.
rig_mesh() {
    local a b
    for a in "$@"; do
        for b in "$@"; do
            [ "$a" = "$b" ] || rig_host_peer "$a" "$b"
        done
    done
}

# rig_enclave HOST NAME ID [extra lines...]: write HOST's enclave file.
rig_enclave() {
    local host=$1 name=$2 id=$3; shift 3
    local f; f="$(rig_host_dir "$host")/enclaves/$name.conf"
    rig_log "write $f (Name=$name Id=$id $*)"
    {
        printf '[Enclave]\nName = %s\nId = %s\n' "$name" "$id"
        local l
        for l in "$@"; do printf '%s\n' "$l"; done
    } > "$f"
}

# rig_daemon_start HOST: run overlayd in HOST's namespace; wait until its
# control socket answers `status`.
rig_daemon_start() {
    local host=$1 ns log
    ns=$(rig_ns "$host"); log="$(rig_host_dir "$host")/overlayd.log"
    rig_log "[$ns] $OVERLAYD -c $(rig_host_conf "$host") --log-level ${RIG_LOG_LEVEL:-info} 2>>$log &"
    ip netns exec "$ns" "$OVERLAYD" -c "$(rig_host_conf "$host")" \
        --log-level "${RIG_LOG_LEVEL:-info}" 2>>"$log" &
    RIG_DAEMON_PID[$host]=$!
    local deadline=$((SECONDS + 10))
    while ! "$OVERLAYCTL" -s "$(rig_host_sock "$host")" status >/dev/null 2>&1; do
        if ! kill -0 "${RIG_DAEMON_PID[$host]}" 2>/dev/null; then
            rig_fail "overlayd of $host exited during startup"
        fi
        [ "$SECONDS" -lt "$deadline" ] || rig_fail "overlayd of $host: control socket did not answer within 10 s"
        sleep 0.1
    done
    rig_log "overlayd of $host up (pid ${RIG_DAEMON_PID[$host]})"
}

# rig_daemon_stop HOST: SIGTERM, wait for the exit, return its exit status.
_rig_exited() { [ ! -e "/proc/$1" ] || grep -q '^[0-9]* (.*) Z' "/proc/$1/stat" 2>/dev/null; }

rig_daemon_stop() {
    local host=$1 pid rc=0
    pid=${RIG_DAEMON_PID[$host]}
    rig_run kill -TERM "$pid"
    rig_poll 10 "overlayd of $host exits after SIGTERM" _rig_exited "$pid"
    wait "$pid" || rc=$?
    unset "RIG_DAEMON_PID[$host]"
    rig_log "overlayd of $host exited with status $rc"
    return "$rc"
}

# rig_ctl HOST ARGS...: overlayctl against HOST's daemon.
rig_ctl() {
    local host=$1; shift
    rig_log "overlayctl($host) $*"
    "$OVERLAYCTL" -s "$(rig_host_sock "$host")" "$@"
}

# Quiet variant for polling.
rig_ctl_q() {
    local host=$1; shift
    "$OVERLAYCTL" -s "$(rig_host_sock "$host")" "$@"
}

# rig_links_up HOST: number of peers in state "up".
rig_links_up() {
    rig_ctl_q "$1" --json peers | jq '[.peers[] | select(.state == "up")] | length'
}

rig_peer_state() {
    rig_ctl_q "$1" --json peers | jq -r --arg n "$2" '[.peers[] | select(.name == $n) | .state][0] // "absent"'
}

rig_counter() {
    rig_ctl_q "$1" --json status | jq -r ".counters.$2"
}

_rig_links_ge() { [ "$(rig_links_up "$1")" -ge "$2" ]; }

# rig_wait_links HOST N: wait until HOST has at least N links up.
rig_wait_links() {
    rig_poll "${3:-15}" "$1: $2 links up (peers --json)" _rig_links_ge "$1" "$2"
    rig_log "$1: $(rig_links_up "$1") links up"
}

# rig_guest_create HOST ENCLAVE GUEST IP MAC: guest namespace GUEST with eth0
# (IP/24, MAC); the veth's other end g-GUEST stays in HOST and is attached to
# ENCLAVE. The guest MTU follows what attach set on the host end.
rig_guest_create() {
    local host=$1 enclave=$2 guest=$3 ip=$4 mac=$5
    local hns gns hif="g-$guest" mtu
    hns=$(rig_ns "$host"); gns=$(rig_ns "$guest")
    rig_run ip netns add "$gns"
    rig_run ip -n "$gns" link set lo up
    rig_run ip -n "$hns" link add "$hif" type veth peer name eth0 netns "$gns"
    rig_run ip -n "$gns" link set eth0 address "$mac"
    rig_run ip -n "$gns" addr add "$ip/24" dev eth0
    local out
    out=$(rig_ctl "$host" attach "$enclave" "$hif" --mac "$mac" --name "$guest" 2>&1) \
        || rig_fail "overlayctl attach $enclave $hif on $host failed: $out"
    rig_log "  -> $out"
    mtu=$(ip -n "$hns" -j link show "$hif" | jq '.[0].mtu')
    rig_run ip -n "$gns" link set eth0 mtu "$mtu" up
    # An attached MAC is pending until the guest's first frame on the host
    # (docs/migration.md); a booted VM says hello, so does ours.
    rig_guest_rarp "$guest" "$mac" >/dev/null
}

# rig_guest_rarp GUEST MAC [IFACE]: GUEST sends one RARP request from MAC,
# as QEMU does when a VM resumes (the frame that claims the MAC's location).
# Broadcast, no IP: it teaches no ARP binding anywhere. Prints the wall
# clock time it was sent (s.us, the clock of `ping -D`).
RIG_PYTHON_EXE=""
rig_guest_rarp() {
    local guest=$1 mac=$2 ifc=${3:-eth0}
    # The interpreter itself, not a wrapper (a pyenv shim costs ~1 s a run).
    [ -n "$RIG_PYTHON_EXE" ] || RIG_PYTHON_EXE=$("$RIG_PYTHON" -c 'import sys; print(sys.executable)')
    rig_log "[$(rig_ns "$guest")] RARP from $mac on $ifc"
    ip netns exec "$(rig_ns "$guest")" "$RIG_PYTHON_EXE" - "$ifc" "$mac" <<'PY'
import socket, sys, time
ifc, mac = sys.argv[1], bytes.fromhex(sys.argv[2].replace(":", ""))
# Ethernet (broadcast, RARP) + RARP request reverse: sha = tha = mac
frame = (b"\xff" * 6 + mac + b"\x80\x35" + b"\x00\x01\x08\x00\x06\x04\x00\x03"
         + mac + b"\x00" * 4 + mac + b"\x00" * 4).ljust(60, b"\x00")
s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW)
s.bind((ifc, 0))
s.send(frame)
print("%.6f" % time.time())
PY
}

# rig_ping FROM_GUEST IP [ping args...]: must get replies.
rig_ping() {
    local g=$1 ip=$2; shift 2
    rig_in "$g" ping -n -q -c 3 -i 0.2 -W 2 "$@" "$ip" >/dev/null \
        || rig_fail "ping from $g to $ip failed"
}

# rig_ping_fails FROM_GUEST IP: no reply may come back.
rig_ping_fails() {
    local g=$1 ip=$2
    rig_log "! [$(rig_ns "$g")] ping -c 2 -i 0.2 -W 1 $ip"
    ! ip netns exec "$(rig_ns "$g")" ping -n -q -c 2 -i 0.2 -W 1 "$ip" >/dev/null \
        || rig_fail "ping from $g to $ip succeeded but must fail"
}

# ---- captures --------------------------------------------------------------

# rig_capture_start NS IFACE FILE [FILTER...]: tcpdump into FILE; returns once
# tcpdump says it is listening.
rig_capture_start() {
    local ns=$1 ifc=$2 file=$3; shift 3
    rig_log "[$(rig_ns "$ns")] tcpdump -i $ifc -n -U --immediate-mode -w $file $* &"
    ip netns exec "$(rig_ns "$ns")" tcpdump -i "$ifc" -n -U --immediate-mode \
        -w "$file" "$@" 2>"$file.err" &
    RIG_CAP_PID[$file]=$!
    rig_poll 5 "tcpdump on $ns/$ifc listening" grep -q "listening on" "$file.err"
}

_rig_size() { stat -c %s "$1" 2>/dev/null || echo 0; }

# rig_capture_stop FILE: let the capture settle (no growth for 0.3 s, at most
# 3 s), then stop tcpdump and wait for it.
rig_capture_stop() {
    local file=$1 pid last cur stable=0 deadline=$((SECONDS + 3))
    pid=${RIG_CAP_PID[$file]}
    last=$(_rig_size "$file")
    while [ $stable -lt 3 ] && [ "$SECONDS" -lt "$deadline" ]; do
        sleep 0.1
        cur=$(_rig_size "$file")
        if [ "$cur" = "$last" ]; then stable=$((stable + 1)); else stable=0; last=$cur; fi
    done
    rig_run kill -INT "$pid"
    wait "$pid" 2>/dev/null || true
    unset "RIG_CAP_PID[$file]"
    grep -E 'captured|dropped' "$file.err" | sed 's/^/  tcpdump: /' >&2 || true
}

# rig_pcap ARGS...: the pcap tool (pcaptool.py).
rig_pcap() {
    rig_log "pcaptool $*"
    "$RIG_PYTHON" "$RIG_HERE/pcaptool.py" "$@"
}

# rig_mac_hex aa:bb:cc:dd:ee:ff -> aabbccddeeff
rig_mac_hex() { printf '%s' "${1//:/}"; }

# rig_ip_hex 10.100.0.1 -> 0a640001
rig_ip_hex() {
    local IFS=.
    # shellcheck disable=SC2086
    printf '%02x%02x%02x%02x' $1
}

# Delay, loss and cuts between two hosts (rig_wan_delay, rig_wan_loss,
# rig_wan_cut_pair, rig_wan_clear, ...).
. "$RIG_HERE/lib-wan.sh"
