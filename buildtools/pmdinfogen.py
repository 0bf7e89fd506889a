#!/usr/bin/python3
"""Write the PMD_INFO_STRING source of a DPDK driver library.

DPDK's registration macros leave local marker symbols in a driver's objects:
  this_pmd_name<N>               the driver name, one per RTE_PMD_REGISTER_{PCI,VDEV,...}
  __<drv>_pci_tbl_export         the *name* of the driver's rte_pci_id table
  __<drv>_kmod_dep_export        kernel modules the driver needs
  __<drv>_param_string_export    the devargs the driver accepts
Local symbols are only reliable before the final link, so this reads the driver's objects (or
the static archive holding them, thin or not) and writes a C++ source with one
"PMD_INFO_STRING= {json}" string per driver. dpdk-pmdinfo.py finds those strings in the .rodata of
the linked library; it expects the keys name, params, kmod and pci_ids (always present; a list
of [vendor, device, subsystem vendor, subsystem device]).

Usage: pmdinfogen.py OBJECT_OR_ARCHIVE... --output FILE.cpp
"""

import argparse
import io
import json
import os
import re
import shutil
import struct
import subprocess
import sys

from elftools.elf.elffile import ELFFile
from elftools.elf.sections import SymbolTableSection

DRIVER_MARKER = re.compile(r"this_pmd_name\d+")
OPTION_SUFFIXES = (("params", "_param_string_export"), ("kmod", "_kmod_dep_export"))
PCI_ID = struct.Struct("IHHHH")  # class, vendor, device, subsystem vendor, subsystem device


class PmdInfoError(Exception):
    pass


def archive_members(path):
    """Yield (member name, bytes) for each object of an ar archive (GNU regular or thin)."""
    with open(path, "rb") as f:
        data = f.read()
    magic = data[:8]
    if magic not in (b"!<arch>\n", b"!<thin>\n"):
        raise PmdInfoError(f"{path}: not an ar archive")
    thin = magic == b"!<thin>\n"
    long_names = b""
    pos = 8
    while pos + 60 <= len(data):
        header = data[pos:pos + 60]
        name = header[:16].decode("ascii").rstrip()
        size = int(header[48:58].decode("ascii"))
        body = pos + 60
        stored = size  # the symbol index and long-name table are stored even in thin archives
        if name == "//":
            long_names = data[body:body + size]
        elif name not in ("/", "/SYM64/"):
            if name.startswith("/"):
                start = int(name[1:])
                member = long_names[start:long_names.index(b"/\n", start)].decode()
            else:
                member = name.rstrip("/")
            if thin:
                stored = 0
                member_path = os.path.join(os.path.dirname(path), member)
                with open(member_path, "rb") as f:
                    yield member_path, f.read()
            else:
                yield f"{path}({member})", data[body:body + size]
        pos = body + stored + (stored & 1)


def input_objects(paths):
    for path in paths:
        with open(path, "rb") as f:
            is_archive = f.read(8) in (b"!<arch>\n", b"!<thin>\n")
        if is_archive:
            yield from archive_members(path)
        else:
            with open(path, "rb") as f:
                yield path, f.read()


class Symbol:
    """A data symbol of one object, with its bytes and its C++-unmangled name."""

    def __init__(self, origin, raw_name, value):
        self.origin = origin
        self.raw_name = raw_name
        self.value = value
        self.name = raw_name  # replaced by the demangled name where there is one

    @property
    def short_name(self):
        return self.name.rsplit("::", 1)[-1]

    def c_string(self):
        return self.value.split(b"\0", 1)[0].decode("utf-8")


def object_symbols(origin, data):
    elf = ELFFile(io.BytesIO(data))
    symtab = elf.get_section_by_name(".symtab")
    if not isinstance(symtab, SymbolTableSection):
        return [], elf.little_endian
    symbols = []
    for sym in symtab.iter_symbols():
        index = sym["st_shndx"]
        if sym["st_info"]["type"] != "STT_OBJECT" or not isinstance(index, int):
            continue
        section = elf.get_section(index)
        offset, size = sym["st_value"], sym["st_size"]
        if section["sh_type"] == "SHT_NOBITS":
            value = bytes(size)
        else:
            value = section.data()[offset:offset + size]
        symbols.append(Symbol(origin, sym.name, value))
    return symbols, elf.little_endian


