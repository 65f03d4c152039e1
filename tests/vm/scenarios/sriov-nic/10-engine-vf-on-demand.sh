#!/bin/sh
# A domain names a VF that does not exist: prepare makes the PF create
# VFs up to it with sriov_drivers_autoprobe off, so none meets igbvf, and
# binds that one to vfio-pci; release gives the PF back its count (0) and
# autoprobe (1).
. "$VMTEST_LIB"
. "$VMTEST_SOURCE_DIR/tests/vm/scenarios/sriov-nic/sriov.lib"

expect_pf_as_booted
[ ! -e "$(pci_dev "$VF2")" ] || fail "$VF2 exists before the start"
domain_xml ondemand "" "$VF2" > /tmp/ondemand.xml

say "prepare: $VF2 is VF 2 of $PF"
prepare_ok ondemand < /tmp/ondemand.xml
expect_pf 3 0
expect_driver "$VF2" vfio-pci
expect_driver "$VF0" none
expect_driver "$VF1" none
test -c "/dev/vfio/$(pci_group "$VF2")" || fail "no /dev/vfio node for $VF2"
"$HOSTDEVCTL" status | tee /tmp/status.txt
grep -q "^$VF2 *ondemand .* vfio-pci .* bound$" /tmp/status.txt || fail "status does not show $VF2 bound"

say "release"
release_ok ondemand /tmp/ondemand.xml
expect_pf_as_booted
expect_eq "status after release" "$("$HOSTDEVCTL" status)" "no devices are lent to domains"
