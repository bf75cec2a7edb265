//! Turns the `structured` target's corpus (arbitrary-encoded programs) into the pickles
//! they assemble to, so that `tests/fuzz_corpus.rs` can replay them without this crate:
//! `cargo run --bin export_structured -- CORPUS_DIR OUT_DIR`.

use std::path::Path;

use arbitrary::{Arbitrary, Unstructured};
use unpickle_fuzz::{assemble, Program};

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let (src, dst) = match &args[..] {
        [_, s, d] => (Path::new(s), Path::new(d)),
        _ => {
            eprintln!("usage: export_structured CORPUS_DIR OUT_DIR");
            std::process::exit(2);
        }
    };
    std::fs::create_dir_all(dst).expect("create output directory");
    let mut n = 0;
    for entry in std::fs::read_dir(src).expect("read corpus directory") {
        let path = entry.expect("directory entry").path();
        let bytes = std::fs::read(&path).expect("read corpus file");
        let u = Unstructured::new(&bytes);
        // libfuzzer-sys decodes a target's input with `arbitrary_take_rest`.
        let Ok(program) = Program::arbitrary_take_rest(u) else {
            continue;
        };
        let pickle = assemble(&program);
        let name = path.file_name().expect("file name").to_string_lossy();
        std::fs::write(dst.join(format!("{name}.pkl")), pickle).expect("write pickle");
        n += 1;
    }
    println!("exported {n} programs");
}
