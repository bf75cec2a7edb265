//! `Display` for [`Value`]: exactly what Python's `repr()` prints.
//!
//! Recursion here is bounded by the nesting depth of the value, which the loader limits
//! ([`crate::Limits::max_depth`]).

use std::fmt::{self, Write};

use num_bigint::BigInt;

use super::repr;
use super::stdlib_types::{DefaultDict, Deque, TzInfo};
use super::{CallKind, Dict, Global, Mutation, Object, Set, Value};

impl fmt::Display for Value {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write_value(f, self)
    }
}

impl fmt::Display for super::Key {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write_value(f, self.value())
    }
}

impl fmt::Display for Global {
    /// `module.name` when both are dotted identifiers; otherwise a form whose strings are
    /// escaped, `getattr(__import__('module'), 'name')`, so a name holding a newline or
    /// punctuation cannot make the printed expression look like something else.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let dotted = |s: &str| s.split('.').all(is_identifier);
        if dotted(&self.module) && dotted(&self.name) {
            return write!(f, "{}.{}", self.module, self.name);
        }
        f.write_str("getattr(__import__(")?;
        repr::write_str(f, &self.module)?;
        f.write_str("), ")?;
        repr::write_str(f, &self.name)?;
        f.write_char(')')
    }
}

fn write_seq<'a, W: Write + ?Sized>(
    out: &mut W,
    items: impl IntoIterator<Item = &'a Value>,
) -> fmt::Result {
    for (i, v) in items.into_iter().enumerate() {
        if i > 0 {
            out.write_str(", ")?;
        }
        write_value(out, v)?;
    }
    Ok(())
}

fn write_set_items<W: Write + ?Sized>(out: &mut W, set: &Set) -> fmt::Result {
    write_seq(out, set.iter().map(|k| k.value()))
}

pub(crate) fn write_dict_items<'a, W: Write + ?Sized>(
    out: &mut W,
    items: impl IntoIterator<Item = (&'a Value, &'a Value)>,
) -> fmt::Result {
    out.write_char('{')?;
    for (i, (k, v)) in items.into_iter().enumerate() {
        if i > 0 {
            out.write_str(", ")?;
        }
        write_value(out, k)?;
        out.write_str(": ")?;
        write_value(out, v)?;
    }
    out.write_char('}')
}

/// Writes Python's `repr()` of `v`.
pub(crate) fn write_value<W: Write + ?Sized>(out: &mut W, v: &Value) -> fmt::Result {
    match v {
        Value::None => out.write_str("None"),
        Value::Bool(true) => out.write_str("True"),
        Value::Bool(false) => out.write_str("False"),
        Value::Int(i) => write!(out, "{i}"),
        Value::BigInt(b) => repr::write_int(out, b),
        Value::Float(x) => repr::write_float(out, *x),
        Value::Complex(c) => repr::write_complex(out, c.re, c.im),
        Value::Str(s) => repr::write_str(out, s),
        Value::SurrogateStr(s) => repr::write_surrogate_str(out, s),
        Value::Bytes(b) => repr::write_bytes(out, b),
        Value::ByteArray(b) => repr::write_bytearray(out, b),
        Value::Tuple(items) => {
            out.write_char('(')?;
            write_seq(out, items)?;
            if items.len() == 1 {
                out.write_char(',')?;
            }
            out.write_char(')')
        }
        Value::List(items) => {
            out.write_char('[')?;
            write_seq(out, items)?;
            out.write_char(']')
        }
        Value::Dict(d) => write_dict_items(out, d.iter().map(|(k, v)| (k.value(), v))),
        Value::Set(s) if s.is_empty() => out.write_str("set()"),
        Value::Set(s) => {
            out.write_char('{')?;
            write_set_items(out, s)?;
            out.write_char('}')
        }
        Value::FrozenSet(s) if s.is_empty() => out.write_str("frozenset()"),
        Value::FrozenSet(s) => {
            out.write_str("frozenset({")?;
            write_set_items(out, s)?;
            out.write_str("})")
        }
        Value::Global(g) => write!(out, "{g}"),
        Value::Object(o) => write_object(out, o),
        Value::OrderedDict(d) => write_ordered_dict(out, d),
        Value::DefaultDict(d) => write!(out, "{d}"),
        Value::Deque(d) => write!(out, "{d}"),
        Value::Counter(d) => write_counter(out, d),
        Value::Date(d) => write!(out, "{d}"),
        Value::Time(t) => write!(out, "{t}"),
        Value::DateTime(t) => write!(out, "{t}"),
        Value::TimeDelta(t) => write!(out, "{t}"),
        Value::TimeZone(t) => write!(out, "{t}"),
        Value::Decimal(d) => write!(out, "{d}"),
        Value::Fraction(x) => write!(out, "{x}"),
        Value::Uuid(u) => write!(out, "{u}"),
        Value::NdArray(a) => a.write_array(out),
        Value::NumpyScalar(a) => a.write_scalar(out),
        Value::Dtype(d) => write!(out, "{d}"),
        Value::Tensor(t) => write!(out, "{t}"),
        Value::Ellipsis => out.write_str("Ellipsis"),
        Value::NotImplemented => out.write_str("NotImplemented"),
        Value::Range(r) => write!(out, "{r}"),
        Value::Shared(x) => write_value(out, &x.value),
        Value::Ref(r) => out.write_str(r.kind.placeholder()),
        Value::Slice(x) => {
            out.write_str("slice(")?;
            write_seq(out, [&x.start, &x.stop, &x.step])?;
            out.write_char(')')
        }
    }
}

