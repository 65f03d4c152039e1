#!/bin/sh
# The engine loads vfio-pci itself when it is not loaded, through libkmod,
# which it opens only then (hd-kmod.c): on a real kernel, with the module
# unloaded first, prepare loads it and binds, release gives the NIC back.
. "$VMTEST_LIB"

if [ -d /sys/module/vfio_pci ]; then
    say "unload vfio-pci"
    modprobe -r vfio_pci || fail "cannot unload vfio-pci to start without it"
fi
[ ! -d /sys/bus/pci/drivers/vfio-pci ] || fail "vfio-pci is still registered"

domain_xml engine8 "" 0000:01:00.0 > /tmp/engine8.xml
hook engine8 prepare begin < /tmp/engine8.xml || fail "prepare failed: $HOOK_ERR"
[ -d /sys/module/vfio_pci ] || fail "prepare bound without loading vfio-pci?"
expect_driver 0000:01:00.0 vfio-pci
hook engine8 release end < /tmp/engine8.xml || fail "release failed: $HOOK_ERR"
expect_restored 0000:01:00.0 e1000e
[ ! -e "$(journal_of engine8)" ] || fail "release left the journal"
