//! The `unpickle` command: `show`, `dis`, `scan`, `convert` and `sanitize` over the
//! library.
//!
//! Every command recognises what a file holds by its bytes, never its name ([`Format`]): a
//! pickle (or several, one after another) or a `.npy` file. Every offset printed is an
//! offset in the file.
//!
//! Exit codes: 0 done; 1 malformed or invalid pickle; 2 usage or I/O error; 3 refused by
//! the policy; 4 a resource limit was exceeded; 141 standard output was closed before
//! everything was written (`unpickle show big.pkl | head`): the command stops quietly, as
//! a Unix tool killed by SIGPIPE does (a shell reports such a tool's status as 128 + 13).
//! A closed standard error is ignored.
//!
//! Nothing here panics: output goes through `write!` with its errors handled, never
//! `println!`, which panics when the pipe is closed.

use std::ffi::OsString;
use std::fmt;
use std::io::{self, BufWriter, Read, Write};
use std::process::ExitCode;

use unpickle::policy::InertPersistent;
use unpickle::scan::PickleReport;
use unpickle::{convert, npy};
use unpickle::{
    presets, Allowlist, Category, Decision, Encoding, Error, ErrorKind, Limit, Limits, Opcode,
    Policy, Unpickler, Value,
};

const USAGE: &str = "\
usage: unpickle COMMAND [OPTIONS] FILE...      (FILE `-` is standard input)

commands:
  show   print the value of one pickle as Python's repr()
  scan   list every global and persistent id each file references, with the verdict
  dis    list the opcodes of one pickle, as `python3 -m pickletools` does
  convert  write a PyTorch checkpoint as safetensors
  sanitize  load a pickle under a policy and write what was loaded as a new pickle

`unpickle COMMAND --help` describes a command's options; `unpickle --version` prints the
version. Files are recognised by their bytes: a pickle, a numpy .npy file, or a PyTorch
checkpoint (zip or legacy; a TorchScript archive is refused with exit 3).

exit codes: 0 done, 1 malformed or invalid pickle, 2 usage or I/O error,
            3 refused by the policy, 4 a resource limit was exceeded,
            141 standard output was closed early (as a Unix tool killed by SIGPIPE)";

const POLICY_HELP: &str = concat!(
    "  --policy P        strict (built-in data only), stdlib, numpy, torch, or opaque (every\n",
    "                    global kept as an inert node, nothing constructed; persistent ids kept\n",
    "                    inert too). Default: strict for a pickle, numpy for a .npy file, torch\n",
    "                    for a checkpoint. `show --policy torch` on a plain pickle reads it as a\n",
    "                    bare data.pkl: its tensors show which storage they lack.",
);

const ENCODING_HELP: &str = concat!(
    "  --encoding E      how Python 2 8-bit strings (protocols 0-2) are decoded, as Python's\n",
    "                    encoding=: ascii (the default), latin1 (also latin-1, iso-8859-1,\n",
    "                    l1), utf-8 (also utf8), or bytes (load them as bytes). Case-insensitive.",
);

const JSON_HELP: &str = concat!(
    "  --json            one JSON document instead of lines: {\"files\": [{\"file\", \"format\",\n",
    "                    \"pickles\": [{\"offset\", \"globals\": [{\"offset\", \"module\", \"name\",\n",
    "                    \"verdict\"}], \"persistent_ids\": [{\"offset\", \"repr\" (null when\n",
    "                    too large)}], \"error\"}], \"globals\", \"refused\", \"persistent_ids\",\n",
    "                    \"error\"}], \"exit\"}; an error is null or {\"message\", \"offset\",\n",
    "                    \"category\"}.",
);

const SHOW_JSON_HELP: &str = concat!(
    "  --json            the value as JSON: JSON's own types as themselves, everything else\n",
    "                    as {\"$type\": ...} (big ints, NaN, bytes in base64, tuples, sets,\n",
    "                    non-str keys, inert globals; see the docs of unpickle::json).",
);

const LIMITS_HELP: &str = concat!(
    "  resource limits (a number, optionally with a K, M or G suffix for 2^10, 2^20, 2^30):\n",
    "  --max-depth N         nesting depth of the result (default 1000)\n",
    "  --max-result-bytes N  bytes the result may take (default 1G)\n",
    "  --max-item-len N      length of one string, bytes or line in the stream (default 512M)\n",
    "  --max-memo N          memo entries (default 4194304)\n",
    "  --max-marks N         MARKs open at once (default 4096)\n",
    "  --max-digits N        decimal digits of a text integer (default 4300)\n",
    "  --max-frame N         size of one frame (default 64M)",
);

