//! tf-freeze: TensorFlow's `freeze_graph` over byte slices.
//!
//! The core reads a graph (GraphDef, MetaGraphDef or SavedModel, binary or
//! text) and a checkpoint (V2 `.index`, or V1 tables), turns the variables the
//! outputs need into constants and returns a [`Plan`]: the frozen GraphDef as
//! a list of segments, either owned bytes or a range of a `.data` shard. The
//! CLI streams the plan to disk and the page builds its download from slices
//! of the dropped files, so raw weights never pass through the core. Nothing
//! here touches a filesystem.

// Layers, each using only the groups above it: the formats; TF's vocabulary;
// the graph and checkpoint models with the one variable lookup; the passes
// (cleanup, freeze, inspect), which never use each other; the request that
// carries a freeze through them; the wasm shell.

pub mod bundle;
pub mod error;
pub mod input;
pub mod options;
pub mod proto;
pub mod wire;

pub mod detect;
pub mod dtype;
pub mod layout;
pub mod plan;
mod tensor;

pub mod checkpoint;
pub mod graph;
pub mod variables;

pub mod cleanup;
mod freeze;
pub mod inspect;

pub mod dropped;
mod request;

#[cfg(target_arch = "wasm32")]
pub mod wasm;

pub use checkpoint::Checkpoint;
pub use error::{Error, ErrorKind, Result};
pub use freeze::{DataRange, Prepared};
pub use input::{CheckpointFiles, FreezeRequest, InputFile};
pub use options::split_list;
pub use options::FreezeOptions;
pub use plan::{FrozenVariable, Plan, Segment, Summary};
pub use request::{inspect_request, no_graph_error, prepare};
