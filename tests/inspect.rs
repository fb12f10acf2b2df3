//! The inspect report and the cleanup rewrites on the graphs and checkpoints
//! that TensorFlow 2.21 made (tests/fixtures/generate.py).

// Integration tests fail by panicking.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use serde_json::Value;
use tf_freeze::bundle::BundleIndex;
use tf_freeze::cleanup;
use tf_freeze::graph::{self, names, Expect, LoadedGraph};
use tf_freeze::inspect::{self, ProblemKind, Report};
use tf_freeze::proto::{op_def, GraphDef, NodeDef, OpDef, OpList};
use tf_freeze::{Checkpoint, Error, InputFile, Options};

fn fixtures_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures")
}

fn fixture_json(name: &str) -> Value {
    let path = fixtures_dir().join(name).join("fixture.json");
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    serde_json::from_str(&text).expect("fixture.json parses")
}

/// Every fixture made from a graph file and a V2 checkpoint, in name order
/// (SavedModel fixtures are folders, which the report does not read).
fn fixture_names() -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(fixtures_dir())
        .expect("fixtures dir")
        .filter_map(|e| e.ok())
        .filter(|e| e.path().join("fixture.json").is_file())
        .filter(|e| e.path().join("model.ckpt.index").is_file())
        .filter_map(|e| e.file_name().into_string().ok())
        .filter(|name| graph_file(name).is_some())
        .collect();
    names.sort();
    assert!(names.len() >= 10, "found only {names:?}");
    names
}

/// The fixture's graph file and what it holds.
fn graph_file(name: &str) -> Option<(String, Expect)> {
    let meta = fixture_json(name);
    let args = &meta["args"];
    let found = [
        ("input_meta_graph", Expect::MetaGraphDef),
        ("input_graph", Expect::GraphDef),
    ]
    .into_iter()
    .find_map(|(flag, expect)| {
        let file = args[flag].as_str().filter(|f| !f.is_empty())?;
        Some((file.to_owned(), expect))
    });
    found.filter(|(file, _)| fixtures_dir().join(name).join(file).is_file())
}

/// Fixtures whose TF-frozen graph TF itself refuses for a ref input
/// (`expected float_ref`): the report must warn about exactly those.
fn expects_ref_problems(name: &str) -> bool {
    let text = std::fs::read_to_string(fixtures_dir().join(name).join("fixture.json"))
        .expect("fixture.json");
    let meta: Value = serde_json::from_str(&text).expect("json");
    meta["tf_frozen_error"]
        .as_str()
        .is_some_and(|e| e.contains("float_ref"))
}

/// Asserts the problems are none, or, where TF's output fails on a ref input,
/// only ref-input problems that say how to fix them.
fn assert_problems_as_tf(name: &str, problems: &[inspect::Problem]) {
    if expects_ref_problems(name) {
        assert!(!problems.is_empty(), "{name}: the ref inputs are reported");
        for problem in problems {
            assert_eq!(
                problem.kind,
                inspect::ProblemKind::RefInput,
                "{name}: {problem:?}"
            );
            assert!(
                problem.message.contains("`fix_ref_ops`"),
                "{name}: {}",
                problem.message
            );
        }
    } else {
        assert!(problems.is_empty(), "{name}: {problems:?}");
    }
}

fn load_graph(name: &str) -> LoadedGraph {
    let (file, expect) = graph_file(name).expect("a graph file");
    let bytes = std::fs::read(fixtures_dir().join(name).join(&file)).expect("graph file");
    let input = InputFile {
        name: &file,
        bytes: &bytes,
    };
    graph::load(input, expect, None).unwrap_or_else(|e| panic!("{name}: {e}"))
}

fn load_index(name: &str) -> BundleIndex {
    let path = fixtures_dir().join(name).join("model.ckpt.index");
    let bytes = std::fs::read(&path).expect("index file");
    BundleIndex::parse("model.ckpt.index", &bytes).expect("index parses")
}

