#!/bin/sh
# libvirt end to end on the igb PF: a domain whose <interface type='hostdev'
# managed='yes'> and <hostdev managed='no'> name VFs that do not exist
# before `virsh start`.  The hook's prepare makes the PF create them with
# autoprobe off, binds the unmanaged one to vfio-pci and sets its trust,
# and brings the PF's interface up, through which libvirt then sets the
# managed one's MAC and VLAN after detaching it itself; QEMU runs with
# both.  `virsh destroy` leaves the PF as it was: no VFs, autoprobe on, its
# interface down, and no journal.
. "$VMTEST_LIB"
. "$VMTEST_SOURCE_DIR/tests/vm/scenarios/sriov-nic/sriov.lib"

hooks=/etc/libvirt/hooks/qemu.d
[ -x "$hooks/50-hostdev-hook" ] || fail "the hook is built but $hooks/50-hostdev-hook is not installed"
domain=vmtest-sriov
netdev=$(pf_netdev)

cat > /tmp/sriov-domain.xml <<XML
<domain type='qemu'>
  <name>$domain</name>
  <memory unit='MiB'>64</memory>
  <os><type arch='x86_64' machine='q35'>hvm</type></os>
  <metadata>
    <hd:hostdev-hook xmlns:hd='urn:hostdev-hook:1'>
      <hd:device address='$VF1' trust='yes'/>
    </hd:hostdev-hook>
  </metadata>
  <devices>
    <interface type='hostdev' managed='yes'>
      <mac address='52:54:00:6d:90:01'/>
      <source><address type='pci' domain='0x0000' bus='0x02' slot='0x10' function='0x0'/></source>
      <vlan><tag id='42'/></vlan>
    </interface>
    <hostdev mode='subsystem' type='pci' managed='no'>
      <source><address domain='0x0000' bus='0x02' slot='0x10' function='0x2'/></source>
    </hostdev>
  </devices>
</domain>
XML

virsh_or_fail() {
    say "virsh $*"
    virsh -q "$@" || {
        echo "=== syslog (libvirtd and the hook log there)"
        tail -n 40 "$VMTEST_SYSLOG"
        echo "=== /var/log/libvirt/qemu/$domain.log"
        tail -n 20 "/var/log/libvirt/qemu/$domain.log" || true
        fail "virsh $* failed"
    }
}

expect_pf_as_booted
! pf_is_up || fail "$netdev is up before the start"
[ ! -e "$(pci_dev "$VF0")" ] || fail "$VF0 exists before the start"
[ ! -e "$(pci_dev "$VF1")" ] || fail "$VF1 exists before the start"

virsh_or_fail define /tmp/sriov-domain.xml
virsh_or_fail start --paused "$domain"
expect_eq "state of $domain" "$(virsh -q domstate "$domain")" "paused"
expect_pf 2 0
expect_driver "$VF0" vfio-pci
expect_driver "$VF1" vfio-pci
pf_is_up || fail "$netdev is not up while $domain runs"
ip link show "$netdev"
expect_eq "VF 0, set by libvirt" "$(vf_line 0)" \
    "link/ether 52:54:00:6d:90:01 brd ff:ff:ff:ff:ff:ff, vlan 42, spoof checking on, link-state auto, trust off"
expect_eq "VF 1, set by the hook" "$(vf_line 1)" \
    "link/ether 00:00:00:00:00:00 brd ff:ff:ff:ff:ff:ff, spoof checking on, link-state auto, trust on"
"$HOSTDEVCTL" status | tee /tmp/status.txt
grep -q "^$VF1 *$domain .* vfio-pci .* bound$" /tmp/status.txt || fail "status does not show $VF1"
pgrep -f "qemu-system-x86_64 .*-name guest=$domain" > /dev/null || fail "no QEMU runs $domain"

virsh_or_fail destroy "$domain"
expect_pf_as_booted
! pf_is_up || fail "$netdev was left up"
[ ! -e "$(journal_of "$domain")" ] || fail "the journal outlived the domain"
expect_eq "status after destroy" "$("$HOSTDEVCTL" status)" "no devices are lent to domains"
virsh_or_fail undefine "$domain"
