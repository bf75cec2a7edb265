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
