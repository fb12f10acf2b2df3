//! Damaged checkpoints, in process: real fixtures with deterministic damage
//! (bit flips, truncations, zeroed ranges, inserted bytes, swapped and empty
//! files, and entries rewritten with valid table checksums) go through the
//! library as the CLI uses it. For every case: no panic, no hang, and a
//! change to `.index` or `.data` is either refused with a message naming a
//! file or leaves the frozen graph byte-identical.

// Integration tests fail by panicking.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::io::Cursor;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::Path;
use std::time::{Duration, Instant};

use tf_freeze::bundle::read_table;
use tf_freeze::proto::tensor_shape_proto::Dim;
use tf_freeze::proto::tensor_slice_proto::Extent;
use tf_freeze::proto::{BundleEntryProto, BundleHeaderProto, TensorSliceProto};
use tf_freeze::wire::Message;
use tf_freeze::{CheckpointFiles, Graph, InputFile, Options};

/// One case may take this long in a debug build before it counts as a hang.
const CASE_LIMIT: Duration = Duration::from_secs(5);

/// A fixture's files in memory, with the flags it is frozen with.
#[derive(Clone)]
struct Files {
    fixture: &'static str,
    graph_name: &'static str,
    outputs: &'static str,
    graph: Vec<u8>,
    index: Vec<u8>,
    data: Vec<Vec<u8>>,
}

const INDEX_NAME: &str = "model.ckpt.index";

fn load(fixture: &'static str, graph_name: &'static str, outputs: &'static str) -> Files {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(fixture);
    let read = |name: &str| std::fs::read(dir.join(name)).expect("fixture file");
    let shards = std::fs::read_dir(&dir)
        .expect("fixture folder")
        .flatten()
        .filter(|e| e.file_name().to_string_lossy().contains(".data-"))
        .count();
    Files {
        fixture,
        graph_name,
        outputs,
        graph: read(graph_name),
        index: read(INDEX_NAME),
        data: (0..shards).map(|s| read(&data_name(s, shards))).collect(),
    }
}

fn data_name(shard: usize, shards: usize) -> String {
    format!("model.ckpt.data-{shard:05}-of-{shards:05}")
}

impl Files {
    fn names(&self) -> Vec<String> {
        let mut names = vec![self.graph_name.to_owned(), INDEX_NAME.to_owned()];
        names.extend((0..self.data.len()).map(|s| data_name(s, self.data.len())));
        names
    }

    /// The freeze through the library's face: parse the graph, freeze, and
    /// stream the plan with the tensors' checksums checked.
    fn freeze(&self) -> Result<Vec<u8>, String> {
        let text = |e: tf_freeze::Error| e.to_string();
        let shards: Vec<&[u8]> = self.data.iter().map(Vec::as_slice).collect();
        let graph = Graph::parse(InputFile::new(self.graph_name, &self.graph)).map_err(text)?;
        let index = InputFile::new(INDEX_NAME, &self.index);
        let checkpoint = CheckpointFiles::v2("model.ckpt", index, &shards);
        let options = Options::outputs([self.outputs]);
        let plan = tf_freeze::freeze(&graph, &checkpoint, &shards, &options).map_err(text)?;
        let mut out = Vec::new();
        let mut readers: Vec<Cursor<&[u8]>> = shards.iter().map(|s| Cursor::new(*s)).collect();
        plan.write_to(&mut out, &mut readers).map_err(text)?;
        Ok(out)
    }
}

/// Which file a case damages: the graph may change the output legitimately.
#[derive(Clone, Copy, PartialEq)]
enum Target {
    Graph,
    Checkpoint,
}

struct Case {
    what: String,
    target: Target,
    files: Files,
}

/// Runs every case and returns one line per broken promise.
fn check(original: &Files, cases: Vec<Case>) -> Vec<String> {
    let expected = original
        .freeze()
        .unwrap_or_else(|e| panic!("{}: the undamaged fixture fails: {e}", original.fixture));
    let names = original.names();
    let mut failures = Vec::new();
    let total = Instant::now();
    let count = cases.len();
    let (mut refused, mut accepted) = (0, 0);
    for case in cases {
        let start = Instant::now();
        let result = catch_unwind(AssertUnwindSafe(|| case.files.freeze()));
        let took = start.elapsed();
        let label = format!("{}: {}", original.fixture, case.what);
        if took > CASE_LIMIT {
            failures.push(format!("{label}: took {took:?}"));
        }
        match result {
            Err(panic) => {
                let message = panic
                    .downcast_ref::<String>()
                    .cloned()
                    .or_else(|| panic.downcast_ref::<&str>().map(|s| (*s).to_owned()))
                    .unwrap_or_default();
                failures.push(format!("{label}: panicked: {message}"));
            }
            Ok(Err(message)) => {
                refused += 1;
                if !names.iter().any(|n| message.contains(n.as_str())) {
                    failures.push(format!("{label}: the error names no file: {message}"));
                }
            }
            Ok(Ok(output)) => {
                accepted += 1;
                if case.target == Target::Checkpoint && output != expected {
                    failures.push(format!("{label}: accepted, and the output changed"));
                }
            }
        }
    }
    eprintln!(
        "{}: {count} cases ({refused} refused, {accepted} accepted) in {:?}",
        original.fixture,
        total.elapsed()
    );
    failures
}

