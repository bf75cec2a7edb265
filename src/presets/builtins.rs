//! The built-in constructors of the `strict` preset.

use crate::policy::Allowlist;
use crate::value::{Set, Value};

fn set_from(args: Vec<Value>, frozen: bool) -> Result<Value, String> {
    let items = match <[Value; 1]>::try_from(args) {
        Ok([Value::List(items)]) => items,
        Ok([other]) => return Err(format!("expected a list, got '{}'", other.type_name())),
        Err(args) if args.is_empty() => Default::default(),
        Err(args) => return Err(format!("expected at most 1 argument, got {}", args.len())),
    };
    let mut set = Set::with_capacity(items.len());
    for v in items {
        set.insert(crate::value::Key::new(v).map_err(|e| e.to_string())?);
    }
    Ok(if frozen {
        Value::FrozenSet(Box::new(set))
    } else {
        Value::Set(Box::new(set))
    })
}

/// `s.encode('latin-1')` for a string of code points below 256.
fn latin1(s: &str) -> Result<Vec<u8>, String> {
    s.chars()
        .map(|c| {
            u8::try_from(u32::from(c))
                .map_err(|_| "'latin-1' codec can't encode character".to_owned())
        })
        .collect()
}

fn bytearray(args: Vec<Value>) -> Result<Value, String> {
    match <[Value; 2]>::try_from(args) {
        // Protocols 0–2 (and Python 2): bytearray(str, 'latin-1').
        Ok([Value::Str(s), Value::Str(enc)]) if &*enc == "latin-1" => {
            Ok(Value::bytearray(&latin1(&s)?))
        }
        Ok(_) => Err("expected (str, 'latin-1')".to_owned()),
        Err(args) => match <[Value; 1]>::try_from(args) {
            // Protocols 3 and 4: bytearray(bytes).
            Ok([Value::Bytes(b)]) => Ok(Value::ByteArray(b)),
            Ok(_) => Err("expected bytes".to_owned()),
            Err(args) if args.is_empty() => Ok(Value::bytearray(&[])),
            Err(_) => Err("unexpected arguments".to_owned()),
        },
    }
}

fn complex(args: Vec<Value>) -> Result<Value, String> {
    match <[Value; 2]>::try_from(args) {
        Ok([Value::Float(re), Value::Float(im)]) => Ok(Value::complex(re, im)),
        _ => Err("expected (float, float)".to_owned()),
    }
}

fn bytes(args: Vec<Value>) -> Result<Value, String> {
    if args.is_empty() {
        Ok(Value::bytes(&[]))
    } else {
        Err("expected no arguments".to_owned())
    }
}

fn codecs_encode(args: Vec<Value>) -> Result<Value, String> {
    match <[Value; 2]>::try_from(args) {
        Ok([Value::Str(s), Value::Str(enc)]) if &*enc == "latin1" => Ok(Value::bytes(&latin1(&s)?)),
        _ => Err("expected (str, 'latin1')".to_owned()),
    }
}

pub(super) fn allowlist() -> Allowlist {
    Allowlist::new()
        .call("builtins", "set", |a| set_from(a, false))
        .call("builtins", "frozenset", |a| set_from(a, true))
        .call("builtins", "bytearray", bytearray)
        .call("builtins", "complex", complex)
        .call("builtins", "bytes", bytes)
        .call("_codecs", "encode", codecs_encode)
}
