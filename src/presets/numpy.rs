//! The constructors of the `numpy` preset: `ndarray` (through `_reconstruct` + BUILD and
//! protocol 5's `_frombuffer`), `dtype` (+ BUILD) and numpy scalars, under both the numpy
//! 1.x (`numpy.core`) and 2.x (`numpy._core`) module names.

use crate::policy::{Allowlist, Constructor};
use crate::value::ndarray::{parse_unit, MAX_DIMS};
use crate::value::{ByteOrder, Dtype, DtypeKind, Field, Global, NdArray, Value};

use super::stdlib::NameOnly;

/// The text of a short str/bytes argument (Python 2 pickles loaded with
/// `encoding='bytes'` give bytes).
fn text(v: &Value) -> Option<String> {
    match v {
        Value::Str(s) => Some(s.to_string()),
        Value::Bytes(b) => b
            .iter()
            .map(|&c| c.is_ascii().then_some(char::from(c)))
            .collect(),
        _ => None,
    }
}

fn int(v: &Value, what: &str) -> Result<i64, String> {
    v.as_i64()
        .ok_or_else(|| format!("{what} must be an int, not '{}'", v.type_name()))
}

/// Raw array data: bytes, or a str from a Python 2 pickle (latin-1, as numpy re-encodes it).
fn raw_data(v: Value) -> Result<Vec<u8>, String> {
    match v {
        Value::Bytes(b) | Value::ByteArray(b) => Ok(*b),
        Value::Str(s) => s
            .chars()
            .map(|c| u8::try_from(u32::from(c)).ok())
            .collect::<Option<Vec<u8>>>()
            .ok_or_else(|| "array data str is not latin-1".to_owned()),
        other => Err(format!(
            "array data must be bytes, not '{}'",
            other.type_name()
        )),
    }
}

fn shape(v: &Value) -> Result<Vec<usize>, String> {
    let dims = match v {
        Value::Tuple(items) => items,
        other => {
            return Err(format!(
                "shape must be a tuple, not '{}'",
                other.type_name()
            ))
        }
    };
    if dims.len() > MAX_DIMS {
        return Err(format!(
            "maximum supported dimension for an ndarray is currently {MAX_DIMS}, found {}",
            dims.len()
        ));
    }
    dims.iter()
        .map(|d| match d {
            Value::Int(i) if *i < 0 => Err("negative dimensions are not allowed".to_owned()),
            Value::Int(i) => usize::try_from(*i).map_err(|_| "dimension too large".to_owned()),
            Value::BigInt(_) => Err("Python int too large to convert to C ssize_t".to_owned()),
            other => Err(format!(
                "'{}' object cannot be interpreted as an integer",
                other.type_name()
            )),
        })
        .collect()
}

fn dtype_arg(v: Value) -> Result<Dtype, String> {
    match v {
        Value::Dtype(d) => Ok(*d),
        other => Err(format!(
            "expected a numpy.dtype, got '{}'",
            other.type_name()
        )),
    }
}

fn byteorder(v: &Value) -> Result<ByteOrder, String> {
    match text(v).as_deref() {
        Some("<") => Ok(ByteOrder::Little),
        Some(">") => Ok(ByteOrder::Big),
        Some("|") => Ok(ByteOrder::NotApplicable),
        Some("=") => Ok(ByteOrder::native()),
        _ => Err(format!("invalid byteorder {v} in dtype state")),
    }
}

/// `numpy.dtype(spec, align, copy)` and its `__setstate__`.
struct DtypeCtor;

impl Constructor for DtypeCtor {
    fn call(&self, _global: &Global, args: Vec<Value>) -> Result<Value, String> {
        let spec = match args.as_slice() {
            [spec, _, _] | [spec, _] | [spec] => spec,
            _ => return Err("dtype expected (str, align, copy)".to_owned()),
        };
        let spec = text(spec).ok_or("dtype expected a type string")?;
        Ok(Value::Dtype(Box::new(Dtype::parse(
            &spec,
            ByteOrder::native(),
        )?)))
    }

    fn build(&self, _global: &Global, obj: Value, state: Value) -> Result<Value, String> {
        let Value::Dtype(mut dt) = obj else {
            return Err("dtype state applied to something else".to_owned());
        };
        apply_dtype_state(&mut dt, state)?;
        Ok(Value::Dtype(dt))
    }
}

