// The page: gathers files, shows what they hold, and asks the worker to freeze.
import { classify, filesFromDrop, formatBytes, graphRole, missingShards, missingTables } from './files.js';

const $ = (selector) => document.querySelector(selector);
const ui = {
  status: $('#status'),
  found: $('#found'),
  graphChoice: $('#graph-choice'),
  graphInfo: $('#graph-info'),
  prefixChoice: $('#prefix-choice'),
  prefixInfo: $('#prefix-info'),
  inputs: $('#inputs'),
  variables: $('#variables tbody'),
  form: $('#options'),
  outputs: $('#outputs'),
  freeze: $('#freeze'),
  progress: $('#progress'),
  result: $('#result'),
  download: $('#download'),
  summary: $('#summary'),
  warnings: $('#warnings'),
  clear: $('#clear'),
};
// Tables longer than this are cut, with a note of how many rows are left out.
const MAX_ROWS = 500;

// ---- The worker -------------------------------------------------------------

let worker = null;
let nextId = 0;
const pending = new Map();

function startWorker() {
  worker = new Worker('worker.js', { type: 'module' });
  worker.onmessage = ({ data }) => {
    const call = pending.get(data.id);
    if (!call) return;
    if ('progress' in data) return call.onProgress?.(data.progress);
    pending.delete(data.id);
    if ('error' in data) {
      call.reject(new Error(data.error));
      if (data.fatal) restartWorker(data.error);
    } else {
      call.resolve(data.result);
    }
  };
  worker.onerror = (event) => {
    event.preventDefault();
    restartWorker(event.message || 'it could not start');
  };
}

function restartWorker(reason) {
  worker.terminate();
  const waiting = [...pending.values()];
  pending.clear();
  startWorker();
  const error = new Error(`The converter stopped (${reason}) and was restarted; your files are still here, so try again.`);
  waiting.forEach((call) => call.reject(error));
  if (waiting.length === 0) say(error.message, 'error');
}

function run(task, data, onProgress) {
  return new Promise((resolve, reject) => {
    const id = ++nextId;
    pending.set(id, { resolve, reject, onProgress });
    worker.postMessage({ id, task, ...data });
  });
}

/** A promise's outcome as `{ok}` or `{error}`, for caching. */
const settle = (promise) => promise.then((ok) => ({ ok }), (err) => ({ error: err.message }));

// ---- State ------------------------------------------------------------------

let files = [];
let view = classify([]);
let chosenGraph = null;
let chosenPrefix = null;
let outputsGraph = null; // the graph whose suggestions are in the outputs field
let presetOutputs = null; // outputs to use instead of the suggestions (the sample's)
let downloadUrl = null;
let freezing = false;
let refreshes = 0;
const graphReports = new WeakMap();
const indexReports = new WeakMap();
const v1Reports = new Map(); // by the files of a V1 checkpoint, see v1Key
const sniffs = new WeakMap(); // file of another name: is it a V1 checkpoint table?

/** A core message as a sentence: a full stop, and a capital unless it starts with a name. */
function sentence(text) {
  const s = /^[a-z]+ /.test(text) ? text.charAt(0).toUpperCase() + text.slice(1) : text;
  return /[.?!]$/.test(s) ? s : `${s}.`;
}

function say(text, kind = 'info') {
  ui.status.textContent = text;
  ui.status.className = kind;
}

function addFiles(added, { replace = false } = {}) {
  const byName = new Map((replace ? [] : files).map((f) => [f.name, f]));
  for (const file of added) byName.set(file.name, file);
  files = [...byName.values()];
  ui.result.hidden = true;
  return refresh();
}

async function refresh() {
  const token = ++refreshes;
  const isV1 = (file) => sniffs.get(file) === true;
  for (const file of classify(files, isV1).unknown) {
    if (!sniffs.has(file)) sniffs.set(file, (await settle(run('sniff', { file }))).ok === true);
  }
  view = classify(files, isV1);
  for (const file of view.graphs) {
    if (!graphReports.has(file)) {
      graphReports.set(file, await settle(run('inspectGraph', { file, role: graphRole(file), tags: tags() })));
    }
  }
  for (const ckpt of view.prefixes) {
    if (ckpt.index && !indexReports.has(ckpt.index)) {
      indexReports.set(ckpt.index, await settle(run('inspectIndex', { file: ckpt.index })));
    }
    if (ckpt.v1 && !v1Reports.has(v1Key(ckpt))) {
      v1Reports.set(v1Key(ckpt), await settle(run('inspectV1', { files: ckpt.tables.filter(Boolean) })));
    }
  }
  if (token !== refreshes) return;
  if (!view.graphs.includes(chosenGraph)) {
    chosenGraph = view.graphs.find((g) => graphReports.get(g).ok?.variables.length) ?? view.graphs[0] ?? null;
  }
  if (!view.prefixes.some((c) => c.prefix === chosenPrefix)) {
    // A SavedModel keeps its checkpoint in variables/variables.*.
    const savedModel = chosenGraph && graphRole(chosenGraph) === 'savedModel';
    const variables = savedModel && view.prefixes.find((c) => c.prefix === 'variables' && c.index);
    chosenPrefix = (variables || view.prefixes[0])?.prefix ?? null;
  }
  render();
}

