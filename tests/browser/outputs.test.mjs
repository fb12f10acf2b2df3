// The output field: names checked when it is left ("did you mean" buttons),
// type-ahead over every node, a SavedModel's signatures as choices, and what a
// candidate is computed from and read by, before it is chosen.
// Needs `make web` first (www/dist) and /usr/bin/chromium; run with `npm test`.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cpSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FIXTURES, openSite, ROOT, sharedSite, waitReady } from './harness.mjs';

const site = sharedSite();

const openPage = (t) => openSite(t, site.browser, site.server);

/** A fixture's graph and checkpoint files (not its goldens or description). */
const fixtureFiles = (name) => {
  const dir = join(FIXTURES, name);
  return readdirSync(dir, { withFileTypes: true }).filter((f) => f.isFile() && !/fixture|frozen/.test(f.name)).map((f) => join(dir, f.name));
};

async function openClassifier(t) {
  const page = await openPage(t);
  await page.setInputFiles('#files', fixtureFiles('heads_classifier'));
  await waitReady(page);
  return page;
}

test('a typo is answered when the field is left, and a "did you mean" button fixes it', async (t) => {
  const page = await openClassifier(t);
  await page.fill('#outputs', 'Softmx');
  await page.locator('#outputs').blur();
  const button = page.locator('#outputs-check button.did-you-mean', { hasText: /^Softmax$/ });
  await button.waitFor();
  assert.match(await page.locator('#outputs-check').innerText(), /“Softmx” is not a node of this graph\. Did you mean/);
  await button.click();
  assert.equal(await page.inputValue('#outputs'), 'Softmax');
  await page.locator('#outputs').blur();
  await page.waitForFunction(() => !document.querySelector('#outputs-check').textContent);
});

test('type-ahead lists matching nodes with op, dtype and shape, and Enter picks one', async (t) => {
  const page = await openClassifier(t);
  await page.fill('#outputs', '');
  await page.locator('#outputs').pressSequentially('ArgM');
  const options = page.locator('#output-matches [role=option]');
  // The list follows each key typed: wait for the one of the whole query.
  await page.waitForFunction(() => {
    const names = [...document.querySelectorAll('#output-matches [role=option]')].map((o) => o.textContent);
    return names.length > 0 && names.every((n) => /argm/i.test(n));
  });
  assert.equal(await page.getAttribute('#outputs', 'aria-expanded'), 'true');
  const texts = await options.allInnerTexts();
  assert.ok(texts.every((text) => /argm/i.test(text)), texts.join(' | '));
  assert.ok(texts.some((text) => /^ArgMax\s+ArgMax, int64, \[\?\]/.test(text)), texts.join(' | '));
  await page.keyboard.press('ArrowDown');
  assert.equal(await page.getAttribute('#outputs', 'aria-activedescendant'), 'match-0');
  const first = await page.locator('#match-0 .match-name').innerText();
  await page.keyboard.press('Enter');
  assert.equal(await page.inputValue('#outputs'), first);
  assert.equal(await page.getAttribute('#outputs', 'aria-expanded'), 'false');
  // Enter picked; it did not submit the form.
  assert.equal(await page.locator('#result').isVisible(), false);
});

test('"see before choosing": the logits come from the inputs and weights, and the loss reads them', async (t) => {
  const page = await openClassifier(t);
  // `add_1` is the classifier's logits (`matmul(h, w2) + b2`).
  await page.fill('#outputs', '');
  await page.locator('#outputs').pressSequentially('add_1');
  // The list follows each key typed: wait for the one of the whole name (the exact name first).
  await page.waitForFunction(() => /^add_1\b/.test(document.querySelector('#match-0')?.textContent ?? ''));
  await page.keyboard.press('ArrowDown');
  await page.waitForFunction(() => document.querySelector('#near-title')?.textContent === 'What add_1 is');
  await page.locator('#near .near-producers').waitFor();
  assert.equal(await page.locator('#near-title').innerText(), 'What add_1 is');
  const near = await page.locator('#near').innerText();
  assert.match(near, /Computed from[\s\S]*MatMul_1 MatMul/);
  assert.match(near, /variable/);
  const readers = await page.locator('#near .near-consumers').innerText();
  assert.match(readers, /Softmax Softmax/);
  assert.match(readers, /cross_entropy[^\n]*(loss|leads to the loss)/i);
  assert.doesNotMatch(readers, /Shape/, 'a shape op reads no values');
});

