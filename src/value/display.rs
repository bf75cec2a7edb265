//! `Display` for [`Value`]: exactly what Python's `repr()` prints.
//!
//! Recursion here is bounded by the nesting depth of the value, which the loader limits
//! ([`crate::Limits::max_depth`]).

use std::fmt::{self, Write};

use super::repr;
use super::{CallKind, Global, Mutation, Object, Set, Value};

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
        Value::Complex(re, im) => repr::write_complex(out, *re, *im),
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
        Value::OrderedDict(d) => super::stdlib_types::write_ordered_dict(out, d),
        Value::DefaultDict(d) => write!(out, "{d}"),
        Value::Deque(d) => write!(out, "{d}"),
        Value::Counter(d) => super::stdlib_types::write_counter(out, d),
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
