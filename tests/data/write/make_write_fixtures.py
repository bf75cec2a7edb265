#!/usr/bin/env python3
"""Fixtures for tests/write.rs: what CPython's pickle.dumps writes for values that
exercise the writer's rules (batches of 1000, frames around 64 KiB, LONG_BINPUT, the
str/bytes singletons, wide ints, bytes below protocol 3).

Usage: python3 tests/data/write/make_write_fixtures.py

Rewrites tests/data/write/*.pkl (NAME_pP.pkl = pickle.dumps(value, protocol=P), the
value as loaded back from protocol 4 by the restricted unpickler) and
index.tsv (NAME, policy, protocols, description). Only plain data: nothing here is ever loaded
by an unrestricted unpickler; the check at the end loads through the restricted one.
Deterministic: re-executes itself with PYTHONHASHSEED=0.
"""

import os
import sys

if os.environ.get("PYTHONHASHSEED") != "0":
    env = dict(os.environ, PYTHONHASHSEED="0")
    os.execve(sys.executable, [sys.executable] + sys.argv, env)

sys.dont_write_bytecode = True
HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.dirname(HERE))

import collections  # noqa: E402
import datetime as dt  # noqa: E402
import decimal  # noqa: E402
import fractions  # noqa: E402
import pickle  # noqa: E402
import uuid  # noqa: E402

from restricted import restricted_loads  # noqa: E402


def cases():
    yield "ints", "int widths and signs", [
        0, 1, 255, 256, 65535, 65536, -1, -255, -256, -65536, 2**31 - 1, -2**31,
        2**31, -2**31 - 1, 2**32, 2**63 - 1, -2**63, 2**63, -2**63 - 1, 2**64,
        -2**64, 2**2039, -2**2039, -2**2040, 2**2040 - 1, True, False, None]
    yield "bigint_long4", "an int of 300 bytes (LONG4 at protocol 2 and above)", \
        [3**1700, -(3**1700)]
    yield "floats", "floats", [0.0, -0.0, 1.5, -2.25, 1e300, 5e-324, 1e16, 1e-5,
                               float("inf"), float("-inf"), 0.1, 123456789.125]
    yield "singletons", "the empty str and bytes, one-character strings", [
        "", "", "a", "a", "\xe9", "\xe9", "\u0101", "\u0101", b"", b"", b"a",
        bytearray(b"a"), bytearray(), bytearray(), "x", b"x", b"xy"]
    yield "bytes_latin1", "bytes below protocol 3: _codecs.encode with latin1", [
        b"\x00\xff\n\\\x1a\r", b"plain", b"\xe9", "\xe9", "latin-1", bytes(range(256))]
    yield "str_escapes", "protocol 0 raw-unicode-escape", [
        "\x00\n\r\x1a\\", "caf\xe9", "\u0100\ud7ff\ue000", "\U0001f600", " \t'\""]
    yield "list_1000", "APPENDS batch of exactly 1000", list(range(1000))
    yield "list_1001", "APPENDS batches 1000 + 1", list(range(1001))
    yield "list_2500", "APPENDS batches", [i * 7 for i in range(2500)]
    yield "dict_1000", "SETITEMS: a full batch is followed by an empty one", \
        {i: -i for i in range(1000)}
    yield "dict_1001", "SETITEMS batches 1000 + 1", {i: str(i) for i in range(1001)}
    yield "set_1000", "ADDITEMS batch of exactly 1000", set(range(1000))
    yield "set_2001", "ADDITEMS batches", set(range(2001))
    yield "frozenset_1200", "FROZENSET of 1200 (one MARK, no batches)", \
        frozenset(range(1200))
    yield "containers_small", "tuples 0-4, lists 0-2, dicts 0-2, sets 0-1", [
        (), (1,), (1, 2), (1, 2, 3), (1, 2, 3, 4), [], [1], [1, 2], {}, {"a": 1},
        {"a": 1, "b": 2}, set(), {5}, frozenset(), frozenset({5}), ((), ((),)),
        complex(1, -2), complex(0.0, 0.0)]
    yield "memo_300", "more than 256 memo entries (LONG_BINPUT / LONG_BINGET)", \
        [[str(i), (i,)] for i in range(300)] + ["000", "x" * 3]
    yield "str_shared", "one str object referenced many times", \
        (lambda s: [s, s, {s: s}, (s,)])("shared text")
    yield "frame_split", "a frame closes at the first save after it holds 64 KiB", \
        [["x" * 65530], 1, ["y" * 65530, "z"], ("w" * 65530, "v"), {"k": "u" * 65530, "b": 2}]
    yield "frame_large", "payloads of 64 KiB or more go outside frames", \
        ["s" * 65536, b"b" * 65536, bytearray(b"a" * 65536), "\xe9" * 32768, 1, [2]]
    yield "frame_many", "many small items over several frames", \
        [str(i) * 3 for i in range(8000)]
    yield "frame_tiny", "frames under 4 bytes lose their header", None
    yield "nested", "nesting", [[[[[[[]]]]]], {"a": {"b": {"c": ({1}, frozenset())}}}]


