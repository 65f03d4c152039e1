#!/bin/bash
# kvm-bind: hostdev-hook against the shell script it replaces, on a real kernel
#
# A benchmark, not a test: run in the kvm guest of the real-kernel harness by
#     tests/vm/vmtest --flavour kvm --build-dir build --source-dir . \
#         --script bench/vm/kvm-bind.sh [ROUNDS]
# or `meson compile -C build bench-vm-kvm-bind` (ROUNDS 20, about 3 minutes).
#
# Times, alternating, ROUNDS rounds of
#   - the hook ($VMTEST_BUILD_DIR/hook/hostdev-hook, as libvirt runs it)
#     `prepare begin` then `release end` for a domain with 1 and with 8
#     managed='no' hostdevs;
#   - the equivalent hand-written shell script, run the same way: per device
#     echo vfio-pci > driver_override, echo BDF > driver/unbind, echo BDF >
#     /sys/bus/pci/drivers_probe, and the reverse to give it back;
#   - the hook for a domain with no hostdev against exec of /bin/true, and
#     for one where the word "hostdev" makes the front exec the engine, which
#     then finds no request: the engine's fixed cost;
# and prints medians, the hook's peak RSS (/usr/bin/time -f %M, or
# $VMTEST_BUILD_DIR/bench/peak-rss where time(1) is missing) and the
# ratios hook/shell, all from this one boot.  Every run is a process started
# by this shell, timed from before the fork to after its exit, as libvirt
# pays for it.  After each one, untimed, the result is checked and the
# guest is let settle (udev's queue empty, nvme controllers live), so that
# no run pays for the asynchronous tail of the one before.
#
# The 8 devices are every endpoint of the kvm machine that a host driver
# holds and vfio-pci can take: the two e1000e NICs, the two e1000 NICs of
# the bridge's shared IOMMU group (both asked for, so the group is viable)
# and 4 SR-IOV VFs of the NVMe controller on nvme.  Not the PF: vfio-pci
# refuses a PF with VFs enabled ("Cannot bind to PF with SR-IOV enabled").
# QEMU creates the VFs offline and without queues, so the PF first lends
# them its flexible resources (nvme-virt-mgmt.py, beside this script).
#
# Bash for its $EPOCHREALTIME: a clock read without a fork, which under TCG
# costs milliseconds.  The harness runs scripts with sh.
[ -n "${BASH_VERSION-}" ] || exec bash "$0" "$@"
# shellcheck source=tests/vm/guest/lib.sh
. "$VMTEST_LIB"

rounds=${1:-20}
[ "$VMTEST_FLAVOUR" = kvm ] || skip "the kvm flavour's devices are named here"
[ -x "$HOOK" ] || skip "hook not built"
here=$(dirname "$0")
pf=0000:03:00.0
one=(0000:01:00.0)
eight=(0000:01:00.0 0000:02:00.0 0000:05:01.0 0000:05:02.0 0000:03:00.1 0000:03:00.2 0000:03:00.3 0000:03:00.4)
no_hostdev="$VMTEST_SOURCE_DIR/bench/no-hostdev-domain.xml"
tmp=/tmp/kvm-bind
rm -rf "$tmp"
mkdir -p "$tmp"

# ---- the NVMe VFs, on nvme ----------------------------------------------

nvme_ctrl() {
    local c
    for c in "$(pci_dev "$1")"/nvme/nvme*; do
        [ -e "$c" ] && echo "${c##*/}"
    done
    return 0
}

# every nvme controller of the functions given is live (its reset work,
# which probe() leaves running, is done)
nvme_live() {
    local bdf c state
    for bdf; do
        for c in /sys/bus/pci/devices/"$bdf"/nvme/nvme*; do
            [ -e "$c/state" ] || continue
            read -r state < "$c/state"
            [ "$state" = live ] || return 1
        done
    done
}

