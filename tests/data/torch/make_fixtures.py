#!/usr/bin/env python3
"""Write tests/data/torch/made/: checkpoints built BY HAND from torch's documented format
(torch is not installed here and is never imported), for what torch cannot be asked to
write: TorchScript-like archives, v3 dtypes, big-endian files, other prefixes, CRC-0,
archives written by Python's zipfile, legacy views, and every hostile-container case.

    python3 tests/data/torch/make_fixtures.py

The pickles are assembled opcode by opcode (class P below) in the shape torch 2.x's
protocol-2 `torch.save` writes them (compare tests/data/torch/real/*.data.pkl); nothing is
ever unpickled here. The zip archives are written either by Python's `zipfile` or by
`torch_zip` below, which reproduces torch's layout: stored entries, a data descriptor
flag with zero sizes in the local header, an "FB" extra field padding each entry's data to
64 bytes in the local header only, ZIP64 end records.

expected.tsv, one line per file:
  NAME <TAB> ok <TAB> PATH <TAB> DTYPE <TAB> SHAPE <TAB> STRIDE <TAB> OFFSET <TAB> VALUES
      (one line per tensor; VALUES = the elements in row-major order, as packed here)
  NAME <TAB> error <TAB> KIND
      KIND = a CheckpointError variant name, or Refused:module.name, Construct, Malformed
"""

import os
import struct
import zipfile
import zlib

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "made")
MAGIC = 0x1950A86A20F9469CFC6C


