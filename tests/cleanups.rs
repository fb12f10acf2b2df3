//! The opt-in cleanups on fixtures made with TensorFlow 2.21: each fixture's
//! `variants` (extra flags such as `--use_moving_averages` or `--fix_ref_ops`)
//! must give the output `tests/fixtures/verify_frozen.py` loaded, ran in TF and
//! kept as `expected_<variant>.pb`; without them the output stays TF's.

// Integration tests fail by panicking.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use serde_json::{Map, Value};

mod common;
use common::{assert_same_bytes, fixture, fixtures_dir, flags, freeze, read, Run};

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
