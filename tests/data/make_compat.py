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


# ------------------------------------------------ Python 2.7's pickler (item 1)
class Py2Str(bytes):
    """A Python 2 `str` (8-bit string)."""


class Py2Global:
    """A class or function Python 2 names by module and name (save_global)."""

    def __init__(self, module, name):
        self.module, self.name = module, name


class Py2Reduce:
    """What a Python 2 object's __reduce_ex__(proto) returned: save_reduce's arguments."""

    def __init__(self, func, args, state=None, listitems=None, dictitems=None):
        self.func, self.args, self.state = func, args, state
        self.listitems, self.dictitems = listitems, dictitems


NEWOBJ_FUNC = Py2Global("copy_reg", "__newobj__")


def py2_repr_str(b):
    """Python 2's repr() of a str (what save_string writes after STRING)."""
    quote = "'"
    if b"'" in b and b'"' not in b:
        quote = '"'
    out = [quote]
    for c in b:
        ch = chr(c)
        if ch == quote or ch == "\\":
            out.append("\\" + ch)
        elif ch == "\t":
            out.append("\\t")
        elif ch == "\n":
            out.append("\\n")
        elif ch == "\r":
            out.append("\\r")
        elif c < 0x20 or c >= 0x7f:
            out.append("\\x%02x" % c)
        else:
            out.append(ch)
    out.append(quote)
    return "".join(out).encode("ascii")


