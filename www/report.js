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
 * options: `table` is the core's option table, `values` the options by flag
 * (booleans as booleans, the rest as text). Flags come in the table's order;
 * those at their default, empty or undefined are left out.
 */
export function cliCommand(table, values) {
  const flags = table.flatMap((row) => {
    const value = argument(row, values[row.flag]);
    if (value === null) return [];
    return [value === true ? `--${row.flag}` : `--${row.flag}=${value}`];
  });
  return ['freeze_graph', ...flags.map(quote)].join(' ');
}

/** One flag's value as typed, `true` for a bare switch, `null` when it is left out. */
function argument(row, value) {
  if (value === undefined || value === null) return null;
  if (row.kind === 'bool') {
    if (String(value) === row.default) return null;
    // TF's own flags keep the `--flag=true` its documentation shows; ours are switches.
    return value === true && !row.inTf ? true : String(value);
  }
  const text = row.kind === 'list' ? names(String(value)).join(',') : String(value).trim();
  return text === '' || text === row.default ? null : text;
}
