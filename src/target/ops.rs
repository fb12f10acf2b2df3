//! The TF ops each consumer runs, one file per target under `ops/`: a header
//! of `#` lines naming the source and version the names came from
//! (`scripts/target_ops.py` regenerates them), then one op name a line.

use std::collections::HashSet;

use super::Target;

/// Ops every consumer loads: the graph's inputs, its constants, and the
/// no-op nodes a consumer skips while importing.
const EVERYWHERE: [&str; 4] = ["Const", "Placeholder", "Identity", "NoOp"];

/// The table of `target`; `None` for TF itself, which runs every op.
fn table(target: Target) -> Option<&'static str> {
    match target {
        Target::Tf => None,
        Target::Tflite => Some(include_str!("ops/tflite.txt")),
        Target::Tfjs => Some(include_str!("ops/tfjs.txt")),
        Target::Onnx => Some(include_str!("ops/onnx.txt")),
        Target::Opencv => Some(include_str!("ops/opencv.txt")),
        Target::Tract => Some(include_str!("ops/tract.txt")),
    }
}

/// The ops `target` runs; `None` when it runs every op.
pub(super) fn supported(target: Target) -> Option<HashSet<&'static str>> {
    let table = table(target)?;
    let listed = table
        .lines()
        .map(str::trim)
        .filter(|line| !line.is_empty() && !line.starts_with('#'));
    Some(listed.chain(EVERYWHERE).collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_table_has_a_source_header_and_plain_op_names() {
        for target in Target::ALL.into_iter().filter(|t| *t != Target::Tf) {
            let text = table(target).unwrap();
            let header: Vec<&str> = text.lines().take_while(|l| l.starts_with('#')).collect();
            assert!(
                header
                    .iter()
                    .any(|l| l.contains("Regenerate: scripts/target_ops.py")),
                "{}: header names no way to regenerate it",
                target.name()
            );
            let names: Vec<&str> = text.lines().skip(header.len()).collect();
            assert!(names.len() > 40, "{}: {} ops", target.name(), names.len());
            assert!(
                names.windows(2).all(|w| w[0] < w[1]),
                "{}: sorted, once each",
                target.name()
            );
            for name in names {
                assert!(
                    !name.is_empty() && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_'),
                    "{}: '{name}' is not an op name",
                    target.name()
                );
            }
        }
        assert!(supported(Target::Tf).is_none());
    }

    #[test]
    fn the_tables_say_what_their_consumers_are_known_for() {
        let has = |target, op| supported(target).unwrap().contains(op);
        // tract has no Erf and no functions; TF.js and tf2onnx have Erf.
        assert!(has(Target::Tract, "MatMul") && !has(Target::Tract, "Erf"));
        assert!(!has(Target::Tract, "StatefulPartitionedCall"));
        assert!(has(Target::Tfjs, "Erf") && has(Target::Onnx, "Erf"));
        assert!(has(Target::Opencv, "FusedBatchNormV3") && !has(Target::Opencv, "Erf"));
        assert!(
            has(Target::Tflite, "StatefulPartitionedCall") && !has(Target::Tflite, "VarHandleOp")
        );
        for target in Target::ALL.into_iter().filter(|t| *t != Target::Tf) {
            assert!(EVERYWHERE.iter().all(|op| has(target, op)));
        }
    }
}
