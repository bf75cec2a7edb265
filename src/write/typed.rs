//! Typed values (the standard-library types presets build) and the inert nodes a policy
//! kept, written as CPython pickles the objects they stand for (each type's
//! `__reduce_ex__`: the class, its arguments, and the items or state that follow).

use std::borrow::Cow;

use num_bigint::BigInt;

use super::memo::Ident;
use super::op;
use super::plain::{Pickler, Seq, Task};
use crate::error::{Error, ErrorKind, Result};
use crate::value::stdlib_types::{SafeUuid, TimeZone, TzInfo};
use crate::value::{CallKind, Mutation, Object, Value};

impl<'v, 'w> Pickler<'v, 'w> {
    /// Everything that is not built-in data.
    pub(super) fn save_typed(&mut self, v: &'v Value) -> Result<()> {
        match v {
            Value::OrderedDict(d) => {
                self.stack.push(Task::IterItems {
                    seq: Seq::Pairs(d.as_slice()),
                    single: op::SETITEM,
                    multi: op::SETITEMS,
                });
                self.push_reduce("collections", "OrderedDict", Vec::new(), None);
            }
            Value::DefaultDict(d) => {
                self.stack.push(Task::IterItems {
                    seq: Seq::Pairs(d.dict().as_slice()),
                    single: op::SETITEM,
                    multi: op::SETITEMS,
                });
                let args = match d.factory() {
                    Some(g) => vec![Task::Global(
                        Cow::Borrowed(g.module.as_str()),
                        Cow::Borrowed(g.name.as_str()),
                    )],
                    None => Vec::new(),
                };
                self.push_reduce("collections", "defaultdict", args, None);
            }
            Value::Deque(d) => {
                self.stack.push(Task::IterItems {
                    seq: Seq::Values(d.items()),
                    single: op::APPEND,
                    multi: op::APPENDS,
                });
                let args = match d.maxlen() {
                    Some(m) => vec![Task::EmptyTuple, Task::Big(Cow::Owned(BigInt::from(m)))],
                    None => Vec::new(),
                };
                self.push_reduce("collections", "deque", args, None);
            }
            Value::Counter(d) => self.push_reduce(
                "collections",
                "Counter",
                vec![Task::DictOf(Seq::Pairs(d.as_slice()))],
                None,
            ),
            Value::Date(d) => {
                let state = vec![(d.year() >> 8) as u8, d.year() as u8, d.month(), d.day()];
                self.push_reduce("datetime", "date", vec![fresh(state)], None);
            }
            Value::Time(t) => {
                let hour = t.hour() | if t.fold() && self.proto > 3 { 0x80 } else { 0 };
                let mut state = vec![hour, t.minute(), t.second()];
                state.extend_from_slice(&micro(t.microsecond()));
                let mut args = vec![fresh(state)];
                args.extend(self.tz_arg(t.tzinfo()));
                self.push_reduce("datetime", "time", args, None);
            }
            Value::DateTime(t) => {
                let month = t.month() | if t.fold() && self.proto > 3 { 0x80 } else { 0 };
                let (y, d) = (t.year(), t.day());
                let mut state = vec![(y >> 8) as u8, y as u8, month, d];
                state.extend_from_slice(&[t.hour(), t.minute(), t.second()]);
                state.extend_from_slice(&micro(t.microsecond()));
                let mut args = vec![fresh(state)];
                args.extend(self.tz_arg(t.tzinfo()));
                self.push_reduce("datetime", "datetime", args, None);
            }
            Value::TimeDelta(td) => self.push_reduce(
                "datetime",
                "timedelta",
                vec![
                    Task::Int(i64::from(td.days())),
                    Task::Int(i64::from(td.seconds())),
                    Task::Int(i64::from(td.microseconds())),
                ],
                None,
            ),
            Value::TimeZone(tz) => self.push_timezone(tz)?,
            Value::Decimal(d) => {
                let repr = d.to_string();
                let text = repr
                    .strip_prefix("Decimal('")
                    .and_then(|t| t.strip_suffix("')"))
                    .unwrap_or(&repr)
                    .to_string();
                self.push_reduce(
                    "decimal",
                    "Decimal",
                    vec![Task::FreshStr(Cow::Owned(text))],
                    None,
                );
            }
            Value::Fraction(f) => self.push_reduce(
                "fractions",
                "Fraction",
                vec![
                    Task::Big(Cow::Borrowed(f.numerator())),
                    Task::Big(Cow::Borrowed(f.denominator())),
                ],
                None,
            ),
            Value::Uuid(u) => {
                // `copyreg.__reduce_ex__`: NEWOBJ from protocol 2, `_reconstructor` below,
                // then the state dict and BUILD.
                self.stack.push(Task::Op(op::BUILD));
                let int = Task::Big(Cow::Owned(BigInt::from(u.as_u128())));
                let mut pairs = vec![(Task::Const(Cow::Borrowed("int")), int)];
                let safe = match u.is_safe() {
                    SafeUuid::Safe => Some(0),
                    SafeUuid::Unsafe => Some(-1),
                    _ => None,
                };
                if let Some(s) = safe {
                    pairs.push((Task::Const(Cow::Borrowed("is_safe")), Task::Int(s)));
                }
                self.push_small_dict(pairs);
                self.push_new("uuid", "UUID");
            }
            Value::Global(g) => {
                if !self.opts.inert {
                    return Err(refused_inert(&g.module, &g.name));
                }
                self.stack.push(Task::Global(
                    Cow::Borrowed(g.module.as_str()),
                    Cow::Borrowed(g.name.as_str()),
                ));
            }
            Value::Object(o) => self.push_object(o)?,
            // `range.__reduce__` and `slice.__reduce__`: the class and its three arguments
            // (`__builtin__.xrange` below protocol 3, as `python2_name` maps it).
            Value::Range(r) => self.push_reduce(
                "builtins",
                "range",
                vec![
                    Task::Big(Cow::Borrowed(&r.start)),
                    Task::Big(Cow::Borrowed(&r.stop)),
                    Task::Big(Cow::Borrowed(&r.step)),
                ],
                None,
            ),
            Value::Slice(sl) => self.push_reduce(
                "builtins",
                "slice",
                vec![
                    Task::Save(&sl.start),
                    Task::Save(&sl.stop),
                    Task::Save(&sl.step),
                ],
                None,
            ),
            // Their `__reduce__` is their name: pickled as the global itself.
            Value::Ellipsis => self.stack.push(Task::Global(
                Cow::Borrowed("builtins"),
                Cow::Borrowed("Ellipsis"),
            )),
            Value::NotImplemented => self.stack.push(Task::Global(
                Cow::Borrowed("builtins"),
                Cow::Borrowed("NotImplemented"),
            )),
            other => {
                return Err(Error::unsupported(format!(
                    "writing a {} is not supported",
                    other.type_name()
                )))
            }
        }
        Ok(())
    }

