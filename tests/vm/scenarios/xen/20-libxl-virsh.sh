#!/bin/sh
# libvirt's libxl driver runs the installed hook: `virsh -c xen:///system
# start` of a PV domain with a managed='no' hostdev, the e1000e at 01:00.0.
# Our hook must bind it to pciback on `prepare begin`, and once libvirt has
# called `release end` the device and pciback must be exactly as before:
# the NIC's driver and driver_override, pciback's slots, permissive and
# quirks lists, and no journal left.
#
# What libvirt 9.0's libxl driver does here (seen in this guest; it matches
# libxlDomainStart() in src/libxl/libxl_domain.c):
#   1. libxlDomainStartPrepare(): `prepare begin` (our hook binds the NIC to
#      pciback and journals it), then virHostdevPrepareDomainDevices(), which
#      for managed='no' only checks that the device is on pciback;
#   2. libxlDomainStartPerform(): `start begin`, then libxl_domain_create_new().
#      This guest has no IOMMU, so Xen cannot assign devices and libxl
#      refuses the domain: virsh says "libxenlight failed to create new
#      domain" (libxl's own reason is in /var/log/libvirt/libxl/).  No domain
#      can start here, so this is the path the scenario walks; should one
#      ever start, it is destroyed and the same state is checked after that;
#   3. a failure in step 2 goes through libxlDomainCleanup(): `stopped end`,
#      libvirt's own re-attach (nothing for managed='no'), `release end`.
# So libvirt 9.0 DOES call release after a failed libxl start, and our
# release puts the device back.  Only a failure inside step 1 (the prepare
# hook itself refusing, or libvirt's hostdev checks after it) ends the start
# without `stopped` and `release`: a device the hook bound then stays bound,
# journalled, until `hostdevctl recover` (see the kvm flavour's 13-*).
. "$VMTEST_LIB"

[ -x "$VMTEST_BUILD_DIR/hook/hostdev-hook" ] || skip "hook not built"
hooks=/etc/libvirt/hooks/libxl.d
[ -x "$hooks/50-hostdev-hook" ] || fail "the hook is built but $hooks/50-hostdev-hook is not installed"

uri=xen:///system
domain=vmtest-libxl
nic=0000:01:00.0
dev=$(pci_dev "$nic")
back=/sys/bus/pci/drivers/pciback
journal=/run/hostdev-hook/$domain.journal
work=$(mktemp -d)
spy=$work/spy

# Everything "exactly as before" covers, one item per line.
# shellcheck disable=SC3043
device_state() {
    local f
    echo "driver: $(pci_driver "$nic")"
    echo "driver_override: $(cat "$dev/driver_override")"
    if [ -d "$back" ]; then
        for f in slots permissive quirks; do
            sed "s/^/pciback $f: /" "$back/$f"
        done
    else
        echo "pciback: not loaded"
    fi
}

virsh_x() {
    say "virsh $*"
    virsh -q -c "$uri" "$@"
}

say "state of $nic before the start"
device_state | tee "$work/before"
expect_driver "$nic" e1000e
[ ! -e "$journal" ] || fail "$journal exists before the start"

# libvirtd looks for hook scripts only when it starts; as libxl.d held the
# project's hook then, it lists the directory again on every call and finds
# the spy.  The spy runs before our hook (00 < 50) and records, per call,
# where the NIC is and whether our journal exists.
say "install the spy $hooks/00-spy"
mkdir "$spy"
cat > "$hooks/00-spy" <<SPY
#!/bin/sh
driver=\$(readlink $dev/driver) || driver=none
[ -e $journal ] && journalled=yes || journalled=no
echo "\$* driver=\${driver##*/} journal=\$journalled" >> $spy/calls
cat > /dev/null
SPY
chmod +x "$hooks/00-spy"

kver=$(uname -r)
cat > "$work/domain.xml" <<XML
<domain type='xen'>
  <name>$domain</name>
  <memory unit='MiB'>64</memory>
  <os>
    <type arch='x86_64'>linux</type>
    <kernel>/boot/vmlinuz-$kver</kernel>
    <initrd>/boot/initrd.img-$kver</initrd>
    <cmdline>console=hvc0</cmdline>
  </os>
  <devices>
    <hostdev mode='subsystem' type='pci' managed='no'>
      <source><address domain='0x0000' bus='0x01' slot='0x00' function='0x0'/></source>
    </hostdev>
  </devices>
</domain>
XML
virsh_x define "$work/domain.xml"

if virsh_x start "$domain" 2> "$work/start.err"; then
    say "$domain started (an IOMMU after all?): destroy it"
    expect_driver "$nic" pciback
    virsh_x destroy "$domain"
    expected="prepare begin|start begin|started begin|stopped end|release end"
else
    cat "$work/start.err"
    grep -q "libxenlight failed to create new domain '$domain'" "$work/start.err" ||
        fail "virsh start failed, but not in libxl's domain creation"
    say "libxl's reason:"
    grep -h -i -E 'error|passthrough|assign' /var/log/libvirt/libxl/*.log | tail -n 5 || true
    expected="prepare begin|start begin|stopped end|release end"
fi
expect_eq "state of $domain" "$(virsh -q -c "$uri" domstate "$domain")" "shut off"

say "hook calls seen by the spy"
cat "$spy/calls"
expect_eq "hook calls" "$(sed 's/ - .*//; s/^[^ ]* //' "$spy/calls" | paste -sd '|')" "$expected"
grep -qx "$domain prepare begin - driver=e1000e journal=no" "$spy/calls" ||
    fail "prepare was not called with $nic on e1000e and no journal"
grep -qx "$domain start begin - driver=pciback journal=yes" "$spy/calls" ||
    fail "after prepare, $nic is not on pciback with a journal"
grep -qx "$domain release end - driver=pciback journal=yes" "$spy/calls" ||
    fail "$nic was not on pciback, journalled, until release"

say "after release: $nic and pciback exactly as before"
device_state > "$work/after"
if ! diff -u "$work/before" "$work/after"; then
    fail "the state after release differs from before (diff above: - before, + after)"
fi
[ ! -e "$journal" ] || fail "the journal outlived release: $(cat "$journal")"
wait_for 5 test -d "$dev/net" || fail "e1000e did not register a network interface for $nic"

virsh_x undefine "$domain"
rm "$hooks/00-spy"
rm -r "$work"
