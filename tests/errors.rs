//! One test per way the inputs can be wrong: the CLI exits 1 (bad input) or 2
//! (bad usage), names the file, tensor or node, and leaves no output file.

// Integration tests fail by panicking.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::{Path, PathBuf};
use std::process::Command;

struct Case {
    dir: tempfile::TempDir,
}

/// A copy of fixture `mlp_binary` (binary graph + one-shard checkpoint) to damage.
fn mlp_copy() -> Case {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/mlp_binary");
    let dir = tempfile::tempdir().expect("temp dir");
    for name in [
        "graph.pb",
        "model.ckpt.index",
        "model.ckpt.data-00000-of-00001",
        "tf_frozen.pb",
    ] {
        std::fs::copy(src.join(name), dir.path().join(name)).expect("copy fixture");
    }
    Case { dir }
}

impl Case {
    fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    fn edit(&self, name: &str, change: impl FnOnce(&mut Vec<u8>)) {
        let path = self.path(name);
        let mut bytes = std::fs::read(&path).expect("read");
        change(&mut bytes);
        std::fs::write(&path, bytes).expect("write");
    }

    fn args(&self) -> Vec<String> {
        vec![
            format!("--input_graph={}", self.path("graph.pb").display()),
            "--input_binary=true".into(),
            format!("--input_checkpoint={}", self.path("model.ckpt").display()),
            "--output_node_names=probs".into(),
            format!("--output_graph={}", self.path("out.pb").display()),
        ]
    }

    /// Runs freeze_graph with `args`, asserting the exit code and that no
    /// output (not even a temporary file) is left; returns stderr.
    fn fails(&self, args: &[String], code: i32) -> String {
        let out = Command::new(env!("CARGO_BIN_EXE_freeze_graph"))
            .args(args)
            .output()
            .expect("runs");
        let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
        assert_eq!(out.status.code(), Some(code), "stderr: {stderr}");
        assert!(out.stdout.is_empty(), "stdout must stay empty");
        let leftovers: Vec<_> = std::fs::read_dir(self.dir.path())
            .expect("dir")
            .flatten()
            .filter(|e| e.file_name().to_string_lossy().starts_with("out.pb"))
            .collect();
        assert!(leftovers.is_empty(), "output left behind: {leftovers:?}");
        stderr
    }
}

fn assert_says(stderr: &str, parts: &[&str]) {
    for part in parts {
        assert!(stderr.contains(part), "expected {part:?} in: {stderr}");
    }
    assert_eq!(
        stderr.trim_end().lines().count(),
        1,
        "one message: {stderr}"
    );
}

#[test]
fn the_unchanged_copy_freezes() {
    let case = mlp_copy();
    let out = Command::new(env!("CARGO_BIN_EXE_freeze_graph"))
        .args(case.args())
        .output()
        .expect("runs");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(
        std::fs::read(case.path("out.pb")).expect("out"),
        std::fs::read(case.path("tf_frozen.pb")).expect("tf")
    );
}

#[test]
fn truncated_index() {
    let case = mlp_copy();
    case.edit("model.ckpt.index", |b| b.truncate(b.len() / 2));
    let err = case.fails(&case.args(), 1);
    assert_says(&err, &["model.ckpt.index"]);
}

#[test]
fn index_that_is_not_a_table() {
    let case = mlp_copy();
    std::fs::copy(case.path("graph.pb"), case.path("model.ckpt.index")).expect("copy");
    let err = case.fails(&case.args(), 1);
    assert_says(
        &err,
        &["model.ckpt.index", "not a TensorFlow checkpoint index"],
    );
}

#[test]
fn bad_footer_magic() {
    let case = mlp_copy();
    case.edit("model.ckpt.index", |b| {
        if let Some(last) = b.last_mut() {
            *last ^= 0xff;
        }
    });
    let err = case.fails(&case.args(), 1);
    assert_says(&err, &["model.ckpt.index", "magic"]);
}

#[test]
fn bad_block_checksum() {
    let case = mlp_copy();
    // Byte 10 lies inside the first data block (the header entry's key region).
    case.edit("model.ckpt.index", |b| {
        if let Some(byte) = b.get_mut(10) {
            *byte ^= 0x01;
        }
    });
    let err = case.fails(&case.args(), 1);
    assert_says(&err, &["model.ckpt.index", "checksum"]);
}

