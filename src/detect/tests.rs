use std::path::{Path, PathBuf};

use super::*;

/// What each committed or real-world file is, by the convention of its name.
fn expected(name: &str) -> Option<FileKind> {
    let lower = name.to_ascii_lowercase();
    Some(if parse_data_file_name(name).is_some() {
        return None; // raw bytes: told by name only, tested below
    } else if lower.ends_with(".index") {
        FileKind::Index
    } else if lower == "saved_model.pb" {
        FileKind::SavedModel { text: false }
    } else if lower == "fingerprint.pb" {
        FileKind::Fingerprint
    } else if lower.ends_with(".meta") {
        FileKind::MetaGraphDef { text: false }
    } else if lower.ends_with(".pbtxt") {
        FileKind::GraphDef { text: true }
    } else if lower.ends_with(".pb") {
        FileKind::GraphDef { text: false }
    } else if lower == "checkpoint" {
        FileKind::CheckpointState
    } else if lower.starts_with("model.ckpt") || lower.starts_with("export-") {
        FileKind::V1Table
    } else {
        return None;
    })
}

fn files_under(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            files_under(&path, out);
        } else {
            out.push(path);
        }
    }
}

fn head_and_tail(bytes: &[u8]) -> (&[u8], &[u8]) {
    let head = &bytes[..bytes.len().min(HEAD_LEN)];
    let tail = &bytes[bytes.len().saturating_sub(TAIL_LEN)..];
    (head, tail)
}

fn corpus() -> Vec<PathBuf> {
    let mut files = Vec::new();
    files_under(
        &Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures"),
        &mut files,
    );
    let realworld = std::env::var_os("TF_FREEZE_REALWORLD")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/realworld"));
    if realworld.is_dir() {
        files_under(&realworld, &mut files);
    } else {
        eprintln!(
            "skipped: no real-world files at {} (set TF_FREEZE_REALWORLD)",
            realworld.display()
        );
    }
    files
}

#[test]
fn every_fixture_and_real_file_is_told_by_its_bytes() {
    let mut checked = 0;
    for path in corpus() {
        let name = path.file_name().unwrap().to_str().unwrap();
        let Some(want) = expected(name) else { continue };
        let bytes = std::fs::read(&path).unwrap();
        let (head, tail) = head_and_tail(&bytes);
        // With its own name, the kind is certain.
        assert_eq!(detect(name, head, tail), want, "{}", path.display());
        // Renamed, the bytes alone say it, or leave it among the candidates.
        match detect("download.bin", head, tail) {
            FileKind::Unsure { candidates } => {
                assert!(
                    candidates.contains(&want),
                    "{}: {candidates:?}",
                    path.display()
                )
            }
            kind => assert_eq!(kind, want, "{} renamed", path.display()),
        }
        checked += 1;
    }
    assert!(checked >= 60, "only {checked} files were checked");
}

#[test]
fn binary_graphs_and_tables_are_certain_without_a_name() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures");
    let kind = |file: &str| {
        let bytes = std::fs::read(dir.join(file)).unwrap();
        let (head, tail) = head_and_tail(&bytes);
        detect("x", head, tail)
    };
    assert_eq!(
        kind("mlp_binary/graph.pb"),
        FileKind::GraphDef { text: false }
    );
    assert_eq!(
        kind("seed_text/graph.pbtxt"),
        FileKind::GraphDef { text: true }
    );
    assert_eq!(
        kind("cnn_meta/model.ckpt.meta"),
        FileKind::MetaGraphDef { text: false }
    );
    assert_eq!(kind("mlp_binary/model.ckpt.index"), FileKind::Index);
    assert_eq!(
        kind("tf2_saved_model/saved_model/saved_model.pb"),
        FileKind::SavedModel { text: false }
    );
}

#[test]
fn data_shards_are_told_by_their_name() {
    assert_eq!(
        detect("run/model.ckpt-5.data-00001-of-00002", &[1, 2, 3], &[]),
        FileKind::Data { shard: 1, count: 2 }
    );
}

