#!/bin/sh
# Boot-time binding on a real kernel: a [boot] drop-in binds the e1000e at
# 01:00.0 to vfio-pci and creates 2 VFs on the nvme PF at 03:00.0.
# `hostdevctl boot` applies it (a second run changes nothing); a domain
# then uses the NIC and a VF through the hook, and its release leaves the
# NIC on vfio-pci and the VFs in place; `boot --undo` is refused while the
# domain runs, then gives back e1000e, driver_override and the VF count.
# The installed unit passes `systemd-analyze verify`.
. "$VMTEST_LIB"

[ -x "$HOSTDEVCTL" ] || skip "hostdevctl not built"

nic=0000:01:00.0
pf=0000:03:00.0
vf=0000:03:00.1
pfdev=$(pci_dev "$pf")
dropins=/run/hostdev-hook-policy.d
dropin=$dropins/21-boot.conf
unit=/usr/lib/systemd/system/hostdev-hook-boot.service
# the drop-in goes whatever happens; the library's dump still runs
trap 'status=$?; rm -f "$dropin"; vmtest_on_exit $status' EXIT

# the PF as booted, to compare with after --undo
pf_state() {
    echo "numvfs $(cat "$pfdev/sriov_numvfs") autoprobe $(cat "$pfdev/sriov_drivers_autoprobe")"
}

say "the installed unit: systemd-analyze verify"
[ -f "$unit" ] || fail "$unit is not installed"
grep -qx 'ExecStart=/usr/bin/hostdevctl boot' "$unit" || fail "$unit does not run /usr/bin/hostdevctl boot"
grep -qx 'Before=libvirtd.service virtqemud.service virtxend.service xendomains.service' "$unit" ||
    fail "$unit is not ordered before libvirt and xendomains"
systemd-analyze verify "$unit" > /tmp/verify.out 2>&1 || { cat /tmp/verify.out; fail "systemd-analyze verify $unit failed"; }
cat /tmp/verify.out

expect_driver "$nic" e1000e
expect_driver "$pf" nvme
pf_before=$(pf_state)
expect_eq "the PF before boot" "$pf_before" "numvfs 0 autoprobe 1"

say "a [boot] drop-in in $dropins"
mkdir -p -m 0755 "$dropins"
printf '[boot]\ndevices=%s\nvfs=%s=2\n' "$nic" "$pf" > "$dropin"
chmod 0644 "$dropin"
"$HOSTDEVCTL" policy check > /tmp/policy.out || { cat /tmp/policy.out; fail "policy check refused the drop-in"; }
grep -q "devices.*$nic.*$dropin" /tmp/policy.out || { cat /tmp/policy.out; fail "policy check does not show [boot] devices"; }

say "hostdevctl boot"
"$HOSTDEVCTL" boot > /tmp/boot.out || fail "hostdevctl boot failed"
cat /tmp/boot.out
expect_driver "$nic" vfio-pci
expect_eq "numvfs of $pf" "$(cat "$pfdev/sriov_numvfs")" 2
expect_driver "$vf" none
expect_eq "ID of $vf" "$(pci_id "$vf")" 1b36:0010
[ -f /run/hostdev-hook/host/boot.journal ] || fail "no host journal for boot"

say "hostdevctl boot again changes nothing"
"$HOSTDEVCTL" boot > /tmp/boot2.out || fail "a second hostdevctl boot failed"
grep -q '^already applied' /tmp/boot2.out || { cat /tmp/boot2.out; fail "the second boot did not say it was applied"; }
expect_driver "$nic" vfio-pci
expect_eq "numvfs of $pf" "$(cat "$pfdev/sriov_numvfs")" 2

"$HOSTDEVCTL" list-assignable > /tmp/list.out
cat /tmp/list.out
grep -q "^$nic  *boot  *vfio-pci  *e1000e  *-$" /tmp/list.out || fail "list-assignable does not show $nic"
grep -q "^$pf  *boot  *PF with 2 virtual function" /tmp/list.out || fail "list-assignable does not show $pf's VFs"

say "a domain uses the NIC and a VF"
domain_xml boot1 "" "$nic" "$vf" > /tmp/boot1.xml
hook boot1 prepare begin < /tmp/boot1.xml || fail "prepare failed: $HOOK_ERR"
expect_driver "$nic" vfio-pci
expect_driver "$vf" vfio-pci
"$HOSTDEVCTL" list-assignable | grep -q "^$nic .* boot1$" || fail "list-assignable does not show boot1 using $nic"

say "boot --undo while the domain has them: refused, nothing changes"
if "$HOSTDEVCTL" boot --undo > /tmp/undo.out 2> /tmp/undo.err; then
    fail "boot --undo went ahead under a domain"
fi
cat /tmp/undo.err
expect_eq "the refusal" "$(cat /tmp/undo.err)" \
    "hostdevctl: boot --undo: $nic: in use by domain 'boot1'; stop the domain first"
expect_driver "$nic" vfio-pci
expect_driver "$vf" vfio-pci
expect_eq "numvfs of $pf" "$(cat "$pfdev/sriov_numvfs")" 2

say "release: the NIC stays on vfio-pci, the VFs stay"
hook boot1 release end < /tmp/boot1.xml || fail "release failed: $HOOK_ERR"
expect_driver "$nic" vfio-pci
expect_driver "$vf" none
expect_eq "numvfs of $pf" "$(cat "$pfdev/sriov_numvfs")" 2
[ ! -e "$(journal_of boot1)" ] || fail "the domain's journal outlived release"

say "hostdevctl boot --undo"
"$HOSTDEVCTL" boot --undo > /tmp/undo.out || fail "boot --undo failed"
cat /tmp/undo.out
expect_restored "$nic" e1000e
expect_driver "$pf" nvme
expect_eq "the PF after --undo" "$(pf_state)" "$pf_before"
[ ! -e "$pfdev/virtfn0" ] || fail "VFs left after --undo"
[ ! -e /run/hostdev-hook/host/boot.journal ] || fail "the boot journal outlived --undo"
expect_eq "list-assignable after --undo" "$("$HOSTDEVCTL" list-assignable)" \
    "no device is assignable through hostdev-hook"
