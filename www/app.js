// The page: gathers files, shows what they hold, and asks the worker to freeze.
import { classify, filesFromDrop, formatBytes, graphRole, knowsLayout, learnLayout, missingFiles, pathOf } from './files.js';
import { OPTIONS } from './options.js';
import {
  cliCommand,
  frozenRows,
  inputsText,
  item,
  names,
  problemItems,
  sentence,
  suggestionItems,
  summaryText,
  variableRows,
} from './report.js';
import { run, settle, startWorker } from './bridge.js';

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
  suggestions: $('#suggestions'),
  problems: $('#problems'),
  freeze: $('#freeze'),
  progress: $('#progress'),
  result: $('#result'),
  download: $('#download'),
  downloadReport: $('#download-report'),
  summary: $('#summary'),
  changes: $('#changes'),
  warnings: $('#warnings'),
  command: $('#command'),
  clear: $('#clear'),
};

// ---- State ------------------------------------------------------------------

let files = [];
let view = classify([]);
let chosenGraph = null;
let chosenPrefix = null;
let outputsGraph = null; // the graph whose suggestion is in the outputs field
let presetOutputs = null; // outputs to use instead of the suggestion (the sample's)
let downloadUrls = [];
let freezing = false;
let refreshes = 0;
let reportRuns = 0;
let freezeSaid = false; // the status tells how the last freeze went: keep it until something changes
const graphReports = new WeakMap(); // graph file: the core's report on it alone
const indexReports = new WeakMap(); // .index file: {numShards, tensors}
const v1Reports = new Map(); // by the files of a V1 checkpoint, see v1Key
const sniffs = new WeakMap(); // file of another name: is it a V1 checkpoint table?
const fileIds = new WeakMap(); // a number per file, for reportBase
let nextFileId = 0;
// The core's report on the chosen graph, checkpoint and outputs, and what it was asked.
let report = { base: null, outputs: null, result: null };

function say(text, kind = 'info') {
  ui.status.textContent = text;
  ui.status.className = kind;
}

function addFiles(added, { replace = false } = {}) {
  const byName = new Map((replace ? [] : files).map((f) => [f.name, f]));
  for (const file of added) byName.set(file.name, file);
  files = [...byName.values()];
  ui.result.hidden = true;
  freezeSaid = false;
  return refresh();
}

/** Options as the core takes them: `flag=value` items. */
const optionItems = (values) => Object.entries(values).map(([flag, value]) => `${flag}=${value}`);

/** What the core needs to read a graph (and, when given, its checkpoint). */
function inspectRequest(graph, ckpt = null, outputNodes = '') {
  // A V1 checkpoint is its table files; a V2 one its .index, with the .data files beside.
  const tables = ckpt?.v1 ? ckpt.tables : [ckpt?.index];
  return {
    graph,
    tables: tables.filter(Boolean),
    prefix: ckpt?.prefix ?? '',
    options: optionItems({ saved_model_tags: tags(), output_node_names: outputNodes }),
  };
}

/** Asks the core what the names of files it has not seen mean. */
async function learnLayouts() {
  const fresh = files.filter((file) => !knowsLayout(file));
  if (!fresh.length) return;
  const layouts = await run('detect', { files: fresh });
  fresh.forEach((file, i) => learnLayout(file, layouts[i]));
}

async function refresh() {
  const token = ++refreshes;
  if (files.length && !freezing) say('Reading the files…');
  const learnt = await settle(learnLayouts());
  if (learnt.error) {
    say(sentence(learnt.error), 'error');
    return;
  }
  const isV1 = (file) => sniffs.get(file);
  for (const file of classify(files, isV1).unsureTables) {
    if (!sniffs.has(file)) sniffs.set(file, (await settle(run('sniff', { file }))).ok === true);
  }
  view = classify(files, isV1);
  for (const file of view.graphs) {
    if (!graphReports.has(file)) {
      graphReports.set(file, await settle(run('inspect', { request: inspectRequest(file) })));
    }
  }
  for (const ckpt of view.prefixes) {
    if (ckpt.index && !indexReports.has(ckpt.index)) {
      indexReports.set(ckpt.index, await settle(run('inspectCheckpoint', { files: [ckpt.index] })));
    }
    if (ckpt.v1 && !v1Reports.has(v1Key(ckpt))) {
      v1Reports.set(v1Key(ckpt), await settle(run('inspectCheckpoint', { files: ckpt.tables.filter(Boolean) })));
    }
  }
  if (token !== refreshes) return;
  if (!view.graphs.includes(chosenGraph)) {
    chosenGraph = view.graphs.find((g) => graphReports.get(g).ok?.summary.variables) ?? view.graphs[0] ?? null;
  }
  if (!view.prefixes.some((c) => c.prefix === chosenPrefix)) {
    // A SavedModel keeps its checkpoint in its variables folder.
    const savedModel = chosenGraph && graphRole(chosenGraph) === 'savedModel';
    const variables = savedModel && view.prefixes.find((c) => c.savedModelVariables && c.index);
    chosenPrefix = (variables || view.prefixes[0])?.prefix ?? null;
  }
  await choose();
}

