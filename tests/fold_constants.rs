//! `--fold_constants` on the `fold_shapes` fixture, made with TensorFlow 2.21:
//! with `--input_shapes` giving the batch, every shape-dependent subgraph
//! becomes a Const whose value is the one TF computed for that tensor (the
//! generator recorded them as the variant's `folded`); with the batch open,
//! only what does not depend on it folds. That the folded graphs compute the
//! model's outputs in TF is `verify_frozen.py`'s check (`expected_<variant>.pb`,
//! compared by `tests/cleanups.rs`).

// Integration tests fail by panicking.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use prost::Message;
use serde_json::{json, Value};
use tf_freeze::proto::{attr_value, DataType, GraphDef, NodeDef, TensorProto};

mod common;
use common::{fixture, flags, freeze};

const NAME: &str = "fold_shapes";

fn frozen(extra: Value) -> (GraphDef, String) {
    let run = freeze(&flags(NAME, &fixture(NAME), Some(&extra)));
    assert_eq!(run.status, 0, "{}", run.stderr);
    let bytes = run.output.expect("output written");
    (GraphDef::decode(bytes.as_slice()).unwrap(), run.stderr)
}

fn variant(name: &str) -> Value {
    fixture(NAME)["variants"][name].clone()
}

fn node<'a>(graph: &'a GraphDef, name: &str) -> &'a NodeDef {
    graph
        .node
        .iter()
        .find(|n| n.name == name)
        .unwrap_or_else(|| panic!("no node '{name}'"))
}

fn tensor_of(node: &NodeDef) -> &TensorProto {
    assert_eq!(node.op, "Const", "{}", node.name);
    match node.attr.get("value").and_then(|a| a.value.as_ref()) {
        Some(attr_value::Value::Tensor(t)) => t,
        other => panic!("{}: no value: {other:?}", node.name),
    }
}

/// A Const's value as the generator writes a tensor: dtype, shape, values
/// (floats as the f64 of their f32, so the comparison is bit for bit).
fn as_json(t: &TensorProto) -> Value {
    let shape: Vec<i64> = t
        .tensor_shape
        .as_ref()
        .map(|s| s.dim.iter().map(|d| d.size).collect())
        .unwrap_or_default();
    let count = shape.iter().product::<i64>() as usize;
    let content = &t.tensor_content;
    let (dtype, values): (&str, Vec<Value>) = match DataType::try_from(t.dtype).unwrap() {
        DataType::DtInt32 if content.is_empty() => {
            ("int32", t.int_val.iter().map(|&v| json!(v)).collect())
        }
        DataType::DtInt32 => (
            "int32",
            content
                .chunks(4)
                .map(|c| json!(i32::from_le_bytes(c.try_into().unwrap())))
                .collect(),
        ),
        DataType::DtInt64 if content.is_empty() => {
            ("int64", t.int64_val.iter().map(|&v| json!(v)).collect())
        }
        DataType::DtInt64 => (
            "int64",
            content
                .chunks(8)
                .map(|c| json!(i64::from_le_bytes(c.try_into().unwrap())))
                .collect(),
        ),
        DataType::DtFloat if content.is_empty() => (
            "float32",
            t.float_val.iter().map(|&v| json!(f64::from(v))).collect(),
        ),
        DataType::DtFloat => (
            "float32",
            content
                .chunks(4)
                .map(|c| json!(f64::from(f32::from_le_bytes(c.try_into().unwrap()))))
                .collect(),
        ),
        DataType::DtBool => ("bool", t.bool_val.iter().map(|&v| json!(v)).collect()),
        other => panic!("unexpected dtype {other:?}"),
    };
    assert_eq!(values.len(), count, "a value per element");
    json!({"dtype": dtype, "shape": shape, "values": values})
}

#[test]
fn folded_values_are_tfs_bit_for_bit() {
    let spec = variant("fold_constants_shapes");
    let folded = spec["folded"].as_object().expect("recorded values");
    // Kept as outputs, each folded tensor stays a node of its own.
    let mut outputs = vec!["out".to_owned(), "ints".to_owned()];
    outputs.extend(folded.keys().cloned());
    let mut args = spec["args"].clone();
    args["output_node_names"] = json!(outputs.join(","));
    let (graph, _) = frozen(args);
    for (name, want) in folded {
        assert_eq!(&as_json(tensor_of(node(&graph, name))), want, "{name}");
    }
}

