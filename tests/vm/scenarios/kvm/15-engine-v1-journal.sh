#!/bin/sh
# Journals left by the previous release (version 1: one entry per device,
# fixed driver fields) are read and undone by this one, on the real kernel:
# a device lent out across the upgrade comes back on release; a bind cut
# short by a crash is undone by the next prepare, which then writes a
# version 2 journal; `hostdevctl recover --all` undoes the rest.
. "$VMTEST_LIB"

# write_v1_journal DOMAIN ENTRY...: the file as the version 1 engine wrote it
write_v1_journal() {
    local domain=$1 sep=""
    shift
    mkdir -p -m 0700 "$HOSTDEV_HOOK_STATE_DIR"
    {
        printf '{\n  "version" : 1,\n  "domain" : "%s",\n  "uuid" : null,\n  "devices" : [' "$domain"
        for entry in "$@"; do
            printf '%s\n    %s' "$sep" "$entry"
            sep=","
        done
        printf '\n  ]\n}'
    } > "$(journal_of "$domain")"
}

# v1_entry BDF ORIGINAL STEP: a vfio-pci entry as version 1 recorded it
v1_entry() {
    printf '{ "address" : "%s", "original_driver" : "%s", "original_override" : null, ' "$1" "$2"
    printf '"target_driver" : "vfio-pci", "plugin" : "vfio-pci", "found_bound" : false, "step" : "%s" }' "$3"
}

say "release of a device lent out before the upgrade"
bind_by_hand 0000:01:00.0 vfio-pci
write_v1_journal old1 "$(v1_entry 0000:01:00.0 e1000e bound)"
hook old1 release end < /dev/null || fail "release failed: $HOOK_ERR"
expect_restored 0000:01:00.0 e1000e
[ ! -e "$(journal_of old1)" ] || fail "release left the version 1 journal"

say "a version 1 prepare killed after its unbind, then the next prepare"
sysfs_write vfio-pci "$(pci_dev 0000:01:00.0)/driver_override"
sysfs_write 0000:01:00.0 "$(pci_dev 0000:01:00.0)/driver/unbind"
expect_driver 0000:01:00.0 none
write_v1_journal old2 "$(v1_entry 0000:01:00.0 e1000e unbind)"
domain_xml old2 "" 0000:01:00.0 | hook old2 prepare begin || fail "prepare failed: $HOOK_ERR"
expect_driver 0000:01:00.0 vfio-pci
json_has "$(journal_of old2)" version 2 || fail "prepare did not write a version 2 journal"
json_has "$(journal_of old2)" phase '"bind"' || fail "the version 2 journal has no bind entry"
hook old2 release end < /dev/null || fail "release failed: $HOOK_ERR"
expect_restored 0000:01:00.0 e1000e
[ ! -e "$(journal_of old2)" ] || fail "release left the journal"

say "recover --all over two version 1 journals, one of them mid-probe"
bind_by_hand 0000:01:00.0 vfio-pci
sysfs_write vfio-pci "$(pci_dev 0000:02:00.0)/driver_override"
sysfs_write 0000:02:00.0 "$(pci_dev 0000:02:00.0)/driver/unbind"
sysfs_write 0000:02:00.0 /sys/bus/pci/drivers_probe
write_v1_journal old3 "$(v1_entry 0000:01:00.0 e1000e bound)"
write_v1_journal old4 "$(v1_entry 0000:02:00.0 e1000e probe)"
"$HOSTDEVCTL" status | tee /tmp/status.txt
grep -q "^0000:02:00.0 .*unfinished (probe)" /tmp/status.txt || fail "status does not flag the unfinished bind"
"$HOSTDEVCTL" recover --all || fail "recover --all failed"
expect_restored 0000:01:00.0 e1000e
expect_restored 0000:02:00.0 e1000e
[ ! -e "$(journal_of old3)" ] && [ ! -e "$(journal_of old4)" ] || fail "recover left a journal"
