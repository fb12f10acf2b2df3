//! The real SavedModels of the shared test data (written by TF 1.0 to 2.14)
//! freeze, and the output is the one `tests/saved_models/verify.py` ran in
//! TensorFlow 2.21 and found to compute the model's arithmetic.

// Integration tests fail by panicking.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::Path;
use std::process::Command;

use serde_json::Value;

mod common;
use common::{realworld, saved_model_args};

#[test]
fn real_saved_models_freeze_to_the_tf_verified_output() {
    let Some(root) = realworld() else { return };
    let expected: Value = serde_json::from_str(
        &std::fs::read_to_string(
            Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/saved_models/expected.json"),
        )
        .expect("expected.json"),
    )
    .expect("parses");
    let cases = expected["saved_models"].as_array().expect("list");
    assert_eq!(cases.len(), 5);
    for case in cases {
        let folder = root.join(case["folder"].as_str().expect("folder"));
        let dir = tempfile::tempdir().expect("temp");
        let out = dir.path().join("frozen.pb");
        let mut args = saved_model_args(&root, case);
        args.push(format!("--output_graph={}", out.display()));
        let run = Command::new(env!("CARGO_BIN_EXE_freeze_graph"))
            .args(&args)
            .output()
            .expect("runs");
        let stderr = String::from_utf8_lossy(&run.stderr);
        assert!(run.status.success(), "{}: {stderr}", folder.display());
        let summary = case["stderr"].as_str().expect("stderr");
        let summary = summary.split(" to ").next().unwrap_or(summary);
        assert!(stderr.contains(summary), "{}: {stderr}", folder.display());
        let bytes = std::fs::read(&out).expect("output");
        assert_eq!(
            bytes.len() as u64,
            case["bytes"].as_u64().expect("bytes"),
            "{}",
            folder.display()
        );
        assert_eq!(
            u64::from(crc32c::crc32c(&bytes)),
            case["crc32c"].as_u64().expect("crc"),
            "{}: not the output TF verified",
            folder.display()
        );
    }
}

#[test]
fn saved_model_without_outputs_lists_its_signatures() {
    let Some(root) = realworld() else { return };
    let folder =
        root.join("tensorflow-serving/servables/tensorflow/testdata/saved_model_counter/00000123");
    let dir = tempfile::tempdir().expect("temp");
    let run = Command::new(env!("CARGO_BIN_EXE_freeze_graph"))
        .arg(format!("--input_saved_model_dir={}", folder.display()))
        .arg(format!(
            "--output_graph={}",
            dir.path().join("f.pb").display()
        ))
        .output()
        .expect("runs");
    assert_eq!(run.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&run.stderr);
    assert!(stderr.contains("get_counter -> counter"), "{stderr}");
}

#[test]
fn unknown_tag_set_names_the_ones_there_are() {
    let Some(root) = realworld() else { return };
    let folder = root.join(
        "tensorflow-serving/servables/tensorflow/testdata/saved_model_half_plus_two_cpu/00000123",
    );
    let dir = tempfile::tempdir().expect("temp");
    let run = Command::new(env!("CARGO_BIN_EXE_freeze_graph"))
        .arg(format!("--input_saved_model_dir={}", folder.display()))
        .arg("--saved_model_tags=train")
        .arg(format!(
            "--output_graph={}",
            dir.path().join("f.pb").display()
        ))
        .output()
        .expect("runs");
    // The flag is well formed; the SavedModel lacks that tag set: bad input.
    assert_eq!(run.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&run.stderr);
    assert!(
        stderr.contains("--saved_model_tags can be one of"),
        "{stderr}"
    );
    assert!(
        stderr.contains("no MetaGraphDef has the tag set [train]"),
        "{stderr}"
    );
    assert!(stderr.contains("[serve]"), "{stderr}");
}