    /// `(tzinfo,)` as the second reduce argument of a time or datetime.
    fn tz_arg(&self, tz: Option<&'v TzInfo>) -> Option<Task<'v>> {
        match tz? {
            TzInfo::TimeZone(tz) => Some(Task::TimeZone(tz)),
            TzInfo::Other(v) => Some(Task::Save(v)),
        }
    }

    /// `datetime.timezone(timedelta[, name])`.
    pub(super) fn push_timezone(&mut self, tz: &'v TimeZone) -> Result<()> {
        let id = tz.is_utc().then_some(Ident::Utc);
        if let Some(id) = id {
            if self.get(id)? {
                return Ok(());
            }
        }
        let off = tz.offset();
        let delta = Task::Reduce(
            "datetime",
            "timedelta",
            vec![
                Task::Int(i64::from(off.days())),
                Task::Int(i64::from(off.seconds())),
                Task::Int(i64::from(off.microseconds())),
            ],
        );
        let mut args = vec![delta];
        if let Some(name) = tz.name() {
            args.push(Task::FreshStr(Cow::Borrowed(name)));
        }
        self.push_reduce("datetime", "timezone", args, id);
        Ok(())
    }

    /// A new object of `module.name` without arguments, as `copyreg.__reduce_ex__` makes
    /// it: `cls.__new__(cls)` (NEWOBJ) from protocol 2, `copyreg._reconstructor(cls,
    /// object, None)` below.
    fn push_new(&mut self, module: &'static str, name: &'static str) {
        if self.proto >= 2 {
            self.stack.push(Task::Memo(None));
            self.stack.push(Task::Op(op::NEWOBJ));
            self.stack.push(Task::EmptyTuple);
            self.stack
                .push(Task::Global(Cow::Borrowed(module), Cow::Borrowed(name)));
        } else {
            self.push_reduce(
                "copyreg",
                "_reconstructor",
                vec![
                    Task::Global(Cow::Borrowed(module), Cow::Borrowed(name)),
                    Task::Global(Cow::Borrowed("builtins"), Cow::Borrowed("object")),
                    Task::Save(&NONE),
                ],
                None,
            );
        }
    }

    /// A temporary dict of a few pairs (a state), memoized, then SETITEM(S).
    fn push_small_dict(&mut self, pairs: Vec<(Task<'v>, Task<'v>)>) {
        let n = pairs.len();
        let many = n > 1 && self.proto > 0;
        self.stack
            .push(Task::Op(if many { op::SETITEMS } else { op::SETITEM }));
        for (i, (k, v)) in pairs.into_iter().enumerate().rev() {
            self.stack.push(v);
            self.stack.push(k);
            if self.proto == 0 && i > 0 {
                self.stack.push(Task::Op(op::SETITEM));
            }
        }
        if many {
            self.stack.push(Task::Op(op::MARK));
        }
        self.stack.push(Task::EmptyDict);
    }

    /// An inert object, written back as the opcodes it came from (only with
    /// [`super::Options::inert`]).
    fn push_object(&mut self, o: &'v Object) -> Result<()> {
        if !self.opts.inert {
            return Err(match &o.callable {
                Value::Global(g) => refused_inert(&g.module, &g.name),
                _ => Error::unsupported(
                    "the value holds an inert object: writing it needs Options::inert(true)",
                ),
            });
        }
        for m in o.mutations.iter().rev() {
            match m {
                Mutation::SetState(x) => {
                    self.stack.push(Task::Op(op::BUILD));
                    self.stack.push(Task::Save(x));
                }
                Mutation::Append(x) => {
                    self.stack.push(Task::Op(op::APPEND));
                    self.stack.push(Task::Save(x));
                }
                Mutation::SetItem(k, x) => {
                    self.stack.push(Task::Op(op::SETITEM));
                    self.stack.push(Task::Save(x));
                    self.stack.push(Task::Save(k));
                }
                Mutation::Extend(xs) => {
                    if self.proto == 0 {
                        return Err(Error::unsupported(
                            "an inert object with APPENDS at protocol 0",
                        ));
                    }
                    self.stack.push(Task::Op(op::APPENDS));
                    self.stack.push(Task::Items {
                        seq: Seq::Values(xs),
                        pos: 0,
                        end: xs.len(),
                    });
                    self.stack.push(Task::Op(op::MARK));
                }
                Mutation::Add(xs) => {
                    if self.proto < 4 {
                        return Err(Error::unsupported(
                            "an inert object with ADDITEMS below protocol 4",
                        ));
                    }
                    self.stack.push(Task::Op(op::ADDITEMS));
                    self.stack.push(Task::Items {
                        seq: Seq::Values(xs),
                        pos: 0,
                        end: xs.len(),
                    });
                    self.stack.push(Task::Op(op::MARK));
                }
            }
        }
        let args = Task::TupleOf(Seq::Values(&o.args));
        match o.kind {
            CallKind::Bare => self.stack.push(Task::Save(&o.callable)),
            CallKind::Call => {
                self.stack.push(Task::Memo(None));
                self.stack.push(Task::Op(op::REDUCE));
                self.stack.push(args);
                self.stack.push(Task::Save(&o.callable));
            }
            CallKind::New if o.kwargs.is_empty() && self.proto >= 2 => {
                self.stack.push(Task::Memo(None));
                self.stack.push(Task::Op(op::NEWOBJ));
                self.stack.push(args);
                self.stack.push(Task::Save(&o.callable));
            }
            CallKind::New if self.proto >= 4 => {
                self.stack.push(Task::Memo(None));
                self.stack.push(Task::Op(op::NEWOBJ_EX));
                self.stack.push(Task::KwargsOf(&o.kwargs));
                self.stack.push(args);
                self.stack.push(Task::Save(&o.callable));
            }
            _ => {
                return Err(Error::unsupported(format!(
                    "an inert cls.__new__ call needs protocol {}",
                    if o.kwargs.is_empty() { 2 } else { 4 }
                )))
            }
        }
        Ok(())
    }
}

/// `None`, for a task that saves it by reference.
static NONE: Value = Value::None;

/// A fresh `bytes` reduce argument (a date's or time's state).
fn fresh<'v>(state: Vec<u8>) -> Task<'v> {
    Task::FreshBytes(Cow::Owned(state))
}

/// Microseconds as three big-endian bytes, as in datetime's state.
fn micro(us: u32) -> [u8; 3] {
    let b = us.to_be_bytes();
    [b[1], b[2], b[3]]
}

/// The name CPython's pickler writes below protocol 3 (`fix_imports`, from
/// `_compat_pickle.REVERSE_NAME_MAPPING` and `REVERSE_IMPORT_MAPPING`): the Python 2 name
/// of a Python 3 global, where the two differ. The builtin exception classes (mapped to
/// the `exceptions` module) are not in this table and keep their Python 3 name.
pub(super) fn python2_name<'a>(module: &'a str, name: &'a str) -> (&'a str, &'a str) {
    let by_name = match (module, name) {
        ("builtins", "range") => Some(("__builtin__", "xrange")),
        ("builtins", "chr") => Some(("__builtin__", "unichr")),
        ("builtins", "str") => Some(("__builtin__", "unicode")),
        ("builtins", "int") => Some(("__builtin__", "long")),
        ("builtins", "zip") => Some(("itertools", "izip")),
        ("builtins", "map") => Some(("itertools", "imap")),
        ("builtins", "filter") => Some(("itertools", "ifilter")),
        ("functools", "reduce") => Some(("__builtin__", "reduce")),
        ("sys", "intern") => Some(("__builtin__", "intern")),
        ("collections", "UserDict") => Some(("UserDict", "IterableUserDict")),
        ("collections", "UserList") => Some(("UserList", "UserList")),
        ("collections", "UserString") => Some(("UserString", "UserString")),
        _ => None,
    };
    if let Some(mapped) = by_name {
        return mapped;
    }
    let m = match module {
        "builtins" => "__builtin__",
        "copyreg" => "copy_reg",
        "queue" => "Queue",
        "socketserver" => "SocketServer",
        "configparser" => "ConfigParser",
        "reprlib" => "repr",
        "winreg" => "_winreg",
        "_thread" => "thread",
        "_dummy_thread" => "dummy_thread",
        "_markupbase" => "markupbase",
        "subprocess" => "commands",
        "collections.abc" => "_abcoll",
        "_bz2" => "bz2",
        "_functools" => "functools",
        "_pickle" => "pickle",
        "dbm" => "anydbm",
        "urllib.parse" => "urlparse",
        "urllib.request" => "urllib2",
        "http.client" => "httplib",
        "xmlrpc.client" => "xmlrpclib",
        other => other,
    };
    (m, name)
}

/// The error for an inert global written without [`super::Options::inert`]: the writer
/// refuses to name it, as a policy refuses a global ([`ErrorKind::Refused`]).
fn refused_inert(module: &str, name: &str) -> Error {
    Error::new(ErrorKind::Refused {
        module: module.to_string(),
        name: name.to_string(),
    })
}
