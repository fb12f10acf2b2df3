//! The frozen GraphDef as a list of segments: owned bytes, or a range of a
//! `.data` shard that goes into a Const's `tensor_content` unchanged. The
//! encoding is TF's deterministic serialization: fields in number order, map
//! entries sorted by key (prost with `btree_map` does both).

#![deny(clippy::indexing_slicing)]

use std::io::{Read, Seek, SeekFrom, Write};

use prost::encoding::encoded_len_varint;
use prost::Message;

use serde::Serialize;

use crate::error::{Error, Result};
use crate::proto::{attr_value, GraphDef, NodeDef, TensorProto};
use crate::target::TargetLint;

/// How much of a shard [`Plan::write_to`] copies at a time.
const COPY_CHUNK: usize = 1 << 20;

/// One piece of the output file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Segment {
    /// Bytes written as they are.
    Bytes(Vec<u8>),
    /// A range of a data shard, copied unchanged.
    Shard {
        /// The shard id (`.data-SSSSS-of-NNNNN`).
        shard: u32,
        /// Where the range starts in the shard.
        offset: u64,
        /// How many bytes.
        len: u64,
        /// The crc32c the checkpoint stores for these bytes (unmasked).
        crc32c: u32,
        /// The checkpoint key of the tensor, for messages.
        tensor: String,
    },
}

impl Segment {
    /// Its length in the output.
    pub fn len(&self) -> u64 {
        match self {
            Segment::Bytes(bytes) => bytes.len() as u64,
            Segment::Shard { len, .. } => *len,
        }
    }

    /// True for an empty segment.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// The `--report` file, keys in this order.
#[derive(Serialize)]
struct FreezeReport<'a> {
    inputs: &'a [String],
    outputs: &'a [String],
    variables_frozen: &'a [FrozenVariable],
    variables_initialized: &'a [InitializedVariable],
    nodes_kept: usize,
    nodes_removed: usize,
    output_bytes: u64,
    #[serde(skip_serializing_if = "<[_]>::is_empty")]
    output_files: &'a [OutputFile],
    changes: &'a [String],
    warnings: &'a [String],
    #[serde(skip_serializing_if = "Option::is_none")]
    target_lint: Option<&'a TargetLint>,
    command: &'a str,
}

/// One variable turned into a constant.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct FrozenVariable {
    /// The variable's node name.
    pub name: String,
    /// Where its value came from in the checkpoint.
    pub key: String,
    /// TF's Python name of its dtype.
    pub dtype: String,
    /// Its shape.
    pub shape: Vec<i64>,
    /// The size of its value in the checkpoint.
    pub bytes: u64,
}

/// One file written, for an output of several files (a TF.js model).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct OutputFile {
    /// Its name in the output folder.
    pub name: String,
    /// Its size.
    pub bytes: u64,
}

/// A variable the checkpoint lacks, frozen from its constant initializer.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct InitializedVariable {
    /// The variable's node name.
    pub name: String,
    /// The initializer node its value came from.
    pub initializer: String,
}

/// What a freeze did, for the one-line report, `--report` and the page.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Summary {
    /// The variables turned into constants.
    pub frozen: Vec<FrozenVariable>,
    /// The variables the checkpoint lacks, frozen from their initializers.
    pub initialized: Vec<InitializedVariable>,
    /// The nodes kept, as asked.
    pub outputs: Vec<String>,
    /// Placeholders left in the frozen graph: what it must be fed.
    pub inputs: Vec<String>,
    /// What the opt-in cleanups changed.
    pub changes: Vec<String>,
    /// Nodes in the frozen graph.
    pub nodes_kept: usize,
    /// Nodes of the input graph left out.
    pub nodes_removed: usize,
    /// Size of the frozen GraphDef in bytes.
    pub output_bytes: u64,
    /// The files of an output of several files, in order (else empty).
    pub output_files: Vec<OutputFile>,
}

/// The frozen graph, ready to be written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Plan {
    /// The file's contents, in order.
    pub segments: Vec<Segment>,
    /// What was done.
    pub summary: Summary,
    /// The data files the shard segments refer to, by shard id.
    pub data_files: Vec<String>,
    /// Things the user should know that did not stop the freeze.
    pub warnings: Vec<String>,
    /// With `--target`: the nodes of the frozen graph that target will reject.
    pub target_lint: Option<TargetLint>,
}

