//! The graph model: graphs loaded from GraphDef, MetaGraphDef or SavedModel
//! files (binary or protobuf text, recognised by their bytes), and the
//! vocabulary every pass reads them with. TF picks binary or text from `--input_binary`
//! alone (python/tools/freeze_graph.py); here that flag is only a hint of
//! which to try first, so a wrong value never makes a good file fail.

#![deny(clippy::indexing_slicing)]

pub mod attrs;
pub mod initializers;
mod load;
pub mod names;
pub(crate) mod op_defaults;
pub mod op_outputs;
pub mod ops;
pub mod refs;
mod saved_model;
pub mod saver;
pub mod structure;
pub mod subgraph;
#[cfg(test)]
pub(crate) mod test_graph;
mod text;

use crate::proto::{GraphDef, MetaGraphDef, OpList, SaverDef};

pub(crate) use load::descriptor_pool;
pub use load::{load, load_saver, parse_text};
pub use saved_model::{load_saved_model, output_nodes, signature_outputs};

/// What kind of file a graph came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GraphKind {
    /// A binary `GraphDef` (`.pb`).
    GraphDefBinary,
    /// A text `GraphDef` (`.pbtxt`).
    GraphDefText,
    /// A binary `MetaGraphDef` (`.meta`).
    MetaGraphBinary,
    /// A text `MetaGraphDef`.
    MetaGraphText,
    /// A SavedModel's `saved_model.pb` (or `.pbtxt`).
    SavedModel,
}

impl GraphKind {
    /// A short human description.
    pub fn describe(self) -> &'static str {
        match self {
            GraphKind::GraphDefBinary => "binary GraphDef",
            GraphKind::GraphDefText => "text GraphDef",
            GraphKind::MetaGraphBinary => "binary MetaGraphDef",
            GraphKind::MetaGraphText => "text MetaGraphDef",
            GraphKind::SavedModel => "SavedModel",
        }
    }
}

/// A graph and what came with it.
#[derive(Debug, Clone)]
pub struct LoadedGraph {
    /// The graph to freeze.
    pub graph: GraphDef,
    /// The meta graph's SaverDef, if it had one.
    pub saver_def: Option<SaverDef>,
    /// The whole meta graph, when the file was one.
    pub meta_graph: Option<MetaGraphDef>,
    /// How the file was recognised.
    pub kind: GraphKind,
}

impl LoadedGraph {
    /// The op definitions a `.meta` carries (`meta_info_def.stripped_op_list`).
    pub fn stripped_op_list(&self) -> Option<&OpList> {
        self.meta_graph
            .as_ref()
            .and_then(|m| m.meta_info_def.as_ref())
            .and_then(|i| i.stripped_op_list.as_ref())
    }
}

/// Which message a file is expected to hold.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Expect {
    /// `--input_graph`: a GraphDef, though a MetaGraphDef is accepted.
    GraphDef,
    /// `--input_meta_graph`.
    MetaGraphDef,
}

/// The graph of a meta graph, with what came with it.
pub(super) fn from_meta(mut meta: MetaGraphDef, kind: GraphKind) -> LoadedGraph {
    let graph = meta.graph_def.take().unwrap_or_default();
    LoadedGraph {
        graph,
        saver_def: meta.saver_def.clone(),
        meta_graph: Some(meta),
        kind,
    }
}
