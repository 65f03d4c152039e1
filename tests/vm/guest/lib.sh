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

# ---- crash points: the test build's HOSTDEV_HOOK_FAULT --------------------
#
# The hook in the build directory honours HOSTDEV_HOOK_FAULT (see
# plugin/engine/api/hd-sysfs.h): kill:N and kill-after:N SIGKILL it just
# before or just after its Nth change to the host (a sysfs write or a
# netlink change), count makes it say at exit how many it made.  A
# scenario sets crash_domain and crash_xml (the domain and its XML file),
# defines crash_state (prints the state to compare, one "FIELD VALUE" line
# per field, FIELD without spaces), and calls crash_sweep.
# shellcheck disable=SC2154 # crash_domain and crash_xml are the scenario's

# crash_hook OPERATION SUB-OPERATION: the crash domain's hook call, which
# must succeed
crash_hook() {
    hook "$crash_domain" "$1" "$2" < "$crash_xml" || fail "$crash_domain: $1 $2 failed: $HOOK_ERR"
}

# crash_points OPERATION SUB-OPERATION: run that hook call once with
# HOSTDEV_HOOK_FAULT=count (which changes nothing of what it does); the
# number of mutation points it passed is then in CRASH_POINTS
crash_points() {
    local status=0
    HOSTDEV_HOOK_FAULT=count "$HOOK" "$crash_domain" "$1" "$2" - < "$crash_xml" > /dev/null 2> /tmp/crash.err ||
        status=$?
    [ "$status" -eq 0 ] || fail "$crash_domain: $1 $2 with HOSTDEV_HOOK_FAULT=count failed: $(cat /tmp/crash.err)"
    CRASH_POINTS=$(sed -n 's/^hostdev-hook: fault injection: \([0-9]*\) mutation points$/\1/p' /tmp/crash.err)
    [ -n "$CRASH_POINTS" ] || fail "$crash_domain: $1 $2 did not report its mutation points: $(cat /tmp/crash.err)"
}

# crash_killed SPEC OPERATION SUB-OPERATION: the hook call with
# HOSTDEV_HOOK_FAULT=SPEC must die of SIGKILL at that point; CRASH_KILL is
# what it said before it died ("SIGKILL before mutation 3: write ...")
crash_killed() {
    local status=0 n="${1#*:}" when
    HOSTDEV_HOOK_FAULT=$1 "$HOOK" "$crash_domain" "$2" "$3" - < "$crash_xml" > /dev/null 2> /tmp/crash.err ||
        status=$?
    CRASH_KILL=$(sed -n 's/^hostdev-hook: fault injection: //p' /tmp/crash.err)
    [ "$status" -eq 137 ] ||
        fail "$crash_domain: $2 $3 with HOSTDEV_HOOK_FAULT=$1 exited $status, not killed by SIGKILL (137): $(cat /tmp/crash.err)"
    case $1 in
        kill-after:*) when=after ;;
        *) when=before ;;
    esac
    case $CRASH_KILL in
        "SIGKILL $when mutation $n: "*) ;;
        *) fail "$crash_domain: $2 $3 with HOSTDEV_HOOK_FAULT=$1 died elsewhere: '$CRASH_KILL'" ;;
    esac
}

# journal_steps DOMAIN: the domain's journal as "ADDRESS PHASE STEP" per entry
journal_steps() {
    local journal
    journal=$(journal_of "$1")
    if [ ! -e "$journal" ]; then
        echo "none"
        return 0
    fi
    # "key" : "value" as the json-glib build wrote, "key": "value" as json-c does
    sed -n 's/^ *"\(address\|phase\|step\)" *: "\(.*\)",*$/\2/p' "$journal" | xargs
}

# json_has FILE KEY VALUE: FILE (a journal, hostdevctl's --json) has a
# member KEY of VALUE, spelt as in JSON ('"text"' with its quotes, true, 2),
# whichever spacing wrote it: "key" : value (json-glib), "key": value (json-c)
json_has() {
    grep -Fq "\"$2\": $3" "$1" || grep -Fq "\"$2\" : $3" "$1"
}

