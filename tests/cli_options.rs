//! The CLI's flags are the core's option table: `--help` lists every row, and
//! every row (and alias) parses, in each of its spellings.

// Integration tests fail by panicking.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::process::{Command, Output};

use tf_freeze::options::{OptionRow, ValueKind, OPTIONS};

fn run(args: &[String]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_freeze_graph"))
        .args(args)
        .output()
        .expect("runs")
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// A value the row accepts.
fn example(row: &OptionRow) -> &'static str {
    match row.kind {
        _ if !row.default.is_empty() => row.default,
        ValueKind::Bool => "false",
        ValueKind::List => "a,b",
        ValueKind::Text | ValueKind::Path => "x",
        ValueKind::Patterns => "a*,b",
    }
}

/// Every spelling of every row: the flag and its aliases.
fn spellings() -> impl Iterator<Item = (&'static OptionRow, &'static str)> {
    OPTIONS.iter().flat_map(|row| {
        std::iter::once(row.flag)
            .chain(row.aliases.iter().copied())
            .map(move |name| (row, name))
    })
}

#[test]
fn help_lists_every_row_with_its_help_and_aliases() {
    let out = run(&["--help".into()]);
    assert_eq!(out.status.code(), Some(0));
    assert!(out.stdout.is_empty());
    let text = stderr(&out);
    for row in OPTIONS {
        let line = text
            .lines()
            .find(|l| l.trim_start().starts_with(&format!("--{} ", row.flag)))
            .unwrap_or_else(|| panic!("--help does not list --{}", row.flag));
        assert!(line.contains(row.help), "{line}");
        for alias in row.aliases {
            assert!(line.contains(&format!("--{alias}")), "{line}");
        }
    }
}

#[test]
fn every_row_parses_as_flag_equals_value_and_as_flag_space_value() {
    // --help after the flags: they are all parsed, then the usage is printed.
    let mut equals: Vec<String> = spellings()
        .map(|(row, name)| format!("--{name}={}", example(row)))
        .collect();
    equals.push("--help".into());
    let out = run(&equals);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));

    let mut spaced: Vec<String> = spellings()
        .flat_map(|(row, name)| match row.kind {
            // Patterns follow `=` only: a bare pattern flag means every weight.
            ValueKind::Patterns => vec![format!("--{name}")],
            _ => vec![format!("--{name}"), example(row).to_owned()],
        })
        .collect();
    spaced.push("--help".into());
    let out = run(&spaced);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
}

#[test]
fn booleans_take_any_case_stand_bare_and_refuse_anything_else() {
    for row in OPTIONS
        .iter()
        .filter(|r| r.kind == ValueKind::Bool && r.flag != "help")
    {
        for value in ["TRUE", "False", "1", "0"] {
            let out = run(&[format!("--{}={value}", row.flag), "--help".into()]);
            assert_eq!(
                out.status.code(),
                Some(0),
                "--{}={value}: {}",
                row.flag,
                stderr(&out)
            );
        }
        let out = run(&[format!("--{}", row.flag), "--help".into()]);
        assert_eq!(out.status.code(), Some(0), "bare --{}", row.flag);
        let out = run(&[format!("--{}=yes", row.flag), "--help".into()]);
        assert_eq!(out.status.code(), Some(2));
        assert_eq!(
            stderr(&out),
            format!(
                "freeze_graph: --{} takes true or false (or 1/0), not 'yes'\n(see --help)\n",
                row.flag
            )
        );
    }
}

#[test]
fn unknown_flags_and_missing_values_are_usage_errors() {
    let out = run(&["--output_graphs=x".into()]);
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(
        stderr(&out),
        "freeze_graph: unknown flag --output_graphs (see --help)\n(see --help)\n"
    );
    let out = run(&["--output_graph".into()]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).starts_with("freeze_graph: --output_graph needs a value\n"));
    let out = run(&[]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).starts_with("usage: freeze_graph"));
}
