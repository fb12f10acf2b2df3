// The page's wiring: each event changes the state (state.js), asks the worker
// what the core makes of it (bridge.js), and draws the page again (view.js).
import { verify } from './checksums.js';
import { filesFromDirectory, filesFromDrop } from './files.js';
import { OPTIONS, PRESETS } from './options.js';
import { names, sentence } from './report.js';
import { cancel, pool, run, settle, startWorker } from './bridge.js';
import * as state from './state.js';
import { createView } from './view.js';

const store = state.createStore();
const view = createView({ toggleOutput, pickMatch, fixOutput, chooseOutputs });
const { ui } = view;
const draw = () => view.render(store);
// The rows of the core's option table that have a control on the page.
const CONTROLLED = OPTIONS.filter((row) => row.page);

// ---- Reading the files --------------------------------------------------------

/** Asks the core what the files are and what they hold, then picks and reports. */
async function refresh() {
  const mine = state.beginRefresh(store);
  view.renderStatus(store);
  const fresh = state.undetected(store);
  if (fresh.length) {
    const learnt = await settle(run('detect', { files: fresh }));
    if (learnt.error) {
      state.notify(store, sentence(learnt.error), 'error', learnt.kind);
      view.renderStatus(store);
      return;
    }
    state.learnDetected(store, fresh, learnt.ok);
  }
  state.sortFiles(store);
  for (const file of state.unsniffedTables(store)) {
    state.learnV1Table(store, file, (await settle(run('sniff', { file }))).ok === true);
  }
  state.sortFiles(store);
  for (const file of state.unreadTagSets(store)) {
    const sets = await settle(run('tagSets', { file }));
    state.learnTagSets(store, file, sets.ok);
  }
  for (const file of store.sorted.graphs) {
    if (store.reports.graphs.has(file)) continue;
    const request = state.inspectRequest(store, file);
    state.keepGraphReport(store, file, await settle(run('inspect', { request })));
  }
  for (const ckpt of state.unreadCheckpoints(store)) {
    const files = ckpt.v1 ? ckpt.tables.filter(Boolean) : [ckpt.index];
    state.keepCheckpointReport(store, ckpt, await settle(run('inspectCheckpoint', { files })));
  }
  // Which graph goes with which checkpoint: the core reads each pair together.
  for (const [graph, ckpt] of state.unreadPairs(store)) {
    const request = state.inspectRequest(store, graph, ckpt);
    state.keepPairReport(store, graph, ckpt, await settle(run('inspect', { request })));
  }
  if (!state.isCurrentRefresh(store, mine)) return;
  state.chooseDefaults(store);
  await choose();
}

/** After the graph or checkpoint changed: the outputs, the core's diagnosis and report, then the page. */
async function choose() {
  // A new graph's outputs come from the report on it with its checkpoint, so
  // nothing that needs a variable the checkpoint lacks is pre-filled.
  if (state.needsPrefill(store) && store.prefix) await updateReport('');
  state.prefillOutputs(store);
  lookAt(names(store.outputs).at(-1));
  // Both come before anything is shown, so the page does not jump.
  await diagnose();
  await updateReport();
  draw();
}

/** Asks the core what stops a freeze of the chosen files. */
async function diagnose() {
  const described = state.dropped(store);
  const key = JSON.stringify(described);
  if (store.diagnosis.key === key) return;
  const mine = state.beginDiagnosis(store);
  const ask = () => settle(run('diagnose', { dropped: described }));
  // A worker that died meanwhile is restarted by the bridge: ask the new one once.
  let answer = await ask();
  if (answer.error) answer = await ask();
  const failed = { problems: [{ kind: 'failed', message: answer.error }], missing: [] };
  state.keepDiagnosis(store, mine, key, answer.ok ?? failed);
}

