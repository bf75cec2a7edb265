#!/usr/bin/env python3
"""CPython's verdict on pickles this crate wrote (tests/write_differential.rs).

Usage: python3 tests/data/write/check_written.py RECORDS

RECORDS holds records b"<policy> <len(ours)> <len(theirs)>\\n" + ours + theirs, where
`theirs` is a pickle CPython wrote and `ours` what the crate wrote for the value it
loaded from it. For each record this prints one line:

    equal            both load (restricted unpickler) to equal values
    equal shared     equal, and CPython's value holds one container object twice
                     (which a Rust value holds as two copies)
    DIFFERENT ...    they do not load to equal values (with both reprs)

Only the restricted unpickler loads anything (tests/data/restricted.py).
"""

import math
import os
import sys

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from restricted import restricted_loads  # noqa: E402

ATOMS = (str, int, float, type(None))  # never memoized, or shared by content (str)


def same(a, b):
    """Equality that also holds for NaN and compares types all the way down (without
    recursion: the corpus nests 1000 deep)."""
    todo = [(a, b)]
    while todo:
        a, b = todo.pop()
        if type(a) is not type(b):
            return False
        if isinstance(a, float):
            if repr(a) != repr(b):
                return False
        elif isinstance(a, complex):
            todo += [(a.real, b.real), (a.imag, b.imag)]
        elif isinstance(a, (list, tuple)):
            if len(a) != len(b):
                return False
            todo += zip(a, b)
        elif isinstance(a, dict):
            if len(a) != len(b):
                return False
            todo += zip(a.keys(), b.keys())
            todo += zip(a.values(), b.values())
        elif repr(a) != repr(b):
            try:
                if a != b:  # sets: equal in any order
                    return False
            except ArithmeticError:  # a signaling-NaN Decimal
                return False
    return True


def shares(v):
    """Whether an object CPython memoizes (anything but a str, an int, a float, None,
    the empty tuple or the empty bytes) is reachable twice."""
    seen = set()
    todo = [v]
    while todo:
        x = todo.pop()
        if not isinstance(x, ATOMS) and not (isinstance(x, (tuple, bytes)) and not x):
            if id(x) in seen:
                return True
            seen.add(id(x))
        if isinstance(x, (list, tuple, set, frozenset)):
            todo.extend(x)
        elif isinstance(x, dict):
            todo.extend(x.keys())
            todo.extend(x.values())
    return False


def main():
    data = open(sys.argv[1], "rb").read()
    pos = 0
    out = []
    while pos < len(data):
        nl = data.index(b"\n", pos)
        policy, n_ours, n_theirs = data[pos:nl].decode().split()
        pos = nl + 1
        ours = data[pos:pos + int(n_ours)]
        pos += int(n_ours)
        theirs = data[pos:pos + int(n_theirs)]
        pos += int(n_theirs)
        try:
            a = restricted_loads(ours, policy=policy)
        except Exception as e:  # noqa: BLE001
            out.append(f"DIFFERENT ours does not load: {type(e).__name__}: {e}")
            continue
        b = restricted_loads(theirs, policy=policy)
        if same(a, b):
            out.append("equal shared" if shares(b) else "equal")
        else:
            out.append(f"DIFFERENT {a!r:.300} / {b!r:.300}")
    sys.stdout.write("".join(line + "\n" for line in out))


if __name__ == "__main__":
    main()