/// A command, the options it takes and its help text.
struct Command {
    name: &'static str,
    synopsis: &'static str,
    /// Options that take a value.
    valued: &'static [&'static str],
    /// Options that take none (besides `--help`).
    flags: &'static [&'static str],
    help: &'static [&'static str],
}

const LIMIT_OPTIONS: [(&str, Limit); 7] = [
    ("--max-depth", Limit::Depth),
    ("--max-result-bytes", Limit::ResultBytes),
    ("--max-item-len", Limit::ItemLen),
    ("--max-memo", Limit::Memo),
    ("--max-marks", Limit::Marks),
    ("--max-digits", Limit::Digits),
    ("--max-frame", Limit::Frame),
];

/// The options that take a value: `--protocol` (sanitize only), then the loading options,
/// the limits last (convert takes only those).
const VALUED_OPTIONS: &[&str] = &[
    "--protocol",
    "--policy",
    "--encoding",
    "--max-depth",
    "--max-result-bytes",
    "--max-item-len",
    "--max-memo",
    "--max-marks",
    "--max-digits",
    "--max-frame",
];
const SANITIZE_OPTIONS: &[&str] = VALUED_OPTIONS;
const LOAD_OPTIONS: &[&str] = VALUED_OPTIONS.split_at(1).1;
const LIMIT_FLAGS: &[&str] = VALUED_OPTIONS.split_at(3).1;

const SHOW: Command = Command {
    name: "show",
    synopsis: "unpickle show [--json] [--policy P] [--encoding E] [LIMITS] FILE|-\n\n\
        Loads one pickle (bytes after its STOP are an error) or a .npy file and prints the\n\
        value as Python's repr(). An object .npy array's pickle obeys the policy.",
    valued: LOAD_OPTIONS,
    flags: &["--json"],
    help: &[SHOW_JSON_HELP, POLICY_HELP, ENCODING_HELP, LIMITS_HELP],
};

const SCAN: Command = Command {
    name: "scan",
    synopsis: "unpickle scan [--json] [--policy P] [--encoding E] [LIMITS] FILE...\n\n\
        Reports every global each pickle in each file names (refused ones are kept inert and\n\
        the scan goes on), every persistent id it loads (kept inert unless resolved), and\n\
        the policy's verdict; a .npy file's object-array pickle is scanned. Offsets are file\n\
        offsets. Exits 3 when any global is refused.",
    valued: LOAD_OPTIONS,
    flags: &["--json"],
    help: &[JSON_HELP, POLICY_HELP, ENCODING_HELP, LIMITS_HELP],
};

const DIS: Command = Command {
    name: "dis",
    synopsis: "unpickle dis FILE|-\n\n\
        Lists the first pickle's opcodes line for line as `python3 -m pickletools` does.\n\
        For a .npy file, a first line describes the header, then the object array's pickle\n\
        is listed with file offsets (as pickletools.dis does for a file positioned there).",
    valued: &[],
    flags: &[],
    help: &[],
};

const CONVERT: Command = Command {
    name: "convert",
    synopsis: "unpickle convert [--tensors-only] [LIMITS] CHECKPOINT OUT.safetensors\n\n\
        Loads a PyTorch checkpoint (zip or legacy) under the torch preset and writes it as\n\
        safetensors: names are the dict keys and list indices joined with `.`, tensors are\n\
        contiguous and little-endian, only identical views are aliases ({dropped: kept} in\n\
        __metadata__), every other value is kept in __metadata__ as its repr. The output\n\
        appears (by rename) only when complete: a refused checkpoint writes nothing.",
    valued: LIMIT_FLAGS,
    flags: &["--tensors-only"],
    help: &[
        "  --tensors-only    leave the values that are not tensors out of __metadata__",
        LIMITS_HELP,
    ],
};

const SANITIZE: Command = Command {
    name: "sanitize",
    synopsis: "unpickle sanitize [--policy P] [--protocol N] [--encoding E] [LIMITS] IN|- OUT\n\n\
        Loads one pickle under the policy (default strict) and writes the loaded value to OUT\n\
        as a new pickle, as CPython's pickle.dumps would write it. The output holds only data\n\
        and the globals that rebuild the types the policy constructs (datetime.date,\n\
        decimal.Decimal, collections.OrderedDict, ...); never an inert global: under a policy\n\
        that keeps globals inert (opaque) such a value is refused (exit 3). A refused, invalid\n\
        or too large input writes nothing: OUT appears (by rename) only when complete.\n\
        numpy arrays and tensors cannot be written yet (exit 1).",
    valued: SANITIZE_OPTIONS,
    flags: &[],
    help: &[
        "  --protocol N      the protocol of the output, 0 to 5 (default 4, as pickle.dumps)",
        POLICY_HELP,
        ENCODING_HELP,
        LIMITS_HELP,
    ],
};

