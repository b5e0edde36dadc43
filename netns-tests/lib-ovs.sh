# SPDX-License-Identifier: GPL-2.0-only
# shellcheck shell=bash
#
# lib-ovs.sh — an Open vSwitch of our own inside a host namespace (sourced
# after lib.sh by the scenarios that use OVS).
#
# This machine has no OVS kernel module: the switch is ovsdb-server +
# ovs-vswitchd with the userspace datapath (bridges `datapath_type=netdev`),
# both started here with private OVS_RUNDIR/OVS_DBDIR/OVS_LOGDIR/
# OVS_SYSCONFDIR under the rig's temp dir, inside the host's namespace (so
# its ports are that namespace's interfaces, and the rig's cleanup, which
# stops every process in our namespaces, stops them too). A system OVS, if
# any, is never touched: every ovs-* call of ours carries these variables.
# `other_config:userspace-tso-enable=true`: without it TCP through a netdev
# bridge fails with bad checksums while ping works (MACHINE-NOTES).
#
#   rig_ovs_require            skip (77) unless the OVS programs exist
#   rig_ovs_start HOST         start HOST's switch; exports nothing
#   rig_ovs_env HOST CMD...    run CMD with HOST's OVS_* variables (e.g. the
#                              daemon: its ovs-vsctl must find this switch)
#   rig_ovs HOST ARGS...       ovs-vsctl against HOST's switch
#   rig_ovs_bridge HOST BR     a netdev bridge BR
#   rig_ovs_guest_create HOST ENCLAVE BR GUEST IP MAC
#                              like rig_guest_create, the port on OVS bridge BR
#                              (plugged here, as libvirt plugs a
#                              <virtualport type='openvswitch'/> interface);
#                              attach then only announces

RIG_OVS_SCHEMA=${RIG_OVS_SCHEMA:-/usr/share/openvswitch/vswitch.ovsschema}

rig_ovs_require() {
    local t
    for t in ovsdb-server ovs-vswitchd ovs-vsctl ovsdb-tool; do
        command -v "$t" >/dev/null 2>&1 \
            || PATH=$PATH:/usr/sbin command -v "$t" >/dev/null 2>&1 \
            || rig_skip "Open vSwitch not installed (no $t; package openvswitch-switch)"
    done
    [ -r "$RIG_OVS_SCHEMA" ] || rig_skip "no OVS schema at $RIG_OVS_SCHEMA"
}

rig_ovs_dir() { printf '%s/%s/ovs' "$RIG_DIR" "$1"; }

rig_ovs_env() {
    local d; d=$(rig_ovs_dir "$1"); shift
    OVS_RUNDIR=$d OVS_DBDIR=$d OVS_LOGDIR=$d OVS_SYSCONFDIR=$d PATH=$PATH:/usr/sbin "$@"
}

rig_ovs() {
    local h=$1; shift
    rig_log "ovs-vsctl($h) $*"
    rig_ovs_env "$h" ovs-vsctl --timeout=10 "$@"
}

rig_ovs_start() {
    local h=$1 d ns
    d=$(rig_ovs_dir "$h"); ns=$(rig_ns "$h")
    rig_run mkdir -p "$d"
    rig_ovs_env "$h" ovsdb-tool create "$d/conf.db" "$RIG_OVS_SCHEMA" || rig_fail "ovsdb-tool create failed"
    rig_log "[$ns] ovsdb-server $d/conf.db (private, $d) &"
    rig_ovs_env "$h" ip netns exec "$ns" ovsdb-server "$d/conf.db" \
        --remote="punix:$d/db.sock" --pidfile="$d/ovsdb-server.pid" \
        --unixctl="$d/ovsdb-server.ctl" --log-file="$d/ovsdb-server.log" 2>>"$d/ovsdb-server.err" &
    RIG_BG_PIDS+=($!)
    rig_poll 10 "$h: ovsdb-server listens" test -S "$d/db.sock"
    rig_ovs "$h" --no-wait init
    rig_ovs "$h" --no-wait set Open_vSwitch . other_config:userspace-tso-enable=true
    rig_log "[$ns] ovs-vswitchd (private, $d) &"
    rig_ovs_env "$h" ip netns exec "$ns" ovs-vswitchd "unix:$d/db.sock" \
        --pidfile="$d/ovs-vswitchd.pid" --unixctl="$d/ovs-vswitchd.ctl" \
        --log-file="$d/ovs-vswitchd.log" 2>>"$d/ovs-vswitchd.err" &
    RIG_BG_PIDS+=($!)
    rig_poll 10 "$h: ovs-vswitchd up" test -S "$d/ovs-vswitchd.ctl"
}

rig_ovs_bridge() {
    local h=$1 br=$2
    # Without --no-wait: returns once vswitchd made the bridge.
    rig_ovs "$h" add-br "$br" -- set Bridge "$br" datapath_type=netdev \
        || rig_fail "$h: ovs-vsctl add-br $br failed"
}

# rig_ovs_has_port HOST BR PORT: PORT is a port of BR, and vswitchd opened it
# (no error on its Interface row).
rig_ovs_has_port() {
    local h=$1 br=$2 p=$3 err
    rig_ovs_env "$h" ovs-vsctl --timeout=5 list-ports "$br" | grep -qx "$p" || return 1
    err=$(rig_ovs_env "$h" ovs-vsctl --timeout=5 get Interface "$p" error 2>/dev/null) || return 1
    [ "$err" = "[]" ]
}

rig_ovs_guest_create() {
    local host=$1 enclave=$2 br=$3 guest=$4 ip=$5 mac=$6
    local hns gns hif="g-$guest" mtu up out
    hns=$(rig_ns "$host"); gns=$(rig_ns "$guest")
    rig_run ip netns add "$gns"
    rig_run ip -n "$gns" link set lo up
    rig_run ip -n "$hns" link add "$hif" type veth peer name eth0 netns "$gns"
    rig_run ip -n "$gns" link set eth0 address "$mac"
    rig_run ip -n "$gns" addr add "$ip/24" dev eth0
    # The enclave's inner MTU: what the uplink has (attach sets no MTU on a
    # switch that is not ours).
    up=$(rig_ctl_q "$host" --json enclaves | jq -r --arg e "$enclave" '.enclaves[] | select(.name == $e) | .uplink')
    mtu=$(ip -n "$hns" -j link show "$up" | jq '.[0].mtu')
    rig_run ip -n "$hns" link set "$hif" mtu "$mtu" up
    rig_ovs "$host" add-port "$br" "$hif" || rig_fail "$host: add-port $br $hif failed"
    out=$(rig_ctl "$host" attach "$enclave" "$hif" --mac "$mac" --name "$guest" 2>&1) \
        || rig_fail "overlayctl attach $enclave $hif on $host failed: $out"
    rig_log "  -> $out"
    rig_run ip -n "$gns" link set eth0 mtu "$mtu" up
    rig_guest_rarp "$guest" "$mac" >/dev/null
}
