//! Resource attacks against `unpickle` (default limits) and `serde-pickle` 1.x (default
//! options): time, peak heap and outcome per case. Not part of `cargo test`; run it with
//!
//! ```text
//! cargo run --release --example compare_serde_pickle            # every case
//! cargo run --release --example compare_serde_pickle -- CASE LIB # one case, one library
//! ```
//!
//! Each case runs in a child process (under `ulimit -v 16 GiB` and a 60 s timeout), so a
//! crash, an out-of-memory abort or a hang is reported as such instead of ending the run.

#[path = "../tests/hostile/alloc.rs"]
mod alloc;
#[path = "../tests/hostile/asm.rs"]
mod asm;

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use asm::Asm;

#[global_allocator]
static ALLOC: alloc::Counting = alloc::Counting;

/// Builds one case's payload.
type Make = fn() -> Vec<u8>;

/// Every case: its name and its payload.
fn cases() -> Vec<(&'static str, Make)> {
    vec![
        ("memo bomb, 40 levels of lists", || {
            let mut a = Asm::proto(4).short_binunicode("lol").binput(0);
            for i in 1..=40u8 {
                a = a.mark().binget(i - 1).binget(i - 1).list().binput(i);
            }
            a.stop().bytes()
        }),
        ("10^6 nested lists", || {
            let n = 1_000_000;
            Asm::proto(4)
                .repeat(b"]", n)
                .repeat(b"a", n - 1)
                .stop()
                .bytes()
        }),
        ("10^6 nested tuples", || {
            Asm::proto(4)
                .empty_tuple()
                .repeat(b"\x85", 1_000_000)
                .stop()
                .bytes()
        }),
        ("10^6 nested dicts", || {
            let n = 1_000_000;
            Asm::proto(4)
                .repeat(b"}K\x00", n - 1)
                .empty_dict()
                .repeat(b"s", n - 1)
                .stop()
                .bytes()
        }),
        ("10^7 MARKs", || {
            Asm::proto(4).repeat(b"(", 10_000_000).stop().bytes()
        }),
        ("10^7 MEMOIZEs", || {
            Asm::proto(4)
                .none()
                .repeat(b"\x94", 10_000_000)
                .stop()
                .bytes()
        }),
        ("LONG_BINPUT 2^31", || {
            Asm::proto(4).none().long_binput(1 << 31).stop().bytes()
        }),
        ("LONG_BINGET 2^32-1 (unset)", || {
            Asm::proto(4).long_binget(u32::MAX).stop().bytes()
        }),
        ("INT with 10^6 digits", || {
            Asm::new().int_text(&"7".repeat(1_000_000)).stop().bytes()
        }),
        ("LONG with 10^6 digits", || {
            Asm::new().long_text(&"7".repeat(1_000_000)).stop().bytes()
        }),
        ("LONG4 claiming 2^31-1 bytes", || {
            Asm::proto(2)
                .op(0x8b)
                .raw(&i32::MAX.to_le_bytes())
                .raw(b"abc")
                .stop()
                .bytes()
        }),
        ("BINUNICODE claiming 2^32-1 bytes", || {
            Asm::proto(2)
                .op(b'X')
                .raw(&u32::MAX.to_le_bytes())
                .raw(b"abc")
                .stop()
                .bytes()
        }),
        ("BINBYTES8 claiming 2^63 bytes", || {
            Asm::proto(4)
                .op(0x8e)
                .raw(&(1u64 << 63).to_le_bytes())
                .raw(b"abc")
                .stop()
                .bytes()
        }),
        ("FRAME claiming 2^63 bytes", || {
            Asm::proto(4).frame(1 << 63).none().stop().bytes()
        }),
        ("100 MB list of NONE", || {
            Asm::proto(4)
                .empty_list()
                .mark()
                .repeat(b"N", 100_000_000)
                .appends()
                .stop()
                .bytes()
        }),
        ("dict with 50 000 NaN keys", || {
            let mut a = Asm::proto(2).empty_dict().mark();
            for _ in 0..50_000 {
                a = a.binfloat(f64::NAN).none();
            }
            a.setitems().stop().bytes()
        }),
        ("10^4 nested frozenset([...]) calls", || {
            let n = 10_000;
            Asm::proto(2)
                .global("builtins", "frozenset")
                .binput(0)
                .pop()
                .repeat(b"h\x00]", n)
                .empty_tuple()
                .repeat(b"a\x85R", n)
                .stop()
                .bytes()
        }),
    ]
}

