#!/usr/bin/env python3
"""Writes the fixtures of tests/serde.rs: one pickle per case and protocol, and
expected.json, what Python says each case holds (as JSON, in the form the test's Rust
type serializes to). Run from anywhere with CPython 3.11:

    python3 tests/data/serde/make_serde.py

Nothing here loads a pickle: Python only writes them.
"""

import collections
import dataclasses
import datetime
import decimal
import fractions
import json
import os
import pickle
import uuid

HERE = os.path.dirname(os.path.abspath(__file__))


class Point:  # pickled by reference as __main__.Point: inert under the opaque policy
    def __init__(self, x, y):
        self.x, self.y = x, y


@dataclasses.dataclass
class Record:
    id: int
    name: str
    score: float
    tags: list
    active: bool


def records():
    return [Record(i, f"name {i}", i * 1.5, [f"t{i}", "shared"], i % 2 == 0) for i in range(5)]


def shared22():
    x = [None]
    x = [x, x]
    x = [x, x]
    return x


def self_list():
    x = []
    x.append(x)
    return x


def self_dict():
    d = {"a": 1}
    d["self"] = d
    return d


def dag():
    leaf = {"k": [1, 2]}
    return {"left": leaf, "right": leaf, "both": [leaf, leaf]}


U = uuid.UUID("12345678-1234-5678-1234-567812345678")
TZ = datetime.timezone(datetime.timedelta(hours=1, minutes=30))

# name -> (object, expected JSON, protocols)
P = [0, 2, 4]
CASES = {
    "none": (None, None, P),
    "bool": ([True, False], [True, False], P),
    "ints": ([0, -1, 255, 65536, -2**31, 2**31, -2**63, 2**63 - 1], None, P),
    "u64max": (2**64 - 1, str(2**64 - 1), P),
    "i128min": (-2**127, str(-2**127), P),
    "u128max": (2**128 - 1, str(2**128 - 1), P),
    "int201bits": (2**200, None, P),
    "floats": ([1.5, -0.0, 1e308, 5e-324], None, P),
    "complex": (1.5 - 2j, [1.5, -2.0], [2, 4]),
    "str": ("héllo ✨ \n\\ \x00", None, P),
    "char": ("é", None, P),
    "bytes": (b"\x00\xffab", list(b"\x00\xffab"), [2, 3, 4]),
    "bytearray": (bytearray(b"xy\x00"), list(b"xy\x00"), [2, 4]),
    "tuple": ((1, "a", None), [1, "a", None], P),
    "list": ([1, 2, 3], None, P),
    "set": ({3, 1, 2}, [1, 2, 3], [2, 4]),
    "frozenset": (frozenset({5, 4}), [4, 5], [2, 4]),
    "dict": ({"b": 1, "a": 2}, None, P),
    "ordereddict": (collections.OrderedDict([("z", 1), ("y", 2)]), {"z": 1, "y": 2}, [2, 4]),
    "defaultdict": (collections.defaultdict(list, {"a": [1]}), {"a": [1]}, [2, 4]),
    "counter": (collections.Counter("abbccc"), {"a": 1, "b": 2, "c": 3}, [2, 4]),
    "int_keys": ({1: "a", -2: "b"}, {"1": "a", "-2": "b"}, P),
    "tuple_keys": ({(1, 2): "x", (3, 4): "y"}, [[[1, 2], "x"], [[3, 4], "y"]], P),
    "enum_unit": ("Unit", "Unit", P),
    "enum_unit_tuple": (("Unit",), "Unit", P),
    "enum_newtype_dict": ({"Newtype": 5}, {"Newtype": 5}, P),
    "enum_newtype_tuple": (("Newtype", 5), {"Newtype": 5}, P),
    "enum_tuple": ({"Tuple": (1, "a")}, {"Tuple": [1, "a"]}, P),
    "enum_struct": (("Struct", {"x": 1, "y": 2}), {"Struct": {"x": 1, "y": 2}}, P),
    "date": (datetime.date(2024, 1, 2), "2024-01-02", [2, 4]),
    "datetime": (datetime.datetime(2024, 1, 2, 3, 4, 5, 6),
                 datetime.datetime(2024, 1, 2, 3, 4, 5, 6).isoformat(), [2, 4]),
    "datetime_tz": (datetime.datetime(2024, 1, 2, 3, 4, 5, tzinfo=TZ),
                    datetime.datetime(2024, 1, 2, 3, 4, 5, tzinfo=TZ).isoformat(), [2, 4]),
    "time": (datetime.time(3, 4, 5, 600), datetime.time(3, 4, 5, 600).isoformat(), [2, 4]),
    "timedelta": (datetime.timedelta(days=-1, seconds=2, microseconds=3),
                  [-1, 2, 3], [2, 4]),
    "decimal": ([decimal.Decimal("1.10"), decimal.Decimal("-1E+3"), decimal.Decimal("0.0000001")],
                [str(decimal.Decimal("1.10")), str(decimal.Decimal("-1E+3")),
                 str(decimal.Decimal("0.0000001"))], [2, 4]),
    "uuid": (U, str(U), [2, 4]),
    "fraction": (fractions.Fraction(-3, 4), [-3, 4], [2, 4]),
    "inert": ([1, Point(1, 2)], None, [2, 4]),
    "records": ([dataclasses.asdict(r) for r in records()], None, P),
    "records_tuples": ([dataclasses.astuple(r) for r in records()],
                       [dataclasses.asdict(r) for r in records()], P),
    "bad_record": ([{"id": 1, "name": "a"}, {"id": 2, "name": "b"}, {"id": 3, "name": "c"},
                    {"id": 4, "name": 5}], None, P),
    "config": ({"config": {"batch": 32, "lr": "fast"}}, None, P),
    "shared22": (shared22(), None, [2, 3, 4]),
    "dag": (dag(), None, P),
    "self_list": (self_list(), None, [2, 4]),
    "self_dict": (self_dict(), None, [2, 4]),
}

