// Pairing dropped files as a user means them: the `.meta` of the chosen step,
// each model's graph with its own checkpoint when two are dropped together,
// checkpoints with an empty prefix (`model/.index`), and files of the same
// name from two folders, where the page says which one it set aside.
// Needs `make web` first (www/dist) and /usr/bin/chromium.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fixture, FIXTURES, freezeAndDownload, golden, openSite, sharedSite, waitReady } from './harness.mjs';

const site = sharedSite();

const openPage = (t) => openSite(t, site.browser, site.server);

function tempDir(t) {
  const dir = mkdtempSync(join(tmpdir(), 'tf-freeze-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** Copies `from` (inside tests/fixtures) to `to` (inside `dir`). */
function copy(dir, from, to) {
  mkdirSync(dirname(join(dir, to)), { recursive: true });
  copyFileSync(join(FIXTURES, from), join(dir, to));
}

/** A fixture's checkpoint, and its `.meta` unless `meta` is false, as `<to>.*`. */
function copyCheckpoint(dir, from, to, { meta = true } = {}) {
  const suffixes = ['.index', '.data-00000-of-00001', ...(meta ? ['.meta'] : [])];
  for (const suffix of suffixes) copy(dir, from + suffix, to + suffix);
}

const chosen = async (page) => ({
  graph: await page.inputValue('#graph-choice'),
  checkpoint: await page.inputValue('#prefix-choice'),
});

/** Waits until the page shows `select` (a selector) at `value`, and is ready again. */
async function shows(page, select, value) {
  await page.waitForFunction(([s, v]) => document.querySelector(s).value === v, [select, value]);
  await waitReady(page);
}

/** Chooses a checkpoint; the page is drawn again once it has paired a graph with it. */
async function choosePrefix(page, key, graph) {
  await page.selectOption('#prefix-choice', key);
  await shows(page, '#graph-choice', graph);
}

async function chooseGraph(page, path, prefix) {
  await page.selectOption('#graph-choice', path);
  await shows(page, '#prefix-choice', prefix);
}

/** Waits until the set-aside notes match `pattern`, and returns them. */
async function setAsideNotes(page, pattern) {
  await page.waitForFunction((p) => new RegExp(p).test(document.querySelector('#set-aside').innerText), pattern.source);
  return page.locator('#set-aside').innerText();
}

test('in a training folder the chosen step brings its own .meta', async (t) => {
  const dir = tempDir(t);
  // Three steps of one run, each with its .meta; step 200 holds other values.
  copyCheckpoint(dir, 'step_prefix/-50', 'run/model.ckpt-100');
  copyCheckpoint(dir, 'empty_prefix/model/', 'run/model.ckpt-200');
  copyCheckpoint(dir, 'step_prefix/-50', 'run/model.ckpt-300');
  const page = await openPage(t);
  await page.setInputFiles('#folder', join(dir, 'run'));
  await waitReady(page);
  assert.deepEqual(await chosen(page), { graph: 'run/model.ckpt-300.meta', checkpoint: 'run/model.ckpt-300' });
  await choosePrefix(page, 'run/model.ckpt-200', 'run/model.ckpt-200.meta');
  await page.fill('#outputs', 'out');
  const { bytes } = await freezeAndDownload(page);
  assert.ok(bytes.equals(golden('empty_prefix')), 'step 200 did not freeze to its own values');
  await choosePrefix(page, 'run/model.ckpt-100', 'run/model.ckpt-100.meta');
});

test('one .meta for several steps goes with each of them', async (t) => {
  const dir = tempDir(t);
  copyCheckpoint(dir, 'step_prefix/-50', 'run/model.ckpt-100');
  copyCheckpoint(dir, 'empty_prefix/model/', 'run/model.ckpt-200', { meta: false });
  const page = await openPage(t);
  await page.setInputFiles('#folder', join(dir, 'run'));
  await waitReady(page);
  assert.deepEqual(await chosen(page), { graph: 'run/model.ckpt-100.meta', checkpoint: 'run/model.ckpt-200' });
  await page.fill('#outputs', 'out');
  const { bytes } = await freezeAndDownload(page);
  assert.ok(bytes.equals(golden('empty_prefix')));
});

/** Two models in one drop, both with TF's default prefix `model.ckpt`. */
function twoModels(dir) {
  for (const suffix of ['.index', '.data-00000-of-00001']) {
    copy(dir, `mlp_binary/model.ckpt${suffix}`, `models/mlp/model.ckpt${suffix}`);
    copy(dir, `cnn_meta/model.ckpt${suffix}`, `models/cnn/model.ckpt${suffix}`);
  }
  copy(dir, 'mlp_binary/graph.pb', 'models/mlp/graph.pb');
  copy(dir, 'cnn_meta/model.ckpt.meta', 'models/cnn/model.ckpt.meta');
}

test('two models dropped together: each graph is paired with its own checkpoint', async (t) => {
  const dir = tempDir(t);
  twoModels(dir);
  const page = await openPage(t);
  await page.setInputFiles('#folder', join(dir, 'models'));
  await waitReady(page);
  const first = await chosen(page);
  assert.equal(first.checkpoint, first.graph.replace(/\/[^/]*$/, '/model.ckpt'), 'paired across models');
  await chooseGraph(page, 'models/mlp/graph.pb', 'models/mlp/model.ckpt');
  await page.fill('#outputs', fixture('mlp_binary').args.output_node_names);
  assert.ok((await freezeAndDownload(page)).bytes.equals(golden('mlp_binary')));
  await chooseGraph(page, 'models/cnn/model.ckpt.meta', 'models/cnn/model.ckpt');
  await page.fill('#outputs', fixture('cnn_meta').args.output_node_names);
  assert.ok((await freezeAndDownload(page)).bytes.equals(golden('cnn_meta')));
});

test('a folder saved with an empty prefix (model/.index) downloads the right bytes', async (t) => {
  const dir = tempDir(t);
  copyCheckpoint(dir, 'empty_prefix/model/', 'model/');
  const page = await openPage(t);
  await page.setInputFiles('#folder', join(dir, 'model'));
  await waitReady(page);
  assert.deepEqual(await chosen(page), { graph: 'model/.meta', checkpoint: 'model/' });
  await page.fill('#outputs', 'out');
  const { name, bytes } = await freezeAndDownload(page);
  assert.equal(name, 'model_frozen.pb');
  assert.ok(bytes.equals(golden('empty_prefix')), 'the download differs from tf_frozen.pb');
  // The command line names the prefix as TF takes it.
  assert.match(await page.locator('#result').innerText(), /--input_checkpoint=model\//);
});

test('files of the same name from two folders: the page says which one is used and which set aside', async (t) => {
  const dir = tempDir(t);
  twoModels(dir);
  const page = await openPage(t);
  await page.setInputFiles('#folder', join(dir, 'models'));
  await waitReady(page);
  await chooseGraph(page, 'models/mlp/graph.pb', 'models/mlp/model.ckpt');
  const mlp = /Two files are named model\.ckpt\.index: models\/mlp\/model\.ckpt\.index is used, models\/cnn\/model\.ckpt\.index set aside\./;
  assert.match(await setAsideNotes(page, mlp), /models\/mlp\/model\.ckpt\.data-00000-of-00001 is used/);
  await chooseGraph(page, 'models/cnn/model.ckpt.meta', 'models/cnn/model.ckpt');
  await setAsideNotes(page, /models\/cnn\/model\.ckpt\.index is used, models\/mlp\/model\.ckpt\.index set aside/);
});

test('a file added again with other contents is said to replace the one before', async (t) => {
  const page = await openPage(t);
  const file = (name, from) => join(FIXTURES, from, name);
  await page.setInputFiles('#files', [file('graph.pb', 'mlp_binary'), file('model.ckpt.index', 'mlp_binary'), file('model.ckpt.data-00000-of-00001', 'mlp_binary')]);
  await waitReady(page);
  // The same name, other bytes: from another folder, chosen alone.
  await page.setInputFiles('#files', [file('model.ckpt.index', 'cnn_meta')]);
  await page.locator('#set-aside').waitFor({ state: 'visible' });
  assert.match(await page.locator('#set-aside').innerText(), /model\.ckpt\.index was added again: the newer file is used, the one before set aside\./);
});
