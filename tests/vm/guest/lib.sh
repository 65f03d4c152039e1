# Helpers for vmtest scenarios.  A scenario starts with
#     . "$VMTEST_LIB"
# which turns on `set -eu` and arranges that any failure -- an explicit
# `fail`, or a command failing under `set -e` -- ends with a dump of the PCI
# state and the last kernel messages, so the TAP output says why.
#
# Conventions: BDFs are full sysfs names (0000:01:00.0); "none" stands for
# "no driver bound"; exit status 77 means "skipped" (see skip()).  Besides
# POSIX sh the helpers use `local`, which dash, bash and busybox sh all have.
# They read sysfs with the `read` builtin rather than cat: under TCG every
# fork and exec costs milliseconds, and the helpers run in loops.

# shellcheck disable=SC3043
set -eu

# Narrate a step: the scenario's log then shows how far it got.
say() {
    echo "-- $*"
}

fail() {
    echo "FAIL: $*" >&2
    vmtest_failed=yes
    exit 1
}

# The host reports the scenario as skipped, with this message as the reason.
skip() {
    echo "SKIP: $*"
    exit 77
}

pci_dev() {
    echo "/sys/bus/pci/devices/$1"
}

# vendor:device of a PCI function, as lspci -n prints it (8086:10d3).
pci_id() {
    local vendor device
    read -r vendor < "/sys/bus/pci/devices/$1/vendor"
    read -r device < "/sys/bus/pci/devices/$1/device"
    echo "${vendor#0x}:${device#0x}"
}

# The BDFs of all functions with the given vendor:device, in bus order.
pci_find() {
    local dev bdf
    for dev in /sys/bus/pci/devices/*; do
        bdf=${dev##*/}
        [ "$(pci_id "$bdf")" = "$1" ] && echo "$bdf"
    done
    return 0
}

# The driver bound to a function, or "none".
pci_driver() {
    local link
    link=$(readlink "/sys/bus/pci/devices/$1/driver") || link=none
    echo "${link##*/}"
}

# The IOMMU group number of a function; fails if it has none.
pci_group() {
    local link
    link=$(readlink "/sys/bus/pci/devices/$1/iommu_group") || fail "$1 has no IOMMU group"
    echo "${link##*/}"
}

# The members of an IOMMU group that are not PCI bridges (class 0x0604): the
# functions that all have to leave their host drivers for the group to be
# usable by VFIO.
group_endpoints() {
    local dev class
    for dev in /sys/kernel/iommu_groups/"$1"/devices/*; do
        read -r class < "$dev/class"
        case "$class" in
            0x0604*) ;;
            *) echo "${dev##*/}" ;;
        esac
    done
}

# The functions bound to a driver, in bus order.
driver_devices() {
    local dev
    for dev in /sys/bus/pci/drivers/"$1"/0000:*; do
        [ -e "$dev" ] && echo "${dev##*/}"
    done
    return 0
}

expect_driver() {
    local actual
    actual=$(pci_driver "$1")
    [ "$actual" = "$2" ] || fail "$1 ($(pci_id "$1")) is bound to '$actual', expected '$2'"
}

# expect_eq WHAT ACTUAL EXPECTED
expect_eq() {
    [ "$2" = "$3" ] || fail "$1 is '$2', expected '$3'"
}

# Reads lines "BDF VENDOR:DEVICE DRIVER" on stdin and checks that each
# function exists with that ID and driver, and that no other function has one
# of the listed IDs: the flavour's device map, as docs/vm-harness.md gives it.
expect_devices() {
    local table bdf id driver
    table=$(cat)
    while read -r bdf id driver; do
        [ -e "$(pci_dev "$bdf")" ] || fail "no PCI function $bdf (expected $id)"
        expect_eq "ID of $bdf" "$(pci_id "$bdf")" "$id"
        expect_driver "$bdf" "$driver"
    done <<EOF
$table
EOF
    for id in $(echo "$table" | awk '{print $2}' | sort -u); do
        expect_eq "number of $id functions" \
            "$(pci_find "$id" | wc -l)" "$(echo "$table" | awk -v id="$id" '$2 == id' | wc -l)"
    done
}

# sysfs_write VALUE FILE.  The external echo, not the shell's: dash reports
# every failed write as "I/O error", coreutils names the errno the kernel
# returned (EBUSY, EINVAL, ENODEV ...), which is what tells why.
sysfs_write() {
    say "echo '$1' > $2"
    env echo "$1" > "$2" || fail "the kernel refused '$1' in $2"
}

# wait_for SECONDS COMMAND...: poll until COMMAND succeeds.
wait_for() {
    local tenths
    tenths=$(($1 * 10))
    shift
    until "$@"; do
        tenths=$((tenths - 1))
        [ "$tenths" -gt 0 ] || return 1
        sleep 0.1
    done
}

