#!/usr/bin/env python3
"""Turn tests/data/torch/real/manifest.json (facts torch 2.11 read back from the files it
wrote) into real/expected.tsv for tests/torch_real.rs.  Needs only the standard library;
torch is not imported and no pickle is loaded without a restricted find_class.

    python3 tests/data/torch/make_expected.py

expected.tsv columns (tab-separated):
- tensor:  file, "tensor", path, dtype, shape, stride, offset, numel, sum (repr), requires_grad
- refused: file, "refused", module.name of the first global CPython's unpickler is refused
           when its find_class allows only the torch preset's names (the persistent ids
           resolve to a placeholder; allowed callables are stand-ins that return None)
"""

import io
import json
import os
import pickle

HERE = os.path.dirname(os.path.abspath(__file__))
REAL = os.path.join(HERE, "real")

# What the torch preset allows, for the refusal oracle (a superset is fine here: the
# question is only which global is refused first).
ALLOWED_MODULES = {"torch._utils", "collections", "_codecs", "torch._tensor"}
ALLOWED = {("builtins", "set"), ("builtins", "complex"), ("builtins", "bytearray"),
           ("torch", "Size"), ("torch", "device"), ("torch.nn.parameter", "Parameter")}


class Refused(Exception):
    pass


class StandIn(dict):
    """What an allowed callable returns: a dict that takes items and attributes."""


def stand_in(*args, **kwargs):
    return StandIn()


class Oracle(pickle.Unpickler):
    def find_class(self, module, name):
        if module in ALLOWED_MODULES or (module, name) in ALLOWED or (
                module == "torch" and (name.endswith("Storage") or name[0].islower())):
            return stand_in
        raise Refused(f"{module}.{name}")

    def persistent_load(self, pid):
        return None


def first_refused(path):
    with open(path, "rb") as f:
        data = f.read()
    try:
        Oracle(io.BytesIO(data)).load()
    except Refused as e:
        return str(e)
    raise SystemExit(f"{path}: nothing refused")


def main():
    manifest = json.load(open(os.path.join(REAL, "manifest.json")))
    rows = []
    for e in manifest:
        if e["kind"] not in ("torch-zip", "torch-legacy"):
            continue
        name = e["name"]
        if e["expect"] == "refused":
            pkl = name.replace(".pt", ".data.pkl")
            rows.append([name, "refused", first_refused(os.path.join(REAL, pkl))])
            continue
        for path, t in e["tensors"].items():
            rows.append([name, "tensor", path, t["dtype"], json.dumps(t["shape"]),
                         json.dumps(t["stride"]), str(t["offset"]), str(t["numel"]),
                         repr(float(t["sum"])), str(t["requires_grad"])])
    with open(os.path.join(REAL, "expected.tsv"), "w") as out:
        for r in rows:
            out.write("\t".join(r) + "\n")
    print(f"{len(rows)} rows")


main()
