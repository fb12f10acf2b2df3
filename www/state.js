// The page's state: one store, changed only through the functions below, so
// that view.js can draw the whole page from it at any moment. What the core
// said (detection, reports, diagnosis) is kept as it said it.
import { classify, folderOf, formatBytes, graphRole, metaPrefix, pathOf, UNDETECTED } from './files.js';
import { commands, names } from './report.js';

/** A fresh store: no files, nothing chosen, nothing said. */
export function createStore() {
  return {
    files: [],
    detected: new WeakMap(), // file: what the core's detectFiles said it is
    v1Tables: new WeakMap(), // table whose bytes leave it open: is it a V1 checkpoint table?
    sorted: classify([]), // the files by role (files.js classify)
    graph: null, // the chosen graph file
    prefix: null, // the chosen checkpoint's key (files.js checkpointKey)
    replaced: [], // paths of files dropped again with other contents: the newer one is used
    reports: {
      graphs: new WeakMap(), // graph file: the core's report on it alone, settled
      indexes: new WeakMap(), // .index file: its layout, settled
      pairs: new Map(), // pairKey of a graph and checkpoint: the core's report on them together, settled
      v1: new Map(), // V1 checkpoint (see v1Key): its layout, settled
      // The report on the chosen graph, checkpoint and outputs, and what it was asked.
      chosen: { base: null, outputs: null, result: null },
    },
    diagnosis: { key: null, problems: [], missing: [] }, // the core's, of the files described as `key` (see dropped)
    outputs: '', // the outputs field
    outputsGraph: null, // the graph whose suggestion went into the outputs
    presetOutputs: null, // outputs to use instead of the suggestion (the sample's)
    matches: null, // the type-ahead's {query, nodes, total, active}: nodes whose names match the name being typed
    checked: null, // {text, results}: the outputs field's names as the core resolved them when it was left
    near: null, // {name, result}: what the node being looked at is computed from and what reads it
    tags: '', // the chosen tag set, comma-separated
    tagSets: new WeakMap(), // SavedModel file: its meta graphs' tag sets, as the core read them
    freezing: false,
    failure: null, // {text, fault}: why the last freeze did not happen, said under Freeze
    progress: null, // {done, total} of the checksums
    outcome: null, // the last freeze: {name, report}, with its download links
    downloads: [], // object URLs of the last freeze's downloads
    notice: null, // {text, kind, fault?}: said until something changes
    runs: { refresh: 0, report: 0, diagnosis: 0 }, // newest call of each, to drop stale answers
    fileIds: new WeakMap(),
    nextFileId: 0,
  };
}

// ---- Changes ------------------------------------------------------------------

/**
 * Adds files, or replaces them all. A file at the same path as one before
 * replaces it, and the page says so when its contents differ; files of the
 * same name in other folders are kept (see `setAside`).
 */
export function addFiles(store, added, { replace = false } = {}) {
  const byPath = new Map((replace ? [] : store.files).map((f) => [pathOf(f), f]));
  store.replaced = [];
  for (const file of added) {
    const before = byPath.get(pathOf(file));
    if (before && (before.size !== file.size || before.lastModified !== file.lastModified)) store.replaced.push(pathOf(file));
    byPath.set(pathOf(file), file);
  }
  store.files = [...byPath.values()];
  store.outcome = null;
  store.failure = null;
  store.notice = null;
}

export function clearFiles(store) {
  store.files = [];
  store.replaced = [];
  store.outputsGraph = null;
  store.outcome = null;
  store.failure = null;
  store.notice = null;
}

/** A message that stays until something changes; `fault` is the core error's kind. */
export function notify(store, text, kind = 'info', fault = undefined) {
  store.notice = { text, kind, fault };
}

/** A new look at the files begins: its number, to tell whether it is still the newest. */
export function beginRefresh(store) {
  if (store.files.length && !store.freezing) store.notice = { text: 'Reading the files…', kind: 'info', reading: true };
  return ++store.runs.refresh;
}

export const isCurrentRefresh = (store, run) => run === store.runs.refresh;

/** Remembers what the core detected for each of `files`. */
export function learnDetected(store, files, layouts) {
  files.forEach((file, i) => store.detected.set(file, layouts[i]));
}

export function learnV1Table(store, file, isV1) {
  store.v1Tables.set(file, isV1);
}

/** Sorts the files by what the core said they are. */
export function sortFiles(store) {
  store.sorted = classify(store.files, (file) => detectedOf(store, file), (file) => store.v1Tables.get(file));
}

