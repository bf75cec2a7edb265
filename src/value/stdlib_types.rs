//! Typed values of the Python standard library that the [`crate::presets::stdlib`] preset
//! reconstructs: `collections`, `datetime`, `decimal.Decimal`, `fractions.Fraction` and
//! `uuid.UUID`.
//!
//! Each type keeps its fields private and valid; `Display` prints what Python 3.11's
//! `repr()` prints for the equivalent object.

use std::fmt::{self, Write};

use num_bigint::{BigInt, Sign};

use super::repr;
use super::{Dict, Global, ThinVec, Value};

// ------------------------------------------------------------------ collections

/// A `collections.defaultdict`: the items, and the default factory recorded by name
/// (it is never called).
#[derive(Clone, Debug, PartialEq)]
pub struct DefaultDict {
    pub(crate) factory: Option<Global>,
    pub(crate) dict: Dict,
}

impl DefaultDict {
    /// A defaultdict with `factory` (`None` for `defaultdict(None)`) and no items.
    pub fn new(factory: Option<Global>) -> DefaultDict {
        DefaultDict {
            factory,
            dict: Dict::default(),
        }
    }

    /// The `default_factory`, as the global the pickle named (e.g. `builtins.list`).
    pub fn factory(&self) -> Option<&Global> {
        self.factory.as_ref()
    }

    /// The items, in insertion order.
    pub fn dict(&self) -> &Dict {
        &self.dict
    }

    /// The items, mutably.
    pub fn dict_mut(&mut self) -> &mut Dict {
        &mut self.dict
    }
}

/// A `collections.deque`, with its `maxlen`.
///
/// As in Python, a bounded deque keeps only its last `maxlen` items; items a pickle
/// appends beyond that push the oldest ones out ([`Deque::items`] shows the kept ones).
#[derive(Clone, Debug, PartialEq)]
pub struct Deque {
    pub(crate) items: ThinVec<Value>,
    pub(crate) maxlen: Option<usize>,
}

impl Deque {
    /// An empty deque bounded by `maxlen`.
    pub fn new(maxlen: Option<usize>) -> Deque {
        Deque {
            items: ThinVec::new(),
            maxlen,
        }
    }

    /// The items, oldest first (at most `maxlen` of them).
    pub fn items(&self) -> &[Value] {
        match self.maxlen {
            Some(m) if self.items.len() > m => {
                self.items.get(self.items.len() - m..).unwrap_or_default()
            }
            _ => &self.items,
        }
    }

    /// The bound, if any.
    pub fn maxlen(&self) -> Option<usize> {
        self.maxlen
    }
}

// --------------------------------------------------------------------- datetime

/// A `datetime.date`: always a valid proleptic Gregorian date with year 1–9999.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Date {
    pub(crate) year: u16,
    pub(crate) month: u8,
    pub(crate) day: u8,
}

fn is_leap(year: u16) -> bool {
    year % 4 == 0 && (year % 100 != 0 || year % 400 == 0)
}

fn days_in_month(year: u16, month: u8) -> u8 {
    match month {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if is_leap(year) => 29,
        2 => 28,
        _ => 0,
    }
}

impl Date {
    /// The date, or why it is not valid (Python's messages).
    pub fn new(year: u16, month: u8, day: u8) -> Result<Date, String> {
        if !(1..=9999).contains(&year) {
            return Err(format!("year {year} is out of range"));
        }
        if !(1..=12).contains(&month) {
            return Err("month must be in 1..12".to_owned());
        }
        if day < 1 || day > days_in_month(year, month) {
            return Err("day is out of range for month".to_owned());
        }
        Ok(Date { year, month, day })
    }

    /// The year, 1–9999.
    pub fn year(&self) -> u16 {
        self.year
    }

    /// The month, 1–12.
    pub fn month(&self) -> u8 {
        self.month
    }

    /// The day of the month, 1–31.
    pub fn day(&self) -> u8 {
        self.day
    }
}

impl fmt::Display for Date {
    /// `datetime.date(2024, 1, 2)`
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "datetime.date({}, {}, {})",
            self.year, self.month, self.day
        )
    }
}

/// The time-of-day part shared by [`Time`] and [`DateTime`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
struct Clock {
    hour: u8,
    minute: u8,
    second: u8,
    microsecond: u32,
}

