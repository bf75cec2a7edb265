#!/usr/bin/env python3
"""(Re)write tests/data/corpus/: pickles, pickletools disassembly, and the
repr of what CPython's (restricted) unpickler returns.

Usage: python3 tests/data/make_fixtures.py

Deterministic: the script re-executes itself with PYTHONHASHSEED=0 so that
set iteration order (and therefore pickle bytes) never changes.
Pickles are only ever loaded through restricted.RestrictedUnpickler.
"""

import os
import sys

if os.environ.get("PYTHONHASHSEED") != "0":
    env = dict(os.environ, PYTHONHASHSEED="0")
    os.execve(sys.executable, [sys.executable] + sys.argv, env)

sys.dont_write_bytecode = True

import collections  # noqa: E402
import datetime  # noqa: E402
import decimal  # noqa: E402
import fractions  # noqa: E402
import io  # noqa: E402
import pickle  # noqa: E402
import pickletools  # noqa: E402
import shutil  # noqa: E402
import struct  # noqa: E402
import uuid  # noqa: E402

from restricted import Refused, restricted_loads  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
CORPUS = os.path.join(HERE, "corpus")
PROTOCOLS = range(6)

CASES = []  # (name, policy, encodings or None, description, data)


def add(name, data, desc, policy="strict", encodings=None):
    assert isinstance(data, bytes)
    assert all(c[0] != name for c in CASES), name
    CASES.append((name, policy, encodings, desc, data))


def add_dumps(base, value, desc, policy="strict", protocols=PROTOCOLS):
    for p in protocols:
        add(f"{base}_p{p}", pickle.dumps(value, protocol=p),
            f"{desc} (protocol {p})", policy)


def frame4(body):
    """Protocol 4 header + one FRAME around body (as CPython frames it)."""
    return b"\x80\x04\x95" + struct.pack("<Q", len(body)) + body


# ---------------------------------------------------------------- builtins
inf = float("inf")
nan = float("nan")

INTS = [0, 1, -1, 255, 256, 65535, 65536, 2**31 - 1, -2**31, 2**31,
        2**63 - 1, -2**63, 2**63, 2**64, -2**64 - 1, 2**200, -(2**1000),
        10**100, True, False, None]
add_dumps("ints", INTS, "ints at width boundaries, bools, None")
BIG = 10**4299 + 1234567  # exactly 4300 digits: the default str limit
assert len(str(BIG)) == 4300
add_dumps("int_4300_digits", BIG, "4300-digit int (LONG text at protocol 0/1)")

FLOATS = [0.0, -0.0, 1.0, 1.5, 0.1, 1e16, 1e-5, 1e300, 5e-324,
          2.2250738585072014e-308, inf, -inf, nan, 123456789.123, 1e22, 1e-7]
add_dumps("floats", FLOATS, "floats incl. signed zero, subnormal, inf, nan")

COMPLEX = [1 + 2j, -0j, complex(0, -0.0), complex(inf, nan), 1e300j]
add_dumps("complex", COMPLEX, "complex numbers (builtins.complex reduce)")

STRS = ["", "a", "it's", 'say "hi"', "both ' and \"",
        "\t\n\r\\\x00\x7f\x80\xff", "ünïcødé", "日本語", "\U0001F600",
        "\u200b\u2028\ue000\U000e0001", "\x1a", "\\u0041 \\x41"]
add_dumps("str_basic", STRS, "str: quotes, escapes, unicode, non-printable")
STR_LONG = ["a" * 255, "b" * 256,
            "c" * 253 + "é",  # 254 chars, 255 UTF-8 bytes
            "d" * 254 + "é",  # 255 chars, 256 UTF-8 bytes
            "e" * 255 + "é"]  # 256 chars, 257 UTF-8 bytes
add_dumps("str_255_256", STR_LONG, "str around the 255/256 length boundary")
add_dumps("str_65535", "f" * 65534 + "日",
          "str of 65535 chars, multibyte last char", protocols=(4,))