/** After the graph or checkpoint changed: fill in the outputs, ask for the report, show it. */
async function choose() {
  freezeSaid = false;
  if (chosenGraph !== outputsGraph) {
    outputsGraph = chosenGraph;
    const best = chosenGraph && graphReports.get(chosenGraph)?.ok?.suggested_outputs[0]?.name;
    ui.outputs.value = presetOutputs ?? best ?? '';
    presetOutputs = null;
  }
  // The report comes before anything is shown, so the page does not jump.
  await updateReport();
  render();
}

const tags = () => $('#tags').value;
const v1Key = (ckpt) => ckpt.tables.filter(Boolean).map((f) => `${f.name}:${f.size}:${f.lastModified}`).join('|');
/** What the checkpoint's `.index` (or V1 table) holds: `{ok}`, `{error}` or undefined. */
const checkpointReport = (ckpt) => (ckpt?.v1 ? v1Reports.get(v1Key(ckpt)) : ckpt?.index && indexReports.get(ckpt.index));
const checkpoint = () => view.prefixes.find((c) => c.prefix === chosenPrefix) ?? null;

/** What the report on the current choice depends on, but for the outputs, as text. */
function reportBase() {
  if (!chosenGraph) return null;
  const ckpt = checkpoint();
  const id = (file) => {
    if (!file) return '';
    if (!fileIds.has(file)) fileIds.set(file, ++nextFileId);
    return fileIds.get(file);
  };
  const tables = ckpt?.v1 ? ckpt.tables.map(id).join('+') : id(ckpt?.index);
  return JSON.stringify([id(chosenGraph), ckpt?.prefix, tables, tags()]);
}

/** Asks the core for its report on the chosen graph, checkpoint and outputs, and shows it. */
async function updateReport() {
  const base = reportBase();
  const outputs = names(ui.outputs.value).join(',');
  if (base === report.base && outputs === report.outputs) return;
  const mine = ++reportRuns;
  const result = base ? await settle(run('inspect', { request: inspectRequest(chosenGraph, checkpoint(), outputs) })) : null;
  if (mine !== reportRuns) return;
  report = { base, outputs, result };
  render();
}

/**
 * The report to show: the one on the current choice (while a new one for other
 * outputs comes, the last one), else the graph's own.
 */
function currentReport() {
  if (report.base && report.base === reportBase()) return report.result;
  return chosenGraph ? graphReports.get(chosenGraph) : null;
}

// ---- What was found ---------------------------------------------------------

