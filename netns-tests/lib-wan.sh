# SPDX-License-Identifier: GPL-2.0-only
# shellcheck shell=bash
#
# lib-wan.sh — impairments of the routed WAN between two hosts, sourced by
# lib.sh (so every scenario has them). Each acts in the router namespace
# only, on the router's ports w-A and w-B: every packet from A to B enters
# on w-A and leaves on w-B, IPv4 and IPv6 alike.
#
#   rig_wan_delay A B MS [JITTER_MS]   A->B packets held MS ms (+- JITTER_MS,
#                                      uniform) before they go on; MS and
#                                      JITTER_MS 0 end it
#   rig_wan_delay_both A B MS [JIT]    the same for A->B and B->A
#   rig_wan_undelay A B                ends A->B's delay
#   rig_wan_delay_matrix < LINES       "A B MS" a line: A->B and B->A held MS
#                                      ms, all new pairs at once (one delayer
#                                      reload, one iptables-restore per family)
#   rig_wan_delay_check                skips the scenario (77) now, saying
#                                      why, if delays cannot work here
#   rig_wan_loss A B PERCENT           the router drops PERCENT % (0..100) of
#                                      A->B packets at random; 0 ends it
#   rig_wan_cut_pair A B               the router drops everything between A
#                                      and B, both directions, only there
#   rig_wan_uncut_pair A B             ends that
#   rig_wan_clear                      ends every delay, loss, pair cut, host
#                                      cut (rig_wan_cut) and split
#
# Loss and pair cuts are nft, in the table inet rigwan that lib.sh creates
# (its forward chain holds the pair-cut rule and a jump to chain `loss`):
# pair cuts are elements "w-A" . "w-B" of a set of port pairs, so any number
# of them costs one rule; loss is one rule per directed pair, `iifname w-A
# oifname w-B numgen random mod 100 < P drop`, and the chain is rewritten
# whole in one `nft -f` transaction on each change (rule handles need not
# be tracked).
#
# Delay: this machine has no netem qdisc and nft here has no `queue`
# statement, so each delayed directed pair gets its own NFQUEUE queue number
# (fixed for the run, first come first numbered from 0) and an iptables rule
# (and the same ip6tables rule) in the router namespace's mangle table,
# chain RIGWAN_DELAY, jumped to from FORWARD:
#   -i w-A -o w-B -j NFQUEUE --queue-num Q
# One delayer process (wan_delay.c, path in $WAN_DELAY) runs in the router
# namespace and serves every queue; its control file lists each queue's
# delay and jitter, and it re-reads the file on SIGHUP, then writes the
# generation number of what it applied to a status file. The rig polls that
# file, so a function returns once its setting is in force; a new queue's
# iptables rule is added only after the delayer has bound the queue. No
# --queue-bypass: were the delayer gone, delayed pairs would lose their
# packets, which a test notices, rather than pass them undelayed. The mangle
# FORWARD hook runs before nft's filter forward hook, so a packet is
# delayed first, then may be lost or cut. Changing a pair's delay applies to
# packets that arrive after it; ending it lets the packets still held leave
# on time. The delayer's stderr goes to $RIG_DIR/wan_delay.log, printed when
# the run fails; rig_pass stops it (SIGTERM: it releases what it holds and
# must exit 0, its log free of sanitizer reports), and rig_cleanup stops it
# with everything else in the router namespace when a run fails.

declare -A RIG_WAN_DQ=()        # "A>B" -> NFQUEUE queue number, fixed for the run
declare -A RIG_WAN_DELAY=()     # "A>B" -> "MS JITTER_MS" while A->B is delayed
declare -A RIG_WAN_LOSS=()      # "A>B" -> percent while A->B is lossy
declare -A RIG_WAN_CUT_PAIR=()  # "A>B" -> 1 while rig_wan_cut_pair A B holds
RIG_WAN_DQ_NEXT=0               # next free queue number
RIG_WAN_DQ_PROBE=65535          # bound at start to find out whether NFQUEUE works
RIG_WAN_IPT=""                  # the iptables command that works here (and ip6tables)
RIG_WAN_IPT6=""
RIG_WAN_DELAY_PID=""            # the delayer
RIG_WAN_DELAY_GEN=0             # generation of the control file last written

# _rig_wan_pair A B: both are hosts and differ; prints "A>B".
_rig_wan_pair() {
    local h
    for h in "$1" "$2"; do
        [ -n "$h" ] && [ -n "${RIG_HOST_N[$h]:-}" ] || rig_fail "no host named '$h'"
    done
    [ "$1" != "$2" ] || rig_fail "a WAN impairment needs two different hosts (got $1 twice)"
    printf '%s>%s' "$1" "$2"
}

