#!/usr/bin/env python3
"""(Re)write tests/data/numpy/: numpy pickles and the text the Rust loader must print.

Usage:  pip install numpy && python3 tests/data/make_numpy_fixtures.py

Without numpy the script prints a note and exits 0 (the committed fixtures stay).
Deterministic (re-executes itself with PYTHONHASHSEED=0).

For each case NAME it writes:
- NAME.pkl: the pickle (pickle.dumps at the protocol in the name, numpy 2.x module
  names; `_np1` cases spell numpy 1.x's `numpy.core...` names, as numpy 1.x writes them);
- NAME.buf0, NAME.buf1 ...: protocol 5 out-of-band buffers (`_oob` cases), in order;
- NAME.expect: one line. For a value: the Display text this crate documents for numpy
  values (src/value/ndarray.rs), computed here from the value CPython + numpy loaded
  through the restricted unpickler (restricted.py, policy "numpy"); the script checks
  that the text evaluates back to a value whose every element equals numpy's (see
  numpy_oracle.describe). For a failure:
  `ERROR: <Type>: <message>` or `REFUSED: module.name`, as the oracle failed.
- NAME.numpy (values only): numpy's own loaded value, numpy_oracle.describe(): dtype,
  shape and the exact text of every element, independent of this crate's Display.
- index.tsv: NAME<TAB>description.

Pickles are only loaded through restricted.RestrictedUnpickler.
"""

import os
import sys

if os.environ.get("PYTHONHASHSEED") != "0":
    env = dict(os.environ, PYTHONHASHSEED="0")
    os.execve(sys.executable, [sys.executable] + sys.argv, env)

sys.dont_write_bytecode = True

import io  # noqa: E402
import pickle  # noqa: E402
import shutil  # noqa: E402
import warnings  # noqa: E402

try:
    import numpy as np  # noqa: E402
except ImportError:
    print("numpy is not installed (pip install numpy): numpy fixtures not regenerated",
          file=sys.stderr)
    sys.exit(0)

from numpy_oracle import check_roundtrip, describe, fmt  # noqa: E402
from restricted import Refused, RestrictedUnpickler, _find_class_protos  # noqa: E402

warnings.simplefilter("ignore", DeprecationWarning)

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "numpy")
CASES = []  # (name, description, data, buffers)


# ------------------------------------------------------------ pickling

class Np1Pickler(pickle._Pickler):
    """Writes numpy 2's `numpy._core.*` globals under numpy 1.x's `numpy.core.*` names."""

    def save_global(self, obj, name=None):
        mod = getattr(obj, "__module__", "") or ""
        if mod.startswith("numpy._core"):
            name = name or obj.__qualname__
            mod = "numpy.core" + mod[len("numpy._core"):]
            if self.proto >= 4:
                self.save(mod)
                self.save(name)
                self.write(pickle.STACK_GLOBAL)
            else:
                self.write(pickle.GLOBAL + ("%s\n%s\n" % (mod, name)).encode())
            self.memoize(obj)
        else:
            super().save_global(obj, name)


def dumps_np1(value, proto):
    f = io.BytesIO()
    Np1Pickler(f, proto).dump(value)
    return f.getvalue()


def add(name, data, desc, buffers=()):
    assert all(c[0] != name for c in CASES), name
    CASES.append((name, desc, data, [bytes(b) for b in buffers]))


def add_dumps(base, value, desc, protocols=(2, 3, 5), np1=(2, 5)):
    for p in protocols:
        add("%s_p%d" % (base, p), pickle.dumps(value, protocol=p), "%s (protocol %d)" % (desc, p))
    for p in np1:
        add("%s_np1_p%d" % (base, p), dumps_np1(value, p),
            "%s (numpy 1.x names, protocol %d)" % (desc, p))


def add_oob(base, value, desc):
    bufs = []
    data = pickle.dumps(value, protocol=5, buffer_callback=bufs.append)
    add(base + "_oob_p5", data, desc + " (protocol 5, out-of-band buffers)",
        [b.raw() for b in bufs])


