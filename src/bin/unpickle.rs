//! The `unpickle` command: `show`, `dis`, `scan` and `convert` over the library.
//!
//! Exit codes: 0 done; 1 malformed or invalid pickle; 2 usage or I/O error; 3 refused by
//! the policy; 4 a resource limit was exceeded.

use std::io::{self, Read, Write};
use std::process::ExitCode;

use unpickle::{presets, Allowlist, Category, Encoding, Error, Unpickler};

const USAGE: &str = "usage:
  unpickle show [--policy strict|stdlib|numpy|opaque] [--encoding ASCII|latin1|bytes] FILE|-
                (a .npy file is read as numpy's format; its object-array pickle obeys the policy)
  unpickle dis  FILE|-
  unpickle scan [--policy strict|stdlib|numpy|opaque] FILE...
  unpickle convert [--tensors-only] CHECKPOINT OUT.safetensors
                (a PyTorch checkpoint loaded under the torch preset, written as safetensors;
                 a refused checkpoint writes nothing)

exit codes: 0 done, 1 malformed or invalid pickle, 2 usage or I/O error,
            3 refused by the policy, 4 a resource limit was exceeded";

fn usage(msg: &str) -> ExitCode {
    eprintln!("unpickle: {msg}\n{USAGE}");
    ExitCode::from(2)
}

fn exit_for(e: &Error) -> ExitCode {
    ExitCode::from(match e.category() {
        Category::Invalid => 1,
        Category::Io => 2,
        Category::Refused => 3,
        Category::Limit => 4,
        _ => 1,
    })
}

fn policy(name: &str) -> Option<Allowlist> {
    Some(match name {
        "strict" => presets::strict(),
        "stdlib" => presets::stdlib(),
        "numpy" => presets::numpy(),
        "opaque" => presets::opaque(),
        _ => return None,
    })
}

fn read_input(path: &str) -> io::Result<Vec<u8>> {
    if path == "-" {
        let mut buf = Vec::new();
        io::stdin().lock().read_to_end(&mut buf)?;
        Ok(buf)
    } else {
        std::fs::read(path)
    }
}

struct Options {
    policy: Allowlist,
    encoding: Encoding,
    files: Vec<String>,
}

fn parse(args: &[String], allow_encoding: bool) -> Result<Options, String> {
    let mut opts = Options {
        policy: presets::strict(),
        encoding: Encoding::Ascii,
        files: Vec::new(),
    };
    let mut it = args.iter();
    while let Some(a) = it.next() {
        match a.as_str() {
            "--policy" => {
                let v = it.next().ok_or("--policy needs a value")?;
                opts.policy = policy(v).ok_or_else(|| format!("unknown policy {v:?}"))?;
            }
            "--encoding" if allow_encoding => {
                let v = it.next().ok_or("--encoding needs a value")?;
                opts.encoding = match v.as_str() {
                    "ASCII" | "ascii" => Encoding::Ascii,
                    "latin1" | "latin-1" => Encoding::Latin1,
                    "utf-8" | "utf8" => Encoding::Utf8,
                    "bytes" => Encoding::Bytes,
                    _ => return Err(format!("unknown encoding {v:?}")),
                };
            }
            s if s.starts_with("--") => return Err(format!("unknown option {s}")),
            _ => opts.files.push(a.clone()),
        }
    }
    Ok(opts)
}

fn show(args: &[String]) -> ExitCode {
    let opts = match parse(args, true) {
        Ok(o) => o,
        Err(e) => return usage(&e),
    };
    let [file] = opts.files.as_slice() else {
        return usage("show takes exactly one FILE");
    };
    let data = match read_input(file) {
        Ok(d) => d,
        Err(e) => {
            eprintln!("unpickle: {file}: {e}");
            return ExitCode::from(2);
        }
    };
    let loader = Unpickler::new().policy(opts.policy).encoding(opts.encoding);
    // A .npy file: its header, then raw data or (object arrays) a pickle under the policy.
    let result = if data.starts_with(b"\x93NUMPY") {
        unpickle::npy::load(&data, &loader).map(|a| unpickle::Value::NdArray(Box::new(a)))
    } else {
        loader.load_slice(&data)
    };
    match result {
        Ok(v) => {
            let mut out = io::stdout().lock();
            if writeln!(out, "{v}").and_then(|_| out.flush()).is_err() {
                return ExitCode::from(2);
            }
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("unpickle: {file}: {e}");
            exit_for(&e)
        }
    }
}

fn scan(args: &[String]) -> ExitCode {
    let opts = match parse(args, false) {
        Ok(o) => o,
        Err(e) => return usage(&e),
    };
    if opts.files.is_empty() {
        return usage("scan needs at least one FILE");
    }
    let loader = Unpickler::new().policy(opts.policy);
    let mut code = 0u8;
    let mut out = io::stdout().lock();
    for file in &opts.files {
        let data = match read_input(file) {
            Ok(d) => d,
            Err(e) => {
                eprintln!("unpickle: {file}: {e}");
                code = code.max(2);
                continue;
            }
        };
        let reports = unpickle::scan::scan(&loader, &data);
        let (mut globals, mut refused) = (0, 0);
        for r in &reports {
            for g in &r.globals {
                globals += 1;
                if g.verdict == "refused" {
                    refused += 1;
                }
                let _ = writeln!(out, "{file} @{}: {} {}", g.offset, g.global, g.verdict);
            }
            if let Some((e, _)) = &r.error {
                let _ = writeln!(out, "{file} @{}: error: {e}", r.offset);
                code = code.max(match e.category() {
                    Category::Limit => 4,
                    Category::Io => 2,
                    _ => 1,
                });
            }
        }
        if refused > 0 {
            code = 3;
        }
        let _ = writeln!(
            out,
            "{file}: {} pickle(s), {globals} global(s), {refused} refused",
            reports.len()
        );
    }
    ExitCode::from(code)
}

fn dis(args: &[String]) -> ExitCode {
    let [file] = args else {
        return usage("dis takes exactly one FILE");
    };
    if file.starts_with("--") {
        return usage(&format!("unknown option {file}"));
    }
    let data = match read_input(file) {
        Ok(d) => d,
        Err(e) => {
            eprintln!("unpickle: {file}: {e}");
            return ExitCode::from(2);
        }
    };
    let mut out = io::stdout().lock();
    let result = unpickle::dis::dis(&data, &mut out);
    let _ = out.flush();
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("unpickle: {file}: {e}");
            exit_for(&e)
        }
    }
}