#[test]
fn with_the_batch_known_no_shape_subgraph_is_left() {
    let (graph, stderr) = frozen(variant("fold_constants_shapes")["args"].clone());
    let left: Vec<&str> = graph
        .node
        .iter()
        .map(|n| n.op.as_str())
        .filter(|op| {
            [
                "Shape",
                "ShapeN",
                "Size",
                "Rank",
                "Pack",
                "Range",
                "Fill",
                "ConcatV2",
                "ExpandDims",
                "Squeeze",
                "FloorDiv",
                "FloorMod",
                "Neg",
                "Maximum",
                "Minimum",
            ]
            .contains(op)
        })
        .collect();
    assert!(left.is_empty(), "{left:?}");
    // The Const stands where the Pack was, and x still runs before it.
    let stack = node(&graph, "stack");
    assert_eq!(stack.input, ["^x"]);
    assert_eq!(node(&graph, "flat").input, ["x", "stack"]);
    for line in [
        "folded Pack 'stack' into a Const (int32 [2]) = [2, -1]",
        "folded ConcatV2 'concat' into a Const (int32 [2]) = [2, 5]",
        "removed 86 node(s) that only folded nodes read: w, Shape, ",
    ] {
        assert!(stderr.contains(line), "{line}\n{stderr}");
    }
}

#[test]
fn with_the_batch_open_only_what_does_not_depend_on_it_folds() {
    let (graph, stderr) = frozen(variant("fold_constants")["args"].clone());
    assert_eq!(node(&graph, "Shape").op, "Shape");
    assert_eq!(node(&graph, "stack").op, "Pack");
    // The rank of [?, 3, 4] is known.
    assert_eq!(
        as_json(tensor_of(node(&graph, "rank")))["values"],
        json!([3])
    );
    assert!(
        stderr.contains("folded Identity 'w/read' into a Const (float32 [12, 5])"),
        "{stderr}"
    );
}

#[test]
fn the_cli_reports_each_fold_and_refuses_a_value_that_is_not_a_boolean() {
    let dir = tempfile::tempdir().unwrap();
    let report = dir.path().join("report.json");
    let mut args = flags(
        NAME,
        &fixture(NAME),
        Some(&variant("fold_constants_shapes")["args"]),
    );
    args.push(format!("--report={}", report.display()));
    let run = freeze(&args);
    assert_eq!(run.status, 0, "{}", run.stderr);
    let text = std::fs::read_to_string(&report).unwrap();
    assert!(
        text.contains("folded Pack 'stack' into a Const (int32 [2]) = [2, -1]"),
        "{text}"
    );
    let mut bad = flags(NAME, &fixture(NAME), None);
    bad.push("--fold_constants=maybe".into());
    let run = freeze(&bad);
    assert_eq!(run.status, 2, "{}", run.stderr);
    assert!(
        run.stderr.contains("--fold_constants takes true or false"),
        "{}",
        run.stderr
    );
    assert!(run.output.is_none());
}

#[test]
fn every_listed_op_gives_tfs_value_on_the_fold_ops_fixture() {
    let name = "fold_ops";
    let meta = fixture(name);
    let run = freeze(&flags(
        name,
        &meta,
        Some(&meta["variants"]["fold_constants"]["args"]),
    ));
    assert_eq!(run.status, 0, "{}", run.stderr);
    let graph = GraphDef::decode(run.output.unwrap().as_slice()).unwrap();
    let outputs = meta["outputs"].as_object().unwrap();
    let mut checked = 0;
    for (tensor, want) in outputs.iter().filter(|(t, _)| *t != "out:0") {
        let node = node(&graph, tensor.trim_end_matches(":0"));
        assert_eq!(&as_json(tensor_of(node)), want, "{tensor}");
        checked += 1;
    }
    assert_eq!(checked, 93);
    // Only the fed `x` and the dense `out` are not Consts (the weights read by
    // `w/read` are one now).
    let left: Vec<&str> = graph
        .node
        .iter()
        .filter(|n| n.op != "Const")
        .map(|n| n.op.as_str())
        .collect();
    assert_eq!(left, ["Placeholder", "MatMul"]);
}
