#!/usr/bin/env bash
# Installs what the build and tests need, only when it is missing.
#   setup.sh rust   the Rust toolchain's rustfmt and clippy, and unzip
#   setup.sh web    also the wasm32 target, wasm-bindgen-cli (pinned to Cargo.lock),
#                   npm packages, and Chromium for the browser test
set -euo pipefail
cd "$(dirname "$0")/.."

need_rust() {
  if ! command -v cargo >/dev/null; then
    echo "setup: cargo not found; install Rust from your system's packages or rustup" >&2
    exit 1
  fi
  if command -v rustup >/dev/null; then
    cargo fmt --version >/dev/null 2>&1 || rustup component add rustfmt
    cargo clippy --version >/dev/null 2>&1 || rustup component add clippy
  fi
  # The .zip tests check the page's archive with unzip.
  if ! command -v unzip >/dev/null && command -v apt-get >/dev/null; then
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq unzip >/dev/null
  fi
}

wasm_bindgen_version() {
  # The version of the wasm-bindgen crate that Cargo.lock pins.
  awk '/^name = "wasm-bindgen"$/ { getline; gsub(/version = |"/, ""); print; exit }' Cargo.lock
}

need_web() {
  if command -v rustup >/dev/null && ! rustup target list --installed | grep -q wasm32-unknown-unknown; then
    rustup target add wasm32-unknown-unknown
  fi
  local want
  want="$(wasm_bindgen_version)"
  if [ -z "$want" ]; then
    cargo generate-lockfile
    want="$(wasm_bindgen_version)"
  fi
  if ! wasm-bindgen --version 2>/dev/null | grep -q " $want\$"; then
    echo "setup: installing wasm-bindgen-cli $want (takes a few minutes, once)" >&2
    # The CLI's own lockfile can pin a crate the registry no longer serves;
    # then resolve afresh within the same wasm-bindgen version.
    cargo install --locked wasm-bindgen-cli --version "$want" \
      || cargo install wasm-bindgen-cli --version "$want"
  fi
  if [ ! -d node_modules ] || [ package-lock.json -nt node_modules ]; then
    npm ci --no-audit --no-fund
  fi
  if [ ! -x /usr/bin/chromium ]; then
    if command -v apt-get >/dev/null; then
      echo "setup: installing Debian's chromium for the browser test" >&2
      apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
    else
      echo "setup: /usr/bin/chromium is missing; the browser test needs it" >&2
    fi
  fi
}

case "${1:-rust}" in
  rust) need_rust ;;
  web) need_rust; need_web ;;
  *) echo "usage: setup.sh rust|web" >&2; exit 2 ;;
esac