say "NVMe: lend the PF's flexible queues and vectors to 4 VFs, set them online"
ctrl=/dev/$(nvme_ctrl $pf)
mgmt() {
    python3 "$here/nvme-virt-mgmt.py" "$ctrl" "$@"
}
primary=$(mgmt cntlid)
# take the flexible resources (RT 1: interrupt vectors, 0: queues) from the
# primary controller; a controller reset makes that take effect
mgmt virt-mgmt "$primary" 1 1 0
mgmt virt-mgmt "$primary" 0 1 0
sysfs_write 1 "/sys/class/nvme/${ctrl#/dev/}/reset_controller"
# no probe while the VFs cannot answer: it would fail, slowly
sysfs_write 0 "$(pci_dev $pf)/sriov_drivers_autoprobe"
sysfs_write 4 "$(pci_dev $pf)/sriov_numvfs"
mgmt list-secondary > "$tmp/secondaries"
while read -r scid vfn _online _nvq _nvi; do
    mgmt virt-mgmt "$scid" 1 8 1    # assign 1 interrupt vector
    mgmt virt-mgmt "$scid" 0 8 2    # assign 2 queues: admin and one I/O
    mgmt virt-mgmt "$scid" 0 9 0    # online
    say "secondary controller $scid (VF $vfn) online"
done < "$tmp/secondaries"
sysfs_write 1 "$(pci_dev $pf)/sriov_drivers_autoprobe"
for n in 1 2 3 4; do
    sysfs_write "0000:03:00.$n" /sys/bus/pci/drivers_probe
done
wait_for 60 nvme_live "${eight[@]}" || fail "the VFs' nvme controllers did not come up"

declare -A original
for bdf in "${eight[@]}"; do
    original[$bdf]=$(pci_driver "$bdf")
    [ "${original[$bdf]}" != none ] || fail "$bdf has no driver"
    say "$bdf $(pci_id "$bdf") on ${original[$bdf]}"
done
modprobe vfio-pci

# ---- what is compared ----------------------------------------------------

domain_xml kvmbind1 "" "${one[@]}" > "$tmp/1.xml"
domain_xml kvmbind8 "" "${eight[@]}" > "$tmp/8.xml"
# the word the front looks for, and no request: the engine's fixed cost
echo "<domain type='kvm'><name>web01</name><description>no hostdev</description></domain>" > "$tmp/0.xml"
policy_with_timeout 5000

# what an administrator writes instead: libvirt's three writes per device
# (virPCIDeviceBindWithDriverOverride), and back
hand_script() {
    local bdf dev
    echo "#!/bin/sh"
    echo "set -e"
    for bdf in "${@:2}"; do
        dev=/sys/bus/pci/devices/$bdf
        if [ "$1" = prepare ]; then
            echo "echo vfio-pci > $dev/driver_override"
        else
            echo "echo > $dev/driver_override"
        fi
        echo "echo $bdf > $dev/driver/unbind"
        echo "echo $bdf > /sys/bus/pci/drivers_probe"
    done
}
# the devices of the domain with N hostdevs, in $devices
devices_of() {
    if [ "$1" = 1 ]; then
        devices=("${one[@]}")
    else
        devices=("${eight[@]}")
    fi
}

for n in 1 8; do
    devices_of $n
    for op in prepare release; do
        hand_script $op "${devices[@]}" > "$tmp/shell-$n-$op.sh"
        chmod +x "$tmp/shell-$n-$op.sh"
    done
done

# ---- checks, with builtins only: they run between timed runs -------------

expect_on() {
    local driver=$1 bdf
    shift
    for bdf; do
        [ -e "/sys/bus/pci/drivers/$driver/$bdf" ] || fail "$bdf is not on $driver ($(pci_driver "$bdf"))"
    done
}

expect_back() {
    local bdf override
    for bdf; do
        [ -e "/sys/bus/pci/drivers/${original[$bdf]}/$bdf" ] ||
            fail "$bdf is not back on ${original[$bdf]} ($(pci_driver "$bdf"))"
        read -r override < "/sys/bus/pci/devices/$bdf/driver_override"
        [ "$override" = "(null)" ] || fail "$bdf keeps driver_override $override"
    done
}

