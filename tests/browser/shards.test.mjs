// A crafted 300-byte `.index` that claims two billion data files (or a
// hundred thousand): the page says so in one sentence, quickly, does no work
// per claimed shard, and keeps answering its controls.
// Needs `make web` first (www/dist) and /usr/bin/chromium.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { len, table, varintField } from './v1_table.mjs';
import { DIST, FIXTURES, openSite, sharedSite, status } from './harness.mjs';

let crc32c;

const site = sharedSite(async () => {
  const { initSync, crc32cUpdate } = await import(join(DIST, 'pkg', 'tf_freeze.js'));
  initSync({ module: readFileSync(join(DIST, 'pkg', 'tf_freeze_bg.wasm')) });
  crc32c = (bytes) => crc32cUpdate(0, Uint8Array.from(bytes));
});

/** A V2 `.index` whose header claims `numShards`, holding one float `v` in shard 0. */
function claimedIndex(numShards) {
  const header = [...varintField(1, numShards), ...len(3, varintField(1, 1))];
  const entry = [...varintField(1, 1), ...len(2, []), ...varintField(5, 4)];
  return table([[[], header], [[...Buffer.from('v')], entry]], crc32c);
}

const file = (name, buffer) => ({ name, mimeType: 'application/octet-stream', buffer });

/** Waits for `#status` to read `text`, at most `ms` after the files were given. */
async function statusWithin(page, text, ms) {
  await page.waitForFunction((wanted) => document.querySelector('#status').textContent === wanted, text, { timeout: ms }).catch(async () => {
    assert.equal(await status(page), text);
  });
}

for (const [count, given, sentence] of [
  [2147483647, ['model.ckpt.data-00000-of-2147483647'], 'model.ckpt.index lists 2147483647 data files and 1 was given: model.ckpt.data-00001-of-2147483647 and 2147483645 more are missing.'],
  [2147483647, [], 'model.ckpt.index lists 2147483647 data files and 0 were given: model.ckpt.data-00000-of-2147483647 and 2147483646 more are missing.'],
  [99999, ['model.ckpt.data-00000-of-99999'], 'model.ckpt.index lists 99999 data files and 1 was given: model.ckpt.data-00001-of-99999 and 99997 more are missing.'],
]) {
  test(`an index claiming ${count} data files, ${given.length} given, is one sentence, and the page stays responsive`, async (t) => {
    const page = await openSite(t, site.browser, site.server);
    const index = claimedIndex(count);
    assert.ok(index.length < 300, `${index.length} bytes`);
    const graph = readFileSync(join(FIXTURES, 'mlp_binary', 'graph.pb'));
    const data = given.map((name) => file(name, Buffer.alloc(4)));
    await page.setInputFiles('#files', [file('graph.pb', graph), file('model.ckpt.index', index), ...data]);
    await statusWithin(page, sentence, 10_000);
    assert.match(await page.locator('#prefix-info').innerText(), new RegExp(`^1 tensor in ${count} data files, ${count - given.length} missing$`));
    assert.ok(await page.locator('#freeze').isDisabled());
    // Another control still answers at once.
    const before = await page.isChecked('#verify');
    await page.click('#verify', { timeout: 2_000 });
    assert.equal(await page.isChecked('#verify'), !before);
    const started = Date.now();
    await page.evaluate(() => new Promise((done) => requestAnimationFrame(done)));
    assert.ok(Date.now() - started < 1_000, 'the page answers within a second');
  });
}
