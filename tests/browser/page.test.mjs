// The page in headless Chromium: each download must be byte-identical to
// TensorFlow's own freeze_graph output for the same files (or to the checked
// expected_frozen.pb where TF gets it wrong), bad files must get
// one plain sentence, and no request may leave the page's origin.
// Needs `make web` first (www/dist) and /usr/bin/chromium; run with `npm test`.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { v1Checkpoint } from './v1_table.mjs';
import { DIST, fixture, FIXTURES, freezeAndDownload, golden, goldenPath, openSite, sharedSite, status, waitReady } from './harness.mjs';

const site = sharedSite();

const openPage = (t) => openSite(t, site.browser, site.server);

/** The core's inspect report on the sample, from the page's own wasm module. */
function sampleReport(page) {
  return page.evaluate(async () => {
    const { default: init, inspect } = await import('./pkg/tf_freeze.js');
    await init();
    const file = async (name) => new File([await (await fetch(`sample/${name}`)).blob()], name);
    const [graph, index] = await Promise.all([file('graph.pb'), file('model.ckpt.index')]);
    return inspect(graph, [index], 'model.ckpt', []);
  });
}

test("the controls' labels and defaults are the core's option table", async (t) => {
  const { OPTIONS } = await import(pathToFileURL(join(DIST, 'options.js')));
  const page = await openPage(t);
  const controls = await page.evaluate(
    (rows) =>
      rows.map(({ page: { id } }) => {
        const control = document.getElementById(id);
        const label = document.querySelector(`label[for="${id}"]`).textContent;
        return { id, label, value: control.type === 'checkbox' ? String(control.checked) : control.value };
      }),
    OPTIONS.filter((row) => row.page),
  );
  const wanted = OPTIONS.filter((row) => row.page).map((row) => ({ id: row.page.id, label: row.page.label, value: row.default }));
  assert.deepEqual(controls, wanted);
});

/** The input files of a fixture folder, as a user would pick them. */
function inputFiles(dir) {
  return readdirSync(dir, { recursive: true })
    .filter((path) => !['fixture.json', 'tf_frozen.pb', 'expected_frozen.pb'].includes(path))
    .map((path) => join(dir, path))
    .filter((path) => statSync(path).isFile());
}

test('"Try a sample" freezes to exactly what TensorFlow wrote', async (t) => {
  const page = await openPage(t);
  await page.click('#sample');
  await waitReady(page);
  assert.equal(await page.inputValue('#outputs'), fixture('mlp_binary').args.output_node_names);
  assert.match(await page.locator('#graph-info').innerText(), /binary GraphDef, \d+ nodes/);
  await page.click('#variables-box summary');
  assert.match(await page.locator('#variables').innerText(), /hidden1\/weights\s+float32\s+\[4,8\]\s+128 bytes\s+yes/);
  assert.match(await page.locator('#inputs').innerText(), /^x \(float32, \[\?,4\]\)$/);
  const { name, bytes } = await freezeAndDownload(page);
  // Files chosen one by one have no folder: the prefix without `.ckpt` names the model.
  assert.equal(name, 'model_frozen.pb');
  assert.ok(bytes.equals(golden('mlp_binary')), 'the download differs from tf_frozen.pb');
  assert.match(await page.locator('#summary').innerText(), /^\d+ variables frozen, \d+ nodes kept/);
});

const GOLDEN = readdirSync(FIXTURES).filter(
  (name) => existsSync(join(FIXTURES, name, 'fixture.json')) && !fixture(name).args.input_saver && goldenPath(name),
);

for (const name of GOLDEN) {
  test(`chosen files of ${name} freeze to the expected bytes`, async (t) => {
    const { args } = fixture(name);
    const page = await openPage(t);
    await page.setInputFiles('#files', inputFiles(join(FIXTURES, name)));
    await waitReady(page);
    await page.fill('#outputs', args.output_node_names);
    await page.setChecked('#clear-devices', args.clear_devices);
    await page.click('#more summary');
    await page.fill('#whitelist', args.variable_names_whitelist);
    await page.fill('#denylist', args.variable_names_denylist);
    await page.fill('#initializers', args.initializer_nodes);
    // The tag set is a choice of the file's sets; with one, it is chosen already.
    if (args.input_saved_model_dir) assert.equal(await page.inputValue('#tags'), args.saved_model_tags);
    // Our own boolean options the fixture freezes with (initialize_missing ...).
    const { OPTIONS } = await import(pathToFileURL(join(DIST, 'options.js')));
    for (const row of OPTIONS.filter((r) => r.page && r.kind === 'bool' && !r.inTf && r.flag in args)) {
      const control = page.locator(`#${row.page.id}`);
      // Open the panel the control is in.
      await control.evaluate((el) => el.closest('details')?.setAttribute('open', ''));
      await control.setChecked(args[row.flag] === true);
    }
    const { name: file, bytes } = await freezeAndDownload(page);
    // No folder (files chosen one by one), a generic prefix (`model.ckpt`, `variables`): `model`.
    assert.equal(file, 'model_frozen.pb');
    assert.ok(bytes.equals(golden(name)), `the download differs from ${goldenPath(name)}`);
  });
}