/** Asks the core for its report on the chosen graph, checkpoint and outputs, and shows it. */
async function updateReport(outputs = state.outputNames(store)) {
  const base = state.reportBase(store);
  const { chosen } = store.reports;
  if (base === chosen.base && outputs === chosen.outputs) return;
  const mine = state.beginReport(store);
  const request = state.inspectRequest(store, store.graph, state.checkpoint(store), outputs);
  const result = base ? await settle(run('inspect', { request })) : null;
  state.keepReport(store, mine, { base, outputs, result });
  draw();
}

function addFiles(added, options) {
  state.addFiles(store, added, options);
  draw();
  return refresh();
}

// ---- The outputs ----------------------------------------------------------------

/** Adds a suggested output to the outputs field, or takes it out. */
function toggleOutput(name) {
  const chosen = names(store.outputs);
  outputsChanged((chosen.includes(name) ? chosen.filter((n) => n !== name) : [...chosen, name]).join(','));
}

function outputsChanged(text) {
  state.setOutputs(store, text, { committed: true });
  draw();
  updateReport();
}

/** What the output field's questions to the core need: the graph file and its tag set. */
const fieldRequest = () => ({ file: store.graph, options: state.inspectRequest(store, store.graph).options });

// Answers to keys typed since are dropped: only the newest question counts.
let typed = 0;

/** The type-ahead: nodes whose names hold the name being typed. */
async function searchNodes() {
  const mine = ++typed;
  const query = state.typedName(store);
  const found = query && store.graph ? await settle(run('graphNodes', { ...fieldRequest(), query, limit: 20 })) : null;
  if (mine !== typed) return;
  state.showMatches(store, query, found?.ok);
  view.renderField(store);
}

/** A type-ahead option: it replaces the name being typed, and is looked at. */
function pickMatch(name) {
  state.pickMatch(store, name);
  ui.outputs.value = store.outputs;
  ui.outputs.focus();
  lookAt(name);
  outputsChanged(store.outputs);
}

/** A "did you mean" button: the name replaces the unknown one. */
function fixOutput(given, name) {
  state.replaceOutput(store, given, name);
  outputsChanged(store.outputs);
  ui.outputs.focus();
  lookAt(name);
  checkOutputs();
}

/** A whole choice (a signature, a head) becomes the field. */
function chooseOutputs(chosen) {
  outputsChanged(chosen.join(','));
  lookAt(chosen.at(-1));
}

/** When the field is left, its names are checked: each unknown one gets its nearest names. */
async function checkOutputs() {
  const text = store.outputs;
  const given = names(text);
  if (!store.graph || !given.length) return;
  const answer = await settle(run('checkOutputs', { ...fieldRequest(), names: given }));
  if (!answer.ok || text !== store.outputs) return;
  state.keepCheck(store, text, answer.ok);
  view.renderField(store);
}

let looked = 0;

/** Shows what `name` is computed from and what reads it, before it is chosen. */
async function lookAt(name) {
  if (!name || !store.graph || store.near?.name === name) return;
  const mine = ++looked;
  state.keepNeighbourhood(store, name, null);
  view.renderField(store);
  const result = await settle(run('nodeNeighbourhood', { ...fieldRequest(), name, depth: 4 }));
  if (mine !== looked) return;
  state.keepNeighbourhood(store, name, result);
  view.renderField(store);
}

/** Keys the type-ahead takes while its list is open; the rest type. */
function fieldKeys(event) {
  const open = store.matches?.nodes.length;
  if (!open) return;
  if (event.key === 'ArrowDown' || event.key === 'ArrowUp') {
    event.preventDefault();
    state.moveMatch(store, event.key === 'ArrowDown' ? 1 : -1);
    view.renderField(store);
    const active = store.matches.nodes[store.matches.active];
    if (active) lookAt(active.name);
  } else if (event.key === 'Enter' && store.matches.active >= 0) {
    // Enter picks the highlighted node instead of submitting the form.
    event.preventDefault();
    pickMatch(store.matches.nodes[store.matches.active].name);
  } else if (event.key === 'Escape') {
    event.preventDefault();
    state.showMatches(store, '', null);
    view.renderField(store);
  }
}

