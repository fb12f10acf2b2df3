//! Opt-in rewrites that make a training graph freezable and runnable for
//! inference: the edits users otherwise make by hand in Python. Each is a pure
//! function over a GraphDef that returns one line per change, and each rewrites
//! only patterns it recognises for sure.

#![deny(clippy::indexing_slicing)]

mod input_queue;
mod placeholders;
mod ref_ops;
mod training;

use crate::proto::{attr_value, AttrValue};

pub use crate::options::parse_assignments;
pub use input_queue::cut_input_queue;
pub use placeholders::placeholder_to_const;
pub use ref_ops::fix_ref_ops;
pub use training::{bypass_dropout, drop_check_numerics, strip_training_nodes};

/// A `type` attr: the placeholder and input-queue rewrites both write one.
fn type_value(dtype: i32) -> AttrValue {
    AttrValue {
        value: Some(attr_value::Value::Type(dtype)),
    }
}
