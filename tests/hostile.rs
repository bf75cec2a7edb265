//! The adversarial suite: pickles written by an attacker.
//!
//! Every case asserts the exact outcome — the error kind with its fields (the refused
//! name, the exceeded limit), or the exact inert `Display` under `presets::opaque()` — and,
//! through the counting global allocator below, that the heap this thread used while
//! loading stayed under a stated bound. Payloads are assembled byte by byte with the
//! test-only assembler in `tests/hostile/asm.rs`; no Python runs. Where an outcome is
//! "what CPython does", the comment says so; those were checked against python3 3.11's C
//! unpickler with the restricted `find_class` of `tests/data/restricted.py`
//! (`tests/hostile/oracle.py` re-runs them).

#[path = "hostile/alloc.rs"]
mod alloc;
#[path = "hostile/asm.rs"]
mod asm;

use std::io::{BufReader, Read};

use asm::Asm;
use unpickle::policy::ExtensionRegistry;
use unpickle::{presets, Error, ErrorKind, Limit, Limits, Unpickler, Value};

#[global_allocator]
static ALLOC: alloc::Counting = alloc::Counting;

const KIB: usize = 1 << 10;
const MIB: usize = 1 << 20;

/// The outcome a case expects.
#[derive(Debug, Clone)]
enum Want {
    /// `ErrorKind::Malformed` whose message contains the text.
    Malformed(&'static str),
    /// `ErrorKind::Truncated`.
    Truncated,
    /// `ErrorKind::Refused` with exactly this module and name.
    Refused(String, String),
    /// `ErrorKind::Limit` for this limit.
    Limit(Limit),
    /// `ErrorKind::Cycle`.
    Cycle,
    /// `ErrorKind::Unsupported` whose message contains the text.
    Unsupported(&'static str),
    /// `ErrorKind::Construct` for this dotted global, message containing the text.
    Construct(&'static str, &'static str),
}

fn refused(module: &str, name: &str) -> Want {
    Want::Refused(module.to_owned(), name.to_owned())
}

fn strict() -> Unpickler {
    Unpickler::new()
}

fn opaque() -> Unpickler {
    Unpickler::new().policy(presets::opaque())
}

/// Asserts that `err` is what `want` says.
#[track_caller]
fn assert_kind(err: &Error, want: &Want, what: &str) {
    let ok = match (err.kind(), want) {
        (ErrorKind::Malformed(m), Want::Malformed(s)) => m.contains(s),
        (ErrorKind::Truncated(_), Want::Truncated) => true,
        (ErrorKind::Refused { module, name }, Want::Refused(m, n)) => module == m && name == n,
        (ErrorKind::Limit { limit, .. }, Want::Limit(l)) => limit == l,
        (ErrorKind::Cycle, Want::Cycle) => true,
        (ErrorKind::Unsupported(m), Want::Unsupported(s)) => m.contains(s),
        (ErrorKind::Construct { global, message }, Want::Construct(g, s)) => {
            global == g && message.contains(s)
        }
        _ => false,
    };
    assert!(ok, "{what}: expected {want:?}, got {err:?} ({err})");
}

/// Loads `data` from a slice with `loader`; asserts the error and the heap bound.
#[track_caller]
fn expect_slice(loader: &Unpickler, data: &[u8], want: Want, bound: usize) -> Error {
    let (r, used) = alloc::peak(|| loader.load_slice(data));
    assert!(
        used <= bound,
        "peak heap {used} bytes exceeds the bound {bound} (input {} bytes)",
        data.len()
    );
    match r {
        Ok(v) => panic!("expected {want:?}, loaded {}", short(&v)),
        Err(e) => {
            assert_kind(&e, &want, "slice");
            e
        }
    }
}

/// As [`expect_slice`], and the `io::Read` path (one byte at a time) fails the same way
/// under the same bound.
#[track_caller]
fn expect(loader: &Unpickler, data: &[u8], want: Want, bound: usize) -> Error {
    let e = expect_slice(loader, data, want.clone(), bound);
    let (r, used) = alloc::peak(|| loader.load_reader(OneByte(data)));
    assert!(used <= bound, "reader: peak heap {used} exceeds {bound}");
    match r {
        Ok(v) => panic!("reader: expected {want:?}, loaded {}", short(&v)),
        Err(e) => assert_kind(&e, &want, "reader"),
    }
    e
}

/// As [`expect`], and the error is at `offset`.
#[track_caller]
fn expect_at(loader: &Unpickler, data: &[u8], want: Want, offset: u64, bound: usize) {
    let e = expect(loader, data, want, bound);
    assert_eq!(e.offset(), Some(offset), "offset of {e}");
}

/// Loads `data` (slice and reader paths) and asserts its `Display` and the heap bound.
#[track_caller]
fn expect_value(loader: &Unpickler, data: &[u8], display: &str, bound: usize) {
    let (r, used) = alloc::peak(|| loader.load_slice(data));
    assert!(used <= bound, "peak heap {used} exceeds {bound}");
    match r {
        Ok(v) => assert_eq!(v.to_string(), display),
        Err(e) => panic!("expected {display}, got {e}"),
    }
    let r = loader.load_reader(OneByte(data));
    match r {
        Ok(v) => assert_eq!(v.to_string(), display, "reader"),
        Err(e) => panic!("reader: expected {display}, got {e}"),
    }
}

/// The start of a value's Display, for messages.
fn short(v: &Value) -> String {
    let s = v.to_string();
    s.chars().take(200).collect()
}

/// A reader that hands out one byte per call.
struct OneByte<'a>(&'a [u8]);

impl Read for OneByte<'_> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        match (self.0.split_first(), buf.first_mut()) {
            (Some((&b, rest)), Some(slot)) => {
                *slot = b;
                self.0 = rest;
                Ok(1)
            }
            _ => Ok(0),
        }
    }
}

// ---------------------------------------------------------------------------------------
// Out-of-band buffers (found by the `structured` fuzz target).
// ---------------------------------------------------------------------------------------

/// NEXT_BUFFER through `load_slice` is "no buffers were given" (CPython's
/// `pickle.loads(data)` without `buffers=`: "pickle stream refers to out-of-band data but no
/// *buffers* argument was given"), exactly as through `load_reader`; running out of the
/// buffers that were given is a different error.
#[test]
fn next_buffer_without_buffers() {
    let data = Asm::proto(5).op(0x97).stop().bytes();
    expect_at(
        &strict(),
        &data,
        Want::Unsupported("out-of-band"),
        2,
        64 * KIB,
    );
    let e = strict()
        .load_slice_with_buffers(&data, Vec::<Vec<u8>>::new())
        .unwrap_err();
    assert_kind(
        &e,
        &Want::Malformed("not enough out-of-band buffers"),
        "with buffers",
    );
    let v = strict()
        .load_slice_with_buffers(&data, vec![b"ab".to_vec()])
        .unwrap();
    assert_eq!(v.to_string(), "bytearray(b'ab')");
}