export const keepGraphReport = (store, file, report) => store.reports.graphs.set(file, report);

export function keepCheckpointReport(store, ckpt, report) {
  if (ckpt.v1) store.reports.v1.set(v1Key(ckpt), report);
  else store.reports.indexes.set(ckpt.index, report);
}

/**
 * After the files changed: the graph and checkpoint that go together best
 * (see `pairScore`), unless the ones chosen are still there.
 */
export function chooseDefaults(store) {
  const { graphs, prefixes } = store.sorted;
  const graphKept = graphs.includes(store.graph);
  const prefixKept = prefixes.some((c) => c.key === store.prefix);
  if (!graphKept && !prefixKept) {
    const pairs = graphs.flatMap((graph) => prefixes.map((ckpt) => [graph, ckpt]));
    const [graph, ckpt] = best(pairs, ([g, c]) => pairScore(store, g, c)) ?? [graphs[0], prefixes[0]];
    store.graph = graph ?? null;
    store.prefix = ckpt?.key ?? null;
  } else if (!graphKept) {
    store.graph = best(graphs, (g) => pairScore(store, g, checkpoint(store))) ?? null;
  } else if (!prefixKept) {
    store.prefix = best(prefixes, (c) => pairScore(store, store.graph, c))?.key ?? null;
  }
  if (store.notice?.reading) store.notice = null;
}

/** The item of `items` with the lowest `score` (arrays, compared in order); the first of equals. */
function best(items, score) {
  let chosen;
  let lowest;
  for (const item of items) {
    const s = score(item);
    if (lowest === undefined || compareScores(s, lowest) < 0) [chosen, lowest] = [item, s];
  }
  return chosen;
}

function compareScores(a, b) {
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return a[i] - b[i];
  return 0;
}

/**
 * How well a graph and a checkpoint go together, lower first: a graph that
 * reads; a checkpoint that can be read; the variables the graph needs that
 * the checkpoint lacks, and those it holds (the core's report on the two
 * together); the same folder (a SavedModel's checkpoint in its `variables/`);
 * a `.meta` of the checkpoint's own step (a lone `.meta` goes with every step).
 */
export function pairScore(store, graph, ckpt) {
  if (!graph || !ckpt) return [graph ? 0 : 1, ckpt ? 0 : 1, 0, 0, 0, 0];
  const together = store.reports.pairs.get(pairKey(store, graph, ckpt))?.ok;
  const missing = together ? together.problems.filter((p) => p.kind === 'missing_variable').length : 0;
  const held = together ? together.variables.filter((v) => v.used_by_graph).length : 0;
  const folder = folderOf(graph);
  const savedModel = roleOf(store, graph) === 'savedModel';
  const inVariables = ckpt.folder === [folder, 'variables'].filter(Boolean).join('/') || ckpt.folder === folder;
  const sameFolder = savedModel ? ckpt.savedModelVariables && inVariables : ckpt.folder === folder;
  const meta = metaPrefix(graph);
  const metas = store.sorted.graphs.filter((g) => metaPrefix(g) !== null && folderOf(g) === folder);
  const ownStep = meta === null || meta === ckpt.prefix || metas.length === 1;
  return [
    store.reports.graphs.get(graph)?.ok ? 0 : 1,
    ckpt.index || ckpt.v1 ? 0 : 1,
    missing,
    -held,
    sameFolder ? 0 : 1,
    ownStep ? 0 : 1,
  ];
}

/** What the report on a graph and checkpoint together depends on, as text. */
function pairKey(store, graph, ckpt) {
  const tables = ckpt.v1 ? ckpt.tables.filter(Boolean) : [ckpt.index];
  return JSON.stringify([fileId(store, graph), ckpt.key, tables.map((f) => fileId(store, f)), store.tags]);
}

/** More pairs than this are told apart by their names and folders alone. */
const MAX_PAIRS = 36;

/**
 * The graph and checkpoint pairs to ask the core about, to tell which go
 * together; none when there is only one of either (there is nothing to choose).
 */
export function unreadPairs(store) {
  const { graphs, prefixes } = store.sorted;
  const readable = prefixes.filter((c) => c.index || c.v1);
  if (graphs.length * readable.length > MAX_PAIRS || (graphs.length < 2 && readable.length < 2)) return [];
  const pairs = graphs.flatMap((graph) => readable.map((ckpt) => [graph, ckpt]));
  return pairs.filter(([graph, ckpt]) => !store.reports.pairs.has(pairKey(store, graph, ckpt)));
}

