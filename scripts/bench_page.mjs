// Benchmarks the page in headless Chromium on a large checkpoint: the time
// from picking the files to the download starting, with checksums on and off,
// against the CLI on the same files in the same run, and the size of the
// converter's wasm memory afterwards, which must not grow with the weights.
// Each download is compared with the CLI's output for the same flags; the
// machine's load is recorded. Not a test: run it by hand, after `make web`.
//
//   node scripts/bench_page.mjs [CHECKPOINT [MORE...]]
//
// CHECKPOINT is a folder holding one `PREFIX.meta`, `PREFIX.index` and
// `PREFIX.data-*`, or the prefix itself; default $BENCH_DIR, else the one that
// `make bench` generates in ${XDG_CACHE_HOME:-$HOME/.cache}/tf-freeze-bench.
// It is timed; each MORE checkpoint (the same graph with other weight sizes)
// is frozen once, to compare the wasm memory.
// Environment: RUNS=5 timed runs of each (after one warm-up), OUTPUT_NODES=output.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { homedir, loadavg, tmpdir } from 'node:os';
import { basename, dirname, join, resolve } from 'node:path';
import { serve } from '../tests/browser/server.mjs';
import { DIST, ROOT, launch } from '../tests/browser/harness.mjs';

const RUNS = Number(process.env.RUNS ?? 5);
const OUTPUT_NODES = process.env.OUTPUT_NODES ?? 'output';
const CLI = join(process.env.CARGO_TARGET_DIR || join(ROOT, 'target'), 'release/freeze_graph');
const MIB = 1 << 20;

/** The checkpoints' prefix paths, from the arguments (folders or prefixes). */
function checkpointPrefixes() {
  const cache = process.env.XDG_CACHE_HOME || join(homedir(), '.cache');
  const given = process.argv.slice(2);
  if (given.length === 0) given.push(process.env.BENCH_DIR ?? join(cache, 'tf-freeze-bench'));
  return given.map((path) => checkpointPrefix(resolve(path)));
}

/** A checkpoint's prefix path, from a folder holding it or the prefix itself. */
function checkpointPrefix(given) {
  if (!existsSync(given) || !statSync(given).isDirectory()) return given;
  const indexes = readdirSync(given).filter((name) => name.endsWith('.index'));
  if (indexes.length !== 1) throw new Error(`${given}: expected one .index file, found ${indexes.length}`);
  return join(given, indexes[0].slice(0, -'.index'.length));
}

/** The graph, index and data files of a checkpoint prefix, as a user would pick them. */
function checkpointFiles(prefix) {
  const dir = dirname(prefix);
  const data = readdirSync(dir).filter((name) => name.startsWith(`${basename(prefix)}.data-`));
  const files = [`${prefix}.meta`, `${prefix}.index`, ...data.map((name) => join(dir, name))];
  for (const file of files) if (!existsSync(file)) throw new Error(`${file} is missing`);
  if (data.length === 0) throw new Error(`${prefix}: no .data files`);
  const dataBytes = files.slice(2).reduce((sum, file) => sum + statSync(file).size, 0);
  return { prefix, files, dataBytes };
}

/** The CLI's output for the page's default flags, and how long it took. */
function cliFreeze(prefix, out, verify = true) {
  const args = [
    `--input_meta_graph=${prefix}.meta`,
    `--input_checkpoint=${prefix}`,
    `--output_node_names=${OUTPUT_NODES}`,
    `--output_graph=${out}`,
    '--clear_devices=true',
    `--verify_checksums=${verify}`,
  ];
  const start = performance.now();
  execFileSync(CLI, args, { stdio: 'inherit' });
  const seconds = (performance.now() - start) / 1000;
  const command = `freeze_graph ${args.join(' ').replaceAll(prefix, 'PREFIX').replace(out, 'out.pb')}`;
  return { seconds, bytes: readFileSync(out), command };
}

/** The wasm memory of the page's converter, through the worker's test hook. */
const wasmMemory = (page) =>
  page.evaluate(async () => (await import('./bridge.js')).run('testHookWasmMemoryBytes', {}));

/** Notes in the page when the files come in, when they are read, and when the download is ready. */
const watchPage = (page) =>
  page.evaluate(() => {
    const marks = (window.benchMarks = {});
    const status = document.querySelector('#status');
    const result = document.querySelector('#result');
    document.querySelector('#files').addEventListener('change', () => (marks.filesIn = performance.now()), true);
    document.querySelector('#options').addEventListener('submit', () => (marks.freeze = performance.now()), true);
    new MutationObserver(() => {
      if (!marks.ready && /^Found \d+ variables/.test(status.textContent)) marks.ready = performance.now();
    }).observe(status, { childList: true, characterData: true, subtree: true });
    new MutationObserver(() => {
      if (!result.hidden && !marks.done) marks.done = performance.now();
    }).observe(result, { attributes: true, attributeFilter: ['hidden'] });
  });

