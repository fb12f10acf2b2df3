//! Crafted inputs that once crashed the tool or made it write a graph TF
//! cannot load: each is generated here, run through `freeze_graph`, and must
//! be refused with one sentence naming what is wrong (exit 1), or frozen.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use common::fixtures_dir;

struct Outcome {
    status: i32,
    stderr: String,
    took: Duration,
}

fn run(args: &[String]) -> Outcome {
    let started = Instant::now();
    let result = Command::new(env!("CARGO_BIN_EXE_freeze_graph"))
        .args(args)
        .output()
        .expect("runs freeze_graph");
    Outcome {
        status: result.status.code().unwrap_or(-1),
        stderr: String::from_utf8_lossy(&result.stderr).into_owned(),
        took: started.elapsed(),
    }
}

fn resource_text() -> String {
    std::fs::read_to_string(fixtures_dir().join("resource_text/graph.pbtxt")).unwrap()
}

/// Freezes `graph` (text) against the resource_text checkpoint into `dir/out.pb`.
fn freeze_text(dir: &Path, graph: &str, output: &str) -> (Outcome, Option<Vec<u8>>) {
    let path = dir.join("graph.pbtxt");
    std::fs::write(&path, graph).unwrap();
    let out = dir.join("out.pb");
    let outcome = run(&[
        format!("--input_graph={}", path.display()),
        format!(
            "--input_checkpoint={}",
            fixtures_dir().join("resource_text/model.ckpt").display()
        ),
        format!("--output_node_names={output}"),
        format!("--output_graph={}", out.display()),
    ]);
    (outcome, std::fs::read(&out).ok())
}

/// A call of `chain_0` on variable `dense/bias`, and a library in which each
/// `chain_<i>` passes the handle on to `chain_<i+1>`; the last one reads it.
fn call_chain(length: usize) -> String {
    let call = |name: &str, input: &str, function: &str| {
        format!(
            "name: \"{name}\" op: \"StatefulPartitionedCall\" input: \"{input}\" \
             attr {{ key: \"Tin\" value {{ list {{ type: DT_RESOURCE }} }} }} \
             attr {{ key: \"Tout\" value {{ list {{ type: DT_FLOAT }} }} }} \
             attr {{ key: \"f\" value {{ func {{ name: \"{function}\" }} }} }}"
        )
    };
    let mut text = resource_text();
    text.push_str(&format!(
        "node {{ {} }}\n",
        call("chain", "dense/bias", "chain_0")
    ));
    text.push_str(
        "node { name: \"chain_out\" op: \"Identity\" input: \"chain\" \
         attr { key: \"T\" value { type: DT_FLOAT } } }\nlibrary {\n",
    );
    for i in 0..length {
        let body = if i + 1 < length {
            format!(
                "node_def {{ {} }} ret {{ key: \"y\" value: \"c:output:0\" }}",
                call("c", "x", &format!("chain_{}", i + 1))
            )
        } else {
            "node_def { name: \"r\" op: \"ReadVariableOp\" input: \"x\" \
             attr { key: \"dtype\" value { type: DT_FLOAT } } } \
             ret { key: \"y\" value: \"r:value:0\" }"
                .to_owned()
        };
        text.push_str(&format!(
            "function {{ signature {{ name: \"chain_{i}\" \
             input_arg {{ name: \"x\" type: DT_RESOURCE }} output_arg {{ name: \"y\" type: DT_FLOAT }} }} {body} }}\n"
        ));
    }
    text.push_str("}\n");
    text
}

#[test]
fn a_deep_call_chain_is_refused_and_a_short_one_frozen() {
    let tmp = tempfile::tempdir().unwrap();
    let (short, output) = freeze_text(tmp.path(), &call_chain(20), "chain_out");
    assert_eq!(short.status, 0, "{}", short.stderr);
    assert!(output.is_some());
    let tmp = tempfile::tempdir().unwrap();
    let (long, output) = freeze_text(tmp.path(), &call_chain(3000), "chain_out");
    assert_eq!(long.status, 1, "{}", long.stderr);
    assert!(
        long.stderr
            .contains("function 'chain_100' is called through more than 100 nested"),
        "{}",
        long.stderr
    );
    assert!(output.is_none());
    println!("3,000-function chain refused in {:?}", long.took);
}

#[test]
fn deep_text_nesting_is_refused_not_a_stack_overflow() {
    let tmp = tempfile::tempdir().unwrap();
    let nest = "list { func { name: \"a\" attr { key: \"k\" value { ";
    for closed in [true, false] {
        let mut text = resource_text();
        text.push_str("node { name: \"deep\" op: \"Const\" attr { key: \"value\" value { ");
        text.push_str(&nest.repeat(2000));
        if closed {
            text.push_str(&"} } } } } ".repeat(2000));
            text.push_str("} } }\n");
        }
        let (outcome, output) = freeze_text(tmp.path(), &text, "out");
        assert_eq!(outcome.status, 1, "{}", outcome.stderr);
        assert!(
            outcome.stderr.contains("graph.pbtxt: ")
                && outcome
                    .stderr
                    .contains("messages are nested more than 100 deep"),
            "{}",
            outcome.stderr
        );
        assert!(output.is_none());
        println!("2,000-level nesting refused in {:?}", outcome.took);
    }
}

#[test]
fn text_errors_name_line_and_column() {
    let tmp = tempfile::tempdir().unwrap();
    let text = format!("{}node {{ name: \"x\" op: Const\" }}\n", resource_text());
    let line = text.lines().count();
    let (outcome, _) = freeze_text(tmp.path(), &text, "out");
    assert_eq!(outcome.status, 1);
    assert!(
        outcome
            .stderr
            .contains(&format!("text format: line {line}, column 22: ")),
        "{}",
        outcome.stderr
    );
    assert!(!outcome.stderr.contains("wire type"), "{}", outcome.stderr);
}

#[test]
fn graphs_tensorflow_cannot_import_are_refused_naming_the_node() {
    let tmp = tempfile::tempdir().unwrap();
    let identity = |name: &str, input: &str| {
        format!(
            "node {{ name: \"{name}\" op: \"Identity\" input: \"{input}\" \
             attr {{ key: \"T\" value {{ type: DT_FLOAT }} }} }}\n"
        )
    };
    let cases = [
        (identity("out", "x"), "out: two nodes have this name"),
        (identity("self", "self"), "self: this node is in a cycle"),
        (
            identity("p", "q") + &identity("q", "p"),
            "p: this node is in a cycle",
        ),
        (
            identity("far", "out:99999999999999999999999"),
            "far: input asks for output 99999999999999999999999 of node 'out'",
        ),
        (
            identity("lost", "nowhere"),
            "lost: input 'nowhere' names no node",
        ),
    ];
    for (extra, expected) in cases {
        let (outcome, output) = freeze_text(tmp.path(), &(resource_text() + &extra), "out");
        assert_eq!(outcome.status, 1, "{expected}: {}", outcome.stderr);
        assert!(outcome.stderr.contains(expected), "{}", outcome.stderr);
        assert!(output.is_none(), "{expected}");
    }
}
