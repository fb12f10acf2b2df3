use super::*;
use crate::graph::test_graph::{find, graph, node, shape, with_attr};
use crate::proto::TensorProto;

fn constant(name: &str, dims: &[i64], values: &[f32]) -> NodeDef {
    let tensor = float_tensor(Floats {
        shape: dims.to_vec(),
        values: values.to_vec(),
    });
    let node = with_attr(
        node(name, "Const", &[]),
        "dtype",
        attr_value::Value::Type(DataType::DtFloat as i32),
    );
    with_attr(node, "value", attr_value::Value::Tensor(Box::new(tensor)))
}

fn float_attr(node: NodeDef) -> NodeDef {
    with_attr(node, "T", attr_value::Value::Type(DataType::DtFloat as i32))
}

fn values(graph: &GraphDef, name: &str) -> Vec<f32> {
    float_values(find(graph, name)).expect("floats").values
}

fn fused(op: &str, x: &str) -> NodeDef {
    let bn = float_attr(node(op, op, &[x, "gamma", "beta", "mean", "var"]));
    let bn = with_attr(bn, "epsilon", attr_value::Value::F(0.25));
    with_attr(bn, "is_training", attr_value::Value::B(false))
}

fn params() -> Vec<NodeDef> {
    vec![
        constant("gamma", &[2], &[2.0, 3.0]),
        constant("beta", &[2], &[1.0, -1.0]),
        constant("mean", &[2], &[0.5, 1.0]),
        constant("var", &[2], &[0.75, 3.75]),
    ]
}

#[test]
fn a_fused_batch_norm_folds_into_a_matmul() {
    let mut nodes = params();
    nodes.extend([
        node("x", "Placeholder", &[]),
        constant("w", &[3, 2], &[1., 2., 3., 4., 5., 6.]),
        node("w/read", "Identity", &["w"]),
        float_attr(node("mm", "MatMul", &["x", "w/read"])),
        fused("FusedBatchNormV3", "mm"),
        node("out", "Relu", &["FusedBatchNormV3"]),
    ]);
    let mut g = graph(nodes);
    assert!(folded_consts(&g).contains("w"));
    let changes = fold_batch_norms(&mut g, &[]).expect("folds");
    assert_eq!(changes.len(), 1, "{changes:?}");
    assert!(
        changes[0].contains("into MatMul 'mm': its weights 'w' (24 bytes"),
        "{changes:?}"
    );
    // scale = gamma / sqrt(var + 0.25) = [2, 1.5]; offset = beta - mean * scale.
    assert_eq!(values(&g, "mm_weights"), [2., 3., 6., 6., 10., 9.]);
    assert_eq!(values(&g, "mm_bn_offset"), [0.0, -2.5]);
    assert_eq!(find(&g, "mm").input, vec!["x", "mm_weights"]);
    let bias_add = find(&g, "FusedBatchNormV3");
    assert_eq!(bias_add.op, "BiasAdd");
    assert_eq!(bias_add.input, vec!["mm", "mm_bn_offset"]);
    let names: Vec<&str> = g.node.iter().map(|n| n.name.as_str()).collect();
    assert_eq!(
        names,
        [
            "gamma",
            "beta",
            "mean",
            "var",
            "x",
            "out",
            "mm_weights",
            "mm",
            "mm_bn_offset",
            "FusedBatchNormV3"
        ]
    );
}

#[test]
fn training_mode_and_shared_weights_are_left_alone() {
    let mut nodes = params();
    let mut training = fused("FusedBatchNorm", "conv");
    training.attr.insert(
        "is_training".into(),
        AttrValue {
            value: Some(attr_value::Value::B(true)),
        },
    );
    nodes.extend([
        constant("w", &[1, 1, 1, 2], &[1., 2.]),
        float_attr(node("conv", "Conv2D", &["x", "w"])),
        training,
    ]);
    let mut g = graph(nodes.clone());
    assert!(fold_batch_norms(&mut g, &[]).expect("runs").is_empty());
    nodes.pop();
    nodes.push(fused("FusedBatchNorm", "conv"));
    nodes.push(node("other", "Relu", &["w"]));
    let mut g = graph(nodes);
    assert!(fold_batch_norms(&mut g, &[]).expect("runs").is_empty());
}