fn apply_dtype_state(dt: &mut Dtype, state: Value) -> Result<(), String> {
    let Value::Tuple(items) = state else {
        return Err("dtype state must be a tuple".to_owned());
    };
    let (version, rest) = match items.split_first() {
        Some((v, rest)) => (int(v, "dtype state version")?, rest),
        None => return Err("empty dtype state".to_owned()),
    };
    let (endian, subarray, names, fields, elsize, alignment, metadata) = match (version, rest) {
        (3, [e, s, n, f, el, al, _flags]) => (e, s, n, f, el, al, None),
        (4, [e, s, n, f, el, al, _flags, meta]) => (e, s, n, f, el, al, Some(meta)),
        _ => {
            return Err(format!(
                "unsupported dtype state: version {version} with {} items",
                items.len()
            ))
        }
    };
    let order = byteorder(endian)?;
    if dt.byteorder != ByteOrder::NotApplicable {
        if order == ByteOrder::NotApplicable {
            return Err(format!("byteorder '|' is not valid for {}", dt.descr()));
        }
        dt.byteorder = order;
    }
    let elsize = int(elsize, "dtype itemsize")?;
    let alignment = int(alignment, "dtype alignment")?;
    let flexible = matches!(dt.kind, DtypeKind::Bytes | DtypeKind::Str | DtypeKind::Void);
    if flexible {
        if elsize < 0 {
            return Err(format!("invalid itemsize {elsize} in dtype state"));
        }
        dt.itemsize = usize::try_from(elsize).map_err(|e| e.to_string())?;
        if dt.kind == DtypeKind::Str && dt.itemsize % 4 != 0 {
            return Err(format!("invalid itemsize {elsize} for a unicode dtype"));
        }
        if alignment > 0 {
            dt.alignment = usize::try_from(alignment).map_err(|e| e.to_string())?;
        }
    }
    // Subarray: (base dtype, shape).
    match subarray {
        Value::None => {}
        Value::Tuple(t) => {
            let [base, sub_shape] = t.as_slice() else {
                return Err("subarray state must be (dtype, shape)".to_owned());
            };
            let base = match base {
                Value::Dtype(d) => (**d).clone(),
                _ => return Err("subarray base must be a dtype".to_owned()),
            };
            let sub_shape = match sub_shape {
                Value::Int(_) => shape(&Value::tuple([sub_shape.clone()]))?,
                other => shape(other)?,
            };
            let total = crate::value::ndarray::element_count(&sub_shape)?
                .checked_mul(base.itemsize)
                .ok_or("subarray is too big")?;
            if !flexible || total != dt.itemsize {
                return Err(format!(
                    "subarray of {total} bytes in a dtype of {} bytes",
                    dt.itemsize
                ));
            }
            dt.subarray = Some(Box::new((base, sub_shape)));
        }
        _ => return Err("subarray state must be None or a tuple".to_owned()),
    }
    // Structured: names and fields.
    match (names, fields) {
        (Value::None, Value::None) => {}
        (Value::Tuple(names), Value::Dict(fields)) => {
            if dt.kind != DtypeKind::Void || fields.len() != names.len() {
                return Err("inconsistent names and fields in dtype state".to_owned());
            }
            let mut out = Vec::with_capacity(names.len());
            for name in names {
                let name = name.as_str().ok_or("field names must be str")?.to_owned();
                let entry = fields
                    .get(name.as_str())
                    .ok_or_else(|| format!("field {name:?} missing from dtype fields"))?;
                let (fdt, offset) = match entry.as_seq() {
                    Some([Value::Dtype(d), off]) | Some([Value::Dtype(d), off, Value::None]) => {
                        ((**d).clone(), int(off, "field offset")?)
                    }
                    Some([_, _, _]) => {
                        return Err("dtype field titles are not supported".to_owned())
                    }
                    _ => return Err(format!("bad dtype field entry for {name:?}")),
                };
                let offset = usize::try_from(offset).map_err(|_| "negative field offset")?;
                let end = offset
                    .checked_add(fdt.itemsize)
                    .ok_or("field offset too large")?;
                if end > dt.itemsize {
                    return Err(format!(
                        "field {name:?} ends at byte {end}, past the item size {}",
                        dt.itemsize
                    ));
                }
                if fdt.has_object() {
                    return Err("structured dtypes with object fields are not supported".to_owned());
                }
                out.push(Field {
                    name,
                    dtype: fdt,
                    offset,
                });
            }
            dt.fields = Some(out);
        }
        _ => return Err("inconsistent names and fields in dtype state".to_owned()),
    }
    // Datetime metadata: (metadata dict or None, (unit, num, den, events)).
    if matches!(dt.kind, DtypeKind::Datetime | DtypeKind::Timedelta) {
        let unit = match metadata {
            None => ("generic".to_owned(), 1),
            Some(Value::Tuple(t)) => match t.as_slice() {
                [_, Value::Tuple(u)] => match u.as_slice() {
                    [unit, num, ..] => {
                        let unit = text(unit).ok_or("datetime unit must be bytes")?;
                        let num = int(num, "datetime unit multiplier")?;
                        parse_unit(&format!("{num}{unit}"))
                            .ok_or_else(|| format!("invalid datetime unit {unit:?}"))?
                    }
                    _ => return Err("bad datetime metadata".to_owned()),
                },
                _ => return Err("bad datetime metadata".to_owned()),
            },
            Some(_) => return Err("bad datetime metadata".to_owned()),
        };
        dt.unit = Some(unit);
    }
    dt.nest = dt.compute_nest();
    Ok(())
}

