"""numpy's own view of a loaded value, and the Display text this crate prints for it.

Shared by make_numpy_fixtures.py (fixtures) and random_arrays.py (the live differential
test). Needs numpy. Never loads a pickle itself.

`describe(v)` is the oracle for element values: it is computed from numpy's loaded
objects alone (dtype, shape and every element, read through numpy's own indexing), in a
form the Rust side (tests/support/numpy_oracle.rs) rebuilds from the crate's dtype, shape
and raw bytes without using the crate's Display:

- ndarray:      ndarray(DTYPE, SHAPE, [E0, E1, ...])  elements in C order, flat;
- numpy scalar: scalar(DTYPE, E);
- dtype:        dtype(DTYPE);
- list, tuple, dict: as repr() with describe() for the items; anything else: repr().

DTYPE is repr(dtype.str) ('<f8', '|O', '>M8[s]'); a subarray dtype is (BASE, SHAPE); a
structured dtype is {'name': DTYPE@OFFSET, ...}/ITEMSIZE. Each element E by kind:
b True/False; i u the integer; f repr(float(x)) (float16/32 at their exact value);
c repr(complex(x)); S repr(bytes(x)) (numpy drops trailing NULs); U repr(str(x));
V (no fields) repr of the raw bytes; M m the int64 count (NaT: -2**63); structured
(F1, F2, ...); subarray [X0, X1, ...] flat in C order; O describe(x).
"""

import re

import numpy as np


def dtype_text(dt):
    if dt.names is not None:
        return "{%s}/%d" % (", ".join("%r: %s@%d" % (n, dtype_text(dt.fields[n][0]), dt.fields[n][1])
                                      for n in dt.names), dt.itemsize)
    if dt.subdtype is not None:
        base, shape = dt.subdtype
        return "(%s, %r)" % (dtype_text(base), shape)
    return repr(dt.str)


def elem(x, dt):
    if dt.names is not None:
        parts = [elem(x[n], dt.fields[n][0]) for n in dt.names]
        return "(%s,)" % parts[0] if len(parts) == 1 else "(%s)" % ", ".join(parts)
    if dt.subdtype is not None:
        base, shape = dt.subdtype
        x = np.asarray(x)
        return "[%s]" % ", ".join(elem(x[i], base) for i in np.ndindex(shape))
    k = dt.kind
    if k == "O":
        return describe(x)
    if k in "Mm":
        return str(int(np.asarray(x).astype(dt.newbyteorder("=")).view(np.int64)))
    if k == "b":
        return repr(bool(x))
    if k in "iu":
        return str(int(x))
    if k == "f":
        return repr(float(x))
    if k == "c":
        return repr(complex(x))
    if k in "SV":
        return repr(bytes(x))
    if k == "U":
        return repr(str(x))
    raise AssertionError("unknown dtype kind %r" % k)


def describe(v):
    if isinstance(v, np.ndarray):
        return "ndarray(%s, %r, [%s])" % (dtype_text(v.dtype), v.shape,
                                          ", ".join(elem(v[i], v.dtype) for i in np.ndindex(v.shape)))
    if isinstance(v, np.generic):
        return "scalar(%s, %s)" % (dtype_text(v.dtype), elem(v, v.dtype))
    if isinstance(v, np.dtype):
        return "dtype(%s)" % dtype_text(v)
    if isinstance(v, dict):
        return "{%s}" % ", ".join("%s: %s" % (describe(k), describe(x)) for k, x in v.items())
    if isinstance(v, list):
        return "[%s]" % ", ".join(describe(x) for x in v)
    if isinstance(v, tuple):
        inner = [describe(x) for x in v]
        return "(%s,)" % inner[0] if len(inner) == 1 else "(%s)" % ", ".join(inner)
    return repr(v)


# ------------------------------------------------------------ expected text

def spec(dt):
    """The dtype argument as the crate prints it."""
    if dt.names is not None:
        names = list(dt.names)
        formats = [spec(dt.fields[n][0]) for n in names]
        offsets = [dt.fields[n][1] for n in names]
        return ("{'names': %r, 'formats': [%s], 'offsets': %r, 'itemsize': %d}"
                % (names, ", ".join(formats), offsets, dt.itemsize))
    if dt.subdtype is not None:
        base, shape = dt.subdtype
        return "(%s, %r)" % (spec(base), shape)
    return repr(dt.str)


