// Our TF.js export next to tensorflowjs_converter's for the same frozen graph.
//
// For a few fixtures the generator ran TF.js's own converter (4.22) over TF's
// tf_frozen.pb (tests/fixtures/NAME/tfjs_converter/). Our export of the same
// fixture must hold the same weights and the same nodes, apart from what the
// converter's own graph optimizations change (grappler's constant folding and
// op fusion, TF.js's batch-norm folding, the attributes grappler drops or
// adds). Every difference found is sorted into one of those kinds, anything
// else fails the test, and the kinds found must be exactly the ones listed
// per fixture below (and in CONVERTER_COMPARISON.md).

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { join, dirname } from 'node:path';
import { fixtures, freezeArgs, readExport, runExport, weightBytes } from './common.mjs';

// The ops grappler's remapper and TF.js's own passes fuse a chain into.
const FUSED_OPS = new Set(['_FusedMatMul', '_FusedConv2D', 'FusedDepthwiseConv2dNative']);

/** The producing node of an input (`^name`, `name:1`, `name`). */
const source = (input) => input.replace(/^\^/, '').replace(/:\d+$/, '');

/** JSON with object keys sorted, to compare values whatever order each writer uses. */
const canonical = (value) => JSON.stringify(value, (key, v) =>
  (v && typeof v === 'object' && !Array.isArray(v) ? Object.fromEntries(Object.entries(v).sort(([a], [b]) => (a < b ? -1 : 1))) : v));

const byName = (model) => new Map(model.modelTopology.node.map((node) => [node.name, node]));

/** The fused ops of a fused node, decoded (`BiasAdd,Relu`). */
function fusedOps(node) {
  const list = node.attr?.fused_ops?.list?.s || [];
  return list.map((s) => Buffer.from(s, 'base64').toString()).join(',');
}

/** True if every node `name` reads from (transitively) is a Const. */
function fromConstants(nodes, name, seen = new Set()) {
  if (seen.has(name)) return true;
  seen.add(name);
  const node = nodes.get(name);
  if (!node) return false;
  if (node.op === 'Const') return true;
  const inputs = node.input || [];
  return inputs.length > 0 && inputs.every((input) => fromConstants(nodes, source(input), seen));
}

/**
 * The regions of our graph that the converter replaced: each of our nodes it
 * no longer has, joined to its neighbours in our graph that it also lacks or
 * that it rewrote into another op. Returns node name -> region id.
 */
function regions(ours, replaced) {
  const parent = new Map([...replaced].map((name) => [name, name]));
  const find = (name) => {
    let at = name;
    while (parent.get(at) !== at) at = parent.get(at);
    return at;
  };
  for (const node of ours.values()) {
    if (!parent.has(node.name)) continue;
    for (const input of node.input || []) {
      const from = source(input);
      if (parent.has(from)) parent.set(find(from), find(node.name));
    }
  }
  return new Map([...parent.keys()].map((name) => [name, find(name)]));
}

// Attributes that differ on nodes both graphs keep with the same op, and why.
const ATTR_KINDS = {
  // grappler does not keep shape annotations or colocation constraints;
  // TF.js reads neither.
  '_output_shapes dropped': (ours, theirs, key) => key === '_output_shapes' && theirs === undefined,
  '_class dropped': (ours, theirs, key) => key === '_class' && theirs === undefined,
  // grappler's remapper annotates the nodes it looked at.
  '_input_shapes added': (ours, theirs, key) => key === '_input_shapes' && ours === undefined,
  // --fix_legacy_shapes: a producer-21 placeholder's empty shape means
  // unknown; the converter keeps it as it is (a scalar to TF.js).
  'legacy placeholder shape kept as a scalar': (ours, theirs, key) =>
    key === 'shape' && ours?.shape?.unknownRank === true && canonical(theirs) === '{"shape":{}}',
};

