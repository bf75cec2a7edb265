#!/usr/bin/env python3
"""(Re)write tests/data/shared/: shared and cyclic structures for tests/shared.rs.

Usage:  python3 tests/data/make_shared_fixtures.py

For each case NAME and protocol P (0-5): NAME_pP.pkl is `pickle.dumps(value, P)`, and
NAME.repr is `repr()` of what CPython's restricted unpickler (restricted.py, policy
"strict") loaded back, plus a second line: how many distinct containers the loaded value
reaches more than once (the number of `Value::Shared` the crate must produce), counted by
object identity, leaving out containers inside dict keys (keys stay plain values).
"""

import os
import pickle
import sys

sys.dont_write_bytecode = True
from restricted import restricted_loads  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "shared")


def self_list():
    l = []
    l.append(l)
    return l


def shared_list():
    a = [1]
    return [a, a]


def self_dict():
    d = {}
    d["self"] = d
    return d


def mutual():
    a, b = [], []
    a.append(b)
    b.append(a)
    return [a, b, {"a": a}]


def through_tuple():
    l = []
    t = (l, "x")
    l.append(t)
    return t


def tuple_key():
    t = (1, 2)
    return [{t: t}, t]


def diamond():
    leaf = {"w": [1.5]}
    mid = [leaf, leaf]
    return {"left": mid, "right": mid, "leaf": leaf}


def deep_cycle():
    top = []
    cur = top
    for _ in range(20):
        nxt = []
        cur.append(nxt)
        cur = nxt
    cur.append(top)
    return top


CASES = {f.__name__: f for f in (self_list, shared_list, self_dict, mutual, through_tuple,
                                  tuple_key, diamond, deep_cycle)}


def in_keys(v):
    """Ids of every container inside a dict key (the crate keeps keys plain values)."""
    ids = set()
    todo = [v]
    done = set()
    keyed = []
    while todo:
        x = todo.pop()
        if id(x) in done:
            continue
        done.add(id(x))
        if isinstance(x, dict):
            keyed.extend(x.keys())
            todo.extend(x.values())
        elif isinstance(x, (list, tuple)):
            todo.extend(x)
    while keyed:
        x = keyed.pop()
        if isinstance(x, (tuple, frozenset)) and id(x) not in ids:
            ids.add(id(x))
            keyed.extend(x)
    return ids


def shared_count(v):
    """Containers reached more than once (by identity), not counting those inside keys."""
    keyed = in_keys(v)
    seen = {}
    todo = [v]
    while todo:
        x = todo.pop()
        if not isinstance(x, (list, tuple, dict, set, frozenset)):
            continue
        seen[id(x)] = seen.get(id(x), 0) + 1
        if seen[id(x)] > 1:
            continue
        if isinstance(x, dict):
            todo.extend(x.values())
        elif isinstance(x, (list, tuple)):
            todo.extend(x)
    return sum(1 for i, n in seen.items() if n > 1 and i not in keyed)


def main():
    os.makedirs(OUT, exist_ok=True)
    for name, make in CASES.items():
        for p in range(6):
            data = pickle.dumps(make(), protocol=p)
            with open(os.path.join(OUT, "%s_p%d.pkl" % (name, p)), "wb") as f:
                f.write(data)
            back = restricted_loads(data, policy="strict")
        with open(os.path.join(OUT, name + ".repr"), "w", encoding="utf-8", newline="\n") as f:
            f.write("%s\n%d\n" % (repr(back), shared_count(back)))


main()