def stdlib_cases():
    utc = dt.timezone.utc
    yield "stdlib_datetime", "dates, times, datetimes, timedeltas, timezones", [
        dt.date(2024, 1, 2), dt.date(1, 1, 1), dt.time(3, 4, 5, 6), dt.time(23, 59, 59, 999999),
        dt.datetime(2024, 1, 2, 3, 4, 5, 6), dt.datetime(9999, 12, 31),
        dt.timedelta(1, 2, 3), dt.timedelta(-5), dt.timedelta(0, 0, 1), utc,
        dt.timezone(dt.timedelta(hours=-3), "X"), dt.timezone(dt.timedelta(minutes=90)),
        dt.datetime(2024, 1, 2, tzinfo=utc), dt.time(1, 2, tzinfo=dt.timezone(dt.timedelta(hours=2))),
        dt.time(1)]
    yield "stdlib_fold", "fold=1: written from protocol 4 on, lost below", [
        dt.time(1, fold=1), dt.datetime(2024, 11, 3, 1, 30, fold=1)]
    yield "stdlib_numbers", "Decimal and Fraction", [
        decimal.Decimal("1.10"), decimal.Decimal("-0"), decimal.Decimal("1E+5"),
        decimal.Decimal("NaN"), decimal.Decimal("-Infinity"), decimal.Decimal("0.000001234"),
        decimal.Decimal("1234567890123456789012345678901234567890"),
        fractions.Fraction(3, 4), fractions.Fraction(-2**70, 3)]
    yield "stdlib_uuid", "UUIDs (NEWOBJ + BUILD; _reconstructor below protocol 2)", [
        uuid.UUID(int=5), uuid.UUID("12345678-1234-5678-1234-567812345678"),
        uuid.UUID(int=2**128 - 1, is_safe=uuid.SafeUUID.safe),
        uuid.UUID(int=7, is_safe=uuid.SafeUUID.unsafe)]
    yield "stdlib_collections", "OrderedDict, defaultdict, deque, Counter", [
        collections.OrderedDict(), collections.OrderedDict(a=1),
        collections.OrderedDict((str(i), i) for i in range(1001)),
        collections.defaultdict(list, a=[1]), collections.defaultdict(None),
        collections.defaultdict(int, {i: i for i in range(3)}),
        collections.deque(), collections.deque([1]), collections.deque([1, 2]),
        collections.deque(range(2001)), collections.deque([1], maxlen=3),
        collections.Counter("aab"), collections.Counter()]
    yield "stdlib_builtins", "range (xrange below protocol 3), slice, Ellipsis, NotImplemented", [
        range(5), range(0, 10, 2), range(-5, 2**70, 3), range(3, -3, -1),
        slice(None), slice(1, None, "x"), slice(None, [1], None),
        Ellipsis, NotImplemented, (Ellipsis, NotImplemented, Ellipsis)]


def main():
    for f in os.listdir(HERE):
        if f.endswith(".pkl") or f == "index.tsv":
            os.remove(os.path.join(HERE, f))
    lines = []
    all_cases = [(c, "strict") for c in cases()] + [(c, "stdlib") for c in stdlib_cases()]
    for (name, desc, value), policy in all_cases:
        # The value as CPython's unpickler gives it (restricted): its strings are then
        # the objects a load makes (one-character strings are singletons; code
        # constants are not), which is what the Rust side writes back.
        value = restricted_loads(pickle.dumps(value, protocol=4), policy=policy, proto=4)
        # Frames exist from protocol 4 on; the big values add nothing below.
        protos = range(4, 6) if name.startswith("frame_") else range(6)
        for proto in protos:
            data = pickle.dumps(value, protocol=proto)
            # Sanity: the restricted unpickler loads it back (never an unrestricted one).
            restricted_loads(data, policy=policy, proto=proto)
            with open(os.path.join(HERE, f"{name}_p{proto}.pkl"), "wb") as out:
                out.write(data)
        lines.append(f"{name}\t{policy}\t{','.join(map(str, protos))}\t{desc}\n")
    with open(os.path.join(HERE, "index.tsv"), "w") as out:
        out.writelines(lines)


if __name__ == "__main__":
    main()