const COMMANDS: [&Command; 5] = [&SHOW, &SCAN, &DIS, &CONVERT, &SANITIZE];

/// Why a command stopped before its end.
enum Halt {
    /// Standard output is closed: stop quietly.
    Closed,
    /// Writing to standard output failed otherwise.
    Write(io::Error),
}

impl From<io::Error> for Halt {
    fn from(e: io::Error) -> Halt {
        if e.kind() == io::ErrorKind::BrokenPipe {
            Halt::Closed
        } else {
            Halt::Write(e)
        }
    }
}

type Out = BufWriter<io::Stdout>;

/// Writes one line to standard error; a failure (a closed pipe) is ignored: there is no
/// one left to tell.
fn say(args: fmt::Arguments<'_>) {
    let mut err = io::stderr().lock();
    let _ = err.write_fmt(args).and_then(|()| err.write_all(b"\n"));
}

macro_rules! say {
    ($($t:tt)*) => { say(format_args!($($t)*)) };
}

fn usage(msg: &str) -> u8 {
    say!("unpickle: {msg}\n(see `unpickle --help`)");
    2
}

fn exit_for(e: &Error) -> u8 {
    match e.category() {
        Category::Io => 2,
        Category::Refused => 3,
        Category::Limit => 4,
        _ => 1,
    }
}

/// What an input holds, told by its bytes (never by its name). The one place that knows
/// the formats: a new one (a checkpoint) is a variant here and an arm in each command.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Format {
    /// One pickle, or several one after another.
    Pickle,
    /// numpy's `.npy`: a header, then raw data or an object array's pickle.
    Npy,
    /// A PyTorch checkpoint (zip or legacy stream, or the refused tar format).
    Checkpoint,
}

impl Format {
    fn sniff(data: &[u8]) -> Format {
        if data.starts_with(npy::MAGIC) {
            Format::Npy
        } else if unpickle::torch::detect(data).is_some() {
            Format::Checkpoint
        } else {
            Format::Pickle
        }
    }

    fn name(self) -> &'static str {
        match self {
            Format::Pickle => "pickle",
            Format::Npy => "npy",
            Format::Checkpoint => "checkpoint",
        }
    }

    /// The policy used when `--policy` is not given.
    fn default_policy(self) -> &'static str {
        match self {
            Format::Pickle => "strict",
            Format::Npy => "numpy",
            Format::Checkpoint => "torch",
        }
    }
}

fn preset(name: &str) -> Option<Allowlist> {
    Some(match name.to_ascii_lowercase().as_str() {
        "strict" => presets::strict(),
        "stdlib" => presets::stdlib(),
        "numpy" => presets::numpy(),
        "torch" => presets::torch(),
        "opaque" => presets::opaque(),
        _ => return None,
    })
}

/// The accepted `--encoding` names (case-insensitive), as documented in the help.
fn encoding(name: &str) -> Option<Encoding> {
    Some(match name.to_ascii_lowercase().as_str() {
        "ascii" | "us-ascii" => Encoding::Ascii,
        "latin1" | "latin-1" | "iso-8859-1" | "iso8859-1" | "l1" => Encoding::Latin1,
        "utf-8" | "utf8" => Encoding::Utf8,
        "bytes" => Encoding::Bytes,
        _ => return None,
    })
}

/// A limit value: digits with an optional K, M or G (binary) suffix.
fn number(s: &str) -> Option<u64> {
    let (digits, shift) = match s.strip_suffix(['k', 'K']) {
        Some(d) => (d, 10),
        None => match s.strip_suffix(['m', 'M']) {
            Some(d) => (d, 20),
            None => match s.strip_suffix(['g', 'G']) {
                Some(d) => (d, 30),
                None => (s, 0),
            },
        },
    };
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    digits.parse::<u64>().ok()?.checked_mul(1 << shift)
}

fn set_limit(limits: Limits, which: Limit, n: u64) -> Limits {
    match which {
        Limit::Depth => limits.max_depth(n),
        Limit::ResultBytes => limits.max_result_bytes(n),
        Limit::ItemLen => limits.max_item_len(n),
        Limit::Memo => limits.max_memo(n),
        Limit::Marks => limits.max_marks(n),
        Limit::Digits => limits.max_digits(n),
        Limit::Frame => limits.max_frame(n),
        _ => limits,
    }
}

