//! The transforms that make a frozen graph run where it goes (`--input_names`,
//! `--input_shapes`, `--fix_legacy_shapes`, `--strip_debug_ops`,
//! `--fold_batch_norms`) on fixtures made with TensorFlow 2.21. Where TF's
//! `optimize_for_inference` does the same, the generator kept TF's result as
//! `tf_optimized_<variant>.pb`: ours has the same nodes, byte for byte, in the
//! same order. Each variant's output is also the one `verify_frozen.py` ran in
//! TF (`expected_<variant>.pb`, checked by `tests/cleanups.rs`).

// Integration tests fail by panicking.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use prost::Message;
use serde_json::Value;
use tf_freeze::proto::{attr_value, GraphDef, NodeDef};

mod common;
use common::{assert_same_bytes, fixture, flags, freeze, read, Run};

fn run(name: &str, extra: Value) -> Run {
    let extra = Some(&extra).filter(|e| !e.is_null());
    freeze(&flags(name, &fixture(name), extra))
}

fn frozen(name: &str, extra: Value) -> (GraphDef, String) {
    let run = run(name, extra);
    assert_eq!(run.status, 0, "{name}: {}", run.stderr);
    let bytes = run.output.expect("output written");
    (
        GraphDef::decode(bytes.as_slice()).expect("a GraphDef"),
        run.stderr,
    )
}

fn variant_args(name: &str, variant: &str) -> Value {
    fixture(name)["variants"][variant]["args"].clone()
}

fn node<'a>(graph: &'a GraphDef, name: &str) -> &'a NodeDef {
    graph
        .node
        .iter()
        .find(|n| n.name == name)
        .unwrap_or_else(|| panic!("no node '{name}'"))
}

fn shape(node: &NodeDef) -> Option<Vec<i64>> {
    match node.attr.get("shape").and_then(|a| a.value.as_ref()) {
        Some(attr_value::Value::Shape(s)) if s.unknown_rank => None,
        Some(attr_value::Value::Shape(s)) => Some(s.dim.iter().map(|d| d.size).collect()),
        other => panic!("{}: no shape attr: {other:?}", node.name),
    }
}

#[test]
fn the_new_fixtures_freeze_as_tf_does_without_the_flags() {
    for name in [
        "bn_fold",
        "bn_fold_more",
        "debug_ops",
        "cut_inputs",
        "legacy_shapes",
        "fold_shapes",
        "fold_ops",
    ] {
        let run = freeze(&flags(name, &fixture(name), None));
        assert_eq!(run.status, 0, "{name}: {}", run.stderr);
        assert_same_bytes(name, &run.output.unwrap(), &read(name, "tf_frozen.pb"));
    }
}

/// Ours against TF's `optimize_for_inference` passes: every NodeDef the
/// same bytes, in the same order. TF's `remove_training_nodes` writes a
/// GraphDef without `versions`; ours keeps the frozen graph's.
fn assert_nodes_match_tf(name: &str, variant: &str) {
    let (ours, _) = frozen(name, variant_args(name, variant));
    let tf =
        GraphDef::decode(read(name, &format!("tf_optimized_{variant}.pb")).as_slice()).unwrap();
    let names = |g: &GraphDef| g.node.iter().map(|n| n.name.clone()).collect::<Vec<_>>();
    assert_eq!(names(&ours), names(&tf), "{name} [{variant}]: node order");
    for (a, b) in ours.node.iter().zip(&tf.node) {
        assert_eq!(
            a.encode_to_vec(),
            b.encode_to_vec(),
            "{name} [{variant}]: node '{}'",
            a.name
        );
    }
    let tf_frozen = GraphDef::decode(read(name, "tf_frozen.pb").as_slice()).unwrap();
    assert_eq!(ours.versions, tf_frozen.versions);
    // TF's passes drop `versions` (remove_training_nodes writes a new
    // GraphDef; fold_batch_norms then copies its empty one).
    assert!(tf.versions.is_none_or(|v| v.producer == 0));
}

#[test]
fn strip_debug_ops_gives_the_nodes_of_tfs_remove_training_nodes() {
    assert_nodes_match_tf("bn_fold", "strip_debug_ops");
}

