#!/bin/bash
# nics-concurrent: 4 e1000e lent and given back by the hook, by the fastest
# sequential shell, and by libvirt's own nodedev-detach/reattach
#
# A benchmark, not a test: run in the bench-nics guest of the real-kernel
# harness (four e1000e, each alone in its IOMMU group, libvirtd running) by
#     tests/vm/vmtest --flavour bench-nics --build-dir build --source-dir . \
#         --script bench/vm/nics-concurrent.sh [ROUNDS]
# or `meson compile -C build bench-vm-nics-concurrent` (ROUNDS 5).
#
# Times, alternating, ROUNDS rounds of, for the same four NICs:
#   - floor: this shell's own builtins writing driver_override, unbind and
#     drivers_probe per device, one device after the other, and back: no
#     fork, no exec, no check; nothing sequential can be faster;
#   - hook: `prepare begin` then `release end` of a domain with the four as
#     managed='no' hostdevs, as libvirt runs the hook: its engine binds and
#     restores independent IOMMU groups at once;
#   - virsh: `virsh nodedev-detach` of each, then `nodedev-reattach`, what
#     libvirt does for managed='yes' devices;
#   - floor at once: the floor's writes for the four devices in four
#     subshells at the same time: what any concurrent implementation could
#     at best do in this guest, whose 2 vCPUs bound how many drivers can
#     probe at once (under TCG a probe is CPU, not only sleep).
# Every run is timed from before the fork (none for the floor) to after the
# exit, checked untimed, and followed by `udevadm settle` and a wait for
# the four NICs' network interfaces, so no run pays for the asynchronous
# tail of the one before.  Prints medians and the ratios of issue #11:
#   P2  hook cycle / floor cycle (target <= 1.2) and virsh cycle / hook
#       cycle (target >= 5);
#   P3  hook restore / floor restore (target <= 0.5).
# Then, untimed, the peak RSS of the hook's prepare of the four (its
# engine's; target <= 6 MiB) and of their release, medians of 3 runs.
# Bash for $EPOCHREALTIME, a clock read without a fork.
[ -n "${BASH_VERSION-}" ] || exec bash "$0" "$@"
# shellcheck source=tests/vm/guest/lib.sh
. "$VMTEST_LIB"

rounds=${1:-5}
[ "$VMTEST_FLAVOUR" = bench-nics ] || skip "the bench-nics flavour's devices are named here"
[ -x "$HOOK" ] || skip "hook not built"
nics=(0000:01:00.0 0000:02:00.0 0000:03:00.0 0000:04:00.0)
tmp=/tmp/nics-concurrent
rm -rf "$tmp"
mkdir -p "$tmp"
samples=$tmp/samples
: > "$samples"

for bdf in "${nics[@]}"; do
    expect_driver "$bdf" e1000e
done
modprobe vfio-pci
domain_xml nics4 "" "${nics[@]}" > "$tmp/domain.xml"
policy_with_timeout 10000

# ---- the floor: builtins only ------------------------------------------------

floor_prepare() {
    local bdf
    for bdf in "${nics[@]}"; do
        echo vfio-pci > "/sys/bus/pci/devices/$bdf/driver_override"
        echo "$bdf" > "/sys/bus/pci/devices/$bdf/driver/unbind"
        echo "$bdf" > /sys/bus/pci/drivers_probe
    done
}

floor_release() {
    local bdf
    for bdf in "${nics[@]}"; do
        echo > "/sys/bus/pci/devices/$bdf/driver_override"
        echo "$bdf" > "/sys/bus/pci/devices/$bdf/driver/unbind"
        echo "$bdf" > /sys/bus/pci/drivers_probe
    done
}

floor_at_once() {
    local bdf
    for bdf in "${nics[@]}"; do
        (
            nics=("$bdf")
            "$1"
        ) &
    done
    wait
}

# ---- virsh ---------------------------------------------------------------------

nodedev() {
    echo "pci_$(echo "$1" | tr ':.' '__')"
}

virsh_detach_all() {
    local bdf
    for bdf in "${nics[@]}"; do
        virsh -q nodedev-detach "$(nodedev "$bdf")" || return 1
    done
}

virsh_reattach_all() {
    local bdf
    for bdf in "${nics[@]}"; do
        virsh -q nodedev-reattach "$(nodedev "$bdf")" || return 1
    done
}

# ---- checks and settling, untimed ---------------------------------------------

expect_all_on() {
    local bdf
    for bdf in "${nics[@]}"; do
        [ -e "/sys/bus/pci/drivers/$1/$bdf" ] || fail "$bdf is not on $1 ($(pci_driver "$bdf"))"
    done
}

expect_all_back() {
    local bdf override
    expect_all_on e1000e
    for bdf in "${nics[@]}"; do
        read -r override < "/sys/bus/pci/devices/$bdf/driver_override"
        [ "$override" = "(null)" ] || fail "$bdf keeps driver_override $override"
    done
}

nics_have_netdevs() {
    local bdf
    for bdf in "${nics[@]}"; do
        [ -n "$(ls "/sys/bus/pci/devices/$bdf/net" 2> /dev/null)" ] || return 1
    done
}

settle() {
    udevadm settle --timeout=30 || fail "udev did not settle within 30 s"
    if [ "${1-}" = back ]; then
        wait_for 30 nics_have_netdevs || fail "the NICs had no network interface 30 s after their restore"
    fi
}

