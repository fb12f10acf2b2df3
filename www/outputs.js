// Drawing the output field's helpers from the state: the type-ahead list (an
// ARIA combobox: the field keeps the focus, the highlighted option is its
// aria-activedescendant), the "did you mean" buttons after the field is left,
// the whole choices (a SavedModel's signatures, a model's heads), and the
// neighbourhood of the node being looked at, to tell logits from a loss.
import { outputChoices } from './state.js';
import { names, shapeText } from './report.js';

const el = (tag, props = {}, ...children) => {
  const node = Object.assign(document.createElement(tag), props);
  node.append(...children);
  return node;
};

/** `MatMul, float32, [2, 3]`: what a node computes, as the lists show it. */
export const nodeFacts = (n) => [n.op, n.dtype, n.shape && shapeText(n.shape)].filter(Boolean).join(', ');

/** The type-ahead's options; `pick(name)` is what choosing one does. */
export function renderMatches(ui, store, pick) {
  const m = store.matches;
  const open = Boolean(m?.nodes.length);
  ui.outputs.setAttribute('aria-expanded', String(open));
  ui.matches.hidden = !open;
  if (!open) {
    ui.outputs.removeAttribute('aria-activedescendant');
    ui.matches.replaceChildren();
    return;
  }
  const options = m.nodes.map((n, i) => {
    const li = el('li', { id: `match-${i}`, className: 'match' }, el('span', { className: 'match-name', textContent: n.name }), ' ', el('small', { textContent: nodeFacts(n) }));
    li.setAttribute('role', 'option');
    li.setAttribute('aria-selected', String(i === m.active));
    // The field keeps the focus, so leaving it does not check a half-typed name.
    li.addEventListener('mousedown', (event) => event.preventDefault());
    li.addEventListener('click', () => pick(n.name));
    return li;
  });
  const more = m.total - m.nodes.length;
  if (more > 0) {
    const li = el('li', { className: 'match-more', textContent: `and ${more} more: type more of the name` });
    li.setAttribute('role', 'presentation');
    options.push(li);
  }
  ui.matches.replaceChildren(...options);
  if (m.active >= 0) {
    ui.outputs.setAttribute('aria-activedescendant', `match-${m.active}`);
    ui.matches.querySelector(`#match-${m.active}`)?.scrollIntoView({ block: 'nearest' });
  } else ui.outputs.removeAttribute('aria-activedescendant');
}

/** After the field was left: each name not in the graph, with its nearest names as buttons that fix it. */
export function renderCheck(ui, store, fix) {
  const { checked } = store;
  const current = checked && checked.text === store.outputs;
  const unknown = current ? checked.results.filter((r) => !('node' in r)) : [];
  ui.outputsCheck.replaceChildren(
    ...unknown.map((r) => {
      const p = el('p', { className: 'unknown-output' }, `“${r.given}” is not a node of this graph.`);
      if (r.suggestions?.length) {
        p.append(' Did you mean ');
        r.suggestions.forEach((name, i) => {
          const button = el('button', { type: 'button', className: 'did-you-mean', textContent: name });
          button.setAttribute('aria-label', `Use ${name} instead of ${r.given}`);
          button.addEventListener('click', () => fix(r.given, name));
          p.append(...(i ? [i === r.suggestions.length - 1 ? ' or ' : ', ', button] : [button]));
        });
        p.append('?');
      }
      return p;
    }),
  );
}

const tensorText = (t) => `${t.key}: ${[t.dtype, t.shape && shapeText(t.shape)].filter(Boolean).join(' ') || 'unknown'}`;

/**
 * The whole choices as radio buttons, the one the field holds checked:
 * signatures with their inputs and outputs, heads with why. `choose(names)`
 * is what picking one does.
 */
