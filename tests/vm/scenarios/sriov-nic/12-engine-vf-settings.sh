#!/bin/sh
# VF settings from our metadata, made through the PF over netlink and read
# back with `ip link show PF`; release writes back only what was changed.
# For a hostdev interface the PF must be up for libvirt: brought up, and
# down again on release.  igb has no link-state: refused, and what was set
# before it is undone.  A PF found up stays up, and with its link up igb
# takes a max tx rate (creating VFs resets igb's link: the VF is made
# first, by hand, and the link waited for).
. "$VMTEST_LIB"
. "$VMTEST_SOURCE_DIR/tests/vm/scenarios/sriov-nic/sriov.lib"

expect_pf_as_booted
netdev=$(pf_netdev)
settings="<hd:device address='$VF1' mac='52:54:00:12:34:56' vlan='42' trust='yes' spoofchk='no'/>"
domain_xml settings "$(hd_meta "$settings")" "$VF1" > /tmp/settings.xml

say "prepare: $settings"
prepare_ok settings < /tmp/settings.xml
expect_driver "$VF1" vfio-pci
ip link show "$netdev"
expect_vf_line 1 "link/ether 52:54:00:12:34:56 brd ff:ff:ff:ff:ff:ff, vlan 42, spoof checking off, link-state auto, trust on"
expect_vf_line 0 "$VF_DEFAULT"
! pf_is_up || fail "$netdev was brought up for a plain hostdev"
release_ok settings /tmp/settings.xml
expect_pf_as_booted

say "an interface: $netdev brought up for libvirt, and down again"
interface_xml iface "$(hd_meta "<hd:device address='$VF0' trust='yes'/>")" no "$VF0" > /tmp/iface.xml
prepare_ok iface < /tmp/iface.xml
ip link show "$netdev"
pf_is_up || fail "$netdev is not up"
expect_vf_line 0 "link/ether 00:00:00:00:00:00 brd ff:ff:ff:ff:ff:ff, spoof checking on, link-state auto, trust on"
release_ok iface /tmp/iface.xml
! pf_is_up || fail "$netdev was left up"
expect_pf_as_booted

say "link-state, which igb cannot set: refused, trust undone"
domain_xml nostate "$(hd_meta "<hd:device address='$VF1' trust='yes' link-state='disable'/>")" "$VF1" \
    > /tmp/nostate.xml
if hook nostate prepare begin < /tmp/nostate.xml; then
    fail "prepare with link-state succeeded on igb"
fi
case "$HOOK_ERR" in
    *"cannot set link-state"*"remove link-state from the domain's hostdev-hook metadata"*) ;;
    *) fail "unexpected refusal: $HOOK_ERR" ;;
esac
[ ! -e "$(journal_of nostate)" ] || fail "a refused start left a journal"
expect_pf_as_booted

say "a PF found up stays up; a max tx rate on its link"
sysfs_write 1 "$PF_DIR/sriov_numvfs"
ip link set "$netdev" up
wait_for 20 sh -c "ip link show $netdev | grep -q LOWER_UP" || fail "$netdev has no carrier"
domain_xml rate "$(hd_meta "<hd:device address='$VF0' max-tx-rate='100'/>")" "$VF0" > /tmp/rate.xml
# igbvf gave VF 0 a random MAC: what follows it is what is compared
settings_of_vf0() {
    vf_line 0 | sed 's/^link\/ether [^ ]* brd [^ ]* //'
}
expect_eq "VF 0 on igbvf" "$(settings_of_vf0)" "spoof checking on, link-state auto, trust off"
prepare_ok rate < /tmp/rate.xml
expect_driver "$VF0" vfio-pci
expect_eq "VF 0 with a rate" "$(settings_of_vf0)" \
    "tx rate 100 (Mbps), max_tx_rate 100Mbps, spoof checking on, link-state auto, trust off"
release_ok rate /tmp/rate.xml
expect_eq "VF 0 after release" "$(settings_of_vf0)" "spoof checking on, link-state auto, trust off"
pf_is_up || fail "$netdev, found up, was put down"
ip link set "$netdev" down
sysfs_write 0 "$PF_DIR/sriov_numvfs"
expect_pf_as_booted
