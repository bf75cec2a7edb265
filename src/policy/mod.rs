//! Policies: the `find_class` analogue that decides, for every global a pickle names, whether
//! it may appear in the result and what it becomes; plus the hooks for persistent ids and
//! extension codes, and the Python‑2 name mapping.

mod classes;
pub(crate) mod compat;

use std::collections::HashMap;
use std::fmt;
use std::sync::Arc;

use crate::value::{Global, Value};

/// What a policy decides for one `(module, name)`.
#[derive(Clone)]
#[non_exhaustive]
pub enum Decision {
    /// The global may not appear: loading fails with [`crate::ErrorKind::Refused`] at the
    /// opcode that named it.
    Refuse,
    /// Keep it as an inert symbolic node ([`Value::Global`], and [`Value::Object`] for what
    /// the pickle does with it). Nothing is executed.
    Inert,
    /// Build a native value with Rust code when the pickle calls it.
    Construct(Arc<dyn Constructor>),
}

impl fmt::Debug for Decision {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Decision::Refuse => "Refuse",
            Decision::Inert => "Inert",
            Decision::Construct(_) => "Construct",
        })
    }
}

impl Decision {
    /// A short word for reports (what `scan` prints): `refused`, `inert`, or `allowed`
    /// for [`Decision::Construct`] (the global is allowed, and built by Rust code when the
    /// pickle calls it).
    ///
    /// ```
    /// use unpickle::{presets, Decision, Policy};
    /// let p = presets::strict().inert("mymod", "Point");
    /// assert_eq!(p.find_class("os", "system").verdict(), "refused");
    /// assert_eq!(p.find_class("mymod", "Point").verdict(), "inert");
    /// assert_eq!(p.find_class("builtins", "set").verdict(), "allowed");
    /// ```
    pub fn verdict(&self) -> &'static str {
        match self {
            Decision::Refuse => "refused",
            Decision::Inert => "inert",
            Decision::Construct(_) => "allowed",
        }
    }
}

/// Rust code that stands in for an allowed Python class or function.
///
/// Each method receives the call's arguments as loaded values and returns the value the
/// call produces, or a message saying why the arguments are not acceptable (the load then
/// fails with [`crate::ErrorKind::Construct`]). The default methods refuse, so a constructor
/// implements only the shapes it accepts.
pub trait Constructor: Send + Sync {
    /// `callable(*args)`: REDUCE, INST and OBJ.
    fn call(&self, global: &Global, args: Vec<Value>) -> Result<Value, String> {
        let _ = args;
        Err(format!(
            "{global} may not be called (a policy allows a call with Allowlist::call)"
        ))
    }

    /// `cls.__new__(cls, *args, **kwargs)`: NEWOBJ and NEWOBJ_EX.
    fn new_object(
        &self,
        global: &Global,
        args: Vec<Value>,
        kwargs: Vec<(Value, Value)>,
    ) -> Result<Value, String> {
        let _ = (args, kwargs);
        Err(format!(
            "{global} may not be created with __new__ (a policy allows a plain class with \
             Allowlist::class)"
        ))
    }

    /// The object the global itself is, when it names a constant rather than a class or a
    /// function (`builtins.Ellipsis`): the load puts this value wherever the pickle names
    /// the global, as CPython's `find_class` returns the object. `None` (the default) keeps
    /// the global, for the pickle to call.
    fn constant(&self, global: &Global) -> Option<Value> {
        let _ = global;
        None
    }

    /// BUILD on a value this constructor made: `obj.__setstate__(state)`. Called only for
    /// a state other than `None`.
    fn build(&self, global: &Global, obj: Value, state: Value) -> Result<Value, String> {
        let _ = (obj, state);
        Err(format!(
            "{global} objects take no state (a constructor takes it in Constructor::build)"
        ))
    }
}

/// A [`Constructor`] made of a function for the call shape (REDUCE).
pub struct CallFn<F>(pub F);

impl<F> Constructor for CallFn<F>
where
    F: Fn(Vec<Value>) -> Result<Value, String> + Send + Sync,
{
    fn call(&self, _global: &Global, args: Vec<Value>) -> Result<Value, String> {
        (self.0)(args)
    }
}