impl Clock {
    fn new(hour: u8, minute: u8, second: u8, microsecond: u32) -> Result<Clock, String> {
        if hour > 23 {
            return Err("hour must be in 0..23".to_owned());
        }
        if minute > 59 {
            return Err("minute must be in 0..59".to_owned());
        }
        if second > 59 {
            return Err("second must be in 0..59".to_owned());
        }
        if microsecond > 999_999 {
            return Err("microsecond must be in 0..999999".to_owned());
        }
        Ok(Clock {
            hour,
            minute,
            second,
            microsecond,
        })
    }

    /// `h, m[, s[, us]]` as Python's reprs list them.
    fn write(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}, {}", self.hour, self.minute)?;
        if self.microsecond != 0 {
            write!(f, ", {}, {}", self.second, self.microsecond)
        } else if self.second != 0 {
            write!(f, ", {}", self.second)
        } else {
            Ok(())
        }
    }
}

/// The `tzinfo` of a [`Time`] or [`DateTime`].
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub enum TzInfo {
    /// A `datetime.timezone` (fixed offset, optional name).
    TimeZone(TimeZone),
    /// Any other tzinfo object the policy produced (e.g. an inert `zoneinfo.ZoneInfo`).
    Other(Value),
}

fn write_tz_fold(f: &mut fmt::Formatter<'_>, tz: &Option<TzInfo>, fold: bool) -> fmt::Result {
    if let Some(tz) = tz {
        write!(f, ", tzinfo={tz}")?;
    }
    if fold {
        f.write_str(", fold=1")?;
    }
    f.write_char(')')
}

/// A `datetime.time`.
#[derive(Clone, Debug, PartialEq)]
pub struct Time {
    clock: Clock,
    pub(crate) fold: bool,
    pub(crate) tzinfo: Option<TzInfo>,
}

impl Time {
    /// The time, or why it is not valid.
    pub fn new(
        hour: u8,
        minute: u8,
        second: u8,
        microsecond: u32,
        fold: bool,
        tzinfo: Option<TzInfo>,
    ) -> Result<Time, String> {
        Ok(Time {
            clock: Clock::new(hour, minute, second, microsecond)?,
            fold,
            tzinfo,
        })
    }

    /// The hour, 0–23.
    pub fn hour(&self) -> u8 {
        self.clock.hour
    }

    /// The minute, 0–59.
    pub fn minute(&self) -> u8 {
        self.clock.minute
    }

    /// The second, 0–59.
    pub fn second(&self) -> u8 {
        self.clock.second
    }

    /// The microsecond, 0–999999.
    pub fn microsecond(&self) -> u32 {
        self.clock.microsecond
    }

    /// PEP 495's `fold` (only pickled at protocol 4 and above).
    pub fn fold(&self) -> bool {
        self.fold
    }

    /// The tzinfo, if the time is aware.
    pub fn tzinfo(&self) -> Option<&TzInfo> {
        self.tzinfo.as_ref()
    }
}

impl fmt::Display for Time {
    /// `datetime.time(3, 4, 5, 6)`, `datetime.time(1, 2, tzinfo=datetime.timezone.utc)`,
    /// `datetime.time(1, 2, fold=1)`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("datetime.time(")?;
        self.clock.write(f)?;
        write_tz_fold(f, &self.tzinfo, self.fold)
    }
}

/// A `datetime.datetime`.
#[derive(Clone, Debug, PartialEq)]
pub struct DateTime {
    date: Date,
    clock: Clock,
    pub(crate) fold: bool,
    pub(crate) tzinfo: Option<TzInfo>,
}

impl DateTime {
    /// The datetime from its date and time parts.
    pub fn new(date: Date, time: Time) -> DateTime {
        DateTime {
            date,
            clock: time.clock,
            fold: time.fold,
            tzinfo: time.tzinfo,
        }
    }

    /// The date part.
    pub fn date(&self) -> Date {
        self.date
    }

    /// The time part (with the tzinfo and fold).
    pub fn time(&self) -> Time {
        Time {
            clock: self.clock,
            fold: self.fold,
            tzinfo: self.tzinfo.clone(),
        }
    }

    /// The year.
    pub fn year(&self) -> u16 {
        self.date.year
    }

    /// The month.
    pub fn month(&self) -> u8 {
        self.date.month
    }

    /// The day.
    pub fn day(&self) -> u8 {
        self.date.day
    }

    /// The hour.
    pub fn hour(&self) -> u8 {
        self.clock.hour
    }

    /// The minute.
    pub fn minute(&self) -> u8 {
        self.clock.minute
    }

