#!/usr/bin/env python3
"""Writes the benchmark corpora for `unpickle` (python3 standard library only).

    python3 benches/make_corpus.py [--out DIR] [--force]
    python3 benches/make_corpus.py --out DIR --import SRC   # another corpus, same shapes

Every corpus is built from a fixed seed, so two runs write the same bytes. Files that
already exist are skipped (unless --force). The folder (default benches/corpus/) is
git-ignored.

For each file NAME.pkl the folder also gets:
  * manifest.json: one entry per file with its corpus, protocol, size in bytes, the
    number of "objects" (the corpus's unit, used for ns per object) and its kind:
    "single" (one pickle) or "stream" (many pickles concatenated);
  * for streams, NAME.idx: the length of every pickle, little-endian u32, so the slice
    loaders can cut the stream without parsing it.

Corpora (see issue 5): records, ints, floats, strings, blobs (+ bytearray at protocol 5),
nested, messages (stream), bigints, sets; each at protocol 2 and 4.
"""

import argparse
import json
import os
import pickle
import random
import string
import struct
import sys

SEED = 20240605

# The unit of each corpus, for "ns per object".
UNITS = {
    "records": "row",
    "ints": "int",
    "floats": "float",
    "strings": "str",
    "blobs": "blob",
    "blobs_bytearray": "blob",
    "nested": "node",
    "messages": "message",
    "bigints": "int",
    "sets": "element",
}

TAGS = [
    "alpha", "beta", "gamma", "delta", "red", "green", "blue", "urgent", "later",
    "billing", "support", "sales", "eu", "us", "apac", "new", "vip", "churned",
    "trial", "paid", "mobile", "web", "api", "beta-tester", "internal", "partner",
    "données", "クラウド", "München", "naïve",
]

FIRST = ["Ada", "Alan", "Grace", "Edsger", "Barbara", "Donald", "Ken", "Dennis",
         "Guido", "Linus", "Margaret", "John", "Frances", "Leslie", "Radia", "Zoë",
         "José", "Björn", "Łukasz", "Søren"]
LAST = ["Lovelace", "Turing", "Hopper", "Dijkstra", "Liskov", "Knuth", "Thompson",
        "Ritchie", "van Rossum", "Torvalds", "Hamilton", "McCarthy", "Allen",
        "Lamport", "Perlman", "Müller", "García", "Øster", "Nowak", "Ødegaard"]


def records(rng):
    """100 000 JSON-like rows. The key strings are the same objects in every row, and the
    tags come from a small vocabulary, so the pickler memoizes them: BINGET-heavy."""
    tags = list(TAGS)
    rows = []
    for i in range(100_000):
        rows.append({
            "id": i * 7 + rng.randrange(7),
            "name": "%s %s %d" % (rng.choice(FIRST), rng.choice(LAST), i),
            "score": rng.random() * 100.0,
            "tags": [rng.choice(tags), rng.choice(tags)],
            "active": rng.random() < 0.7,
        })
    return rows, len(rows)


def ints(rng):
    """2 000 000 ints of mixed size: BININT1, BININT2, BININT and LONG1 (up to 64 bits)."""
    out = []
    for _ in range(2_000_000):
        r = rng.random()
        if r < 0.35:
            out.append(rng.randrange(256))
        elif r < 0.60:
            out.append(rng.randrange(256, 65536))
        elif r < 0.90:
            out.append(rng.randrange(-2**31, 2**31))
        else:
            out.append(rng.randrange(-2**63, 2**63))
    return out, len(out)


def floats(rng):
    out = []
    for _ in range(2_000_000):
        r = rng.random()
        if r < 0.5:
            out.append(rng.random())
        elif r < 0.9:
            out.append(rng.gauss(0.0, 1e6))
        else:
            out.append(float(rng.randrange(-1000, 1000)))
    return out, len(out)


