#!/bin/sh
# Every crash point of a pciback prepare in a real Xen dom0 (issue #11, R1),
# for crash.lib's domain, a NIC with permissive mode and quirks: the prepare
# is SIGKILLed before each of its sysfs writes in turn
# (HOSTDEV_HOOK_FAULT=kill:N, test builds only), and `hostdevctl recover` or
# the next start, alternately, must give the NIC back its driver and
# driver_override, pciback its slot list, permissive and quirks, and leave
# no journal.
. "$VMTEST_LIB"
. "$VMTEST_SOURCE_DIR/tests/vm/scenarios/xen/crash.lib"

crash_sweep prepare "$crash_min_prepare" kill
crash_done