impl Summary {
    /// How many variables became constants.
    pub fn variables_frozen(&self) -> usize {
        self.frozen.len()
    }
}

impl Plan {
    /// The `--report` JSON: what was frozen, kept and removed, and the command
    /// that does it again.
    pub fn report_json(&self, command: &str) -> String {
        let s = &self.summary;
        let report = FreezeReport {
            inputs: &s.inputs,
            outputs: &s.outputs,
            variables_frozen: &s.frozen,
            variables_initialized: &s.initialized,
            nodes_kept: s.nodes_kept,
            nodes_removed: s.nodes_removed,
            output_bytes: s.output_bytes,
            output_files: &s.output_files,
            changes: &s.changes,
            warnings: &self.warnings,
            target_lint: self.target_lint.as_ref(),
            command,
        };
        // Serialising plain structs of strings and numbers cannot fail.
        let mut text = serde_json::to_string_pretty(&report).unwrap_or_default();
        text.push('\n');
        text
    }

    /// Compares the crc32c computed over a shard segment's bytes with the one
    /// the checkpoint stores, naming the data file and tensor when they differ.
    pub fn check_crc(&self, shard: u32, tensor: &str, stored: u32, computed: u32) -> Result<()> {
        check_crc(&self.data_files, shard, tensor, stored, computed)
    }

    /// Streams the frozen GraphDef into `out`, copying each shard segment from
    /// `shards` (by shard id, e.g. open `.data` files or `Cursor`s) through a
    /// small buffer and checking its crc32c against the checkpoint's. Returns
    /// the bytes written. Nothing is held whole, so the output may be larger
    /// than memory. On an error `out` holds part of the output: discard it.
    pub fn write_to<W: Write, S: Read + Seek>(&self, out: &mut W, shards: &mut [S]) -> Result<u64> {
        stream_segments(&self.segments, &self.data_files, out, shards, true)
    }

    /// [`Plan::write_to`] without the checksums (`--verify_checksums=false`).
    pub fn write_to_unverified<W: Write, S: Read + Seek>(
        &self,
        out: &mut W,
        shards: &mut [S],
    ) -> Result<u64> {
        stream_segments(&self.segments, &self.data_files, out, shards, false)
    }

    /// The whole output in memory, given a way to read shard ranges. Meant for
    /// small graphs and tests; the CLI and page stream instead.
    pub fn to_bytes(
        &self,
        mut read: impl FnMut(u32, u64, u64) -> Result<Vec<u8>>,
    ) -> Result<Vec<u8>> {
        let mut out = Vec::new();
        for segment in &self.segments {
            match segment {
                Segment::Bytes(bytes) => out.extend_from_slice(bytes),
                Segment::Shard {
                    shard,
                    offset,
                    len,
                    crc32c,
                    tensor,
                } => {
                    let bytes = read(*shard, *offset, *len)?;
                    self.check_crc(*shard, tensor, *crc32c, crc32c::crc32c(&bytes))?;
                    out.extend_from_slice(&bytes);
                }
            }
        }
        Ok(out)
    }
}

/// The crc32c check of a shard segment, naming its data file and tensor.
pub(crate) fn check_crc(
    data_files: &[String],
    shard: u32,
    tensor: &str,
    stored: u32,
    computed: u32,
) -> Result<()> {
    if computed == stored {
        return Ok(());
    }
    Err(Error::Checksum {
        file: data_files.get(shard as usize).cloned().unwrap_or_default(),
        what: format!("tensor '{tensor}'"),
        stored,
        computed,
    })
}