/** Every difference between our export and the converter's, by kind; throws on one of no known kind. */
function compare(ourExport, theirExport) {
  const ours = byName(ourExport.model);
  const theirs = byName(theirExport.model);
  const kinds = {};
  const count = (kind) => { kinds[kind] = (kinds[kind] || 0) + 1; };
  const unexplained = [];

  // Nodes the converter rewrote into another op: fused, or folded to a Const.
  const rewritten = [...theirs.values()].filter((n) => ours.has(n.name) && ours.get(n.name).op !== n.op);
  for (const node of rewritten) {
    const was = ours.get(node.name).op;
    if (FUSED_OPS.has(node.op)) count(`fused: ${was} -> ${node.op}(${fusedOps(node)})`);
    else if (node.op === 'Const' && fromConstants(ours, node.name)) count(`constant folded: ${was} -> Const`);
    else unexplained.push(`${node.name}: ${was} became ${node.op}`);
  }
  const onlyOurs = [...ours.keys()].filter((name) => !theirs.has(name));
  const region = regions(ours, new Set([...onlyOurs, ...rewritten.map((n) => n.name)]));
  const rewrittenRegions = new Set(rewritten.map((n) => region.get(n.name)));
  for (const name of onlyOurs) {
    if (rewrittenRegions.has(region.get(name))) count(`absorbed into a fused or folded node: ${ours.get(name).op}`);
    else if (fromConstants(ours, name)) count(`constant subgraph replaced by a new Const: ${ours.get(name).op}`);
    else unexplained.push(`our node ${name} (${ours.get(name).op}) is not in the converter's graph`);
  }
  for (const node of theirs.values()) {
    if (ours.has(node.name)) continue;
    if (node.op === 'Const') count('new Const (folded weights or constants)');
    else unexplained.push(`the converter's node ${node.name} (${node.op}) is not in ours`);
  }

  // Inputs: the same, or ours read through what the converter rewrote.
  for (const node of theirs.values()) {
    const mine = ours.get(node.name);
    if (!mine || mine.op !== node.op || node.op === 'Const') continue;
    const want = node.input || [];
    const have = mine.input || [];
    if (want.length !== have.length) {
      unexplained.push(`${node.name}: ${have.length} inputs in ours, ${want.length} in the converter's`);
      continue;
    }
    have.forEach((input, i) => {
      if (input === want[i]) return;
      const from = source(input);
      const to = source(want[i]);
      if (region.has(from) && region.get(from) === region.get(to)) count('input read from the fused node instead');
      else if (!ours.has(to) && theirs.get(to)?.op === 'Const' && fromConstants(ours, from)) count('input read from a new Const instead');
      else unexplained.push(`${node.name}: input ${i} is ${input} in ours, ${want[i]} in the converter's`);
    });
    compareAttrs(node, mine, count, unexplained);
  }

  compareWeights(ourExport, theirExport, ours, theirs, count, unexplained, region);
  compareSignature(ourExport.model, theirExport.model, count, unexplained);
  if (ourExport.model.format !== theirExport.model.format) unexplained.push('format differs');
  // Ours: the TF version the graph records; the converter's: its own TF's.
  if (ourExport.model.generatedBy !== theirExport.model.generatedBy) count(`generatedBy: ${ourExport.model.generatedBy} in ours, ${theirExport.model.generatedBy} in the converter's`);
  for (const key of ['versions', 'library']) {
    const a = canonical(ourExport.model.modelTopology[key] || {});
    const b = canonical(theirExport.model.modelTopology[key] || {});
    if (a !== b) unexplained.push(`modelTopology.${key}: ${a} in ours, ${b} in the converter's`);
  }
  assert.deepEqual(unexplained, [], 'differences of no known kind');
  return kinds;
}

function compareAttrs(node, mine, count, unexplained) {
  if ((node.device || '') !== (mine.device || '')) {
    // optimize_graph pins MatMul and Conv2D to the CPU for the remapper.
    if (node.device === '/device:CPU:0' && !mine.device && ['MatMul', 'Conv2D'].includes(node.op)) count('device /device:CPU:0 set on MatMul or Conv2D');
    else unexplained.push(`${node.name}: device ${mine.device} in ours, ${node.device} in the converter's`);
  }
  const theirs = node.attr || {};
  const ours = mine.attr || {};
  for (const key of new Set([...Object.keys(theirs), ...Object.keys(ours)])) {
    if (canonical(theirs[key]) === canonical(ours[key])) continue;
    const kind = Object.keys(ATTR_KINDS).find((k) => ATTR_KINDS[k](ours[key], theirs[key], key));
    if (kind) count(`attr ${kind}`);
    else unexplained.push(`${node.name}: attr ${key} is ${JSON.stringify(ours[key])} in ours, ${JSON.stringify(theirs[key])} in the converter's`);
  }
}

