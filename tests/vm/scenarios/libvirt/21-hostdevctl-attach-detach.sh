#!/bin/sh
# Hot-plug through hostdevctl (libvirt runs no hook on attach-device): a
# running (paused) domain that holds one NIC gets a managed='no' e1000e with
# `hostdevctl attach`, which binds it to vfio-pci as prepare would and
# attaches it through libvirt; `hostdevctl detach` takes it out, waits for
# the guest to let go and puts it back on e1000e.  Then attaches that are
# refused -- by libvirt after our checks passed, and by us for a device the
# domain already has -- leave the host exactly as it was.
. "$VMTEST_LIB"

domain=vmtest-hotplug
held=0000:01:00.0
nic=0000:02:00.0
journal=$(journal_of "$domain")

# q35 hot-plugs only into a free PCIe root port, and libvirt puts $held,
# the USB controller and the balloon on ports of their own: no USB or
# balloon, and root ports to spare
ports="<controller type='usb' model='none'/><memballoon model='none'/>"
ports="$ports<controller type='pci' index='0' model='pcie-root'/>"
for index in 1 2 3 4; do
    ports="$ports<controller type='pci' index='$index' model='pcie-root-port'/>"
done
# q35 (since QEMU 6.1) hot-plugs through ACPI, and an ACPI unplug waits for
# the guest's OS to eject the device, which a paused guest never does.
# Native PCIe hot-plug unplugs at once from a slot the guest never powered
# on, as a real slot without a driver does.
native="<qemu:commandline><qemu:arg value='-global'/>"
native="$native<qemu:arg value='ICH9-LPC.acpi-pci-hotplug-with-bridge-support=off'/></qemu:commandline>"
domain_xml "$domain" "" $held |
    sed "s|<domain type='kvm'>|<domain type='qemu' xmlns:qemu='http://libvirt.org/schemas/domain/qemu/1.0'><memory unit='MiB'>64</memory><os><type arch='x86_64' machine='q35'>hvm</type></os>|
         s|<devices>|<devices>$ports|
         s|</devices>|</devices>$native|" \
    > /tmp/hotplug.xml
hostdev() {
    echo "<hostdev mode='subsystem' type='pci' managed='no'><source><address domain='0x0000' bus='0x$1'" \
         "slot='0x00' function='0x0'/></source>$2</hostdev>"
}
hostdev 02 "" > /tmp/nic.xml
# 00:1f.0 is q35's LPC bridge: libvirt refuses the guest address, after
# every check of ours has passed and the NIC is bound
hostdev 02 "<address type='pci' domain='0x0000' bus='0x00' slot='0x1f' function='0x0'/>" > /tmp/nic-taken-slot.xml
hostdev 01 "" > /tmp/held.xml
# how virsh dumpxml shows a hostdev's source, not its guest address
source_of() {
    echo "<address domain='0x0000' bus='0x$1' slot='0x00' function='0x0'/>"
}

# the host as it is before each attach: drivers, overrides, journal
host_state() {
    local bdf
    for bdf in $held $nic; do
        echo "$bdf $(pci_driver "$bdf") $(cat "$(pci_dev "$bdf")/driver_override")"
    done
    sha256sum "$journal"
}

virsh -q define /tmp/hotplug.xml
say "virsh start --paused $domain"
virsh -q start --paused "$domain" || { tail -n 20 "$VMTEST_SYSLOG"; fail "virsh start failed"; }
expect_driver "$held" vfio-pci
expect_driver "$nic" e1000e

say "hostdevctl attach $domain nic.xml"
hostdevctl attach "$domain" /tmp/nic.xml | tee /tmp/attach.out
grep -qx "$domain: $nic: attached, on vfio-pci" /tmp/attach.out || fail "attach did not say what it did"
expect_driver "$nic" vfio-pci
expect_driver "$held" vfio-pci
virsh dumpxml "$domain" > /tmp/live.xml
grep -qF "$(source_of 02)" /tmp/live.xml || fail "virsh dumpxml does not show the attached hostdev"
expect_eq "journal entries for $nic" "$(grep -c "\"$nic\"" "$journal")" 1
hostdevctl status | tee /tmp/status.txt
for bdf in $held $nic; do
    grep -q "^$bdf *$domain .* vfio-pci .* e1000e .* bound$" /tmp/status.txt || fail "status does not show $bdf"
done

# by UUID this time: the journal's owner is still libvirt's name
uuid=$(virsh domuuid "$domain")
say "hostdevctl detach $uuid nic.xml"
hostdevctl detach --timeout 60 "$uuid" /tmp/nic.xml | tee /tmp/detach.out
grep -qx "$domain: $nic: detached, back on e1000e" /tmp/detach.out || fail "detach did not say what it did"
expect_restored "$nic" e1000e
expect_driver "$held" vfio-pci
virsh dumpxml "$domain" > /tmp/live.xml
! grep -qF "$(source_of 02)" /tmp/live.xml || fail "the guest still has $nic"
grep -qF "$(source_of 01)" /tmp/live.xml || fail "the guest lost $held"
expect_eq "journal entries for $nic" "$(grep -c "\"$nic\"" "$journal")" 0
expect_eq "journal entries for $held" "$(grep -c "\"$held\"" "$journal")" 1

# refused_attach XML REASON: exit 1, our one line, and the host unchanged
refused_attach() {
    local before status=0
    before=$(host_state)
    hostdevctl attach "$domain" "$1" 2> /tmp/attach.err || status=$?
    cat /tmp/attach.err
    expect_eq "status of the refused attach" "$status" 1
    expect_eq "lines on stderr" "$(wc -l < /tmp/attach.err)" 1
    grep -qF "hostdevctl: $domain: $2" /tmp/attach.err || fail "attach did not say '$2'"
    expect_eq "host after the refused attach" "$(host_state)" "$before"
    expect_restored "$nic" e1000e
}

say "an attach libvirt refuses"
refused_attach /tmp/nic-taken-slot.xml "$nic: libvirt refused to attach it: "
grep -qF "; the host is as it was" /tmp/attach.err || fail "attach did not say the host is as it was"
# it was bound while libvirt was asked, and put back after: the syslog shows both
grep -q "hostdevctl.*bound to vfio-pci (was e1000e)" "$VMTEST_SYSLOG" || fail "the syslog does not show the bind"

say "an attach of the device the domain holds"
refused_attach /tmp/held.xml "$held: already lent to $domain by hostdev-hook; detach it first (hostdevctl detach)"
expect_driver "$held" vfio-pci

say "hostdevctl attach --config $domain nic.xml: the definition only"
hostdevctl attach --config "$domain" /tmp/nic.xml | tee /tmp/attach.out
grep -qx "$domain: $nic: added to the definition; hostdev-hook binds it at the next start" /tmp/attach.out ||
    fail "attach --config did not say what it did"
expect_restored "$nic" e1000e
virsh dumpxml --inactive "$domain" | grep -qF "$(source_of 02)" || fail "the definition does not have $nic"
! virsh dumpxml "$domain" | grep -qF "$(source_of 02)" || fail "the running guest has $nic"
hostdevctl detach --config "$domain" /tmp/nic.xml
! virsh dumpxml --inactive "$domain" | grep -qF "$(source_of 02)" || fail "the definition still has $nic"

say "virsh destroy $domain"
virsh -q destroy "$domain"
expect_restored "$held" e1000e
expect_restored "$nic" e1000e
[ ! -e "$journal" ] || fail "the journal outlived the domain"
virsh -q undefine "$domain"
