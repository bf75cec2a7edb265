#!/usr/bin/env python3
"""Random round-trip records for the Rust differential tests.

Usage: python3 tests/data/random_values.py SEED COUNT > out.bin

Generates COUNT random nested values from random.Random(SEED).  For each
value and each protocol 0..5 it writes one record to stdout:

    b"<protocol> <len(pickle)> <len(repr)>\\n" + pickle + repr + b"\\n"

where repr is the UTF-8 canonical_repr() (repr() with set elements sorted) of the value *as loaded back* through the
strict RestrictedUnpickler (never an unrestricted unpickler).

Deterministic: re-executes itself with PYTHONHASHSEED=0 (set order of
str/bytes elements depends on the hash seed).  NaN never appears inside a
hashable position (set element, dict key, frozenset), since NaN hashes by
identity and would make set order depend on memory addresses; neither
does None (hashed by address in 3.11).
"""

import os
import sys

if os.environ.get("PYTHONHASHSEED") != "0":
    env = dict(os.environ, PYTHONHASHSEED="0")
    os.execve(sys.executable, [sys.executable] + sys.argv, env)

sys.dont_write_bytecode = True

import math  # noqa: E402
import pickle  # noqa: E402
import random  # noqa: E402
import struct  # noqa: E402

from restricted import restricted_loads  # noqa: E402

MAX_DEPTH = 6

SPECIAL_FLOATS = [0.0, -0.0, 1.0, -1.0, 0.5, 0.1, float("inf"), float("-inf"),
                  float("nan"), 5e-324, -5e-324, 2.2250738585072014e-308,
                  2.225073858507201e-308, 1.7976931348623157e308, 1e16, 1e22,
                  1e-7, 2.0**53, 2.0**53 + 2, 123456789.123]

SPECIAL_INTS = [0, 1, -1, 255, 256, -256, 65535, 65536, 2**31 - 1, -2**31,
                2**31, -2**31 - 1, 2**63 - 1, -2**63, 2**63, 2**64 - 1, 2**64,
                -2**64 - 1]


