#!/bin/sh
# libvirt runs the installed hostdev-hook.  A spy script sorted before it in
# qemu.d records the argv and stdin of every call; starting and destroying a
# domain with a managed='no' hostdev (01:00.0's twin, the e1000e at 02:00.0,
# put on vfio-pci by hand first) must call prepare, start, started, stopped
# and release with the domain name and the domain XML, and the hook must
# have logged its prepare and release to syslog.
. "$VMTEST_LIB"

[ -x "$VMTEST_BUILD_DIR/hook/hostdev-hook" ] || skip "hook not built"
hooks=/etc/libvirt/hooks/qemu.d
[ -x "$hooks/50-hostdev-hook" ] || fail "the hook is built but $hooks/50-hostdev-hook is not installed"

nic=0000:02:00.0
domain=vmtest-hook-calls
work=$(mktemp -d)
spy=$work/spy

# libvirtd looks for hook scripts only when it starts (and on SIGHUP).  As
# qemu.d held the project's hook then, it lists the directory again on every
# call and so finds the spy without a reload.
say "install the spy $hooks/00-spy"
mkdir "$spy"
cat > "$hooks/00-spy" <<SPY
#!/bin/sh
echo "\$*" >> $spy/calls
cat > "$spy/\$2-\$3.xml"
SPY
chmod +x "$hooks/00-spy"

say "put $nic on vfio-pci by hand (managed='no': libvirt leaves it alone)"
bind_by_hand "$nic" vfio-pci

cat > "$work/domain.xml" <<XML
<domain type='qemu'>
  <name>$domain</name>
  <memory unit='MiB'>64</memory>
  <os><type arch='x86_64' machine='q35'>hvm</type></os>
  <devices>
    <hostdev mode='subsystem' type='pci' managed='no'>
      <source><address domain='0x0000' bus='0x02' slot='0x00' function='0x0'/></source>
    </hostdev>
  </devices>
</domain>
XML

virsh_or_fail() {
    say "virsh $*"
    virsh -q "$@" || {
        echo "=== syslog (libvirtd and the hooks log there)"
        tail -n 30 "$VMTEST_SYSLOG"
        echo "=== /var/log/libvirt/qemu/$domain.log"
        tail -n 20 "/var/log/libvirt/qemu/$domain.log" || true
        fail "virsh $* failed"
    }
}
# The messages from hostdev-hook in syslog so far, and a barrier: syslogd
# writes a message a moment after it was sent, but in order, so once a
# message of our own sent after a virsh command is in the file, all that the
# hook sent during that command is there too.
ident=' hostdev-hook(\[[0-9]+\])?: '
hook_messages() {
    grep -E "$ident" "$VMTEST_SYSLOG" || true
}
syslog_barrier() {
    logger -t vmtest "barrier $1"
    wait_for 5 grep -q "vmtest: barrier $1\$" "$VMTEST_SYSLOG" || fail "syslogd did not write '$1'"
}

virsh_or_fail define "$work/domain.xml"
syslog_barrier defined
before_start=$(hook_messages | wc -l)
# --paused: the domain has no OS to run; QEMU is up with the device assigned.
virsh_or_fail start --paused "$domain"
syslog_barrier started
before_destroy=$(hook_messages | wc -l)
virsh_or_fail destroy "$domain"
syslog_barrier destroyed
virsh_or_fail undefine "$domain"
rm "$hooks/00-spy"

say "calls seen by the spy"
cat "$spy/calls"
expect_eq "hook calls" "$(head -n 4 "$spy/calls" | xargs -d '\n' printf '%s|')" \
    "$domain prepare begin -|$domain start begin -|$domain started begin -|$domain stopped end -|"
case "$(sed -n 5p "$spy/calls")" in
    "$domain release end "*) ;;
    *) fail "fifth hook call is '$(sed -n 5p "$spy/calls")', expected '$domain release end ...'" ;;
esac
expect_eq "number of hook calls" "$(wc -l < "$spy/calls")" 5

say "each call got the domain XML with the hostdev on stdin"
hostdev="/domain[name='$domain']/devices/hostdev[@managed='no']/source/address"
hostdev="${hostdev}[@domain='0x0000' and @bus='0x02' and @slot='0x00' and @function='0x0']"
for xml in "$spy"/*.xml; do
    expect_eq "hostdev 02:00.0 in $(basename "$xml")" "$(xmllint --xpath "count($hostdev)" "$xml")" 1
done

say "the hook logged on start (prepare) and on destroy (release), naming $domain"
hook_messages
hook_messages | head -n "$before_destroy" | tail -n "+$((before_start + 1))" > "$work/on-start"
hook_messages | tail -n "+$((before_destroy + 1))" > "$work/on-destroy"
grep -qF "$domain" "$work/on-start" || fail "no message from hostdev-hook about $domain while it started"
grep -qF "$domain" "$work/on-destroy" || fail "no message from hostdev-hook about $domain while it was destroyed"

say "give $nic back to e1000e by hand"
restore_by_hand "$nic"
expect_driver "$nic" e1000e
rm -r "$work"
