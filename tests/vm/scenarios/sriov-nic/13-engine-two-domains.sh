#!/bin/sh
# Two domains on one PF: the first asks for 4 VFs and takes VF 0, the
# second takes VFs 2 and 3, which exist by then.  Whichever is released
# first leaves the other's VFs alone; the last one gives the PF back.
. "$VMTEST_LIB"
. "$VMTEST_SOURCE_DIR/tests/vm/scenarios/sriov-nic/sriov.lib"

domain_xml first "$(hd_meta "<hd:vfs pf='$PF' count='4'/>")" "$VF0" > /tmp/first.xml
domain_xml second "" "$VF2" "$VF3" > /tmp/second.xml

for order in "first second" "second first"; do
    set -- $order
    expect_pf_as_booted
    say "prepare first and second; release $1, then $2"
    prepare_ok first < /tmp/first.xml
    prepare_ok second < /tmp/second.xml
    expect_pf 4 0
    release_ok "$1" "/tmp/$1.xml"
    expect_pf 4 0
    if [ "$1" = first ]; then
        expect_driver "$VF2" vfio-pci
        expect_driver "$VF3" vfio-pci
        expect_driver "$VF0" none
    else
        expect_driver "$VF0" vfio-pci
        expect_driver "$VF2" none
    fi
    release_ok "$2" "/tmp/$2.xml"
    expect_pf_as_booted
done
