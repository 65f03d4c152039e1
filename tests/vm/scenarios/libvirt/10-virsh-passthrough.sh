#!/bin/sh
# The first real job: `virsh start` of a domain with two managed='no'
# hostdevs works without anyone touching sysfs.  The installed hook binds
# both NICs to vfio-pci on prepare, QEMU runs with them, `hostdevctl status`
# lists them, and after `virsh destroy` both are back on e1000e with an
# empty journal.
. "$VMTEST_LIB"

domain=vmtest-passthrough
nics="0000:01:00.0 0000:02:00.0"
domain_xml "$domain" "" $nics | sed "s|<domain type='kvm'>|<domain type='qemu'><memory unit='MiB'>64</memory><os><type arch='x86_64' machine='q35'>hvm</type></os>|" \
    > /tmp/passthrough.xml

virsh -q define /tmp/passthrough.xml
say "virsh start --paused $domain"
virsh -q start --paused "$domain" || { tail -n 20 "$VMTEST_SYSLOG"; fail "virsh start failed"; }
expect_eq "state of $domain" "$(virsh -q domstate "$domain")" "paused"
for nic in $nics; do
    expect_driver "$nic" vfio-pci
done
hostdevctl status | tee /tmp/status.txt
for nic in $nics; do
    grep -q "^$nic *$domain .* vfio-pci .* e1000e .* bound$" /tmp/status.txt || fail "status does not show $nic"
done

say "virsh destroy $domain"
virsh -q destroy "$domain"
for nic in $nics; do
    expect_restored "$nic" e1000e
done
[ ! -e "/run/hostdev-hook/$domain.journal" ] || fail "the journal outlived the domain"
expect_eq "status after destroy" "$(hostdevctl status)" "no devices are lent to domains"
virsh -q undefine "$domain"
