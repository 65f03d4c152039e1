#!/bin/sh
# Starting state of the kvm guest (and of the libvirt guest, which has the
# same devices): the device map of docs/vm-harness.md with each function on
# the driver a host gives it at boot, and the IOMMU groups engine scenarios
# rely on.  Nothing is on vfio-pci and vfio-pci is not even loaded: loading
# it is the engine's job.
. "$VMTEST_LIB"

say "device map and drivers"
expect_devices <<MAP
0000:01:00.0 8086:10d3 e1000e
0000:02:00.0 8086:10d3 e1000e
0000:03:00.0 1b36:0010 nvme
0000:05:01.0 8086:100e e1000
0000:05:02.0 8086:100e e1000
MAP
[ ! -e /sys/module/vfio_pci ] || fail "vfio-pci is loaded already"

say "IOMMU groups"
[ -n "$(ls /sys/kernel/iommu_groups)" ] || fail "/sys/kernel/iommu_groups is empty: no IOMMU"
# Each PCIe endpoint is alone in its group: QEMU's root ports have ACS.
for bdf in 0000:01:00.0 0000:02:00.0 0000:03:00.0; do
    expect_eq "endpoints in the group of $bdf" "$(group_endpoints "$(pci_group "$bdf")" | xargs)" "$bdf"
done
# Conventional PCI behind the PCIe-to-PCI bridge: one group, two endpoints
# (and the bridge itself).
shared=$(pci_group 0000:05:01.0)
expect_eq "endpoints in the group of 0000:05:01.0" "$(group_endpoints "$shared" | xargs)" \
    "0000:05:01.0 0000:05:02.0"
expect_eq "group of the bridge 0000:04:00.0" "$(pci_group 0000:04:00.0)" "$shared"
# The ICH9 functions form a multi-function device without ACS: one group.
ich9=$(pci_group 0000:00:1f.0)
expect_eq "endpoints in the group of 0000:00:1f.0" "$(group_endpoints "$ich9" | xargs)" \
    "0000:00:1f.0 0000:00:1f.2 0000:00:1f.3"

say "SR-IOV on the nvme PF"
pf=$(pci_dev 0000:03:00.0)
expect_eq "sriov_totalvfs of 0000:03:00.0" "$(cat "$pf/sriov_totalvfs")" 4
expect_eq "sriov_numvfs of 0000:03:00.0" "$(cat "$pf/sriov_numvfs")" 0
