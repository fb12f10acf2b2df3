//! Placeholders set to constants.

use crate::dtype::python_dtype_name;
use crate::error::{Error, Result};
use crate::graph::attrs::{shape_dims, tensor_attr, type_attr};
use crate::graph::names::resolve_output;
use crate::graph::ops::is_placeholder;
use crate::proto::{attr_value, DataType, GraphDef, NodeDef, TensorProto, TensorShapeProto};

use super::type_value;

/// Replaces each named `Placeholder` / `PlaceholderWithDefault` by a `Const`
/// of its dtype holding the value: a scalar, or the value repeated over the
/// placeholder's fully known shape, encoded as `tf.constant(value, shape=...)`
/// does (make_tensor_proto: one typed value, TF repeats the last one).
pub fn placeholder_to_const(
    graph: &mut GraphDef,
    assignments: &[(String, String)],
) -> Result<Vec<String>> {
    let mut changes = Vec::new();
    for (given, value) in assignments {
        let name = resolve_output(graph, given)?;
        let node = graph
            .node
            .iter_mut()
            .rev()
            .find(|n| n.name == name)
            .ok_or_else(|| Error::mismatch(&name, "the node vanished"))?;
        if !is_placeholder(&node.op) {
            return Err(Error::mismatch(
                &name,
                format!(
                    "is a {}, not a placeholder: only placeholders can be set to a constant",
                    node.op
                ),
            ));
        }
        let dtype = type_attr(node, "dtype")
            .ok_or_else(|| Error::mismatch(&name, "the placeholder has no dtype attr"))?;
        let shape = const_shape(node)?;
        let mut tensor = crate::tensor::header(dtype, &shape);
        set_scalar(&mut tensor, value, &name)?;
        let mut constant = NodeDef {
            name: node.name.clone(),
            op: "Const".into(),
            input: node
                .input
                .iter()
                .filter(|i| i.starts_with('^'))
                .cloned()
                .collect(),
            device: node.device.clone(),
            ..Default::default()
        };
        if let Some(shapes) = node.attr.get("_output_shapes") {
            constant
                .attr
                .insert("_output_shapes".into(), shapes.clone());
        }
        constant.attr.insert("dtype".into(), type_value(dtype));
        constant.attr.insert("value".into(), tensor_attr(tensor));
        changes.push(format!(
            "'{name}': {} → Const {} {value}",
            node.op,
            python_dtype_name(dtype).unwrap_or_default()
        ));
        *node = constant;
    }
    Ok(changes)
}

/// The Const's shape: the placeholder's when fully known, a scalar when its
/// rank is unknown (what a `keep_prob = tf.placeholder(tf.float32)` is fed).
fn const_shape(node: &NodeDef) -> Result<TensorShapeProto> {
    let declared = match node.attr.get("shape").and_then(|a| a.value.as_ref()) {
        Some(attr_value::Value::Shape(shape)) => (**shape).clone(),
        _ => return Ok(TensorShapeProto::default()),
    };
    match shape_dims(&declared) {
        None => Ok(TensorShapeProto::default()),
        Some(dims) if dims.iter().all(|&d| d >= 0) => Ok(declared),
        Some(dims) => Err(Error::mismatch(
            &node.name,
            format!(
                "has shape {dims:?} with unknown dimensions: a constant needs a fully known shape"
            ),
        )),
    }
}

