#!/bin/sh
# SR-IOV on the igb PF at 02:00.0 as a host does it: with autoprobe on (the
# default), the VFs that sriov_numvfs creates are claimed by igbvf, which
# udev loads for them.  The 82576 places its VFs at routing ID offset 0x80,
# stride 2: 02:10.0, 02:10.2 ... 02:11.4.  Each VF is alone in its IOMMU
# group.  Writing 0 removes them again.
. "$VMTEST_LIB"

pf=0000:02:00.0
dev=$(pci_dev "$pf")
expect_driver "$pf" igb
expect_eq "sriov_drivers_autoprobe of $pf" "$(cat "$dev/sriov_drivers_autoprobe")" 1

sysfs_write 7 "$dev/sriov_numvfs"
groups=$(pci_group "$pf")
n=0
for expected in 0000:02:10.0 0000:02:10.2 0000:02:10.4 0000:02:10.6 \
                0000:02:11.0 0000:02:11.2 0000:02:11.4; do
    [ -e "$dev/virtfn$n" ] || fail "no virtfn$n after enabling 7 VFs"
    vf=$(basename "$(readlink "$dev/virtfn$n")")
    expect_eq "BDF of VF $n" "$vf" "$expected"
    expect_eq "ID of $vf" "$(pci_id "$vf")" 8086:10ca
    wait_for 20 test -e "$(pci_dev "$vf")/driver" || fail "no driver claimed $vf"
    expect_driver "$vf" igbvf
    group=$(pci_group "$vf")
    expect_eq "endpoints in the group of $vf" "$(group_endpoints "$group" | xargs)" "$vf"
    case " $groups " in
        *" $group "*) fail "$vf shares IOMMU group $group" ;;
    esac
    groups="$groups $group"
    say "VF $n: $vf on igbvf, IOMMU group $group"
    n=$((n + 1))
done

sysfs_write 0 "$dev/sriov_numvfs"
[ ! -e "$dev/virtfn0" ] || fail "VFs still present after writing 0"
expect_driver "$pf" igb
