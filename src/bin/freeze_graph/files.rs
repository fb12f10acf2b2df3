//! Reading what the flags name: the graph files, a SavedModel's proto, and the
//! checkpoint's `.index` or V1 table(s) with the sizes of the `.data` shards
//! beside it. What the names mean is the core's (`tf_freeze::layout`).

use std::fs::File;
use std::io::Read as _;
use std::path::{Path, PathBuf};

use crate::roles;
use tf_freeze::layout;
use tf_freeze::options::OptionValues;
use tf_freeze::{CheckpointFiles, Error, FreezeRequest, InputFile};

/// The most a graph, meta graph or saver is read: protobuf's own limit for
/// one message, and a bound on memory when the path is a device or a stream.
const MAX_STREAM_BYTES: u64 = 2 << 30;

/// Reads a graph, meta graph or saver: a file or a stream (`/dev/stdin`, a
/// pipe), up to `MAX_STREAM_BYTES`. A stream is read in chunks so that what is
/// held never passes the limit (a growing `Vec` would double to twice it), and
/// the first chunk is checked before reading on: a zero first byte is field 0
/// in binary protobuf and NUL in text, so no graph starts with one (`/dev/zero`
/// is refused at once instead of being read to the limit).
pub fn read_file(path: &str, what: &str) -> Result<Vec<u8>, Error> {
    let cannot = |e: std::io::Error| Error::MissingFile {
        file: path.to_owned(),
        detail: format!("cannot read the {what} ({e})"),
    };
    let mut file = File::open(path).map_err(cannot)?;
    let mut bytes = Vec::new();
    let mut chunk = vec![0u8; READ_CHUNK];
    loop {
        let read = match file.read(&mut chunk) {
            Ok(0) => return Ok(bytes),
            Ok(read) => read,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(cannot(e)),
        };
        if bytes.is_empty() && chunk.first() == Some(&0) {
            return Err(Error::Corrupt {
                file: path.to_owned(),
                detail: format!(
                    "is not a {what}: it starts with a zero byte, which no protobuf file, binary or text, does"
                ),
            });
        }
        let total = bytes.len() as u64 + read as u64;
        if total > MAX_STREAM_BYTES {
            return Err(Error::TooLarge {
                what: format!(
                    "{path} (the {what}; protobuf cannot read a message over 2 GiB, so reading stopped there)"
                ),
                size: total,
                limit: MAX_STREAM_BYTES,
            });
        }
        bytes.extend_from_slice(chunk.get(..read).unwrap_or_default());
    }
}

/// How much of a graph stream is read at a time.
const READ_CHUNK: usize = 1 << 20;

/// Reads a checkpoint file (`.index`, V1 table), which must be a regular
/// file once links are followed: a device or FIFO would never end, or never
/// start.
pub fn read_regular(path: &str, what: &str) -> Result<Vec<u8>, Error> {
    regular_size(path, what)?;
    let mut file = File::open(path).map_err(|e| Error::MissingFile {
        file: path.to_owned(),
        detail: format!("cannot read the {what} ({e})"),
    })?;
    // Checked again on the open file, in case the name changed in between.
    let is_file = file.metadata().map(|m| m.is_file()).unwrap_or(false);
    if !is_file {
        return Err(not_regular(path, what));
    }
    let mut bytes = Vec::new();
    file.read_to_end(&mut bytes).map_err(|e| Error::Corrupt {
        file: path.to_owned(),
        detail: format!("cannot read the {what} ({e})"),
    })?;
    Ok(bytes)
}

/// The size of a checkpoint file, following links; refused unless a regular file.
pub fn regular_size(path: &str, what: &str) -> Result<u64, Error> {
    let meta = std::fs::metadata(path).map_err(|e| Error::MissingFile {
        file: path.to_owned(),
        detail: format!("cannot read the {what} ({e})"),
    })?;
    if meta.is_file() {
        Ok(meta.len())
    } else {
        Err(not_regular(path, what))
    }
}

fn not_regular(path: &str, what: &str) -> Error {
    Error::Corrupt {
        file: path.to_owned(),
        detail: format!(
            "is not a regular file (the {what} must be one; a device, FIFO or folder is refused)"
        ),
    }
}

/// A file read whole, under the path it was read from.
pub struct Read {
    pub name: String,
    pub bytes: Vec<u8>,
}

impl Read {
    fn input(&self) -> InputFile<'_> {
        InputFile {
            name: &self.name,
            bytes: &self.bytes,
        }
    }
}

fn read_flag(values: &OptionValues, flag: &str, what: &str) -> Result<Option<Read>, Error> {
    let Some(path) = values.non_empty(flag) else {
        return Ok(None);
    };
    let bytes = read_file(path, what)?;
    roles::check(flag, path, &bytes)?;
    Ok(Some(Read {
        name: path.to_owned(),
        bytes,
    }))
}

