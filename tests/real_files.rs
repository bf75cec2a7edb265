//! Real files written by numpy, pandas, scikit-learn and joblib (copied from the files'
//! makers into `tests/data/real`, with `manifest.json`). `expected.tsv` is derived from the
//! manifest by `tests/data/real/make_expected.py`, which also asked CPython's restricted
//! unpickler (policy "numpy") for the first global it refuses in each non-numpy file.

use std::fs;
use std::path::{Path, PathBuf};

use unpickle::value::{ByteOrder, NdArray};
use unpickle::{npy, presets, ErrorKind, Unpickler, Value};

fn dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/real")
}

fn numpy_loader() -> Unpickler {
    Unpickler::new().policy(presets::numpy())
}

fn load(name: &str, loader: &Unpickler) -> Result<Value, unpickle::Error> {
    let data = fs::read(dir().join(name)).unwrap();
    if name.ends_with(".npy") {
        return npy::load(&data, loader).map(|a| Value::NdArray(Box::new(a)));
    }
    loader.load_slice(&data)
}

fn shape_repr(shape: &[usize]) -> String {
    match shape {
        [] => "()".to_owned(),
        [d] => format!("({d},)"),
        _ => format!(
            "({})",
            shape
                .iter()
                .map(|d| d.to_string())
                .collect::<Vec<_>>()
                .join(", ")
        ),
    }
}

/// The manifest's dtype as this crate reports it: arrays that go through numpy's
/// `ndarray.__setstate__` (every pickle but protocol 5's `_frombuffer`) are converted to
/// the native byte order by numpy itself, keeping their values.
fn expected_descr(name: &str, dtype: &str) -> String {
    let via_setstate = !name.ends_with("_p5.pkl") || dtype == "|O";
    match dtype.strip_prefix(['<', '>']) {
        Some(rest) if via_setstate => format!("{}{rest}", ByteOrder::native().as_char()),
        _ => dtype.to_owned(),
    }
}

fn check_array(what: &str, name: &str, a: &NdArray, cols: &[&str]) {
    let [dtype, shape, fortran, values] = cols else {
        panic!("bad expected.tsv row for {what}");
    };
    assert_eq!(
        a.dtype().descr(),
        expected_descr(name, dtype),
        "{what}: dtype"
    );
    assert_eq!(shape_repr(a.shape()), *shape, "{what}: shape");
    if a.shape().len() > 1 {
        assert_eq!(a.is_fortran(), *fortran == "True", "{what}: order");
    }
    // The elements as Python lists: the part of the Display between `array(` and
    // `, dtype=` (documented to be `repr(a.tolist())`).
    let text = Value::NdArray(Box::new(a.clone())).to_string();
    let body = text
        .strip_prefix("array(")
        .and_then(|t| t.rsplit_once(", dtype="))
        .map(|(b, _)| b)
        .unwrap();
    assert_eq!(body, *values, "{what}: values");
}

#[test]
fn real_files_match_their_manifest() {
    let expected = fs::read_to_string(dir().join("expected.tsv")).unwrap();
    let mut checked = 0;
    for line in expected.lines() {
        let cols: Vec<&str> = line.split('\t').collect();
        let (name, kind, rest) = (cols[0], cols[1], &cols[2..]);
        checked += 1;
        match kind {
            "array" => {
                let v = load(name, &numpy_loader()).unwrap_or_else(|e| panic!("{name}: {e}"));
                check_array(name, name, v.as_ndarray().unwrap(), rest);
            }
            "dict" => {
                let v = load(name, &numpy_loader()).unwrap();
                let a = v
                    .as_dict()
                    .unwrap()
                    .get(rest[0])
                    .unwrap()
                    .as_ndarray()
                    .unwrap();
                check_array(&format!("{name}[{}]", rest[0]), name, a, &rest[1..]);
            }
            "scalar" => {
                let v = load(name, &numpy_loader()).unwrap();
                let Value::NumpyScalar(s) = &v else {
                    panic!("{name}: not a numpy scalar: {v}")
                };
                assert_eq!(s.dtype().descr(), rest[0], "{name}");
                let text = v.to_string();
                let shown = match text.as_str() {
                    "np.True_" => "True",
                    "np.False_" => "False",
                    t => t.split_once('(').unwrap().1.strip_suffix(')').unwrap(),
                };
                assert_eq!(shown, rest[1], "{name}");
            }
            "refused" => {
                let e = load(name, &numpy_loader()).unwrap_err();
                match e.kind() {
                    ErrorKind::Refused { module, name: n } => {
                        assert_eq!(format!("{module}.{n}"), rest[0], "{name}")
                    }
                    other => panic!("{name}: {other:?}"),
                }
                let opaque = load(name, &Unpickler::new().policy(presets::opaque()));
                if rest[1] == "ok" {
                    // The top-level object is an instance of the class CPython's
                    // restricted unpickler refused first, created and given its state.
                    let v = opaque.unwrap_or_else(|e| panic!("{name} under opaque: {e}"));
                    let head = format!("{0}.__new__({0}).__setstate__({{", rest[0]);
                    let text = v.to_string();
                    assert!(text.starts_with(&head), "{name}: {:.200}", text);
                } else {
                    assert!(rest[1].starts_with("malformed"), "{name}: {}", rest[1]);
                    let e = opaque.unwrap_err();
                    assert!(matches!(e.kind(), ErrorKind::Malformed(_)), "{name}: {e}");
                }
            }
            other => panic!("unknown kind {other}"),
        }
    }
    assert_eq!(checked, 50);
}

#[test]
fn pandas_under_opaque_names_its_classes() {
    let v = load(
        "pandas_frame_p4.pkl",
        &Unpickler::new().policy(presets::opaque()),
    )
    .unwrap();
    assert!(v.to_string().contains("pandas"), "{v}");
}