def strings(rng):
    """500 000 distinct short strings (3–24 characters); about 1 in 8 is not ASCII."""
    alphabet = string.ascii_letters + string.digits + "_- "
    wide = "éüßçøåñ€ж中文字日本語한국😀"
    seen = set()
    out = []
    while len(out) < 500_000:
        n = rng.randrange(3, 25)
        s = "".join(rng.choice(alphabet) for _ in range(n))
        if rng.random() < 0.125:
            k = rng.randrange(n)
            s = s[:k] + rng.choice(wide) + s[k + 1:]
        if s not in seen:
            seen.add(s)
            out.append(s)
    return out, len(out)


def blob_payloads(rng):
    return [rng.randbytes(64 * 1024) for _ in range(200)]


def blobs(rng):
    b = blob_payloads(rng)
    return b, len(b)


def blobs_bytearray(rng):
    b = [bytearray(x) for x in blob_payloads(rng)]
    return b, len(b)


def nested(rng):
    """A tree of dicts, tuples and lists, depth 20, about 500 000 nodes (containers and
    leaves). Dict keys repeat, so they are memoized."""
    keys = ["k%d" % i for i in range(8)]
    count = [0]
    target_depth = 20

    def node(depth):
        count[0] += 1
        if depth == target_depth:
            r = rng.random()
            if r < 0.5:
                return rng.randrange(-1000, 1000)
            if r < 0.8:
                return keys[rng.randrange(8)] + "v"
            return None
        # ~1.9 children on average: 2^19 leaves would be too many at depth 20.
        n = 2 if rng.random() < 0.905 else 1
        kind = rng.randrange(3)
        children = [node(depth + 1) for _ in range(n)]
        if kind == 0:
            return {keys[i]: c for i, c in enumerate(children)}
        if kind == 1:
            return tuple(children)
        return children

    tree = node(1)
    return tree, count[0]


def message(rng, i):
    """A task-queue message of about 200 bytes when pickled."""
    return {
        "id": "%08x-%04x-%04x" % (rng.getrandbits(32), rng.getrandbits(16), rng.getrandbits(16)),
        "task": rng.choice(["tasks.add", "tasks.resize_image", "tasks.send_email", "tasks.reindex"]),
        "args": (i, rng.randrange(1 << 20), "user%d@example.com" % rng.randrange(10_000)),
        "kwargs": {"priority": rng.randrange(10), "retry": rng.random() < 0.1, "timeout": 30.0},
        "retries": rng.randrange(3),
        "eta": None,
        "expires": 1717000000.0 + i,
    }


def messages_stream(rng, proto):
    parts = [pickle.dumps(message(rng, i), protocol=proto) for i in range(100_000)]
    return parts


def bigints(rng):
    """100 000 ints of about 200 bits, both signs (LONG1)."""
    out = []
    for _ in range(100_000):
        v = rng.getrandbits(200) | (1 << 199)
        out.append(v if rng.random() < 0.5 else -v)
    return out, len(out)


def sets(rng):
    """2 000 sets of 100 ints each (200 000 elements), and every tenth a frozenset."""
    out = []
    for i in range(2_000):
        s = set()
        while len(s) < 100:
            s.add(rng.randrange(-2**40, 2**40) if rng.random() < 0.3 else rng.randrange(100_000))
        out.append(frozenset(s) if i % 10 == 0 else s)
    return out, 200_000


# (corpus, builder, protocols). Each builder gets a fresh Random seeded from the corpus
# name, so adding a corpus does not change the others.
SINGLE = [
    ("records", records, (2, 4)),
    ("ints", ints, (2, 4)),
    ("floats", floats, (2, 4)),
    ("strings", strings, (2, 4)),
    ("blobs", blobs, (2, 4)),
    ("blobs_bytearray", blobs_bytearray, (5,)),
    ("nested", nested, (2, 4)),
    ("bigints", bigints, (2, 4)),
    ("sets", sets, (2, 4)),
]
STREAMS = [("messages", messages_stream, (2, 4))]


def rng_for(name):
    return random.Random("%d:%s" % (SEED, name))


def write_atomic(path, data):
    tmp = path + ".tmp"
    with open(tmp, "wb") as f:
        f.write(data)
    os.replace(tmp, path)


