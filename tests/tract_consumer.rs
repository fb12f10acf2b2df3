//! A real consumer with no TensorFlow: tract loads and runs the
//! `--target=tract` output of every fixture whose frozen graph it supports,
//! fed the fixture's stored inputs, and must compute the outputs TensorFlow
//! computed for the original model. The fixtures it cannot run are printed
//! with the reason (run with `--nocapture` to see them).

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
#![allow(clippy::indexing_slicing)]

mod common;

use std::process::Command;

use serde_json::Value;
use tract_tensorflow::prelude::*;

/// How far tract's value may be from TF's: 1e-5, relative above 1.
const TOLERANCE: f64 = 1e-5;

/// The frozen graph and report of fixture `name` with `--target=tract`, or
/// why there is none.
fn freeze_for_tract(name: &str, meta: &Value) -> Result<(Vec<u8>, Value), String> {
    let dir = tempfile::tempdir().unwrap();
    let (graph, report) = (dir.path().join("frozen.pb"), dir.path().join("report.json"));
    let out = Command::new(env!("CARGO_BIN_EXE_freeze_graph"))
        .args(common::flags(name, meta, None))
        .arg("--target=tract")
        .arg(format!("--output_graph={}", graph.display()))
        .arg(format!("--report={}", report.display()))
        .output()
        .unwrap();
    if !out.status.success() {
        let said = String::from_utf8_lossy(&out.stderr);
        return Err(format!(
            "the freeze fails: {}",
            said.lines().last().unwrap_or("")
        ));
    }
    let report: Value = serde_json::from_str(&std::fs::read_to_string(&report).unwrap()).unwrap();
    Ok((std::fs::read(&graph).unwrap(), report))
}

/// A stored input as a tract tensor.
fn tensor(spec: &Value) -> Result<Tensor, String> {
    let shape: Vec<usize> = spec["shape"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d.as_u64().unwrap() as usize)
        .collect();
    let values = spec["values"].as_array().unwrap();
    let numbers = || values.iter().map(|v| v.as_f64().unwrap());
    let made = match spec["dtype"].as_str().unwrap() {
        "float32" => Tensor::from_shape(&shape, &numbers().map(|v| v as f32).collect::<Vec<_>>()),
        "float64" => Tensor::from_shape(&shape, &numbers().collect::<Vec<_>>()),
        "int32" => Tensor::from_shape(&shape, &numbers().map(|v| v as i32).collect::<Vec<_>>()),
        "int64" => Tensor::from_shape(&shape, &numbers().map(|v| v as i64).collect::<Vec<_>>()),
        "bool" => Tensor::from_shape(
            &shape,
            &values
                .iter()
                .map(|v| v.as_bool().unwrap())
                .collect::<Vec<_>>(),
        ),
        other => {
            return Err(format!(
                "an input is {other}, which this test does not feed"
            ))
        }
    };
    made.map_err(|e| e.to_string())
}

/// Loads `graph` in tract with the facts of the fixture's inputs, runs it
/// and returns each output as f64 values, in the order of `outputs`.
fn run_in_tract(
    graph: &[u8],
    inputs: &[(String, Tensor)],
    outputs: &[String],
) -> TractResult<Vec<Vec<f64>>> {
    let mut model = tract_tensorflow::tensorflow()
        .model_for_read(&mut &*graph)?
        .with_input_names(inputs.iter().map(|(name, _)| name))?
        .with_outputs_by_name(outputs)?;
    for (i, (_, value)) in inputs.iter().enumerate() {
        let fact = InferenceFact::dt_shape(value.datum_type(), value.shape());
        model = model.with_input_fact(i, fact)?;
    }
    let runnable = model.into_optimized()?.into_runnable()?;
    let fed = inputs
        .iter()
        .map(|(_, t)| t.clone().into_tvalue())
        .collect();
    let results = runnable.run(fed)?;
    results
        .iter()
        .map(|t| {
            let wide = t.cast_to::<f64>()?;
            Ok(wide.to_plain_array_view::<f64>()?.iter().copied().collect())
        })
        .collect()
}