add_dumps("str_65536", "g" * 65536, "ASCII str of 65536 chars",
          protocols=(0, 4))

BYTES = [b"", b"\x00\xff", b"'", b'"', b"'\"", bytes(range(256)),
         b"\\", b"\n\r\x1a"]
add_dumps("bytes_basic", BYTES, "bytes incl. all 256 byte values")
add_dumps("bytes_255_256", [b"a" * 255, b"b" * 256],
          "bytes around the 255/256 length boundary")
add_dumps("bytes_65535", b"c" * 65534 + b"\xff", "bytes of length 65535",
          protocols=(4,))
add_dumps("bytes_65536", b"d" * 65536, "bytes of length 65536",
          protocols=(2, 4))
add_dumps("bytearray", [bytearray(b""), bytearray(b"abc\x00"),
                        bytearray(b"\xff\x80")],
          "bytearray (protocol 5: BYTEARRAY8)")

add_dumps("tuples", [(), (1,), (1, 2), (1, 2, 3), (1, 2, 3, 4)],
          "tuples of length 0..4 (TUPLE1/2/3 vs MARK TUPLE)")
add_dumps("lists", [[], [1], [1, [2, [3, ()]], (4, [5])], [[], [[]]]],
          "lists, nested lists/tuples")
add_dumps("dicts", [{}, {"a": 1, "b": [1, 2]},
                    {"x": {"y": {"z": ()}}, "l": [{"k": None}]}],
          "dicts, nested")
add_dumps("dict_keys", {0: "int", 2.5: "float", (1, 2): "tuple",
                        frozenset({3}): "frozenset", None: "none",
                        True: "bool", -1: "neg", "s": "str", b"b": "bytes"},
          "dict with int/float/tuple/frozenset/None/bool/str/bytes keys")
add_dumps("dict_merge", {1: "a", True: "b", 1.0: "c"},
          "{1:'a', True:'b', 1.0:'c'} (Python merges to {1: 'c'})")
add_dumps("sets", [set(), {1, 2, 3}, frozenset(), frozenset({1}),
                   {(1, 2), (3, 4)}, {frozenset({5})}],
          "sets and frozensets")
add_dumps("list_1001", list(range(1001)), "list of 1001 ints (APPENDS batches)",
          protocols=(1, 2, 4))
add_dumps("list_2500", list(range(2500)), "list of 2500 ints (APPENDS batches)",
          protocols=(2, 4))
add_dumps("dict_1001", {i: i for i in range(1001)},
          "dict of 1001 items (SETITEMS batches)", protocols=(1, 2, 4))
add_dumps("dict_2500", {i: -i for i in range(2500)},
          "dict of 2500 items (SETITEMS batches)", protocols=(4,))
add_dumps("set_2500", set(range(2500)), "set of 2500 ints (ADDITEMS batches)",
          protocols=(4,))
add_dumps("frozenset_1001", frozenset(range(1001)), "frozenset of 1001 ints",
          protocols=(4,))

x = [1, 2]
add_dumps("shared_list", [x, x], "x=[1,2]; [x, x]")
s = "abc"
add_dumps("shared_str", [s, s, (s, s)], "s='abc'; [s, s, (s, s)]")
x = [1]
y = [x, x]
add_dumps("shared_nested", [y, y], "x=[1]; y=[x,x]; [y, y]")
x = [1, 2]
t = (x, x)
add_dumps("shared_in_tuple", [t, x, t], "x=[1,2]; t=(x,x); [t, x, t]")
b = b"shared"
add_dumps("shared_bytes", [b, b, {b: b}], "b=b'shared'; [b, b, {b: b}]")


def nest_list(depth, every):
    v = [0]
    for i in range(depth - 1):
        v = [v] if i % every else [i, v]
    return v


def nest_dict(depth):
    v = {}
    for i in range(depth - 1):
        v = {"k": v}
    return v


