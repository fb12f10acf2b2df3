// The page's TF.js model: chosen next to the frozen .pb, downloaded as one
// stored .zip (checked by unzip) whose model.json and weight files equal the
// CLI's export of the same files byte for byte, or written into a folder the
// user picks (the browser's folder picker, here given a folder of the page's
// private file system, which is the same kind of handle).
// Needs `make web` first (www/dist) and /usr/bin/chromium; run with `npm test`.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FIXTURES, openSite, ROOT, sharedSite, waitReady } from './harness.mjs';

const site = sharedSite();
const temps = [];

const binary = (() => {
  execFileSync('cargo', ['build', '--quiet', '--bin', 'freeze_graph'], { cwd: ROOT, stdio: 'inherit' });
  return join(process.env.CARGO_TARGET_DIR || join(ROOT, 'target'), 'debug', 'freeze_graph');
})();

after(() => temps.forEach((dir) => rmSync(dir, { recursive: true, force: true })));

const temp = () => {
  const dir = mkdtempSync(join(tmpdir(), 'tfjs-page-'));
  temps.push(dir);
  return dir;
};

const CNN = join(FIXTURES, 'cnn_meta');
const cnnFiles = () => readdirSync(CNN).filter((f) => /^model\.ckpt/.test(f)).map((f) => join(CNN, f));
const cnnOutputs = () => JSON.parse(readFileSync(join(CNN, 'fixture.json'), 'utf8')).args.output_node_names;

/** The CLI's export of cnn_meta with `flags`: its files by name. */
function cliExport(flags) {
  const out = join(temp(), 'model');
  const run = spawnSync(binary, [
    `--input_meta_graph=${join(CNN, 'model.ckpt.meta')}`,
    `--input_checkpoint=${join(CNN, 'model.ckpt')}`,
    `--output_node_names=${cnnOutputs()}`,
    '--output_format=tfjs_graph_model',
    `--output_dir=${out}`,
    ...flags,
  ], { encoding: 'utf8' });
  assert.equal(run.status, 0, run.stderr);
  return Object.fromEntries(readdirSync(out).map((f) => [f, readFileSync(join(out, f))]));
}

/** The page with cnn_meta dropped and the TF.js model chosen. */
async function openCnn(t) {
  const page = await openSite(t, site.browser, site.server);
  await page.setInputFiles('#files', cnnFiles());
  await waitReady(page);
  await page.fill('#outputs', cnnOutputs());
  await page.selectOption('#output-format', 'tfjs_graph_model');
  await page.locator('#tfjs-options').waitFor({ state: 'visible' });
  return page;
}

/** Presses Freeze and waits for the TF.js model. */
async function exportOnPage(page) {
  await page.click('#freeze');
  await page.locator('#result').waitFor({ state: 'visible' });
}

/** Downloads the page's .zip, tests it with unzip and returns its files by name, and the folder they are in. */
async function downloadZip(page) {
  const [download] = await Promise.all([page.waitForEvent('download'), page.click('#download')]);
  const dir = temp();
  const zip = join(dir, download.suggestedFilename());
  writeFileSync(zip, readFileSync(await download.path()));
  const tested = spawnSync('unzip', ['-t', zip], { encoding: 'utf8' });
  assert.equal(tested.status, 0, tested.stdout + tested.stderr);
  assert.match(tested.stdout, /No errors detected/);
  const listed = spawnSync('unzip', ['-Z1', zip], { encoding: 'utf8' }).stdout.trim().split('\n');
  const folders = new Set(listed.map((name) => name.split('/')[0]));
  assert.equal(folders.size, 1, `one folder in the zip: ${listed}`);
  execFileSync('unzip', ['-q', zip, '-d', join(dir, 'out')]);
  const [folder] = folders;
  const out = join(dir, 'out', folder);
  return { name: download.suggestedFilename(), folder, files: Object.fromEntries(readdirSync(out).map((f) => [f, readFileSync(join(out, f))])) };
}

function assertSameFiles(got, want) {
  assert.deepEqual(Object.keys(got).sort(), Object.keys(want).sort());
  for (const name of Object.keys(want)) assert.ok(got[name].equals(want[name]), `${name} differs from the CLI's`);
}

test('the TF.js model downloads as one .zip whose files are the CLI export, byte for byte', async (t) => {
  const page = await openCnn(t);
  await exportOnPage(page);
  const { name, folder, files } = await downloadZip(page);
  assert.equal(name, 'model_tfjs.zip');
  assert.equal(folder, 'model_tfjs');
  assertSameFiles(files, cliExport([]));
  assert.equal(JSON.parse(files['model.json']).format, 'graph-model');
  // The report lists the files and their sizes, and the command that does the same.
  const rows = await page.locator('#output-files tbody tr').allInnerTexts();
  assert.equal(rows.length, Object.keys(files).length);
  assert.match(rows[0], /^model\.json\s+[\d.]+ (bytes|kB)/);
  const command = await page.locator('#command').innerText();
  assert.match(command, / --output_format=tfjs_graph_model --output_dir=model_tfjs/);
  assert.doesNotMatch(command, /--output_graph/);
  assert.match(await page.locator('#status').innerText(), /model_tfjs\.zip is ready to download/);
});

