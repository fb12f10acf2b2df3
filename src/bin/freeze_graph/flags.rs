//! TensorFlow's `freeze_graph` flags, as the core's option table lists them:
//! `--flag=value` or `--flag value`, booleans bare or as true/false/1/0.

use tf_freeze::options::{self, OptionRow, OptionValues, ValueKind, OPTIONS};
use tf_freeze::Error;

/// The CLI names an option by its flag, in core messages too.
pub fn flag(row: &OptionRow) -> String {
    format!("--{}", row.flag)
}

const HEADER: &str = "\
usage: freeze_graph [flags]

Freezes a TensorFlow graph and checkpoint into one GraphDef (.pb), as
TensorFlow's freeze_graph does, without TensorFlow.
";

const FOOTER: &str = "
Booleans are true/false/1/0 in any case, or bare (--clear_devices means true).
";

/// The `--help` text: every row of the table, TF's flags first.
pub fn usage() -> String {
    let section = |in_tf: bool| {
        OPTIONS
            .iter()
            .filter(|row| row.in_tf == in_tf)
            .map(usage_line)
            .collect::<String>()
    };
    format!(
        "{HEADER}\nTensorFlow's flags:\n{}\nAdded here, to choose outputs, clean up for inference and stay safe:\n{}{FOOTER}",
        section(true),
        section(false)
    )
}

fn usage_line(row: &OptionRow) -> String {
    let left = format!("--{} {}", row.flag, row.value_name);
    let mut line = format!("  {:<32} {}", left.trim_end(), row.help);
    for alias in row.aliases {
        line.push_str(&format!(" (also --{alias})"));
    }
    // Switches are off unless given; every other default is worth saying.
    if !row.default.is_empty() && !row.value_name.is_empty() {
        line.push_str(&format!(" (default {})", row.default));
    }
    line.push('\n');
    line
}

/// An argument echoed in a message, cut to a readable length.
fn shorten(text: &str) -> String {
    tf_freeze::graph::names::shorten(text)
}

pub fn parse_flags(args: &[String]) -> Result<OptionValues, Error> {
    let mut values = OptionValues::default();
    let mut i = 0;
    while let Some(arg) = args.get(i) {
        i += 1;
        let Some(body) = arg.strip_prefix("--").or_else(|| arg.strip_prefix('-')) else {
            return Err(Error::Usage(format!(
                "unexpected argument '{}' (flags look like --name=value)",
                shorten(arg)
            )));
        };
        let (name, inline) = match body.split_once('=') {
            Some((n, v)) => (n, Some(v.to_owned())),
            None => (body, None),
        };
        let row = options::find(name);
        let value = match inline {
            Some(v) if v.is_empty() && row.is_some_and(|r| r.kind == ValueKind::Patterns) => {
                return Err(Error::Usage(format!(
                    "--{name}= needs patterns after '=' (or stands bare for every weight)"
                )))
            }
            Some(v) => v,
            // Patterns are only ever given after `=`: bare means every weight.
            None if row.is_some_and(|r| r.kind == ValueKind::Patterns) => String::new(),
            None if row.is_some_and(|r| r.kind == ValueKind::Bool) => match args.get(i) {
                // A bare boolean means true; a following true/false word is its value.
                Some(next) if !next.starts_with('-') && options::parse_bool(name, next).is_ok() => {
                    i += 1;
                    next.clone()
                }
                _ => "true".to_owned(),
            },
            None => {
                let v = args
                    .get(i)
                    .cloned()
                    .ok_or_else(|| Error::Usage(format!("--{name} needs a value")))?;
                i += 1;
                v
            }
        };
        let Some(row) = row else {
            return Err(Error::Usage(format!(
                "unknown flag --{} (see --help)",
                shorten(name)
            )));
        };
        // An empty path names no file: `--output_graph=` would silently be a dry run.
        if row.kind == ValueKind::Path && value.is_empty() {
            return Err(Error::Usage(format!(
                "--{name} needs a path, not an empty value"
            )));
        }
        values.set(name, &value)?;
    }
    Ok(values)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(args: &[&str]) -> Result<OptionValues, Error> {
        parse_flags(&args.iter().map(|a| (*a).to_owned()).collect::<Vec<_>>())
    }

    #[test]
    fn both_value_forms_and_bare_booleans() {
        let values = parse(&[
            "--output_node_names",
            "a,b",
            "-input_graph=g.pb",
            "--inspect",
            "--clear_devices",
            "False",
        ])
        .unwrap();
        assert_eq!(values.list("output_node_names"), ["a", "b"]);
        assert_eq!(values.non_empty("input_graph"), Some("g.pb"));
        assert!(values.bool("inspect"));
        assert!(!values.bool("clear_devices"));
        // The word after a bare boolean is not taken when it is not a boolean.
        let err = parse(&["--inspect", "graph.pb"]).unwrap_err();
        assert!(err
            .to_string()
            .starts_with("unexpected argument 'graph.pb'"));
    }

    #[test]
    fn usage_mistakes() {
        let message = |args: &[&str]| parse(args).unwrap_err().to_string();
        assert_eq!(message(&["--output_graph"]), "--output_graph needs a value");
        assert_eq!(
            message(&["--output_graph="]),
            "--output_graph needs a path, not an empty value"
        );
        assert_eq!(
            message(&["--input_saver", ""]),
            "--input_saver needs a path, not an empty value"
        );
        assert!(message(&[&"x".repeat(120_000)]).len() < 300);
        assert_eq!(message(&["--nope=1"]), "unknown flag --nope (see --help)");
        assert_eq!(
            message(&["--fix_ref_ops=yes"]),
            "--fix_ref_ops takes true or false (or 1/0), not 'yes'"
        );
        assert_eq!(
            message(&["--checkpoint_version=3"]),
            "Invalid checkpoint version (must be '1' or '2'): 3"
        );
    }

    #[test]
    fn usage_lists_every_row_and_alias() {
        let text = usage();
        for row in OPTIONS {
            assert!(text.contains(&format!("  --{} ", row.flag)), "{}", row.flag);
            for alias in row.aliases {
                assert!(text.contains(&format!("--{alias}")), "{alias}");
            }
        }
    }
}