const tags = () => $('#tags').value;
const v1Key = (ckpt) => ckpt.tables.filter(Boolean).map((f) => `${f.name}:${f.size}:${f.lastModified}`).join('|');
/** What the checkpoint's `.index` (or V1 table) holds: `{ok}`, `{error}` or undefined. */
const checkpointReport = (ckpt) => (ckpt?.v1 ? v1Reports.get(v1Key(ckpt)) : ckpt?.index && indexReports.get(ckpt.index));
const checkpoint = () => view.prefixes.find((c) => c.prefix === chosenPrefix) ?? null;

// ---- What was found ---------------------------------------------------------

/** One plain sentence for each thing that stops a freeze. */
function problems() {
  const found = [];
  const graph = chosenGraph && graphReports.get(chosenGraph);
  const ckpt = checkpoint();
  if (graph?.error) found.push(graph.error);
  if (graph?.ok && graph.ok.variables.length === 0) {
    found.push(`${chosenGraph.name} holds no variables: it is most likely frozen already`);
  }
  if (ckpt && !ckpt.index && !ckpt.v1) {
    const shard = ckpt.shards.find(Boolean);
    found.push(`${shard.name} has no ${ckpt.prefix}.index beside it; add that file too`);
  }
  const index = checkpointReport(ckpt);
  if (index?.error) found.push(index.error);
  if (ckpt?.v1) found.push(...v1Problems(ckpt));
  const missing = index?.ok ? missingShards(ckpt, index.ok.numShards) : [];
  const noData = missing.length > 0 && missing.length === index.ok.numShards;
  if (!chosenGraph && ckpt?.v1) {
    found.push(`${ckpt.prefix} is a V1 checkpoint; add the graph it belongs to (a .pb, .pbtxt or .meta file) too`);
  }
  if (!chosenGraph && ckpt?.index) {
    const also = noData ? ' and its data files' : '';
    found.push(`${ckpt.index.name} is a checkpoint index; add the graph it belongs to (a .pb, .pbtxt or .meta file)${also} too`);
  }
  if (missing.length && (chosenGraph || !noData)) {
    const count = index.ok.numShards;
    found.push(
      count === 1
        ? `${missing[0]} is missing: the values of ${ckpt.index.name} are in it`
        : `${missing.join(', ')} ${missing.length === 1 ? 'is' : 'are'} missing: ${ckpt.index.name} needs all ${count} data files`,
    );
  }
  if (chosenGraph && !ckpt && found.length === 0) {
    found.push(
      graphRole(chosenGraph) === 'savedModel'
        ? `Add the variables folder that goes with ${chosenGraph.name} too (variables.index and its .data files)`
        : `Add the checkpoint that goes with ${chosenGraph.name}: its .index file and its .data files`,
    );
  }
  if (!chosenGraph && !ckpt && files.length && found.length === 0) {
    found.push('None of these files is a graph or a checkpoint: drop a .pb, .pbtxt or .meta file with its .index and .data files');
  }
  return found.map(sentence);
}

function v1Problems(ckpt) {
  const missing = missingTables(ckpt);
  if (!missing.length) return [];
  const verb = missing.length === 1 ? 'is' : 'are';
  return [`${missing.join(', ')} ${verb} missing: the V1 checkpoint ${ckpt.prefix} has ${ckpt.tableCount} files`];
}

function fillSelect(select, items, chosen, label) {
  select.replaceChildren(...items.map((item) => new Option(label(item), label(item), false, item === chosen)));
  select.disabled = items.length < 2;
}

