// The converter runs here, in a module Worker, so a large file never freezes
// the page and a crash only ends this worker (the page starts a new one).
// Messages in: {id, task, ...}; out: {id, result} | {id, error, fatal} | {id, progress}.
import init, { crc32cUpdate, detectFiles, diagnose, freeze, inspect, inspectCheckpoint, isV1Checkpoint } from './pkg/tf_freeze.js';

const ready = init();

// How often checksum progress is reported.
const PROGRESS_BYTES = 4 * 1024 * 1024;
// Bytes between two checked segments that are read and skipped rather than
// opening another stream (a new stream costs about as much as reading this).
const MAX_GAP = 4 * 1024 * 1024;

self.onmessage = async ({ data }) => {
  const { id, task } = data;
  try {
    await ready;
    const result = await TASKS[task](data, (progress) => self.postMessage({ id, progress }));
    self.postMessage({ id, result });
  } catch (err) {
    // A trap in the core (a panic, memory access out of bounds, a stack
    // overflow) leaves its instance unusable: the page restarts the worker, and
    // the user is told why, not only the engine's words.
    const fatal = err instanceof WebAssembly.RuntimeError || err instanceof RangeError;
    const message = err instanceof Error ? err.message : String(err);
    const error = fatal ? `it crashed on these files (${message}): they may be damaged, or made to crash it` : message;
    // `kind` says who is at fault: input, unsupported, usage or limit.
    self.postMessage({ id, error, kind: err?.kind, fatal });
  }
};

// The core reads the small files (graph, .index, V1 tables) and the few ranges
// of .data it needs itself, from the File objects.
const TASKS = {
  /** What the core makes of each file's first and last bytes and name: `{kind, prefix, ...}` each. */
  detect: ({ files }) => detectFiles(files),

  /** The core's report on a graph and checkpoint (`--inspect`). */
  inspect: ({ request: { graph, tables, prefix, options } }) => inspect(graph, tables, prefix, options),

  /** `{v1, numShards, tensors, files}` of a checkpoint's .index, or of all files of a V1 one. */
  inspectCheckpoint: ({ files }) => inspectCheckpoint(files),

  /** What stops a freeze of the dropped files: `{problems: [{kind, message}], missing}`. */
  diagnose: ({ dropped }) => diagnose(dropped),

  /** Whether a file of unknown name is a V1 checkpoint table. */
  sniff: ({ file }) => isV1Checkpoint(file),

  /** Test hook, for scripts/bench_page.mjs only: the wasm instance's memory in bytes. */
  testHookWasmMemoryBytes: async () => (await ready).memory.buffer.byteLength,

  async freeze({ request, verify: check }, progress) {
    const { graph, tables, prefix, shards, options, command } = request;
    const [segments, reportJson] = await freeze(graph, tables, prefix, shards, options, command);
    // Shard segments stay slices of the user's files: no weight is copied here.
    const parts = segments.map((s) => (s instanceof Uint8Array ? s : shardSlice(shards, s)));
    if (check) await verify(segments, shards, progress);
    return {
      blob: new Blob(parts, { type: 'application/octet-stream' }),
      report: JSON.parse(reportJson),
      reportJson,
    };
  },
};

function shardSlice(shards, { shard, offset, len }) {
  const file = shards[shard];
  if (!file) throw new Error(`data shard ${shard} is missing`);
  if (offset + len > file.size) {
    throw new Error(`${file.name}: too short (${file.size} bytes; the checkpoint needs bytes up to ${offset + len})`);
  }
  return file.slice(offset, offset + len);
}

/**
 * Streams every shard segment through crc32c and compares it with the stored
 * one. Opening a stream on a file costs milliseconds, so segments lying close
 * together in a shard are read by one stream (see `readRuns`).
 */
async function verify(all, shards, progress) {
  const segments = all.filter((s) => !(s instanceof Uint8Array));
  const total = segments.reduce((sum, s) => sum + s.len, 0);
  const count = { done: 0, reported: 0 };
  progress({ done: 0, total });
  const counted = (bytes) => {
    count.done += bytes;
    if (count.done - count.reported < PROGRESS_BYTES) return;
    count.reported = count.done;
    progress({ done: count.done, total });
  };
  for (const run of readRuns(segments)) await verifyRun(shards, run, counted);
  progress({ done: total, total });
}

/**
 * The segments in runs of one shard, in file order, each run read by one
 * stream: a segment starts a new run when it lies over MAX_GAP bytes after the
 * last one (or overlaps it: two nodes may hold the same tensor).
 */
function readRuns(segments) {
  const sorted = [...segments].sort((a, b) => a.shard - b.shard || a.offset - b.offset);
  const runs = [];
  for (const s of sorted) {
    const last = runs.at(-1);
    const joins = last && last.shard === s.shard && s.offset >= last.end && s.offset - last.end <= MAX_GAP;
    if (joins) last.segments.push(s);
    else runs.push({ shard: s.shard, start: s.offset, end: 0, segments: [s] });
    runs.at(-1).end = s.offset + s.len;
  }
  return runs;
}

/** Checks the segments of one run with one stream, skipping the bytes between them. */
async function verifyRun(shards, run, counted) {
  const reader = shardSlice(shards, { shard: run.shard, offset: run.start, len: run.end - run.start }).stream().getReader();
  let [chunk, pos, next, crc] = [new Uint8Array(0), run.start, 0, 0];
  while (next < run.segments.length) {
    const s = run.segments[next];
    if (pos === s.offset + s.len) {
      if (crc >>> 0 !== s.crc32c >>> 0) throw mismatch(shards, s, crc);
      [next, crc] = [next + 1, 0];
    } else if (chunk.length === 0) {
      const { done, value } = await reader.read();
      if (done) throw new Error(`${shards[run.shard].name}: ended while it was being read`);
      chunk = value;
    } else {
      // Before the segment: bytes of tensors that are not frozen.
      const skip = Math.min(chunk.length, Math.max(s.offset - pos, 0));
      const take = Math.min(chunk.length - skip, s.offset + s.len - pos - skip);
      if (take > 0) crc = crc32cUpdate(crc, chunk.subarray(skip, skip + take));
      [chunk, pos] = [chunk.subarray(skip + take), pos + skip + take];
      counted(take);
    }
  }
  await reader.cancel();
}

function mismatch(shards, s, crc) {
  const hex = (n) => `0x${(n >>> 0).toString(16).padStart(8, '0')}`;
  return new Error(
    `${shards[s.shard].name}: checksum mismatch for ${s.tensor} (stored crc32c ${hex(s.crc32c)}, ` +
      `computed ${hex(crc)}); the file is damaged or does not belong to this checkpoint`,
  );
}
