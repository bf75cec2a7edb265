//! [`Dict`] and [`Set`]: insertion-ordered vectors with Python's key rules, hashed only
//! when they are large.
//!
//! A dict is one vector of `(key, value)` pairs in insertion order, a set one vector of
//! keys. Up to [`INDEX_THRESHOLD`] entries, a key is found by comparing it with each entry
//! in turn: no hash is computed and nothing but the vector is allocated, which is what
//! almost every dict in a pickle is (records, keyword arguments, object states). Above
//! it, an index from each key's hash to its position is built, hashed with std's
//! `RandomState` (SipHash-1-3 with per-process random keys), so a pickle cannot choose
//! keys that collide: a dict of a million crafted keys still takes linear time.
//!
//! Keys follow Python's rules ([`Key`]): `1`, `1.0` and `True` are one key; the first key
//! and its position stay and the last value wins.

use std::collections::HashMap;
use std::fmt;
use std::hash::{BuildHasher, BuildHasherDefault, Hash, Hasher, RandomState};

use super::key::{hash_value, key_eq};
use super::{Key, Value};

/// Above this many entries a dict or set builds a hash index; up to it, lookups compare
/// keys one by one. Swept over 8, 12, 16, 24 and 32 on lists of dicts with 10–28 keys
/// (instructions per load, which a loaded machine cannot blur): with `str` keys a scan
/// costs less than building and probing the index up to about 13 entries (at 14 it is 2 %
/// more, at 20 it is 20 % more); with `int` keys, compared without the general numeric
/// rule, up to about 24. 16 keeps both within a few percent of their best, a scan is
/// sequential memory where the index is three allocations and random probes, and the
/// dicts of real pickles (records, keyword arguments, object states) are almost all
/// smaller. The records corpus (5 keys) does not see the threshold.
pub const INDEX_THRESHOLD: usize = 16;

/// End of a chain of positions with the same hash.
const NONE: usize = usize::MAX;

/// Something a dict or set can be searched with: a [`Key`], a [`Value`] or a `str`
/// (compared as a Python `str` key), with Python's equality.
pub trait Lookup {
    /// Whether `key` is equal to this, by Python's rules.
    fn equals_key(&self, key: &Key) -> bool;
    /// Feeds the hash [`Key`] would have for an equal key.
    fn hash_key<H: Hasher>(&self, state: &mut H);
}

impl Lookup for Key {
    #[inline]
    fn equals_key(&self, key: &Key) -> bool {
        key_eq(self.value(), key.value())
    }
    fn hash_key<H: Hasher>(&self, state: &mut H) {
        hash_value(self.value(), state)
    }
}

impl Lookup for Value {
    #[inline]
    fn equals_key(&self, key: &Key) -> bool {
        key_eq(self, key.value())
    }
    fn hash_key<H: Hasher>(&self, state: &mut H) {
        hash_value(self, state)
    }
}

impl Lookup for str {
    #[inline]
    fn equals_key(&self, key: &Key) -> bool {
        matches!(key.value(), Value::Str(s) if s.as_str() == self)
    }
    fn hash_key<H: Hasher>(&self, state: &mut H) {
        // A `str` key hashes exactly as the `str` (see `hash_value`).
        self.hash(state)
    }
}

impl Lookup for String {
    #[inline]
    fn equals_key(&self, key: &Key) -> bool {
        self.as_str().equals_key(key)
    }
    fn hash_key<H: Hasher>(&self, state: &mut H) {
        self.as_str().hash_key(state)
    }
}

impl<T: Lookup + ?Sized> Lookup for &T {
    #[inline]
    fn equals_key(&self, key: &Key) -> bool {
        (**self).equals_key(key)
    }
    fn hash_key<H: Hasher>(&self, state: &mut H) {
        (**self).hash_key(state)
    }
}

/// A hasher for keys that are already SipHash outputs: passes them through.
#[derive(Default)]
struct PassThrough(u64);