/** A folder holding the mlp_binary inputs, with `change` applied to one file's bytes. */
function alteredCopy(t, file, change) {
  const dir = mkdtempSync(join(tmpdir(), 'tf-freeze-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  for (const path of inputFiles(join(FIXTURES, 'mlp_binary'))) {
    const base = path.split('/').pop();
    const bytes = readFileSync(path);
    writeFileSync(join(dir, base), base === file ? change(bytes) : bytes);
  }
  return inputFiles(dir);
}

test('files are sorted by their bytes: a renamed meta graph is still the graph, a fingerprint is never offered', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'tf-freeze-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const source = join(FIXTURES, 'cnn_meta');
  // A download manager's names: the meta graph as "graph (1).bin".
  writeFileSync(join(dir, 'graph (1).bin'), readFileSync(join(source, 'model.ckpt.meta')));
  for (const name of ['model.ckpt.index', 'model.ckpt.data-00000-of-00001']) {
    writeFileSync(join(dir, name), readFileSync(join(source, name)));
  }
  // A SavedModel's fingerprint beside it is not a graph.
  writeFileSync(join(dir, 'fingerprint.pb'), Buffer.from([0x32, 0x02, 0x08, 0x01, 0x08, 0x05, 0x10, 0x07, 0x18, 0x09]));
  const page = await openPage(t);
  await page.setInputFiles('#files', readdirSync(dir).map((name) => join(dir, name)));
  await waitReady(page);
  assert.match(await page.locator('#graph-info').innerText(), /MetaGraphDef/);
  assert.deepEqual(await page.locator('#graph-choice option').allInnerTexts(), ['graph (1).bin']);
  await page.fill('#outputs', fixture('cnn_meta').args.output_node_names);
  const { bytes } = await freezeAndDownload(page);
  assert.ok(bytes.equals(golden('cnn_meta')), 'the download differs from what TensorFlow wrote');
});

test('a truncated .index gets one sentence naming it, and the page keeps working', async (t) => {
  const page = await openPage(t);
  const files = alteredCopy(t, 'model.ckpt.index', (bytes) => bytes.subarray(0, bytes.length / 2));
  await page.setInputFiles('#files', files);
  await page.locator('#status.error').waitFor();
  const message = await status(page);
  assert.match(message, /^model\.ckpt\.index: [^\n]+\.$/);
  assert.ok(message.length < 300, message);
  assert.ok(await page.locator('#freeze').isDisabled());

  await page.click('#sample');
  await waitReady(page);
  const { bytes } = await freezeAndDownload(page);
  assert.ok(bytes.equals(golden('mlp_binary')));
});

test('a damaged weight fails its checksum, unless checksums are off', async (t) => {
  const page = await openPage(t);
  // Byte 100 of the shard lies inside hidden1/weights (offset 40, 128 bytes).
  const files = alteredCopy(t, 'model.ckpt.data-00000-of-00001', (bytes) => {
    const copy = Buffer.from(bytes);
    copy[100] ^= 0xff;
    return copy;
  });
  await page.setInputFiles('#files', files);
  await waitReady(page);
  await page.click('#freeze');
  await page.locator('#outcome.error').waitFor();
  assert.match(await page.locator('#outcome').innerText(), /^model\.ckpt\.data-00000-of-00001: checksum mismatch for hidden1\/weights/);
  await page.uncheck('#verify');
  const { bytes } = await freezeAndDownload(page);
  assert.equal(bytes.length, golden('mlp_binary').length);
});

