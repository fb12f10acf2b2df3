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

// The optimizers' slot variables (tf.compat.v1.train's slot names) and their step
// counters: a copy or two of every weight that inference never reads.
const SLOT = /\/(Adam|Adam_\d+|Momentum|RMSProp|RMSProp_\d+|Adagrad|Adadelta|Adadelta_\d+|Ftrl|Ftrl_\d+|ExponentialMovingAverage)$|^beta[12]_power(_\d+)?$|\.OPTIMIZER_SLOT\//;

/** Whether a checkpoint entry is an optimizer's slot that the freeze leaves out (a training graph still reads it). */
export const isOptimizerSlot = (v) => !v.will_freeze && SLOT.test(v.name);

/**
 * The checkpoint's entries: name, type, shape, size and whether the graph
 * reads it; the optimizer's slots folded into one last row.
 */
export function variableRows(variables) {
  const cells = (v) => [v.name, v.dtype ?? '', shapeText(v.shape), formatBytes(v.bytes), v.used_by_graph ? 'yes' : 'no'];
  const slots = variables.filter(isOptimizerSlot);
  const trs = rows(variables.filter((v) => !isOptimizerSlot(v)), cells, ['', 'nowrap', 'nowrap', 'num', ''], 5);
  if (slots.length) {
    const bytes = slots.reduce((sum, v) => sum + v.bytes, 0);
    const used = slots.some((v) => v.used_by_graph) ? 'by training only' : 'no';
    const tr = row([`${slots.length} optimizer slots (training state, not needed to run the model)`, formatBytes(bytes), used], ['', 'num', '']);
    tr.cells[0].colSpan = 3;
    tr.className = 'slots';
    trs.push(tr);
  }
  return trs;
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

/** `'a', 'b' and 3 more`. */
function someNames(problems, shown = 2) {
  const quoted = problems.slice(0, shown).map((p) => `'${p.name}'`);
  const more = problems.length - quoted.length;
  if (more > 0) return `${quoted.join(', ')} and ${more} more`;
  return quoted.length > 1 ? `${quoted.slice(0, -1).join(', ')} and ${quoted.at(-1)}` : quoted[0];
}

const count = (n, one, many) => `${n} ${n === 1 ? one : many}`;

/**
 * The report's problems grouped by kind, one sentence each: `{kind, text,
 * control?}`, `control` the id of the page's control that fixes it. `needed`
 * counts the variables the outputs need (frozen or missing), `labels` maps a
 * control id to its label, `checkpoints` counts the checkpoints to choose from. A kind with one problem keeps the core's sentence.
 */
export function problemGroups(problems, needed, labels, { checkpoints = 1 } = {}) {
  const byKind = Map.groupBy ? Map.groupBy(problems, (p) => p.kind) : groupBy(problems);
  const q = (id) => `“${labels[id]}”`;
  const groups = [];
  const missing = byKind.get('missing_variable') ?? [];
  const foreign = missing.length > 0 && missing.length === needed;
  for (const [kind, list] of byKind) {
    const n = list.length;
    let text = n === 1 ? sentence(list[0].message) : null;
    let control;
    if (kind === 'missing_variable') {
      if (foreign) {
        const none = n === 1 ? 'the one variable the outputs need is not' : `none of the ${n} variables the outputs need is`;
        // With one checkpoint there is nothing to choose: add the right one.
        control = checkpoints > 1 ? 'prefix-choice' : 'choose';
        const fix = checkpoints > 1 ? `choose another ${q(control)}` : `add the checkpoint this graph was saved with (${q(control)})`;
        text = `${sentence(`${none} in the checkpoint: the graph and checkpoint are from different models`).slice(0, -1)}; ${fix}.`;
      } else if (list.every((p) => p.fix === 'initialize_missing')) {
        // A checkpoint saved with only some variables: their initializers are constants.
        text = `${count(n, 'variable', 'variables')} of the ${needed} the outputs need ${n === 1 ? 'is' : 'are'} not in the checkpoint (${someNames(list)}), but ${n === 1 ? 'its initializer is a constant' : 'their initializers are constants'}: ${q('initialize-missing')} freezes ${n === 1 ? 'it' : 'them'} with ${n === 1 ? 'that value' : 'those values'}.`;
        control = 'initialize-missing';
      } else {
        text = `${count(n, 'variable', 'variables')} of the ${needed} the outputs need ${n === 1 ? 'is' : 'are'} not in the checkpoint (${someNames(list)}): keep ${n === 1 ? 'it' : 'them'} as variables with ${q('denylist')}, or choose other ${q('outputs')}.`;
        control = 'denylist';
      }
    } else if (kind === 'unused_entry') {
      // Beside a foreign checkpoint these are the same story, told above.
      if (foreign) continue;
      text ??= `${count(n, 'entry', 'entries')} of the checkpoint (${someNames(list)}) ${n === 1 ? 'is' : 'are'} not restored by any variable of the graph; they are left out.`;
    } else if (kind === 'dtype_mismatch' || kind === 'shape_mismatch') {
      const what = kind === 'dtype_mismatch' ? 'type' : 'shape';
      text ??= `${count(n, 'variable differs', 'variables differ')} in ${what} from ${n === 1 ? 'its' : 'their'} checkpoint entries (${someNames(list)}); choose another ${q('prefix-choice')}.`;
      control = 'prefix-choice';
    } else if (kind === 'input_pipeline') {
      // The core's sentence names another option; this is the control that cuts a queue.
      text = `The outputs read their input from ${n === 1 ? 'an input queue' : 'input queues'} (${someNames(list)}), not from a placeholder, so the frozen graph cannot be fed: name a placeholder in ${q('input-placeholder')} to cut the queue there.`;
      control = 'input-placeholder';
    } else if (kind === 'ref_input') {
      text ??= `${count(n, 'node needs', 'nodes need')} a variable reference (${someNames(list)}): ${q('fix-ref-ops')} rewrites them.`;
      control = 'fix-ref-ops';
    } else {
      text ??= `${count(n, 'problem', 'problems')} of this kind: ${sentence(list[0].message)}`;
    }
    groups.push({ kind, text, control, problems: list });
  }
  return groups;
}

function groupBy(problems) {
  const map = new Map();
  for (const p of problems) map.set(p.kind, [...(map.get(p.kind) ?? []), p]);
  return map;
}

/** What a freeze did (the core's `--report`), one sentence. */
export function summaryText(report) {
  const removed = report.nodes_removed ? ` (${report.nodes_removed} left out)` : '';
  const files = report.output_files ?? [];
  const size = files.length
    ? `${files.length} files of ${formatBytes(files.reduce((sum, f) => sum + f.bytes, 0))}`
    : formatBytes(report.output_bytes);
  return `${report.variables_frozen.length} variables frozen, ${report.nodes_kept} nodes kept${removed}, ${size}.`;
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
 * The freeze commands for the same files and options: `tf`, TensorFlow's
 * `freeze_graph`, when every option given is one TF has (null otherwise),
 * and `ours`, tf-freeze's `freeze_graph`, which also writes the report.
 */
export function commands(table, values, presets = {}) {
  const given = (row) => argument(row, values[row.flag]) !== null;
  const tfOnly = table.every((row) => row.inTf || row.flag === 'report' || !given(row));
  return {
    tf: tfOnly ? cliCommand(table, { ...values, report: undefined }) : null,
    ours: cliCommand(table, values, presets),
  };
}

/**
 * The freeze_graph command line that freezes the same files with the same
 * options: `table` is the core's option table, `values` the options by flag
 * (booleans as booleans, the rest as text). Flags come in the table's order;
 * those at their default, empty or undefined are left out. With `--target`,
 * `presets` (`{target: {flag: value}}`) says what it turns on: a switch the
 * preset sets is left to it, one turned off again is written out.
 */
export function cliCommand(table, values, presets = {}) {
  const preset = presets[values.target] ?? {};
  // A TF.js export's target is tfjs unless given: `tf` must then be written out.
  const explicit = (row) => row.flag === 'target' && values.output_format === 'tfjs_graph_model' && values.target === 'tf';
  const flags = table.flatMap((row) => {
    if (explicit(row)) return ['--target=tf'];
    const value = argument(row, values[row.flag], preset[row.flag]);
    if (value === null) return [];
    return [value === true ? `--${row.flag}` : `--${row.flag}=${value}`];
  });
  return ['freeze_graph', ...flags.map(quote)].join(' ');
}

/**
 * One flag's value as typed, `true` for a bare switch, `null` when it is left
 * out; `implied` is the value a chosen target's preset gives it.
 */
function argument(row, value, implied = undefined) {
  if (value === undefined || value === null) return null;
  if (row.kind === 'bool') {
    if (String(value) === (implied ?? row.default)) return null;
    if (implied !== undefined) return String(value);
    // TF's own flags keep the `--flag=true` its documentation shows; ours are switches.
    return value === true && !row.inTf ? true : String(value);
  }
  const text = row.kind === 'list' ? names(String(value)).join(',') : String(value).trim();
  return text === '' || text === row.default ? null : text;
}