fn load_checkpoint(name: &str) -> Checkpoint {
    Checkpoint::from_bundle("model.ckpt.index", load_index(name))
}

fn outputs_of(name: &str) -> Vec<String> {
    let meta = fixture_json(name);
    tf_freeze::split_list(meta["args"]["output_node_names"].as_str().expect("outputs"))
}

/// The report with the fixture's own `initialize_missing`.
fn report(name: &str) -> Report {
    let mut options = Options::default();
    options.initialize_missing = fixture_json(name)["args"]["initialize_missing"] == true;
    inspect::inspect(
        &load_graph(name),
        Some(&load_checkpoint(name)),
        None,
        &options,
    )
}

#[test]
fn real_outputs_are_ranked_first() {
    // The --fold_constants fixtures are not models: fold_ops's 93 outputs are
    // constant computations of every op the fold evaluates, and fold_shapes's
    // second output is an int32 computed from Shape(x) alone, to be folded.
    let models = fixture_names()
        .into_iter()
        .filter(|n| n != "fold_ops" && n != "fold_shapes");
    for name in models {
        let wanted: BTreeSet<String> = outputs_of(&name).into_iter().collect();
        let report = report(&name);
        let names = report.suggested_names();
        let first: BTreeSet<String> = names
            .iter()
            .take(wanted.len())
            .map(|s| s.to_string())
            .collect();
        assert_eq!(first, wanted, "{name}: suggestions {names:?}");
    }
}

#[test]
fn inputs_are_the_fixture_placeholders() {
    for name in fixture_names() {
        let meta = fixture_json(&name);
        let fed = meta["inputs"].as_object().expect("inputs");
        let report = report(&name);
        let required: BTreeSet<&str> = report
            .inputs
            .iter()
            .filter(|i| !i.has_default)
            .map(|i| i.name.as_str())
            .collect();
        let expected: BTreeSet<&str> = fed.keys().map(String::as_str).collect();
        assert_eq!(required, expected, "{name}");
        for input in report.inputs.iter().filter(|i| !i.has_default) {
            let value = &fed[&input.name];
            assert_eq!(
                Some(value["dtype"].as_str().expect("dtype")),
                input.dtype.as_deref(),
                "{name}: {}",
                input.name
            );
            let fed_shape: Vec<i64> = value["shape"]
                .as_array()
                .expect("shape")
                .iter()
                .filter_map(Value::as_i64)
                .collect();
            // An unknown shape (legacy_shapes' `shape {}`, read as TF reads it) takes any feed.
            let Some(shape) = input.shape.as_ref() else {
                continue;
            };
            assert_eq!(shape.len(), fed_shape.len(), "{name}: {}", input.name);
            for (declared, fed) in shape.iter().zip(&fed_shape) {
                assert!(
                    *declared == -1 || declared == fed,
                    "{name}: {shape:?} vs {fed_shape:?}"
                );
            }
        }
    }
}

fn element_size(dtype: &str) -> Option<u64> {
    Some(match dtype {
        "bool" | "int8" | "uint8" => 1,
        "float16" | "bfloat16" | "int16" | "uint16" => 2,
        "float32" | "int32" | "uint32" => 4,
        "float64" | "int64" | "uint64" | "complex64" => 8,
        "complex128" => 16,
        _ => return None,
    })
}

