//! Files that are not what they seem: symlinked, FIFOs, devices, streams, an
//! output that names an input. Device nodes are made with `mknod` in a temp
//! folder (only as root; the tests say when they skip), never aimed at the
//! system's own `/dev/null` or `/dev/stdout`.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::io::{Read, Write};
use std::os::unix::fs::{symlink, FileTypeExt};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use common::{big_sparse_checkpoint, fixtures_dir};

struct Outcome {
    status: i32,
    stderr: String,
}

fn mlp(file: &str) -> PathBuf {
    fixtures_dir().join("mlp_binary").join(file)
}

fn golden() -> Vec<u8> {
    std::fs::read(mlp("tf_frozen.pb")).unwrap()
}

/// `freeze_graph` on the mlp_binary fixture, graph and checkpoint as given.
fn mlp_args(graph: &Path, prefix: &Path) -> Vec<String> {
    vec![
        format!("--input_graph={}", graph.display()),
        format!("--input_checkpoint={}", prefix.display()),
        "--output_node_names=probs".into(),
    ]
}

fn spawn(args: &[String]) -> Child {
    Command::new(env!("CARGO_BIN_EXE_freeze_graph"))
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("runs freeze_graph")
}

/// Waits at most 20 s: a hang is a failure, not a stuck test run.
fn finish(mut child: Child) -> Outcome {
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            let mut stderr = String::new();
            child
                .stderr
                .take()
                .unwrap()
                .read_to_string(&mut stderr)
                .unwrap();
            return Outcome {
                status: status.code().unwrap_or(-1),
                stderr,
            };
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            panic!("freeze_graph hung");
        }
        std::thread::sleep(Duration::from_millis(10));
    }
}

fn run(args: &[String]) -> Outcome {
    finish(spawn(args))
}

fn is_root() -> bool {
    let uid = Command::new("id").arg("-u").output().unwrap();
    String::from_utf8_lossy(&uid.stdout).trim() == "0"
}

fn mknod(path: &Path, kind: &str, major: u32, minor: u32) -> bool {
    if !is_root() {
        println!("skipped: making device nodes needs root");
        return false;
    }
    let made = Command::new("mknod")
        .arg(path)
        .arg(kind)
        .arg(major.to_string())
        .arg(minor.to_string())
        .status()
        .unwrap();
    assert!(made.success());
    true
}

fn mkfifo(path: &Path) {
    assert!(Command::new("mkfifo").arg(path).status().unwrap().success());
}

/// The fixture's checkpoint as links in `dir`, the way model caches and
/// git-annex keep them: relative links into a folder of blobs.
fn linked_checkpoint(dir: &Path) -> PathBuf {
    let blobs = dir.join(".objects");
    std::fs::create_dir(&blobs).unwrap();
    for (i, file) in ["model.ckpt.index", "model.ckpt.data-00000-of-00001"]
        .iter()
        .enumerate()
    {
        std::fs::copy(mlp(file), blobs.join(format!("blob{i}"))).unwrap();
        symlink(format!(".objects/blob{i}"), dir.join(file)).unwrap();
    }
    dir.join("model.ckpt")
}

#[test]
fn symlinked_checkpoint_files_are_followed() {
    let tmp = tempfile::tempdir().unwrap();
    let prefix = linked_checkpoint(tmp.path());
    let out = tmp.path().join("out.pb");
    let mut args = mlp_args(&mlp("graph.pb"), &prefix);
    args.push(format!("--output_graph={}", out.display()));
    let outcome = run(&args);
    assert_eq!(outcome.status, 0, "{}", outcome.stderr);
    assert!(std::fs::read(&out).unwrap() == golden());
}

#[test]
fn a_shard_that_is_no_regular_file_is_refused_naming_it() {
    let tmp = tempfile::tempdir().unwrap();
    let shard = "model.ckpt.data-00000-of-00001";
    std::fs::copy(mlp("model.ckpt.index"), tmp.path().join("model.ckpt.index")).unwrap();
    let fifo = tmp.path().join("fifo");
    mkfifo(&fifo);
    symlink(&fifo, tmp.path().join(shard)).unwrap();
    let mut args = mlp_args(&mlp("graph.pb"), &tmp.path().join("model.ckpt"));
    args.push(format!(
        "--output_graph={}",
        tmp.path().join("out.pb").display()
    ));
    let outcome = run(&args);
    assert_eq!(outcome.status, 1, "{}", outcome.stderr);
    assert!(
        outcome
            .stderr
            .contains(&format!("{shard}: is not a regular file")),
        "{}",
        outcome.stderr
    );
    // A link to a device that reads as endless zeros, checksums off.
    std::fs::remove_file(tmp.path().join(shard)).unwrap();
    let zero = tmp.path().join("zero");
    if mknod(&zero, "c", 1, 5) {
        symlink(&zero, tmp.path().join(shard)).unwrap();
        args.push("--verify_checksums=false".into());
        let outcome = run(&args);
        assert_eq!(outcome.status, 1, "{}", outcome.stderr);
        assert!(
            outcome.stderr.contains("is not a regular file"),
            "{}",
            outcome.stderr
        );
        assert!(!tmp.path().join("out.pb").exists());
    }
}