/// The options of one command line.
struct Opts {
    policy: Option<String>,
    encoding: Encoding,
    limits: Limits,
    json: bool,
    tensors_only: bool,
    help: bool,
    files: Vec<OsString>,
    /// `sanitize --protocol`.
    protocol: unpickle::Protocol,
}

fn parse(cmd: &Command, args: &[OsString]) -> Result<Opts, String> {
    let mut opts = Opts {
        policy: None,
        encoding: Encoding::Ascii,
        limits: Limits::default(),
        json: false,
        tensors_only: false,
        help: false,
        files: Vec::new(),
        protocol: unpickle::Protocol::DEFAULT,
    };
    let mut it = args.iter();
    let mut only_files = false;
    while let Some(arg) = it.next() {
        let text = arg.to_str();
        let option = match text {
            Some(s) if !only_files && s.starts_with('-') && s != "-" => s,
            _ => {
                opts.files.push(arg.clone());
                continue;
            }
        };
        if option == "--" {
            only_files = true;
            continue;
        }
        let (name, inline) = match option.split_once('=') {
            Some((n, v)) => (n, Some(v)),
            None => (option, None),
        };
        let name = if name == "-h" { "--help" } else { name };
        if name == "--help" || cmd.flags.contains(&name) {
            if inline.is_some() {
                return Err(format!("{name} takes no value"));
            }
            match name {
                "--help" => opts.help = true,
                "--tensors-only" => opts.tensors_only = true,
                _ => opts.json = true,
            }
            continue;
        }
        if !cmd.valued.contains(&name) {
            return Err(format!("unknown option {name} for `unpickle {}`", cmd.name));
        }
        let value = match inline {
            Some(v) => v.to_owned(),
            None => it
                .next()
                .and_then(|v| v.to_str())
                .ok_or_else(|| format!("{name} needs a value"))?
                .to_owned(),
        };
        match name {
            "--policy" => {
                if preset(&value).is_none() {
                    return Err(format!(
                        "unknown policy {value:?} (strict, stdlib, numpy, torch or opaque)"
                    ));
                }
                opts.policy = Some(value.to_ascii_lowercase());
            }
            "--protocol" => {
                opts.protocol = value
                    .parse()
                    .ok()
                    .and_then(unpickle::Protocol::new)
                    .ok_or_else(|| format!("--protocol needs 0 to 5, got {value:?}"))?;
            }
            "--encoding" => {
                opts.encoding = encoding(&value).ok_or_else(|| {
                    format!("unknown encoding {value:?} (ascii, latin1, utf-8 or bytes)")
                })?;
            }
            _ => {
                let which = LIMIT_OPTIONS
                    .iter()
                    .find(|(n, _)| *n == name)
                    .map(|(_, l)| *l)
                    .ok_or_else(|| format!("unknown option {name}"))?;
                let n = number(&value).ok_or_else(|| {
                    format!("{name} needs a number (optionally with K, M or G), got {value:?}")
                })?;
                opts.limits = set_limit(opts.limits, which, n);
            }
        }
    }
    Ok(opts)
}

fn print_help(out: &mut Out, cmd: &Command) -> Result<u8, Halt> {
    writeln!(out, "usage: {}", cmd.synopsis)?;
    if !cmd.help.is_empty() || !cmd.valued.is_empty() {
        writeln!(out, "\noptions:")?;
    }
    for h in cmd.help {
        writeln!(out, "{h}")?;
    }
    writeln!(out, "  -h, --help        this text")?;
    Ok(0)
}

fn read_input(path: &OsString) -> io::Result<Vec<u8>> {
    if path == "-" {
        let mut buf = Vec::new();
        io::stdin().lock().read_to_end(&mut buf)?;
        Ok(buf)
    } else {
        std::fs::read(path)
    }
}

fn display(path: &OsString) -> String {
    path.to_string_lossy().into_owned()
}

impl Opts {
    /// The checkpoint loader for the chosen policy and limits.
    fn torch(&self, format: Format) -> unpickle::torch::Loader {
        let policy = preset(self.policy_name(format)).unwrap_or_else(presets::torch);
        unpickle::torch::Loader::new()
            .policy(policy)
            .limits(self.limits.clone())
    }

    fn policy_name(&self, format: Format) -> &str {
        self.policy
            .as_deref()
            .unwrap_or_else(|| format.default_policy())
    }