/// Runs fixture `name`: `Ok(())` when tract matches TF, `Err(reason)` for a
/// fixture tract cannot run; a wrong value panics.
fn check(name: &str) -> Result<(), String> {
    let meta = common::fixture(name);
    let (Some(stored_inputs), Some(stored_outputs)) =
        (meta["inputs"].as_object(), meta["outputs"].as_object())
    else {
        return Err("no stored inputs and outputs".into());
    };
    if stored_outputs.is_empty() {
        return Err("no stored outputs".into());
    }
    let (graph, report) = freeze_for_tract(name, &meta)?;
    let unsupported = report["target_lint"]["unsupported"].as_array().unwrap();
    if !unsupported.is_empty() {
        let mut ops: Vec<&str> = unsupported
            .iter()
            .map(|u| u["op"].as_str().unwrap())
            .collect();
        ops.sort_unstable();
        ops.dedup();
        return Err(format!("the lint says tract lacks {}", ops.join(", ")));
    }
    // The frozen graph's placeholders, each fed the value stored for it.
    let mut inputs = Vec::new();
    for name in report["inputs"].as_array().unwrap() {
        let name = name.as_str().unwrap();
        let spec = stored_inputs
            .get(name)
            .or_else(|| stored_inputs.get(&format!("{name}:0")))
            .ok_or_else(|| format!("no stored value for input '{name}'"))?;
        inputs.push((name.to_owned(), tensor(spec)?));
    }
    let mut names = Vec::new();
    for (output, spec) in stored_outputs {
        let dtype = spec["dtype"].as_str().unwrap();
        if !["float32", "float64", "int32", "int64", "bool"].contains(&dtype) {
            return Err(format!("output '{output}' is {dtype}"));
        }
        names.push(output.clone());
    }
    let results = run_in_tract(&graph, &inputs, &names).map_err(|e| {
        format!(
            "tract cannot run it: {}",
            format!("{e:?}").lines().next().unwrap_or("")
        )
    })?;
    for (output, got) in names.iter().zip(&results) {
        let spec = &stored_outputs[output];
        let want: Vec<f64> = spec["values"]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v.as_f64().or_else(|| v.as_bool().map(f64::from)).unwrap())
            .collect();
        assert_eq!(got.len(), want.len(), "{name}: {output}: element count");
        for (i, (g, w)) in got.iter().zip(&want).enumerate() {
            assert!(
                (g - w).abs() <= TOLERANCE * w.abs().max(1.0),
                "{name}: {output}[{i}]: tract {g}, TensorFlow {w}"
            );
        }
    }
    Ok(())
}

#[test]
fn tract_runs_the_tract_target_of_every_fixture_it_supports() {
    let mut fixtures: Vec<String> = std::fs::read_dir(common::fixtures_dir())
        .unwrap()
        .filter_map(|entry| {
            let path = entry.unwrap().path();
            path.join("fixture.json")
                .exists()
                .then(|| path.file_name().unwrap().to_string_lossy().into_owned())
        })
        .collect();
    fixtures.sort();
    let mut ran = Vec::new();
    for name in &fixtures {
        match check(name) {
            Ok(()) => ran.push(name.as_str()),
            Err(reason) => println!("tract: skipped {name}: {reason}"),
        }
    }
    println!(
        "tract: ran and matched {} of {} fixtures: {}",
        ran.len(),
        fixtures.len(),
        ran.join(", ")
    );
    // A plain MLP, a graph whose debug ops the preset strips, batch norms
    // the preset folds (tract has no FusedBatchNormV3) and a SavedModel: if
    // one stops running, the preset or the freeze broke, not tract.
    for must in ["mlp_binary", "debug_ops", "bn_fold_more", "tf1_saved_model"] {
        assert!(ran.contains(&must), "{must} no longer runs in tract");
    }
}
