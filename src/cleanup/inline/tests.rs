#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

use super::*;
use crate::graph::test_graph::{find, graph, node, with_attr};
use crate::proto::{op_def::ArgDef, FunctionDefLibrary, NameAttrList, OpDef};

fn arg(name: &str) -> ArgDef {
    ArgDef {
        name: name.into(),
        r#type: 1,
        ..Default::default()
    }
}

fn function(
    name: &str,
    inputs: &[&str],
    outputs: &[(&str, &str)],
    nodes: Vec<NodeDef>,
) -> FunctionDef {
    FunctionDef {
        signature: Some(OpDef {
            name: name.into(),
            input_arg: inputs.iter().map(|a| arg(a)).collect(),
            output_arg: outputs.iter().map(|(a, _)| arg(a)).collect(),
            ..Default::default()
        }),
        ret: outputs
            .iter()
            .map(|(a, r)| ((*a).to_owned(), (*r).to_owned()))
            .collect(),
        node_def: nodes,
        ..Default::default()
    }
}

fn call(name: &str, f: &str, inputs: &[&str]) -> NodeDef {
    with_attr(
        node(name, "StatefulPartitionedCall", inputs),
        "f",
        attr_value::Value::Func(Box::new(NameAttrList {
            name: f.into(),
            ..Default::default()
        })),
    )
}

fn with_library(mut g: GraphDef, functions: Vec<FunctionDef>) -> GraphDef {
    g.library = Some(FunctionDefLibrary {
        function: functions,
        ..Default::default()
    });
    g
}

fn inputs(g: &GraphDef, name: &str) -> Vec<String> {
    find(g, name).input.clone()
}

/// `split` returns (`Unique`'s idx, its argument); `call:0` and `call:1` are read.
fn unique_graph() -> GraphDef {
    let body = function(
        "split",
        &["x", "y"],
        &[("idx", "u:idx:0"), ("same", "y")],
        vec![
            node("u", "Unique", &["x"]),
            node("s", "Shape", &["u:y:0", "^u"]),
        ],
    );
    with_library(
        graph(vec![
            node("a", "Placeholder", &[]),
            node("b", "Const", &[]),
            call("call", "split", &["a", "b:0"]),
            node("out", "AddV2", &["call:1", "call"]),
        ]),
        vec![body],
    )
}

#[test]
fn body_names_become_graph_names() {
    let mut g = unique_graph();
    let changes = inline_functions(&mut g, &["out".into()], true, None).unwrap();
    assert_eq!(inputs(&g, "call/u"), ["a"]);
    assert_eq!(inputs(&g, "call/s"), ["call/u", "^call/u"]);
    // `idx` is Unique's second output: port 1; `same` passes the argument through.
    assert_eq!(inputs(&g, "out"), ["b:0", "call/u:1"]);
    assert!(g.node.iter().all(|n| n.op != "StatefulPartitionedCall"));
    assert!(g.library.is_none(), "nothing calls 'split' any more");
    assert!(changes
        .iter()
        .any(|c| c.contains("inlined StatefulPartitionedCall 'call'")));
    assert!(changes.iter().any(|c| c.contains("dropped 1 function")));
}

#[test]
fn a_fetched_call_keeps_its_name() {
    let mut g = unique_graph();
    let tout = attr_value::ListValue {
        r#type: vec![9, 1],
        ..Default::default()
    };
    g.node[2].attr.insert(
        "Tout".into(),
        AttrValue {
            value: Some(attr_value::Value::List(Box::new(tout))),
        },
    );
    inline_functions(&mut g, &["call".into()], true, None).unwrap();
    let kept = find(&g, "call");
    assert_eq!(kept.op, "IdentityN");
    assert_eq!(kept.input, ["call/u:1", "b:0"]);
}

#[test]
fn control_edges_go_through_noops() {
    let body = function(
        "f",
        &["x"],
        &[("y", "n:y:0")],
        vec![node("n", "Neg", &["x"]), node("k", "Const", &[])],
    );
    let mut f = body;
    f.signature.as_mut().unwrap().control_output = vec!["k".into()];
    f.control_ret.insert("k".into(), "k".into());
    let mut g = with_library(
        graph(vec![
            node("a", "Placeholder", &[]),
            // Not a constant: the edges to it stay.
            node("init", "AssignVariableOp", &[]),
            call("c", "f", &["a", "^init"]),
            node("after", "Identity", &["a", "^c"]),
        ]),
        vec![f],
    );
    inline_functions(&mut g, &["after".into()], true, None).unwrap();
    assert_eq!(inputs(&g, "c/input_control_node"), ["^init"]);
    // Nodes without an input from inside the body wait for the call's control inputs.
    assert_eq!(inputs(&g, "c/n"), ["a", "^c/input_control_node"]);
    assert_eq!(inputs(&g, "c/k"), ["^c/input_control_node"]);
    assert_eq!(inputs(&g, "c/output_control_node"), ["^c/k"]);
    assert_eq!(inputs(&g, "after"), ["a", "^c/output_control_node"]);
}