class Gen:
    def __init__(self, rng):
        self.rng = rng
        self.shared = []  # finished containers that may be reused

    # ---------------------------------------------------------- scalars
    def int_(self):
        r = self.rng
        if r.random() < 0.2:
            return r.choice(SPECIAL_INTS)
        bits = r.choice((r.randint(0, 8), r.randint(0, 40), r.randint(0, 300)))
        v = r.getrandbits(bits) if bits else 0
        return -v if r.random() < 0.5 else v

    def float_(self, hashable):
        r = self.rng
        k = r.random()
        if k < 0.25:
            v = r.choice(SPECIAL_FLOATS)
        elif k < 0.5:  # any bit pattern (NaN payloads, subnormals, ...)
            v = struct.unpack("<d", r.getrandbits(64).to_bytes(8, "little"))[0]
        elif k < 0.6:  # subnormal
            v = struct.unpack("<d", (r.getrandbits(52) | (r.getrandbits(1) << 63))
                              .to_bytes(8, "little"))[0]
        elif k < 0.8:
            v = r.uniform(-1e6, 1e6)
        else:
            v = float(r.randint(-1000, 1000)) / r.choice((1, 2, 4, 10, 3))
        if hashable and math.isnan(v):
            v = 0.25
        return v

    def complex_(self, hashable):
        return complex(self.float_(hashable), self.float_(hashable))

    def char(self):
        r = self.rng
        k = r.random()
        if k < 0.45:
            c = r.randint(0x20, 0x7E)
        elif k < 0.55:
            c = r.choice((r.randint(0, 0x1F), 0x7F, r.randint(0x80, 0x9F)))
        elif k < 0.7:
            c = r.randint(0xA0, 0xFF)
        elif k < 0.9:
            c = r.randint(0x100, 0xFFFD)
            if 0xD800 <= c <= 0xDFFF:  # no lone surrogates
                c -= 0x800
        else:
            c = r.randint(0x10000, 0x10FFFF)
        return chr(c)

    def length(self):
        r = self.rng
        k = r.random()
        if k < 0.85:
            return r.randint(0, 12)
        if k < 0.97:
            return r.randint(13, 270)
        return r.randint(270, 1100)

    def str_(self):
        r = self.rng
        if r.random() < 0.1:
            return r.choice(("", "'", '"', "\\", "\n", "'\"", "\r\n", "\x00",
                             "\\u0041", "\x1a"))
        return "".join(self.char() for _ in range(self.length()))

    def bytes_(self):
        r = self.rng
        n = self.length()
        if r.random() < 0.5:
            return bytes(r.getrandbits(8) for _ in range(n))
        return bytes(r.choice(b"ab'\"\\\n\x00\xff") for _ in range(n))

    # -------------------------------------------------------- composite
    def value(self, depth=0, hashable=False):
        r = self.rng
        containers = depth < MAX_DEPTH and r.random() < 0.55 - 0.08 * depth
        if containers:
            if hashable:
                kind = r.choice(("tuple", "frozenset"))
            else:
                if self.shared and r.random() < 0.12:
                    return r.choice(self.shared)
                kind = r.choice(("tuple", "list", "list", "dict", "dict",
                                 "set", "frozenset"))
            return getattr(self, kind + "_")(depth + 1, hashable)
        # None hashes by address in Python 3.11: keep it out of sets/keys.
        kind = r.choice(("bool", "int", "int", "float", "float",
                         "complex", "str", "str", "bytes")
                        + (("int",) if hashable else ("none", "bytearray")))
        if kind == "none":
            return None
        if kind == "bool":
            return r.random() < 0.5
        if kind == "int":
            return self.int_()
        if kind == "float":
            return self.float_(hashable)
        if kind == "complex":
            return self.complex_(hashable)
        if kind == "str":
            return self.str_()
        if kind == "bytes":
            return self.bytes_()
        return bytearray(self.bytes_())

    def n(self):
        r = self.rng
        return r.randint(0, 4) if r.random() < 0.95 else r.randint(5, 30)

    def tuple_(self, depth, hashable):
        v = tuple(self.value(depth, hashable) for _ in range(self.n()))
        if not hashable:
            self.shared.append(v)
        return v

    def list_(self, depth, hashable):
        v = [self.value(depth) for _ in range(self.n())]
        self.shared.append(v)
        return v

    def dict_(self, depth, hashable):
        v = {}
        for _ in range(self.n()):
            v[self.value(depth, hashable=True)] = self.value(depth)
        self.shared.append(v)
        return v

    def set_(self, depth, hashable):
        v = {self.value(depth, hashable=True) for _ in range(self.n())}
        self.shared.append(v)
        return v

    def frozenset_(self, depth, hashable):
        return frozenset(self.value(depth, hashable=True)
                         for _ in range(self.n()))


def canonical_repr(v):
    """repr(v), except that set and frozenset elements are sorted by their own canonical
    repr: Python prints sets in hash order, which depends on the table's history, so the
    Rust test sorts the same way before comparing."""
    if isinstance(v, (set, frozenset)):
        if not v:
            return "set()" if isinstance(v, set) else "frozenset()"
        inner = "{" + ", ".join(sorted(canonical_repr(x) for x in v)) + "}"
        return inner if isinstance(v, set) else "frozenset(" + inner + ")"
    if type(v) is list:
        return "[" + ", ".join(canonical_repr(x) for x in v) + "]"
    if type(v) is tuple:
        if len(v) == 1:
            return "(" + canonical_repr(v[0]) + ",)"
        return "(" + ", ".join(canonical_repr(x) for x in v) + ")"
    if type(v) is dict:
        return "{" + ", ".join(canonical_repr(k) + ": " + canonical_repr(x) for k, x in v.items()) + "}"
    return repr(v)


def main():
    if len(sys.argv) != 3:
        sys.exit("usage: random_values.py SEED COUNT")
    seed, count = int(sys.argv[1]), int(sys.argv[2])
    rng = random.Random(seed)
    out = sys.stdout.buffer
    for _ in range(count):
        gen = Gen(rng)  # sharing only within one value
        v = gen.value()
        for proto in range(6):
            data = pickle.dumps(v, protocol=proto)
            loaded = restricted_loads(data, policy="strict", proto=proto)
            rep = canonical_repr(loaded).encode("utf-8")
            out.write(b"%d %d %d\n" % (proto, len(data), len(rep)))
            out.write(data)
            out.write(rep)
            out.write(b"\n")
    out.flush()


if __name__ == "__main__":
    main()
