//! Wall-clock checks shared by the integration tests.
//!
//! [`hang_guard`] is a generous bound that only catches a run that hangs or is orders of
//! magnitude too slow (debug builds on a loaded 2-core machine stay far below it); it is
//! never the check of a complexity claim. [`assert_linear`] checks one: the time for
//! `k·n` units of input against the time for `n`, measured alternately in the same test,
//! the fastest of several runs of each — linear work gives a ratio near `k`, quadratic
//! work near `k²`, and the bound `k^1.5` lies between (at `k = 16`, 64: room for the
//! factor of up to 3 that caches add when the larger input no longer fits them). [`assert_like_control`] compares an input with a
//! control of the same size that lacks only the feature under test.

#![allow(dead_code)] // each test binary uses its own part

use std::time::{Duration, Instant};

/// What [`hang_guard`] allows.
pub const HANG_GUARD: Duration = Duration::from_secs(60);

/// Runs `f` and fails if it took longer than [`HANG_GUARD`].
#[track_caller]
pub fn hang_guard<T>(f: impl FnOnce() -> T) -> T {
    let t = Instant::now();
    let r = f();
    let took = t.elapsed();
    assert!(
        took < HANG_GUARD,
        "took {took:?}: hang guard of {HANG_GUARD:?} exceeded"
    );
    r
}

/// The CPU time this thread has used (Linux: `/proc/thread-self/schedstat`, in ns, updated
/// at scheduler ticks), so that time spent waiting for a core on a shared machine does not
/// count; `None` elsewhere.
fn thread_cpu_time() -> Option<Duration> {
    let s = std::fs::read_to_string("/proc/thread-self/schedstat").ok()?;
    let ns = s.split_whitespace().next()?.parse().ok()?;
    Some(Duration::from_nanos(ns))
}

/// How long one measurement runs at least: many scheduler ticks, so the tick-granular CPU
/// time is accurate to a few percent.
const SPAN: Duration = Duration::from_millis(50);

/// The CPU time one run of `f` takes: `f` is repeated until [`SPAN`] has passed and the
/// thread's CPU time is divided by the repetitions (wall-clock time where the CPU time of
/// a thread cannot be read).
fn measure(f: &dyn Fn()) -> Duration {
    let (cpu, wall) = (thread_cpu_time(), Instant::now());
    let mut reps = 0u32;
    while reps == 0 || wall.elapsed() < SPAN {
        f();
        reps += 1;
    }
    let took = match (cpu, thread_cpu_time()) {
        (Some(a), Some(b)) => b.saturating_sub(a),
        _ => wall.elapsed(),
    };
    took / reps
}

/// The fastest of `rounds` runs of each of `a` and `b`, run alternately, in CPU time of
/// the calling thread (the slow outliers of a shared machine drop out, and a busy spell
/// slows both alike).
pub fn fastest(rounds: usize, a: impl Fn(), b: impl Fn()) -> [Duration; 2] {
    let mut best = [Duration::MAX; 2];
    for _ in 0..rounds {
        for (i, f) in [&a as &dyn Fn(), &b].into_iter().enumerate() {
            best[i] = best[i].min(measure(f));
        }
    }
    best
}

fn report(what: &str, a: &str, b: &str, best: [Duration; 2], ratio: f64) {
    if std::env::var_os("UNPICKLE_TIMINGS").is_some() {
        eprintln!(
            "{what}: {a}: {:?}, {b}: {:?}, ratio {ratio:.2}",
            best[0], best[1]
        );
    }
}

/// Asserts that `run` on `make(k * n)` takes less than `k^1.5` times as long as on
/// `make(n)` (fastest of `rounds` runs each). Returns the ratio. With `UNPICKLE_TIMINGS`
/// set, prints both times.
#[track_caller]
pub fn assert_linear<T>(
    what: &str,
    n: usize,
    k: usize,
    rounds: usize,
    make: impl Fn(usize) -> T,
    run: impl Fn(&T),
) -> f64 {
    let (small, large) = (make(n), make(k * n));
    let best = fastest(rounds, || run(&large), || run(&small));
    let ratio = best[0].as_secs_f64() / best[1].as_secs_f64().max(1e-9);
    let bound = (k as f64).powf(1.5);
    report(what, &format!("{k}n"), &format!("n = {n}"), best, ratio);
    assert!(
        ratio < bound,
        "{what}: {k} times the input took {ratio:.1} times as long ({:?} against {:?} for \
         n = {n}; allowed {bound:.0}): superlinear",
        best[0],
        best[1]
    );
    ratio
}

/// Asserts that `subject` takes less than `max` times as long as `control`, an input of
/// the same size and shape that lacks only the feature under test (fastest of `rounds`
/// runs each). Where the memory hierarchy makes `n` against `4n` vary between 4 and 12
/// for plainly linear work (dicts of 5 000 to 320 000 int keys on the 2-core VM), this
/// compares like with like: a quadratic subject is hundreds of times slower than its
/// control at the sizes used. Returns the ratio.
#[track_caller]
pub fn assert_like_control(
    what: &str,
    rounds: usize,
    max: f64,
    subject: impl Fn(),
    control: impl Fn(),
) -> f64 {
    let best = fastest(rounds, subject, control);
    let ratio = best[0].as_secs_f64() / best[1].as_secs_f64().max(1e-9);
    report(what, "subject", "control", best, ratio);
    assert!(
        ratio < max,
        "{what}: {ratio:.1} times as long as the control ({:?} against {:?}), allowed {max}",
        best[0],
        best[1]
    );
    ratio
}