/// Everything a freeze reads, and what went wrong on the way that does not stop it.
pub struct Inputs {
    graph: Option<Read>,
    meta_graph: Option<Read>,
    saver: Option<Read>,
    saved_model: Option<Read>,
    prefix: String,
    index: IndexFiles,
    shard_sizes: Vec<Option<u64>>,
    shard_paths: Vec<String>,
    pub warnings: Vec<String>,
}

impl Inputs {
    pub fn read(values: &OptionValues) -> Result<Self, Error> {
        let inspect = values.bool("inspect");
        let saved_model_dir = values.non_empty("input_saved_model_dir");
        let saved_model_path = saved_model_dir.map(saved_model_file).transpose()?;
        // A checkpoint that is not there is said after the graph's own errors,
        // as before, so `refused` waits until the checkpoint is opened.
        let (prefix, refused) = match (saved_model_dir, values.non_empty("input_checkpoint")) {
            // TF reads a SavedModel's own variables, whatever --input_checkpoint says.
            (Some(dir), _) => (layout::saved_model_variables_prefix(dir), None),
            (None, Some(given)) => match layout::prefix::resolve_prefix(given, &Disk) {
                Ok(prefix) => (prefix, None),
                Err(err) => (layout::checkpoint_prefix(given).to_owned(), Some(err)),
            },
            // A report on the graph alone is still useful.
            (None, None) if inspect => (String::new(), None),
            (None, None) => {
                return Err(Error::Usage(
                    "--input_checkpoint is required (the checkpoint prefix)".into(),
                ))
            }
        };
        let open = |prefix: &str| match &refused {
            Some(err) => Err(err.clone()),
            None => open_index(prefix),
        };
        let no_graph = values.non_empty("input_graph").is_none()
            && values.non_empty("input_meta_graph").is_none();
        if no_graph && saved_model_path.is_none() {
            let index = open(&prefix)?;
            return Err(tf_freeze::no_graph_error(&index.name, &index.bytes));
        }
        let graph = read_flag(values, "input_graph", "graph")?;
        let meta_graph = read_flag(values, "input_meta_graph", "meta graph")?;
        let saved_model = match saved_model_path {
            Some(path) => Some(Read {
                bytes: read_file(&path, "SavedModel")?,
                name: path,
            }),
            None => None,
        };
        let saver = read_flag(values, "input_saver", "saver")?;
        let mut warnings = Vec::new();
        let index = match open(&prefix) {
            Ok(index) => index,
            Err(err) if inspect => {
                if !prefix.is_empty() {
                    warnings.push(format!("{err}; reporting on the graph alone"));
                }
                IndexFiles::default()
            }
            Err(err) => return Err(err),
        };
        let (shard_sizes, shard_paths) = shard_sizes(&prefix)?;
        Ok(Inputs {
            graph,
            meta_graph,
            saver,
            saved_model,
            shard_sizes,
            shard_paths,
            prefix,
            index,
            warnings,
        })
    }

    /// Every file this run reads, which the output must not replace.
    pub fn paths(&self) -> Vec<(&str, &'static str)> {
        let reads = [
            (&self.graph, "graph"),
            (&self.meta_graph, "meta graph"),
            (&self.saver, "saver"),
            (&self.saved_model, "SavedModel"),
        ];
        let mut paths: Vec<(&str, &'static str)> = reads
            .iter()
            .filter_map(|(read, what)| read.as_ref().map(|r| (r.name.as_str(), *what)))
            .collect();
        if !self.index.name.is_empty() {
            paths.push((&self.index.name, "checkpoint index"));
        }
        let tables = self.index.more.iter().map(|(name, _)| name.as_str());
        paths.extend(tables.map(|name| (name, "checkpoint")));
        let shards = self.shard_paths.iter().map(String::as_str);
        paths.extend(shards.map(|name| (name, "checkpoint data shard")));
        paths
    }

    pub fn request(&self, values: &OptionValues) -> Result<FreezeRequest<'_>, Error> {
        Ok(FreezeRequest {
            graph: self.graph.as_ref().map(Read::input),
            meta_graph: self.meta_graph.as_ref().map(Read::input),
            saver: self.saver.as_ref().map(Read::input),
            saved_model: self.saved_model.as_ref().map(Read::input),
            saved_model_tags: values.saved_model_tags(),
            checkpoint: CheckpointFiles {
                prefix: &self.prefix,
                index: InputFile {
                    name: &self.index.name,
                    bytes: &self.index.bytes,
                },
                more_tables: self
                    .index
                    .more
                    .iter()
                    .map(|(name, bytes)| InputFile { name, bytes })
                    .collect(),
                shard_sizes: self.shard_sizes.clone(),
            },
            input_binary: values.given_bool("input_binary"),
            options: values.freeze_options(crate::flags::flag)?,
        })
    }
}

/// The folder a prefix lives in, and the file-name part of the prefix, which
/// may be empty (`model/` is `model/.index`).
fn split_prefix(prefix: &str) -> (PathBuf, &str) {
    let (dir, base) = layout::prefix::split_prefix(prefix);
    let dir = if dir.is_empty() { "." } else { dir };
    (PathBuf::from(dir), base)
}

