#!/bin/sh
# Every crash point of the SR-IOV prepare on a real igb (issue #11, R1), for
# the VFs made on demand (crash.lib's crash_on_demand: a hostdev VF with
# MAC, VLAN, trust and spoof check, and an interface VF for which the PF's
# link goes up): the prepare is SIGKILLed before each of its mutations in
# turn (HOSTDEV_HOOK_FAULT=kill:N, test builds only: sysfs writes and
# netlink changes alike), and `hostdevctl recover` or the next start,
# alternately, must give the PF back its VF count, autoprobe and link (no
# VFs, autoprobe on, down), and leave no journal.
. "$VMTEST_LIB"
. "$VMTEST_SOURCE_DIR/tests/vm/scenarios/sriov-nic/sriov.lib"
. "$VMTEST_SOURCE_DIR/tests/vm/scenarios/sriov-nic/crash.lib"

crash_on_demand
crash_sweep prepare "$crash_min_points" kill
expect_pf_as_booted
