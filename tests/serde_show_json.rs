//! `unpickle show --json` and `unpickle::json`: the JSON encoding of a loaded value,
//! compared with what a Python implementation of the documented encoding prints for the
//! same objects (tests/data/serde/make_serde.py, `show_json`).

use std::process::Command;

use unpickle::{presets, Unpickler};

fn dir() -> String {
    format!("{}/tests/data/serde", env!("CARGO_MANIFEST_DIR"))
}

fn expected() -> Vec<(String, String)> {
    let text = std::fs::read_to_string(format!("{}/show_json.json", dir())).unwrap();
    // {"name": "json text", ...}: one entry per line, as the generator writes it.
    text.lines()
        .filter_map(|l| l.trim().trim_end_matches(',').split_once("\": "))
        .map(|(k, v)| {
            let name = k.trim_start_matches('"').to_string();
            (name, unescape(v))
        })
        .collect()
}

/// The value of a JSON string literal (the escapes Python's json writes).
fn unescape(lit: &str) -> String {
    let inner = &lit[1..lit.len() - 1];
    let mut out = String::new();
    let mut it = inner.chars();
    while let Some(c) = it.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        match it.next() {
            Some('n') => out.push('\n'),
            Some('u') => {
                let hex: String = it.by_ref().take(4).collect();
                out.push(char::from_u32(u32::from_str_radix(&hex, 16).unwrap()).unwrap());
            }
            Some(c) => out.push(c),
            None => {}
        }
    }
    out
}

#[test]
fn json_encoding_matches_the_python_oracle() {
    let cases = expected();
    assert_eq!(cases.len(), 4);
    let loader = Unpickler::new().policy(presets::stdlib());
    for (name, want) in cases {
        let data = std::fs::read(format!("{}/{name}.p4.pkl", dir())).unwrap();
        let v = loader.load_slice(&data).unwrap();
        assert_eq!(unpickle::json::to_string(&v), want, "{name}");
    }
}

#[test]
fn show_json_prints_it_and_show_is_unchanged() {
    let path = format!("{}/show_json_keys.p4.pkl", dir());
    let run = |args: &[&str]| {
        let out = Command::new(env!("CARGO_BIN_EXE_unpickle"))
            .args(args)
            .output()
            .unwrap();
        assert!(out.status.success());
        String::from_utf8(out.stdout).unwrap()
    };
    let (_, want) = expected()
        .into_iter()
        .find(|(n, _)| n == "show_json_keys")
        .unwrap();
    assert_eq!(run(&["show", "--json", &path]), format!("{want}\n"));
    assert_eq!(run(&["show", &path]), "{1: 'a', (1, 2): [], None: 0}\n");
}
