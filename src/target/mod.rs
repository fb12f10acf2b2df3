//! `--target`: where the frozen graph goes next. A target names the
//! transforms its consumer needs ([`preset`]) and the TF ops it can run
//! ([`lint`], over tables taken from each consumer's own source, in `ops/`).
//! This is vocabulary and data: the option table builds on it, the freeze
//! calls the lint.

#![deny(clippy::indexing_slicing)]

mod lint;
mod ops;
mod preset;

pub use lint::{lint, TargetLint, UnsupportedNode};
pub use preset::{preset, PENDING_OPTIONS};

use crate::error::{Error, Result};

/// A consumer of the frozen graph.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Target {
    /// TensorFlow itself: nothing changes (TF's `freeze_graph` output).
    #[default]
    Tf,
    /// The TFLite converter.
    Tflite,
    /// `tensorflowjs_converter` and TF.js.
    Tfjs,
    /// tf2onnx.
    Onnx,
    /// OpenCV's `dnn` module.
    Opencv,
    /// tract.
    Tract,
}

impl Target {
    /// Every target, in the order the usage text names them.
    pub const ALL: [Target; 6] = [
        Target::Tf,
        Target::Tflite,
        Target::Tfjs,
        Target::Onnx,
        Target::Opencv,
        Target::Tract,
    ];

    /// The name `--target` takes.
    pub fn name(self) -> &'static str {
        match self {
            Target::Tf => "tf",
            Target::Tflite => "tflite",
            Target::Tfjs => "tfjs",
            Target::Onnx => "onnx",
            Target::Opencv => "opencv",
            Target::Tract => "tract",
        }
    }

    /// The target `name` names, exactly (lower case, as the usage text writes it).
    pub fn parse(name: &str) -> Result<Target> {
        Target::ALL
            .into_iter()
            .find(|t| t.name() == name)
            .ok_or_else(|| {
                let names: Vec<&str> = Target::ALL.iter().map(|t| t.name()).collect();
                Error::Usage(format!(
                    "--target takes one of {}, not '{name}'",
                    names.join(", ")
                ))
            })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip_and_others_are_refused() {
        for target in Target::ALL {
            assert_eq!(Target::parse(target.name()).unwrap(), target);
        }
        let err = Target::parse("TFLite").unwrap_err().to_string();
        assert_eq!(
            err,
            "--target takes one of tf, tflite, tfjs, onnx, opencv, tract, not 'TFLite'"
        );
        assert!(Target::parse("").is_err());
    }
}