#[test]
fn fold_batch_norms_gives_the_nodes_of_tfs_optimize_for_inference() {
    // Weights and offsets bit for bit: TF's float32/float64 steps, copied.
    assert_nodes_match_tf("bn_fold", "optimize_for_inference");
}

#[test]
fn each_fold_is_reported_with_the_weights_read_into_memory() {
    let (graph, stderr) = frozen("bn_fold", variant_args("bn_fold", "optimize_for_inference"));
    for (bn, conv) in [
        (
            "batch norm 'bn_v3/FusedBatchNormV3'",
            "Conv2D 'conv_v3/Conv2D'",
        ),
        (
            "batch norm 'bn_v1/FusedBatchNorm'",
            "Conv2D 'conv_v1/Conv2D'",
        ),
        (
            "batch norm 'bn_dw3/FusedBatchNormV3'",
            "DepthwiseConv2dNative 'dw3/depthwise'",
        ),
        (
            "the mul/add batch norm 'bn_dec/batchnorm/add_1'",
            "Conv2D 'conv_dec/Conv2D'",
        ),
        (
            "the mul/add batch norm 'bn_dec1/batchnorm/add_1'",
            "Conv2D 'conv_dec1/Conv2D'",
        ),
    ] {
        let line = format!("folded {bn} into {conv}: its weights");
        assert!(stderr.contains(&line), "{line}\n{stderr}");
    }
    assert!(stderr.contains("(288 bytes, read into memory)"), "{stderr}");
    assert!(graph
        .node
        .iter()
        .all(|n| !n.op.starts_with("FusedBatchNorm")));
}

#[test]
fn folds_beyond_tf_v2_shared_weights_and_matmul() {
    for variant in ["fold_batch_norms", "optimize_for_inference"] {
        let (graph, stderr) = frozen("bn_fold_more", variant_args("bn_fold_more", variant));
        for bn in [
            "bn_v2_0/FusedBatchNormV2",
            "bn_v2_1/FusedBatchNormV2",
            "bn_fc/batchnorm/add_1",
            "bn_fc_t/batchnorm/add_1",
        ] {
            assert_eq!(node(&graph, bn).op, "BiasAdd", "{variant}: {bn}\n{stderr}");
        }
        // The shared depthwise weights went with both folds.
        assert!(
            graph.node.iter().all(|n| n.name != "dw/depthwise_weights"),
            "{variant}"
        );
    }
}

#[test]
fn strip_debug_ops_removes_every_debug_op() {
    let (graph, stderr) = frozen("debug_ops", variant_args("debug_ops", "strip_debug_ops"));
    for op in [
        "CheckNumerics",
        "Print",
        "PrintV2",
        "Assert",
        "PreventGradient",
        "StopGradient",
    ] {
        assert!(
            graph.node.iter().all(|n| n.op != op),
            "{op} left:\n{stderr}"
        );
    }
    for line in [
        "removed CheckNumerics 'check'",
        "removed Print 'print'",
        "removed Assert ",
        "removed PrintV2 ",
    ] {
        assert!(stderr.contains(line), "{line}\n{stderr}");
    }
    assert_eq!(node(&graph, "out").op, "Identity");
    assert_eq!(node(&graph, "Relu").input, vec!["MatMul"]);
    assert!(
        graph.node.iter().all(|n| !n.name.contains("AssertGuard")),
        "the guard cond is pruned"
    );
}

#[test]
fn input_names_cut_the_graph_into_placeholders() {
    let (graph, stderr) = frozen("cut_inputs", variant_args("cut_inputs", "cut_stack"));
    let stack = node(&graph, "stack");
    assert_eq!(
        (stack.op.as_str(), shape(stack)),
        ("Placeholder", Some(vec![-1, 4]))
    );
    assert!(
        graph
            .node
            .iter()
            .all(|n| n.op != "DecodeCSV" && n.name != "lines"),
        "pruned"
    );
    assert!(stderr.contains("cut the graph at 'stack' (Pack): it is now placeholder 'stack' (float32, shape [-1, 4])"), "{stderr}");

    let (graph, _) = frozen("cut_inputs", variant_args("cut_inputs", "cut_ports"));
    for name in ["DecodeCSV", "DecodeCSV_1", "DecodeCSV_2", "DecodeCSV_3"] {
        assert_eq!(shape(node(&graph, name)), Some(vec![-1]), "{name}");
    }
    assert_eq!(
        node(&graph, "stack").input,
        ["DecodeCSV", "DecodeCSV_1", "DecodeCSV_2", "DecodeCSV_3"]
    );
}