test('missing pieces are explained in one sentence each', async (t) => {
  const page = await openPage(t);
  const dir = join(FIXTURES, 'two_shards');
  await page.setInputFiles('#files', [join(dir, 'model.ckpt.index')]);
  await page.locator('#status.error').waitFor();
  assert.match(await status(page), /^model\.ckpt\.index is a checkpoint index; add the graph/);

  await page.setInputFiles('#files', [join(dir, 'model.ckpt.meta'), join(dir, 'model.ckpt.data-00000-of-00002')]);
  await page.waitForFunction(() => /missing/.test(document.querySelector('#status').textContent));
  assert.equal(await status(page), 'model.ckpt.data-00001-of-00002 is missing: model.ckpt.index needs all 2 data files.');

  await page.setInputFiles('#files', [join(dir, 'model.ckpt.data-00001-of-00002')]);
  await waitReady(page);
  const { bytes } = await freezeAndDownload(page);
  assert.ok(bytes.equals(golden('two_shards')));
});

test('everything works from the keyboard', async (t) => {
  const page = await openPage(t);
  const focused = () => page.evaluate(() => document.activeElement?.id ?? '');
  const tabTo = async (id) => {
    for (let i = 0; i < 30; i++) {
      await page.keyboard.press('Tab');
      if ((await focused()) === id) return;
    }
    assert.fail(`Tab never reached #${id}`);
  };
  await tabTo('choose');
  await tabTo('sample');
  await page.keyboard.press('Enter');
  await waitReady(page);
  await tabTo('freeze');
  await page.keyboard.press('Enter');
  await page.locator('#result').waitFor({ state: 'visible' });
  assert.equal(await focused(), 'download');
  const [download] = await Promise.all([page.waitForEvent('download'), page.keyboard.press('Enter')]);
  assert.ok(readFileSync(await download.path()).equals(golden('mlp_binary')));
});

test('files dropped on the page are read like chosen ones', async (t) => {
  const page = await openPage(t);
  await page.evaluate(async () => {
    const { files } = await (await fetch('sample/sample.json')).json();
    const transfer = new DataTransfer();
    for (const name of files) {
      transfer.items.add(new File([await (await fetch(`sample/${name}`)).blob()], name));
    }
    document.body.dispatchEvent(new DragEvent('drop', { dataTransfer: transfer, bubbles: true, cancelable: true }));
  });
  await waitReady(page);
  const { bytes } = await freezeAndDownload(page);
  assert.ok(bytes.equals(golden('mlp_binary')));
});

test('a worker that dies is restarted, and the page says so', async (t) => {
  const page = await openPage(t);
  await page.click('#sample');
  await waitReady(page);
  const [worker] = page.workers();
  await worker.evaluate(() => setTimeout(() => {
    throw new Error('simulated crash');
  }));
  await page.waitForFunction(() => /restarted/.test(document.querySelector('#status').textContent));
  assert.match(await status(page), /^The converter stopped \(.*simulated crash\) and was restarted/);
  const { bytes } = await freezeAndDownload(page);
  assert.ok(bytes.equals(golden('mlp_binary')));
});

test('a V1 checkpoint freezes like the same values in V2', async (t) => {
  const page = await openPage(t);
  const dir = join(FIXTURES, 'mlp_binary');
  const buffer = await v1Checkpoint(join(DIST, 'pkg'), dir, (await sampleReport(page)).variables);
  await page.setInputFiles('#files', [
    { name: 'graph.pb', mimeType: 'application/octet-stream', buffer: readFileSync(join(dir, 'graph.pb')) },
    { name: 'model.ckpt', mimeType: 'application/octet-stream', buffer },
  ]);
  await waitReady(page);
  assert.match(await page.locator('#prefix-info').innerText(), /^7 tensors in a V1 checkpoint of 1 file$/);
  const { name, bytes } = await freezeAndDownload(page);
  assert.equal(name, 'model_frozen.pb');
  assert.ok(bytes.equals(golden('mlp_binary')), 'the download differs from tf_frozen.pb');
});

test('of several checkpoints the newest step is chosen, and the folder names the download', async (t) => {
  const page = await openPage(t);
  const parent = mkdtempSync(join(tmpdir(), 'tf-freeze-'));
  t.after(() => rmSync(parent, { recursive: true, force: true }));
  // Where users keep a model: its own folder, then TF's `checkpoints`.
  const dir = join(parent, 'char_lstm', 'checkpoints');
  mkdirSync(dir, { recursive: true });
  const source = join(FIXTURES, 'mlp_binary');
  writeFileSync(join(dir, 'graph.pb'), readFileSync(join(source, 'graph.pb')));
  writeFileSync(join(dir, 'checkpoint'), 'model_checkpoint_path: "model.ckpt-1000"\n');
  for (const prefix of ['model.ckpt-500', 'model.ckpt-1000']) {
    for (const suffix of ['.index', '.data-00000-of-00001']) {
      writeFileSync(join(dir, prefix + suffix), readFileSync(join(source, `model.ckpt${suffix}`)));
    }
  }
  await page.setInputFiles('#folder', join(parent, 'char_lstm'));
  await waitReady(page);
  assert.equal(await page.inputValue('#prefix-choice'), 'char_lstm/checkpoints/model.ckpt-1000');
  const { name, bytes } = await freezeAndDownload(page);
  assert.equal(name, 'char_lstm_frozen.pb');
  assert.ok(bytes.equals(golden('mlp_binary')));
});

