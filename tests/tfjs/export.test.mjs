// The TF.js export, checked in the TF.js runtime itself: every fixture whose
// ops TF.js has kernels for is exported by our CLI with
// --output_format=tfjs_graph_model, loaded with @tensorflow/tfjs (pure JS,
// CPU backend) through a handler that reads the files, run on the inputs the
// fixture generator stored, and compared with the outputs TF computed.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as tf from '@tensorflow/tfjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const fixtures = join(root, 'tests', 'fixtures');

// The fixtures TF.js cannot run, and why: TF.js has no kernel for an op the
// frozen graph keeps, or no dtype for a weight (the export refuses those).
const NOT_IN_TFJS = {
  allowlist: 'VariableV2 (only some variables are frozen)',
  denylist: 'VariableV2 (only some variables are frozen)',
  bn_training_ref: 'RefSwitch (unless --fix_ref_ops)',
  cut_inputs: 'DecodeCSV',
  dtypes_meta: 'float16, bfloat16, int8, int16, uint8 and the unsigned weights',
  partitioned_meta: 'DynamicPartition',
  recut_slices: 'DynamicPartition',
  recut_v1: 'DynamicPartition',
  recut_whole: 'DynamicPartition',
  tf2_saved_model: 'StatefulPartitionedCall',
};

const binary = (() => {
  execFileSync('cargo', ['build', '--quiet', '--bin', 'freeze_graph'], { cwd: root, stdio: 'inherit' });
  return join(process.env.CARGO_TARGET_DIR || join(root, 'target'), 'debug', 'freeze_graph');
})();

/** The CLI flags of a fixture's freeze, as its fixture.json records them. */
function freezeArgs(dir, args) {
  const flags = [];
  for (const key of ['input_graph', 'input_meta_graph', 'input_checkpoint', 'input_saved_model_dir', 'input_saver']) {
    if (args[key]) flags.push(`--${key}=${join(dir, args[key])}`);
  }
  for (const key of ['output_node_names', 'variable_names_whitelist', 'variable_names_denylist', 'saved_model_tags']) {
    if (args[key]) flags.push(`--${key}=${args[key]}`);
  }
  return flags;
}

/** Runs the CLI into a new folder; returns the folder, or throws with stderr. */
function exportModel(dir, args, extra = []) {
  const out = join(mkdtempSync(join(tmpdir(), 'tfjs-export-')), 'model');
  const run = spawnSync(binary, [...freezeArgs(dir, args), '--output_format=tfjs_graph_model', `--output_dir=${out}`, ...extra], { encoding: 'utf8' });
  if (run.status !== 0) throw new Error(`freeze_graph exited ${run.status}: ${run.stderr}`);
  return out;
}

/** An IOHandler over the exported files, as tf.io's file handlers read them. */
function fileHandler(out) {
  return {
    async load() {
      const model = JSON.parse(readFileSync(join(out, 'model.json'), 'utf8'));
      const paths = model.weightsManifest.flatMap((group) => group.paths);
      const parts = paths.map((p) => readFileSync(join(out, p)));
      const all = Buffer.concat(parts);
      return {
        modelTopology: model.modelTopology,
        format: model.format,
        generatedBy: model.generatedBy,
        convertedBy: model.convertedBy,
        signature: model.signature,
        weightSpecs: model.weightsManifest.flatMap((group) => group.weights),
        weightData: all.buffer.slice(all.byteOffset, all.byteOffset + all.byteLength),
      };
    },
  };
}

const JS_DTYPE = { float32: 'float32', float64: 'float32', int32: 'int32', int64: 'int32', bool: 'bool' };

/** Runs the model on the fixture's inputs; returns the outputs by name. */
async function run(out, fixture) {
  const model = await tf.loadGraphModel(fileHandler(out));
  const feeds = {};
  // A variant may turn an input into a constant (placeholder_to_const).
  const fed = new Set(model.inputs.map((input) => input.name.replace(/:0$/, '')));
  for (const [name, input] of Object.entries(fixture.inputs)) {
    if (!fed.has(name)) continue;
    feeds[name] = tf.tensor(input.values, input.shape, JS_DTYPE[input.dtype] || input.dtype);
  }
  const names = Object.keys(fixture.outputs);
  const results = await model.executeAsync(feeds, names);
  const list = Array.isArray(results) ? results : [results];
  const got = {};
  for (const [i, name] of names.entries()) got[name] = { shape: list[i].shape, values: Array.from(await list[i].data()) };
  tf.dispose([...Object.values(feeds), ...list]);
  model.dispose();
  return got;
}

/** The largest difference from the expected values, relative above 1. */
function worst(got, expected) {
  let diff = 0;
  for (const [name, want] of Object.entries(expected)) {
    const have = got[name];
    assert.deepEqual(have.shape, want.shape, `${name}: shape`);
    assert.equal(have.values.length, want.values.length, `${name}: size`);
    want.values.forEach((w, i) => {
      const h = have.values[i];
      const d = typeof w === 'boolean' ? Number(Boolean(h) !== w) : Math.abs(h - w) / Math.max(1, Math.abs(w));
      diff = Math.max(diff, d);
    });
  }
  return diff;
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
