//! tf-freeze: TensorFlow's `freeze_graph` over byte slices.
pub mod proto;
