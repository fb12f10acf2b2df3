//! The one error type of the core. Variants are grouped by who is at fault, and
//! every message names the file, tensor or node it is about, because the same
//! text reaches the CLI's stderr and the page.

use std::fmt;

/// Everything that can go wrong while reading inputs or freezing.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Error {
    // ---- The user's files ----
    /// A file is damaged or is not the kind of file it should be.
    Corrupt {
        /// The file, as the user named it.
        file: String,
        /// What is wrong, with offsets and sizes where they help.
        detail: String,
    },
    /// A stored checksum does not match the bytes.
    Checksum {
        /// The file holding the bytes.
        file: String,
        /// The tensor (or table block) the checksum covers.
        what: String,
        /// The checksum the file stores (unmasked).
        stored: u32,
        /// The checksum of the bytes as read.
        computed: u32,
    },
    /// A file that the inputs need was not given.
    MissingFile {
        /// The file name that is needed.
        file: String,
        /// Why it is needed.
        detail: String,
    },
    /// The graph and the checkpoint do not fit together, or the graph is inconsistent.
    Mismatch {
        /// The node or tensor concerned.
        name: String,
        /// What does not match.
        detail: String,
    },
    /// Several variables the checkpoint cannot give, each a [`Error::Mismatch`]
    /// (or another input error), so a shell can list or group them.
    Mismatches(Vec<Error>),
    /// An output node name that the graph does not have.
    UnknownNode {
        /// The name as given.
        name: String,
        /// Existing node names that are close to it.
        suggestions: Vec<String>,
    },
    /// The graph holds no variables: it was most likely frozen already.
    NoVariables,

    /// The output could not be written.
    Output {
        /// The output path.
        file: String,
        /// The system's reason.
        detail: String,
    },

    // ---- The way the tool was called ----
    /// Options that contradict each other or are missing.
    Usage(String),

    // ---- Formats or features this version does not handle ----
    /// A valid input that this version cannot freeze yet.
    Unsupported {
        /// What it is, and what to do instead.
        what: String,
    },

    // ---- Our limits ----
    /// A size beyond what can be represented or allocated safely.
    TooLarge {
        /// What is too large.
        what: String,
        /// Its size in bytes (or elements, as `what` says).
        size: u64,
        /// The limit.
        limit: u64,
    },
}

/// Who is at fault, for shells that answer each differently (the CLI's exit
/// code, the page's advice).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ErrorKind {
    /// The user's files: damaged, missing, or not fitting together.
    Input,
    /// Valid input this version cannot handle.
    Unsupported,
    /// How the tool was called.
    Usage,
    /// One of our size limits.
    Limit,
}

impl ErrorKind {
    /// A stable name for the page and for JSON.
    pub fn as_str(self) -> &'static str {
        match self {
            ErrorKind::Input => "input",
            ErrorKind::Unsupported => "unsupported",
            ErrorKind::Usage => "usage",
            ErrorKind::Limit => "limit",
        }
    }
}

/// The core's result type.
pub type Result<T, E = Error> = std::result::Result<T, E>;

impl Error {
    /// Who is at fault.
    pub fn kind(&self) -> ErrorKind {
        match self {
            Error::Corrupt { .. }
            | Error::Checksum { .. }
            | Error::MissingFile { .. }
            | Error::Mismatch { .. }
            | Error::Mismatches(_)
            | Error::UnknownNode { .. }
            | Error::NoVariables
            | Error::Output { .. } => ErrorKind::Input,
            Error::Usage(_) => ErrorKind::Usage,
            Error::Unsupported { .. } => ErrorKind::Unsupported,
            Error::TooLarge { .. } => ErrorKind::Limit,
        }
    }

    /// True when the fault lies in how the tool was called (CLI exit code 2).
    pub fn is_usage(&self) -> bool {
        self.kind() == ErrorKind::Usage
    }

    pub(crate) fn corrupt(file: &str, detail: impl Into<String>) -> Self {
        Error::Corrupt {
            file: file.to_owned(),
            detail: detail.into(),
        }
    }