    fn loader(&self, format: Format) -> Unpickler {
        let name = self.policy_name(format);
        let loader = Unpickler::new()
            .policy(preset(name).unwrap_or_else(presets::strict))
            .encoding(self.encoding)
            .limits(self.limits.clone());
        if name == "opaque" {
            loader.persistent_load(InertPersistent)
        } else {
            loader
        }
    }
}

/// What to try next after `e`, if anything useful can be said.
fn hint(e: &Error, opts: &Opts, policy: &str) -> Option<String> {
    match e.kind() {
        ErrorKind::Malformed(m) if m.contains("codec can't decode") => {
            let python2 = matches!(
                e.opcode(),
                Some(Opcode::String | Opcode::BinString | Opcode::ShortBinString)
            );
            if python2 && opts.encoding != Encoding::Latin1 {
                Some(
                    "a Python 2 pickle with 8-bit strings: try --encoding latin1 \
                     (text), or --encoding bytes (binary data)"
                        .to_owned(),
                )
            } else {
                None
            }
        }
        ErrorKind::Malformed(m) if m.contains("after STOP") => Some(
            "the input holds more than one pickle (or trailing bytes): \
             `unpickle scan` reads every pickle, `unpickle dis` lists the first"
                .to_owned(),
        ),
        ErrorKind::Refused { module, name } => {
            let fits = ["stdlib", "numpy"].into_iter().find(|p| {
                *p != policy
                    && preset(p)
                        .is_some_and(|a| !matches!(a.find_class(module, name), Decision::Refuse))
            });
            let mut h = match fits {
                Some(p) => format!("--policy {p} allows {module}.{name}; "),
                None => String::new(),
            };
            h.push_str(
                "--policy opaque shows the pickle with every global inert (nothing is \
                 constructed); `unpickle scan` lists every global",
            );
            Some(h)
        }
        ErrorKind::Limit { limit, max } => {
            LIMIT_OPTIONS
                .iter()
                .find(|(_, l)| l == limit)
                .map(|(flag, _)| {
                    format!("if you trust the input, raise the limit: {flag} N (now {max})")
                })
        }
        ErrorKind::Unsupported(m) if m.contains("persistent") => Some(
            "the pickle refers to objects stored outside it (persistent ids, as a torch \
             checkpoint's data.pkl does): --policy opaque shows them inert, `unpickle scan` \
             lists them"
                .to_owned(),
        ),
        _ => None,
    }
}

/// Tells the user about a failed load of `file`.
fn report(file: &str, e: &Error, opts: &Opts, policy: &str) -> u8 {
    say!("unpickle: {file}: {e}");
    if let Some(h) = hint(e, opts, policy) {
        say!("hint: {h}");
    }
    exit_for(e)
}

fn read_or_report(file: &OsString) -> Result<Vec<u8>, u8> {
    read_input(file).map_err(|e| {
        say!("unpickle: {}: cannot read: {e}", display(file));
        2
    })
}

fn show(out: &mut Out, opts: &Opts) -> Result<u8, Halt> {
    let [file] = opts.files.as_slice() else {
        return Ok(usage("show takes exactly one FILE"));
    };
    let data = match read_or_report(file) {
        Ok(d) => d,
        Err(code) => return Ok(code),
    };
    let format = Format::sniff(&data);
    let loader = opts.loader(format);
    let result = match format {
        Format::Pickle if opts.policy_name(format) == "torch" => {
            opts.torch(format).load_data_pkl(&data)
        }
        Format::Pickle => loader.load_slice(&data),
        Format::Checkpoint => opts
            .torch(format)
            .load_slice(&data)
            .map(unpickle::torch::Checkpoint::into_value),
        Format::Npy => npy::load(&data, &loader).map(|a| Value::NdArray(Box::new(a))),
    };
    match result {
        Ok(v) if opts.json => {
            writeln!(out, "{}", unpickle::json::to_string(&v))?;
            Ok(0)
        }
        Ok(v) => {
            writeln!(out, "{v}")?;
            Ok(0)
        }
        Err(e) => Ok(report(&display(file), &e, opts, opts.policy_name(format))),
    }
}

