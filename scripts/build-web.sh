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
  target/wasm32-unknown-unknown/release/tf_freeze.wasm
cp www/*.html www/*.js www/*.css www/*.svg "$out/"

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

wasm="$out/pkg/tf_freeze_bg.wasm"
echo "build-web: $out ready; $(basename "$wasm") is $(wc -c <"$wasm") bytes ($(gzip -9c "$wasm" | wc -c) gzipped)"
