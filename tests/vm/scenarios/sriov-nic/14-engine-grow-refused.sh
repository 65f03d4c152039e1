#!/bin/sh
# Growing a PF's VF count goes through 0, which would pull VF 0 from under
# the domain that has it: a second domain asking for VF 2 is refused with
# one line naming VF 0, before anything changes.
. "$VMTEST_LIB"
. "$VMTEST_SOURCE_DIR/tests/vm/scenarios/sriov-nic/sriov.lib"

expect_pf_as_booted
domain_xml holder "" "$VF0" > /tmp/holder.xml
domain_xml grower "" "$VF2" > /tmp/grower.xml
prepare_ok holder < /tmp/holder.xml
expect_pf 1 0

say "the second domain asks for $VF2"
if hook grower prepare begin < /tmp/grower.xml; then
    fail "growing the PF under a VF in use succeeded"
fi
expect_eq "the refusal" "$HOOK_ERR" "hostdev-hook: grower: $VF2: sriov: growing $PF from 1 to 3 virtual functions goes through 0, which would remove $VF0, in use (lent to domain 'holder') (EBUSY): stop its user first, or ask only for VFs that exist"
[ ! -e "$(journal_of grower)" ] || fail "a refused start left a journal"
expect_pf 1 0
expect_driver "$VF0" vfio-pci

release_ok holder /tmp/holder.xml
expect_pf_as_booted
