//! What each target's preset turns on: option values, as a user would give
//! them, so `--target` adds no second way to ask for a transform and the
//! report's `command` stays the whole story. An option the user gave keeps
//! its value. The freeze runs the transforms in its own fixed order (cut and
//! clean before pruning, then the frozen-graph rewrites, folding last); each
//! row lists them in that order.
//!
//! Why each consumer needs what (the causes measured in six consumers):
//! - `fix_legacy_shapes`: tf2onnx, the TF.js converter, OpenCV and tract read
//!   a TF <= 1.0 placeholder's `shape {}` as a scalar; TF reads it as unknown.
//! - `fix_ref_ops`: no consumer but TF has reference ops (`RefSwitch`,
//!   `Assign`); after freezing they are fed constants and fail to import.
//! - `strip_training_nodes`: dropout with a fed `keep_prob` and
//!   `CheckNumerics` stop tf2onnx, OpenCV and tract.
//! - `strip_debug_ops`: `Print`, `Assert`, `StopGradient` and `CheckNumerics`
//!   are in none of the op tables but TFLite's select ops.
//! - `inline_functions`: TF.js, OpenCV and tract run no `PartitionedCall`.
//! - `fold_batch_norms`: OpenCV and tract lack `FusedBatchNormV3` or fail on
//!   a batch norm behind a `tf.cond`; tf2onnx keeps the folded form smaller.
//! - `fold_constants`: shape subgraphs (`Shape`, `StridedSlice`, `Pack`) over
//!   a fixed batch stop all four converters that do not fold them themselves.
//!   TFLite's converter folds and inlines on its own.

use super::Target;

/// Options the presets name that the option table may not have yet; a
/// preset skips such a name until its row exists. The tests keep this
/// list to names no row has, so it empties as the options arrive.
pub const PENDING_OPTIONS: &[&str] = &[];

const ON: &str = "true";

/// The option values `target` sets, `(flag, value)`, in the freeze's order.
pub fn preset(target: Target) -> &'static [(&'static str, &'static str)] {
    match target {
        Target::Tf => &[],
        Target::Tflite => &[("fix_ref_ops", ON), ("strip_debug_ops", ON)],
        Target::Tfjs => &[
            ("fix_legacy_shapes", ON),
            ("inline_functions", ON),
            ("fix_ref_ops", ON),
            ("strip_debug_ops", ON),
            ("fold_constants", ON),
        ],
        Target::Onnx => &[
            ("strip_training_nodes", ON),
            ("fix_legacy_shapes", ON),
            ("fix_ref_ops", ON),
            ("strip_debug_ops", ON),
            ("fold_batch_norms", ON),
            ("fold_constants", ON),
        ],
        Target::Opencv | Target::Tract => &[
            ("strip_training_nodes", ON),
            ("fix_legacy_shapes", ON),
            ("inline_functions", ON),
            ("fix_ref_ops", ON),
            ("strip_debug_ops", ON),
            ("fold_batch_norms", ON),
            ("fold_constants", ON),
        ],
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::options::{find, ValueKind};

    #[test]
    fn every_option_a_preset_names_exists_or_is_pending() {
        for target in Target::ALL {
            for (flag, value) in preset(target) {
                match find(flag) {
                    Some(row) => {
                        assert_eq!(row.flag, *flag, "{}: an alias, not the flag", target.name());
                        assert!(
                            !row.in_tf,
                            "{}: presets set only our options",
                            target.name()
                        );
                        assert_eq!(row.kind, ValueKind::Bool, "{}: --{flag}", target.name());
                        assert_eq!(
                            row.default,
                            "false",
                            "{}: --{flag} is opt-in",
                            target.name()
                        );
                        assert_eq!(*value, "true");
                    }
                    None => assert!(
                        PENDING_OPTIONS.contains(flag),
                        "{}: --{flag} is not an option",
                        target.name()
                    ),
                }
            }
        }
        assert!(preset(Target::Tf).is_empty());
    }

    #[test]
    fn pending_names_are_not_options_yet() {
        // Once a pending option has its row, it leaves PENDING_OPTIONS
        // (one line) and the test above checks it like the others.
        for flag in PENDING_OPTIONS {
            assert!(
                find(flag).is_none(),
                "--{flag} exists: remove it from PENDING_OPTIONS"
            );
        }
    }

    #[test]
    fn no_option_twice() {
        for target in Target::ALL {
            let flags: Vec<&str> = preset(target).iter().map(|(f, _)| *f).collect();
            let mut unique = flags.clone();
            unique.sort_unstable();
            unique.dedup();
            assert_eq!(unique.len(), flags.len(), "{}", target.name());
        }
    }
}