class Reduce:
    """An object that pickles as exactly the given reduce tuple (for hostile cases)."""

    def __init__(self, rv):
        self.rv = rv

    def __reduce__(self):
        return self.rv


# ------------------------------------------------------------ cases

nan, inf = float("nan"), float("inf")
add_dumps("f64", np.array([0.0, -0.0, 1.5, 0.1, 1e300, 5e-324, inf, -inf, nan, 1e16, 1e-5]),
          "float64 incl. -0, subnormal, inf, nan")
add_dumps("f32", np.array([0.1, 1e20, -3.5, 16777217.0, 1e-45], dtype="<f4"),
          "float32 (printed at exact float64 value)")
add_dumps("f16", np.array([0.5, -2.0, 65504.0, 6e-8, 0.1], dtype="<f2"), "float16")
add_dumps("ints", [np.array([-128, 0, 127], dtype="i1"), np.array([-32768, 32767], dtype="<i2"),
                   np.array([-2**31, 2**31 - 1], dtype="<i4"),
                   np.array([-2**63, 2**63 - 1], dtype="<i8"),
                   np.array([0, 255], dtype="u1"), np.array([65535], dtype="<u2"),
                   np.array([2**32 - 1], dtype="<u4"), np.array([2**64 - 1], dtype="<u8")],
          "every integer width at its extremes")
add_dumps("bool_2d", np.array([[True, False, True], [False, False, True]]), "bool 2-d")
add_dumps("complex", [np.array([1 + 2j, -0.5j, complex(inf, -1)], dtype="<c16"),
                      np.array([0.1 + 0.2j], dtype="<c8")], "complex128 and complex64")
add_dumps("big_endian", [np.array([1.5, -2.25], dtype=">f8"), np.array([1, 2**32 - 1], dtype=">u4"),
                         np.array([1 + 1j], dtype=">c16"), np.array(["ab\u00e9"], dtype=">U3"),
                         np.array([-7], dtype=">i2")], "big-endian dtypes")
add_dumps("fortran_2d", np.asfortranarray(np.arange(6, dtype="<i2").reshape(2, 3)),
          "Fortran-ordered 2-d")
add_dumps("fortran_3d", np.asfortranarray(np.arange(24, dtype="<f8").reshape(2, 3, 4)),
          "Fortran-ordered 3-d")
add_dumps("zero_d", np.array(3.25), "0-d float64")
add_dumps("empty", [np.zeros((0, 3)), np.zeros((2, 0), dtype="i4"), np.zeros(0, dtype="u1"),
                    np.zeros((0,), dtype="U2")], "empty arrays of several shapes",
          np1=(2,))
add_dumps("bytes_s", np.array([b"ab", b"", b"a\x00b\xff\x00"], dtype="S5"),
          "S5 with trailing NULs")
add_dumps("str_u", np.array(["", "h\u00e9llo", "\U0001F600x", "it's"], dtype="<U5"),
          "U5 incl. non-BMP and a quote")
add_dumps("void_raw", np.array([b"\x00\x01\x02\x03", b"abcd"], dtype="V4"), "raw void V4")
add_dumps("structured", np.array([(1, [2.5, -1.0]), (-3, [0.0, 1e100])],
                                 dtype=[("a", "<i4"), ("b", ">f8", (2,))]),
          "structured with a subarray field")
add_dumps("structured_aligned", np.array([(1, 2), (3, 4)],
                                         dtype=np.dtype([("x", "u1"), ("y", "<i4")], align=True)),
          "aligned structured (padding)")
add_dumps("structured_nested", np.array([((1, 2.0), b"xy")],
                                        dtype=[("p", [("i", "<i2"), ("f", "<f4")]), ("s", "S2")]),
          "nested structured")