// ---- Freezing -------------------------------------------------------------------

async function freeze(event) {
  event.preventDefault();
  // A SavedModel without outputs freezes its serving signature's, as the CLI does.
  if (!store.outputs.trim() && state.roleOf(store, store.graph) !== 'savedModel') {
    state.failFreeze(store, `Type the name of at least one output node in “${ui.outputs.labels[0].textContent}”.`, 'usage');
    draw();
    ui.outcome.focus();
    return;
  }
  const values = view.controlValues(CONTROLLED);
  const mine = state.startFreeze(store);
  draw();
  const progress = (p) => {
    state.freezeProgress(store, p);
    view.renderProgress(store);
  };
  try {
    const model = await run('modelName', { paths: state.modelPaths(store) });
    const { request, names: made, task } = state.freezeRequest(store, values, OPTIONS, model, PRESETS);
    const result = await run(task, { request }, progress);
    // The checksums are shared out over several workers (checksums.js).
    if (values.verify_checksums) await verify(result.checks, request.shards, pool(), progress);
    if (state.isCurrentRefresh(store, mine)) state.keepOutcome(store, result, made);
  } catch (err) {
    const cancelled = err.kind === 'cancelled';
    const text = cancelled ? 'Cancelled: nothing was frozen. Press Freeze to start again.' : sentence(err.message);
    state.failFreeze(store, text, err.kind);
  } finally {
    // Files that changed meanwhile made this freeze moot: show them instead.
    state.endFreeze(store, mine);
    draw();
  }
  // The outcome is right under the button: the focus goes there.
  if (store.outcome) (store.outcome.model ? ui.download : ui.saveFolder).focus();
  else if (store.failure) ui.outcome.focus();
}

/** Stops the freeze under way; the freeze's end says so under the button. */
const cancelFreeze = () => cancel();

/**
 * Writes the TF.js model's files into a folder the user picks (where the
 * browser has `showDirectoryPicker`). As on the command line, only a new or
 * empty folder: nothing of the user's is overwritten, and what a failed save
 * wrote is removed.
 */
async function saveToFolder() {
  const { files } = store.outcome?.tfjs ?? {};
  if (!files) return;
  let dir;
  try {
    dir = await window.showDirectoryPicker({ id: 'tf-freeze-model', mode: 'readwrite' });
  } catch (err) {
    if (err.name !== 'AbortError') state.failSave(store, `The folder could not be opened (${err.message}).`);
    return draw();
  }
  if (!(await dir.keys().next()).done) {
    state.failSave(store, `The folder “${dir.name}” is not empty: press “Save to a folder…” again and choose a new or empty one.`);
    return draw();
  }
  const written = [];
  try {
    for (const { name, blob } of files) {
      const handle = await dir.getFileHandle(name, { create: true });
      written.push(name);
      await blob.stream().pipeTo(await handle.createWritable());
    }
    state.savedToFolder(store, dir.name, files.length - 1);
  } catch (err) {
    await Promise.allSettled(written.map((name) => dir.removeEntry(name)));
    state.failSave(store, `The model could not be written to “${dir.name}” (${err.message}); nothing was left there.`);
  }
  draw();
}

// ---- Choosing a folder ------------------------------------------------------------

/**
 * The browser's folder picker where it has one, which reads the folder
 * without the "upload" prompt of a folder `<input>`; that input elsewhere.
 */
async function chooseFolder() {
  if (!window.showDirectoryPicker) return document.querySelector('#folder').click();
  let handle;
  try {
    handle = await window.showDirectoryPicker({ id: 'tf-freeze', mode: 'read' });
  } catch (err) {
    if (err.name === 'AbortError') return;
    throw err;
  }
  addFiles(await filesFromDirectory(handle));
}

// ---- Wiring ---------------------------------------------------------------------

