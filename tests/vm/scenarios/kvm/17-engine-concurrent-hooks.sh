#!/bin/sh
# R3 on a real kernel: four hooks at once, each preparing and releasing its
# own domain over and over, with claims that overlap (neighbouring devices
# of the same four: two e1000e, and the two e1000 of the bridge's group,
# asked for together).  A prepare may be refused only because another
# domain holds a device; no device is ever lent to two domains at once
# (each holder marks its devices with mkdir, which fails when a mark is
# there), and afterwards every device is back on its own driver with no
# journal left.
. "$VMTEST_LIB"

HOOKS=4
ROUNDS=8
marks=/tmp/r3-marks
rm -rf "$marks" /tmp/r3-*.log
mkdir -p "$marks"

# the claims: one of the e1000e, the other, the bridge's group whole
claim_devices() {
    case $1 in
        0) echo 0000:01:00.0 ;;
        1) echo 0000:01:00.0 0000:02:00.0 ;;
        2) echo 0000:02:00.0 0000:05:01.0 0000:05:02.0 ;;
        *) echo 0000:05:01.0 0000:05:02.0 0000:01:00.0 ;;
    esac
}

driver_of_each_is() {
    local want=$1 bdf
    shift
    for bdf in "$@"; do
        [ "$(pci_driver "$bdf")" = "$want" ] || return 1
    done
}

# one hook's loop; its log says prepared/refused per round, and any
# violation as a line starting with "VIOLATION"
hook_loop() {
    local n=$1 name=r3dom$1 round=0 devices bdf xml=/tmp/r3-$1.xml
    while [ "$round" -lt "$ROUNDS" ]; do
        # shellcheck disable=SC2046
        devices=$(claim_devices $(((n + round) % 4)))
        # shellcheck disable=SC2086
        domain_xml "$name" "" $devices > "$xml"
        if "$HOOK" "$name" prepare begin - < "$xml" > /dev/null 2> "/tmp/r3-$n.err"; then
            for bdf in $devices; do
                mkdir "$marks/$bdf" 2> /dev/null || echo "VIOLATION: $bdf lent to $name while marked"
            done
            # shellcheck disable=SC2086
            driver_of_each_is vfio-pci $devices || echo "VIOLATION: $name prepared, not all on vfio-pci"
            echo "prepared $devices"
            for bdf in $devices; do
                rmdir "$marks/$bdf"
            done
            "$HOOK" "$name" release end - < "$xml" > /dev/null 2>> "/tmp/r3-$n.err" ||
                echo "VIOLATION: release of $name failed: $(cat "/tmp/r3-$n.err")"
        elif grep -qE "which hostdev-hook prepared it for|in the same group is lent to" "/tmp/r3-$n.err"; then
            echo "refused"
        else
            echo "VIOLATION: $name refused for another reason: $(cat "/tmp/r3-$n.err")"
        fi
        round=$((round + 1))
    done
}

say "$HOOKS hooks, $ROUNDS rounds each, overlapping claims"
pids=""
n=0
while [ "$n" -lt "$HOOKS" ]; do
    hook_loop "$n" > "/tmp/r3-$n.log" 2>&1 &
    pids="$pids $!"
    n=$((n + 1))
done
# each round is a few seconds under TCG at most; the scenario's own
# timeout bounds the whole, so a hung hook is reported, not waited for
for pid in $pids; do
    wait "$pid"
done

cat /tmp/r3-*.log
prepared=$(cat /tmp/r3-*.log | grep -c "^prepared") || true
refused=$(cat /tmp/r3-*.log | grep -c "^refused") || true
say "$((HOOKS * ROUNDS)) prepares: $prepared prepared, $refused refused"
! grep -h "^VIOLATION" /tmp/r3-*.log || fail "a device was lent twice, or a hook failed for another reason"
expect_eq "prepares that ran" "$((prepared + refused))" "$((HOOKS * ROUNDS))"
[ "$prepared" -gt 0 ] || fail "no prepare ever got its devices"

expect_restored 0000:01:00.0 e1000e
expect_restored 0000:02:00.0 e1000e
expect_restored 0000:05:01.0 e1000
expect_restored 0000:05:02.0 e1000
n=0
while [ "$n" -lt "$HOOKS" ]; do
    [ ! -e "$(journal_of r3dom$n)" ] || fail "r3dom$n left a journal"
    n=$((n + 1))
done
