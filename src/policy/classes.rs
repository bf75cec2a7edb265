//! User classes at every protocol: the constructors behind [`Allowlist::class`] and the
//! protocol 0–1 route (`copyreg._reconstructor`) that [`Allowlist::inert`] and
//! [`Allowlist::class`] open for the classes they allow.
//!
//! CPython pickles an instance of a plain class as `cls.__new__(cls)` (NEWOBJ) at
//! protocols 2 and above, and as `copyreg._reconstructor(cls, object, None)` at protocols
//! 0 and 1, in both cases followed by BUILD with the instance's state when it has one.
//! The two routes give the same value here.

use std::collections::HashMap;
use std::sync::Arc;

use super::{Allowlist, Constructor, Decision};
use crate::value::{CallKind, Global, Object, Value};

/// The value `cls.__new__(cls)` stands for until BUILD gives it its state: the inert
/// object node, printed `mymod.Point.__new__(mymod.Point)`.
pub(crate) fn new_instance(cls: &Global) -> Value {
    Value::Object(Box::new(Object {
        callable: Value::Global(Box::new(cls.clone())),
        kind: CallKind::New,
        args: Vec::new(),
        kwargs: Vec::new(),
        mutations: Vec::new(),
    }))
}

/// Whether `v` is [`new_instance`] of `cls` with no state yet.
fn is_new_instance(v: &Value, cls: &Global) -> bool {
    matches!(v, Value::Object(o)
        if o.kind == CallKind::New
            && o.args.is_empty()
            && o.kwargs.is_empty()
            && o.mutations.is_empty()
            && matches!(&o.callable, Value::Global(g) if **g == *cls))
}

/// The constructor of [`Allowlist::class`]: `cls.__new__(cls)` then BUILD → `f(state)`.
pub(crate) struct PlainClass<F>(pub(crate) F);

impl<F> Constructor for PlainClass<F>
where
    F: Fn(Value) -> Result<Value, String> + Send + Sync,
{
    fn call(&self, global: &Global, _args: Vec<Value>) -> Result<Value, String> {
        Err(format!(
            "{global} is allowed as a plain class (created with __new__, then given its state), \
             not called; allow a call with Allowlist::call"
        ))
    }

    fn new_object(
        &self,
        global: &Global,
        args: Vec<Value>,
        kwargs: Vec<(Value, Value)>,
    ) -> Result<Value, String> {
        if !args.is_empty() || !kwargs.is_empty() {
            return Err(format!(
                "{global}.__new__ got arguments (the class has __getnewargs__): \
                 Allowlist::class takes none; implement Constructor::new_object"
            ));
        }
        Ok(new_instance(global))
    }

    fn build(&self, global: &Global, obj: Value, state: Value) -> Result<Value, String> {
        if !is_new_instance(&obj, global) {
            return Err(format!("{global} object state was already set"));
        }
        (self.0)(state)
    }
}

/// `copyreg._reconstructor(cls, builtins.object, None)` for the classes of one allowlist:
/// an inert class gives the inert `cls.__new__(cls)`, and BUILD records the state on it;
/// a constructed class gets its constructor's `new_object` and, on BUILD, its `build`
/// (which works for constructors whose `new_object` returns [`new_instance`], as
/// [`Allowlist::class`]'s does).
pub(crate) struct Reconstruct {
    pub(crate) entries: Arc<HashMap<(String, String), Decision>>,
    pub(crate) unknown_inert: bool,
}

impl Reconstruct {
    fn decision(&self, cls: &Global) -> Decision {
        match self.entries.get(&(cls.module.clone(), cls.name.clone())) {
            Some(d) => d.clone(),
            None if self.unknown_inert => Decision::Inert,
            None => Decision::Refuse,
        }
    }
}

impl Constructor for Reconstruct {
    fn call(&self, global: &Global, args: Vec<Value>) -> Result<Value, String> {
        let cls = match args.as_slice() {
            [Value::Global(cls), Value::Global(base), Value::None]
                if base.module == "builtins" && base.name == "object" =>
            {
                (**cls).clone()
            }
            [Value::Global(_), base, _] => {
                return Err(format!(
                    "only (cls, builtins.object, None) is accepted, got a base of {base} \
                     (an instance of a subclass of a built-in type): implement \
                     Constructor::call for {global} and allow it with Allowlist::construct"
                ))
            }
            _ => return Err("expected (cls, builtins.object, None)".to_owned()),
        };
        match self.decision(&cls) {
            Decision::Inert => Ok(new_instance(&cls)),
            Decision::Construct(c) => c.new_object(&cls, Vec::new(), Vec::new()),
            // The machine asked the policy about `cls` before: a refused class never gets
            // here. Kept for a policy that changes its mind.
            Decision::Refuse => Err(format!("{} is not allowed", cls.dotted())),
        }
    }

