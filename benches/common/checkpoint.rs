//! The generated PyTorch checkpoint both `benches/torch.rs` and `benches/convert.rs`
//! measure: a state dict of `n` float32 tensors of 160 × 160 (`n = 1000`: 102.4 MB of
//! tensor data), in torch.save's zip layout (protocol-2 `data.pkl`, stored ZIP64 entries
//! with 64-byte alignment, data descriptors, CRCs 0 as torch writes when asked) and in the
//! legacy stream (the five pickles + raw storages). Written on first use to
//! `benches/torch_data/` (git-ignored, never committed).
#![allow(dead_code)]

use std::path::{Path, PathBuf};

/// The side of every square tensor.
pub const SIDE: usize = 160;

/// A protocol-2 `data.pkl` of an OrderedDict of `n` tensors `layer{i}.weight`, each over
/// its own FloatStorage key `i` (legacy: 6-field persistent ids with a `None` view).
pub fn data_pkl(n: usize, legacy: bool) -> Vec<u8> {
    let mut p = b"\x80\x02ccollections\nOrderedDict\nq\x00)Rq\x01(".to_vec();
    let s = |p: &mut Vec<u8>, t: &str| {
        p.push(b'X');
        p.extend_from_slice(&(t.len() as u32).to_le_bytes());
        p.extend_from_slice(t.as_bytes());
    };
    let int = |p: &mut Vec<u8>, v: u32| {
        p.push(b'J');
        p.extend_from_slice(&(v as i32).to_le_bytes());
    };
    for i in 0..n {
        s(&mut p, &format!("layer{i}.weight"));
        p.extend_from_slice(b"ctorch._utils\n_rebuild_tensor_v2\n((");
        s(&mut p, "storage");
        p.extend_from_slice(b"ctorch\nFloatStorage\n");
        s(&mut p, &i.to_string());
        s(&mut p, "cpu");
        int(&mut p, (SIDE * SIDE) as u32);
        if legacy {
            p.push(b'N');
        }
        p.extend_from_slice(b"tQK\x00(");
        int(&mut p, SIDE as u32);
        int(&mut p, SIDE as u32);
        p.extend_from_slice(b"t(");
        int(&mut p, SIDE as u32);
        p.extend_from_slice(b"K\x01t\x89h\x00)RtR");
    }
    p.extend_from_slice(b"u.");
    p
}

/// The bytes of storage `i` (distinct values per tensor).
pub fn storage(i: usize) -> Vec<u8> {
    (0..SIDE * SIDE)
        .flat_map(|j| ((i * 7 + j) as f32 * 0.001).to_le_bytes())
        .collect()
}