export const keepPairReport = (store, graph, ckpt, report) => store.reports.pairs.set(pairKey(store, graph, ckpt), report);

/** Choosing a graph by path brings the checkpoint that goes with it best. */
export function chooseGraph(store, path) {
  store.graph = store.sorted.graphs.find((f) => pathOf(f) === path) ?? store.graph;
  store.prefix = best(store.sorted.prefixes, (c) => pairScore(store, store.graph, c))?.key ?? store.prefix;
  store.outcome = null;
  store.failure = null;
}

/** Choosing a checkpoint brings the graph that goes with it best: the `.meta` of its step. */
export function choosePrefix(store, key) {
  store.prefix = key;
  const ckpt = checkpoint(store);
  // The graph chosen wins a tie: a lone graph, or one `.meta` for every step.
  const graphs = [store.graph, ...store.sorted.graphs.filter((g) => g !== store.graph)].filter(Boolean);
  store.graph = best(graphs, (g) => pairScore(store, g, ckpt)) ?? store.graph;
  store.outcome = null;
  store.failure = null;
}

/** Whether the chosen graph has not had its outputs pre-filled yet. */
export const needsPrefill = (store) => store.graph !== store.outputsGraph;

/**
 * After the choice changed: a new graph gets its best whole choice (a
 * SavedModel's default signature, else one model head's names; or the
 * preset) as outputs. The choices come from the report on the graph with its
 * checkpoint, which offers only outputs that would freeze, so with none the
 * field stays empty.
 */
export function prefillOutputs(store) {
  // What a freeze under way says stays until it ends.
  if (!store.freezing) store.notice = null;
  if (!needsPrefill(store)) return;
  store.outputsGraph = store.graph;
  store.checked = null;
  const best = outputChoices(store)[0]?.names;
  store.outputs = store.presetOutputs ?? best?.join(',') ?? '';
  store.presetOutputs = null;
}

/**
 * The whole choices of outputs to offer: a SavedModel's signatures (the
 * default first; with no `serving_default`, the first by key), then the
 * report's other choices. `{names, reason, signature?}` each.
 */
export function outputChoices(store) {
  const found = currentReport(store)?.ok;
  if (!found) return [];
  const savedModel = store.graph && roleOf(store, store.graph) === 'savedModel';
  const signatures = savedModel ? found.signatures ?? [] : [];
  const fromSignatures = signatures
    .map((signature) => ({ names: [...new Set(signature.outputs.map((o) => o.name))], reason: `signature ${signature.name}`, signature }))
    .filter((c) => c.names.length);
  const same = (a, b) => a.join(',') === b.join(',');
  const others = (found.output_choices ?? []).filter((c) => !fromSignatures.some((s) => same(s.names, c.names)));
  return [...fromSignatures, ...others];
}

/** The outputs the sample was frozen with, for its graph once it is read. */
export function presetOutputs(store, outputs) {
  store.presetOutputs = outputs;
  store.outputsGraph = null;
}

/** The outputs field as typed; `committed` once it is left, which drops the last outcome. */
export function setOutputs(store, text, { committed = false } = {}) {
  store.outputs = text;
  if (!committed) return;
  store.outcome = null;
  store.failure = null;
  store.notice = null;
}

/** The type-ahead's list for the name being typed (`found` as the core's graphNodes answers). */
export function showMatches(store, query, found) {
  store.matches = found ? { query, nodes: found.nodes, total: found.total, active: -1 } : null;
}

/** Moves the type-ahead's highlight by `step`, wrapping around. */
export function moveMatch(store, step) {
  const m = store.matches;
  if (!m?.nodes.length) return;
  const n = m.nodes.length;
  m.active = m.active < 0 ? (step > 0 ? 0 : n - 1) : (m.active + step + n) % n;
}

/** The name being typed (after the last comma) becomes `name`; the list closes. */
export function pickMatch(store, name) {
  const before = store.outputs.includes(',') ? store.outputs.replace(/[^,]*$/, '') : '';
  store.outputs = `${before}${name}`;
  store.matches = null;
}

/** The name being typed: what follows the last comma. */
export const typedName = (store) => store.outputs.split(',').pop().trim();

/** What the core said of the field's names (`results` as checkOutputs answers) when it held `text`. */
export function keepCheck(store, text, results) {
  store.checked = { text, results };
}

