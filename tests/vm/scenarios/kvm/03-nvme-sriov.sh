#!/bin/sh
# SR-IOV on the nvme PF at 03:00.0, by hand: with sriov_drivers_autoprobe
# off, writing sriov_numvfs creates VFs that no driver claims -- the state
# in which the engine would take them -- each in an IOMMU group of its own.
# Writing 0 removes them again.
. "$VMTEST_LIB"

pf=0000:03:00.0
dev=$(pci_dev "$pf")
expect_driver "$pf" nvme

sysfs_write 0 "$dev/sriov_drivers_autoprobe"
sysfs_write 4 "$dev/sriov_numvfs"
groups=$(pci_group "$pf")
for n in 0 1 2 3; do
    [ -e "$dev/virtfn$n" ] || fail "no virtfn$n after enabling 4 VFs"
    vf=$(basename "$(readlink "$dev/virtfn$n")")
    expect_eq "BDF of VF $n" "$vf" "0000:03:00.$((n + 1))"
    expect_eq "ID of $vf" "$(pci_id "$vf")" 1b36:0010
    expect_driver "$vf" none
    group=$(pci_group "$vf")
    expect_eq "endpoints in the group of $vf" "$(group_endpoints "$group" | xargs)" "$vf"
    case " $groups " in
        *" $group "*) fail "$vf shares IOMMU group $group" ;;
    esac
    groups="$groups $group"
    say "VF $n: $vf, unbound, IOMMU group $group"
done

sysfs_write 0 "$dev/sriov_numvfs"
[ ! -e "$dev/virtfn0" ] || fail "VFs still present after writing 0"
expect_eq "functions on bus 03" "$(cd /sys/bus/pci/devices && echo 0000:03:*)" "$pf"
sysfs_write 1 "$dev/sriov_drivers_autoprobe"
expect_driver "$pf" nvme
