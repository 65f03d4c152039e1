#!/bin/sh
# pciback's own state on the real kernel: permissive mode and config-space
# quirks set after the bind, and on release the slot list, permissive and
# quirks exactly as before; a device hidden at boot stays with pciback;
# two identical NICs keep each other's quirks; a failure injected at each
# write of a prepare (HOSTDEV_HOOK_FAULT, test builds only) rolls back; an
# HVM guest asking for permissive mode without writeFiltering='no' is refused;
# and while lent, `xl pci-assignable-list` shows the device.
. "$VMTEST_LIB"

nic=0000:01:00.0
nic2=0000:02:00.0
pciback=/sys/bus/pci/drivers/pciback
hooks=$(mktemp -d)
mkdir "$hooks/libxl.d"
ln -s "$HOOK" "$hooks/libxl.d/50-hostdev-hook"
HOOK="$hooks/libxl.d/50-hostdev-hook"

printf '[quirk e1000e]\ndevices=8086:10d3\nfields=000000b0:4:00000000;000000b4:2:0000ffff\n' \
    > /run/hostdev-hook-policy.conf
chmod 0644 /run/hostdev-hook-policy.conf
export HOSTDEV_HOOK_POLICY=/run/hostdev-hook-policy.conf

# pciback's three lists on one line each, flattened
pciback_state() {
    echo "slots: $(xargs < $pciback/slots)"
    echo "permissive: $(xargs < $pciback/permissive)"
    echo "quirks: $(xargs < $pciback/quirks)"
}

expect_state() {
    pciback_state > /tmp/state.now
    cmp -s "$1" /tmp/state.now || fail "pciback's state changed: was $(cat "$1"), now $(cat /tmp/state.now)"
}

# xen_domain NAME BDF [PERMISSIVE [OS]]
xen_domain() {
    local meta="" os=""
    [ -z "${3-}" ] || meta=$(hd_meta "<hd:device address='$2' permissive='yes'/>")
    [ -z "${4-}" ] || os="<os><type>$4</type></os>"
    domain_xml "$1" "$meta" "$2" | sed "s|<domain type='kvm'><name>$1</name>|<domain type='xen'><name>$1</name>$os|"
}

pciback_state > /tmp/state.before
say "before: $(xargs < /tmp/state.before)"

say "a permissive, quirky lend and its release"
xen_domain pv1 "$nic" yes > /tmp/pv1.xml
hook pv1 prepare begin < /tmp/pv1.xml || fail "prepare failed: $HOOK_ERR"
expect_driver "$nic" pciback
grep -qx "$nic" $pciback/slots || fail "the seized device is not in the slot list"
grep -qx "$nic" $pciback/permissive || fail "permissive was not set"
grep -q '000000b0:4:00000000' $pciback/quirks || fail "quirk field 0xb0 missing: $(xargs < $pciback/quirks)"
grep -q '000000b4:2:0000ffff' $pciback/quirks || fail "quirk field 0xb4 missing: $(xargs < $pciback/quirks)"
say "during: $(pciback_state | xargs)"
# lent, it is what libxl calls assignable (xenstored runs in this dom0)
xl pci-assignable-list > /tmp/assignable.txt 2>&1 || fail "xl pci-assignable-list failed: $(cat /tmp/assignable.txt)"
grep -q "^$nic" /tmp/assignable.txt || fail "xl pci-assignable-list does not show $nic: $(xargs < /tmp/assignable.txt)"
hook pv1 release end < /dev/null || fail "release failed: $HOOK_ERR"
expect_restored "$nic" e1000e
expect_state /tmp/state.before
[ ! -e "$(journal_of pv1)" ] || fail "release left the journal"

say "two identical NICs in two domains keep each other's quirks"
xen_domain one "$nic" > /tmp/one.xml
hook one prepare begin < /tmp/one.xml || fail "prepare one failed: $HOOK_ERR"
xen_domain two "$nic2" > /tmp/two.xml
hook two prepare begin < /tmp/two.xml || fail "prepare two failed: $HOOK_ERR"
hook one release end < /dev/null || fail "release one failed: $HOOK_ERR"
expect_restored "$nic" e1000e
grep -q "^${nic2#0000:}" $pciback/quirks || fail "the other NIC lost its quirks entry: $(xargs < $pciback/quirks)"
grep -q '000000b0:4:00000000' $pciback/quirks || fail "the other NIC lost its quirk fields"
hook two release end < /dev/null || fail "release two failed: $HOOK_ERR"
expect_restored "$nic2" e1000e
expect_state /tmp/state.before

say "a failure injected at each write rolls back"
n=1
while :; do
    xen_domain fault "$nic" yes > /tmp/fault.xml
    export HOSTDEV_HOOK_FAULT="fail:$n"
    status=0
    hook fault prepare begin < /tmp/fault.xml || status=$?
    unset HOSTDEV_HOOK_FAULT
    if [ "$status" -eq 0 ]; then
        say "prepare has $((n - 1)) writes; the next run succeeded"
        hook fault release end < /dev/null || fail "release failed: $HOOK_ERR"
        break
    fi
    case "$HOOK_ERR" in
        *"fault injected"*) ;;
        *) fail "write $n failed for another reason: $HOOK_ERR" ;;
    esac
    expect_restored "$nic" e1000e
    expect_state /tmp/state.before
    [ ! -e "$(journal_of fault)" ] || fail "a rolled-back prepare left a journal (write $n)"
    n=$((n + 1))
    [ "$n" -le 20 ] || fail "prepare never succeeded in 20 writes"
done
[ "$n" -ge 6 ] || fail "expected at least 5 writes (override, unbind, probe, permissive, quirks), saw $((n - 1))"
expect_restored "$nic" e1000e
expect_state /tmp/state.before

say "a device hidden at boot stays with pciback, without our settings"
sysfs_write "$nic2" $pciback/new_slot
sysfs_write "$nic2" "$(pci_dev "$nic2")/driver/unbind"
sysfs_write "$nic2" $pciback/bind
expect_driver "$nic2" pciback
pciback_state > /tmp/state.hidden
xen_domain hid "$nic2" yes > /tmp/hid.xml
hook hid prepare begin < /tmp/hid.xml || fail "prepare failed: $HOOK_ERR"
grep -qx "$nic2" $pciback/permissive || fail "permissive was not set on the hidden device"
hook hid release end < /dev/null || fail "release failed: $HOOK_ERR"
expect_driver "$nic2" pciback
expect_state /tmp/state.hidden
sysfs_write "$nic2" $pciback/unbind
sysfs_write "$nic2" $pciback/remove_slot
sysfs_write "$nic2" /sys/bus/pci/drivers_probe
expect_restored "$nic2" e1000e
expect_state /tmp/state.before

say "permissive mode for an HVM guest without writeFiltering='no' is refused"
xen_domain hvm1 "$nic" yes hvm > /tmp/hvm1.xml
if hook hvm1 prepare begin < /tmp/hvm1.xml; then
    fail "an HVM permissive request without writeFiltering='no' was accepted"
fi
case "$HOOK_ERR" in
    *"hvm1: $nic: pciback: permissive mode for an HVM guest needs <source writeFiltering='no'>"*) ;;
    *) fail "unexpected refusal: $HOOK_ERR" ;;
esac
expect_restored "$nic" e1000e
expect_state /tmp/state.before
rm -r "$hooks"
