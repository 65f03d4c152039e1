#!/bin/sh
# Starting state of the xen guest: Linux runs as Xen's control domain, the
# two e1000e are on their driver, and xen-pciback is loaded with nothing
# assigned to it.
. "$VMTEST_LIB"

say "Xen dom0"
expect_eq "hypervisor type" "$(cat /sys/hypervisor/type)" xen
grep -qw control_d /proc/xen/capabilities ||
    fail "not the control domain: /proc/xen/capabilities is '$(cat /proc/xen/capabilities)'"

say "device map and drivers"
expect_devices <<MAP
0000:01:00.0 8086:10d3 e1000e
0000:02:00.0 8086:10d3 e1000e
MAP

say "xen-pciback"
[ -d /sys/bus/pci/drivers/pciback ] || fail "no /sys/bus/pci/drivers/pciback: xen-pciback not loaded"
expect_eq "functions on pciback" "$(driver_devices pciback | xargs)" ""
expect_eq "pciback slots" "$(cat /sys/bus/pci/drivers/pciback/slots)" ""
