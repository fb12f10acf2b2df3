// The page's controls for the transforms that make a frozen graph run where
// it goes, each applied once: the download is byte-identical to the CLI's
// output with the same flag, which verify_frozen.py ran in TensorFlow
// (`expected_<variant>.pb`), the change is listed and the command names it.
// Needs `make web` first (www/dist) and /usr/bin/chromium.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fixture, FIXTURES, freezeAndDownload, openSite, sharedSite, waitReady } from './harness.mjs';

const site = sharedSite();

/** The files a user would drop: the fixture's inputs, not its goldens. */
const inputFiles = (dir) =>
  readdirSync(dir, { recursive: true })
    .filter((path) => path !== 'fixture.json' && !/^(tf_frozen|expected_.*|tf_optimized_.*)\.pb$/.test(path))
    .map((path) => join(dir, path))
    .filter((path) => statSync(path).isFile());

// fixture, variant, the controls it sets, a change the report lists, the flag in the command
const CASES = [
  ['cut_inputs', 'cut_stack', { 'input-names': 'stack' }, /^cut the graph at 'stack' \(Pack\)/, '--input_names=stack'],
  ['cut_inputs', 'cut_stack_shape', { 'input-names': 'stack', 'input-shapes': 'stack=2,4' },
    /^set the shape of placeholder 'stack' to \[2, 4\]/, '--input_shapes=stack=2,4'],
  ['legacy_shapes', 'fix_legacy_shapes', { 'fix-legacy-shapes': true }, /^placeholder 'x': the legacy shape/, '--fix_legacy_shapes'],
  ['debug_ops', 'strip_debug_ops', { 'strip-debug-ops': true }, /^removed CheckNumerics 'check'$/, '--strip_debug_ops'],
  ['bn_fold_more', 'fold_batch_norms', { 'fold-batch-norms': true }, /^folded batch norm 'bn_v2_0\/FusedBatchNormV2'/, '--fold_batch_norms'],
  ['fold_shapes', 'fold_constants_shapes', { 'input-shapes': 'x=2,3,4', 'fold-constants': true },
    /^folded Pack 'stack' into a Const \(int32 \[2\]\) = \[2, -1\]$/, '--fold_constants'],
  ['tf2_nested_calls', 'inline_functions', { 'inline-functions': true },
    /^inlined StatefulPartitionedCall 'StatefulPartitionedCall' /, '--inline_functions'],
];

for (const [name, variant, controls, change, flag] of CASES) {
  test(`${Object.keys(controls).join(' and ')} on ${name} download the ${variant} output`, async (t) => {
    const page = await openSite(t, site.browser, site.server);
    await page.setInputFiles('#files', inputFiles(join(FIXTURES, name)));
    await waitReady(page);
    await page.fill('#outputs', fixture(name).args.output_node_names);
    await page.click('#cleanup summary');
    for (const [id, value] of Object.entries(controls)) {
      if (value === true) await page.check(`#${id}`);
      else await page.fill(`#${id}`, value);
    }
    const { bytes } = await freezeAndDownload(page);
    assert.ok(bytes.equals(readFileSync(join(FIXTURES, name, `expected_${variant}.pb`))), 'download differs from the CLI');
    const changes = await page.locator('#changes li').allInnerTexts();
    assert.ok(changes.some((line) => change.test(line)), changes.join('\n'));
    assert.ok((await page.locator('#command').innerText()).includes(` ${flag}`), await page.locator('#command').innerText());
  });
}
