#!/usr/bin/env python3
"""(Re)write tests/data/access/: the oracle for the value accessors (tests/access.rs).

Usage:  python3 tests/data/make_access_fixtures.py   (numpy optional: without it the
array cases are left as committed)

Every pickle is loaded back through restricted.RestrictedUnpickler and the expected
answers are computed by CPython from that loaded value:

- floats_pP.pkl + floats.expect: a list of ints, bools and floats; one line per element,
  the IEEE bits of `float(x)` in hex, or `OverflowError`.
- tree_pP.pkl + tree.expect: one nested value (dict, OrderedDict, Counter, defaultdict,
  deque, tuple, list, int keys, a str key '0' beside an int key 0 ...) and, per line,
  `POINTER<TAB>KEYS<TAB>EXPECTED`: a path in the crate's pointer syntax, the same path as
  a JSON list of Python keys, and `repr(v[k1][k2]...)` as CPython computes it, or `ABSENT`
  where CPython raises KeyError/IndexError/TypeError. A mapping is indexed with
  `k in m and m[k]`, so defaultdict's and Counter's `__missing__` (which would create or
  invent a value) are not called: the crate never invents values.
- kinds_pP.pkl + kinds.expect: a list of values; per element
  `type(x) is bool`, `repr(dict(x))` for mappings, `repr(set(x))` for sets and frozensets
  (`-` where the accessor must answer nothing).
- ints_DTYPE_ORDER_pP.pkl + .expect (numpy): an array; the expect file is
  `DTYPE<TAB>json(a.ravel(order="C").tolist())`.
"""

import collections
import io
import json
import os
import pickle
import random
import shutil
import struct
import sys

if os.environ.get("PYTHONHASHSEED") != "0":
    env = dict(os.environ, PYTHONHASHSEED="0")
    os.execve(sys.executable, [sys.executable] + sys.argv, env)

sys.dont_write_bytecode = True
from restricted import restricted_loads  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "access")
PROTOCOLS = range(0, 6)


def write(name, data):
    with open(os.path.join(OUT, name), "wb") as f:
        f.write(data)


def float_cases():
    rng = random.Random(15)
    xs = [0, 1, -1, 2**53, 2**53 + 1, 2**53 + 3, 2**63 - 1, -2**63, 2**63, 2**64 + 1,
          -(2**64) - 1, 3 * 2**64 + 12345, 2**1023 + 2**1022, 10**308, -10**308, 10**309,
          2**1024 - 2**970, 2**1024 - 2**971, -(2**1024 - 2**971), -(2**1024 - 2**970),
          2**1024, 2**2000, True, False, 1.5, -0.0, float("inf")]
    # Ties and near-ties around the 53-bit boundary, at many magnitudes.
    for bits in (54, 60, 64, 65, 100, 500, 1000, 1023):
        base = 1 << (bits - 1)
        step = 1 << (bits - 54)
        xs += [base + step, base + 3 * step, base + step + 1, -(base + step), base + step - 1]
    xs += [rng.getrandbits(rng.randrange(54, 1100)) * rng.choice((1, -1)) for _ in range(60)]
    return xs


def float_expect(x):
    try:
        f = float(x)
    except OverflowError:
        return "OverflowError"
    return "%016x" % struct.unpack("<Q", struct.pack("<d", f))[0]


ABSENT = object()


def index(c, k):
    if isinstance(c, (dict, collections.OrderedDict)):  # Counter and defaultdict are dicts
        try:
            return c[k] if k in c else ABSENT
        except TypeError:  # an unhashable key
            return ABSENT
    if isinstance(c, (list, tuple, collections.deque)):
        if isinstance(k, int) and -len(c) <= k < len(c):
            return c[k]
        return ABSENT
    return ABSENT


def tree():
    return {
        "config": {"lr": [0.1, 0.01], "name": "run", "a/b": 1, "m~n": 2, "": "empty key"},
        "layers": {0: "int zero", "0": "str zero", 1: "one", -3: "minus three", 10**20: "big"},
        "od": collections.OrderedDict([("x", [1, 2]), (5, "five")]),
        "ctr": collections.Counter({"a": 3, "b": 1}),
        "dd": collections.defaultdict(list, {"k": [7, 8]}),
        "dq": collections.deque([["in", "deque"], 2]),
        "tup": (1, (2, 3), {"deep": None}),
        "flags": {True: "true key", 2: "two"},
        "none": None,
        "s": {1, 2},
    }