/** Replaces the name `given` in the field with `name` (a "did you mean" button). */
export function replaceOutput(store, given, name) {
  store.outputs = names(store.outputs).map((n) => (n === given ? name : n)).join(',');
  store.checked = null;
}

/** The neighbourhood of `name` (`result` settled: `{ok}` or `{error}`). */
export function keepNeighbourhood(store, name, result) {
  store.near = { name, result };
}

/** The SavedModels whose tag sets the core has not read yet. */
export const unreadTagSets = (store) =>
  store.sorted.graphs.filter((f) => roleOf(store, f) === 'savedModel' && !store.tagSets.has(f));

/**
 * What the core read of a SavedModel's tag sets (`[["serve"], …]`, or
 * `{error}`); tags that are not one of them become the likeliest that is.
 */
export function learnTagSets(store, file, sets) {
  store.tagSets.set(file, Array.isArray(sets) ? sets : []);
  const offered = tagSetsOf(store, file).map((set) => set.join(','));
  if (!offered.length || offered.includes(store.tags)) return;
  setTags(store, offered.find((set) => set === 'serve') ?? offered[0]);
}

/** A SavedModel's tag sets, each comma-separated as the option takes them. */
export const tagSetsOf = (store, file) => store.tagSets.get(file) ?? [];

/** New tags pick another graph of a SavedModel: its reports are read again. */
export function setTags(store, tags) {
  if (tags === store.tags) return;
  store.tags = tags;
  for (const file of store.sorted.graphs) {
    if (roleOf(store, file) === 'savedModel') store.reports.graphs.delete(file);
  }
  store.outputsGraph = null;
}

/** A report was asked for: its number, to tell whether it is still the newest. */
export const beginReport = (store) => ++store.runs.report;

export function keepReport(store, run, chosen) {
  if (run === store.runs.report) store.reports.chosen = chosen;
}

export const beginDiagnosis = (store) => ++store.runs.diagnosis;

/** The core's diagnosis (`{problems, missing}`) of the files described as `key`. */
export function keepDiagnosis(store, run, key, diagnosis) {
  if (run === store.runs.diagnosis) store.diagnosis = { key, ...diagnosis };
}

export function startFreeze(store) {
  store.freezing = true;
  store.outcome = null;
  store.failure = null;
  notify(store, 'Freezing…');
  return store.runs.refresh;
}

/** Why a freeze did not happen, said under the Freeze button; `fault` is the core error's kind. */
export function failFreeze(store, text, fault) {
  store.failure = { text, fault };
  store.notice = null;
}

export function freezeProgress(store, progress) {
  store.progress = progress;
  const { done, total, packing } = progress;
  const what = packing ? 'Packing the TF.js model' : "Checking the weights' checksums";
  notify(store, `${what}: ${formatBytes(done)} of ${formatBytes(total)}.`);
}

/** A freeze ended: its outcome stays unless the files changed meanwhile (`run` was the newest refresh). */
export function endFreeze(store, run) {
  store.freezing = false;
  store.progress = null;
  if (run !== store.runs.refresh) store.notice = null;
}

/** What a freeze made: its download links replace the last ones. */
export function keepOutcome(store, { blob, zipRefused, report, reportJson, files }, { output, reportName, commands: made, folder }) {
  const name = output;
  store.downloads.forEach((url) => URL.revokeObjectURL(url));
  const link = (data, file) => ({ url: URL.createObjectURL(data), name: file });
  const model = blob ? link(blob, name) : null;
  const json = link(new Blob([reportJson], { type: 'application/json' }), reportName);
  store.downloads = [model?.url, json.url].filter(Boolean);
  // A TF.js model's files, for "Save to a folder".
  const tfjs = files ? { files, folder } : null;
  store.outcome = { name, report, model, json, commands: made, tfjs };
  const notes = report.warnings.length ? ' Read the notes below it.' : '';
  if (zipRefused) {
    const where = self.showDirectoryPicker ? 'press “Save to a folder…”' : 'use the command line, or a browser that can save to a folder';
    notify(store, `Done, but ${zipRefused.replace(/^[A-Z]/, (c) => c.toLowerCase())}: ${where}.`, 'error', 'limit');
  } else notify(store, `Done: ${name} is ready to download.${notes}`);
}

// ---- Questions ----------------------------------------------------------------

