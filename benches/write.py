#!/usr/bin/env python3
"""Writing benchmark: CPython's C pickle.dumps against unpickle::to_vec and serde-pickle's
to_vec (benches/write.rs) on the same values, file by file in one session.

    python3 benches/write.py [--rounds N]

Generates (seeded, standard library only) target/write-bench/NAME.pkl once, then for
each file: times pickle.dumps(value, 4) and (value, 3) on the value as the restricted
unpickler loads it, then runs the Rust side on the same file. Medians; ratios > 1 mean
unpickle is faster. The machine is shared: expect +-20 % noise in absolute numbers.
"""

import os
import pickle
import random
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "tests", "data"))
from restricted import restricted_loads  # noqa: E402

OUT = os.path.join(ROOT, "target", "write-bench")


def corpus():
    r = random.Random(16)
    words = ["".join(r.choice("abcdefghij") for _ in range(r.randint(3, 10))) for _ in range(5000)]
    yield "records", [{"id": i, "name": r.choice(words), "score": r.random() * 100,
                       "tags": [r.choice(words), r.choice(words)], "active": i % 3 == 0}
                      for i in range(100_000)]
    yield "ints", [r.choice((r.getrandbits(8), r.getrandbits(16), r.getrandbits(31),
                             r.getrandbits(63))) for _ in range(1_000_000)]
    yield "floats", [r.random() * 1e6 for _ in range(1_000_000)]
    yield "strings", ["".join(r.choice("abcdefghijklmnop\u00e9\u4e2d") for _ in range(r.randint(3, 24)))
                      for _ in range(300_000)]
    yield "blobs", [r.randbytes(65536) for _ in range(200)]

    def tree(depth):
        if depth == 0:
            return r.choice((1, 2.5, "leaf", None))
        return r.choice((
            lambda: {"k%d" % i: tree(depth - 1) for i in range(3)},
            lambda: [tree(depth - 1) for _ in range(3)],
            lambda: (tree(depth - 1), tree(depth - 1)),
        ))()
    yield "nested", [tree(9) for _ in range(20)]
    yield "bigints", [r.getrandbits(200) for _ in range(100_000)]


def median(f, rounds):
    f()
    times = []
    for _ in range(rounds):
        t = time.perf_counter_ns()
        f()
        times.append(time.perf_counter_ns() - t)
    times.sort()
    return times[len(times) // 2]


def main():
    rounds = 7
    if "--rounds" in sys.argv:
        rounds = int(sys.argv[sys.argv.index("--rounds") + 1])
    os.makedirs(OUT, exist_ok=True)
    names = []
    for name, value in corpus():
        path = os.path.join(OUT, name + ".pkl")
        if not os.path.exists(path):
            with open(path, "wb") as f:
                f.write(pickle.dumps(value, 4))
        names.append(name)
    subprocess.run(["cargo", "bench", "--bench", "write", "--no-run"], cwd=ROOT, check=True,
                   stdout=subprocess.DEVNULL)
    print(f"{'file':10} {'CPython p4':>11} {'unpickle p4':>12} {'ratio':>6} "
          f"{'CPython p3':>11} {'unpickle p3':>12} {'ratio':>6} {'serde-pickle':>13} {'ratio':>6}")
    for name in names:
        data = open(os.path.join(OUT, name + ".pkl"), "rb").read()
        value = restricted_loads(data, policy="strict", proto=4)
        c4 = median(lambda: pickle.dumps(value, 4), rounds)
        c3 = median(lambda: pickle.dumps(value, 3), rounds)
        out = subprocess.run(["cargo", "bench", "--bench", "write", "--", OUT, name], cwd=ROOT,
                             check=True, capture_output=True, text=True).stdout.split()
        u4, u3, sp = (int(x) for x in out[1:4])
        ms = lambda ns: f"{ns / 1e6:9.2f}ms"  # noqa: E731
        print(f"{name:10} {ms(c4):>11} {ms(u4):>12} {c4 / u4:6.2f} {ms(c3):>11} {ms(u3):>12} "
              f"{c3 / u3:6.2f} {ms(sp):>13} {sp / u3:6.2f}")


if __name__ == "__main__":
    main()
