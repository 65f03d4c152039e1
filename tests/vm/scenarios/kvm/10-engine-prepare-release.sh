#!/bin/sh
# The engine on a real kernel: prepare binds two e1000e, an nvme and the two
# e1000 of the bridge's shared IOMMU group to vfio-pci, journals them and
# makes /dev/vfio/GROUP appear; release puts each back on the driver it had
# (e1000e, nvme, e1000) with driver_override cleared and drops the journal;
# a second release finds nothing to do.
. "$VMTEST_LIB"

devices="0000:01:00.0 0000:02:00.0 0000:03:00.0 0000:05:01.0 0000:05:02.0"
domain_xml engine1 "" $devices > /tmp/engine1.xml

say "prepare"
hook engine1 prepare begin < /tmp/engine1.xml || fail "prepare failed: $HOOK_ERR"
for bdf in $devices; do
    expect_driver "$bdf" vfio-pci
    test -c "/dev/vfio/$(pci_group "$bdf")" || fail "no /dev/vfio/$(pci_group "$bdf") for $bdf"
done
test -f "$(journal_of engine1)" || fail "no journal after prepare"
"$HOSTDEVCTL" status > /tmp/status.txt
cat /tmp/status.txt
for bdf in $devices; do
    grep -q "^$bdf *engine1 .* vfio-pci .* bound$" /tmp/status.txt || fail "status does not show $bdf bound"
done

say "release"
hook engine1 release end < /tmp/engine1.xml || fail "release failed: $HOOK_ERR"
expect_restored 0000:01:00.0 e1000e
expect_restored 0000:02:00.0 e1000e
expect_restored 0000:03:00.0 nvme
expect_restored 0000:05:01.0 e1000
expect_restored 0000:05:02.0 e1000
[ ! -e "$(journal_of engine1)" ] || fail "the journal outlived release"
expect_eq "status after release" "$("$HOSTDEVCTL" status)" "no devices are lent to domains"

say "release again, and release without prepare"
hook engine1 release end < /tmp/engine1.xml || fail "a second release failed"
hook never-prepared release end < /tmp/engine1.xml || fail "release without prepare failed"
