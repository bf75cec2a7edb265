//! Values at the default depth limit can be loaded, printed and dropped on a thread with
//! the 2 MiB stack `std::thread` gives by default, and one level more is a clean limit
//! error. Cloning and comparing (derived, recursive) fit in 2 MiB in optimized builds; an
//! unoptimized build's frames are larger, so there they get 16 MiB (documented on
//! `Limits::max_depth`).

use unpickle::{ErrorKind, Limit, Limits, Unpickler};

/// `depth` nested containers around a 1, built with the given opener and closer bytes
/// (protocol 2): e.g. EMPTY_LIST … APPEND.
fn nested(depth: usize, kind: &str) -> Vec<u8> {
    let mut p = b"\x80\x02".to_vec();
    match kind {
        "list" => {
            p.extend(std::iter::repeat_n(b']', depth));
            p.extend_from_slice(b"K\x01");
            p.extend(std::iter::repeat_n(b'a', depth));
        }
        "tuple" => {
            p.extend_from_slice(b"K\x01");
            p.extend(std::iter::repeat_n(0x85u8, depth));
        }
        "dict" => {
            for _ in 0..depth {
                p.extend_from_slice(b"}U\x01k");
            }
            p.extend_from_slice(b"K\x01");
            p.extend(std::iter::repeat_n(b's', depth));
        }
        _ => unreachable!(),
    }
    p.push(b'.');
    p
}

#[test]
fn default_depth_works_on_a_small_stack() {
    let limit = Limits::default().get_max_depth() as usize;
    std::thread::Builder::new()
        .stack_size(2 << 20)
        .spawn(move || {
            for kind in ["list", "tuple", "dict"] {
                let v = unpickle::from_slice(&nested(limit, kind)).unwrap();
                let text = v.to_string();
                assert!(text.len() > limit, "{kind}");
                let stack = if cfg!(debug_assertions) {
                    16 << 20
                } else {
                    2 << 20
                };
                let v = std::thread::Builder::new()
                    .stack_size(stack)
                    .spawn(move || {
                        let copy = v.clone();
                        assert_eq!(copy, v);
                        v
                    })
                    .unwrap()
                    .join()
                    .unwrap();
                drop(v);
                let e = unpickle::from_slice(&nested(limit + 1, kind)).unwrap_err();
                assert!(
                    matches!(
                        e.kind(),
                        ErrorKind::Limit {
                            limit: Limit::Depth,
                            ..
                        }
                    ),
                    "{kind}: {e}"
                );
            }
        })
        .unwrap()
        .join()
        .unwrap();
}

#[test]
fn a_million_levels_is_a_limit_error_not_a_crash() {
    for kind in ["list", "tuple", "dict"] {
        let e = Unpickler::new()
            .load_slice(&nested(1_000_000, kind))
            .unwrap_err();
        assert!(
            matches!(
                e.kind(),
                ErrorKind::Limit {
                    limit: Limit::Depth,
                    ..
                }
            ),
            "{kind}: {e}"
        );
    }
}