#[test]
fn variables_are_the_checkpoint_entries_with_their_sizes() {
    for name in fixture_names() {
        let index = load_index(&name);
        let report = report(&name);
        let listed: Vec<&str> = report.variables.iter().map(|v| v.name.as_str()).collect();
        assert_eq!(listed, index.tensor_names(), "{name}");
        for variable in &report.variables {
            let dtype = variable.dtype.as_deref().expect("dtype");
            let elements: i64 = variable.shape.as_ref().expect("shape").iter().product();
            match element_size(dtype) {
                Some(size) => assert_eq!(
                    variable.bytes,
                    elements as u64 * size,
                    "{name}: {}",
                    variable.name
                ),
                None => assert!(
                    variable.bytes > 0 || elements == 0,
                    "{name}: {}",
                    variable.name
                ),
            }
            assert!(variable.used_by_graph, "{name}: {} unused", variable.name);
        }
        let total: u64 = report.variables.iter().map(|v| v.bytes).sum();
        assert_eq!(report.summary.checkpoint_bytes, total, "{name}");
        // Where the variable node and the key share a name, dtype and shape agree.
        for expected in fixture_json(&name)["variables"]
            .as_array()
            .expect("variables")
        {
            let node = expected["name"].as_str().expect("name");
            let Some(found) = report.variables.iter().find(|v| v.name == node) else {
                continue;
            };
            assert_eq!(
                found.dtype.as_deref(),
                expected["dtype"].as_str(),
                "{name}: {node}"
            );
            let shape: Vec<i64> = expected["shape"]
                .as_array()
                .expect("shape")
                .iter()
                .filter_map(Value::as_i64)
                .collect();
            assert_eq!(found.shape.as_ref(), Some(&shape), "{name}: {node}");
        }
    }
}

#[test]
fn fixtures_report_no_problems() {
    for name in fixture_names() {
        let report = report(&name);
        assert_problems_as_tf(&name, &report.problems);
        assert!(report.summary.variables > 0 && report.summary.nodes > report.summary.variables);
    }
}

#[test]
fn partitioned_tensors_count_all_their_parts() {
    let report = report("partitioned_meta");
    let emb = report
        .variables
        .iter()
        .find(|v| v.name == "emb")
        .expect("emb");
    let parts: i64 = emb.shape.as_ref().expect("shape").iter().product();
    assert_eq!(emb.bytes, parts as u64 * 4);
}

#[test]
fn a_foreign_checkpoint_is_reported() {
    let graph = load_graph("mlp_binary");
    let index = load_checkpoint("seed_text");
    let report = inspect::inspect(&graph, Some(&index), None, &Options::default());
    let of = |kind: ProblemKind| -> BTreeSet<&str> {
        report
            .problems
            .iter()
            .filter(|p| p.kind == kind)
            .map(|p| p.name.as_str())
            .collect()
    };
    let missing: BTreeSet<&str> = [
        "hidden1/weights",
        "hidden1/biases",
        "hidden2/weights",
        "hidden2/biases",
        "logits/weights",
        "logits/biases",
    ]
    .into();
    assert_eq!(of(ProblemKind::MissingVariable), missing);
    let keys = index.tensor_names();
    let unused: BTreeSet<&str> = keys.iter().map(String::as_str).collect();
    assert_eq!(of(ProblemKind::UnusedEntry), unused);
    assert!(report.variables.iter().all(|v| !v.used_by_graph));
    let message = &report.problems.first().expect("a problem").message;
    assert!(message.contains("'hidden1/weights'"), "{message}");
}

#[test]
fn a_wrong_dtype_is_reported() {
    let mut graph = load_graph("mlp_binary");
    let index = load_checkpoint("mlp_binary");
    let node = graph
        .graph
        .node
        .iter_mut()
        .find(|n| n.name == "logits/biases")
        .expect("variable");
    if let Some(attr) = node.attr.get_mut("dtype") {
        attr.value = Some(tf_freeze::proto::attr_value::Value::Type(2));
    }
    let report = inspect::inspect(
        &graph,
        Some(&index),
        Some(&["probs".to_owned()]),
        &Options::default(),
    );
    let problem = report
        .problems
        .iter()
        .find(|p| p.kind == ProblemKind::DtypeMismatch)
        .expect("dtype problem");
    assert_eq!(problem.name, "logits/biases");
    assert_eq!(
        problem.message,
        "logits/biases: the variable is float64 but checkpoint entry 'logits/biases' in \
         model.ckpt.index is float32",
        "the report says it as the freeze does"
    );
}

