#!/bin/sh
# Starting state of the sriov-nic guest (QEMU 10): an e1000e and an igb
# (82576) PF on their drivers, each alone in its IOMMU group, and the PF's
# seven VFs not yet enabled.
. "$VMTEST_LIB"

say "device map and drivers"
expect_devices <<MAP
0000:01:00.0 8086:10d3 e1000e
0000:02:00.0 8086:10c9 igb
MAP
[ ! -e /sys/module/vfio_pci ] || fail "vfio-pci is loaded already"

say "IOMMU groups"
[ -n "$(ls /sys/kernel/iommu_groups)" ] || fail "/sys/kernel/iommu_groups is empty: no IOMMU"
for bdf in 0000:01:00.0 0000:02:00.0; do
    expect_eq "endpoints in the group of $bdf" "$(group_endpoints "$(pci_group "$bdf")" | xargs)" "$bdf"
done

say "SR-IOV on the igb PF"
pf=$(pci_dev 0000:02:00.0)
expect_eq "sriov_totalvfs of 0000:02:00.0" "$(cat "$pf/sriov_totalvfs")" 7
expect_eq "sriov_numvfs of 0000:02:00.0" "$(cat "$pf/sriov_numvfs")" 0