#[test]
fn an_index_that_is_a_fifo_is_refused() {
    let tmp = tempfile::tempdir().unwrap();
    mkfifo(&tmp.path().join("model.ckpt.index"));
    let outcome = run(&mlp_args(&mlp("graph.pb"), &tmp.path().join("model.ckpt")));
    assert_eq!(outcome.status, 1, "{}", outcome.stderr);
    assert!(
        outcome
            .stderr
            .contains("model.ckpt.index: is not a regular file"),
        "{}",
        outcome.stderr
    );
}

#[test]
fn the_graph_may_come_from_a_stream() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("out.pb");
    let mut args = mlp_args(Path::new("/dev/stdin"), &mlp("model.ckpt"));
    args.push(format!("--output_graph={}", out.display()));
    let mut child = Command::new(env!("CARGO_BIN_EXE_freeze_graph"))
        .args(&args)
        .stdin(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let graph = std::fs::read(mlp("graph.pb")).unwrap();
    child.stdin.take().unwrap().write_all(&graph).unwrap();
    let result = child.wait_with_output().unwrap();
    assert!(
        result.status.success(),
        "{}",
        String::from_utf8_lossy(&result.stderr)
    );
    assert!(std::fs::read(&out).unwrap() == golden());
}

/// Freezes mlp_binary to `output`; the outcome.
fn freeze_to(output: &Path) -> Outcome {
    let mut args = mlp_args(&mlp("graph.pb"), &mlp("model.ckpt"));
    args.push(format!("--output_graph={}", output.display()));
    run(&args)
}

#[test]
fn a_symlinked_output_writes_its_target() {
    let tmp = tempfile::tempdir().unwrap();
    let target = tmp.path().join("real.pb");
    std::fs::write(&target, b"old bytes").unwrap();
    let link = tmp.path().join("out.pb");
    symlink("real.pb", &link).unwrap();
    let outcome = freeze_to(&link);
    assert_eq!(outcome.status, 0, "{}", outcome.stderr);
    assert!(std::fs::symlink_metadata(&link)
        .unwrap()
        .file_type()
        .is_symlink());
    assert!(std::fs::read(&target).unwrap() == golden());
}

#[test]
fn a_fifo_output_is_written_directly_even_through_a_link() {
    let tmp = tempfile::tempdir().unwrap();
    let fifo = tmp.path().join("pipe");
    mkfifo(&fifo);
    let link = tmp.path().join("stdout-like");
    symlink(&fifo, &link).unwrap();
    let reader = {
        let fifo = fifo.clone();
        std::thread::spawn(move || std::fs::read(fifo).unwrap())
    };
    let outcome = freeze_to(&link);
    assert_eq!(outcome.status, 0, "{}", outcome.stderr);
    assert!(reader.join().unwrap() == golden());
    assert!(std::fs::metadata(&fifo).unwrap().file_type().is_fifo());
    assert!(std::fs::symlink_metadata(&link)
        .unwrap()
        .file_type()
        .is_symlink());
}

#[test]
fn a_device_output_is_written_not_replaced_and_a_block_device_refused() {
    let tmp = tempfile::tempdir().unwrap();
    let null = tmp.path().join("null");
    if !mknod(&null, "c", 1, 3) {
        return;
    }
    let outcome = freeze_to(&null);
    assert_eq!(outcome.status, 0, "{}", outcome.stderr);
    assert!(std::fs::metadata(&null)
        .unwrap()
        .file_type()
        .is_char_device());
    let block = tmp.path().join("block");
    assert!(mknod(&block, "b", 7, 0));
    let outcome = freeze_to(&block);
    assert_eq!(outcome.status, 1, "{}", outcome.stderr);
    assert!(
        outcome.stderr.contains("it is a block device"),
        "{}",
        outcome.stderr
    );
    assert!(std::fs::metadata(&block)
        .unwrap()
        .file_type()
        .is_block_device());
    let leftovers = std::fs::read_dir(tmp.path()).unwrap().count();
    assert_eq!(leftovers, 2, "no temporary file is left");
}

