#!/bin/sh
# The kernel ABI the engine drives under Xen, exercised by hand on the
# e1000e at 01:00.0: unbind it, give pciback a slot for it and bind it there,
# mark it permissive (the guest may write its whole config space), then
# undo all of it and let e1000e claim it again.
. "$VMTEST_LIB"

nic=0000:01:00.0
dev=$(pci_dev "$nic")
back=/sys/bus/pci/drivers/pciback
expect_driver "$nic" e1000e

say "to pciback"
sysfs_write "$nic" "$dev/driver/unbind"
sysfs_write "$nic" "$back/new_slot"
grep -qx "$nic" "$back/slots" || fail "$nic is not in $back/slots: $(cat "$back/slots")"
sysfs_write "$nic" "$back/bind"
expect_driver "$nic" pciback
sysfs_write "$nic" "$back/permissive"
grep -qx "$nic" "$back/permissive" || fail "$nic is not in $back/permissive: $(cat "$back/permissive")"

say "back to e1000e"
sysfs_write "$nic" "$back/unbind"
sysfs_write "$nic" "$back/remove_slot"
expect_eq "pciback slots" "$(cat "$back/slots")" ""
sysfs_write "$nic" /sys/bus/pci/drivers_probe
expect_driver "$nic" e1000e
wait_for 5 test -d "$dev/net" || fail "e1000e did not register a network interface for $nic"
expect_eq "functions on pciback" "$(driver_devices pciback | xargs)" ""
