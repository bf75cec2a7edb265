//! A small, strict reader for the stored zip archives `torch.save` writes.
//!
//! Why not the `zip` crate: it rejects the CRC-0 files torch writes when asked
//! (`set_crc32_options(False)`), and it is a dependency every library user would pay for.
//! torch's own reader (miniz built without CRC checks) never checks CRCs, so neither does
//! this one. What it does check, before anything is used:
//!
//! - the end of central directory record sits exactly at the end of the file (no trailing
//!   bytes, no comment beyond it), and its ZIP64 locator and record, when present, agree
//!   with it; the central directory ends exactly where the end records begin;
//! - the entry count against a limit and against the central directory's size, so no
//!   allocation follows a number the file merely claims;
//! - every central header: single disk, no encryption, method STORED (deflated entries are
//!   refused: torch never writes them), compressed size = size, ZIP64 extra fields read
//!   where the 32-bit fields say so;
//! - every local header: the same name, method and (where the local header states them)
//!   sizes as its central header; the 64-byte alignment padding torch puts in the local
//!   extra field (absent from the central one) is allowed;
//! - every entry's bytes lie before the central directory and overlap no other entry;
//! - names are UTF-8, relative, without `..`, backslashes, drive letters or NUL, and
//!   unique even ignoring letter case (torch's lookup ignores case).

use std::collections::HashMap;
use std::ops::Range;

use super::error::CheckpointError as E;
use crate::decode::skim::le_at;

/// One stored entry.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Entry {
    /// The name in the central directory.
    pub name: String,
    /// Where its local header starts.
    pub header: usize,
    /// Its bytes in the file.
    pub data: Range<usize>,
}

const EOCD_SIG: u32 = 0x0605_4b50;
const LOC64_SIG: u32 = 0x0706_4b50;
const EOCD64_SIG: u32 = 0x0606_4b50;
const CEN_SIG: u32 = 0x0201_4b50;
const LOC_SIG: u32 = 0x0403_4b50;
const EOCD_LEN: usize = 22;
const CEN_LEN: usize = 46;
const LOC_LEN: usize = 30;

// The little-endian fields of zip headers, read with the decoder's one helper.
fn u16_at(d: &[u8], at: usize) -> Option<u16> {
    le_at(d, at, 2).and_then(|v| u16::try_from(v).ok())
}

fn u32_at(d: &[u8], at: usize) -> Option<u32> {
    le_at(d, at, 4).and_then(|v| u32::try_from(v).ok())
}

fn u64_at(d: &[u8], at: usize) -> Option<u64> {
    le_at(d, at, 8)
}

fn end(msg: impl Into<String>) -> E {
    E::EndRecord(msg.into())
}

fn header(msg: impl Into<String>) -> E {
    E::Header(msg.into())
}

fn to_usize(v: u64, what: &str) -> Result<usize, E> {
    usize::try_from(v).map_err(|_| header(format!("{what} {v} does not fit in memory")))
}

/// The central directory's place and size, from the end records.
struct Directory {
    offset: usize,
    size: usize,
    count: u64,
    /// Where the end records begin (the ZIP64 record if there is one).
    end: usize,
}