fn dis(out: &mut Out, opts: &Opts) -> Result<u8, Halt> {
    let [file] = opts.files.as_slice() else {
        return Ok(usage("dis takes exactly one FILE"));
    };
    let data = match read_or_report(file) {
        Ok(d) => d,
        Err(code) => return Ok(code),
    };
    let result = match Format::sniff(&data) {
        Format::Pickle | Format::Checkpoint => unpickle::dis::dis(&data, out),
        Format::Npy => match npy::parse_header(&data) {
            Ok(h) => {
                write_npy_header(out, &h)?;
                if h.dtype.kind() == unpickle::value::DtypeKind::Object {
                    writeln!(out, "; the pickle starts at offset {}", h.data_offset)?;
                    unpickle::dis::dis_at(&data, h.data_offset, out)
                } else {
                    let n = data.len().saturating_sub(h.data_offset);
                    writeln!(
                        out,
                        "; {n} bytes of raw data at offset {}, no pickle",
                        h.data_offset
                    )?;
                    Ok(())
                }
            }
            Err(e) => Err(e),
        },
    };
    match result {
        Ok(()) => Ok(0),
        // The data is in memory: an I/O error is a failed write to standard output.
        Err(e) => match e.kind() {
            ErrorKind::Io(io) => Err(Halt::from(io::Error::new(io.kind(), io.to_string()))),
            _ => Ok(report(&display(file), &e, opts, "strict")),
        },
    }
}

fn write_npy_header(out: &mut Out, h: &npy::Header) -> io::Result<()> {
    write!(
        out,
        ".npy version {}.{}: {{'descr': '{}', 'fortran_order': {}, 'shape': {}}}",
        h.version.0,
        h.version.1,
        h.dtype.descr(),
        if h.fortran_order { "True" } else { "False" },
        shape_repr(&h.shape),
    )
}

/// A shape as Python's tuple repr: `()`, `(3,)`, `(2, 3)`.
fn shape_repr(shape: &[usize]) -> String {
    match shape {
        [n] => format!("({n},)"),
        _ => {
            let dims: Vec<String> = shape.iter().map(|d| d.to_string()).collect();
            format!("({})", dims.join(", "))
        }
    }
}

/// What scanning one file found.
struct FileScan {
    format: Format,
    header: Option<npy::Header>,
    reports: Vec<PickleReport>,
    /// A checkpoint's findings about its container (TorchScript, unexpected members).
    warnings: Vec<String>,
    /// Why a checkpoint's container could not be scanned, or that it is TorchScript.
    refusal: Option<Error>,
}

impl FileScan {
    fn count(&self, refused: bool) -> usize {
        self.reports
            .iter()
            .flat_map(|r| &r.globals)
            .filter(|g| !refused || g.verdict == Decision::Refuse.verdict())
            .count()
    }

    fn pids(&self) -> usize {
        self.reports.iter().map(|r| r.persistent_ids.len()).sum()
    }

    fn exit_code(&self) -> u8 {
        let mut code = self.refusal.as_ref().map_or(0, exit_for);
        for r in &self.reports {
            if r.any_refused() {
                code = code.max(3);
            }
            if let Some((e, _)) = &r.error {
                code = code.max(exit_for(e));
            }
        }
        code
    }
}

fn scan_file(data: &[u8], opts: &Opts) -> FileScan {
    let format = Format::sniff(data);
    let header = match format {
        Format::Npy => npy::parse_header(data).ok(),
        Format::Pickle | Format::Checkpoint => None,
    };
    if format == Format::Checkpoint {
        // Every pickle of the checkpoint (offsets in the file), and its container findings.
        return match opts.torch(format).scan(data) {
            Ok(r) => FileScan {
                format,
                header,
                refusal: r.torchscript.then(|| {
                    Error::from(unpickle::torch::CheckpointError::TorchScript(
                        r.warnings.join("; "),
                    ))
                }),
                reports: r.pickles.into_iter().map(|m| m.report).collect(),
                warnings: r.warnings,
            },
            Err(e) => FileScan {
                format,
                header,
                reports: Vec::new(),
                warnings: Vec::new(),
                refusal: Some(e),
            },
        };
    }
    FileScan {
        format,
        header,
        reports: unpickle::scan::scan(data, &opts.loader(format)),
        warnings: Vec::new(),
        refusal: None,
    }
}

