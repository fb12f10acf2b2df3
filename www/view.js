// Drawing the page from the state (state.js): every part can be drawn again
// at any time, and shows only what the store and the core's answers hold.
import {
  checkpoint,
  checkpointReport,
  currentReport,
  diagnosis,
  roleOf,
} from './state.js';
import {
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

const plural = (n, word) => `${n} ${word}${n === 1 ? '' : 's'}`;

function fillSelect(select, items, chosen, label) {
  select.replaceChildren(...items.map((it) => new Option(label(it), label(it), false, it === chosen)));
  select.disabled = items.length < 2;
  if (!items.length) select.replaceChildren(new Option('none yet'));
}

/**
 * The page's elements and the functions that draw them; `toggleOutput(name)`
 * is what a suggestion's button does.
 */
export function createView({ toggleOutput }) {
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
    command: $('#command'),
    clear: $('#clear'),
    choose: $('#choose'),
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
    fillSelect(ui.graphChoice, store.sorted.graphs, store.graph, (f) => f.name);
    ui.graphInfo.textContent = found ? `${found.summary.graph_kind}, ${found.summary.nodes} nodes` : '';
    fillSelect(ui.prefixChoice, store.sorted.prefixes, ckpt, (c) => c.prefix);
    // While a new diagnosis comes, the last one's count.
    const absent = index && !ckpt.v1 ? (diagnosis(store) ?? store.diagnosis).missing.length : 0;
    const lacking = absent ? `, ${absent} missing` : '';
    const where = ckpt?.v1 ? `a V1 checkpoint of ${plural(ckpt.tableCount, 'file')}` : plural(index?.numShards, 'data file');
    ui.prefixInfo.textContent = index ? `${plural(index.tensors, 'tensor')} in ${where}${lacking}` : '';
    ui.inputs.textContent = found ? inputsText(found.inputs) : '';
    const variables = found?.variables ?? [];
    ui.variables.replaceChildren(...variableRows(variables));
    $('#variables').hidden = variables.length === 0;
    renderSuggestions(store);
    const noted = reportProblems(store);
    ui.problems.replaceChildren(...problemItems(noted));
    $('#problems-box').hidden = noted.length === 0;
  }

  /** The report's problems (those of the outputs against the checkpoint), once there is a checkpoint. */
  const reportProblems = (store) => (store.prefix && currentReport(store)?.ok?.problems) || [];

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
    $('#tags-field').hidden = !store.graph || roleOf(store, store.graph) !== 'savedModel';
    ui.freeze.disabled = store.freezing || !diagnosed || diagnosed.problems.length > 0;
    renderProgress(store);
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
    const noted = reportProblems(store).length;
    if (stops.length) say(stops.join(' '), 'error');
    else if (found) {
      const also = noted ? ` ${noted === 1 ? 'One problem is' : `${noted} problems are`} listed below them.` : '';
      say(`Found ${found.summary.variables} variables.${also} Check the output nodes, then press Freeze.`);
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
    offer(ui.download, outcome.model);
    offer(ui.downloadReport, outcome.json);
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
  }

  /** The whole page. */
  function render(store) {
    renderFound(store);
    renderForm(store);
    renderResult(store);
    renderStatus(store);
  }

  /** Labels and defaults of the controls, from the core's option table. */
  function setUpControls(rows) {
    for (const row of rows) {
      $(`label[for="${row.page.id}"]`).textContent = row.page.label;
      const control = document.getElementById(row.page.id);
      if (row.kind === 'bool') control.checked = row.default === 'true';
      else control.value = row.default;
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
    setUpControls,
    controlValues,
  };
}