fn is_ndarray(v: &Value) -> bool {
    matches!(v, Value::Global(g) if g.module == "numpy" && g.name == "ndarray")
}

/// `_reconstruct(numpy.ndarray, (0,), b'b')` then BUILD with
/// `(version, shape, dtype, is_fortran, data)` (or the 4-tuple without version).
struct Reconstruct;

impl Constructor for Reconstruct {
    fn call(&self, _global: &Global, args: Vec<Value>) -> Result<Value, String> {
        let [cls, shp, code] = args.as_slice() else {
            return Err(format!(
                "_reconstruct expected 3 arguments, got {}",
                args.len()
            ));
        };
        if !is_ndarray(cls) {
            return Err(format!("_reconstruct of {cls}, not numpy.ndarray"));
        }
        if shape(shp)? != [0] || text(code).as_deref() != Some("b") {
            return Err("_reconstruct expected (numpy.ndarray, (0,), b'b')".to_owned());
        }
        let dt = Dtype::parse("i1", ByteOrder::NotApplicable)?;
        Ok(Value::NdArray(Box::new(NdArray::from_bytes(
            dt,
            vec![0],
            false,
            Vec::new(),
        )?)))
    }

    fn build(&self, _global: &Global, obj: Value, state: Value) -> Result<Value, String> {
        if !matches!(obj, Value::NdArray(_)) {
            return Err("array state applied to something else".to_owned());
        }
        let Value::Tuple(items) = state else {
            return Err("ndarray state must be a tuple".to_owned());
        };
        let mut it = items.into_iter();
        let first = it.next();
        let (shp, dt, fortran, data) =
            match (first, it.next(), it.next(), it.next(), it.next(), it.next()) {
                (Some(Value::Int(_)), Some(s), Some(d), Some(f), Some(data), None) => {
                    (s, d, f, data)
                }
                (Some(s @ Value::Tuple(_)), Some(d), Some(f), Some(data), None, None) => {
                    (s, d, f, data)
                }
                _ => {
                    return Err(
                        "ndarray state must be (version, shape, dtype, is_fortran, data)"
                            .to_owned(),
                    )
                }
            };
        let shp = shape(&shp)?;
        let dt = dtype_arg(dt)?;
        let fortran = int(&fortran, "is_fortran")? != 0;
        let array = if dt.kind() == DtypeKind::Object {
            match data {
                Value::List(items) => NdArray::from_objects(dt, shp, fortran, items.into())?,
                _ => return Err("object pickle not returning list".to_owned()),
            }
        } else {
            let mut a = NdArray::from_bytes(dt, shp, fortran, raw_data(data)?)?;
            // numpy's __setstate__ byte-swaps to the native order.
            a.make_native();
            a
        };
        Ok(Value::NdArray(Box::new(array)))
    }
}

