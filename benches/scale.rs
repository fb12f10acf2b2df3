//! `cargo bench --bench scale`: wall time and peak RSS of `freeze_graph` (freeze
//! and `--inspect`) on generated chain and fan-in graphs of 10^4, 10^5 and 10^6
//! nodes (`support/scale_graph.rs`), one run each, measured by `/usr/bin/time -v`
//! (wall time, and CPU time, user + system, which a shared machine moves less),
//! then a SavedModel of 1,000 and 2,000 meta graphs. Prints markdown tables. `SCALE_NODES=10000,100000` picks the sizes;
//! `SCALE_DIR=path` keeps the graphs there (`chain-100000.pb`), for profiling.

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
    let keep = std::env::var_os("SCALE_DIR").map(std::path::PathBuf::from);
    let checkpoint = scale_graph::base_fixture().join("model.ckpt");
    println!(
        "| graph | nodes | .pb MiB | freeze s (cpu) | freeze MiB | inspect s (cpu) | inspect MiB |"
    );
    println!("|---|---:|---:|---:|---:|---:|---:|");
    for &nodes in &sizes {
        for shape in [Shape::Chain, Shape::FanIn] {
            let graph = match &keep {
                Some(keep) => keep.join(format!("{}-{nodes}.pb", shape.name())),
                None => dir.path().join("graph.pb"),
            };
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
                "| {} | {nodes} | {:.1} | {} | {} | {} | {} |",
                shape.name(),
                bytes.len() as f64 / 1048576.0,
                freeze.seconds(),
                freeze.mib,
                inspect.seconds(),
                inspect.mib
            );
        }
    }
    saved_models(dir.path());
}

/// A SavedModel of many meta graphs (500-node chains) before the one tagged `serve`.
fn saved_models(dir: &std::path::Path) {
    println!();
    println!("| SavedModel meta graphs | saved_model.pb MiB | freeze s (cpu) | freeze MiB |");
    println!("|---:|---:|---:|---:|");
    for metas in [1000, 2000] {
        let model = dir.join(format!("saved_model_{metas}"));
        scale_graph::write_saved_model(&model, metas, 500);
        let size = std::fs::metadata(model.join("saved_model.pb"))
            .unwrap()
            .len();
        let run = measure(&[
            format!("--input_saved_model_dir={}", model.display()),
            "--output_node_names=probs".to_string(),
            format!("--output_graph={}", dir.join("frozen.pb").display()),
        ]);
        println!(
            "| {metas} | {:.1} | {} | {} |",
            size as f64 / 1048576.0,
            run.seconds(),
            run.mib
        );
    }
}

/// One run: wall and CPU seconds, and peak RSS in MiB.
struct Run {
    wall: f64,
    cpu: f64,
    mib: String,
}

impl Run {
    fn seconds(&self) -> String {
        format!("{:.2} ({:.2})", self.wall, self.cpu)
    }
}

/// Wall time, CPU time and peak RSS of one run.
fn measure(args: &[String]) -> Run {
    let start = Instant::now();
    let run = Command::new("/usr/bin/time")
        .arg("-v")
        .arg(env!("CARGO_BIN_EXE_freeze_graph"))
        .args(args)
        .output()
        .expect("/usr/bin/time (Debian's time package)");
    let wall = start.elapsed().as_secs_f64();
    let stderr = String::from_utf8_lossy(&run.stderr);
    let field = |name: &str| {
        stderr
            .lines()
            .find_map(|l| l.trim().strip_prefix(name))
            .and_then(|v| v.trim().parse::<f64>().ok())
    };
    let cpu = field("User time (seconds):").unwrap_or(0.0)
        + field("System time (seconds):").unwrap_or(0.0);
    let mib = match (
        run.status.success(),
        field("Maximum resident set size (kbytes):"),
    ) {
        (true, Some(kib)) => format!("{}", kib as u64 / 1024),
        (false, Some(kib)) => format!("failed at {}", kib as u64 / 1024),
        _ => "?".into(),
    };
    Run { wall, cpu, mib }
}