impl Hasher for PassThrough {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.0 = self.0.rotate_left(8) ^ u64::from(b);
        }
    }
    fn write_u64(&mut self, n: u64) {
        self.0 = n;
    }
}

/// The hash index of a large dict or set: each distinct hash to the newest position with
/// that hash, and per position the next older one with the same hash (full 64-bit
/// collisions are as rare as SipHash makes them, but handled).
#[derive(Clone)]
struct Index {
    state: RandomState,
    heads: HashMap<u64, usize, BuildHasherDefault<PassThrough>>,
    next: Vec<usize>,
}

impl Index {
    fn with_capacity(n: usize) -> Index {
        Index {
            state: RandomState::new(),
            heads: HashMap::with_capacity_and_hasher(n, BuildHasherDefault::default()),
            next: Vec::with_capacity(n),
        }
    }

    #[inline]
    fn hash<Q: Lookup + ?Sized>(&self, q: &Q) -> u64 {
        let mut h = self.state.build_hasher();
        q.hash_key(&mut h);
        h.finish()
    }

    /// The position of the entry equal to `q` (whose hash is `hash`).
    #[inline]
    fn find<E: Entry, Q: Lookup + ?Sized>(&self, entries: &[E], q: &Q, hash: u64) -> Option<usize> {
        let mut pos = self.heads.get(&hash).copied().unwrap_or(NONE);
        while pos != NONE {
            if entries.get(pos).is_some_and(|e| q.equals_key(e.key())) {
                return Some(pos);
            }
            pos = self.next.get(pos).copied().unwrap_or(NONE);
        }
        None
    }

    /// Records that position `pos` (the next one) holds a key with `hash`.
    #[inline]
    fn push(&mut self, hash: u64, pos: usize) {
        let older = self.heads.insert(hash, pos).unwrap_or(NONE);
        self.next.push(older);
    }

    /// The index of `entries`, which hold no duplicates.
    fn build<E: Entry>(entries: &[E]) -> Index {
        let mut index = Index::with_capacity(entries.len());
        for (pos, e) in entries.iter().enumerate() {
            let h = index.hash(e.key());
            index.push(h, pos);
        }
        index
    }
}

/// What the dict and set vectors hold.
trait Entry {
    fn key(&self) -> &Key;
}

impl Entry for (Key, Value) {
    #[inline]
    fn key(&self) -> &Key {
        &self.0
    }
}

impl Entry for Key {
    #[inline]
    fn key(&self) -> &Key {
        self
    }
}

/// The vector and its index, shared by [`Dict`] and [`Set`].
#[derive(Clone)]
struct Table<E> {
    entries: Vec<E>,
    /// Covers every entry when present; present whenever there are more than
    /// [`INDEX_THRESHOLD`] entries (and when the table was made for that many).
    index: Option<Box<Index>>,
}

impl<E> Default for Table<E> {
    fn default() -> Table<E> {
        Table {
            entries: Vec::new(),
            index: None,
        }
    }
}

impl<E: Entry> Table<E> {
    /// An empty table with room for `n` entries, and its index made ready when `n` is
    /// past the threshold.
    fn with_capacity(n: usize) -> Table<E> {
        Table {
            entries: Vec::with_capacity(n),
            index: (n > INDEX_THRESHOLD).then(|| Box::new(Index::with_capacity(n))),
        }
    }

    /// The position of the entry equal to `q`.
    #[inline]
    fn find<Q: Lookup + ?Sized>(&self, q: &Q) -> Option<usize> {
        match &self.index {
            None => self.entries.iter().position(|e| q.equals_key(e.key())),
            Some(index) => index.find(&self.entries, q, index.hash(q)),
        }
    }