function render() {
  const graph = chosenGraph && graphReports.get(chosenGraph)?.ok;
  const ckpt = checkpoint();
  const index = checkpointReport(ckpt)?.ok;
  ui.found.hidden = files.length === 0;
  ui.clear.hidden = files.length === 0;
  fillSelect(ui.graphChoice, view.graphs, chosenGraph, (f) => f.name);
  if (!view.graphs.length) ui.graphChoice.replaceChildren(new Option('none yet'));
  ui.graphInfo.textContent = graph ? `${graph.kind}, ${graph.nodes} nodes` : '';
  fillSelect(ui.prefixChoice, view.prefixes, ckpt, (c) => c.prefix);
  if (!view.prefixes.length) ui.prefixChoice.replaceChildren(new Option('none yet'));
  const plural = (n, word) => `${n} ${word}${n === 1 ? '' : 's'}`;
  const absent = index ? missingShards(ckpt, index.numShards).length : 0;
  const lacking = absent ? `, ${absent} missing` : '';
  const where = ckpt?.v1 ? `a V1 checkpoint of ${plural(ckpt.tableCount, 'file')}` : plural(index?.numShards, 'data file');
  ui.prefixInfo.textContent = index ? `${plural(index.tensors.length, 'tensor')} in ${where}${lacking}` : '';
  ui.inputs.textContent = graph
    ? graph.placeholders.map((p) => `${p.name} (${p.dtype}, ${p.shape || 'any shape'})`).join(', ') || 'none'
    : '';
  renderVariables(graph, index);

  if (chosenGraph !== outputsGraph) {
    outputsGraph = chosenGraph;
    ui.outputs.value = presetOutputs ?? graph?.suggestedOutputs.join(',') ?? '';
    presetOutputs = null;
  }
  const found = problems();
  ui.form.hidden = !graph;
  $('#tags-field').hidden = !chosenGraph || graphRole(chosenGraph) !== 'savedModel';
  ui.freeze.disabled = freezing || found.length > 0;
  if (found.length) say(found.join(' '), 'error');
  else if (graph) say(`Found ${graph.variables.length} variables. Check the output nodes, then press Freeze.`);
  else say('');
  // view.ignored (the `checkpoint` state file) is expected beside a checkpoint: not worth a mention.
  const ignored = view.unknown;
  if (ignored.length && !found.length) {
    ui.status.append(` Not used: ${ignored.map((f) => f.name).join(', ')}.`);
  }
}

function renderVariables(graph, index) {
  const sizes = new Map((index?.tensors ?? []).map((t) => [t.name, t]));
  // Without a graph, the checkpoint's tensors are what there is to show.
  const rows = graph ? graph.variables : index?.tensors ?? [];
  const cells = (v) => {
    const stored = sizes.get(v.name);
    // A saver may store a variable under another key: then its size is not shown.
    const size = stored?.size == null ? '' : formatBytes(stored.size);
    return [v.name, v.dtype || stored?.dtype || '', v.shape || stored?.shape || '', size];
  };
  const trs = rows.slice(0, MAX_ROWS).map((v) => {
    const tr = document.createElement('tr');
    for (const text of cells(v)) tr.insertCell().textContent = text;
    return tr;
  });
  if (rows.length > MAX_ROWS) {
    const tr = document.createElement('tr');
    const td = tr.insertCell();
    td.colSpan = 4;
    td.textContent = `and ${rows.length - MAX_ROWS} more`;
    trs.push(tr);
  }
  ui.variables.replaceChildren(...trs);
  $('#variables').hidden = rows.length === 0;
}

// ---- Freezing ---------------------------------------------------------------

async function freeze(event) {
  event.preventDefault();
  const ckpt = checkpoint();
  const index = checkpointReport(ckpt).ok;
  if (!ui.outputs.value.trim()) {
    say('Type the name of at least one output node.', 'error');
    ui.outputs.focus();
    return;
  }
  const shards = Array.from({ length: index.numShards }, (_, i) => ckpt.shards[i] ?? null);
  const request = {
    graph: chosenGraph,
    role: graphRole(chosenGraph),
    tags: tags(),
    // A V1 checkpoint is its table files; a V2 one its .index, with the .data files beside.
    index: ckpt.v1 ? ckpt.tables[0] : ckpt.index,
    moreTables: ckpt.v1 ? ckpt.tables.slice(1) : [],
    prefix: ckpt.prefix,
    shards,
    verify: $('#verify').checked,
    options: {
      outputNodes: ui.outputs.value,
      clearDevices: $('#clear-devices').checked,
      whitelist: $('#whitelist').value,
      denylist: $('#denylist').value,
      initializerNodes: $('#initializers').value,
    },
  };
  const token = refreshes;
  freezing = true;
  ui.freeze.disabled = true;
  ui.result.hidden = true;
  say('Freezing…');
  try {
    const { blob, summary, warnings } = await run('freeze', request, showProgress);
    const base = graphRole(chosenGraph) === 'savedModel' ? 'saved_model' : ckpt.prefix;
    if (token === refreshes) showResult(blob, summary, warnings, `${base}_frozen.pb`);
  } catch (err) {
    say(sentence(err.message), 'error');
  } finally {
    freezing = false;
    ui.freeze.disabled = problems().length > 0;
    ui.progress.hidden = true;
  }
}