def import_corpus(src, out):
    """Writes into `out`, in this folder's layout, a corpus laid out as `<corpus>.p<N>.pkl`
    plus `messages.p<N>.bin` (every pickle preceded by its length, little-endian u32) with a
    manifest giving `corpus`, `protocol`, `n_objects` and `n_messages` per file. Pickles are
    linked, not copied; the object count for ns/object is that manifest's `n_objects`
    (nodes), or the number of messages for streams."""
    os.makedirs(out, exist_ok=True)
    with open(os.path.join(src, "manifest.json")) as f:
        theirs = json.load(f)
    manifest = {}
    for fname, e in sorted(theirs.items()):
        corpus = {"blobs_ba": "blobs_bytearray"}.get(e["corpus"], e["corpus"])
        if corpus == "blobs_bytearray" and e["protocol"] != 5:
            continue
        name = "%s_p%d.pkl" % (corpus, e["protocol"])
        path = os.path.join(out, name)
        entry = {"corpus": corpus, "protocol": e["protocol"], "imported_from": fname}
        if fname.endswith(".bin"):
            with open(os.path.join(src, fname), "rb") as f:
                raw = f.read()
            parts, at = [], 0
            while at < len(raw):
                (n,) = struct.unpack_from("<I", raw, at)
                parts.append(raw[at + 4:at + 4 + n])
                at += 4 + n
            write_atomic(path, b"".join(parts))
            write_atomic(path[:-4] + ".idx", b"".join(struct.pack("<I", len(x)) for x in parts))
            entry.update(kind="stream", objects=len(parts), pickles=len(parts), unit="message",
                         bytes=sum(map(len, parts)))
        else:
            if os.path.lexists(path):
                os.remove(path)
            os.symlink(os.path.abspath(os.path.join(src, fname)), path)
            entry.update(kind="single", objects=e["n_objects"], pickles=1, unit="node",
                         bytes=e["size"])
        manifest[name] = entry
    write_atomic(os.path.join(out, "manifest.json"),
                 json.dumps(manifest, indent=1, sort_keys=True).encode())


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--out", default=os.path.join(here, "corpus"))
    ap.add_argument("--force", action="store_true", help="rewrite existing files")
    ap.add_argument("--quiet", action="store_true")
    ap.add_argument("--import", dest="src", metavar="SRC",
                    help="lay out another corpus of the same shapes in --out instead")
    args = ap.parse_args()
    if args.src:
        import_corpus(args.src, args.out)
        return
    os.makedirs(args.out, exist_ok=True)
    manifest_path = os.path.join(args.out, "manifest.json")
    manifest = {}
    if os.path.exists(manifest_path) and not args.force:
        with open(manifest_path) as f:
            manifest = json.load(f)

    def log(msg):
        if not args.quiet:
            print(msg, file=sys.stderr)

    sys.setrecursionlimit(10_000)
    for corpus, build, protos in SINGLE + STREAMS:
        todo = []
        for p in protos:
            fname = "%s_p%d.pkl" % (corpus, p)
            path = os.path.join(args.out, fname)
            if os.path.exists(path) and fname in manifest and not args.force:
                continue
            todo.append((p, fname, path))
        if not todo:
            continue
        is_stream = (corpus, build, protos) in STREAMS
        obj = count = None
        if not is_stream:
            obj, count = build(rng_for(corpus))
        for p, fname, path in todo:
            entry = {"corpus": corpus, "protocol": p, "unit": UNITS[corpus]}
            if is_stream:
                parts = build(rng_for(corpus), p)
                data = b"".join(parts)
                idx = b"".join(struct.pack("<I", len(x)) for x in parts)
                write_atomic(path[:-4] + ".idx", idx)
                entry.update(kind="stream", objects=len(parts), pickles=len(parts))
            else:
                data = pickle.dumps(obj, protocol=p)
                entry.update(kind="single", objects=count, pickles=1)
            write_atomic(path, data)
            entry["bytes"] = len(data)
            manifest[fname] = entry
            log("wrote %-26s %10d bytes  %8d %ss" % (fname, len(data), entry["objects"], entry["unit"]))
        write_atomic(manifest_path, json.dumps(manifest, indent=1, sort_keys=True).encode())
    write_atomic(manifest_path, json.dumps(manifest, indent=1, sort_keys=True).encode())


if __name__ == "__main__":
    main()
