// The checksums shared out over workers (www/checksums.js): large tensors cut
// into pieces, small neighbours read together, and each tensor's crc32c
// combined from its pieces'. Node only, with the built core for the crc
// (`make web` first); the "workers" here are plain calls.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { DIST, ROOT } from './harness.mjs';

assert.ok(existsSync(join(DIST, 'pkg/tf_freeze.js')), 'www/dist is missing: run `make web` first');
const { initSync, crc32cCombine, crc32cUpdate } = await import(pathToFileURL(join(DIST, 'pkg/tf_freeze.js')));
initSync({ module: readFileSync(join(DIST, 'pkg/tf_freeze_bg.wasm')) });
const { pieces, verify } = await import(pathToFileURL(join(ROOT, 'www/checksums.js')));

const MIB = 1 << 20;

/** A worker as the page's pool offers it, running the worker's two tasks here. */
function fakeWorker(log) {
  return async (task, data) => {
    log.push(task);
    if (task === 'combine') {
      return data.lists.map((list) => list.reduce((crc, [piece, len]) => crc32cCombine(crc, piece, len), 0) >>> 0);
    }
    const bytes = new Uint8Array(await data.file.slice(data.start, data.end).arrayBuffer());
    return data.parts.map((p) => crc32cUpdate(0, bytes.subarray(p.offset - data.start, p.offset - data.start + p.len)) >>> 0);
  };
}

/** A shard of `size` bytes and segments over it with their true crc32c. */
function shard(size, spans) {
  const bytes = new Uint8Array(size).map((_, i) => (i * 131 + (i >> 9)) & 0xff);
  const file = new File([bytes], 'model.ckpt.data-00000-of-00001');
  const segments = spans.map(([offset, len], i) => ({
    shard: 0,
    offset,
    len,
    tensor: `t${i}`,
    crc32c: crc32cUpdate(0, bytes.subarray(offset, offset + len)) >>> 0,
  }));
  return { file, segments };
}

test('a tensor larger than a piece is cut, and small neighbours share one', () => {
  const out = pieces([
    { shard: 0, offset: 0, len: 100 },
    { shard: 0, offset: 200, len: 100 },
    { shard: 0, offset: 1000, len: 20 * MIB },
  ]);
  assert.equal(out.length, 3);
  assert.deepEqual(out[0].parts.map((p) => p.segment), [0, 1, 2]);
  assert.ok(out.every((p) => p.end - p.start <= 8 * MIB));
  const big = out.flatMap((p) => p.parts).filter((p) => p.segment === 2);
  assert.equal(big.reduce((sum, p) => sum + p.len, 0), 20 * MIB);
});

test('crc32c combined from pieces over several workers equals the stored one', async () => {
  const { file, segments } = shard(19 * MIB, [[0, 17 * MIB + 3], [17 * MIB + 10, 5], [17 * MIB + 20, MIB], [5, 7]]);
  const log = [];
  const seen = [];
  await verify(segments, [file], [fakeWorker(log), fakeWorker(log), fakeWorker(log)], (p) => seen.push(p.done));
  assert.ok(log.filter((t) => t === 'checksum').length >= 3, log.join(' '));
  assert.equal(seen.at(-1), segments.reduce((sum, s) => sum + s.len, 0));
});

test('a damaged piece names its file and tensor', async () => {
  const { file, segments } = shard(10 * MIB, [[0, 10 * MIB]]);
  segments[0].crc32c ^= 1;
  await assert.rejects(verify(segments, [file], [fakeWorker([])], () => {}), /^Error: model\.ckpt\.data-00000-of-00001: checksum mismatch for t0/);
});
