//! Helpers shared by the tests that run `freeze_graph` on the fixtures.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::{Map, Value};

pub fn fixtures_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures")
}

pub fn fixture(name: &str) -> Value {
    let path = fixtures_dir().join(name).join("fixture.json");
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    serde_json::from_str(&text).expect("fixture.json parses")
}

pub const PATH_FLAGS: [&str; 5] = [
    "input_graph",
    "input_meta_graph",
    "input_saver",
    "input_checkpoint",
    "input_saved_model_dir",
];

/// The fixture's freeze_graph arguments, overridden by `extra` (a variant's
/// args), as CLI flags with paths made absolute.
pub fn flags(name: &str, meta: &Value, extra: Option<&Value>) -> Vec<String> {
    let dir = fixtures_dir().join(name);
    let Some(base) = meta["args"].as_object() else {
        panic!("{name}: fixture.json has no args");
    };
    let mut args: Map<String, Value> = base.clone();
    if let Some(extra) = extra {
        let Some(extra) = extra.as_object() else {
            panic!("{name}: variant args are not an object");
        };
        args.extend(extra.clone());
    }
    let mut out = Vec::new();
    for (flag, value) in &args {
        let text = match value {
            Value::String(s) if s.is_empty() => continue,
            Value::String(s) if PATH_FLAGS.contains(&flag.as_str()) => {
                dir.join(s).display().to_string()
            }
            Value::String(s) => s.clone(),
            Value::Bool(b) => b.to_string(),
            Value::Number(n) => n.to_string(),
            _ => continue,
        };
        if flag == "saved_model_tags" {
            continue;
        }
        out.push(format!("--{flag}={text}"));
    }
    out
}

pub struct Run {
    pub status: i32,
    pub stderr: String,
    pub output: Option<Vec<u8>>,
}

pub fn freeze(args: &[String]) -> Run {
    let dir = tempfile::tempdir().expect("temp dir");
    let out = dir.path().join("frozen.pb");
    let result = Command::new(env!("CARGO_BIN_EXE_freeze_graph"))
        .args(args)
        .arg(format!("--output_graph={}", out.display()))
        .output()
        .expect("runs freeze_graph");
    Run {
        status: result.status.code().unwrap_or(-1),
        stderr: String::from_utf8_lossy(&result.stderr).into_owned(),
        output: std::fs::read(&out).ok(),
    }
}