settle() {
    udevadm settle --timeout=30
    wait_for 30 nvme_live "$@" || fail "an nvme controller did not come back"
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

# cycle KIND N: prepare, check, release, check
cycle() {
    local kind=$1 n=$2 devices
    devices_of "$n"
    if [ "$kind" = hook ]; then
        timed "hook-$n-prepare" "$HOOK" "kvmbind$n" prepare begin - < "$tmp/$n.xml"
    else
        timed "shell-$n-prepare" "$tmp/shell-$n-prepare.sh"
    fi
    expect_on vfio-pci "${devices[@]}"
    settle
    if [ "$kind" = hook ]; then
        timed "hook-$n-release" "$HOOK" "kvmbind$n" release end - < "$tmp/$n.xml"
        [ ! -e "$(journal_of "kvmbind$n")" ] || fail "release left the journal"
    else
        timed "shell-$n-release" "$tmp/shell-$n-release.sh"
    fi
    expect_back "${devices[@]}"
    settle "${devices[@]}"
}

# the hook for a domain without hostdev (its front alone), /bin/true, and
# the hook for one that makes the front exec the engine, which finds nothing
no_device() {
    timed hook-0 "$HOOK" web01 prepare begin - < "$no_hostdev"
    timed true /bin/true < "$no_hostdev"
    timed engine-0 "$HOOK" web01 prepare begin - < "$tmp/0.xml"
}

say "warm-up: one round, checked with the scenarios' helpers"
hook kvmbind8 prepare begin < "$tmp/8.xml" || fail "prepare failed: $HOOK_ERR"
expect_on vfio-pci "${eight[@]}"
hook kvmbind8 release end < "$tmp/8.xml" || fail "release failed: $HOOK_ERR"
for bdf in "${eight[@]}"; do
    expect_restored "$bdf" "${original[$bdf]}"
done
settle "${eight[@]}"
cycle shell 8
cycle hook 1
cycle shell 1
no_device
: > "$samples"

items=("hook 1" "shell 1" "hook 8" "shell 8" "none")
say "$rounds rounds of: ${items[*]}, each round starting one further"
started=$EPOCHREALTIME
for ((round = 0; round < rounds; round++)); do
    for ((k = 0; k < ${#items[@]}; k++)); do
        item=${items[(round + k) % ${#items[@]}]}
        if [ "$item" = none ]; then
            no_device
        else
            # "hook 1" is two words: kind and count
            # shellcheck disable=SC2086
            cycle $item
        fi
    done
done
took=$(((${EPOCHREALTIME/./} - ${started/./}) / 1000000))

# ---- peak RSS, untimed ----------------------------------------------------

# shellcheck source=bench/vm/peak-rss.sh
. "$VMTEST_SOURCE_DIR/bench/vm/peak-rss.sh"

# rss NAME COMMAND...: the peak RSS of one run, in KiB, to $samples
rss() {
    local name=$1 kib
    shift
    peak_rss "$tmp/rss" "$@" > /dev/null 2> "$tmp/stderr" || fail "$name: $* failed: $(cat "$tmp/stderr")"
    read -r kib < "$tmp/rss"
    echo "rss-$name $kib" >> "$samples"
}
if [ "$(type -t peak_rss)" = function ]; then
    rss true /bin/true < "$no_hostdev"
    rss hook-0 "$HOOK" web01 prepare begin - < "$no_hostdev"
    rss engine-0 "$HOOK" web01 prepare begin - < "$tmp/0.xml"
    for n in 1 8; do
        devices_of $n
        rss "hook-$n-prepare" "$HOOK" "kvmbind$n" prepare begin - < "$tmp/$n.xml"
        settle
        rss "hook-$n-release" "$HOOK" "kvmbind$n" release end - < "$tmp/$n.xml"
        settle "${devices[@]}"
        rss "shell-$n-prepare" "$tmp/shell-$n-prepare.sh"
        settle
        rss "shell-$n-release" "$tmp/shell-$n-release.sh"
        settle "${devices[@]}"
    done
    expect_back "${eight[@]}"
fi

# ---- the report -------------------------------------------------------------

read -r kernel _ < /proc/sys/kernel/osrelease
awk -v rounds="$rounds" -v kernel="$kernel" -v cpus="$(nproc)" -v took="$took" -v rss_tool="$rss_tool" '
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
function kib(name) { return (name in rss) ? sprintf("%6d KiB", rss[name]) : sprintf("%10s", "-") }
$1 ~ /^rss-/ { rss[substr($1, 5)] = $2; next }
{ count[$1]++; value[$1, count[$1]] = $2 }
END {
    printf "kvm-bind: hostdev-hook against the equivalent shell script, kernel %s in QEMU (TCG, %d vCPUs)\n", kernel, cpus
    printf "  %d rounds, alternating (%d s); medians of wall time in ms; peak RSS from %s\n", rounds, took, rss_tool
    printf "  1 hostdev: 01:00.0 (e1000e); 8: 01:00.0, 02:00.0 (e1000e), 05:01.0, 05:02.0 (e1000), 03:00.1-4 (nvme VFs)\n\n"
    printf "  %-26s %8s %8s %8s  %10s %10s\n", "", "prepare", "release", "cycle", "RSS prep.", "RSS rel."
    for (n = 1; n <= 8; n += 7) {
        for (k = 1; k <= 2; k++) {
            kind = k == 1 ? "hook" : "shell"
            p = median(kind "-" n "-prepare"); r = median(kind "-" n "-release")
            cyc[kind, n] = p + r; pre[kind, n] = p; rel[kind, n] = r
            printf "  %-26s %8.1f %8.1f %8.1f  %s %s\n", (k == 1 ? "hook, " : "shell script, ") n " hostdev" (n > 1 ? "s" : ""),
                p / 1000, r / 1000, (p + r) / 1000, kib(kind "-" n "-prepare"), kib(kind "-" n "-release")
        }
        printf "  %-26s %7.2fx %7.2fx %7.2fx\n", "ratio hook/shell", pre["hook", n] / pre["shell", n],
            rel["hook", n] / rel["shell", n], cyc["hook", n] / cyc["shell", n]
    }
    hd = (cyc["hook", 8] - cyc["hook", 1]) / 7; sd = (cyc["shell", 8] - cyc["shell", 1]) / 7
    printf "\n  per device (8 vs 1 hostdevs, / 7): hook %.1f ms, shell script %.1f ms: ratio hook/shell %.2fx\n", hd / 1000, sd / 1000, hd / sd
    printf "  ratio 8 vs 1 hostdevs: hook %.2fx, shell script %.2fx\n", cyc["hook", 8] / cyc["hook", 1], cyc["shell", 8] / cyc["shell", 1]
    t0 = median("true"); h0 = median("hook-0"); e0 = median("engine-0")
    printf "\n  one prepare begin without a device:\n"
    printf "  %-34s %8.1f ms  %s\n", "/bin/true", t0 / 1000, kib("true")
    printf "  %-34s %8.1f ms  %s   ratio hook/true %.2fx\n", "hook, no hostdev (its front alone)", h0 / 1000, kib("hook-0"), h0 / t0
    printf "  %-34s %8.1f ms  %s   ratio hook/true %.2fx\n", "hook, engine exec'\''d, no request", e0 / 1000, kib("engine-0"), e0 / t0
    printf "\n  The hook does more than the script: it plans first (device, IOMMU group, journals of\n"
    printf "  other domains, whether the host uses the device), verifies each bind by reading the\n"
    printf "  driver back, and journals every step with fsync (in %s); the script does none of that.\n", ENVIRON["HOSTDEV_HOOK_STATE_DIR"]
}' "$samples"

say "give the NVMe VFs back"
settle "${eight[@]}"
sysfs_write 0 "$(pci_dev $pf)/sriov_numvfs"