/** Drops files on the page as a user's drag and drop does. */
async function dropFiles(page, paths) {
  const files = paths.map((path) => ({ name: path.split('/').pop(), bytes: [...readFileSync(path)] }));
  await page.evaluate((files) => {
    const transfer = new DataTransfer();
    for (const { name, bytes } of files) transfer.items.add(new File([Uint8Array.from(bytes)], name));
    document.body.dispatchEvent(new DragEvent('drop', { dataTransfer: transfer, bubbles: true, cancelable: true }));
  }, files);
}

test('after a drop the core report lists the variables and suggests probs first', async (t) => {
  const page = await openPage(t);
  await dropFiles(page, inputFiles(join(FIXTURES, 'mlp_binary')));
  await waitReady(page);
  await page.click('#variables-box summary');
  const rows = await page.locator('#variables tbody tr').allInnerTexts();
  const names = ['global_step', 'hidden1/biases', 'hidden1/weights', 'hidden2/biases', 'hidden2/weights', 'logits/biases', 'logits/weights'];
  assert.deepEqual(rows.map((r) => r.split('\t')[0]), names);
  assert.ok(rows.every((r) => r.endsWith('\tyes')), rows.join('\n'));
  assert.match(rows[0], /^global_step\tint64\tscalar\t8 bytes\tyes$/);
  assert.match(await page.locator('#graph-info').innerText(), /^binary GraphDef, 90 nodes$/);

  const first = page.locator('#suggestions li').first();
  assert.equal(await first.locator('button').innerText(), 'probs');
  assert.match(await first.innerText(), /^probs Softmax, float32: a head op, a name someone gave it; nothing consumes it; reads 'x', 6 variables$/);
  // One model head, pre-filled whole: the probabilities and the logits they come from.
  assert.equal(await page.inputValue('#outputs'), 'probs,logits/BiasAdd');
  assert.equal(await first.locator('button').getAttribute('aria-pressed'), 'true');
  assert.ok(await page.locator('#problems-box').isHidden());

  // A suggestion takes its name out of the field, and puts it back.
  await first.locator('button').click();
  assert.equal(await page.inputValue('#outputs'), 'logits/BiasAdd');
  assert.equal(await page.locator('#suggestions button').first().getAttribute('aria-pressed'), 'false');
  await page.locator('#suggestions button').first().click();
  assert.deepEqual((await page.inputValue('#outputs')).split(',').sort(), ['logits/BiasAdd', 'probs']);
  // TF's own freeze of this fixture kept `probs` alone.
  await page.fill('#outputs', 'probs');
  const { bytes } = await freezeAndDownload(page);
  assert.ok(bytes.equals(golden('mlp_binary')));
});

test('a checkpoint of another model: one sentence, Freeze disabled with the reason, every line behind "Show all"', async (t) => {
  const page = await openPage(t);
  const other = join(FIXTURES, 'two_shards');
  await page.setInputFiles('#files', [
    join(FIXTURES, 'mlp_binary', 'graph.pb'),
    ...['model.ckpt.index', 'model.ckpt.data-00000-of-00002', 'model.ckpt.data-00001-of-00002'].map((f) => join(other, f)),
  ]);
  await waitReady(page);
  await page.locator('#problems-box').waitFor({ state: 'visible' });
  const sentence =
    'None of the 6 variables the outputs need is in the checkpoint: the graph and checkpoint are from different models; ' +
    'add the checkpoint this graph was saved with (“Choose files”).';
  assert.deepEqual(await page.locator('#problems > li').evaluateAll((lis) => lis.map((li) => li.firstChild.textContent)), [sentence]);
  assert.ok(await page.locator('#freeze').isDisabled());
  assert.equal(await page.locator('#freeze-reason').evaluate((el) => el.firstChild.textContent), sentence);
  assert.match(await status(page), /^Found 7 variables\. One problem is listed with the output nodes\./);
  // The details, one line each, behind the disclosure.
  assert.ok(await page.locator('#problems-list').isHidden());
  await page.click('#problems-all summary');
  const lines = await page.locator('#problems-list li').allInnerTexts();
  assert.equal(lines.length, 9, lines.join('\n'));
  assert.equal(
    lines[0],
    "The outputs need variable 'hidden1/weights' but the checkpoint has no key 'hidden1/weights'; " +
      'its initializer is random (TruncatedNormal), so only a checkpoint can give its value.',
  );
  // The sentence's button leads to the control it names.
  await page.locator('#freeze-reason button.fix').click();
  assert.equal(await page.evaluate(() => document.activeElement.id), 'choose');
  await page.click('#variables-box summary');
  assert.deepEqual(
    (await page.locator('#variables tbody tr').allInnerTexts()).map((r) => r.split('\t').at(-1)),
    ['no', 'no', 'no'],
  );
});

