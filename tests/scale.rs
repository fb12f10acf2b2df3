//! Memory and read limits on large or endless inputs. The figures here are
//! ceilings set well above what the benchmark measures (`benches/scale.rs`), so
//! a return to kilobytes per node fails a test instead of passing unseen.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

#[path = "../benches/support/scale_graph.rs"]
mod scale_graph;

use std::process::{Command, Output};

use scale_graph::Shape;

/// Runs `freeze_graph` with its address space capped at `mib` MiB, so an
/// allocation past the cap fails the run (`prlimit` from util-linux).
fn freeze_under(mib: u64, args: &[String]) -> Output {
    Command::new("prlimit")
        .arg(format!("--as={}", mib << 20))
        .arg(env!("CARGO_BIN_EXE_freeze_graph"))
        .args(args)
        .output()
        .expect("prlimit runs (util-linux)")
}

fn checkpoint() -> String {
    scale_graph::base_fixture()
        .join("model.ckpt")
        .display()
        .to_string()
}

#[test]
fn a_chain_of_100000_nodes_freezes_under_256_mib() {
    // About 130 MiB resident (1.3 KB a node); the address space holds some
    // 90 MiB more (thread stacks, malloc arenas). The graph held twice, as
    // before, needs over 260.
    let dir = tempfile::tempdir().unwrap();
    let graph = dir.path().join("chain.pb");
    std::fs::write(&graph, scale_graph::graph_bytes(Shape::Chain, 100_000)).unwrap();
    let out = dir.path().join("frozen.pb");
    let run = freeze_under(
        256,
        &[
            format!("--input_graph={}", graph.display()),
            format!("--input_checkpoint={}", checkpoint()),
            format!("--output_node_names={}", Shape::Chain.output(100_000)),
            format!("--output_graph={}", out.display()),
        ],
    );
    let stderr = String::from_utf8_lossy(&run.stderr);
    assert!(run.status.success(), "{stderr}");
    assert!(stderr.contains("kept 100022 nodes"), "{stderr}");
}

#[test]
fn a_graph_read_from_dev_zero_is_refused_at_its_first_byte() {
    // Under 256 MiB a read towards the 2 GiB cap would fail as out of memory
    // instead of with the message.
    let run = freeze_under(
        256,
        &[
            "--input_graph=/dev/zero".to_string(),
            format!("--input_checkpoint={}", checkpoint()),
            "--output_node_names=probs".to_string(),
            "--output_graph=/dev/null".to_string(),
        ],
    );
    let stderr = String::from_utf8_lossy(&run.stderr);
    assert_eq!(run.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("/dev/zero"), "{stderr}");
    assert!(stderr.contains("starts with a zero byte"), "{stderr}");
}

#[test]
fn a_saved_model_of_2000_meta_graphs_freezes_under_256_mib() {
    // 2,000 meta graphs of 500 nodes (45 MiB) before the one tagged `serve`:
    // decoding them all took over 2 GB; only the one used is decoded.
    let dir = tempfile::tempdir().unwrap();
    scale_graph::write_saved_model(dir.path(), 2000, 500);
    let out = dir.path().join("frozen.pb");
    let run = freeze_under(
        256,
        &[
            format!("--input_saved_model_dir={}", dir.path().display()),
            "--output_node_names=probs".to_string(),
            format!("--output_graph={}", out.display()),
        ],
    );
    let stderr = String::from_utf8_lossy(&run.stderr);
    assert!(run.status.success(), "{stderr}");
    let frozen = std::fs::read(&out).unwrap();
    let golden = std::fs::read(scale_graph::base_fixture().join("tf_frozen.pb")).unwrap();
    assert!(
        frozen == golden,
        "the serve graph froze as the fixture does"
    );
}

#[test]
fn an_unknown_output_name_in_100000_nodes_is_refused_under_300_mib() {
    // The suggestions are one pass keeping the best five (it took 503 MiB).
    let dir = tempfile::tempdir().unwrap();
    let graph = dir.path().join("chain.pb");
    std::fs::write(&graph, scale_graph::graph_bytes(Shape::Chain, 100_000)).unwrap();
    let run = freeze_under(
        300,
        &[
            format!("--input_graph={}", graph.display()),
            format!("--input_checkpoint={}", checkpoint()),
            "--output_node_names=scale/9999x".to_string(),
            "--output_graph=/dev/null".to_string(),
        ],
    );
    let stderr = String::from_utf8_lossy(&run.stderr);
    assert_eq!(run.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("scale/9999x"), "{stderr}");
    assert!(stderr.contains("scale/9999"), "{stderr}");
}
