"""Freezes the real SavedModels of the shared test data with our freeze_graph,
runs each frozen graph in TensorFlow, and records what the Rust test checks.

Run by hand after `cargo build --release --bin freeze_graph`:

    TF_FREEZE_REALWORLD=path/to/realworld .venv/bin/python tests/saved_models/verify.py

Writes tests/saved_models/expected.json: for each SavedModel the flags, the
inputs fed, the outputs TF computed from the frozen graph (which must equal the
model's own arithmetic), and the crc32c and size of our output, so the test can
tell without TF that the output is still the one TF ran.
"""

import json
import os
import subprocess
import sys
import tempfile

import numpy as np
import tensorflow as tf

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
BINARY = os.environ.get("FREEZE_GRAPH") or os.path.join(ROOT, "target", "release", "freeze_graph")
SERVING = "tensorflow-serving/servables/tensorflow/testdata"

# folder, extra flags, feeds, fetches, what the model computes
CASES = [
    ("saved_model_half_plus_two_cpu", [], {"x:0": [[1.0], [2.0], [6.0]]}, ["y:0"], lambda x: 0.5 * x + 2),
    ("saved_model_half_plus_three", [], {"x:0": [[1.0], [2.0], [6.0]]}, ["y:0"], lambda x: 0.5 * x + 3),
    ("saved_model_half_plus_two_tf2_cpu", [], {"serving_default_x:0": [6.0]},
     ["StatefulPartitionedCall_5:0"], lambda x: 0.5 * x + 2),
    ("saved_model_counter", ["--output_node_names=counter"], {}, ["counter:0"], None),
    # Its two nested calls inlined: no function left to run.
    ("saved_model_half_plus_two_tf2_cpu", ["--inline_functions"], {"serving_default_x:0": [6.0]},
     ["StatefulPartitionedCall_5:0"], lambda x: 0.5 * x + 2),
]


def crc32c(data):
    crc = 0xFFFFFFFF
    for byte in data:
        crc ^= byte
        for _ in range(8):
            crc = (crc >> 1) ^ (0x82F63B78 & -(crc & 1))
    return crc ^ 0xFFFFFFFF


def main():
    realworld = os.environ.get("TF_FREEZE_REALWORLD", os.path.join(ROOT, "..", "shared", "realworld"))
    results = []
    for folder, extra, feeds, fetches, formula in CASES:
        model_dir = os.path.join(realworld, SERVING, folder, "00000123")
        with tempfile.TemporaryDirectory() as tmp:
            out = os.path.join(tmp, "frozen.pb")
            proc = subprocess.run([BINARY, f"--input_saved_model_dir={model_dir}", f"--output_graph={out}", *extra],
                                  capture_output=True, text=True, check=True)
            data = open(out, "rb").read()
        graph_def = tf.compat.v1.GraphDef()
        graph_def.ParseFromString(data)
        with tf.Graph().as_default() as graph:
            tf.compat.v1.import_graph_def(graph_def, name="")
            with tf.compat.v1.Session() as sess:
                got = sess.run(fetches, {graph.get_tensor_by_name(k): np.array(v, np.float32) for k, v in feeds.items()})
        if "--inline_functions" in extra:
            calls = [n.name for n in graph_def.node if n.op.endswith("PartitionedCall")]
            assert not calls and not graph_def.library.function, (folder, calls)
        if formula is not None:
            (name, value), = feeds.items()
            assert np.allclose(got[0], formula(np.array(value))), (folder, got)
        results.append({
            "folder": f"{SERVING}/{folder}/00000123",
            "flags": extra,
            "stderr": proc.stderr.strip().splitlines()[-1],
            "feeds": feeds,
            "fetches": {k: np.asarray(v).tolist() for k, v in zip(fetches, got)},
            "bytes": len(data),
            "crc32c": crc32c(data),
        })
        print(folder, "ok", results[-1]["fetches"])
    with open(os.path.join(HERE, "expected.json"), "w") as f:
        json.dump({"tensorflow_version": tf.__version__, "saved_models": results}, f, indent=1)
        f.write("\n")


if __name__ == "__main__":
    sys.exit(main())
