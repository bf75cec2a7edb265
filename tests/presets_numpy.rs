//! The `numpy` preset against CPython + numpy: every case of `tests/data/numpy` (written by
//! `tests/data/make_numpy_fixtures.py`) loads to the text the script computed from the
//! value numpy loaded (and checked to evaluate back to an equal value), or fails where
//! numpy failed, with the error listed for it in `tests/data/oracle_differences.tsv`. Plus
//! typed accessors and hostile inputs.

#[path = "support/numpy_oracle.rs"]
mod numpy_oracle;
#[path = "support/oracle_errors.rs"]
mod oracle_errors;

use std::fs;
use std::path::{Path, PathBuf};

use unpickle::value::{ByteOrder, DtypeKind, NdArray};
use unpickle::{npy, presets, ErrorKind, Limit, Unpickler, Value};

fn dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/numpy")
}

fn load(name: &str) -> Result<Value, unpickle::Error> {
    let data = fs::read(dir().join(format!("{name}.pkl"))).unwrap();
    let mut buffers = Vec::new();
    for i in 0.. {
        match fs::read(dir().join(format!("{name}.buf{i}"))) {
            Ok(b) => buffers.push(b),
            Err(_) => break,
        }
    }
    Unpickler::new()
        .policy(presets::numpy())
        .load_slice_with_buffers(&data, buffers)
}

