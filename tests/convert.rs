//! Checkpoints to safetensors (issue 13). Every file written here is read back with the
//! `safetensors` crate (`SafeTensors::deserialize`, which validates the header, the
//! offsets and the file length); where the crate's own writer is deterministic (one
//! metadata entry), the bytes must equal what it writes for the same tensors.
//!
//! - every real checkpoint of tests/data/torch/real converts, and each tensor reads back
//!   with the manifest's dtype, shape and sum (computed here from the written bytes);
//! - the refused ones (full module, with-object) write nothing and exit 3;
//! - shared storages: only the very same view is an alias (`{dropped: kept}`); the
//!   transposed full view of torch_views.pt reads back as the transpose;
//! - non-tensor values are kept as their repr (or left out with `--tensors-only`);
//! - dtypes safetensors cannot hold, names that clash, tensors without a name are errors.

#[path = "support/torch_manifest.rs"]
mod manifest;

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};
use std::process::Command;

use manifest::{dir, expected, list};
use safetensors::tensor::{Dtype, SafeTensors, View};
use unpickle::convert::{self, ConvertError, Options};
use unpickle::torch::{self, Buffer, ByteOrder, DType, Storage, Tensor};
use unpickle::value::{CallKind, Global, Object};
use unpickle::{Dict, ErrorKind, Key, Value};

/// The safetensors names of torch dtypes, from the safetensors Python bindings'
/// `parse_dtype_str` (the oracle for the mapping).
fn st_name(torch_dtype: &str) -> &'static str {
    match torch_dtype {
        "torch.float64" => "F64",
        "torch.float32" => "F32",
        "torch.float16" => "F16",
        "torch.bfloat16" => "BF16",
        "torch.int8" => "I8",
        "torch.uint8" => "U8",
        "torch.int16" => "I16",
        "torch.int32" => "I32",
        "torch.int64" => "I64",
        "torch.bool" => "BOOL",
        "torch.complex64" => "C64",
        other => panic!("no safetensors name listed for {other}"),
    }
}

/// The crate's dtype of that name.
fn st_dtype(name: &str) -> Dtype {
    const ALL: &[Dtype] = &[
        Dtype::BOOL,
        Dtype::F4,
        Dtype::U8,
        Dtype::I8,
        Dtype::F8_E5M2,
        Dtype::F8_E4M3,
        Dtype::F8_E8M0,
        Dtype::F8_E4M3FNUZ,
        Dtype::F8_E5M2FNUZ,
        Dtype::I16,
        Dtype::U16,
        Dtype::F16,
        Dtype::BF16,
        Dtype::I32,
        Dtype::U32,
        Dtype::F32,
        Dtype::C64,
        Dtype::F64,
        Dtype::I64,
        Dtype::U64,
    ];
    *ALL.iter()
        .find(|d| d.to_string() == name)
        .unwrap_or_else(|| panic!("{name}"))
}

/// IEEE half to f64.
fn half(h: u16) -> f64 {
    let sign = if h & 0x8000 != 0 { -1.0 } else { 1.0 };
    let e = i32::from((h >> 10) & 0x1f);
    let m = f64::from(h & 0x3ff);
    sign * match e {
        0 => m * 2f64.powi(-24),
        31 => f64::NAN,
        _ => (1.0 + m / 1024.0) * 2f64.powi(e - 15),
    }
}

