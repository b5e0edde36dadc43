#!/usr/bin/env bash
# The libvirt hook turns domain XML into the right overlayctl calls, and
# never fails the libvirt operation. A fake overlayctl records its argv.
set -euo pipefail
hook=$1
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cat >"$tmp/overlayctl" <<'FAKE'
#!/usr/bin/env bash
echo "$*" >>"$FAKE_LOG"
case "$*" in
    *"--json enclaves"*) echo '{"enclaves":[{"name":"blue","id":100,"bridge":"ovl-blue","members":[],"hosts":[]},{"name":"green","id":300,"bridge":"ovs-green","members":[],"hosts":[]}]}' ;;
esac
exit "${FAKE_RC:-0}"
FAKE
chmod +x "$tmp/overlayctl"
xml='<domain type="qemu"><name>vm1</name><devices>
  <interface type="bridge"><mac address="52:54:00:AA:00:01"/><source bridge="ovl-blue"/><target dev="vnet7"/></interface>
  <interface type="bridge"><mac address="52:54:00:aa:00:02"/><source bridge="virbr0"/><target dev="vnet8"/></interface>
  <interface type="network"><mac address="52:54:00:aa:00:03"/><source network="default"/></interface>
</devices></domain>'
fail=0
check() { # name expected-log
    if [ "$(cat "$tmp/log" 2>/dev/null)" != "$2" ]; then
        echo "FAIL $1: got:"; cat "$tmp/log" 2>/dev/null; echo "want:"; echo "$2"; fail=1
    else
        echo "ok $1"
    fi
    rm -f "$tmp/log"
}
export FAKE_LOG=$tmp/log OVERLAYCTL=$tmp/overlayctl
echo "$xml" | "$hook" vm1 started begin -
check started $'--json enclaves\nattach blue vnet7 --name vm1 --mac 52:54:00:aa:00:01'
echo "$xml" | "$hook" vm1 release end -
check release $'--json enclaves\ndetach vnet7'
# prepare: the tap does not exist yet (libvirt creates it later): no call
echo "$xml" | "$hook" vm1 prepare begin -
check prepare ''
# start (incoming migration or boot): attached, pending until the guest speaks
echo "$xml" | "$hook" vm1 start begin -
check start $'--json enclaves\nattach blue vnet7 --name vm1 --mac 52:54:00:aa:00:01'
echo "$xml" | "$hook" vm1 stopped end -
check stopped $'--json enclaves\ndetach vnet7'
# prepare with a tap that exists (lo stands in for it)
echo "${xml//vnet7/lo}" | "$hook" vm1 prepare begin -
check prepare-tap $'--json enclaves\nattach blue lo --name vm1 --mac 52:54:00:aa:00:01'
# no bridge interface at all: overlayd is not involved, not even asked
echo '<domain><name>vm2</name><devices><interface type="network"><source network="default"/></interface></devices></domain>' \
    | "$hook" vm2 started begin -
check uninvolved ''
# migrate (XML rewrite) and other operations: nothing, nothing printed
out=$(echo "$xml" | "$hook" vm1 migrate begin -)
check migrate ''
[ -z "$out" ] || { echo "FAIL migrate printed: $out"; fail=1; }
# an Open vSwitch port of an external enclave's bridge: the same, by bridge name
ovs='<domain><name>vm3</name><devices><interface type="bridge"><mac address="52:54:00:aa:00:09"/>
  <source bridge="ovs-green"/><virtualport type="openvswitch"/><target dev="vnet9"/></interface></devices></domain>'
echo "$ovs" | "$hook" vm3 started begin -
check ovs-started $'--json enclaves\nattach green vnet9 --name vm3 --mac 52:54:00:aa:00:09'
echo "$ovs" | "$hook" vm3 release end -
check ovs-release $'--json enclaves\ndetach vnet9'
# a hung overlayctl: the hook gives up within its budget and exits 0
cat >"$tmp/slowctl" <<'SLOW'
#!/usr/bin/env bash
exec sleep 30
SLOW
chmod +x "$tmp/slowctl"
t0=$(date +%s)
echo "$xml" | OVERLAYCTL=$tmp/slowctl "$hook" vm1 started begin - 2>/dev/null \
    || { echo "FAIL hung overlayctl failed the op"; fail=1; }
[ $(( $(date +%s) - t0 )) -le 10 ] || { echo "FAIL hook blocked libvirt for over 10 s"; fail=1; }
echo "$xml" | OVERLAYD_SOCKET=/x.sock "$hook" vm1 reconnect begin -
check socket $'-s /x.sock --json enclaves\n-s /x.sock attach blue vnet7 --name vm1 --mac 52:54:00:aa:00:01'
# daemon down: the hook reports and still exits 0 so libvirt goes on
if ! echo "$xml" | FAKE_RC=1 "$hook" vm1 started begin - 2>"$tmp/err"; then echo "FAIL hook failed libvirt op"; fail=1; fi
grep -q "overlayd hook: vm1 started" "$tmp/err" || { echo "FAIL no error message"; fail=1; }
rm -f "$tmp/log"
echo "not xml" | "$hook" vm1 started begin - 2>/dev/null || { echo "FAIL bad xml"; fail=1; }
exit $fail
