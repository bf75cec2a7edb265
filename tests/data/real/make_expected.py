#!/usr/bin/env python3
"""Turn manifest.json (facts about the real files, copied from the files' makers) into
expected.tsv for tests/real_files.rs, and ask CPython's restricted unpickler (policy
"numpy", tests/data/restricted.py) which global it refuses first in each file that is not
plain numpy.  Needs numpy; never loads a pickle without the restricted find_class.

    python3 tests/data/real/make_expected.py

expected.tsv columns: name, kind, then per kind
- array:    dtype (manifest), shape (Python repr), fortran (True/False), values (repr of
            tolist(), complex and bytes restored from the manifest's strings)
- scalar:   dtype, repr of the value
- dict:     key, dtype, shape, fortran, values (one line per array)
- refused:  module.name of the first global the restricted unpickler refuses
"""

import ast
import io
import json
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.dirname(HERE))
sys.dont_write_bytecode = True

from restricted import Refused, RestrictedUnpickler, _find_class_protos  # noqa: E402


def restore(dtype, values):
    if dtype.startswith("<c") or dtype.startswith(">c"):
        return walk(values, lambda s: complex(s) if isinstance(s, str) else s)
    if dtype == "|O":
        return walk(values, lambda s: ast.literal_eval(s)
                    if isinstance(s, str) and s.startswith(("b'", 'b"')) else s)
    return values


def walk(v, f):
    if isinstance(v, list):
        return [walk(x, f) for x in v]
    return f(v)


def first_refusal(data):
    protos, last = _find_class_protos(data)
    try:
        RestrictedUnpickler(io.BytesIO(data), policy="numpy", protos=protos,
                            last_proto=last).load()
    except Refused as e:
        return "%s.%s" % (e.module, e.name)
    except Exception as e:  # noqa: BLE001
        return "ERROR %s" % type(e).__name__
    return "LOADED"


def main():
    manifest = json.load(open(os.path.join(HERE, "manifest.json")))
    rows = []
    for e in manifest:
        name, kind = e["name"], e["kind"]
        if kind in ("numpy", "npy-object"):
            n = e["numpy"]
            rows.append([name, "array", n["dtype"], repr(tuple(n["shape"])), repr(n["fortran"]),
                         repr(restore(n["dtype"], n["values"]))])
        elif kind == "numpy-scalar":
            rows.append([name, "scalar", e["dtype"], repr(e["value"])])
        elif kind == "numpy-dict":
            for key, n in e["numpy"].items():
                rows.append([name, "dict", key, n["dtype"], repr(tuple(n["shape"])),
                             repr(n["fortran"]), repr(restore(n["dtype"], n["values"]))])
        else:
            with open(os.path.join(HERE, name), "rb") as f:
                rows.append([name, "refused", first_refusal(f.read()), e["opaque_expect"]])
    with open(os.path.join(HERE, "expected.tsv"), "w", encoding="utf-8", newline="\n") as f:
        for r in rows:
            f.write("\t".join(r) + "\n")


if __name__ == "__main__":
    main()