/** One plain sentence for each thing that stops a freeze. */
function problems() {
  const found = [];
  const graph = chosenGraph && graphReports.get(chosenGraph);
  const ckpt = checkpoint();
  if (graph?.error) found.push(graph.error);
  if (graph?.ok && graph.ok.summary.variables === 0) {
    found.push(`${chosenGraph.name} holds no variables: it is most likely frozen already`);
  }
  if (ckpt && !ckpt.index && !ckpt.v1) {
    const shard = ckpt.shards.find(Boolean);
    found.push(`${shard.name} has no ${ckpt.prefix}.index beside it; add that file too`);
  }
  const index = checkpointReport(ckpt);
  if (index?.error) found.push(index.error);
  if (ckpt?.v1 && index?.ok) found.push(...v1Problems(ckpt, index.ok.files));
  const missing = index?.ok && !ckpt.v1 ? missingFiles(index.ok.files, ckpt.shards) : [];
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

function v1Problems(ckpt, expected) {
  const missing = missingFiles(expected, ckpt.tables);
  if (!missing.length) return [];
  const verb = missing.length === 1 ? 'is' : 'are';
  return [`${missing.join(', ')} ${verb} missing: the V1 checkpoint ${ckpt.prefix} has ${ckpt.tableCount} files`];
}

function fillSelect(select, items, chosen, label) {
  select.replaceChildren(...items.map((item) => new Option(label(item), label(item), false, item === chosen)));
  select.disabled = items.length < 2;
}

function render() {
  const found = currentReport()?.ok;
  const ckpt = checkpoint();
  const index = checkpointReport(ckpt)?.ok;
  ui.found.hidden = files.length === 0;
  ui.clear.hidden = files.length === 0;
  fillSelect(ui.graphChoice, view.graphs, chosenGraph, (f) => f.name);
  if (!view.graphs.length) ui.graphChoice.replaceChildren(new Option('none yet'));
  ui.graphInfo.textContent = found ? `${found.summary.graph_kind}, ${found.summary.nodes} nodes` : '';
  fillSelect(ui.prefixChoice, view.prefixes, ckpt, (c) => c.prefix);
  if (!view.prefixes.length) ui.prefixChoice.replaceChildren(new Option('none yet'));
  const plural = (n, word) => `${n} ${word}${n === 1 ? '' : 's'}`;
  const absent = index && !ckpt.v1 ? missingFiles(index.files, ckpt.shards).length : 0;
  const lacking = absent ? `, ${absent} missing` : '';
  const where = ckpt?.v1 ? `a V1 checkpoint of ${plural(ckpt.tableCount, 'file')}` : plural(index?.numShards, 'data file');
  ui.prefixInfo.textContent = index ? `${plural(index.tensors, 'tensor')} in ${where}${lacking}` : '';
  ui.inputs.textContent = found ? inputsText(found.inputs) : '';
  const variables = found?.variables ?? [];
  ui.variables.replaceChildren(...variableRows(variables));
  $('#variables').hidden = variables.length === 0;
  renderSuggestions(found?.suggested_outputs ?? []);
  const noted = found && chosenPrefix ? found.problems : [];
  ui.problems.replaceChildren(...problemItems(noted));
  $('#problems-box').hidden = noted.length === 0;

  const stops = problems();
  ui.form.hidden = !found;
  $('#tags-field').hidden = !chosenGraph || graphRole(chosenGraph) !== 'savedModel';
  ui.freeze.disabled = freezing || stops.length > 0;
  if (freezing || freezeSaid) return;
  if (stops.length) say(stops.join(' '), 'error');
  else if (found) {
    const also = noted.length ? ` ${noted.length === 1 ? 'One problem is' : `${noted.length} problems are`} listed below them.` : '';
    say(`Found ${found.summary.variables} variables.${also} Check the output nodes, then press Freeze.`);
  } else say('');
  // view.ignored (the `checkpoint` state file, a fingerprint) is expected beside a model: not worth a mention.
  const ignored = view.unknown;
  if (ignored.length && !stops.length) {
    ui.status.append(` Not used: ${ignored.map((f) => f.name).join(', ')}.`);
  }
}

function renderSuggestions(suggestions) {
  const focused = document.activeElement?.classList.contains('suggestion') ? document.activeElement.textContent : null;
  ui.suggestions.replaceChildren(...suggestionItems(suggestions, names(ui.outputs.value), toggleOutput));
  $('#suggestions-box').hidden = suggestions.length === 0;
  // Re-rendering replaces the buttons: keep the keyboard where it was.
  if (focused) [...ui.suggestions.querySelectorAll('button')].find((b) => b.textContent === focused)?.focus();
}

/** Adds a suggested output to the outputs field, or takes it out. */
function toggleOutput(name) {
  const chosen = names(ui.outputs.value);
  ui.outputs.value = (chosen.includes(name) ? chosen.filter((n) => n !== name) : [...chosen, name]).join(',');
  outputsChanged();
}

function outputsChanged() {
  ui.result.hidden = true;
  freezeSaid = false;
  render();
  updateReport();
}

// ---- Freezing ---------------------------------------------------------------

// ---- The options: one control per row of the core's option table that has one.

const controlled = OPTIONS.filter((row) => row.page);
const control = (row) => document.getElementById(row.page.id);

/** Labels and defaults of the controls, from the table. */
function setUpControls() {
  for (const row of controlled) {
    document.querySelector(`label[for="${row.page.id}"]`).textContent = row.page.label;
    if (row.kind === 'bool') control(row).checked = row.default === 'true';
    else control(row).value = row.default;
  }
}

/** The controls' values by flag. */
function controlValues() {
  const values = {};
  for (const row of controlled) {
    values[row.flag] = row.kind === 'bool' ? control(row).checked : control(row).value.trim();
  }
  return values;
}

/** The command line's flags for the files: where they are, as dropped, and what they are. */
function fileFlags(ckpt, savedModel, output) {
  const graphPath = pathOf(chosenGraph);
  const where = { output_graph: output, report: 'report.json' };
  if (savedModel) {
    const dir = graphPath.includes('/') ? graphPath.replace(/\/[^/]*$/, '') : '.';
    return { input_saved_model_dir: dir, ...where };
  }
  const checkpointFile = ckpt.v1 ? ckpt.tables.find(Boolean) : ckpt.index;
  const role = graphRole(chosenGraph) === 'meta' ? 'input_meta_graph' : 'input_graph';
  return {
    [role]: graphPath,
    // TF reads graphs as text unless told otherwise; here it is only a hint.
    input_binary: /^binary/.test(graphReports.get(chosenGraph)?.ok?.summary.graph_kind ?? ''),
    input_checkpoint: pathOf(checkpointFile).replace(/[^/]*$/, ckpt.prefix),
    checkpoint_version: ckpt.v1 ? '1' : '2',
    saved_model_tags: undefined,
    ...where,
  };
}

async function freeze(event) {
  event.preventDefault();
  const ckpt = checkpoint();
  const index = checkpointReport(ckpt).ok;
  // A SavedModel without outputs freezes its serving signature's, as the CLI does.
  if (!ui.outputs.value.trim() && graphRole(chosenGraph) !== 'savedModel') {
    say('Type the name of at least one output node.', 'error');
    ui.outputs.focus();
    return;
  }
  const savedModel = graphRole(chosenGraph) === 'savedModel';
  const output = `${savedModel ? 'saved_model' : ckpt.prefix}_frozen.pb`;
  const values = controlValues();
  const verify = values.verify_checksums;
  const request = {
    ...inspectRequest(chosenGraph, ckpt),
    shards: Array.from({ length: index.numShards }, (_, i) => ckpt.shards[i] ?? null),
    options: optionItems(values),
  };
  request.command = cliCommand(OPTIONS, { ...values, ...fileFlags(ckpt, savedModel, output) });
  const token = refreshes;
  freezing = true;
  ui.freeze.disabled = true;
  ui.result.hidden = true;
  say('Freezing…');
  try {
    const result = await run('freeze', { request, verify }, showProgress);
    if (token === refreshes) showResult(result, output);
  } catch (err) {
    say(sentence(err.message), 'error');
  } finally {
    freezing = false;
    // Files that changed meanwhile made this freeze moot: show them instead.
    freezeSaid = token === refreshes;
    ui.progress.hidden = true;
    render();
  }
}

function showProgress({ done, total }) {
  ui.progress.hidden = false;
  ui.progress.max = Math.max(total, 1);
  ui.progress.value = done;
  say(`Checking the weights' checksums: ${formatBytes(done)} of ${formatBytes(total)}.`);
}

function offer(link, blob, name) {
  const url = URL.createObjectURL(blob);
  downloadUrls.push(url);
  link.href = url;
  link.download = name;
  link.textContent = `Download ${name}`;
}

function showResult({ blob, report: done, reportJson }, name) {
  downloadUrls.forEach((url) => URL.revokeObjectURL(url));
  downloadUrls = [];
  offer(ui.download, blob, name);
  offer(ui.downloadReport, new Blob([reportJson], { type: 'application/json' }), 'report.json');
  ui.summary.textContent = summaryText(done);
  $('#result-inputs').textContent = done.inputs.join(', ') || 'none';
  $('#result-outputs').textContent = done.outputs.join(', ');
  $('#frozen tbody').replaceChildren(...frozenRows(done.variables_frozen));
  $('#frozen').hidden = done.variables_frozen.length === 0;
  ui.changes.replaceChildren(...done.changes.map((text) => item(text)));
  $('#changes-box').hidden = done.changes.length === 0;
  ui.warnings.replaceChildren(...done.warnings.map((text) => item(sentence(text))));
  // One box per flag, so a narrow page wraps between flags rather than inside them.
  const args = done.command.split(/ (?=--)/).map((text) => Object.assign(document.createElement('span'), { textContent: text }));
  ui.command.replaceChildren(...args.flatMap((span, i) => (i ? [' ', span] : [span])));
  ui.result.hidden = false;
  const notes = done.warnings.length ? ' Read the notes below it.' : '';
  say(`Done: ${name} is ready to download.${notes}`);
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
  freezeSaid = false;
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
    ui.result.hidden = true;
    choose();
  });
  // The suggestions show which names the field holds; the report follows once it is left.
  ui.outputs.addEventListener('input', () => renderSuggestions(currentReport()?.ok?.suggested_outputs ?? []));
  ui.outputs.addEventListener('change', outputsChanged);
  $('#tags').addEventListener('change', () => {
    // The tags pick which graph of a SavedModel is read: read them again.
    view.graphs.filter((f) => graphRole(f) === 'savedModel').forEach((f) => graphReports.delete(f));
    outputsGraph = null;
    refresh();
  });
  ui.prefixChoice.addEventListener('change', () => {
    chosenPrefix = ui.prefixChoice.value;
    ui.result.hidden = true;
    choose();
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

/** Once visited, the page works offline: sw.js keeps its files (not over file://). */
function keepOffline() {
  if (!/^https?:$/.test(location.protocol) || !('serviceWorker' in navigator)) return;
  // After the page's own loads, so the precaching does not slow the first visit.
  window.addEventListener('load', () => {
    const register = navigator.serviceWorker.register('sw.js', { scope: './' });
    register.catch((err) => console.warn(`No offline use: ${err.message}`));
  });
}

startWorker((message) => say(message, 'error'));
setUpControls();
wire();
keepOffline();
