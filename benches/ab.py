"""Times two builds of unpickle against each other, and both against CPython, in one run.

Run-to-run spread on shared machines is larger than most changes, so comparing two
compare.py tables from different runs says little. This drives the `timing --serve`
helpers of two checkouts in the same rounds, alternating with each other and with
CPython's `pickle.loads`, and prints new ÷ old for the slice and reader paths.

    git worktree add ../old <rev>
    (cd ../old && cargo build --release --bench timing)
    cargo build --release --bench timing
    python3 benches/ab.py ../old . records_p4,strings_p4 [ROUNDS] [--corpus DIR]

Uses the corpus of benches/compare.py (run that once first). Loading is timed as in
compare.py: the value is dropped after the clock stops, except in message streams.
"""

import glob
import os
import pickle
import statistics
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))


def helper(repo):
    """The most recently built timing helper of the checkout at `repo`."""
    found = [p for p in glob.glob(os.path.join(repo, "target/release/deps/timing-*"))
             if os.access(p, os.X_OK) and not p.endswith(".d")]
    if not found:
        sys.exit("no timing helper in %s: run cargo build --release --bench timing there" % repo)
    return max(found, key=os.path.getmtime)


def main():
    if len(sys.argv) < 4:
        sys.exit(__doc__)
    corpus = os.path.join(HERE, "corpus")
    if "--corpus" in sys.argv:
        at = sys.argv.index("--corpus")
        corpus = sys.argv[at + 1]
        del sys.argv[at:at + 2]
    old, new = helper(sys.argv[1]), helper(sys.argv[2])
    files = sys.argv[3].split(",")
    rounds = int(sys.argv[4]) if len(sys.argv) > 4 else 11
    loaders = ["unpickle-slice", "unpickle-reader"]
    print("| file | new ÷ old, slice | new ÷ old, reader | old slice ÷ CPython | new slice ÷ CPython |")
    print("|---|---|---|---|---|")
    for f in files:
        path = os.path.join(corpus, f + ".pkl")
        with open(path, "rb") as fh:
            data = fh.read()
        pieces = None
        idx = os.path.join(corpus, f + ".idx")
        if os.path.exists(idx):
            with open(idx, "rb") as fh:
                lens = memoryview(fh.read()).cast("I")
            pieces, at = [], 0
            for n in lens:
                pieces.append(data[at:at + n])
                at += n
        procs = {k: subprocess.Popen([h, "--serve", path] + loaders, stdin=subprocess.PIPE,
                                     stdout=subprocess.PIPE, text=True, bufsize=1)
                 for k, h in (("old", old), ("new", new))}
        times = {k: {l: [] for l in loaders} for k in procs}
        py = []
        for r in range(rounds + 1):  # round 0 warms up
            for side in (["old", "new", "py"] if r % 2 else ["py", "new", "old"]):
                if side == "py":
                    t = time.perf_counter_ns()
                    if pieces is None:
                        v = pickle.loads(data)
                    else:
                        for p in pieces:
                            pickle.loads(p)
                        v = None
                    ns = time.perf_counter_ns() - t
                    del v
                    if r:
                        py.append(ns)
                    continue
                proc = procs[side]
                proc.stdin.write("\n")
                proc.stdin.flush()
                parts = proc.stdout.readline().split()
                for l, v in zip(parts[0::2], parts[1::2]):
                    if r and l in times[side] and not v.startswith("ERROR"):
                        times[side][l].append(int(v))
        for proc in procs.values():
            proc.stdin.close()
            proc.wait()
        m = statistics.median
        o, n = times["old"], times["new"]
        print("| %s | %.2f× | %.2f× | %.2f× | %.2f× |" % (
            f, m(o[loaders[0]]) / m(n[loaders[0]]), m(o[loaders[1]]) / m(n[loaders[1]]),
            m(py) / m(o[loaders[0]]), m(py) / m(n[loaders[0]])), flush=True)


if __name__ == "__main__":
    main()
