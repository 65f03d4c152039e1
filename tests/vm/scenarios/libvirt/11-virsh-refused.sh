#!/bin/sh
# A domain that cannot have its devices does not start, `virsh start` shows
# our one-line reason, and nothing stays bound: once for a device that does
# not exist (refused before anything changes), once for a bind that fails
# after the first NIC was bound (rolled back; pcieport refuses an endpoint in
# probe() without touching it, and the policy, which allows asking for it,
# gives up after 500 ms).
. "$VMTEST_LIB"

start_refused() {
    local domain=$1 reason=$2
    virsh -q define "/tmp/$domain.xml"
    if virsh -q start --paused "$domain" 2> /tmp/virsh.err; then
        fail "$domain started"
    fi
    cat /tmp/virsh.err
    grep -qF "hostdev-hook: $domain: $reason" /tmp/virsh.err || fail "virsh did not show our reason"
    expect_eq "state of $domain" "$(virsh -q domstate "$domain")" "shut off"
    virsh -q undefine "$domain"
    expect_restored 0000:01:00.0 e1000e
    expect_restored 0000:02:00.0 e1000e
    [ ! -e "/run/hostdev-hook/$domain.journal" ] || fail "a refused start left a journal"
}

qemu_domain() {
    domain_xml "$@" | sed "s|<domain type='kvm'>|<domain type='qemu'><memory unit='MiB'>64</memory><os><type arch='x86_64' machine='q35'>hvm</type></os>|"
}

say "the second device does not exist"
qemu_domain vmtest-missing "" 0000:01:00.0 0000:09:00.0 > /tmp/vmtest-missing.xml
start_refused vmtest-missing "0000:09:00.0: no such PCI device on this host"

say "the second device's bind fails"
mkdir -p /etc/hostdev-hook
printf '[bind]\ntimeout-ms=500\n[drivers]\nallow=pcieport\n' > /etc/hostdev-hook/policy.conf
chmod 0644 /etc/hostdev-hook/policy.conf
qemu_domain vmtest-rollback "$(hd_meta "<hd:device address='0000:02:00.0' driver='pcieport'/>")" \
    0000:01:00.0 0000:02:00.0 > /tmp/vmtest-rollback.xml
start_refused vmtest-rollback "0000:02:00.0: pcieport did not take the device within 500 ms (driver now: none)"
rm /etc/hostdev-hook/policy.conf
