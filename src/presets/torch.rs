//! The constructors of the `torch` preset: torch 2.x's `_weights_only_unpickler` allowlist
//! as typed constructors. See [`super::torch`] for what is loaded and what is refused.

use crate::policy::{Allowlist, Constructor};
use crate::torch::{DType, Tensor, TensorKind};
use crate::value::{CallKind, Global, Object, Value};

use super::stdlib::NameOnly;

/// The modules torch never allows, not even when a user adds one of their globals.
pub(crate) const BLOCKED_MODULES: [&str; 4] = ["os", "sys", "posix", "nt"];

/// The rebuild functions of `torch._utils` this preset constructs.
const REBUILDS: [&str; 5] = [
    "_rebuild_tensor",
    "_rebuild_tensor_v2",
    "_rebuild_tensor_v3",
    "_rebuild_parameter",
    "_rebuild_parameter_with_state",
];

fn int(v: &Value, what: &str) -> Result<i64, String> {
    match v {
        Value::Int(i) => Ok(*i),
        Value::BigInt(_) => Err(format!("{what} is out of range")),
        other => Err(format!(
            "{what} must be an int, not '{}'",
            other.type_name()
        )),
    }
}

fn ints(v: &Value, what: &str) -> Result<Vec<i64>, String> {
    match v {
        Value::Tuple(items) | Value::List(items) => {
            if items.len() > crate::torch::MAX_DIMS {
                return Err(format!(
                    "{what} has more than {} dimensions",
                    crate::torch::MAX_DIMS
                ));
            }
            items.iter().map(|i| int(i, what)).collect()
        }
        other => Err(format!(
            "{what} must be a tuple, not '{}'",
            other.type_name()
        )),
    }
}

fn flag(v: &Value, what: &str) -> Result<bool, String> {
    match v {
        Value::Bool(b) => Ok(*b),
        other => Err(format!(
            "{what} must be a bool, not '{}'",
            other.type_name()
        )),
    }
}

/// The storage a persistent id loaded (a [`TensorKind::Storage`] tensor).
fn storage(v: Value) -> Result<crate::torch::Storage, String> {
    match v {
        Value::Tensor(t) if t.kind() == TensorKind::Storage => Ok(t.storage().clone()),
        other => Err(format!(
            "expected a storage loaded by persistent id, got '{}'",
            other.type_name()
        )),
    }
}

fn tensor_arg(v: Value, what: &str) -> Result<Tensor, String> {
    match v {
        Value::Tensor(t) if t.kind() != TensorKind::Storage => Ok(*t),
        other => Err(format!(
            "{what} must be a tensor, not '{}'",
            other.type_name()
        )),
    }
}

/// Backward hooks must be empty: no code is ever attached to a loaded tensor.
fn no_hooks(v: &Value) -> Result<(), String> {
    let empty = match v {
        Value::OrderedDict(d) | Value::Dict(d) => d.is_empty(),
        Value::None => true,
        _ => false,
    };
    if empty {
        Ok(())
    } else {
        Err(format!(
            "backward hooks must be an empty OrderedDict, not {v}"
        ))
    }
}

/// `metadata` of `_rebuild_tensor_v2/v3`: the conj/neg bits and similar flags. Only
/// empty metadata (or flags that are all false) is accepted: a conjugated or negated view
/// would need its values transformed, which this loader refuses rather than guesses.
fn no_metadata(v: Option<&Value>) -> Result<(), String> {
    let Some(v) = v else { return Ok(()) };
    let ok = match v {
        Value::None => true,
        Value::Dict(d) | Value::OrderedDict(d) => {
            d.values().all(|x| matches!(x, Value::Bool(false)))
        }
        _ => false,
    };
    if ok {
        Ok(())
    } else {
        Err(format!(
            "tensor metadata {v} is not supported (conj/neg views are refused)"
        ))
    }
}

fn dtype_arg(v: &Value) -> Result<DType, String> {
    match v {
        Value::Global(g) if g.module == "torch" => {
            DType::from_name(&g.name).ok_or_else(|| format!("torch.{} is not a dtype", g.name))
        }
        other => Err(format!("expected a torch dtype, got {other}")),
    }
}

fn build_tensor(
    st: crate::torch::Storage,
    dtype: DType,
    offset: &Value,
    size: &Value,
    stride: &Value,
    requires_grad: bool,
) -> Result<Value, String> {
    let t = Tensor::new(
        st,
        dtype,
        int(offset, "storage_offset")?,
        &ints(size, "size")?,
        &ints(stride, "stride")?,
        requires_grad,
    )?;
    Ok(Value::Tensor(Box::new(t)))
}