try:
    import numpy as np

    CASES["ndarray_i4"] = (np.arange(6, dtype="<i4").reshape(2, 3),
                           {"dtype": "<i4", "shape": [2, 3], "data": list(range(6))}, [2, 4])
    f = np.asfortranarray(np.arange(6, dtype="<f8").reshape(2, 3))
    CASES["ndarray_fortran"] = (f, {"dtype": "<f8", "shape": [2, 3],
                                    "data": [float(x) for x in f.flatten(order="C")]}, [2, 4])
    CASES["numpy_scalar"] = (np.float32(1.5), 1.5, [2, 4])
except ImportError:  # numpy is optional; the committed fixtures include these cases
    pass


def show_json(obj):
    """The JSON `unpickle show --json` prints for obj (src/json.rs documents it)."""
    import base64
    import math

    def tag(name, body):
        return {"$" + name: body}

    def enc(o):
        t = type(o)
        if o is None or t is bool or t is str:
            return o
        if t is int:
            return o if -2**63 <= o < 2**63 else tag("int", str(o))
        if t is float:
            if math.isnan(o):
                return tag("float", "nan")
            if math.isinf(o):
                return tag("float", "inf" if o > 0 else "-inf")
            return o
        if t is complex:
            return tag("complex", [enc(o.real), enc(o.imag)])
        if t is bytes:
            return tag("bytes", base64.b64encode(o).decode())
        if t is bytearray:
            return tag("bytearray", base64.b64encode(o).decode())
        if t is list:
            return [enc(x) for x in o]
        if t in (tuple, set, frozenset, collections.deque):
            return tag(t.__name__, [enc(x) for x in o])
        pairs = lambda d: [[enc(k), enc(v)] for k, v in d.items()]
        if t is dict:
            if all(type(k) is str for k in o) and not (len(o) == 1 and next(iter(o)).startswith("$")):
                return {k: enc(v) for k, v in o.items()}
            return tag("dict", pairs(o))
        if t in (collections.OrderedDict, collections.defaultdict, collections.Counter):
            return tag(t.__name__, pairs(o))
        return tag("repr", repr(o))

    return json.dumps(enc(obj), ensure_ascii=False)


SHOW_JSON = {
    "show_json_data": {"a": [1, 2.5, None, True], "b": (1, "x"), "big": 2**100, "neg": -2**63,
                       "nan": float("nan"), "inf": float("-inf"), "c": 1 - 2j,
                       "bytes": b"\x00\xff", "ba": bytearray(b"hi"), "s": {3, 1},
                       "f": frozenset(), "esc": "q\"\\\n\x01é😀"},
    "show_json_keys": {1: "a", (1, 2): [], None: 0},
    "show_json_dollar": {"$tuple": 1},
    "show_json_stdlib": [collections.OrderedDict(a=1), collections.Counter("aab"),
                         collections.deque([1]), datetime.date(2024, 1, 2),
                         decimal.Decimal("1.10")],
}


def main():
    shown = {}
    for name, obj in SHOW_JSON.items():
        with open(os.path.join(HERE, f"{name}.p4.pkl"), "wb") as f:
            f.write(pickle.dumps(obj, protocol=4))
        shown[name] = show_json(obj)
    with open(os.path.join(HERE, "show_json.json"), "w") as f:
        json.dump(shown, f, indent=1, ensure_ascii=False)
        f.write("\n")
    expected = {}
    for name, (obj, expect, protos) in CASES.items():
        for proto in protos:
            with open(os.path.join(HERE, f"{name}.p{proto}.pkl"), "wb") as f:
                f.write(pickle.dumps(obj, protocol=proto))
        if expect is None and name not in ("int201bits", "inert", "bad_record", "config",
                                           "self_list", "self_dict", "shared22", "dag"):
            expect = obj
        if name == "shared22":
            expect = json.loads(json.dumps(obj))
        if name == "dag":
            expect = json.loads(json.dumps(obj))
        expected[name] = {"protocols": protos, "expect": expect}
    with open(os.path.join(HERE, "expected.json"), "w") as f:
        json.dump(expected, f, indent=1, ensure_ascii=False)
        f.write("\n")


if __name__ == "__main__":
    main()