/// The elements of little-endian `data` of safetensors dtype `dtype` as f64 (complex:
/// real parts).
fn decode(dtype: &str, data: &[u8]) -> Vec<f64> {
    let c = |n: usize| data.chunks_exact(n);
    match dtype {
        "F64" => c(8)
            .map(|b| f64::from_le_bytes(b.try_into().unwrap()))
            .collect(),
        "F32" => c(4)
            .map(|b| f64::from(f32::from_le_bytes(b.try_into().unwrap())))
            .collect(),
        "C64" => c(8)
            .map(|b| f64::from(f32::from_le_bytes(b[..4].try_into().unwrap())))
            .collect(),
        "F16" => c(2)
            .map(|b| half(u16::from_le_bytes(b.try_into().unwrap())))
            .collect(),
        "BF16" => c(2)
            .map(|b| {
                f64::from(f32::from_bits(
                    u32::from(u16::from_le_bytes(b.try_into().unwrap())) << 16,
                ))
            })
            .collect(),
        "I8" => data.iter().map(|&b| f64::from(b as i8)).collect(),
        "U8" | "BOOL" => data.iter().map(|&b| f64::from(b)).collect(),
        "I16" => c(2)
            .map(|b| f64::from(i16::from_le_bytes(b.try_into().unwrap())))
            .collect(),
        "I32" => c(4)
            .map(|b| f64::from(i32::from_le_bytes(b.try_into().unwrap())))
            .collect(),
        "I64" => c(8)
            .map(|b| i64::from_le_bytes(b.try_into().unwrap()) as f64)
            .collect(),
        other => panic!("no decoder for {other}"),
    }
}

/// A tensor read back: dtype name, shape, bytes.
type Read = (String, Vec<usize>, Vec<u8>);

/// Reads a safetensors file with the crate: its tensors and its metadata.
fn read_back(bytes: &[u8]) -> (BTreeMap<String, Read>, HashMap<String, String>) {
    let st = SafeTensors::deserialize(bytes).expect("the safetensors crate rejects the file");
    let tensors = st
        .tensors()
        .into_iter()
        .map(|(n, v)| {
            (
                n,
                (v.dtype().to_string(), v.shape().to_vec(), v.data().to_vec()),
            )
        })
        .collect();
    let (_, meta) = SafeTensors::read_metadata(bytes).unwrap();
    (tensors, meta.metadata().clone().unwrap_or_default())
}

fn convert_value(v: &Value, opts: &Options) -> unpickle::Result<Vec<u8>> {
    let mut out = Vec::new();
    convert::write_value(v, &mut out, opts)?;
    Ok(out)
}

/// The flattened name of a manifest path (`/state/0/momentum_buffer` →
/// `state.0.momentum_buffer`).
fn flat(path: &str) -> String {
    path.trim_start_matches('/').replace('/', ".")
}

#[test]
fn every_real_checkpoint_converts_with_the_manifest_facts() {
    let (ok, _) = expected();
    assert_eq!(ok.len(), 8);
    for (file, tensors) in &ok {
        let ckpt = torch::load(dir().join(file)).unwrap();
        let mut out = Vec::new();
        let report = convert::write(&ckpt, &mut out, &Options::new()).unwrap();
        let (got, meta) = read_back(&out);
        assert_eq!(meta.get("format").map(String::as_str), Some("pt"), "{file}");
        assert_eq!(got.len(), tensors.len(), "{file}: tensor count");
        assert_eq!(report.tensors, tensors.len(), "{file}");
        assert_eq!(report.aliases, 0, "{file}");
        assert_eq!(
            report.header_bytes + report.data_bytes,
            out.len() as u64,
            "{file}"
        );
        for e in tensors {
            let name = flat(&e.path);
            let what = format!("{file} {name}");
            let (dtype, shape, data) = got.get(&name).unwrap_or_else(|| panic!("{what}"));
            assert_eq!(dtype, st_name(&e.dtype), "{what}");
            assert_eq!(list(shape), e.shape, "{what}");
            let values = decode(dtype, data);
            assert_eq!(values.len(), shape.iter().product::<usize>(), "{what}");
            let s: f64 = values.iter().sum();
            let tol = 1e-12 * values.iter().map(|x| x.abs()).sum::<f64>();
            assert!(
                (s - e.sum).abs() <= tol,
                "{what}: sum {s} != {} (tolerance {tol})",
                e.sum
            );
        }
    }
}

/// The crate's writer as the oracle for the bytes: the same tensors, `{"format": "pt"}`.
struct Owned(Dtype, Vec<usize>, Vec<u8>);