/// torch's zip layout: stored entries, FB padding to 64 bytes in the local headers, data
/// descriptors, ZIP64 end records (CRCs written as 0, as torch may).
pub fn write_zip(entries: &[(String, Vec<u8>)]) -> Vec<u8> {
    let mut out = Vec::new();
    let mut central = Vec::new();
    for (name, data) in entries {
        let off = out.len();
        let pad = (64 - (off + 30 + name.len() + 4) % 64) % 64;
        out.extend_from_slice(&0x0403_4b50u32.to_le_bytes());
        out.extend_from_slice(&[0, 0, 8, 8, 0, 0, 0, 0, 0, 0]);
        out.extend_from_slice(&[0; 12]);
        out.extend_from_slice(&(name.len() as u16).to_le_bytes());
        out.extend_from_slice(&((pad + 4) as u16).to_le_bytes());
        out.extend_from_slice(name.as_bytes());
        out.extend_from_slice(b"FB");
        out.extend_from_slice(&(pad as u16).to_le_bytes());
        out.extend(std::iter::repeat_n(b'Z', pad));
        out.extend_from_slice(data);
        out.extend_from_slice(&0x0807_4b50u32.to_le_bytes());
        out.extend_from_slice(&[0; 4]);
        out.extend_from_slice(&(data.len() as u64).to_le_bytes());
        out.extend_from_slice(&(data.len() as u64).to_le_bytes());
        central.push((name, data.len(), off));
    }
    let cd = out.len();
    for (name, len, off) in &central {
        out.extend_from_slice(&0x0201_4b50u32.to_le_bytes());
        out.extend_from_slice(&[0x1e, 3, 0x2d, 0, 8, 8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
        out.extend_from_slice(&(*len as u32).to_le_bytes());
        out.extend_from_slice(&(*len as u32).to_le_bytes());
        out.extend_from_slice(&(name.len() as u16).to_le_bytes());
        out.extend_from_slice(&[0; 12]);
        out.extend_from_slice(&(*off as u32).to_le_bytes());
        out.extend_from_slice(name.as_bytes());
    }
    let (cd_size, n) = (out.len() - cd, central.len() as u64);
    let rec = out.len();
    out.extend_from_slice(&0x0606_4b50u32.to_le_bytes());
    out.extend_from_slice(&44u64.to_le_bytes());
    out.extend_from_slice(&[0x1e, 0, 0x2d, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
    for v in [n, n, cd_size as u64, cd as u64] {
        out.extend_from_slice(&v.to_le_bytes());
    }
    out.extend_from_slice(&0x0706_4b50u32.to_le_bytes());
    out.extend_from_slice(&0u32.to_le_bytes());
    out.extend_from_slice(&(rec as u64).to_le_bytes());
    out.extend_from_slice(&1u32.to_le_bytes());
    out.extend_from_slice(&0x0605_4b50u32.to_le_bytes());
    out.extend_from_slice(&[0; 4]);
    out.extend_from_slice(&(n as u16).to_le_bytes());
    out.extend_from_slice(&(n as u16).to_le_bytes());
    out.extend_from_slice(&(cd_size as u32).to_le_bytes());
    out.extend_from_slice(&(cd as u32).to_le_bytes());
    out.extend_from_slice(&[0, 0]);
    out
}

/// The zip checkpoint of `n` tensors.
pub fn make_zip(n: usize) -> Vec<u8> {
    let mut e = vec![
        ("archive/data.pkl".to_owned(), data_pkl(n, false)),
        ("archive/.format_version".to_owned(), b"1".to_vec()),
        ("archive/.storage_alignment".to_owned(), b"64".to_vec()),
        ("archive/byteorder".to_owned(), b"little".to_vec()),
    ];
    for i in 0..n {
        e.push((format!("archive/data/{i}"), storage(i)));
    }
    e.push(("archive/version".to_owned(), b"3\n".to_vec()));
    e.push(("archive/.data/serialization_id".to_owned(), vec![b'0'; 40]));
    write_zip(&e)
}

/// The legacy checkpoint of `n` tensors.
pub fn make_legacy(n: usize) -> Vec<u8> {
    let mut out = b"\x80\x02\x8a\x0a\x6c\xfc\x9c\x46\xf9\x20\x6a\xa8\x50\x19.".to_vec();
    out.extend_from_slice(b"\x80\x02M\xe9\x03.");
    out.extend_from_slice(b"\x80\x02}q\x00.");
    out.extend_from_slice(&data_pkl(n, true));
    // The keys sorted as strings, as torch writes them; storages in that order.
    let mut keys: Vec<String> = (0..n).map(|i| i.to_string()).collect();
    keys.sort();
    out.extend_from_slice(b"\x80\x02](");
    for k in &keys {
        out.push(b'X');
        out.extend_from_slice(&(k.len() as u32).to_le_bytes());
        out.extend_from_slice(k.as_bytes());
    }
    out.extend_from_slice(b"e.");
    for k in &keys {
        let i: usize = k.parse().unwrap_or(0);
        out.extend_from_slice(&((SIDE * SIDE) as i64).to_le_bytes());
        out.extend_from_slice(&storage(i));
    }
    out
}

/// `dir/name`, written by `make` unless it exists.
pub fn file(dir: &Path, name: &str, make: impl Fn() -> Vec<u8>) -> PathBuf {
    let p = dir.join(name);
    if !p.exists() {
        std::fs::create_dir_all(dir).expect("create benches/torch_data");
        std::fs::write(&p, make()).expect("write the generated checkpoint");
    }
    p
}

/// `benches/torch_data/`.
pub fn data_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("benches/torch_data")
}

/// The zip checkpoint of 1,000 tensors (102.4 MB of data), generated on first use.
pub fn zip_1000() -> PathBuf {
    file(&data_dir(), "state_1000.pt", || make_zip(1000))
}

/// The legacy checkpoint of 1,000 tensors, generated on first use.
pub fn legacy_1000() -> PathBuf {
    file(&data_dir(), "state_1000_legacy.pt", || make_legacy(1000))
}