add_dumps("datetime", [np.array(["2024-01-02T03:04:05", "NaT"], dtype="<M8[s]"),
                       np.array([5, -1], dtype="<m8[ms]"),
                       np.array(["2024-01-01"], dtype="<M8[D]")],
          "datetime64 and timedelta64")
add_dumps("object", np.array([2.5, "x", b"y", [1, {"k": None}], (1,)], dtype=object),
          "object array with nested containers")
obj2 = np.empty((2, 2), dtype=object)
obj2[:] = [[1, "a"], [None, 2.0]]
add_dumps("object_2d", obj2, "object array 2-d")
inner = np.empty(2, dtype=object)
inner[:] = [np.array([1, 2], dtype="<i4"), np.array([[1.5]])]
add_dumps("object_of_arrays", inner, "object array holding arrays")
add_dumps("non_contiguous", np.arange(10, dtype="<i8")[::3], "strided view (reconstruct at p5)")
add_dumps("scalars", [np.float64(1.5), np.float32(0.1), np.float16(0.5), np.int32(-7),
                      np.uint8(200), np.int64(2**62), np.bool_(True), np.bool_(False),
                      np.complex128(1 - 2j), np.complex64(2j), np.str_("ab"), np.bytes_(b"c\x00"),
                      np.datetime64(5, "s"), np.datetime64("NaT"), np.timedelta64(7, "ms"),
                      np.str_(""), np.bytes_(b"")],
          "numpy scalars", protocols=(2, 4), np1=(2, 4))
add_dumps("dtypes", [np.dtype(">i4"), np.dtype("U3"), np.dtype([("a", "<i4"), ("b", "S2")]),
                     np.dtype("M8[10s]")], "dtype objects", protocols=(2, 4), np1=())
add_dumps("mixed_stdlib", {"when": __import__("datetime").date(2024, 1, 2),
                           "arr": np.array([1, 2], dtype="<i2")},
          "dict mixing stdlib and numpy", protocols=(2, 4), np1=())
add_oob("f64", np.array([1.5, 2.0, -0.0]), "float64")
add_oob("fortran", np.asfortranarray(np.ones((2, 3), dtype=">i2")), "Fortran big-endian")
add_oob("two_arrays", [np.arange(3, dtype="<u2"), np.array([[True], [False]])], "two arrays")

# Hostile pickles: what numpy itself says about them is the oracle.
R = np._core.multiarray._reconstruct
D8 = np.dtype("<f8")


def recon(state, cls=np.ndarray):
    return Reduce((R, (cls, (0,), b"b"), state))


HOSTILE = {
    "overflow_shape": recon((1, (2**62, 2**62), D8, False, b"")),
    "overflow_itemsize": recon((1, (2**61,), D8, False, b"")),
    "data_short": recon((1, (3,), D8, False, b"\x00" * 16)),
    "data_long": recon((1, (1,), D8, False, b"\x00" * 16)),
    "negative_dim": recon((1, (-1,), D8, False, b"")),
    # (An object array whose list is shorter than its shape is not here: numpy reads past
    # the end of the list. tests/presets_numpy.rs checks that this crate refuses it.)
    "reconstruct_not_ndarray": recon(None, cls=list),
    "frombuffer_short": Reduce((np._core.numeric._frombuffer,
                                (bytearray(b"\x00" * 12), D8, (2,), "C"))),
    "bad_dtype_string": Reduce((np.dtype, ("q9", False, True))),
}
for name, value in HOSTILE.items():
    add("hostile_%s_p2" % name, pickle.dumps(value, protocol=2), "hostile: " + name)


# .npy files: np.lib.format.write_array at each header version. Raw data is read back by
# np.load(allow_pickle=False); an object array's pickle by the restricted unpickler.
NPY = []  # (name, description, bytes)


def add_npy(name, array, desc, version=None):
    f = io.BytesIO()
    np.lib.format.write_array(f, array, version=version, allow_pickle=True)
    NPY.append((name, desc, f.getvalue()))


