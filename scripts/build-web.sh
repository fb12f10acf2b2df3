#!/usr/bin/env bash
# Builds the page into www/dist: the core as WebAssembly (wasm-bindgen's
# `--target web` ES module), the page's files, and the sample checkpoint.
# `make web` installs the tools first (scripts/setup.sh web).
set -euo pipefail
cd "$(dirname "$0")/.."

out=www/dist
sample=tests/fixtures/mlp_binary

# Size matters more than speed for a download; the release profile's LTO stays.
CARGO_PROFILE_RELEASE_OPT_LEVEL=s cargo build --release --target wasm32-unknown-unknown --lib

rm -rf "$out"
mkdir -p "$out/pkg" "$out/sample"
wasm-bindgen --target web --no-typescript --out-dir "$out/pkg" \
  "${CARGO_TARGET_DIR:-target}/wasm32-unknown-unknown/release/tf_freeze.wasm"
cp www/*.html www/*.js www/*.css www/*.svg www/*.png www/*.webmanifest "$out/"

# The core's option table as a module the page imports, so its controls and
# its "same command" are known before the worker has started.
node --input-type=module - "$out" <<'JS'
import { readFileSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
const out = resolve(process.argv[2]);
const { initSync, optionTable, targetPresets } = await import(pathToFileURL(`${out}/pkg/tf_freeze.js`));
initSync({ module: readFileSync(`${out}/pkg/tf_freeze_bg.wasm`) });
const table = JSON.stringify(optionTable(), null, 2);
const presets = JSON.stringify(targetPresets(), null, 2);
writeFileSync(`${out}/options.js`, `// The core's option table (tf_freeze::options), written by scripts/build-web.sh.\nexport const OPTIONS = ${table};\n// What each --target turns on (tf_freeze::target::preset).\nexport const PRESETS = ${presets};\n`);
JS

# The sample: a small MLP made by TensorFlow, and the output node it was frozen with.
cp "$sample/graph.pb" "$sample/model.ckpt.index" "$sample/model.ckpt.data-00000-of-00001" "$out/sample/"
node -e '
  const fs = require("fs");
  const fixture = JSON.parse(fs.readFileSync(process.argv[1], "utf8"));
  const sample = {
    files: ["graph.pb", "model.ckpt.index", "model.ckpt.data-00000-of-00001"],
    outputNodes: fixture.args.output_node_names,
  };
  fs.writeFileSync(process.argv[2], JSON.stringify(sample, null, 2) + "\n");
' "$sample/fixture.json" "$out/sample/sample.json"

# For static hosts that read a `_headers` file (Netlify, Cloudflare Pages): the
# page's Content-Security-Policy as a header too, which also covers the workers,
# with `frame-ancestors 'none'`, which only a header can set: no other site may
# frame the page (and trick a user into dropping files on it).
node - www/index.html "$out/_headers" <<'JS'
const fs = require('fs');
const [, , page, headers] = process.argv;
const meta = fs.readFileSync(page, 'utf8').match(/<meta http-equiv="Content-Security-Policy" content="([^"]+)">/);
if (!meta) throw new Error(`${page} has no Content-Security-Policy <meta>`);
fs.writeFileSync(headers, `/*\n  Content-Security-Policy: ${meta[1]}; frame-ancestors 'none'\n  X-Frame-Options: DENY\n`);
JS

# Offline use: sw.js precaches every file of the site, in a cache named after a
# hash of them all (and of sw.js), so each new build replaces the old cache.
node - "$out" <<'JS'
const fs = require('fs');
const { join } = require('path');
const { createHash } = require('crypto');
const out = process.argv[2];
const files = fs
  .readdirSync(out, { recursive: true })
  .filter((f) => !['sw.js', '_headers'].includes(f) && fs.statSync(join(out, f)).isFile())
  .sort();
const hash = createHash('sha256');
for (const f of ['sw.js', ...files]) hash.update(`${f}\0`).update(fs.readFileSync(join(out, f)));
const id = hash.digest('hex').slice(0, 16);
const stamped = fs
  .readFileSync(join(out, 'sw.js'), 'utf8')
  .replace("const BUILD_ID = 'unstamped';", `const BUILD_ID = '${id}';`)
  .replace('const FILES = [];', `const FILES = ${JSON.stringify(files, null, 2)};`);
if (!stamped.includes(id) || !stamped.includes('"index.html"')) throw new Error('sw.js: stamping failed');
fs.writeFileSync(join(out, 'sw.js'), stamped);
console.log(`build-web: sw.js precaches ${files.length} files as build ${id}`);
JS

wasm="$out/pkg/tf_freeze_bg.wasm"
echo "build-web: $out ready; $(basename "$wasm") is $(wc -c <"$wasm") bytes ($(gzip -9c "$wasm" | wc -c) gzipped)"
