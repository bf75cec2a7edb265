#!/usr/bin/env python3
"""Where does a load spend its time? `perf` on the timing helper, load only.

    python3 benches/profile.py FILE [--loader unpickle-slice] [--runs 5] [--top 10]

FILE is a corpus name (records_p4) or a path. Records the helper with
`perf record -e cpu-clock --call-graph dwarf` (hardware counters are not available on
these VMs), keeps only the samples whose stack passes through the loader's entry point
(so reading the file and dropping the result are left out), and prints:
  * the top functions by self time (inlined callees folded into the function they are
    compiled into, as `perf report` does), as a share of the load;
  * the share of the load spent under some frames of interest (inclusive), e.g. the
    conversion pass, the decoder, the allocator, hashing, the kernel (page faults).
Needs `perf` (Debian: linux-perf) and the bench profile's debug info (already on).
"""

import argparse
import collections
import os
import shutil
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

ROOTS = {
    "unpickle-slice": "Unpickler::load_slice",
    "unpickle-reader": "Unpickler::load_reader",
    "unpickle-from-slice": "Unpickler::load_slice",
    "serde-pickle": "serde_pickle::de::value_from_slice",
}

# (label, substrings: a sample counts if any frame of its stack contains one of them)
INTEREST = [
    ("conversion pass (Arena::into_value)", ["Arena::into_value"]),
    ("  Arena::build", ["Arena::build"]),
    ("machine (Machine::step)", ["Machine::step"]),
    ("decoder (Decoder::next_instruction)", ["Decoder<", "decode::"]),
    ("allocator: malloc/realloc", ["malloc", "realloc", "__rust_alloc", "__rdl_alloc"]),
    ("allocator: free", ["free", "__rust_dealloc", "unlink_chunk", "malloc_consolidate"]),
    ("drop_in_place (inside the load)", ["drop_in_place"]),
    ("hashing / IndexMap", ["hash", "Hash", "indexmap", "hashbrown"]),
    ("memo", ["memo", "Memo"]),
    ("Value::clone", ["Value as core::clone::Clone"]),
    ("UTF-8 validation", ["from_utf8", "utf8"]),
    ("memcpy/memmove", ["memcpy", "memmove"]),
    ("kernel (page faults, syscalls)", ["[kernel", "exc_page_fault", "do_syscall"]),
]


def parse_samples(script_out):
    """Yields the stack of every sample: a list of (ip, symbol) innermost first."""
    stack = []
    for line in script_out.splitlines():
        line = line.strip()
        if not line:
            if stack:
                yield stack
            stack = []
            continue
        parts = line.split(None, 1)
        if len(parts) == 2:
            stack.append((parts[0], parts[1]))
    if stack:
        yield stack


def real_function(stack):
    """The function the sampled instruction is compiled into: the outermost of the frames
    sharing the first ip (the others are inlined into it)."""
    ip = stack[0][0]
    sym = stack[0][1]
    for fip, fsym in stack:
        if fip != ip:
            break
        sym = fsym
    sym = sym.replace(" (inlined)", "")
    if ip.startswith("ffffffff"):
        return "[kernel] " + sym
    return sym


def short(sym, width=90):
    return sym if len(sym) <= width else sym[: width - 1] + "…"


def main():
    import compare

    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("file")
    ap.add_argument("--loader", default="unpickle-slice", choices=sorted(ROOTS))
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--top", type=int, default=10)
    ap.add_argument("--freq", type=int, default=1000, help="samples per second")
    ap.add_argument("--keep", help="keep perf.data here")
    args = ap.parse_args()
    if not shutil.which("perf"):
        sys.exit("perf not found: apt-get install linux-perf (or use valgrind --tool=callgrind)")
    path = args.file
    if not os.path.exists(path):
        path = os.path.join(HERE, "corpus", args.file + ".pkl")
    helper = compare.build_helper()
    with tempfile.TemporaryDirectory() as tmp:
        data = args.keep or os.path.join(tmp, "perf.data")
        subprocess.run(["perf", "record", "-q", "-e", "cpu-clock", "-F", str(args.freq),
                        "--call-graph", "dwarf,32768", "-o", data, helper, "--runs",
                        str(args.runs), "--warmup", "0", path, args.loader],
                       check=True, stdout=subprocess.DEVNULL)
        out = subprocess.run(["perf", "script", "-i", data, "-F", "ip,sym"], check=True,
                             stdout=subprocess.PIPE, stderr=subprocess.DEVNULL).stdout.decode(
                                 "utf-8", "replace")
    root = ROOTS[args.loader]
    self_time = collections.Counter()
    incl = collections.Counter()
    faulting = collections.Counter()
    total = in_load = 0
    for stack in parse_samples(out):
        total += 1
        syms = [s for _, s in stack]
        if not any(root in s for s in syms):
            continue
        in_load += 1
        self_time[real_function(stack)] += 1
        # Only the frames below the root count for the inclusive shares.
        # User frames only: kernel names (get_page_from_freelist…) would match "free".
        below = []
        for ip, s in stack:
            if root in s:
                break
            if not ip.startswith("ffffffff"):
                below.append(s)
        kernel = stack[0][0].startswith("ffffffff")
        if kernel:
            user_frames = [(ip, s) for ip, s in stack if not ip.startswith("ffffffff")]
            if user_frames:
                faulting[real_function(user_frames)] += 1
        for label, subs in INTEREST:
            if any(any(x in s for x in subs) for s in below) or (kernel and "[kernel" in subs):
                incl[label] += 1
    if not in_load:
        sys.exit("no sample passed through %s (%d samples in all)" % (root, total))
    kernel = sum(n for sym, n in self_time.items() if sym.startswith("[kernel]"))
    user = in_load - kernel
    print("%s, %s: %d of %d samples inside %s" % (os.path.basename(path), args.loader,
                                                  in_load, total, root))
    print("kernel (page faults, mostly clear_page_erms): %.1f%% of the load; on these VMs it"
          " varies widely from run to run, so the shares below are of user time\n"
          % (100 * kernel / in_load))
    print("top %d by self time (share of the load's user time):" % args.top)
    top = [(sym, n) for sym, n in self_time.most_common() if not sym.startswith("[kernel]")]
    for sym, n in top[: args.top]:
        print("  %5.1f%%  %s" % (100 * n / max(user, 1), short(sym)))
    print("\nkernel time by the user function that entered the kernel (share of the load):")
    for sym, n in faulting.most_common(4):
        print("  %5.1f%%  %s" % (100 * n / in_load, short(sym)))
    print("\ninclusive, share of the whole load (a sample may count in several lines):")
    for label, _ in INTEREST:
        print("  %5.1f%%  %s" % (100 * incl[label] / in_load, label))


if __name__ == "__main__":
    main()