    /// The second.
    pub fn second(&self) -> u8 {
        self.clock.second
    }

    /// The microsecond.
    pub fn microsecond(&self) -> u32 {
        self.clock.microsecond
    }

    /// PEP 495's `fold` (only pickled at protocol 4 and above).
    pub fn fold(&self) -> bool {
        self.fold
    }

    /// The tzinfo, if the datetime is aware.
    pub fn tzinfo(&self) -> Option<&TzInfo> {
        self.tzinfo.as_ref()
    }
}

impl fmt::Display for DateTime {
    /// `datetime.datetime(2024, 1, 2, 3, 4)`, with seconds and microseconds when not zero,
    /// then `tzinfo=…` and `fold=1` when present.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "datetime.datetime({}, {}, {}, ",
            self.date.year, self.date.month, self.date.day
        )?;
        self.clock.write(f)?;
        write_tz_fold(f, &self.tzinfo, self.fold)
    }
}

/// A `datetime.timedelta`, normalized as Python keeps it: `0 <= seconds < 86400`,
/// `0 <= microseconds < 1000000`, `|days| <= 999999999`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct TimeDelta {
    pub(crate) days: i32,
    pub(crate) seconds: i32,
    pub(crate) microseconds: i32,
}

impl TimeDelta {
    /// The timedelta from its normalized parts, or why they are not normalized.
    pub fn new(days: i64, seconds: i64, microseconds: i64) -> Result<TimeDelta, String> {
        if !(-999_999_999..=999_999_999).contains(&days) {
            return Err(format!("days={days}; must have magnitude <= 999999999"));
        }
        if !(0..86_400).contains(&seconds) || !(0..1_000_000).contains(&microseconds) {
            return Err("seconds and microseconds must be normalized".to_owned());
        }
        Ok(TimeDelta {
            days: days as i32,
            seconds: seconds as i32,
            microseconds: microseconds as i32,
        })
    }

    /// Days (may be negative).
    pub fn days(&self) -> i32 {
        self.days
    }

    /// Seconds, 0–86399.
    pub fn seconds(&self) -> i32 {
        self.seconds
    }

    /// Microseconds, 0–999999.
    pub fn microseconds(&self) -> i32 {
        self.microseconds
    }

    /// The whole duration in microseconds.
    pub fn total_microseconds(&self) -> i64 {
        (i64::from(self.days) * 86_400 + i64::from(self.seconds)) * 1_000_000
            + i64::from(self.microseconds)
    }

    fn is_zero(&self) -> bool {
        self.days == 0 && self.seconds == 0 && self.microseconds == 0
    }
}

impl fmt::Display for TimeDelta {
    /// `datetime.timedelta(days=-1, seconds=5, microseconds=7)`, listing only the parts
    /// that are not zero; `datetime.timedelta(0)` for zero.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("datetime.timedelta(")?;
        if self.is_zero() {
            return f.write_str("0)");
        }
        let mut sep = "";
        for (name, v) in [
            ("days", self.days),
            ("seconds", self.seconds),
            ("microseconds", self.microseconds),
        ] {
            if v != 0 {
                write!(f, "{sep}{name}={v}")?;
                sep = ", ";
            }
        }
        f.write_char(')')
    }
}

/// A `datetime.timezone`: a fixed UTC offset strictly between -24 h and 24 h, and an
/// optional name.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct TimeZone {
    pub(crate) offset: TimeDelta,
    pub(crate) name: Option<String>,
}

impl TimeZone {
    /// The timezone, or why the offset is not acceptable (Python's message).
    pub fn new(offset: TimeDelta, name: Option<String>) -> Result<TimeZone, String> {
        let us = offset.total_microseconds();
        if us <= -86_400_000_000 || us >= 86_400_000_000 {
            return Err(format!(
                "offset must be a timedelta strictly between -timedelta(hours=24) and timedelta(hours=24), not {}.",
                offset
            ));
        }
        Ok(TimeZone { offset, name })
    }

    /// `datetime.timezone.utc`.
    pub fn utc() -> TimeZone {
        TimeZone {
            offset: TimeDelta {
                days: 0,
                seconds: 0,
                microseconds: 0,
            },
            name: None,
        }
    }

    /// The offset from UTC.
    pub fn offset(&self) -> TimeDelta {
        self.offset
    }

    /// The name given at construction, if any.
    pub fn name(&self) -> Option<&str> {
        self.name.as_deref()
    }