add_npy("npy_f64_v1", np.array([1.5, -0.0, 1e300]), "float64, version 1.0", (1, 0))
add_npy("npy_fortran_v2", np.asfortranarray(np.arange(6, dtype=">i4").reshape(2, 3)),
        "Fortran big-endian int32, version 2.0", (2, 0))
add_npy("npy_str_v3", np.array(["h\u00e9", "\U0001F600"]), "unicode, version 3.0", (3, 0))
add_npy("npy_zero_d", np.array(7, dtype="u2"), "0-d uint16")
add_npy("npy_empty", np.zeros((0, 4), dtype="f4"), "empty (0, 4)")
add_npy("npy_bool", np.array([[True], [False]]), "bool 2-d")
add_npy("npy_object", np.array([1, "two", [3.0]], dtype=object), "object array (pickle inside)")


def npy_oracle(data):
    f = io.BytesIO(data)
    version = np.lib.format.read_magic(f)
    read = {(1, 0): np.lib.format.read_array_header_1_0,
            (2, 0): np.lib.format.read_array_header_2_0}.get(version)
    if read is None:  # 3.0: the 2.0 layout with a UTF-8 header
        from numpy.lib import _format_impl
        shape, fortran, dtype = _format_impl._read_array_header(f, version)
    else:
        shape, fortran, dtype = read(f)
    if dtype.hasobject:
        body = f.read()
        protos, last = _find_class_protos(body)
        try:
            value = RestrictedUnpickler(io.BytesIO(body), policy="numpy", protos=protos,
                                        last_proto=last).load()
        except Refused as e:
            return "REFUSED: %s.%s" % (e.module, e.name), None
    else:
        value = np.load(io.BytesIO(data), allow_pickle=False)
    text = fmt(value)
    check_roundtrip(value, text)
    return text, describe(value)


# ------------------------------------------------------------ output

def oracle(data, buffers):
    protos, last = _find_class_protos(data)
    try:
        value = RestrictedUnpickler(io.BytesIO(data), policy="numpy", protos=protos,
                                    last_proto=last, buffers=buffers).load()
    except Refused as e:
        return "REFUSED: %s.%s" % (e.module, e.name), None
    except Exception as e:  # noqa: BLE001
        return "ERROR: %s: %s" % (type(e).__name__, str(e).replace("\n", "\\n")), None
    text = fmt(value)
    check_roundtrip(value, text)
    return text, describe(value)


def write_texts(name, texts):
    expect, elements = texts
    with open(os.path.join(OUT, name + ".expect"), "w", encoding="utf-8", newline="\n") as f:
        f.write(expect + "\n")
    if elements is not None:
        with open(os.path.join(OUT, name + ".numpy"), "w", encoding="utf-8", newline="\n") as f:
            f.write(elements + "\n")


def main():
    if os.path.isdir(OUT):
        shutil.rmtree(OUT)
    os.makedirs(OUT)
    index = []
    for name, desc, data, buffers in CASES:
        with open(os.path.join(OUT, name + ".pkl"), "wb") as f:
            f.write(data)
        for i, b in enumerate(buffers):
            with open(os.path.join(OUT, "%s.buf%d" % (name, i)), "wb") as f:
                f.write(b)
        write_texts(name, oracle(data, buffers))
        index.append("%s\t%s\n" % (name, desc))
    with open(os.path.join(OUT, "index.tsv"), "w", encoding="utf-8", newline="\n") as f:
        f.write("".join(index))
    npy_index = []
    for name, desc, data in NPY:
        with open(os.path.join(OUT, name + ".npy"), "wb") as f:
            f.write(data)
        write_texts(name, npy_oracle(data))
        npy_index.append("%s\t%s\n" % (name, desc))
    with open(os.path.join(OUT, "npy_index.tsv"), "w", encoding="utf-8", newline="\n") as f:
        f.write("".join(npy_index))
    print("wrote %d numpy cases to %s (numpy %s)" % (len(CASES), OUT, np.__version__),
          file=sys.stderr)


if __name__ == "__main__":
    main()
