//! Writes the seed corpora under fuzz/corpus/<target>/ from tests/fixtures
//! (the corpora are not committed). Run from the repository root:
//! `cargo +nightly run --manifest-path fuzz/Cargo.toml --example seed_corpus`.

use std::fs;
use std::path::Path;

use tf_freeze::bundle::read_table;
use tf_freeze_fuzz::FIXTURES;

fn write(target: &str, name: &str, bytes: &[u8]) {
    let dir = Path::new("fuzz/corpus").join(target);
    fs::create_dir_all(&dir).expect("create the corpus folder");
    fs::write(dir.join(name), bytes).expect("write a seed");
}

/// Every file under `dir`, with its path relative to tests/fixtures joined by '-'.
fn walk(dir: &Path, prefix: &str, out: &mut Vec<(String, Vec<u8>)>) {
    let mut entries: Vec<_> = fs::read_dir(dir)
        .expect("fixture folder")
        .flatten()
        .collect();
    entries.sort_by_key(|e| e.file_name());
    for entry in entries {
        let name = format!("{prefix}{}", entry.file_name().to_string_lossy());
        if entry.path().is_dir() {
            walk(&entry.path(), &format!("{name}-"), out);
        } else {
            out.push((name, fs::read(entry.path()).expect("read a fixture file")));
        }
    }
}

fn main() {
    let mut files = Vec::new();
    walk(Path::new("tests/fixtures"), "", &mut files);
    for (name, bytes) in &files {
        if name.ends_with(".index") {
            write("index_table", name, bytes);
        } else if name.ends_with(".pbtxt") {
            write("graph_text", name, bytes);
        } else if name.ends_with(".pb") || name.ends_with(".meta") {
            write("graph_binary", name, bytes);
        }
    }
    for (i, fixture) in FIXTURES.iter().enumerate() {
        let seed = |mode: u8, arg: u8, payload: &[u8]| {
            let mut bytes = vec![i as u8, mode, arg];
            bytes.extend_from_slice(payload);
            write("freeze", &format!("{}-{mode}-{arg}", fixture.name), &bytes);
        };
        seed(0, 0, fixture.graph.1);
        seed(1, 0, fixture.index);
        for (shard, data) in fixture.data.iter().enumerate() {
            seed(2, shard as u8, data);
            seed(4, shard as u8, data);
        }
        let rows = read_table("model.ckpt.index", fixture.index).expect("fixture index");
        for (entry, (_, value)) in rows.iter().enumerate() {
            seed(3, entry as u8, value);
        }
    }
}