fn scan(out: &mut Out, opts: &Opts) -> Result<u8, Halt> {
    if opts.files.is_empty() {
        return Ok(usage("scan needs at least one FILE"));
    }
    if opts.json {
        return scan_json(out, opts);
    }
    let mut code = 0u8;
    for path in &opts.files {
        let file = display(path);
        let data = match read_or_report(path) {
            Ok(d) => d,
            Err(c) => {
                code = code.max(c);
                continue;
            }
        };
        let found = scan_file(&data, opts);
        if let Some(h) = &found.header {
            write!(out, "{file} @0: ")?;
            write_npy_header(out, h)?;
            writeln!(out)?;
        }
        for r in &found.reports {
            for g in &r.globals {
                writeln!(out, "{file} @{}: {} {}", g.offset, g.global, g.verdict)?;
            }
            for p in &r.persistent_ids {
                match &p.pid {
                    Some(pid) => writeln!(out, "{file} @{}: persistent id {pid}", p.offset)?,
                    None => writeln!(
                        out,
                        "{file} @{}: persistent id (too large to show)",
                        p.offset
                    )?,
                }
            }
            if let Some((e, _)) = &r.error {
                writeln!(out, "{file}: error: {e}")?;
                if let Some(h) = hint(e, opts, opts.policy_name(found.format)) {
                    writeln!(out, "{file}: hint: {h}")?;
                }
            }
        }
        for w in &found.warnings {
            writeln!(out, "{file}: warning: {w}")?;
        }
        if let (Some(e), true) = (&found.refusal, found.warnings.is_empty()) {
            writeln!(out, "{file}: error: {e}")?;
        }
        writeln!(
            out,
            "{file}: {} pickle(s), {} global(s), {} refused, {} persistent id(s)",
            found.reports.len(),
            found.count(false),
            found.count(true),
            found.pids()
        )?;
        code = code.max(found.exit_code());
    }
    Ok(code)
}

/// `s` as a JSON string literal.
fn json_str(s: &str) -> String {
    unpickle::json::to_string(&Value::from(s))
}

fn json_opt(n: Option<u64>) -> String {
    n.map_or_else(|| "null".to_owned(), |n| n.to_string())
}

fn json_error(e: &Error) -> String {
    let category = match e.category() {
        Category::Io => "io",
        Category::Refused => "refused",
        Category::Limit => "limit",
        _ => "invalid",
    };
    format!(
        "{{\"message\": {}, \"offset\": {}, \"category\": {}}}",
        json_str(&e.to_string()),
        json_opt(e.offset()),
        json_str(category)
    )
}

fn scan_json(out: &mut Out, opts: &Opts) -> Result<u8, Halt> {
    let mut code = 0u8;
    write!(out, "{{\"files\": [")?;
    for (i, path) in opts.files.iter().enumerate() {
        let sep = if i == 0 { "" } else { ", " };
        let file = json_str(&display(path));
        let data = match read_input(path) {
            Ok(d) => d,
            Err(e) => {
                code = code.max(2);
                let e = json_error(&Error::from(e));
                write!(out, "{sep}{{\"file\": {file}, \"error\": {e}}}")?;
                continue;
            }
        };
        let found = scan_file(&data, opts);
        write!(
            out,
            "{sep}{{\"file\": {file}, \"format\": {}, \"pickles\": [",
            json_str(found.format.name())
        )?;
        for (k, r) in found.reports.iter().enumerate() {
            let sep = if k == 0 { "" } else { ", " };
            write!(out, "{sep}{{\"offset\": {}, \"globals\": [", r.offset)?;
            for (n, g) in r.globals.iter().enumerate() {
                write!(
                    out,
                    "{}{{\"offset\": {}, \"module\": {}, \"name\": {}, \"verdict\": {}}}",
                    if n == 0 { "" } else { ", " },
                    g.offset,
                    json_str(&g.global.module),
                    json_str(&g.global.name),
                    json_str(g.verdict)
                )?;
            }
            write!(out, "], \"persistent_ids\": [")?;
            for (n, p) in r.persistent_ids.iter().enumerate() {
                write!(
                    out,
                    "{}{{\"offset\": {}, \"repr\": {}}}",
                    if n == 0 { "" } else { ", " },
                    p.offset,
                    p.pid
                        .as_ref()
                        .map_or_else(|| "null".to_owned(), |v| json_str(&v.to_string()))
                )?;
            }
            let error = r
                .error
                .as_ref()
                .map_or_else(|| "null".to_owned(), |(e, _)| json_error(e));
            write!(out, "], \"error\": {error}}}")?;
        }
        let error = found
            .refusal
            .as_ref()
            .map_or_else(|| "null".to_owned(), json_error);
        write!(
            out,
            "], \"globals\": {}, \"refused\": {}, \"persistent_ids\": {}, \"error\": {error}}}",
            found.count(false),
            found.count(true),
            found.pids()
        )?;
        code = code.max(found.exit_code());
    }
    writeln!(out, "], \"exit\": {code}}}")?;
    Ok(code)
}