/**
 * One freeze in a fresh page: its timings (s), wasm memory (bytes) and
 * download. `total` runs from setting the files to the browser starting the
 * download, timed here; the steps are timed in the page.
 */
async function pageFreeze(browser, site, files, verify = true) {
  const context = await browser.newContext({ acceptDownloads: true });
  try {
    const page = await context.newPage();
    await page.goto(site.url);
    // A visitor picks files after the page has settled: the converter started,
    // the service worker done caching the site.
    const memoryBefore = await wasmMemory(page);
    await page.evaluate(() => navigator.serviceWorker.ready);
    await watchPage(page);
    const start = performance.now();
    if (files) {
      await page.setInputFiles('#files', files);
      await page.waitForFunction(() => window.benchMarks.ready);
      await page.fill('#outputs', OUTPUT_NODES);
    } else {
      await page.click('#sample');
      await page.waitForFunction(() => /^Found \d+ variables/.test(document.querySelector('#status').textContent));
    }
    await page.setChecked('#verify', verify);
    await page.click('#freeze');
    await page.waitForFunction(() => window.benchMarks.done || document.querySelector('#outcome.error'));
    if (await page.locator('#outcome.error').count()) throw new Error(`the page says: ${await page.locator('#outcome').innerText()}`);
    await page.waitForFunction(() => window.benchMarks.done);
    const memoryAfter = await wasmMemory(page);
    const marks = await page.evaluate(() => window.benchMarks);
    const [download] = await Promise.all([page.waitForEvent('download'), page.click('#download')]);
    const total = (performance.now() - start) / 1000;
    const bytes = readFileSync(await download.path());
    const s = (from, to) => (to - from) / 1000;
    return {
      total,
      read: s(marks.filesIn, marks.ready),
      freeze: s(marks.freeze, marks.done),
      memoryBefore,
      memoryAfter,
      bytes,
    };
  } finally {
    await context.close();
  }
}

const median = (values) => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
};

/** One freeze of a checkpoint in the page, checked against the CLI's output for it. */
async function checkedFreeze(browser, site, checkpoint, cli, label, verify = true) {
  console.error(`bench_page: ${label}`);
  const run = await pageFreeze(browser, site, checkpoint.files, verify);
  if (!run.bytes.equals(cli.bytes)) throw new Error(`${label}: the download differs from the CLI's output`);
  return run;
}

async function main() {
  if (!existsSync(join(DIST, 'sw.js'))) throw new Error('www/dist is missing or old: run `make web` first');
  const [timed, ...more] = checkpointPrefixes().map(checkpointFiles);
  execFileSync('cargo', ['build', '--release', '--quiet', '--bin', 'freeze_graph'], { cwd: ROOT, stdio: 'inherit' });
  const work = mkdtempSync(join(tmpdir(), 'tf-freeze-bench-page-'));
  const site = await serve(DIST);
  const browser = await launch();
  const loadBefore = loadavg();
  try {
    const cli = cliFreeze(timed.prefix, join(work, 'cli.pb'));
    const sample = await pageFreeze(browser, site, null);
    await checkedFreeze(browser, site, timed, cli, 'warm-up run');
    // Page and CLI, checksums on and off, interleaved so that the load falls on all alike.
    const runs = [];
    const unchecked = [];
    const cliRuns = { on: [], off: [] };
    for (let i = 1; i <= RUNS; i++) {
      runs.push(await checkedFreeze(browser, site, timed, cli, `run ${i} of ${RUNS}, checksums on`));
      unchecked.push(await checkedFreeze(browser, site, timed, cli, `run ${i} of ${RUNS}, checksums off`, false));
      cliRuns.on.push(cliFreeze(timed.prefix, join(work, 'cli.pb')).seconds);
      cliRuns.off.push(cliFreeze(timed.prefix, join(work, 'cli.pb'), false).seconds);
    }
    const others = [];
    for (const checkpoint of more) {
      const theirs = cliFreeze(checkpoint.prefix, join(work, 'more.pb'));
      const run = await checkedFreeze(browser, site, checkpoint, theirs, checkpoint.prefix);
      others.push({ ...checkpoint, memory: run.memoryAfter });
    }
    const load = { before: loadBefore, after: loadavg() };
    report({ timed, cli, cliRuns, sample, runs, unchecked, others, load, version: browser.version() });
  } finally {
    await browser.close();
    await site.close();
    rmSync(work, { recursive: true, force: true });
  }
}

