// The built site on a static host: its `_headers` file, a sub-path, and use
// offline from the service worker's cache once visited.
// Needs `make web` first (www/dist) and /usr/bin/chromium; run with `npm test`.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { serve } from './server.mjs';
import { DIST, freezeAndDownload, golden, launch, openSite, waitReady } from './harness.mjs';

let browser;

before(async () => {
  assert.ok(existsSync(join(DIST, 'index.html')), 'www/dist is missing: run `make web` first');
  browser = await launch();
});

after(() => browser?.close());

/** The site served under `base` until the test ends. */
async function host(t, base) {
  const site = await serve(DIST, { base });
  t.after(() => site.close());
  return site;
}

/** Loads the sample and checks that it freezes to what TensorFlow wrote. */
async function freezeSample(page) {
  await page.click('#sample');
  await waitReady(page);
  const { bytes } = await freezeAndDownload(page);
  assert.ok(bytes.equals(golden('mlp_binary')), 'the download differs from tf_frozen.pb');
}

/** Resolves once a service worker is active and controls the page. */
function controlled(page) {
  return page.evaluate(async () => {
    await navigator.serviceWorker.ready;
    if (navigator.serviceWorker.controller) return;
    await new Promise((resolve) => navigator.serviceWorker.addEventListener('controllerchange', resolve, { once: true }));
  });
}

const BUILD_ID = readFileSync(join(DIST, 'sw.js'), 'utf8').match(/const BUILD_ID = '([0-9a-f]{16})';/)?.[1];

test('_headers sends the page\'s Content-Security-Policy for every file, and forbids framing', async (t) => {
  const meta = readFileSync(join(DIST, 'index.html'), 'utf8').match(/http-equiv="Content-Security-Policy" content="([^"]+)"/)[1];
  for (const directive of ["default-src 'self'", "script-src 'self' 'wasm-unsafe-eval'", "connect-src 'self'"]) {
    assert.ok(meta.split('; ').includes(directive), `the page's policy lacks ${directive}`);
  }
  const policy = `${meta}; frame-ancestors 'none'`;
  assert.equal(readFileSync(join(DIST, '_headers'), 'utf8'), `/*\n  Content-Security-Policy: ${policy}\n  X-Frame-Options: DENY\n`);
  // The test server honours _headers as a static host does; every test runs under both policies.
  const site = await host(t, '/');
  for (const path of ['', 'worker.js', 'pkg/tf_freeze_bg.wasm', 'sw.js']) {
    const response = await fetch(site.url + path);
    assert.equal(response.headers.get('content-security-policy'), policy, path);
    assert.equal(response.headers.get('x-frame-options'), 'DENY', path);
  }
});

test('under a sub-path of a static host every address is relative', async (t) => {
  const site = await host(t, '/some/sub/path/');
  // openSite fails the test for any request outside /some/sub/path/.
  const page = await openSite(t, browser, site);
  await freezeSample(page);
  const scope = await page.evaluate(async () => (await navigator.serviceWorker.ready).scope);
  assert.equal(scope, site.url);
});

test('once visited, the page loads and freezes with the server gone', async (t) => {
  assert.ok(BUILD_ID, 'sw.js carries no build id: build-web.sh did not stamp it');
  const site = await host(t, '/tf-freeze/');
  // A cache left by an older build at this scope, and one of another site on the same origin.
  const page = await openSite(t, browser, site, 'sample/sample.json');
  await page.evaluate((scope) => Promise.all([caches.open(`tf-freeze ${scope} 0123456789abcdef`), caches.open('other-site')]), site.url);
  await page.goto(site.url);
  await controlled(page);
  const names = await page.evaluate(() => caches.keys());
  assert.deepEqual(names.sort(), [`tf-freeze ${site.url} ${BUILD_ID}`, 'other-site'].sort());

  site.refuse = true;
  await page.reload();
  assert.ok(await page.evaluate(() => navigator.serviceWorker.controller !== null), 'the reloaded page has no service worker');
  await freezeSample(page);
  // And the page's address with a query, as links often carry.
  await page.goto(`${site.url}?from=bookmark`);
  await freezeSample(page);
});
