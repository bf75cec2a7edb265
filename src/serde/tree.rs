//! What the deserializer sees at one place of a loaded result, whichever representation
//! holds it: a [`Value`] (for [`super::from_value`] and the general path) or the direct
//! path's own graph ([`super::direct`]). One deserializer ([`super::de`]) reads both.

use num_bigint::BigInt;

use crate::value::{Key, Value};

/// One place in a result, seen through [`Tree::shape`]. `'de` is the lifetime of what can
/// be lent to the caller's type (the input bytes, or a borrowed [`Value`]); `'a` that of
/// what can only be read while deserializing (text the loader decoded).
pub(crate) enum Shape<'de, 'a, T: Tree<'de, 'a>> {
    None,
    Bool(bool),
    Int(i64),
    Big(&'a BigInt),
    Float(f64),
    Complex(f64, f64),
    /// A `str` that can be lent for `'de`.
    Str(&'de str),
    /// A `str` readable only while deserializing.
    StrT(&'a str),
    /// `bytes` / `bytearray` that can be lent for `'de`.
    Bytes(&'de [u8]),
    /// `bytes` / `bytearray` readable only while deserializing.
    BytesT(&'a [u8]),
    /// tuple, list, set, frozenset, deque, object array: Python's type name and the items.
    Seq(&'static str, T::Items),
    /// dict, OrderedDict, defaultdict, Counter: Python's type name and the pairs.
    Map(&'static str, T::Pairs),
    /// Everything else (stdlib and numpy values, inert globals and objects): read by the
    /// rules of [`super::rich`].
    Rich(&'a Value),
}

/// A handle to one place of a result.
pub(crate) trait Tree<'de, 'a>: Copy {
    /// The items of a sequence.
    type Items: ExactSizeIterator<Item = Self>;
    /// The pairs of a mapping.
    type Pairs: ExactSizeIterator<Item = (Self, Self)>;
    /// What is here.
    fn shape(self) -> Shape<'de, 'a, Self>;
}

/// A [`Value`] read by the deserializer. `LEND` says whether its strings and bytes may be
/// lent to the caller (only when the caller holds the value for `'de`).
#[derive(Clone, Copy)]
pub(crate) struct ValueNode<'a, const LEND: bool>(pub &'a Value);

/// The items of a [`Value`] sequence.
pub(crate) enum ValueItems<'a> {
    Values(std::slice::Iter<'a, Value>),
    Keys(std::slice::Iter<'a, Key>),
}

impl<'a> Iterator for ValueItems<'a> {
    type Item = &'a Value;
    #[inline]
    fn next(&mut self) -> Option<&'a Value> {
        match self {
            ValueItems::Values(it) => it.next(),
            ValueItems::Keys(it) => it.next().map(|k| k.value()),
        }
    }
    fn size_hint(&self) -> (usize, Option<usize>) {
        match self {
            ValueItems::Values(it) => it.size_hint(),
            ValueItems::Keys(it) => it.size_hint(),
        }
    }
}
impl ExactSizeIterator for ValueItems<'_> {}

/// [`ValueItems`] as nodes.
pub(crate) struct Items<'a, const LEND: bool>(ValueItems<'a>);

impl<'a, const LEND: bool> Iterator for Items<'a, LEND> {
    type Item = ValueNode<'a, LEND>;
    #[inline]
    fn next(&mut self) -> Option<Self::Item> {
        self.0.next().map(ValueNode)
    }
    fn size_hint(&self) -> (usize, Option<usize>) {
        self.0.size_hint()
    }
}
impl<const LEND: bool> ExactSizeIterator for Items<'_, LEND> {}

/// The pairs of a [`Value`] mapping, as nodes.
pub(crate) struct Pairs<'a, const LEND: bool>(std::slice::Iter<'a, (Key, Value)>);

impl<'a, const LEND: bool> Iterator for Pairs<'a, LEND> {
    type Item = (ValueNode<'a, LEND>, ValueNode<'a, LEND>);
    #[inline]
    fn next(&mut self) -> Option<Self::Item> {
        self.0
            .next()
            .map(|(k, v)| (ValueNode(k.value()), ValueNode(v)))
    }
    fn size_hint(&self) -> (usize, Option<usize>) {
        self.0.size_hint()
    }
}
impl<const LEND: bool> ExactSizeIterator for Pairs<'_, LEND> {}

/// The shape of a value, its text readable for `'a` only.
fn value_shape<'x, 'a, const LEND: bool>(v: &'a Value) -> Shape<'x, 'a, ValueNode<'a, LEND>>
where
    ValueNode<'a, LEND>: Tree<'x, 'a, Items = Items<'a, LEND>, Pairs = Pairs<'a, LEND>>,
{
    let seq = |it: ValueItems<'a>| Shape::Seq(v.type_name(), Items(it));
    match v {
        Value::None => Shape::None,
        Value::Bool(b) => Shape::Bool(*b),
        Value::Int(i) => Shape::Int(*i),
        Value::BigInt(b) => Shape::Big(b),
        Value::Float(f) => Shape::Float(*f),
        Value::Complex(c) => Shape::Complex(c.re, c.im),
        Value::Str(s) => Shape::StrT(s),
        Value::Bytes(b) | Value::ByteArray(b) => Shape::BytesT(b),
        Value::Tuple(items) | Value::List(items) => seq(ValueItems::Values(items.iter())),
        Value::Set(s) | Value::FrozenSet(s) => seq(ValueItems::Keys(s.iter())),
        Value::Deque(d) => seq(ValueItems::Values(d.items().iter())),
        Value::Dict(_) | Value::OrderedDict(_) | Value::Counter(_) | Value::DefaultDict(_) => {
            let d = v.as_dict().map_or(&[][..], |d| d.as_slice());
            Shape::Map(v.type_name(), Pairs(d.iter()))
        }
        Value::NdArray(a) => match a.objects() {
            Some(objects) => seq(ValueItems::Values(objects.iter())),
            None => Shape::Rich(v),
        },
        _ => Shape::Rich(v),
    }
}

impl<'de> Tree<'de, 'de> for ValueNode<'de, true> {
    type Items = Items<'de, true>;
    type Pairs = Pairs<'de, true>;
    #[inline]
    fn shape(self) -> Shape<'de, 'de, Self> {
        match value_shape(self.0) {
            Shape::StrT(s) => Shape::Str(s),
            Shape::BytesT(b) => Shape::Bytes(b),
            other => other,
        }
    }
}

impl<'de, 'a> Tree<'de, 'a> for ValueNode<'a, false> {
    type Items = Items<'a, false>;
    type Pairs = Pairs<'a, false>;
    #[inline]
    fn shape(self) -> Shape<'de, 'a, Self> {
        value_shape(self.0)
    }
}