test('a failed freeze puts its message under Freeze, in view, with the focus on it', async (t) => {
  const page = await openPage(t);
  await page.setViewportSize({ width: 1000, height: 700 });
  await page.setInputFiles('#files', inputFiles(join(FIXTURES, 'cond_v1_resource')));
  await waitReady(page);
  await page.fill('#outputs', 'out_select');
  await page.click('#cleanup summary');
  await page.fill('#placeholder-to-const', 'pred');
  await page.click('#freeze');
  await page.locator('#outcome.error').waitFor();
  assert.equal(await page.evaluate(() => document.activeElement.id), 'outcome');
  const box = await page.locator('#outcome').boundingBox();
  const freeze = await page.locator('#freeze').boundingBox();
  assert.ok(box.y >= 0 && box.y + box.height <= 700, `the message is out of view at y=${box.y}`);
  assert.ok(box.y > freeze.y && box.y - freeze.y < 150, 'the message is not right under Freeze');
  // The message names the control, and its button goes there.
  await page.locator('#outcome button.fix').click();
  assert.equal(await page.evaluate(() => document.activeElement.id), 'placeholder-to-const');
});

test('the input-queue hint names the control that cuts it and opens its panel', async (t) => {
  const page = await openPage(t);
  const report = {
    ok: {
      problems: [{ kind: 'input_pipeline', name: 'batch', message: "the outputs read their input from 'batch' (QueueDequeueManyV2), not from a placeholder" }],
      variables: [],
    },
  };
  const items = await page.evaluate(async (report) => {
    const { problemGroups } = await import('./report.js');
    const { labels } = await import('./hints.js');
    return problemGroups(report.ok.problems, 0, labels);
  }, report);
  assert.equal(items.length, 1);
  assert.match(items[0].text, /“Cut input queue at placeholder”/);
  assert.doesNotMatch(items[0].text, /strip/i);
  assert.equal(items[0].control, 'input-placeholder');
  // Its button opens the closed "Inference cleanup" panel and focuses the field.
  await page.click('#sample');
  await waitReady(page);
  await page.evaluate(async () => {
    const { controlLinks } = await import('./hints.js');
    document.querySelector('#status').append(...controlLinks('x', 'input-placeholder'));
  });
  assert.equal(await page.locator('#cleanup').getAttribute('open'), null);
  await page.locator('#status button.fix').click();
  assert.notEqual(await page.locator('#cleanup').getAttribute('open'), null);
  assert.equal(await page.evaluate(() => document.activeElement.id), 'input-placeholder');
});

test('replacing a placeholder by a constant changes the result, and the change is listed', async (t) => {
  const page = await openPage(t);
  await page.setInputFiles('#files', inputFiles(join(FIXTURES, 'cond_v1_resource')));
  await waitReady(page);
  assert.match(await page.locator('#inputs').innerText(), /^pred \(bool, scalar\), x \(float32, \[3\]\)$/);
  await page.fill('#outputs', 'out_select');
  const plain = await freezeAndDownload(page);
  assert.equal(await page.locator('#result-inputs').innerText(), 'pred, x');
  assert.ok(await page.locator('#changes-box').isHidden());

  await page.click('#cleanup summary');
  await page.fill('#placeholder-to-const', 'pred');
  await page.click('#freeze');
  await page.locator('#outcome.error').waitFor();
  assert.match(await page.locator('#outcome').innerText(), /^“Replace placeholders by constants”: 'pred' is not name=value/);

  await page.fill('#placeholder-to-const', 'pred=true');
  const cleaned = await freezeAndDownload(page);
  assert.ok(!cleaned.bytes.equals(plain.bytes), 'the cleanup changed nothing');
  assert.equal(cleaned.name, plain.name);
  assert.equal(await page.locator('#result-inputs').innerText(), 'x');
  assert.deepEqual(await page.locator('#changes li').allInnerTexts(), ["'pred': Placeholder → Const bool true"]);
  assert.match(await page.locator('#command').innerText(), / --placeholder_to_const=pred=true /);
});

