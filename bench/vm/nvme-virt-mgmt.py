#!/usr/bin/python3
"""The two NVMe admin commands of nvme-cli's list-secondary and virt-mgmt.

QEMU's emulated NVMe controller creates its SR-IOV VFs offline and without
queues: the nvme driver fails to probe them ("Device not ready") until the
PF lends them flexible resources and sets them online with the
Virtualization Management command, as QEMU's docs/system/devices/nvme.rst
shows with nvme-cli.  Debian 12's host root has no nvme-cli, so the
commands go through the NVME_IOCTL_ADMIN_CMD ioctl from here.

usage: nvme-virt-mgmt.py /dev/nvmeN cntlid
       nvme-virt-mgmt.py /dev/nvmeN list-secondary     (SCID VFN ONLINE NVQ NVI per line)
       nvme-virt-mgmt.py /dev/nvmeN virt-mgmt CNTLID RT ACT NR
         RT 0 = VQ, 1 = VI; ACT 1 = primary flexible allocation, 7 = secondary
         offline, 8 = secondary assign, 9 = secondary online
"""

import ctypes
import fcntl
import os
import struct
import sys

# struct nvme_passthru_cmd (linux/nvme_ioctl.h), 72 bytes
PASSTHRU = struct.Struct("=BBHIIIQQIIIIIIIIII")
NVME_IOCTL_ADMIN_CMD = 0xC0000000 | PASSTHRU.size << 16 | ord("N") << 8 | 0x41
OPC_IDENTIFY = 0x06
OPC_VIRT_MGMT = 0x1C
CNS_CONTROLLER = 0x01
CNS_SECONDARY_LIST = 0x15


def admin(fd, opcode, cdw10, cdw11=0, data_len=0):
    """Run one admin command; returns its data buffer (or None)."""
    buf = ctypes.create_string_buffer(data_len) if data_len else None
    addr = ctypes.addressof(buf) if buf is not None else 0
    cmd = bytearray(PASSTHRU.pack(opcode, 0, 0, 0, 0, 0, 0, addr, 0, data_len,
                                  cdw10, cdw11, 0, 0, 0, 0, 0, 0))
    fcntl.ioctl(fd, NVME_IOCTL_ADMIN_CMD, cmd)
    return buf.raw if buf is not None else None


def main():
    if len(sys.argv) < 3:
        sys.exit(__doc__)
    fd = os.open(sys.argv[1], os.O_RDWR)
    command = sys.argv[2]
    if command == "cntlid":
        data = admin(fd, OPC_IDENTIFY, CNS_CONTROLLER, data_len=4096)
        print(struct.unpack_from("<H", data, 78)[0])
    elif command == "list-secondary":
        data = admin(fd, OPC_IDENTIFY, CNS_SECONDARY_LIST, data_len=4096)
        for i in range(data[0]):
            entry = 32 + 32 * i
            scid, _pcid, scs = struct.unpack_from("<HHB", data, entry)
            vfn, nvq, nvi = struct.unpack_from("<HHH", data, entry + 8)
            print(scid, vfn, scs & 1, nvq, nvi)
    elif command == "virt-mgmt":
        cntlid, rt, act, nr = (int(a) for a in sys.argv[3:7])
        admin(fd, OPC_VIRT_MGMT, act | rt << 8 | cntlid << 16, nr)
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main()
