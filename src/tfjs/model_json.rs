//! `model.json` as `write_artifacts` writes it: `format`, `generatedBy`,
//! `convertedBy`, `signature`, `modelTopology`, `weightsManifest`. The
//! topology and signature are protobuf's JSON mapping (python's
//! `MessageToDict`: camelCase names, int64 as strings, bytes in base64, enums
//! by name, default values left out), which the TF.js runtime reads
//! (tfjs-converter/src/operations/operation_mapper.ts).

use prost::Message;
use prost_reflect::DynamicMessage;
use serde::Serialize;

use crate::error::{Error, Result};
use crate::graph::attrs::{output_shape, type_attr};
use crate::graph::names::node_name;
use crate::proto::{attr_value, tensor_info, GraphDef, SignatureDef, TensorInfo, TensorShapeProto};
use crate::tfjs::quantize::QuantizationInfo;

/// One entry of a weights group: `name`, `shape`, `dtype`, `quantization`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ManifestWeight {
    /// The Const's node name.
    pub name: String,
    /// Its shape.
    pub shape: Vec<i64>,
    /// The TF.js dtype of its value (the original one when quantized).
    pub dtype: &'static str,
    /// How it is stored, when quantized.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub quantization: Option<QuantizationInfo>,
}

#[derive(Serialize)]
struct Group<'a> {
    paths: &'a [String],
    weights: &'a [ManifestWeight],
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct ModelJson<'a> {
    format: &'static str,
    generated_by: &'a str,
    converted_by: String,
    signature: serde_json::Value,
    model_topology: serde_json::Value,
    weights_manifest: [Group<'a>; 1],
}

/// What `model.json` is made of.
pub struct Model<'a> {
    pub graph: &'a GraphDef,
    pub signature: SignatureDef,
    pub generated_by: &'a str,
    pub paths: Vec<String>,
    pub manifest: &'a [ManifestWeight],
}

/// `model.json`'s bytes.
pub fn write(model: Model<'_>) -> Result<Vec<u8>> {
    let json = ModelJson {
        format: "graph-model",
        generated_by: model.generated_by,
        converted_by: format!("tf-freeze {}", env!("CARGO_PKG_VERSION")),
        signature: dynamic(&model.signature, "tensorflow.SignatureDef")?,
        model_topology: dynamic(model.graph, "tensorflow.GraphDef")?,
        weights_manifest: [Group {
            paths: &model.paths,
            weights: model.manifest,
        }],
    };
    serde_json::to_vec(&json)
        .map_err(|e| Error::unsupported(format!("model.json cannot be written: {e}")))
}

/// The message in protobuf's JSON mapping, every object's keys sorted:
/// prost-reflect keeps map fields (a node's `attr`) in a hash map, whose
/// order changes from run to run, and the same graph must give the same file.
///
/// It goes through JSON text rather than `serde_json::to_value`: that widens
/// a float field to f64 and writes an epsilon of 0.001 as
/// 0.0010000000474974513, where the text (like python's `MessageToDict`)
/// holds the shortest decimal of the float32, which re-reads as itself.
fn dynamic(message: &impl Message, name: &str) -> Result<serde_json::Value> {
    let pool = crate::graph::descriptor_pool()?;
    let descriptor = pool
        .get_message_by_name(name)
        .ok_or_else(|| Error::unsupported(format!("the built-in descriptors lack {name}")))?;
    let dynamic = DynamicMessage::decode(descriptor, message.encode_to_vec().as_slice())
        .map_err(|e| Error::unsupported(format!("{name} does not re-read: {e}")))?;
    let no_json =
        |e: serde_json::Error| Error::unsupported(format!("{name} has no JSON form: {e}"));
    let text = serde_json::to_string(&dynamic).map_err(no_json)?;
    let value = serde_json::from_str(&text).map_err(no_json)?;
    Ok(sorted(value))
}

/// `value` with the keys of every object in order, whichever map type
/// `serde_json` was built with.
fn sorted(value: serde_json::Value) -> serde_json::Value {
    use serde_json::Value;
    match value {
        Value::Object(map) => {
            let mut entries: Vec<(String, Value)> = map.into_iter().collect();
            entries.sort_by(|a, b| a.0.cmp(&b.0));
            Value::Object(entries.into_iter().map(|(k, v)| (k, sorted(v))).collect())
        }
        Value::Array(items) => Value::Array(items.into_iter().map(sorted).collect()),
        other => other,
    }
}

/// The signature `_build_signature_def` makes for a frozen graph, keyed by
/// tensor name: the placeholders as inputs, the outputs; each with its dtype
/// and shape where the graph records them.
pub fn signature(graph: &GraphDef, outputs: &[String]) -> SignatureDef {
    let mut signature = SignatureDef::default();
    for node in graph
        .node
        .iter()
        .filter(|n| crate::graph::ops::is_placeholder(&n.op))
    {
        let shape = match node.attr.get("shape").and_then(|a| a.value.as_ref()) {
            Some(attr_value::Value::Shape(shape)) => Some((**shape).clone()),
            _ => None,
        };
        let name = format!("{}:0", node.name);
        signature.inputs.insert(
            name.clone(),
            info(name, type_attr(node, "dtype").unwrap_or_default(), shape),
        );
    }
    for output in outputs {
        let base = node_name(output);
        let port = output.rsplit_once(':').map_or("0", |(_, p)| p);
        let name = format!("{base}:{port}");
        let node = graph.node.iter().find(|n| n.name == base);
        let k = port.parse::<usize>().unwrap_or(0);
        let dtype = node
            .and_then(|n| {
                ["T", "dtype", "out_type", "DstT"]
                    .iter()
                    .find_map(|attr| type_attr(n, attr))
            })
            .unwrap_or_default();
        let shape = node
            .and_then(|n| output_shape(n, k))
            .map(|dims| TensorShapeProto {
                dim: dims
                    .into_iter()
                    .map(|size| crate::proto::tensor_shape_proto::Dim {
                        size,
                        name: String::new(),
                    })
                    .collect(),
                ..Default::default()
            });
        signature
            .outputs
            .insert(name.clone(), info(name, dtype, shape));
    }
    signature
}

fn info(name: String, dtype: i32, shape: Option<TensorShapeProto>) -> TensorInfo {
    TensorInfo {
        encoding: Some(tensor_info::Encoding::Name(name)),
        dtype,
        tensor_shape: shape,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::graph::test_graph::{graph, node, with_attr};

    #[test]
    fn float_attrs_keep_their_float32_text() {
        let bn = with_attr(
            node("bn", "FusedBatchNormV3", &[]),
            "epsilon",
            attr_value::Value::F(0.001),
        );
        let bn = with_attr(bn, "exponential_avg_factor", attr_value::Value::F(1.0));
        let topology = dynamic(&graph(vec![bn]), "tensorflow.GraphDef").expect("JSON");
        let text = topology.to_string();
        assert!(text.contains(r#""epsilon":{"f":0.001}"#), "{text}");
        assert!(
            text.contains(r#""exponential_avg_factor":{"f":1.0}"#),
            "{text}"
        );
    }
}
