// Gathering dropped or chosen files, and telling what each one is by its name
// (the worker looks inside the ones whose name says nothing).

const GRAPH = /\.(pb|pbtxt|meta)$/i;
const INDEX = /^(.+)\.index$/;
const SHARD = /^(.+)\.data-(\d{5})-of-(\d{5})$/;
// A sharded V1 checkpoint (`ShardedFilespec`, save_op.cc); an unsharded one is named like its prefix.
const V1_SHARD = /^(.+)-(\d{5})-of-(\d{5})$/;
// TF's `checkpoint` state file only names the latest prefix; the newest step is picked anyway.
const STATE_FILE = 'checkpoint';

// Where each dropped file was, relative to what was dropped (`model/saved_model.pb`).
const dropPaths = new WeakMap();

/** A file's path as the user gave it: inside the chosen or dropped folder, else its name. */
export function pathOf(file) {
  return dropPaths.get(file) || file.webkitRelativePath || file.name;
}

/** Every file of a drop, walking into folders. */
export async function filesFromDrop(dataTransfer) {
  // The items are only readable during the event, so take their entries first.
  const entries = [...dataTransfer.items]
    .filter((item) => item.kind === 'file')
    .map((item) => (item.webkitGetAsEntry ? item.webkitGetAsEntry() : null));
  if (entries.length === 0 || entries.some((e) => !e)) return [...dataTransfer.files];
  const files = [];
  for (const entry of entries) await walk(entry, files);
  return files;
}

async function walk(entry, files) {
  if (entry.isFile) {
    const file = await new Promise((resolve, reject) => entry.file(resolve, reject));
    dropPaths.set(file, entry.fullPath.replace(/^\//, ''));
    files.push(file);
    return;
  }
  const reader = entry.createReader();
  for (;;) {
    // readEntries returns the folder in batches, then an empty one.
    const batch = await new Promise((resolve, reject) => reader.readEntries(resolve, reject));
    if (batch.length === 0) return;
    for (const child of batch) await walk(child, files);
  }
}

/** The step of a prefix (`model.ckpt-1000` is 1000), or -1. */
function step(prefix) {
  const match = /-(\d+)$/.exec(prefix);
  return match ? Number(match[1]) : -1;
}

/**
 * Sorts files into graphs, checkpoints by prefix (newest step first),
 * ignored files and files to look inside; `isV1(file)` tells which of the
 * files with other names are V1 checkpoint tables.
 */
export function classify(files, isV1 = () => false) {
  const graphs = [];
  const checkpoints = new Map();
  const ignored = [];
  const unknown = [];
  const checkpoint = (prefix) => {
    if (!checkpoints.has(prefix)) {
      checkpoints.set(prefix, { prefix, index: null, shards: [], count: 0, v1: false, tables: [], tableCount: 0 });
    }
    return checkpoints.get(prefix);
  };
  for (const file of files) {
    const name = file.name;
    let match;
    if ((match = SHARD.exec(name))) {
      const ckpt = checkpoint(match[1]);
      ckpt.shards[Number(match[2])] = file;
      ckpt.count = Math.max(ckpt.count, Number(match[3]));
    } else if ((match = INDEX.exec(name))) {
      checkpoint(match[1]).index = file;
    } else if (GRAPH.test(name)) {
      graphs.push(file);
    } else if (isV1(file)) {
      const sharded = V1_SHARD.exec(name);
      const ckpt = checkpoint(sharded ? sharded[1] : name);
      ckpt.v1 = true;
      ckpt.tables[sharded ? Number(sharded[2]) : 0] = file;
      ckpt.tableCount = sharded ? Number(sharded[3]) : 1;
    } else if (name === STATE_FILE || name.startsWith('.')) {
      ignored.push(file);
    } else {
      unknown.push(file);
    }
  }
  // A graph named `frozen` holds no variables: offer the others first.
  graphs.sort((a, b) => /frozen/i.test(a.name) - /frozen/i.test(b.name));
  const prefixes = [...checkpoints.values()].sort(
    (a, b) => step(b.prefix) - step(a.prefix) || a.prefix.localeCompare(b.prefix),
  );
  // The newest prefix that has an index (or is a V1 checkpoint) comes first.
  prefixes.sort((a, b) => !(a.index || a.v1) - !(b.index || b.v1));
  return { graphs, prefixes, ignored, unknown };
}

/** How the core reads a graph file: `savedModel`, `meta` or `graph`. */
export function graphRole(file) {
  if (/^saved_model\.(pb|pbtxt)$/i.test(file.name)) return 'savedModel';
  return /\.meta$/i.test(file.name) ? 'meta' : 'graph';
}

/** `<prefix>.data-SSSSS-of-NNNNN`, as TF names shards (tensor_bundle/naming.cc). */
export function shardName(prefix, shard, count) {
  const pad = (n) => String(n).padStart(5, '0');
  return `${prefix}.data-${pad(shard)}-of-${pad(count)}`;
}

/** The names of the shards a checkpoint lacks, given how many its index declares. */
export function missingShards(ckpt, count) {
  const missing = [];
  for (let i = 0; i < count; i++) {
    const file = ckpt.shards[i];
    if (!file || file.name !== shardName(ckpt.prefix, i, count)) missing.push(shardName(ckpt.prefix, i, count));
  }
  return missing;
}

/** The names of the files a V1 checkpoint lacks. */
export function missingTables(ckpt) {
  if (ckpt.tableCount === 1) return ckpt.tables[0] ? [] : [ckpt.prefix];
  const pad = (n) => String(n).padStart(5, '0');
  const missing = [];
  for (let i = 0; i < ckpt.tableCount; i++) {
    const name = `${ckpt.prefix}-${pad(i)}-of-${pad(ckpt.tableCount)}`;
    if (ckpt.tables[i]?.name !== name) missing.push(name);
  }
  return missing;
}

/** Bytes for people: 1.2 MB. */
export function formatBytes(n) {
  if (n < 1000) return `${n} bytes`;
  const units = ['kB', 'MB', 'GB', 'TB'];
  let value = n;
  let unit = -1;
  while (value >= 1000 && unit < units.length - 1) {
    value /= 1000;
    unit++;
  }
  return `${value.toFixed(value < 10 ? 1 : 0)} ${units[unit]}`;
}