def encode_long(n):
    """Python 2.7 pickle.encode_long: minimal little-endian two's complement, 0 -> ''."""
    if n == 0:
        return b""
    return n.to_bytes((n.bit_length() + 8) // 8, "little", signed=True).rstrip(b"") if False \
        else _minimal(n)


def _minimal(n):
    b = n.to_bytes((n.bit_length() + 8) // 8, "little", signed=True)
    # Drop a redundant sign byte, as encode_long's result is minimal.
    while len(b) > 1 and ((b[-1] == 0 and b[-2] < 0x80) or (b[-1] == 0xff and b[-2] >= 0x80)):
        b = b[:-1]
    return b


class Py2:
    """Writes what Python 2.7's Lib/pickle.py Pickler writes, for the object model above:
    None, bool, int (Python 2 int/long: `long` marks a long), float, Py2Str, str (unicode),
    tuple, list, dict, Py2Global, Py2Reduce. Memoizes as pickle.py does (by identity)."""

    def __init__(self, proto):
        self.proto, self.bin = proto, proto >= 1
        self.out, self.memo = [], {}

    def dumps(self, obj):
        if self.proto >= 2:
            self.out.append(b"\x80" + bytes([self.proto]))
        self.save(obj)
        self.out.append(b".")
        return b"".join(self.out)

    def w(self, b):
        self.out.append(b)

    def put(self, i):
        if self.bin:
            return b"q" + bytes([i]) if i < 256 else b"r" + struct.pack("<i", i)
        return b"p" + str(i).encode() + b"\n"

    def get(self, i):
        if self.bin:
            return b"h" + bytes([i]) if i < 256 else b"j" + struct.pack("<i", i)
        return b"g" + str(i).encode() + b"\n"

    def memoize(self, obj):
        i = len(self.memo)
        self.w(self.put(i))
        self.memo[id(obj)] = (i, obj)

    def save(self, obj, long=False):
        if id(obj) in self.memo and not isinstance(obj, (int, float, type(None))):
            self.w(self.get(self.memo[id(obj)][0]))
            return
        if obj is None:
            self.w(b"N")
        elif obj is True or obj is False:
            if self.proto >= 2:
                self.w(b"\x88" if obj else b"\x89")
            else:
                self.w(b"I01\n" if obj else b"I00\n")
        elif isinstance(obj, Py2Long):
            self.save_long(int(obj))
        elif isinstance(obj, int):
            self.save_int(obj)
        elif isinstance(obj, float):
            if self.bin:
                self.w(b"G" + struct.pack(">d", obj))
            else:
                self.w(b"F" + repr(obj).encode() + b"\n")
        elif isinstance(obj, Py2Str):
            if self.bin:
                n = len(obj)
                self.w((b"U" + bytes([n]) if n < 256 else b"T" + struct.pack("<i", n)) + obj)
            else:
                self.w(b"S" + py2_repr_str(obj) + b"\n")
            self.memoize(obj)
        elif isinstance(obj, str):
            if self.bin:
                e = obj.encode("utf-8")
                self.w(b"X" + struct.pack("<i", len(e)) + e)
            else:
                t = obj.replace("\\", "\\u005c").replace("\n", "\\u000a")
                self.w(b"V" + t.encode("raw-unicode-escape") + b"\n")
            self.memoize(obj)
        elif isinstance(obj, tuple):
            self.save_tuple(obj)
        elif isinstance(obj, list):
            self.w(b"]" if self.bin else b"(l")
            self.memoize(obj)
            self.batch_appends(obj)
        elif isinstance(obj, dict):
            self.w(b"}" if self.bin else b"(d")
            self.memoize(obj)
            self.batch_setitems(list(obj.items()))
        elif isinstance(obj, Py2Global):
            self.w(b"c" + obj.module.encode() + b"\n" + obj.name.encode() + b"\n")
            self.memoize(obj)
        elif isinstance(obj, Py2Reduce):
            self.save_reduce(obj)
        else:
            raise TypeError(type(obj))

    def save_int(self, n):
        if self.bin:
            if 0 <= n <= 0xff:
                return self.w(b"K" + bytes([n]))
            if 0 <= n <= 0xffff:
                return self.w(b"M" + struct.pack("<H", n))
            if -2**31 <= n < 2**31:
                return self.w(b"J" + struct.pack("<i", n))
        self.w(b"I" + repr(n).encode() + b"\n")

    def save_long(self, n):
        if self.proto >= 2:
            b = encode_long(n)
            if len(b) < 256:
                self.w(b"\x8a" + bytes([len(b)]) + b)
            else:
                self.w(b"\x8b" + struct.pack("<i", len(b)) + b)
        else:
            self.w(b"L" + repr(n).encode() + b"L\n")

    def save_tuple(self, t):
        n = len(t)
        if n == 0:
            self.w(b")" if self.bin else b"(t")
            return
        if n <= 3 and self.proto >= 2:
            for x in t:
                self.save(x)
            self.w({1: b"\x85", 2: b"\x86", 3: b"\x87"}[n])
            self.memoize(t)
            return
        self.w(b"(")
        for x in t:
            self.save(x)
        self.w(b"t")
        self.memoize(t)

    def batch_appends(self, items):
        items = list(items)
        if not self.bin:
            for x in items:
                self.save(x)
                self.w(b"a")
            return
        for i in range(0, len(items), 1000):
            chunk = items[i:i + 1000]
            if len(chunk) > 1:
                self.w(b"(")
                for x in chunk:
                    self.save(x)
                self.w(b"e")
            else:
                self.save(chunk[0])
                self.w(b"a")

    def batch_setitems(self, pairs):
        if not self.bin:
            for k, v in pairs:
                self.save(k)
                self.save(v)
                self.w(b"s")
            return
        for i in range(0, len(pairs), 1000):
            chunk = pairs[i:i + 1000]
            if len(chunk) > 1:
                self.w(b"(")
                for k, v in chunk:
                    self.save(k)
                    self.save(v)
                self.w(b"u")
            else:
                self.save(chunk[0][0])
                self.save(chunk[0][1])
                self.w(b"s")

    def save_reduce(self, r):
        if self.proto >= 2 and r.func is NEWOBJ_FUNC:
            self.save(r.args[0])
            self.save(tuple(r.args[1:]))
            self.w(b"\x81")
        else:
            self.save(r.func)
            self.save(r.args)
            self.w(b"R")
        self.memoize(r)
        if r.listitems is not None:
            self.batch_appends(r.listitems)
        if r.dictitems is not None:
            self.batch_setitems(list(r.dictitems))
        if r.state is not None:
            self.save(r.state)
            self.w(b"b")


class Py2Long(int):
    """A Python 2 `long` (LONG/LONG1/LONG4; an `int` is INT/BININT*)."""


def g(module, name):
    return Py2Global(module, name)


def s2(text):
    return Py2Str(text.encode("latin-1") if isinstance(text, str) else text)


def reconstructor(cls, base, state, inst_dict=None):
    """copy_reg._reduce_ex(obj, proto) for proto < 2: _reconstructor(cls, base, state)."""
    return Py2Reduce(g("copy_reg", "_reconstructor"), (cls, base, state), inst_dict)


def newobj(cls, state=None, listitems=None, dictitems=None):
    """object.__reduce_ex__(2) (typeobject.c reduce_2): copy_reg.__newobj__(cls)."""
    return Py2Reduce(NEWOBJ_FUNC, (cls,), state, listitems, dictitems)


def datetime_state(*fields, kind):
    """The packed state Modules/datetimemodule.c's __reduce__ returns, as a Python 2 str."""
    if kind == "date":
        y, m, d = fields
        return s2(struct.pack(">HBB", y, m, d))
    if kind == "time":
        h, mi, sec, us = fields
        return s2(bytes([h, mi, sec]) + us.to_bytes(3, "big"))
    y, m, d, h, mi, sec, us = fields
    return s2(struct.pack(">HBBBBB", y, m, d, h, mi, sec) + us.to_bytes(3, "big"))


COLL = "collections"
PY2 = [
    # (name, object, description). Each is written at protocols 0, 1 and 2.
    ("ordereddict", Py2Reduce(g(COLL, "OrderedDict"), ([[s2("a"), 1], [s2("b"), [1, 2]]],)),
     "OrderedDict.__reduce__: (OrderedDict, ([[k, v], ...],))"),
    ("ordereddict_empty", Py2Reduce(g(COLL, "OrderedDict"), ([],)), "empty OrderedDict"),
    ("defaultdict_list", Py2Reduce(g(COLL, "defaultdict"), (g("__builtin__", "list"),),
                                   None, None, [(s2("a"), [1]), (s2("b"), [])]),
     "defaultdict(list): (type, (factory,), None, None, iteritems())"),
    ("defaultdict_none", Py2Reduce(g(COLL, "defaultdict"), (), None, None, [(1, 2)]),
     "defaultdict with no factory: (type, (), None, None, iteritems())"),
    ("deque", Py2Reduce(g(COLL, "deque"), ([1, s2("x")],)), "deque: (deque, (list,))"),
    ("deque_maxlen", Py2Reduce(g(COLL, "deque"), ([1, 2], 3)),
     "deque with maxlen: (deque, (list, maxlen))"),
    ("counter_reduce", Py2Reduce(g(COLL, "Counter"), ({s2("a"): 2, s2("b"): 1},)),
     "Counter.__reduce__ (2.7.x): (Counter, (dict(self),))"),
    ("counter_reconstructor", reconstructor(g(COLL, "Counter"), g("__builtin__", "dict"),
                                            {s2("a"): 2, s2("b"): 1}),
     "Counter without __reduce__ (early 2.7), protocols 0-1: copy_reg._reconstructor"
     "(Counter, dict, {...})"),
    ("counter_newobj", newobj(g(COLL, "Counter"), {}, None, [(s2("a"), 2), (s2("b"), 1)]),
     "Counter without __reduce__ (early 2.7), protocol 2: NEWOBJ, SETITEMS, BUILD {}"),
    ("date", Py2Reduce(g("datetime", "date"), (datetime_state(2024, 1, 2, kind="date"),)),
     "date.__reduce__: (date, (packed str,))"),
    ("date_high_bytes", Py2Reduce(g("datetime", "date"),
                                  (datetime_state(2024, 12, 31, kind="date"),)),
     "date whose packed state has bytes above 0x7f"),
    ("time", Py2Reduce(g("datetime", "time"), (datetime_state(3, 4, 5, 678901, kind="time"),)),
     "time.__reduce__: (time, (packed str,))"),
    ("datetime", Py2Reduce(g("datetime", "datetime"),
                           (datetime_state(2024, 1, 2, 3, 4, 5, 6, kind="datetime"),)),
     "datetime.__reduce__: (datetime, (packed str,))"),
    ("datetime_high_bytes", Py2Reduce(g("datetime", "datetime"),
                                      (datetime_state(1999, 12, 31, 23, 59, 59, 999999,
                                                      kind="datetime"),)),
     "datetime whose packed state has bytes above 0x7f"),
    ("timedelta", Py2Reduce(g("datetime", "timedelta"), (1, 3600, 5)),
     "timedelta.__reduce__: (timedelta, (days, seconds, microseconds))"),
    ("timedelta_negative", Py2Reduce(g("datetime", "timedelta"), (-2, 86399, 999999)),
     "negative timedelta"),
    ("decimal", Py2Reduce(g("decimal", "Decimal"), (s2("1.10"),)),
     "Decimal.__reduce__: (Decimal, (str(self),))"),
    ("decimal_nan", Py2Reduce(g("decimal", "Decimal"), (s2("-sNaN12"),)), "Decimal('-sNaN12')"),
    ("fraction", Py2Reduce(g("fractions", "Fraction"), (s2("-3/4"),)),
     "Fraction.__reduce__: (Fraction, (str(self),))"),
    ("uuid_reconstructor",
     reconstructor(g("uuid", "UUID"), g("__builtin__", "object"), None,
                   {s2("int"): Py2Long(0x12345678123456781234567812345678)}),
     "UUID, protocols 0-1: _reconstructor(UUID, object, None) + BUILD {'int': n}"),
    ("uuid_newobj", newobj(g("uuid", "UUID"),
                           {s2("int"): Py2Long(0x12345678123456781234567812345678)}),
     "UUID, protocol 2: NEWOBJ(UUID) + BUILD {'int': n}"),
    ("set", Py2Reduce(g("__builtin__", "set"), ([1, s2("a")],)),
     "set.__reduce__: (set, (list,), None)"),
    ("frozenset", Py2Reduce(g("__builtin__", "frozenset"), ([1, 2],)),
     "frozenset.__reduce__: (frozenset, (list,))"),
    ("complex", Py2Reduce(g("__builtin__", "complex"), (1.5, -2.0)),
     "copy_reg.pickle_complex: (complex, (real, imag))"),
    ("bytearray", Py2Reduce(g("__builtin__", "bytearray"), ("a\xe9\x00", s2("latin-1"))),
     "bytearray.__reduce__: (bytearray, (unicode, 'latin-1'), None)"),
    ("long_values", [Py2Long(0), Py2Long(-1), Py2Long(2**64), 7, -2**40, s2("\xe9"), "\xe9"],
     "Python 2 long, int, str and unicode values"),
]


def py2_policy(obj):
    """The preset the case needs: stdlib for collections/datetime/decimal/..., else strict."""
    seen = []

    def walk(o):
        if isinstance(o, Py2Global):
            seen.append(o.module)
        elif isinstance(o, Py2Reduce):
            for x in (o.func, o.args, o.state, o.listitems, o.dictitems):
                walk(x)
        elif isinstance(o, (list, tuple)):
            for x in o:
                walk(x)
        elif isinstance(o, dict):
            for k, v in o.items():
                walk(k)
                walk(v)
    walk(obj)
    return "strict" if all(m == "__builtin__" for m in seen) else "stdlib"


for base, obj, desc in PY2:
    if base.endswith("_reconstructor"):
        protos = (0, 1)
    elif base.endswith("_newobj"):
        protos = (2,)
    else:
        protos = (0, 1, 2)
    for p in protos:
        add(f"py2_{base}_p{p}", Py2(p).dumps(obj), f"Python 2.7: {desc} (protocol {p})",
            policy=py2_policy(obj), encodings=ALL_ENC)

# Shapes Python 2.7 never wrote for these types, by hand: INST and OBJ (the old-style class
# routes) with arguments reach the same constructors; others stay refused.
add("py2_inst_decimal", b"(S'1.5'\nidecimal\nDecimal\n.", "INST decimal.Decimal('1.5')",
    policy="stdlib", encodings=ALL_ENC)
add("py2_obj_deque", b"(ccollections\ndeque\n(lp0\nI1\naI2\no.", "OBJ deque([1, 2])",
    policy="stdlib")
add("py2_inst_ordereddict", b"((lp0\n(lp1\nS'a'\naI1\naaicollections\nOrderedDict\n.",
    "INST OrderedDict([['a', 1]])", policy="stdlib", encodings=ALL_ENC)
add("py2_reconstructor_ordereddict",
    Py2(0).dumps(reconstructor(g(COLL, "OrderedDict"), g("__builtin__", "dict"),
                               {s2("a"): 1})),
    "_reconstructor(OrderedDict, dict, {...}): never written by Python 2.7 (OrderedDict has"
    " __reduce__); refused", policy="stdlib", encodings=ALL_ENC, want="construct")
add("py2_reconstructor_date_object",
    Py2(0).dumps(reconstructor(g("datetime", "date"), g("__builtin__", "object"), None)),
    "_reconstructor(date, object, None): CPython fails (object.__new__(date)); refused",
    policy="stdlib", want="construct")
add("py2_counter_newobj_attributes",
    Py2(2).dumps(newobj(g(COLL, "Counter"), {s2("x"): 1}, None, [(s2("a"), 2)])),
    "Counter with an instance attribute: CPython keeps it, the preset cannot: refused",
    policy="stdlib", want="construct")


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
