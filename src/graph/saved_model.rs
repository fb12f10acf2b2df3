//! SavedModels: the MetaGraphDef of a tag set, and the serving signature.

use std::collections::BTreeSet;

use prost::Message;

use crate::error::{Error, Result};
use crate::input::InputFile;
use crate::proto::{MetaGraphDef, SavedModel};

use super::load::parse_text;
use super::names::node_name;
use super::{from_meta, GraphKind, LoadedGraph};

/// Loads a SavedModel's `saved_model.pb` (binary) or `saved_model.pbtxt` and
/// picks the MetaGraphDef whose tag set equals `tags`, as TF's
/// saved_model_utils.get_meta_graph_def does.
pub fn load_saved_model(file: InputFile<'_>, tags: &[String]) -> Result<LoadedGraph> {
    let model = match SavedModel::decode(file.bytes) {
        Ok(model) if !model.meta_graphs.is_empty() => model,
        binary => {
            let text = std::str::from_utf8(file.bytes).ok();
            match text.map(|t| parse_text::<SavedModel>(file.name, t, "tensorflow.SavedModel")) {
                Some(Ok(model)) => model,
                _ => {
                    let why = binary
                        .err()
                        .map(|e| e.to_string())
                        .unwrap_or_else(|| "it holds no meta graphs".into());
                    return Err(Error::corrupt(
                        file.name,
                        format!("not a SavedModel ({why})"),
                    ));
                }
            }
        }
    };
    let wanted: BTreeSet<&str> = tags
        .iter()
        .map(String::as_str)
        .filter(|t| !t.is_empty())
        .collect();
    let tag_sets: Vec<BTreeSet<&str>> = model
        .meta_graphs
        .iter()
        .map(|m| {
            m.meta_info_def
                .iter()
                .flat_map(|i| &i.tags)
                .map(String::as_str)
                .collect()
        })
        .collect();
    let Some(index) = tag_sets.iter().position(|set| *set == wanted) else {
        let available: Vec<String> = tag_sets
            .iter()
            .map(|set| format!("[{}]", set.iter().copied().collect::<Vec<_>>().join(",")))
            .collect();
        return Err(Error::mismatch(
            file.name,
            format!(
                "no MetaGraphDef has the tag set [{}]; `saved_model_tags` can be one of {}",
                wanted.iter().copied().collect::<Vec<_>>().join(","),
                available.join(" ")
            ),
        ));
    };
    let meta = model.meta_graphs.into_iter().nth(index).unwrap_or_default();
    Ok(from_meta(meta, GraphKind::SavedModel))
}

/// The outputs of a SavedModel's serving signature (`serving_default`, or the
/// only signature there is), as node names in the signature's key order.
pub fn signature_outputs(meta: &MetaGraphDef) -> Option<(String, Vec<String>)> {
    let usable: Vec<(&String, &crate::proto::SignatureDef)> = meta
        .signature_def
        .iter()
        .filter(|(key, _)| !key.starts_with("__"))
        .collect();
    let (key, signature) = meta
        .signature_def
        .get_key_value("serving_default")
        .or_else(|| {
            (usable.len() == 1)
                .then(|| usable.first().copied())
                .flatten()
        })?;
    let names = output_nodes(signature);
    (!names.is_empty()).then(|| (key.clone(), names))
}

/// The nodes a signature's outputs come from, once each, in key order.
pub fn output_nodes(signature: &crate::proto::SignatureDef) -> Vec<String> {
    let mut names: Vec<String> = Vec::new();
    for info in signature.outputs.values() {
        if let Some(crate::proto::tensor_info::Encoding::Name(tensor)) = &info.encoding {
            let node = node_name(tensor).to_owned();
            if !names.contains(&node) {
                names.push(node);
            }
        }
    }
    names
}
