//! Streaming the plan to disk: weights copied from the `.data` shards in
//! 1 MiB chunks and checksummed on the way, into a temporary file that is
//! renamed into place only when everything succeeded. What `--output_graph`
//! names is looked at first (see `output`): the rename never replaces a
//! device, a link or an input.

use std::fs::File;
use std::io::{BufWriter, Read, Seek, SeekFrom, Write};

use tf_freeze::{Error, Plan, Segment};

use crate::files::regular_size;
use crate::output::{Output, TempFile};

/// Open data shards, read on demand.
pub struct Shards {
    names: Vec<String>,
    open: Vec<Option<File>>,
}

impl Shards {
    pub fn new(names: Vec<String>) -> Self {
        let open = names.iter().map(|_| None).collect();
        Shards { names, open }
    }

    fn name(&self, shard: u32) -> String {
        self.names.get(shard as usize).cloned().unwrap_or_default()
    }

    fn file(&mut self, shard: u32, offset: u64) -> Result<&mut File, Error> {
        let name = self.name(shard);
        let slot = self
            .open
            .get_mut(shard as usize)
            .ok_or_else(|| Error::MissingFile {
                file: name.clone(),
                detail: "no such shard".into(),
            })?;
        if slot.is_none() {
            // A FIFO would block the open itself, so the name is looked at first.
            regular_size(&name, "checkpoint data shard")?;
            let opened = File::open(&name).map_err(|e| Error::MissingFile {
                file: name.clone(),
                detail: format!("cannot open the data shard ({e})"),
            })?;
            if !opened.metadata().is_ok_and(|m| m.is_file()) {
                regular_size(&name, "checkpoint data shard")?;
            }
            *slot = Some(opened);
        }
        let file = slot.as_mut().ok_or_else(|| Error::MissingFile {
            file: name.clone(),
            detail: "cannot open".into(),
        })?;
        file.seek(SeekFrom::Start(offset))
            .map_err(|e| io_error(&name, e))?;
        Ok(file)
    }

    pub fn read(&mut self, shard: u32, offset: u64, len: u64) -> Result<Vec<u8>, Error> {
        let name = self.name(shard);
        let file = self.file(shard, offset)?;
        let mut bytes = Vec::new();
        file.take(len)
            .read_to_end(&mut bytes)
            .map_err(|e| io_error(&name, e))?;
        if bytes.len() as u64 != len {
            return Err(Error::Corrupt {
                file: name,
                detail: format!(
                    "ends before byte {}: the file is truncated",
                    offset.saturating_add(len)
                ),
            });
        }
        Ok(bytes)
    }
}

fn io_error(file: &str, e: std::io::Error) -> Error {
    Error::Corrupt {
        file: file.to_owned(),
        detail: format!("read failed: {e}"),
    }
}

/// Writes the plan where `output` says: a temporary file beside a regular
/// (or new) file, renamed over it only when everything (checksums included)
/// succeeded; a character device or FIFO directly.
pub fn write_plan(
    plan: &Plan,
    shards: &mut Shards,
    output: &Output,
    verify: bool,
) -> Result<(), Error> {
    match output {
        Output::Stream { target, shown } => {
            let file = std::fs::OpenOptions::new()
                .write(true)
                .open(target)
                .map_err(|e| cannot_write(shown, e))?;
            write_segments(plan, shards, file, shown, verify)
        }
        Output::Replace { target, shown } => {
            let temp = TempFile::beside(target).map_err(|e| cannot_write(shown, e))?;
            let file = temp.create().map_err(|e| cannot_write(&temp.shown(), e))?;
            write_segments(plan, shards, file, &temp.shown(), verify)?;
            temp.rename_over(target).map_err(|e| cannot_write(shown, e))
        }
    }
}

fn cannot_write(file: &str, e: std::io::Error) -> Error {
    Error::Output {
        file: file.to_owned(),
        detail: e.to_string(),
    }
}

fn write_segments(
    plan: &Plan,
    shards: &mut Shards,
    file: File,
    shown: &str,
    verify: bool,
) -> Result<(), Error> {
    let cannot = |e: std::io::Error| cannot_write(shown, e);
    let mut out = BufWriter::with_capacity(1 << 20, file);
    let mut buffer = vec![0u8; 1 << 20];
    for segment in &plan.segments {
        match segment {
            Segment::Bytes(bytes) => out.write_all(bytes).map_err(cannot)?,
            Segment::Shard {
                shard,
                offset,
                len,
                crc32c,
                tensor,
            } => {
                let name = shards.name(*shard);
                let file = shards.file(*shard, *offset)?;
                let mut left = *len;
                let mut crc = 0u32;
                while left > 0 {
                    let want =
                        usize::try_from(left.min(buffer.len() as u64)).unwrap_or(buffer.len());
                    let chunk = buffer.get_mut(..want).unwrap_or_default();
                    file.read_exact(chunk).map_err(|e| Error::Corrupt {
                        file: name.clone(),
                        detail: format!(
                            "tensor '{tensor}' cannot be read ({e}): the file is truncated"
                        ),
                    })?;
                    if verify {
                        crc = crc32c::crc32c_append(crc, chunk);
                    }
                    out.write_all(chunk).map_err(cannot)?;
                    left -= want as u64;
                }
                if verify {
                    plan.check_crc(*shard, tensor, *crc32c, crc)?;
                }
            }
        }
    }
    out.flush().map_err(cannot)
}