#[test]
fn an_output_naming_an_input_is_refused() {
    let tmp = tempfile::tempdir().unwrap();
    for file in [
        "graph.pb",
        "model.ckpt.index",
        "model.ckpt.data-00000-of-00001",
    ] {
        std::fs::copy(mlp(file), tmp.path().join(file)).unwrap();
    }
    symlink(
        "model.ckpt.data-00000-of-00001",
        tmp.path().join("shard-link"),
    )
    .unwrap();
    let graph = tmp.path().join("graph.pb");
    let cases = [
        ("graph.pb", "the graph"),
        ("model.ckpt.index", "the checkpoint index"),
        (
            "model.ckpt.data-00000-of-00001",
            "the checkpoint data shard",
        ),
        ("shard-link", "the checkpoint data shard"),
    ];
    for (output, what) in cases {
        let before = std::fs::read(tmp.path().join(output)).unwrap();
        let mut args = mlp_args(&graph, &tmp.path().join("model.ckpt"));
        args.push(format!(
            "--output_graph={}",
            tmp.path().join(output).display()
        ));
        let outcome = run(&args);
        assert_eq!(outcome.status, 2, "{output}: {}", outcome.stderr);
        assert!(
            outcome.stderr.contains(&format!("names {what} ")),
            "{}",
            outcome.stderr
        );
        assert!(std::fs::read(tmp.path().join(output)).unwrap() == before);
    }
}

#[test]
fn empty_path_flags_are_usage_errors() {
    let mut args = mlp_args(&mlp("graph.pb"), &mlp("model.ckpt"));
    args.push("--output_graph=".into());
    let outcome = run(&args);
    assert_eq!(outcome.status, 2, "{}", outcome.stderr);
    assert!(
        outcome
            .stderr
            .contains("--output_graph needs a path, not an empty value"),
        "{}",
        outcome.stderr
    );
}

#[test]
fn an_unwritable_report_is_refused_before_anything_is_written() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("out.pb");
    let mut args = mlp_args(&mlp("graph.pb"), &mlp("model.ckpt"));
    args.push(format!("--output_graph={}", out.display()));
    args.push(format!(
        "--report={}",
        tmp.path().join("no/such/dir/r.json").display()
    ));
    let outcome = run(&args);
    assert_eq!(outcome.status, 1, "{}", outcome.stderr);
    assert!(
        outcome.stderr.contains("cannot write "),
        "{}",
        outcome.stderr
    );
    assert!(!out.exists());
}

#[test]
fn an_unknown_output_name_is_echoed_cut() {
    let long = "n".repeat(120_000);
    let mut args = mlp_args(&mlp("graph.pb"), &mlp("model.ckpt"));
    args.push(format!("--output_node_names={long}"));
    let outcome = run(&args);
    assert_eq!(outcome.status, 1, "{}", outcome.stderr);
    assert!(
        outcome.stderr.len() < 1000,
        "{} bytes",
        outcome.stderr.len()
    );
}

#[test]
fn ctrl_c_while_writing_removes_the_temporary_file() {
    let tmp = tempfile::tempdir().unwrap();
    // 640 MB of sparse zeros: the write lasts long enough to be interrupted.
    big_sparse_checkpoint(tmp.path(), 160_000_000);
    let out = tmp.path().join("out.pb");
    let child = spawn(&[
        format!("--input_graph={}", tmp.path().join("graph.pbtxt").display()),
        format!(
            "--input_checkpoint={}",
            tmp.path().join("model.ckpt").display()
        ),
        "--output_node_names=out".into(),
        "--verify_checksums=false".into(),
        format!("--output_graph={}", out.display()),
    ]);
    let temp = format!("out.pb.tmp-{}", child.id());
    let deadline = Instant::now() + Duration::from_secs(20);
    while !tmp.path().join(&temp).exists() {
        assert!(
            Instant::now() < deadline,
            "the temporary file never appeared"
        );
        std::thread::sleep(Duration::from_millis(1));
    }
    let killed = Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(killed.success());
    let outcome = finish(child);
    assert_ne!(outcome.status, 0, "the write finished before the signal");
    assert!(!tmp.path().join(&temp).exists(), "{temp} was left behind");
    assert!(!out.exists());
}