    /// Adds `e` unless an equal key is present; then `merge` gets the present entry and
    /// `e`, and its position is returned as `Err`.
    #[inline]
    fn insert_with(&mut self, e: E, merge: impl FnOnce(&mut E, E)) -> Result<usize, usize> {
        match &mut self.index {
            None => {
                let found = self.entries.iter().position(|x| key_eq(x.key(), e.key()));
                if let Some(pos) = found {
                    if let Some(x) = self.entries.get_mut(pos) {
                        merge(x, e);
                    }
                    return Err(pos);
                }
                self.entries.push(e);
                if self.entries.len() > INDEX_THRESHOLD {
                    self.index = Some(Box::new(Index::build(&self.entries)));
                }
                Ok(self.entries.len() - 1)
            }
            Some(index) => {
                let hash = index.hash(e.key());
                if let Some(pos) = index.find(&self.entries, e.key(), hash) {
                    if let Some(x) = self.entries.get_mut(pos) {
                        merge(x, e);
                    }
                    return Err(pos);
                }
                let pos = self.entries.len();
                index.push(hash, pos);
                self.entries.push(e);
                Ok(pos)
            }
        }
    }

    /// Builds the table from entries in insertion order, merging duplicates as
    /// [`Table::insert_with`] does. The vector is allocated once, at the exact size
    /// `entries` reports (shorter only when keys repeat).
    fn from_entries(entries: impl ExactSizeIterator<Item = E>, merge: impl Fn(&mut E, E)) -> Self {
        let mut t = Table::with_capacity(entries.len());
        for e in entries {
            let _ = t.insert_with(e, &merge);
        }
        if t.entries.len() <= INDEX_THRESHOLD {
            t.index = None;
        }
        t
    }

    /// Removes the entry at `pos`, shifting the later ones down (O(n), as IndexMap's
    /// `shift_remove`).
    fn remove_at(&mut self, pos: usize) -> Option<E> {
        if pos >= self.entries.len() {
            return None;
        }
        let e = self.entries.remove(pos);
        self.index =
            (self.entries.len() > INDEX_THRESHOLD).then(|| Box::new(Index::build(&self.entries)));
        Some(e)
    }

    fn clear(&mut self) {
        self.entries.clear();
        self.index = None;
    }
}

/// A Python `dict`: insertion-ordered `(key, value)` pairs with Python's key equality
/// (`1`, `1.0` and `True` are one key). The methods are named as `IndexMap`'s.
///
/// ```
/// use unpickle::{Dict, Key, Value};
/// let mut d = Dict::new();
/// d.insert(Key::from("a"), Value::from(1));
/// d.insert(Key::from(1), Value::from("one"));
/// assert_eq!(d.get("a"), Some(&Value::Int(1)));
/// assert_eq!(d.get(&Value::Float(1.0)), Some(&Value::from("one")));
/// assert_eq!(d.len(), 2);
/// ```
#[derive(Clone, Default)]
pub struct Dict {
    table: Table<(Key, Value)>,
}

