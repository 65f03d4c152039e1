#!/bin/sh
# hostdevctl assign, list-assignable and unassign in a real Xen dom0, as
# `xl pci-assignable-add/-list/-remove -r`: assign finds the dom0 by
# /proc/xen/capabilities and binds the e1000e at 01:00.0 to pciback,
# journalled for the host; xl then lists it as assignable; a second assign
# says so and changes nothing; unassign gives back e1000e, its
# driver_override and pciback's slots, permissive and quirks exactly.
. "$VMTEST_LIB"

[ -x "$HOSTDEVCTL" ] || skip "hostdevctl not built"

nic=0000:01:00.0
dev=$(pci_dev "$nic")
back=/sys/bus/pci/drivers/pciback
journal=/run/hostdev-hook/host/assign-0000-01-00-0.journal

# everything "exactly as before" covers, one item per line
device_state() {
    echo "driver: $(pci_driver "$nic")"
    echo "driver_override: $(cat "$dev/driver_override")"
    for f in slots permissive quirks; do
        sed "s/^/pciback $f: /" "$back/$f"
    done
}

grep -q control_d /proc/xen/capabilities || fail "this dom0's /proc/xen/capabilities does not say control_d"
expect_driver "$nic" e1000e
device_state > /tmp/assign.before
cat /tmp/assign.before

say "hostdevctl assign $nic"
"$HOSTDEVCTL" assign "$nic" > /tmp/assign.out || fail "hostdevctl assign failed"
cat /tmp/assign.out
expect_eq "assign's report" "$(cat /tmp/assign.out)" "$nic: on pciback (was e1000e)"
expect_driver "$nic" pciback
[ -f "$journal" ] || fail "no host journal $journal"

say "xl pci-assignable-list shows it"
xl pci-assignable-list > /tmp/assignable.txt 2>&1 || fail "xl pci-assignable-list failed: $(cat /tmp/assignable.txt)"
cat /tmp/assignable.txt
grep -q "^$nic" /tmp/assignable.txt || fail "xl pci-assignable-list does not show $nic"

say "hostdevctl list-assignable shows it"
"$HOSTDEVCTL" list-assignable > /tmp/list.out
cat /tmp/list.out
grep -q "^$nic  *assign  *pciback  *e1000e  *-$" /tmp/list.out || fail "list-assignable does not show $nic"
"$HOSTDEVCTL" list-assignable --json > /tmp/list.json
json_has /tmp/list.json address "\"$nic\"" || fail "list-assignable --json does not show $nic: $(cat /tmp/list.json)"

say "assign again: said so, nothing changes"
"$HOSTDEVCTL" assign "$nic" > /tmp/assign2.out || fail "a second assign failed"
expect_eq "the second assign" "$(cat /tmp/assign2.out)" "$nic: already assignable on pciback (hostdevctl assign)"
expect_driver "$nic" pciback

say "hostdevctl unassign $nic"
"$HOSTDEVCTL" unassign "$nic" > /tmp/unassign.out || fail "hostdevctl unassign failed"
expect_eq "unassign's report" "$(cat /tmp/unassign.out)" "$nic: back on e1000e"
expect_restored "$nic" e1000e
device_state > /tmp/assign.after
diff /tmp/assign.before /tmp/assign.after || fail "$nic and pciback are not as before"
[ ! -e "$journal" ] || fail "the journal outlived unassign"
xl pci-assignable-list > /tmp/assignable.txt 2>&1 || fail "xl pci-assignable-list failed: $(cat /tmp/assignable.txt)"
! grep -q "^$nic" /tmp/assignable.txt || fail "xl pci-assignable-list still shows $nic"

say "unassign again: refused, one line"
if "$HOSTDEVCTL" unassign "$nic" 2> /tmp/unassign.err; then
    fail "a second unassign succeeded"
fi
expect_eq "the refusal" "$(cat /tmp/unassign.err)" \
    "hostdevctl: unassign: $nic: not assigned: hostdevctl assign holds no such device (see hostdevctl list-assignable)"