    /// Whether this is `datetime.timezone.utc` (zero offset, no name).
    pub fn is_utc(&self) -> bool {
        self.offset.is_zero() && self.name.is_none()
    }
}

impl fmt::Display for TimeZone {
    /// `datetime.timezone.utc`, `datetime.timezone(datetime.timedelta(seconds=3600))`,
    /// `datetime.timezone(datetime.timedelta(days=-1, seconds=68400), 'EST')`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.is_utc() {
            return f.write_str("datetime.timezone.utc");
        }
        write!(f, "datetime.timezone({}", self.offset)?;
        if let Some(name) = &self.name {
            f.write_str(", ")?;
            repr::write_str(f, name)?;
        }
        f.write_char(')')
    }
}

// ---------------------------------------------------------------------- decimal

/// What kind of number a [`Decimal`] is.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum DecimalKind {
    /// `coefficient × 10^exponent`; the coefficient is ASCII digits without leading zeros
    /// (`"0"` for zero).
    Finite {
        /// The coefficient's decimal digits.
        coefficient: String,
        /// The exponent.
        exponent: i64,
    },
    /// `Infinity`.
    Infinity,
    /// A quiet NaN with its diagnostic payload digits (empty for none).
    NaN(String),
    /// A signaling NaN with its payload digits.
    SNaN(String),
}

/// A `decimal.Decimal`, exactly as pickled (sign, coefficient digits, exponent or the
/// special value).
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Decimal {
    pub(crate) negative: bool,
    pub(crate) kind: DecimalKind,
}

/// The largest exponent magnitude libmpdec accepts on 64-bit platforms.
const DECIMAL_MAX_EXP: i64 = 999_999_999_999_999_999;

impl Decimal {
    /// Parses the text `Decimal(str)` accepts in the forms `str(Decimal)` writes (sign,
    /// digits with an optional point, an optional exponent, `Infinity`/`Inf`, `NaN`/`sNaN`
    /// with a payload; case-insensitive; `_` between digits).
    pub fn parse(text: &str) -> Result<Decimal, String> {
        let invalid = || format!("invalid literal for Decimal: {:?}", text);
        let t = text.trim();
        let (negative, body) = match t.as_bytes().first() {
            Some(b'-') => (true, t.get(1..).unwrap_or("")),
            Some(b'+') => (false, t.get(1..).unwrap_or("")),
            _ => (false, t),
        };
        let lower = body.to_ascii_lowercase();
        let payload = |rest: &str| -> Result<String, String> {
            if !rest.bytes().all(|b| b.is_ascii_digit()) {
                return Err(invalid());
            }
            Ok(rest.trim_start_matches('0').to_owned())
        };
        let kind = if lower == "inf" || lower == "infinity" {
            DecimalKind::Infinity
        } else if let Some(rest) = lower.strip_prefix("snan") {
            DecimalKind::SNaN(payload(rest)?)
        } else if let Some(rest) = lower.strip_prefix("nan") {
            DecimalKind::NaN(payload(rest)?)
        } else {
            let digits_only = |s: &str| -> Option<String> {
                // Digits with single underscores between them.
                if s.starts_with('_') || s.ends_with('_') || s.contains("__") {
                    return None;
                }
                let d: String = s.chars().filter(|&c| c != '_').collect();
                d.bytes().all(|b| b.is_ascii_digit()).then_some(d)
            };
            let (mantissa, exp) = match lower.split_once('e') {
                Some((m, e)) => (m, Some(e)),
                None => (lower.as_str(), None),
            };
            let (int_part, frac_part) = match mantissa.split_once('.') {
                Some((i, f)) => (i, f),
                None => (mantissa, ""),
            };
            let int_digits = digits_only(int_part).ok_or_else(invalid)?;
            let frac_digits = digits_only(frac_part).ok_or_else(invalid)?;
            if int_digits.is_empty() && frac_digits.is_empty() {
                return Err(invalid());
            }
            let mut exponent: i64 = match exp {
                None => 0,
                Some(e) => {
                    let (neg, digits) = match e.as_bytes().first() {
                        Some(b'-') => (true, e.get(1..).unwrap_or("")),
                        Some(b'+') => (false, e.get(1..).unwrap_or("")),
                        _ => (false, e),
                    };
                    let digits = digits_only(digits).ok_or_else(invalid)?;
                    if digits.is_empty() {
                        return Err(invalid());
                    }
                    let digits = digits.trim_start_matches('0');
                    let v: i64 = if digits.is_empty() {
                        0
                    } else if digits.len() > 18 {
                        return Err(invalid());
                    } else {
                        digits.parse().map_err(|_| invalid())?
                    };
                    if neg {
                        -v
                    } else {
                        v
                    }
                }
            };
            let frac_len = i64::try_from(frac_digits.len()).map_err(|_| invalid())?;
            exponent = exponent.checked_sub(frac_len).ok_or_else(invalid)?;
            let all = format!("{int_digits}{frac_digits}");
            let coefficient = match all.trim_start_matches('0') {
                "" => "0".to_owned(),
                c => c.to_owned(),
            };
            let adjusted = exponent
                .checked_add(i64::try_from(coefficient.len()).map_err(|_| invalid())?)
                .ok_or_else(invalid)?;
            if adjusted.abs() > DECIMAL_MAX_EXP + 1 || exponent.abs() > 2 * DECIMAL_MAX_EXP {
                return Err(invalid());
            }
            DecimalKind::Finite {
                coefficient,
                exponent,
            }
        };
        Ok(Decimal { negative, kind })
    }

