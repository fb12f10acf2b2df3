//! Following a variable into function bodies: the resource_text fixture with
//! a call on variable `dense/bias` into a library of up to 4,096 functions,
//! each passing its argument on to others (any of them, itself included, so
//! recursion, diamonds and chains thousands deep occur), reading it, or
//! handing it to If/While. The freeze must refuse or succeed, never overflow
//! the stack, and a success must be a GraphDef.
#![no_main]

use std::sync::OnceLock;

use arbitrary::Arbitrary;
use libfuzzer_sys::fuzz_target;
use tf_freeze::graph::{self, Expect};
use tf_freeze::proto::{attr_value, AttrValue, FunctionDef, GraphDef, NameAttrList, NodeDef};
use tf_freeze::wire::Message;
use tf_freeze_fuzz::{Fixture, Inputs};

const GRAPH: &[u8] = include_bytes!("../../tests/fixtures/resource_text/graph.pbtxt");
const FIXTURE: Fixture = Fixture {
    name: "resource_text",
    graph: ("graph.pb", &[]),
    meta: false,
    index: include_bytes!("../../tests/fixtures/resource_text/model.ckpt.index"),
    data: &[include_bytes!(
        "../../tests/fixtures/resource_text/model.ckpt.data-00000-of-00001"
    )],
    outputs: "chain_out",
};

#[derive(Arbitrary, Debug)]
enum Step {
    Call(u16),
    Read,
    If(u16, u16),
    While(u16),
}

#[derive(Arbitrary, Debug)]
struct Library {
    /// A chain 0 -> 1 -> ... of this length comes first, then `functions`.
    chain: u16,
    functions: Vec<Vec<Step>>,
}

fn base() -> &'static GraphDef {
    static BASE: OnceLock<GraphDef> = OnceLock::new();
    BASE.get_or_init(|| {
        let file = tf_freeze::InputFile {
            name: "graph.pbtxt",
            bytes: GRAPH,
        };
        graph::load(file, Expect::GraphDef, Some(false))
            .expect("fixture")
            .graph
    })
}

fn func(name: String) -> AttrValue {
    AttrValue {
        value: Some(attr_value::Value::Func(NameAttrList {
            name,
            ..Default::default()
        })),
    }
}

fn types(dtype: i32) -> AttrValue {
    AttrValue {
        value: Some(attr_value::Value::List(attr_value::ListValue {
            r#type: vec![dtype],
            ..Default::default()
        })),
    }
}

const RESOURCE: i32 = 20;
const FLOAT: i32 = 1;

fn node(name: &str, op: &str, input: &[&str], attrs: Vec<(&str, AttrValue)>) -> NodeDef {
    NodeDef {
        name: name.into(),
        op: op.into(),
        input: input.iter().map(|s| s.to_string()).collect(),
        attr: attrs.into_iter().map(|(k, v)| (k.to_owned(), v)).collect(),
        ..Default::default()
    }
}

fn call(name: &str, input: &str, callee: String) -> NodeDef {
    let attrs = vec![
        ("Tin", types(RESOURCE)),
        ("Tout", types(FLOAT)),
        ("f", func(callee)),
    ];
    node(name, "StatefulPartitionedCall", &[input], attrs)
}

fn body(i: usize, steps: &[Step], count: usize) -> FunctionDef {
    let name = |k: u16| format!("f{}", usize::from(k) % count);
    let mut nodes = Vec::new();
    for (j, step) in steps.iter().take(8).enumerate() {
        let id = format!("s{j}");
        nodes.push(match step {
            Step::Call(k) => call(&id, "x", name(*k)),
            Step::Read => node(&id, "ReadVariableOp", &["x"], vec![]),
            Step::If(a, b) => {
                let attrs = vec![
                    ("Tin", types(RESOURCE)),
                    ("then_branch", func(name(*a))),
                    ("else_branch", func(name(*b))),
                ];
                node(&id, "If", &["x", "x"], attrs)
            }
            Step::While(k) => {
                let attrs = vec![
                    ("T", types(RESOURCE)),
                    ("cond", func(name(*k))),
                    ("body", func(name(*k))),
                ];
                node(&id, "While", &["x"], attrs)
            }
        });
    }
    let ret = nodes
        .first()
        .map(|n| format!("{}:output:0", n.name))
        .unwrap_or_else(|| "x".into());
    FunctionDef {
        signature: Some(tf_freeze::proto::OpDef {
            name: format!("f{i}"),
            input_arg: vec![tf_freeze::proto::op_def::ArgDef {
                name: "x".into(),
                r#type: RESOURCE,
                ..Default::default()
            }],
            output_arg: vec![tf_freeze::proto::op_def::ArgDef {
                name: "y".into(),
                r#type: FLOAT,
                ..Default::default()
            }],
            ..Default::default()
        }),
        node_def: nodes,
        ret: [("y".to_owned(), ret)].into_iter().collect(),
        ..Default::default()
    }
}

fuzz_target!(|library: Library| {
    let chain = usize::from(library.chain % 4096);
    let count = (chain + library.functions.len()).clamp(1, 4096);
    let mut steps: Vec<Vec<Step>> = (0..chain)
        .map(|i| {
            vec![if i + 1 < count {
                Step::Call((i + 1) as u16)
            } else {
                Step::Read
            }]
        })
        .collect();
    steps.extend(library.functions);
    let mut graph = base().clone();
    graph.node.push(call("chain", "dense/bias", "f0".into()));
    graph
        .node
        .push(node("chain_out", "Identity", &["chain"], vec![]));
    graph.library.get_or_insert_with(Default::default).function = steps
        .iter()
        .take(count)
        .enumerate()
        .map(|(i, s)| body(i, s, count))
        .collect();
    let inputs = Inputs {
        graph: graph.encode_to_vec(),
        index: FIXTURE.index.to_vec(),
        data: FIXTURE.data.iter().map(|d| d.to_vec()).collect(),
    };
    if let Ok(output) = FIXTURE.freeze(&inputs) {
        assert!(
            GraphDef::decode(output.as_slice()).is_ok(),
            "the output is no GraphDef"
        );
    }
});