export const detectedOf = (store, file) => store.detected.get(file) ?? UNDETECTED;
export const roleOf = (store, file) => graphRole(detectedOf(store, file));

/** The files the core has not looked at yet. */
export const undetected = (store) => store.files.filter((file) => !store.detected.has(file));

/** The tables whose bytes leave open whether they are V1 checkpoints, and not looked inside yet. */
export const unsniffedTables = (store) => store.sorted.unsureTables.filter((file) => !store.v1Tables.has(file));

export const checkpoint = (store) => store.sorted.prefixes.find((c) => c.key === store.prefix) ?? null;

/** A number for a file, to say which file a report was on. */
function fileId(store, file) {
  if (!file) return '';
  if (!store.fileIds.has(file)) store.fileIds.set(file, ++store.nextFileId);
  return store.fileIds.get(file);
}

/**
 * What the page says of files that share a name with a chosen one: which is
 * used and which set aside (never a silent choice), and files dropped again.
 */
export function setAside(store) {
  const ckpt = checkpoint(store);
  const chosen = [store.graph, ckpt?.index, ...(ckpt?.shards ?? []), ...(ckpt?.tables ?? [])].filter(Boolean);
  const notes = [];
  for (const used of chosen) {
    const others = store.files.filter((f) => f !== used && f.name === used.name).map(pathOf);
    if (others.length) notes.push(`Two files are named ${used.name}: ${pathOf(used)} is used, ${others.join(' and ')} set aside.`);
  }
  for (const path of store.replaced) notes.push(`${path} was added again: the newer file is used, the one before set aside.`);
  return notes;
}

const v1Key = (ckpt) => ckpt.tables.filter(Boolean).map((f) => `${f.name}:${f.size}:${f.lastModified}`).join('|');

/** What the checkpoint's `.index` (or V1 tables) holds: `{ok}`, `{error}` or undefined. */
export function checkpointReport(store, ckpt) {
  if (ckpt?.v1) return store.reports.v1.get(v1Key(ckpt));
  return ckpt?.index ? store.reports.indexes.get(ckpt.index) : undefined;
}

/** The checkpoints whose index or tables the core has not read yet. */
export const unreadCheckpoints = (store) =>
  store.sorted.prefixes.filter((c) => (c.index || c.v1) && !checkpointReport(store, c));

/** Options as the core takes them: `flag=value` items. */
const optionItems = (values) => Object.entries(values).map(([flag, value]) => `${flag}=${value}`);

/** What the core needs to read a graph (and, when given, its checkpoint). */
export function inspectRequest(store, graph, ckpt = null, outputNodes = '') {
  // A V1 checkpoint is its table files; a V2 one its .index, with the .data files beside.
  const tables = ckpt?.v1 ? ckpt.tables : [ckpt?.index];
  return {
    graph,
    tables: tables.filter(Boolean),
    prefix: ckpt?.prefix ?? '',
    options: optionItems({ saved_model_tags: store.tags, output_node_names: outputNodes }),
  };
}

/** What the report on the current choice depends on, but for the outputs, as text. */
export function reportBase(store) {
  if (!store.graph) return null;
  const ckpt = checkpoint(store);
  const id = (file) => fileId(store, file);
  const tables = ckpt?.v1 ? ckpt.tables.map(id).join('+') : id(ckpt?.index);
  return JSON.stringify([id(store.graph), ckpt?.key, tables, store.tags]);
}

/** The chosen outputs, as the core takes them. */
export const outputNames = (store) => names(store.outputs).join(',');

/**
 * The report to show: the one on the current choice (while a new one for other
 * outputs comes, the last one), else the graph's own.
 */
export function currentReport(store) {
  const { chosen } = store.reports;
  if (chosen.base && chosen.base === reportBase(store)) return chosen.result;
  return store.graph ? store.reports.graphs.get(store.graph) : null;
}

/** The chosen files as the core's `diagnose` reads them. */
export function dropped(store) {
  const { graph } = store;
  const alone = graph && store.reports.graphs.get(graph);
  const ckpt = checkpoint(store);
  const layout = checkpointReport(store, ckpt);
  const nameOf = (file) => file?.name ?? null;
  const { unknown, ignored, unsureTables } = store.sorted;
  return {
    graph: graph && {
      name: graph.name,
      role: roleOf(store, graph),
      variables: alone?.ok?.summary.variables,
      error: alone?.error,
    },
    checkpoint: ckpt && {
      prefix: ckpt.prefix,
      v1: ckpt.v1,
      index: ckpt.index?.name,
      tables: Array.from(ckpt.tables, nameOf),
      shards: Array.from(ckpt.shards, nameOf),
      layout: layout?.ok,
      error: layout?.error,
    },
    otherFiles: [...unknown, ...ignored, ...unsureTables].map(nameOf),
  };
}

