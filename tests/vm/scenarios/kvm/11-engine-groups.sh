#!/bin/sh
# IOMMU groups on a real kernel: asking for one e1000 of the bridge's group
# is refused, naming the other and its driver, and changes nothing; with
# take-group='yes' both are bound, and both come back on release.  A device
# found on vfio-pci is used as found and left there.
. "$VMTEST_LIB"

say "one function of a shared group"
domain_xml engine2 "" 0000:05:01.0 > /tmp/engine2.xml
if hook engine2 prepare begin < /tmp/engine2.xml; then
    fail "prepare accepted half an IOMMU group"
fi
group=$(pci_group 0000:05:01.0)
expect_eq "the refusal" "$HOOK_ERR" \
    "hostdev-hook: engine2: 0000:05:01.0: IOMMU group $group is not viable: 0000:05:02.0 (e1000) still serves the host; ask for it too, or set take-group='yes' in the domain's hostdev-hook metadata"
expect_restored 0000:05:01.0 e1000
expect_restored 0000:05:02.0 e1000
[ ! -e "$(journal_of engine2)" ] || fail "a refused prepare left a journal"

say "take-group='yes'"
domain_xml engine2 "$(hd_meta "<hd:device address='0000:05:01.0' take-group='yes'/>")" 0000:05:01.0 \
    > /tmp/engine2.xml
hook engine2 prepare begin < /tmp/engine2.xml || fail "prepare with take-group failed: $HOOK_ERR"
expect_driver 0000:05:01.0 vfio-pci
expect_driver 0000:05:02.0 vfio-pci
hook engine2 release end < /tmp/engine2.xml || fail "release failed"
expect_restored 0000:05:01.0 e1000
expect_restored 0000:05:02.0 e1000

say "a device already on vfio-pci"
bind_by_hand 0000:02:00.0 vfio-pci
domain_xml engine3 "" 0000:02:00.0 > /tmp/engine3.xml
hook engine3 prepare begin < /tmp/engine3.xml || fail "prepare failed: $HOOK_ERR"
"$HOSTDEVCTL" status | grep -q "^0000:02:00.0 .*bound (found that way)" || fail "status does not say found"
hook engine3 release end < /tmp/engine3.xml || fail "release failed"
expect_driver 0000:02:00.0 vfio-pci
restore_by_hand 0000:02:00.0
expect_restored 0000:02:00.0 e1000e