add_dumps("deep_list_50", nest_list(50, 7), "lists nested 50 deep (an APPENDS every 7 levels)")
add_dumps("deep_list_400", nest_list(400, 100), "lists nested 400 deep (an APPENDS every 100 levels)")
add_dumps("deep_dict_100", nest_dict(100), "dicts nested 100 deep")
add_dumps("deep_tuple_100", eval("(" * 100 + "1," + ")," * 99 + ")"),
          "tuples nested 100 deep")

rl = []
rl.append(rl)
add_dumps("recursive_list", rl, "l=[]; l.append(l) (recursive)")
rd = {}
rd["self"] = rd
add_dumps("recursive_dict", rd, "d={}; d['self']=d (recursive)")
rl2 = []
rt = (rl2,)
rl2.append(rt)
add_dumps("recursive_list_tuple", rl2, "l=[]; l.append((l,)) (recursive)")
add_dumps("recursive_tuple", rt,
          "l=[]; t=(l,); l.append(t); pickle t (recursive, POP/POP_MARK)")

# ---------------------------------------------------------------- stdlib
OD = collections.OrderedDict
DD = collections.defaultdict
STD = {
    "ordereddict": (OD([("a", 1), ("b", [2])]), "OrderedDict([('a',1),('b',[2])])"),
    "ordereddict_empty": (OD(), "OrderedDict()"),
    "defaultdict_list": (DD(list, {"a": [1]}), "defaultdict(list, {'a':[1]})"),
    "defaultdict_int": (DD(int), "defaultdict(int)"),
    "deque": (collections.deque([1, 2]), "deque([1,2])"),
    "deque_maxlen": (collections.deque([1, 2], maxlen=3), "deque([1,2], maxlen=3)"),
    "counter": (collections.Counter("abca"), "Counter('abca')"),
    "date": (datetime.date(2024, 1, 2), "date(2024,1,2)"),
    "time": (datetime.time(3, 4, 5, 6), "time(3,4,5,6)"),
    "time_utc": (datetime.time(1, 2, tzinfo=datetime.timezone.utc),
                 "time(1,2,tzinfo=timezone.utc)"),
    "datetime": (datetime.datetime(2024, 1, 2, 3, 4), "datetime(2024,1,2,3,4)"),
    "datetime_us": (datetime.datetime(2024, 1, 2, 3, 4, 5, 600),
                    "datetime(2024,1,2,3,4,5,600)"),
    "datetime_fold": (datetime.datetime(2024, 11, 3, 1, 30, fold=1),
                      "datetime fold=1 (fold only kept at protocol>=4)"),
    "datetime_tz": (datetime.datetime(2024, 1, 2, 3, 4, tzinfo=datetime.timezone(
        datetime.timedelta(hours=-5), "EST")), "datetime with timezone(-5h,'EST')"),
    "timezone_utc": (datetime.timezone.utc, "timezone.utc"),
    "timedelta": (datetime.timedelta(days=-1, seconds=5, microseconds=7),
                  "timedelta(days=-1, seconds=5, microseconds=7)"),
    "decimals": ([decimal.Decimal(v) for v in
                  ("1.10", "-0", "NaN", "sNaN", "-Infinity", "1E+3")],
                 "Decimal 1.10, -0, NaN, sNaN, -Infinity, 1E+3"),
    "fraction": (fractions.Fraction(3, 4), "Fraction(3,4)"),
    "uuid": (uuid.UUID("12345678-1234-5678-1234-567812345678"), "UUID(...)"),
}
for base, (value, desc) in STD.items():
    add_dumps(base, value, desc, policy="stdlib")
d0 = datetime.date(2024, 1, 2)
add_dumps("stdlib_mix",
          [OD([("d", d0)]), d0, DD(list, {"x": [d0]}), decimal.Decimal("2.5"),
           fractions.Fraction(-1, 3), collections.deque([d0]),
           datetime.timedelta(1), datetime.timezone.utc,
           uuid.UUID(int=1), collections.Counter(b"aab"), {1, 2},
           datetime.datetime(2000, 1, 1, tzinfo=datetime.timezone.utc)],
          "list mixing stdlib types (with shared date)", policy="stdlib")