/// Calls the rebuild function `name` with `args`.
pub(crate) fn rebuild(name: &str, args: Vec<Value>) -> Result<Value, String> {
    let n = args.len();
    let mut it = args.into_iter();
    let mut next = || it.next().unwrap_or(Value::None);
    match (name, n) {
        ("_rebuild_tensor", 4) => {
            let st = storage(next())?;
            let (off, size, stride) = (next(), next(), next());
            build_tensor(st.clone(), st.dtype(), &off, &size, &stride, false)
        }
        ("_rebuild_tensor_v2", 6 | 7) => {
            let st = storage(next())?;
            let (off, size, stride, rg, hooks, meta) =
                (next(), next(), next(), next(), next(), next());
            no_hooks(&hooks)?;
            no_metadata((n == 7).then_some(&meta))?;
            build_tensor(
                st.clone(),
                st.dtype(),
                &off,
                &size,
                &stride,
                flag(&rg, "requires_grad")?,
            )
        }
        ("_rebuild_tensor_v3", 7 | 8) => {
            let st = storage(next())?;
            let (off, size, stride, rg, hooks, dt, meta) =
                (next(), next(), next(), next(), next(), next(), next());
            no_hooks(&hooks)?;
            no_metadata((n == 8).then_some(&meta))?;
            build_tensor(
                st,
                dtype_arg(&dt)?,
                &off,
                &size,
                &stride,
                flag(&rg, "requires_grad")?,
            )
        }
        ("_rebuild_parameter", 3) => {
            let (data, rg, hooks) = (next(), next(), next());
            no_hooks(&hooks)?;
            let t = tensor_arg(data, "parameter data")?;
            Ok(Value::Tensor(Box::new(
                t.into_parameter(flag(&rg, "requires_grad")?),
            )))
        }
        ("_rebuild_parameter_with_state", 4) => {
            let (data, rg, hooks, state) = (next(), next(), next(), next());
            no_hooks(&hooks)?;
            let empty = match &state {
                Value::None => true,
                Value::Dict(d) => d.is_empty(),
                Value::Tuple(t) => t.iter().all(|x| match x {
                    Value::None => true,
                    Value::Dict(d) => d.is_empty(),
                    _ => false,
                }),
                _ => false,
            };
            if !empty {
                return Err(format!(
                    "parameter state {state} is not supported (a Parameter subclass's attributes)"
                ));
            }
            let t = tensor_arg(data, "parameter data")?;
            Ok(Value::Tensor(Box::new(
                t.into_parameter(flag(&rg, "requires_grad")?),
            )))
        }
        _ => Err(format!("{name} does not take {n} arguments")),
    }
}

/// `torch._tensor._rebuild_from_type_v2(func, new_type, args, state)`: accepted when
/// `func` is one of the rebuild functions above, `new_type` is `torch.Tensor` or
/// `torch.nn.parameter.Parameter` (no subclass) and `state` is empty.
fn rebuild_from_type_v2(args: Vec<Value>) -> Result<Value, String> {
    let Ok([func, new_type, fargs, state]) = <[Value; 4]>::try_from(args) else {
        return Err("expected (func, new_type, args, state)".to_owned());
    };
    let name = match &func {
        Value::Global(g) if g.module == "torch._utils" && REBUILDS.contains(&g.name.as_str()) => {
            g.name.clone()
        }
        other => {
            return Err(format!(
                "func {other} is not a rebuild function this preset allows"
            ))
        }
    };
    let param = match &new_type {
        Value::Global(g) if g.module == "torch._tensor" && g.name == "Tensor" => false,
        Value::Global(g) if g.module == "torch" && g.name == "Tensor" => false,
        Value::Global(g) if g.module == "torch.nn.parameter" && g.name == "Parameter" => true,
        other => return Err(format!("tensor subclass {other} is not supported")),
    };
    let empty = match &state {
        Value::None => true,
        Value::Dict(d) => d.is_empty(),
        _ => false,
    };
    if !empty {
        return Err(format!("tensor state {state} is not supported"));
    }
    let Value::Tuple(fargs) = fargs else {
        return Err("args must be a tuple".to_owned());
    };
    let v = rebuild(&name, fargs.into())?;
    match v {
        Value::Tensor(t) if param => {
            let rg = t.requires_grad();
            Ok(Value::Tensor(Box::new(t.into_parameter(rg))))
        }
        v => Ok(v),
    }
}

/// A rebuild function of `torch._utils`, by name.
struct Rebuild;

impl Constructor for Rebuild {
    fn call(&self, global: &Global, args: Vec<Value>) -> Result<Value, String> {
        rebuild(&global.name, args)
    }
}

/// `torch.nn.parameter.Parameter(data, requires_grad=True)`, called or created with
/// `__new__` (NEWOBJ), as torch's unpickler allows.
struct ParameterCtor;

