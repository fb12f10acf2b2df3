//! Loading GraphDef, MetaGraphDef and SaverDef files, binary or text.

use std::sync::OnceLock;

use miette::Diagnostic;
use prost::Message;
use prost_reflect::{DescriptorPool, DynamicMessage};

use crate::error::{Error, Result};
use crate::input::InputFile;
use crate::proto::{GraphDef, MetaGraphDef, SaverDef};

use super::{from_meta, text, Expect, GraphKind, LoadedGraph};

/// Loads a graph file, trying binary and text in the order `binary_hint` suggests.
pub fn load(file: InputFile<'_>, expect: Expect, binary_hint: Option<bool>) -> Result<LoadedGraph> {
    if file.bytes.is_empty() {
        return Err(Error::corrupt(file.name, "the file is empty"));
    }
    let looks_like_text = text::looks_like_text(file.bytes);
    let text_first = binary_hint == Some(false) && looks_like_text;
    let attempts: [bool; 2] = if text_first {
        [false, true]
    } else {
        [true, false]
    };
    // The error worth showing is the one of the format the bytes look like.
    let mut shown_error = None;
    for binary in attempts {
        let result = if binary {
            load_binary(file, expect)
        } else {
            load_text(file, expect)
        };
        match result {
            Ok(graph) => return Ok(graph),
            Err(err) if binary != looks_like_text => shown_error = Some(err),
            Err(err) => {
                shown_error.get_or_insert(err);
            }
        }
    }
    let detail = match shown_error {
        Some(Error::Corrupt { detail, .. }) => detail,
        Some(other) => other.to_string(),
        None => String::new(),
    };
    let wanted = match expect {
        Expect::GraphDef => "a GraphDef (.pb binary or .pbtxt text)",
        Expect::MetaGraphDef => "a MetaGraphDef (.meta)",
    };
    Err(Error::corrupt(
        file.name,
        format!("not {wanted}, neither binary nor text: {detail}"),
    ))
}

fn load_binary(file: InputFile<'_>, expect: Expect) -> Result<LoadedGraph> {
    let as_graph = || {
        GraphDef::decode(file.bytes).map(|graph| LoadedGraph {
            graph,
            saver_def: None,
            meta_graph: None,
            kind: GraphKind::GraphDefBinary,
        })
    };
    let as_meta = || {
        MetaGraphDef::decode(file.bytes)
            .ok()
            .filter(is_plausible_meta)
            .map(|meta| from_meta(meta, GraphKind::MetaGraphBinary))
    };
    match expect {
        Expect::MetaGraphDef => as_meta()
            .ok_or_else(|| Error::corrupt(file.name, "cannot be decoded as a binary MetaGraphDef")),
        // A GraphDef decode can succeed on a MetaGraphDef's bytes by accident,
        // so a meta graph that has a graph inside is preferred.
        Expect::GraphDef => match as_graph() {
            Ok(graph) if is_plausible_graph(&graph.graph) => Ok(graph),
            first => as_meta().map(Ok).unwrap_or_else(|| {
                first.map_err(|e| Error::corrupt(file.name, format!("binary decode failed: {e}")))
            }),
        },
    }
}

fn is_plausible_graph(graph: &GraphDef) -> bool {
    graph
        .node
        .iter()
        .all(|n| !n.name.is_empty() && !n.op.is_empty())
}

fn is_plausible_meta(meta: &MetaGraphDef) -> bool {
    meta.graph_def
        .as_ref()
        .is_some_and(|g| !g.node.is_empty() && is_plausible_graph(g))
}

fn load_text(file: InputFile<'_>, expect: Expect) -> Result<LoadedGraph> {
    let text = std::str::from_utf8(file.bytes)
        .map_err(|e| Error::corrupt(file.name, format!("not UTF-8 text ({e})")))?;
    match expect {
        Expect::MetaGraphDef => {
            let meta: MetaGraphDef = parse_text(file.name, text, "tensorflow.MetaGraphDef")?;
            Ok(from_meta(meta, GraphKind::MetaGraphText))
        }
        Expect::GraphDef => match parse_text::<GraphDef>(file.name, text, "tensorflow.GraphDef") {
            Ok(graph) => Ok(LoadedGraph {
                graph,
                saver_def: None,
                meta_graph: None,
                kind: GraphKind::GraphDefText,
            }),
            Err(graph_err) => {
                parse_text::<MetaGraphDef>(file.name, text, "tensorflow.MetaGraphDef")
                    .ok()
                    .filter(is_plausible_meta)
                    .map(|meta| from_meta(meta, GraphKind::MetaGraphText))
                    .ok_or(graph_err)
            }
        },
    }
}

/// Parses protobuf text into a message of `full_name` through the descriptors.
pub fn parse_text<M: Message + Default>(file: &str, text: &str, full_name: &str) -> Result<M> {
    let pool = descriptor_pool()?;
    let descriptor = pool
        .get_message_by_name(full_name)
        .ok_or_else(|| Error::unsupported(format!("no descriptor for {full_name}")))?;
    text::check_depth(text).map_err(|at| {
        Error::corrupt(
            file,
            format!(
                "line {}, column {}: messages are nested more than {} deep",
                at.line,
                at.column,
                text::MAX_DEPTH
            ),
        )
    })?;
    let dynamic = DynamicMessage::parse_text_format(descriptor, text)
        .map_err(|e| Error::corrupt(file, format!("text format: {}", located(text, &e))))?;
    M::decode(dynamic.encode_to_vec().as_slice())
        .map_err(|e| Error::corrupt(file, format!("text format: {e}")))
}

