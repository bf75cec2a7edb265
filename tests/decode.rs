//! The decoder: the `io::Read` path yields exactly the slice path's instructions, whatever
//! the chunking, and lying length fields fail fast as truncated input.

#[path = "support/timing.rs"]
mod timing;

use std::io::Read;
use std::path::Path;

use timing::hang_guard;

use unpickle::decode::{Decoded, Decoder, Instruction};
use unpickle::{ErrorKind, Limits};

/// A reader that returns at most `n` bytes per call, with `n` from a fixed sequence.
struct Chunked<'a> {
    data: &'a [u8],
    sizes: Vec<usize>,
    i: usize,
}

impl Read for Chunked<'_> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.sizes[self.i % self.sizes.len()]
            .min(buf.len())
            .min(self.data.len());
        self.i += 1;
        buf[..n].copy_from_slice(&self.data[..n]);
        self.data = &self.data[n..];
        Ok(n)
    }
}

/// Every instruction up to STOP or the first error, and that error.
fn all<I: unpickle::decode::Input>(
    mut dec: Decoder<I>,
) -> (Vec<Decoded<'static>>, Option<unpickle::Error>) {
    let mut out = Vec::new();
    loop {
        match dec.next_instruction() {
            Ok(Some(d)) => out.push(Decoded {
                offset: d.offset,
                opcode: d.opcode,
                instruction: d.instruction.into_owned(),
            }),
            Ok(None) => return (out, None),
            Err(e) => return (out, Some(e)),
        }
    }
}

/// The same error kind (for limits, the same limit). The messages may differ: a slice
/// knows how much input remains, a reader does not.
fn same_kind(a: &ErrorKind, b: &ErrorKind) -> bool {
    match (a, b) {
        (ErrorKind::Limit { limit: x, .. }, ErrorKind::Limit { limit: y, .. }) => x == y,
        _ => std::mem::discriminant(a) == std::mem::discriminant(b),
    }
}

#[test]
fn reader_path_matches_slice_path_on_the_corpus() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/corpus");
    let (mut files, mut errors) = (0, 0);
    // A simple deterministic generator for chunk sizes.
    let mut seed = 0x2545_f491_4f6c_dd1du64;
    for entry in std::fs::read_dir(&dir).expect("corpus") {
        let path = entry.unwrap().path();
        if path.extension().is_none_or(|e| e != "pkl") {
            continue;
        }
        let data = std::fs::read(&path).unwrap();
        let slice = all(Decoder::from_slice(&data, Limits::default()));
        let sizes: Vec<usize> = (0..17)
            .map(|_| {
                seed ^= seed << 13;
                seed ^= seed >> 7;
                seed ^= seed << 17;
                1 + (seed % 300) as usize
            })
            .collect();
        for chunks in [vec![1], sizes] {
            let chunks_len = chunks.len();
            let reader = Chunked {
                data: &data,
                sizes: chunks,
                i: 0,
            };
            // BufReader with a 1-byte buffer asks the reader for one byte at a time.
            let capacity = if chunks_len == 1 { 1 } else { 64 };
            let streamed = all(Decoder::from_reader(
                std::io::BufReader::with_capacity(capacity, reader),
                Limits::default(),
            ));
            // Every instruction agrees, and so do the error's kind and offset.
            // Compared through Debug: NaN arguments are not equal to themselves.
            assert_eq!(
                format!("{:?}", slice.0),
                format!("{:?}", streamed.0),
                "{}",
                path.display()
            );
            match (&slice.1, &streamed.1) {
                (None, None) => {}
                (Some(a), Some(b)) => {
                    assert!(
                        same_kind(a.kind(), b.kind()) && a.offset() == b.offset(),
                        "{}: slice failed with {a:?} ({a}), reader with {b:?} ({b})",
                        path.display()
                    );
                    errors += 1;
                }
                (a, b) => panic!("{}: slice {a:?}, reader {b:?}", path.display()),
            }
        }
        files += 1;
    }
    assert!(files > 300, "only {files} corpus files");
    // The corpus holds truncated, malformed and over-limit pickles: the error comparison
    // above must have run, not only the instruction lists.
    assert!(errors >= 20, "only {errors} decoder errors compared");
}

#[test]
fn reader_stops_right_after_stop() {
    // Two pickles back to back: 1 then 'a'.
    let data = b"\x80\x02K\x01.\x80\x04\x95\x05\x00\x00\x00\x00\x00\x00\x00\x8c\x01a\x94.tail";
    let mut cursor = &data[..];
    let first = unpickle::Unpickler::new().load_reader(&mut cursor).unwrap();
    assert_eq!(first.to_string(), "1");
    let second = unpickle::Unpickler::new().load_reader(&mut cursor).unwrap();
    assert_eq!(second.to_string(), "'a'");
    assert_eq!(cursor, b"tail");
}