impl View for &Owned {
    fn dtype(&self) -> Dtype {
        self.0
    }
    fn shape(&self) -> &[usize] {
        &self.1
    }
    fn data(&self) -> std::borrow::Cow<'_, [u8]> {
        std::borrow::Cow::Borrowed(&self.2)
    }
    fn data_len(&self) -> usize {
        self.2.len()
    }
}

fn crate_serialize(tensors: &BTreeMap<String, Owned>) -> Vec<u8> {
    let meta = std::collections::HashMap::from([("format".to_owned(), "pt".to_owned())]);
    safetensors::serialize(tensors.iter().map(|(k, v)| (k.as_str(), v)), Some(meta)).unwrap()
}

#[test]
fn real_checkpoints_match_the_safetensors_crates_writer_byte_for_byte() {
    let (ok, _) = expected();
    for file in ok.keys() {
        let ckpt = torch::load(dir().join(file)).unwrap();
        let mine = {
            let mut out = Vec::new();
            convert::write(&ckpt, &mut out, &Options::new().tensors_only(true)).unwrap();
            out
        };
        let tensors: BTreeMap<String, Owned> = ckpt
            .tensors()
            .into_iter()
            .map(|(p, t)| {
                let dt = st_dtype(st_name(&t.dtype().to_string()));
                let owned = Owned(dt, t.shape().to_vec(), t.to_contiguous_bytes().unwrap());
                (flat(&p), owned)
            })
            .collect();
        assert_eq!(mine, crate_serialize(&tensors), "{file}");
    }
}

#[test]
fn the_transposed_view_of_a_shared_storage_reads_back_transposed() {
    // torch_views.pt: base = arange(24).reshape(4, 6), t = base.t() (the whole storage,
    // transposed), row, col and slice: one storage. convert.py would record t as an
    // alias of base.
    let ckpt = torch::load(dir().join("torch_views.pt")).unwrap();
    let mut out = Vec::new();
    let report = convert::write(&ckpt, &mut out, &Options::new()).unwrap();
    assert_eq!(report.aliases, 0);
    let (got, meta) = read_back(&out);
    assert_eq!(meta.len(), 1, "{meta:?}");
    let f = |n: &str| decode("F32", &got[n].2);
    let (base, t) = (f("base"), f("t"));
    assert_eq!(got["t"].1, vec![6, 4]);
    for i in 0..6 {
        for j in 0..4 {
            assert_eq!(t[i * 4 + j], base[j * 6 + i], "t[{i}][{j}]");
        }
    }
    assert_eq!(f("row"), base[12..18].to_vec());
    assert_eq!(f("col"), vec![base[3], base[9], base[15], base[21]]);
    assert_eq!(f("slice"), [&base[8..11], &base[14..17]].concat());
}

// ---- hand-built values -------------------------------------------------------------

fn storage(key: &str, dtype: DType, bytes: Vec<u8>, order: ByteOrder) -> Storage {
    let len = bytes.len();
    let n = len / dtype.element_size();
    Storage::new(
        key,
        dtype,
        n,
        "cpu",
        order,
        Some((Buffer::new(bytes), 0..len)),
    )
    .unwrap()
}

fn f32_storage(key: &str, values: impl IntoIterator<Item = f32>) -> Storage {
    let bytes = values.into_iter().flat_map(f32::to_le_bytes).collect();
    storage(key, DType::Float32, bytes, ByteOrder::Little)
}

fn view(s: &Storage, dtype: DType, offset: i64, shape: &[i64], stride: &[i64]) -> Value {
    Value::Tensor(Box::new(
        Tensor::new(s.clone(), dtype, offset, shape, stride, false).unwrap(),
    ))
}

fn key(k: Value) -> Key {
    Key::new(k).unwrap()
}

fn dict(pairs: Vec<(&str, Value)>) -> Value {
    let mut d = Dict::default();
    for (k, v) in pairs {
        d.insert(key(Value::Str(k.into())), v);
    }
    Value::OrderedDict(Box::new(d))
}

