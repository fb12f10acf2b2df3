//! End-to-end: the `freeze_graph` binary on every fixture that TensorFlow 2.21
//! made (tests/fixtures/generate.py), compared byte for byte with TF's own
//! frozen graph where TF could freeze it.

// Integration tests fail by panicking.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use serde_json::Value;

mod common;
use common::{fixture, fixtures_dir, freeze};

fn flags(name: &str, meta: &Value) -> Vec<String> {
    common::flags(name, meta, None)
}

/// Freezes fixture `name` with its recorded flags and asserts the output is
/// byte-identical to TF's `tf_frozen.pb`.
fn assert_matches_tf(name: &str) {
    let meta = fixture(name);
    assert_eq!(
        meta["tf_freeze"]["ok"],
        Value::Bool(true),
        "{name}: TF failed on this fixture"
    );
    let run = freeze(&flags(name, &meta));
    assert_eq!(run.status, 0, "{name}: freeze_graph failed: {}", run.stderr);
    let ours = run.output.expect("output written");
    let theirs =
        std::fs::read(fixtures_dir().join(name).join("tf_frozen.pb")).expect("tf_frozen.pb");
    if ours != theirs {
        let dump = std::env::temp_dir().join(format!("tf-freeze-{name}.pb"));
        let _ = std::fs::write(&dump, &ours);
        panic!(
            "{name}: output differs from TF's ({} vs {} bytes; first difference at byte {}); ours is in {}",
            ours.len(),
            theirs.len(),
            ours.iter().zip(&theirs).position(|(a, b)| a != b).unwrap_or(ours.len().min(theirs.len())),
            dump.display()
        );
    }
    assert!(
        run.stderr
            .contains(&format!("wrote {} bytes", theirs.len())),
        "{name}: summary line: {}",
        run.stderr
    );
}

// One test per fixture on which TF 2.21's freeze_graph succeeds.

#[test]
fn seed_text_graph_matches_tf() {
    assert_matches_tf("seed_text");
}

#[test]
fn binary_mlp_matches_tf() {
    assert_matches_tf("mlp_binary");
}

#[test]
fn meta_cnn_with_batch_norm_matches_tf() {
    assert_matches_tf("cnn_meta");
}

#[test]
fn resource_variables_match_tf() {
    assert_matches_tf("resource_meta");
}

#[test]
fn partitioned_variables_from_meta_match_tf() {
    assert_matches_tf("partitioned_meta");
}

#[test]
fn every_dtype_matches_tf() {
    assert_matches_tf("dtypes_meta");
}

#[test]
fn two_shards_match_tf() {
    assert_matches_tf("two_shards");
}

#[test]
fn v1_while_loop_matches_tf() {
    assert_matches_tf("while_v1");
}

#[test]
fn denylist_matches_tf() {
    assert_matches_tf("denylist");
}

#[test]
fn allowlist_matches_tf() {
    assert_matches_tf("allowlist");
}

#[test]
fn renamed_saver_keys_match_tf() {
    assert_matches_tf("renamed_keys");
}

/// Where TF's own freeze_graph fails or writes a graph that does not run,
/// our output was loaded and run in TF by `tests/fixtures/verify_frozen.py`
/// (see VERIFY_REPORT.md) and kept as `expected_frozen.pb`.
fn assert_matches_verified(name: &str) {
    let meta = fixture(name);
    let run = freeze(&flags(name, &meta));
    assert_eq!(run.status, 0, "{name}: freeze_graph failed: {}", run.stderr);
    let ours = run.output.expect("output written");
    let golden = std::fs::read(fixtures_dir().join(name).join("expected_frozen.pb"))
        .expect("expected_frozen.pb");
    assert!(
        ours == golden,
        "{name}: output differs from the TF-verified expected_frozen.pb"
    );
}

#[test]
fn partitioned_variables_from_plain_graph_freeze_where_tf_refuses() {
    assert_eq!(
        fixture("partitioned_graph")["tf_freeze"]["ok"],
        Value::Bool(false)
    );
    assert_matches_verified("partitioned_graph");
}

#[test]
fn resource_variables_from_text_graph_freeze_where_tf_fails() {
    assert_eq!(
        fixture("resource_text")["tf_freeze"]["ok"],
        Value::Bool(false)
    );
    assert_matches_verified("resource_text");
}

#[test]
fn string_scalars_freeze_where_tf_fails() {
    assert_eq!(
        fixture("string_scalar")["tf_freeze"]["ok"],
        Value::Bool(false)
    );
    assert_matches_verified("string_scalar");
}

#[test]
fn v1_cond_over_resources_retypes_merge_unlike_tf() {
    // TF 2.21 stops retyping at Merge and writes a graph that does not import.
    assert_eq!(
        fixture("cond_v1_resource")["tf_frozen_runs"],
        Value::Bool(false)
    );
    assert_matches_verified("cond_v1_resource");
}

#[test]
fn tf1_saved_model_matches_tf() {
    assert_matches_tf("tf1_saved_model");
}

#[test]
fn control_flow_v2_freezes_where_tf_writes_a_broken_graph() {
    // TF 2.21 leaves the While's `_output_shapes` stale; its output does not import.
    assert_eq!(fixture("cfv2_meta")["tf_frozen_runs"], Value::Bool(false));
    assert_matches_verified("cfv2_meta");
}