function compareWeights(ourExport, theirExport, ours, theirs, count, unexplained, region) {
  // A fused node whose region of our graph holds a batch norm.
  const batchNormRegions = new Set([...region].filter(([name]) => /BatchNorm|Rsqrt/.test(ours.get(name).op)).map(([, id]) => id));
  const foldsBatchNorm = (nodes) => nodes.some((n) => FUSED_OPS.has(n.op) && batchNormRegions.has(region.get(n.name)));
  const mine = weightBytes(ourExport);
  const other = weightBytes(theirExport);
  for (const [name, { spec, bytes }] of other) {
    const have = mine.get(name);
    if (!have) {
      if (!ours.has(name) || ours.get(name).op !== 'Const') count('weight only in the converter\'s (a folded Const)');
      else unexplained.push(`weight ${name} is a Const in ours but not among our weights`);
      continue;
    }
    for (const key of ['shape', 'dtype']) {
      if (JSON.stringify(have.spec[key]) !== JSON.stringify(spec[key])) unexplained.push(`weight ${name}: ${key} ${JSON.stringify(have.spec[key])} in ours, ${JSON.stringify(spec[key])} in the converter's`);
    }
    if (have.bytes.equals(bytes)) {
      count('weight the same: name, shape, dtype, bytes');
    } else if (foldsBatchNorm(consumers(theirs, name))) {
      // TF.js's fold_batch_norms scales a convolution's filter in place.
      count('weight rescaled in place by batch-norm folding');
    } else {
      unexplained.push(`weight ${name}: bytes differ`);
    }
  }
  for (const name of mine.keys()) {
    if (other.has(name)) continue;
    if (!theirs.has(name) || theirs.get(name).op !== 'Const') count('weight only in ours (its Const folded or absorbed)');
    else unexplained.push(`weight ${name} is a Const in the converter's but not among its weights`);
  }
}

const consumers = (nodes, name) => [...nodes.values()].filter((n) => (n.input || []).some((i) => source(i) === name));

function compareSignature(ours, theirs, count, unexplained) {
  // The converter's signature for a frozen graph lists only the output nodes,
  // by node name and without dtype or shape (_build_signature_def gets no
  // inputs); ours lists the placeholders and outputs as tensors with both.
  const want = Object.keys(ours.signature.outputs || {}).map((name) => name.replace(/:0$/, '')).sort();
  const have = Object.keys(theirs.signature.outputs || {}).sort();
  if (JSON.stringify(want) !== JSON.stringify(have)) unexplained.push(`signature outputs ${want} in ours, ${have} in the converter's`);
  else if (theirs.signature.inputs === undefined) count('signature: the converter lists outputs only, by node name');
  else unexplained.push('the converter lists signature inputs');
}

// The kinds of difference per fixture, with their counts.
const EXPECTED = {
  mlp_binary: {
    'absorbed into a fused or folded node: BiasAdd': 2,
    'absorbed into a fused or folded node: MatMul': 3,
    'fused: BiasAdd -> _FusedMatMul(BiasAdd)': 1,
    'fused: Relu -> _FusedMatMul(BiasAdd,Relu)': 2,
    "generatedBy: unknown in ours, 2.21.0 in the converter's": 1,
    'signature: the converter lists outputs only, by node name': 1,
    'weight the same: name, shape, dtype, bytes': 6,
  },
  cnn_meta: {
    'absorbed into a fused or folded node: Conv2D': 1,
    'absorbed into a fused or folded node: MatMul': 1,
    'attr _class dropped': 10,
    'attr _input_shapes added': 2,
    'attr _output_shapes dropped': 10,
    'fused: BiasAdd -> _FusedConv2D(BiasAdd)': 1,
    'fused: BiasAdd -> _FusedMatMul(BiasAdd)': 1,
    'signature: the converter lists outputs only, by node name': 1,
    'weight the same: name, shape, dtype, bytes': 10,
  },
  bn_fold: {
    'absorbed into a fused or folded node: Add': 4,
    'absorbed into a fused or folded node: BiasAdd': 2,
    'absorbed into a fused or folded node: Const': 26,
    'absorbed into a fused or folded node: Conv2D': 4,
    'absorbed into a fused or folded node: FusedBatchNorm': 1,
    'absorbed into a fused or folded node: FusedBatchNormV3': 2,
    'absorbed into a fused or folded node: MatMul': 1,
    'absorbed into a fused or folded node: Mul': 5,
    'absorbed into a fused or folded node: Relu': 1,
    'absorbed into a fused or folded node: Rsqrt': 2,
    'attr _output_shapes dropped': 4,
    'constant folded: Sub -> Const': 2,
    'fused: DepthwiseConv2dNative -> FusedDepthwiseConv2dNative(BiasAdd,Relu)': 1,
    'fused: Relu -> _FusedConv2D(BiasAdd,Relu)': 4,
    'fused: Relu -> _FusedMatMul(BiasAdd,Relu)': 1,
    'input read from the fused node instead': 1,
    'new Const (folded weights or constants)': 7,
    'signature: the converter lists outputs only, by node name': 1,
    'weight only in ours (its Const folded or absorbed)': 26,
    "weight only in the converter's (a folded Const)": 9,
    'weight rescaled in place by batch-norm folding': 1,
    'weight the same: name, shape, dtype, bytes': 3,
  },
  legacy_shapes: {
    'attr legacy placeholder shape kept as a scalar': 1,
    'device /device:CPU:0 set on MatMul or Conv2D': 1,
    "generatedBy: unknown in ours, 2.21.0 in the converter's": 1,
    'signature: the converter lists outputs only, by node name': 1,
    'weight the same: name, shape, dtype, bytes': 2,
  },
  while_v1: {
    'attr _class dropped': 2,
    'attr _output_shapes dropped': 17,
    'input read from a new Const instead': 2,
    'new Const (folded weights or constants)': 2,
    'signature: the converter lists outputs only, by node name': 1,
    "weight only in the converter's (a folded Const)": 2,
    'weight the same: name, shape, dtype, bytes': 5,
  },
  heads_gan: {
    'absorbed into a fused or folded node: BiasAdd': 2,
    'absorbed into a fused or folded node: MatMul': 2,
    'attr _output_shapes dropped': 1,
    'fused: LeakyRelu -> _FusedMatMul(BiasAdd,LeakyRelu)': 1,
    'fused: Tanh -> _FusedMatMul(BiasAdd,Tanh)': 1,
    'signature: the converter lists outputs only, by node name': 1,
    'weight the same: name, shape, dtype, bytes': 4,
  },
};