fn find_directory(d: &[u8]) -> Result<Directory, E> {
    if d.len() < EOCD_LEN {
        return Err(end("file too short for a zip end record"));
    }
    // The record must end the file: a zip comment would follow it, torch writes none,
    // and bytes appended after it are refused rather than skipped.
    let at = d.len() - EOCD_LEN;
    if u32_at(d, at) != Some(EOCD_SIG) {
        return Err(end(
            "no end of central directory record at the end of the file",
        ));
    }
    let get16 = |off: usize| u16_at(d, at + off).unwrap_or(0);
    let get32 = |off: usize| u32_at(d, at + off).unwrap_or(0);
    let (disk, cd_disk) = (get16(4), get16(6));
    let (on_disk, total) = (get16(8), get16(10));
    let (size32, offset32, comment) = (get32(12), get32(16), get16(20));
    if comment != 0 {
        return Err(end(
            "the end record claims a comment the file does not hold",
        ));
    }
    let zip64 = at >= 20 && u32_at(d, at - 20) == Some(LOC64_SIG);
    if !zip64 {
        if disk != 0 || cd_disk != 0 || on_disk != total {
            return Err(end("multi-disk archives are not supported"));
        }
        if total == u16::MAX || size32 == u32::MAX || offset32 == u32::MAX {
            return Err(end("ZIP64 values announced but no ZIP64 locator"));
        }
        return Ok(Directory {
            offset: offset32 as usize,
            size: size32 as usize,
            count: u64::from(total),
            end: at,
        });
    }
    let loc = at - 20;
    let rec_disk = u32_at(d, loc + 4).unwrap_or(1);
    let rec = u64_at(d, loc + 8).unwrap_or(u64::MAX);
    let disks = u32_at(d, loc + 16).unwrap_or(0);
    if rec_disk != 0 || disks != 1 {
        return Err(end("multi-disk archives are not supported"));
    }
    let rec = to_usize(rec, "ZIP64 record offset")?;
    // The record is 56 bytes (no extensible data in what torch writes) and ends where the
    // locator begins.
    if rec.checked_add(56) != Some(loc) || u32_at(d, rec) != Some(EOCD64_SIG) {
        return Err(end(
            "the ZIP64 locator does not point at a ZIP64 record just before it",
        ));
    }
    if u64_at(d, rec + 4) != Some(44) {
        return Err(end("the ZIP64 record has an unexpected size"));
    }
    let disk64 = u32_at(d, rec + 16).unwrap_or(1);
    let cd_disk64 = u32_at(d, rec + 20).unwrap_or(1);
    let on_disk64 = u64_at(d, rec + 24).unwrap_or(0);
    let total64 = u64_at(d, rec + 32).unwrap_or(1);
    let size64 = u64_at(d, rec + 40).unwrap_or(u64::MAX);
    let offset64 = u64_at(d, rec + 48).unwrap_or(u64::MAX);
    if disk64 != 0 || cd_disk64 != 0 || on_disk64 != total64 || disk != 0 || cd_disk != 0 {
        return Err(end("multi-disk archives are not supported"));
    }
    // Where the 32-bit record states a value rather than the ZIP64 sentinel, it must agree.
    let agree = (total == u16::MAX || u64::from(total) == total64)
        && (on_disk == u16::MAX || u64::from(on_disk) == on_disk64)
        && (size32 == u32::MAX || u64::from(size32) == size64)
        && (offset32 == u32::MAX || u64::from(offset32) == offset64);
    if !agree {
        return Err(end("the end record and the ZIP64 record disagree"));
    }
    Ok(Directory {
        offset: to_usize(offset64, "central directory offset")?,
        size: to_usize(size64, "central directory size")?,
        count: total64,
        end: rec,
    })
}

/// Reads the ZIP64 extended-information extra field: the 64-bit values of the 32-bit fields
/// that hold the sentinel, in the order size, compressed size, header offset.
fn zip64_extra(extra: &[u8], wants: [bool; 3], name: &str) -> Result<[Option<u64>; 3], E> {
    let mut out = [None; 3];
    let mut pos = 0usize;
    while pos < extra.len() {
        let (Some(id), Some(len)) = (u16_at(extra, pos), u16_at(extra, pos + 2)) else {
            return Err(header(format!("{name:?}: truncated extra field")));
        };
        let body = extra
            .get(pos + 4..pos + 4 + usize::from(len))
            .ok_or_else(|| header(format!("{name:?}: extra field runs past its header")))?;
        if id == 1 {
            let mut at = 0usize;
            for (slot, want) in out.iter_mut().zip(wants) {
                if want {
                    *slot =
                        Some(u64_at(body, at).ok_or_else(|| {
                            header(format!("{name:?}: ZIP64 extra field too short"))
                        })?);
                    at += 8;
                }
            }
        }
        pos += 4 + usize::from(len);
    }
    Ok(out)
}