#[test]
fn text_protos_by_their_first_field() {
    let kind = |text: &str| detect("x", text.as_bytes(), text.as_bytes());
    assert_eq!(
        kind("# a graph\nnode {\n  name: \"a\"\n}\n"),
        FileKind::GraphDef { text: true }
    );
    assert_eq!(
        kind("versions { producer: 22 }"),
        FileKind::GraphDef { text: true }
    );
    assert_eq!(
        kind("meta_info_def { tags: \"serve\" }\ngraph_def { node { name: \"x\" } }"),
        FileKind::MetaGraphDef { text: true }
    );
    assert_eq!(
        kind("saved_model_schema_version: 1\nmeta_graphs {}"),
        FileKind::SavedModel { text: true }
    );
    assert_eq!(
        kind("version: V2\nfilename_tensor_name: \"save/Const:0\""),
        FileKind::SaverDef { text: true }
    );
    assert_eq!(
        kind("model_checkpoint_path: \"/home/a/run/model.ckpt-100\"\n"),
        FileKind::CheckpointState
    );
    assert_eq!(kind("hello world, this is a README"), FileKind::Unknown);
    assert_eq!(kind("{\"json\": true}"), FileKind::Unknown);
}

#[test]
fn a_binary_saver_def_and_a_fingerprint() {
    let saver = crate::proto::SaverDef {
        filename_tensor_name: "save/Const:0".into(),
        save_tensor_name: "save/control_dependency:0".into(),
        restore_op_name: "save/restore_all".into(),
        max_to_keep: 5,
        ..Default::default()
    };
    let bytes = prost::Message::encode_to_vec(&saver);
    assert_eq!(
        detect("saver.pb", &bytes, &bytes),
        FileKind::SaverDef { text: false }
    );
    // Fields 1-5 as varints (the hashes), then field 6 (the version).
    let fingerprint = [
        0x08, 0x96, 0x01, 0x10, 0x2A, 0x18, 0x01, 0x32, 0x02, 0x08, 0x01,
    ];
    assert_eq!(
        detect("x", &fingerprint, &fingerprint),
        FileKind::Fingerprint
    );
}

#[test]
fn unsure_when_the_bytes_allow_several_and_the_name_settles_it() {
    // A GraphDef whose only field is its library: a MetaGraphDef could start so too.
    let bytes = [0x12, 0x02, 0x0A, 0x00];
    let unsure = detect("blob", &bytes, &bytes);
    assert!(
        matches!(&unsure, FileKind::Unsure { candidates } if candidates.len() == 3),
        "{unsure:?}"
    );
    assert_eq!(
        detect("model.meta", &bytes, &bytes),
        FileKind::MetaGraphDef { text: false }
    );
    assert_eq!(
        detect("frozen.pb", &bytes, &bytes),
        FileKind::GraphDef { text: false }
    );
}

#[test]
fn damaged_files_under_a_telling_name_are_left_to_the_parser() {
    let truncated = b"\x00\x01\x02";
    assert_eq!(
        detect("model.ckpt.index", truncated, truncated),
        FileKind::Unsure {
            candidates: vec![FileKind::Index]
        }
    );
    assert_eq!(detect("notes.bin", truncated, truncated), FileKind::Unknown);
}

#[test]
fn junk_is_unknown_and_never_panics() {
    assert_eq!(detect("a", &[], &[]), FileKind::Unknown);
    assert_eq!(detect("a", &[0xFF; 40], &[0xFF; 40]), FileKind::Unknown);
    for len in 0..64 {
        let bytes: Vec<u8> = (0..len).map(|i| (i * 37 % 256) as u8).collect();
        let _ = detect("a", &bytes, &bytes);
    }
    let mut footer = vec![0u8; TAIL_LEN];
    footer[TAIL_LEN - 8..].copy_from_slice(&TABLE_MAGIC.to_le_bytes());
    assert!(matches!(
        detect("x", &[0x00], &footer),
        FileKind::Unsure { .. }
    ));
}

#[test]
fn the_page_gets_a_tagged_kind() {
    let json = serde_json::to_string(&FileKind::Data { shard: 1, count: 2 }).unwrap();
    assert_eq!(json, r#"{"kind":"data","shard":1,"count":2}"#);
    let json = serde_json::to_string(&FileKind::GraphDef { text: true }).unwrap();
    assert_eq!(json, r#"{"kind":"graphDef","text":true}"#);
}

#[test]
fn a_savedmodel_checkpoint_is_marked_by_its_prefix() {
    let detected = detect_file("variables.index", &[], &[]);
    assert!(detected.saved_model_variables && detected.prefix == "variables");
    let json = serde_json::to_string(&detect_file("run/m.data-00000-of-00001", &[], &[])).unwrap();
    assert_eq!(
        json,
        r#"{"kind":"data","shard":0,"count":1,"prefix":"m","savedModelVariables":false}"#
    );
}
