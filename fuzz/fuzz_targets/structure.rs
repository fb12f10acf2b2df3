//! `graph::structure::check` on graphs of up to a few thousand nodes with
//! names, ops and inputs drawn from small sets, so duplicates, missing
//! inputs, bad ports, self loops, cycles and while loops all occur. A graph
//! it accepts must have unique names and inputs that name nodes.
#![no_main]

use std::collections::HashSet;

use arbitrary::Arbitrary;
use libfuzzer_sys::fuzz_target;
use tf_freeze::graph::names::node_name;
use tf_freeze::graph::structure::check;
use tf_freeze::proto::{GraphDef, NodeDef};

const OPS: [&str; 10] = [
    "Const",
    "Identity",
    "Add",
    "Merge",
    "NextIteration",
    "Switch",
    "Enter",
    "Split",
    "NoOp",
    "SaveV2",
];

#[derive(Arbitrary, Debug)]
struct Node {
    name: u16,
    op: u8,
    inputs: Vec<(u16, u8, bool)>,
}

fuzz_target!(|nodes: Vec<Node>| {
    let graph = GraphDef {
        node: nodes
            .iter()
            .map(|n| NodeDef {
                name: format!("n{}", n.name % 4096),
                op: OPS[usize::from(n.op) % OPS.len()].to_owned(),
                input: n
                    .inputs
                    .iter()
                    .map(|&(source, port, control)| match (control, port) {
                        (true, _) => format!("^n{}", source % 4096),
                        (false, 0) => format!("n{}", source % 4096),
                        (false, 255) => format!("n{}:99999999999999999999999", source % 4096),
                        (false, p) => format!("n{}:{}", source % 4096, p % 4),
                    })
                    .collect(),
                ..Default::default()
            })
            .collect(),
        ..Default::default()
    };
    if check(&graph).is_ok() {
        let names: HashSet<&str> = graph.node.iter().map(|n| n.name.as_str()).collect();
        assert_eq!(names.len(), graph.node.len(), "duplicate names accepted");
        for node in &graph.node {
            for input in &node.input {
                assert!(names.contains(node_name(input)), "dangling input accepted");
            }
        }
    }
});