# crash_state_of BDF...: the driver and driver_override of each function,
# and the journals of the state directory
crash_state_of() {
    local bdf override journal journals=""
    for bdf in "$@"; do
        echo "$bdf/driver $(pci_driver "$bdf")"
        read -r override < "$(pci_dev "$bdf")/driver_override"
        echo "$bdf/driver_override $override"
    done
    for journal in "$HOSTDEV_HOOK_STATE_DIR"/*.journal; do
        [ ! -e "$journal" ] || journals="$journals ${journal##*/}"
    done
    echo "journals${journals:- none}"
}

# crash_expect_state BEFORE WHERE: crash_state shows the snapshot in file
# BEFORE again, or the scenario fails naming WHERE and each field that
# differs
crash_expect_state() {
    crash_state > /tmp/crash.now
    cmp -s "$1" /tmp/crash.now && return 0
    fail "$2: not restored: $(awk '
        NR == FNR { was[$1] = substr($0, length($1) + 2); next }
        { now[$1] = substr($0, length($1) + 2) }
        END {
            for (f in was)
                if (!(f in now)) printf "%s was \"%s\", now gone; ", f, was[f]
                else if (was[f] != now[f]) printf "%s was \"%s\", now \"%s\"; ", f, was[f], now[f]
            for (f in now)
                if (!(f in was)) printf "%s was not there, now \"%s\"; ", f, now[f]
        }' "$1" /tmp/crash.now)"
}

# crash_recover HOW WHERE: after a kill, `hostdevctl recover` (HOW
# "recover"), or the domain's next start (HOW "next start": a prepare,
# which first undoes what the journal left, then a release)
crash_recover() {
    case $1 in
        recover)
            "$HOSTDEVCTL" recover "$crash_domain" > /tmp/crash.err 2>&1 ||
                fail "$2: hostdevctl recover failed: $(cat /tmp/crash.err)"
            ;;
        *)
            hook "$crash_domain" prepare begin < "$crash_xml" || fail "$2: the next prepare failed: $HOOK_ERR"
            hook "$crash_domain" release end < "$crash_xml" || fail "$2: the next release failed: $HOOK_ERR"
            ;;
    esac
}

# crash_sweep OPERATION MIN SPEC...: every mutation point of the crash
# domain's OPERATION (prepare or release), counted from a clean run, which
# must have at least MIN; for each point N and each SPEC (kill,
# kill-after): a release is preceded by a clean prepare; the hook is killed
# at N; the host is recovered by `hostdevctl recover` or by the next
# start, alternating with N and SPEC so that each point meets both when
# both SPECs are swept; and crash_state must be what it was before.
crash_sweep() {
    local op="$1" min="$2" sub=begin points n spec how where done=0 started
    shift 2
    [ "$op" = prepare ] || sub=end
    started=$(date +%s)
    crash_state > /tmp/crash.before
    say "before: $(xargs < /tmp/crash.before)"
    [ "$op" = prepare ] || crash_hook prepare begin
    crash_points "$op" "$sub"
    points=$CRASH_POINTS
    [ "$op" = release ] || crash_hook release end
    crash_expect_state /tmp/crash.before "a clean $op and its undoing"
    [ "$points" -ge "$min" ] || fail "$op of $crash_domain: $points mutation points, expected at least $min"
    say "$op of $crash_domain: $points mutation points, each killed with: $*"
    for spec in "$@"; do
        n=1
        while [ "$n" -le "$points" ]; do
            [ "$op" = prepare ] || crash_hook prepare begin
            crash_killed "$spec:$n" "$op" "$sub"
            case "$spec:$((n % 2))" in
                kill:1 | kill-after:0) how=recover ;;
                *) how="next start" ;;
            esac
            where="$op killed $CRASH_KILL; journal: $(journal_steps "$crash_domain"); recovered by $how"
            say "$where"
            crash_recover "$how" "$where"
            crash_expect_state /tmp/crash.before "$where (after $done points restored)"
            done=$((done + 1))
            n=$((n + 1))
        done
    done
    echo "crash points: $done of $((points * $#)) restored ($op, $points points x $*, $(($(date +%s) - started)) s)"
}