/// The parser's message, preceded by where it happened.
fn located(text: &str, error: &prost_reflect::text_format::ParseError) -> String {
    let offset = error
        .labels()
        .and_then(|mut labels| labels.next())
        .map(|l| l.offset());
    match offset {
        Some(offset) => {
            let at = text::position(text, offset);
            format!("line {}, column {}: {error}", at.line, at.column)
        }
        None => error.to_string(),
    }
}

pub(crate) fn descriptor_pool() -> Result<&'static DescriptorPool> {
    static POOL: OnceLock<Option<DescriptorPool>> = OnceLock::new();
    POOL.get_or_init(|| DescriptorPool::decode(crate::proto::FILE_DESCRIPTOR_SET).ok())
        .as_ref()
        .ok_or_else(|| Error::unsupported("the built-in protobuf descriptors do not load"))
}

/// Loads a `SaverDef` file (`--input_saver`), binary or text.
pub fn load_saver(file: InputFile<'_>) -> Result<SaverDef> {
    if let Ok(text) = std::str::from_utf8(file.bytes) {
        if let Ok(saver) = parse_text::<SaverDef>(file.name, text, "tensorflow.SaverDef") {
            if !saver.restore_op_name.is_empty() {
                return Ok(saver);
            }
        }
    }
    match SaverDef::decode(file.bytes) {
        Ok(saver) if !saver.restore_op_name.is_empty() => Ok(saver),
        _ => Err(Error::corrupt(
            file.name,
            "not a SaverDef (binary or text) with a restore_op_name",
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::proto::NodeDef;

    fn sample_graph() -> GraphDef {
        GraphDef {
            node: vec![NodeDef {
                name: "x".into(),
                op: "Placeholder".into(),
                ..Default::default()
            }],
            ..Default::default()
        }
    }

    #[test]
    fn binary_graph_loads_whatever_the_hint() {
        let bytes = sample_graph().encode_to_vec();
        for hint in [None, Some(true), Some(false)] {
            let file = InputFile {
                name: "g.pb",
                bytes: &bytes,
            };
            let loaded = load(file, Expect::GraphDef, hint).expect("loads");
            assert_eq!(loaded.kind, GraphKind::GraphDefBinary);
            assert_eq!(loaded.graph, sample_graph());
        }
    }

    #[test]
    fn text_graph_loads_whatever_the_hint() {
        let text = b"node {\n  name: \"x\"\n  op: \"Placeholder\"\n}\n";
        for hint in [None, Some(true), Some(false)] {
            let file = InputFile {
                name: "g.pbtxt",
                bytes: text,
            };
            let loaded = load(file, Expect::GraphDef, hint).expect("loads");
            assert_eq!(loaded.kind, GraphKind::GraphDefText);
            assert_eq!(loaded.graph, sample_graph());
        }
    }

    #[test]
    fn meta_graph_given_as_graph_is_recognised() {
        let meta = MetaGraphDef {
            graph_def: Some(sample_graph()),
            saver_def: Some(SaverDef {
                restore_op_name: "save/restore_all".into(),
                ..Default::default()
            }),
            ..Default::default()
        };
        let bytes = meta.encode_to_vec();
        let file = InputFile {
            name: "m.meta",
            bytes: &bytes,
        };
        let loaded = load(file, Expect::GraphDef, Some(false)).expect("loads");
        assert_eq!(loaded.kind, GraphKind::MetaGraphBinary);
        assert!(loaded.saver_def.is_some());
    }

    #[test]
    fn text_errors_say_where() {
        let text = b"node {\n  name: \"x\"\n  op: Placeholder\" }\n";
        for hint in [None, Some(true), Some(false)] {
            let file = InputFile {
                name: "g.pbtxt",
                bytes: text,
            };
            let err = load(file, Expect::GraphDef, hint).unwrap_err().to_string();
            assert!(err.contains("text format: line 3, column "), "{err}");
            assert!(!err.contains("wire type"), "{err}");
        }
    }

    #[test]
    fn deep_text_nesting_is_refused_quickly() {
        for (depth, close) in [(2000, true), (2000, false), (120_000, false)] {
            let mut text =
                "node { name: \"x\" op: \"Const\" attr { key: \"value\" value { ".to_owned();
            text.push_str(
                &"list { func { name: \"a\" attr { key: \"k\" value { ".repeat(depth / 3),
            );
            if close {
                text.push_str(&"} } } } }".repeat(depth / 3));
                text.push_str("} } }");
            }
            let file = InputFile {
                name: "deep.pbtxt",
                bytes: text.as_bytes(),
            };
            let started = std::time::Instant::now();
            let err = load(file, Expect::GraphDef, None).unwrap_err().to_string();
            assert!(
                err.contains("deep.pbtxt: ") && err.contains("nested more than 100 deep"),
                "{err}"
            );
            assert!(started.elapsed().as_secs() < 2, "{:?}", started.elapsed());
        }
    }

    #[test]
    fn garbage_is_refused_with_the_file_name() {
        let file = InputFile {
            name: "junk.pb",
            bytes: b"\xff\xff\xff\xff",
        };
        let err = load(file, Expect::GraphDef, None).expect_err("refused");
        assert!(
            err.to_string().starts_with("junk.pb: not a GraphDef"),
            "{err}"
        );
    }
}