POINTERS = [
    ("", []),
    ("/config", ["config"]),
    ("/config/lr", ["config", "lr"]),
    ("/config/lr/0", ["config", "lr", 0]),
    ("/config/lr/1", ["config", "lr", 1]),
    ("/config/lr/2", ["config", "lr", 2]),
    ("/config/lr/-1", None),
    ("/config/lr/01", None),
    ("/config/lr/x", None),
    ("/config/a~1b", ["config", "a/b"]),
    ("/config/m~0n", ["config", "m~n"]),
    ("/config/", ["config", ""]),
    ("/config/missing", ["config", "missing"]),
    ("/config/name/0", ["config", "name", 0]),
    ("/layers/0", ["layers", "0"]),
    ("/layers/1", ["layers", 1]),
    ("/layers/-3", ["layers", -3]),
    ("/layers/100000000000000000000", ["layers", 10**20]),
    ("/layers/-0", None),
    ("/layers/01", None),
    ("/od/x/1", ["od", "x", 1]),
    ("/od/5", ["od", 5]),
    ("/ctr/a", ["ctr", "a"]),
    ("/ctr/zzz", ["ctr", "zzz"]),
    ("/dd/k/1", ["dd", "k", 1]),
    ("/dd/nope", ["dd", "nope"]),
    ("/dq/0/1", ["dq", 0, 1]),
    ("/tup/1/0", ["tup", 1, 0]),
    ("/tup/2/deep", ["tup", 2, "deep"]),
    ("/flags/1", ["flags", 1]),
    ("/flags/2", ["flags", 2]),
    ("/none", ["none"]),
    ("/none/0", ["none", 0]),
    ("/s/1", ["s", 1]),
    ("config", None),
]

# Index-only paths (no pointer form): negative positions and bool keys.
INDEX_ONLY = [
    ["config", "lr", -1], ["config", "lr", -2], ["config", "lr", -3], ["tup", -1, "deep"],
    ["dq", -2, 0], ["flags", True], ["flags", 1], ["layers", False], ["layers", True],
    ["tup", True, 1], ["none", "x"], ["s", 0], ["missing", 0, "x"],
]


def walk(v, keys):
    for k in keys:
        v = index(v, k)
        if v is ABSENT:
            return "ABSENT"
    return repr(v)


def kinds():
    return [True, False, 1, 0, None, "s", {"a": 1}, collections.OrderedDict([(2, "b"), (1, "a")]),
            collections.Counter("abracadabra"), collections.defaultdict(int, {"z": 0, "y": 1}),
            {3, 1, 2}, frozenset({"f"}), set(), [1], (1,)]


def kind_expect(x):
    parts = ["bool" if type(x) is bool else "-"]
    parts.append(repr(dict(x)) if isinstance(x, dict) else "-")
    parts.append(repr(set(x)) if isinstance(x, (set, frozenset)) else "-")
    return "\t".join(parts)


def numpy_cases():
    try:
        import numpy as np
    except ImportError:
        print("numpy is not installed: array cases not regenerated", file=sys.stderr)
        return False
    for old in os.listdir(OUT):
        if old.startswith("ints_"):
            os.remove(os.path.join(OUT, old))
    for code in ("i1", "i2", "i4", "i8", "u1", "u2", "u4", "u8", "b1"):
        orders = ("|",) if code in ("i1", "u1", "b1") else ("<", ">")
        for bo in orders:
            dt = np.dtype(bo + code)
            if code == "b1":
                base = np.array([[True, False, True], [False, False, True]], dtype=dt)
            else:
                info = np.iinfo(dt)
                base = np.array([[info.min, info.max, 0], [1, info.max // 3, info.min // 7]], dtype=dt)
            for layout, a in (("c", base), ("f", np.asfortranarray(base))):
                for p in (2, 5):
                    name = "ints_%s_%s%s_p%d" % (code, {"<": "le", ">": "be", "|": "na"}[bo], layout, p)
                    data = pickle.dumps(a, protocol=p)
                    back = restricted_loads(data, policy="numpy")
                    write(name + ".pkl", data)
                    write(name + ".expect", ("%s\t%s\n" % (
                        code, json.dumps(back.ravel(order="C").tolist()))).encode())
    return True


def main():
    os.makedirs(OUT, exist_ok=True)
    for p in PROTOCOLS:
        xs = float_cases()
        data = pickle.dumps(xs, protocol=p)
        write("floats_p%d.pkl" % p, data)
        back = restricted_loads(data, policy="strict")
        write("floats.expect", "".join(float_expect(x) + "\n" for x in back).encode())

        data = pickle.dumps(tree(), protocol=p)
        write("tree_p%d.pkl" % p, data)
        back = restricted_loads(data, policy="stdlib")
        lines = []
        for ptr, keys in POINTERS:
            lines.append("%s\t%s\t%s" % (ptr, "-" if keys is None else json.dumps(keys),
                                         "ABSENT" if keys is None else walk(back, keys)))
        for keys in INDEX_ONLY:
            lines.append("-\t%s\t%s" % (json.dumps(keys), walk(back, keys)))
        write("tree.expect", ("\n".join(lines) + "\n").encode())

        data = pickle.dumps(kinds(), protocol=p)
        write("kinds_p%d.pkl" % p, data)
        back = restricted_loads(data, policy="stdlib")
        write("kinds.expect", "".join(kind_expect(x) + "\n" for x in back).encode())
    numpy_cases()


if __name__ == "__main__":
    main()