fn write_object<W: Write + ?Sized>(out: &mut W, o: &Object) -> fmt::Result {
    write_value(out, &o.callable)?;
    let mut first = true;
    let mut sep = |out: &mut W| -> fmt::Result {
        if !std::mem::take(&mut first) {
            out.write_str(", ")?;
        }
        Ok(())
    };
    match o.kind {
        CallKind::Bare => return write_mutations(out, &o.mutations),
        CallKind::Call => out.write_char('(')?,
        CallKind::New => {
            out.write_str(".__new__(")?;
            sep(out)?;
            write_value(out, &o.callable)?;
        }
    }
    for a in &o.args {
        sep(out)?;
        write_value(out, a)?;
    }
    let all_identifiers = o
        .kwargs
        .iter()
        .all(|(k, _)| k.as_str().is_some_and(is_identifier));
    if all_identifiers {
        for (k, v) in &o.kwargs {
            sep(out)?;
            out.write_str(k.as_str().unwrap_or_default())?;
            out.write_char('=')?;
            write_value(out, v)?;
        }
    } else {
        sep(out)?;
        out.write_str("**")?;
        write_dict_items(out, o.kwargs.iter().map(|(k, v)| (k, v)))?;
    }
    out.write_char(')')?;
    write_mutations(out, &o.mutations)
}

fn write_mutations<W: Write + ?Sized>(out: &mut W, mutations: &[Mutation]) -> fmt::Result {
    for m in mutations {
        match m {
            Mutation::SetState(s) => {
                out.write_str(".__setstate__(")?;
                write_value(out, s)?;
                out.write_char(')')?;
            }
            Mutation::Append(x) => {
                out.write_str(".append(")?;
                write_value(out, x)?;
                out.write_char(')')?;
            }
            Mutation::Extend(xs) => {
                out.write_str(".extend([")?;
                write_seq(out, xs)?;
                out.write_str("])")?;
            }
            Mutation::SetItem(k, v) => {
                out.write_str(".__setitem__(")?;
                write_value(out, k)?;
                out.write_str(", ")?;
                write_value(out, v)?;
                out.write_char(')')?;
            }
            Mutation::Add(xs) => {
                for x in xs {
                    out.write_str(".add(")?;
                    write_value(out, x)?;
                    out.write_char(')')?;
                }
            }
        }
    }
    Ok(())
}

// ------------------------------------------------ standard-library containers

impl fmt::Display for DefaultDict {
    /// `defaultdict(<class 'list'>, {'a': [1]})`; `defaultdict(None, {})` without a
    /// factory. A factory outside `builtins` prints as `<class 'module.name'>` (Python
    /// prints functions differently, with an address that a pickle cannot carry).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("defaultdict(")?;
        match &self.factory {
            None => f.write_str("None")?,
            Some(g) if g.module == "builtins" => write!(f, "<class '{}'>", g.name)?,
            Some(g) => write!(f, "<class '{g}'>")?,
        }
        f.write_str(", ")?;
        write_dict_items(f, self.dict.iter().map(|(k, v)| (k.value(), v)))?;
        f.write_char(')')
    }
}

impl fmt::Display for Deque {
    /// `deque([1, 2])`, `deque([1, 2], maxlen=3)`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("deque([")?;
        for (i, v) in self.items().iter().enumerate() {
            if i > 0 {
                f.write_str(", ")?;
            }
            write_value(f, v)?;
        }
        f.write_char(']')?;
        if let Some(m) = self.maxlen {
            write!(f, ", maxlen={m}")?;
        }
        f.write_char(')')
    }
}

impl fmt::Display for TzInfo {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TzInfo::TimeZone(tz) => tz.fmt(f),
            TzInfo::Other(v) => write_value(f, v),
        }
    }
}