#[test]
fn control_flow_v2_from_a_text_graph_freezes_where_tf_fails() {
    assert_eq!(fixture("cfv2_text")["tf_freeze"]["ok"], Value::Bool(false));
    assert_matches_verified("cfv2_text");
}

#[test]
fn tf2_saved_model_freezes_into_a_graph_that_runs() {
    // TF 2.21 leaves ResourceGather inside the function; its output fails when run.
    assert_eq!(
        fixture("tf2_saved_model")["tf_frozen_runs"],
        Value::Bool(false)
    );
    assert_matches_verified("tf2_saved_model");
}

#[test]
fn tf2_nested_calls_freeze_as_verified_in_tf() {
    // TF 2.21 numbers the functions it converts by a process-wide counter
    // (`_frozen_27`, ...), and renames `__inference_dense_24` away although
    // the unconverted `__inference_scaled_111` still calls it; ours, verified
    // in TF, numbers them from 0 and keeps that original.
    assert_eq!(
        fixture("tf2_nested_calls")["tf_frozen_runs"],
        Value::Bool(true)
    );
    assert_matches_verified("tf2_nested_calls");
}

#[test]
fn tf2_loop_calls_freeze_as_verified_in_tf() {
    // As tf2_nested_calls: TF numbers the converted functions by its counter.
    assert_eq!(
        fixture("tf2_loop_calls")["tf_frozen_runs"],
        Value::Bool(true)
    );
    assert_matches_verified("tf2_loop_calls");
}

#[test]
fn object_based_checkpoint_without_graph_is_explained() {
    let meta = fixture("tf2_checkpoint_only");
    let run = freeze(&flags("tf2_checkpoint_only", &meta));
    // A valid checkpoint that cannot be frozen on its own: not a usage error.
    assert_eq!(run.status, 1, "{}", run.stderr);
    assert!(
        run.stderr.contains("TF2 object-based checkpoint"),
        "{}",
        run.stderr
    );
    assert!(run.stderr.contains("tf.saved_model.save"), "{}", run.stderr);
    assert!(run.output.is_none());
}

// Partitioned variables read from whatever the checkpoint stores, as RestoreV2 does.

#[test]
fn one_part_partitions_of_whole_stored_tensors_match_tf() {
    assert_matches_tf("estimator_one_part");
}

#[test]
fn parts_of_whole_stored_tensors_match_tf() {
    assert_matches_tf("recut_whole");
}

#[test]
fn parts_assembled_from_slices_cut_otherwise_match_tf() {
    assert_matches_tf("recut_slices");
}

#[test]
fn v1_parts_cut_otherwise_match_tf() {
    assert_matches_tf("recut_v1");
}

// A partial checkpoint (Saver(var_list=trainable variables)) whose missing
// variables have constant initializers.

/// The partial_checkpoint fixture's flags, with `initialize_missing` as given
/// and `outputs` in place of the fixture's.
fn partial(initialize: bool, outputs: &str) -> Vec<String> {
    let meta = fixture("partial_checkpoint");
    flags("partial_checkpoint", &meta)
        .into_iter()
        .filter(|f| !f.starts_with("--initialize_missing") && !f.starts_with("--output_node_names"))
        .chain([
            format!("--initialize_missing={initialize}"),
            format!("--output_node_names={outputs}"),
        ])
        .collect()
}

#[test]
fn missing_variables_with_constant_initializers_freeze_when_asked_where_tf_fails() {
    assert_eq!(
        fixture("partial_checkpoint")["tf_freeze"]["ok"],
        Value::Bool(false)
    );
    assert_matches_verified("partial_checkpoint");
}

#[test]
fn a_partial_checkpoint_is_refused_by_default_naming_each_missing_variable_and_the_option() {
    let run = freeze(&partial(false, "generator/out"));
    assert_eq!(run.status, 1, "{}", run.stderr);
    for name in ["generator/bn/moving_mean", "generator/bn/moving_variance"] {
        assert!(
            run.stderr.contains(&format!("{name}: the checkpoint")),
            "{}",
            run.stderr
        );
    }
    assert!(
        run.stderr
            .contains("is a constant: --initialize_missing freezes it"),
        "{}",
        run.stderr
    );
    assert!(run.output.is_none());
}

#[test]
fn stale_output_shapes_on_a_training_node_freeze_where_tf_cannot_import_and_are_reported() {
    let meta = fixture("stale_output_shapes");
    assert_eq!(meta["tf_freeze"]["ok"], Value::Bool(false));
    assert!(meta["tf_freeze"]["error"]
        .as_str()
        .is_some_and(|e| e.contains("_output_shapes attribute specifies shapes for 2 outputs")));
    let run = freeze(&flags("stale_output_shapes", &meta));
    assert!(
        run.stderr
            .contains("carry _output_shapes that TensorFlow 2.21's import refuses")
            && run.stderr.contains("FusedBatchNormGradV3")
            && run.stderr.contains("dropped"),
        "{}",
        run.stderr
    );
    assert_matches_verified("stale_output_shapes");
}

// Prefix shapes TF's Saver writes that name no file stem (issue: every real checkpoint freezes).

#[test]
fn empty_prefix_model_slash_matches_tf() {
    assert_matches_tf("empty_prefix");
}

#[test]
fn step_only_prefix_matches_tf() {
    assert_matches_tf("step_prefix");
}
