//! tf-freeze: TensorFlow's `freeze_graph` over byte slices.
//!
//! The core reads a graph (GraphDef, MetaGraphDef or SavedModel, binary or
//! text) and a checkpoint (V2 `.index`, or V1 tables), turns the variables the
//! outputs need into constants and returns a [`Plan`]: the frozen GraphDef as
//! a list of segments, either owned bytes or a range of a `.data` shard. The
//! CLI streams the plan to disk and the page builds its download from slices
//! of the dropped files, so raw weights never pass through the core. Nothing
//! here touches a filesystem.
//!
//! An in-memory freeze, byte for byte what TensorFlow's `freeze_graph` writes:
//!
//! ```
//! use std::io::Cursor;
//! use tf_freeze::{CheckpointFiles, Graph, InputFile, Options};
//! # // A fixture that cannot be read is empty, and the parse below says so.
//! # let read = |name: &str| std::fs::read(format!("{}/tests/fixtures/mlp_binary/{name}", env!("CARGO_MANIFEST_DIR"))).unwrap_or_default();
//! let (graph_pb, index, data) = (read("graph.pb"), read("model.ckpt.index"), read("model.ckpt.data-00000-of-00001"));
//!
//! let graph = Graph::parse(InputFile::new("graph.pb", &graph_pb))?;
//! let checkpoint = CheckpointFiles::v2("model.ckpt", InputFile::new("model.ckpt.index", &index), &[&data]);
//! let plan = tf_freeze::freeze(&graph, &checkpoint, &[&data], &Options::outputs(["probs"]))?;
//! let mut frozen = Vec::new();
//! plan.write_to(&mut frozen, &mut [Cursor::new(&data)])?;
//! assert_eq!(frozen, read("tf_frozen.pb"));
//! # Ok::<(), tf_freeze::Error>(())
//! ```
//!
//! For checkpoints too large to hold, [`prepare`] a [`FreezeRequest`], read
//! the few ranges of [`Prepared::reads`] and [`Prepared::finish`]; the page does
//! this asynchronously. [`detect`] tells what a file is from its first and
//! last bytes; [`inspect_request`] reports on a graph and checkpoint
//! (`--inspect`) without freezing.

// Layers, each using only the groups above it: the formats; TF's vocabulary;
// the graph and checkpoint models with the one variable lookup; the passes
// (cleanup, freeze, inspect), which never use each other; the request that
// carries a freeze through them; the wasm shell.

// The modules marked hidden are public for the CLI, the page's glue and the
// fuzzers, not a stable interface.
#[doc(hidden)]
pub mod bundle;
pub mod error;
pub mod input;
pub mod options;
pub mod proto;
pub mod target;
#[doc(hidden)]
pub mod wire;
#[doc(hidden)]
pub mod zip;

pub mod detect;
pub mod dtype;
#[doc(hidden)]
pub mod layout;
pub mod plan;
mod tensor;

pub mod checkpoint;
#[doc(hidden)]
pub mod graph;
#[doc(hidden)]
pub mod variables;

#[doc(hidden)]
pub mod cleanup;
mod freeze;
pub mod inspect;

#[doc(hidden)]
pub mod dropped;
mod request;
pub mod tfjs;

#[cfg(target_arch = "wasm32")]
pub mod wasm;

pub use checkpoint::Checkpoint;
pub use error::{Error, ErrorKind, Result};
pub use freeze::{DataRange, Prepared};
pub use input::{CheckpointFiles, FreezeRequest, InputFile};
pub use options::split_list;
pub use options::Options;
pub use plan::{FrozenVariable, Plan, Segment, Summary};
pub use request::{freeze, inspect_request, no_graph_error, prepare, Graph};
