#!/bin/bash
# sriov-vfs: 7 VFs made and bound to vfio-pci with autoprobe off, against
# probe-then-rebind, on a real kernel
#
# A benchmark, not a test: run in the sriov-nic guest of the real-kernel
# harness by
#     tests/vm/vmtest --flavour sriov-nic --build-dir build --source-dir . \
#         --script bench/vm/sriov-vfs.sh [ROUNDS]
# or `meson compile -C build bench-vm-sriov-vfs` (ROUNDS 10).
#
# Times, alternating, ROUNDS rounds of making the igb PF's 7 VFs and
# putting each on vfio-pci, four ways:
#   - the hook ($VMTEST_BUILD_DIR/hook/hostdev-hook, as libvirt runs it):
#     `prepare begin` of a domain naming the 7 VFs, none of which exists;
#     it writes sriov_drivers_autoprobe 0, sriov_numvfs 7, and binds each
#     VF, driverless, by driver_override and drivers_probe;
#   - probe-then-rebind with the hook, what a host does with VFs made the
#     usual way: sriov_numvfs 7 with autoprobe on, igbvf probes every VF
#     (the script waits for the 7 driver links, as any must), then the
#     hook's `prepare begin` of the same domain takes each from igbvf;
#   - the two as shell scripts, without the hook's planning, journal and
#     checks: autoprobe off (the VFs come without a driver and are bound
#     once), and probe-then-rebind (driver_override, unbind from igbvf,
#     drivers_probe): the approaches alone;
# and prints the medians of wall time and the ratios, all from this one
# boot.  Each is timed from before bash forks it to after it exits; after
# each, untimed, the VFs are checked on vfio-pci, given back (the hook's
# release, or sriov_numvfs 0 and autoprobe 1) and udev's queue emptied, so
# that no run pays for the tail of another.  The release is timed too, for
# information: it is not what the approaches differ in.
#
# Bash for its $EPOCHREALTIME: a clock read without a fork, which under TCG
# costs milliseconds.  The harness runs scripts with sh.
[ -n "${BASH_VERSION-}" ] || exec bash "$0" "$@"
# shellcheck source=tests/vm/guest/lib.sh
. "$VMTEST_LIB"

rounds=${1:-10}
[ "$VMTEST_FLAVOUR" = sriov-nic ] || skip "the sriov-nic flavour's igb PF is named here"
[ -x "$HOOK" ] || skip "hook not built"
pf=0000:02:00.0
pf_dir=/sys/bus/pci/devices/$pf
vfs=(0000:02:10.0 0000:02:10.2 0000:02:10.4 0000:02:10.6 0000:02:11.0 0000:02:11.2 0000:02:11.4)
tmp=/tmp/sriov-vfs
rm -rf "$tmp"
mkdir -p "$tmp"

domain_xml sriovvfs "" "${vfs[@]}" > "$tmp/domain.xml"
policy_with_timeout 5000
modprobe vfio-pci
# igbvf is loaded by udev the first time a VF appears with autoprobe on;
# the warm-up round pays for that
modprobe igbvf

# ---- the two shell scripts ---------------------------------------------------

# autoprobe off: the VFs come without a driver, and each is bound once
{
    echo "#!/bin/sh"
    echo "set -e"
    echo "echo 0 > $pf_dir/sriov_drivers_autoprobe"
    echo "echo ${#vfs[@]} > $pf_dir/sriov_numvfs"
    for vf in "${vfs[@]}"; do
        echo "echo vfio-pci > /sys/bus/pci/devices/$vf/driver_override"
        echo "echo $vf > /sys/bus/pci/drivers_probe"
    done
} > "$tmp/autoprobe-off.sh"

# probe-then-rebind: igbvf takes each VF first, then each is moved
{
    echo "#!/bin/bash"
    echo "set -e"
    echo "echo ${#vfs[@]} > $pf_dir/sriov_numvfs"
    echo "for i in \$(seq 1 2000); do"
    echo "    n=0"
    for vf in "${vfs[@]}"; do
        echo "    [ -e /sys/bus/pci/drivers/igbvf/$vf ] && n=\$((n + 1))"
    done
    echo "    [ \$n = ${#vfs[@]} ] && break"
    echo "    sleep 0.01"
    echo "done"
    echo "[ \$n = ${#vfs[@]} ] || { echo 'igbvf did not take every VF within 20 s' >&2; exit 1; }"
    for vf in "${vfs[@]}"; do
        echo "echo vfio-pci > /sys/bus/pci/devices/$vf/driver_override"
        echo "echo $vf > /sys/bus/pci/devices/$vf/driver/unbind"
        echo "echo $vf > /sys/bus/pci/drivers_probe"
    done
} > "$tmp/probe-then-rebind.sh"

# the usual VFs, then the hook
{
    echo "#!/bin/bash"
    echo "set -e"
    echo "echo ${#vfs[@]} > $pf_dir/sriov_numvfs"
    sed -n '/^for i in/,/^\[ \$n =/p' "$tmp/probe-then-rebind.sh"
    echo "exec $HOOK sriovvfs prepare begin - < $tmp/domain.xml"
} > "$tmp/probe-then-hook.sh"