/// Runs one case in this process and prints `outcome<TAB>seconds<TAB>peak bytes`.
fn run_one(case: &str, lib: &str) {
    let (_, make) = cases()
        .into_iter()
        .find(|(n, _)| *n == case)
        .unwrap_or_else(|| panic!("no case {case:?}"));
    let data = make();
    let start = Instant::now();
    let (outcome, peak) = alloc::peak(|| match lib {
        "unpickle" | "unpickle, raised limits" => {
            let limits = if lib == "unpickle" {
                unpickle::Limits::default()
            } else {
                unpickle::Limits::default().max_result_bytes(16 << 30)
            };
            match unpickle::Unpickler::new().limits(limits).load_slice(&data) {
                Ok(v) => {
                    let s = format!("loaded ({} chars printed)", v.to_string().len());
                    drop(v);
                    s
                }
                Err(e) => format!("{:?}", e.kind()).chars().take(70).collect(),
            }
        }
        _ => match serde_pickle::value_from_slice(&data, serde_pickle::DeOptions::new()) {
            Ok(v) => {
                let s = format!("loaded ({} chars printed)", format!("{v:?}").len());
                drop(v);
                s
            }
            Err(e) => format!("error: {e}").chars().take(70).collect(),
        },
    });
    let secs = start.elapsed().as_secs_f64();
    println!("{outcome}\t{secs:.2}\t{peak}");
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if let [_, case, lib] = &args[..] {
        run_one(case, lib);
        return;
    }
    let me = std::env::current_exe().expect("current exe");
    println!("| case | library | outcome | time (s) | peak heap |");
    println!("|---|---|---|---|---|");
    for (case, _) in cases() {
        let libs: &[&str] = if case.starts_with("100 MB") {
            &["unpickle", "unpickle, raised limits", "serde-pickle"]
        } else {
            &["unpickle", "serde-pickle"]
        };
        for &lib in libs {
            let mut child = Command::new("sh")
                .arg("-c")
                .arg("ulimit -v 16777216; exec \"$0\" \"$1\" \"$2\"")
                .arg(&me)
                .arg(case)
                .arg(lib)
                .stdout(Stdio::piped())
                .stderr(Stdio::piped())
                .spawn()
                .expect("spawn");
            let start = Instant::now();
            let status = loop {
                if let Some(s) = child.try_wait().expect("wait") {
                    break Some(s);
                }
                if start.elapsed() > Duration::from_secs(60) {
                    let _ = child.kill();
                    let _ = child.wait();
                    break None;
                }
                std::thread::sleep(Duration::from_millis(20));
            };
            let out = child.wait_with_output().expect("output");
            let stdout = String::from_utf8_lossy(&out.stdout);
            let stderr = String::from_utf8_lossy(&out.stderr);
            let row = match status {
                None => "timeout (killed)\t> 60\t?".to_owned(),
                Some(s) if s.success() => stdout.trim().to_owned(),
                Some(s) => {
                    let why = if stderr.contains("overflowed its stack") {
                        "CRASH: stack overflow"
                    } else if stderr.contains("memory allocation") {
                        "CRASH: out of memory (16 GiB)"
                    } else if stderr.contains("panicked") {
                        "CRASH: panic"
                    } else {
                        "CRASH"
                    };
                    format!("{why} ({s})\t{:.2}\t?", start.elapsed().as_secs_f64())
                }
            };
            let cols: Vec<&str> = row.split('\t').collect();
            let peak = cols
                .get(2)
                .and_then(|p| p.parse::<f64>().ok())
                .map_or("?".to_owned(), |p| format!("{:.1} MiB", p / 1048576.0));
            println!(
                "| {case} | {lib} | {} | {} | {peak} |",
                cols.first().unwrap_or(&""),
                cols.get(1).unwrap_or(&"")
            );
        }
    }
}
