// The converter runs here, in a module Worker, so a large file never freezes
// the page and a crash only ends this worker (the page starts a new one).
// Messages in: {id, task, ...}; out: {id, result} | {id, error, fatal} | {id, progress}.
import init, { crc32cUpdate, freeze, inspect, inspectCheckpoint, isV1Checkpoint } from './pkg/tf_freeze.js';

const ready = init();

// How often checksum progress is reported.
const PROGRESS_BYTES = 4 * 1024 * 1024;

self.onmessage = async ({ data }) => {
  const { id, task } = data;
  try {
    await ready;
    const result = await TASKS[task](data, (progress) => self.postMessage({ id, progress }));
    self.postMessage({ id, result });
  } catch (err) {
    // A panic in the core leaves its instance unusable: the page restarts the worker.
    const fatal = err instanceof WebAssembly.RuntimeError;
    self.postMessage({ id, error: err instanceof Error ? err.message : String(err), fatal });
  }
};

// The core reads the small files (graph, .index, V1 tables) and the few ranges
// of .data it needs itself, from the File objects.
const TASKS = {
  /** The core's report on a graph and checkpoint (`--inspect`). */
  inspect: ({ request }) => inspect(request),

  /** `{numShards, tensors}` of a checkpoint's .index, or of all files of a V1 one. */
  inspectCheckpoint: ({ files }) => inspectCheckpoint(files),

  /** Whether a file of unknown name is a V1 checkpoint table. */
  sniff: ({ file }) => isV1Checkpoint(file),

  async freeze({ request, verify: check }, progress) {
    const plan = await freeze(request);
    // Shard segments stay slices of the user's files: no weight is copied here.
    const { shards } = request;
    const parts = plan.segments.map((s) => (s instanceof Uint8Array ? s : shardSlice(shards, s)));
    if (check) await verify(plan, shards, progress);
    return {
      blob: new Blob(parts, { type: 'application/octet-stream' }),
      report: plan.report,
      reportJson: plan.reportJson,
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

/** Streams every shard segment through crc32c and compares it with the stored one. */
async function verify(plan, shards, progress) {
  const segments = plan.segments.filter((s) => !(s instanceof Uint8Array));
  const total = segments.reduce((sum, s) => sum + s.len, 0);
  let done = 0;
  let reported = 0;
  progress({ done, total });
  for (const s of segments) {
    const reader = shardSlice(shards, s).stream().getReader();
    let crc = 0;
    for (;;) {
      const { done: end, value } = await reader.read();
      if (end) break;
      crc = crc32cUpdate(crc, value);
      done += value.length;
      if (done - reported >= PROGRESS_BYTES) {
        reported = done;
        progress({ done, total });
      }
    }
    if (crc >>> 0 !== s.crc32c >>> 0) {
      const hex = (n) => `0x${(n >>> 0).toString(16).padStart(8, '0')}`;
      throw new Error(
        `${plan.dataFiles[s.shard]}: checksum mismatch for ${s.tensor} (stored crc32c ${hex(s.crc32c)}, ` +
          `computed ${hex(crc)}); the file is damaged or does not belong to this checkpoint`,
      );
    }
  }
  progress({ done: total, total });
}