fn lying(prefix: &[u8], opcode: u8, len_bytes: &[u8]) -> Vec<u8> {
    let mut v = prefix.to_vec();
    v.push(opcode);
    v.extend_from_slice(len_bytes);
    v.extend_from_slice(b"0123456789.");
    v
}

#[test]
fn lying_lengths_fail_fast_as_truncated() {
    let mut cases = Vec::new();
    for shift in [31u32, 40, 50, 62, 63] {
        let n = 1u64 << shift;
        for op in [0x8e, 0x8d, 0x96] {
            // BINBYTES8, BINUNICODE8, BYTEARRAY8
            cases.push(lying(b"\x80\x05", op, &n.to_le_bytes()));
        }
    }
    // LONG4 claiming 2^31-1 bytes; BINUNICODE / BINBYTES claiming 2^32-1.
    cases.push(lying(b"\x80\x02", 0x8b, &0x7fff_ffffu32.to_le_bytes()));
    cases.push(lying(b"\x80\x02", b'X', &u32::MAX.to_le_bytes()));
    cases.push(lying(b"\x80\x03", b'B', &u32::MAX.to_le_bytes()));
    cases.push(lying(b"\x80\x02", b'T', &0x7fff_ffffu32.to_le_bytes()));
    let limits = Limits::unlimited();
    // FRAME claiming up to 2^63 bytes: neither a slice nor a stream allocates for it or
    // refuses it up front; both run the frame's opcodes as they come and fail the same
    // way at the first one that cannot complete (here POP on an empty stack, and with
    // "N." STOP inside a frame that claims to go on). Agreement of the two paths is what
    // tests/hostile.rs and the reader_vs_slice fuzz target require.
    for shift in [31u32, 40, 63] {
        let case = lying(b"\x80\x04", 0x95, &(1u64 << shift).to_le_bytes());
        let framed = [&case[..11], b"N."].concat();
        for (data, at) in [(&case[..], 11), (&framed[..], 12)] {
            let slice = unpickle::Unpickler::new()
                .limits(limits.clone())
                .load_slice(data)
                .unwrap_err();
            let stream = unpickle::Unpickler::new()
                .limits(limits.clone())
                .load_reader(data)
                .unwrap_err();
            for e in [&slice, &stream] {
                assert!(matches!(e.kind(), ErrorKind::Malformed(_)), "{e}");
                assert_eq!(e.offset(), Some(at), "{e}");
            }
        }
    }
    // Nothing proportional to the claimed length is allocated: the heap bounds of
    // `hostile::lying_length_fields` check that; the timer here is only a hang guard.
    for case in &cases {
        let (slice, stream) = hang_guard(|| {
            let slice = unpickle::Unpickler::new()
                .limits(limits.clone())
                .load_slice(case)
                .unwrap_err();
            let stream = unpickle::Unpickler::new()
                .limits(limits.clone())
                .load_reader(&case[..])
                .unwrap_err();
            (slice, stream)
        });
        for e in [&slice, &stream] {
            assert!(
                matches!(e.kind(), ErrorKind::Truncated(_)),
                "{case:x?}: {e}"
            );
            assert_eq!(e.offset(), Some(2), "{case:x?}: {e}");
        }
    }
}

#[test]
fn default_limits_refuse_oversized_items_before_reading() {
    let case = lying(b"\x80\x05", 0x8e, &(1u64 << 40).to_le_bytes());
    let e = unpickle::from_slice(&case).unwrap_err();
    assert!(matches!(
        e.kind(),
        ErrorKind::Limit {
            limit: unpickle::Limit::ItemLen,
            ..
        }
    ));
}

#[test]
fn frames_are_enforced() {
    // An opcode straddling the end of its frame: FRAME 3 holding K\x01 and half of a
    // BINUNICODE.
    let straddle = b"\x80\x04\x95\x03\x00\x00\x00\x00\x00\x00\x00K\x01X\x01\x00\x00\x00a.";
    let e = unpickle::from_slice(straddle).unwrap_err();
    assert!(matches!(e.kind(), ErrorKind::Malformed(_)), "{e}");
    assert_eq!(e.offset(), Some(13));
    // A frame opened inside another.
    let nested =
        b"\x80\x04\x95\x0b\x00\x00\x00\x00\x00\x00\x00\x95\x01\x00\x00\x00\x00\x00\x00\x00N.";
    let e = unpickle::from_slice(nested).unwrap_err();
    assert!(matches!(e.kind(), ErrorKind::Malformed(_)), "{e}");
    assert_eq!(e.offset(), Some(11));
    // A well-formed framed pickle decodes.
    let ok = b"\x80\x04\x95\x02\x00\x00\x00\x00\x00\x00\x00N.";
    assert!(matches!(
        Decoder::from_slice(ok, Limits::default())
            .next_instruction()
            .unwrap()
            .unwrap()
            .instruction,
        Instruction::Proto(4)
    ));
    assert_eq!(unpickle::from_slice(ok).unwrap().to_string(), "None");
}