fn convert_error(v: &Value) -> ConvertError {
    let e = convert_value(v, &Options::new()).unwrap_err();
    match e.kind() {
        ErrorKind::Convert(c) => c.clone(),
        other => panic!("{other:?}"),
    }
}

#[test]
fn only_the_very_same_view_is_an_alias() {
    let s = f32_storage("0", (0..6).map(|x| x as f32));
    let u8s = storage("1", DType::UInt8, vec![1, 2, 255], ByteOrder::Little);
    let v = dict(vec![
        ("w", view(&s, DType::Float32, 0, &[2, 3], &[3, 1])),
        // The same view: an alias. "tied" sorts first, so it is the one written.
        ("tied", view(&s, DType::Float32, 0, &[2, 3], &[3, 1])),
        // The whole storage, transposed: its own copy.
        ("wt", view(&s, DType::Float32, 0, &[3, 2], &[1, 3])),
        // Same shape and stride, another offset: its own copy.
        ("tail", view(&s, DType::Float32, 3, &[1, 3], &[3, 1])),
        // The whole storage flat: its own copy (another shape).
        ("flat", view(&s, DType::Float32, 0, &[6], &[1])),
        // The same bytes as another dtype: its own copy.
        ("as_u8", view(&u8s, DType::UInt8, 0, &[3], &[1])),
        ("as_i8", view(&u8s, DType::Int8, 0, &[3], &[1])),
    ]);
    let out = convert_value(&v, &Options::new()).unwrap();
    let (got, meta) = read_back(&out);
    assert_eq!(
        meta,
        HashMap::from([
            ("format".to_owned(), "pt".to_owned()),
            ("w".to_owned(), "tied".to_owned())
        ])
    );
    let names: Vec<&str> = got.keys().map(String::as_str).collect();
    assert_eq!(names, ["as_i8", "as_u8", "flat", "tail", "tied", "wt"]);
    let f = |n: &str| decode(&got[n].0, &got[n].2);
    assert_eq!(f("tied"), [0., 1., 2., 3., 4., 5.]);
    assert_eq!(f("wt"), [0., 3., 1., 4., 2., 5.]);
    assert_eq!(f("tail"), [3., 4., 5.]);
    assert_eq!(f("as_u8"), [1., 2., 255.]);
    assert_eq!(f("as_i8"), [1., 2., -1.]);
    assert_eq!(got["as_i8"].0, "I8");
}