#[test]
fn chosen_outputs_decide_inputs_and_problems() {
    let graph = load_graph("cnn_meta");
    let index = load_checkpoint("cnn_meta");
    let chosen = [
        "sparse_softmax_cross_entropy_loss/value".to_owned(),
        "nope".to_owned(),
    ];
    let report = inspect::inspect(&graph, Some(&index), Some(&chosen), &Options::default());
    let inputs: Vec<&str> = report.inputs.iter().map(|i| i.name.as_str()).collect();
    assert_eq!(inputs, ["x", "labels", "training"]);
    let unknown = report
        .problems
        .iter()
        .find(|p| p.kind == ProblemKind::UnknownOutput)
        .expect("unknown output");
    assert_eq!(unknown.name, "nope");
    let training = report
        .inputs
        .iter()
        .find(|i| i.name == "training")
        .expect("training");
    assert!(training.has_default);
    assert_eq!(
        (training.dtype.as_deref(), training.shape.as_deref()),
        (Some("bool"), Some(&[][..]))
    );
}

#[test]
fn suggestions_carry_python_dtypes_and_shapes() {
    let report = report("dtypes_meta");
    let find = |n: &str| {
        report
            .suggested_outputs
            .iter()
            .find(|s| s.name == n)
            .expect(n)
    };
    assert_eq!(find("out_float16").dtype.as_deref(), Some("float16"));
    assert_eq!(find("out_bfloat16").dtype.as_deref(), Some("bfloat16"));
    assert_eq!(find("out_string").dtype.as_deref(), Some("string"));
    assert_eq!(find("out_complex64").shape.as_deref(), Some(&[2, 3][..]));
    assert_eq!(find("out_s_uint64").shape.as_deref(), Some(&[][..]));
    let probs = &report_of_cnn().suggested_outputs[0];
    assert_eq!(
        (probs.name.as_str(), probs.op.as_str()),
        ("probs", "Softmax")
    );
    assert_eq!(probs.shape.as_deref(), Some(&[-1, 3][..]));
    assert!(
        probs.reason.contains("a head op")
            && probs
                .reason
                .ends_with("nothing consumes it; reads 'x', 'training', 8 variables"),
        "{}",
        probs.reason
    );
}

fn report_of_cnn() -> Report {
    report("cnn_meta")
}

#[test]
fn json_has_the_documented_shape() {
    let report = report("mlp_binary");
    let text = report.to_json();
    let value: Value = serde_json::from_str(&text).expect("valid JSON");
    let keys = [
        "suggested_outputs",
        "inputs",
        "variables",
        "problems",
        "summary",
    ];
    let positions: Vec<usize> = keys
        .iter()
        .map(|k| {
            text.find(&format!("\n  \"{k}\""))
                .unwrap_or_else(|| panic!("{k}"))
        })
        .collect();
    assert!(positions.windows(2).all(|w| w[0] < w[1]), "{positions:?}");
    assert_eq!(value["suggested_outputs"][0]["name"], "probs");
    assert_eq!(value["suggested_outputs"][0]["shape"], Value::Null);
    assert_eq!(value["inputs"][0]["shape"], serde_json::json!([-1, 4]));
    assert_eq!(value["variables"][0]["name"], "global_step");
    assert_eq!(value["variables"][0]["bytes"], 8);
    assert_eq!(value["summary"]["graph_kind"], "binary GraphDef");
    assert_eq!(value["summary"]["variables"], 7);
    let first = value["suggested_outputs"][0].as_object().expect("object");
    let order: Vec<&str> = first.keys().map(String::as_str).collect();
    assert_eq!(order.len(), 5);
    assert!(text.contains("\"name\": \"probs\",\n      \"op\": \"Softmax\",\n      \"dtype\""));
}