fn check_name(raw: &[u8]) -> Result<String, E> {
    let name = std::str::from_utf8(raw)
        .map_err(|_| E::UnsafeName(String::from_utf8_lossy(raw).into_owned()))?;
    let bad = name.is_empty()
        || name.starts_with('/')
        || name.contains('\\')
        || name.contains('\0')
        || name.as_bytes().get(1) == Some(&b':')
        || name.split('/').any(|part| part == "..");
    if bad {
        return Err(E::UnsafeName(name.to_owned()));
    }
    Ok(name.to_owned())
}

/// Reads and checks the central directory and every local header of `d`.
pub(crate) fn entries(d: &[u8], max_entries: u64) -> Result<Vec<Entry>, E> {
    let dir = find_directory(d)?;
    if dir.count > max_entries {
        return Err(E::TooManyEntries {
            count: dir.count,
            max: max_entries,
        });
    }
    let cd_end = dir
        .offset
        .checked_add(dir.size)
        .ok_or_else(|| end("central directory size overflows"))?;
    if cd_end != dir.end {
        return Err(end(format!(
            "the central directory ({} bytes at {}) does not end where the end records begin ({})",
            dir.size, dir.offset, dir.end
        )));
    }
    // Each central header takes at least 46 bytes: the count cannot exceed what the
    // directory can hold, so the vector below is sized by real bytes.
    if dir.count > (dir.size / CEN_LEN) as u64 {
        return Err(end(format!(
            "{} entries cannot fit in a central directory of {} bytes",
            dir.count, dir.size
        )));
    }
    let mut out: Vec<Entry> = Vec::with_capacity(dir.count as usize);
    let mut folded: HashMap<String, usize> = HashMap::with_capacity(dir.count as usize);
    let mut pos = dir.offset;
    for _ in 0..dir.count {
        if u32_at(d, pos) != Some(CEN_SIG) {
            return Err(header(format!("no central header at offset {pos}")));
        }
        let f16 = |off: usize| u16_at(d, pos + off).unwrap_or(0);
        let f32 = |off: usize| u32_at(d, pos + off).unwrap_or(0);
        let (flags, method) = (f16(8), f16(10));
        let (csize32, size32) = (f32(20), f32(24));
        let (nlen, xlen, clen) = (
            usize::from(f16(28)),
            usize::from(f16(30)),
            usize::from(f16(32)),
        );
        let disk = f16(34);
        let offset32 = f32(42);
        let name_at = pos + CEN_LEN;
        let next = name_at + nlen + xlen + clen;
        if next > cd_end {
            return Err(header(format!(
                "central header at {pos} runs past the central directory"
            )));
        }
        let name = check_name(d.get(name_at..name_at + nlen).unwrap_or_default())?;
        let extra = d
            .get(name_at + nlen..name_at + nlen + xlen)
            .unwrap_or_default();
        let [size64, csize64, offset64] = zip64_extra(
            extra,
            [
                size32 == u32::MAX,
                csize32 == u32::MAX,
                offset32 == u32::MAX,
            ],
            &name,
        )?;
        let size = size64.unwrap_or(u64::from(size32));
        let csize = csize64.unwrap_or(u64::from(csize32));
        let offset = offset64.unwrap_or(u64::from(offset32));
        if disk != 0 && disk != u16::MAX {
            return Err(end("multi-disk archives are not supported"));
        }
        if flags & 1 != 0 {
            return Err(E::Compressed {
                name,
                what: "encrypted".into(),
            });
        }
        match method {
            0 => {}
            8 => {
                return Err(E::Compressed {
                    name,
                    what: "deflated".into(),
                })
            }
            m => {
                return Err(E::Compressed {
                    name,
                    what: format!("compressed with method {m}"),
                })
            }
        }
        if csize != size {
            return Err(header(format!(
                "{name:?}: stored entry with compressed size {csize} and size {size}"
            )));
        }
        let size = to_usize(size, "entry size")?;
        let hdr = to_usize(offset, "local header offset")?;
        let data = local_header(d, hdr, &name, method, flags, size, dir.offset)?;
        let key = name.to_lowercase();
        if let Some(&i) = folded.get(&key) {
            let first = out.get(i).map(|e| e.name.clone()).unwrap_or_default();
            return Err(E::DuplicateName {
                first,
                second: name,
            });
        }
        folded.insert(key, out.len());
        out.push(Entry {
            name,
            header: hdr,
            data,
        });
        pos = next;
    }
    if pos != cd_end {
        return Err(end(format!(
            "the central directory has {} bytes after its {} entries",
            cd_end - pos,
            dir.count
        )));
    }
    check_overlaps(&out)?;
    Ok(out)
}

