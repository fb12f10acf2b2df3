// What a user does in the middle of the flow: cancel a long freeze, pick a
// folder without an upload prompt, install the page, use it on a phone, copy
// the command and run it, choose a SavedModel's tag set.
// Needs `make web` first (www/dist) and /usr/bin/chromium; run with `npm test`.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium } from 'playwright-core';
import { CHROMIUM_ARGS, DIST, fixture, FIXTURES, freezeAndDownload, golden, openSite, ROOT, sharedSite, status, waitReady } from './harness.mjs';

const site = sharedSite();

const openPage = (t) => openSite(t, site.browser, site.server);
const focused = (page) => page.evaluate(() => document.activeElement?.id ?? '');

test('Cancel stops a long freeze, and the next freeze works', async (t) => {
  const page = await openPage(t);
  // A long checksum phase: the pieces sent to the workers are held until released.
  await page.evaluate(() => {
    const post = Worker.prototype.postMessage;
    window.heldChecksums = 0;
    Worker.prototype.postMessage = function (message, ...rest) {
      if (message?.task === 'checksum' && window.holdChecksums) return void window.heldChecksums++;
      return post.call(this, message, ...rest);
    };
    window.holdChecksums = true;
  });
  await page.click('#sample');
  await waitReady(page);
  await page.click('#freeze');
  await page.waitForFunction(() => window.heldChecksums > 0);
  assert.ok(await page.locator('#cancel').isVisible());
  assert.ok(await page.locator('#freeze').isDisabled());
  await page.click('#cancel');
  await page.locator('#outcome').waitFor();
  assert.match(await page.locator('#outcome').innerText(), /^Cancelled: nothing was frozen/);
  assert.ok(await page.locator('#cancel').isHidden());
  assert.ok(await page.locator('#result').isHidden());
  assert.equal(await focused(page), 'outcome');

  await page.evaluate(() => (window.holdChecksums = false));
  const { bytes } = await freezeAndDownload(page);
  assert.ok(bytes.equals(golden('mlp_binary')), 'the freeze after Cancel differs from tf_frozen.pb');
  assert.ok(await page.locator('#outcome').isHidden());
});

test('a folder from showDirectoryPicker is read without an upload prompt, and names the download', async (t) => {
  const page = await openPage(t);
  const dir = join(FIXTURES, 'mlp_binary');
  const files = ['graph.pb', 'model.ckpt.index', 'model.ckpt.data-00000-of-00001'].map((name) => ({
    name,
    bytes: [...readFileSync(join(dir, name))],
  }));
  // Headless Chromium cannot show the picker: it returns a folder of the origin's private storage.
  await page.evaluate(async (files) => {
    const root = await navigator.storage.getDirectory();
    const folder = await (await root.getDirectoryHandle('char_lstm', { create: true })).getDirectoryHandle('checkpoints', { create: true });
    for (const { name, bytes } of files) {
      const writable = await (await folder.getFileHandle(name, { create: true })).createWritable();
      await writable.write(Uint8Array.from(bytes));
      await writable.close();
    }
  }, files);
  await page.addInitScript(() => {
    window.showDirectoryPicker = async () => (await navigator.storage.getDirectory()).getDirectoryHandle('char_lstm');
    // A folder <input> would ask "Upload N files to this site?": it must not be used.
    HTMLInputElement.prototype.click = function () {
      if (this.webkitdirectory) throw new Error('the folder input was used');
    };
  });
  await page.reload();
  assert.ok(await page.locator('#folder-note').isHidden(), 'the upload note shows beside a picker that does not upload');
  await page.click('#choose-folder');
  await waitReady(page);
  const { name, bytes } = await freezeAndDownload(page);
  assert.equal(name, 'char_lstm_frozen.pb');
  assert.ok(bytes.equals(golden('mlp_binary')));
});

test('without showDirectoryPicker the folder button says that nothing is uploaded', async (t) => {
  const page = await openPage(t);
  const hasPicker = await page.evaluate(() => 'showDirectoryPicker' in window);
  const note = page.locator('#folder-note');
  assert.equal(await note.isVisible(), !hasPicker);
  assert.match(await note.textContent(), /nothing is uploaded/);
  assert.equal(await page.locator('#choose-folder').getAttribute('aria-describedby'), 'folder-note');
});

test('Chromium finds the page installable', async (t) => {
  // Not in an incognito-like context, where nothing installs.
  const profile = mkdtempSync(join(tmpdir(), 'tf-freeze-profile-'));
  const context = await chromium.launchPersistentContext(profile, { executablePath: '/usr/bin/chromium', headless: true, args: CHROMIUM_ARGS });
  t.after(async () => {
    await context.close();
    rmSync(profile, { recursive: true, force: true });
  });
  const page = await context.newPage();
  await page.goto(site.server.url);
  await page.evaluate(() => navigator.serviceWorker.ready);
  const cdp = await page.context().newCDPSession(page);
  const { installabilityErrors } = await cdp.send('Page.getInstallabilityErrors');
  assert.deepEqual(installabilityErrors, []);
  const manifest = JSON.parse(readFileSync(join(DIST, 'manifest.webmanifest'), 'utf8'));
  assert.equal(manifest.start_url, './');
  assert.ok(manifest.icons.some((icon) => icon.sizes === '512x512'));
});