#[test]
fn nested_calls_are_inlined_with_their_prefixes() {
    let inner = function(
        "inner",
        &["v"],
        &[("r", "m:z:0")],
        vec![node("m", "Mul", &["v", "v"])],
    );
    let outer = function(
        "outer",
        &["x"],
        &[("r", "c2:output:0")],
        vec![call("c2", "inner", &["x"])],
    );
    let loop_body = function("loop_body", &["x"], &[("r", "x")], vec![]);
    let mut g = with_library(
        graph(vec![
            node("a", "Placeholder", &[]),
            call("c1", "outer", &["a"]),
            with_attr(
                node("w", "While", &["c1"]),
                "body",
                attr_value::Value::Func(Box::new(NameAttrList {
                    name: "loop_body".into(),
                    ..Default::default()
                })),
            ),
        ]),
        vec![inner, outer, loop_body],
    );
    inline_functions(&mut g, &["w".into()], true, None).unwrap();
    assert_eq!(inputs(&g, "c1/c2/m"), ["a", "a"]);
    assert_eq!(inputs(&g, "w"), ["c1/c2/m"]);
    let left: Vec<&str> = g
        .library
        .iter()
        .flat_map(|l| &l.function)
        .map(|f| f.signature.as_ref().unwrap().name.as_str())
        .collect();
    assert_eq!(left, ["loop_body"], "the While's body stays");
}

#[test]
fn placeholders_take_the_calls_attrs_and_clashes_get_a_new_prefix() {
    let mut cast = node("cast", "Cast", &["x"]);
    cast.attr.insert(
        "DstT".into(),
        AttrValue {
            value: Some(attr_value::Value::Placeholder("T".into())),
        },
    );
    let f = function("f", &["x"], &[("y", "cast:y:0")], vec![cast]);
    let mut c = call("c", "f", &["a"]);
    if let Some(attr_value::Value::Func(func)) = c.attr.get_mut("f").and_then(|a| a.value.as_mut())
    {
        func.attr
            .insert("T".into(), crate::graph::attrs::type_value(3));
    }
    let mut g = with_library(
        graph(vec![
            node("a", "Placeholder", &[]),
            node("c/cast", "Const", &[]),
            c,
            node("o", "Identity", &["c"]),
        ]),
        vec![f],
    );
    inline_functions(&mut g, &["o".into()], true, None).unwrap();
    let cast = find(&g, "c_1/cast");
    assert_eq!(crate::graph::attrs::type_attr(cast, "DstT"), Some(3));
    assert_eq!(inputs(&g, "o"), ["c_1/cast"]);
}

#[test]
fn devices_follow_clear_devices() {
    let mut n = node("n", "Neg", &["x"]);
    n.device = "/device:CPU:0".into();
    let f = function(
        "f",
        &["x"],
        &[("y", "n:y:0")],
        vec![n, node("k", "Const", &[])],
    );
    let mut c = call("c", "f", &["a"]);
    c.device = "/device:GPU:0".into();
    let g = with_library(graph(vec![node("a", "Placeholder", &[]), c]), vec![f]);
    let mut cleared = g.clone();
    inline_functions(&mut cleared, &["c".into()], true, None).unwrap();
    assert!(cleared.node.iter().all(|n| n.device.is_empty()));
    let mut kept = g;
    inline_functions(&mut kept, &["c".into()], false, None).unwrap();
    assert_eq!(find(&kept, "c/n").device, "/device:CPU:0");
    assert_eq!(
        find(&kept, "c/k").device,
        "/device:GPU:0",
        "the caller's device"
    );
}

