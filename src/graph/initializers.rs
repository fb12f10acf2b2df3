//! A variable's initial value, when its initializer is a constant. Training
//! code that saves only some variables (`Saver(var_list=tf.trainable_variables())`)
//! ran the initializers first, so at inference the others hold these values:
//! the batch-norm moving mean (zeros) and variance (ones) of a GAN's generator.

#![deny(clippy::indexing_slicing)]

use std::collections::HashMap;

use crate::bundle::{element_size, num_elements};
use crate::proto::{attr_value, DataType, GraphDef, NodeDef, TensorProto, TensorShapeProto};

use super::names::node_name;

/// How deep a chain of `Identity`/`Cast` is followed from the assignment.
const MAX_DEPTH: usize = 16;

/// Splats larger than this are not expanded into `tensor_content`.
const MAX_EXPANDED_BYTES: u64 = 256 << 20;

/// What a variable's initializer gives it.
#[derive(Debug, Clone, PartialEq)]
pub enum Initial {
    /// A constant: the value, and the node it comes from.
    Constant {
        /// The value, as a Const's `value` attr holds it.
        value: Box<TensorProto>,
        /// The initializer node it was read from (`w/Initializer/zeros`).
        from: String,
    },
    /// A random initializer (its op): only a checkpoint can give the value.
    Random(String),
    /// No initializer was found, or it computes its value some other way.
    Other(String),
}

impl Initial {
    /// What the initializer is, for the refusal of a variable the checkpoint
    /// lacks: whether `initialize_missing` would give it a value.
    pub fn note(&self) -> String {
        match self {
            Initial::Constant { from, .. } => format!(
                "its initializer '{from}' is a constant: `initialize_missing` freezes it with that value"
            ),
            Initial::Random(op) => {
                format!("its initializer is random ({op}), so only a checkpoint can give its value")
            }
            Initial::Other(why) => format!("its initializer is not a constant ({why})"),
        }
    }
}

/// Random ops of TF's initializers (`random_normal`, `truncated_normal`,
/// `glorot_uniform`, `orthogonal` ...).
fn is_random(op: &str) -> bool {
    op.starts_with("Random")
        || op.starts_with("StatelessRandom")
        || matches!(
            op,
            "TruncatedNormal"
                | "StatelessTruncatedNormal"
                | "ParameterizedTruncatedNormal"
                | "Multinomial"
                | "Qr"
        )
}

/// The graph's nodes by name, for following inputs.
pub struct Nodes<'g> {
    by_name: HashMap<&'g str, &'g NodeDef>,
    assigns: HashMap<&'g str, &'g NodeDef>,
}

impl<'g> Nodes<'g> {
    /// Indexes `graph`: every node, and the assignment that initializes each variable.
    pub fn new(graph: &'g GraphDef) -> Self {
        let by_name = graph.node.iter().map(|n| (n.name.as_str(), n)).collect();
        let mut assigns = HashMap::new();
        for node in &graph.node {
            if matches!(node.op.as_str(), "Assign" | "AssignVariableOp") {
                if let Some(target) = node.input.first() {
                    // The first assignment of a variable is its initializer (`x/Assign`).
                    assigns.entry(node_name(target)).or_insert(node);
                }
            }
        }
        Nodes { by_name, assigns }
    }

    /// What the initializer of variable `name` gives it.
    pub fn initial_value(&self, name: &str) -> Initial {
        let Some(assign) = self.assigns.get(name) else {
            return Initial::Other("no initializer".into());
        };
        match assign.input.get(1) {
            Some(value) => self.evaluate(node_name(value), 0),
            None => Initial::Other(format!("'{}' assigns nothing", assign.name)),
        }
    }

    fn evaluate(&self, name: &str, depth: usize) -> Initial {
        let Some(node) = self.by_name.get(name) else {
            return Initial::Other(format!("'{name}' is not in the graph"));
        };
        if depth > MAX_DEPTH {
            return Initial::Other(format!("'{name}' is too far from the assignment"));
        }
        let input = |i: usize| node.input.get(i).map(|s| node_name(s));
        match node.op.as_str() {
            "Const" => match node.attr.get("value").and_then(|a| a.value.as_ref()) {
                Some(attr_value::Value::Tensor(value)) => Initial::Constant {
                    value: value.clone(),
                    from: node.name.clone(),
                },
                _ => Initial::Other(format!("'{name}' has no value")),
            },
            "Identity" | "Snapshot" => match input(0) {
                Some(from) => self.evaluate(from, depth.saturating_add(1)),
                None => Initial::Other(format!("'{name}' has no input")),
            },
            "Fill" => self.fill(node, depth),
            op if is_random(op) => Initial::Random(op.to_owned()),
            // `random_normal * stddev + mean`: random if any input is.
            op => {
                let random = node
                    .input
                    .iter()
                    .filter(|i| !i.starts_with('^'))
                    .map(|i| self.evaluate(node_name(i), depth.saturating_add(1)))
                    .find_map(|initial| match initial {
                        Initial::Random(op) => Some(op),
                        _ => None,
                    });
                match random {
                    Some(random) => Initial::Random(random),
                    None => Initial::Other(format!("'{name}' ({op})")),
                }
            }
        }
    }