# ------------------------------------------------ Python 2 style (by hand)
PY2 = [
    ("py2_str_p0", b"S'abc'\np0\n.", "Py2 protocol 0 STRING 'abc'"),
    ("py2_str_dquote_p0", b"S\"it's\"\np0\n.",
     "Py2 protocol 0 STRING with double quotes (repr of \"it's\")"),
    ("py2_str_utf8_p0", b"S'caf\\xc3\\xa9'\np0\n.",
     "Py2 protocol 0 STRING with UTF-8 bytes escaped"),
    ("py2_str_latin1_p0", b"S'\\xe9'\np0\n.",
     "Py2 protocol 0 STRING with a latin-1 byte"),
    ("py2_str_escapes_p0", b"S'a\\nb\\t\\\\\\'\\x00'\np0\n.",
     "Py2 protocol 0 STRING with \\n \\t \\\\ \\' \\x00 escapes"),
    ("py2_dict_p0", b"(dp0\nS'a'\np1\nI1\nsS'b'\np2\nI00\ns.",
     "Py2 protocol 0 dict with str keys, I00 (False)"),
    ("py2_dict_p2", b"\x80\x02}q\x00(U\x01aq\x01K\x01U\x01bq\x02\x89u.",
     "Py2 protocol 2 dict with SHORT_BINSTRING keys"),
    ("py2_true_p0", b"I01\n.", "Py2 protocol 0 True as I01"),
    ("py2_long_p0", b"L123L\n.", "Py2 protocol 0 long 123L"),
    ("py2_float_p0", b"F1.5\n.", "Py2 protocol 0 float"),
    ("py2_unicode_escaped_p0", b"Vcaf\\u00e9\np0\n.",
     "protocol 0 UNICODE with \\u00e9 escape"),
    ("py2_unicode_raw_p0", b"Vcaf\xe9\np0\n.",
     "Py2.7 protocol 0 UNICODE as 2.7 emits it (raw latin-1 byte 0xe9)"),
    ("py2_shortbinstring_p1", b"U\x03abcq\x00.", "Py2 protocol 1 SHORT_BINSTRING"),
    ("py2_binstring_p1", b"T\x04\x00\x00\x00abcdq\x00.", "Py2 protocol 1 BINSTRING"),
    ("py2_shortbinstring_p2", b"\x80\x02U\x03\xe9\xe8\xe0q\x00.",
     "Py2 protocol 2 SHORT_BINSTRING with latin-1 bytes"),
    ("py2_set_p2",
     b"\x80\x02c__builtin__\nset\nq\x00]q\x01(K\x01K\x02e\x85q\x02Rq\x03.",
     "Py2 protocol 2 __builtin__.set([1,2])"),
    ("py2_set_p0",
     b"c__builtin__\nset\np0\n((lp1\nI1\naI2\natp2\nRp3\n.",
     "Py2 protocol 0 __builtin__.set([1,2])"),
    ("py2_bytearray_p0",
     b"c__builtin__\nbytearray\np0\n(Va\xff\np1\nS'latin-1'\np2\ntp3\nRp4\n.",
     "Py2 protocol 0 bytearray('a\\xff') (unicode + 'latin-1' str)"),
    ("py2_bytearray_p2",
     b"\x80\x02c__builtin__\nbytearray\nq\x00X\x03\x00\x00\x00a\xc3\xbfq\x01"
     b"U\x07latin-1q\x02\x86q\x03Rq\x04.",
     "Py2 protocol 2 bytearray('a\\xff')"),
]
for name, data, desc in PY2:
    add(name, data, desc)
add("py2_datetime_p2",
    b"cdatetime\ndatetime\nq\x00U\n\x07\xe8\x01\x02\x03\x04\x05\x00\x00\x00"
    b"\x85q\x01Rq\x02.",
    "datetime(2024,1,2,3,4,5) Py2-style, as specified: no PROTO, state not "
    "memoized", "stdlib")
