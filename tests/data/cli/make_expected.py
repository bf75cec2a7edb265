#!/usr/bin/env python3
"""Expected outputs for tests/cli.rs, from CPython's pickletools (never from unpickling).

    python3 tests/data/cli/make_expected.py

- torch_dtypes.scan.tsv: for the torch `data.pkl` in ../torch/real,
  one row per GLOBAL / STACK_GLOBAL / PERSID / BINPERSID opcode: offset, opcode name and,
  for GLOBAL, `module.name`. `unpickle scan` must report every one of them.
- numpy_object.npy.dis: `pickletools.dis` of the object array's pickle in
  ../real/numpy_object.npy, read from the file positioned at the pickle (so the offsets are
  file offsets, as pickletools takes them from `tell()`).
- numpy_object.npy.globals: offsets of the opcodes that name globals in that pickle.
"""

import io
import os
import pickletools
import struct

HERE = os.path.dirname(os.path.abspath(__file__))
NAMING = ("GLOBAL", "STACK_GLOBAL", "INST")


def rows(data):
    for op, arg, pos in pickletools.genops(data):
        if op.name in NAMING + ("PERSID", "BINPERSID"):
            name = arg.replace(" ", ".") if op.name == "GLOBAL" else ""
            yield f"{pos}\t{op.name}\t{name}"


with open(os.path.join(HERE, "..", "torch", "real", "torch_dtypes.data.pkl"), "rb") as f:
    data = f.read()
with open(os.path.join(HERE, "torch_dtypes.scan.tsv"), "w") as f:
    f.write("".join(r + "\n" for r in rows(data)))

with open(os.path.join(HERE, "..", "real", "numpy_object.npy"), "rb") as f:
    raw = f.read()
assert raw[:8] == b"\x93NUMPY\x01\x00"
start = 10 + struct.unpack("<H", raw[8:10])[0]
stream = io.BytesIO(raw)
stream.seek(start)
out = io.StringIO()
pickletools.dis(stream, out)
with open(os.path.join(HERE, "numpy_object.npy.dis"), "w") as f:
    f.write(out.getvalue())
stream.seek(start)
with open(os.path.join(HERE, "numpy_object.npy.globals"), "w") as f:
    for op, arg, pos in pickletools.genops(stream):
        if op.name in NAMING:
            f.write(f"{pos}\n")