/// Stores `text`, parsed for the tensor's dtype, in its typed value field.
fn set_scalar(tensor: &mut TensorProto, text: &str, name: &str) -> Result<()> {
    use DataType as D;
    let dtype = D::try_from(tensor.dtype).unwrap_or(D::DtInvalid);
    let type_name = python_dtype_name(tensor.dtype).unwrap_or_else(|| "this dtype".into());
    let bad = || {
        Error::Usage(format!(
            "'{text}' is not a {type_name} value (for '{name}')"
        ))
    };
    let int = |low: i64, high: i64| {
        text.parse::<i64>()
            .ok()
            .filter(|v| (low..=high).contains(v))
            .and_then(|v| i32::try_from(v).ok())
            .ok_or_else(bad)
    };
    match dtype {
        D::DtBool => {
            tensor.bool_val = vec![match text.to_lowercase().as_str() {
                "true" | "1" => true,
                "false" | "0" => false,
                _ => return Err(bad()),
            }]
        }
        D::DtFloat => tensor.float_val = vec![text.parse().map_err(|_| bad())?],
        D::DtDouble => tensor.double_val = vec![text.parse().map_err(|_| bad())?],
        D::DtHalf => tensor.half_val = vec![i32::from(f16_bits(text.parse().map_err(|_| bad())?))],
        D::DtBfloat16 => {
            tensor.half_val = vec![i32::from(bf16_bits(text.parse().map_err(|_| bad())?))]
        }
        D::DtInt8 => tensor.int_val = vec![int(-128, 127)?],
        D::DtUint8 => tensor.int_val = vec![int(0, 255)?],
        D::DtInt16 => tensor.int_val = vec![int(-32768, 32767)?],
        D::DtUint16 => tensor.int_val = vec![int(0, 65535)?],
        D::DtInt32 => tensor.int_val = vec![int(i64::from(i32::MIN), i64::from(i32::MAX))?],
        D::DtInt64 => tensor.int64_val = vec![text.parse().map_err(|_| bad())?],
        D::DtUint32 => tensor.uint32_val = vec![text.parse().map_err(|_| bad())?],
        D::DtUint64 => tensor.uint64_val = vec![text.parse().map_err(|_| bad())?],
        D::DtString => tensor.string_val = vec![text.as_bytes().to_vec()],
        _ => {
            return Err(Error::unsupported(format!(
                "setting '{name}' to a constant: {type_name} placeholders are not supported \
                 (bool, integers, floats and strings are)"
            )))
        }
    }
    Ok(())
}

/// IEEE half-precision bits of `value`, rounded to nearest even (numpy's
/// `float16`, whose bits make_tensor_proto stores in `half_val`).
fn f16_bits(value: f32) -> u16 {
    let bits = value.to_bits();
    let sign = ((bits >> 16) & 0x8000) as u16;
    let exponent = ((bits >> 23) & 0xff) as i32;
    let mantissa = bits & 0x7f_ffff;
    if exponent == 0xff {
        return sign | 0x7c00 | if mantissa != 0 { 0x200 } else { 0 };
    }
    let e = exponent - 127 + 15;
    if e >= 0x1f {
        return sign | 0x7c00;
    }
    let (kept, shift) = if e <= 0 {
        if e < -10 {
            return sign;
        }
        // Subnormal: the implicit leading 1 becomes explicit.
        (mantissa | 0x80_0000, (14 - e) as u32)
    } else {
        ((e as u32) << 23 | mantissa, 13)
    };
    let half = kept >> shift;
    let rest = kept & ((1 << shift) - 1);
    let halfway = 1 << (shift - 1);
    let rounded = if rest > halfway || (rest == halfway && half & 1 == 1) {
        half + 1
    } else {
        half
    };
    sign | rounded as u16
}

