#!/usr/bin/env python3
"""Random numpy values for the live differential test (tests/differential.rs).

Usage: python3 tests/data/random_arrays.py SEED COUNT   (needs numpy)

Generates COUNT random numpy arrays and scalars from random.Random(SEED): every dtype
kind the crate supports, both byte orders, 0 to 3 dimensions (empty ones included),
C and Fortran order, strided views, structured (nested, with subarrays) and object
arrays. Each is pickled at protocols 2 to 5 and loaded back through the restricted
unpickler (restricted.py, policy "numpy"); for each pickle one record goes to stdout:

    b"<proto> <len(pickle)> <len(elements)> <len(display)>\\n" + pickle + elements + display + b"\\n"

`elements` is numpy_oracle.describe() of the value numpy loaded, `display` the Display
text the crate documents (numpy_oracle.fmt), checked to evaluate back to that value.
"""

import io
import os
import pickle
import random
import sys

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import numpy as np  # noqa: E402

from numpy_oracle import check_roundtrip, describe, fmt  # noqa: E402
from restricted import RestrictedUnpickler, _find_class_protos  # noqa: E402

PLAIN = ["f8", "f4", "f2", "i1", "i2", "i4", "i8", "u1", "u2", "u4", "u8", "c8", "c16",
         "M8[s]", "m8[ms]", "M8[D]", "M8[10us]"]
CHARS = "a'\"\\\x00\x7f\u00e9\u65e5\U0001F600 "


def rand_shape(r):
    return tuple(r.choice([0, 1, 1, 2, 3, 4]) for _ in range(r.choice([0, 1, 1, 2, 2, 3])))


def rand_plain_dtype(r):
    c = r.random()
    if c < 0.6:
        return np.dtype(r.choice("<>") + r.choice(PLAIN))
    if c < 0.7:
        return np.dtype("?")
    if c < 0.8:
        return np.dtype("S%d" % r.randint(1, 4))
    if c < 0.9:
        return np.dtype(r.choice("<>") + "U%d" % r.randint(1, 3))
    return np.dtype("V%d" % r.randint(1, 4))


def rand_dtype(r, depth=0):
    c = r.random()
    if c < 0.12 and depth < 2:
        n = r.randint(1, 3)
        fields = []
        for i in range(n):
            sub = rand_dtype(r, depth + 1)
            # Fields are filled with random bytes: no objects, no text. No datetimes either:
            # tolist() turns them into datetime objects, which the Display form of a
            # structured array does not define.
            if sub.kind in "OUMm" or (sub.names is not None and any(
                    sub.fields[n][0].kind in "Mm" for n in sub.names)):
                sub = np.dtype("<i4")
            if r.random() < 0.25:
                fields.append(("f%d" % i, sub, (r.randint(1, 3),)))
            else:
                fields.append(("f%d" % i, sub))
        return np.dtype(fields, align=r.random() < 0.3)
    if c < 0.2 and depth == 0:
        return np.dtype(object)
    return rand_plain_dtype(r)


def rand_object(r, depth=0):
    c = r.random()
    if c < 0.15 and depth < 2:
        return rand_array(r, depth + 1)
    # No lists or tuples: array([[1], [2]], dtype=object) cannot say whether it holds two
    # lists or is 2-d (numpy's own repr has the same ambiguity), so the text would not
    # evaluate back to the value. Dicts hold them instead.
    if c < 0.3:
        return {"k": [rand_object(r, depth + 1) for _ in range(r.randint(0, 2))]} if depth < 2 else 1
    return r.choice([None, True, 0, -7, 2**70, 1.5, -0.0, "x", "\u00e9", b"\x00y"])


def rand_array(r, depth=0):
    dt = rand_dtype(r, depth)
    shape = rand_shape(r)
    n = int(np.prod(shape, dtype=np.int64))
    if dt.kind == "O":
        a = np.empty(shape, dtype=object)
        for i in np.ndindex(shape):
            a[i] = rand_object(r, depth)
        return a
    if dt.kind == "b":
        a = np.array([r.random() < 0.5 for _ in range(n)], dtype="?").reshape(shape)
    elif dt.kind == "U":
        k = dt.itemsize // 4
        a = np.array(["".join(r.choice(CHARS) for _ in range(r.randint(0, k))) for _ in range(n)],
                     dtype=dt).reshape(shape)
    else:
        raw = bytes(r.getrandbits(8) for _ in range(n * dt.itemsize))
        a = np.frombuffer(raw, dtype=dt).reshape(shape).copy()
    if a.ndim >= 2 and r.random() < 0.4:
        a = np.asfortranarray(a)
    if a.ndim >= 1 and a.shape[0] > 2 and r.random() < 0.2:
        a = a[::2]
    return a


def rand_value(r):
    a = rand_array(r)
    if r.random() < 0.2 and a.dtype.kind != "O":
        return a.reshape(-1)[0] if a.size else a
    return a


def ambiguous(v):
    """An object array holding arrays: array([array([1])], dtype=object) reads back as a 2-d
    object array (numpy's own repr has the same limit), so its text cannot be evaluated
    back. Its Display text is still compared with the crate's, its elements with numpy's."""
    if isinstance(v, np.ndarray) and v.dtype.kind == "O":
        return any(isinstance(x, np.ndarray) or ambiguous(x) for x in v.flat)
    if isinstance(v, dict):
        return any(ambiguous(x) for x in v.values())
    return False


def main():
    seed, count = int(sys.argv[1]), int(sys.argv[2])
    r = random.Random(seed)
    out = sys.stdout.buffer
    for _ in range(count):
        value = rand_value(r)
        for proto in (2, 3, 4, 5):
            data = pickle.dumps(value, protocol=proto)
            protos, last = _find_class_protos(data)
            loaded = RestrictedUnpickler(io.BytesIO(data), policy="numpy", protos=protos,
                                         last_proto=last).load()
            elements = describe(loaded).encode("utf-8")
            display = fmt(loaded)
            if not ambiguous(loaded):
                check_roundtrip(loaded, display)
            display = display.encode("utf-8")
            out.write(b"%d %d %d %d\n" % (proto, len(data), len(elements), len(display)))
            out.write(data + elements + display + b"\n")


if __name__ == "__main__":
    main()