fn assert_none(failures: Vec<String>) {
    assert!(
        failures.is_empty(),
        "{} broken cases:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

/// Positions `0, step, 2·step, …` below `len`, with `len - 1` too, so the
/// footer and the last tensor's last byte are always among them.
fn positions(len: usize, step: usize) -> Vec<usize> {
    let mut at: Vec<usize> = (0..len).step_by(step.max(1)).collect();
    if len > 0 && at.last() != Some(&(len - 1)) {
        at.push(len - 1);
    }
    at
}

/// Byte-level damage to one file of `files` (`0`: `.index`, `1 + s`: shard s):
/// a bit flipped every `flip_step` bytes; truncation, an inserted byte and
/// 8 zeroed bytes every `step` bytes.
fn byte_cases(files: &Files, file: usize, flip_step: usize, step: usize) -> Vec<Case> {
    let bytes = match file {
        0 => &files.index,
        s => &files.data[s - 1],
    };
    let label = match file {
        0 => INDEX_NAME.to_owned(),
        s => data_name(s - 1, files.data.len()),
    };
    let with = |what: String, changed: Vec<u8>| {
        let mut damaged = files.clone();
        match file {
            0 => damaged.index = changed,
            s => damaged.data[s - 1] = changed,
        }
        Case {
            what: format!("{label}: {what}"),
            target: Target::Checkpoint,
            files: damaged,
        }
    };
    let mut cases = Vec::new();
    for at in positions(bytes.len(), flip_step) {
        let mut flipped = bytes.clone();
        flipped[at] ^= 1 << (at % 8);
        cases.push(with(
            format!("bit {} of byte {at} flipped", at % 8),
            flipped,
        ));
    }
    for at in positions(bytes.len(), step) {
        let mut inserted = bytes.clone();
        inserted.insert(at, 0xA5);
        cases.push(with(format!("byte inserted at {at}"), inserted));
        cases.push(with(
            format!("truncated to {at} bytes"),
            bytes[..at].to_vec(),
        ));
        let mut zeroed = bytes.clone();
        let end = (at + 8).min(bytes.len());
        zeroed[at..end].fill(0);
        if zeroed != *bytes {
            cases.push(with(format!("bytes {at}..{end} zeroed"), zeroed));
        }
    }
    let mut longer = bytes.clone();
    longer.extend_from_slice(&[0; 16]);
    cases.push(with("16 zero bytes appended".into(), longer));
    cases
}

/// Whole files swapped or emptied.
fn file_cases(files: &Files) -> Vec<Case> {
    let mut cases = Vec::new();
    let mut case = |what: &str, target: Target, change: &dyn Fn(&mut Files)| {
        let mut damaged = files.clone();
        change(&mut damaged);
        cases.push(Case {
            what: what.into(),
            target,
            files: damaged,
        });
    };
    let checkpoint = Target::Checkpoint;
    case("index and data swapped", checkpoint, &|f| {
        std::mem::swap(&mut f.index, &mut f.data[0])
    });
    case("graph and index swapped", Target::Graph, &|f| {
        std::mem::swap(&mut f.index, &mut f.graph)
    });
    case("graph given as index", checkpoint, &|f| {
        f.index = f.graph.clone()
    });
    case("empty index", checkpoint, &|f| f.index.clear());
    case("empty graph", Target::Graph, &|f| f.graph.clear());
    for s in 0..files.data.len() {
        case(&format!("empty shard {s}"), checkpoint, &|f| {
            f.data[s].clear()
        });
    }
    if files.data.len() > 1 {
        case("shards swapped", checkpoint, &|f| f.data.swap(0, 1));
    }
    cases
}

/// A bit flipped in the first, middle and last byte of every stored tensor,
/// so each dtype's decoding sees damaged bytes.
fn tensor_cases(files: &Files) -> Vec<Case> {
    let rows = read_table(INDEX_NAME, &files.index).expect("fixture index");
    let mut cases = Vec::new();
    for (key, value) in rows.iter().filter(|(k, _)| !k.is_empty()) {
        let entry = BundleEntryProto::decode(value.as_slice()).expect("entry");
        let (Ok(shard), Ok(offset), Ok(size)) = (
            usize::try_from(entry.shard_id),
            usize::try_from(entry.offset),
            usize::try_from(entry.size),
        ) else {
            continue;
        };
        if size == 0 {
            continue;
        }
        let mut at = vec![offset, offset + size / 2, offset + size - 1];
        at.dedup();
        for at in at {
            let mut damaged = files.clone();
            damaged.data[shard][at] ^= 0x10;
            cases.push(Case {
                what: format!(
                    "{}: byte {at} of tensor '{}' changed",
                    data_name(shard, files.data.len()),
                    String::from_utf8_lossy(key)
                ),
                target: Target::Checkpoint,
                files: damaged,
            });
        }
    }
    cases
}

// ---- Entries changed with the table's checksums kept valid ----

type EntryChange = (&'static str, fn(&mut BundleEntryProto));

/// Changes to one entry's fields that a damaged or mismatched `.index` could hold.
const ENTRY_CHANGES: [EntryChange; 16] = [
    ("dtype + 1", |e| e.dtype += 1),
    ("dtype = DT_STRING", |e| e.dtype = 7),
    ("dtype = DT_INVALID", |e| e.dtype = 0),
    ("shard_id + 1", |e| e.shard_id += 1),
    ("shard_id = -1", |e| e.shard_id = -1),
    ("offset + 1", |e| e.offset += 1),
    ("offset = 0", |e| e.offset = 0),
    ("offset = i64::MAX", |e| e.offset = i64::MAX),
    ("size + 1", |e| e.size += 1),
    ("size = 0", |e| e.size = 0),
    ("crc32c ^ 1", |e| e.crc32c ^= 1),
    ("shape: first dimension + 1", |e| {
        if let Some(dim) = e.shape.as_mut().and_then(|s| s.dim.first_mut()) {
            dim.size += 1;
        }
    }),
    ("shape: dimensions reversed", |e| {
        if let Some(shape) = e.shape.as_mut() {
            shape.dim.reverse();
        }
    }),
    ("shape: one more dimension of 1", |e| {
        let shape = e.shape.get_or_insert_with(Default::default);
        shape.dim.push(Dim {
            size: 1,
            name: String::new(),
        });
    }),
    ("shape: unknown rank", |e| {
        e.shape.get_or_insert_with(Default::default).unknown_rank = true
    }),
    ("a slice added", |e| {
        let rank = e.shape.as_ref().map_or(0, |s| s.dim.len());
        e.slices.push(TensorSliceProto {
            extent: vec![Extent::default(); rank],
        });
    }),
];

type HeaderChange = (&'static str, fn(&mut BundleHeaderProto));

/// Changes to the header entry.
const HEADER_CHANGES: [HeaderChange; 4] = [
    ("num_shards + 1", |h| h.num_shards += 1),
    ("num_shards - 1", |h| h.num_shards -= 1),
    ("big-endian", |h| h.endianness = 1),
    ("min_consumer 2", |h| {
        h.version.get_or_insert_with(Default::default).min_consumer = 2
    }),
];

/// Every change of [`ENTRY_CHANGES`] to every `every`-th entry, renaming and
/// removing it, and the header changes.
fn entry_cases(files: &Files, every: usize) -> Vec<Case> {
    let rows = read_table(INDEX_NAME, &files.index).expect("fixture index");
    let mut cases = Vec::new();
    let mut with_rows = |what: String, mut rows: Vec<(Vec<u8>, Vec<u8>)>| {
        rows.sort_by(|a, b| a.0.cmp(&b.0));
        let mut damaged = files.clone();
        damaged.index = common::index_table(&rows);
        cases.push(Case {
            what: format!("{INDEX_NAME} rewritten: {what}"),
            target: Target::Checkpoint,
            files: damaged,
        });
    };
    for (i, (key, value)) in rows.iter().enumerate() {
        let name = String::from_utf8_lossy(key).into_owned();
        if key.is_empty() {
            let header = BundleHeaderProto::decode(value.as_slice()).expect("header");
            for (what, change) in HEADER_CHANGES {
                let mut changed = header.clone();
                change(&mut changed);
                let mut rows = rows.clone();
                rows[i].1 = changed.encode_to_vec();
                with_rows(format!("header {what}"), rows);
            }
            continue;
        }
        if i % every != 0 {
            continue;
        }
        let entry = BundleEntryProto::decode(value.as_slice()).expect("entry");
        for (what, change) in ENTRY_CHANGES {
            let mut changed = entry.clone();
            change(&mut changed);
            if changed == entry {
                continue;
            }
            let mut rows = rows.clone();
            rows[i].1 = changed.encode_to_vec();
            with_rows(format!("'{name}' {what}"), rows);
        }
        let mut renamed = rows.clone();
        renamed[i].0.push(b'_');
        with_rows(format!("'{name}' renamed"), renamed);
        let mut dropped = rows.clone();
        dropped.remove(i);
        with_rows(format!("'{name}' removed"), dropped);
    }
    cases
}

fn mlp_binary() -> Files {
    load("mlp_binary", "graph.pb", "probs")
}

fn two_shards() -> Files {
    load("two_shards", "model.ckpt.meta", "out")
}

fn dtypes_meta() -> Files {
    load(
        "dtypes_meta",
        "model.ckpt.meta",
        "out_float16,out_s_float16,out_bfloat16,out_s_bfloat16,out_float32,out_s_float32,\
         out_float64,out_s_float64,out_complex64,out_s_complex64,out_complex128,\
         out_s_complex128,out_bool,out_s_bool,out_int8,out_s_int8,out_int16,out_s_int16,\
         out_int32,out_s_int32,out_int64,out_s_int64,out_uint8,out_s_uint8,out_uint16,\
         out_s_uint16,out_uint32,out_s_uint32,out_uint64,out_s_uint64,out_string",
    )
}

fn string_scalar() -> Files {
    load("string_scalar", "model.ckpt.meta", "out_s,out_v")
}

/// The table writer must keep an index's meaning exactly, or the entry cases
/// would be refused for the wrong reason and prove nothing.
#[test]
fn a_rewritten_index_freezes_the_same() {
    for files in [mlp_binary(), two_shards(), dtypes_meta(), string_scalar()] {
        let mut rewritten = files.clone();
        rewritten.index =
            common::index_table(&read_table(INDEX_NAME, &files.index).expect("index"));
        assert_ne!(rewritten.index, files.index, "{}", files.fixture);
        assert_eq!(rewritten.freeze(), files.freeze(), "{}", files.fixture);
        assert!(files.freeze().is_ok(), "{}", files.fixture);
    }
}

// The step sizes keep the whole file under about 20 s in a debug build:
// a freeze of mlp_binary takes about 5 ms there, of dtypes_meta 15 ms.

#[test]
fn mlp_binary_bytes() {
    let files = mlp_binary();
    let mut cases = byte_cases(&files, 0, 1, 3);
    cases.extend(byte_cases(&files, 1, 2, 7));
    cases.extend(tensor_cases(&files));
    assert_none(check(&files, cases));
}

#[test]
fn mlp_binary_files_and_entries() {
    let files = mlp_binary();
    let mut cases = file_cases(&files);
    cases.extend(entry_cases(&files, 1));
    assert_none(check(&files, cases));
}

#[test]
fn two_shards_everything() {
    let files = two_shards();
    let mut cases = byte_cases(&files, 0, 1, 2);
    cases.extend(byte_cases(&files, 1, 1, 2));
    cases.extend(byte_cases(&files, 2, 1, 2));
    cases.extend(file_cases(&files));
    cases.extend(entry_cases(&files, 1));
    assert_none(check(&files, cases));
}

#[test]
fn every_dtype_bytes() {
    // Every tensor gets damaged bytes (each dtype decodes differently); other
    // positions are sampled, since the checksums stop them all the same way.
    let files = dtypes_meta();
    let mut cases = byte_cases(&files, 0, 23, 61);
    cases.extend(byte_cases(&files, 1, 53, 37));
    cases.extend(tensor_cases(&files));
    assert_none(check(&files, cases));
}

#[test]
fn every_dtype_files_and_entries() {
    let files = dtypes_meta();
    let mut cases = file_cases(&files);
    cases.extend(entry_cases(&files, 5));
    assert_none(check(&files, cases));
}

#[test]
fn string_scalar_everything() {
    let files = string_scalar();
    let mut cases = byte_cases(&files, 0, 1, 1);
    cases.extend(byte_cases(&files, 1, 1, 1));
    cases.extend(file_cases(&files));
    cases.extend(entry_cases(&files, 1));
    assert_none(check(&files, cases));
}