test('on a 390 px phone the form comes right after the summary and nothing is wider than the screen', async (t) => {
  const context = await site.browser.newContext({ viewport: { width: 390, height: 844 }, deviceScaleFactor: 3, isMobile: true, hasTouch: true });
  t.after(() => context.close());
  const page = await context.newPage();
  await page.goto(site.server.url);
  // A checkpoint with optimizer slots: the tf2 checkpoint of Adam-trained weights, or any fixture with many entries.
  const dir = join(FIXTURES, 'cnn_meta');
  await page.setInputFiles('#files', readdirSync(dir).filter((f) => /^model\.ckpt/.test(f)).map((f) => join(dir, f)));
  await waitReady(page);
  const freeze = await page.locator('#freeze').boundingBox();
  assert.ok(freeze.y < 3 * 844, `Freeze is ${(freeze.y / 844).toFixed(1)} screens down`);
  const outputs = await page.locator('#outputs').boundingBox();
  const table = await page.locator('#checkpoint-box').boundingBox();
  assert.ok(outputs.y < table.y, 'the variables come before the outputs');
  assert.ok(await page.locator('#variables').isHidden(), 'the variables table is not collapsed');
  await page.click('#variables-box summary');
  const width = await page.evaluate(() => document.documentElement.scrollWidth);
  assert.ok(width <= 390, `the page is ${width} px wide`);
  // Names break between words, not letter by letter: no cell of the name column narrower than 8 characters.
  const narrowest = await page.locator('#variables tbody td:first-child').evaluateAll((tds) => Math.min(...tds.map((td) => td.getBoundingClientRect().width)));
  assert.ok(narrowest >= 100, `a name cell is ${narrowest} px wide`);
});

test('optimizer slots are folded into one line', async (t) => {
  const page = await openPage(t);
  const rows = await page.evaluate(async () => {
    const { variableRows } = await import('./report.js');
    const v = (name, used) => ({ name, dtype: 'float32', shape: [2], bytes: 8, used_by_graph: true, will_freeze: used });
    const trs = variableRows([v('w', true), v('w/Adam', false), v('w/Adam_1', false), v('beta1_power', false), v('b', true)]);
    return trs.map((tr) => tr.innerText || tr.textContent);
  });
  assert.equal(rows.length, 3, rows.join('\n'));
  assert.match(rows[2], /^3 optimizer slots/);
});

/** The CLI, built once for the tests that run a copied command. */
function cli() {
  execFileSync('cargo', ['build', '--quiet', '--bin', 'freeze_graph'], { cwd: ROOT, stdio: 'inherit' });
  return join(process.env.CARGO_TARGET_DIR || join(ROOT, 'target'), 'debug/freeze_graph');
}

test('Copy copies a command that our CLI runs to the same bytes', async (t) => {
  const page = await openPage(t);
  await page.context().grantPermissions(['clipboard-read', 'clipboard-write'], { origin: site.server.origin });
  await page.click('#sample');
  await waitReady(page);
  const { bytes } = await freezeAndDownload(page);
  for (const id of ['tf-command', 'command']) {
    await page.click(`#${id}-copy`);
    const copied = await page.evaluate(() => navigator.clipboard.readText());
    assert.equal(copied, await page.locator(`#${id}`).innerText());
    assert.match(copied, /^freeze_graph /);
    if (id === 'tf-command') assert.doesNotMatch(copied, /--report/, "TF's freeze_graph rejects --report");
  }
  const copied = await page.evaluate(() => navigator.clipboard.readText());
  const work = mkdtempSync(join(tmpdir(), 'tf-freeze-cli-'));
  t.after(() => rmSync(work, { recursive: true, force: true }));
  for (const name of ['graph.pb', 'model.ckpt.index', 'model.ckpt.data-00000-of-00001']) {
    copyFileSync(join(FIXTURES, 'mlp_binary', name), join(work, name));
  }
  execFileSync('sh', ['-c', copied.replace(/^freeze_graph/, `'${cli()}'`)], { cwd: work, stdio: 'inherit' });
  assert.ok(readFileSync(join(work, 'model_frozen.pb')).equals(bytes), "the CLI's output differs from the download");
  assert.ok(existsSync(join(work, 'model_report.json')));
});

test("a SavedModel's tag set is a choice of the sets the file has", async (t) => {
  const page = await openPage(t);
  const dir = join(FIXTURES, 'tf1_saved_model', 'saved_model');
  const files = readdirSync(dir, { recursive: true }).map((f) => join(dir, f)).filter((f) => !readdirSync(dir).includes(f) || f.includes('.'));
  await page.setInputFiles('#files', files.filter((f) => /\.(pb|index)$|data-/.test(f)));
  await waitReady(page);
  assert.equal(await page.evaluate(() => document.querySelector('#tags').tagName), 'SELECT');
  assert.deepEqual(await page.locator('#tags option').allInnerTexts(), [fixture('tf1_saved_model').args.saved_model_tags]);
  assert.ok(await page.locator('#tags').isVisible());
  assert.match(await status(page), /^Found \d+ variables/);
});

const SERVING = join(ROOT, '../shared/realworld/tensorflow-serving/servables/tensorflow/testdata');

test("TF Serving's SavedModel folder: no fingerprint offered as a graph, its tag set chosen, named after the model", async (t) => {
  const dir = join(SERVING, 'saved_model_half_plus_two_tf2_cpu');
  if (!existsSync(dir)) return t.skip(`${dir} is missing: the real-world files are not here`);
  const page = await openPage(t);
  await page.setInputFiles('#folder', dir);
  await waitReady(page);
  assert.deepEqual(await page.locator('#graph-choice option').allInnerTexts(), ['saved_model.pb']);
  assert.equal(await page.inputValue('#tags'), 'serve');
  // `00000123` is a SavedModel version, not a name.
  const { name } = await freezeAndDownload(page);
  assert.equal(name, 'saved_model_half_plus_two_tf2_cpu_frozen.pb');
});