fn convert(out: &mut Out, opts: &Opts) -> Result<u8, Halt> {
    let [input, output] = opts.files.as_slice() else {
        return Ok(usage("convert takes CHECKPOINT and OUT.safetensors"));
    };
    let shown = display(input);
    let loader = opts.torch(Format::Checkpoint);
    let loaded = if input == "-" {
        read_or_report(input).map(|d| loader.load_slice(&d))
    } else {
        Ok(loader.load(input))
    };
    let ckpt = match loaded {
        Ok(Ok(c)) => c,
        Ok(Err(e)) => {
            say!("unpickle: {shown}: {e}");
            return Ok(exit_for(&e));
        }
        Err(code) => return Ok(code),
    };
    let copts = convert::Options::new().tensors_only(opts.tensors_only);
    match convert::write_file(&ckpt, output, &copts) {
        Ok(r) => {
            write!(
                out,
                "{}: {} tensors ({} bytes), {} aliases, {} values in metadata",
                display(output),
                r.tensors,
                r.data_bytes,
                r.aliases,
                r.values
            )?;
            if r.values_left_out > 0 {
                write!(out, ", {} left out", r.values_left_out)?;
            }
            writeln!(out)?;
            Ok(0)
        }
        Err(e) => {
            say!("unpickle: {}: {e}", display(output));
            Ok(exit_for(&e))
        }
    }
}

/// `sanitize IN OUT`: load under the policy, write the value as a new pickle (nothing
/// written unless everything succeeds).
fn sanitize(out: &mut Out, opts: &Opts) -> Result<u8, Halt> {
    let [input, output] = opts.files.as_slice() else {
        return Ok(usage("sanitize takes IN and OUT"));
    };
    let data = match read_or_report(input) {
        Ok(d) => d,
        Err(code) => return Ok(code),
    };
    let format = Format::sniff(&data);
    if format != Format::Pickle {
        say!(
            "unpickle: {}: sanitize takes a pickle, not a {} file",
            display(input),
            format.name()
        );
        return Ok(2);
    }
    let policy = opts.policy_name(format);
    let value = match opts.loader(format).load_slice(&data) {
        Ok(v) => v,
        Err(e) => return Ok(report(&display(input), &e, opts, policy)),
    };
    let written = unpickle::write::Options::new(opts.protocol)
        .limits(opts.limits.clone())
        .to_file(output, &value);
    match written {
        Ok(()) => {
            writeln!(
                out,
                "{}: protocol {} pickle written (policy {policy})",
                display(output),
                opts.protocol.number()
            )?;
            Ok(0)
        }
        Err(e) => {
            say!("unpickle: {}: {e}", display(output));
            Ok(exit_for(&e))
        }
    }
}

fn run(out: &mut Out, args: &[OsString]) -> Result<u8, Halt> {
    let Some((cmd, rest)) = args.split_first() else {
        say!("{USAGE}");
        return Ok(2);
    };
    let cmd = cmd.to_str().unwrap_or("");
    match cmd {
        "-h" | "--help" | "help" => {
            let topic = rest.first().and_then(|t| t.to_str());
            return match COMMANDS.iter().find(|c| Some(c.name) == topic) {
                Some(c) => print_help(out, c),
                None => {
                    writeln!(out, "{USAGE}")?;
                    Ok(0)
                }
            };
        }
        "-V" | "--version" | "version" => {
            writeln!(out, "unpickle {}", env!("CARGO_PKG_VERSION"))?;
            return Ok(0);
        }
        _ => {}
    }
    let Some(command) = COMMANDS.iter().find(|c| c.name == cmd) else {
        return Ok(usage(&format!("unknown command {cmd:?}")));
    };
    let opts = match parse(command, rest) {
        Ok(o) => o,
        Err(msg) => {
            say!(
                "unpickle {}: {msg}\n(see `unpickle {} --help`)",
                command.name,
                command.name
            );
            return Ok(2);
        }
    };
    if opts.help {
        return print_help(out, command);
    }
    match command.name {
        "show" => show(out, &opts),
        "scan" => scan(out, &opts),
        "convert" => convert(out, &opts),
        "sanitize" => sanitize(out, &opts),
        _ => dis(out, &opts),
    }
}

fn main() -> ExitCode {
    let args: Vec<OsString> = std::env::args_os().skip(1).collect();
    let mut out = BufWriter::new(io::stdout());
    let result = run(&mut out, &args).and_then(|code| {
        out.flush()?;
        Ok(code)
    });
    let code = match result {
        Ok(code) => code,
        Err(Halt::Closed) => 141,
        Err(Halt::Write(e)) => {
            say!("unpickle: cannot write to standard output: {e}");
            2
        }
    };
    // What is still buffered after a failed write must not be written again at exit.
    let (_, _) = out.into_parts();
    ExitCode::from(code)
}