/// Writes `OrderedDict([('a', 1), ('b', [2])])` (Python 3.11's form) or `OrderedDict()`.
pub(crate) fn write_ordered_dict<W: Write + ?Sized>(out: &mut W, d: &Dict) -> fmt::Result {
    if d.is_empty() {
        return out.write_str("OrderedDict()");
    }
    out.write_str("OrderedDict([")?;
    for (i, (k, v)) in d.iter().enumerate() {
        if i > 0 {
            out.write_str(", ")?;
        }
        out.write_char('(')?;
        write_value(out, k.value())?;
        out.write_str(", ")?;
        write_value(out, v)?;
        out.write_char(')')?;
    }
    out.write_str("])")
}

/// How Python orders two values in `sorted()`, for the counts of a `Counter` (numbers
/// among themselves, `str` among themselves, `bytes` among themselves). `None` when
/// Python would raise `TypeError` or the values are not of those kinds.
fn py_order(a: &Value, b: &Value) -> Option<std::cmp::Ordering> {
    let big = Value::to_bigint;
    match (a, b) {
        (Value::Str(x), Value::Str(y)) => Some(x.cmp(y)),
        (Value::Bytes(x), Value::Bytes(y)) => Some(x.cmp(y)),
        (Value::Float(x), Value::Float(y)) => x.partial_cmp(y),
        (Value::Float(x), other) | (other, Value::Float(x)) => {
            let i = big(other)?;
            // Compare an integer with a float exactly, as Python does.
            let ord = if x.is_nan() {
                return None;
            } else if x.is_infinite() {
                if *x > 0.0 {
                    std::cmp::Ordering::Greater
                } else {
                    std::cmp::Ordering::Less
                }
            } else {
                let fl = x.floor();
                let fi = float_to_bigint(fl)?;
                match fi.cmp(&i) {
                    std::cmp::Ordering::Equal if *x > fl => std::cmp::Ordering::Greater,
                    o => o,
                }
            };
            // `ord` is float-vs-int; flip when the float was the right operand.
            Some(if matches!(a, Value::Float(_)) {
                ord
            } else {
                ord.reverse()
            })
        }
        _ => Some(big(a)?.cmp(&big(b)?)),
    }
}

fn float_to_bigint(f: f64) -> Option<BigInt> {
    if !f.is_finite() {
        return None;
    }
    if f.abs() < 9.0e18 {
        return Some(BigInt::from(f as i64));
    }
    let bits = f.to_bits();
    let exp = ((bits >> 52) & 0x7ff) as i64 - 1075;
    let mant = (bits & ((1u64 << 52) - 1)) | (1u64 << 52);
    let b = BigInt::from(mant) << usize::try_from(exp).ok()?;
    Some(if f < 0.0 { -b } else { b })
}

/// Writes `Counter({'a': 2, 'b': 1})`: items ordered by count, highest first, ties in
/// insertion order (Python's `most_common()`); in insertion order when the counts are not
/// mutually orderable (Python's `TypeError` fallback); `Counter()` when empty.
///
/// NaN counts are not ordered as Python's sort would leave them.
pub(crate) fn write_counter<W: Write + ?Sized>(out: &mut W, d: &Dict) -> fmt::Result {
    if d.is_empty() {
        return out.write_str("Counter()");
    }
    let mut items: Vec<(&Value, &Value)> = d.iter().map(|(k, v)| (k.value(), v)).collect();
    let orderable = items.windows(2).all(|w| match w {
        [a, b] => py_order(a.1, b.1).is_some(),
        _ => true,
    }) && items
        .first()
        .is_some_and(|first| items.iter().all(|x| py_order(first.1, x.1).is_some()));
    if orderable {
        // Stable: equal counts keep insertion order, as `sorted(reverse=True)` does.
        items.sort_by(|a, b| py_order(b.1, a.1).unwrap_or(std::cmp::Ordering::Equal));
    }
    out.write_str("Counter(")?;
    write_dict_items(out, items)?;
    out.write_char(')')
}

fn is_identifier(s: &str) -> bool {
    let mut chars = s.chars();
    chars.next().is_some_and(|c| c == '_' || c.is_alphabetic())
        && chars.all(|c| c == '_' || c.is_alphanumeric())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn odd_global_names_print_escaped() {
        assert_eq!(Global::new("os", "system").to_string(), "os.system");
        assert_eq!(Global::new("os.path", "A.b_1").to_string(), "os.path.A.b_1");
        assert_eq!(
            Global::new("builtins", "len('x')\nos.system").to_string(),
            "getattr(__import__('builtins'), \"len('x')\\nos.system\")"
        );
        assert_eq!(
            Global::new("", "x").to_string(),
            "getattr(__import__(''), 'x')"
        );
    }
}
