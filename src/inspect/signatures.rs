//! The signatures a SavedModel or MetaGraphDef carries: named sets of
//! inputs and outputs its authors meant to be served, the surest answer to
//! "what do I freeze".

use serde::Serialize;

use crate::dtype::python_dtype_name;
use crate::graph::attrs::shape_dims;
use crate::graph::names::node_name;
use crate::proto::{tensor_info, MetaGraphDef, TensorInfo};

/// One signature (`serving_default`, `predict`, ...).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Signature {
    /// Its key in the meta graph.
    pub name: String,
    /// What it is fed.
    pub inputs: Vec<SignatureTensor>,
    /// What it computes; their nodes are what to freeze.
    pub outputs: Vec<SignatureTensor>,
}

/// One input or output of a signature.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SignatureTensor {
    /// The node, as `output_node_names` takes it.
    pub name: String,
    /// Its key in the signature (`probabilities`, `x`).
    pub key: String,
    /// Its dtype (Python name), when known.
    pub dtype: Option<String>,
    /// Its shape, `None` for unknown rank.
    pub shape: Option<Vec<i64>>,
}

/// Every signature but TF's own (`__saved_model_init_op`), `serving_default`
/// first, then by key.
pub(super) fn signatures(meta: Option<&MetaGraphDef>) -> Vec<Signature> {
    let Some(meta) = meta else {
        return Vec::new();
    };
    let mut found: Vec<Signature> = meta
        .signature_def
        .iter()
        .filter(|(key, _)| !key.starts_with("__"))
        .map(|(key, def)| Signature {
            name: key.clone(),
            inputs: def.inputs.iter().filter_map(tensor).collect(),
            outputs: def.outputs.iter().filter_map(tensor).collect(),
        })
        .collect();
    found.sort_by(|a, b| {
        let rank = |s: &Signature| (s.name != "serving_default", s.name.clone());
        rank(a).cmp(&rank(b))
    });
    found
}

fn tensor((key, info): (&String, &TensorInfo)) -> Option<SignatureTensor> {
    let Some(tensor_info::Encoding::Name(name)) = &info.encoding else {
        return None;
    };
    Some(SignatureTensor {
        name: node_name(name).to_owned(),
        key: key.clone(),
        dtype: python_dtype_name(info.dtype),
        shape: info.tensor_shape.as_ref().and_then(shape_dims),
    })
}