/// The `find_class` analogue. Consulted on every route by which a pickle names code
/// (GLOBAL, STACK_GLOBAL, INST, EXT1/2/4 through the registry), with the names Python's
/// `find_class` would receive (after the Python‑2 mapping for protocols below 3).
pub trait Policy: Send + Sync {
    /// Decides for `module`.`name` (the name may be dotted, e.g. `"Outer.Inner"`).
    fn find_class(&self, module: &str, name: &str) -> Decision;
}

impl<P: Policy + ?Sized> Policy for &P {
    fn find_class(&self, module: &str, name: &str) -> Decision {
        (**self).find_class(module, name)
    }
}

impl<P: Policy + ?Sized> Policy for Arc<P> {
    fn find_class(&self, module: &str, name: &str) -> Decision {
        (**self).find_class(module, name)
    }
}

/// An allowlist: exact `(module, name)` pairs with their decisions; everything else gets
/// the fallback (refused unless [`Allowlist::otherwise_inert`] was called).
///
/// Names match exactly: no module wildcards, no prefixes, no case folding, no dotted walks
/// beyond what is spelled. Presets are allowlists, so extending one is one line:
///
/// ```
/// use unpickle::{presets, Unpickler};
/// let policy = presets::strict().inert("mymod", "Point");
/// let v = Unpickler::new().policy(policy).load_slice(b"cmymod\nPoint\n)R.").unwrap();
/// assert_eq!(v.to_string(), "mymod.Point()");
/// ```
///
/// A class allowed with [`Allowlist::inert`] or [`Allowlist::class`] loads at every
/// protocol: also from the `copyreg._reconstructor(cls, object, None)` call protocols 0
/// and 1 write for it (see [`Allowlist::class`]).
#[derive(Clone, Default)]
pub struct Allowlist {
    entries: Arc<HashMap<(String, String), Decision>>,
    unknown_inert: bool,
    blocked: Vec<String>,
    /// Whether `copyreg._reconstructor` and `builtins.object` (when they have no entry)
    /// serve the classes of this list: set by `inert` and `class`.
    classes: bool,
}

impl fmt::Debug for Allowlist {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut names: Vec<_> = self
            .entries
            .iter()
            .map(|((m, n), d)| format!("{m}.{n}: {d:?}"))
            .collect();
        names.sort();
        f.debug_struct("Allowlist")
            .field("entries", &names)
            .field("unknown_inert", &self.unknown_inert)
            .field("blocked", &self.blocked)
            .field("classes", &self.classes)
            .finish()
    }
}

impl Allowlist {
    /// An allowlist that refuses everything.
    pub fn new() -> Allowlist {
        Allowlist::default()
    }

    /// Sets the decision for `module`.`name`, replacing any earlier one.
    pub fn decide(mut self, module: &str, name: &str, decision: Decision) -> Allowlist {
        Arc::make_mut(&mut self.entries).insert((module.to_owned(), name.to_owned()), decision);
        self
    }

    /// Keeps `module`.`name` as an inert symbolic node. An instance of the class loads at
    /// every protocol as `mymod.Point.__new__(mymod.Point)` followed by its state, also
    /// from protocols 0–1, which write `copyreg._reconstructor(mymod.Point, object, None)`:
    /// the list then accepts that call for its classes (unless it has an entry for
    /// `copyreg._reconstructor` of its own, as [`crate::presets::stdlib`] does).
    ///
    /// ```
    /// use unpickle::{presets, Unpickler};
    /// let loader = Unpickler::new().policy(presets::strict().inert("mymod", "Point"));
    /// // class Point: pass; p = Point(); p.x = 1; pickle.dumps(p, protocol=0)
    /// let p0 = b"ccopy_reg\n_reconstructor\np0\n(cmymod\nPoint\np1\nc__builtin__\nobject\np2\nNtp3\nRp4\n(dp5\nVx\np6\nI1\nsb.";
    /// // pickle.dumps(p, protocol=2)
    /// let p2 = b"\x80\x02cmymod\nPoint\nq\x00)\x81q\x01}q\x02X\x01\x00\x00\x00xq\x03K\x01sb.";
    /// for data in [&p0[..], &p2[..]] {
    ///     let v = loader.load_slice(data).unwrap();
    ///     assert_eq!(v.to_string(), "mymod.Point.__new__(mymod.Point).__setstate__({'x': 1})");
    /// }
    /// ```
    pub fn inert(mut self, module: &str, name: &str) -> Allowlist {
        self.classes = true;
        self.decide(module, name, Decision::Inert)
    }

