#!/bin/sh
# <hd:vfs>: at least N VFs for the domain's lifetime, the PF named by its
# address or by its interface; nothing bound.  Then VFs an administrator
# made at boot (2, autoprobe on: on igbvf): a domain that needs a fourth
# goes through 0, and release brings back exactly the boot's two, on igbvf.
. "$VMTEST_LIB"
. "$VMTEST_SOURCE_DIR/tests/vm/scenarios/sriov-nic/sriov.lib"

expect_pf_as_booted
say "<hd:vfs pf='$PF' count='4'/>"
domain_xml vfs "$(hd_meta "<hd:vfs pf='$PF' count='4'/>")" > /tmp/vfs.xml
prepare_ok vfs < /tmp/vfs.xml
expect_pf 4 0
for vf in "$VF0" "$VF1" "$VF2" "$VF3"; do
    expect_driver "$vf" none
done
release_ok vfs /tmp/vfs.xml
expect_pf_as_booted

netdev=$(pf_netdev)
say "<hd:vfs pf='$netdev' count='2'/>"
domain_xml vfs "$(hd_meta "<hd:vfs pf='$netdev' count='2'/>")" > /tmp/vfs.xml
prepare_ok vfs < /tmp/vfs.xml
expect_pf 2 0
release_ok vfs /tmp/vfs.xml
expect_pf_as_booted

say "the boot's VFs: 2, on igbvf"
sysfs_write 2 "$PF_DIR/sriov_numvfs"
wait_for 20 test -e "$(pci_dev "$VF1")/driver" || fail "igbvf did not take $VF1"
expect_driver "$VF1" igbvf
domain_xml regrow "" "$VF3" > /tmp/regrow.xml
prepare_ok regrow < /tmp/regrow.xml
expect_pf 4 0
expect_driver "$VF3" vfio-pci
expect_driver "$VF0" none
release_ok regrow /tmp/regrow.xml
expect_pf 2 1
wait_for 20 test -e "$(pci_dev "$VF1")/driver" || fail "igbvf did not take $VF1 back"
expect_driver "$VF0" igbvf
expect_driver "$VF1" igbvf

say "enough VFs already: used as they are"
domain_xml used "" "$VF1" > /tmp/used.xml
prepare_ok used < /tmp/used.xml
expect_pf 2 1
expect_driver "$VF1" vfio-pci
expect_driver "$VF0" igbvf
release_ok used /tmp/used.xml
expect_driver "$VF1" igbvf
sysfs_write 0 "$PF_DIR/sriov_numvfs"
expect_pf_as_booted