/// bfloat16 bits of `value`, rounded to nearest even.
fn bf16_bits(value: f32) -> u16 {
    let bits = value.to_bits();
    if value.is_nan() {
        return ((bits >> 16) | 0x40) as u16;
    }
    let rounding = 0x7fff + ((bits >> 16) & 1);
    (bits.wrapping_add(rounding) >> 16) as u16
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::graph::test_graph::{find, graph, node, shape, with_attr};

    fn placeholder(name: &str, dtype: DataType, dims: Option<&[i64]>) -> NodeDef {
        let shape = dims.map_or(
            TensorShapeProto {
                unknown_rank: true,
                ..Default::default()
            },
            shape,
        );
        let node = with_attr(
            node(name, "Placeholder", &[]),
            "dtype",
            attr_value::Value::Type(dtype as i32),
        );
        with_attr(node, "shape", attr_value::Value::Shape(Box::new(shape)))
    }

    fn value(graph: &GraphDef, name: &str) -> TensorProto {
        match find(graph, name)
            .attr
            .get("value")
            .and_then(|a| a.value.clone())
        {
            Some(attr_value::Value::Tensor(t)) => *t,
            other => panic!("{name} has no tensor: {other:?}"),
        }
    }

    #[test]
    fn placeholders_become_constants() {
        let mut default = with_attr(
            node(
                "training",
                "PlaceholderWithDefault",
                &["training/input", "^init"],
            ),
            "dtype",
            attr_value::Value::Type(DataType::DtBool as i32),
        );
        default = with_attr(
            default,
            "shape",
            attr_value::Value::Shape(Box::new(shape(&[]))),
        );
        let mut g = graph(vec![
            placeholder("keep_prob", DataType::DtFloat, None),
            default,
            placeholder("ids", DataType::DtInt32, Some(&[2, 3])),
            placeholder("h", DataType::DtHalf, Some(&[])),
            placeholder("name", DataType::DtString, Some(&[])),
        ]);
        let set: Vec<(String, String)> = [
            ("keep_prob:0", "1.0"),
            ("training", "False"),
            ("ids", "7"),
            ("h", "0.5"),
            ("name", "a,b"),
        ]
        .iter()
        .map(|(n, v)| (n.to_string(), v.to_string()))
        .collect();
        let changes = placeholder_to_const(&mut g, &set).expect("rewrites");
        assert_eq!(changes[0], "'keep_prob': Placeholder → Const float32 1.0");
        let keep = value(&g, "keep_prob");
        assert_eq!(
            (keep.float_val.as_slice(), keep.tensor_shape.clone()),
            (&[1.0f32][..], Some(TensorShapeProto::default()))
        );
        assert_eq!(find(&g, "training").input, vec!["^init"]);
        assert_eq!(value(&g, "training").bool_val, vec![false]);
        let ids = value(&g, "ids");
        assert_eq!(ids.int_val, vec![7]);
        assert_eq!(ids.tensor_shape, Some(shape(&[2, 3])));
        assert!(ids.tensor_content.is_empty());
        assert_eq!(value(&g, "h").half_val, vec![0x3800]);
        assert_eq!(value(&g, "name").string_val, vec![b"a,b".to_vec()]);
        assert_eq!(find(&g, "ids").op, "Const");
    }

    #[test]
    fn placeholder_errors_name_the_node() {
        let mut g = graph(vec![
            placeholder("flag", DataType::DtBool, Some(&[])),
            placeholder("batch", DataType::DtFloat, Some(&[-1, 3])),
            placeholder("small", DataType::DtInt8, Some(&[])),
            node("relu", "Relu", &["flag"]),
        ]);
        let one = |n: &str, v: &str| vec![(n.to_owned(), v.to_owned())];
        let err = placeholder_to_const(&mut g, &one("flag", "maybe")).expect_err("bad bool");
        assert_eq!(err.to_string(), "'maybe' is not a bool value (for 'flag')");
        let err = placeholder_to_const(&mut g, &one("relu", "1")).expect_err("not a placeholder");
        assert!(
            err.to_string()
                .starts_with("relu: is a Relu, not a placeholder"),
            "{err}"
        );
        // The option is well formed; the graph does not fit it.
        assert_eq!(err.kind(), crate::ErrorKind::Input);
        let err = placeholder_to_const(&mut g, &one("batch", "1")).expect_err("unknown dims");
        assert!(err.to_string().contains("unknown dimensions"), "{err}");
        assert!(placeholder_to_const(&mut g, &one("small", "300")).is_err());
        let err = placeholder_to_const(&mut g, &one("flga", "true")).expect_err("unknown");
        assert!(matches!(err, Error::UnknownNode { .. }), "{err}");
    }

    #[test]
    fn half_and_bfloat16_round_to_nearest_even() {
        assert_eq!(f16_bits(1.0), 0x3c00);
        assert_eq!(f16_bits(-2.0), 0xc000);
        assert_eq!(f16_bits(65504.0), 0x7bff);
        assert_eq!(f16_bits(65520.0), 0x7c00);
        assert_eq!(f16_bits(5.960_464_5e-8), 0x0001);
        assert_eq!(f16_bits(0.0), 0);
        assert_eq!(bf16_bits(1.0), 0x3f80);
        assert_eq!(bf16_bits(-0.5), 0xbf00);
    }
}