#[test]
fn nested_names_are_joined_with_dots_and_other_values_kept_as_repr() {
    let s = f32_storage("0", [1.0, 2.0]);
    let s2 = f32_storage("1", [3.0, 4.0]);
    let t = || view(&s, DType::Float32, 0, &[2], &[1]);
    let mut state = Dict::default();
    state.insert(
        key(Value::Int(0)),
        dict(vec![("step", Value::Int(5)), ("exp_avg", t())]),
    );
    let v = dict(vec![
        ("state", Value::Dict(Box::new(state))),
        (
            "param_groups",
            Value::List(
                vec![dict(vec![
                    ("lr", Value::Float(0.001)),
                    (
                        "betas",
                        Value::Tuple(vec![Value::Float(0.9), Value::Float(0.999)].into()),
                    ),
                    ("params", Value::List(vec![Value::Int(0)].into())),
                ])]
                .into(),
            ),
        ),
        ("name", Value::Str("it's".into())),
        ("empty", Value::List(Default::default())),
        (
            "pair",
            Value::Tuple(vec![Value::None, view(&s2, DType::Float32, 0, &[2], &[1])].into()),
        ),
    ]);
    let out = convert_value(&v, &Options::new()).unwrap();
    let (got, meta) = read_back(&out);
    let names: Vec<&str> = got.keys().map(String::as_str).collect();
    assert_eq!(names, ["pair.1", "state.0.exp_avg"]);
    let want = |k: &str, v: &Value| (k.to_owned(), v.to_string());
    let Value::OrderedDict(d) = &v else { panic!() };
    let get = |k: &str| d.get(&key(Value::Str(k.into()))).unwrap();
    let expect: HashMap<String, String> = [
        ("format".to_owned(), "pt".to_owned()),
        ("state.0.step".to_owned(), "5".to_owned()),
        want("param_groups", get("param_groups")),
        want("name", get("name")),
        ("empty".to_owned(), "[]".to_owned()),
        ("pair.0".to_owned(), "None".to_owned()),
    ]
    .into_iter()
    .collect();
    assert_eq!(meta, expect);
    assert_eq!(meta["name"], r#""it's""#);
    assert_eq!(
        meta["param_groups"],
        "[OrderedDict([('lr', 0.001), ('betas', (0.9, 0.999)), ('params', [0])])]"
    );

    // --tensors-only: the same tensors, only the format entry.
    let mut out = Vec::new();
    let report = convert::write_value(&v, &mut out, &Options::new().tensors_only(true)).unwrap();
    assert_eq!((report.values, report.values_left_out), (0, 5));
    let (got2, meta2) = read_back(&out);
    assert_eq!(got2, got);
    assert_eq!(meta2.len(), 1);
}

#[test]
fn the_metadata_keeps_value_order() {
    // Not checkable through the crate (its metadata is a hash map): read the header.
    let s = f32_storage("0", [1.0]);
    let v = dict(vec![
        ("z", Value::Int(1)),
        ("b", view(&s, DType::Float32, 0, &[1], &[1])),
        ("a", view(&s, DType::Float32, 0, &[1], &[1])),
        ("m", Value::Int(2)),
    ]);
    let out = convert_value(&v, &Options::new()).unwrap();
    let n = u64::from_le_bytes(out[..8].try_into().unwrap()) as usize;
    let header = std::str::from_utf8(&out[8..8 + n]).unwrap();
    assert!(
        header.starts_with(r#"{"__metadata__":{"format":"pt","z":"1","b":"a","m":"2"},"a":"#),
        "{header}"
    );
    assert_eq!(n % 8, 0);
    read_back(&out);
}

#[test]
fn names_are_escaped_as_the_crates_writer_escapes_them() {
    let s = f32_storage("0", (0..9).map(|x| x as f32));
    let odd = [
        "quote\"d",
        "back\\slash",
        "new\nline",
        "tab\tcr\r",
        "\u{1}\u{8}\u{c}\u{1f}",
        "del\u{7f}",
        "ünï€😀",
        "/slash/",
        "",
    ];
    let v = dict(
        odd.iter()
            .enumerate()
            .map(|(i, n)| (*n, view(&s, DType::Float32, i as i64, &[1], &[1])))
            .collect(),
    );
    let mine = convert_value(&v, &Options::new()).unwrap();
    let tensors: BTreeMap<String, Owned> = odd
        .iter()
        .enumerate()
        .map(|(i, n)| {
            let data = (i as f32).to_le_bytes().to_vec();
            (n.to_string(), Owned(Dtype::F32, vec![1], data))
        })
        .collect();
    assert_eq!(mine, crate_serialize(&tensors));
    let (got, _) = read_back(&mine);
    assert_eq!(got.len(), odd.len());
}

#[test]
fn big_endian_storages_are_written_little_endian() {
    let be: Vec<u8> = [1.5f32, -2.0, 3.25]
        .iter()
        .flat_map(|x| x.to_be_bytes())
        .collect();
    let s = storage("0", DType::Float32, be, ByteOrder::Big);
    let c: Vec<u8> = [(1.0f32, 2.0f32)]
        .iter()
        .flat_map(|(r, i)| [r.to_be_bytes(), i.to_be_bytes()].concat())
        .collect();
    let cs = storage("1", DType::Complex64, c, ByteOrder::Big);
    let v = dict(vec![
        ("x", view(&s, DType::Float32, 0, &[3], &[1])),
        ("rev", view(&s, DType::Float32, 1, &[2], &[1])),
        ("c", view(&cs, DType::Complex64, 0, &[1], &[1])),
    ]);
    let (got, _) = read_back(&convert_value(&v, &Options::new()).unwrap());
    assert_eq!(decode("F32", &got["x"].2), [1.5, -2.0, 3.25]);
    assert_eq!(decode("F32", &got["rev"].2), [-2.0, 3.25]);
    let c: Vec<u8> = [1.0f32.to_le_bytes(), 2.0f32.to_le_bytes()].concat();
    assert_eq!(got["c"], ("C64".to_owned(), vec![1], c));
}

#[test]
fn float8_and_float4_keep_their_bytes_and_float4_doubles_its_last_dimension() {
    let f8 = [
        (DType::Float8E5M2, "F8_E5M2"),
        (DType::Float8E4M3Fn, "F8_E4M3"),
        (DType::Float8E5M2Fnuz, "F8_E5M2FNUZ"),
        (DType::Float8E4M3Fnuz, "F8_E4M3FNUZ"),
        (DType::Float8E8M0Fnu, "F8_E8M0"),
        (DType::UInt16, "U16"),
        (DType::UInt32, "U32"),
        (DType::UInt64, "U64"),
        (DType::Float4E2M1FnX2, "F4"),
    ];
    let mut pairs = Vec::new();
    let names: Vec<String> = f8.iter().map(|(d, _)| d.name().to_owned()).collect();
    for ((d, _), name) in f8.iter().zip(&names) {
        let es = d.element_size();
        let bytes: Vec<u8> = (0..6 * es as u8).collect();
        let s = storage(name, *d, bytes, ByteOrder::Little);
        pairs.push((name.as_str(), view(&s, *d, 0, &[2, 3], &[3, 1])));
    }
    let (got, _) = read_back(&convert_value(&dict(pairs), &Options::new()).unwrap());
    for ((d, st), name) in f8.iter().zip(&names) {
        let es = d.element_size();
        let shape = if *st == "F4" { vec![2, 6] } else { vec![2, 3] };
        let bytes: Vec<u8> = (0..6 * es as u8).collect();
        assert_eq!(got[name.as_str()], (st.to_string(), shape, bytes), "{name}");
    }
    // A 0-d float4 pair has no last dimension to double.
    let s = storage("0", DType::Float4E2M1FnX2, vec![7], ByteOrder::Little);
    let v = dict(vec![("x", view(&s, DType::Float4E2M1FnX2, 0, &[], &[]))]);
    assert!(matches!(convert_error(&v), ConvertError::ZeroDimF4 { name, .. } if name == "x"));
}

#[test]
fn a_dtype_safetensors_cannot_hold_is_an_error_naming_the_tensor() {
    for d in [
        DType::Complex128,
        DType::Complex32,
        DType::Bits8,
        DType::Bits16,
        DType::Bits1x8,
        DType::Bits2x4,
        DType::Bits4x2,
    ] {
        let s = storage("0", d, vec![0; d.element_size()], ByteOrder::Little);
        let f = f32_storage("1", [1.0]);
        let v = dict(vec![(
            "layer",
            dict(vec![
                ("ok", view(&f, DType::Float32, 0, &[1], &[1])),
                ("bad", view(&s, d, 0, &[1], &[1])),
            ]),
        )]);
        let e = convert_error(&v);
        assert_eq!(
            e,
            ConvertError::DType {
                name: "layer.bad".into(),
                dtype: d
            }
        );
        let msg = e.to_string();
        assert!(
            msg.contains("\"layer.bad\"") && msg.contains(&d.to_string()),
            "{msg}"
        );
    }
}

#[test]
fn clashing_and_reserved_names_are_errors() {
    let s = f32_storage("0", [1.0]);
    let t = || view(&s, DType::Float32, 0, &[1], &[1]);
    let clash = dict(vec![("a.b", t()), ("a", dict(vec![("b", t())]))]);
    assert_eq!(convert_error(&clash), ConvertError::NameClash("a.b".into()));
    let value_clash = dict(vec![("a.b", Value::Int(1)), ("a", dict(vec![("b", t())]))]);
    assert_eq!(
        convert_error(&value_clash),
        ConvertError::NameClash("a.b".into())
    );
    // An int key and a str key that print alike.
    let mut d = Dict::default();
    d.insert(key(Value::Int(0)), t());
    d.insert(key(Value::Str("0".into())), t());
    assert_eq!(
        convert_error(&Value::Dict(Box::new(d))),
        ConvertError::NameClash("0".into())
    );
    let format = dict(vec![("format", Value::Str("x".into())), ("w", t())]);
    assert_eq!(
        convert_error(&format),
        ConvertError::NameClash("format".into())
    );
    let meta = dict(vec![("__metadata__", t())]);
    assert_eq!(
        convert_error(&meta),
        ConvertError::NameClash("__metadata__".into())
    );
}

#[test]
fn tensors_without_a_name_and_bare_tensors_are_errors() {
    let s = f32_storage("0", [1.0]);
    let t = view(&s, DType::Float32, 0, &[1], &[1]);
    let obj = Value::Object(Box::new(Object {
        callable: Value::Global(Box::new(Global::new("mymod", "Holder"))),
        kind: CallKind::Call,
        args: vec![t.clone()],
        kwargs: vec![],
        mutations: vec![],
    }));
    let v = dict(vec![("outer", dict(vec![("holder", obj)]))]);
    assert_eq!(
        convert_error(&v),
        ConvertError::HiddenTensor {
            name: "outer.holder".into(),
            type_name: "object"
        }
    );
    assert!(matches!(
        convert_error(&t),
        ConvertError::NotAContainer(s) if s == "a bare tensor"
    ));
    assert!(matches!(
        convert_error(&Value::Int(1)),
        ConvertError::NotAContainer(_)
    ));
}

#[test]
fn a_storage_without_bytes_is_an_error() {
    let pkl = std::fs::read(dir().join("torch_embed_state.data.pkl")).unwrap();
    let v = torch::Loader::new().load_data_pkl(&pkl).unwrap();
    assert!(matches!(convert_error(&v), ConvertError::NotLoaded(_)));
}

// ---- files and the command line ----------------------------------------------------

fn scratch(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("unpickle-convert-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

fn listing(d: &Path) -> Vec<String> {
    let mut v: Vec<String> = std::fs::read_dir(d)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    v.sort();
    v
}

fn cli(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_unpickle"))
        .args(args)
        .output()
        .unwrap()
}

#[test]
fn the_command_converts_and_refused_checkpoints_leave_no_file() {
    let d = scratch("cli");
    let (ok, refused) = expected();
    assert_eq!(refused.len(), 2);
    for file in ok.keys() {
        let out = d.join(format!("{file}.safetensors"));
        let input = dir().join(file);
        let o = cli(&["convert", input.to_str().unwrap(), out.to_str().unwrap()]);
        assert_eq!(o.status.code(), Some(0), "{file}: {o:?}");
        // The same bytes as the library call.
        let ckpt = torch::load(&input).unwrap();
        let mut lib = Vec::new();
        convert::write(&ckpt, &mut lib, &Options::new()).unwrap();
        assert_eq!(std::fs::read(&out).unwrap(), lib, "{file}");
    }
    for (file, global) in &refused {
        let out = d.join(format!("{file}.safetensors"));
        let input = dir().join(file);
        let o = cli(&["convert", input.to_str().unwrap(), out.to_str().unwrap()]);
        assert_eq!(o.status.code(), Some(3), "{file}: {o:?}");
        let stderr = String::from_utf8_lossy(&o.stderr);
        assert!(stderr.contains("refused global"), "{file}: {stderr}");
        assert!(stderr.contains(global.as_str()), "{file}: {stderr}");
        assert!(!out.exists(), "{file}");
    }
    // Only the converted files: no temporary file left behind.
    let want: Vec<String> = ok.keys().map(|f| format!("{f}.safetensors")).collect();
    assert_eq!(listing(&d), want);

    // --tensors-only drops the values, not the tensors.
    let out = d.join("misc-t.safetensors");
    let input = dir().join("torch_misc.pt");
    let o = cli(&[
        "convert",
        "--tensors-only",
        input.to_str().unwrap(),
        out.to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(0), "{o:?}");
    let (t, meta) = read_back(&std::fs::read(&out).unwrap());
    assert_eq!(t.len(), 3);
    assert_eq!(meta.len(), 1);
    // Usage errors exit 2.
    assert_eq!(cli(&["convert", "only-one"]).status.code(), Some(2));
    assert_eq!(
        cli(&["convert", "--bogus", "a", "b"]).status.code(),
        Some(2)
    );
    std::fs::remove_dir_all(&d).unwrap();
}

#[test]
fn a_failed_write_leaves_neither_output_nor_temporary_file() {
    let d = scratch("fail");
    let ckpt = torch::load(dir().join("torch_embed_state.pt")).unwrap();
    // The rename fails: the output is a non-empty folder.
    let target = d.join("out.safetensors");
    std::fs::create_dir(&target).unwrap();
    std::fs::write(target.join("keep"), b"x").unwrap();
    let e = convert::write_file(&ckpt, &target, &Options::new()).unwrap_err();
    assert!(matches!(e.kind(), ErrorKind::Io(_)), "{e:?}");
    assert_eq!(listing(&d), ["out.safetensors"]);
    assert_eq!(listing(&target), ["keep"]);
    // A conversion error is found by `convert::plan`, which `write_file` runs before it
    // creates any file: nothing is created.
    let s = storage("0", DType::Complex128, vec![0; 16], ByteOrder::Little);
    let v = dict(vec![("c", view(&s, DType::Complex128, 0, &[1], &[1]))]);
    let e = convert::plan(&v, &Options::new()).unwrap_err();
    assert!(
        matches!(e.kind(), ErrorKind::Convert(ConvertError::DType { .. })),
        "{e:?}"
    );
    // An existing output is replaced whole on success.
    let out = d.join("model.safetensors");
    std::fs::write(&out, b"old").unwrap();
    convert::write_file(&ckpt, &out, &Options::new()).unwrap();
    read_back(&std::fs::read(&out).unwrap());
    assert_eq!(listing(&d), ["model.safetensors", "out.safetensors"]);
    std::fs::remove_dir_all(&d).unwrap();
}

#[test]
fn a_header_past_what_readers_accept_is_an_error_before_it_is_built() {
    // 26 MB of zero bytes print as 104 MB of b'\x00…': past the crate's 100 MB header.
    let s = f32_storage("0", [1.0]);
    let v = dict(vec![
        ("w", view(&s, DType::Float32, 0, &[1], &[1])),
        ("blob", Value::Bytes(vec![0; 26_000_000].into())),
    ]);
    assert_eq!(
        convert_error(&v),
        ConvertError::HeaderTooLarge("blob".into())
    );
    // Left out, it is no obstacle.
    let out = convert_value(&v, &Options::new().tensors_only(true)).unwrap();
    assert_eq!(read_back(&out).0.len(), 1);
}

/// A value loaded with `Unpickler::shared_references`: a container reached twice stands
/// once as `Value::Shared`; its tensors are found and named through it, as without it.
#[test]
fn tensors_inside_a_shared_container_are_written() {
    let s = f32_storage("0", [1.0, 2.0]);
    let inner = dict(vec![("w", view(&s, DType::Float32, 0, &[2], &[1]))]);
    let shared = Value::Shared(Box::new(unpickle::value::Shared {
        id: 0,
        value: inner.clone(),
    }));
    let plain = convert_value(&dict(vec![("layer", inner)]), &Options::new()).unwrap();
    let through = convert_value(&dict(vec![("layer", shared)]), &Options::new()).unwrap();
    let (tensors, _) = read_back(&through);
    assert_eq!(tensors.keys().collect::<Vec<_>>(), ["layer.w"]);
    assert_eq!(through, plain);
}
