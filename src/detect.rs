//! What a file is, from its first and last bytes (and, where the bytes cannot
//! tell, its name): the page and the CLI assign roles with this, so a graph
//! called `model.bin` or an index renamed by a download manager still finds its
//! place. Only [`HEAD_LEN`] bytes of the start and [`TAIL_LEN`] of the end are
//! looked at, so a caller never reads a large file to sort it.
//!
//! Binary protobufs carry no magic number: a GraphDef and a MetaGraphDef both
//! start with field 1, length-delimited. Where the bytes allow several kinds the
//! answer is [`FileKind::Unsure`] with the candidates, and the caller parses
//! the file to confirm.

#![deny(clippy::indexing_slicing)]

use serde::Serialize;

use crate::bundle::{FOOTER_LEN, TABLE_MAGIC};
use crate::layout::{
    describe, parse_data_file_name, NameKind, SAVED_MODEL_FILES, SAVED_MODEL_VARIABLES,
};

/// How much of a file's start [`detect`] looks at.
pub const HEAD_LEN: usize = 4096;
/// How much of a file's end [`detect`] looks at: a table footer.
pub const TAIL_LEN: usize = FOOTER_LEN;

/// What a file is.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "camelCase")]
#[non_exhaustive]
pub enum FileKind {
    /// A `GraphDef`.
    GraphDef {
        /// Protobuf text format rather than binary.
        text: bool,
    },
    /// A `MetaGraphDef` (`.meta`).
    MetaGraphDef {
        /// Protobuf text format rather than binary.
        text: bool,
    },
    /// A `SavedModel` (`saved_model.pb`).
    SavedModel {
        /// Protobuf text format rather than binary.
        text: bool,
    },
    /// A `SaverDef` (`--input_saver`).
    SaverDef {
        /// Protobuf text format rather than binary.
        text: bool,
    },
    /// A V2 checkpoint's `.index` table.
    Index,
    /// A V1 checkpoint table (`SavedTensorSlices`).
    V1Table,
    /// A V2 checkpoint's `.data-SSSSS-of-NNNNN` shard; raw tensor bytes, so
    /// only its name tells.
    Data {
        /// Its shard id.
        shard: u32,
        /// How many shards its name declares.
        count: u32,
    },
    /// TF's `checkpoint` state file, naming the latest prefix.
    CheckpointState,
    /// A SavedModel's `fingerprint.pb`.
    Fingerprint,
    /// Nothing this tool reads.
    Unknown,
    /// The bytes allow each of these; parse the file to confirm.
    Unsure {
        /// The kinds it may be, likeliest first.
        candidates: Vec<FileKind>,
    },
}

impl FileKind {
    /// True for the kinds that hold a graph (including an unsure graph).
    pub fn is_graph(&self) -> bool {
        match self {
            FileKind::GraphDef { .. }
            | FileKind::MetaGraphDef { .. }
            | FileKind::SavedModel { .. } => true,
            FileKind::Unsure { candidates } => candidates.iter().all(FileKind::is_graph),
            _ => false,
        }
    }
}

/// A file as the page sorts it: what it is, and the checkpoint prefix and
/// SavedModel role its name gives.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Detected {
    /// What the bytes (and name) say it is.
    #[serde(flatten)]
    pub kind: FileKind,
    /// The checkpoint prefix its name carries (for checkpoint files).
    pub prefix: String,
    /// The checkpoint a SavedModel keeps in its `variables/` folder.
    pub saved_model_variables: bool,
}

/// [`detect`], with the prefix the name gives a checkpoint file.
pub fn detect_file(name: &str, head: &[u8], tail: &[u8]) -> Detected {
    let kind = detect(name, head, tail);
    let base = name.rsplit(['/', '\\']).next().unwrap_or(name);
    let described = describe(base);
    let prefix = match (&kind, described.kind) {
        (_, NameKind::Data | NameKind::Index) => described.prefix,
        (FileKind::V1Table | FileKind::Unsure { .. }, _) => described.prefix,
        _ => "",
    };
    Detected {
        kind,
        prefix: prefix.to_owned(),
        saved_model_variables: prefix == SAVED_MODEL_VARIABLES,
    }
}

/// What the file `name` (its path or file name) is, given its first
/// [`HEAD_LEN`] bytes (`head`, fewer for a short file) and its last
/// [`TAIL_LEN`] bytes (`tail`; the whole file when it is that short).
pub fn detect(name: &str, head: &[u8], tail: &[u8]) -> FileKind {
    let base = name.rsplit(['/', '\\']).next().unwrap_or(name);
    // A data shard is raw tensor bytes: its name is all there is.
    if let Some((_, shard, count)) = parse_data_file_name(base) {
        return FileKind::Data { shard, count };
    }
    let by_bytes = if head.is_empty() {
        FileKind::Unknown
    } else if is_table_footer(tail) {
        table_kind(head)
    } else if let Some(text) = as_text(head) {
        text_kind(text)
    } else {
        binary_kind(head)
    };
    narrow_by_name(by_bytes, base)
}

