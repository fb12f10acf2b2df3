// The converter runs here, in a module Worker, so a large file never freezes
// the page and a crash only ends this worker (the page starts a new one).
// Messages in: {id, task, ...}; out: {id, result} | {id, error, fatal} | {id, progress}.
import init, {
  checkOutputs,
  crc32cCombine,
  crc32cUpdate,
  crc32Update,
  detectFiles,
  diagnose,
  exportTfjs,
  freeze,
  graphNodes,
  inspect,
  inspectCheckpoint,
  isV1Checkpoint,
  modelName,
  nodeNeighbourhood,
  savedModelTagSets,
  storedZip,
} from './pkg/tf_freeze.js';

const ready = init();

// Bytes read between two progress reports while a TF.js model is packed.
const PROGRESS_STEP = 4 * 1024 * 1024;

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
// of .data it needs itself, from the File objects. The checksums of the rest
// are checked by the page over several of these workers (checksums.js).
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

  /** The model's name for its downloads, from its files' paths (the core's `model_name`). */
  modelName: ({ paths }) => modelName(paths),

  /** The output field's type-ahead: `{nodes: [{name, op, dtype, shape}], total}`. */
  graphNodes: ({ file, options, query, limit }) => graphNodes(file, options, query, limit),

  /** The output field's names as the core resolves them: `[{given, node} | {given, suggestions}]`. */
  checkOutputs: ({ file, options, names }) => checkOutputs(file, options, names),

  /** What a node is computed from and what reads it. */
  nodeNeighbourhood: ({ file, options, name, depth }) => nodeNeighbourhood(file, options, name, depth),

  /** The tag sets of a SavedModel's meta graphs. */
  tagSets: ({ file }) => savedModelTagSets(file),

  /** Test hook, for scripts/bench_page.mjs only: the wasm instance's memory in bytes. */
  testHookWasmMemoryBytes: async () => (await ready).memory.buffer.byteLength,

  /**
   * The frozen graph as a Blob, its report, and the shard segments whose
   * checksums are still to check (`{shard, offset, len, crc32c, tensor}`).
   */
  async freeze({ request }) {
    const { graph, tables, prefix, shards, options, command } = request;
    const [segments, reportJson] = await freeze(graph, tables, prefix, shards, options, command);
    return {
      blob: new Blob(contents(segments, shards), { type: 'application/octet-stream' }),
      report: JSON.parse(reportJson),
      reportJson,
      checks: shardSegments(segments),
    };
  },

  /**
   * A TF.js graph model: its files (`{name, blob}`: model.json, then the
   * weight files, cut from slices of the user's files), one stored `.zip` of
   * them under the folder `request.folder`, the report, and the shard segments
   * whose checksums are still to check. Reading the weights for the zip's
   * CRC-32 is reported as `{done, total, packing: true}`.
   */
  async exportTfjs({ request }, progress) {
    const { graph, tables, prefix, shards, options, command, folder } = request;
    const [modelJson, weightFiles, segments, reportJson] = await exportTfjs(graph, tables, prefix, shards, options, command);
    const weights = new Blob(contents(segments, shards));
    const files = [{ name: 'model.json', blob: new Blob([modelJson], { type: 'application/json' }) }];
    let at = 0;
    for (const { name, bytes } of weightFiles) {
      files.push({ name, blob: weights.slice(at, at + bytes, 'application/octet-stream') });
      at += bytes;
    }
    const entries = files.map(({ name, blob }) => ({ name: `${folder}/${name}`, len: blob.size, crc32: 0 }));
    // Over 4 GiB a .zip needs ZIP64: said before reading anything, and the
    // files can still be saved to a folder.
    let [blob, zipRefused] = [null, null];
    try {
      storedZip(entries);
    } catch (err) {
      zipRefused = err.message;
    }
    if (!zipRefused) {
      await zipChecksums(files, entries, progress);
      const parts = storedZip(entries).map((part) => (typeof part === 'number' ? files[part].blob : part));
      blob = new Blob(parts, { type: 'application/zip' });
    }
    return { blob, zipRefused, files, report: JSON.parse(reportJson), reportJson, checks: shardSegments(segments) };
  },

  /**
   * The crc32c of each of `parts` (`{offset, len}`, in order, not
   * overlapping) of `file`, read with one stream from `start` to `end`.
   */
  async checksum({ file, start, end, parts }) {
    if (end > file.size) {
      throw new Error(`${file.name}: too short (${file.size} bytes; the checkpoint needs bytes up to ${end})`);
    }
    const reader = file.slice(start, end).stream().getReader();
    const crcs = [];
    let [chunk, pos, next, crc] = [new Uint8Array(0), start, 0, 0];
    while (next < parts.length) {
      const p = parts[next];
      if (pos === p.offset + p.len) {
        crcs.push(crc >>> 0);
        [next, crc] = [next + 1, 0];
      } else if (chunk.length === 0) {
        const { done, value } = await reader.read();
        if (done) throw new Error(`${file.name}: ended while it was being read`);
        chunk = value;
      } else {
        // Before the part: bytes of tensors that are not frozen.
        const skip = Math.min(chunk.length, Math.max(p.offset - pos, 0));
        const take = Math.min(chunk.length - skip, p.offset + p.len - pos - skip);
        if (take > 0) crc = crc32cUpdate(crc, chunk.subarray(skip, skip + take));
        [chunk, pos] = [chunk.subarray(skip + take), pos + skip + take];
      }
    }
    await reader.cancel();
    return crcs;
  },

  /** Each list of `[crc, len]` pieces of one tensor, in order, as the crc of the whole. */
  combine: ({ lists }) => lists.map((pieces) => pieces.reduce((crc, [piece, len]) => crc32cCombine(crc, piece, len), 0) >>> 0),
};

/** The output's parts: shard segments stay slices of the user's files, so no weight is copied here. */
const contents = (segments, shards) => segments.map((s) => (s instanceof Uint8Array ? s : shardSlice(shards, s)));

/** The segments that are ranges of the `.data` files, whose checksums are still to check. */
const shardSegments = (segments) => segments.filter((s) => !(s instanceof Uint8Array));

/** Fills in each entry's CRC-32, reading its file once; reports `{done, total, packing: true}`. */
async function zipChecksums(files, entries, progress) {
  const total = files.reduce((sum, f) => sum + f.blob.size, 0);
  let [done, told] = [0, 0];
  for (const [i, { blob }] of files.entries()) {
    const reader = blob.stream().getReader();
    let crc = 0;
    for (let read = await reader.read(); !read.done; read = await reader.read()) {
      crc = crc32Update(crc, read.value);
      done += read.value.length;
      if (done - told >= PROGRESS_STEP) {
        progress({ done, total, packing: true });
        told = done;
      }
    }
    entries[i].crc32 = crc >>> 0;
  }
}

function shardSlice(shards, { shard, offset, len }) {
  const file = shards[shard];
  if (!file) throw new Error(`data shard ${shard} is missing`);
  if (offset + len > file.size) {
    throw new Error(`${file.name}: too short (${file.size} bytes; the checkpoint needs bytes up to ${offset + len})`);
  }
  return file.slice(offset, offset + len);
}