/// Checks the local header at `at` against the central header's facts and returns the
/// entry's byte range.
fn local_header(
    d: &[u8],
    at: usize,
    name: &str,
    method: u16,
    flags: u16,
    size: usize,
    cd_offset: usize,
) -> Result<Range<usize>, E> {
    let mismatch = |field| E::HeaderMismatch {
        name: name.to_owned(),
        field,
    };
    if at >= cd_offset || u32_at(d, at) != Some(LOC_SIG) {
        return Err(header(format!("{name:?}: no local header at offset {at}")));
    }
    let l16 = |off: usize| u16_at(d, at + off).unwrap_or(0);
    let l32 = |off: usize| u32_at(d, at + off).unwrap_or(0);
    let (lflags, lmethod) = (l16(6), l16(8));
    let (lcsize, lsize) = (l32(18), l32(22));
    let (nlen, xlen) = (usize::from(l16(26)), usize::from(l16(28)));
    let name_at = at + LOC_LEN;
    let lname = d
        .get(name_at..name_at + nlen)
        .ok_or_else(|| header(format!("{name:?}: local header runs past the file")))?;
    if lname != name.as_bytes() {
        return Err(mismatch("name"));
    }
    if lmethod != method {
        return Err(mismatch("method"));
    }
    if (lflags ^ flags) & 0x0009 != 0 {
        return Err(mismatch("flags"));
    }
    let extra = d
        .get(name_at + nlen..name_at + nlen + xlen)
        .ok_or_else(|| header(format!("{name:?}: local header runs past the file")))?;
    // With a data descriptor (flag bit 3) the local sizes may be 0; any size the local
    // header does state must agree with the central directory.
    let [size64, csize64, _] =
        zip64_extra(extra, [lsize == u32::MAX, lcsize == u32::MAX, false], name)?;
    let lsize = size64.unwrap_or(u64::from(lsize));
    let lcsize = csize64.unwrap_or(u64::from(lcsize));
    let described = lflags & 0x0008 != 0;
    let stated = !(described && lsize == 0 && lcsize == 0);
    if stated && (lsize != size as u64 || lcsize != size as u64) {
        return Err(mismatch("size"));
    }
    let start = name_at + nlen + xlen;
    let stop = start
        .checked_add(size)
        .ok_or_else(|| header(format!("{name:?}: size overflows")))?;
    if stop > cd_offset {
        return Err(E::Overlap {
            name: name.to_owned(),
            what: format!("runs past the start of the central directory ({stop} > {cd_offset})"),
        });
    }
    Ok(start..stop)
}

fn check_overlaps(entries: &[Entry]) -> Result<(), E> {
    let mut spans: Vec<(usize, usize, &str)> = entries
        .iter()
        .map(|e| (e.header, e.data.end, e.name.as_str()))
        .collect();
    spans.sort_unstable();
    for pair in spans.windows(2) {
        if let [(_, a_end, a), (b_start, _, b)] = pair {
            if b_start < a_end {
                return Err(E::Overlap {
                    name: (*b).to_owned(),
                    what: format!("overlaps entry {a:?}"),
                });
            }
        }
    }
    Ok(())
}