#[test]
fn what_cannot_be_numbered_or_ends_is_refused() {
    // A custom op nobody defines: its outputs cannot be counted.
    let f = function(
        "f",
        &["x"],
        &[("y", "n:out:0")],
        vec![node("n", "MyCustomOp", &["x"])],
    );
    let mut g = with_library(
        graph(vec![node("a", "Placeholder", &[]), call("c", "f", &["a"])]),
        vec![f],
    );
    let err = inline_functions(&mut g, &["c".into()], true, None).unwrap_err();
    assert!(err.to_string().contains("MyCustomOp"), "{err}");
    // A list output without its length.
    let f = function(
        "f",
        &["x"],
        &[("y", "s:output:1")],
        vec![node("s", "Split", &["x", "x"])],
    );
    let mut g = with_library(
        graph(vec![node("a", "Placeholder", &[]), call("c", "f", &["a"])]),
        vec![f],
    );
    let err = inline_functions(&mut g, &["c".into()], true, None).unwrap_err();
    assert!(err.to_string().contains("num_split"), "{err}");
    // A function calling itself.
    let f = function(
        "f",
        &["x"],
        &[("y", "again:output:0")],
        vec![call("again", "f", &["x"])],
    );
    let mut g = with_library(
        graph(vec![node("a", "Placeholder", &[]), call("c", "f", &["a"])]),
        vec![f],
    );
    let err = inline_functions(&mut g, &["c".into()], true, None).unwrap_err();
    assert!(err.to_string().contains("nested"), "{err}");
    // Too few inputs for the arguments.
    let f = function("f", &["x", "y"], &[("y", "x")], vec![]);
    let mut g = with_library(
        graph(vec![node("a", "Placeholder", &[]), call("c", "f", &["a"])]),
        vec![f],
    );
    let err = inline_functions(&mut g, &["c".into()], true, None).unwrap_err();
    assert!(err.to_string().contains("do not fit"), "{err}");
}

#[test]
fn a_graph_without_calls_is_left_alone() {
    let f = function("body", &["x"], &[("y", "x")], vec![]);
    let mut g = with_library(
        graph(vec![with_attr(
            node("w", "While", &[]),
            "body",
            attr_value::Value::Func(Box::new(NameAttrList {
                name: "body".into(),
                ..Default::default()
            })),
        )]),
        vec![f],
    );
    let before = g.clone();
    let changes = inline_functions(&mut g, &["w".into()], true, None).unwrap();
    assert!(changes.is_empty(), "{changes:?}");
    assert_eq!(g, before);
}

#[test]
fn a_library_that_doubles_at_every_level_hits_the_limit_quickly() {
    // f0 calls f1 twice, f1 calls f2 twice, ...: 2^40 copies of f40's body.
    let mut functions = Vec::new();
    for level in 0..40 {
        let next = format!("f{}", level + 1);
        functions.push(function(
            &format!("f{level}"),
            &["x"],
            &[("y", "b:output:0")],
            vec![call("a", &next, &["x"]), call("b", &next, &["a:output:0"])],
        ));
    }
    functions.push(function(
        "f40",
        &["x"],
        &[("y", "n:y:0")],
        vec![node("n", "Neg", &["x"])],
    ));
    let mut g = with_library(
        graph(vec![node("p", "Placeholder", &[]), call("c", "f0", &["p"])]),
        functions,
    );
    let started = std::time::Instant::now();
    let err = inline_within(&mut g, &["c".into()], true, None, 50_000).unwrap_err();
    assert!(
        matches!(err, Error::TooLarge { limit: 50_000, .. }),
        "{err}"
    );
    assert!(started.elapsed().as_secs() < 10, "{:?}", started.elapsed());
}

#[test]
fn many_calls_are_counted_after_the_first_ones() {
    let f = function(
        "f",
        &["x"],
        &[("y", "n:y:0")],
        vec![node("n", "Neg", &["x"])],
    );
    let mut nodes = vec![node("p", "Placeholder", &[])];
    let mut last = "p".to_owned();
    for k in 0..60 {
        let name = format!("c{k}");
        nodes.push(call(&name, "f", &[&last]));
        last = name;
    }
    let mut g = with_library(graph(nodes), vec![f]);
    let changes = inline_functions(&mut g, &[last.clone()], true, None).unwrap();
    assert_eq!(changes.len(), MAX_LISTED + 2, "{changes:?}");
    assert!(
        changes.contains(&"inlined 10 more calls".to_owned()),
        "{changes:?}"
    );
    // The chain is intact: each Neg reads the one before.
    assert_eq!(inputs(&g, "c1/n"), ["c0/n"]);
    assert_eq!(find(&g, &last).op, "Identity");
}

