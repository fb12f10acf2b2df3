// Gathering dropped or chosen files, and sorting them by what the core says
// each one is: it reads their first and last bytes (its `detectFiles`), so a
// renamed file still finds its place.

const GRAPH_KINDS = ['graphDef', 'metaGraphDef', 'savedModel'];
const TABLE_KINDS = ['index', 'v1Table'];

/**
 * What the core says of a file it has not looked at yet. The core's answers
 * (`detectFiles`) are `{kind, text?, shard?, count?, candidates?, prefix,
 * savedModelVariables}`; the page's state keeps them per file.
 */
export const UNDETECTED = Object.freeze({ kind: 'unknown', prefix: '', savedModelVariables: false });

/** The kind the core is sure of, or the graph kind its name makes likeliest when it is not. */
function kindOf(layout) {
  if (layout.kind !== 'unsure') return layout.kind;
  const kinds = layout.candidates.map((c) => c.kind);
  if (kinds.every((k) => GRAPH_KINDS.includes(k))) return 'graphDef';
  if (kinds.every((k) => TABLE_KINDS.includes(k))) return 'table';
  return 'unknown';
}

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

/** The step of a prefix (`model.ckpt-1000` and `-1000` are 1000), or -1. */
export function step(prefix) {
  const match = /-(\d+)$/.exec(prefix);
  return match ? Number(match[1]) : -1;
}

/** The folder a file was in, as dropped (`run/model.ckpt-5.index` is in `run`); '' when chosen alone. */
export function folderOf(file) {
  const path = pathOf(file);
  const at = path.lastIndexOf('/');
  return at < 0 ? '' : path.slice(0, at);
}

/** The prefix of the checkpoint a `.meta` was saved with (`model.ckpt-20000.meta`, `.meta`), else null. */
export function metaPrefix(file) {
  return /\.meta$/i.test(file.name) ? file.name.slice(0, -'.meta'.length) : null;
}

/**
 * A checkpoint is its prefix in its folder, so the same prefix in two folders
 * is two checkpoints. The key is the prefix as `--input_checkpoint` takes it
 * (`run/model.ckpt-5`, `model/` for `model/.index`), and never empty: the
 * empty prefix of files chosen one by one is `./`. Prefixes hold no `/`, so
 * no two checkpoints share a key.
 */
export const checkpointKey = (folder, prefix) => (folder ? `${folder}/${prefix}` : prefix || './');

/**
 * Sorts files into graphs, checkpoints by folder and prefix (newest step
 * first), ignored files and tables to look inside (a compressed first block
 * hides whether a table is an index or a V1 checkpoint): `layoutOf(file)` is
 * what the core detected, `isV1(file)` tells which tables are V1 checkpoint tables.
 */
export function classify(files, layoutOf = () => UNDETECTED, isV1 = () => false) {
  const graphs = [];
  const checkpoints = new Map();
  const ignored = [];
  const unknown = [];
  const unsureTables = [];
  const checkpoint = (file, prefix) => {
    const folder = folderOf(file);
    const key = checkpointKey(folder, prefix);
    if (!checkpoints.has(key)) {
      checkpoints.set(key, { key, folder, prefix, index: null, shards: [], count: 0, v1: false, tables: [], tableCount: 0 });
    }
    return checkpoints.get(key);
  };
  for (const file of files) {
    const layout = layoutOf(file);
    const { prefix, shard = 0, count = 1, savedModelVariables } = layout;
    const kind = kindOf(layout);
    const v1 = kind === 'v1Table' || (kind === 'table' && isV1(file));
    if (kind === 'data') {
      const ckpt = checkpoint(file, prefix);
      ckpt.shards[shard] = file;
      ckpt.count = Math.max(ckpt.count, count);
    } else if (v1) {
      const ckpt = checkpoint(file, prefix || file.name);
      ckpt.v1 = true;
      ckpt.tables[shard] = file;
      ckpt.tableCount = count;
    } else if (kind === 'index' || (kind === 'table' && isV1(file) === false)) {
      // (`isV1` is undefined until the worker has looked inside.)
      Object.assign(checkpoint(file, file.name.replace(/\.index$/, '')), { index: file, savedModelVariables });
    } else if (GRAPH_KINDS.includes(kind)) {
      graphs.push(file);
    } else if (kind === 'table') {
      unsureTables.push(file);
    } else if (kind === 'unknown') {
      unknown.push(file);
    } else {
      // Expected beside a model but not read: the `checkpoint` state file, fingerprints, savers.
      ignored.push(file);
    }
  }
  // A graph named `frozen` holds no variables: offer the others first; `.meta` files newest step first.
  const metaStep = (file) => step(metaPrefix(file) ?? '');
  graphs.sort((a, b) => /frozen/i.test(a.name) - /frozen/i.test(b.name) || metaStep(b) - metaStep(a));
  const prefixes = [...checkpoints.values()].sort(
    (a, b) => step(b.prefix) - step(a.prefix) || a.key.localeCompare(b.key),
  );
  // The newest prefix that has an index (or is a V1 checkpoint) comes first.
  prefixes.sort((a, b) => !(a.index || a.v1) - !(b.index || b.v1));
  return { graphs, prefixes, ignored, unknown, unsureTables };
}

/** How the core reads a graph file of this layout: `savedModel`, `meta` or `graph`. */
export function graphRole(layout) {
  return { savedModel: 'savedModel', metaGraphDef: 'meta' }[kindOf(layout)] ?? 'graph';
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

/** Every file of a folder from the browser's folder picker, with its path inside it. */
export async function filesFromDirectory(handle) {
  const files = [];
  const walkHandle = async (dir, path) => {
    for await (const entry of dir.values()) {
      const at = path ? `${path}/${entry.name}` : entry.name;
      if (entry.kind === 'directory') await walkHandle(entry, at);
      else {
        const file = await entry.getFile();
        dropPaths.set(file, at);
        files.push(file);
      }
    }
  };
  // The origin's private folder has no name; a picked folder is named as on disk.
  await walkHandle(handle, handle.name);
  return files;
}
