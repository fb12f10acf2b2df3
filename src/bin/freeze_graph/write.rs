//! Streaming the plan to disk: weights copied from the `.data` shards in
//! 1 MiB chunks and checksummed on the way, into a temporary file that is
//! renamed into place only when everything succeeded. What `--output_graph`
//! names is looked at first (see `output`): the rename never replaces a
//! device, a link or an input.

use std::fs::File;
use std::io::{BufWriter, Read, Seek, SeekFrom};

use tf_freeze::{Error, Plan, Prepared};

use crate::files::regular_size;
use crate::output::{Output, TempFile};

/// The data shards, each opened when first read.
pub struct Shards {
    files: Vec<ShardFile>,
}

/// One data shard: opened (after the checks of `regular_size`) on first use,
/// so shards no segment needs are never opened.
pub struct ShardFile {
    name: String,
    file: Option<File>,
}

impl ShardFile {
    fn open(&mut self) -> Result<&mut File, Error> {
        if self.file.is_none() {
            // A FIFO would block the open itself, so the name is looked at first.
            regular_size(&self.name, "checkpoint data shard")?;
            let opened = File::open(&self.name).map_err(|e| Error::MissingFile {
                file: self.name.clone(),
                detail: format!("cannot open the data shard ({e})"),
            })?;
            if !opened.metadata().is_ok_and(|m| m.is_file()) {
                regular_size(&self.name, "checkpoint data shard")?;
            }
            self.file = Some(opened);
        }
        self.file.as_mut().ok_or_else(|| Error::MissingFile {
            file: self.name.clone(),
            detail: "cannot open".into(),
        })
    }
}

impl Read for ShardFile {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        self.open().map_err(std::io::Error::other)?.read(buf)
    }
}

impl Seek for ShardFile {
    fn seek(&mut self, pos: SeekFrom) -> std::io::Result<u64> {
        self.open().map_err(std::io::Error::other)?.seek(pos)
    }
}

impl Shards {
    /// The shards of a prepared freeze, with the few ranges the core reads
    /// itself (what [`Prepared::finish`] or the TF.js export takes).
    pub fn for_prepared(prepared: &Prepared) -> Result<(Shards, Vec<Vec<u8>>), Error> {
        let mut shards = Shards::new(prepared.data_files().to_vec());
        let loaded = prepared
            .reads()
            .iter()
            .map(|r| shards.read(r.shard, r.offset, r.len))
            .collect::<Result<Vec<_>, _>>()?;
        Ok((shards, loaded))
    }

    fn new(names: Vec<String>) -> Self {
        let files = names
            .into_iter()
            .map(|name| ShardFile { name, file: None })
            .collect();
        Shards { files }
    }

    /// The shards as readers, by shard id.
    pub fn files(&mut self) -> &mut [ShardFile] {
        &mut self.files
    }

    pub fn read(&mut self, shard: u32, offset: u64, len: u64) -> Result<Vec<u8>, Error> {
        let file = self
            .files
            .get_mut(shard as usize)
            .ok_or_else(|| Error::MissingFile {
                file: format!("data shard {shard}"),
                detail: "no such shard".into(),
            })?;
        let name = file.name.clone();
        let opened = file.open()?;
        opened
            .seek(SeekFrom::Start(offset))
            .map_err(|e| io_error(&name, e))?;
        let mut bytes = Vec::new();
        opened
            .take(len)
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

/// The plan through the core's writer, which checks each tensor's crc32c.
fn write_segments(
    plan: &Plan,
    shards: &mut Shards,
    file: File,
    shown: &str,
    verify: bool,
) -> Result<(), Error> {
    let mut out = BufWriter::with_capacity(1 << 20, file);
    let written = if verify {
        plan.write_to(&mut out, &mut shards.files)
    } else {
        plan.write_to_unverified(&mut out, &mut shards.files)
    };
    written.map(|_| ()).map_err(|err| match err {
        Error::Output { detail, .. } => Error::Output {
            file: shown.to_owned(),
            detail,
        },
        other => other,
    })
}