#[test]
fn numpy_fixtures_match_numpy() {
    let index = fs::read_to_string(dir().join("index.tsv")).unwrap();
    let differences = oracle_errors::Differences::load();
    let mut failures = Vec::new();
    let mut checked = 0;
    for line in index.lines() {
        let name = line.split('\t').next().unwrap();
        let expected = fs::read_to_string(dir().join(format!("{name}.expect"))).unwrap();
        let expected = expected.trim_end_matches('\n');
        let got = load(name);
        checked += 1;
        let ok = match differences.check(&format!("numpy:{name}"), "-", expected, &got) {
            Ok(true) => true,
            Ok(false) => matches!(&got, Ok(v) if v.to_string() == expected),
            Err(why) => {
                failures.push(format!("{name}: {why}"));
                true
            }
        };
        if !ok {
            failures.push(format!(
                "{name}:\n  expected {expected:.300}\n       got {:.300}",
                match &got {
                    Ok(v) => v.to_string(),
                    Err(e) => format!("error: {e}"),
                }
            ));
        }
    }
    assert!(checked >= 120, "only {checked} cases");
    differences.assert_all_met("numpy:");
    assert!(
        failures.is_empty(),
        "{} of {checked} differ:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

/// Every element as numpy itself loaded it (`NAME.numpy`, numpy_oracle.describe): the
/// crate's dtype, shape, memory order and bytes or objects, decoded by
/// tests/support/numpy_oracle.rs, not by the crate's Display.
#[test]
fn numpy_elements_match_numpy() {
    let loader = Unpickler::new().policy(presets::numpy());
    let mut failures = Vec::new();
    let mut checked = 0;
    for (index, npy_file) in [("index.tsv", false), ("npy_index.tsv", true)] {
        let index = fs::read_to_string(dir().join(index)).unwrap();
        for line in index.lines() {
            let name = line.split('\t').next().unwrap();
            let Ok(expected) = fs::read_to_string(dir().join(format!("{name}.numpy"))) else {
                // numpy failed on it: numpy_fixtures_match_numpy checks the error.
                let expect = fs::read_to_string(dir().join(format!("{name}.expect"))).unwrap();
                assert!(expect.starts_with("ERROR: "), "{name}.numpy is missing");
                continue;
            };
            let got = if npy_file {
                let data = fs::read(dir().join(format!("{name}.npy"))).unwrap();
                npy::load(&data, &loader).map(|a| Value::NdArray(Box::new(a)))
            } else {
                load(name)
            };
            checked += 1;
            let got = match got {
                Ok(v) => numpy_oracle::describe(&v),
                Err(e) => format!("error: {e}"),
            };
            let expected = numpy_oracle::known_differences(expected.trim_end_matches('\n'));
            if got != expected {
                failures.push(format!(
                    "{name}:\n  numpy {expected:.400}\n  crate {got:.400}"
                ));
            }
        }
    }
    assert!(checked >= 127, "only {checked} cases");
    assert!(
        failures.is_empty(),
        "{} of {checked} differ from numpy:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

fn array(v: &Value) -> &NdArray {
    v.as_ndarray()
        .unwrap_or_else(|| panic!("not an array: {v}"))
}

fn list(v: Value) -> Vec<Value> {
    match v {
        Value::List(items) => items.into(),
        other => panic!("not a list: {other}"),
    }
}

#[test]
fn typed_accessors() {
    // Values as numpy wrote them in make_numpy_fixtures.py (and its .expect files show).
    let f64s = load("f64_p5").unwrap();
    let a = array(&f64s).to_f64().unwrap();
    assert_eq!(a.len(), 11);
    assert_eq!(a[2], 1.5);
    assert!(a[1] == 0.0 && a[1].is_sign_negative());
    assert!(a[8].is_nan());

    let f32s = load("f32_np1_p2").unwrap();
    assert_eq!(array(&f32s).to_f32().unwrap()[0], 0.1f32);
    assert!(array(&f32s).to_f64().is_none());

    let f16 = load("f16_p3").unwrap();
    assert_eq!(
        array(&f16).to_f16_bits().unwrap()[..3],
        [0x3800, 0xc000, 0x7bff]
    );

    let ints = list(load("ints_p2").unwrap());
    assert_eq!(array(&ints[0]).raw_bytes().unwrap(), &[0x80, 0, 0x7f]);
    assert_eq!(array(&ints[3]).dtype().descr(), "<i8");
    assert_eq!(array(&ints[3]).shape(), &[2]);

    let big = list(load("big_endian_p5").unwrap());
    assert_eq!(array(&big[0]).dtype().byteorder(), ByteOrder::Big);
    assert_eq!(array(&big[0]).to_f64().unwrap(), vec![1.5, -2.25]);
    assert_eq!(array(&big[2]).to_complex128().unwrap(), vec![(1.0, 1.0)]);
    assert_eq!(
        array(&big[3]).to_strings().unwrap(),
        vec![Ok("abé".to_owned())]
    );
    // Through _reconstruct numpy converts to the native order, keeping the values.
    let big2 = list(load("big_endian_p2").unwrap());
    assert_eq!(array(&big2[0]).dtype().byteorder(), ByteOrder::native());
    assert_eq!(array(&big2[0]).to_f64().unwrap(), vec![1.5, -2.25]);

    let fortran = load("fortran_2d_p5").unwrap();
    let f = array(&fortran);
    assert!(f.is_fortran());
    assert_eq!(f.shape(), &[2, 3]);
    assert_eq!(
        f.raw_bytes().unwrap(),
        &[0, 0, 3, 0, 1, 0, 4, 0, 2, 0, 5, 0]
    );

    let b = load("bool_2d_p3").unwrap();
    assert_eq!(
        array(&b).to_bool().unwrap(),
        vec![true, false, true, false, false, true]
    );

    let c = list(load("complex_p5").unwrap());
    assert_eq!(array(&c[1]).to_complex64().unwrap(), vec![(0.1f32, 0.2f32)]);

    let s = load("bytes_s_p2").unwrap();
    assert_eq!(array(&s).to_fixed_bytes().unwrap()[2], b"a\x00b\xff\x00");

    let u = load("str_u_p5").unwrap();
    assert_eq!(
        array(&u).to_strings().unwrap()[2],
        Ok("\u{1F600}x".to_owned())
    );

    let st = load("structured_p2").unwrap();
    let fields = array(&st).dtype().fields().unwrap();
    assert_eq!(fields[1].name(), "b");
    assert_eq!(fields[1].offset(), 4);
    assert_eq!(fields[1].dtype().subarray().unwrap().1, &[2]);

    let dt = list(load("datetime_p3").unwrap());
    assert_eq!(array(&dt[0]).dtype().kind(), DtypeKind::Datetime);
    assert_eq!(array(&dt[0]).dtype().datetime_unit(), Some(("s", 1)));

    let obj = load("object_p5").unwrap();
    assert_eq!(array(&obj).objects().unwrap()[1], Value::Str("x".into()));

    let empty = list(load("empty_p2").unwrap());
    assert_eq!(array(&empty[0]).shape(), &[0, 3]);
    assert!(array(&empty[0]).is_empty());

    let zero_d = load("zero_d_np1_p5").unwrap();
    assert_eq!(array(&zero_d).shape(), &[] as &[usize]);
    assert_eq!(array(&zero_d).to_f64().unwrap(), vec![3.25]);
}

fn err_kind(data: &[u8]) -> ErrorKind {
    let e = Unpickler::new()
        .policy(presets::numpy())
        .load_slice(data)
        .unwrap_err();
    match e.kind() {
        ErrorKind::Construct { global, message } => ErrorKind::Construct {
            global: global.clone(),
            message: message.clone(),
        },
        ErrorKind::Limit { limit, max } => ErrorKind::Limit {
            limit: *limit,
            max: *max,
        },
        other => panic!("unexpected error kind {other:?}"),
    }
}

const RECON: &[u8] = b"cnumpy._core.multiarray\n_reconstruct\n";
const ND: &[u8] = b"cnumpy\nndarray\n";

/// `_reconstruct(ndarray, (0,), b'b')` followed by BUILD with a state tuple built from
/// `shape` (protocol 2 opcodes), dtype `'<f8'` (or object), `is_fortran` False and `data`.
fn hostile_array(shape: &[u8], dtype: &[u8], data: &[u8]) -> Vec<u8> {
    let mut p = b"\x80\x02".to_vec();
    p.extend_from_slice(RECON);
    p.extend_from_slice(ND);
    p.extend_from_slice(b"K\x00\x85C\x01b\x87R(K\x01");
    p.extend_from_slice(shape);
    p.extend_from_slice(b"cnumpy\ndtype\n");
    p.extend_from_slice(dtype);
    p.extend_from_slice(
        b"\x89\x88\x87R(K\x03X\x01\x00\x00\x00<NNNJ\xff\xff\xff\xffJ\xff\xff\xff\xffK\x00tb\x89",
    );
    p.extend_from_slice(data);
    p.extend_from_slice(b"tb.");
    p
}

#[test]
fn hostile_arrays_are_rejected() {
    let f8 = b"X\x02\x00\x00\x00f8".as_slice();
    // The same array well-formed loads.
    let ok = hostile_array(b"K\x01\x85", f8, b"C\x08\x00\x00\x00\x00\x00\x00\xf0?");
    let v = Unpickler::new()
        .policy(presets::numpy())
        .load_slice(&ok)
        .unwrap();
    assert_eq!(v.to_string(), "array([1.0], dtype='<f8')");

    let cases: &[(&str, Vec<u8>)] = &[
        // 2^62 × 2^62 elements: the element count overflows.
        (
            "overflow",
            hostile_array(
                b"\x8a\x08\x00\x00\x00\x00\x00\x00\x00@\x8a\x08\x00\x00\x00\x00\x00\x00\x00@\x86",
                f8,
                b"C\x00",
            ),
        ),
        // 2^61 elements × 8 bytes overflows usize.
        (
            "itemsize overflow",
            hostile_array(b"\x8a\x08\x00\x00\x00\x00\x00\x00\x00 \x85", f8, b"C\x00"),
        ),
        (
            "short",
            hostile_array(b"K\x03\x85", f8, b"C\x08\x00\x00\x00\x00\x00\x00\xf0?"),
        ),
        (
            "long",
            hostile_array(
                b"K\x01\x85",
                f8,
                b"C\x10\x00\x00\x00\x00\x00\x00\xf0?\x00\x00\x00\x00\x00\x00\xf0?",
            ),
        ),
        (
            "negative",
            hostile_array(b"J\xff\xff\xff\xff\x85", f8, b"C\x00"),
        ),
        (
            "bad dtype",
            hostile_array(b"K\x01\x85", b"X\x02\x00\x00\x00q9", b"C\x00"),
        ),
        // numpy reads past the end of a short object list; this crate refuses it.
        (
            "object count",
            hostile_array(b"K\x03\x85", b"X\x02\x00\x00\x00O8", b"]K\x01a"),
        ),
        // Data for an object array must be a list.
        (
            "object bytes",
            hostile_array(b"K\x01\x85", b"X\x02\x00\x00\x00O8", b"C\x00"),
        ),
    ];
    // The exact constructor error for each (numpy's own messages where it has one; the
    // fixtures `hostile_*` compare the same errors with numpy's in oracle_differences.tsv).
    const R: &str = "numpy._core.multiarray._reconstruct";
    let expected: &[(&str, &str)] = &[
        (R, "array is too big; `arr.size * arr.dtype.itemsize` is larger than the maximum possible size."),
        (R, "array is too big"),
        (R, "buffer size does not match array size: 8 bytes for 24 expected"),
        (R, "buffer size does not match array size: 16 bytes for 8 expected"),
        (R, "negative dimensions are not allowed"),
        ("numpy.dtype", "data type \"q9\" not understood"),
        (R, "object array of 1 elements for shape [3]"),
        (R, "object pickle not returning list"),
    ];
    assert_eq!(cases.len(), expected.len());
    for ((what, data), (global, message)) in cases.iter().zip(expected) {
        match err_kind(data) {
            ErrorKind::Construct {
                global: g,
                message: m,
            } => {
                assert_eq!((g.as_str(), m.as_str()), (*global, *message), "{what}")
            }
            other => panic!("{what}: {other:?}"),
        }
    }

    // _reconstruct of a class that is not numpy.ndarray (builtins.list may be named
    // under the preset, as a defaultdict factory).
    let mut p = b"\x80\x02".to_vec();
    p.extend_from_slice(RECON);
    p.extend_from_slice(b"cbuiltins\nlist\nK\x00\x85C\x01b\x87R.");
    match err_kind(&p) {
        ErrorKind::Construct { global, message } => {
            assert_eq!(global, "numpy._core.multiarray._reconstruct");
            assert!(message.contains("builtins.list"), "{message}");
        }
        other => panic!("{other:?}"),
    }
}

/// Object arrays nested `n` deep, built bottom-up through the memo:
/// `a = _reconstruct(...); a.__setstate__((1, (1,), dtype('O'), False, [inner]))`.
fn nested_object_arrays(n: usize) -> Vec<u8> {
    let mut p = b"\x80\x02".to_vec();
    p.extend_from_slice(RECON);
    p.extend_from_slice(b"q\x01");
    p.extend_from_slice(ND);
    p.extend_from_slice(b"q\x02cnumpy\ndtype\nX\x02\x00\x00\x00O8\x89\x88\x87R(K\x03X\x01\x00\x00\x00|NNNJ\xff\xff\xff\xffJ\xff\xff\xff\xffK?tbq\x030");
    // Innermost: an empty object array.
    p.extend_from_slice(b"h\x01h\x02K\x00\x85C\x01b\x87R(K\x01K\x00\x85h\x03\x89]tbq\x000");
    for _ in 0..n {
        p.extend_from_slice(
            b"h\x01h\x02K\x00\x85C\x01b\x87R(K\x01K\x01\x85h\x03\x89]h\x00atbq\x000",
        );
    }
    p.extend_from_slice(b"h\x00.");
    p
}

#[test]
fn deeply_nested_object_arrays_hit_the_depth_limit() {
    let loader = Unpickler::new().policy(presets::numpy());
    let e = loader
        .load_slice(&nested_object_arrays(100_000))
        .unwrap_err();
    assert!(
        matches!(
            e.kind(),
            ErrorKind::Limit {
                limit: Limit::Depth,
                max: 1000
            }
        ),
        "{e}"
    );
    let v = loader.load_slice(&nested_object_arrays(2)).unwrap();
    assert_eq!(
        v.to_string(),
        "array([array([array([], dtype='|O')], dtype='|O')], dtype='|O')"
    );
    // 900 levels are within the default depth limit of 1000.
    let v = loader.load_slice(&nested_object_arrays(900)).unwrap();
    assert!(v.to_string().starts_with("array([array(["));
}

#[test]
fn npy_files_match_numpy() {
    let index = fs::read_to_string(dir().join("npy_index.tsv")).unwrap();
    let loader = Unpickler::new().policy(presets::numpy());
    let mut n = 0;
    for line in index.lines() {
        let name = line.split('\t').next().unwrap();
        let data = fs::read(dir().join(format!("{name}.npy"))).unwrap();
        let expected = fs::read_to_string(dir().join(format!("{name}.expect"))).unwrap();
        let a = npy::load(&data, &loader).unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(
            Value::NdArray(Box::new(a)).to_string(),
            expected.trim_end(),
            "{name}"
        );
        n += 1;
    }
    assert_eq!(n, 7);
    let v3 = fs::read(dir().join("npy_str_v3.npy")).unwrap();
    assert_eq!(npy::parse_header(&v3).unwrap().version, (3, 0));
    // An object .npy under a policy without numpy is refused, not executed.
    let obj = fs::read(dir().join("npy_object.npy")).unwrap();
    let e = npy::load(&obj, &Unpickler::new()).unwrap_err();
    assert!(matches!(e.kind(), ErrorKind::Refused { .. }), "{e}");
}

fn npy_file(header: &str, data: &[u8]) -> Vec<u8> {
    let mut f = b"\x93NUMPY\x01\x00".to_vec();
    let mut h = header.to_owned();
    while (10 + h.len() + 1) % 64 != 0 {
        h.push(' ');
    }
    h.push('\n');
    f.extend_from_slice(&(h.len() as u16).to_le_bytes());
    f.extend_from_slice(h.as_bytes());
    f.extend_from_slice(data);
    f
}

#[test]
fn hostile_npy_headers() {
    let loader = Unpickler::new().policy(presets::numpy());
    let good = npy_file(
        "{'descr': '<i2', 'fortran_order': False, 'shape': (2,), }",
        &[1, 0, 2, 0],
    );
    assert_eq!(
        npy::load(&good, &loader).unwrap().raw_bytes().unwrap(),
        &[1, 0, 2, 0]
    );
    let malformed = [
        npy_file(
            "{'descr': '<i2', 'fortran_order': False, 'shape': (-2,), }",
            &[],
        ),
        npy_file(
            "{'descr': '<q9', 'fortran_order': False, 'shape': (1,), }",
            &[0; 9],
        ),
        npy_file(
            "{'descr': '<i2', 'fortran_order': False, 'shape': (4611686018427387904, 4), }",
            &[],
        ),
        npy_file(
            "{'descr': '<i2', 'fortran_order': 0, 'shape': (1,), }",
            &[0, 0],
        ),
        npy_file(
            "{'descr': '<i2', 'fortran_order': False, 'shape': (1,), 'x': 1}",
            &[0, 0],
        ),
        npy_file("{'descr': '<i2', 'shape': (1,), }", &[0, 0]),
        npy_file(
            "{'descr': '<i2', 'fortran_order': False, 'shape': (1), }",
            &[0, 0],
        ),
        npy_file(
            "{'descr': '<i2', 'fortran_order': False, 'shape': (1,), }",
            &[0, 0, 0],
        ),
        npy_file("__import__('os').system('ls')", &[]),
        b"\x93NUMPY\x04\x00\x00\x00".to_vec(),
        b"\x93NUMPX\x01\x00\x00\x00".to_vec(),
    ];
    for (i, f) in malformed.iter().enumerate() {
        let e = npy::load(f, &loader).unwrap_err();
        assert!(matches!(e.kind(), ErrorKind::Malformed(_)), "case {i}: {e}");
    }
    let short = npy_file(
        "{'descr': '<i2', 'fortran_order': False, 'shape': (3,), }",
        &[0, 0],
    );
    assert!(npy::load(&short, &loader).unwrap_err().is_eof());
    assert!(npy::load(&good[..20], &loader).unwrap_err().is_eof());
}
