// Showing the core's reports: the `--inspect` report after a drop, the
// `--report` of a freeze, and the freeze_graph command that does the same.
import { formatBytes } from './files.js';

// Lists longer than this are cut, with a note of how many are left out.
export const MAX_ROWS = 500;
const MAX_SUGGESTIONS = 30;

/** A core message as a sentence: a full stop, and a capital unless it starts with a name. */
export function sentence(text) {
  const s = /^[a-z]+ /.test(text) ? text.charAt(0).toUpperCase() + text.slice(1) : text;
  return /[.?!]$/.test(s) ? s : `${s}.`;
}

/** `[?,4]` for the core's `[-1, 4]`; `null` (unknown rank) is any shape. */
export function shapeText(shape) {
  if (shape == null) return 'any shape';
  if (shape.length === 0) return 'scalar';
  return `[${shape.map((d) => (d < 0 ? '?' : d)).join(',')}]`;
}

export const item = (text) => Object.assign(document.createElement('li'), { textContent: text });

function row(cells, classes = []) {
  const tr = document.createElement('tr');
  cells.forEach((text, i) => {
    const td = tr.insertCell();
    td.textContent = text;
    if (classes[i]) td.className = classes[i];
  });
  return tr;
}

/** Table rows for `items`, cut at MAX_ROWS with a last row saying how many more. */
export function rows(items, cells, classes, columns) {
  const trs = items.slice(0, MAX_ROWS).map((x) => row(cells(x), classes));
  if (items.length > MAX_ROWS) {
    const tr = row([`and ${items.length - MAX_ROWS} more`]);
    tr.cells[0].colSpan = columns;
    trs.push(tr);
  }
  return trs;
}

/** The checkpoint's entries: name, type, shape, size and whether the graph reads it. */
export function variableRows(variables) {
  const cells = (v) => [v.name, v.dtype ?? '', shapeText(v.shape), formatBytes(v.bytes), v.used_by_graph ? 'yes' : 'no'];
  return rows(variables, cells, ['', 'nowrap', 'nowrap', 'num', ''], 5);
}

/** The placeholders the outputs need, as one line. */
export function inputsText(inputs) {
  const one = (i) => `${i.name} (${i.dtype ?? 'unknown type'}, ${shapeText(i.shape)}${i.has_default ? ', optional' : ''})`;
  return inputs.map(one).join(', ') || 'none';
}

/** The names in a comma-separated field. */
export const names = (text) => text.split(',').map((s) => s.trim()).filter(Boolean);

/**
 * One item per suggested output: a button that adds the name to the outputs
 * field or takes it out (`toggle(name)`), and why it is suggested.
 */
export function suggestionItems(suggestions, chosen, toggle) {
  const items = suggestions.slice(0, MAX_SUGGESTIONS).map((s) => {
    const li = document.createElement('li');
    const button = Object.assign(document.createElement('button'), { type: 'button', textContent: s.name });
    button.className = 'suggestion';
    button.setAttribute('aria-pressed', String(chosen.includes(s.name)));
    button.addEventListener('click', () => toggle(s.name));
    const what = [s.op, s.dtype, s.shape && shapeText(s.shape)].filter(Boolean).join(', ');
    const why = Object.assign(document.createElement('span'), { textContent: ` ${what}: ${s.reason}` });
    li.append(button, why);
    return li;
  });
  if (suggestions.length > MAX_SUGGESTIONS) items.push(item(`and ${suggestions.length - MAX_SUGGESTIONS} more`));
  return items;
}

/** The report's problems (missing variables, mismatches, unused entries…) as sentences. */
export const problemItems = (problems) => problems.map((p) => item(sentence(p.message)));

/** What a freeze did (the core's `--report`), one sentence. */
export function summaryText(report) {
  const removed = report.nodes_removed ? ` (${report.nodes_removed} left out)` : '';
  return (
    `${report.variables_frozen.length} variables frozen, ${report.nodes_kept} nodes kept${removed}, ` +
    `${formatBytes(report.output_bytes)}.`
  );
}

/** The variables frozen, with the checkpoint key when it is not the name. */
export function frozenRows(frozen) {
  const name = (v) => (v.key && v.key !== v.name ? `${v.name} (from ${v.key})` : v.name);
  return rows(frozen, (v) => [name(v), v.dtype, shapeText(v.shape), formatBytes(v.bytes)], ['', 'nowrap', 'nowrap', 'num'], 4);
}

/** Quotes one argument for a POSIX shell, as freeze_graph's `--report` does. */
function quote(arg) {
  return /^[A-Za-z0-9\-_=./:,@+]+$/.test(arg) ? arg : `'${arg.replaceAll("'", "'\\''")}'`;
}

/**
 * The freeze_graph command line that freezes the same files with the same
 * options. `request` is what the worker gets; `files` has the paths of the
 * graph and checkpoint as dropped, whether the graph is binary, whether the
 * checkpoint is V1, and the names of the two downloads.
 */
export function cliCommand(request, { graphPath, checkpointPath, binary, v1, verify, output, report }) {
  const flags = [];
  const add = (flag, value, when = true) => when && flags.push(value === true ? `--${flag}` : `--${flag}=${value}`);
  const savedModel = request.role === 'savedModel';
  if (savedModel) {
    add('input_saved_model_dir', graphPath.includes('/') ? graphPath.replace(/\/[^/]*$/, '') : '.');
    add('saved_model_tags', names(request.tags).join(','), names(request.tags).join(',') !== 'serve');
  } else {
    add(request.role === 'meta' ? 'input_meta_graph' : 'input_graph', graphPath);
    // TF reads graphs as text unless told otherwise; here it is only a hint.
    add('input_binary', 'true', binary);
    add('input_checkpoint', checkpointPath);
    add('checkpoint_version', '1', v1);
  }
  add('output_node_names', names(request.outputNodes).join(','), names(request.outputNodes).length > 0);
  add('output_graph', output);
  add('clear_devices', 'false', !request.clearDevices);
  add('variable_names_whitelist', request.whitelist.trim(), names(request.whitelist).length > 0);
  add('variable_names_denylist', request.denylist.trim(), names(request.denylist).length > 0);
  add('initializer_nodes', request.initializerNodes.trim(), names(request.initializerNodes).length > 0);
  add('verify_checksums', 'false', !verify);
  add('fix_ref_ops', true, request.fixRefOps);
  add('placeholder_to_const', request.placeholderToConst.trim(), request.placeholderToConst.trim() !== '');
  add('strip_training_nodes', true, request.stripTrainingNodes);
  add('input_queue_placeholder', request.inputPlaceholder.trim(), request.inputPlaceholder.trim() !== '');
  add('use_moving_averages', true, request.useMovingAverages);
  add('allow_over_2gb', true, request.allowOver2gb);
  add('report', report);
  return ['freeze_graph', ...flags.map(quote)].join(' ');
}
