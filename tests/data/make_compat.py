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

import pickle  # noqa: E402
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
add("long_hex_text_65537_bits", b"L0x1" + b"0" * 16384 + b"L\n.",
    "LONG text in hexadecimal, 65 537 bits (pickletools reads base 10 and fails)",
    want="limit:IntBits")

# ------------------------------------- listings pickletools prints (item 5)
F4 = b"\x80\x04\x95"
add("string_lone_quote", b"S'\n.",
    "STRING whose argument is one quote: pickletools shows ''", want="malformed")
add("string_lone_double_quote", b'S"\n.',
    "STRING whose argument is one double quote", want="malformed")
add("put_negative", b"Np-1\n.", "PUT with a negative index", want="malformed")
add("put_get_bool_text", b"Np01\n0g1\n.",
    "PUT 01 (pickletools: True) read back by GET 1")
add("int_leading_zero", b"I010\n.", "INT 010: 8 for the unpickler (strtol), 10 for pickletools")
add("int_hex", b"I0x1f\n.", "INT 0x1f: 31 for the unpickler, an error for pickletools")
add("long_leading_zero", b"L010L\n.",
    "LONG 010L: an error for the unpickler, 10 for pickletools", want="malformed")
add("float_overflow", b"F1e999\n.", "FLOAT whose text overflows: pickletools shows inf",
    want="malformed")
add("float_spaces_underscores", b"F 1_0.5 \n.",
    "FLOAT with spaces and an underscore: float() takes it", want="malformed")
add("frame_straddled", F4 + struct.pack("<Q", 1) + b"K\x01.",
    "BININT1 straddling its frame's end (pickletools ignores frames; the C unpickler too)",
    want="malformed")
add("frame_longer_than_data", F4 + struct.pack("<Q", 255) + b"N.",
    "FRAME longer than the data", want="malformed")
add("frame_in_frame", F4 + struct.pack("<Q", 11) + b"\x95" + struct.pack("<Q", 1) + b"N.",
    "FRAME opened inside a frame", want="malformed")

# ------------------------------------------------- lone surrogates (item 6)
for i, s in enumerate(["\ud800", "\udcff.txt", "a\ud800\udc00b", "\udfff'\"", "\U00010000\udc80"]):
    for p in range(6):
        add(f"surrogate_{i}_p{p}", pickle.dumps(s, p), f"str {ascii(s)} at protocol {p}")
for p in range(6):
    add(f"surrogate_keys_p{p}", pickle.dumps({"\udcff": 1, "x\udcff": ["\udcff", "\udcff"]}, p),
        f"surrogate strings as dict keys and repeated (memo), protocol {p}")
add("surrogate_binunicode8", b"\x8d" + struct.pack("<Q", 3) + b"\xed\xb2\x80.",
    "BINUNICODE8 of '\\udc80'")
add("surrogate_stack_global_p4",
    b"\x80\x04\x8c\x03\xed\xa0\x80\x8c\x01x\x93.",
    "STACK_GLOBAL of a module name holding a surrogate: no policy can name it, so it is"
    " malformed here (CPython's restricted find_class refuses it)", want="malformed")
add("utf8_invalid_binunicode", b"X\x02\x00\x00\x00\xff\xfe.",
    "BINUNICODE that is not UTF-8, even with surrogatepass", want="malformed")
add("py2_string_of_encoded_surrogate", b"U\x03\xed\xa0\x80.",
    "SHORT_BINSTRING of an encoded surrogate", encodings=ALL_ENC)

# ------------------------------------------------------------- also checked
add("persid_non_ascii_no_loader", b"P\xe9\n.",
    "PERSID with a non-ASCII id and no persistent_load: CPython asks for the loader first",
    want="unsupported")
add("persid_ascii_no_loader", b"Pid\n.", "PERSID with no persistent_load",
    want="unsupported")
add("inst_compat_set", b"((lp0\nI1\naI2\nai__builtin__\nset\n.",
    "INST __builtin__.set (mapped to builtins.set) with a list argument")
add("inst_compat_set_empty", b"(i__builtin__\nset\n.",
    "INST __builtin__.set with no arguments: set.__new__(set)")
add("inst_compat_userdict", b"(iUserDict\nUserDict\n.",
    "INST UserDict.UserDict: the policy is asked about collections.UserDict", want="refused")
add("inst_compat_copy_reg_p2", b"\x80\x02(icopy_reg\n_reconstructor\n.",
    "INST copy_reg._reconstructor under PROTO 2: asked as copyreg._reconstructor",
    want="refused")
add("inst_not_mapped_p3", b"\x80\x03(i__builtin__\nset\n.",
    "INST __builtin__.set at protocol 3: not mapped", want="refused")
add("next_buffer_no_buffers", b"\x80\x05\x97.",
    "NEXT_BUFFER with no buffers= argument", want="unsupported")


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
        # A name holding a surrogate is written with a backslash escape.
        line = f"REFUSED: {e.module}.{e.name}\n"
        return line.encode("utf-8", "backslashreplace").decode("utf-8")
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
