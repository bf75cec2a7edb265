//! The `unpickle` command: `show`, `dis` and `scan` over the library.
//!
//! Exit codes: 0 done; 1 malformed or invalid pickle; 2 usage or I/O error; 3 refused by
//! the policy; 4 a resource limit was exceeded.

use std::io::{self, Read, Write};
use std::process::ExitCode;

use unpickle::{presets, Allowlist, Category, Encoding, Error, Unpickler};

const USAGE: &str = "usage:
  unpickle show [--policy strict|stdlib|numpy|torch|opaque] [--encoding ASCII|latin1|bytes] FILE|-
                (a .npy file is read as numpy's format; its object-array pickle obeys the policy;
                 a PyTorch checkpoint loads with the torch policy unless --policy is given;
                 --policy torch on a plain pickle reads it as a bare data.pkl)
  unpickle dis  FILE|-
  unpickle scan [--policy strict|stdlib|numpy|torch|opaque] FILE...
                (a checkpoint: every pickle in it, and what it should not contain)

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
        "torch" => presets::torch(),
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
    // A checkpoint loads with the torch preset unless a policy was named.
    let named = args.iter().any(|a| a == "--policy");
    let bare = args
        .windows(2)
        .any(|w| w[0] == "--policy" && w[1] == "torch");
    let torch = named.then(|| opts.policy.clone());
    let checkpoint = unpickle::torch::load_for_show(&data, torch, Default::default(), bare);
    let loader = Unpickler::new().policy(opts.policy).encoding(opts.encoding);
    // A .npy file: its header, then raw data or (object arrays) a pickle under the policy.
    let result = if let Some(r) = checkpoint {
        r
    } else if data.starts_with(b"\x93NUMPY") {
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
    let loader = Unpickler::new().policy(opts.policy.clone());
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
        if unpickle::torch::is_checkpoint(&data) {
            let named = args.iter().any(|a| a == "--policy");
            code = code.max(scan_checkpoint(
                &mut out,
                file,
                &data,
                named.then(|| opts.policy.clone()),
            ));
            continue;
        }
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

/// `scan` of a checkpoint: every pickle in it (named by its member), then the container's
/// warnings. Exit 3 for refused globals or TorchScript.
fn scan_checkpoint(out: &mut impl Write, file: &str, data: &[u8], policy: Option<Allowlist>) -> u8 {
    let mut loader = unpickle::torch::Loader::new();
    if let Some(p) = policy {
        loader = loader.policy(p);
    }
    let report = match loader.scan(data) {
        Ok(r) => r,
        Err(e) => {
            let _ = writeln!(out, "{file}: error: {e}");
            return match e.category() {
                Category::Refused => 3,
                Category::Limit => 4,
                Category::Io => 2,
                _ => 1,
            };
        }
    };
    let (mut code, mut refused) = (0u8, 0usize);
    for m in &report.pickles {
        for g in &m.report.globals {
            refused += usize::from(g.verdict == "refused");
            let _ = writeln!(
                out,
                "{file}:{} @{}: {} {}",
                m.name, g.offset, g.global, g.verdict
            );
        }
        if let Some((e, off)) = &m.report.error {
            let _ = writeln!(
                out,
                "{file}:{} @{}: error: {e}",
                m.name,
                off.unwrap_or(m.report.offset)
            );
            code = code.max(if e.category() == Category::Limit {
                4
            } else {
                1
            });
        }
    }
    for w in &report.warnings {
        let _ = writeln!(out, "{file}: warning: {w}");
    }
    if refused > 0 || report.torchscript {
        code = 3;
    }
    let _ = writeln!(
        out,
        "{file}: {:?} checkpoint, {} pickle(s), {refused} refused, {} warning(s)",
        report.format,
        report.pickles.len(),
        report.warnings.len()
    );
    code
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

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let Some((cmd, rest)) = args.split_first() else {
        return usage("no command");
    };
    match cmd.as_str() {
        "show" => show(rest),
        "scan" => scan(rest),
        "dis" => dis(rest),
        "-h" | "--help" | "help" => {
            println!("{USAGE}");
            ExitCode::SUCCESS
        }
        other => usage(&format!("unknown command {other:?}")),
    }
}