#[test]
fn waits_for_frozen_constants_are_dropped() {
    // A TF2 body: a NoOp waits for the read of a (now frozen) variable, the
    // result waits for the NoOp; control_ret names the read.
    let mut f = function(
        "f",
        &["x", "w"],
        &[("y", "out:output:0")],
        vec![
            node("read", "Identity", &["w"]),
            node("mul", "Mul", &["x", "read:output:0"]),
            node("NoOp", "NoOp", &["^read"]),
            node("out", "Identity", &["mul:z:0", "^NoOp"]),
        ],
    );
    f.signature.as_mut().unwrap().control_output = vec!["read".into()];
    f.control_ret.insert("read".into(), "read".into());
    let mut g = with_library(
        graph(vec![
            node("p", "Placeholder", &[]),
            node("w", "Const", &[]),
            call("c", "f", &["p", "w"]),
        ]),
        vec![f],
    );
    let changes = inline_functions(&mut g, &["c".into()], true, None).unwrap();
    assert_eq!(inputs(&g, "c/out"), ["c/mul"]);
    assert_eq!(inputs(&g, "c"), ["c/out"], "the stand-in waits for nothing");
    assert!(g.node.iter().all(|n| n.op != "NoOp"), "{:?}", g.node);
    assert!(
        changes
            .iter()
            .any(|c| c.contains("dropped 4 control edges")),
        "{changes:?}"
    );
}

#[test]
fn list_arguments_and_list_outputs_expand_to_several_inputs() {
    let mut f = function(
        "f",
        &["xs", "dim"],
        &[("y", "cat:output:0")],
        vec![
            node("pack", "Pack", &["xs"]),
            with_attr(
                node("sp", "Split", &["dim", "pack:output:0"]),
                "num_split",
                attr_value::Value::I(2),
            ),
            node("cat", "ConcatV2", &["sp:output", "xs:1", "dim"]),
        ],
    );
    f.signature.as_mut().unwrap().input_arg[0].number_attr = "N".into();
    let c = with_attr(
        call("c", "f", &["a", "b", "d"]),
        "N",
        attr_value::Value::I(2),
    );
    let mut g = with_library(
        graph(vec![
            node("a", "Placeholder", &[]),
            node("b", "Placeholder", &[]),
            node("d", "Const", &[]),
            c,
            node("o", "Identity", &["c"]),
        ]),
        vec![f],
    );
    inline_functions(&mut g, &["o".into()], true, None).unwrap();
    assert_eq!(inputs(&g, "c/pack"), ["a", "b"]);
    assert_eq!(inputs(&g, "c/cat"), ["c/sp", "c/sp:1", "b", "d"]);
    assert_eq!(inputs(&g, "o"), ["c/cat"]);
}

#[test]
fn calls_inside_a_kept_while_body_are_inlined_there() {
    let step = function(
        "step",
        &["v"],
        &[("r", "m:z:0")],
        vec![node("m", "Mul", &["v", "v"])],
    );
    let mut body = function(
        "loop_body",
        &["i", "x"],
        &[("i2", "inc:z:0"), ("x2", "c:output:0")],
        vec![
            node("one", "Const", &[]),
            node("inc", "AddV2", &["i", "one:output:0"]),
            call("c", "step", &["x"]),
        ],
    );
    body.signature.as_mut().unwrap().control_output = vec!["c".into()];
    body.control_ret.insert("c".into(), "c".into());
    let mut g = with_library(
        graph(vec![
            node("a", "Placeholder", &[]),
            with_attr(
                node("w", "While", &["a", "a"]),
                "body",
                attr_value::Value::Func(Box::new(NameAttrList {
                    name: "loop_body".into(),
                    ..Default::default()
                })),
            ),
        ]),
        vec![step, body],
    );
    let changes = inline_functions(&mut g, &["w".into()], true, None).unwrap();
    assert!(
        changes
            .iter()
            .any(|c| c.starts_with("in function 'loop_body': inlined StatefulPartitionedCall 'c'")),
        "{changes:?}"
    );
    let library = &g.library.as_ref().unwrap().function;
    assert_eq!(library.len(), 1, "'step' is not called any more");
    let body = &library[0];
    let names: Vec<(&str, &str, Vec<&str>)> = body
        .node_def
        .iter()
        .map(|n| {
            (
                n.name.as_str(),
                n.op.as_str(),
                n.input.iter().map(String::as_str).collect(),
            )
        })
        .collect();
    assert!(names.contains(&("c/m", "Mul", vec!["x", "x"])), "{names:?}");
    assert!(
        names.contains(&("inc", "AddV2", vec!["i", "one:output:0"])),
        "{names:?}"
    );
    // The call keeps its name for the results and control_ret that name it.
    assert!(
        names.contains(&("c", "Identity", vec!["c/m:z:0"])),
        "{names:?}"
    );
    assert_eq!(body.ret["x2"], "c:output:0");
    assert_eq!(body.ret["i2"], "inc:z:0");
}