    /// Allows `module`.`name` as a plain class — one without `__reduce__`,
    /// `__getnewargs__` or `__setstate__` of its own — built by `f` from its state, with
    /// no trait to implement. CPython pickles an instance as `cls.__new__(cls)` (NEWOBJ,
    /// protocols 2–5) or `copyreg._reconstructor(cls, object, None)` (protocols 0–1, which
    /// this list then accepts for its classes), then BUILD with the state: the instance's
    /// `__dict__` as a dict, or `(dict or None, slots dict)` for a class with
    /// `__slots__`. `f` receives that state and returns the value.
    ///
    /// Python writes no BUILD for an instance whose `__dict__` is empty: such an instance
    /// stays the inert `mymod.Point.__new__(mymod.Point)`. Calling the class (REDUCE) and
    /// `__new__` with arguments are refused with a message saying what to use instead.
    ///
    /// ```
    /// use unpickle::{presets, Unpickler, Value};
    /// let policy = presets::strict().class("mymod", "Point", |state| match state {
    ///     Value::Dict(d) => Ok(Value::Int(d.len() as i64)),
    ///     other => Err(format!("unexpected state {other}")),
    /// });
    /// let loader = Unpickler::new().policy(policy);
    /// // class Point: ...; p.x, p.y = 1, 2; pickle.dumps(p, protocol=4)
    /// let p4 = b"\x80\x04\x95'\x00\x00\x00\x00\x00\x00\x00\x8c\x05mymod\x94\x8c\x05Point\x94\x93\x94)\x81\x94}\x94(\x8c\x01x\x94K\x01\x8c\x01y\x94K\x02ub.";
    /// assert_eq!(loader.load_slice(p4).unwrap().to_string(), "2");
    /// ```
    pub fn class<F>(mut self, module: &str, name: &str, f: F) -> Allowlist
    where
        F: Fn(Value) -> Result<Value, String> + Send + Sync + 'static,
    {
        self.classes = true;
        self.construct(module, name, classes::PlainClass(f))
    }

    /// Refuses `module`.`name` (also when the fallback is inert).
    pub fn refuse(self, module: &str, name: &str) -> Allowlist {
        self.decide(module, name, Decision::Refuse)
    }

    /// Constructs `module`.`name` with `constructor`.
    pub fn construct(
        self,
        module: &str,
        name: &str,
        constructor: impl Constructor + 'static,
    ) -> Allowlist {
        self.decide(module, name, Decision::Construct(Arc::new(constructor)))
    }

    /// Constructs `module`.`name` by calling `f` with the REDUCE arguments.
    pub fn call<F>(self, module: &str, name: &str, f: F) -> Allowlist
    where
        F: Fn(Vec<Value>) -> Result<Value, String> + Send + Sync + 'static,
    {
        self.construct(module, name, CallFn(f))
    }

    /// Adds every entry of `other` (its entries win over this list's).
    pub fn extend(mut self, other: Allowlist) -> Allowlist {
        let other_entries = Arc::try_unwrap(other.entries).unwrap_or_else(|a| (*a).clone());
        Arc::make_mut(&mut self.entries).extend(other_entries);
        self.unknown_inert |= other.unknown_inert;
        self.classes |= other.classes;
        self.blocked.extend(other.blocked);
        self
    }

    /// Keeps every global that has no entry as an inert node instead of refusing it.
    pub fn otherwise_inert(mut self) -> Allowlist {
        self.unknown_inert = true;
        self
    }

    /// Refuses every global of `module` and its submodules, whatever entries say, also
    /// entries added later (the `torch` preset blocks `os`, `sys`, `posix` and `nt`, as
    /// torch's unpickler does even when a user allows one of their globals).
    pub fn block_module(mut self, module: &str) -> Allowlist {
        self.blocked.push(module.to_owned());
        self
    }

