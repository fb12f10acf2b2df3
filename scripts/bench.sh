#!/usr/bin/env bash
# `make bench`: times our freeze_graph against TensorFlow's freeze_graph and
# against `cp` of the checkpoint's .data file, on a 400 MiB float32 checkpoint
# (64 variables) made once with real TensorFlow by make_bench_checkpoint.py.
#
# The runs are interleaved (ours, TF, cp, ours, ...) after one warm-up round,
# so the page cache is warm and equally so for all. Peak RSS comes from
# /usr/bin/time -v, wall time from bash's microsecond clock around it. Prints
# the medians as a markdown table.
#
# Environment:
#   RUNS=5           timed rounds
#   TF_PYTHON=...    a Python with TensorFlow (default: .venv/bin/python)
#   BENCH_DIR=...    where the checkpoint lives
#                    (default: ${XDG_CACHE_HOME:-$HOME/.cache}/tf-freeze-bench)
set -euo pipefail
cd "$(dirname "$0")/.."

RUNS="${RUNS:-5}"
BENCH_DIR="${BENCH_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/tf-freeze-bench}"
PYTHON="${TF_PYTHON:-.venv/bin/python}"
OURS=target/release/freeze_graph
export TF_CPP_MIN_LOG_LEVEL=2
export LC_ALL=C # a decimal point in $EPOCHREALTIME

if ! "$PYTHON" -c 'import tensorflow' 2>/dev/null; then
  echo "bench: no TensorFlow in $PYTHON; set TF_PYTHON or create .venv (see tests/fixtures/README.md)" >&2
  exit 1
fi
if [ ! -x /usr/bin/time ]; then
  if command -v apt-get >/dev/null && [ "$(id -u)" = 0 ]; then
    echo "bench: installing Debian's time package for /usr/bin/time" >&2
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq time >/dev/null
  else
    echo "bench: /usr/bin/time is missing (Debian/Ubuntu: apt-get install time)" >&2
    exit 1
  fi
fi

cargo build --release --quiet --bin freeze_graph
"$PYTHON" scripts/make_bench_checkpoint.py --out "$BENCH_DIR"

CKPT="$BENCH_DIR/model.ckpt"
DATA="$CKPT.data-00000-of-00001"
WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT

# name|command; every command writes $WORK/out.
TOOLS=(
  "ours|$OURS --input_meta_graph=$CKPT.meta --input_checkpoint=$CKPT --output_node_names=output --output_graph=$WORK/out"
  "tf|$PYTHON -m tensorflow.python.tools.freeze_graph --input_meta_graph=$CKPT.meta --input_binary=true --input_checkpoint=$CKPT --output_node_names=output --output_graph=$WORK/out"
  "cp|cp $DATA $WORK/out"
  "ours-nocrc|$OURS --input_meta_graph=$CKPT.meta --input_checkpoint=$CKPT --output_node_names=output --output_graph=$WORK/out --verify_checksums=false"
)

# Runs one tool once; appends "seconds kib" to $WORK/<name>.times unless $2 is "warmup".
run() {
  local name="${1%%|*}" command="${1#*|}"
  rm -f "$WORK/out"
  local start="$EPOCHREALTIME"
  # shellcheck disable=SC2086 # the command is split into words on purpose
  if ! /usr/bin/time -v -o "$WORK/time.txt" $command >"$WORK/$name.log" 2>&1; then
    echo "bench: $name failed:" >&2
    tail -n 20 "$WORK/$name.log" >&2
    exit 1
  fi
  if [ "${2:-}" = warmup ]; then
    cp "$WORK/out" "$WORK/$name.out"
    return
  fi
  local end="$EPOCHREALTIME"
  # time -v rounds the wall time to 10 ms; bash's clock has microseconds.
  awk -F': ' -v start="$start" -v end="$end" '
    /Maximum resident set size/ { kib = $2 }
    END { printf "%.3f %d\n", end - start, kib }' "$WORK/time.txt" >>"$WORK/$name.times"
}