/// The pair iterator of a [`Dict`].
pub type Iter<'a> = std::iter::Map<
    std::slice::Iter<'a, (Key, Value)>,
    fn(&'a (Key, Value)) -> (&'a Key, &'a Value),
>;

impl Dict {
    /// An empty dict.
    pub fn new() -> Dict {
        Dict::default()
    }

    /// An empty dict with room for `n` pairs, allocated once (and its index, if `n` is
    /// past [`INDEX_THRESHOLD`]).
    pub fn with_capacity(n: usize) -> Dict {
        Dict {
            table: Table::with_capacity(n),
        }
    }

    /// A dict from pairs in insertion order, keeping Python's rule for a repeated key:
    /// the first key and its position stay, the last value wins.
    pub fn from_pairs<I>(pairs: I) -> Dict
    where
        I: IntoIterator<Item = (Key, Value)>,
        I::IntoIter: ExactSizeIterator,
    {
        Dict {
            table: Table::from_entries(pairs.into_iter(), |old, new| old.1 = new.1),
        }
    }

    /// The number of pairs.
    #[inline]
    pub fn len(&self) -> usize {
        self.table.entries.len()
    }

    /// Whether there are no pairs.
    #[inline]
    pub fn is_empty(&self) -> bool {
        self.table.entries.is_empty()
    }

    /// The value for `key` (a [`Key`], a [`Value`] or a `str`).
    #[inline]
    pub fn get<Q: Lookup + ?Sized>(&self, key: &Q) -> Option<&Value> {
        let pos = self.table.find(key)?;
        self.table.entries.get(pos).map(|(_, v)| v)
    }

    /// The value for `key`, mutably.
    pub fn get_mut<Q: Lookup + ?Sized>(&mut self, key: &Q) -> Option<&mut Value> {
        let pos = self.table.find(key)?;
        self.table.entries.get_mut(pos).map(|(_, v)| v)
    }

    /// The stored key and value for `key`.
    pub fn get_key_value<Q: Lookup + ?Sized>(&self, key: &Q) -> Option<(&Key, &Value)> {
        let pos = self.table.find(key)?;
        self.table.entries.get(pos).map(|(k, v)| (k, v))
    }

    /// The position of `key` in insertion order.
    pub fn get_index_of<Q: Lookup + ?Sized>(&self, key: &Q) -> Option<usize> {
        self.table.find(key)
    }

    /// The pair at position `i` in insertion order.
    pub fn get_index(&self, i: usize) -> Option<(&Key, &Value)> {
        self.table.entries.get(i).map(|(k, v)| (k, v))
    }

    /// The first pair inserted.
    pub fn first(&self) -> Option<(&Key, &Value)> {
        self.get_index(0)
    }

    /// The last pair inserted.
    pub fn last(&self) -> Option<(&Key, &Value)> {
        self.table.entries.last().map(|(k, v)| (k, v))
    }

    /// Whether `key` is present.
    pub fn contains_key<Q: Lookup + ?Sized>(&self, key: &Q) -> bool {
        self.table.find(key).is_some()
    }

    /// Sets `key` to `value`, as Python's `d[key] = value`: a present equal key keeps its
    /// position (and its own form: inserting `1.0` where `1` is keeps `1`), and the old
    /// value is returned.
    pub fn insert(&mut self, key: Key, value: Value) -> Option<Value> {
        let mut old = None;
        let _ = self.table.insert_with((key, value), |present, new| {
            old = Some(std::mem::replace(&mut present.1, new.1));
        });
        old
    }

    /// Removes `key` and returns its value, keeping the order of the others (O(n)).
    pub fn shift_remove<Q: Lookup + ?Sized>(&mut self, key: &Q) -> Option<Value> {
        let pos = self.table.find(key)?;
        self.table.remove_at(pos).map(|(_, v)| v)
    }

    /// Removes every pair.
    pub fn clear(&mut self) {
        self.table.clear()
    }

    /// The pairs in insertion order.
    pub fn iter(&self) -> Iter<'_> {
        self.table.entries.iter().map(|(k, v)| (k, v))
    }

    /// The pairs in insertion order, values mutable.
    pub fn iter_mut(&mut self) -> impl ExactSizeIterator<Item = (&Key, &mut Value)> + '_ {
        self.table.entries.iter_mut().map(|(k, v)| (&*k, v))
    }

    /// The keys in insertion order.
    pub fn keys(&self) -> impl ExactSizeIterator<Item = &Key> + '_ {
        self.table.entries.iter().map(|(k, _)| k)
    }

    /// The values in insertion order.
    pub fn values(&self) -> impl ExactSizeIterator<Item = &Value> + '_ {
        self.table.entries.iter().map(|(_, v)| v)
    }

    /// The values in insertion order, mutably.
    pub fn values_mut(&mut self) -> impl ExactSizeIterator<Item = &mut Value> + '_ {
        self.table.entries.iter_mut().map(|(_, v)| v)
    }

    /// The pairs as a slice, in insertion order.
    pub fn as_slice(&self) -> &[(Key, Value)] {
        &self.table.entries
    }

    /// The pairs, in insertion order.
    pub fn into_pairs(self) -> Vec<(Key, Value)> {
        self.table.entries
    }
}

impl PartialEq for Dict {
    /// As Python's `==`: the same keys with equal values, in any order.
    fn eq(&self, other: &Dict) -> bool {
        self.len() == other.len() && self.iter().all(|(k, v)| other.get(k) == Some(v))
    }
}