# what both give back: no VF, autoprobe on
{
    echo "#!/bin/sh"
    echo "set -e"
    echo "echo 0 > $pf_dir/sriov_numvfs"
    echo "echo 1 > $pf_dir/sriov_drivers_autoprobe"
} > "$tmp/give-back.sh"
chmod +x "$tmp"/*.sh

# ---- checks, with builtins only: they run between timed runs -------------

expect_all_on_vfio() {
    local vf
    for vf in "${vfs[@]}"; do
        [ -e "/sys/bus/pci/drivers/vfio-pci/$vf" ] || fail "$vf is not on vfio-pci ($(pci_driver "$vf"))"
    done
}

expect_pf_as_booted() {
    local numvfs autoprobe
    read -r numvfs < "$pf_dir/sriov_numvfs"
    read -r autoprobe < "$pf_dir/sriov_drivers_autoprobe"
    [ "$numvfs" = 0 ] && [ "$autoprobe" = 1 ] || fail "$pf: sriov_numvfs $numvfs, autoprobe $autoprobe"
}

settle() {
    udevadm settle --timeout=60
}

# ---- timing ----------------------------------------------------------------

samples=$tmp/samples
: > "$samples"

# timed NAME COMMAND...: one run, its wall time in microseconds to $samples
timed() {
    local name=$1 start end
    shift
    start=$EPOCHREALTIME
    "$@" > /dev/null 2> "$tmp/stderr" || fail "$name: $* failed: $(cat "$tmp/stderr")"
    end=$EPOCHREALTIME
    echo "$name $((${end/./} - ${start/./}))" >> "$samples"
}

# cycle KIND: make and bind, check, give back, check
cycle() {
    if [ "$1" = hook ]; then
        timed hook-make "$HOOK" sriovvfs prepare begin - < "$tmp/domain.xml"
    else
        timed "$1-make" "$tmp/$1.sh"
    fi
    expect_all_on_vfio
    settle
    case "$1" in
        hook)
            timed hook-release "$HOOK" sriovvfs release end - < "$tmp/domain.xml" ;;
        probe-then-hook)
            # the VFs go back to igbvf, the PF keeps them: they were there
            timed probe-then-hook-release "$HOOK" sriovvfs release end - < "$tmp/domain.xml"
            [ -e "/sys/bus/pci/drivers/igbvf/${vfs[6]}" ] || fail "${vfs[6]} is not back on igbvf"
            "$tmp/give-back.sh" ;;
        *)
            timed "$1-release" "$tmp/give-back.sh" ;;
    esac
    [ ! -e "$(journal_of sriovvfs)" ] || fail "release left the journal"
    expect_pf_as_booted
    settle
}

expect_pf_as_booted
say "warm-up: one cycle of each"
for kind in hook probe-then-hook autoprobe-off probe-then-rebind; do
    cycle "$kind"
done
: > "$samples"

items=(hook probe-then-hook autoprobe-off probe-then-rebind)
say "$rounds rounds of: ${items[*]}, each round starting one further"
started=$EPOCHREALTIME
for ((round = 0; round < rounds; round++)); do
    for ((k = 0; k < ${#items[@]}; k++)); do
        cycle "${items[(round + k) % ${#items[@]}]}"
    done
done
took=$(((${EPOCHREALTIME/./} - ${started/./}) / 1000000))

# ---- the report -------------------------------------------------------------

read -r kernel _ < /proc/sys/kernel/osrelease
awk -v rounds="$rounds" -v kernel="$kernel" -v cpus="$(nproc)" -v took="$took" '
function median(name,    n, i, j, v, t) {
    n = count[name]
    for (i = 1; i <= n; i++) v[i] = value[name, i]
    for (i = 2; i <= n; i++) {            # insertion sort: a few dozen values
        t = v[i]
        for (j = i - 1; j >= 1 && v[j] > t; j--) v[j + 1] = v[j]
        v[j + 1] = t
    }
    return n % 2 ? v[(n + 1) / 2] : (v[n / 2] + v[n / 2 + 1]) / 2
}
{ count[$1]++; value[$1, count[$1]] = $2 }
END {
    printf "sriov-vfs: 7 igb VFs made and put on vfio-pci, kernel %s in QEMU 10 (TCG, %d vCPUs)\n", kernel, cpus
    printf "  %d rounds, alternating (%d s); medians of wall time in ms\n\n", rounds, took
    printf "  %-48s %9s %9s\n", "", "make+bind", "release"
    h = median("hook-make"); ph = median("probe-then-hook-make")
    o = median("autoprobe-off-make"); p = median("probe-then-rebind-make")
    printf "  %-48s %9.1f %9.1f\n", "hook: autoprobe off", h / 1000, median("hook-release") / 1000
    printf "  %-48s %9.1f %9.1f\n", "hook: probe-then-rebind (VFs made, igbvf probes)", ph / 1000,
        median("probe-then-hook-release") / 1000
    printf "  %-48s %9.1f %9.1f\n", "shell script: autoprobe off", o / 1000, median("autoprobe-off-release") / 1000
    printf "  %-48s %9.1f %9.1f\n", "shell script: probe-then-rebind", p / 1000, median("probe-then-rebind-release") / 1000
    printf "\n  ratio probe-then-rebind / autoprobe off, with the hook:  %.2fx\n", ph / h
    printf "  ratio probe-then-rebind / autoprobe off, shell scripts: %.2fx  (the approaches alone)\n", p / o
    printf "  ratio shell probe-then-rebind / hook autoprobe off:     %.2fx\n", p / h
    printf "  ratio hook / shell script, autoprobe off:               %.2fx  (planning, checks, journal)\n", h / o
    printf "  (release: the hook gives the PF back, the probe-then-rebind hook leaves its VFs, on igbvf;\n"
    printf "   the scripts write sriov_numvfs 0 and autoprobe 1)\n"
}' "$samples"