# Put a function on DRIVER by hand, the way the engine does it: driver_override
# names the only driver allowed to claim it, then the function is unbound and
# offered to all drivers again.
bind_by_hand() {
    modprobe "$2"
    sysfs_write "$2" "$(pci_dev "$1")/driver_override"
    if [ -e "$(pci_dev "$1")/driver" ]; then
        sysfs_write "$1" "$(pci_dev "$1")/driver/unbind"
    fi
    sysfs_write "$1" /sys/bus/pci/drivers_probe
    expect_driver "$1" "$2"
}

# Undo bind_by_hand: clear driver_override (writing a newline clears it), unbind
# and probe, so the function's own driver claims it again.
restore_by_hand() {
    sysfs_write "" "$(pci_dev "$1")/driver_override"
    if [ -e "$(pci_dev "$1")/driver" ]; then
        sysfs_write "$1" "$(pci_dev "$1")/driver/unbind"
    fi
    sysfs_write "$1" /sys/bus/pci/drivers_probe
}

vmtest_dump_state() {
    local dev bdf class group
    echo "=== PCI functions: BDF ID class driver group"
    for dev in /sys/bus/pci/devices/*; do
        bdf=${dev##*/}
        read -r class < "$dev/class"
        group=$(readlink "$dev/iommu_group") || group=none
        echo "$bdf $(pci_id "$bdf") $class $(pci_driver "$bdf") ${group##*/}"
    done
    echo "=== last kernel messages"
    dmesg | tail -n 25
}

vmtest_on_exit() {
    case "$1" in
        0|77) return ;;
    esac
    if [ -z "${vmtest_failed-}" ]; then
        echo "FAIL: a command failed (status $1) after the last step shown" >&2
    fi
    vmtest_dump_state >&2
}
trap 'vmtest_on_exit $?' EXIT

# ---- the engine, as libvirt runs it -------------------------------------

HOOK="$VMTEST_BUILD_DIR/hook/hostdev-hook"
HOSTDEVCTL="$VMTEST_BUILD_DIR/hook/hostdevctl"
export HOSTDEV_HOOK_STATE_DIR=/run/hostdev-hook

# domain_xml NAME [METADATA] -- BDF... : a kvm domain asking for each BDF
# as a managed='no' hostdev, with optional hostdev-hook metadata
domain_xml() {
    local name=$1 metadata=$2 bdf
    shift 2
    echo "<domain type='kvm'><name>$name</name><metadata>$metadata</metadata><devices>"
    for bdf in "$@"; do
        echo "<hostdev mode='subsystem' type='pci' managed='no'><source><address" \
             "domain='0x${bdf%%:*}' bus='0x$(echo "$bdf" | cut -d: -f2)'" \
             "slot='0x$(echo "$bdf" | cut -d: -f3 | cut -d. -f1)' function='0x${bdf##*.}'/></source></hostdev>"
    done
    echo "</devices></domain>"
}

# hook DOMAIN OPERATION SUB-OPERATION < XML: run the installed-style hook
# with libvirt's argv; its stderr is kept in $HOOK_ERR, its status returned
hook() {
    local status=0
    "$HOOK" "$1" "$2" "$3" - > /tmp/hook.out 2> /tmp/hook.err || status=$?
    HOOK_ERR=$(cat /tmp/hook.err)
    [ ! -s /tmp/hook.out ] || fail "the hook wrote to stdout: $(cat /tmp/hook.out)"
    [ -z "$HOOK_ERR" ] || say "hook stderr: $HOOK_ERR"
    return $status
}

journal_of() {
    echo "$HOSTDEV_HOOK_STATE_DIR/$1.journal"
}

# a policy file with a bind timeout of MS milliseconds, which lets domains
# ask for pcieport: built in, it refuses an endpoint in probe(), which is how
# the scenarios make a bind fail for real
policy_with_timeout() {
    printf '[bind]\ntimeout-ms=%s\n[drivers]\nallow=pcieport\n' "$1" > /run/hostdev-hook-policy.conf
    chmod 0644 /run/hostdev-hook-policy.conf
    export HOSTDEV_HOOK_POLICY=/run/hostdev-hook-policy.conf
}

# expect_restored BDF DRIVER: back on DRIVER with driver_override cleared
expect_restored() {
    expect_driver "$1" "$2"
    expect_eq "driver_override of $1" "$(cat "$(pci_dev "$1")/driver_override")" "(null)"
}

hd_meta() {
    echo "<hd:hostdev-hook xmlns:hd='urn:hostdev-hook:1'>$*</hd:hostdev-hook>"
}
