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

/// Runs `f` on a thread with a 64 MiB stack. Values nested up to the depth limit (1000) are
/// cloned, hashed, compared, printed and dropped recursively, one level per frame group;
/// an unoptimised build needs more than the 2 MiB of a test thread for 1000 levels of
/// frozensets, an optimised one does not.
fn with_big_stack(f: impl FnOnce() + Send + 'static) {
    std::thread::Builder::new()
        .stack_size(64 * MIB)
        .spawn(f)
        .expect("spawn")
        .join()
        .unwrap_or_else(|e| std::panic::resume_unwind(e));
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

// ---------------------------------------------------------------------------------------
// Values made by policy constructors count against the budgets like any other value.
// ---------------------------------------------------------------------------------------

/// `frozenset([frozenset([... ()])])`, `n` levels deep, each level a call of the allowed
/// constructor `builtins.frozenset` (memoized once, fetched with BINGET).
fn nested_frozensets(n: usize) -> Vec<u8> {
    Asm::proto(2)
        .global("builtins", "frozenset")
        .binput(0)
        .pop()
        .repeat(b"h\x00]", n)
        .empty_tuple()
        .repeat(b"a\x85R", n)
        .stop()
        .bytes()
}

/// Constructed values used to count as one level and one leaf, so nesting them bypassed
/// the depth limit (a 10 000-level chain overflowed the stack when dropped) and copying
/// them bypassed the result budget (time and memory quadratic in the input). Now their real
/// height and size count: the chain stops at the depth limit, at the REDUCE that would make
/// the 1000th level (its argument `([fs],)` is then 1001 levels high).
#[test]
fn nested_constructed_values_hit_the_depth_limit() {
    with_big_stack(|| {
        let n = 10_000;
        let data = nested_frozensets(n);
        // PROTO, GLOBAL, BINPUT, POP; n × (BINGET, EMPTY_LIST); EMPTY_TUPLE; then
        // APPEND, TUPLE1, REDUCE per level.
        let head = 2 + 20 + 2 + 1;
        let reduce = |k: usize| (head + 3 * n + 1 + 3 * (k - 1) + 2) as u64;
        // Each level keeps its own copy of the levels below it (~1000²/2 one-element
        // frozensets of ~250 bytes before the limit).
        let e = expect(&strict(), &data, Want::Limit(Limit::Depth), 192 * MIB);
        assert_eq!(e.offset(), Some(reduce(1000)), "{e}");
        // Below the limit they load, and print as CPython prints them.
        let small = strict().limits(Limits::default().max_depth(4));
        expect_value(
            &small,
            &nested_frozensets(3),
            "frozenset({frozenset({frozenset({()})})})",
            MIB,
        );
        expect(
            &small,
            &nested_frozensets(4),
            Want::Limit(Limit::Depth),
            MIB,
        );
    });
}

/// One constructed frozenset of 10 000 ints, memoized and referenced 100 000 times: every
/// copy is charged its real size, so the result budget stops it (each copy used to be
/// charged as one 32-byte leaf: 10^9 set entries, tens of GiB).
#[test]
fn copies_of_constructed_values_are_charged() {
    let mut a = Asm::proto(2).global("builtins", "frozenset").mark().mark();
    for i in 0..10_000u16 {
        a = a.binint2(i);
    }
    let data = a
        .list()
        .tuple()
        .reduce()
        .binput(0)
        .pop()
        .empty_list()
        .mark()
        .repeat(b"h\x00", 100_000)
        .appends()
        .stop()
        .bytes();
    let budget = 64 * MIB;
    let l = strict().limits(Limits::default().max_result_bytes(budget as u64));
    expect(&l, &data, Want::Limit(Limit::ResultBytes), 4 * budget);
}

// ---------------------------------------------------------------------------------------
// Hash flooding: keys that are all unequal must not all hash alike.
// ---------------------------------------------------------------------------------------

/// Runs `f`, asserting it takes less than `secs` seconds (the quadratic versions of these
/// cases take minutes).
#[track_caller]
fn within<T>(secs: u64, f: impl FnOnce() -> T) -> T {
    let t = std::time::Instant::now();
    let r = f();
    let took = t.elapsed();
    assert!(took.as_secs() < secs, "took {took:?}, allowed {secs} s");
    r
}

/// A dict and a set with 20 000 NaN keys. NaN is unequal to itself, so (as in CPython,
/// where each NaN from a pickle is a distinct object) every key stays. They all hashed
/// alike, so each insertion compared against every earlier key: quadratic (500 KB of
/// input took 41 s in release).
#[test]
fn nan_keys_do_not_collide() {
    let n = 20_000;
    let mut d = Asm::proto(2).empty_dict().mark();
    let mut s = Asm::proto(4).empty_set().mark();
    for _ in 0..n {
        d = d.binfloat(f64::NAN).none();
        s = s.binfloat(f64::NAN);
    }
    let d = d.setitems().stop().bytes();
    let s = s.additems().stop().bytes();
    for data in [d, s] {
        let v = within(5, || strict().load_slice(&data).unwrap());
        let len = match &v {
            Value::Dict(d) => d.len(),
            Value::Set(s) => s.len(),
            other => panic!("{}", short(other)),
        };
        assert_eq!(len, n);
    }
    // Complex numbers with a NaN part, through the allowed `builtins.complex`.
    let mut c = Asm::proto(2)
        .global("builtins", "complex")
        .binput(0)
        .pop()
        .empty_dict()
        .mark();
    for i in 0..n {
        c = c
            .binget(0)
            .binfloat(i as f64)
            .binfloat(f64::NAN)
            .tuple2()
            .reduce()
            .none();
    }
    let c = c.setitems().stop().bytes();
    let v = within(5, || strict().load_slice(&c).unwrap());
    assert_eq!(v.as_dict().map(|d| d.len()), Some(n));
}

/// Under `opaque`, inert objects used as dict keys all hashed to one value. 20 000 keys
/// `os.system(i)`, and `os.system([i])` whose only difference is inside a list.
#[test]
fn inert_object_keys_do_not_collide() {
    let n = 20_000;
    for in_list in [false, true] {
        let mut a = Asm::proto(2)
            .global("os", "system")
            .binput(0)
            .pop()
            .empty_dict()
            .mark();
        for i in 0..n {
            a = a.binget(0);
            if in_list {
                a = a.empty_list().binint(i).append();
            } else {
                a = a.binint(i);
            }
            a = a.tuple1().reduce().none();
        }
        let data = a.setitems().stop().bytes();
        let v = within(5, || opaque().load_slice(&data).unwrap());
        assert_eq!(v.as_dict().map(|d| d.len()), Some(n as usize));
    }
}