add("py2_datetime_real_p2",
    b"\x80\x02cdatetime\ndatetime\nq\x00U\n\x07\xe8\x01\x02\x03\x04\x05\x00"
    b"\x00\x00q\x01\x85q\x02Rq\x03.",
    "Py2.7 protocol 2 datetime(2024,1,2,3,4,5) as 2.7 emits it", "stdlib")
add("py2_date_p0",
    b"cdatetime\ndate\np0\n(S'\\x07\\xe8\\x01\\x02'\np1\ntp2\nRp3\n.",
    "Py2 protocol 0 date(2024,1,2)", "stdlib")

# ------------------------------------------------------------- malformed
ALL_ENC = ["ASCII", "latin1", "bytes"]
MALFORMED = [
    ("bad_truncated_binint", b"J\x01\x00", "truncated BININT", None),
    ("bad_missing_stop", b"K\x01", "missing STOP", None),
    ("bad_unknown_opcode", b"\xff", "unknown opcode 0xff", None),
    ("bad_proto_6", b"\x80\x06N.", "PROTO 6", None),
    ("bad_empty_stop", b".", "STOP with empty stack", None),
    ("bad_appends_no_mark", b"]e.", "APPENDS without MARK", None),
    ("bad_trailing_data", b"N.N", "data after STOP (Python ignores it)", None),
    ("bad_string_unquoted", b"Sabc\n.", "STRING without quotes", ALL_ENC),
    ("bad_string_mismatched_quotes", b"S'abc\"\n.", "STRING 'abc\"", ALL_ENC),
    ("bad_int_junk", b"Ijunk\n.", "INT with junk", None),
    ("bad_float_junk", b"Fjunk\n.", "FLOAT with junk", None),
    ("bad_binunicode_utf8", b"X\x01\x00\x00\x00\xff.",
     "BINUNICODE with invalid UTF-8", None),
    ("bad_binunicode_surrogate", b"X\x03\x00\x00\x00\xed\xa0\x80.",
     "BINUNICODE with an encoded lone surrogate", None),
    ("bad_frame_straddle",
     b"\x80\x04\x95\x04\x00\x00\x00\x00\x00\x00\x00\x8c\x05hel" b"lo\x94.",
     "FRAME ends inside a SHORT_BINUNICODE argument", None),
    ("bad_frame_in_frame",
     b"\x80\x04\x95\x0c\x00\x00\x00\x00\x00\x00\x00"
     b"\x95\x02\x00\x00\x00\x00\x00\x00\x00K\x01.",
     "FRAME opened inside a FRAME", None),
    ("bad_long_4301_digits", b"L" + b"1" * 4301 + b"L\n.",
     "LONG text of 4301 digits (over int str-digits limit)", None),
    ("bad_memo_get_missing", b"]h\x05.", "BINGET of an unset memo index", None),
    ("bad_pop_mark_empty", b"1N.", "POP_MARK without MARK", None),
    ("bad_setitem_odd", b"}(K\x01u.", "SETITEMS with odd item count", None),
    ("bad_unhashable_key", b"}]K\x01s.", "SETITEM with a list key", None),
    ("bad_extension", b"\x80\x02\x82\x01.", "EXT1 with unregistered code", None),
    ("bad_persistent_id", b"\x80\x02K\x01Q.",
     "BINPERSID without persistent_load", None),
]
for name, data, desc, enc in MALFORMED:
    add(name, data, desc, encodings=enc)

