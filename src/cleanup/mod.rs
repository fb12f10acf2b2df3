//! Opt-in rewrites that make a training graph freezable and runnable for
//! inference: the edits users otherwise make by hand in Python. Each is a pure
//! function over a GraphDef that returns one line per change, and each rewrites
//! only patterns it recognises for sure.

#![deny(clippy::indexing_slicing)]

mod batch_norm;
mod cut;
mod debug_ops;
mod fold;
mod inline;
mod input_queue;
mod placeholders;
mod ref_ops;
pub(crate) mod shapes;
mod training;

use crate::proto::{attr_value, AttrValue};

pub use crate::options::parse_assignments;
pub use batch_norm::{fold_batch_norms, folded_consts};
pub use cut::cut_inputs;
pub use debug_ops::strip_debug_ops;
pub use fold::{fold_constants, fold_constants_placeholder_shapes, fold_reads};
pub use inline::inline_functions;
pub use input_queue::cut_input_queue;
pub use placeholders::placeholder_to_const;
pub use ref_ops::fix_ref_ops;
pub use shapes::{fix_legacy_shapes, set_input_shapes};
pub use training::{bypass_dropout, drop_check_numerics, strip_training_nodes};

/// A `type` attr: the placeholder and input-queue rewrites both write one.
fn type_value(dtype: i32) -> AttrValue {
    AttrValue {
        value: Some(attr_value::Value::Type(dtype)),
    }
}