const CASES = ['mlp_binary', 'cnn_meta', 'bn_fold', 'legacy_shapes', 'while_v1', 'heads_gan'];

for (const name of CASES) {
  test(`${name}: our TF.js export next to tensorflowjs_converter's`, (t) => {
    const dir = join(fixtures, name);
    const fixture = JSON.parse(readFileSync(join(dir, 'fixture.json'), 'utf8'));
    const run = runExport(freezeArgs(dir, fixture.args));
    assert.equal(run.status, 0, run.stderr);
    try {
      const kinds = compare(readExport(run.out), readExport(join(dir, 'tfjs_converter')));
      t.diagnostic(JSON.stringify(Object.fromEntries(Object.entries(kinds).sort())));
      assert.deepEqual(kinds, EXPECTED[name]);
    } finally {
      rmSync(dirname(run.out), { recursive: true, force: true });
    }
  });
}

// Where the converter refuses the frozen graph (its refused.txt), what ours does.
const REFUSED = {
  // The converter's op check knows Print, Assert and CheckNumerics as debug
  // ops, not PrintV2 and its StringFormat; our export strips them all.
  debug_ops: { converter: /Unsupported Ops .*PreventGradient, PrintV2, StringFormat/, ours: null },
  // The converter narrows float16 to float32 but has no bfloat16; ours
  // refuses the first weight TF.js cannot hold as it is.
  dtypes_meta: { converter: /dtype bfloat16 not supported/, ours: /Const 'v_float16' is float16/ },
};

for (const [name, expect] of Object.entries(REFUSED)) {
  test(`${name}: tensorflowjs_converter refuses it; ours ${expect.ours ? 'refuses it too' : 'exports it'}`, () => {
    const dir = join(fixtures, name);
    assert.match(readFileSync(join(dir, 'tfjs_converter', 'refused.txt'), 'utf8'), expect.converter);
    assert.ok(!existsSync(join(dir, 'tfjs_converter', 'model.json')));
    const fixture = JSON.parse(readFileSync(join(dir, 'fixture.json'), 'utf8'));
    const run = runExport(freezeArgs(dir, fixture.args));
    try {
      if (expect.ours) {
        assert.notEqual(run.status, 0);
        assert.match(run.stderr, expect.ours);
      } else {
        assert.equal(run.status, 0, run.stderr);
        const ops = new Set(readExport(run.out).model.modelTopology.node.map((n) => n.op));
        for (const op of ['PrintV2', 'StringFormat', 'PreventGradient', 'Assert']) assert.ok(!ops.has(op), op);
      }
    } finally {
      rmSync(dirname(run.out), { recursive: true, force: true });
    }
  });
}
