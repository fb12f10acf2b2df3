// The converter runs here, in a module Worker, so a large file never freezes
// the page and a crash only ends this worker (the page starts a new one).
// Messages in: {id, task, ...}; out: {id, result} | {id, error, fatal} | {id, progress}.
import init, {
  crc32cUpdate,
  inspectGraph,
  inspectIndex,
  inspectV1,
  isV1Checkpoint,
  prepare,
} from './pkg/tf_freeze.js';

const ready = init();

// The last 8 bytes of a LevelDB-style table (`.index` files and V1 checkpoints).
const TABLE_MAGIC = [0x57, 0xfb, 0x80, 0x8b, 0x24, 0x75, 0x47, 0xdb];
// Larger tables are taken for V1 checkpoints by their magic alone (the freeze checks them).
const V1_READ_LIMIT = 256 * 1024 * 1024;
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

const bytesOf = async (blob) => new Uint8Array(await blob.arrayBuffer());
const named = async (file) => ({ name: file.name, bytes: await bytesOf(file) });

const TASKS = {
  async inspectGraph({ file, role, tags }) {
    return inspectGraph(file.name, await bytesOf(file), role, tags);
  },

  async inspectIndex({ file }) {
    return inspectIndex(file.name, await bytesOf(file));
  },

  async inspectV1({ files }) {
    return inspectV1(await Promise.all(files.map(named)));
  },

  /** Whether a file of unknown name is a V1 checkpoint table. */
  async sniff({ file }) {
    if (file.size < TABLE_MAGIC.length) return false;
    const tail = await bytesOf(file.slice(file.size - TABLE_MAGIC.length));
    if (!TABLE_MAGIC.every((b, i) => tail[i] === b)) return false;
    return file.size > V1_READ_LIMIT || isV1Checkpoint(await bytesOf(file));
  },

  async freeze(request, progress) {
    const { graph, index, shards } = request;
    const freeze = prepare({
      ...request.options,
      graph: await named(graph),
      role: request.role,
      tags: request.tags,
      index: await named(index),
      moreTables: await Promise.all(request.moreTables.map(named)),
      prefix: request.prefix,
      shardSizes: shards.map((file) => (file ? file.size : null)),
    });
    let plan;
    try {
      const loaded = [];
      for (const r of freeze.reads()) {
        loaded.push(await bytesOf(shardSlice(shards, r)));
      }
      plan = freeze.finish(loaded);
    } finally {
      freeze.free();
    }
    // Shard segments stay slices of the user's files: no weight is copied here.
    const parts = plan.segments.map((s) => (s instanceof Uint8Array ? s : shardSlice(shards, s)));
    if (request.verify) await verify(plan, shards, progress);
    return {
      blob: new Blob(parts, { type: 'application/octet-stream' }),
      summary: plan.summary,
      warnings: plan.warnings,
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
