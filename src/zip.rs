//! A `.zip` whose files are stored, not deflated (APPNOTE.TXT 6.3: local
//! file headers, central directory, end record), so the page can offer a
//! folder of files as one download built from slices of the dropped files:
//! the archive is these few records around the files' own bytes.
//!
//! The archive is laid out from each file's name, size and CRC-32; the
//! caller, which holds the bytes, computes the CRC ([`crc32_update`]) and puts
//! each file's bytes where [`Part::File`] says. Without ZIP64 a file and the
//! archive stay under 4 GiB and 65,535 files; larger is refused, naming the size (the page then offers to save the
//! files to a folder).

use crate::error::{Error, Result};

/// One file of the archive.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    /// Its path inside the archive, `/`-separated.
    pub name: String,
    /// Its size in bytes.
    pub len: u64,
    /// The CRC-32 (ISO 3309, as zip uses it) of its bytes.
    pub crc32: u32,
}

/// A piece of the archive, in order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Part {
    /// Header bytes.
    Bytes(Vec<u8>),
    /// The bytes of entry `n`, as they are.
    File(usize),
}

/// Continues the CRC-32 of a file (start from 0) over `data`.
pub fn crc32_update(crc: u32, data: &[u8]) -> u32 {
    let mut hasher = crc32fast::Hasher::new_with_initial(crc);
    hasher.update(data);
    hasher.finalize()
}

const LOCAL_HEADER: u32 = 0x0403_4b50;
const CENTRAL_HEADER: u32 = 0x0201_4b50;
const END_OF_CENTRAL_DIRECTORY: u32 = 0x0605_4b50;
/// 1.0: stored files only.
const VERSION_NEEDED: u16 = 10;
/// Bit 11: names are UTF-8.
const FLAGS: u16 = 1 << 11;
const STORED: u16 = 0;
/// 1980-01-01 00:00, the first date the format has: the same files give the
/// same archive, whenever they are exported.
const DOS_TIME: u16 = 0;
const DOS_DATE: u16 = (1 << 5) | 1;

/// The archive of `entries`, in their order.
pub fn stored(entries: &[Entry]) -> Result<Vec<Part>> {
    if u16::try_from(entries.len()).is_err() {
        return Err(too_large(
            "the number of files",
            entries.len() as u64,
            u16::MAX.into(),
        ));
    }
    let mut parts = Vec::with_capacity(entries.len() * 2 + 1);
    let mut central = Vec::new();
    let mut offset: u64 = 0;
    for (n, entry) in entries.iter().enumerate() {
        let name = entry.name.as_bytes();
        let name_len = u16::try_from(name.len()).map_err(|_| {
            Error::Usage(format!("zip: the file name '{}' is too long", entry.name))
        })?;
        let len = small(entry.len, &format!("'{}'", entry.name))?;
        let at = small(offset, "the archive")?;
        let mut local = Vec::with_capacity(30 + name.len());
        put32(&mut local, LOCAL_HEADER);
        put16(&mut local, VERSION_NEEDED);
        common(&mut local, entry.crc32, len, name_len);
        put16(&mut local, 0); // extra field length
        local.extend_from_slice(name);
        put32(&mut central, CENTRAL_HEADER);
        put16(&mut central, VERSION_NEEDED); // made by: MS-DOS attributes, version 1.0
        put16(&mut central, VERSION_NEEDED);
        common(&mut central, entry.crc32, len, name_len);
        put16(&mut central, 0); // extra field length
        put16(&mut central, 0); // comment length
        put16(&mut central, 0); // disk number
        put16(&mut central, 0); // internal attributes
        put32(&mut central, 0); // external attributes
        put32(&mut central, at);
        central.extend_from_slice(name);
        offset = offset
            .saturating_add(local.len() as u64)
            .saturating_add(entry.len);
        parts.push(Part::Bytes(local));
        parts.push(Part::File(n));
    }
    let directory_at = small(offset, "the archive")?;
    let directory_len = small(central.len() as u64, "the archive's directory")?;
    let count = entries.len() as u16;
    put32(&mut central, END_OF_CENTRAL_DIRECTORY);
    put16(&mut central, 0); // this disk
    put16(&mut central, 0); // the directory's disk
    put16(&mut central, count);
    put16(&mut central, count);
    put32(&mut central, directory_len);
    put32(&mut central, directory_at);
    put16(&mut central, 0); // comment length
    small(offset.saturating_add(central.len() as u64), "the archive")?;
    parts.push(Part::Bytes(central));
    Ok(parts)
}