    fn is_blocked(&self, module: &str) -> bool {
        self.blocked.iter().any(|b| {
            module
                .strip_prefix(b.as_str())
                .is_some_and(|rest| rest.is_empty() || rest.starts_with('.'))
        })
    }

    /// Whether there is an entry for `module`.`name`.
    pub fn contains(&self, module: &str, name: &str) -> bool {
        self.entries
            .contains_key(&(module.to_owned(), name.to_owned()))
    }
}

impl Policy for Allowlist {
    fn find_class(&self, module: &str, name: &str) -> Decision {
        if !self.blocked.is_empty() && self.is_blocked(module) {
            return Decision::Refuse;
        }
        // A borrowed lookup would need a custom key type; globals are rare (CPython
        // memoizes them), so two short allocations per lookup are fine.
        match self.entries.get(&(module.to_owned(), name.to_owned())) {
            Some(d) => d.clone(),
            None => match self.class_route(module, name) {
                Some(d) => d,
                None if self.unknown_inert => Decision::Inert,
                None => Decision::Refuse,
            },
        }
    }
}

/// Loads the object a persistent id refers to (Python's `Unpickler.persistent_load`).
pub trait PersistentLoad: Send + Sync {
    /// The object for `pid` (a `str` for PERSID, any value for BINPERSID), or why not.
    fn persistent_load(&self, pid: Value) -> Result<Value, String>;
}

impl<F> PersistentLoad for F
where
    F: Fn(Value) -> Result<Value, String> + Send + Sync,
{
    fn persistent_load(&self, pid: Value) -> Result<Value, String> {
        self(pid)
    }
}

/// The inert node that stands for a persistent id nobody resolved: a call of
/// `pickle.persistent_load` with the id, printed `pickle.persistent_load(pid)` (e.g.
/// `pickle.persistent_load(('storage', torch.FloatStorage, '0', 'cpu', 6))`). Nothing is
/// loaded. This is what [`crate::scan`] shows for persistent ids when no loader is set,
/// and what [`InertPersistent`] returns.
pub fn inert_persistent_id(pid: Value) -> Value {
    Value::Object(Box::new(crate::value::Object {
        callable: Value::Global(Box::new(Global::new("pickle", "persistent_load"))),
        kind: crate::value::CallKind::Call,
        args: vec![pid],
        kwargs: Vec::new(),
        mutations: Vec::new(),
    }))
}

/// A persistent loader that resolves nothing and keeps every id as the inert node of
/// [`inert_persistent_id`]: for inspecting a pickle that refers to outside objects (a torch
/// checkpoint's `data.pkl`), as `unpickle show --policy opaque` does.
///
/// ```
/// use unpickle::{policy::InertPersistent, presets, Unpickler};
/// let loader = Unpickler::new().policy(presets::opaque()).persistent_load(InertPersistent);
/// let v = loader.load_slice(b"Pstorage0\n.").unwrap();
/// assert_eq!(v.to_string(), "pickle.persistent_load('storage0')");
/// ```
#[derive(Clone, Copy, Debug, Default)]
pub struct InertPersistent;

impl PersistentLoad for InertPersistent {
    fn persistent_load(&self, pid: Value) -> Result<Value, String> {
        Ok(inert_persistent_id(pid))
    }
}

/// The extension registry (Python's `copyreg.add_extension`): codes that EXT1/EXT2/EXT4
/// name, mapped to globals, which then go through the policy like any other global.
/// Empty by default, as in Python.
#[derive(Clone, Debug, Default)]
pub struct ExtensionRegistry {
    codes: HashMap<i32, Global>,
}

impl ExtensionRegistry {
    /// An empty registry.
    pub fn new() -> ExtensionRegistry {
        ExtensionRegistry::default()
    }

    /// Registers `code` for `module`.`name`.
    pub fn add(mut self, code: i32, module: &str, name: &str) -> ExtensionRegistry {
        self.codes.insert(code, Global::new(module, name));
        self
    }

    /// The global registered for `code`.
    pub fn get(&self, code: i32) -> Option<&Global> {
        self.codes.get(&code)
    }
}