/// Protocol 5: `_frombuffer(buffer, dtype, shape, order)`.
fn frombuffer(args: Vec<Value>) -> Result<Value, String> {
    let Ok([buf, dt, shp, order]) = <[Value; 4]>::try_from(args) else {
        return Err("_frombuffer expected (buffer, dtype, shape, order)".to_owned());
    };
    let dt = dtype_arg(dt)?;
    if dt.has_object() {
        return Err("cannot create an OBJECT array from memory buffer".to_owned());
    }
    let fortran = match text(&order).as_deref() {
        Some("C") => false,
        Some("F") => true,
        _ => return Err(format!("order must be 'C' or 'F', not {order}")),
    };
    let data: Vec<u8> = match buf {
        Value::Bytes(b) | Value::ByteArray(b) => *b,
        other => {
            return Err(format!(
                "a bytes-like object is required, not '{}'",
                other.type_name()
            ))
        }
    };
    let shp = shape(&shp)?;
    Ok(Value::NdArray(Box::new(NdArray::from_bytes(
        dt, shp, fortran, data,
    )?)))
}

/// `scalar(dtype, data)`: a numpy scalar from its item bytes; for the object dtype, the
/// object itself.
fn scalar(args: Vec<Value>) -> Result<Value, String> {
    let Ok([dt, data]) = <[Value; 2]>::try_from(args) else {
        return Err("scalar expected (dtype, data)".to_owned());
    };
    let dt = dtype_arg(dt)?;
    if dt.kind() == DtypeKind::Object {
        return Ok(data);
    }
    let data = raw_data(data)?;
    if data.len() != dt.itemsize() {
        return Err(format!(
            "initialization data of {} bytes for an item of {}",
            data.len(),
            dt.itemsize()
        ));
    }
    // numpy writes an empty S or U scalar with an item size of 0 (dtype('<U0')), which no
    // dtype here has: it becomes one NUL character, which reads as the same empty string.
    let (dt, data) = match (dt.kind(), dt.itemsize()) {
        (k @ (DtypeKind::Bytes | DtypeKind::Str), 0) => {
            let spec = format!("{}{}1", dt.byteorder().as_char(), k.as_char());
            let unit = if k == DtypeKind::Str { 4 } else { 1 };
            (Dtype::from_descr(&spec)?, vec![0; unit])
        }
        _ => (dt, data),
    };
    let mut a = NdArray::from_bytes(dt, Vec::new(), false, data)?;
    // A numpy scalar is always in the native byte order.
    a.make_native();
    // numpy drops an S or U scalar's trailing NULs, and its dtype is the shorter one:
    // scalar(dtype('S2'), b'c\0') is np.bytes_(b'c') of dtype 'S1'. An empty one keeps one
    // character ('S1' where numpy says 'S0'): no dtype here has a zero item size.
    let unit = match a.dtype().kind() {
        DtypeKind::Bytes => 1,
        DtypeKind::Str => 4,
        _ => 0,
    };
    if let (true, Some(bytes)) = (unit > 0, a.raw_bytes()) {
        let keep = bytes
            .chunks(unit)
            .rposition(|c| c.iter().any(|&b| b != 0))
            .map_or(1, |i| i + 1);
        if keep * unit < bytes.len() {
            let d = a.dtype();
            let spec = format!("{}{}{keep}", d.byteorder().as_char(), d.kind().as_char());
            let short = bytes[..keep * unit].to_vec();
            a = NdArray::from_bytes(Dtype::from_descr(&spec)?, Vec::new(), false, short)?;
        }
    }
    Ok(Value::NumpyScalar(Box::new(a)))
}

pub(super) fn allowlist() -> Allowlist {
    let mut list = super::stdlib::allowlist()
        .construct("numpy", "ndarray", NameOnly)
        .construct("numpy", "dtype", DtypeCtor);
    for core in ["numpy.core", "numpy._core"] {
        list = list
            .construct(&format!("{core}.multiarray"), "_reconstruct", Reconstruct)
            .call(&format!("{core}.multiarray"), "scalar", scalar)
            .call(&format!("{core}.numeric"), "_frombuffer", frombuffer);
    }
    list
}