pub fn read(name: &str, file: &str) -> Vec<u8> {
    let path = fixtures_dir().join(name).join(file);
    std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// Fails with the first differing byte, keeping our output for a look.
pub fn assert_same_bytes(what: &str, ours: &[u8], golden: &[u8]) {
    if ours != golden {
        let dump = std::env::temp_dir().join(format!("tf-freeze-{}.pb", what.replace('/', "-")));
        let _ = std::fs::write(&dump, ours);
        panic!(
            "{what}: output differs ({} vs {} bytes; first difference at byte {}); ours is in {}",
            ours.len(),
            golden.len(),
            ours.iter()
                .zip(golden)
                .position(|(a, b)| a != b)
                .unwrap_or(ours.len().min(golden.len())),
            dump.display()
        );
    }
}

/// The shared real-world test data: `TF_FREEZE_REALWORLD`, else `../shared/realworld`.
pub fn realworld() -> Option<PathBuf> {
    let dir = std::env::var_os("TF_FREEZE_REALWORLD").map_or_else(
        || Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/realworld"),
        PathBuf::from,
    );
    if dir.is_dir() {
        Some(dir)
    } else {
        println!(
            "skipped: real-world test data not found at {} (set TF_FREEZE_REALWORLD)",
            dir.display()
        );
        None
    }
}

/// The flags that freeze one case of `tests/saved_models/expected.json`
/// found under `root`: its folder, then its own flags.
pub fn saved_model_args(root: &Path, case: &Value) -> Vec<String> {
    let folder = root.join(case["folder"].as_str().expect("folder"));
    let mut args = vec![format!("--input_saved_model_dir={}", folder.display())];
    args.extend(
        case["flags"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|f| f.as_str().map(str::to_owned)),
    );
    args
}

fn put_varint(out: &mut Vec<u8>, mut value: u64) {
    while value >= 0x80 {
        out.push(value as u8 | 0x80);
        value >>= 7;
    }
    out.push(value as u8);
}

/// One uncompressed table block holding `rows` (keys in full), with its trailer.
fn table_block(rows: &[(Vec<u8>, Vec<u8>)]) -> Vec<u8> {
    let mut out = Vec::new();
    let mut restarts = Vec::new();
    for (key, value) in rows {
        restarts.push(out.len() as u32);
        put_varint(&mut out, 0);
        put_varint(&mut out, key.len() as u64);
        put_varint(&mut out, value.len() as u64);
        out.extend_from_slice(key);
        out.extend_from_slice(value);
    }
    if restarts.is_empty() {
        restarts.push(0);
    }
    for restart in &restarts {
        out.extend_from_slice(&restart.to_le_bytes());
    }
    out.extend_from_slice(&(restarts.len() as u32).to_le_bytes());
    let crc = crc32c::crc32c_append(crc32c::crc32c(&out), &[0]);
    out.push(0);
    out.extend_from_slice(&crc.rotate_right(15).wrapping_add(0xa282_ead8).to_le_bytes());
    out
}

/// A V2 `.index` table holding `rows` in the order given, with valid block
/// checksums (as TF's writer lays it out: data block, empty metaindex,
/// index, footer).
pub fn index_table(rows: &[(Vec<u8>, Vec<u8>)]) -> Vec<u8> {
    let mut out = table_block(rows);
    let data_size = out.len() as u64 - 5;
    let metaindex_offset = out.len() as u64;
    out.extend(table_block(&[]));
    let metaindex_size = out.len() as u64 - metaindex_offset - 5;
    let last = rows
        .iter()
        .map(|(k, _)| k.clone())
        .max()
        .unwrap_or_default();
    let mut handle = Vec::new();
    put_varint(&mut handle, 0);
    put_varint(&mut handle, data_size);
    let index_offset = out.len() as u64;
    out.extend(table_block(&[(last, handle)]));
    let index_size = out.len() as u64 - index_offset - 5;
    let mut footer = Vec::new();
    for value in [metaindex_offset, metaindex_size, index_offset, index_size] {
        put_varint(&mut footer, value);
    }
    footer.resize(40, 0);
    footer.extend_from_slice(&0xDB47_7524_8B80_FB57u64.to_le_bytes());
    out.extend(footer);
    out
}

/// A checkpoint `dir/model.ckpt` of one float variable `w` of `floats`
/// elements in a sparse (all-zero) shard, and its text graph `dir/graph.pbtxt`
/// whose output `out` reads it. Its checksum is wrong: freeze it with
/// `--verify_checksums=false`.
pub fn big_sparse_checkpoint(dir: &Path, floats: u64) {
    use tf_freeze::proto::{BundleEntryProto, BundleHeaderProto, TensorShapeProto};
    use tf_freeze::wire::Message;
    let shape = TensorShapeProto {
        dim: vec![tf_freeze::proto::tensor_shape_proto::Dim {
            size: floats as i64,
            name: String::new(),
        }],
        ..Default::default()
    };
    let header = BundleHeaderProto {
        num_shards: 1,
        ..Default::default()
    };
    let entry = BundleEntryProto {
        dtype: 1,
        shape: Some(shape),
        size: (floats * 4) as i64,
        ..Default::default()
    };
    let rows = vec![
        (Vec::new(), header.encode_to_vec()),
        (b"w".to_vec(), entry.encode_to_vec()),
    ];
    std::fs::write(dir.join("model.ckpt.index"), index_table(&rows)).unwrap();
    let data = std::fs::File::create(dir.join("model.ckpt.data-00000-of-00001")).unwrap();
    data.set_len(floats * 4).unwrap();
    let graph = format!(
        "node {{ name: \"w\" op: \"VariableV2\" attr {{ key: \"dtype\" value {{ type: DT_FLOAT }} }} \
         attr {{ key: \"shape\" value {{ shape {{ dim {{ size: {floats} }} }} }} }} }}\n\
         node {{ name: \"out\" op: \"Identity\" input: \"w\" attr {{ key: \"T\" value {{ type: DT_FLOAT }} }} }}\n"
    );
    std::fs::write(dir.join("graph.pbtxt"), graph).unwrap();
}
