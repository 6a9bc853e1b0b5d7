#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0
"""Test-only: an ELF core reader independent of libminidump, for mdtest.

Usage: elfcheck.py ELF [VADDR LEN]...
Parses the ELF64 header (with the PN_XNUM escape: the real program header
count in section header 0's sh_info), every program header and the notes,
checks that each segment lies inside the file, and prints one line each:
  elf type=T machine=M phnum=N xnum=0|1
  notes-first=0|1    (1: every PT_NOTE ends before the first PT_LOAD's
                      data, inside what crash reads as the header)
  note NAME type=T desc=HEX
  load VADDR PADDR FILESZ MEMSZ   (hex, no 0x; offsets are not printed)
  read VADDR HEX                  (bytes at VADDR through the PT_LOADs)
Exits 1 with a message on stderr if the file is malformed or a read
address is not covered.
"""
import struct
import sys

PT_LOAD, PT_NOTE, PN_XNUM = 1, 4, 0xFFFF


def fail(msg):
    sys.stderr.write("elfcheck: %s\n" % msg)
    sys.exit(1)


def main():
    path = sys.argv[1]
    with open(path, "rb") as f:
        data = f.read(64)
        if len(data) < 64 or data[:4] != b"\x7fELF":
            fail("not an ELF file")
        if data[4] != 2 or data[5] != 1:
            fail("not ELF64 little-endian")
        (e_type, e_machine, _ver, _entry, e_phoff, e_shoff, _flags, _ehsize,
         e_phentsize, e_phnum, e_shentsize, e_shnum,
         _shstrndx) = struct.unpack("<HHIQQQIHHHHHH", data[16:64])
        size = f.seek(0, 2)
        xnum = 0
        phnum = e_phnum
        if e_phnum == PN_XNUM:
            if e_shoff == 0 or e_shnum < 1 or e_shentsize != 64:
                fail("PN_XNUM without section header 0")
            f.seek(e_shoff)
            sh = f.read(64)
            phnum = struct.unpack("<IIQQQQIIQQ", sh)[7]
            xnum = 1
        if e_phentsize != 56:
            fail("e_phentsize %d" % e_phentsize)
        f.seek(e_phoff)
        raw = f.read(56 * phnum)
        if len(raw) != 56 * phnum:
            fail("program headers past the end of the file")
        print("elf type=%d machine=%d phnum=%d xnum=%d" %
              (e_type, e_machine, phnum, xnum))
        loads = []
        note_end = 0
        for i in range(phnum):
            (p_type, _pf, off, vaddr, paddr, filesz, memsz,
             _align) = struct.unpack_from("<IIQQQQQQ", raw, 56 * i)
            if off + filesz > size:
                fail("segment %d [%#x, +%#x) past the end of the file (%d)" %
                     (i, off, filesz, size))
            if p_type == PT_NOTE:
                note_end = max(note_end, off + filesz)
                f.seek(off)
                notes = f.read(filesz)
                pos = 0
                while pos + 12 <= len(notes):
                    namesz, descsz, ntype = struct.unpack_from("<III", notes, pos)
                    name = notes[pos + 12:pos + 12 + namesz].rstrip(b"\0")
                    dpos = pos + 12 + ((namesz + 3) & ~3)
                    desc = notes[dpos:dpos + descsz]
                    if len(desc) != descsz:
                        fail("note desc past the segment")
                    print("note %s type=%d desc=%s" %
                          (name.decode("ascii", "replace"), ntype, desc.hex()))
                    pos = dpos + ((descsz + 3) & ~3)
                if pos != len(notes):
                    fail("PT_NOTE size %d, its notes end at %d" % (filesz, pos))
            elif p_type == PT_LOAD:
                print("load %x %x %x %x" % (vaddr, paddr, filesz, memsz))
                loads.append((vaddr, off, filesz))
        first = min([off for _va, off, _sz in loads], default=0)
        print("notes-first=%d" % (note_end <= first))
        args = sys.argv[2:]
        for j in range(0, len(args) - 1, 2):
            va, n = int(args[j], 0), int(args[j + 1], 0)
            for vaddr, off, filesz in loads:
                if vaddr <= va and va + n <= vaddr + filesz:
                    f.seek(off + va - vaddr)
                    print("read %x %s" % (va, f.read(n).hex()))
                    break
            else:
                fail("no PT_LOAD holds [%#x, +%d)" % (va, n))


main()
