// Real TF1 checkpoints that other people trained, through TF.js: each record
// of tests/realworld/ is exported by our CLI with
// --output_format=tfjs_graph_model, loaded in @tensorflow/tfjs (pure JS, CPU
// backend) and run on the record's feeds; its fetches must be the outputs
// TensorFlow computed from the restored checkpoint
// (scripts/record_realworld.py), within the tolerance that script verifies
// our frozen graphs with in TensorFlow.
//
// The checkpoints are not ours and are not in this repository: they are read
// from $TF_FREEZE_REALWORLD, else ../shared/realworld beside it, and the test
// says so and skips when the folder is not there.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync, readdirSync, rmSync, statSync } from 'node:fs';
import { join, dirname } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { root, exportModel, predict } from './common.mjs';

const realworld = process.env.TF_FREEZE_REALWORLD || join(root, '..', 'shared', 'realworld');
const present = existsSync(realworld) && statSync(realworld).isDirectory();
if (!present) console.log(`skipped: real-world test data not found at ${realworld} (set TF_FREEZE_REALWORLD)`);

// The records TF.js cannot run as they are, and why: the ops of the frozen
// graph that TF.js (4.22) has no kernel for. TF feeds those graphs past such
// ops (a tensor those ops compute); TF.js cannot start from there, so the
// export cuts the graph at the fed tensor (--input_names), which becomes a
// placeholder named NAME, or NAME_PORT for a port above 0.
const CUT_FOR_TFJS = {
  half_plus_two_v1: { why: 'ParseExample (the graph parses serialized tf.Example protos)', at: { 'x:0': 'x' } },
  mnist_estimator: {
    why: 'RandomShuffleQueueV2, QueueDequeueManyV2 (the images come from an input queue)',
    at: { 'random_shuffle_queue_DequeueMany:1': 'random_shuffle_queue_DequeueMany_1' },
  },
};

// The recorder's tolerance (numpy's allclose: |got - want| <= ATOL + RTOL * |want|).
const RTOL = 1e-4;
const ATOL = 1e-5;

/** A recorded feed with its values repeated to fill its shape (the recorder keeps one period of repeating rows). */
function fullFeed(feed) {
  const size = feed.shape.reduce((a, b) => a * b, 1);
  const values = Array.from({ length: size }, (_, i) => feed.values[i % feed.values.length]);
  return { ...feed, values };
}

/** What a fetch is compared on: every value, or the first ones, then the sum and the sum of magnitudes. */
function comparable(got, want) {
  if (want.values) return { have: got.values, expect: want.values, sums: 0 };
  const sum = got.values.reduce((a, b) => a + b, 0);
  const absSum = got.values.reduce((a, b) => a + Math.abs(b), 0);
  return { have: [...got.values.slice(0, want.head.length), sum, absSum], expect: [...want.head, want.sum, want.abs_sum], sums: 2 };
}

/** The largest absolute differences (of single values, and of sums); asserts shapes and the tolerance. */
function check(got, fetches) {
  const diffs = {};
  for (const [name, want] of Object.entries(fetches)) {
    assert.deepEqual(got[name].shape, want.shape, `${name}: shape`);
    const { have, expect, sums } = comparable(got[name], want);
    const worst = { value: 0 };
    if (sums) worst.sum = 0;
    expect.forEach((w, i) => {
      const d = Math.abs(have[i] - w);
      assert.ok(d <= ATOL + RTOL * Math.abs(w), `${name}[${i}]: ${have[i]}, TF computed ${w}`);
      const key = i < expect.length - sums ? 'value' : 'sum';
      worst[key] = Math.max(worst[key], d);
    });
    diffs[name] = worst;
  }
  return diffs;
}

const records = readdirSync(join(root, 'tests', 'realworld'))
  .filter((file) => file.endsWith('.json'))
  .sort()
  .map((file) => ({ name: file.replace(/\.json$/, ''), record: JSON.parse(readFileSync(join(root, 'tests', 'realworld', file), 'utf8')) }));

tf.setBackend('cpu');

for (const { name, record } of records) {
  const cut = CUT_FOR_TFJS[name];
  const title = cut ? `${name}, cut at ${Object.keys(cut.at)} (TF.js has no ${cut.why})` : name;
  test(`${title}: the TF.js export computes TF's recorded outputs`, { skip: !present && 'real-world test data not found' }, async (t) => {
    const folder = join(realworld, record.folder);
    const flags = [
      `--input_meta_graph=${join(folder, record.meta)}`,
      '--input_binary=true',
      `--input_checkpoint=${join(folder, record.prefix)}`,
      `--output_node_names=${record.output_node_names.join(',')}`,
    ];
    if (cut) flags.push(`--input_names=${Object.keys(cut.at).join(',')}`);
    const out = exportModel(flags);
    try {
      const feeds = Object.fromEntries(Object.entries(record.feeds).map(([k, v]) => [cut?.at[k] || k, fullFeed(v)]));
      const got = await predict(out, feeds, Object.keys(record.fetches));
      t.diagnostic(`largest differences: ${JSON.stringify(check(got, record.fetches))}`);
    } finally {
      rmSync(dirname(out), { recursive: true, force: true });
    }
  });
}