const mib = (bytes) => (bytes / MIB).toFixed(1);
const verdict = (ok) => (ok ? 'met' : 'missed');
const tilde = (path) => path.replace(homedir(), '~');

/** Prints the results as markdown, for benches/PAGE.md. */
function report({ timed, cli, cliRuns, sample, runs, unchecked, others, load, version }) {
  const sec = (values) => median(values).toFixed(2);
  const cpu = readFileSync('/proc/cpuinfo', 'utf8').match(/model name\s*: (.*)/)?.[1] ?? 'unknown CPU';
  const cpus = execFileSync('nproc').toString().trim();
  const loads = (l) => l.map((x) => x.toFixed(2)).join(', ');
  console.log(`Checkpoint: ${tilde(timed.prefix)}, ${mib(timed.dataBytes)} MiB of .data;`);
  console.log(`${runs.length} runs of each after a warm-up, each page run in a fresh page, page and CLI interleaved.`);
  console.log(`Browser: headless Chromium ${version}; machine: ${cpus} CPUs, ${cpu}.`);
  console.log(`Load average (1, 5, 15 min): ${loads(load.before)} before, ${loads(load.after)} after.`);
  console.log('');
  console.log('| step (median) | checksums on | checksums off |');
  console.log('|---|---:|---:|');
  console.log(`| files in → files read, report shown | ${sec(runs.map((r) => r.read))} | ${sec(unchecked.map((r) => r.read))} |`);
  console.log(`| Freeze pressed → download ready | ${sec(runs.map((r) => r.freeze))} | ${sec(unchecked.map((r) => r.freeze))} |`);
  const on = median(runs.map((r) => r.total));
  const off = median(unchecked.map((r) => r.total));
  const [cliOn, cliOff] = [median(cliRuns.on), median(cliRuns.off)];
  console.log(`| **page: files in → download started**, with the script's typing and clicking | **${on.toFixed(2)}** | **${off.toFixed(2)}** |`);
  console.log(`| **the CLI**, same files and flags | **${cliOn.toFixed(2)}** | **${cliOff.toFixed(2)}** |`);
  console.log(`| ratio page / CLI | ${(on / cliOn).toFixed(1)}x | ${(off / cliOff).toFixed(1)}x |`);
  console.log('');
  console.log(`All page runs, files in → download started: checksums on ${runs.map((r) => r.total.toFixed(2)).join(', ')} s; ` +
    `off ${unchecked.map((r) => r.total.toFixed(2)).join(', ')} s.`);
  console.log(`All CLI runs: checksums on ${cliRuns.on.map((x) => x.toFixed(2)).join(', ')} s; off ${cliRuns.off.map((x) => x.toFixed(2)).join(', ')} s.`);
  console.log(`Target "page within 4x of the CLI with checksums on": ${verdict(on <= 4 * cliOn)}; ` +
    `"within 2x with them off": ${verdict(off <= 2 * cliOff)}.`);
  console.log('');
  reportMemory({ timed, sample, runs, others });
  console.log('');
  console.log(`Every download equals the CLI's output (${cli.bytes.length} bytes for the timed checkpoint):`);
  console.log(`\`${cli.command}\`.`);
}

function reportMemory({ timed, sample, runs, others }) {
  const memory = Math.max(...runs.map((r) => r.memoryAfter));
  console.log('| wasm memory | MiB |');
  console.log('|---|---:|');
  console.log(`| at start | ${mib(runs[0].memoryBefore)} |`);
  console.log(`| after freezing the page's sample | ${mib(sample.memoryAfter)} |`);
  console.log(`| after freezing ${mib(timed.dataBytes)} MiB (largest of the runs) | ${mib(memory)} |`);
  for (const other of others) {
    console.log(`| after freezing ${mib(other.dataBytes)} MiB (${tilde(other.prefix)}) | ${mib(other.memory)} |`);
  }
  console.log('');
  const target = 'Target "wasm memory does not grow with the weights"';
  // Growth shows between checkpoints of the same graph with other weight sizes.
  if (others.length === 0) {
    console.log(`${target}: give a second checkpoint of another size to judge.`);
  } else {
    const flat = others.every((o) => Math.abs(o.memory - memory) <= MIB);
    console.log(`${target} (within 1 MiB across the checkpoints): ${verdict(flat)}.`);
  }
}

main().catch((err) => {
  console.error(`bench_page: ${err.message}`);
  process.exit(1);
});
