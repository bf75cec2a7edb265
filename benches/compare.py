#!/usr/bin/env python3
"""Compares `unpickle` with serde-pickle and CPython's own unpicklers, in one run.

    python3 benches/compare.py [--runs N] [--warmup W] [--only records,ints] [--json OUT]

1. builds the corpus if missing (benches/make_corpus.py; skips files that exist);
2. builds the timing helper (`cargo bench --bench timing --no-run`);
3. for every corpus file, times, round-robin, after warm-up:
     - unpickle: `Unpickler::load_slice` and `load_reader` on a `BufReader<File>`
       (strict policy, default limits), serde-pickle `value_from_slice` — in the helper;
     - CPython's C `pickle.loads`, and a restricted `pickle.Unpickler` subclass whose
       `find_class` allows only the built-ins the corpus needs (Python's own safe path) —
       in this process, with the garbage collector in its default state;
     - for blobs, memcpy of the same number of bytes into a resident buffer and into a
       fresh allocation (in the helper);
4. measures peak memory on records: max RSS (`/usr/bin/time -v`) of a process that loads
   only that file, minus the same process loading nothing;
5. prints the tables: MB/s (median and spread), ns per object, and the ratios.

Times are medians of at least --runs rounds (more for small files, up to --min-seconds or
--max-runs) after --warmup rounds; each round runs every loader once, the helper's and
CPython's in alternating order. The spread shown is half the interquartile range over the
median.
Dropping a loaded value is not timed, for any loader; in the message streams each message
is dropped as soon as it is loaded, by every loader.
"""

import argparse
import collections
import gc
import io
import json
import os
import pickle
import _compat_pickle
import statistics
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)

FILES = [
    "records_p2", "records_p4", "ints_p2", "ints_p4", "floats_p2", "floats_p4",
    "strings_p2", "strings_p4", "blobs_p2", "blobs_p4", "blobs_bytearray_p5",
    "nested_p2", "nested_p4", "messages_p2", "messages_p4", "bigints_p2", "bigints_p4",
    "sets_p2", "sets_p4",
]

RUST = ["unpickle-slice", "unpickle-reader", "serde-pickle"]
PY = ["cpython", "cpython-restricted"]
LABEL = {
    "unpickle-slice": "unpickle slice",
    "unpickle-reader": "unpickle reader",
    "unpickle-from-slice": "unpickle from_slice",
    "serde-pickle": "serde-pickle",
    "cpython": "CPython loads",
    "cpython-restricted": "CPython restricted",
    "memcpy": "memcpy resident",
    "memcpy-fresh": "memcpy fresh",
}

# What `unpickle`'s strict policy constructs, and what the corpus uses: Python's safe path
# allows exactly these.
ALLOWED = {
    ("builtins", "set"), ("builtins", "frozenset"), ("builtins", "bytearray"),
    ("builtins", "complex"), ("builtins", "bytes"), ("_codecs", "encode"),
}


class Restricted(pickle.Unpickler):
    """The allowlist unpickler of the `pickle` docs, with the protocol < 3 name mapping
    (`__builtin__` -> `builtins`) that the default find_class applies."""

    def find_class(self, module, name):
        # The C unpickler does not expose the protocol; the mapping is harmless at 3+,
        # where pickles name `builtins` already. super() applies the real rule.
        m, n = module, name
        if (m, n) in _compat_pickle.NAME_MAPPING:
            m, n = _compat_pickle.NAME_MAPPING[(m, n)]
        elif m in _compat_pickle.IMPORT_MAPPING:
            m = _compat_pickle.IMPORT_MAPPING[m]
        if (m, n) in ALLOWED:
            return super().find_class(module, name)
        raise pickle.UnpicklingError("global '%s.%s' is forbidden" % (module, name))


def log(msg):
    print(msg, file=sys.stderr, flush=True)


def build_helper():
    cmd = ["cargo", "bench", "--bench", "timing", "--no-run", "--message-format=json"]
    out = subprocess.run(cmd, cwd=ROOT, check=True, stdout=subprocess.PIPE).stdout
    exe = None
    for line in out.decode().splitlines():
        try:
            msg = json.loads(line)
        except ValueError:
            continue
        if msg.get("reason") == "compiler-artifact" and msg.get("target", {}).get("name") == "timing":
            exe = msg.get("executable") or exe
    if not exe:
        sys.exit("could not find the timing helper in cargo's output")
    return exe