test("the freeze report shows TF's command and ours, and report.json parses", async (t) => {
  const page = await openPage(t);
  await page.click('#sample');
  await waitReady(page);
  await page.uncheck('#clear-devices');
  const { bytes } = await freezeAndDownload(page);
  const tf =
    'freeze_graph --input_graph=graph.pb --input_binary=true --input_checkpoint=model.ckpt ' +
    '--output_node_names=probs --output_graph=model_frozen.pb --clear_devices=false';
  const ours = `${tf} --report=model_report.json`;
  assert.equal(await page.locator('#tf-command').innerText(), tf);
  assert.equal(await page.locator('#command').innerText(), ours);
  assert.match(await page.locator('#command-title').innerText(), /^With tf-freeze's freeze_graph/);
  await page.click('#frozen-box summary');
  assert.match(await page.locator('#frozen').innerText(), /hidden1\/weights\s+float32\s+\[4,8\]\s+128 bytes/);
  assert.equal(await page.locator('#result-outputs').innerText(), 'probs');

  const [download] = await Promise.all([page.waitForEvent('download'), page.click('#download-report')]);
  assert.equal(download.suggestedFilename(), 'model_report.json');
  const report = JSON.parse(readFileSync(await download.path(), 'utf8'));
  assert.equal(report.command, ours);
  assert.deepEqual(report.outputs, ['probs']);
  assert.deepEqual(report.inputs, ['x']);
  assert.equal(report.output_bytes, bytes.length);
  assert.deepEqual(
    report.variables_frozen.map((v) => v.name).sort(),
    ['hidden1/biases', 'hidden1/weights', 'hidden2/biases', 'hidden2/weights', 'logits/biases', 'logits/weights'],
  );
  assert.equal(report.variables_frozen.find((v) => v.name === 'hidden1/weights').bytes, 128);
});

test("an option TF lacks leaves only tf-freeze's command", async (t) => {
  const page = await openPage(t);
  await page.click('#sample');
  await waitReady(page);
  await page.click('#cleanup summary');
  await page.check('#strip-training');
  await freezeAndDownload(page);
  assert.equal(await page.locator('#tf-command').count(), 0);
  assert.match(await page.locator('#command').innerText(), / --strip_training_nodes /);
  assert.match(await page.locator('#command-title').innerText(), /needs options TensorFlow's lacks/);
});

test('the suggestions and the cleanup options work from the keyboard', async (t) => {
  const page = await openPage(t);
  const focused = () => page.evaluate(() => document.activeElement?.id || document.activeElement?.textContent);
  const tabTo = async (target) => {
    for (let i = 0; i < 40; i++) {
      await page.keyboard.press('Tab');
      if ((await focused()) === target) return;
    }
    assert.fail(`Tab never reached ${target}`);
  };
  await page.setInputFiles('#files', inputFiles(join(FIXTURES, 'cond_v1_resource')));
  await waitReady(page);
  await page.focus('#choose');
  await tabTo('out_read');
  await page.keyboard.press('Space');
  assert.equal(await page.inputValue('#outputs'), 'out_read_not,out_read');
  assert.equal(await focused(), 'out_read', 'the pressed suggestion keeps the focus');
  await page.keyboard.press('Shift+Tab');
  await page.keyboard.press('Enter');
  assert.equal(await page.inputValue('#outputs'), 'out_read');
  await tabTo('Inference cleanup');
  await page.keyboard.press('Enter');
  await tabTo('placeholder-to-const');
  await page.keyboard.type('pred=false');
  await tabTo('freeze');
  await page.keyboard.press('Enter');
  await page.locator('#result').waitFor({ state: 'visible' });
  assert.equal(await focused(), 'download');
  assert.deepEqual(await page.locator('#changes li').allInnerTexts(), ["'pred': Placeholder → Const bool false"]);
  await page.keyboard.press('Tab');
  assert.equal(await focused(), 'download-report');
  const [download] = await Promise.all([page.waitForEvent('download'), page.keyboard.press('Enter')]);
  assert.deepEqual(JSON.parse(readFileSync(await download.path(), 'utf8')).changes, ["'pred': Placeholder → Const bool false"]);
});

/** Waits until the status says exactly `text` (what the core's diagnosis says, as a sentence). */
async function waitStatus(page, text) {
  await page.waitForFunction((wanted) => document.querySelector('#status').textContent === wanted, text, { timeout: 10_000 }).catch(async () => {
    assert.equal(await status(page), text);
  });
}

/** Presses "Start over" and waits until the page says it is clear. */
async function startOver(page) {
  await page.click('#clear');
  await waitStatus(page, 'Cleared. Drop or choose new files.');
}

test('data shards without their index, a missing shard, a graph without checkpoint: the core says what to add', async (t) => {
  const page = await openPage(t);
  const dir = join(FIXTURES, 'mlp_binary');
  await page.setInputFiles('#files', [join(dir, 'graph.pb'), join(dir, 'model.ckpt.data-00000-of-00001')]);
  await waitStatus(page, 'model.ckpt.data-00000-of-00001 has no model.ckpt.index beside it; add that file too.');
  assert.ok(await page.locator('#status.error').isVisible());
  assert.ok(await page.locator('#freeze').isDisabled());

  await startOver(page);
  await page.setInputFiles('#files', [join(dir, 'graph.pb')]);
  await waitStatus(page, 'Add the checkpoint that goes with graph.pb: its .index file and its .data files.');
  assert.ok(await page.locator('#freeze').isDisabled());

  await page.setInputFiles('#files', [join(dir, 'model.ckpt.index')]);
  await waitStatus(page, 'model.ckpt.data-00000-of-00001 is missing: the values of model.ckpt.index are in it.');
  assert.equal(await page.locator('#prefix-info').innerText(), '7 tensors in 1 data file, 1 missing');
  assert.ok(await page.locator('#freeze').isDisabled());

  await page.setInputFiles('#files', [join(dir, 'model.ckpt.data-00000-of-00001')]);
  await waitReady(page);
  assert.equal(await page.locator('#prefix-info').innerText(), '7 tensors in 1 data file');
  const { bytes } = await freezeAndDownload(page);
  assert.ok(bytes.equals(golden('mlp_binary')));
});

test('a SavedModel without its variables folder asks for it', async (t) => {
  const page = await openPage(t);
  await page.setInputFiles('#files', [join(FIXTURES, 'tf2_saved_model', 'saved_model', 'saved_model.pb')]);
  await waitStatus(page, 'Add the variables folder that goes with saved_model.pb too (variables.index and its .data files).');
  assert.ok(await page.locator('#freeze').isDisabled());
});

test('a frozen graph, and files that are neither graph nor checkpoint, are told so', async (t) => {
  const page = await openPage(t);
  const dir = join(FIXTURES, 'mlp_binary');
  await page.setInputFiles('#files', ['tf_frozen.pb', 'model.ckpt.index', 'model.ckpt.data-00000-of-00001'].map((f) => join(dir, f)));
  await waitStatus(page, 'tf_frozen.pb holds no variables: it is most likely frozen already.');
  assert.ok(await page.locator('#freeze').isDisabled());

  await startOver(page);
  await page.setInputFiles('#files', [{ name: 'notes.txt', mimeType: 'text/plain', buffer: Buffer.from('not a model\n') }]);
  await waitStatus(
    page,
    'None of these files is a graph or a checkpoint: drop a .pb, .pbtxt or .meta file with its .index and .data files.',
  );
});

test('a V1 checkpoint names its missing table, and without a graph asks for one', async (t) => {
  const page = await openPage(t);
  const dir = join(FIXTURES, 'mlp_binary');
  const buffer = await v1Checkpoint(join(DIST, 'pkg'), dir, (await sampleReport(page)).variables);
  await page.setInputFiles('#files', [{ name: 'model.ckpt-00000-of-00002', mimeType: 'application/octet-stream', buffer }]);
  await waitStatus(
    page,
    'model.ckpt-00001-of-00002 is missing: the V1 checkpoint model.ckpt has 2 files. ' +
      'model.ckpt is a V1 checkpoint; add the graph it belongs to (a .pb, .pbtxt or .meta file) too.',
  );
});

test("a core error's kind reaches the status", async (t) => {
  const page = await openPage(t);
  await page.setInputFiles('#files', inputFiles(join(FIXTURES, 'cond_v1_resource')));
  await waitReady(page);
  assert.equal(await page.locator('#status').getAttribute('class'), 'info');
  await page.fill('#outputs', 'out_select');
  await page.click('#cleanup summary');
  await page.fill('#placeholder-to-const', 'pred');
  await page.click('#freeze');
  await page.locator('#outcome.error.fault-usage').waitFor();
  assert.match(await page.locator('#outcome').innerText(), /^“Replace placeholders by constants”: 'pred' is not name=value/);
});
/** The resource_text inputs with `extra` (protobuf text) added to its graph. */
function hostileGraph(t, extra) {
  const dir = mkdtempSync(join(tmpdir(), 'tf-freeze-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const source = join(FIXTURES, 'resource_text');
  for (const file of ['model.ckpt.index', 'model.ckpt.data-00000-of-00001']) {
    writeFileSync(join(dir, file), readFileSync(join(source, file)));
  }
  writeFileSync(join(dir, 'graph.pbtxt'), readFileSync(join(source, 'graph.pbtxt'), 'utf8') + extra);
  return inputFiles(dir);
}

/** A library of `length` functions passing variable dense/bias down to the last, which reads it. */
function callChain(length) {
  const call = (name, input, f) =>
    `name: "${name}" op: "StatefulPartitionedCall" input: "${input}" ` +
    'attr { key: "Tin" value { list { type: DT_RESOURCE } } } attr { key: "Tout" value { list { type: DT_FLOAT } } } ' +
    `attr { key: "f" value { func { name: "${f}" } } }`;
  const functions = Array.from({ length }, (_, i) => {
    const body =
      i + 1 < length
        ? `node_def { ${call('c', 'x', `chain_${i + 1}`)} } ret { key: "y" value: "c:output:0" }`
        : 'node_def { name: "r" op: "ReadVariableOp" input: "x" attr { key: "dtype" value { type: DT_FLOAT } } } ret { key: "y" value: "r:value:0" }';
    return `function { signature { name: "chain_${i}" input_arg { name: "x" type: DT_RESOURCE } output_arg { name: "y" type: DT_FLOAT } } ${body} }\n`;
  });
  return `node { ${call('chain', 'dense/bias', 'chain_0')} }\nlibrary {\n${functions.join('')}}\n`;
}

test('hostile graphs get one sentence each, and the worker survives them', async (t) => {
  const page = await openPage(t);
  const nested = 'list { func { name: "a" attr { key: "k" value { '.repeat(2000);
  await page.setInputFiles('#files', hostileGraph(t, `node { name: "deep" op: "Const" attr { key: "value" value { ${nested}`));
  await page.locator('#status.error').waitFor();
  assert.match(await status(page), /^graph\.pbtxt: .*line \d+, column \d+: messages are nested more than 100 deep/);

  const freezeRefused = async (extra, output, expected) => {
    await page.setInputFiles('#files', hostileGraph(t, extra));
    await waitReady(page);
    await page.fill('#outputs', output);
    await page.click('#freeze');
    // A failed freeze says why right under the Freeze button.
    await page.locator('#outcome.error').waitFor();
    assert.match(await page.locator('#outcome').innerText(), expected);
  };
  await freezeRefused(callChain(3000), 'chain', /function 'chain_100' is called through more than 100 nested function calls/);
  await freezeRefused('node { name: "out" op: "NoOp" }\n', 'out', /^out: two nodes have this name/);

  await page.click('#sample');
  await waitReady(page);
  const { bytes } = await freezeAndDownload(page);
  assert.ok(bytes.equals(golden('mlp_binary')));
});

test('a partial checkpoint: Freeze waits for "Initialize missing variables", then freezes what TF verified', async (t) => {
  const page = await openPage(t);
  await page.setInputFiles('#files', inputFiles(join(FIXTURES, 'partial_checkpoint')));
  await waitReady(page);
  await page.fill('#outputs', 'generator/out');
  await page.locator('#outputs').blur();
  await page.waitForFunction(() => document.querySelector('#freeze').disabled);
  const reason = await page.locator('#freeze-reason').innerText();
  assert.match(reason, /^2 variables of the \d+ the outputs need are not in the checkpoint \('generator\/bn\/moving_mean' and 'generator\/bn\/moving_variance'\), but their initializers are constants: “Initialize missing variables from their initializers” freezes them/, reason);
  // The sentence's button opens the panel and focuses the control that fixes it.
  await page.locator('#freeze-reason button.fix').first().click();
  assert.equal(await page.evaluate(() => document.activeElement.id), 'initialize-missing');
  await page.keyboard.press('Space');
  await page.waitForFunction(() => !document.querySelector('#freeze').disabled);
  const { bytes } = await freezeAndDownload(page);
  assert.ok(bytes.equals(golden('partial_checkpoint')), 'the download differs from the TF-verified expected_frozen.pb');
});
