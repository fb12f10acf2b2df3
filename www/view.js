// Drawing the page from the state (state.js): every part can be drawn again
// at any time, and shows only what the store and the core's answers hold.
import {
  checkpoint,
  checkpointReport,
  currentReport,
  diagnosis,
  roleOf,
  setAside,
  tagSetsOf,
} from './state.js';
import { formatBytes, pathOf } from './files.js';
import {
  frozenRows,
  inputsText,
  isOptimizerSlot,
  item,
  names,
  problemGroups,
  problemItems,
  rows,
  sentence,
  suggestionItems,
  summaryText,
  variableRows,
} from './report.js';
import { blocker, controlLinks, labels } from './hints.js';
import { renderCheck, renderChoices, renderMatches, renderNeighbourhood } from './outputs.js';

// The nodes a target will not load shown on the page; the report has them all.
const LINT_SHOWN = 50;

const plural = (n, word) => `${n} ${word}${n === 1 ? '' : 's'}`;

function fillSelect(select, items, chosen, label, value = label) {
  select.replaceChildren(...items.map((it) => new Option(label(it), value(it), false, it === chosen)));
  select.disabled = items.length < 2;
  if (!items.length) select.replaceChildren(new Option('none yet'));
}

/**
 * The page's elements and the functions that draw them; `toggleOutput(name)`
 * is what a suggestion's button does, `pickMatch(name)` a type-ahead option,
 * `fixOutput(given, name)` a "did you mean" button, `chooseOutputs(names)` a
 * whole choice.
 */