/// [`detect`] of a file held whole in memory.
pub fn detect_bytes(name: &str, bytes: &[u8]) -> FileKind {
    let head = bytes.get(..bytes.len().min(HEAD_LEN)).unwrap_or_default();
    let tail = bytes
        .get(bytes.len().saturating_sub(TAIL_LEN)..)
        .unwrap_or_default();
    detect(name, head, tail)
}

/// Where the bytes leave a choice, the name may settle it (`.meta`,
/// `saved_model.pb`, `.index`); it never overrides what the bytes say. Bytes
/// that say nothing under a telling name (a truncated `.index`) stay unsure,
/// so the caller parses them and reports what is wrong with them.
fn narrow_by_name(kind: FileKind, base: &str) -> FileKind {
    let lower = base.to_ascii_lowercase();
    let candidates = match kind {
        FileKind::Unsure { candidates } => candidates,
        FileKind::Unknown => {
            return match named_kind(&lower) {
                Some(named) => FileKind::Unsure {
                    candidates: vec![named],
                },
                None => FileKind::Unknown,
            }
        }
        kind => return kind,
    };
    let named = |candidate: &FileKind| match candidate {
        FileKind::MetaGraphDef { .. } => lower.ends_with(".meta"),
        FileKind::SavedModel { .. } => SAVED_MODEL_FILES.contains(&lower.as_str()),
        FileKind::GraphDef { .. } => {
            (lower.ends_with(".pb") || lower.ends_with(".pbtxt"))
                && !SAVED_MODEL_FILES.contains(&lower.as_str())
        }
        FileKind::Index => lower.ends_with(".index"),
        _ => false,
    };
    let matching: Vec<&FileKind> = candidates.iter().filter(|c| named(c)).collect();
    match matching.as_slice() {
        [one] => (*one).clone(),
        _ => FileKind::Unsure { candidates },
    }
}

/// The kind a (lower-case) file name suggests, if any.
fn named_kind(lower: &str) -> Option<FileKind> {
    let binary = !lower.ends_with("txt");
    Some(if lower.ends_with(".index") {
        FileKind::Index
    } else if SAVED_MODEL_FILES.contains(&lower) {
        FileKind::SavedModel { text: !binary }
    } else if lower.ends_with(".meta") {
        FileKind::MetaGraphDef { text: false }
    } else if lower.ends_with(".pb") || lower.ends_with(".pbtxt") {
        FileKind::GraphDef { text: !binary }
    } else {
        return None;
    })
}

fn is_table_footer(tail: &[u8]) -> bool {
    let magic = tail
        .len()
        .checked_sub(8)
        .and_then(|start| tail.get(start..))
        .and_then(|bytes| <[u8; 8]>::try_from(bytes).ok())
        .map(u64::from_le_bytes);
    tail.len() >= TAIL_LEN && magic == Some(TABLE_MAGIC)
}

/// Both checkpoint formats are tables whose first entry has the empty key: a
/// V2 header (`BundleHeaderProto`, field 1 a varint) or a V1 one
/// (`SavedTensorSlices`, field 1 a message). A compressed first block hides it.
fn table_kind(head: &[u8]) -> FileKind {
    let first = first_value_byte(head).or_else(|| first_value_byte(snappy_literal(head)?));
    match first {
        Some(0x0A) => FileKind::V1Table,
        Some(0x08) | Some(0x10) | Some(0x1A) => FileKind::Index,
        _ => FileKind::Unsure {
            candidates: vec![FileKind::Index, FileKind::V1Table],
        },
    }
}

/// The first byte of the value of the block's first entry, if its key is empty.
fn first_value_byte(block: &[u8]) -> Option<u8> {
    let mut bytes = block;
    let shared = read_varint(&mut bytes)?;
    let key_len = read_varint(&mut bytes)?;
    let _value_len = read_varint(&mut bytes)?;
    (shared == 0 && key_len == 0).then_some(())?;
    bytes.first().copied()
}

/// The bytes of the first literal of a Snappy-compressed block (its length,
/// then a literal tag): enough to see its first entry without decompressing.
fn snappy_literal(block: &[u8]) -> Option<&[u8]> {
    let mut bytes = block;
    let _uncompressed = read_varint(&mut bytes)?;
    let (&tag, rest) = bytes.split_first()?;
    if tag & 3 != 0 {
        return None;
    }
    let short = usize::from(tag >> 2);
    let (len, rest) = match short.checked_sub(59) {
        None | Some(0) => (short, rest),
        Some(extra) => {
            let (len_bytes, rest) = rest.split_at_checked(extra)?;
            let len = len_bytes
                .iter()
                .rev()
                .fold(0usize, |acc, &b| acc.wrapping_shl(8) | usize::from(b));
            (len, rest)
        }
    };
    rest.get(..len.checked_add(1)?.min(rest.len()))
}

