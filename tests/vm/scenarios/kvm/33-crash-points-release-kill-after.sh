#!/bin/sh
# Every crash point of a vfio-pci release on a real kernel (issue #11, R1),
# for crash.lib's domain of four functions, one IOMMU group of two among
# them: lent by a clean prepare each time, the release is SIGKILLed after
# each of its sysfs writes in turn (HOSTDEV_HOOK_FAULT=kill-after:N, test
# builds only), and `hostdevctl recover` or the next start, alternately,
# must give every function back its driver and driver_override, and leave no
# journal.
. "$VMTEST_LIB"
. "$VMTEST_SOURCE_DIR/tests/vm/scenarios/kvm/crash.lib"

crash_sweep release "$crash_min_release" kill-after