#[test]
fn input_shapes_set_shapes_and_refuse_contradictions_naming_the_node() {
    let (graph, _) = frozen("cut_inputs", variant_args("cut_inputs", "cut_stack_shape"));
    assert_eq!(shape(node(&graph, "stack")), Some(vec![2, 4]));
    let (graph, stderr) = frozen("cut_inputs", variant_args("cut_inputs", "input_shapes"));
    assert_eq!(shape(node(&graph, "lines")), Some(vec![2]));
    assert!(
        stderr.contains("set the shape of placeholder 'lines' to [2] (was [-1])"),
        "{stderr}"
    );

    let bad = run(
        "cut_inputs",
        serde_json::json!({"input_names": "stack", "input_shapes": "stack=2,5"}),
    );
    assert_eq!(bad.status, 1, "{}", bad.stderr);
    assert!(
        bad.stderr.contains("stack: has shape [-1, 4]"),
        "{}",
        bad.stderr
    );
    assert!(bad.output.is_none());
    let bad = run(
        "cut_inputs",
        serde_json::json!({"input_shapes": "lines=2,2"}),
    );
    assert_eq!(bad.status, 1, "{}", bad.stderr);
    assert!(
        bad.stderr.contains("lines: has shape [-1] (rank 1)"),
        "{}",
        bad.stderr
    );
    let bad = run(
        "cut_inputs",
        serde_json::json!({"input_shapes": "lines=two"}),
    );
    assert_eq!(bad.status, 2, "{}", bad.stderr);
    assert!(
        bad.stderr.contains("--input_shapes: 'lines=two'"),
        "{}",
        bad.stderr
    );
    let bad = run(
        "cut_inputs",
        serde_json::json!({"input_names": "DecodeCSV"}),
    );
    assert_eq!(bad.status, 1, "{}", bad.stderr);
    assert!(
        bad.stderr.contains("--input_names DecodeCSV:1"),
        "{}",
        bad.stderr
    );
}

#[test]
fn fix_legacy_shapes_writes_the_unknown_shape_of_an_old_graph() {
    let (graph, _) = frozen("legacy_shapes", Value::Null);
    assert_eq!(
        shape(node(&graph, "x")),
        Some(vec![]),
        "TF keeps `shape {{}}`"
    );
    let (graph, stderr) = frozen(
        "legacy_shapes",
        variant_args("legacy_shapes", "fix_legacy_shapes"),
    );
    assert_eq!(shape(node(&graph, "x")), None);
    assert_eq!(graph.versions.map(|v| v.producer), Some(21));
    assert!(
        stderr
            .contains("placeholder 'x': the legacy shape {} of a producer 21 graph is now unknown"),
        "{stderr}"
    );
}

/// The functions a graph's nodes (and the kept functions' nodes) name.
fn called_functions(graph: &GraphDef) -> Vec<String> {
    let library = graph
        .library
        .as_ref()
        .map(|l| l.function.as_slice())
        .unwrap_or_default();
    let nodes = graph
        .node
        .iter()
        .chain(library.iter().flat_map(|f| &f.node_def));
    let mut names: Vec<String> = nodes
        .flat_map(|n| n.attr.values())
        .filter_map(|a| match &a.value {
            Some(attr_value::Value::Func(f)) => Some(f.name.clone()),
            _ => None,
        })
        .collect();
    names.sort();
    names.dedup();
    names
}

fn library_names(graph: &GraphDef) -> Vec<String> {
    let mut names: Vec<String> = graph
        .library
        .iter()
        .flat_map(|l| &l.function)
        .map(|f| f.signature.as_ref().unwrap().name.clone())
        .collect();
    names.sort();
    names
}

