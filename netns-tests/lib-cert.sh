# SPDX-License-Identifier: GPL-2.0-only
# shellcheck shell=bash
#
# lib-cert.sh — overlay authority helpers for the netns scenarios.
# Source after lib.sh. Certificates and authorities live in $RIG_DIR.

# cert_ca_init NAME: an authority in $RIG_DIR/ca-NAME; prints nothing.
cert_ca_init() {
    local dir="$RIG_DIR/ca-$1"
    rig_log "$OVERLAYCTL ca init $dir"
    "$OVERLAYCTL" ca init "$dir" >/dev/null || rig_fail "overlayctl ca init $dir failed"
}

cert_ca_pub() { cat "$RIG_DIR/ca-$1/authority.pub"; }

# cert_issue CA HOST NAME PUBKEY ENCLAVES VALID: HOST's certificate file
# ($RIG_DIR/HOST/host.cert) signed by CA, for NAME and PUBKEY.
cert_issue() {
    local ca=$1 host=$2 name=$3 pub=$4 encl=$5 valid=$6
    local f; f="$(rig_host_dir "$host")/host.cert"
    rig_log "$OVERLAYCTL cert issue --ca $RIG_DIR/ca-$ca --name $name --pubkey $pub --enclaves '$encl' --valid $valid > $f"
    "$OVERLAYCTL" cert issue --ca "$RIG_DIR/ca-$ca" --name "$name" --pubkey "$pub" \
        --enclaves "$encl" --valid "$valid" > "$f" || rig_fail "overlayctl cert issue for $host failed"
}

# cert_issue_expired CA HOST NAME PUBKEY ENCLAVES: like cert_issue, but the
# certificate's validity ended an hour ago (the test helper cert_backdated,
# $CERT_BACKDATED: `overlayctl cert issue --valid` only looks ahead).
cert_issue_expired() {
    local ca=$1 host=$2 name=$3 pub=$4 encl=$5
    local f; f="$(rig_host_dir "$host")/host.cert"
    [ -n "${CERT_BACKDATED:-}" ] && [ -x "$CERT_BACKDATED" ] \
        || rig_fail "CERT_BACKDATED not set or not executable: '${CERT_BACKDATED:-}'"
    rig_log "$CERT_BACKDATED $RIG_DIR/ca-$ca $name $pub '$encl' 3600 > $f"
    "$CERT_BACKDATED" "$RIG_DIR/ca-$ca" "$name" "$pub" "$encl" 3600 > "$f" \
        || rig_fail "cert_backdated for $host failed"
}

# cert_host_authority HOST CA: Authority and CertificateFile in HOST's [Host]
# section. Call right after rig_host_create, before any rig_host_peer (the
# lines must land in [Host], which is then the last section).
cert_host_authority() {
    local host=$1 ca=$2
    rig_log "add Authority (ca-$ca) and CertificateFile to $(rig_host_conf "$host")"
    cat >> "$(rig_host_conf "$host")" <<EOC
Authority = $(cert_ca_pub "$ca")
CertificateFile = $(rig_host_dir "$host")/host.cert
EOC
}

# cert_peer_field HOST PEER FIELD: one field of PEER's row in HOST's peers --json.
cert_peer_field() {
    rig_ctl_q "$1" --json peers | jq -c --arg n "$2" "[.peers[] | select(.name == \$n) | .$3][0]"
}

# cert_peer_absent HOST PEER: HOST lists no peer named PEER.
cert_peer_absent() {
    [ "$(rig_ctl_q "$1" --json peers | jq --arg n "$2" '[.peers[] | select(.name == $n)] | length')" = 0 ]
}
