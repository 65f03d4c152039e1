#!/bin/sh
# The hook killed (SIGKILL, by the test build's HOSTDEV_HOOK_FAULT=kill:N)
# just before each write of a prepare that regrows the PF (the boot's 2
# VFs, on igbvf, to 4) and binds VF 3: the journal says how far it got,
# and `hostdevctl recover` gives the PF back its 2 VFs on igbvf, autoprobe
# on.  Writes: sriov_numvfs 0, autoprobe 0, sriov_numvfs 4,
# driver_override, drivers_probe.
. "$VMTEST_LIB"
. "$VMTEST_SOURCE_DIR/tests/vm/scenarios/sriov-nic/sriov.lib"

expect_pf_as_booted
sysfs_write 2 "$PF_DIR/sriov_numvfs"
wait_for 20 test -e "$(pci_dev "$VF1")/driver" || fail "igbvf did not take $VF1"
domain_xml killed "" "$VF3" > /tmp/killed.xml
journal=$(journal_of killed)

for n in 1 2 3 4 5; do
    say "killed before write $n"
    status=0
    HOSTDEV_HOOK_FAULT=kill:$n "$HOOK" killed prepare begin - < /tmp/killed.xml > /dev/null 2>&1 || status=$?
    expect_eq "exit status of the killed hook" "$status" 137
    [ -e "$journal" ] || fail "no journal after a kill before write $n"
    say "left at: $(grep '"step"' "$journal" | xargs)"
    "$HOSTDEVCTL" recover killed || fail "recover after a kill before write $n failed"
    [ ! -e "$journal" ] || fail "recover left the journal"
    expect_pf 2 1
    wait_for 20 test -e "$(pci_dev "$VF1")/driver" || fail "igbvf did not take $VF1 back"
    expect_driver "$VF0" igbvf
    expect_driver "$VF1" igbvf
    [ ! -e "$PF_DIR/virtfn2" ] || fail "VF 2 outlived the recovery"
done

say "and a whole prepare, then recover as after a crash of the host's libvirtd"
prepare_ok killed < /tmp/killed.xml
expect_driver "$VF3" vfio-pci
"$HOSTDEVCTL" recover killed || fail "recover of a finished prepare failed"
expect_pf 2 1
sysfs_write 0 "$PF_DIR/sriov_numvfs"
expect_pf_as_booted