test('a TF.js model is for TF.js: its target and preset, unless another target is chosen', async (t) => {
  const page = await openCnn(t);
  assert.equal(await page.inputValue('#target'), 'tfjs');
  assert.equal(await page.isChecked('#strip-debug-ops'), true);
  await page.click('#cleanup summary');
  await page.selectOption('#target', 'tf');
  await exportOnPage(page);
  const command = await page.locator('#command').innerText();
  assert.match(command, / --target=tf /);
  const { files } = await downloadZip(page);
  assertSameFiles(files, cliExport(['--target=tf']));
});

test('quantization and the weight file size go to the export as the CLI takes them', async (t) => {
  const page = await openCnn(t);
  await page.fill('#quantize-float16', '*');
  await page.fill('#weight-shard-size', '200');
  await exportOnPage(page);
  const { files } = await downloadZip(page);
  const want = cliExport(['--quantize_float16=*', '--weight_shard_size_bytes=200']);
  assertSameFiles(files, want);
  assert.ok(Object.keys(files).length > 2, 'several weight files');
  const manifest = JSON.parse(files['model.json']).weightsManifest[0];
  assert.ok(manifest.weights.some((w) => w.quantization?.dtype === 'float16'));
  const command = await page.locator('#command').innerText();
  assert.match(command, /--quantize_float16=\*/);
  assert.match(command, /--weight_shard_size_bytes=200/);
  // A frozen .pb again: the TF.js options are not the .pb's.
  await page.selectOption('#output-format', 'frozen_pb');
  await page.locator('#tfjs-options').waitFor({ state: 'hidden' });
  await exportOnPage(page);
  const pb = await page.locator('#command').innerText();
  assert.doesNotMatch(pb, /quantize|weight_shard|output_format/);
  assert.equal(await page.locator('#files-box').isVisible(), false);
});

test('a weight file size that is not a number is refused, naming its field', async (t) => {
  const page = await openCnn(t);
  await page.fill('#weight-shard-size', 'four');
  await page.click('#freeze');
  await page.locator('#outcome').waitFor({ state: 'visible' });
  assert.match(await page.locator('#outcome').innerText(), /“Weight file size in bytes” takes a number of bytes greater than 0, not 'four'/);
});

/** Gives the page a folder picker that answers with folder `name` of its private file system. */
async function pickFolder(page, name, existing = []) {
  await page.evaluate(async ({ name, existing }) => {
    const root = await navigator.storage.getDirectory();
    const dir = await root.getDirectoryHandle(name, { create: true });
    for (const file of existing) {
      const writable = await (await dir.getFileHandle(file, { create: true })).createWritable();
      await writable.write('mine');
      await writable.close();
    }
    window.showDirectoryPicker = async () => dir;
  }, { name, existing });
}

/** The files of folder `name` of the page's private file system, by name. */
async function folderFiles(page, name) {
  const files = await page.evaluate(async (name) => {
    const dir = await (await navigator.storage.getDirectory()).getDirectoryHandle(name);
    const out = {};
    for await (const [file, handle] of dir.entries()) out[file] = [...new Uint8Array(await (await handle.getFile()).arrayBuffer())];
    return out;
  }, name);
  return Object.fromEntries(Object.entries(files).map(([f, bytes]) => [f, Buffer.from(bytes)]));
}

test('"Save to a folder" writes the model into an empty folder, the same files as the CLI', async (t) => {
  const page = await openCnn(t);
  await pickFolder(page, 'web_model');
  await exportOnPage(page);
  // By keyboard: the focus is on the download after the export; the save button is the next stop but one.
  assert.equal(await page.evaluate(() => document.activeElement?.id), 'download');
  await page.keyboard.press('Tab');
  await page.keyboard.press('Tab');
  assert.equal(await page.evaluate(() => document.activeElement?.id), 'save-folder');
  await page.keyboard.press('Enter');
  await page.waitForFunction(() => /^Saved model\.json and \d+ weight files? to the folder “web_model”/.test(document.querySelector('#status').textContent));
  assertSameFiles(await folderFiles(page, 'web_model'), cliExport([]));
});

test('"Save to a folder" leaves a folder that is not empty as it was', async (t) => {
  const page = await openCnn(t);
  await pickFolder(page, 'busy', ['notes.txt']);
  await exportOnPage(page);
  await page.locator('#save-folder').click();
  await page.waitForFunction(() => /“busy” is not empty/.test(document.querySelector('#status').textContent));
  assert.deepEqual(Object.keys(await folderFiles(page, 'busy')), ['notes.txt']);
});

test('the save button is offered only for a TF.js model', async (t) => {
  const page = await openSite(t, site.browser, site.server);
  await page.setInputFiles('#files', cnnFiles());
  await waitReady(page);
  await page.fill('#outputs', cnnOutputs());
  await exportOnPage(page);
  assert.equal(await page.locator('#save-folder').isVisible(), false);
  assert.match(await page.locator('#download').innerText(), /model_frozen\.pb/);
});