# _rig_wan_uint VALUE MAX WHAT: VALUE is a decimal in 0..MAX.
_rig_wan_uint() {
    [[ $1 =~ ^[0-9]+$ ]] && [ "$((10#$1))" -le "$2" ] || rig_fail "$3: '$1' is not a whole number in 0..$2"
}

# ---- delay ------------------------------------------------------------------

# _rig_wan_ipt CMD ARGS...: run iptables-like CMD in the router namespace,
# traced; -w waits for the legacy backend's lock instead of failing.
_rig_wan_ipt() {
    local cmd=$1; shift
    rig_log "[$(rig_ns wan)] $cmd -w $*"
    ip netns exec "$(rig_ns wan)" "$cmd" -w "$@"
}

# _rig_wan_ipt_try CMD: make chain RIGWAN_DELAY in CMD's mangle table, jump
# to it from FORWARD, and check that an NFQUEUE rule can be added to it. On
# failure undo what was made and print the complaint on stdout.
_rig_wan_ipt_try() {
    local c=$1 ns out
    ns=$(rig_ns wan)
    command -v "$c" >/dev/null 2>&1 || { printf '%s: not installed' "$c"; return 1; }
    rig_log "[$ns] $c -w -t mangle -N RIGWAN_DELAY; -A FORWARD -j RIGWAN_DELAY; probe: -A RIGWAN_DELAY -i lo -o lo -j NFQUEUE --queue-num $RIG_WAN_DQ_PROBE; -F RIGWAN_DELAY"
    if out=$(ip netns exec "$ns" "$c" -w -t mangle -N RIGWAN_DELAY 2>&1 &&
             ip netns exec "$ns" "$c" -w -t mangle -A FORWARD -j RIGWAN_DELAY 2>&1 &&
             ip netns exec "$ns" "$c" -w -t mangle -A RIGWAN_DELAY -i lo -o lo \
                 -j NFQUEUE --queue-num "$RIG_WAN_DQ_PROBE" 2>&1 &&
             ip netns exec "$ns" "$c" -w -t mangle -F RIGWAN_DELAY 2>&1); then
        return 0
    fi
    ip netns exec "$ns" "$c" -w -t mangle -D FORWARD -j RIGWAN_DELAY >/dev/null 2>&1 || true
    ip netns exec "$ns" "$c" -w -t mangle -F RIGWAN_DELAY >/dev/null 2>&1 || true
    ip netns exec "$ns" "$c" -w -t mangle -X RIGWAN_DELAY >/dev/null 2>&1 || true
    printf '%s: %s' "$c" "$(tr '\n' ' ' <<<"$out")"
    return 1
}

# _rig_wan_delay_write: write the control file (through a rename) with a new
# generation, signal the delayer and wait until it reports that generation.
_rig_wan_delay_write() {
    local f="$RIG_DIR/wan_delay.conf" k
    RIG_WAN_DELAY_GEN=$((RIG_WAN_DELAY_GEN + 1))
    {
        printf 'generation %s\n' "$RIG_WAN_DELAY_GEN"
        printf 'queue %s 0 0  # probe: NFQUEUE works here\n' "$RIG_WAN_DQ_PROBE"
        for k in "${!RIG_WAN_DELAY[@]}"; do
            printf 'queue %s %s  # %s\n' "${RIG_WAN_DQ[$k]}" "${RIG_WAN_DELAY[$k]}" "$k"
        done
    } > "$f.tmp"
    mv "$f.tmp" "$f"
    rig_log "wan_delay generation $RIG_WAN_DELAY_GEN: $(grep '^queue' "$f" | tr '\n' ';')"
    if [ -n "$RIG_WAN_DELAY_PID" ]; then
        kill -HUP "$RIG_WAN_DELAY_PID"
    fi
}

# _rig_wan_delay_applied: the delayer reports the generation last written;
# fails the run at once if the delayer is gone.
_rig_wan_delay_applied() {
    if _rig_exited "$RIG_WAN_DELAY_PID"; then
        printf 'wan_delay exited: %s\n' "$(tr '\n' ' ' < "$RIG_DIR/wan_delay.log")" >&2
        return 2
    fi
    [ "$(cat "$RIG_DIR/wan_delay.status" 2>/dev/null)" = "generation $RIG_WAN_DELAY_GEN" ]
}

