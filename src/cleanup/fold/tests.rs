use super::value::tests::ints;
use super::value::Value;
use super::*;
use crate::graph::attrs::tensor_attr;
use crate::graph::test_graph::{find, graph, node, shape, with_attr};

fn constant(name: &str, v: &Value, inputs: &[&str]) -> NodeDef {
    let mut n = node(name, "Const", inputs);
    n.attr.insert("value".into(), tensor_attr(v.to_tensor()));
    with_attr(n, "dtype", attr_value::Value::Type(v.dtype() as i32))
}

fn placeholder(name: &str, dims: &[i64]) -> NodeDef {
    with_attr(
        node(name, "Placeholder", &[]),
        "shape",
        attr_value::Value::Shape(Box::new(shape(dims))),
    )
}

fn value_of(g: &GraphDef, name: &str) -> Value {
    let n = find(g, name);
    assert_eq!(n.op, "Const", "{name}");
    match n.attr.get("value").and_then(|a| a.value.as_ref()) {
        Some(attr_value::Value::Tensor(t)) => Value::from_tensor(t).expect("a value"),
        _ => panic!("no value"),
    }
}

fn shrink_slice(name: &str, input: &str) -> Vec<NodeDef> {
    let (b, e, s) = (ints(&[1], &[0]), ints(&[1], &[1]), ints(&[1], &[1]));
    let slice = node(name, "StridedSlice", &[input, "b", "e", "s"]);
    vec![
        constant("b", &b, &[]),
        constant("e", &e, &[]),
        constant("s", &s, &[]),
        with_attr(slice, "shrink_axis_mask", attr_value::Value::I(1)),
    ]
}

/// `tf.reshape(x, tf.stack([tf.shape(x)[0], -1]))`.
fn reshape_graph(dims: &[i64]) -> GraphDef {
    let mut nodes = vec![placeholder("x", dims), node("Shape", "Shape", &["x"])];
    nodes.extend(shrink_slice("strided_slice", "Shape"));
    nodes.extend([
        constant("minus_one", &ints(&[], &[-1]), &[]),
        node("stack", "Pack", &["strided_slice", "minus_one"]),
        node("Reshape", "Reshape", &["x", "stack"]),
    ]);
    graph(nodes)
}

#[test]
fn a_known_batch_folds_the_shape_subgraph_into_one_const() {
    let mut g = reshape_graph(&[2, 3]);
    let changes = fold_constants(&mut g, &["Reshape".into()]).expect("folds");
    assert_eq!(value_of(&g, "stack"), ints(&[2], &[2, -1]));
    // The shape read from x makes x run first, as TF's folding keeps it.
    assert_eq!(find(&g, "stack").input, ["^x"]);
    let names: Vec<&str> = g.node.iter().map(|n| n.name.as_str()).collect();
    assert_eq!(names, ["x", "stack", "Reshape"]);
    assert_eq!(
        changes,
        [
            "folded Pack 'stack' into a Const (int32 [2]) = [2, -1]",
            "removed 6 node(s) that only folded nodes read: Shape, b, e, s, strided_slice, minus_one"
        ]
    );
}

#[test]
fn an_open_batch_leaves_the_graph_alone() {
    let mut g = reshape_graph(&[-1, 3]);
    let before = g.clone();
    assert!(fold_constants(&mut g, &["Reshape".into()])
        .expect("runs")
        .is_empty());
    assert_eq!(g, before);
}

#[test]
fn control_inputs_of_folded_nodes_and_their_consts_carry_over() {
    let mut g = graph(vec![
        placeholder("gate", &[]),
        placeholder("other", &[]),
        constant("a", &ints(&[2], &[1, 2]), &["^gate"]),
        constant("b", &ints(&[], &[10]), &[]),
        node("sum", "AddV2", &["a", "b", "^other"]),
        node("out", "Identity", &["sum"]),
        node("keep", "Mul", &["b", "b"]),
    ]);
    fold_constants(&mut g, &["out".into(), "keep".into()]).expect("folds");
    assert_eq!(value_of(&g, "out"), ints(&[2], &[11, 12]));
    assert_eq!(find(&g, "out").input, ["^other", "^gate"]);
    // Outputs stay, and so does what they read.
    assert_eq!(value_of(&g, "keep"), ints(&[], &[100]));
    assert!(g
        .node
        .iter()
        .all(|n| n.name != "sum" && n.name != "a" && n.name != "b"));
}

#[test]
fn unlisted_ops_unknown_values_and_failing_kernels_are_left_alone() {
    let mut g = graph(vec![
        placeholder("x", &[-1]),
        constant("a", &ints(&[2], &[4, 6]), &[]),
        constant("zero", &ints(&[], &[0]), &[]),
        node("div", "FloorDiv", &["a", "zero"]),
        node("real", "RealDiv", &["a", "a"]),
        node("fed", "AddV2", &["x", "a"]),
    ]);
    let before = g.clone();
    let outputs = ["div".into(), "real".into(), "fed".into()];
    assert!(fold_constants(&mut g, &outputs).expect("runs").is_empty());
    assert_eq!(g, before);
}

