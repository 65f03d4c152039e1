#!/bin/sh
# The hook killed with SIGKILL in the middle of prepare: the journal says
# what it had done, status shows the unfinished device, and `hostdevctl
# recover` puts everything back.  The second device's bind is made to hang
# (pcieport refuses it, and the policy waits a minute for it), so the kill
# lands at a known step every time.
. "$VMTEST_LIB"

policy_with_timeout 60000
domain_xml engine5 "$(hd_meta "<hd:device address='0000:02:00.0' driver='pcieport'/>")" \
    0000:01:00.0 0000:02:00.0 > /tmp/engine5.xml
"$HOOK" engine5 prepare begin - < /tmp/engine5.xml > /dev/null 2>&1 &
pid=$!
journal=$(journal_of engine5)
# each entry's own step: the two devices' units run at once, so a "probe"
# anywhere in the file may still be 0000:01:00.0's, before it is bound
probing() {
    case " $(journal_steps engine5) " in
        *" 0000:02:00.0 bind probe "*) ;;
        *) return 1 ;;
    esac
    case " $(journal_steps engine5) " in
        *" 0000:01:00.0 bind done "*) ;;
        *) return 1 ;;
    esac
}
wait_for 30 probing || fail "the hook never reached the probe of 0000:02:00.0"
kill -9 "$pid"
wait "$pid" || true
say "killed at: $(grep '"step"' "$journal" | xargs)"
expect_driver 0000:01:00.0 vfio-pci
expect_driver 0000:02:00.0 none

"$HOSTDEVCTL" status | tee /tmp/status.txt
grep -q "^0000:02:00.0 .*unfinished (probe)" /tmp/status.txt || fail "status does not flag the unfinished bind"

say "recover"
"$HOSTDEVCTL" recover engine5 || fail "recover failed"
expect_restored 0000:01:00.0 e1000e
expect_restored 0000:02:00.0 e1000e
[ ! -e "$journal" ] || fail "recover left the journal"
