// The page's option table is the core's: the built options.js matches the
// wasm export, and the "same command" (report.js's cliCommand) is made from
// it. Node only, over www/dist (`make web` first).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { DIST, ROOT } from './harness.mjs';

assert.ok(existsSync(join(DIST, 'options.js')), 'www/dist is missing: run `make web` first');
const { initSync, optionTable } = await import(pathToFileURL(join(DIST, 'pkg/tf_freeze.js')));
initSync({ module: readFileSync(join(DIST, 'pkg/tf_freeze_bg.wasm')) });
const { OPTIONS } = await import(pathToFileURL(join(DIST, 'options.js')));
const { cliCommand } = await import(pathToFileURL(join(ROOT, 'www/report.js')));

/** A value other than the row's default. */
const other = (row) => (row.kind === 'bool' ? row.default !== 'true' : `${row.default}x`);

test('the page imports the table the core exports', () => {
  assert.deepEqual(OPTIONS, optionTable());
  assert.ok(OPTIONS.some((row) => row.flag === 'variable_names_denylist' && row.aliases.includes('variable_names_blacklist')));
});

test('options at their default add nothing to the command', () => {
  const defaults = Object.fromEntries(OPTIONS.map((row) => [row.flag, row.kind === 'bool' ? row.default === 'true' : row.default]));
  assert.equal(cliCommand(OPTIONS, defaults), 'freeze_graph');
  assert.equal(cliCommand(OPTIONS, {}), 'freeze_graph');
});

test('every row of the table reaches the command, in the table order', () => {
  const values = Object.fromEntries(OPTIONS.map((row) => [row.flag, other(row)]));
  const flags = cliCommand(OPTIONS, values).split(' ').slice(1).map((arg) => arg.replace(/^--([a-z0-9_]+).*$/, '$1'));
  assert.deepEqual(flags, OPTIONS.map((row) => row.flag));
});

test('TF flags are written as TF documents them, added switches bare', () => {
  const command = cliCommand(OPTIONS, {
    input_graph: 'graph.pb',
    input_binary: true,
    input_checkpoint: 'model.ckpt',
    checkpoint_version: '2',
    output_node_names: ' probs , out ',
    output_graph: 'model.ckpt_frozen.pb',
    clear_devices: false,
    verify_checksums: false,
    fix_ref_ops: true,
    saved_model_tags: 'serve',
    placeholder_to_const: "name='x'",
    report: 'report.json',
  });
  assert.equal(
    command,
    'freeze_graph --input_graph=graph.pb --input_binary=true --input_checkpoint=model.ckpt ' +
      '--output_node_names=probs,out --output_graph=model.ckpt_frozen.pb --clear_devices=false ' +
      "--verify_checksums=false --fix_ref_ops '--placeholder_to_const=name='\\''x'\\''' --report=report.json",
  );
});