def demangle(symbols):
    """Give C++ symbols their source names ("ns::table"); DPDK's macros may sit in a namespace."""
    mangled = [s for s in symbols if s.raw_name.startswith("_Z")]
    tool = shutil.which("c++filt")
    if not mangled or not tool:
        return
    out = subprocess.run([tool], input="\n".join(s.raw_name for s in mangled) + "\n",
                         capture_output=True, text=True, check=True).stdout.splitlines()
    for sym, name in zip(mangled, out):
        sym.name = name.replace("(anonymous namespace)::", "")


class Image:
    """All data symbols of the inputs, looked up by source name."""

    def __init__(self, paths):
        self.symbols = []
        self.little_endian = True
        for origin, data in input_objects(paths):
            symbols, self.little_endian = object_symbols(origin, data)
            self.symbols += symbols
        demangle(self.symbols)

    def find(self, name, near=None):
        """The symbol called `name` (qualified or not); prefer the one in the object `near`."""
        name = name.replace(" ", "").lstrip(":")
        hits = [s for s in self.symbols if s.name == name]
        if not hits and "::" not in name:
            hits = [s for s in self.symbols if s.short_name == name]
        if len(hits) > 1 and near is not None:
            hits = [s for s in hits if s.origin == near.origin] or hits
        distinct = {h.value for h in hits}
        if len(distinct) > 1:
            where = ", ".join(sorted({h.origin for h in hits}))
            raise PmdInfoError(f"'{name}' is defined differently in several objects: {where}")
        return hits[0] if hits else None


def read_pci_ids(image, driver, table_name, marker):
    table = image.find(table_name, near=marker)
    if table is None:
        raise PmdInfoError(f"{driver}: PCI table '{table_name}' (named by RTE_PMD_REGISTER_PCI_TABLE) "
                           "is not defined in the driver's objects")
    layout = struct.Struct(("<" if image.little_endian else ">") + PCI_ID.format)
    ids = []
    for offset in range(0, len(table.value) - layout.size + 1, layout.size):
        _, vendor, device, sub_vendor, sub_device = layout.unpack_from(table.value, offset)
        if vendor == 0:  # the table's terminating entry, as the PCI bus reads it
            break
        ids.append([vendor, device, sub_vendor, sub_device])
    return ids


def collect_drivers(image):
    drivers = {}
    for marker in image.symbols:
        if not DRIVER_MARKER.fullmatch(marker.short_name):
            continue
        name = marker.c_string()
        info = {"name": name}
        for key, suffix in OPTION_SUFFIXES:
            sym = image.find(f"__{name}{suffix}", near=marker)
            if sym is not None:
                info[key] = sym.c_string()
        table_ref = image.find(f"__{name}_pci_tbl_export", near=marker)
        info["pci_ids"] = read_pci_ids(image, name, table_ref.c_string(), table_ref) if table_ref else []
        if name in drivers and drivers[name] != info:
            raise PmdInfoError(f"driver {name} is registered twice with different information")
        drivers[name] = info
    return list(drivers.values())


def cpp_source(drivers, inputs):
    lines = [
        "// Generated by buildtools/pmdinfogen.py; do not edit.",
        f"// From: {' '.join(os.path.basename(p) for p in inputs)}",
        "// dpdk-pmdinfo.py reads each PMD_INFO_STRING from the library's .rodata.",
    ]
    for info in drivers:
        text = "PMD_INFO_STRING= " + json.dumps(info)
        literal = text.replace("\\", "\\\\").replace('"', '\\"')
        ident = re.sub(r"\W", "_", info["name"])
        lines.append(f'[[gnu::used]] static const char pmd_info_{ident}[] = "{literal}";')
    return "\n".join(lines) + "\n"


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("inputs", nargs="+", help="object files or static archives of one driver library")
    parser.add_argument("--output", "-o", required=True, help="C++ source to write")
    args = parser.parse_args()
    try:
        drivers = collect_drivers(Image(args.inputs))
        if not drivers:
            raise PmdInfoError("no driver registration (RTE_PMD_REGISTER_PCI/VDEV/...) found in "
                               + " ".join(args.inputs))
    except (PmdInfoError, OSError) as err:
        print(f"pmdinfogen: error: {err}", file=sys.stderr)
        return 1
    with open(args.output, "w", encoding="ascii") as out:
        out.write(cpp_source(drivers, args.inputs))
    return 0


if __name__ == "__main__":
    sys.exit(main())