def load_corpus(corpus_dir, name):
    with open(os.path.join(corpus_dir, name + ".pkl"), "rb") as f:
        data = f.read()
    idx = os.path.join(corpus_dir, name + ".idx")
    pieces = None
    if os.path.exists(idx):
        with open(idx, "rb") as f:
            raw = f.read()
        lens = memoryview(raw).cast("I")
        pieces, at = [], 0
        for n in lens:
            pieces.append(data[at:at + n])
            at += n
    return data, pieces


def py_once(loader, data, pieces):
    """One timed load; returns (ns, result to drop after the clock stops)."""
    loads = pickle.loads
    if pieces is None:
        if loader == "cpython":
            t = time.perf_counter_ns()
            v = loads(data)
            return time.perf_counter_ns() - t, v
        if loader == "cpython+free":
            t = time.perf_counter_ns()
            v = loads(data)
            del v
            return time.perf_counter_ns() - t, None
        t = time.perf_counter_ns()
        v = Restricted(io.BytesIO(data)).load()
        return time.perf_counter_ns() - t, v
    if loader in ("cpython", "cpython+free"):
        t = time.perf_counter_ns()
        for p in pieces:
            loads(p)
        return time.perf_counter_ns() - t, None
    # One restricted unpickler on the whole stream, load() once per message.
    t = time.perf_counter_ns()
    u = Restricted(io.BytesIO(data))
    for _ in range(len(pieces)):
        u.load()
    return time.perf_counter_ns() - t, None


def py_round(data, pieces, loaders, errors):
    out = {}
    for l in loaders:
        if l in errors:
            continue
        gc.collect()
        try:
            ns, v = py_once(l, data, pieces)
        except Exception as e:  # noqa: BLE001 - report and go on
            errors[l] = "%s: %s" % (type(e).__name__, e)
            continue
        del v
        out[l] = ns
    return out


def time_file(helper, path, data, pieces, rust, args):
    """Rounds of every loader, Rust's and CPython's interleaved (the helper runs one round
    per line it reads), until --runs timed rounds and --min-seconds have passed."""
    proc = subprocess.Popen([helper, "--serve", path] + rust, stdin=subprocess.PIPE,
                            stdout=subprocess.PIPE, text=True, bufsize=1)
    times = collections.defaultdict(list)
    errors = {}
    rounds = 0
    timed_since = None
    try:
        while True:
            got = {}
            for side in (("rust", "py") if rounds % 2 == 0 else ("py", "rust")):
                if side == "py":
                    got.update(py_round(data, pieces, PY + ["cpython+free"], errors))
                    continue
                proc.stdin.write("\n")
                proc.stdin.flush()
                parts = proc.stdout.readline().split()
                if not parts:
                    raise RuntimeError("the timing helper stopped (exit %s)" % proc.poll())
                for l, v in zip(parts[0::2], parts[1::2]):
                    if v.startswith("ERROR:"):
                        errors[l] = v[6:].replace("_", " ")
                    else:
                        got[l] = int(v)
            rounds += 1
            if rounds <= args.warmup:
                continue
            if timed_since is None:
                timed_since = time.perf_counter()
            for l, ns in got.items():
                times[l].append(ns)
            n = rounds - args.warmup
            if n >= args.max_runs or (n >= args.runs and
                                      time.perf_counter() - timed_since >= args.min_seconds):
                break
    finally:
        proc.stdin.close()
        proc.wait()
    return times, errors


def max_rss_kib(cmd):
    r = subprocess.run(["/usr/bin/time", "-v"] + cmd, stdout=subprocess.DEVNULL,
                       stderr=subprocess.PIPE, check=True)
    for line in r.stderr.decode().splitlines():
        if "Maximum resident set size" in line:
            return int(line.rsplit(":", 1)[1])
    raise RuntimeError("no max RSS in /usr/bin/time output")


def peak_memory(helper, path, repeats=3):
    """Peak RSS of loading `path`, minus the same process loading nothing, in bytes."""
    py_base = "import pickle,sys; d=open(sys.argv[1],'rb').read()"
    py_load = py_base + "; x=pickle.loads(d)"
    cases = {
        "unpickle-slice": ([helper, "--mem", path, "unpickle-slice"], [helper, "--mem", path, "none"]),
        "unpickle-reader": ([helper, "--mem", path, "unpickle-reader"], [helper, "--mem", path, "none-reader"]),
        "serde-pickle": ([helper, "--mem", path, "serde-pickle"], [helper, "--mem", path, "none"]),
        "cpython": ([sys.executable, "-c", py_load, path], [sys.executable, "-c", py_base, path]),
    }
    out = {}
    for name, (load, base) in cases.items():
        vals = []
        for _ in range(repeats):
            vals.append((max_rss_kib(load) - max_rss_kib(base)) * 1024)
        out[name] = statistics.median(vals)
    return out