#[test]
fn recorded_shapes_are_read_unless_placeholder_shapes_were_set() {
    let mut relu = node("relu", "Relu", &["x"]);
    relu.attr.insert(
        "_output_shapes".into(),
        crate::proto::AttrValue {
            value: Some(attr_value::Value::List(Box::new(attr_value::ListValue {
                shape: vec![shape(&[4, 3])],
                ..Default::default()
            }))),
        },
    );
    let g = graph(vec![
        placeholder("x", &[-1, 3]),
        relu,
        node("size", "Size", &["relu"]),
        node("rank", "Rank", &["x"]),
    ]);
    let outputs = ["size".into(), "rank".into()];
    let mut trusted = g.clone();
    fold_constants(&mut trusted, &outputs).expect("folds");
    assert_eq!(value_of(&trusted, "size"), ints(&[], &[12]));
    assert_eq!(find(&trusted, "size").input, ["^relu"]);
    assert_eq!(value_of(&trusted, "rank"), ints(&[], &[2]));
    let mut fed = g;
    fold_constants_placeholder_shapes(&mut fed, &outputs).expect("folds");
    assert_eq!(find(&fed, "size").op, "Size");
    assert_eq!(value_of(&fed, "rank"), ints(&[], &[2]));
}

#[test]
fn shape_n_outputs_become_consts_named_as_grappler_names_them() {
    let mut g = graph(vec![
        placeholder("x", &[2, 3]),
        placeholder("y", &[5]),
        with_attr(
            node("shapes", "ShapeN", &["x", "y"]),
            "N",
            attr_value::Value::I(2),
        ),
        node("cat", "ConcatV2", &["shapes", "shapes:1", "axis"]),
        constant("axis", &ints(&[], &[0]), &[]),
        node("pad", "Pad", &["x", "shapes:1"]),
    ]);
    fold_constants(&mut g, &["cat".into(), "pad".into()]).expect("folds");
    assert_eq!(value_of(&g, "cat"), ints(&[3], &[2, 3, 5]));
    assert_eq!(
        find(&g, "pad").input,
        ["x", "ConstantFolding/shapes-matshapes-1"]
    );
    assert_eq!(
        value_of(&g, "ConstantFolding/shapes-matshapes-1"),
        ints(&[1], &[5])
    );
    assert!(g.node.iter().all(|n| n.name != "shapes"));
}

#[test]
fn only_small_consts_of_folded_ops_are_read() {
    let g = graph(vec![
        constant("small", &ints(&[2], &[1, 2]), &[]),
        constant("shape_only", &ints(&[2], &[1, 2]), &[]),
        constant("unread", &ints(&[2], &[1, 2]), &[]),
        node("a", "Neg", &["small"]),
        node("b", "Shape", &["shape_only"]),
        node("c", "Relu", &["unread"]),
        constant(
            "large",
            &Value::new(vec![5000], value::Elements::Int32(vec![0; 5000])).unwrap(),
            &[],
        ),
        node("d", "Identity", &["large"]),
        constant(
            "sliced",
            &Value::new(vec![5000], value::Elements::Int32(vec![0; 5000])).unwrap(),
            &[],
        ),
        node("e", "StridedSlice", &["sliced", "b", "e", "s"]),
    ]);
    let reads = fold_reads(&g);
    assert_eq!(
        reads,
        HashSet::from(["small".to_owned(), "sliced".to_owned()])
    );
}

#[test]
fn nodes_others_are_colocated_with_stay() {
    let mut axis = constant("axis", &ints(&[], &[0]), &[]);
    axis.attr.insert(
        "_class".into(),
        crate::proto::AttrValue {
            value: Some(attr_value::Value::List(Box::new(attr_value::ListValue {
                s: vec![b"loc:@emb".to_vec()],
                ..Default::default()
            }))),
        },
    );
    let mut g = graph(vec![
        constant("emb", &ints(&[2], &[3, 4]), &[]),
        node("emb/read", "Identity", &["emb"]),
        placeholder("ids", &[-1]),
        axis,
        node("lookup", "GatherV2", &["emb/read", "ids", "axis"]),
    ]);
    fold_constants(&mut g, &["lookup".into()]).expect("folds");
    assert_eq!(value_of(&g, "emb/read"), ints(&[2], &[3, 4]));
    assert_eq!(value_of(&g, "emb"), ints(&[2], &[3, 4]));
}

#[test]
fn large_results_are_left_alone() {
    let big = Value::new(vec![5000], value::Elements::Int32(vec![1; 5000])).unwrap();
    let mut g = graph(vec![
        constant("weights", &big, &[]),
        node("read", "Identity", &["weights"]),
        node("shape", "Shape", &["read"]),
    ]);
    let changes = fold_constants(&mut g, &["read".into(), "shape".into()]).expect("runs");
    assert_eq!(find(&g, "read").op, "Identity");
    assert_eq!(changes.len(), 0);
}