export function createView({ toggleOutput, pickMatch, fixOutput, chooseOutputs }) {
  const $ = (selector) => document.querySelector(selector);
  const ui = {
    status: $('#status'),
    found: $('#found'),
    graphChoice: $('#graph-choice'),
    graphInfo: $('#graph-info'),
    prefixChoice: $('#prefix-choice'),
    prefixInfo: $('#prefix-info'),
    setAside: $('#set-aside'),
    inputs: $('#inputs'),
    variables: $('#variables tbody'),
    checkpointBox: $('#checkpoint-box'),
    cancel: $('#cancel'),
    reason: $('#freeze-reason'),
    outcome: $('#outcome'),
    commands: $('#commands'),
    form: $('#options'),
    outputs: $('#outputs'),
    matches: $('#output-matches'),
    outputsCheck: $('#outputs-check'),
    choicesBox: $('#choices-box'),
    choicesTitle: $('#choices-title'),
    choices: $('#choices'),
    nearBox: $('#near-box'),
    nearTitle: $('#near-title'),
    near: $('#near'),
    tags: $('#tags'),
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
    clear: $('#clear'),
    choose: $('#choose'),
    outputFormat: $('#output-format'),
    tfjsOptions: $('#tfjs-options'),
    saveFolder: $('#save-folder'),
    saveFolderHelp: $('#save-folder-help'),
  };
  // The outcome the result section shows, so it is filled once per freeze.
  let drawnOutcome = null;

  function say(text, kind = 'info', fault = undefined) {
    ui.status.textContent = text;
    // The core error's kind (input, unsupported, usage, limit), for styling.
    ui.status.className = fault ? `${kind} fault-${fault}` : kind;
  }

  /** What was found: the graph, the checkpoint, their report. */
  function renderFound(store) {
    const found = currentReport(store)?.ok;
    const ckpt = checkpoint(store);
    const index = checkpointReport(store, ckpt)?.ok;
    ui.found.hidden = store.files.length === 0;
    ui.clear.hidden = store.files.length === 0;
    // Graphs of the same name in two folders are told by their paths.
    const { graphs } = store.sorted;
    const shared = (f) => graphs.some((g) => g !== f && g.name === f.name);
    fillSelect(ui.graphChoice, graphs, store.graph, (f) => (shared(f) ? pathOf(f) : f.name), pathOf);
    ui.graphInfo.textContent = found ? `${found.summary.graph_kind}, ${found.summary.nodes} nodes` : '';
    fillSelect(ui.prefixChoice, store.sorted.prefixes, ckpt, (c) => c.key);
    const notes = setAside(store);
    ui.setAside.replaceChildren(...notes.map(item));
    ui.setAside.hidden = notes.length === 0;
    // While a new diagnosis comes, the last one's count.
    const absent = index && !ckpt.v1 ? (diagnosis(store) ?? store.diagnosis).missingCount : 0;
    const lacking = absent ? `, ${absent} missing` : '';
    const where = ckpt?.v1 ? `a V1 checkpoint of ${plural(ckpt.tableCount, 'file')}` : plural(index?.numShards, 'data file');
    ui.prefixInfo.textContent = index ? `${plural(index.tensors, 'tensor')} in ${where}${lacking}` : '';
    ui.inputs.textContent = found ? inputsText(found.inputs) : '';
    const variables = found?.variables ?? [];
    ui.variables.replaceChildren(...variableRows(variables));
    ui.checkpointBox.hidden = variables.length === 0;
    const slots = variables.filter(isOptimizerSlot).length;
    const folded = slots ? `, ${slots} of them optimizer slots, folded into one line` : '';
    $('#variables-summary').textContent = `Variables in the checkpoint: ${variables.length}${folded}`;
    fillTags(store);
    renderSuggestions(store);
    renderField(store);
    renderProblems(store);
  }

  /** The output field's helpers (outputs.js). */
  function renderField(store) {
    renderMatches(ui, store, pickMatch);
    renderCheck(ui, store, fixOutput);
    renderChoices(ui, store, chooseOutputs);
    renderNeighbourhood(ui, store);
  }

  /** A SavedModel's tag sets, as a choice of those its file has. */
  function fillTags(store) {
    const savedModel = store.graph && roleOf(store, store.graph) === 'savedModel';
    const sets = savedModel ? tagSetsOf(store, store.graph).map((set) => set.join(',')) : [];
    document.querySelectorAll('.tags-field').forEach((el) => (el.hidden = !savedModel));
    const offered = sets.length ? sets : [store.tags];
    if ([...ui.tags.options].map((o) => o.value).join('|') !== offered.join('|')) {
      ui.tags.replaceChildren(...offered.map((set) => new Option(set || 'no tags', set)));
    }
    ui.tags.value = store.tags;
    ui.tags.disabled = offered.length < 2;
  }

  /** The report's problems grouped by kind, one sentence each; every line behind "Show all". */
  function renderProblems(store) {
    const noted = reportProblems(store);
    const groups = problemGroups(noted, neededCount(store), labels, choices(store));
    ui.problems.replaceChildren(...groups.map((g) => hinted(g.text, g.control)));
    $('#problems-list').replaceChildren(...problemItems(noted));
    $('#problems-count').textContent = `${noted.length} problem lines`;
    $('#problems-all').hidden = noted.length <= groups.length;
    $('#problems-box').hidden = noted.length === 0;
  }

  /** An item saying `text`, with a button to each control it names (or to `control`). */
  function hinted(text, control) {
    const li = item(text);
    li.append(...controlLinks(text, control));
    return li;
  }

  /** The report's problems (those of the outputs against the checkpoint), once there is a checkpoint. */
  const reportProblems = (store) => (store.prefix && currentReport(store)?.ok?.problems) || [];

  const choices = (store) => ({ checkpoints: store.sorted.prefixes.length });

  /** The variables the outputs need: those that freeze, and those the checkpoint lacks. */
  function neededCount(store) {
    const found = currentReport(store)?.ok;
    if (!found) return 0;
    const frozen = found.variables.filter((v) => v.will_freeze).length;
    return frozen + reportProblems(store).filter((p) => p.kind === 'missing_variable').length;
  }

  function renderSuggestions(store) {
    const suggestions = currentReport(store)?.ok?.suggested_outputs ?? [];
    const focused = document.activeElement?.classList.contains('suggestion') ? document.activeElement.textContent : null;
    ui.suggestions.replaceChildren(...suggestionItems(suggestions, names(store.outputs), toggleOutput));
    $('#suggestions-box').hidden = suggestions.length === 0;
    // Re-rendering replaces the buttons: keep the keyboard where it was.
    if (focused) [...ui.suggestions.querySelectorAll('button')].find((b) => b.textContent === focused)?.focus();
  }

  /** The form: shown once the graph is read; Freeze only when the core sees nothing in the way. */
  function renderForm(store) {
    const diagnosed = diagnosis(store);
    ui.form.hidden = !currentReport(store)?.ok;
    // Set only when it differs, so the caret stays where the user left it.
    if (ui.outputs.value !== store.outputs) ui.outputs.value = store.outputs;
    // What the page already knows will stop the freeze, said beside the button.
    const stop = diagnosed && blocker(diagnosed, reportProblems(store), neededCount(store), controlValues(controlRows), choices(store));
    ui.freeze.disabled = store.freezing || !diagnosed || Boolean(stop);
    ui.cancel.hidden = !store.freezing;
    ui.tfjsOptions.hidden = ui.outputFormat.value !== 'tfjs_graph_model';
    ui.reason.replaceChildren(...(stop && !store.freezing ? [stop.text, ...controlLinks(stop.text, stop.control)] : []));
    renderOutcome(store);
    renderProgress(store);
  }

  /** Why the last freeze did not happen, under the Freeze button. */
  function renderOutcome(store) {
    const { failure } = store;
    ui.outcome.hidden = !failure;
    ui.outcome.className = failure ? `${failure.fault === 'cancelled' ? 'info' : 'error'} fault-${failure.fault ?? 'input'}` : '';
    if (failure && ui.outcome.dataset.text !== failure.text) {
      ui.outcome.dataset.text = failure.text;
      ui.outcome.replaceChildren(Object.assign(document.createElement('p'), { textContent: failure.text }), ...controlLinks(failure.text));
    }
    if (!failure) delete ui.outcome.dataset.text;
  }

  function renderProgress(store) {
    ui.progress.hidden = !store.progress;
    if (store.progress) {
      ui.progress.max = Math.max(store.progress.total, 1);
      ui.progress.value = store.progress.done;
    }
  }

  /**
   * The status line: a notice while it holds, else the core's diagnosis (or,
   * with nothing in the way, what was found). While the diagnosis is being
   * asked for, what is said stays.
   */
  function renderStatus(store) {
    if (store.notice) say(store.notice.text, store.notice.kind, store.notice.fault);
    // A freeze keeps the line for its own progress and outcome.
    if (store.notice || store.freezing) return;
    const diagnosed = diagnosis(store);
    if (!diagnosed) return;
    const stops = diagnosed.problems.map((p) => sentence(p.message));
    const found = currentReport(store)?.ok;
    const noted = problemGroups(reportProblems(store), neededCount(store), labels, choices(store)).length;
    if (stops.length) say(stops.join(' '), 'error');
    else if (found) {
      const also = noted ? ` ${noted === 1 ? 'One problem is' : `${noted} problems are`} listed with the output nodes.` : '';
      const next = ui.freeze.disabled ? 'Freeze waits for what is said beside it.' : 'Check the output nodes, then press Freeze.';
      say(`Found ${found.summary.variables} variables.${also} ${next}`);
    } else say('');
    // The ignored files (the `checkpoint` state file, a fingerprint) are expected beside a model: not worth a mention.
    const { unknown } = store.sorted;
    if (unknown.length && !stops.length) ui.status.append(` Not used: ${unknown.map((f) => f.name).join(', ')}.`);
  }

  function offer(link, { url, name }) {
    link.href = url;
    link.download = name;
    link.textContent = `Download ${name}`;
  }

  /** What the last freeze made, once per freeze. */
  function renderResult(store) {
    const { outcome } = store;
    ui.result.hidden = !outcome;
    if (!outcome || outcome === drawnOutcome) return;
    drawnOutcome = outcome;
    const done = outcome.report;
    ui.download.hidden = !outcome.model;
    if (outcome.model) offer(ui.download, outcome.model);
    offer(ui.downloadReport, outcome.json);
    ui.summary.textContent = summaryText(done);
    $('#result-inputs').textContent = done.inputs.join(', ') || 'none';
    $('#result-outputs').textContent = done.outputs.join(', ');
    $('#frozen tbody').replaceChildren(...frozenRows(done.variables_frozen));
    $('#frozen-count').textContent = `(${done.variables_frozen.length})`;
    $('#frozen-box').hidden = done.variables_frozen.length === 0;
    ui.changes.replaceChildren(...done.changes.map((text) => item(text)));
    $('#changes-box').hidden = done.changes.length === 0;
    ui.warnings.replaceChildren(...done.warnings.map((text) => hinted(sentence(text))));
    renderLint(done.target_lint);
    ui.commands.replaceChildren(...commandBlocks(outcome.commands));
    const files = done.output_files ?? [];
    $('#output-files tbody').replaceChildren(...rows(files, (f) => [f.name, formatBytes(f.bytes)], ['', 'num'], 2));
    $('#files-box').hidden = files.length === 0;
    // Only where the browser can write into a folder the user picks.
    const canSave = Boolean(outcome.tfjs && window.showDirectoryPicker);
    ui.saveFolder.hidden = !canSave;
    ui.saveFolderHelp.hidden = !canSave;
  }

  /**
   * With a target: the nodes it will not load, one a line, shown above the
   * download so they are read before it (the graph is written all the same).
   */
  function renderLint(lint) {
    $('#lint-box').hidden = !lint;
    if (!lint) return;
    const { target, unsupported } = lint;
    const n = unsupported.length;
    $('#lint-title').textContent = n
      ? `${n} ${n === 1 ? 'node' : 'nodes'} with ops ${target} does not support`
      : `Every node is an op ${target} supports`;
    const shown = unsupported.slice(0, LINT_SHOWN).map(({ node, op }) => item(`${node} (${op})`));
    if (n > LINT_SHOWN) shown.push(item(`… and ${n - LINT_SHOWN} more, all listed in the report`));
    $('#lint').replaceChildren(...shown);
  }

  /** The same freeze on the command line: TF's when it can, and ours, each with a Copy button. */
  function commandBlocks({ tf, ours }) {
    const block = (id, title, text) => {
      const div = document.createElement('div');
      div.className = 'command';
      const p = Object.assign(document.createElement('p'), { id: `${id}-title` });
      p.append(...title);
      // One box per flag, so a narrow page wraps between flags rather than inside them.
      const pre = Object.assign(document.createElement('pre'), { id, tabIndex: 0 });
      pre.setAttribute('aria-labelledby', p.id);
      const args = text.split(/ (?=--)/).map((arg) => Object.assign(document.createElement('span'), { textContent: arg }));
      pre.append(...args.flatMap((span, i) => (i ? [' ', span] : [span])));
      const copy = Object.assign(document.createElement('button'), { type: 'button', textContent: 'Copy', className: 'copy' });
      copy.id = `${id}-copy`;
      copy.setAttribute('aria-describedby', p.id);
      copy.addEventListener('click', () => copyText(copy, text));
      div.append(p, pre, copy);
      return div;
    };
    const code = (text) => Object.assign(document.createElement('code'), { textContent: text });
    const blocks = [];
    if (tf) blocks.push(block('tf-command', ['The same freeze with TensorFlow\'s ', code('freeze_graph'), ':'], tf));
    const why = tf ? ' (it also writes the report)' : ' (it needs options TensorFlow\'s lacks)';
    blocks.push(block('command', ['With tf-freeze\'s ', code('freeze_graph'), `${why}:`], ours));
    return blocks;
  }

  async function copyText(button, text) {
    try {
      await navigator.clipboard.writeText(text);
      button.textContent = 'Copied';
    } catch {
      button.textContent = 'Select and copy it';
    }
    setTimeout(() => (button.textContent = 'Copy'), 2000);
  }

  /** The whole page. */
  function render(store) {
    renderFound(store);
    renderForm(store);
    renderResult(store);
    renderStatus(store);
  }

  let controlRows = [];

  /** Labels and defaults of the controls, from the core's option table. */
  function setUpControls(rows) {
    controlRows = rows;
    for (const row of rows) {
      labels[row.page.id] = row.page.label;
      $(`label[for="${row.page.id}"]`).textContent = row.page.label;
      const control = document.getElementById(row.page.id);
      if (row.kind === 'bool') control.checked = row.default === 'true';
      // A select the page fills itself (the tag sets) starts with the default alone.
      else if (control.tagName === 'SELECT' && !control.options.length) control.replaceChildren(new Option(row.default, row.default));
      else control.value = row.default;
    }
  }

  /**
   * A target chosen: the controls of its preset (`next`, `{flag: value}`) take
   * the preset's values, those only the previous target's preset (`old`) set
   * go back to their defaults. Each can be changed again before freezing.
   */
  function applyPreset(rows, old, next) {
    for (const row of rows) {
      if (!(row.flag in old) && !(row.flag in next)) continue;
      const value = next[row.flag] ?? row.default;
      const control = document.getElementById(row.page.id);
      if (row.kind === 'bool') control.checked = value === 'true';
      else control.value = value;
    }
  }

  /** The controls' values by flag. */
  function controlValues(rows) {
    const values = {};
    for (const row of rows) {
      const control = document.getElementById(row.page.id);
      values[row.flag] = row.kind === 'bool' ? control.checked : control.value.trim();
    }
    return values;
  }

  return {
    ui,
    render,
    renderStatus,
    renderProgress: (store) => {
      renderProgress(store);
      renderStatus(store);
    },
    renderSuggestions,
    renderField,
    renderForm,
    setUpControls,
    applyPreset,
    controlValues,
  };
}
