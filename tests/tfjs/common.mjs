// What the TF.js tests share: the CLI (built as cargo builds it), an export
// into a new folder, and the exported files read back as TF.js reads them.

import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';

export const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const fixtures = join(root, 'tests', 'fixtures');

let built;
/** The freeze_graph binary, built on first use where cargo puts it. */
export function binary() {
  if (!built) {
    execFileSync('cargo', ['build', '--quiet', '--bin', 'freeze_graph'], { cwd: root, stdio: 'inherit' });
    built = join(process.env.CARGO_TARGET_DIR || join(root, 'target'), 'debug', 'freeze_graph');
  }
  return built;
}

/** The CLI flags of a fixture's freeze, as its fixture.json records them. */
export function freezeArgs(dir, args) {
  const flags = [];
  for (const key of ['input_graph', 'input_meta_graph', 'input_checkpoint', 'input_saved_model_dir', 'input_saver']) {
    if (args[key]) flags.push(`--${key}=${join(dir, args[key])}`);
  }
  for (const key of ['output_node_names', 'variable_names_whitelist', 'variable_names_denylist', 'saved_model_tags']) {
    if (args[key]) flags.push(`--${key}=${args[key]}`);
  }
  return flags;
}

/** Runs the CLI with `flags` into a new folder; the run, and the folder. */
export function runExport(flags) {
  const out = join(mkdtempSync(join(tmpdir(), 'tfjs-export-')), 'model');
  const run = spawnSync(binary(), [...flags, '--output_format=tfjs_graph_model', `--output_dir=${out}`], { encoding: 'utf8' });
  return { status: run.status, stderr: run.stderr, out };
}

/** Runs the CLI into a new folder; returns the folder, or throws with stderr. */
export function exportModel(flags) {
  const run = runExport(flags);
  if (run.status !== 0) throw new Error(`freeze_graph exited ${run.status}: ${run.stderr}`);
  return run.out;
}

/** model.json and the weight files of an export, as one buffer. */
export function readExport(out) {
  const model = JSON.parse(readFileSync(join(out, 'model.json'), 'utf8'));
  const paths = model.weightsManifest.flatMap((group) => group.paths);
  const data = Buffer.concat(paths.map((p) => readFileSync(join(out, p))));
  return { model, data };
}

/** An IOHandler over the exported files, as tf.io's file handlers read them. */
export function fileHandler(out) {
  return {
    async load() {
      const { model, data } = readExport(out);
      return {
        modelTopology: model.modelTopology,
        format: model.format,
        generatedBy: model.generatedBy,
        convertedBy: model.convertedBy,
        signature: model.signature,
        weightSpecs: model.weightsManifest.flatMap((group) => group.weights),
        weightData: data.buffer.slice(data.byteOffset, data.byteOffset + data.byteLength),
      };
    },
  };
}

const DTYPE_BYTES = { float32: 4, int32: 4, bool: 1, complex64: 8, uint8: 1, uint16: 2, float16: 2 };

/**
 * Each weight's spec and bytes, by name, in manifest order. Strings are
 * stored as a 4-byte little-endian length before each element's bytes.
 */
export function weightBytes({ model, data }) {
  const weights = new Map();
  let offset = 0;
  for (const spec of model.weightsManifest.flatMap((group) => group.weights)) {
    const count = spec.shape.reduce((a, b) => a * b, 1);
    let size;
    if (spec.dtype === 'string') {
      size = 0;
      for (let i = 0; i < count; i += 1) size += 4 + data.readUInt32LE(offset + size);
    } else {
      const dtype = spec.quantization?.dtype || spec.dtype;
      if (!DTYPE_BYTES[dtype]) throw new Error(`${spec.name}: no size known for ${dtype}`);
      size = count * DTYPE_BYTES[dtype];
    }
    weights.set(spec.name, { spec, bytes: data.subarray(offset, offset + size) });
    offset += size;
  }
  if (offset !== data.length) throw new Error(`the manifest covers ${offset} of ${data.length} weight bytes`);
  return weights;
}

// TF.js holds 64-bit values in 32 bits.
const JS_DTYPE = { float32: 'float32', float64: 'float32', int32: 'int32', int64: 'int32', bool: 'bool' };

/**
 * Runs an export on `inputs` (by node name, or tensor name `node:i`:
 * {dtype, shape, values}) and returns the tensors `names` by name. Inputs
 * that are not placeholders of the model (a variant may turn a placeholder
 * into a constant) are left out, unless `feedAll`: then they are fed as TF
 * feeds any tensor, and TF.js starts from them.
 */
export async function predict(out, inputs, names, { feedAll = false } = {}) {
  const model = await tf.loadGraphModel(fileHandler(out));
  const feeds = {};
  const fed = new Set(model.inputs.map((input) => input.name.replace(/:0$/, '')));
  for (const [name, input] of Object.entries(inputs)) {
    const node = name.replace(/:0$/, '');
    if (!feedAll && !fed.has(node)) continue;
    feeds[node] = tf.tensor(input.values, input.shape, JS_DTYPE[input.dtype] || input.dtype);
  }
  try {
    const results = await model.executeAsync(feeds, names);
    const list = Array.isArray(results) ? results : [results];
    const got = {};
    for (const [i, name] of names.entries()) got[name] = { shape: list[i].shape, values: Array.from(await list[i].data()) };
    tf.dispose(list);
    return got;
  } finally {
    tf.dispose(Object.values(feeds));
    model.dispose();
  }
}

/** The largest difference from the expected values, relative above 1. */
export function worst(got, expected) {
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