/// The head as text, when it is printable UTF-8 (a cut multi-byte character at
/// the end is allowed).
fn as_text(head: &[u8]) -> Option<&str> {
    let text = match std::str::from_utf8(head) {
        Ok(text) => text,
        Err(err) if err.error_len().is_none() => {
            std::str::from_utf8(head.get(..err.valid_up_to())?).ok()?
        }
        Err(_) => return None,
    };
    let printable = text
        .chars()
        .all(|c| !c.is_control() || matches!(c, '\n' | '\r' | '\t'));
    printable.then_some(text)
}

/// The first top-level field names of a text proto say which message it is.
fn text_kind(text: &str) -> FileKind {
    for field in top_level_names(text) {
        let kind = match field {
            "node" | "versions" | "library" => FileKind::GraphDef { text: true },
            "meta_info_def" | "graph_def" | "saver_def" | "collection_def" | "signature_def"
            | "asset_file_def" | "object_graph_def" => FileKind::MetaGraphDef { text: true },
            "saved_model_schema_version" | "meta_graphs" => FileKind::SavedModel { text: true },
            "filename_tensor_name"
            | "save_tensor_name"
            | "restore_op_name"
            | "max_to_keep"
            | "sharded"
            | "keep_checkpoint_every_n_hours" => FileKind::SaverDef { text: true },
            "model_checkpoint_path" | "all_model_checkpoint_paths" => FileKind::CheckpointState,
            // GraphDef and SaverDef both have a `version`; read on.
            "version" => continue,
            _ => return FileKind::Unknown,
        };
        return kind;
    }
    FileKind::Unknown
}

/// Field names at nesting depth 0, skipping comments, strings and nested
/// messages; stops at anything that is not text format.
fn top_level_names(text: &str) -> impl Iterator<Item = &str> {
    let mut rest = text;
    let mut depth = 0u32;
    let mut value_next = false;
    std::iter::from_fn(move || loop {
        rest = rest.trim_start();
        let c = rest.chars().next()?;
        if c == '#' {
            rest = rest.split_once('\n').map_or("", |(_, after)| after);
        } else if c == '"' || c == '\'' {
            rest = skip_string(rest, c)?;
        } else if c == '{' || c == '<' {
            depth = depth.checked_add(1)?;
            rest = rest.get(1..)?;
        } else if c == '}' || c == '>' {
            depth = depth.checked_sub(1)?;
            rest = rest.get(1..)?;
        } else if c.is_ascii_alphabetic() || c == '_' || c == '[' {
            let end = rest
                .find(|c: char| {
                    !(c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '/' | '[' | ']'))
                })
                .unwrap_or(rest.len());
            let word = rest.get(..end)?;
            rest = rest.get(end..)?;
            if std::mem::take(&mut value_next) {
                // An enum value (`version: V2`).
                continue;
            }
            let after = rest.trim_start();
            let is_field =
                after.starts_with(':') || after.starts_with('{') || after.starts_with('<');
            if depth == 0 && is_field {
                return Some(word);
            }
            if depth == 0 && !is_field && !rest.is_empty() {
                // A bare word at the top is not text format.
                return None;
            }
        } else {
            // Values: numbers, `:`, `,`, `;`, `-`.
            value_next = c == ':';
            rest = rest.get(c.len_utf8()..)?;
        }
    })
}

fn skip_string(text: &str, quote: char) -> Option<&str> {
    let mut escaped = false;
    for (at, c) in text.char_indices().skip(1) {
        if escaped {
            escaped = false;
        } else if c == '\\' {
            escaped = true;
        } else if c == quote {
            return text.get(at.checked_add(1)?..);
        }
    }
    Some("")
}