def med(ts):
    return statistics.median(ts) if ts else None


def spread(ts):
    """Interquartile range over the median."""
    if not ts or len(ts) < 3:
        return None
    q = statistics.quantiles(ts, n=4, method="inclusive")
    return (q[2] - q[0]) / statistics.median(ts)


def fmt_rate(nbytes, ts):
    m = med(ts)
    if m is None:
        return "n/a"
    s = spread(ts)
    rate = nbytes / 1e6 / (m / 1e9)
    return "%.0f ±%.0f%%" % (rate, 100 * s / 2) if s is not None else "%.0f" % rate


def fmt_ratio(a, b):
    """How many times faster loader with times `a` is than the one with times `b`."""
    if not a or not b:
        return "n/a"
    return "%.2f×" % (med(b) / med(a))


def table(headers, rows):
    widths = [max(len(str(x)) for x in col) for col in zip(headers, *rows)]
    def line(cells):
        return "| " + " | ".join(str(c).rjust(w) if i else str(c).ljust(w)
                                 for i, (c, w) in enumerate(zip(cells, widths))) + " |"
    out = [line(headers), "|" + "|".join("-" * (w + 2) for w in widths) + "|"]
    out += [line(r) for r in rows]
    return "\n".join(out)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--runs", type=int, default=5, help="timed runs per loader, at least (default 5)")
    ap.add_argument("--min-seconds", type=float, default=2.0,
                    help="keep timing a file until this long has passed (default 2)")
    ap.add_argument("--max-runs", type=int, default=40, help="but no more runs than this (default 40)")
    ap.add_argument("--warmup", type=int, default=1, help="untimed runs first (default 1)")
    ap.add_argument("--only", help="comma-separated corpora or files, e.g. records,ints_p4")
    ap.add_argument("--corpus", default=os.path.join(HERE, "corpus"))
    ap.add_argument("--no-mem", action="store_true", help="skip the peak-memory measurement")
    ap.add_argument("--no-gc", action="store_true", help="disable CPython's cyclic GC while timing")
    ap.add_argument("--json", help="also write every raw time to this file")
    args = ap.parse_args()

    subprocess.run([sys.executable, os.path.join(HERE, "make_corpus.py"), "--out", args.corpus],
                   check=True)
    with open(os.path.join(args.corpus, "manifest.json")) as f:
        manifest = json.load(f)
    log("building the timing helper ...")
    helper = build_helper()
    if args.no_gc:
        gc.disable()

    files = FILES
    if args.only:
        want = args.only.split(",")
        files = [f for f in FILES if f in want or f.rsplit("_p", 1)[0] in want]

    results = {}
    t_start = time.time()
    for name in files:
        entry = manifest[name + ".pkl"]
        path = os.path.join(args.corpus, name + ".pkl")
        rust = list(RUST)
        if name.startswith("blobs"):
            rust += ["memcpy", "memcpy-fresh"]
        if entry["kind"] == "stream":
            rust.append("unpickle-from-slice")
        log("%-20s %6.1f MB ..." % (name, entry["bytes"] / 1e6))
        data, pieces = load_corpus(args.corpus, name)
        times, errs = time_file(helper, path, data, pieces, rust, args)
        del data, pieces
        results[name] = {"entry": entry, "times": times, "errors": errs}
        for l, e in errs.items():
            log("  %s failed: %s" % (l, e))

    mem = {}
    if not args.no_mem and os.path.exists("/usr/bin/time"):
        for name in files:
            if name.startswith("records"):
                log("peak memory %s ..." % name)
                mem[name] = peak_memory(helper, os.path.join(args.corpus, name + ".pkl"))
    elapsed = time.time() - t_start

    # Throughput.
    loaders = RUST + PY
    print("\n### Throughput, MB/s (median ± half the interquartile range); %d–%d runs after %d"
          " warm-up, Rust and CPython rounds interleaved\n" % (args.runs, args.max_runs, args.warmup))
    rows = []
    for name, r in results.items():
        e = r["entry"]
        rows.append([name, "%.1f" % (e["bytes"] / 1e6), e["objects"]] +
                    [fmt_rate(e["bytes"], r["times"].get(l)) for l in loaders])
    print(table(["file", "MB", "objects"] + [LABEL[l] for l in loaders], rows))

    print("\n### ns per object (median; object = row, int, float, str, blob, node, message, set element)\n")
    rows = []
    for name, r in results.items():
        e = r["entry"]
        cells = []
        for l in loaders:
            m = med(r["times"].get(l))
            cells.append("n/a" if m is None else "%.1f" % (m / e["objects"]))
        rows.append([name, e["unit"]] + cells)
    print(table(["file", "unit"] + [LABEL[l] for l in loaders], rows))

    print("\n### Ratios (how many times faster; > 1 means unpickle wins). Targets: ≥ 3× CPython, ≥ 5× serde-pickle, reader ≥ 0.87× slice\n")
    rows = []
    for name, r in results.items():
        t = r["times"]
        up = t.get("unpickle-slice")
        rd = t.get("unpickle-reader")
        rows.append([
            name,
            fmt_ratio(up, t.get("cpython")),
            fmt_ratio(up, t.get("cpython-restricted")),
            fmt_ratio(up, t.get("serde-pickle")),
            fmt_ratio(rd, t.get("cpython")),
            fmt_ratio(rd, up),
            fmt_ratio(t.get("serde-pickle"), t.get("cpython")),
        ])
    print(table(["file", "slice ÷ CPython", "slice ÷ restricted", "slice ÷ serde",
                 "reader ÷ CPython", "reader ÷ slice", "serde ÷ CPython"], rows))

    print("\n### Load and free: the same, each loader timed until its result is dropped again"
          " (allocators defer work from one to the other; CPython's `del` included)\n")
    rows = []
    for name, r in results.items():
        t = r["times"]
        rows.append([name] + [fmt_ratio(t.get(a + "+free"), t.get(b + "+free")) for a, b in
                              [("unpickle-slice", "cpython"), ("unpickle-slice", "serde-pickle"),
                               ("unpickle-reader", "cpython"), ("unpickle-reader", "unpickle-slice")]])
    print(table(["file", "slice ÷ CPython", "slice ÷ serde", "reader ÷ CPython", "reader ÷ slice"], rows))

    blob_rows = []
    for name, r in results.items():
        t = r["times"]
        if "memcpy" in t:
            b = r["entry"]["bytes"]
            blob_rows.append([name, fmt_rate(b, t.get("memcpy")), fmt_rate(b, t.get("memcpy-fresh")),
                              fmt_rate(b, t.get("unpickle-slice")), fmt_rate(b, t.get("cpython")),
                              "%.0f%%" % (100 * med(t["memcpy"]) / med(t["unpickle-slice"]))
                              if t.get("unpickle-slice") else "n/a"])
    if blob_rows:
        print("\n### Blobs against memcpy of the same bytes (MB/s). Target: unpickle ≥ 50% of resident memcpy\n")
        print(table(["file", "memcpy resident", "memcpy fresh", "unpickle slice", "CPython loads",
                     "unpickle ÷ memcpy"], blob_rows))

    streams = [(n, r) for n, r in results.items() if "unpickle-from-slice" in r["times"]]
    if streams:
        print("\n### Per message (µs, median)\n")
        rows = []
        for name, r in streams:
            n = r["entry"]["objects"]
            rows.append([name] + ["%.2f" % (med(r["times"][l]) / n / 1e3) if r["times"].get(l) else "n/a"
                                  for l in ["unpickle-slice", "unpickle-from-slice", "unpickle-reader",
                                            "serde-pickle", "cpython", "cpython-restricted"]])
        print(table(["file", "unpickle slice", "unpickle from_slice", "unpickle reader", "serde-pickle",
                     "CPython loads", "CPython restricted"], rows))

    if mem:
        print("\n### Peak memory of the result (max RSS of a process loading only that file, minus"
              " the same process loading nothing; median of 3). Target: unpickle ≤ CPython\n")
        rows = []
        for name, m in mem.items():
            b = results[name]["entry"]["bytes"]
            rows.append([name, "%.1f" % (b / 1e6)] +
                        ["%.1f MB (%.1f×)" % (m[l] / 1e6, m[l] / b) for l in
                         ["unpickle-slice", "unpickle-reader", "serde-pickle", "cpython"]] +
                        ["%.2f" % (m["unpickle-slice"] / m["cpython"])])
        print(table(["file", "input MB", "unpickle slice", "unpickle reader", "serde-pickle",
                     "CPython loads", "unpickle ÷ CPython"], rows))

    errors = [(n, l, e) for n, r in results.items() for l, e in r["errors"].items()]
    if errors:
        print("\n### Failures\n")
        for n, l, e in errors:
            print("- %s, %s: %s" % (n, LABEL.get(l, l), e))
    print("\n(python %s, GC %s; %d s)" % (sys.version.split()[0], "off" if args.no_gc else "on",
                                         elapsed))

    if args.json:
        with open(args.json, "w") as f:
            json.dump({"results": results, "memory": mem, "runs": args.runs,
                       "warmup": args.warmup}, f, indent=1)


if __name__ == "__main__":
    main()