/** The core's diagnosis of the current choice, or null while it is being asked for. */
export function diagnosis(store) {
  return store.diagnosis.key === JSON.stringify(dropped(store)) ? store.diagnosis : null;
}

/** The checkpoint's prefix as a path, as dropped (`char_lstm/model.ckpt-1000`, `model/`). */
function prefixPath(ckpt) {
  const file = ckpt?.v1 ? ckpt.tables.find(Boolean) : ckpt?.index;
  return file ? pathOf(file).replace(/[^/]*$/, ckpt.prefix) : ckpt?.prefix ?? '';
}

/** The chosen files' paths, most telling first, for the core's `model_name`. */
export const modelPaths = (store) => [prefixPath(checkpoint(store)), store.graph ? pathOf(store.graph) : ''];

/** The prefix for `--input_checkpoint`: TF reads the empty one beside it as `./` (`./.index`). */
const prefixFlag = (ckpt) => prefixPath(ckpt) || './';

/** The command line's flags for the files: where they are, as dropped, and what they are. */
function fileFlags(store, ckpt, output, reportName) {
  const graphPath = pathOf(store.graph);
  const where = { output_graph: output, report: reportName };
  const role = roleOf(store, store.graph);
  if (role === 'savedModel') {
    const dir = graphPath.includes('/') ? graphPath.replace(/\/[^/]*$/, '') : '.';
    return { input_saved_model_dir: dir, ...where };
  }
  const kind = store.reports.graphs.get(store.graph)?.ok?.summary.graph_kind ?? '';
  return {
    [role === 'meta' ? 'input_meta_graph' : 'input_graph']: graphPath,
    // TF reads graphs as text unless told otherwise; here it is only a hint.
    input_binary: /^binary/.test(kind),
    input_checkpoint: prefixFlag(ckpt),
    checkpoint_version: ckpt.v1 ? '1' : '2',
    saved_model_tags: undefined,
    ...where,
  };
}

/**
 * The freeze of the current choice with the controls' `values` (by flag):
 * `{request, names}`, `names` being `{output, reportName, commands}`: the
 * downloads' names, after `model` (the core's `model_name`), and the same
 * freeze on the command line (report.js `commands`). `options` is the core's
 * option table, `presets` what each target turns on.
 */
export function freezeRequest(store, values, options, model, presets = {}) {
  const ckpt = checkpoint(store);
  const { numShards } = checkpointReport(store, ckpt).ok;
  const tfjs = values.output_format === 'tfjs_graph_model';
  const folder = `${model}_tfjs`;
  const output = tfjs ? `${folder}.zip` : `${model}_frozen.pb`;
  const reportName = `${model}_report.json`;
  const chosen = Object.fromEntries(
    options
      .filter((row) => row.flag in values)
      // The TF.js model's own options mean nothing to a frozen .pb, and an
      // empty list of weights to quantize is no quantization (bare would be all).
      .filter((row) => tfjs || !row.tfjsOnly)
      .filter((row) => row.kind !== 'patterns' || values[row.flag] !== '')
      .map((row) => [row.flag, values[row.flag]]),
  );
  const where = fileFlags(store, ckpt, output, reportName);
  if (tfjs) Object.assign(where, { output_graph: undefined, output_dir: folder });
  const made = commands(options, { ...chosen, ...where }, presets);
  const request = {
    ...inspectRequest(store, store.graph, ckpt),
    // Only the files given: an index may claim two billion shards.
    shards: Array.from(ckpt.shards.slice(0, numShards), (file) => file ?? null),
    options: optionItems(chosen),
    command: made.ours,
    folder,
  };
  return { request, names: { output, reportName, commands: made, folder }, task: tfjs ? 'exportTfjs' : 'freeze' };
}

/** The TF.js model was written to the folder `name` the user chose. */
export function savedToFolder(store, name, count) {
  notify(store, `Saved model.json and ${count} weight file${count === 1 ? '' : 's'} to the folder “${name}”.`);
}

/** Saving to a folder did not happen, for `text`. */
export function failSave(store, text) {
  notify(store, text, 'error', 'input');
}