#[test]
fn output_names_resolve() {
    let graph = load_graph("mlp_binary").graph;
    for given in [
        "probs",
        "probs:0",
        "^probs",
        "import/probs",
        " probs ",
        "import/import/probs",
    ] {
        assert_eq!(
            names::resolve_output(&graph, given).as_deref(),
            Ok("probs"),
            "{given}"
        );
    }
    let err = names::resolve_output(&graph, "prob").expect_err("unknown");
    match err {
        Error::UnknownNode { name, suggestions } => {
            assert_eq!(name, "prob");
            assert_eq!(suggestions.first().map(String::as_str), Some("probs"));
        }
        other => panic!("{other}"),
    }
    let mut imported = graph.clone();
    for node in &mut imported.node {
        node.name = format!("import/{}", node.name);
    }
    assert_eq!(
        names::resolve_output(&imported, "probs:0").as_deref(),
        Ok("import/probs")
    );
}

fn node(name: &str, op: &str, inputs: &[&str]) -> NodeDef {
    NodeDef {
        name: name.into(),
        op: op.into(),
        input: inputs.iter().map(|s| s.to_string()).collect(),
        ..Default::default()
    }
}

/// A frozen TF1 batch norm after the moving averages became constants.
fn frozen_batch_norm() -> GraphDef {
    GraphDef {
        node: vec![
            node("bn/moving_mean", "Const", &[]),
            node("bn/delta", "Const", &[]),
            node("training", "Const", &[]),
            node(
                "bn/cond/Switch_1",
                "RefSwitch",
                &["bn/moving_mean", "training"],
            ),
            node(
                "bn/AssignMovingAvg",
                "AssignSub",
                &["bn/moving_mean", "bn/delta"],
            ),
            node("bn/read", "Identity", &["bn/moving_mean"]),
            node("bn/Switch_2", "Switch", &["bn/read", "training"]),
            node("v", "Const", &[]),
            node("v/read", "ReadVariableOp", &["v"]),
            node("custom", "MyApply", &["bn/delta", "bn/moving_mean"]),
        ],
        ..Default::default()
    }
}

#[test]
fn constants_feeding_ref_inputs_are_found() {
    let graph = frozen_batch_norm();
    let problems = inspect::ref_input_problems(&graph, None);
    let names: Vec<&str> = problems.iter().map(|p| p.name.as_str()).collect();
    assert_eq!(names, ["bn/cond/Switch_1", "bn/AssignMovingAvg", "v/read"]);
    assert!(problems.iter().all(|p| p.kind == ProblemKind::RefInput));
    assert!(
        problems[0].message.starts_with("input 0 of 'bn/cond/Switch_1' (RefSwitch) needs a reference but gets Const 'bn/moving_mean'"),
        "{}",
        problems[0].message
    );
    assert!(
        problems[2].message.contains("needs a resource"),
        "{}",
        problems[2].message
    );

    // The .meta's op definitions decide for the ops they define.
    let ops = OpList {
        op: vec![OpDef {
            name: "MyApply".into(),
            input_arg: vec![
                op_def::ArgDef {
                    name: "grad".into(),
                    r#type: 1,
                    ..Default::default()
                },
                op_def::ArgDef {
                    name: "var".into(),
                    r#type: 1,
                    is_ref: true,
                    ..Default::default()
                },
            ],
            ..Default::default()
        }],
    };
    let problems = inspect::ref_input_problems(&graph, Some(&ops));
    let custom = problems
        .iter()
        .find(|p| p.name == "custom")
        .expect("custom op");
    assert!(
        custom
            .message
            .starts_with("input 1 of 'custom' (MyApply) needs a float32_ref"),
        "{}",
        custom.message
    );
}