impl fmt::Debug for Dict {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_map().entries(self.iter()).finish()
    }
}

impl FromIterator<(Key, Value)> for Dict {
    fn from_iter<I: IntoIterator<Item = (Key, Value)>>(iter: I) -> Dict {
        let mut d = Dict::new();
        d.extend(iter);
        d
    }
}

impl Extend<(Key, Value)> for Dict {
    fn extend<I: IntoIterator<Item = (Key, Value)>>(&mut self, iter: I) {
        for (k, v) in iter {
            self.insert(k, v);
        }
    }
}

impl<'a> IntoIterator for &'a Dict {
    type Item = (&'a Key, &'a Value);
    type IntoIter = Iter<'a>;
    fn into_iter(self) -> Iter<'a> {
        self.iter()
    }
}

impl IntoIterator for Dict {
    type Item = (Key, Value);
    type IntoIter = std::vec::IntoIter<(Key, Value)>;
    fn into_iter(self) -> Self::IntoIter {
        self.table.entries.into_iter()
    }
}

/// A Python `set` or `frozenset`: keys in the order the pickle added them, with Python's
/// key equality. The methods are named as `IndexSet`'s.
///
/// ```
/// use unpickle::{Key, Set, Value};
/// let mut s = Set::new();
/// assert!(s.insert(Key::from(1)));
/// assert!(!s.insert(Key::new(Value::Bool(true)).unwrap()));
/// assert!(s.contains(&Value::Float(1.0)));
/// ```
#[derive(Clone, Default)]
pub struct Set {
    table: Table<Key>,
}

impl Set {
    /// An empty set.
    pub fn new() -> Set {
        Set::default()
    }

    /// An empty set with room for `n` keys.
    pub fn with_capacity(n: usize) -> Set {
        Set {
            table: Table::with_capacity(n),
        }
    }

    /// A set from keys in order; a repeated key keeps its first form and position.
    pub fn from_keys<I>(keys: I) -> Set
    where
        I: IntoIterator<Item = Key>,
        I::IntoIter: ExactSizeIterator,
    {
        Set {
            table: Table::from_entries(keys.into_iter(), |_, _| {}),
        }
    }

    /// The number of keys.
    #[inline]
    pub fn len(&self) -> usize {
        self.table.entries.len()
    }

    /// Whether there are no keys.
    #[inline]
    pub fn is_empty(&self) -> bool {
        self.table.entries.is_empty()
    }

    /// Whether `key` is present.
    pub fn contains<Q: Lookup + ?Sized>(&self, key: &Q) -> bool {
        self.table.find(key).is_some()
    }

    /// The stored key equal to `key`.
    pub fn get<Q: Lookup + ?Sized>(&self, key: &Q) -> Option<&Key> {
        let pos = self.table.find(key)?;
        self.table.entries.get(pos)
    }

    /// The position of `key` in insertion order.
    pub fn get_index_of<Q: Lookup + ?Sized>(&self, key: &Q) -> Option<usize> {
        self.table.find(key)
    }

    /// The key at position `i`.
    pub fn get_index(&self, i: usize) -> Option<&Key> {
        self.table.entries.get(i)
    }

    /// The first key added.
    pub fn first(&self) -> Option<&Key> {
        self.table.entries.first()
    }

    /// The last key added.
    pub fn last(&self) -> Option<&Key> {
        self.table.entries.last()
    }

    /// Adds `key`; `false` (and the set unchanged) when an equal key is present.
    pub fn insert(&mut self, key: Key) -> bool {
        self.table.insert_with(key, |_, _| {}).is_ok()
    }

    /// Removes `key`, keeping the order of the others (O(n)).
    pub fn shift_remove<Q: Lookup + ?Sized>(&mut self, key: &Q) -> bool {
        match self.table.find(key) {
            Some(pos) => self.table.remove_at(pos).is_some(),
            None => false,
        }
    }

    /// Removes every key.
    pub fn clear(&mut self) {
        self.table.clear()
    }