median() { # column $2 of file $1
  sort -g -k"$2","$2" "$1" | awk -v c="$2" '{ v[NR] = $c } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}

load_before="$(cut -d' ' -f1 /proc/loadavg)"
echo "bench: warm-up round" >&2
for tool in "${TOOLS[@]}"; do run "$tool" warmup; done
if cmp -s "$WORK/ours.out" "$WORK/tf.out"; then same=yes; else same=no; fi
for round in $(seq 1 "$RUNS"); do
  echo "bench: round $round of $RUNS" >&2
  for tool in "${TOOLS[@]}"; do run "$tool"; done
done

declare -A WALL RSS
for tool in "${TOOLS[@]}"; do
  name="${tool%%|*}"
  WALL[$name]="$(median "$WORK/$name.times" 1)"
  RSS[$name]="$(median "$WORK/$name.times" 2)"
done
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", (b > 0) ? a / b : 0 }'; }
mib() { awk -v k="$1" 'BEGIN { printf "%.0f", k / 1024 }'; }
verdict() { awk -v v="$1" -v limit="$2" -v dir="$3" 'BEGIN { ok = (dir == "max") ? v <= limit : v >= limit; print ok ? "met" : "missed" }'; }

data_mib=$(( $(stat -c %s "$DATA") / 1048576 ))
echo
echo "Checkpoint: $data_mib MiB of float32 in 64 variables; $RUNS interleaved runs after a warm-up, warm page cache."
echo "Load average (1 min) before and after: $load_before, $(cut -d' ' -f1 /proc/loadavg)."
echo "Machine: $(nproc) CPUs, $(awk -F': ' '/model name/ { print $2; exit }' /proc/cpuinfo); TensorFlow $("$PYTHON" -c 'import tensorflow as tf; print(tf.__version__)' 2>/dev/null)."
echo
echo "| run | median wall time (s) | median peak RSS (MiB) |"
echo "|---|---:|---:|"
echo "| \`freeze_graph\` (this project, checksums on) | ${WALL[ours]} | $(mib "${RSS[ours]}") |"
echo "| \`freeze_graph --verify_checksums=false\` | ${WALL[ours-nocrc]} | $(mib "${RSS[ours-nocrc]}") |"
echo "| TensorFlow's \`freeze_graph\` | ${WALL[tf]} | $(mib "${RSS[tf]}") |"
echo "| \`cp\` of the .data file | ${WALL[cp]} | $(mib "${RSS[cp]}") |"
echo
vs_cp="$(ratio "${WALL[ours]}" "${WALL[cp]}")"
vs_tf="$(ratio "${WALL[tf]}" "${WALL[ours]}")"
rss_tf="$(ratio "${RSS[ours]}" "${RSS[tf]}")"
echo "| target | measured | |"
echo "|---|---:|---|"
echo "| wall time at most 1.5× \`cp\` | ${vs_cp}× | $(verdict "$vs_cp" 1.5 max) |"
echo "| about 20× faster than TensorFlow | ${vs_tf}× | $(verdict "$vs_tf" 20 min) |"
echo "| peak memory at most 1/10 of TensorFlow's | ${rss_tf}× | $(verdict "$rss_tf" 0.1 max) |"
echo
echo "Output byte-identical to TensorFlow's: $same."
shopt -s nullglob
for wasm in www/dist/pkg/*.wasm; do
  echo "Web build: $(basename "$wasm") is $(stat -c %s "$wasm") bytes, $(gzip -9 -c "$wasm" | wc -c) gzipped."
done

# The page in Chromium on the same checkpoint: files in to download ready.
if [ -f www/dist/index.html ] && [ -x /usr/bin/chromium ] && [ -d node_modules/playwright-core ]; then
  echo
  node scripts/bench_page.mjs "$BENCH_DIR"
else
  echo
  echo "Page benchmark skipped: run 'make web' first (it needs the built site, node_modules and /usr/bin/chromium)."
fi