    fn build(&self, global: &Global, obj: Value, state: Value) -> Result<Value, String> {
        let cls = match &obj {
            Value::Object(o) if o.kind == CallKind::New => match &o.callable {
                Value::Global(g) => (**g).clone(),
                _ => return Err(format!("{global}: unexpected object")),
            },
            other => {
                return Err(format!(
                    "BUILD on a '{}' made by {global}: its class's constructor must return \
                     the inert cls.__new__(cls) from new_object to receive its state",
                    other.type_name()
                ))
            }
        };
        match self.decision(&cls) {
            Decision::Construct(c) => c.build(&cls, obj, state),
            _ => {
                let Value::Object(mut o) = obj else {
                    return Err(format!("{global}: unexpected object"));
                };
                o.mutations.push(crate::value::Mutation::SetState(state));
                Ok(Value::Object(o))
            }
        }
    }
}

/// `builtins.object` as a name (the base `_reconstructor` receives), never called.
pub(crate) struct ObjectName;

impl Constructor for ObjectName {
    fn call(&self, _global: &Global, _args: Vec<Value>) -> Result<Value, String> {
        Err("builtins.object may be named (as copyreg._reconstructor's base), not called".into())
    }
}

impl Allowlist {
    /// The decisions the protocol 0–1 route adds for the classes of this list, when the
    /// list has no entry of its own for the name.
    pub(super) fn class_route(&self, module: &str, name: &str) -> Option<Decision> {
        if !self.classes {
            return None;
        }
        match (module, name) {
            ("copyreg", "_reconstructor") => Some(Decision::Construct(Arc::new(Reconstruct {
                entries: self.entries.clone(),
                unknown_inert: self.unknown_inert,
            }))),
            ("builtins", "object") => Some(Decision::Construct(Arc::new(ObjectName))),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::value::Value;
    use crate::{presets, ErrorKind, Unpickler};

    /// `pickle.dumps(p, proto)` for protocols 0 to 5 of `p = mymod.Point()` with
    /// `p.x, p.y = 1, 'a'` (a plain class: no `__reduce__` of its own), by CPython 3.11.
    const POINT: [&[u8]; 6] = [
        b"ccopy_reg\x0a_reconstructor\x0ap0\x0a(cmymod\x0aPoint\x0ap1\x0ac__builtin__\x0aobject\x0ap2\x0aNtp3\x0aRp4\x0a(dp5\x0aVx\x0ap6\x0aI1\x0asVy\x0ap7\x0aVa\x0ap8\x0asb.",
        b"ccopy_reg\x0a_reconstructor\x0aq\x00(cmymod\x0aPoint\x0aq\x01c__builtin__\x0aobject\x0aq\x02Ntq\x03Rq\x04}q\x05(X\x01\x00\x00\x00xq\x06K\x01X\x01\x00\x00\x00yq\x07X\x01\x00\x00\x00aq\x08ub.",
        b"\x80\x02cmymod\x0aPoint\x0aq\x00)\x81q\x01}q\x02(X\x01\x00\x00\x00xq\x03K\x01X\x01\x00\x00\x00yq\x04X\x01\x00\x00\x00aq\x05ub.",
        b"\x80\x03cmymod\x0aPoint\x0aq\x00)\x81q\x01}q\x02(X\x01\x00\x00\x00xq\x03K\x01X\x01\x00\x00\x00yq\x04X\x01\x00\x00\x00aq\x05ub.",
        b"\x80\x04\x95)\x00\x00\x00\x00\x00\x00\x00\x8c\x05mymod\x94\x8c\x05Point\x94\x93\x94)\x81\x94}\x94(\x8c\x01x\x94K\x01\x8c\x01y\x94\x8c\x01a\x94ub.",
        b"\x80\x05\x95)\x00\x00\x00\x00\x00\x00\x00\x8c\x05mymod\x94\x8c\x05Point\x94\x93\x94)\x81\x94}\x94(\x8c\x01x\x94K\x01\x8c\x01y\x94\x8c\x01a\x94ub.",
    ];
    /// `repr(p.__dict__)` in CPython.
    const STATE: &str = "{'x': 1, 'y': 'a'}";

    fn load(policy: crate::Allowlist, data: &[u8]) -> crate::Result<Value> {
        Unpickler::new().policy(policy).load_slice(data)
    }

    #[test]
    fn inert_loads_a_plain_class_at_every_protocol() {
        let want = format!("mymod.Point.__new__(mymod.Point).__setstate__({STATE})");
        for (proto, data) in POINT.iter().enumerate() {
            let v = load(presets::strict().inert("mymod", "Point"), data)
                .unwrap_or_else(|e| panic!("protocol {proto}: {e}"));
            assert_eq!(v.to_string(), want, "protocol {proto}");
        }
        // Without state (an empty __dict__: no BUILD), both routes agree too.
        let empty: [&[u8]; 2] = [
            b"ccopy_reg\x0a_reconstructor\x0ap0\x0a(cmymod\x0aPoint\x0ap1\x0ac__builtin__\x0aobject\x0ap2\x0aNtp3\x0aRp4\x0a.",
            b"\x80\x02cmymod\x0aPoint\x0aq\x00)\x81q\x01.",
        ];
        for data in empty {
            let v = load(presets::strict().inert("mymod", "Point"), data).unwrap();
            assert_eq!(v.to_string(), "mymod.Point.__new__(mymod.Point)");
        }
    }

    #[test]
    fn class_builds_a_plain_class_from_its_state_at_every_protocol() {
        let policy = presets::strict().class("mymod", "Point", |state| {
            Ok(Value::Str(format!("Point{state}").into()))
        });
        for (proto, data) in POINT.iter().enumerate() {
            let v = load(policy.clone(), data).unwrap_or_else(|e| panic!("protocol {proto}: {e}"));
            assert_eq!(
                v.to_string(),
                format!("\"Point{STATE}\""),
                "protocol {proto}"
            );
        }
        // f's error is the load's error.
        let failing = presets::strict().class("mymod", "Point", |_| Err("no".into()));
        let e = load(failing, POINT[2]).unwrap_err();
        assert!(matches!(e.kind(), ErrorKind::Construct { message, .. } if message == "no"));
        // Calling the class is refused, saying what to use.
        let e = load(policy, b"cmymod\nPoint\n)R.").unwrap_err();
        assert!(e.to_string().contains("Allowlist::call"), "{e}");
    }

    #[test]
    fn the_protocol_0_route_opens_only_for_allowed_classes() {
        // strict alone: copyreg._reconstructor stays refused.
        let e = load(presets::strict(), POINT[0]).unwrap_err();
        assert!(
            matches!(e.kind(), ErrorKind::Refused { module, name } if module == "copyreg" && name == "_reconstructor"),
            "{e}"
        );
        // A class the list does not allow is refused at its GLOBAL, not reconstructed.
        let evil = b"ccopy_reg\n_reconstructor\n(cos\nsystem\nc__builtin__\nobject\nNtR.";
        let e = load(presets::strict().inert("mymod", "Point"), evil).unwrap_err();
        assert!(
            matches!(e.kind(), ErrorKind::Refused { module, name } if module == "os" && name == "system"),
            "{e}"
        );
        // builtins.object may be named, not called.
        let e = load(
            presets::strict().inert("mymod", "Point"),
            b"c__builtin__\nobject\n)R.",
        )
        .unwrap_err();
        assert!(e.to_string().contains("not called"), "{e}");
        // Another base (a subclass of list) is refused with what to implement.
        let sub = b"ccopy_reg\n_reconstructor\n(cmymod\nPoint\nc__builtin__\nlist\n(ltR.";
        let policy = presets::strict()
            .inert("mymod", "Point")
            .inert("builtins", "list");
        let e = load(policy, sub).unwrap_err();
        assert!(e.to_string().contains("Allowlist::construct"), "{e}");
        // An entry of the list's own wins: stdlib keeps its _reconstructor form.
        let v = load(presets::stdlib().inert("mymod", "Point"), POINT[0]).unwrap();
        assert!(
            v.to_string()
                .starts_with("copyreg._reconstructor(mymod.Point, builtins.object, None)"),
            "{v}"
        );
    }
}
