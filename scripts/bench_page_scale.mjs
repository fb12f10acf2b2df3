// The page on graphs of many nodes: the generated chain graphs of
// `cargo bench --bench scale` (kept by `SCALE_DIR=DIR`), frozen to their last
// node with the `mlp_binary` fixture's checkpoint in headless Chromium. Prints
// the time from picking the files to the download being ready and the wasm
// memory of the converter afterwards (it only grows, so this is its peak).
// Not a test: run it by hand, after `make web`.
//
//   SCALE_DIR=/tmp/graphs cargo bench --bench scale
//   node scripts/bench_page_scale.mjs /tmp/graphs/chain-100000.pb [MORE.pb...]
import { basename, join } from 'node:path';
import { serve } from '../tests/browser/server.mjs';
import { DIST, FIXTURES, launch } from '../tests/browser/harness.mjs';

const MIB = 1 << 20;
const wasmMemory = (page) =>
  page.evaluate(async () => (await import('./bridge.js')).run('testHookWasmMemoryBytes', {}));

async function freeze(browser, site, graph) {
  const nodes = Number(/-(\d+)\.pb$/.exec(graph)?.[1]);
  const context = await browser.newContext({ acceptDownloads: true });
  try {
    const page = await context.newPage();
    await page.goto(site.url);
    const before = await wasmMemory(page);
    const dir = join(FIXTURES, 'mlp_binary');
    const start = performance.now();
    await page.setInputFiles('#files', [graph, join(dir, 'model.ckpt.index'), join(dir, 'model.ckpt.data-00000-of-00001')]);
    await page.waitForFunction(() => /^Found \d+ variables/.test(document.querySelector('#status').textContent), null, { timeout: 0 });
    const read = performance.now();
    await page.fill('#outputs', `scale/${nodes - 1}`);
    await page.click('#freeze');
    await page.waitForFunction(() => !document.querySelector('#result').hidden || document.querySelector('#outcome.error'), null, { timeout: 0 });
    if (await page.locator('#outcome.error').count()) throw new Error(`the page says: ${await page.locator('#outcome').innerText()}`);
    const done = performance.now();
    const after = await wasmMemory(page);
    return { graph: basename(graph), nodes, read: (read - start) / 1000, total: (done - start) / 1000, before, after };
  } finally {
    await context.close();
  }
}

const site = await serve(DIST);
const browser = await launch();
try {
  console.log('| graph | read s | read + freeze s | wasm memory MiB (before → after) | bytes a node |');
  console.log('|---|---:|---:|---:|---:|');
  for (const graph of process.argv.slice(2)) {
    const r = await freeze(browser, site, graph);
    const perNode = Math.round((r.after - r.before) / r.nodes);
    console.log(`| ${r.graph} | ${r.read.toFixed(1)} | ${r.total.toFixed(1)} | ${Math.round(r.before / MIB)} → ${Math.round(r.after / MIB)} | ${perNode} |`);
  }
} finally {
  await browser.close();
  await site.close();
}