    /// Whether the sign is negative (also for `-0`, `-Infinity`, `-NaN`).
    pub fn is_negative(&self) -> bool {
        self.negative
    }

    /// The number's kind and digits.
    pub fn kind(&self) -> &DecimalKind {
        &self.kind
    }
}

impl fmt::Display for Decimal {
    /// `Decimal('1.10')`: the text is Python's `str(Decimal)` (scientific notation when
    /// the exponent is positive or the number is very small, as `to-sci-string`).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Decimal('")?;
        if self.negative {
            f.write_char('-')?;
        }
        match &self.kind {
            DecimalKind::Infinity => f.write_str("Infinity")?,
            DecimalKind::NaN(p) => write!(f, "NaN{p}")?,
            DecimalKind::SNaN(p) => write!(f, "sNaN{p}")?,
            DecimalKind::Finite {
                coefficient,
                exponent,
            } => {
                let len = coefficient.len() as i64;
                let leftdigits = exponent + len;
                let dotplace = if *exponent <= 0 && leftdigits > -6 {
                    leftdigits
                } else {
                    1
                };
                if dotplace <= 0 {
                    f.write_str("0.")?;
                    for _ in 0..(-dotplace) {
                        f.write_char('0')?;
                    }
                    f.write_str(coefficient)?;
                } else if dotplace >= len {
                    // Only reached with dotplace == len (see the branch above).
                    f.write_str(coefficient)?;
                } else {
                    let split = dotplace as usize;
                    f.write_str(coefficient.get(..split).unwrap_or(""))?;
                    f.write_char('.')?;
                    f.write_str(coefficient.get(split..).unwrap_or(""))?;
                }
                if leftdigits != dotplace {
                    write!(f, "E{:+}", leftdigits - dotplace)?;
                }
            }
        }
        f.write_str("')")
    }
}

// -------------------------------------------------------------------- fractions

/// A `fractions.Fraction` in lowest terms with a positive denominator.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Fraction {
    pub(crate) numerator: BigInt,
    pub(crate) denominator: BigInt,
}

fn gcd(mut a: BigInt, mut b: BigInt) -> BigInt {
    while b.sign() != Sign::NoSign {
        let r = &a % &b;
        a = b;
        b = r;
    }
    if a.sign() == Sign::Minus {
        -a
    } else {
        a
    }
}

impl Fraction {
    /// `numerator / denominator` reduced to lowest terms, as `Fraction(n, d)` does.
    pub fn new(numerator: BigInt, denominator: BigInt) -> Result<Fraction, String> {
        if denominator.sign() == Sign::NoSign {
            return Err(format!("Fraction({numerator}, 0)"));
        }
        let g = gcd(numerator.clone(), denominator.clone());
        let (mut n, mut d) = (numerator / &g, denominator / &g);
        if d.sign() == Sign::Minus {
            n = -n;
            d = -d;
        }
        Ok(Fraction {
            numerator: n,
            denominator: d,
        })
    }

    /// The numerator (carries the sign).
    pub fn numerator(&self) -> &BigInt {
        &self.numerator
    }

    /// The denominator (positive).
    pub fn denominator(&self) -> &BigInt {
        &self.denominator
    }
}

impl fmt::Display for Fraction {
    /// `Fraction(3, 4)`
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Fraction(")?;
        repr::write_int(f, &self.numerator)?;
        f.write_str(", ")?;
        repr::write_int(f, &self.denominator)?;
        f.write_char(')')
    }
}