# ------------------------------------------- hostile but valid: CPython's semantics
# Hand-written streams that mutate containers through memo references, use the mark
# discipline in odd ways, or BUILD twice; CPython's restricted load is the oracle.
ALIASING = [
    ("alias_append_via_get", b"\x80\x02]q\x00h\x00K\x01a0.",
     "append to a list through a memo GET, then POP the reference"),
    ("alias_mutate_after_tuple", b"\x80\x02]q\x00\x85q\x01h\x00K\x05a0.",
     "a list placed in a tuple, then appended to through the memo"),
    ("alias_shared_then_mutated", b"\x80\x02]q\x00h\x00\x86q\x01h\x00K\x07a0.",
     "the same list twice in a tuple, mutated afterwards"),
    ("alias_dict_via_get", b"\x80\x02}q\x00h\x00U\x01aK\x01s0.",
     "SETITEM on a dict through a memo GET"),
    ("alias_set_additems_via_get", b"\x80\x04\x8f\x94h\x00(K\x01K\x02\x90\x30.",
     "ADDITEMS on a set through a memo GET"),
    ("alias_build_none_twice", b"]NbNb.", "BUILD None twice on a list (no-op)"),
    ("alias_build_none_pair", b"\x80\x02]NN\x86b.", "BUILD (None, None) on a list (no-op)"),
    ("alias_pop_mark", b"K\x01(0.", "POP with a mark on top pops the mark"),
    ("alias_stop_extra_items", b"K\x01K\x02.", "STOP with two items returns the top one"),
    ("alias_stop_below_mark", b"K\x01(K\x02.", "STOP with an open mark below the top"),
    ("alias_list_setitem", b"]K\x01aK\x00K\x05s.", "SETITEM with an int key on a list"),
    ("alias_list_setitem_negative", b"]K\x01aJ\xff\xff\xff\xffK\x05s.",
     "SETITEM with index -1 on a list"),
    ("alias_list_setitem_range", b"]K\x01aK\x03K\x05s.", "SETITEM out of range on a list"),
    ("alias_dup_list", b"]2K\x01a0.", "DUP aliases: append to the duplicate, pop it"),
    ("alias_put_twice", b"\x80\x02]q\x00}q\x00h\x00.", "PUT overwrites a memo entry"),
    ("alias_memoize_after_put", b"\x80\x04K\x01q\x05K\x02\x94h\x01.",
     "MEMOIZE uses the memo's size, not the last index"),
    ("alias_empty_appends", b"K\x01(e.", "APPENDS with an empty batch on a non-list"),
    ("alias_duplicate_keys", b"}(K\x01U\x01aG?\xf0\x00\x00\x00\x00\x00\x00U\x01bu.",
     "dict keys 1 and 1.0: first key kept, last value"),
    # CPython compares dict keys and set elements by identity first: one NaN object read
    # twice through the memo is one key, two NaN objects are two keys.
    ("alias_nan_key_memo", b"\x80\x02}q\x00(G\x7f\xf8\x00\x00\x00\x00\x00\x00q\x01K\x01h\x01K\x02u.",
     "one memoized NaN used twice as a key: one key, last value"),
    ("alias_nan_keys_distinct", b"\x80\x02}q\x00(G\x7f\xf8\x00\x00\x00\x00\x00\x00K\x01G\x7f\xf8\x00\x00\x00\x00\x00\x00K\x02u.",
     "two different NaN objects as keys: two keys"),
    ("alias_nan_key_setitem", b"\x80\x02}q\x00G\x7f\xf8\x00\x00\x00\x00\x00\x00q\x01K\x01sh\x01K\x02s.",
     "one memoized NaN as the key of two SETITEMs: one key"),
    ("alias_nan_key_sealed", b"\x80\x02]}(G\x7f\xf8\x00\x00\x00\x00\x00\x00q\x01K\x01h\x01K\x02ua.",
     "a dict with one memoized NaN key twice, appended to a list"),
    ("alias_nan_tuple_key_memo", b"\x80\x02}(G\x7f\xf8\x00\x00\x00\x00\x00\x00\x85q\x01K\x01h\x01K\x02u.",
     "one memoized (nan,) tuple used twice as a key: one key"),
    ("alias_nan_set_memo", b"\x80\x04\x8f\x94(G\x7f\xf8\x00\x00\x00\x00\x00\x00\x94h\x01\x90.",
     "one memoized NaN added twice to a set: one element"),
    ("alias_nan_frozenset_memo", b"\x80\x04(G\x7f\xf8\x00\x00\x00\x00\x00\x00\x94h\x00\x91.",
     "one memoized NaN twice in a frozenset: one element"),
    ("alias_proto_mid_stream", b"\x80\x02c__builtin__\nset\n)R\x80\x03c__builtin__\nset\n.",
     "PROTO 3 mid-stream turns off the Python 2 name mapping"),
]
for name, data, desc in ALIASING:
    add(name, data, desc)