/// Writes `segments` to `out`, shard ranges copied from `shards` in chunks
/// and (with `verify`) checked against their stored crc32c.
pub(crate) fn stream_segments<W: Write, S: Read + Seek>(
    segments: &[Segment],
    data_files: &[String],
    out: &mut W,
    shards: &mut [S],
    verify: bool,
) -> Result<u64> {
    let written = |e: std::io::Error| Error::Output {
        file: "the output".into(),
        detail: e.to_string(),
    };
    let mut buffer = vec![0u8; COPY_CHUNK];
    let mut total = 0u64;
    for segment in segments {
        match segment {
            Segment::Bytes(bytes) => out.write_all(bytes).map_err(written)?,
            Segment::Shard {
                shard,
                offset,
                len,
                crc32c,
                tensor,
            } => {
                let file = data_files.get(*shard as usize).cloned().unwrap_or_default();
                let unreadable = |e: std::io::Error| {
                    Error::corrupt(
                        &file,
                        format!("tensor '{tensor}' cannot be read ({e}): the file is truncated"),
                    )
                };
                let source = shards
                    .get_mut(*shard as usize)
                    .ok_or_else(|| Error::MissingFile {
                        file: file.clone(),
                        detail: "the checkpoint's values are in it".into(),
                    })?;
                source.seek(SeekFrom::Start(*offset)).map_err(unreadable)?;
                let mut left = *len;
                let mut crc = 0u32;
                while left > 0 {
                    let step = usize::try_from(left).map_or(COPY_CHUNK, |l| l.min(COPY_CHUNK));
                    let chunk = buffer.get_mut(..step).unwrap_or_default();
                    source.read_exact(chunk).map_err(unreadable)?;
                    if verify {
                        crc = crc32c::crc32c_append(crc, chunk);
                    }
                    out.write_all(chunk).map_err(written)?;
                    left = left.saturating_sub(step as u64);
                }
                if verify {
                    check_crc(data_files, *shard, tensor, *crc32c, crc)?;
                }
            }
        }
        total = total.saturating_add(segment.len());
    }
    out.flush().map_err(written)?;
    Ok(total)
}

/// A Const whose `tensor_content` comes from a shard.
#[derive(Debug, Clone)]
pub struct ContentRef {
    /// The shard range.
    pub shard: u32,
    /// Offset in the shard.
    pub offset: u64,
    /// Length.
    pub len: u64,
    /// Unmasked stored crc32c.
    pub crc32c: u32,
    /// Checkpoint key.
    pub tensor: String,
}

/// Builds the segments for `graph`; `content(i)` gives the shard range of node
/// `i` when that node is a frozen Const whose value stays in the shard (its
/// `value` attr then holds only dtype and shape).
pub fn encode(graph: &GraphDef, content: impl Fn(usize) -> Option<ContentRef>) -> Vec<Segment> {
    let mut segments: Vec<Segment> = Vec::new();
    let mut pending: Vec<u8> = Vec::new();
    for (i, node) in graph.node.iter().enumerate() {
        match content(i) {
            Some(range) => {
                encode_const_prefix(node, range.len, &mut pending);
                segments.push(Segment::Bytes(std::mem::take(&mut pending)));
                segments.push(Segment::Shard {
                    shard: range.shard,
                    offset: range.offset,
                    len: range.len,
                    crc32c: range.crc32c,
                    tensor: range.tensor,
                });
            }
            None => {
                pending.push(0x0a);
                node.encode_length_delimited(&mut pending)
                    .unwrap_or_default();
            }
        }
    }
    // Every field but the nodes, without copying the nodes to drop them.
    let rest = GraphDef {
        node: Vec::new(),
        versions: graph.versions.clone(),
        #[allow(deprecated)]
        version: graph.version,
        library: graph.library.clone(),
        debug_info: graph.debug_info.clone(),
    };
    rest.encode(&mut pending).unwrap_or_default();
    if !pending.is_empty() {
        segments.push(Segment::Bytes(pending));
    }
    segments.retain(|s| !s.is_empty());
    segments
}

fn put_len_delimited_header(out: &mut Vec<u8>, tag: u8, len: u64) {
    out.push(tag);
    prost::encoding::encode_varint(len, out);
}

fn len_delimited_size(len: u64) -> u64 {
    1 + encoded_len_varint(len) as u64 + len
}

