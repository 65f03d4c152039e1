#!/bin/sh
# A prepare that fails leaves the host exactly as it was.  A missing device
# in the middle of the list is refused before anything changes.  A bind that
# fails after earlier devices were bound rolls them back: pcieport is
# built in and refuses an endpoint in probe() without touching it, so asking
# for it makes the second device's bind fail for real, on a real kernel.
. "$VMTEST_LIB"

say "a missing device in the middle"
domain_xml engine4 "" 0000:01:00.0 0000:09:00.0 0000:02:00.0 > /tmp/engine4.xml
if hook engine4 prepare begin < /tmp/engine4.xml; then
    fail "prepare accepted a missing device"
fi
expect_eq "the refusal" "$HOOK_ERR" "hostdev-hook: engine4: 0000:09:00.0: no such PCI device on this host"
expect_restored 0000:01:00.0 e1000e
expect_restored 0000:02:00.0 e1000e

say "a driver that is no stub is refused before any module is loaded"
domain_xml engine4 "$(hd_meta "<hd:device address='0000:01:00.0' driver='nvme'/>")" 0000:01:00.0 > /tmp/engine4.xml
if hook engine4 prepare begin < /tmp/engine4.xml; then
    fail "prepare accepted driver='nvme' for a NIC"
fi
case "$HOOK_ERR" in
    "hostdev-hook: engine4: 0000:01:00.0: vfio-pci: driver 'nvme' is not a VFIO driver: "*) ;;
    *) fail "unexpected refusal: $HOOK_ERR" ;;
esac
expect_restored 0000:01:00.0 e1000e

say "a bind that fails after another succeeded"
policy_with_timeout 500
domain_xml engine4 "$(hd_meta "<hd:device address='0000:02:00.0' driver='pcieport'/>")" \
    0000:01:00.0 0000:03:00.0 0000:02:00.0 > /tmp/engine4.xml
if hook engine4 prepare begin < /tmp/engine4.xml; then
    fail "prepare succeeded binding an endpoint to pcieport"
fi
expect_eq "the failure" "$HOOK_ERR" \
    "hostdev-hook: engine4: 0000:02:00.0: pcieport did not take the device within 500 ms (driver now: none)"
expect_restored 0000:01:00.0 e1000e
expect_restored 0000:03:00.0 nvme
expect_restored 0000:02:00.0 e1000e
[ ! -e "$(journal_of engine4)" ] || fail "a rolled-back prepare left a journal"