def plain(x):
    """tolist() output with the ndarrays numpy leaves in it (subarray fields) as lists."""
    if isinstance(x, np.ndarray):
        return plain(x.tolist())
    if isinstance(x, list):
        return [plain(i) for i in x]
    if isinstance(x, tuple):
        return tuple(plain(i) for i in x)
    return x


def nested(a, idx=()):
    """Object arrays: each element in the crate's form, as nested lists in C order."""
    if len(idx) == a.ndim:
        return fmt(a[idx])
    return "[%s]" % ", ".join(nested(a, idx + (i,)) for i in range(a.shape[len(idx)]))


def fmt_array(a):
    dt = a.dtype
    empty_shaped = a.size == 0 and a.shape != (0,)
    if dt.kind == "O":
        body = "[]" if empty_shaped else nested(a)
        text = "array(%s, dtype=%s)" % (body, spec(dt))
        return text + (".reshape(%r)" % (a.shape,) if empty_shaped else "")
    if dt.kind in "Mm" and dt.names is None:
        body = "[]" if empty_shaped else repr(a.view(dt.byteorder.replace("=", "<") + "i8").tolist())
        text = "array(%s, dtype='%si8').view(%r)" % (body, dt.str[0], dt.str)
    else:
        body = "[]" if empty_shaped else repr(plain(a.tolist()))
        text = "array(%s, dtype=%s)" % (body, spec(dt))
    if empty_shaped:
        text += ".reshape(%r)" % (a.shape,)
    return text


def fmt_scalar(s):
    dt = s.dtype
    if dt.kind == "b":
        return "np.True_" if s else "np.False_"
    name = type(s).__name__
    if dt.kind in "Mm":
        v = int(np.array(s).view("i8"))
        if np.isnat(s):
            return "np.%s('NaT')" % name
        unit, n = np.datetime_data(dt)
        unit = unit if n == 1 else "%d%s" % (n, unit)
        return "np.%s(%d, %r)" % (name, v, unit) if unit != "generic" else "np.%s(%d)" % (name, v)
    if dt.names is not None:
        return "np.void(%r, dtype=%s)" % (plain(s.item()), spec(dt))
    item = s.item()
    if dt.kind == "c":
        inner = repr(complex(item))
        if inner.startswith("("):
            inner = inner[1:-1]
    else:
        inner = repr(item)
    return "np.%s(%s)" % (name, inner)


def fmt(v):
    """repr() with numpy values in the crate's forms (containers of them included)."""
    if isinstance(v, np.ndarray):
        return fmt_array(v)
    if isinstance(v, np.generic):
        return fmt_scalar(v)
    if isinstance(v, np.dtype):
        return "dtype(%s)" % spec(v)
    if isinstance(v, dict):
        return "{%s}" % ", ".join("%s: %s" % (fmt(k), fmt(x)) for k, x in v.items())
    if isinstance(v, list):
        return "[%s]" % ", ".join(fmt(x) for x in v)
    if isinstance(v, tuple):
        inner = ", ".join(fmt(x) for x in v)
        return "(%s,)" % inner if len(v) == 1 else "(%s)" % inner
    return repr(v)


def check_roundtrip(value, text):
    env = {"array": np.array, "dtype": np.dtype, "inf": np.inf, "nan": np.nan, "np": np,
           "datetime": __import__("datetime"),
           # repr(complex) writes nanj and infj for those imaginary parts
           "nanj": complex(0, float("nan")), "infj": complex(0, float("inf"))}
    back = eval(text, env)  # our own generated text, never data from a pickle
    want = describe(value)
    # Python's own repr of complex(-0.0, y) is '(-0-yj)', which evaluates to complex(0.0, -y):
    # the one place the text cannot carry the value (numpy's repr has the same limit). The
    # .numpy element files keep the exact '(-0-yj)'.
    want_back = re.sub(r"\(-0([+-][^()]*j)\)", r"\1", want)
    assert describe(back) in (want, want_back), (text, want, describe(back))