export function renderChoices(ui, store, choose) {
  const choices = outputChoices(store);
  // One plain choice is the field itself; it is shown when it needs an option to freeze.
  const worthShowing = choices.length > 1 || choices.some((c) => c.signature || /checkpoint lacks/.test(c.reason));
  ui.choicesBox.hidden = !worthShowing;
  const held = names(store.outputs).join(',');
  const signature = choices.some((c) => c.signature);
  ui.choicesTitle.textContent = signature ? 'Signatures and other choices' : 'Whole choices';
  const key = JSON.stringify(choices.map((c) => c.names)) + held;
  if (ui.choices.dataset.key === key) return;
  ui.choices.dataset.key = key;
  // Signatures may share outputs: the first that holds the field's names is the one checked.
  const checked = choices.findIndex((c) => c.names.join(',') === held);
  ui.choices.replaceChildren(
    ...choices.map((c, i) => {
      const input = el('input', { type: 'radio', name: 'output-choice', id: `choice-${i}`, value: c.names.join(','), checked: i === checked });
      input.addEventListener('change', () => choose(c.names));
      const title = c.signature ? el('strong', { textContent: c.signature.name }) : el('span', { textContent: c.names.join(', ') });
      const label = el('label', { htmlFor: input.id }, title);
      const detail = el('small');
      if (c.signature) {
        detail.append(`inputs ${c.signature.inputs.map(tensorText).join(', ') || 'none'}; outputs ${c.signature.outputs.map(tensorText).join(', ')}`);
      } else detail.append(c.reason);
      label.append(' ', detail);
      return el('li', {}, input, ' ', label);
    }),
  );
}

const roleText = { input: 'input', variable: 'variable', constant: 'constant', loss: 'loss', metric: 'metric' };

/** One producer and its own inputs, as a nested list (an indented path back to the inputs). */
function producerItem(p) {
  const role = p.role ? el('span', { className: `role role-${p.role}`, textContent: roleText[p.role] }) : '';
  const li = el('li', {}, el('code', { textContent: p.node.name }), ` ${nodeFacts(p.node)} `, role);
  if (p.repeated) li.append(el('small', { textContent: ' (shown above)' }));
  if (p.inputs.length) li.append(el('ul', {}, ...p.inputs.map(producerItem)));
  if (p.hidden) li.append(el('small', { textContent: ` and ${p.hidden} more input${p.hidden === 1 ? '' : 's'}` }));
  return li;
}

/** What the node looked at is computed from, and what reads it. */
export function renderNeighbourhood(ui, store) {
  const { near } = store;
  ui.nearBox.hidden = !near;
  if (!near) return;
  if (ui.nearBox.dataset.name === near.name && ui.nearBox.dataset.done === String(Boolean(near.result))) return;
  ui.nearBox.dataset.name = near.name;
  ui.nearBox.dataset.done = String(Boolean(near.result));
  ui.nearTitle.textContent = `What ${near.name} is`;
  const found = near.result?.ok;
  if (!found) {
    ui.near.replaceChildren(el('p', { textContent: near.result ? near.result.error : 'Reading…' }));
    return;
  }
  const consumers = found.consumers.map((c) => {
    const li = el('li', {}, el('code', { textContent: c.node.name }), ` ${nodeFacts(c.node)}`);
    if (c.role) li.append(' ', el('span', { className: `role role-${c.role}`, textContent: c.leads_to ? `leads to the ${c.role} ${c.leads_to}` : c.role }));
    return li;
  });
  if (found.training_consumers) consumers.push(el('li', { textContent: `and ${found.training_consumers} training node${found.training_consumers === 1 ? '' : 's'} (gradients)` }));
  const readers = consumers.length ? el('ul', { className: 'near-consumers' }, ...consumers) : el('p', { textContent: 'Nothing reads it: it is an end of the graph.' });
  ui.near.replaceChildren(
    el('p', {}, el('code', { textContent: found.node.name }), ` ${nodeFacts(found.node)}`),
    el('h4', { textContent: 'Computed from' }),
    found.producers.length ? el('ul', { className: 'near-producers' }, ...found.producers.map(producerItem)) : el('p', { textContent: 'No inputs.' }),
    el('h4', { textContent: 'Read by' }),
    readers,
  );
}
