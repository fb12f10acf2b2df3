//! Generated graphs of many nodes, for the scale benchmark and the memory test.
//!
//! Each graph is the `mlp_binary` fixture's GraphDef with generated nodes
//! appended: protobuf merges a repeated field written twice, so the bytes of a
//! second GraphDef holding only the new nodes, concatenated to the first, decode
//! as one graph. The result is deterministic and needs no TensorFlow.

#![allow(dead_code, clippy::expect_used)]

use std::path::Path;

/// The shape of the generated part.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Shape {
    /// `scale/0 = Identity(probs)`, `scale/i = Identity(scale/{i-1})`: depth `n`.
    Chain,
    /// `n - 1` `Identity(probs)` nodes summed by one `AddN`: one node of `n - 1` inputs.
    FanIn,
}

impl Shape {
    pub fn name(self) -> &'static str {
        match self {
            Shape::Chain => "chain",
            Shape::FanIn => "fan-in",
        }
    }

    /// The node to freeze to.
    pub fn output(self, nodes: usize) -> String {
        match self {
            Shape::Chain => format!("scale/{}", nodes.saturating_sub(1)),
            Shape::FanIn => "scale/sum".to_string(),
        }
    }
}

/// The fixture whose graph and checkpoint the generated graphs extend.
pub fn base_fixture() -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/mlp_binary")
}

/// The fixture's graph followed by `nodes` generated nodes of `shape`.
pub fn graph_bytes(shape: Shape, nodes: usize) -> Vec<u8> {
    let mut out = std::fs::read(base_fixture().join("graph.pb")).expect("mlp_binary graph.pb");
    let mut node = Vec::new();
    for i in 0..nodes {
        node.clear();
        let name = format!("scale/{i}");
        let (op, name, inputs): (_, _, Vec<String>) = match shape {
            Shape::Chain if i == 0 => ("Identity", name, vec!["probs".to_string()]),
            Shape::Chain => ("Identity", name, vec![format!("scale/{}", i - 1)]),
            Shape::FanIn if i + 1 < nodes => ("Identity", name, vec!["probs".to_string()]),
            Shape::FanIn => (
                "AddN",
                "scale/sum".to_string(),
                (0..i).map(|j| format!("scale/{j}")).collect(),
            ),
        };
        field_bytes(&mut node, 1, name.as_bytes());
        field_bytes(&mut node, 2, op.as_bytes());
        for input in &inputs {
            field_bytes(&mut node, 3, input.as_bytes());
        }
        // attr T = DT_FLOAT (AttrValue.type, field 6, enum value 1).
        node_attr(&mut node, "T", &[6 << 3, 1]);
        if op == "AddN" {
            // attr N (AttrValue.i, field 3).
            let mut value = vec![3 << 3];
            varint(&mut value, inputs.len() as u64);
            node_attr(&mut node, "N", &value);
        }
        field_bytes(&mut out, 1, &node);
    }
    out
}

fn node_attr(node: &mut Vec<u8>, key: &str, value: &[u8]) {
    let mut entry = Vec::new();
    field_bytes(&mut entry, 1, key.as_bytes());
    field_bytes(&mut entry, 2, value);
    field_bytes(node, 5, &entry);
}

/// A binary SavedModel of `metas` meta graphs tagged `train/i`, each holding
/// a chain of `nodes` nodes, and last the one tagged `serve`: the fixture's
/// graph, which the fixture's checkpoint (as `variables/`) freezes.
pub fn saved_model_bytes(metas: usize, nodes: usize) -> Vec<u8> {
    let meta = |tag: &str, graph: &[u8]| {
        let mut info = Vec::new();
        field_bytes(&mut info, 4, tag.as_bytes());
        let mut meta = Vec::new();
        field_bytes(&mut meta, 1, &info);
        field_bytes(&mut meta, 2, graph);
        meta
    };
    let train = graph_bytes(Shape::Chain, nodes);
    // SavedModel: saved_model_schema_version = 1, meta_graphs = 2.
    let mut out = vec![1 << 3, 1];
    for i in 0..metas {
        field_bytes(&mut out, 2, &meta(&format!("train/{i}"), &train));
    }
    let serve = std::fs::read(base_fixture().join("graph.pb")).expect("mlp_binary graph.pb");
    field_bytes(&mut out, 2, &meta("serve", &serve));
    out
}

/// A SavedModel folder in `dir`: [`saved_model_bytes`] and the fixture's
/// checkpoint as its `variables/`.
pub fn write_saved_model(dir: &Path, metas: usize, nodes: usize) {
    let variables = dir.join("variables");
    std::fs::create_dir_all(&variables).expect("variables folder");
    std::fs::write(dir.join("saved_model.pb"), saved_model_bytes(metas, nodes))
        .expect("saved_model.pb written");
    for (from, to) in [
        ("model.ckpt.index", "variables.index"),
        (
            "model.ckpt.data-00000-of-00001",
            "variables.data-00000-of-00001",
        ),
    ] {
        std::fs::copy(base_fixture().join(from), variables.join(to)).expect("checkpoint copied");
    }
}

fn field_bytes(out: &mut Vec<u8>, field: u64, bytes: &[u8]) {
    varint(out, field << 3 | 2);
    varint(out, bytes.len() as u64);
    out.extend_from_slice(bytes);
}

fn varint(out: &mut Vec<u8>, mut value: u64) {
    while value >= 0x80 {
        out.push((value as u8) | 0x80);
        value >>= 7;
    }
    out.push(value as u8);
}
