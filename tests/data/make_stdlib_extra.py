#!/usr/bin/env python3
"""Extra stdlib cases for tests/presets_stdlib.rs: tests/data/stdlib/NAME.pkl and
NAME.repr, the repr of what CPython's restricted unpickler (policy "stdlib") returned,
or `ERROR: <Type>: <message>` when it failed.  python3 tests/data/make_stdlib_extra.py"""

import collections
import datetime as dt
import decimal
import fractions
import os
import pickle
import struct
import sys
import uuid

sys.dont_write_bytecode = True
from restricted import restricted_loads  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "stdlib")
D = decimal.Decimal
CASES = {
    "decimals_p4": pickle.dumps([D(s) for s in ("0.000001", "1E-7", "-1.5E+10", "NaN123", "-sNaN7",
                                               "123456789012345678901234567890", "0E-8", "1E+999999999999999999",
                                               "-0.00", "Inf", "12.5e3")], 4),
    "counter_ties_p2": pickle.dumps(collections.Counter({"z": 1, "a": 3, "m": 1, "b": 3, "c": 0}), 2),
    "counter_mixed_p2": pickle.dumps(collections.Counter({"a": 1.5, "b": 2, "c": True}), 2),
    "counter_unorderable_p2": pickle.dumps(collections.Counter({"a": 1, "b": "x"}), 2),
    "defaultdict_none_p2": pickle.dumps(collections.defaultdict(None, {1: 2}), 2),
    "defaultdict_dict_p0": pickle.dumps(collections.defaultdict(dict, {"k": {}}), 0),
    "deque_maxlen0_p4": pickle.dumps(collections.deque([], maxlen=0), 4),
    # deque((), 2) followed by three APPENDS: the oldest item falls out.
    "deque_overflow_p2": b"\x80\x02ccollections\ndeque\n)K\x02\x86R(K\x01K\x02K\x03e.",
    "time_fold_tz_p4": pickle.dumps(dt.time(23, 59, 59, 999999, fold=1,
                                            tzinfo=dt.timezone(dt.timedelta(hours=5, minutes=30))), 4),
    "datetime_fold_p5": pickle.dumps(dt.datetime(2024, 11, 3, 1, 30, 0, 1, fold=1), 5),
    "timezones_p3": pickle.dumps([dt.timezone(dt.timedelta(0), "UTC"), dt.timezone.min, dt.timezone.max,
                                  dt.timezone(dt.timedelta(seconds=1, microseconds=5))], 3),
    "timedeltas_p1": pickle.dumps([dt.timedelta(0), dt.timedelta(microseconds=1), dt.timedelta.min,
                                   dt.timedelta.max, dt.timedelta(days=-1)], 1),
    "dates_edges_p0": pickle.dumps([dt.date.min, dt.date.max, dt.date(2024, 2, 29),
                                    dt.datetime.max, dt.datetime.min], 0),
    "fraction_unreduced_p2": b"\x80\x02cfractions\nFraction\nJ\xfa\xff\xff\xffK\x08\x86R.",
    "fraction_str_p2": b"\x80\x02cfractions\nFraction\nX\x04\x00\x00\x00-6/8\x85R.",
    "fraction_zero_den_p2": b"\x80\x02cfractions\nFraction\nK\x01K\x00\x86R.",
    "uuid_safe_p0": pickle.dumps(uuid.UUID(int=2**128 - 1, is_safe=uuid.SafeUUID.unsafe), 0),
    "uuid_safe_p1": pickle.dumps(uuid.UUID(int=5, is_safe=uuid.SafeUUID.safe), 1),
    "uuid_safe_p5": pickle.dumps(uuid.UUID(int=5, is_safe=uuid.SafeUUID.safe), 5),
    "date_bad_month_p2": b"\x80\x02cdatetime\ndate\nC\x04\x07\xe8\x0d\x01\x85R.",
    "od_nested_p2": pickle.dumps(collections.OrderedDict([("a", collections.OrderedDict([(1, [])]))]), 2),
    "fractions_big_p4": pickle.dumps([fractions.Fraction(10**30 + 1, 7), fractions.Fraction(-5)], 4),
}

# range, slice, Ellipsis and NotImplemented at every protocol (REDUCE of builtins.range /
# builtins.slice, `__builtin__.xrange` below protocol 3; Ellipsis and NotImplemented by name).
for _p in range(6):
    CASES["builtin_objects_p%d" % _p] = pickle.dumps(
        [range(1, 10, 2), range(5), range(0, -10, -3), range(-2**70, 2**70, 3), range(4, 4),
         slice(1, None, 2), slice(None), slice("a", [1, (2,)], 2.5), ..., NotImplemented,
         {range(0): "empty", range(3, 3): "also empty, same key", ...: "e",
          NotImplemented: "n", range(0, 3, 2): 1, range(0, 4, 2): 2}], _p)
    CASES["builtin_objects_alone_p%d" % _p] = pickle.dumps((..., NotImplemented, range(2), slice(3)), _p)
CASES.update({
    "range_step_zero_p2": b"\x80\x02c__builtin__\nxrange\nK\x00K\x01K\x00\x87R.",
    "range_float_p3": b"\x80\x03cbuiltins\nrange\nG?\xf8\x00\x00\x00\x00\x00\x00\x85R.",
    "range_bools_p3": b"\x80\x03cbuiltins\nrange\n\x88\x89\x86R.",
    "range_no_args_p3": b"\x80\x03cbuiltins\nrange\n)R.",
    "slice_four_args_p3": b"\x80\x03cbuiltins\nslice\n(K\x01K\x02K\x03K\x04tR.",
    "slice_two_args_p0": b"c__builtin__\nslice\n(I1\nI2\ntR.",
    "ellipsis_called_p3": b"\x80\x03cbuiltins\nEllipsis\n)R.",
    "slice_as_key_p3": b"\x80\x03}cbuiltins\nslice\nK\x01\x85RK\x01s.",
})


def _range_keys(pairs):
    """A dict whose keys are distinct range objects (a dict display would merge the equal
    ones before pickling): {range(*a): i, ...} written as SETITEMS."""
    out = b"\x80\x02}(" 
    for i, args in enumerate(pairs):
        out += b"c__builtin__\nxrange\n(" + b"".join(b"J" + struct.pack("<i", a) for a in args) + b"tR"
        out += b"K" + bytes([i])
    return out + b"u."


# Python's range equality is by the values yielded: empty ranges are one key, as are
# one-element ranges with the same start, and ranges whose bounds differ but not their values.
CASES["range_keys_merge_p2"] = _range_keys([(0, 0, 1), (3, 3, 1), (5, 1, 1), (0, 3, 2), (0, 4, 2),
                                            (7, 8, 1), (7, 9, 5), (7, 6, -1), (1, 10, 3), (1, 11, 3)])


def main():
    os.makedirs(OUT, exist_ok=True)
    for name, data in CASES.items():
        try:
            text = repr(restricted_loads(data, policy="stdlib"))
        except Exception as e:  # noqa: BLE001
            text = "ERROR: %s: %s" % (type(e).__name__, str(e).replace("\n", "\\n"))
        with open(os.path.join(OUT, name + ".pkl"), "wb") as f:
            f.write(data)
        with open(os.path.join(OUT, name + ".repr"), "w", encoding="utf-8", newline="\n") as f:
            f.write(text + "\n")


main()