// ------------------------------------------------------------------------- uuid

/// `uuid.SafeUUID`: whether the UUID was generated in a multiprocessing-safe way.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default)]
pub enum SafeUuid {
    /// `SafeUUID.safe` (0).
    Safe,
    /// `SafeUUID.unsafe` (-1).
    Unsafe,
    /// `SafeUUID.unknown` (None), the default.
    #[default]
    Unknown,
}

/// A `uuid.UUID`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Uuid {
    pub(crate) int: u128,
    pub(crate) is_safe: SafeUuid,
}

impl Uuid {
    /// The UUID with the 128-bit value `int`.
    pub fn new(int: u128, is_safe: SafeUuid) -> Uuid {
        Uuid { int, is_safe }
    }

    /// The 128-bit value (`UUID.int`).
    pub fn as_u128(&self) -> u128 {
        self.int
    }

    /// The 16 bytes, big-endian (`UUID.bytes`).
    pub fn as_bytes(&self) -> [u8; 16] {
        self.int.to_be_bytes()
    }

    /// `UUID.is_safe`.
    pub fn is_safe(&self) -> SafeUuid {
        self.is_safe
    }
}

impl fmt::Display for Uuid {
    /// `UUID('12345678-1234-5678-1234-567812345678')`
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let h = format!("{:032x}", self.int);
        write!(
            f,
            "UUID('{}-{}-{}-{}-{}')",
            h.get(0..8).unwrap_or(""),
            h.get(8..12).unwrap_or(""),
            h.get(12..16).unwrap_or(""),
            h.get(16..20).unwrap_or(""),
            h.get(20..32).unwrap_or("")
        )
    }
}

/// `range(start, stop, step)`: prints `range(0, 10)` (the step only when it is not 1), as
/// Python's `repr()` does. The step is never zero.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Range {
    pub(crate) start: BigInt,
    pub(crate) stop: BigInt,
    pub(crate) step: BigInt,
}

impl Range {
    /// `range(start, stop, step)`; fails, as Python does, when `step` is zero.
    pub fn new(start: BigInt, stop: BigInt, step: BigInt) -> Result<Range, String> {
        if step.sign() == Sign::NoSign {
            return Err("range() arg 3 must not be zero".to_owned());
        }
        Ok(Range { start, stop, step })
    }

    /// The first value.
    pub fn start(&self) -> &BigInt {
        &self.start
    }

    /// The bound (not included).
    pub fn stop(&self) -> &BigInt {
        &self.stop
    }

    /// The step (never zero).
    pub fn step(&self) -> &BigInt {
        &self.step
    }

    /// How many values the range yields (Python's `len()`, which may exceed any machine
    /// integer).
    pub fn len(&self) -> BigInt {
        let zero = BigInt::from(0);
        let (lo, hi, step) = if self.step > zero {
            (&self.start, &self.stop, self.step.clone())
        } else {
            (&self.stop, &self.start, -self.step.clone())
        };
        if lo >= hi {
            zero
        } else {
            (hi - lo - 1u8) / step + 1u8
        }
    }

    /// Whether the range yields nothing.
    pub fn is_empty(&self) -> bool {
        self.len().sign() == Sign::NoSign
    }

    /// Python's `==` on ranges: equal when they yield the same values (`range(0) ==
    /// range(5, 5)`, `range(0, 3, 2) == range(0, 4, 2)`).
    pub fn same_values(&self, other: &Range) -> bool {
        let (n, m) = (self.len(), other.len());
        if n != m {
            return false;
        }
        let one = BigInt::from(1);
        n.sign() == Sign::NoSign
            || (self.start == other.start && (n == one || self.step == other.step))
    }
}

impl fmt::Display for Range {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("range(")?;
        repr::write_int(f, &self.start)?;
        f.write_str(", ")?;
        repr::write_int(f, &self.stop)?;
        if self.step != BigInt::from(1) {
            f.write_str(", ")?;
            repr::write_int(f, &self.step)?;
        }
        f.write_char(')')
    }
}

/// `slice(start, stop, step)`: any three values (Python does not check them); prints
/// `slice(1, None, 2)`.
#[derive(Clone, Debug, PartialEq)]
pub struct Slice {
    /// `start` (`None` when omitted).
    pub start: Value,
    /// `stop`.
    pub stop: Value,
    /// `step` (`None` when omitted).
    pub step: Value,
}