    /// `Fill(dims, value)`: `zeros`/`ones`/`constant_initializer` of a large shape.
    fn fill(&self, node: &NodeDef, depth: usize) -> Initial {
        let operand = |i: usize| {
            node.input
                .get(i)
                .map(|s| self.evaluate(node_name(s), depth.saturating_add(1)))
        };
        let (Some(Initial::Constant { value: dims, .. }), Some(Initial::Constant { value, from })) =
            (operand(0), operand(1))
        else {
            return Initial::Other(format!(
                "'{}' (Fill) of values that are not constant",
                node.name
            ));
        };
        let Some(dims) = integer_values(&dims) else {
            return Initial::Other(format!("'{}' (Fill) of unknown dimensions", node.name));
        };
        match splat(*value, &dims) {
            Some(value) => Initial::Constant {
                value: Box::new(value),
                from: format!("{} (Fill of {from})", node.name),
            },
            None => Initial::Other(format!("'{}' (Fill) too large to expand", node.name)),
        }
    }
}

/// The integers of a small int32/int64 tensor (a shape).
fn integer_values(tensor: &TensorProto) -> Option<Vec<i64>> {
    if !tensor.int_val.is_empty() {
        return Some(tensor.int_val.iter().map(|&v| i64::from(v)).collect());
    }
    if !tensor.int64_val.is_empty() {
        return Some(tensor.int64_val.clone());
    }
    let width = match DataType::try_from(tensor.dtype).ok()? {
        DataType::DtInt32 => 4,
        DataType::DtInt64 => 8,
        _ => return None,
    };
    tensor
        .tensor_content
        .chunks_exact(width)
        .map(|chunk| match chunk {
            [a, b, c, d] => Some(i64::from(i32::from_le_bytes([*a, *b, *c, *d]))),
            _ => <[u8; 8]>::try_from(chunk).ok().map(i64::from_le_bytes),
        })
        .collect()
}

/// A tensor of shape `dims` holding `scalar`'s one value everywhere. TF reads
/// a typed value field shorter than the shape as its last value repeated, so
/// a scalar in a typed field only needs the shape; one in `tensor_content` is
/// repeated (within a bound).
fn splat(scalar: TensorProto, dims: &[i64]) -> Option<TensorProto> {
    let shape = TensorShapeProto {
        dim: dims
            .iter()
            .map(|&size| crate::proto::tensor_shape_proto::Dim {
                size,
                ..Default::default()
            })
            .collect(),
        ..Default::default()
    };
    let mut value = TensorProto {
        tensor_shape: Some(shape.clone()),
        ..scalar
    };
    if !value.tensor_content.is_empty() {
        let size = element_size(value.dtype)?;
        let count = num_elements(&shape)?;
        let bytes = count.checked_mul(size)?;
        if value.tensor_content.len() as u64 != size || bytes > MAX_EXPANDED_BYTES {
            return None;
        }
        value.tensor_content = value.tensor_content.repeat(usize::try_from(count).ok()?);
    }
    Some(value)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::graph::test_graph::{graph, node};
    use crate::proto::AttrValue;

    fn constant(name: &str, value: TensorProto) -> NodeDef {
        let mut n = node(name, "Const", &[]);
        n.attr.insert(
            "value".into(),
            AttrValue {
                value: Some(attr_value::Value::Tensor(Box::new(value))),
            },
        );
        n
    }

    fn float(v: f32) -> TensorProto {
        TensorProto {
            dtype: DataType::DtFloat as i32,
            float_val: vec![v],
            ..Default::default()
        }
    }

    #[test]
    fn constants_through_identity_and_fill_are_found_random_ones_are_named() {
        let dims = TensorProto {
            dtype: DataType::DtInt32 as i32,
            int_val: vec![2, 3],
            ..Default::default()
        };
        let g = graph(vec![
            node("mean", "VariableV2", &[]),
            constant("mean/Initializer/zeros", float(0.0)),
            node("mean/Assign", "Assign", &["mean", "mean/Initializer/zeros"]),
            node("var", "VariableV2", &[]),
            constant("var/dims", dims),
            constant("var/one", float(1.0)),
            node("var/Fill", "Fill", &["var/dims", "var/one"]),
            node("var/read_init", "Identity", &["var/Fill"]),
            node("var/Assign", "Assign", &["var", "var/read_init"]),
            node("w", "VariableV2", &[]),
            node("w/random", "RandomStandardNormal", &["var/dims"]),
            constant("w/stddev", float(0.1)),
            node("w/mul", "Mul", &["w/random", "w/stddev"]),
            node("w/Assign", "Assign", &["w", "w/mul"]),
            node("lonely", "VariableV2", &[]),
        ]);
        let nodes = Nodes::new(&g);
        assert!(
            matches!(nodes.initial_value("mean"), Initial::Constant { from, .. } if from == "mean/Initializer/zeros")
        );
        let Initial::Constant { value, .. } = nodes.initial_value("var") else {
            panic!("var has a constant initializer");
        };
        let dims: Vec<i64> = value
            .tensor_shape
            .iter()
            .flat_map(|shape| shape.dim.iter().map(|d| d.size))
            .collect();
        assert_eq!((dims, value.float_val), (vec![2, 3], vec![1.0]));
        assert_eq!(
            nodes.initial_value("w"),
            Initial::Random("RandomStandardNormal".into())
        );
        assert!(matches!(nodes.initial_value("lonely"), Initial::Other(_)));
    }
}
