//! `--input_checkpoint` names a checkpoint the way TF's Saver writes them: an
//! empty base name (`model/`), a step alone (`-50`), no `.ckpt`, dots and
//! spaces, the `.index` or a `.data` path, or a folder (its `checkpoint`
//! state file, whose path may be from another machine, else its newest step).
//! Each case copies the TF-made fixture files into a temp folder.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::path::Path;
use std::process::Command;

use common::fixtures_dir;

/// The files of fixture `name`'s checkpoint and meta graph, by suffix.
fn parts(name: &str, prefix: &str) -> Vec<(std::path::PathBuf, &'static str)> {
    let dir = fixtures_dir().join(name);
    [".index", ".data-00000-of-00001", ".meta"]
        .into_iter()
        .map(|suffix| (dir.join(format!("{prefix}{suffix}")), suffix))
        .collect()
}

/// Copies fixture `name`'s checkpoint and `.meta` to `<dir>/<prefix>.*`.
fn copy_as(name: &str, dir: &Path, prefix: &str) {
    let from = if name == "empty_prefix" {
        "model/"
    } else {
        "-50"
    };
    for (file, suffix) in parts(name, from) {
        let to = dir.join(format!("{prefix}{suffix}"));
        std::fs::create_dir_all(to.parent().unwrap()).unwrap();
        std::fs::copy(&file, &to).unwrap();
    }
}

fn golden(name: &str) -> Vec<u8> {
    std::fs::read(fixtures_dir().join(name).join("tf_frozen.pb")).unwrap()
}

struct Outcome {
    status: i32,
    stderr: String,
    output: Option<Vec<u8>>,
}

/// `freeze_graph` in folder `cwd` with the meta graph and checkpoint as given.
fn freeze_in(cwd: &Path, meta: &str, checkpoint: &str) -> Outcome {
    let out = cwd.join("frozen-output.pb");
    let _ = std::fs::remove_file(&out);
    let result = Command::new(env!("CARGO_BIN_EXE_freeze_graph"))
        .current_dir(cwd)
        .arg(format!("--input_meta_graph={meta}"))
        .arg("--input_binary=true")
        .arg(format!("--input_checkpoint={checkpoint}"))
        .arg("--output_node_names=out")
        .arg(format!("--output_graph={}", out.display()))
        .output()
        .unwrap();
    Outcome {
        status: result.status.code().unwrap_or(-1),
        stderr: String::from_utf8_lossy(&result.stderr).into_owned(),
        output: std::fs::read(&out).ok(),
    }
}

fn assert_freezes_as(outcome: &Outcome, fixture: &str) {
    assert_eq!(outcome.status, 0, "{}", outcome.stderr);
    assert!(
        outcome.output.as_deref() == Some(golden(fixture).as_slice()),
        "not {fixture}'s TF output: {}",
        outcome.stderr
    );
}

#[test]
fn an_empty_base_name_is_the_prefix_model_slash() {
    let tmp = tempfile::tempdir().unwrap();
    copy_as("empty_prefix", tmp.path(), "model/");
    assert_freezes_as(
        &freeze_in(tmp.path(), "model/.meta", "model/"),
        "empty_prefix",
    );
    // The folder itself, without the slash, holds that one checkpoint.
    assert_freezes_as(
        &freeze_in(tmp.path(), "model/.meta", "model"),
        "empty_prefix",
    );
}

#[test]
fn a_step_only_prefix_is_its_own_prefix() {
    let tmp = tempfile::tempdir().unwrap();
    copy_as("step_prefix", tmp.path(), "-50");
    assert_freezes_as(&freeze_in(tmp.path(), "-50.meta", "-50"), "step_prefix");
}

#[test]
fn prefixes_without_ckpt_and_with_dots_and_spaces() {
    let tmp = tempfile::tempdir().unwrap();
    for prefix in ["checkpoints", "model", "my run/model.v2.best-7"] {
        copy_as("step_prefix", tmp.path(), prefix);
        let meta = format!("{prefix}.meta");
        assert_freezes_as(&freeze_in(tmp.path(), &meta, prefix), "step_prefix");
    }
}

#[test]
fn the_index_or_a_data_path_names_its_prefix() {
    let tmp = tempfile::tempdir().unwrap();
    copy_as("empty_prefix", tmp.path(), "model/");
    for given in ["model/.index", "model/.data-00000-of-00001"] {
        assert_freezes_as(&freeze_in(tmp.path(), "model/.meta", given), "empty_prefix");
    }
}

/// A training folder: step 10 is the empty_prefix model, step 50 the step_prefix one.
fn training_folder(dir: &Path) {
    copy_as("empty_prefix", dir, "run/model.ckpt-10");
    copy_as("step_prefix", dir, "run/model.ckpt-50");
}

#[test]
fn a_folder_means_the_step_its_state_file_names_by_base_name() {
    let tmp = tempfile::tempdir().unwrap();
    training_folder(tmp.path());
    // Written on the machine that trained: an absolute path that is not here.
    let state = "model_checkpoint_path: \"/home/trainer/jobs/run/model.ckpt-10\"\n\
        all_model_checkpoint_paths: \"/home/trainer/jobs/run/model.ckpt-10\"\n";
    std::fs::write(tmp.path().join("run/checkpoint"), state).unwrap();
    let outcome = freeze_in(tmp.path(), "run/model.ckpt-10.meta", "run");
    assert_freezes_as(&outcome, "empty_prefix");
}

#[test]
fn a_folder_without_a_state_file_means_its_newest_step() {
    let tmp = tempfile::tempdir().unwrap();
    training_folder(tmp.path());
    let outcome = freeze_in(tmp.path(), "run/model.ckpt-50.meta", "run/");
    assert_freezes_as(&outcome, "step_prefix");
}

#[test]
fn a_prefix_that_is_not_there_is_refused_listing_the_ones_that_are() {
    let tmp = tempfile::tempdir().unwrap();
    training_folder(tmp.path());
    let outcome = freeze_in(tmp.path(), "run/model.ckpt-50.meta", "run/model.ckpt-30");
    assert_eq!(outcome.status, 1, "{}", outcome.stderr);
    assert!(
        outcome
            .stderr
            .contains("The checkpoint prefixes there are 'run/model.ckpt-50', 'run/model.ckpt-10'"),
        "{}",
        outcome.stderr
    );
    assert!(outcome.output.is_none());
}