    /// The keys in order.
    pub fn iter(&self) -> std::slice::Iter<'_, Key> {
        self.table.entries.iter()
    }

    /// The keys as a slice, in order.
    pub fn as_slice(&self) -> &[Key] {
        &self.table.entries
    }

    /// The keys, in order.
    pub fn into_keys(self) -> Vec<Key> {
        self.table.entries
    }
}

impl PartialEq for Set {
    /// As Python's `==`: the same keys, in any order.
    fn eq(&self, other: &Set) -> bool {
        self.len() == other.len() && self.iter().all(|k| other.contains(k))
    }
}

impl fmt::Debug for Set {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_set().entries(self.iter()).finish()
    }
}

impl FromIterator<Key> for Set {
    fn from_iter<I: IntoIterator<Item = Key>>(iter: I) -> Set {
        let mut s = Set::new();
        s.extend(iter);
        s
    }
}

impl Extend<Key> for Set {
    fn extend<I: IntoIterator<Item = Key>>(&mut self, iter: I) {
        for k in iter {
            self.insert(k);
        }
    }
}

impl<'a> IntoIterator for &'a Set {
    type Item = &'a Key;
    type IntoIter = std::slice::Iter<'a, Key>;
    fn into_iter(self) -> Self::IntoIter {
        self.iter()
    }
}

impl IntoIterator for Set {
    type Item = Key;
    type IntoIter = std::vec::IntoIter<Key>;
    fn into_iter(self) -> Self::IntoIter {
        self.table.entries.into_iter()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn int(i: i64) -> Key {
        Key::from(i)
    }

    #[test]
    fn python_key_rules_on_both_sides_of_the_threshold() {
        for n in [3, INDEX_THRESHOLD, INDEX_THRESHOLD + 1, 1000] {
            let n = n as i64;
            // Every key twice: first as an int, then as the equal float.
            let pairs = (0..n)
                .map(|i| (int(i), Value::Int(i)))
                .chain((0..n).map(|i| (Key::new(Value::Float(i as f64)).unwrap(), Value::Int(-i))));
            let pairs: Vec<_> = pairs.collect();
            let pairs_again = pairs.clone();
            let d = Dict::from_pairs(pairs);
            assert_eq!(d.len(), n as usize);
            assert_eq!(d.table.index.is_some(), d.len() > INDEX_THRESHOLD);
            let mut d3 = Dict::with_capacity(pairs_again.len());
            for (k, v) in pairs_again {
                d3.insert(k, v);
            }
            assert_eq!(d3.as_slice(), d.as_slice());
            for i in 0..n {
                // First key (the int) and position stay, last value wins.
                let (k, v) = d.get_index(i as usize).unwrap();
                assert_eq!(k.value(), &Value::Int(i));
                assert_eq!(v, &Value::Int(-i));
            }
            assert_eq!(d.get(&Value::Bool(true)), Some(&Value::Int(-1)));
            let mut d2 = Dict::new();
            for (k, v) in d.iter() {
                d2.insert(k.clone(), v.clone());
            }
            assert_eq!(d2, d);
            assert_eq!(d2.table.index.is_some(), d2.len() > INDEX_THRESHOLD);
        }
    }

    #[test]
    fn str_lookup_and_remove() {
        let mut d: Dict = (0..40)
            .map(|i| (Key::from(format!("k{i}").as_str()), Value::Int(i)))
            .collect();
        assert_eq!(d.get("k7"), Some(&Value::Int(7)));
        assert_eq!(d.get(&String::from("k39")), Some(&Value::Int(39)));
        assert_eq!(d.shift_remove("k0"), Some(Value::Int(0)));
        assert_eq!(d.get("k0"), None);
        assert_eq!(d.get_index_of("k1"), Some(0));
        assert_eq!(d.get("k39"), Some(&Value::Int(39)));
    }

    #[test]
    fn nan_keys_stay_distinct() {
        let s = Set::from_keys((0..40).map(|_| Key::new(Value::Float(f64::NAN)).unwrap()));
        assert_eq!(s.len(), 40);
    }
}