    pub(crate) fn mismatch(name: &str, detail: impl Into<String>) -> Self {
        Error::Mismatch {
            name: name.to_owned(),
            detail: detail.into(),
        }
    }

    /// A V1 checkpoint table given where a V2 `.index` was expected.
    pub fn v1_not_index(file: &str) -> Self {
        Error::corrupt(
            file,
            "is a TensorFlow V1 checkpoint (a SavedTensorSlices table), not the .index of a V2 one; \
             give it as the checkpoint itself and it is read as V1",
        )
    }

    pub(crate) fn unsupported(what: impl Into<String>) -> Self {
        Error::Unsupported { what: what.into() }
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::Corrupt { file, detail } => write!(f, "{file}: {detail}"),
            Error::Checksum {
                file,
                what,
                stored,
                computed,
            } => write!(
                f,
                "{file}: checksum mismatch for {what} (stored crc32c {stored:#010x}, computed {computed:#010x}); \
                 the file is damaged or does not belong to this checkpoint"
            ),
            Error::MissingFile { file, detail } => write!(f, "missing file {file}: {detail}"),
            Error::Mismatch { name, detail } => write!(f, "{name}: {detail}"),
            Error::Mismatches(each) => {
                let each: Vec<String> = each.iter().map(Error::to_string).collect();
                write!(
                    f,
                    "{} variables: cannot be frozen from this checkpoint: {}",
                    each.len(),
                    each.join("; ")
                )
            }
            Error::UnknownNode { name, suggestions } => {
                write!(f, "node '{name}' is not in the graph")?;
                if suggestions.is_empty() {
                    Ok(())
                } else {
                    write!(f, "; did you mean {}?", quoted_list(suggestions))
                }
            }
            Error::NoVariables => write!(
                f,
                "the graph holds no variables: it was most likely frozen already (a graph cannot be frozen twice)"
            ),
            Error::Output { file, detail } => write!(f, "cannot write {file}: {detail}"),
            Error::Usage(message) => write!(f, "{message}"),
            Error::Unsupported { what } => write!(f, "not supported: {what}"),
            Error::TooLarge { what, size, limit } => {
                write!(f, "{what} is too large ({size} bytes; the limit is {limit})")
            }
        }
    }
}

impl std::error::Error for Error {}

fn quoted_list(names: &[String]) -> String {
    let quoted: Vec<String> = names.iter().map(|n| format!("'{n}'")).collect();
    quoted.join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unknown_node_lists_suggestions() {
        let err = Error::UnknownNode {
            name: "ouput".into(),
            suggestions: vec!["output".into(), "out".into()],
        };
        assert_eq!(
            err.to_string(),
            "node 'ouput' is not in the graph; did you mean 'output', 'out'?"
        );
    }

    #[test]
    fn every_error_has_a_kind() {
        let cases = [
            (Error::corrupt("f", "x"), ErrorKind::Input),
            (Error::NoVariables, ErrorKind::Input),
            (Error::Usage("x".into()), ErrorKind::Usage),
            (Error::unsupported("x"), ErrorKind::Unsupported),
            (
                Error::TooLarge {
                    what: "x".into(),
                    size: 2,
                    limit: 1,
                },
                ErrorKind::Limit,
            ),
        ];
        for (err, kind) in cases {
            assert_eq!(err.kind(), kind, "{err}");
        }
        assert_eq!(ErrorKind::Limit.as_str(), "limit");
    }

    #[test]
    fn several_mismatches_are_one_error_that_keeps_each() {
        let err = Error::Mismatches(vec![Error::mismatch("a", "x"), Error::mismatch("b", "y")]);
        assert_eq!(
            err.to_string(),
            "2 variables: cannot be frozen from this checkpoint: a: x; b: y"
        );
        assert_eq!(err.kind(), ErrorKind::Input);
        assert!(matches!(&err, Error::Mismatches(each) if each.len() == 2));
    }

    #[test]
    fn only_usage_errors_are_usage() {
        assert!(Error::Usage("x".into()).is_usage());
        assert!(!Error::NoVariables.is_usage());
    }
}