/// The file system, as the core's prefix resolution asks about it.
struct Disk;

impl layout::prefix::Folder for Disk {
    fn is_file(&self, path: &str) -> bool {
        // Anything but a folder: a FIFO or a broken link is then refused by
        // name when it is read, rather than passed over.
        std::fs::symlink_metadata(path).is_ok() && !Path::new(path).is_dir()
    }
    fn is_dir(&self, path: &str) -> bool {
        Path::new(path).is_dir()
    }
    fn names(&self, dir: &str) -> Vec<String> {
        file_names(Path::new(if dir.is_empty() { "." } else { dir }))
    }
    fn text(&self, path: &str) -> Option<String> {
        // A `checkpoint` state file is a few lines; anything large is not one.
        let mut text = String::new();
        File::open(path)
            .ok()?
            .take(1 << 20)
            .read_to_string(&mut text)
            .ok()?;
        Some(text)
    }
}

/// The names of the files in `dir` (none when it cannot be read).
fn file_names(dir: &Path) -> Vec<String> {
    std::fs::read_dir(dir)
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|e| e.file_name().to_str().map(str::to_owned))
        .collect()
}

/// The `.data` shards found beside the index: their sizes by shard id (links
/// followed), and their paths.
pub fn shard_sizes(prefix: &str) -> Result<(Vec<Option<u64>>, Vec<String>), Error> {
    let (dir, base) = split_prefix(prefix);
    let mut sizes: Vec<Option<u64>> = Vec::new();
    let mut paths = Vec::new();
    for name in file_names(&dir) {
        let Some((_, shard, _)) =
            layout::parse_data_file_name(&name).filter(|(p, _, _)| *p == base)
        else {
            continue;
        };
        let Ok(shard) = usize::try_from(shard) else {
            continue;
        };
        let path = dir.join(&name).display().to_string();
        let size = regular_size(&path, "checkpoint data shard")?;
        paths.push(path);
        if sizes.len() <= shard {
            sizes.resize(shard.saturating_add(1), None);
        }
        if let Some(slot) = sizes.get_mut(shard) {
            *slot = Some(size);
        }
    }
    Ok((sizes, paths))
}

/// The SavedModel proto inside a SavedModel folder.
pub fn saved_model_file(dir: &str) -> Result<String, Error> {
    let present: Vec<String> = file_names(Path::new(dir))
        .into_iter()
        .filter(|name| Path::new(dir).join(name).is_file())
        .collect();
    let present: Vec<&str> = present.iter().map(String::as_str).collect();
    layout::saved_model_file(dir, &present)
}

/// The checkpoint's index: `<prefix>.index` (V2), or for a V1 checkpoint
/// its table file `<prefix>` or its shards `<prefix>-?????-of-?????`.
#[derive(Default)]
pub struct IndexFiles {
    pub name: String,
    pub bytes: Vec<u8>,
    pub more: Vec<(String, Vec<u8>)>,
}

pub fn open_index(prefix: &str) -> Result<IndexFiles, Error> {
    let index_path = format!("{prefix}.index");
    if std::fs::symlink_metadata(&index_path).is_ok() {
        let bytes = read_regular(&index_path, "checkpoint index")?;
        return Ok(IndexFiles {
            name: index_path,
            bytes,
            more: Vec::new(),
        });
    }
    if Path::new(prefix).is_file() {
        let bytes = read_regular(prefix, "checkpoint")?;
        if !layout::is_v1_table(&bytes) {
            return Err(Error::MissingFile {
                file: index_path,
                detail: format!(
                    "'{prefix}' is not a checkpoint prefix; pass the prefix (the .index name without .index)"
                ),
            });
        }
        return Ok(IndexFiles {
            name: prefix.to_owned(),
            bytes,
            more: Vec::new(),
        });
    }
    let mut shards = v1_shards(prefix);
    if !shards.is_empty() {
        let first = shards.remove(0);
        let bytes = read_regular(&first, "checkpoint")?;
        let more = shards
            .into_iter()
            .map(|name| read_regular(&name, "checkpoint").map(|b| (name, b)))
            .collect::<Result<_, _>>()?;
        return Ok(IndexFiles {
            name: first,
            bytes,
            more,
        });
    }
    Err(Error::MissingFile {
        file: index_path,
        detail: format!("Input checkpoint '{prefix}' doesn't exist!"),
    })
}

/// The files of a sharded V1 checkpoint, in shard order.
fn v1_shards(prefix: &str) -> Vec<String> {
    let (dir, base) = split_prefix(prefix);
    let mut found: Vec<String> = file_names(&dir)
        .into_iter()
        .filter(|name| layout::parse_v1_table_name(name).is_some_and(|(p, _, _)| p == base))
        .map(|name| dir.join(name).display().to_string())
        .collect();
    found.sort();
    found
}