fn parameter(args: Vec<Value>) -> Result<Value, String> {
    let n = args.len();
    let mut it = args.into_iter();
    let data = it.next().ok_or("Parameter() needs data")?;
    let rg = match it.next() {
        None => true,
        Some(v) => flag(&v, "requires_grad")?,
    };
    if n > 2 {
        return Err(format!("Parameter takes at most 2 arguments, got {n}"));
    }
    let t = tensor_arg(data, "Parameter data")?;
    Ok(Value::Tensor(Box::new(t.into_parameter(rg))))
}

impl Constructor for ParameterCtor {
    fn call(&self, _global: &Global, args: Vec<Value>) -> Result<Value, String> {
        parameter(args)
    }

    fn new_object(
        &self,
        _global: &Global,
        args: Vec<Value>,
        kwargs: Vec<(Value, Value)>,
    ) -> Result<Value, String> {
        if !kwargs.is_empty() {
            return Err("Parameter.__new__ takes no keyword arguments here".to_owned());
        }
        parameter(args)
    }
}

/// `torch.Size(sizes)`: a tuple of non-negative ints (torch.Size is a tuple subclass).
fn size(args: Vec<Value>) -> Result<Value, String> {
    let Ok([dims]) = <[Value; 1]>::try_from(args) else {
        return Err("torch.Size takes one argument".to_owned());
    };
    let dims = ints(&dims, "torch.Size")?;
    if dims.iter().any(|&d| d < 0) {
        return Err("torch.Size with a negative dimension".to_owned());
    }
    Ok(Value::Tuple(dims.into_iter().map(Value::Int).collect()))
}

/// `torch.device('cpu')`, `torch.device('cuda', 0)`, `torch.device('cuda:0')`: kept as an
/// inert node that prints `torch.device('cuda', 0)`, after checking its arguments.
fn device(args: Vec<Value>) -> Result<Value, String> {
    let ok = match args.as_slice() {
        [Value::Str(s)] => s.len() <= 64,
        [Value::Str(s), Value::Int(i)] => s.len() <= 64 && (0..=i64::from(u16::MAX)).contains(i),
        _ => false,
    };
    if !ok {
        return Err("torch.device expects (type) or (type, index)".to_owned());
    }
    Ok(Value::Object(Box::new(Object {
        callable: Value::Global(Box::new(Global::new("torch", "device"))),
        kind: CallKind::Call,
        args,
        kwargs: Vec::new(),
        mutations: Vec::new(),
    })))
}

/// `collections.OrderedDict`, and the BUILD a state dict carries: its `_metadata`
/// attribute (per-module versions), which is checked to be a mapping and dropped — a
/// [`Value::OrderedDict`] has no attributes, and `print(state_dict)` does not show it.
struct OrderedDictCtor;

impl Constructor for OrderedDictCtor {
    fn call(&self, _global: &Global, args: Vec<Value>) -> Result<Value, String> {
        super::stdlib::ordered_dict(args)
    }

    fn build(&self, _global: &Global, obj: Value, state: Value) -> Result<Value, String> {
        let Value::Dict(d) = &state else {
            return Err(format!(
                "OrderedDict state must be a dict, not '{}'",
                state.type_name()
            ));
        };
        for (k, v) in d.iter() {
            let mapping = matches!(v, Value::Dict(_) | Value::OrderedDict(_));
            if k.value().as_str() != Some("_metadata") || !mapping {
                return Err(format!(
                    "OrderedDict attribute {} is not supported",
                    k.value()
                ));
            }
        }
        Ok(obj)
    }
}

pub(super) fn allowlist() -> Allowlist {
    let mut list = super::builtins::allowlist()
        .construct("collections", "OrderedDict", OrderedDictCtor)
        .call("collections", "Counter", super::stdlib::counter)
        .call("torch", "Size", size)
        .call("torch", "device", device)
        .construct("torch.nn.parameter", "Parameter", ParameterCtor)
        .call(
            "torch._tensor",
            "_rebuild_from_type_v2",
            rebuild_from_type_v2,
        )
        .construct("torch", "Tensor", NameOnly)
        .construct("torch._tensor", "Tensor", NameOnly)
        .construct("torch", "UntypedStorage", NameOnly)
        .construct("torch.storage", "UntypedStorage", NameOnly);
    for name in REBUILDS {
        list = list.construct("torch._utils", name, Rebuild);
    }
    for d in DType::all() {
        list = list.construct("torch", d.name(), NameOnly);
        if let Some(class) = crate::torch::storage_class(d) {
            list =
                list.construct("torch", class, NameOnly)
                    .construct("torch.cuda", class, NameOnly);
        }
    }
    for m in BLOCKED_MODULES {
        list = list.block_module(m);
    }
    list
}