class P:
    """A protocol-2 pickle, opcode by opcode."""

    def __init__(self):
        self.b = bytearray(b"\x80\x02")

    def raw(self, b):
        self.b += b
        return self

    def glob(self, module, name):
        return self.raw(b"c" + module.encode() + b"\n" + name.encode() + b"\n")

    def s(self, text):
        t = text.encode()
        return self.raw(b"X" + struct.pack("<I", len(t)) + t)

    def i(self, n):
        if 0 <= n < 256:
            return self.raw(b"K" + bytes([n]))
        if 0 <= n < 65536:
            return self.raw(b"M" + struct.pack("<H", n))
        if -(2**31) <= n < 2**31:
            return self.raw(b"J" + struct.pack("<i", n))
        body = n.to_bytes((n.bit_length() + 8) // 8, "little", signed=True)
        return self.raw(b"\x8a" + bytes([len(body)]) + body)

    def tup(self, items):
        self.raw(b"(")
        for it in items:
            self.val(it)
        return self.raw(b"t")

    def val(self, v):
        if isinstance(v, bool):
            return self.raw(b"\x88" if v else b"\x89")
        if v is None:
            return self.raw(b"N")
        if isinstance(v, int):
            return self.i(v)
        if isinstance(v, str):
            return self.s(v)
        if isinstance(v, tuple):
            return self.tup(v)
        if callable(v):
            v(self)
            return self
        raise TypeError(v)

    def stop(self):
        return bytes(self.raw(b".").b)


def glob(module, name):
    return lambda p: p.glob(module, name)


def odict(p):
    p.glob("collections", "OrderedDict").raw(b")R")


def pid(storage_class, key, numel, location="cpu", module="torch", view=None):
    """The persistent id of a storage: ('storage', cls, key, location, numel[, view])."""
    def emit(p):
        items = ["storage", glob(module, storage_class), key, location, numel]
        if view is not None:
            items.append(view)
        p.tup(tuple(items))
        p.raw(b"Q")
    return emit


def v2(storage, offset, size, stride, requires_grad=False, metadata=None):
    def emit(p):
        p.glob("torch._utils", "_rebuild_tensor_v2")
        args = [storage, offset, size, stride, requires_grad, odict]
        if metadata is not None:
            args.append(metadata)
        p.tup(tuple(args)).raw(b"R")
    return emit


def v3(storage, offset, size, stride, dtype):
    def emit(p):
        p.glob("torch._utils", "_rebuild_tensor_v3")
        p.tup((storage, offset, size, stride, False, odict, glob("torch", dtype))).raw(b"R")
    return emit


def state_dict(items):
    """An OrderedDict of name -> emitter, with the `_metadata` BUILD a state dict has."""
    p = P()
    odict(p)
    p.raw(b"(")
    for name, emit in items:
        p.s(name)
        emit(p)
    p.raw(b"u")
    # BUILD {'_metadata': OrderedDict([('', {'version': 1})])}
    p.raw(b"}").s("_metadata")
    p.glob("collections", "OrderedDict").raw(b"]((").s("").raw(b"}").s("version").i(1)
    p.raw(b"ste").raw(b"\x85R")  # ([('', {...})],) -> OrderedDict(...)
    p.raw(b"sb")
    return p.stop()


# ---------------------------------------------------------------- zip writers

def crc(data, zero):
    return 0 if zero else zlib.crc32(data)


def torch_zip(entries, crc0=False, align=64, zip64=True, mutate=None):
    """torch's layout. `entries` = [(name, bytes)]. `mutate(kind, index, fields)` may edit
    header fields (a dict) before packing, for the hostile cases."""
    out = bytearray()
    central = []
    for idx, (name, data) in enumerate(entries):
        nm = name.encode()
        offset = len(out)
        pad = (-(offset + 30 + len(nm) + 4)) % align
        extra = b"FB" + struct.pack("<H", pad) + b"Z" * pad
        f = dict(sig=0x04034B50, ver=0, flags=0x0808, method=0, crc=0, csize=0, size=0,
                 name=nm, extra=extra, data=data)
        if mutate:
            mutate("local", idx, f)
        out += struct.pack("<IHHHHHIIIHH", f["sig"], f["ver"], f["flags"], f["method"], 0, 0,
                           f["crc"], f["csize"], f["size"], len(f["name"]), len(f["extra"]))
        out += f["name"] + f["extra"] + f["data"]
        # the data descriptor torch writes after each entry (ZIP64: 8-byte sizes)
        out += struct.pack("<IIQQ", 0x08074B50, crc(data, crc0), len(data), len(data))
        c = dict(flags=0x0808, method=0, crc=crc(data, crc0), csize=len(data),
                 size=len(data), name=nm, extra=b"", offset=offset)
        if mutate:
            mutate("central", idx, c)
        central.append(c)
    cd_start = len(out)
    for c in central:
        out += struct.pack("<IHHHHHHIIIHHHHHII", 0x02014B50, 0x031E, 0x2D, c["flags"],
                           c["method"], 0, 0, c["crc"], c["csize"], c["size"], len(c["name"]),
                           len(c["extra"]), 0, 0, 0, 0, c["offset"])
        out += c["name"] + c["extra"]
    cd_size = len(out) - cd_start
    end = dict(count=len(central), count32=len(central), cd_size=cd_size, cd_offset=cd_start,
               cd_size32=cd_size, cd_offset32=cd_start)
    if mutate:
        mutate("end", 0, end)
    if zip64:
        rec = len(out)
        out += struct.pack("<IQHHIIQQQQ", 0x06064B50, 44, 0x1E, 0x2D, 0, 0, end["count"],
                           end["count"], end["cd_size"], end["cd_offset"])
        out += struct.pack("<IIQI", 0x07064B50, 0, rec, 1)
    out += struct.pack("<IHHHHIIH", 0x06054B50, 0, 0, end["count32"], end["count32"],
                       end["cd_size32"], end["cd_offset32"], 0)
    return bytes(out)


def records(prefix, pkl, storages, byteorder=b"little", version=b"3\n",
            version_name="version"):
    """The records torch.save writes, in its order."""
    e = [(f"{prefix}/data.pkl", pkl), (f"{prefix}/.format_version", b"1"),
         (f"{prefix}/.storage_alignment", b"64")]
    if byteorder is not None:
        e.append((f"{prefix}/byteorder", byteorder))
    for key, data in storages:
        e.append((f"{prefix}/data/{key}", data))
    e.append((f"{prefix}/{version_name}", version))
    e.append((f"{prefix}/.data/serialization_id", b"0" * 40))
    return e


def f32(*xs, be=False):
    return struct.pack((">" if be else "<") + "f" * len(xs), *xs)


# ---------------------------------------------------------------- legacy writer

def pickle_int(n):
    return P().i(n).stop()


def legacy(main, storages, keys=None, magic=MAGIC, protocol=1001, sys_info=None,
           trailing=b""):
    """The five pickles, then per key an int64 count and the bytes. `storages` =
    [(key, count, bytes)]."""
    out = bytearray(pickle_int(magic))
    out += pickle_int(protocol)
    out += sys_info if sys_info is not None else (
        P().raw(b"}(").s("protocol_version").i(1001).s("little_endian").raw(b"\x88")
        .s("type_sizes").raw(b"}(").s("short").i(2).s("int").i(4).s("long").i(4)
        .raw(b"uu").stop())
    out += main
    p = P().raw(b"(")
    for k in (keys if keys is not None else [s[0] for s in storages]):
        p.s(k)
    out += p.raw(b"l").stop()
    for _, count, data in storages:
        out += struct.pack("<q", count) + data
    return bytes(out + trailing)


# ---------------------------------------------------------------- the fixtures

FILES = {}
EXPECT = []


def fixed_time(name):
    """A zip entry with a fixed timestamp, so that rerunning this script changes nothing."""
    return zipfile.ZipInfo(name, date_time=(2024, 1, 1, 0, 0, 0))


def ok(name, data, tensors):
    FILES[name] = data
    for path, dtype, shape, stride, offset, values in tensors:
        EXPECT.append([name, "ok", path, dtype, repr(list(shape)), repr(list(stride)),
                       str(offset), " ".join(repr(v) for v in values)])


def bad(name, data, kind):
    FILES[name] = data
    EXPECT.append([name, "error", kind])


def simple_pkl(numel=6, cls="FloatStorage", key="0"):
    return state_dict([("w", v2(pid(cls, key, numel), 0, (2, 3), (3, 1)))])


W6 = f32(0, 1, 2, 3, 4, 5)
W_FACTS = [("/w", "torch.float32", (2, 3), (3, 1), 0, [0.0, 1.0, 2.0, 3.0, 4.0, 5.0])]


def main():
    os.makedirs(OUT, exist_ok=True)
    good = records("archive", simple_pkl(), [("0", W6)])

    # --- accepted ---
    ok("torch_layout.pt", torch_zip(good), W_FACTS)
    ok("crc0_other_prefix.pt",
       torch_zip(records("pytorch_model", simple_pkl(), [("0", W6)],
                         version=b"6\n", version_name=".data/version"), crc0=True), W_FACTS)
    buf = bytearray()
    import io
    bio = io.BytesIO()
    with zipfile.ZipFile(bio, "w", zipfile.ZIP_STORED) as z:
        for n, d in records("my model", simple_pkl(), [("0", W6)], byteorder=None):
            z.writestr(fixed_time(n), d)
    ok("python_zipfile.pt", bio.getvalue(), W_FACTS)
    ok("no_zip64.pt", torch_zip(good, zip64=False, align=1), W_FACTS)
    # Members torch never writes: a hidden pickle naming os.system, and a text file.
    # torch loads only data.pkl and the storages it names, so this loads; `scan` must
    # report both members and the hidden pickle's global.
    hidden = P().glob("os", "system").s("true").raw(b"\x85R").stop()
    ok("hidden_pickle.pt", torch_zip(good + [("archive/extra.pkl", hidden),
                                             ("archive/notes.txt", b"hi")]), W_FACTS)

    # Big-endian: byteorder 'big', storages stored big-endian.
    be_pkl = state_dict([
        ("f", v2(pid("FloatStorage", "0", 3), 0, (3,), (1,))),
        ("h", v2(pid("ShortStorage", "1", 2), 0, (2,), (1,))),
        ("d", v2(pid("DoubleStorage", "2", 1), 0, (), ())),
        ("c", v2(pid("ComplexFloatStorage", "3", 1), 0, (1,), (1,))),
    ])
    ok("big_endian.pt", torch_zip(records("archive", be_pkl, [
        ("0", f32(1.5, -2.0, 1e-3, be=True)), ("1", struct.pack(">hh", -2, 300)),
        ("2", struct.pack(">d", 2.25)), ("3", struct.pack(">ff", 3.0, -4.0))],
        byteorder=b"big")), [
        ("/f", "torch.float32", (3,), (1,), 0, [1.5, -2.0, struct.unpack("<f", f32(1e-3))[0]]),
        ("/h", "torch.int16", (2,), (1,), 0, [-2, 300]),
        ("/d", "torch.float64", (), (), 0, [2.25]),
        ("/c", "torch.complex64", (1,), (1,), 0, [3.0]),
    ])

    # v3 dtypes over UntypedStorage (numel = bytes).
    v3_pkl = state_dict([
        ("u16", v3(pid("UntypedStorage", "0", 6), 0, (3,), (1,), "uint16")),
        ("u32", v3(pid("UntypedStorage", "1", 8), 0, (2,), (1,), "uint32")),
        ("u64", v3(pid("UntypedStorage", "2", 8), 0, (1,), (1,), "uint64")),
        ("f8", v3(pid("UntypedStorage", "3", 4), 0, (2, 2), (2, 1), "float8_e4m3fn")),
        ("c32", v3(pid("UntypedStorage", "4", 4, module="torch.storage"), 0, (), (),
                   "complex32")),
    ])
    ok("v3_dtypes.pt", torch_zip(records("archive", v3_pkl, [
        ("0", struct.pack("<3H", 1, 65535, 7)), ("1", struct.pack("<2I", 4000000000, 5)),
        ("2", struct.pack("<Q", 2**53)), ("3", bytes([0x38, 0x40, 0xB0, 0x7E])),
        ("4", struct.pack("<2e", 1.5, -2.0))])), [
        ("/u16", "torch.uint16", (3,), (1,), 0, [1, 65535, 7]),
        ("/u32", "torch.uint32", (2,), (1,), 0, [4000000000, 5]),
        ("/u64", "torch.uint64", (1,), (1,), 0, [2**53]),
        ("/f8", "torch.float8_e4m3fn", (2, 2), (2, 1), 0, [1.0, 2.0, -0.5, 448.0]),
        ("/c32", "torch.complex32", (), (), 0, [1.5]),
    ])

    # Large, sparse storage keys (torch 1.x wrote str(_cdata)), zero-size and 0-d tensors.
    odd_pkl = state_dict([
        ("empty", v2(pid("FloatStorage", "94310486737984", 0), 0, (0, 3), (3, 1))),
        ("scalar", v2(pid("LongStorage", "7", 1), 0, (), ())),
    ])
    ok("odd_keys.pt", torch_zip(records("archive", odd_pkl, [
        ("94310486737984", b""), ("7", struct.pack("<q", -5))])), [
        ("/empty", "torch.float32", (0, 3), (3, 1), 0, []),
        ("/scalar", "torch.int64", (), (), 0, [-5]),
    ])

    # Legacy with a view: storage '1' is elements 2..5 of root '0'.
    lv_main = state_dict([
        ("root", v2(pid("FloatStorage", "0", 6), 0, (6,), (1,))),
        ("view", v2(pid("FloatStorage", "0", 6, view=("1", 2, 3)), 0, (3,), (1,))),
    ])
    ok("legacy_view.pt", legacy(lv_main, [("0", 6, W6)]), [
        ("/root", "torch.float32", (6,), (1,), 0, [0.0, 1.0, 2.0, 3.0, 4.0, 5.0]),
        ("/view", "torch.float32", (3,), (1,), 0, [2.0, 3.0, 4.0]),
    ])

    # --- refused: TorchScript, tar, not a checkpoint ---
    bad("ts_constants.pt", torch_zip(good + [("archive/constants.pkl", P().raw(b")").stop())]),
        "TorchScript")
    bad("ts_code_case.pt", torch_zip(good + [("archive/CODE/__torch__/m.py", b"def f(): pass")]),
        "TorchScript")
    bad("ts_bytecode_case.pt", torch_zip(good + [("archive/ByteCode.PKL", P().raw(b")").stop())]),
        "TorchScript")
    ts_pkl = P().glob("__torch__.Model", "Model").raw(b")\x81").stop()
    bad("ts_global.pt", torch_zip(records("archive", ts_pkl, [])), "TorchScript")
    tar = bytearray(1024)
    tar[0:8] = b"pickle\0\0"
    tar[257:262] = b"ustar"
    bad("tar.pt", bytes(tar), "Tar")
    bad("not_a_checkpoint.pt", b"\x80\x02}q\x00.", "NotACheckpoint")

    # --- hostile containers ---
    bad("dup_name.pt", torch_zip(good + [("archive/data/0", W6)]), "DuplicateName")
    bad("dup_case.pt", torch_zip(good + [("archive/DATA/0", W6)]), "DuplicateName")

    def local(field, value, index=4):
        def m(kind, idx, f):
            if kind == "local" and idx == index:
                f[field] = value
        return m
    bad("local_name.pt", torch_zip(good, mutate=local("name", b"archive/data/1")),
        "HeaderMismatch")
    bad("local_method.pt", torch_zip(good, mutate=local("method", 8)), "HeaderMismatch")

    def local_sizes(kind, idx, f):
        if kind == "local" and idx == 4:
            f["csize"] = f["size"] = 20
    bad("local_size.pt", torch_zip(good, mutate=local_sizes), "HeaderMismatch")
    bad("mixed_prefix.pt", torch_zip(good + [("other/extra", b"x")]), "MixedPrefix")
    bad("two_data_pkl.pt", torch_zip(good + [("other/data.pkl", simple_pkl())]), "TwoDataPkl")
    bad("root_entry.pt", torch_zip([("data.pkl", simple_pkl())] + good[1:]), "NoFolder")

    def overlap(kind, idx, f):
        # entry 3 (byteorder) claims to be 200 bytes long: its bytes run over entry 4
        if kind == "central" and idx == 3:
            f["csize"] = f["size"] = 200
    bad("overlap.pt", torch_zip(good, mutate=overlap), "Overlap")

    def past_end(kind, idx, f):
        if kind == "central" and idx == 6:
            f["csize"] = f["size"] = 10_000
    bad("past_end.pt", torch_zip(good, mutate=past_end), "Overlap")

    def eocd_offset(kind, idx, f):
        if kind == "end":
            f["cd_offset32"] -= 1
    bad("eocd_disagrees.pt", torch_zip(good, mutate=eocd_offset), "EndRecord")

    def eocd_both_lie(kind, idx, f):
        if kind == "end":
            f["cd_offset"] -= 46
            f["cd_offset32"] -= 46
    bad("eocd_both_lie.pt", torch_zip(good, mutate=eocd_both_lie), "EndRecord")

    def eocd_count(kind, idx, f):
        if kind == "end":
            f["count"] = f["count32"] = 60000
    bad("eocd_count.pt", torch_zip(good, mutate=eocd_count), "EndRecord")
    bad("trailing_bytes.pt", torch_zip(good) + b"junk", "EndRecord")
    bad("prepended_bytes.pt", b"junk" + torch_zip(good), "NotACheckpoint")
    bad("dotdot.pt", torch_zip(good + [("archive/../evil", b"x")]), "UnsafeName")
    bad("absolute.pt", torch_zip([("/archive/data.pkl", simple_pkl())] + good[1:]),
        "UnsafeName")
    bad("byteorder_middle.pt", torch_zip(records("archive", simple_pkl(), [("0", W6)],
                                                 byteorder=b"middle")), "ByteOrder")
    bad("version_11.pt", torch_zip(records("archive", simple_pkl(), [("0", W6)],
                                           version=b"11\n")), "Version")
    bad("version_0.pt", torch_zip(records("archive", simple_pkl(), [("0", W6)],
                                          version=b"0\n")), "Version")
    bio = io.BytesIO()
    with zipfile.ZipFile(bio, "w", zipfile.ZIP_DEFLATED) as z:
        for n, d in good:
            z.writestr(fixed_time(n), d, compress_type=zipfile.ZIP_DEFLATED)
    bad("deflated.pt", bio.getvalue(), "Compressed")

    # --- storages and tensors ---
    bad("record_short.pt", torch_zip(records("archive", simple_pkl(), [("0", W6[:20])])),
        "Storage")
    bad("record_missing.pt", torch_zip(records("archive", simple_pkl(key="1"), [("0", W6)])),
        "MissingRecord")
    two_dtypes = state_dict([("a", v2(pid("FloatStorage", "0", 6), 0, (6,), (1,))),
                             ("b", v2(pid("IntStorage", "0", 6), 0, (6,), (1,)))])
    bad("key_two_dtypes.pt", torch_zip(records("archive", two_dtypes, [("0", W6)])), "Storage")
    two_sizes = state_dict([("a", v2(pid("FloatStorage", "0", 6), 0, (6,), (1,))),
                            ("b", v2(pid("FloatStorage", "0", 5), 0, (5,), (1,)))])
    bad("key_two_sizes.pt", torch_zip(records("archive", two_sizes, [("0", W6)])), "Storage")
    reach = state_dict([("w", v2(pid("FloatStorage", "0", 6), 1, (2, 3), (3, 1)))])
    bad("view_past_storage.pt", torch_zip(records("archive", reach, [("0", W6)])), "Construct")
    neg = state_dict([("w", v2(pid("FloatStorage", "0", 6), 5, (6,), (-1,)))])
    bad("negative_stride.pt", torch_zip(records("archive", neg, [("0", W6)])), "Construct")
    conj = state_dict([("w", v2(pid("FloatStorage", "0", 6), 0, (6,), (1,),
                                metadata=lambda p: p.raw(b"}").s("conj").raw(b"\x88s")))])
    bad("conj_metadata.pt", torch_zip(records("archive", conj, [("0", W6)])), "Construct")
    q = P().glob("torch._utils", "_rebuild_qtensor").raw(b")R").stop()
    bad("qtensor.pt", torch_zip(records("archive", q, [])),
        "Refused:torch._utils._rebuild_qtensor")
    osys = P().glob("os", "system").s("true").raw(b"\x85R").stop()
    bad("os_system.pt", torch_zip(records("archive", osys, [])), "Refused:os.system")

    # --- legacy ---
    main6 = state_dict([("w", v2(pid("FloatStorage", "0", 6), 0, (6,), (1,)))])
    ok("legacy_plain.pt", legacy(main6, [("0", 6, W6)]),
       [("/w", "torch.float32", (6,), (1,), 0, [0.0, 1.0, 2.0, 3.0, 4.0, 5.0])])
    bad("legacy_view_out_of_range.pt", legacy(state_dict([
        ("v", v2(pid("FloatStorage", "0", 6, view=("1", 4, 3)), 0, (3,), (1,)))]),
        [("0", 6, W6)]), "Storage")
    bad("legacy_count.pt", legacy(main6, [("0", 5, W6[:20])]), "Storage")
    bad("legacy_truncated.pt", legacy(main6, [("0", 6, W6[:12])]), "Legacy")
    bad("legacy_trailing.pt", legacy(main6, [("0", 6, W6)], trailing=b"\0"), "Legacy")
    bad("legacy_unlisted.pt", legacy(main6, [], keys=[]), "Legacy")
    bad("legacy_unused_key.pt", legacy(main6, [("0", 6, W6), ("9", 1, f32(1))]), "Legacy")
    bad("legacy_protocol.pt", legacy(main6, [("0", 6, W6)], protocol=1000), "Legacy")
    evil_sys = P().glob("os", "system").s("true").raw(b"\x85R").stop()
    bad("legacy_evil_sys_info.pt", legacy(main6, [("0", 6, W6)], sys_info=evil_sys),
        "Refused:os.system")
    evil_magic = bytes(pickle_int(MAGIC))[:-1] + P().glob("os", "system").s("x").raw(
        b"\x85R0").stop()[2:]
    bad("legacy_evil_magic.pt", evil_magic + legacy(main6, [("0", 6, W6)])[len(
        pickle_int(MAGIC)):], "Refused:os.system")
    bad("legacy_module_pid.pt", legacy(
        P().tup(("module", glob("torch.nn", "Linear"), "x.py", "src")).raw(b"Q").stop(), [],
        keys=[]), "Refused:torch.nn.Linear")

    for name, data in FILES.items():
        with open(os.path.join(OUT, name), "wb") as f:
            f.write(data)
    with open(os.path.join(OUT, "expected.tsv"), "w") as f:
        for row in EXPECT:
            f.write("\t".join(row) + "\n")
    print(f"{len(FILES)} files")


main()
