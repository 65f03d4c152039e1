#!/bin/sh
# A NIC the host is using is not taken: with an address, or carrying a
# route, prepare refuses it with the reason and changes nothing; the
# domain's force='yes' takes it anyway, and release gives it back.
. "$VMTEST_LIB"

nic=0000:01:00.0
ifname=$(ls "$(pci_dev "$nic")/net")
domain_xml engine6 "" "$nic" > /tmp/engine6.xml
advice="set force='yes' in the domain's hostdev-hook metadata to take it anyway"

refused_because() {
    if hook engine6 prepare begin < /tmp/engine6.xml; then
        fail "prepare took $nic although $1"
    fi
    expect_eq "the refusal" "$HOOK_ERR" \
        "hostdev-hook: engine6: $nic: in use by the host: network interface $ifname $1; $advice"
    expect_restored "$nic" e1000e
    [ ! -e "$(journal_of engine6)" ] || fail "a refused prepare left a journal"
}

say "$ifname with an address"
ip link set "$ifname" up
ip addr add 192.0.2.1/24 dev "$ifname"
refused_because "has address 192.0.2.1/24"

say "$ifname carrying a route, no address"
ip addr flush dev "$ifname"
ip route add 198.51.100.0/24 dev "$ifname"
refused_because "carries a route to 198.51.100.0/24"

say "force='yes'"
domain_xml engine6 "$(hd_meta "<hd:device address='$nic' force='yes'/>")" "$nic" > /tmp/engine6.xml
hook engine6 prepare begin < /tmp/engine6.xml || fail "a forced prepare failed: $HOOK_ERR"
expect_driver "$nic" vfio-pci
hook engine6 release end < /tmp/engine6.xml || fail "release failed"
expect_restored "$nic" e1000e
