#!/bin/sh
# Every crash point of the SR-IOV prepare on a real igb (issue #11, R1), for
# a VF that exists, with settings of its own, lent with others (crash.lib's
# crash_settings): the prepare is SIGKILLed before and after each of its
# mutations in turn (HOSTDEV_HOOK_FAULT=kill:N, kill-after:N, test builds
# only: sysfs writes and netlink changes alike), and `hostdevctl recover` or
# the next start, alternately, must give the VF back its driver (none),
# driver_override and every setting as `ip link show` shows it, leave the
# PF's VF count, autoprobe and link alone, and leave no journal.
. "$VMTEST_LIB"
. "$VMTEST_SOURCE_DIR/tests/vm/scenarios/sriov-nic/sriov.lib"
. "$VMTEST_SOURCE_DIR/tests/vm/scenarios/sriov-nic/crash.lib"

crash_settings
crash_sweep prepare "$crash_min_points" kill kill-after
crash_settings_done