#[test]
fn fixing_ref_ops_clears_the_type_problems() {
    let mut graph = frozen_batch_norm();
    graph
        .node
        .retain(|n| !matches!(n.name.as_str(), "v" | "v/read" | "custom"));
    let changes = cleanup::fix_ref_ops(&mut graph);
    assert_eq!(
        changes,
        [
            "'bn/cond/Switch_1': RefSwitch → Switch",
            "'bn/AssignMovingAvg': AssignSub → Sub"
        ]
    );
    assert!(inspect::ref_input_problems(&graph, None).is_empty());
}

#[test]
fn graphs_frozen_by_tensorflow_type_check() {
    for name in fixture_names() {
        let path = fixtures_dir().join(&name).join("tf_frozen.pb");
        let Ok(bytes) = std::fs::read(&path) else {
            continue;
        };
        let frozen = graph::load(
            InputFile {
                name: "tf_frozen.pb",
                bytes: &bytes,
            },
            Expect::GraphDef,
            Some(true),
        )
        .expect("frozen graph loads");
        let source = load_graph(&name);
        let op_list = source
            .meta_graph
            .as_ref()
            .and_then(|m| m.meta_info_def.as_ref())
            .and_then(|m| m.stripped_op_list.as_ref());
        let problems = inspect::ref_input_problems(&frozen.graph, op_list);
        // TF keeps the variables it was told to keep; those feed no Const.
        assert_problems_as_tf(&name, &problems);
    }
}

/// The first whole choice of each head fixture: the outputs a person would
/// freeze, with none of the losses, metrics or training networks.
#[test]
fn head_fixtures_pre_fill_their_outputs() {
    for (name, first) in [
        ("heads_gan", "generator/Tanh"),
        ("heads_regression", "pred"),
        ("heads_classifier", "Softmax"),
        ("heads_dqn", "eval_net/l2/add"),
        ("heads_estimator", "softmax_tensor"),
    ] {
        let report = report(name);
        let choice = report.output_choices.first().expect("a choice");
        assert_eq!(
            choice.names.first().map(String::as_str),
            Some(first),
            "{name}"
        );
        for wanted in outputs_of(name) {
            assert!(choice.names.contains(&wanted), "{name}: {choice:?}");
        }
        assert!(
            choice
                .names
                .iter()
                .all(|n| !n.contains("loss") && !n.starts_with("target_net")),
            "{name}: {choice:?}"
        );
    }
}

/// The classifier's labels reach only the loss and the accuracy: the
/// ArgMax of the Softmax is offered with it, the labels' own ArgMax is not.
#[test]
fn labels_are_told_by_where_they_flow() {
    let report = report("heads_classifier");
    let names = report.suggested_names();
    assert_eq!(
        names.get(..2),
        Some(&["Softmax", "ArgMax"][..]),
        "{names:?}"
    );
    assert!(!names.contains(&"ArgMax_1"), "{names:?}");
    let inputs: Vec<&str> = report.inputs.iter().map(|i| i.name.as_str()).collect();
    assert!(!inputs.contains(&"Placeholder_1"), "{inputs:?}");
}

/// Estimator metrics keep local variables no checkpoint holds: what needs
/// them is never offered as a choice.
#[test]
fn outputs_needing_missing_variables_are_not_choices() {
    let report = report("heads_estimator");
    for choice in &report.output_choices {
        assert!(
            choice.names.iter().all(|n| !n.starts_with("accuracy")),
            "{choice:?}"
        );
    }
    assert!(report.signatures.is_empty());
}

/// The partial checkpoint lacks the batch norm's moving statistics, whose
/// initializers are constants: the generator is still the first choice, and
/// its reason says that `initialize_missing` supplies them.
#[test]
fn outputs_whose_missing_variables_initialize_missing_supplies_are_choices() {
    let report = report("partial_checkpoint");
    let choice = report.output_choices.first().expect("a choice");
    assert!(
        choice.names.iter().any(|n| n == "generator/out"),
        "{choice:?}"
    );
    assert!(
        choice.reason.contains("`initialize_missing` gives them"),
        "{choice:?}"
    );
}
