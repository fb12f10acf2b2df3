//! The opt-in cleanups on fixtures made with TensorFlow 2.21: each fixture's
//! `variants` (extra flags such as `--use_moving_averages` or `--fix_ref_ops`)
//! must give the output `tests/fixtures/verify_frozen.py` loaded, ran in TF and
//! kept as `expected_<variant>.pb`; without them the output stays TF's.

use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::{Map, Value};

fn fixtures_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures")
}

fn fixture(name: &str) -> Value {
    let path = fixtures_dir().join(name).join("fixture.json");
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    serde_json::from_str(&text).expect("fixture.json parses")
}

const PATH_FLAGS: [&str; 5] = [
    "input_graph",
    "input_meta_graph",
    "input_saver",
    "input_checkpoint",
    "input_saved_model_dir",
];

/// The fixture's freeze_graph arguments, overridden by `extra` (a variant's
/// args), as CLI flags with paths made absolute.
fn flags(name: &str, meta: &Value, extra: Option<&Value>) -> Vec<String> {
    let dir = fixtures_dir().join(name);
    let Some(base) = meta["args"].as_object() else {
        panic!("{name}: fixture.json has no args");
    };
    let mut args: Map<String, Value> = base.clone();
    if let Some(extra) = extra {
        let Some(extra) = extra.as_object() else {
            panic!("{name}: variant args are not an object");
        };
        args.extend(extra.clone());
    }
    let mut out = Vec::new();
    for (flag, value) in &args {
        let text = match value {
            Value::String(s) if s.is_empty() => continue,
            Value::String(s) if PATH_FLAGS.contains(&flag.as_str()) => {
                dir.join(s).display().to_string()
            }
            Value::String(s) => s.clone(),
            Value::Bool(b) => b.to_string(),
            Value::Number(n) => n.to_string(),
            _ => continue,
        };
        if flag == "saved_model_tags" {
            continue;
        }
        out.push(format!("--{flag}={text}"));
    }
    out
}

struct Run {
    status: i32,
    stderr: String,
    output: Option<Vec<u8>>,
}

fn freeze(args: &[String]) -> Run {
    let dir = tempfile::tempdir().expect("temp dir");
    let out = dir.path().join("frozen.pb");
    let result = Command::new(env!("CARGO_BIN_EXE_freeze_graph"))
        .args(args)
        .arg(format!("--output_graph={}", out.display()))
        .output()
        .expect("runs freeze_graph");
    Run {
        status: result.status.code().unwrap_or(-1),
        stderr: String::from_utf8_lossy(&result.stderr).into_owned(),
        output: std::fs::read(&out).ok(),
    }
}