/// Writes node field 1 of the GraphDef up to, not including, the raw content
/// bytes. `tensor_content` (TensorProto field 4) is the last field of the
/// tensor, the tensor the only field of the `value` AttrValue, and `value` the
/// last attr key, so the content is the last thing in the node's encoding.
fn encode_const_prefix(node: &NodeDef, content_len: u64, out: &mut Vec<u8>) {
    let tensor_header: TensorProto = match node.attr.get("value").and_then(|a| a.value.as_ref()) {
        Some(attr_value::Value::Tensor(t)) => (**t).clone(),
        _ => TensorProto::default(),
    };
    let mut without_value = node.clone();
    without_value.attr.remove("value");
    let node_head = without_value.encode_to_vec();
    let tensor_head = tensor_header.encode_to_vec();

    let tensor_len = tensor_head.len() as u64 + len_delimited_size(content_len);
    let attr_len = len_delimited_size(tensor_len);
    let key = b"value";
    let entry_len = len_delimited_size(key.len() as u64) + len_delimited_size(attr_len);
    let node_len = node_head.len() as u64 + len_delimited_size(entry_len);

    put_len_delimited_header(out, 0x0a, node_len);
    out.extend_from_slice(&node_head);
    put_len_delimited_header(out, 0x2a, entry_len);
    put_len_delimited_header(out, 0x0a, key.len() as u64);
    out.extend_from_slice(key);
    put_len_delimited_header(out, 0x12, attr_len);
    put_len_delimited_header(out, 0x42, tensor_len);
    out.extend_from_slice(&tensor_head);
    put_len_delimited_header(out, 0x22, content_len);
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::graph::attrs::tensor_attr;
    use crate::proto::AttrValue;
    use crate::proto::{DataType, TensorShapeProto};

    fn const_node(content: Vec<u8>) -> NodeDef {
        let mut node = NodeDef {
            name: "w".into(),
            op: "Const".into(),
            ..Default::default()
        };
        node.attr.insert(
            "dtype".into(),
            AttrValue {
                value: Some(attr_value::Value::Type(DataType::DtFloat as i32)),
            },
        );
        let tensor = TensorProto {
            dtype: DataType::DtFloat as i32,
            tensor_shape: Some(TensorShapeProto::default()),
            tensor_content: content,
            ..Default::default()
        };
        node.attr.insert("value".into(), tensor_attr(tensor));
        node
    }

    #[test]
    fn streamed_const_encodes_like_prost() {
        // A long content makes every length take more than one varint byte.
        let content: Vec<u8> = (0..=255u8).cycle().take(70_000).collect();
        let full = GraphDef {
            node: vec![const_node(content.clone())],
            ..Default::default()
        };
        let expected = full.encode_to_vec();

        let header_only = GraphDef {
            node: vec![const_node(Vec::new())],
            ..Default::default()
        };
        let segments = encode(&header_only, |_| {
            Some(ContentRef {
                shard: 0,
                offset: 0,
                len: content.len() as u64,
                crc32c: crc32c::crc32c(&content),
                tensor: "w".into(),
            })
        });
        let plan = Plan {
            segments,
            summary: Summary::default(),
            data_files: vec!["d".into()],
            warnings: Vec::new(),
            target_lint: None,
        };
        let bytes = plan
            .to_bytes(|_, _, _| Ok(content.clone()))
            .expect("assembles");
        assert_eq!(bytes, expected);
    }

    #[test]
    fn the_report_has_a_target_lint_only_with_a_target() {
        let mut plan = Plan {
            segments: Vec::new(),
            summary: Summary::default(),
            data_files: Vec::new(),
            warnings: Vec::new(),
            target_lint: None,
        };
        assert!(!plan.report_json("c").contains("target_lint"));
        plan.target_lint = Some(crate::target::TargetLint {
            target: "tract".into(),
            unsupported: vec![crate::target::UnsupportedNode {
                node: "gelu/Erf".into(),
                op: "Erf".into(),
            }],
        });
        let report: serde_json::Value = serde_json::from_str(&plan.report_json("c")).unwrap();
        assert_eq!(
            report["target_lint"],
            serde_json::json!({"target": "tract", "unsupported": [{"node": "gelu/Erf", "op": "Erf"}]})
        );
    }

    #[test]
    fn bad_shard_bytes_fail_the_checksum() {
        let plan = Plan {
            segments: vec![Segment::Shard {
                shard: 0,
                offset: 0,
                len: 2,
                crc32c: 0,
                tensor: "w".into(),
            }],
            summary: Summary::default(),
            data_files: vec!["m.data-00000-of-00001".into()],
            warnings: Vec::new(),
            target_lint: None,
        };
        let err = plan
            .to_bytes(|_, _, _| Ok(vec![1, 2]))
            .expect_err("mismatch");
        assert!(err
            .to_string()
            .starts_with("m.data-00000-of-00001: checksum mismatch for tensor 'w'"));
    }
}