/** A SavedModel folder's files, as the folder input gives them. */
const savedModelFiles = (dir) =>
  readdirSync(dir, { recursive: true }).map((f) => join(dir, f)).filter((f) => /\.(pb|index)$|data-/.test(f));

async function signatureChoices(page) {
  await page.locator('#choices-box').waitFor();
  return page.locator('#choices li').evaluateAll((items) =>
    items.map((li) => ({ text: li.innerText.trim(), checked: li.querySelector('input').checked })),
  );
}

for (const name of ['tf1_saved_model', 'tf2_saved_model']) {
  test(`${name}: the signatures are choices with their tensors, the default one preselected`, async (t) => {
    const page = await openPage(t);
    await page.setInputFiles('#files', savedModelFiles(join(FIXTURES, name, 'saved_model')));
    await waitReady(page);
    const choices = await signatureChoices(page);
    const first = choices[0];
    assert.match(first.text, /^serving_default inputs .+: \w+ \[.*\]; outputs .+: \w+/);
    assert.ok(first.checked, JSON.stringify(choices));
    assert.notEqual(await page.inputValue('#outputs'), '');
  });
}

test('a SavedModel without serving_default gets its signature as a choice, not an empty field', async (t) => {
  const work = mkdtempSync(join(tmpdir(), 'tf-freeze-signature-'));
  t.after(() => rmSync(work, { recursive: true, force: true }));
  const dir = join(work, 'renamed');
  cpSync(join(FIXTURES, 'tf1_saved_model', 'saved_model'), dir, { recursive: true });
  // A key of the same length keeps every protobuf length right.
  const pb = join(dir, 'saved_model.pb');
  const bytes = readFileSync(pb);
  const at = bytes.indexOf('serving_default');
  assert.ok(at >= 0);
  bytes.write('predict_default', at);
  writeFileSync(pb, bytes);
  const page = await openPage(t);
  await page.setInputFiles('#files', savedModelFiles(dir));
  await waitReady(page);
  const choices = await signatureChoices(page);
  assert.match(choices[0].text, /^predict_default inputs/);
  assert.ok(choices[0].checked);
  assert.notEqual(await page.inputValue('#outputs'), '');
  assert.doesNotMatch(await page.locator('#freeze-reason').innerText(), /output_node_names/);
});

const SERVING = join(ROOT, '../shared/realworld/tensorflow-serving/servables/tensorflow/testdata');

test("TF Serving's half_plus_two: its signatures are the choices, serving_default preselected", async (t) => {
  const dir = join(SERVING, 'saved_model_half_plus_two_cpu', '00000123');
  if (!existsSync(dir)) return t.skip(`${dir} is missing: the real-world files are not here`);
  const page = await openPage(t);
  await page.setInputFiles('#files', savedModelFiles(dir));
  await waitReady(page);
  const choices = await signatureChoices(page);
  const names = choices.map((c) => c.text.split(' ')[0]);
  assert.equal(names[0], 'serving_default');
  assert.ok(names.length > 1, names.join(', '));
  assert.ok(choices[0].checked);
});

test('an output whose missing variables "Initialize missing variables" supplies is pre-filled, and the choice says so', async (t) => {
  const page = await openPage(t);
  await page.setInputFiles('#files', fixtureFiles('partial_checkpoint'));
  await page.locator('#choices-box').waitFor();
  // The field is filled when the report on the chosen pair arrives, which may come a draw later.
  await page.waitForFunction(() => /generator\/out/.test(document.querySelector('#outputs').value), null, { timeout: 10_000 });
  assert.match(await page.inputValue('#outputs'), /generator\/out/);
  const choice = await page.locator('#choices li').first().innerText();
  assert.match(choice, /the checkpoint lacks: “Initialize missing variables from their initializers” gives them their initializers' constant values/);
  // The freeze waits for the option, with a button to it.
  assert.ok(await page.locator('#freeze-reason button.fix[data-control="initialize-missing"]').count());
});
