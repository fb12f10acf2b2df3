// The TF.js export, checked in the TF.js runtime itself: every fixture whose
// ops TF.js has kernels for is exported by our CLI with
// --output_format=tfjs_graph_model, loaded with @tensorflow/tfjs (pure JS,
// CPU backend) through a handler that reads the files, run on the inputs the
// fixture generator stored, and compared with the outputs TF computed.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync, rmSync, existsSync } from 'node:fs';
import { join, dirname } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { fixtures, freezeArgs, exportModel as exportFlags, predict, worst } from './common.mjs';

// The fixtures TF.js cannot run, and why: TF.js has no kernel for an op the
// frozen graph keeps, or no dtype for a weight (the export refuses those).
// The export's target is tfjs, so the reference ops (RefSwitch) and the TF2
// function calls are rewritten by its preset and those fixtures run.
const NOT_IN_TFJS = {
  allowlist: 'VariableV2 (only some variables are frozen)',
  denylist: 'VariableV2 (only some variables are frozen)',
  cut_inputs: 'DecodeCSV',
  dtypes_meta: 'float16, bfloat16, int8, int16, uint8 and the unsigned weights',
  fold_ops: 'int64 results outside int32 (TF.js has no int64: the export narrows them, as the converter does), and StridedSlice specs its kernel reads out of range',
  partitioned_meta: 'DynamicPartition',
  recut_slices: 'DynamicPartition',
  recut_v1: 'DynamicPartition',
  recut_whole: 'DynamicPartition',
};

/** Exports a fixture with more flags; returns the folder, or throws with stderr. */
function exportModel(dir, args, extra = []) {
  return exportFlags([...freezeArgs(dir, args), ...extra]);
}

/** Runs the model on the fixture's inputs; returns the outputs by name. */
function run(out, fixture) {
  return predict(out, fixture.inputs, Object.keys(fixture.outputs));
}

const cases = readdirSync(fixtures)
  .filter((name) => existsSync(join(fixtures, name, 'fixture.json')))
  .map((name) => ({ name, fixture: JSON.parse(readFileSync(join(fixtures, name, 'fixture.json'), 'utf8')) }))
  .filter(({ fixture }) => fixture.tf_freeze?.ok && Object.keys(fixture.outputs || {}).length > 0);

tf.setBackend('cpu');

for (const { name, fixture } of cases) {
  const why = NOT_IN_TFJS[name];
  test(`${name}: the TF.js export computes TF's outputs within 1e-5`, { skip: why && `not in TF.js: ${why}` }, async () => {
    const out = exportModel(join(fixtures, name), fixture.args);
    try {
      assert.ok(worst(await run(out, fixture), fixture.outputs) <= 1e-5);
    } finally {
      rmSync(dirname(out), { recursive: true, force: true });
    }
  });
}

// The variants (the same files with more flags) run where their fixture does,
// and these too: their flags take away what TF.js lacks.
const VARIANTS_IN_TFJS = new Set([
  'bn_training_ref/fix_ref_ops',
  'cut_inputs/cut_stack',
  'cut_inputs/cut_ports',
  'cut_inputs/cut_stack_shape',
  'tf2_saved_model/inline_functions',
  'tf2_nested_calls/inline_functions',
  'tf2_loop_calls/inline_functions',
]);
for (const { name, fixture } of cases) {
  for (const [variant, spec] of Object.entries(fixture.variants || {})) {
    if (!spec.outputs || !spec.args) continue;
    const why = VARIANTS_IN_TFJS.has(`${name}/${variant}`) ? undefined : NOT_IN_TFJS[name];
    test(`${name}/${variant}: the TF.js export computes TF's outputs within 1e-5`, { skip: why && `not in TF.js: ${why}` }, async () => {
      const flags = Object.entries(spec.args).map(([k, v]) => `--${k}=${v}`);
      const out = exportModel(join(fixtures, name), fixture.args, flags);
      try {
        const inputs = spec.inputs || fixture.inputs;
        assert.ok(worst(await run(out, { inputs, outputs: spec.outputs }), spec.outputs) <= 1e-5);
      } finally {
        rmSync(dirname(out), { recursive: true, force: true });
      }
    });
  }
}

// Quantized weights move the outputs by what their rounding allows. On
// mlp_binary (softmax probabilities; weights under 1 in magnitude) the
// measured largest differences are 5.5e-6 (float16), 3.3e-6 (uint16) and
// 5.6e-4 (uint8); the bounds leave a margin of about 10x.
const QUANTIZED = [
  ['--quantize_float16', 5e-5],
  ['--quantize_uint16', 5e-5],
  ['--quantize_uint8', 5e-3],
];
for (const [flag, bound] of QUANTIZED) {
  test(`mlp_binary ${flag}: within ${bound} of TF's outputs`, async () => {
    const dir = join(fixtures, 'mlp_binary');
    const fixture = JSON.parse(readFileSync(join(dir, 'fixture.json'), 'utf8'));
    const out = exportModel(dir, fixture.args, [flag]);
    try {
      const model = JSON.parse(readFileSync(join(out, 'model.json'), 'utf8'));
      assert.ok(model.weightsManifest[0].weights.every((w) => w.quantization?.original_dtype === 'float32'));
      const diff = worst(await run(out, fixture), fixture.outputs);
      assert.ok(diff <= bound, `${diff}`);
      assert.ok(diff > 0, 'quantization changed nothing');
    } finally {
      rmSync(dirname(out), { recursive: true, force: true });
    }
  });
}