/// The fields local and central headers share, from "version needed" on.
fn common(out: &mut Vec<u8>, crc32: u32, len: u32, name_len: u16) {
    put16(out, FLAGS);
    put16(out, STORED);
    put16(out, DOS_TIME);
    put16(out, DOS_DATE);
    put32(out, crc32);
    put32(out, len); // compressed size: stored, the same
    put32(out, len);
    put16(out, name_len);
}

/// The largest size or offset: 0xFFFFFFFF is ZIP64's mark.
const LARGEST: u32 = u32::MAX - 1;

/// `value` as a 32-bit field of `what`.
fn small(value: u64, what: &str) -> Result<u32> {
    u32::try_from(value)
        .ok()
        .filter(|&v| v <= LARGEST)
        .ok_or_else(|| too_large(what, value, LARGEST.into()))
}

fn too_large(what: &str, size: u64, limit: u64) -> Error {
    Error::TooLarge {
        what: format!("{what} for a .zip without ZIP64"),
        size,
        limit,
    }
}

fn put16(out: &mut Vec<u8>, value: u16) {
    out.extend_from_slice(&value.to_le_bytes());
}

fn put32(out: &mut Vec<u8>, value: u32) {
    out.extend_from_slice(&value.to_le_bytes());
}

#[cfg(test)]
mod tests {
    use super::*;

    fn archive(files: &[(&str, &[u8])]) -> Vec<u8> {
        let entries: Vec<Entry> = files
            .iter()
            .map(|(name, bytes)| Entry {
                name: (*name).to_owned(),
                len: bytes.len() as u64,
                crc32: crc32_update(0, bytes),
            })
            .collect();
        let mut out = Vec::new();
        for part in stored(&entries).unwrap() {
            match part {
                Part::Bytes(bytes) => out.extend(bytes),
                Part::File(n) => out.extend_from_slice(files[n].1),
            }
        }
        out
    }

    #[test]
    fn crc32_is_zips_and_continues_over_pieces() {
        // The check value of CRC-32/ISO-HDLC.
        assert_eq!(crc32_update(0, b"123456789"), 0xCBF4_3926);
        assert_eq!(
            crc32_update(crc32_update(0, b"1234"), b"56789"),
            0xCBF4_3926
        );
    }

    #[test]
    fn unzip_tests_the_archive_and_gets_the_files_back() {
        let big: Vec<u8> = (0..200_000u32).map(|i| (i * 7 % 251) as u8).collect();
        let files: [(&str, &[u8]); 4] = [
            ("model/model.json", b"{\"format\":\"graph-model\"}"),
            ("model/group1-shard1of2.bin", &big),
            ("model/group1-shard2of2.bin", b"\x00\x01\x02"),
            ("model/empty.bin", b""),
        ];
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("model.zip");
        std::fs::write(&path, archive(&files)).unwrap();
        let test = std::process::Command::new("unzip")
            .arg("-t")
            .arg(&path)
            .output()
            .expect("this test needs unzip (Debian's unzip package)");
        let said = String::from_utf8_lossy(&test.stdout);
        assert!(test.status.success(), "{said}");
        assert!(said.contains("No errors detected"), "{said}");
        let out = dir.path().join("out");
        let unzipped = std::process::Command::new("unzip")
            .arg("-q")
            .arg(&path)
            .arg("-d")
            .arg(&out)
            .status()
            .unwrap();
        assert!(unzipped.success());
        for (name, bytes) in files {
            assert_eq!(std::fs::read(out.join(name)).unwrap(), bytes, "{name}");
        }
    }

    #[test]
    fn the_same_files_make_the_same_archive() {
        let files: [(&str, &[u8]); 1] = [("a.bin", b"abc")];
        assert_eq!(archive(&files), archive(&files));
    }

    #[test]
    fn a_file_over_4_gib_is_refused_naming_it() {
        let entries = [Entry {
            name: "m/group1-shard1of1.bin".into(),
            len: 5 << 30,
            crc32: 0,
        }];
        let err = stored(&entries).unwrap_err();
        assert_eq!(err.kind(), crate::ErrorKind::Limit);
        assert!(
            err.to_string().contains("'m/group1-shard1of1.bin'"),
            "{err}"
        );
        assert!(err.to_string().contains("5368709120 bytes"), "{err}");
    }

    #[test]
    fn an_archive_over_4_gib_in_all_is_refused() {
        let entry = |n: usize| Entry {
            name: format!("shard{n}.bin"),
            len: 3 << 30,
            crc32: 0,
        };
        let err = stored(&[entry(1), entry(2)]).unwrap_err();
        assert_eq!(err.kind(), crate::ErrorKind::Limit);
    }
}
