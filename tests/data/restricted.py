"""Restricted unpickler shared by make_fixtures.py and random_values.py.

Never use pickle.load/pickle.loads (or an unrestricted Unpickler) on corpus
data: everything goes through RestrictedUnpickler, whose find_class only
resolves the names on an explicit allowlist.
"""

import _compat_pickle
import importlib
import io
import pickle
import pickletools

STRICT = frozenset({
    ("builtins", "set"),
    ("builtins", "frozenset"),
    ("builtins", "bytearray"),
    ("builtins", "complex"),
    ("builtins", "bytes"),
    ("_codecs", "encode"),
})

STDLIB = STRICT | frozenset({
    ("collections", "OrderedDict"),
    ("collections", "defaultdict"),
    ("collections", "deque"),
    ("collections", "Counter"),
    ("datetime", "date"),
    ("datetime", "time"),
    ("datetime", "datetime"),
    ("datetime", "timedelta"),
    ("datetime", "timezone"),
    ("decimal", "Decimal"),
    ("fractions", "Fraction"),
    ("uuid", "UUID"),
    ("uuid", "SafeUUID"),
    ("copyreg", "_reconstructor"),
    ("builtins", "object"),
    ("builtins", "list"),
    ("builtins", "dict"),
    ("builtins", "int"),
    ("builtins", "str"),
    ("builtins", "range"),
    ("builtins", "slice"),
    ("builtins", "Ellipsis"),
    ("builtins", "NotImplemented"),
})

NUMPY = STDLIB | frozenset({
    ("numpy", "ndarray"),
    ("numpy", "dtype"),
    ("numpy.core.multiarray", "_reconstruct"),
    ("numpy._core.multiarray", "_reconstruct"),
    ("numpy.core.multiarray", "scalar"),
    ("numpy._core.multiarray", "scalar"),
    ("numpy.core.numeric", "_frombuffer"),
    ("numpy._core.numeric", "_frombuffer"),
})

POLICIES = {"strict": STRICT, "stdlib": STDLIB, "numpy": NUMPY}

# Opcodes that make the C unpickler call find_class.
_FIND_CLASS_OPS = {"GLOBAL", "INST", "STACK_GLOBAL"}


def _find_class_protos(data):
    """Protocol in effect at each find_class call, in stream order.

    The C Unpickler does not expose `proto`, but its find_class applies the
    Python 2 name mapping only when proto < 3 (like Lib/pickle.py).  We
    recover the protocol by a (non-executing) pickletools.genops scan.
    """
    protos = []
    proto = 0
    try:
        for op, arg, _pos in pickletools.genops(data):
            if op.name == "PROTO":
                proto = arg
            elif op.name in _FIND_CLASS_OPS:
                protos.append(proto)
            elif op.name == "STOP":
                break
    except Exception:
        pass
    return protos, proto


class Refused(pickle.UnpicklingError):
    def __init__(self, module, name):
        super().__init__(f"refused {module}.{name}")
        self.module = module
        self.name = name


class RestrictedUnpickler(pickle.Unpickler):
    """pickle.Unpickler (the C one) with an allowlist find_class."""

    def __init__(self, file, *, policy="strict", protos=None, last_proto=0,
                 **kwargs):
        super().__init__(file, **kwargs)
        self._allowed = POLICIES[policy]
        self._protos = list(protos or [])
        self._last_proto = last_proto

    def find_class(self, module, name):
        proto = self._protos.pop(0) if self._protos else self._last_proto
        mmod, mname = module, name
        if proto < 3:  # fix_imports=True (the default), as in Lib/pickle.py
            if (mmod, mname) in _compat_pickle.NAME_MAPPING:
                mmod, mname = _compat_pickle.NAME_MAPPING[(mmod, mname)]
            elif mmod in _compat_pickle.IMPORT_MAPPING:
                mmod = _compat_pickle.IMPORT_MAPPING[mmod]
        if (mmod, mname) not in self._allowed:
            raise Refused(mmod, mname)  # the name after the Python 2 mapping, as the policy sees it
        return getattr(importlib.import_module(mmod), mname)


def restricted_loads(data, policy="strict", encoding="ASCII", proto=None):
    """Load `data` through RestrictedUnpickler.

    `proto`: the protocol the stream is known to run under (e.g. output of
    pickle.dumps(v, proto)); if None it is recovered with a genops scan.
    """
    if proto is None:
        protos, last = _find_class_protos(data)
    else:
        protos, last = [], proto
    return RestrictedUnpickler(io.BytesIO(data), policy=policy, protos=protos,
                               last_proto=last, encoding=encoding).load()
