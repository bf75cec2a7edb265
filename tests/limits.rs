//! Shared references cost what they copy: memo and DUP bombs hit the result budget fast,
//! legitimately shared data loads, and cycles are a clear error.

#[path = "support/timing.rs"]
mod timing;

use timing::hang_guard;
use unpickle::{ErrorKind, Limit};

/// 40 levels, each a list of two GETs of the previous level (2^40 nodes as a tree).
fn memo_bomb(levels: u32) -> Vec<u8> {
    let mut p = b"\x80\x02]q\x00(K\x01K\x01e0".to_vec();
    for i in 1..=levels {
        p.extend_from_slice(b"](");
        p.push(b'j');
        p.extend_from_slice(&(i - 1).to_le_bytes());
        p.push(b'j');
        p.extend_from_slice(&(i - 1).to_le_bytes());
        p.extend_from_slice(b"er");
        p.extend_from_slice(&i.to_le_bytes());
        if i < levels {
            p.push(b'0');
        }
    }
    p.push(b'.');
    p
}

/// Refused on the budget (that nothing is copied first is checked by the heap bound of
/// `hostile::memo_bombs_stop_at_the_result_budget`; the timer is only a hang guard).
#[test]
fn memo_bomb_fails_fast_on_the_budget() {
    let e = hang_guard(|| unpickle::from_slice(&memo_bomb(40)).unwrap_err());
    assert!(
        matches!(
            e.kind(),
            ErrorKind::Limit {
                limit: Limit::ResultBytes,
                ..
            }
        ),
        "{e}"
    );
    // Eight levels is 256 leaves: legitimately shared, it loads.
    let v = unpickle::from_slice(&memo_bomb(8)).unwrap();
    assert_eq!(v.to_string().matches('1').count(), 512);
}

#[test]
fn dup_aliases_instead_of_copying() {
    // `]` then 40 × (DUP, APPEND): one list that contains itself — a cycle in CPython too.
    let mut p = b"\x80\x02]".to_vec();
    for _ in 0..40 {
        p.extend_from_slice(b"2a");
    }
    p.push(b'.');
    let e = unpickle::from_slice(&p).unwrap_err();
    assert!(matches!(e.kind(), ErrorKind::Cycle), "{e}");
}

#[test]
fn cpython_cycles_are_refused() {
    // pickle.dumps(l, 2) with l = []; l.append(l)
    let e = unpickle::from_slice(b"\x80\x02]q\x00h\x00a.").unwrap_err();
    assert!(matches!(e.kind(), ErrorKind::Cycle), "{e}");
    // Reported at STOP, where the result is converted.
    assert_eq!(e.offset(), Some(8));
}

#[test]
fn fan_out_is_charged_per_copy() {
    // One 100 000-element list referenced 10 000 times (≈ 220 KB of input): 10^9 elements
    // as a tree, far over the default budget, refused without building them.
    let mut p = b"\x80\x02](".to_vec();
    for _ in 0..100_000 {
        p.extend_from_slice(b"K\x01");
    }
    p.extend_from_slice(b"eq\x000](");
    for _ in 0..10_000 {
        p.extend_from_slice(b"h\x00");
    }
    p.extend_from_slice(b"e.");
    let e = hang_guard(|| unpickle::from_slice(&p).unwrap_err());
    assert!(
        matches!(
            e.kind(),
            ErrorKind::Limit {
                limit: Limit::ResultBytes,
                ..
            }
        ),
        "{e}"
    );
    // Refused at STOP, where the result is converted: the copies' expanded size is added
    // up before any is made.
    assert_eq!(e.offset(), Some(p.len() as u64 - 1), "{e}");
}
