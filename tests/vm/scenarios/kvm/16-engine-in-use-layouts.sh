#!/bin/sh
# The in-use checks on layouts a host really has, found from the used
# device down to its PCI function: a mounted partition of a SATA disk, seven
# levels below its AHCI controller (ata1/host*/target*/*/block/sda/sda1),
# and a virtio-net NIC, whose interface hangs off the virtio device
# (virtio*/net/...), not off the PCI function.  Each is refused for
# managed='no' and managed='yes' alike, with the host unchanged; force='yes'
# takes it, and release gives it back.
. "$VMTEST_LIB"

ahci=0000:06:00.0
virtio=0000:07:00.0
advice="set force='yes' in the domain's hostdev-hook metadata to take it anyway"

expect_eq "ID of $ahci" "$(pci_id "$ahci")" 8086:2922
expect_eq "ID of $virtio" "$(pci_id "$virtio")" 1af4:1041

# refused BDF DRIVER WHY: prepare refuses the device, managed or not, for
# WHY, and leaves it on DRIVER with no journal
refused() {
    local managed
    for managed in no yes; do
        domain_xml engine16 "" "$1" | sed "s/managed='no'/managed='$managed'/" > /tmp/engine16.xml
        if hook engine16 prepare begin < /tmp/engine16.xml; then
            fail "prepare took $1 (managed='$managed') although $3"
        fi
        expect_eq "the refusal of $1 (managed='$managed')" "$HOOK_ERR" \
            "hostdev-hook: engine16: $1: in use by the host: $3; $advice"
        expect_restored "$1" "$2"
        [ ! -e "$(journal_of engine16)" ] || fail "a refused prepare left a journal"
    done
}

# forced BDF: a managed='no' prepare with force='yes' takes it anyway
forced() {
    domain_xml engine16 "$(hd_meta "<hd:device address='$1' force='yes'/>")" "$1" > /tmp/engine16.xml
    hook engine16 prepare begin < /tmp/engine16.xml || fail "a forced prepare failed: $HOOK_ERR"
    expect_driver "$1" vfio-pci
}

released() {
    hook engine16 release end < /tmp/engine16.xml || fail "release failed"
    expect_restored "$1" "$2"
}

# the first partition of the disk on the AHCI controller, by sysfs name
ahci_partition() {
    local dir
    for dir in "$(pci_dev "$ahci")"/ata*/host*/target*/*/block/*/*; do
        if [ -e "$dir/partition" ]; then
            echo "${dir##*/}"
            return 0
        fi
    done
    return 1
}

say "a mounted partition of the SATA disk behind $ahci"
part=$(ahci_partition) || fail "no partition on the disk of $ahci"
mkfs.ext4 -q "/dev/$part"
mount "/dev/$part" /mnt
refused "$ahci" ahci "block device $part is mounted on /mnt"

say "force='yes' takes the controller from under the mount"
forced "$ahci"
umount /mnt
released "$ahci" ahci
wait_for 30 ahci_partition > /dev/null || fail "the disk of $ahci did not come back"

say "the virtio-net NIC $virtio with an address"
[ ! -e "$(pci_dev "$virtio")/net" ] || fail "$virtio has a net/ of its own: not the layout under test"
ifname=$(ls "$(pci_dev "$virtio")"/virtio*/net)
ip link set "$ifname" up
ip addr add 192.0.2.7/24 dev "$ifname"
refused "$virtio" virtio-pci "network interface $ifname has address 192.0.2.7/24"

say "force='yes'"
forced "$virtio"
released "$virtio" virtio-pci
