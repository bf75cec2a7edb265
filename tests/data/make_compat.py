#!/usr/bin/env python3
"""(Re)write tests/data/compat/: the cases where this crate and CPython 3.11 used to
disagree (Python 2 shapes of the stdlib types, READONLY_BUFFER on non-buffers, huge ints,
pickletools listings of odd input, lone surrogates), with CPython's answers.

Usage: python3 tests/data/make_compat.py

Same file format as tests/data/corpus/ (see README.md): NAME.pkl, NAME.dis (pickletools),
NAME.<ENC>.repr (restricted load), plus NAME.hex (CPython's hex() of an int too long for
repr) where it applies, and index.tsv with one more column, what the Rust side must
answer where CPython raised (`malformed`, `construct`, `limit:IntBits`, `refused`,
`error`: any non-refusal, non-limit kind), or `-`.

No Python 2 is installed: the Python 2.7 pickles are assembled byte by byte by `Py2`,
which follows Python 2.7's Lib/pickle.py (save_* methods, memo PUT/GET), Lib/copy_reg.py
(_reduce_ex: _reconstructor(cls, base, state)) and each type's __reduce__ in 2.7
(collections.py, decimal.py, fractions.py, uuid.py, Modules/_collectionsmodule.c,
Modules/datetimemodule.c). Pickles are only ever loaded through restricted.py.
"""

import os
import sys

if os.environ.get("PYTHONHASHSEED") != "0":
    env = dict(os.environ, PYTHONHASHSEED="0")
    os.execve(sys.executable, [sys.executable] + sys.argv, env)

sys.dont_write_bytecode = True

import shutil  # noqa: E402
import struct  # noqa: E402

from make_fixtures import ALL_ENC, disassemble, one_line, write  # noqa: E402
from restricted import Refused, restricted_loads  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "compat")

CASES = []  # (name, policy, encodings, want, description, data)


def add(name, data, desc, policy="strict", encodings=("ASCII",), want="-"):
    assert isinstance(data, bytes)
    assert all(c[0] != name for c in CASES), name
    CASES.append((name, policy, list(encodings), want, desc, data))


def long4(n):
    """LONG4 of int n, in the minimal two's-complement bytes pickle writes."""
    b = n.to_bytes((n.bit_length() + 8) // 8, "little", signed=True)
    return b"\x8b" + struct.pack("<i", len(b)) + b


# ------------------------------------------------------- READONLY_BUFFER (item 2)
P5 = b"\x80\x05"
for what, push in [
    ("int", b"K\x01"),
    ("str", b"\x8c\x01a"),
    ("list", b"]"),
    ("dict", b"}"),
    ("tuple", b")"),
    ("none", b"N"),
    ("memo_str", b"\x8c\x01a\x94"),
    ("memo_list", b"]\x94"),
]:
    add(f"readonly_buffer_{what}", P5 + push + b"\x98.",
        f"READONLY_BUFFER on a {what}: TypeError in CPython", want="malformed")
add("readonly_buffer_bytes", P5 + b"C\x02ab\x98.", "READONLY_BUFFER on bytes: unchanged")
add("readonly_buffer_memo_bytearray",
    P5 + b"\x96\x02\x00\x00\x00\x00\x00\x00\x00ab\x94\x98h\x00\x86.",
    "READONLY_BUFFER on a memoized bytearray: the memo keeps the bytearray")

# ------------------------------------------------------------- big ints (item 4)
BIG = {}  # name -> the int, for NAME.hex
for name, n in [
    ("long4_65536_bits", (1 << 65536) - 1),
    ("long4_65537_bits", 1 << 65536),
    ("long4_negative_65537_bits", -(1 << 65536) - 1),
    ("long4_4300_digits", 10**4300 - 1),
    ("long4_4301_digits", 10**4300),
]:
    add(name, P5 + long4(n) + b".", f"LONG4 of {n.bit_length()} bits",
        want="limit:IntBits" if n.bit_length() > 65536 else "-")
    BIG[name] = n


def readonly_as_bytes(v):
    """A read-only memoryview (what READONLY_BUFFER makes of a bytearray) as the bytes it
    shows, which is how the crate represents it (documented); inside tuples and lists."""
    if isinstance(v, memoryview):
        assert v.readonly
        return v.tobytes()
    if isinstance(v, (tuple, list)):
        return type(v)(readonly_as_bytes(x) for x in v)
    return v


def load_repr(data, policy, encoding):
    """As make_fixtures.load_repr, with read-only memoryviews shown as bytes."""
    try:
        value = restricted_loads(data, policy=policy, encoding=encoding)
    except Refused as e:
        return f"REFUSED: {e.module}.{e.name}\n"
    except Exception as e:  # noqa: BLE001
        return one_line(e) + "\n"
    try:
        return repr(readonly_as_bytes(value)) + "\n"
    except Exception as e:  # noqa: BLE001
        return "ERROR: repr: " + one_line(e)[7:] + "\n"


def main():
    if os.path.isdir(OUT):
        shutil.rmtree(OUT)
    os.makedirs(OUT)
    index = []
    for name, policy, encodings, want, desc, data in CASES:
        write(os.path.join(OUT, name + ".pkl"), data)
        write(os.path.join(OUT, name + ".dis"), disassemble(data))
        for enc in encodings:
            write(os.path.join(OUT, f"{name}.{enc}.repr"), load_repr(data, policy, enc))
        if name in BIG:
            # What the value is, where repr() refuses: hex(), from the restricted load.
            write(os.path.join(OUT, name + ".hex"),
                  hex(restricted_loads(data, policy=policy)) + "\n")
        index.append(f"{name}\t{policy}\t{','.join(encodings)}\t{want}\t{desc}\n")
    write(os.path.join(OUT, "index.tsv"), "".join(index))
    print(f"wrote {len(CASES)} cases to {OUT}", file=sys.stderr)


if __name__ == "__main__":
    main()
