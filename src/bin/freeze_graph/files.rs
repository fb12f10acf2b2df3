//! Finding a checkpoint's files from the prefix the user gave: the `.index`
//! or V1 table(s), the `.data` shards beside it, a SavedModel's proto.

use std::path::{Path, PathBuf};

use tf_freeze::Error;

pub fn read_file(path: &str, what: &str) -> Result<Vec<u8>, Error> {
    std::fs::read(path).map_err(|e| Error::MissingFile {
        file: path.to_owned(),
        detail: format!("cannot read the {what} ({e})"),
    })
}

/// The checkpoint prefix from what the user typed: the prefix itself, or the
/// path of its `.index` or of one of its `.data` shards.
pub fn checkpoint_prefix(given: &str) -> String {
    if let Some(prefix) = given.strip_suffix(".index") {
        return prefix.to_owned();
    }
    if let Some((prefix, shard)) = given.rsplit_once(".data-") {
        if shard.len() == 14 && shard.get(5..9) == Some("-of-") {
            return prefix.to_owned();
        }
    }
    given.to_owned()
}

/// The sizes of the `.data` shards found beside the index, by shard id.
/// The folder a prefix lives in, and the file-name part of the prefix.
fn split_prefix(prefix: &str) -> (PathBuf, &str) {
    let path = Path::new(prefix);
    let dir = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    };
    let base = path
        .file_name()
        .and_then(|b| b.to_str())
        .unwrap_or_default();
    (dir, base)
}

pub fn shard_sizes(prefix: &str) -> Vec<Option<u64>> {
    let (dir, base) = split_prefix(prefix);
    let mut sizes: Vec<Option<u64>> = Vec::new();
    let Ok(entries) = std::fs::read_dir(&dir) else {
        return sizes;
    };
    for entry in entries.flatten() {
        let name = entry.file_name();
        let Some(rest) = name
            .to_str()
            .and_then(|n| n.strip_prefix(base))
            .and_then(|r| r.strip_prefix(".data-"))
        else {
            continue;
        };
        let Some((shard, _count)) = rest.split_once("-of-") else {
            continue;
        };
        let (Ok(shard), Ok(meta)) = (shard.parse::<usize>(), entry.metadata()) else {
            continue;
        };
        if shard >= 1 << 20 {
            continue;
        }
        if sizes.len() <= shard {
            sizes.resize(shard + 1, None);
        }
        if let Some(slot) = sizes.get_mut(shard) {
            *slot = Some(meta.len());
        }
    }
    sizes
}

/// The SavedModel proto inside a SavedModel folder.
pub fn saved_model_file(dir: &str) -> Result<String, Error> {
    let dir = dir.trim_end_matches('/');
    for name in ["saved_model.pb", "saved_model.pbtxt"] {
        let path = format!("{dir}/{name}");
        if Path::new(&path).is_file() {
            return Ok(path);
        }
    }
    if Path::new(&format!("{dir}/saved_model.cpb")).is_file() {
        return Err(Error::Unsupported {
            what: format!("{dir}/saved_model.cpb: chunked SavedModels (written for models over 2 GB) cannot be read"),
        });
    }
    Err(Error::MissingFile {
        file: format!("{dir}/saved_model.pb"),
        detail: "SavedModel file does not exist (--input_saved_model_dir must name the SavedModel folder)".into(),
    })
}

/// The checkpoint's index: `<prefix>.index` (V2), or for a V1 checkpoint
/// its table file `<prefix>` or its shards `<prefix>-?????-of-?????`.
pub struct IndexFiles {
    pub name: String,
    pub bytes: Vec<u8>,
    pub more: Vec<(String, Vec<u8>)>,
}

pub fn open_index(prefix: &str) -> Result<IndexFiles, Error> {
    let index_path = format!("{prefix}.index");
    if Path::new(&index_path).exists() {
        let bytes = read_file(&index_path, "checkpoint index")?;
        return Ok(IndexFiles {
            name: index_path,
            bytes,
            more: Vec::new(),
        });
    }
    if Path::new(prefix).is_file() {
        let bytes = read_file(prefix, "checkpoint")?;
        if !tf_freeze::bundle::is_v1_table(&bytes) {
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
        let bytes = read_file(&first, "checkpoint")?;
        let more = shards
            .into_iter()
            .map(|name| read_file(&name, "checkpoint").map(|b| (name, b)))
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
pub fn v1_shards(prefix: &str) -> Vec<String> {
    let (dir, base) = split_prefix(prefix);
    let mut found: Vec<String> = std::fs::read_dir(&dir)
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|e| e.file_name().to_str().map(str::to_owned))
        .filter(|name| tf_freeze::bundle::is_v1_shard_of(base, name))
        .map(|name| dir.join(name).display().to_string())
        .collect();
    found.sort();
    found
}
