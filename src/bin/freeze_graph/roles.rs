//! A file given under the wrong flag is named with the flag it belongs to:
//! what it is comes from its bytes (`tf_freeze::detect`), not its name.

use tf_freeze::detect::{self, FileKind};
use tf_freeze::Error;

/// What a file of `kind` is, and the flag that takes it.
fn belongs(kind: &FileKind) -> Option<(&'static str, &'static str)> {
    Some(match kind {
        FileKind::GraphDef { .. } => ("a GraphDef", "--input_graph"),
        FileKind::MetaGraphDef { .. } => ("a MetaGraphDef", "--input_meta_graph"),
        FileKind::SavedModel { .. } => ("a SavedModel", "--input_saved_model_dir (its folder)"),
        FileKind::SaverDef { .. } => ("a SaverDef", "--input_saver"),
        FileKind::Index => ("a checkpoint index", "--input_checkpoint (its prefix)"),
        FileKind::V1Table => ("a V1 checkpoint", "--input_checkpoint"),
        FileKind::Data { .. } => ("a checkpoint data shard", "--input_checkpoint (its prefix)"),
        FileKind::CheckpointState => (
            "TensorFlow's `checkpoint` state file",
            "--input_checkpoint (the prefix it names)",
        ),
        FileKind::Fingerprint => ("a SavedModel fingerprint", "nothing: it is not needed"),
        _ => return None,
    })
}

/// The kinds `flag` reads; a GraphDef flag also takes a MetaGraphDef, as the core does.
fn accepts(flag: &str, kind: &FileKind) -> bool {
    match kind {
        FileKind::GraphDef { .. } | FileKind::MetaGraphDef { .. } => {
            matches!(flag, "input_graph" | "input_meta_graph")
        }
        FileKind::SaverDef { .. } => flag == "input_saver",
        _ => false,
    }
}

/// Refuses `bytes` under `flag` when they are certainly another kind of file.
pub fn check(flag: &str, name: &str, bytes: &[u8]) -> Result<(), Error> {
    let kind = detect::detect_bytes(name, bytes);
    if accepts(flag, &kind) {
        return Ok(());
    }
    match belongs(&kind) {
        Some((what, instead)) => Err(Error::Usage(format!(
            "{name} (given as --{flag}) is {what}; give it as {instead}"
        ))),
        // Unsure or unknown: the parser says what is wrong with it.
        None => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_checkpoint_index_under_input_graph_names_the_right_flag() {
        let index = std::fs::read(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/tests/fixtures/mlp_binary/model.ckpt.index"
        ))
        .unwrap();
        let err = check("input_graph", "model.ckpt.index", &index).unwrap_err();
        assert!(err.is_usage());
        assert_eq!(
            err.to_string(),
            "model.ckpt.index (given as --input_graph) is a checkpoint index; give it as --input_checkpoint (its prefix)"
        );
        let graph = std::fs::read(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/tests/fixtures/mlp_binary/graph.pb"
        ))
        .unwrap();
        assert!(check("input_graph", "graph.pb", &graph).is_ok());
        assert!(check("input_meta_graph", "graph.pb", &graph).is_ok());
        assert!(check("input_saver", "graph.pb", &graph).is_err());
        assert!(check("input_graph", "junk", b"\x00\x01").is_ok());
    }
}
