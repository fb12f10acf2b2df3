//! tf-freeze: TensorFlow's `freeze_graph` over byte slices.
//!
//! The core reads a graph (GraphDef or MetaGraphDef, binary or text) and a V2
//! checkpoint index, turns the variables the outputs need into constants and
//! returns a [`Plan`]: the frozen GraphDef as a list of segments, either owned
//! bytes or a range of a `.data` shard. The CLI streams the plan to disk and
//! the page builds its download from slices of the dropped files, so raw
//! weights never pass through the core. Nothing here touches a filesystem.

// Layers, each using only those above it in this list: formats (protos, the
// table container and both checkpoint formats), TF vocabulary (dtypes, the
// graph's ops, attrs and names), the graph and checkpoint models with the one
// variable lookup, the passes (cleanup, freeze, inspect; they never use each
// other), the output plan, and the request that carries a freeze through them.
pub mod bundle;
pub mod checkpoint;
pub mod cleanup;
pub mod dtype;
pub mod error;
mod freeze;
pub mod graph;
pub mod inspect;
pub mod plan;
pub mod proto;
mod request;
mod tensor;
pub mod variables;
#[cfg(target_arch = "wasm32")]
pub mod wasm;
pub mod wire;

pub use checkpoint::Checkpoint;
pub use error::{Error, ErrorKind, Result};
pub use freeze::{DataRange, Prepared};
pub use graph::names::split_list;
pub use plan::{FrozenVariable, Plan, Segment, Summary};
pub use request::{inspect_request, no_graph_error, prepare};

/// One input file: the name it had (for messages) and its bytes.
#[derive(Debug, Clone, Copy)]
pub struct InputFile<'a> {
    /// The file name or path as the user gave it.
    pub name: &'a str,
    /// Its whole contents.
    pub bytes: &'a [u8],
}

/// The checkpoint the values come from: its `.index` and the sizes of the
/// `.data` shards that were found (the shards themselves are read by the shell).
#[derive(Debug, Clone)]
pub struct CheckpointFiles<'a> {
    /// The prefix (`model.ckpt-1000`), used to name the data files in messages.
    pub prefix: &'a str,
    /// The `<prefix>.index` file; for a V1 checkpoint, its table file (the
    /// first one when it is sharded).
    pub index: InputFile<'a>,
    /// The other files of a sharded V1 checkpoint (`<prefix>-00001-of-00003`…).
    pub more_tables: Vec<InputFile<'a>>,
    /// The size of each `.data-SSSSS-of-NNNNN` shard by shard id; `None` when
    /// that shard was not given.
    pub shard_sizes: Vec<Option<u64>>,
}

/// TF's `freeze_graph` parameters (TF 2.21 defaults in [`FreezeOptions::default`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FreezeOptions {
    /// Node names to keep, with what they need (`name`, `name:0` or `^name`).
    pub output_node_names: Vec<String>,
    /// Blank every node's device (TF's default: true).
    pub clear_devices: bool,
    /// Only these variables become constants (`None`: all).
    pub variable_names_whitelist: Option<Vec<String>>,
    /// These variables stay variables.
    pub variable_names_denylist: Option<Vec<String>>,
    /// Nodes TF would run after restoring; checked to exist.
    pub initializer_nodes: Vec<String>,
    /// Deprecated in TF; when given, must name a node of the graph.
    pub restore_op_name: Option<String>,
    /// Deprecated in TF; when given, must name a tensor of the graph.
    pub filename_tensor_name: Option<String>,
    /// Write a GraphDef over protobuf's 2 GiB limit instead of refusing.
    pub allow_over_2gb: bool,
    /// Rewrite ops that need a reference (`RefSwitch`, `Assign`, `AssignSub`,
    /// `AssignAdd`) into their value forms, as users do by hand.
    pub fix_ref_ops: bool,
    /// Placeholders to replace by constants (`is_training=false`).
    pub placeholder_to_const: Vec<(String, String)>,
    /// Bypass dropout, drop `CheckNumerics`.
    pub strip_training_nodes: bool,
    /// Cut an input queue here: its dequeue becomes a placeholder of this name.
    pub input_placeholder: Option<String>,
    /// Freeze ExponentialMovingAverage shadow values where the checkpoint has them.
    pub use_moving_averages: bool,
}

impl Default for FreezeOptions {
    fn default() -> Self {
        FreezeOptions {
            output_node_names: Vec::new(),
            clear_devices: true,
            variable_names_whitelist: None,
            variable_names_denylist: None,
            initializer_nodes: Vec::new(),
            restore_op_name: None,
            filename_tensor_name: None,
            allow_over_2gb: false,
            fix_ref_ops: false,
            placeholder_to_const: Vec::new(),
            strip_training_nodes: false,
            input_placeholder: None,
            use_moving_averages: false,
        }
    }
}

/// Everything one freeze needs.
#[derive(Debug, Clone)]
pub struct FreezeRequest<'a> {
    /// `--input_graph`: a GraphDef (binary or text); a MetaGraphDef is accepted too.
    pub graph: Option<InputFile<'a>>,
    /// `--input_meta_graph`: a MetaGraphDef (binary or text). When given, its
    /// graph is the one frozen, as in TF.
    pub meta_graph: Option<InputFile<'a>>,
    /// `--input_saver`: a SaverDef (binary or text).
    pub saver: Option<InputFile<'a>>,
    /// `--input_saved_model_dir`: the SavedModel's `saved_model.pb` (or
    /// `.pbtxt`); its checkpoint is `variables/variables`.
    pub saved_model: Option<InputFile<'a>>,
    /// `--saved_model_tags`: the tag set of the MetaGraphDef to freeze.
    pub saved_model_tags: Vec<String>,
    /// The checkpoint.
    pub checkpoint: CheckpointFiles<'a>,
    /// `--input_binary`: only a hint of which encoding to try first.
    pub input_binary: Option<bool>,
    /// The parameters.
    pub options: FreezeOptions,
}
