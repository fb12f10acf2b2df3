// The page's Target choice: picking one checks the cleanups of its preset,
// the lint of the frozen graph is shown above the download, the command says
// `--target`, and the download is the CLI's output for that command.
// Needs `make web` first (www/dist), the CLI built (`cargo build`) and /usr/bin/chromium.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fixture, FIXTURES, freezeAndDownload, openSite, ROOT, sharedSite, waitReady } from './harness.mjs';

const site = sharedSite();

const CLI = join(process.env.CARGO_TARGET_DIR ?? join(ROOT, 'target'), 'debug', 'freeze_graph');

/** The CLI's output for fixture `name` with `flags` added to its own. */
function cliOutput(name, flags) {
  assert.ok(existsSync(CLI), `${CLI} is missing: run \`cargo build\` first`);
  const dir = join(FIXTURES, name);
  const { args } = fixture(name);
  const paths = ['input_graph', 'input_meta_graph', 'input_checkpoint'];
  const given = Object.entries(args)
    .filter(([flag, value]) => value !== '' && flag !== 'saved_model_tags')
    .map(([flag, value]) => `--${flag}=${paths.includes(flag) ? join(dir, value) : value}`);
  const out = join(mkdtempSync(join(tmpdir(), 'target-')), 'frozen.pb');
  execFileSync(CLI, [...given, ...flags, `--output_graph=${out}`], { stdio: 'pipe' });
  return readFileSync(out);
}

const inputFiles = (dir) =>
  readdirSync(dir)
    .filter((path) => path !== 'fixture.json' && !/^(tf_frozen|expected_.*|tf_optimized_.*)\.pb$/.test(path))
    .map((path) => join(dir, path))
    .filter((path) => statSync(path).isFile());

async function openWith(t, name) {
  const page = await openSite(t, site.browser, site.server);
  await page.setInputFiles('#files', inputFiles(join(FIXTURES, name)));
  await waitReady(page);
  await page.fill('#outputs', fixture(name).args.output_node_names);
  await page.click('#cleanup summary');
  return page;
}

test('tract on the classifier: the preset is checked, the ArgMax nodes are listed above the download', async (t) => {
  const page = await openWith(t, 'heads_classifier');
  assert.deepEqual(await page.locator('#target option').evaluateAll((options) => options.map((o) => o.value)),
    ['tf', 'tflite', 'tfjs', 'onnx', 'opencv', 'tract']);
  await page.selectOption('#target', 'tract');
  for (const id of ['strip-training', 'fix-legacy-shapes', 'fix-ref-ops', 'strip-debug-ops', 'fold-batch-norms']) {
    assert.ok(await page.isChecked(`#${id}`), `${id} is part of tract's preset`);
  }
  const { bytes } = await freezeAndDownload(page);
  assert.ok(bytes.equals(cliOutput('heads_classifier', ['--target=tract'])), 'download differs from the CLI');
  assert.match(await page.locator('#lint-title').innerText(), /^\d+ nodes? with ops tract does not support$/);
  const lines = await page.locator('#lint li').allInnerTexts();
  assert.ok(lines.length > 0 && lines.every((line) => / \(ArgMax\)$/.test(line)), lines.join('\n'));
  // Read before the download: the lint comes first in the result.
  const above = await page.evaluate(() =>
    Boolean(document.querySelector('#lint-box').compareDocumentPosition(document.querySelector('#download')) & Node.DOCUMENT_POSITION_FOLLOWING));
  assert.ok(above, 'the lint is above the download');
  const command = await page.locator('#command').innerText();
  assert.ok(command.includes(' --target=tract'), command);
  assert.ok(!command.includes('--strip_debug_ops'), `the preset's switches are left to --target: ${command}`);
});

test('a preset switch turned off again is written out, and back to tf the lint goes', async (t) => {
  const page = await openWith(t, 'debug_ops');
  await page.selectOption('#target', 'tfjs');
  assert.ok(await page.isChecked('#strip-debug-ops'));
  await page.uncheck('#strip-debug-ops');
  const { bytes } = await freezeAndDownload(page);
  assert.ok(bytes.equals(cliOutput('debug_ops', ['--target=tfjs', '--strip_debug_ops=false'])), 'download differs from the CLI');
  const command = await page.locator('#command').innerText();
  assert.ok(command.includes(' --target=tfjs') && command.includes(' --strip_debug_ops=false'), command);
  assert.ok((await page.locator('#lint li').allInnerTexts()).some((line) => line.endsWith('(CheckNumerics)')));
  await page.selectOption('#target', 'tf');
  assert.ok(!(await page.isChecked('#fix-ref-ops')), "tfjs's preset is undone");
  await page.click('#freeze');
  await page.waitForFunction(() => {
    const command = document.querySelector('#command');
    return command && !command.innerText.includes('--target');
  });
  assert.ok(await page.locator('#lint-box').isHidden());
});
