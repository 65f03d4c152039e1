#!/bin/sh
# A narrated tour of hostdev-hook in the libvirt guest, for
# `vmtest --flavour libvirt --demo`: a domain with two NICs passed through
# is defined, started and destroyed, and the NICs end up on their own
# driver again.  Nobody touches sysfs by hand: the hook does it all.
. "$VMTEST_LIB"

domain=demo
nics="0000:01:00.0 0000:02:00.0"

step() {
    printf '\n==> %s\n' "$*"
}

# Echo a command line, then run it.
run() {
    printf '$ %s\n' "$*"
    "$@"
}

show_nics() {
    for nic in $nics; do
        printf '    %s  %s  driver=%-9s iommu_group=%s\n' \
            "$nic" "$(pci_id "$nic")" "$(pci_driver "$nic")" "$(pci_group "$nic")"
    done
}

step "This machine: Debian's kernel $(uname -r) and libvirt $(virsh -q version --daemon | sed -n 's/^Running against daemon: //p')"
show_nics

step "hostdev-hook is installed where libvirt looks for hooks"
run ls -l /etc/libvirt/hooks/qemu.d/

step "A domain that passes both NICs through (managed='no': libvirt leaves binding to the hook)"
cat > /tmp/demo.xml <<XML
<domain type='qemu'>
  <name>$domain</name>
  <memory unit='MiB'>64</memory>
  <os><type arch='x86_64' machine='q35'>hvm</type></os>
  <devices>
    <hostdev mode='subsystem' type='pci' managed='no'>
      <source><address domain='0x0000' bus='0x01' slot='0x00' function='0x0'/></source>
    </hostdev>
    <hostdev mode='subsystem' type='pci' managed='no'>
      <source><address domain='0x0000' bus='0x02' slot='0x00' function='0x0'/></source>
    </hostdev>
  </devices>
</domain>
XML
cat /tmp/demo.xml
run virsh define /tmp/demo.xml

step "Start the domain (paused: it has no OS, but QEMU holds the devices); the hook binds them on 'prepare'"
run virsh start --paused "$domain"
show_nics

step "What libvirt's calls made the hook say"
grep -E ' hostdev-hook(\[[0-9]+\])?: ' "$VMTEST_SYSLOG" || echo "    (nothing yet)"

step "hostdevctl status: what the hook lent to which domain"
run hostdevctl status

step "Destroy the domain"
run virsh destroy "$domain"

step "The hook gave them back on 'release': each NIC is on its original driver"
show_nics
run hostdevctl status
run virsh undefine "$domain"