function showProgress({ done, total }) {
  ui.progress.hidden = false;
  ui.progress.max = Math.max(total, 1);
  ui.progress.value = done;
  say(`Checking the weights' checksums: ${formatBytes(done)} of ${formatBytes(total)}.`);
}

function showResult(blob, summary, warnings, name) {
  if (downloadUrl) URL.revokeObjectURL(downloadUrl);
  downloadUrl = URL.createObjectURL(blob);
  ui.download.href = downloadUrl;
  ui.download.download = name;
  ui.download.textContent = `Download ${name}`;
  const removed = summary.nodesRemoved ? ` (${summary.nodesRemoved} left out)` : '';
  ui.summary.textContent =
    `${summary.variablesFrozen} variables frozen, ${summary.nodesKept} nodes kept${removed}, ` +
    `${formatBytes(summary.outputBytes)}.`;
  const notes = warnings.map((text) => Object.assign(document.createElement('li'), { textContent: sentence(text) }));
  ui.warnings.replaceChildren(...notes);
  ui.result.hidden = false;
  say(`Done: ${name} is ready to download.${notes.length ? ' Read the notes below it.' : ''}`);
  ui.download.focus();
}

// ---- Wiring -----------------------------------------------------------------

async function loadSample() {
  say('Loading the sample…');
  try {
    const sample = await (await fetch('sample/sample.json')).json();
    const loaded = await Promise.all(
      sample.files.map(async (name) => {
        const response = await fetch(`sample/${name}`);
        if (!response.ok) throw new Error(`the sample file ${name} could not be loaded (${response.status})`);
        return new File([await response.blob()], name);
      }),
    );
    presetOutputs = sample.outputNodes;
    outputsGraph = null;
    await addFiles(loaded, { replace: true });
  } catch (err) {
    say(sentence(err.message), 'error');
  }
}

function startOver() {
  files = [];
  outputsGraph = null;
  ui.result.hidden = true;
  refresh();
  say('Cleared. Drop or choose new files.');
  $('#choose').focus();
}

function wire() {
  const chooser = (button, input) => {
    $(button).addEventListener('click', () => $(input).click());
    $(input).addEventListener('change', (event) => {
      addFiles([...event.target.files]);
      event.target.value = '';
    });
  };
  chooser('#choose', '#files');
  chooser('#choose-folder', '#folder');
  $('#sample').addEventListener('click', loadSample);
  ui.clear.addEventListener('click', startOver);
  ui.form.addEventListener('submit', freeze);
  ui.graphChoice.addEventListener('change', () => {
    chosenGraph = view.graphs.find((f) => f.name === ui.graphChoice.value) ?? chosenGraph;
    render();
  });
  $('#tags').addEventListener('change', () => {
    // The tags pick which graph of a SavedModel is read: read them again.
    view.graphs.filter((f) => graphRole(f) === 'savedModel').forEach((f) => graphReports.delete(f));
    outputsGraph = null;
    refresh();
  });
  ui.prefixChoice.addEventListener('change', () => {
    chosenPrefix = ui.prefixChoice.value;
    ui.result.hidden = true;
    render();
  });
  const hasFiles = (event) => event.dataTransfer?.types.includes('Files');
  document.addEventListener('dragover', (event) => {
    if (!hasFiles(event)) return;
    event.preventDefault();
    document.body.classList.add('dragging');
  });
  document.addEventListener('dragleave', (event) => {
    if (!event.relatedTarget) document.body.classList.remove('dragging');
  });
  document.addEventListener('drop', async (event) => {
    if (!hasFiles(event)) return;
    event.preventDefault();
    document.body.classList.remove('dragging');
    addFiles(await filesFromDrop(event.dataTransfer));
  });
}

startWorker();
wire();
