//! Policies: the `find_class` analogue that decides, for every global a pickle names, whether
//! it may appear in the result and what it becomes; plus the hooks for persistent ids and
//! extension codes, and the Python‑2 name mapping.

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
    /// A short word for reports: `refused`, `inert` or `constructed`.
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
        Err(format!("{global} may not be called"))
    }

    /// `cls.__new__(cls, *args, **kwargs)`: NEWOBJ and NEWOBJ_EX.
    fn new_object(
        &self,
        global: &Global,
        args: Vec<Value>,
        kwargs: Vec<(Value, Value)>,
    ) -> Result<Value, String> {
        let _ = (args, kwargs);
        Err(format!("{global} may not be created with __new__"))
    }

    /// BUILD on a value this constructor made: `obj.__setstate__(state)`. Called only for
    /// a state other than `None`.
    fn build(&self, global: &Global, obj: Value, state: Value) -> Result<Value, String> {
        let _ = (obj, state);
        Err(format!("{global} objects take no state"))
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
#[derive(Clone, Default)]
pub struct Allowlist {
    entries: HashMap<(String, String), Decision>,
    unknown_inert: bool,
    blocked: Vec<String>,
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
        self.entries
            .insert((module.to_owned(), name.to_owned()), decision);
        self
    }

    /// Keeps `module`.`name` as an inert symbolic node.
    pub fn inert(self, module: &str, name: &str) -> Allowlist {
        self.decide(module, name, Decision::Inert)
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
        self.entries.extend(other.entries);
        self.unknown_inert |= other.unknown_inert;
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
            None if self.unknown_inert => Decision::Inert,
            None => Decision::Refuse,
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