fn decomposed(gamma: bool) -> Vec<NodeDef> {
    let mut nodes = vec![
        node("x", "Placeholder", &[]),
        constant("w", &[1, 1, 1, 2], &[1., 2.]),
        with_attr(
            float_attr(node("conv", "Conv2D", &["x", "w"])),
            "data_format",
            attr_value::Value::S(b"NHWC".to_vec()),
        ),
        constant("bn/var", &[2], &[0.75, 3.75]),
        constant("bn/eps", &[], &[0.25]),
        node("bn/add", "AddV2", &["bn/var", "bn/eps"]),
        node("bn/Rsqrt", "Rsqrt", &["bn/add"]),
        constant("bn/beta", &[2], &[1.0, -1.0]),
        constant("bn/mean", &[2], &[0.5, 1.0]),
    ];
    let scale = if gamma {
        nodes.push(constant("bn/gamma", &[2], &[2.0, 3.0]));
        nodes.push(node("bn/mul", "Mul", &["bn/Rsqrt", "bn/gamma"]));
        "bn/mul"
    } else {
        "bn/Rsqrt"
    };
    nodes.extend([
        node("bn/mul_1", "Mul", &["conv", scale]),
        node("bn/mul_2", "Mul", &["bn/mean", scale]),
        node("bn/sub", "Sub", &["bn/beta", "bn/mul_2"]),
        float_attr(node("bn/add_1", "Add", &["bn/mul_1", "bn/sub"])),
        node("out", "Relu", &["bn/add_1"]),
    ]);
    nodes
}

#[test]
fn the_mul_add_form_folds_as_tf_fuses_then_folds_it() {
    let mut g = graph(decomposed(true));
    let changes = fold_batch_norms(&mut g, &[]).expect("folds");
    assert!(
        changes[0].starts_with("folded the mul/add batch norm 'bn/add_1' into Conv2D 'conv'"),
        "{changes:?}"
    );
    assert_eq!(values(&g, "conv_weights"), [2., 3.]);
    assert_eq!(values(&g, "conv_bn_offset"), [0.0, -2.5]);
    assert_eq!(find(&g, "bn/add_1").op, "BiasAdd");
    for gone in [
        "bn/add", "bn/Rsqrt", "bn/mul", "bn/mul_1", "bn/mul_2", "bn/sub", "conv",
    ] {
        assert!(
            g.node.iter().all(|n| n.name != gone || n.op == "Conv2D"),
            "{gone} left"
        );
    }
    // Without a gamma, TF makes one of ones beside the Rsqrt.
    let mut g = graph(decomposed(false));
    fold_batch_norms(&mut g, &[]).expect("folds");
    assert_eq!(values(&g, "bn/gamma"), [1., 1.]);
    assert_eq!(values(&g, "conv_weights"), [1., 1.]);
}

#[test]
fn depthwise_channels_are_in_times_multiplier() {
    let mut nodes = params();
    nodes.extend([
        constant("w", &[1, 1, 1, 2], &[1., 1.]),
        float_attr(node("dw", "DepthwiseConv2dNative", &["x", "w"])),
        constant("b", &[2], &[0.5, 0.0]),
        float_attr(node("add", "BiasAdd", &["dw", "b"])),
        fused("FusedBatchNorm", "add"),
    ]);
    let mut g = graph(nodes);
    fold_batch_norms(&mut g, &[]).expect("folds");
    assert_eq!(values(&g, "dw_weights"), [2., 1.5]);
    // The bias moves into the mean: offset = beta - (mean - b) * scale.
    assert_eq!(values(&g, "dw_bn_offset"), [1.0, -2.5]);
    assert!(g.node.iter().all(|n| n.name != "add"));
}

#[test]
fn float_values_repeat_the_last_value() {
    let mut tensor = TensorProto {
        dtype: DataType::DtFloat as i32,
        tensor_shape: Some(shape(&[3])),
        float_val: vec![1.0, 2.0],
        ..Default::default()
    };
    let c = with_attr(
        node("c", "Const", &[]),
        "value",
        attr_value::Value::Tensor(Box::new(tensor.clone())),
    );
    assert_eq!(float_values(&c).expect("floats").values, [1., 2., 2.]);
    tensor.float_val = vec![1.0; 4];
    let c = with_attr(
        node("c", "Const", &[]),
        "value",
        attr_value::Value::Tensor(Box::new(tensor)),
    );
    assert!(float_values(&c).is_none());
}

#[test]
fn batch_norm_with_global_normalization_folds_with_or_without_gamma() {
    for (scale_after, weights) in [(true, [2., 3.]), (false, [1., 1.])] {
        let mut nodes = params();
        let bn = float_attr(node(
            GLOBAL,
            GLOBAL,
            &["conv", "mean", "var", "beta", "gamma"],
        ));
        let bn = with_attr(bn, "variance_epsilon", attr_value::Value::F(0.25));
        nodes.extend([
            constant("w", &[1, 1, 1, 2], &[1., 2.]),
            float_attr(node("conv", "Conv2D", &["x", "w"])),
            with_attr(
                bn,
                "scale_after_normalization",
                attr_value::Value::B(scale_after),
            ),
        ]);
        let mut g = graph(nodes);
        assert_eq!(fold_batch_norms(&mut g, &[]).expect("folds").len(), 1);
        assert_eq!(values(&g, "conv_weights"), weights, "{scale_after}");
    }
}