_rig_wan_delay_wait() {
    local deadline=$((SECONDS + 10)) rc
    while :; do
        rc=0
        _rig_wan_delay_applied || rc=$?
        [ "$rc" -ne 0 ] || return 0
        [ "$rc" -ne 2 ] || rig_fail "the delayer wan_delay exited (log above)"
        [ "$SECONDS" -lt "$deadline" ] || rig_fail "wan_delay did not apply generation $RIG_WAN_DELAY_GEN within 10 s"
        sleep 0.05
    done
}

# rig_wan_delay_check: everything delays need, or skip (77) with the reason:
# the delayer built ($WAN_DELAY), an iptables (nft or legacy backend, and
# its ip6tables) that takes NFQUEUE rules in the router namespace, and the
# delayer started there with the probe queue bound. Idempotent;
# rig_wan_delay calls it.
rig_wan_delay_check() {
    [ -z "$RIG_WAN_DELAY_PID" ] || return 0
    [ -n "${WAN_DELAY:-}" ] && [ -x "$WAN_DELAY" ] \
        || rig_skip "WAN delays need the delayer netns-tests/wan_delay (WAN_DELAY='${WAN_DELAY:-}'; meson builds it when libnetfilter-queue-dev is installed)"
    local c why=()
    for c in iptables iptables-nft iptables-legacy; do
        local c6=${c/iptables/ip6tables} out
        if out=$(_rig_wan_ipt_try "$c"); then
            if out=$(_rig_wan_ipt_try "$c6"); then
                RIG_WAN_IPT=$c RIG_WAN_IPT6=$c6
                break
            fi
            # Do not leave this backend's chain behind when trying the next.
            ip netns exec "$(rig_ns wan)" "$c" -w -t mangle -D FORWARD -j RIGWAN_DELAY >/dev/null 2>&1 || true
            ip netns exec "$(rig_ns wan)" "$c" -w -t mangle -X RIGWAN_DELAY >/dev/null 2>&1 || true
        fi
        why+=("$out")
    done
    [ -n "$RIG_WAN_IPT" ] || rig_skip "WAN delays need iptables -j NFQUEUE in a namespace: $(printf '%s; ' "${why[@]}")"
    rig_log "WAN delays: $RIG_WAN_IPT/$RIG_WAN_IPT6, chain mangle RIGWAN_DELAY in $(rig_ns wan)"
    _rig_wan_delay_write
    rig_log "[$(rig_ns wan)] $WAN_DELAY $RIG_DIR/wan_delay.conf $RIG_DIR/wan_delay.status 2>>$RIG_DIR/wan_delay.log &"
    ip netns exec "$(rig_ns wan)" "$WAN_DELAY" "$RIG_DIR/wan_delay.conf" "$RIG_DIR/wan_delay.status" \
        2>>"$RIG_DIR/wan_delay.log" &
    RIG_WAN_DELAY_PID=$!
    RIG_BG_PIDS+=("$RIG_WAN_DELAY_PID")
    # Binding the probe queue is the test of NFQUEUE itself (nfnetlink_queue).
    local deadline=$((SECONDS + 10)) rc
    while :; do
        rc=0
        _rig_wan_delay_applied 2>/dev/null || rc=$?
        [ "$rc" -ne 0 ] || break
        [ "$rc" -ne 2 ] || rig_skip "WAN delays: the delayer cannot use NFQUEUE here: $(tr '\n' ' ' < "$RIG_DIR/wan_delay.log")"
        [ "$SECONDS" -lt "$deadline" ] || rig_fail "wan_delay did not start within 10 s"
        sleep 0.05
    done
    rig_log "wan_delay running (pid $RIG_WAN_DELAY_PID)"
}

# _rig_wan_delay_stop: (rig_pass) SIGTERM to the delayer, which must exit 0
# with no sanitizer report in its log (in the ASan build it is built with
# the sanitizers too).
_rig_wan_delay_stop() {
    [ -n "$RIG_WAN_DELAY_PID" ] || return 0
    local rc=0
    rig_run kill -TERM "$RIG_WAN_DELAY_PID"
    rig_poll 10 "wan_delay exits after SIGTERM" _rig_exited "$RIG_WAN_DELAY_PID"
    wait "$RIG_WAN_DELAY_PID" || rc=$?
    RIG_WAN_DELAY_PID=""
    [ "$rc" -eq 0 ] || rig_fail "wan_delay exited with status $rc after SIGTERM"
    if grep -qE 'Sanitizer|runtime error:' "$RIG_DIR/wan_delay.log" 2>/dev/null; then
        rig_fail "sanitizer report in the log of wan_delay"
    fi
}

