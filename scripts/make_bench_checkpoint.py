#!/usr/bin/env python3
"""Writes the benchmark model with real TensorFlow: a TF1-style graph of 64
float32 variables (400 MiB in all) summed into one output node `output`,
saved by a V2 Saver as model.ckpt.{meta,index,data-00000-of-00001}.

The files go to a cache folder outside the repository, by default
${XDG_CACHE_HOME:-$HOME/.cache}/tf-freeze-bench. A complete earlier run is
reused; --force writes it again.

    .venv/bin/python scripts/make_bench_checkpoint.py [--out DIR] [--force]
"""

import argparse
import json
import os
import shutil
import sys
from pathlib import Path

PREFIX = "model.ckpt"
FLOAT_BYTES = 4
COLUMNS = 1280


def default_dir():
    cache = os.environ.get("XDG_CACHE_HOME") or os.path.join(Path.home(), ".cache")
    return Path(cache) / "tf-freeze-bench"


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, default=default_dir(), help="folder to write to")
    parser.add_argument("--mib", type=int, default=400, help="total size of the variables")
    parser.add_argument("--variables", type=int, default=64, help="how many variables")
    parser.add_argument("--force", action="store_true", help="write it again even if present")
    return parser.parse_args()


def variable_shape(mib, variables):
    elements = mib * (1 << 20) // FLOAT_BYTES // variables
    if elements % COLUMNS == 0:
        return [elements // COLUMNS, COLUMNS]
    return [elements]


def build_and_save(out, shape, variables):
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    import tensorflow as tf

    tf.compat.v1.disable_v2_behavior()
    graph = tf.Graph()
    with graph.as_default():
        tf.compat.v1.set_random_seed(1)
        weights = [
            tf.compat.v1.get_variable(
                f"layer_{i:02d}/weights",
                shape=shape,
                dtype=tf.float32,
                initializer=tf.compat.v1.random_uniform_initializer(-1.0, 1.0, seed=i),
            )
            for i in range(variables)
        ]
        # A trivial output that needs every variable, so all of them are frozen.
        tf.math.add_n([tf.reduce_sum(w) for w in weights], name="output")
        saver = tf.compat.v1.train.Saver()  # V2 checkpoint, and the .meta
        with tf.compat.v1.Session(graph=graph) as session:
            session.run(tf.compat.v1.global_variables_initializer())
            saver.save(session, str(out / PREFIX))
    return tf.__version__


def main():
    args = parse_args()
    shape = variable_shape(args.mib, args.variables)
    wanted = {"mib": args.mib, "variables": args.variables, "shape": shape}
    stamp = args.out / "bench.json"
    if not args.force and stamp.exists():
        if {k: v for k, v in json.loads(stamp.read_text()).items() if k in wanted} == wanted:
            print(f"benchmark checkpoint already in {args.out}")
            return 0
    if args.out.exists():
        shutil.rmtree(args.out)
    args.out.mkdir(parents=True)
    print(f"writing {args.variables} float32 variables of shape {shape} to {args.out} ...")
    version = build_and_save(args.out, shape, args.variables)
    # Written last: an interrupted run is never mistaken for a complete one.
    stamp.write_text(json.dumps({**wanted, "tensorflow_version": version}, indent=2) + "\n")
    data = sum(f.stat().st_size for f in args.out.glob(PREFIX + ".data-*"))
    print(f"done: {data / (1 << 20):.1f} MiB of data")
    return 0


if __name__ == "__main__":
    sys.exit(main())