#[test]
fn bad_tensor_checksum_names_the_tensor() {
    let case = mlp_copy();
    // The data file starts with the first saved tensor; flip one of its bits.
    case.edit("model.ckpt.data-00000-of-00001", |b| {
        if let Some(byte) = b.get_mut(20) {
            *byte ^= 0x01;
        }
    });
    let err = case.fails(&case.args(), 1);
    assert_says(
        &err,
        &[
            "model.ckpt.data-00000-of-00001",
            "checksum mismatch for tensor '",
        ],
    );
}

#[test]
fn bad_tensor_checksum_passes_when_checks_are_off() {
    let case = mlp_copy();
    case.edit("model.ckpt.data-00000-of-00001", |b| {
        if let Some(byte) = b.get_mut(20) {
            *byte ^= 0x01;
        }
    });
    let mut args = case.args();
    args.push("--verify_checksums=false".into());
    let out = Command::new(env!("CARGO_BIN_EXE_freeze_graph"))
        .args(&args)
        .output()
        .expect("runs");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn truncated_data_shard() {
    let case = mlp_copy();
    case.edit("model.ckpt.data-00000-of-00001", |b| {
        b.truncate(b.len() - 8)
    });
    let err = case.fails(&case.args(), 1);
    assert_says(&err, &["model.ckpt.data-00000-of-00001", "truncated"]);
}

#[test]
fn missing_shard_is_named() {
    let case = mlp_copy();
    std::fs::remove_file(case.path("model.ckpt.data-00000-of-00001")).expect("rm");
    let err = case.fails(&case.args(), 1);
    assert_says(&err, &["missing file", "model.ckpt.data-00000-of-00001"]);
}

#[test]
fn missing_checkpoint_is_named() {
    let case = mlp_copy();
    std::fs::remove_file(case.path("model.ckpt.index")).expect("rm");
    let err = case.fails(&case.args(), 1);
    assert_says(&err, &["model.ckpt", "doesn't exist"]);
}

#[test]
fn unknown_output_node_suggests_names() {
    let case = mlp_copy();
    let mut args = case.args();
    args.retain(|a| !a.starts_with("--output_node_names"));
    args.push("--output_node_names=prob".into());
    let err = case.fails(&args, 1);
    assert_says(
        &err,
        &["'prob' is not in the graph", "did you mean 'probs'"],
    );
}

#[test]
fn output_names_written_as_tensors_are_accepted() {
    let case = mlp_copy();
    let mut args = case.args();
    args.retain(|a| !a.starts_with("--output_node_names"));
    args.push("--output_node_names=probs:0".into());
    let out = Command::new(env!("CARGO_BIN_EXE_freeze_graph"))
        .args(&args)
        .output()
        .expect("runs");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn frozen_graph_cannot_be_frozen_again() {
    let case = mlp_copy();
    let mut args = case.args();
    args.retain(|a| !a.starts_with("--input_graph"));
    args.push(format!(
        "--input_graph={}",
        case.path("tf_frozen.pb").display()
    ));
    let err = case.fails(&args, 1);
    assert_says(&err, &["holds no variables", "frozen already"]);
}

#[test]
fn checkpoint_of_another_model_names_the_variable() {
    let case = mlp_copy();
    let other = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/seed_text");
    for name in ["model.ckpt.index", "model.ckpt.data-00000-of-00001"] {
        std::fs::copy(other.join(name), case.path(name)).expect("copy");
    }
    let err = case.fails(&case.args(), 1);
    assert_says(&err, &["has no value for this variable"]);
}

#[test]
fn usage_errors_exit_2() {
    let case = mlp_copy();
    let mut no_checkpoint = case.args();
    no_checkpoint.retain(|a| !a.starts_with("--input_checkpoint"));
    assert_says(&case.fails(&no_checkpoint, 2), &["--input_checkpoint"]);

    let mut no_outputs = case.args();
    no_outputs.retain(|a| !a.starts_with("--output_node_names"));
    assert_says(&case.fails(&no_outputs, 2), &["--output_node_names"]);

    let mut bad_bool = case.args();
    bad_bool.push("--clear_devices=yes".into());
    let err = case.fails(&bad_bool, 2);
    assert!(err.contains("--clear_devices takes true or false"), "{err}");

    let mut unknown = case.args();
    unknown.push("--frobnicate=1".into());
    assert!(case
        .fails(&unknown, 2)
        .contains("unknown flag --frobnicate"));
}

#[test]
fn flags_take_tf_spellings() {
    let case = mlp_copy();
    let args: Vec<String> = vec![
        "--input_graph".into(),
        case.path("graph.pb").display().to_string(),
        "--input_binary".into(),
        "--input_checkpoint".into(),
        case.path("model.ckpt.index").display().to_string(),
        "--output_node_names".into(),
        "probs".into(),
        "--clear_devices".into(),
        "TRUE".into(),
        "--restore_op_name=save/restore_all".into(),
        "--filename_tensor_name=save/Const:0".into(),
        "--variable_names_blacklist=".into(),
        "--checkpoint_version=2".into(),
        format!("--output_graph={}", case.path("out.pb").display()),
    ];
    let out = Command::new(env!("CARGO_BIN_EXE_freeze_graph"))
        .args(&args)
        .output()
        .expect("runs");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    assert!(stderr.starts_with("froze 6 variables, kept "), "{stderr}");
    assert_eq!(
        std::fs::read(case.path("out.pb")).expect("out"),
        std::fs::read(case.path("tf_frozen.pb")).expect("tf")
    );
}

/// A copy of fixture `seed_text` (text graph), with the graph text edited.
fn seed_copy(edit: impl FnOnce(String) -> String) -> (Case, Vec<String>) {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/seed_text");
    let dir = tempfile::tempdir().expect("temp dir");
    for name in ["model.ckpt.index", "model.ckpt.data-00000-of-00001"] {
        std::fs::copy(src.join(name), dir.path().join(name)).expect("copy fixture");
    }
    let text = std::fs::read_to_string(src.join("graph.pbtxt")).expect("graph");
    std::fs::write(dir.path().join("graph.pbtxt"), edit(text)).expect("write");
    let case = Case { dir };
    let args = vec![
        format!("--input_graph={}", case.path("graph.pbtxt").display()),
        format!("--input_checkpoint={}", case.path("model.ckpt").display()),
        "--output_node_names=out".into(),
        format!("--output_graph={}", case.path("out.pb").display()),
    ];
    (case, args)
}

/// Replaces the first `from` after `anchor` in `text`.
fn replace_after(text: &str, anchor: &str, from: &str, to: &str) -> String {
    let start = text.find(anchor).expect("anchor in graph");
    let offset = text[start..].find(from).expect("text after anchor") + start;
    format!("{}{}{}", &text[..offset], to, &text[offset + from.len()..])
}

#[test]
fn variable_shape_differs_from_checkpoint() {
    let anchor = "name: \"conv1/weights\"\n  op: \"VariableV2\"";
    let (case, args) = seed_copy(|t| replace_after(&t, anchor, "size: 3", "size: 5"));
    let err = case.fails(&args, 1);
    assert_says(
        &err,
        &[
            "conv1/weights",
            "has shape [5, 3",
            "checkpoint entry 'conv1/weights' in ",
            "model.ckpt.index has shape [3, 3",
        ],
    );
}

#[test]
fn variable_dtype_differs_from_checkpoint() {
    let anchor = "name: \"conv1/weights\"\n  op: \"VariableV2\"";
    let (case, args) =
        seed_copy(|t| replace_after(&t, anchor, "type: DT_FLOAT", "type: DT_DOUBLE"));
    let err = case.fails(&args, 1);
    assert_says(
        &err,
        &[
            "conv1/weights",
            "the variable is float64 but checkpoint entry 'conv1/weights' in ",
            "model.ckpt.index is float32",
        ],
    );
}

#[test]
fn initializer_that_resets_a_frozen_variable_is_refused() {
    let (case, mut args) = seed_copy(|t| t);
    args.push("--initializer_nodes=init".into());
    let err = case.fails(&args, 1);
    assert_says(
        &err,
        &["init:", "assigns variable", "--variable_names_denylist"],
    );
}

#[test]
fn unknown_initializer_is_named() {
    let (case, mut args) = seed_copy(|t| t);
    args.push("--initializer_nodes=int".into());
    let err = case.fails(&args, 1);
    assert_says(&err, &["'int' is not in the graph", "did you mean 'init'"]);
}

#[test]
fn text_graph_read_with_the_wrong_binary_hint() {
    let (_case, mut args) = seed_copy(|t| t);
    args.push("--input_binary=true".into());
    let out = Command::new(env!("CARGO_BIN_EXE_freeze_graph"))
        .args(&args)
        .output()
        .expect("runs");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}
