// Hints that lead to their control: a message naming a control by its label
// in quotes gets a button that opens the panel holding it and puts the focus
// there; and what the page already knows will stop a freeze, in one sentence.
import { names, problemGroups, sentence } from './report.js';

/** Control id: its label, for the option table's controls (filled by view.js) and the file choices. */
export const labels = { 'prefix-choice': 'Checkpoint', 'graph-choice': 'Graph', choose: 'Choose files' };

/** Opens the panels around a control, scrolls to it and focuses it. */
export function reveal(id) {
  const control = document.getElementById(id);
  if (!control) return;
  for (let el = control.parentElement; el; el = el.parentElement) if (el.tagName === 'DETAILS') el.open = true;
  control.scrollIntoView({ block: 'center' });
  control.focus();
}

/** One button per control that `text` names in quotes (and for `control`, if given). */
export function controlLinks(text, control) {
  const ids = Object.keys(labels).filter((id) => text.includes(`“${labels[id]}”`));
  if (control && !ids.includes(control)) ids.unshift(control);
  return ids.map((id) => {
    const button = Object.assign(document.createElement('button'), { type: 'button', className: 'fix' });
    button.textContent = `Go to “${labels[id]}”`;
    button.dataset.control = id;
    button.addEventListener('click', () => reveal(id));
    return button;
  });
}

/**
 * What stops the freeze before it starts, `{text, control}`, else null: the
 * core's diagnosis of the files, or variables the outputs need that the
 * checkpoint lacks and that the options (`values`, by flag) do not keep as
 * variables. `needed` counts the variables the outputs need; `choices` as
 * report.js problemGroups takes them.
 */
export function blocker(diagnosed, problems, needed, values, choices) {
  if (diagnosed.problems.length) {
    return { text: diagnosed.problems.map((p) => sentence(p.message)).join(' ') };
  }
  const kept = new Set(names(values.variable_names_denylist ?? ''));
  const only = names(values.variable_names_whitelist ?? '');
  const frozen = (name) => !kept.has(name) && (only.length === 0 || only.includes(name));
  // A problem an option settles (`fix`, a flag) stops nothing once that option is on.
  const settled = (p) => p.fix && values[p.fix] === true;
  const missing = problems.filter((p) => p.kind === 'missing_variable' && frozen(p.name) && !settled(p));
  if (missing.length === 0) return null;
  const [group] = problemGroups(missing, needed, labels, choices);
  return { text: group.text, control: group.control };
}
