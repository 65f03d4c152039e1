#!/bin/sh
# The kernel ABI the engine drives, exercised by hand on the e1000e at
# 01:00.0 (there is one there in every flavour with an IOMMU):
# driver_override, unbind and drivers_probe move it to vfio-pci, which
# creates /dev/vfio/GROUP; an empty driver_override and the same two steps
# give it back to e1000e.  A guest that fails this cannot run engine
# scenarios.
. "$VMTEST_LIB"

nic=0000:01:00.0
dev=$(pci_dev "$nic")
group=$(pci_group "$nic")
expect_driver "$nic" e1000e
say "$nic is $(ls "$dev/net") in IOMMU group $group"

say "to vfio-pci"
modprobe vfio-pci
sysfs_write vfio-pci "$dev/driver_override"
sysfs_write "$nic" "$dev/driver/unbind"
expect_driver "$nic" none
sysfs_write "$nic" /sys/bus/pci/drivers_probe
expect_driver "$nic" vfio-pci
wait_for 5 test -c "/dev/vfio/$group" || fail "/dev/vfio/$group did not appear"
[ ! -e "$dev/net" ] || fail "$nic still has a network interface"

say "back to e1000e"
sysfs_write "" "$dev/driver_override"
sysfs_write "$nic" /sys/bus/pci/drivers/vfio-pci/unbind
sysfs_write "$nic" /sys/bus/pci/drivers_probe
expect_driver "$nic" e1000e
wait_for 5 test -d "$dev/net" || fail "e1000e did not register a network interface for $nic"
wait_for 5 test ! -e "/dev/vfio/$group" || fail "/dev/vfio/$group is still there"
expect_eq "driver_override of $nic" "$(cat "$dev/driver_override")" "(null)"
say "$nic is $(ls "$dev/net") again"