# timed NAME COMMAND...: one run, its wall time in microseconds to $samples
timed() {
    local name=$1 start end
    shift
    start=$EPOCHREALTIME
    "$@" > /dev/null 2> "$tmp/stderr" || fail "$name: $* failed: $(cat "$tmp/stderr")"
    end=$EPOCHREALTIME
    echo "$name $((${end/./} - ${start/./}))" >> "$samples"
}

cycle() {
    case $1 in
        floor)
            timed floor-prepare floor_prepare
            expect_all_on vfio-pci
            settle
            timed floor-release floor_release
            ;;
        hook)
            timed hook-prepare "$HOOK" nics4 prepare begin - < "$tmp/domain.xml"
            expect_all_on vfio-pci
            settle
            timed hook-release "$HOOK" nics4 release end - < "$tmp/domain.xml"
            [ ! -e "$(journal_of nics4)" ] || fail "release left the journal"
            ;;
        parallel)
            timed parallel-prepare floor_at_once floor_prepare
            expect_all_on vfio-pci
            settle
            timed parallel-release floor_at_once floor_release
            ;;
        virsh)
            timed virsh-prepare virsh_detach_all
            expect_all_on vfio-pci
            settle
            timed virsh-release virsh_reattach_all
            ;;
    esac
    expect_all_back
    settle back
}

say "warm-up: one cycle of each"
for kind in floor hook virsh parallel; do
    cycle $kind
done
: > "$samples"

items=(floor hook virsh parallel)
say "$rounds rounds of: ${items[*]}, each round starting one further"
started=$EPOCHREALTIME
for ((round = 0; round < rounds; round++)); do
    for ((k = 0; k < ${#items[@]}; k++)); do
        cycle "${items[(round + k) % ${#items[@]}]}"
    done
done
took=$(((${EPOCHREALTIME/./} - ${started/./}) / 1000000))

# ---- peak RSS, untimed ---------------------------------------------------------

# shellcheck source=bench/vm/peak-rss.sh
. "$VMTEST_SOURCE_DIR/bench/vm/peak-rss.sh"
if [ "$(type -t peak_rss)" = function ]; then
    for ((round = 0; round < 3; round++)); do
        peak_rss "$tmp/rss" "$HOOK" nics4 prepare begin - < "$tmp/domain.xml" ||
            fail "prepare failed under $rss_tool"
        echo "rss-prepare $(cat "$tmp/rss")" >> "$samples"
        expect_all_on vfio-pci
        settle
        peak_rss "$tmp/rss" "$HOOK" nics4 release end - < "$tmp/domain.xml" ||
            fail "release failed under $rss_tool"
        echo "rss-release $(cat "$tmp/rss")" >> "$samples"
        expect_all_back
        settle back
    done
fi

read -r kernel _ < /proc/sys/kernel/osrelease
awk -v rounds="$rounds" -v kernel="$kernel" -v cpus="$(nproc)" -v took="$took" -v rss_tool="$rss_tool" '
function median(name,    n, i, j, v, t) {
    n = count[name]
    for (i = 1; i <= n; i++) v[i] = value[name, i]
    for (i = 2; i <= n; i++) {
        t = v[i]
        for (j = i - 1; j >= 1 && v[j] > t; j--) v[j + 1] = v[j]
        v[j + 1] = t
    }
    return n % 2 ? v[(n + 1) / 2] : (v[n / 2] + v[n / 2 + 1]) / 2
}
{ count[$1]++; value[$1, count[$1]] = $2 }
END {
    printf "nics-concurrent: 4 e1000e, each alone in its IOMMU group; kernel %s in QEMU (TCG, %d vCPUs)\n", kernel, cpus
    printf "  %d rounds, alternating (%d s); medians of wall time in ms\n\n", rounds, took
    printf "  %-44s %8s %8s %8s\n", "", "bind", "restore", "total"
    split("floor hook virsh parallel", kinds, " ")
    label["floor"] = "floor: bash builtins, one device at a time"
    label["hook"] = "hostdev-hook prepare begin + release end"
    label["virsh"] = "virsh nodedev-detach x4 + nodedev-reattach x4"
    label["parallel"] = "floor at once: four subshells"
    for (k = 1; k <= 4; k++) {
        kind = kinds[k]
        p[kind] = median(kind "-prepare"); r[kind] = median(kind "-release")
        printf "  %-44s %8.1f %8.1f %8.1f\n", label[kind], p[kind] / 1000, r[kind] / 1000, (p[kind] + r[kind]) / 1000
    }
    hook = p["hook"] + r["hook"]; floor = p["floor"] + r["floor"]; virsh = p["virsh"] + r["virsh"]
    printf "\n  P2: hook / floor, total   %5.2fx  (target <= 1.2x)\n", hook / floor
    printf "  P2: virsh / hook, total   %5.2fx  (target >= 5x)\n", virsh / hook
    printf "  P3: hook / floor, restore %5.2fx  (target <= 0.5x)\n", r["hook"] / r["floor"]
    printf "      hook / floor, bind    %5.2fx\n", p["hook"] / p["floor"]
    printf "  the best any concurrent restore did here: floor at once / floor %.2fx\n", r["parallel"] / r["floor"]
    if (count["rss-prepare"] > 0) {
        printf "\n  peak RSS (%s), medians of %d: prepare of the four %.2f MiB (target <= 6 MiB), release %.2f MiB\n",
               rss_tool, count["rss-prepare"], median("rss-prepare") / 1024, median("rss-release") / 1024
    } else {
        printf "\n  peak RSS not measured: %s\n", rss_tool
    }
}' "$samples"