/// A binary proto's top-level fields, as far as the head shows them.
fn binary_kind(head: &[u8]) -> FileKind {
    let fields = top_level_fields(head);
    let Some(&(first, wire, payload)) = fields.first() else {
        return FileKind::Unknown;
    };
    // FingerprintDef: five hashes (varints 1-5) and its version (message 6),
    // in any order.
    let hashes = fields
        .iter()
        .filter(|&&(f, w, _)| w == VARINT && (1..=5).contains(&f))
        .count();
    let fingerprint = fields
        .iter()
        .all(|&(f, w, _)| (w == VARINT && (1..=5).contains(&f)) || (f == 6 && w == LEN));
    if fingerprint && hashes >= 3 {
        return FileKind::Fingerprint;
    }
    match (first, wire) {
        // SavedModel: saved_model_schema_version, then meta_graphs.
        (1, VARINT) => {
            let second = fields.get(1).map(|&(f, w, _)| (f, w));
            match second {
                Some((2, LEN)) => FileKind::SavedModel { text: false },
                Some((2, VARINT)) => FileKind::Fingerprint,
                _ => FileKind::Unsure {
                    candidates: vec![FileKind::SavedModel { text: false }, FileKind::Fingerprint],
                },
            }
        }
        // meta_graphs alone (a schema version of 0), a GraphDef of a library
        // alone, a MetaGraphDef of a graph_def alone.
        (2, LEN) if fields.iter().all(|&(f, w, _)| f == 2 && w == LEN) => FileKind::Unsure {
            candidates: vec![
                FileKind::GraphDef { text: false },
                FileKind::MetaGraphDef { text: false },
                FileKind::SavedModel { text: false },
            ],
        },
        (1, LEN) => first_is_message(&fields, payload),
        // A GraphDef with no node; a MetaGraphDef without meta_info_def.
        (4, LEN) => FileKind::Unsure {
            candidates: vec![
                FileKind::GraphDef { text: false },
                FileKind::MetaGraphDef { text: false },
            ],
        },
        _ => FileKind::Unknown,
    }
}

/// Field 1 length-delimited: a GraphDef's first node, a MetaGraphDef's
/// meta_info_def, or a SaverDef's filename tensor name.
fn first_is_message(fields: &[(u32, u8, &[u8])], payload: &[u8]) -> FileKind {
    let graph = FileKind::GraphDef { text: false };
    let meta = FileKind::MetaGraphDef { text: false };
    let is_name = |bytes: &[u8]| !bytes.is_empty() && bytes.iter().all(|b| b.is_ascii_graphic());
    let strings = fields
        .iter()
        .take(3)
        .all(|&(f, w, p)| w == LEN && f <= 3 && is_name(p));
    if strings && fields.len() >= 2 {
        return FileKind::SaverDef { text: false };
    }
    let count = |number: u32| fields.iter().filter(|&&(f, _, _)| f == number).count();
    // Repeated `node` is a GraphDef; saver_def, signature_def or a second
    // message field right after are a MetaGraphDef's.
    if count(1) >= 2 {
        return graph;
    }
    if fields
        .iter()
        .any(|&(f, w, _)| w == LEN && matches!(f, 3 | 5 | 6 | 7))
    {
        return meta;
    }
    // A NodeDef starts with its name and op (two strings); a MetaInfoDef with
    // its version string and the op list (a message), or with the op list.
    let inner = top_level_fields(payload);
    let looks_like_node = matches!(inner.as_slice(), [(1, LEN, name), (2, LEN, op), ..] if is_name(name) && is_name(op));
    let looks_like_info = inner
        .iter()
        .any(|&(f, w, p)| f == 2 && w == LEN && !is_name(p));
    match (looks_like_node, looks_like_info) {
        (true, false) => graph,
        (false, true) => meta,
        _ => FileKind::Unsure {
            candidates: vec![graph, meta],
        },
    }
}

const VARINT: u8 = 0;
const LEN: u8 = 2;

/// `(field, wire type, payload)` of each field until the bytes end or stop
/// making sense; a payload cut by the end of `bytes` is kept as far as it goes.
fn top_level_fields(bytes: &[u8]) -> Vec<(u32, u8, &[u8])> {
    let mut fields = Vec::new();
    let mut rest = bytes;
    while !rest.is_empty() && fields.len() < 64 {
        let Some(key) = read_varint(&mut rest) else {
            break;
        };
        let (Ok(field), Ok(wire)) = (u32::try_from(key >> 3), u8::try_from(key & 7)) else {
            break;
        };
        if field == 0 {
            break;
        }
        let payload: &[u8] = match wire {
            VARINT => {
                if read_varint(&mut rest).is_none() {
                    break;
                }
                &[]
            }
            LEN => {
                let Some(len) = read_varint(&mut rest).and_then(|l| usize::try_from(l).ok()) else {
                    break;
                };
                let (payload, after) = rest.split_at(len.min(rest.len()));
                rest = after;
                payload
            }
            1 => {
                rest = rest.get(8..).unwrap_or_default();
                &[]
            }
            5 => {
                rest = rest.get(4..).unwrap_or_default();
                &[]
            }
            _ => break,
        };
        fields.push((field, wire, payload));
    }
    fields
}

fn read_varint(bytes: &mut &[u8]) -> Option<u64> {
    let mut value = 0u64;
    for shift in (0..64).step_by(7) {
        let (&byte, rest) = bytes.split_first()?;
        *bytes = rest;
        value |= u64::from(byte & 0x7F).checked_shl(shift)?;
        if byte & 0x80 == 0 {
            return Some(value);
        }
    }
    None
}

#[cfg(test)]
mod tests;
