// What the browser tests share: headless Chromium, a page that checks its own
// requests and errors, the steps of a freeze, and the fixtures' golden outputs.
import assert from 'node:assert/strict';
import { after, before } from 'node:test';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';
import { serve } from './server.mjs';

export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
export const DIST = join(ROOT, 'www/dist');
export const FIXTURES = join(ROOT, 'tests/fixtures');
export const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
];

/** Debian's Chromium, headless. */
export const launch = () =>
  chromium.launch({ executablePath: '/usr/bin/chromium', headless: true, args: CHROMIUM_ARGS });

/**
 * The built site, served, and Chromium, shared by the tests of one file:
 * started before them (after `setUp`, if given) and closed after them.
 * `site.server` and `site.browser` are set once the tests run.
 */
export function sharedSite(setUp = async () => {}) {
  const site = { server: null, browser: null };
  before(async () => {
    assert.ok(existsSync(join(DIST, 'index.html')), 'www/dist is missing: run `make web` first');
    await setUp();
    site.server = await serve(DIST);
    site.browser = await launch();
  });
  after(async () => {
    await site.browser?.close();
    await site.server?.close();
  });
  return site;
}

/**
 * A fresh page at `path` inside `site` (a server from server.mjs); when the
 * test ends, checks that every request stayed inside the site and that the
 * page logged no error.
 */
export async function openSite(t, browser, site, path = '') {
  const context = await browser.newContext({ acceptDownloads: true });
  const requests = [];
  const errors = [];
  context.on('request', (request) => requests.push(request.url()));
  const page = await context.newPage();
  page.on('pageerror', (error) => errors.push(error.message));
  // Content-Security-Policy refusals and failed loads show up as console errors. Not
  // counted: the browser's own request for /favicon.ico when a document (a file opened
  // directly) names no icon; the page names its own.
  page.on('console', (message) => {
    const { url } = message.location();
    if (message.type() === 'error' && url !== `${site.origin}/favicon.ico`) errors.push(`${message.text()} (${url})`);
  });
  t.after(async () => {
    await context.close();
    const foreign = requests.filter((url) => !url.startsWith(site.url) && !url.startsWith(`blob:${site.origin}/`));
    assert.deepEqual(foreign, [], 'requests left the site');
    assert.deepEqual(errors, [], 'errors in the page');
  });
  await page.goto(site.url + path);
  return page;
}

export const status = (page) => page.locator('#status').innerText();

/** Waits until the files are read and a freeze can start. */
export async function waitReady(page) {
  await page.waitForFunction(() => /^Found \d+ variables/.test(document.querySelector('#status').textContent));
}

/** Presses Freeze and returns the download's name and bytes. */
export async function freezeAndDownload(page) {
  await page.click('#freeze');
  await page.locator('#result').waitFor({ state: 'visible' });
  const [download] = await Promise.all([page.waitForEvent('download'), page.click('#download')]);
  return { name: download.suggestedFilename(), bytes: readFileSync(await download.path()) };
}

export const fixture = (name) => JSON.parse(readFileSync(join(FIXTURES, name, 'fixture.json'), 'utf8'));

/**
 * What a fixture must freeze to, as in the Rust tests: `expected_frozen.pb` (our
 * output, checked by running it in TensorFlow) where TF fails or writes a graph
 * that does not run, else TF's own `tf_frozen.pb`.
 */
export function goldenPath(name) {
  const expected = join(FIXTURES, name, 'expected_frozen.pb');
  if (existsSync(expected)) return expected;
  const tf = join(FIXTURES, name, 'tf_frozen.pb');
  const meta = fixture(name);
  // A graph that keeps variables on purpose (allow or deny list) cannot run frozen.
  const valid = meta.tf_frozen_runs !== false || meta.tf_frozen_remaining_variables?.length > 0;
  return meta.tf_freeze?.ok && valid && existsSync(tf) ? tf : null;
}

export const golden = (name) => readFileSync(goldenPath(name));
