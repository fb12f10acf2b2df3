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
    if let Some(found) = load_binary_meta_graph(file, tags) {
        return found;
    }
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
        return Err(no_tag_set(file.name, &wanted, &tag_sets));
    };
    let meta = model.meta_graphs.into_iter().nth(index).unwrap_or_default();
    Ok(from_meta(meta, GraphKind::SavedModel))
}

/// The binary SavedModel's meta graph of `tags`, decoding only that one: the
/// others are read for their tags alone, so a file of a thousand meta graphs
/// costs one graph's memory. `None` when the bytes are not binary protobuf (or
/// hold no meta graph), for the text reading to try.
fn load_binary_meta_graph(file: InputFile<'_>, tags: &[String]) -> Option<Result<LoadedGraph>> {
    // SavedModel.meta_graphs = 2; MetaGraphDef.meta_info_def = 1; MetaInfoDef.tags = 4.
    let metas: Vec<&[u8]> = fields(file.bytes)?
        .into_iter()
        .filter(|&(tag, _)| tag == 2)
        .filter_map(|(_, payload)| payload)
        .collect();
    if metas.is_empty() {
        return None;
    }
    let wanted: BTreeSet<&str> = tags
        .iter()
        .map(String::as_str)
        .filter(|t| !t.is_empty())
        .collect();
    let mut tag_sets: Vec<BTreeSet<&str>> = Vec::new();
    for meta in &metas {
        let mut set = BTreeSet::new();
        for info in fields(meta)?.into_iter().filter(|&(tag, _)| tag == 1) {
            for (tag, payload) in fields(info.1?)? {
                if let (4, Some(text)) = (tag, payload) {
                    set.insert(std::str::from_utf8(text).ok()?);
                }
            }
        }
        tag_sets.push(set);
    }
    let Some(index) = tag_sets.iter().position(|set| *set == wanted) else {
        return Some(Err(no_tag_set(file.name, &wanted, &tag_sets)));
    };
    let meta = MetaGraphDef::decode(*metas.get(index)?)
        .map_err(|e| Error::corrupt(file.name, format!("not a SavedModel ({e})")));
    Some(meta.map(|meta| from_meta(meta, GraphKind::SavedModel)))
}

/// A field number and, when length-delimited, its bytes.
type Field<'a> = (u64, Option<&'a [u8]>);

/// The top-level fields of a protobuf message: each field number with its
/// bytes when length-delimited. `None` when the bytes are not a message.
fn fields(mut bytes: &[u8]) -> Option<Vec<Field<'_>>> {
    let mut out = Vec::new();
    while !bytes.is_empty() {
        let key = prost::encoding::decode_varint(&mut bytes).ok()?;
        let (tag, wire_type) = (key >> 3, key & 7);
        let payload = match wire_type {
            0 => {
                prost::encoding::decode_varint(&mut bytes).ok()?;
                None
            }
            1 | 5 => {
                let width = if wire_type == 1 { 8 } else { 4 };
                bytes = bytes.get(width..)?;
                None
            }
            2 => {
                let len = usize::try_from(prost::encoding::decode_varint(&mut bytes).ok()?).ok()?;
                let payload = bytes.get(..len)?;
                bytes = bytes.get(len..)?;
                Some(payload)
            }
            _ => return None,
        };
        if tag == 0 {
            return None;
        }
        out.push((tag, payload));
    }
    Some(out)
}

fn no_tag_set(file: &str, wanted: &BTreeSet<&str>, tag_sets: &[BTreeSet<&str>]) -> Error {
    let available: Vec<String> = tag_sets
        .iter()
        .map(|set| format!("[{}]", set.iter().copied().collect::<Vec<_>>().join(",")))
        .collect();
    Error::mismatch(
        file,
        format!(
            "no MetaGraphDef has the tag set [{}]; `saved_model_tags` can be one of {}",
            wanted.iter().copied().collect::<Vec<_>>().join(","),
            available.join(" ")
        ),
    )
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::proto::meta_graph_def::MetaInfoDef;
    use crate::proto::{GraphDef, NodeDef};

    fn meta(tags: &[&str], node: &str) -> Vec<u8> {
        MetaGraphDef {
            meta_info_def: Some(MetaInfoDef {
                tags: tags.iter().map(|t| t.to_string()).collect(),
                ..Default::default()
            }),
            graph_def: Some(GraphDef {
                node: vec![NodeDef {
                    name: node.into(),
                    op: "Const".into(),
                    ..Default::default()
                }],
                ..Default::default()
            }),
            ..Default::default()
        }
        .encode_to_vec()
    }

    fn saved_model(metas: &[Vec<u8>]) -> Vec<u8> {
        let mut bytes = Vec::new();
        for meta in metas {
            prost::encoding::bytes::encode(2, meta, &mut bytes);
        }
        bytes
    }

    #[test]
    fn only_the_meta_graph_of_the_tags_is_decoded() {
        // A meta graph whose graph is not protobuf: decoding it would fail.
        let mut broken = meta(&["train"], "t");
        broken.extend_from_slice(&[0x12, 0x02, 0xff, 0xff]);
        let bytes = saved_model(&[broken, meta(&["serve"], "s")]);
        let file = InputFile {
            name: "saved_model.pb",
            bytes: &bytes,
        };
        let loaded = load_saved_model(file, &["serve".to_string()]).unwrap();
        assert_eq!(
            loaded.graph.node.first().map(|n| n.name.as_str()),
            Some("s")
        );
        let err = load_saved_model(file, &["gpu".to_string()]).unwrap_err();
        assert!(err.to_string().contains("[serve]"), "{err}");
    }
}