fn read(name: &str, file: &str) -> Vec<u8> {
    let path = fixtures_dir().join(name).join(file);
    std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// Fails with the first differing byte, keeping our output for a look.
fn assert_same_bytes(what: &str, ours: &[u8], golden: &[u8]) {
    if ours != golden {
        let dump = std::env::temp_dir().join(format!("tf-freeze-{}.pb", what.replace('/', "-")));
        let _ = std::fs::write(&dump, ours);
        panic!(
            "{what}: output differs ({} vs {} bytes; first difference at byte {}); ours is in {}",
            ours.len(),
            golden.len(),
            ours.iter()
                .zip(golden)
                .position(|(a, b)| a != b)
                .unwrap_or(ours.len().min(golden.len())),
            dump.display()
        );
    }
}

/// Every fixture that lists variants, with them.
fn fixtures_with_variants() -> Vec<(String, Map<String, Value>)> {
    let mut found = Vec::new();
    for entry in std::fs::read_dir(fixtures_dir())
        .expect("fixtures dir")
        .flatten()
    {
        if !entry.path().join("fixture.json").exists() {
            continue;
        }
        let name = entry.file_name().to_string_lossy().into_owned();
        if let Some(variants) = fixture(&name)["variants"].as_object() {
            found.push((name, variants.clone()));
        }
    }
    found.sort_by(|a, b| a.0.cmp(&b.0));
    found
}

/// Freezes fixture `name` with the flags of `variant` added and returns the run.
fn freeze_variant(name: &str, variant: &str) -> Run {
    let meta = fixture(name);
    let spec = &meta["variants"][variant];
    assert!(spec.is_object(), "{name}: no variant '{variant}'");
    let run = freeze(&flags(name, &meta, Some(&spec["args"])));
    assert_eq!(
        run.status, 0,
        "{name} [{variant}]: freeze_graph failed: {}",
        run.stderr
    );
    run
}

#[test]
fn every_variant_matches_its_tf_verified_golden() {
    let all = fixtures_with_variants();
    let names: Vec<&str> = all.iter().map(|(n, _)| n.as_str()).collect();
    for wanted in ["bn_training_ref", "ema_meta"] {
        assert!(
            names.contains(&wanted),
            "no variants in {wanted}: {names:?}"
        );
    }
    for (name, variants) in &all {
        for variant in variants.keys() {
            let run = freeze_variant(name, variant);
            let ours = run.output.expect("output written");
            let golden = read(name, &format!("expected_{variant}.pb"));
            assert_same_bytes(&format!("{name} [{variant}]"), &ours, &golden);
            // A cleanup that changes nothing would not need a variant.
            assert_ne!(
                ours,
                read(name, "tf_frozen.pb"),
                "{name} [{variant}]: same output as without the variant's flags"
            );
        }
    }
}

/// Without the variants' flags, the output is TF's own `tf_frozen.pb`.
fn assert_default_matches_tf(name: &str) {
    let meta = fixture(name);
    assert_eq!(meta["tf_freeze"]["ok"], Value::Bool(true), "{name}");
    let run = freeze(&flags(name, &meta, None));
    assert_eq!(run.status, 0, "{name}: freeze_graph failed: {}", run.stderr);
    let ours = run.output.expect("output written");
    assert_same_bytes(name, &ours, &read(name, "tf_frozen.pb"));
}

#[test]
fn moving_averages_are_opt_in() {
    assert_default_matches_tf("ema_meta");
}

#[test]
fn ref_ops_are_kept_as_tf_keeps_them_by_default() {
    // TF 2.21 writes this graph, which does not import (float_ref inputs).
    assert_eq!(
        fixture("bn_training_ref")["tf_frozen_runs"],
        Value::Bool(false)
    );
    assert_default_matches_tf("bn_training_ref");
}

#[test]
fn moving_averages_name_each_shadow_taken() {
    let run = freeze_variant("ema_meta", "use_moving_averages");
    for (variable, shadow) in [
        ("w", "w/ExponentialMovingAverage"),
        ("b", "b/ExponentialMovingAverage"),
    ] {
        assert!(
            run.stderr
                .contains(&format!("'{variable}' takes its moving average '{shadow}'")),
            "{}",
            run.stderr
        );
    }
    // 'scale' has no shadow and keeps its own value.
    assert!(!run.stderr.contains("'scale' takes"), "{}", run.stderr);
}

#[test]
fn ref_inputs_are_warned_about_without_fix_ref_ops() {
    let meta = fixture("bn_training_ref");
    let run = freeze(&flags("bn_training_ref", &meta, None));
    assert_eq!(run.status, 0, "{}", run.stderr);
    let warnings: Vec<&str> = run
        .stderr
        .lines()
        .filter(|l| l.contains("warning"))
        .collect();
    for node in [
        "bn/cond_2/AssignMovingAvg/Switch",
        "bn/cond_3/AssignMovingAvg/Switch",
    ] {
        assert!(
            warnings
                .iter()
                .any(|w| w.contains(&format!("'{node}'")) && w.contains("fix_ref_ops")),
            "no warning naming {node} and fix_ref_ops in:\n{}",
            run.stderr
        );
    }
}

#[test]
fn fix_ref_ops_rewrites_and_silences_the_warning() {
    let run = freeze_variant("bn_training_ref", "fix_ref_ops");
    for change in [
        "'is_training': Placeholder → Const bool false",
        "'bn/cond_2/AssignMovingAvg': AssignSub → Sub",
        "'bn/cond_2/AssignMovingAvg/Switch': RefSwitch → Switch",
    ] {
        assert!(run.stderr.contains(change), "{change}: {}", run.stderr);
    }
    assert!(!run.stderr.contains("warning"), "{}", run.stderr);
}