# --------------------------------------------------------------- refusals
add("refuse_os_system_p0", b"cos\nsystem\n(S'ls ~'\ntR.",
    "GLOBAL os.system + REDUCE (must be refused)", encodings=ALL_ENC)
add("refuse_os_system_stack_global_p4",
    frame4(b"\x8c\x02os\x94\x8c\x06system\x94\x93\x94\x8c\x04ls ~\x94"
           b"\x85\x94R\x94."),
    "STACK_GLOBAL os.system + REDUCE (must be refused)")
add("refuse_os_system_inst_p0", b"(S'ls ~'\nios\nsystem\n.",
    "INST os.system (must be refused)", encodings=ALL_ENC)
add("refuse_builtin_eval_p0", b"c__builtin__\neval\n(S'1'\ntR.",
    "GLOBAL __builtin__.eval (maps to builtins.eval; must be refused)",
    encodings=ALL_ENC)
add("refuse_datetime_strict_p2", pickle.dumps(datetime.date(2024, 1, 2), 2),
    "datetime.date under the strict policy (must be refused)")


# ------------------------------------------------------------------ output
def one_line(exc):
    msg = str(exc).replace("\n", "\\n")  # keep it on one line
    return f"ERROR: {type(exc).__name__}: {msg}"


def disassemble(data):
    out = io.StringIO()
    try:
        pickletools.dis(data, out=out)
    except Exception as e:  # noqa: BLE001
        out.write(one_line(e) + "\n")
    return out.getvalue()


EIGHT_BIT = {"STRING", "BINSTRING", "SHORT_BINSTRING"}


def detect_encodings(data):
    try:
        for op, _arg, _pos in pickletools.genops(data):
            if op.name in EIGHT_BIT:
                return ALL_ENC
    except Exception:  # noqa: BLE001
        pass
    return ["ASCII"]


def load_repr(data, policy, encoding):
    try:
        value = restricted_loads(data, policy=policy, encoding=encoding)
    except Refused as e:
        return f"REFUSED: {e.module}.{e.name}\n"
    except Exception as e:  # noqa: BLE001
        return one_line(e) + "\n"
    try:
        return repr(value) + "\n"
    except Exception as e:  # noqa: BLE001
        return "ERROR: repr: " + one_line(e)[7:] + "\n"


def write(path, content):
    mode = "wb" if isinstance(content, bytes) else "w"
    kw = {} if mode == "wb" else {"encoding": "utf-8", "newline": "\n"}
    with open(path, mode, **kw) as f:
        f.write(content)


def main():
    if os.path.isdir(CORPUS):
        shutil.rmtree(CORPUS)
    os.makedirs(CORPUS)
    index = []
    for name, policy, encodings, desc, data in CASES:
        encodings = encodings or detect_encodings(data)
        write(os.path.join(CORPUS, name + ".pkl"), data)
        write(os.path.join(CORPUS, name + ".dis"), disassemble(data))
        for enc in encodings:
            write(os.path.join(CORPUS, f"{name}.{enc}.repr"),
                  load_repr(data, policy, enc))
        index.append(f"{name}\t{policy}\t{','.join(encodings)}\t{desc}\n")
    write(os.path.join(CORPUS, "index.tsv"), "".join(index))
    print(f"wrote {len(CASES)} cases to {CORPUS}", file=sys.stderr)


if __name__ == "__main__":
    main()