fn convert(args: &[String]) -> ExitCode {
    let mut opts = unpickle::convert::Options::new();
    let mut files = Vec::new();
    for a in args {
        match a.as_str() {
            "--tensors-only" => opts = opts.tensors_only(true),
            s if s.starts_with("--") => return usage(&format!("unknown option {s}")),
            _ => files.push(a.as_str()),
        }
    }
    let [input, output] = files.as_slice() else {
        return usage("convert takes CHECKPOINT and OUT.safetensors");
    };
    match unpickle::convert::convert_file(input, output, &opts) {
        Ok(r) => {
            println!(
                "{output}: {} tensors ({} bytes), {} aliases, {} values in metadata{}",
                r.tensors,
                r.data_bytes,
                r.aliases,
                r.values,
                if r.values_left_out > 0 {
                    format!(", {} left out", r.values_left_out)
                } else {
                    String::new()
                }
            );
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("unpickle: {input}: {e}");
            exit_for(&e)
        }
    }
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let Some((cmd, rest)) = args.split_first() else {
        return usage("no command");
    };
    match cmd.as_str() {
        "show" => show(rest),
        "scan" => scan(rest),
        "dis" => dis(rest),
        "convert" => convert(rest),
        "-h" | "--help" | "help" => {
            println!("{USAGE}");
            ExitCode::SUCCESS
        }
        other => usage(&format!("unknown command {other:?}")),
    }
}
