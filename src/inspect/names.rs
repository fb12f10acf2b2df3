//! Output names as users give them.

use crate::error::{Error, Result};
use crate::names::{node_name, suggestions};
use crate::proto::GraphDef;

/// The node an output name refers to: `name`, `name:0`, `^name`, and a stray
/// `import/` prefix (from `tf.import_graph_def` or TensorBoard) either way.
pub fn resolve_output(graph: &GraphDef, given: &str) -> Result<String> {
    let name = node_name(given.trim());
    let exists = |wanted: &str| graph.node.iter().any(|n| n.name == wanted);
    if exists(name) {
        return Ok(name.to_owned());
    }
    let mut stripped = name;
    while let Some(rest) = stripped.strip_prefix("import/") {
        if exists(rest) {
            return Ok(rest.to_owned());
        }
        stripped = rest;
    }
    let prefixed = format!("import/{name}");
    if exists(&prefixed) {
        return Ok(prefixed);
    }
    Err(Error::UnknownNode {
        name: name.to_owned(),
        suggestions: suggestions(stripped, graph.node.iter().map(|n| n.name.as_str())),
    })
}