async function loadSample() {
  state.notify(store, 'Loading the sample…');
  view.renderStatus(store);
  try {
    const sample = await (await fetch('sample/sample.json')).json();
    const loaded = await Promise.all(
      sample.files.map(async (name) => {
        const response = await fetch(`sample/${name}`);
        if (!response.ok) throw new Error(`the sample file ${name} could not be loaded (${response.status})`);
        return new File([await response.blob()], name);
      }),
    );
    state.presetOutputs(store, sample.outputNodes);
    await addFiles(loaded, { replace: true });
  } catch (err) {
    state.notify(store, sentence(err.message), 'error');
    view.renderStatus(store);
  }
}

async function startOver() {
  state.clearFiles(store);
  ui.choose.focus();
  await refresh();
  state.notify(store, 'Cleared. Drop or choose new files.');
  draw();
}

function wire() {
  const chooser = (button, input) => {
    document.querySelector(button).addEventListener('click', () => document.querySelector(input).click());
    document.querySelector(input).addEventListener('change', (event) => {
      addFiles([...event.target.files]);
      event.target.value = '';
    });
  };
  chooser('#choose', '#files');
  document.querySelector('#folder').addEventListener('change', (event) => {
    addFiles([...event.target.files]);
    event.target.value = '';
  });
  document.querySelector('#choose-folder').addEventListener('click', () =>
    chooseFolder().catch((err) => {
      state.notify(store, sentence(err.message), 'error');
      view.renderStatus(store);
    }),
  );
  // Without a folder picker, the browser's prompt says "upload": say it is not.
  document.querySelector('#folder-note').hidden = Boolean(window.showDirectoryPicker);
  ui.cancel.addEventListener('click', cancelFreeze);
  // Keeping variables may lift what stops the freeze.
  for (const id of ['#whitelist', '#denylist']) document.querySelector(id).addEventListener('input', () => view.renderForm(store));
  // Options that settle a problem the core names (its `fix`) change whether Freeze can run.
  document.querySelector('#initialize-missing').addEventListener('change', () => view.renderForm(store));
  const target = document.querySelector('#target');
  let chosen = target.value;
  target.addEventListener('change', () => {
    view.applyPreset(CONTROLLED, PRESETS[chosen] ?? {}, PRESETS[target.value] ?? {});
    chosen = target.value;
  });
  document.querySelector('#sample').addEventListener('click', loadSample);
  ui.clear.addEventListener('click', startOver);
  ui.form.addEventListener('submit', freeze);
  ui.saveFolder.addEventListener('click', saveToFolder);
  // A TF.js model is for TF.js: its target, unless another was chosen (as on the command line).
  ui.outputFormat.addEventListener('change', () => {
    if (ui.outputFormat.value === 'tfjs_graph_model' && target.value === 'tf') {
      target.value = 'tfjs';
      target.dispatchEvent(new Event('change'));
    }
    draw();
  });
  ui.graphChoice.addEventListener('change', () => {
    state.chooseGraph(store, ui.graphChoice.value);
    choose();
  });
  ui.prefixChoice.addEventListener('change', () => {
    state.choosePrefix(store, ui.prefixChoice.value);
    choose();
  });
  // The suggestions show which names the field holds; the report follows once it is left.
  ui.outputs.addEventListener('input', () => {
    state.setOutputs(store, ui.outputs.value);
    view.renderSuggestions(store);
    searchNodes();
  });
  ui.outputs.addEventListener('keydown', fieldKeys);
  ui.outputs.addEventListener('change', () => outputsChanged(ui.outputs.value));
  ui.outputs.addEventListener('blur', () => {
    typed++;
    state.showMatches(store, '', null);
    view.renderField(store);
    checkOutputs();
  });
  ui.tags.addEventListener('change', () => {
    state.setTags(store, ui.tags.value);
    refresh();
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

startWorker((message) => {
  state.notify(store, message, 'error');
  view.renderStatus(store);
});
view.setUpControls(CONTROLLED);
state.setTags(store, CONTROLLED.find((row) => row.flag === 'saved_model_tags')?.default ?? 'serve');
wire();
keepOffline();
