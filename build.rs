//! Compiles `proto/` into prost types with a pure-Rust protobuf compiler, so no
//! system `protoc` is needed, and keeps the descriptor set for the text format.

use std::path::PathBuf;

use prost::Message;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    println!("cargo:rerun-if-changed=proto");
    let mut files: Vec<PathBuf> = std::fs::read_dir("proto")?
        .filter_map(|entry| entry.ok().map(|e| e.path()))
        .filter(|path| path.extension().is_some_and(|ext| ext == "proto"))
        .collect();
    // A stable input order gives stable generated code.
    files.sort();
    let descriptors = protox::compile(&files, ["proto"])?;
    let out_dir = PathBuf::from(std::env::var("OUT_DIR")?);
    std::fs::write(
        out_dir.join("file_descriptor_set.bin"),
        descriptors.encode_to_vec(),
    )?;
    prost_build::Config::new()
        // TF serializes deterministically: map entries sorted by key.
        .btree_map(["."])
        // Every node holds its attrs in a map whose B-tree leaf reserves room for
        // eleven values, so an inline `TensorProto` (about 400 bytes) made each
        // node's attrs cost over 4 KB even for a single `T`. Boxed, a value is a
        // pointer wide and the leaf about 600 bytes.
        .boxed(".tensorflow.AttrValue.value.shape")
        .boxed(".tensorflow.AttrValue.value.tensor")
        .boxed(".tensorflow.AttrValue.value.list")
        .boxed(".tensorflow.AttrValue.value.func")
        // Rarely set, and inline they would double the size of every NodeDef.
        .boxed(".tensorflow.NodeDef.experimental_debug_info")
        .boxed(".tensorflow.NodeDef.experimental_type")
        // Map entries are written in upb's deterministic order (see src/wire.rs).
        .prost_path("crate::wire")
        .compile_fds(descriptors)?;
    Ok(())
}
