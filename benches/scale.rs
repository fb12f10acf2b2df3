//! `cargo bench --bench scale`: wall time and peak RSS of `freeze_graph` (freeze
//! and `--inspect`) on generated chain and fan-in graphs of 10^4, 10^5 and 10^6
//! nodes (`support/scale_graph.rs`), one run each, measured by `/usr/bin/time -v`.
//! Prints a markdown table. `SCALE_NODES=10000,100000` picks the sizes.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

#[path = "support/scale_graph.rs"]
mod scale_graph;

use std::process::Command;
use std::time::Instant;

use scale_graph::Shape;

fn main() {
    let sizes: Vec<usize> = std::env::var("SCALE_NODES")
        .unwrap_or_else(|_| "10000,100000,1000000".into())
        .split(',')
        .map(|s| s.trim().parse().expect("SCALE_NODES: numbers"))
        .collect();
    let dir = tempfile::tempdir().unwrap();
    let checkpoint = scale_graph::base_fixture().join("model.ckpt");
    println!("| graph | nodes | .pb MiB | freeze s | freeze MiB | inspect s | inspect MiB |");
    println!("|---|---:|---:|---:|---:|---:|---:|");
    for &nodes in &sizes {
        for shape in [Shape::Chain, Shape::FanIn] {
            let graph = dir.path().join("graph.pb");
            let bytes = scale_graph::graph_bytes(shape, nodes);
            std::fs::write(&graph, &bytes).unwrap();
            let common = [
                format!("--input_graph={}", graph.display()),
                format!("--input_checkpoint={}", checkpoint.display()),
            ];
            let out = dir.path().join("frozen.pb");
            let freeze = measure(
                &[
                    &common[..],
                    &[
                        format!("--output_node_names={}", shape.output(nodes)),
                        format!("--output_graph={}", out.display()),
                    ],
                ]
                .concat(),
            );
            let inspect = measure(&[&common[..], &["--inspect".to_string()]].concat());
            println!(
                "| {} | {nodes} | {:.1} | {:.2} | {} | {:.2} | {} |",
                shape.name(),
                bytes.len() as f64 / 1048576.0,
                freeze.0,
                freeze.1,
                inspect.0,
                inspect.1
            );
        }
    }
}

/// Seconds and peak RSS in MiB of one run.
fn measure(args: &[String]) -> (f64, String) {
    let start = Instant::now();
    let run = Command::new("/usr/bin/time")
        .arg("-v")
        .arg(env!("CARGO_BIN_EXE_freeze_graph"))
        .args(args)
        .output()
        .expect("/usr/bin/time (Debian's time package)");
    let seconds = start.elapsed().as_secs_f64();
    let stderr = String::from_utf8_lossy(&run.stderr);
    let kib = stderr
        .lines()
        .find_map(|l| {
            l.trim()
                .strip_prefix("Maximum resident set size (kbytes): ")
        })
        .and_then(|k| k.parse::<u64>().ok());
    match (run.status.success(), kib) {
        (true, Some(kib)) => (seconds, format!("{}", kib / 1024)),
        (false, Some(kib)) => (seconds, format!("failed at {}", kib / 1024)),
        _ => (seconds, "?".into()),
    }
}
