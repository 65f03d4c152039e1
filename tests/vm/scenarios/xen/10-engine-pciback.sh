#!/bin/sh
# The engine in a real Xen dom0: a type='xen' domain's managed='no' hostdev
# is bound to pciback through driver_override (pciback seizes a device whose
# override names it), journalled, and given back to e1000e on release.
# Called as libvirt's libxl driver calls it, from a libxl.d path.
. "$VMTEST_LIB"

nic=0000:02:00.0
hooks=$(mktemp -d)
mkdir "$hooks/libxl.d"
ln -s "$HOOK" "$hooks/libxl.d/50-hostdev-hook"
HOOK="$hooks/libxl.d/50-hostdev-hook"
domain_xml xen1 "" "$nic" | sed "s|<domain type='kvm'>|<domain type='xen'>|" > /tmp/xen1.xml

say "prepare"
hook xen1 prepare begin < /tmp/xen1.xml || fail "prepare failed: $HOOK_ERR"
expect_driver "$nic" pciback
json_has "$(journal_of xen1)" target_driver '"pciback"' || fail "the journal does not record pciback"

say "release"
hook xen1 release end < /tmp/xen1.xml || fail "release failed: $HOOK_ERR"
expect_restored "$nic" e1000e
[ ! -e "$(journal_of xen1)" ] || fail "the journal outlived release"

say "a kvm domain through libxl.d is refused"
domain_xml kvm1 "" "$nic" > /tmp/kvm1.xml
if hook kvm1 prepare begin < /tmp/kvm1.xml; then
    fail "libxl.d accepted a kvm domain"
fi
expect_restored "$nic" e1000e
rm -r "$hooks"