# _rig_wan_delay_rule OP A B Q: add (-A) or delete (-D) the rules that steer
# A->B into queue Q, both families.
_rig_wan_delay_rule() {
    local op=$1 a=$2 b=$3 q=$4 c
    for c in "$RIG_WAN_IPT" "$RIG_WAN_IPT6"; do
        _rig_wan_ipt "$c" -t mangle "$op" RIGWAN_DELAY -i "$(rig_wan_port "$a")" -o "$(rig_wan_port "$b")" \
            -j NFQUEUE --queue-num "$q" || rig_fail "$c $op RIGWAN_DELAY for $a->$b failed"
    done
}

rig_wan_delay() {
    [ $# -ge 3 ] && [ $# -le 4 ] || rig_fail "usage: rig_wan_delay A B MS [JITTER_MS]"
    local a=$1 b=$2 ms=$3 jit=${4:-0} k
    k=$(_rig_wan_pair "$a" "$b")
    _rig_wan_uint "$ms" 60000 "rig_wan_delay: delay"
    _rig_wan_uint "$jit" 60000 "rig_wan_delay: jitter"
    ms=$((10#$ms)) jit=$((10#$jit))
    if [ "$ms" -eq 0 ] && [ "$jit" -eq 0 ]; then
        rig_wan_undelay "$a" "$b"
        return
    fi
    rig_wan_delay_check
    rig_log "WAN delay $a->$b: ${ms} ms +- ${jit} ms"
    local new=""
    if [ -z "${RIG_WAN_DQ[$k]:-}" ]; then
        RIG_WAN_DQ[$k]=$RIG_WAN_DQ_NEXT
        RIG_WAN_DQ_NEXT=$((RIG_WAN_DQ_NEXT + 1))
    fi
    [ -n "${RIG_WAN_DELAY[$k]:-}" ] || new=1
    RIG_WAN_DELAY[$k]="$ms $jit"
    _rig_wan_delay_write
    _rig_wan_delay_wait
    # Only now is the queue bound: no packet meets a queue nobody serves.
    [ -z "$new" ] || _rig_wan_delay_rule -A "$a" "$b" "${RIG_WAN_DQ[$k]}"
}

rig_wan_delay_both() {
    [ $# -ge 3 ] && [ $# -le 4 ] || rig_fail "usage: rig_wan_delay_both A B MS [JITTER_MS]"
    rig_wan_delay "$1" "$2" "$3" "${4:-0}"
    rig_wan_delay "$2" "$1" "$3" "${4:-0}"
}

rig_wan_undelay() {
    [ $# -eq 2 ] || rig_fail "usage: rig_wan_undelay A B"
    local k
    k=$(_rig_wan_pair "$1" "$2")
    [ -n "${RIG_WAN_DELAY[$k]:-}" ] || return 0
    rig_log "WAN delay $1->$2 ends"
    # The rule goes first, so nothing new enters the queue; then the queue's
    # delay drops to 0 (what it still holds leaves on time).
    _rig_wan_delay_rule -D "$1" "$2" "${RIG_WAN_DQ[$k]}"
    unset "RIG_WAN_DELAY[$k]"
    _rig_wan_delay_write
    _rig_wan_delay_wait
}

# ---- loss -------------------------------------------------------------------

# _rig_wan_loss_rules: the whole chain `loss`, as an nft transaction.
_rig_wan_loss_rules() {
    local k a b p test
    printf 'flush chain inet rigwan loss\n'
    for k in "${!RIG_WAN_LOSS[@]}"; do
        a=${k%%>*} b=${k#*>} p=${RIG_WAN_LOSS[$k]}
        # numgen random mod 100 is 0..99, so `< 100` is out of nft's range:
        # 100 % is a plain drop.
        if [ "$p" -eq 100 ]; then test=""; else test="numgen random mod 100 < $p "; fi
        printf 'add rule inet rigwan loss iifname "%s" oifname "%s" %scounter drop comment "loss %s"\n' \
            "$(rig_wan_port "$a")" "$(rig_wan_port "$b")" "$test" "$k"
    done
}

rig_wan_loss() {
    [ $# -eq 3 ] || rig_fail "usage: rig_wan_loss A B PERCENT"
    local k p=$3
    k=$(_rig_wan_pair "$1" "$2")
    _rig_wan_uint "$p" 100 "rig_wan_loss: percent"
    p=$((10#$p))
    _rig_wan_nft_init
    if [ "$p" -eq 0 ]; then
        unset "RIG_WAN_LOSS[$k]"
    else
        RIG_WAN_LOSS[$k]=$p
    fi
    rig_log "WAN loss $1->$2: $p %"
    _rig_wan_nft "$(_rig_wan_loss_rules)"
}

# ---- pair cuts --------------------------------------------------------------

# _rig_wan_pair_elems A B: both directed port pairs as an nft element list.
_rig_wan_pair_elems() {
    printf '{ "%s" . "%s", "%s" . "%s" }' "$(rig_wan_port "$1")" "$(rig_wan_port "$2")" \
        "$(rig_wan_port "$2")" "$(rig_wan_port "$1")"
}

rig_wan_cut_pair() {
    [ $# -eq 2 ] || rig_fail "usage: rig_wan_cut_pair A B"
    local k
    k=$(_rig_wan_pair "$1" "$2")
    _rig_wan_nft_init
    rig_log "WAN cut between $1 and $2"
    _rig_wan_nft "add element inet rigwan cut_pair $(_rig_wan_pair_elems "$1" "$2")"
    RIG_WAN_CUT_PAIR[$k]=1
    unset "RIG_WAN_CUT_PAIR[$2>$1]"
}

rig_wan_uncut_pair() {
    [ $# -eq 2 ] || rig_fail "usage: rig_wan_uncut_pair A B"
    local k r
    k=$(_rig_wan_pair "$1" "$2") r="$2>$1"
    [ -n "${RIG_WAN_CUT_PAIR[$k]:-}${RIG_WAN_CUT_PAIR[$r]:-}" ] || return 0
    rig_log "WAN cut between $1 and $2 ends"
    _rig_wan_nft "delete element inet rigwan cut_pair $(_rig_wan_pair_elems "$1" "$2")"
    unset "RIG_WAN_CUT_PAIR[$k]" "RIG_WAN_CUT_PAIR[$r]"
}

# ---- all --------------------------------------------------------------------

rig_wan_clear() {
    local c
    rig_log "WAN impairments cleared"
    if [ -n "$RIG_WAN_DELAY_PID" ]; then
        for c in "$RIG_WAN_IPT" "$RIG_WAN_IPT6"; do
            _rig_wan_ipt "$c" -t mangle -F RIGWAN_DELAY || rig_fail "$c -F RIGWAN_DELAY failed"
        done
        RIG_WAN_DELAY=()
        _rig_wan_delay_write
        _rig_wan_delay_wait
    fi
    RIG_WAN_LOSS=() RIG_WAN_CUT_PAIR=() RIG_WAN_CUT=()
    if [ -n "${RIG_WAN_NFT:-}" ]; then
        _rig_wan_nft 'flush chain inet rigwan loss
flush set inet rigwan cut_pair
flush set inet rigwan cut
flush set inet rigwan split_a
flush set inet rigwan split_b'
    fi
}

# rig_wan_delay_matrix: many new pairs at once (a latency matrix). One by
# one, each pair costs a delayer reload and two iptables runs: 66 pairs took
# minutes on a loaded machine. Pairs already delayed are refused.
rig_wan_delay_matrix() {
    local a b ms k c rules=()
    rig_wan_delay_check
    while read -r a b ms; do
        [ -n "$a" ] || continue
        _rig_wan_uint "$ms" 60000 "rig_wan_delay_matrix: delay"
        for k in "$(_rig_wan_pair "$a" "$b")" "$(_rig_wan_pair "$b" "$a")"; do
            [ -z "${RIG_WAN_DELAY[$k]:-}" ] || rig_fail "rig_wan_delay_matrix: $k is delayed already"
            [ -n "${RIG_WAN_DQ[$k]:-}" ] || {
                RIG_WAN_DQ[$k]=$RIG_WAN_DQ_NEXT
                RIG_WAN_DQ_NEXT=$((RIG_WAN_DQ_NEXT + 1))
            }
            RIG_WAN_DELAY[$k]="$((10#$ms)) 0"
            rules+=("-A RIGWAN_DELAY -i $(rig_wan_port "${k%>*}") -o $(rig_wan_port "${k#*>}") -j NFQUEUE --queue-num ${RIG_WAN_DQ[$k]}")
        done
    done
    rig_log "WAN delay matrix: ${#rules[@]} directed pairs"
    _rig_wan_delay_write
    _rig_wan_delay_wait
    for c in "$RIG_WAN_IPT" "$RIG_WAN_IPT6"; do
        { printf '*mangle\n'; printf '%s\n' "${rules[@]}"; printf 'COMMIT\n'; } |
            ip netns exec "$(rig_ns wan)" "$c-restore" -w --noflush ||
            rig_fail "$c-restore of ${#rules[@]} RIGWAN_DELAY rules failed"
    done
}