#[test]
fn inline_functions_leaves_no_calls_and_only_the_functions_still_called() {
    let cases: [(&str, &[&str]); 3] = [
        (
            "tf2_saved_model",
            &["while_body_frozen_3", "while_cond_frozen_2"],
        ),
        (
            "tf2_nested_calls",
            &["cond_false_frozen_4", "cond_true_frozen_3"],
        ),
        (
            "tf2_loop_calls",
            &[
                "cond_false_frozen_7",
                "cond_true_frozen_5",
                "while_body_frozen_3",
                "while_cond_frozen_2",
            ],
        ),
    ];
    for (name, kept) in cases {
        let (graph, stderr) = frozen(name, variant_args(name, "inline_functions"));
        let library = graph.library.as_ref().map(|l| l.function.as_slice());
        let everywhere = || {
            let bodies = library.unwrap_or_default().iter().flat_map(|f| &f.node_def);
            graph.node.iter().chain(bodies)
        };
        assert!(
            everywhere().all(|n| !n.op.ends_with("PartitionedCall")),
            "{name}: a call is left"
        );
        assert_eq!(library_names(&graph), kept, "{name}");
        assert_eq!(called_functions(&graph), kept, "{name}");
        assert!(
            stderr.contains("inlined StatefulPartitionedCall 'StatefulPartitionedCall'"),
            "{name}: {stderr}"
        );
        assert!(
            stderr.contains("nothing calls any more"),
            "{name}: {stderr}"
        );
        // The frozen weights reach the bodies' reads (former ReadVariableOps).
        assert!(
            everywhere().any(|n| n.op == "Identity" && n.name.ends_with("ReadVariableOp")),
            "{name}"
        );
    }
}

#[test]
fn inline_functions_inlines_the_calls_inside_loop_bodies_and_branches() {
    let (_, stderr) = frozen(
        "tf2_loop_calls",
        variant_args("tf2_loop_calls", "inline_functions"),
    );
    for function in [
        "while_body_frozen_3",
        "cond_true_frozen_5",
        "cond_false_frozen_7",
    ] {
        assert!(
            stderr.contains(&format!(
                "in function '{function}': inlined StatefulPartitionedCall"
            )),
            "{function}: {stderr}"
        );
    }
}

#[test]
fn inline_functions_keeps_the_fetched_call_and_its_control_edges() {
    let (graph, _) = frozen(
        "tf2_nested_calls",
        variant_args("tf2_nested_calls", "inline_functions"),
    );
    // The signature's outputs are `StatefulPartitionedCall:0` and `:1`.
    let call = node(&graph, "StatefulPartitionedCall");
    assert_eq!(call.op, "IdentityN");
    assert_eq!(
        call.input,
        [
            "StatefulPartitionedCall/Identity",
            "StatefulPartitionedCall/Identity_1",
            "^StatefulPartitionedCall/output_control_node",
        ]
    );
    // The edges the bodies had on the reads of variables, now Identities of
    // Consts, are gone: `out` waited for the inner call, whose body only read
    // variables. What waits for the cond (an If, not a constant) stays.
    let inner = "StatefulPartitionedCall/StatefulPartitionedCall/StatefulPartitionedCall";
    let add_y = node(
        &graph,
        "StatefulPartitionedCall/StatefulPartitionedCall/add/y",
    );
    assert!(add_y.input.is_empty(), "{:?}", add_y.input);
    let waits = node(
        &graph,
        "StatefulPartitionedCall/StatefulPartitionedCall/output_control_node",
    );
    assert_eq!(
        waits.input,
        ["^StatefulPartitionedCall/StatefulPartitionedCall/cond"]
    );
    assert!(graph
        .node
        .iter()
        .flat_map(|n| &n.input)
        .all(|i| !i.starts_with('^') || !i.ends_with("ReadVariableOp")));
    // Names come from the FunctionDef's `node:out_arg:index`: `Sum`'s output.
    assert_eq!(
        node(&graph, &format!("{inner}/Identity_1")).input[0],
        format!("{inner}/Sum")
    );
}

#[test]
fn inline_functions_leaves_functional_control_flow_alone() {
    // cfv2_meta has While and If, but no call to inline.
    let name = "cfv2_meta";
    let plain = run(name, Value::Null);
    let inlined = run(name, serde_json::json!({"inline_functions": true}));
    assert_eq!(inlined.status, 0, "{}", inlined.stderr);
    assert_same_bytes(name, &inlined.output.unwrap(), &plain.output.unwrap());
}

#[test]
fn inline_functions_is_opt_in() {
    let (graph, _) = frozen("tf2_nested_calls", Value::Null);
    assert_eq!(
        node(&graph, "StatefulPartitionedCall").op,
        "StatefulPartitionedCall"
    );
}
