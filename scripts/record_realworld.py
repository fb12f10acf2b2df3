#!/usr/bin/env python3
"""Expected outputs of real TF1 checkpoints from the wild, recorded with real TensorFlow.

The checkpoints are not part of this repository: they are other people's files, kept in a folder `realworld/`
(`realworld/wild/<model>/` and `realworld/tensorflow-serving/...`). The folder is found at --realworld, else at
$TF_FREEZE_REALWORLD, else at `../shared/realworld` beside this project.

Record (TensorFlow 2.x with tf.compat.v1; the committed files were written with TF 2.21):

    python scripts/record_realworld.py [--only NAME ...]

For every model below it restores the checkpoint into its meta graph in TensorFlow, runs the chosen output nodes on
small seeded inputs, and freezes it with TensorFlow's own `freeze_graph` to note what that does. It writes
`tests/realworld/<name>.json`, which `tests/realworld.rs` reads.

Verify our `freeze_graph` (build it first with `cargo build --release`):

    python scripts/record_realworld.py --verify [--binary target/release/freeze_graph]

freezes every model with our binary, loads each frozen graph in TensorFlow, runs it with the recorded inputs,
compares with the recorded outputs and writes `tests/realworld/VERIFY_REPORT.md`. Each record whose frozen graph
computes the recorded outputs gets that graph's size and CRC-32 as "verified_output", which `tests/realworld.rs`
checks, so `cargo test` notices when the output changes.

Run the opt-in transforms of our `freeze_graph` on every model (`--strip_debug_ops`, `--fold_batch_norms`, both,
`--fix_legacy_shapes`, `--fold_constants`, and `--input_shapes` set to the recorded feeds' shapes, alone and with
`--fold_constants`):

    python scripts/record_realworld.py --transforms [--binary target/release/freeze_graph]

each transform that changes a model's graph (its report lists changes) is run in TensorFlow on the recorded inputs
and compared with the recorded outputs; so is each `--target` preset (tflite, tfjs, onnx, opencv, tract), changes
or not. A preset whose output fails where the plain one matches is re-run with each of its options alone, to name
the one that breaks it. Writes `tests/realworld/TRANSFORMS_REPORT.md`.

Record fields: "folder" (under realworld/), "prefix" and "meta" (file names there), "output_node_names", "feeds" and
"fetches" ({tensor: {dtype, shape, values}}; feed values repeat to fill the shape; a large fetch keeps its first
values as "head" with "sum" and "abs_sum"), "notes", "tf_freeze_graph" (what TF's own tool did: ok, error, fails
when run, wrong outputs), "import_workarounds" (changes TF 2.x needed to import the meta graph) and
"verified_output".
"""

import argparse
import glob
import json
import os
import re
import subprocess
import sys
import tempfile
import zlib

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
os.environ.setdefault("TF_USE_LEGACY_KERAS", "1")

import numpy as np  # noqa: E402

PROJECT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OUT_DIR = os.path.join(PROJECT, "tests", "realworld")
# Outputs with more elements than this are recorded as a summary (first values, sums), not in full.
MAX_RECORDED = 256
HEAD = 64
RTOL, ATOL = 1e-4, 1e-5
VARIABLE_OPS = ("Variable", "VariableV2", "VarHandleOp")


def uniform(low, high, shape):
    """Uniform values rounded to two decimals, so the recorded inputs stay short and exact."""
    return lambda rng, dtype: np.round(rng.uniform(low, high, shape), 2).astype(dtype)


def ids(low, high, shape):
    return lambda rng, dtype: rng.randint(low, high, shape).astype(dtype)


def scalar(value):
    return lambda rng, dtype: np.array(value, dtype)


def one_hot(depth, shape):
    return lambda rng, dtype: np.eye(depth, dtype=dtype)[rng.randint(0, depth, shape)]


def repeated(make, shape):
    """`make`'s values repeated to fill `shape`."""
    return lambda rng, dtype: np.resize(make(rng, dtype), shape)


def pendulum(batch):
    """Gym Pendulum observations: cos(theta), sin(theta), angular velocity."""

    def make(rng, dtype):
        theta = rng.uniform(-np.pi, np.pi, batch)
        speed = rng.uniform(-8, 8, batch)
        return np.round(np.stack([np.cos(theta), np.sin(theta), speed], 1), 2).astype(dtype)

    return make


KEEP_ALL = "a keep-probability placeholder, fed 1.0 as at inference (dropout keeps everything)"

# name -> folder (under realworld/), output nodes, feeds {tensor: generator}, extra tensors to record, notes.
MODELS = {
    "vocal_autoencoder_v1": dict(
        folder="wild/vocal_autoencoder_v1",
        outputs=["Tanh_4", "mul"],
        feeds={"Placeholder:0": uniform(-1, 1, [2, 64])},
        notes="Placeholder: 64 FFT values per frame. Tanh_4: the autoencoder's reconstruction (Tanh, Tanh_1 encode; "
        "Tanh_3, Tanh_4 decode with the transposed weights). mul: the predictor head (Tanh_2) scaled.",
    ),
    "traffic_signs_v1": dict(
        folder="wild/traffic_signs_v1",
        outputs=["Add_2", "ArgMax"],
        feeds={"Placeholder:0": uniform(-0.5, 0.5, [1, 32, 32]), "Placeholder_2:0": scalar(1.0)},
        notes="Placeholder: one normalised grayscale 32x32 image. Placeholder_2: " + KEEP_ALL + ". Add_2: the 43 "
        "logits; ArgMax: the predicted class.",
    ),
    "tflearn_mnist_v1": dict(
        folder="wild/tflearn_mnist_v1",
        outputs=["FullyConnected/Softmax"],
        feeds={"input/X:0": uniform(0, 1, [2, 784])},
        notes="input/X: two flattened 28x28 images. FullyConnected/Softmax: class probabilities. The meta graph's "
        "collection 'trainops' names a node 'Adam' that the graph lacks, so tf.train.import_meta_graph refuses the "
        "file; the entry was dropped before importing it here.",
    ),
    "traffic_lenet_bn": dict(
        folder="wild/traffic_lenet_bn",
        outputs=["add_4", "ArgMax"],
        feeds={"Placeholder:0": uniform(-1, 1, [1, 32, 32, 3]), "Placeholder_2:0": scalar(1.0)},
        notes="Placeholder: one 32x32 colour image (float64, cast to float32 in the graph). Placeholder_2: "
        + KEEP_ALL
        + ". Batch norm uses the statistics of the batch itself (here one image's). add_4: "
        "the 43 logits; ArgMax: the predicted class.",
    ),
    "ddpg_actor": dict(
        folder="wild/ddpg_actor",
        outputs=["actor/target_1/add"],
        feeds={"actor/target_1/ff_inputs:0": pendulum(2)},
        extra=["actor/target_1/dense_3/BiasAdd:0"],
        notes="The checkpoint holds only the target actor's variables (the Saver had a partial var_list), so the "
        "output is the target actor: actor/target_1/add, the tanh action rescaled to the action range "
        "(dense_3/BiasAdd, before the tanh, is recorded too since the action saturates). "
        "actor/target_1/ff_inputs: two Pendulum observations.",
    ),
    "neural_ibm1": dict(
        folder="wild/neural_ibm1",
        outputs=["ArgMax"],
        feeds={"Placeholder:0": ids(1, 1005, [1, 4]), "Placeholder_1:0": ids(1, 1005, [1, 3])},
        extra=["MatMul_2:0"],
        notes="Placeholder: a source sentence of 4 word ids; Placeholder_1: a target sentence of 3 word ids (its "
        "length sets the Tile multiples; id 0 is padding). MatMul_2: the translation probabilities p(y|x) per "
        "target position; ArgMax: the most likely target word per position.",
    ),
    "mnist_estimator": dict(
        folder="wild/mnist_estimator",
        outputs=["softmax_tensor", "ArgMax"],
        feeds={"random_shuffle_queue_DequeueMany:1": repeated(uniform(0, 1, [2, 784]), [100, 784])},
        notes="The images arrive through a RandomShuffleQueue, so the dequeued image tensor "
        "random_shuffle_queue_DequeueMany:1 is fed directly; the graph fixes its batch at 100, so two flattened "
        "28x28 images are repeated 50 times. softmax_tensor: class "
        "probabilities; ArgMax: the predicted class. Newest of the two checkpoints: model.ckpt-20000.",
    ),
    "char_lstm": dict(
        folder="wild/char_lstm",
        outputs=["ArgMax"],
        feeds={"Placeholder:0": one_hot(65, [1, 50])},
        extra=["dense/BiasAdd:0"],
        notes="Placeholder: one sequence of 50 one-hot characters (65 symbols). dense/BiasAdd: the next-character "
        "logits at each step (recorded as a summary); ArgMax: the predicted characters.",
    ),
    "bilstm_sentiment": dict(
        folder="wild/bilstm_sentiment",
        outputs=["Softmax", "ArgMax"],
        feeds={
            "inputs:0": ids(1, 2808, [2, 33]),
            "dropout_input:0": scalar(1.0),
            "dropout_output:0": scalar(1.0),
        },
        notes="inputs: two reviews of 33 word ids (vocabulary of 2808). dropout_input, dropout_output: the "
        "DropoutWrapper keep probabilities, fed 1.0 as at inference. Softmax: negative/positive probabilities; "
        "ArgMax: the predicted class.",
    ),
    "cgan_mnist": dict(
        folder="wild/cgan_mnist",
        outputs=["generator/Sigmoid"],
        feeds={"Z:0": uniform(-1, 1, [1, 100]), "Y:0": lambda rng, dtype: np.eye(10, dtype=dtype)[[7]]},
        extra=["generator/dense_1/BiasAdd:0"],
        notes="Z: one noise vector; Y: the one-hot condition, digit 7. generator/Sigmoid: the generated 28x28 image. "
        "The meta graph's SaverDef is the third Saver's (save_2/).",
    ),
    "fashion_cnn": dict(
        folder="wild/fashion_cnn",
        outputs=["Softmax", "ArgMax"],
        feeds={"Placeholder:0": uniform(0, 1, [2, 784]), "Placeholder_2:0": scalar(1.0)},
        notes="Placeholder: two flattened 28x28 images. Placeholder_2: "
        + KEEP_ALL
        + " (the graph computes rate = 1 - keep_prob). Softmax: class probabilities; ArgMax: the predicted class.",
    ),
    "dqn_car": dict(
        folder="wild/dqn_car",
        outputs=["eval_net/l2/add"],
        feeds={"s:0": uniform(0, 1, [2, 5])},
        notes="s: two game states. eval_net/l2/add: the evaluation network's Q value per action (the agent picks "
        "the largest). The meta graph's SaverDef is the second Saver's (save_1/).",
    ),
    "half_plus_two_v1": dict(
        folder="tensorflow-serving/session_bundle/testdata/half_plus_two/00000123",
        prefix="export-00000-of-00001",
        meta="export.meta",
        outputs=["y"],
        feeds={"x:0": lambda rng, dtype: np.array([[0.0], [1.0], [3.0]], dtype)},
        notes="y = 0.5 * x + 2 from the legacy SessionBundle export: a sharded V1 checkpoint (one shard) and a "
        "TF 0.12 meta graph. x (an Identity after ParseExample) is fed directly.",
    ),
}


def realworld_dir(arg):
    if arg:
        return arg
    return os.environ.get("TF_FREEZE_REALWORLD") or os.path.join(PROJECT, "..", "shared", "realworld")


def checkpoint_files(spec, root):
    """(prefix, meta) paths: the given names, else the newest step's prefix and its meta."""
    folder = os.path.join(root, spec["folder"])
    if "prefix" in spec:
        return os.path.join(folder, spec["prefix"]), os.path.join(folder, spec["meta"])
    metas = glob.glob(os.path.join(folder, "*.meta"))
    if not metas:
        raise SystemExit(f"no .meta file in {folder}")

    def step(path):
        match = re.search(r"-(\d+)\.meta$", path)
        return int(match.group(1)) if match else -1

    meta = max(metas, key=step)
    return meta[: -len(".meta")], meta


def load_meta(path):
    from tensorflow.core.protobuf import meta_graph_pb2

    meta = meta_graph_pb2.MetaGraphDef()
    with open(path, "rb") as f:
        meta.ParseFromString(f.read())
    return meta


def import_workarounds(meta):
    """Fixes to a meta graph without which TF 2.x's import_meta_graph refuses it; returns what was changed."""
    from packaging import version

    changes = []
    tf_version = meta.meta_info_def.tensorflow_version
    try:
        if tf_version:
            version.parse(tf_version)
    except version.InvalidVersion:
        meta.meta_info_def.tensorflow_version = ""
        changes.append(f"cleared meta_info_def.tensorflow_version {tf_version!r}, which TF 2.x cannot parse")
    # Node-list collection entries naming nodes the graph lacks.
    names = {node.name for node in meta.graph_def.node}
    for key, collection in meta.collection_def.items():
        if collection.WhichOneof("kind") != "node_list":
            continue
        values = list(collection.node_list.value)
        keep = [v for v in values if v.lstrip("^").split(":")[0] in names]
        if len(keep) != len(values):
            missing = sorted(set(values) - set(keep))
            changes.append(f"dropped {missing} from collection {key!r}: the graph has no such node")
            del collection.node_list.value[:]
            collection.node_list.value.extend(keep)
    return changes


def make_feeds(name, spec, graph_def):
    """The seeded inputs, as numpy arrays of each placeholder's dtype."""
    import tensorflow as tf

    rng = np.random.RandomState(zlib.crc32(name.encode()))
    nodes = {node.name: node for node in graph_def.node}
    feeds = {}
    for tensor, make in spec["feeds"].items():
        node_name, _, index = tensor.partition(":")
        node = nodes[node_name]
        if node.op == "QueueDequeueManyV2":
            dtype = node.attr["component_types"].list.type[int(index)]
        else:
            dtype = (node.attr["dtype"] if "dtype" in node.attr else node.attr["T"]).type
        dtype = tf.dtypes.as_dtype(dtype)
        feeds[tensor] = make(rng, dtype.as_numpy_dtype)
    return feeds


def fetch_names(spec):
    return [f"{n}:0" for n in spec["outputs"]] + spec.get("extra", [])


def run_graph(graph_def_or_meta, feeds, fetches, prefix=None):
    """Runs `fetches`: from a meta graph restored from `prefix`, or from a frozen GraphDef."""
    import tensorflow as tf

    tf1 = tf.compat.v1
    with tf.Graph().as_default() as graph:
        if prefix is not None:
            saver = tf1.train.import_meta_graph(graph_def_or_meta, clear_devices=True)
        else:
            tf1.import_graph_def(graph_def_or_meta, name="")
        with tf1.Session(graph=graph) as sess:
            if prefix is not None:
                saver.restore(sess, prefix)
            feed_dict = {graph.get_tensor_by_name(t): v for t, v in feeds.items()}
            values = sess.run([graph.get_tensor_by_name(t) for t in fetches], feed_dict)
    return dict(zip(fetches, values))


def exact(values, dtype):
    """The shortest numbers that read back to the same values in `dtype`."""
    flat = np.asarray(values).ravel()
    if dtype.kind == "f":
        numbers = [float(str(x)) for x in flat.astype(dtype)]
        return [int(x) if x.is_integer() and abs(x) < 2**53 else x for x in numbers]
    if dtype.kind == "b":
        return [bool(x) for x in flat.tolist()]
    return [int(x) for x in flat.tolist()]


def describe(value, limit=MAX_RECORDED):
    value = np.asarray(value)
    out = {"dtype": value.dtype.name, "shape": list(value.shape)}
    if value.size <= limit:
        out["values"] = exact(value, value.dtype)
    else:
        out["head"] = exact(value.ravel()[:HEAD], value.dtype)
        out["sum"] = float(np.sum(value, dtype=np.float64))
        out["abs_sum"] = float(np.sum(np.abs(value), dtype=np.float64))
    return out


def describe_feed(value):
    """A feed in full; when its rows repeat, only the first period of rows ("values" then repeat to fill the shape)."""
    value = np.asarray(value)
    flat = value.ravel()
    rows = value.shape[0] if value.ndim else 1
    period = flat.size
    for k in range(1, rows):
        if rows % k == 0 and np.array_equal(np.resize(flat[: flat.size // rows * k], flat.size), flat):
            period = flat.size // rows * k
            break
    return {"dtype": value.dtype.name, "shape": list(value.shape), "values": exact(flat[:period], value.dtype)}


def compare(recorded, value):
    """(None or what differs, the largest absolute difference) between `value` and the recorded tensor."""
    value = np.asarray(value)
    if list(value.shape) != recorded["shape"]:
        return f"shape {list(value.shape)}, expected {recorded['shape']}", float("inf")
    flat = value.ravel().astype(np.float64)
    # Recorded numbers are the shortest text for the value in its own dtype: read them back in that dtype.
    def stored(numbers):
        return np.array(numbers, recorded["dtype"]).astype(np.float64)

    if "values" in recorded:
        want = stored(recorded["values"])
        got = flat
    else:
        want = np.concatenate([stored(recorded["head"]), [recorded["sum"], recorded["abs_sum"]]])
        got = np.concatenate([flat[:HEAD], [flat.sum(), np.abs(flat).sum()]])
    diff = float(np.max(np.abs(got - want))) if got.size else 0.0
    if got.shape == want.shape and np.allclose(got, want, rtol=RTOL, atol=ATOL):
        return None, diff
    return f"max abs difference {diff:.3g}", diff


def last_error_line(stderr):
    """The exception line of a Python traceback, or the last non-empty line."""
    lines = [line.strip() for line in stderr.splitlines() if line.strip()]
    for line in reversed(lines):
        if re.match(r"^[\w.]+(Error|Exception)\b", line):
            return line[:400]
    return lines[-1][:400] if lines else "(no message)"


def check_frozen(path, feeds, expected, skip_missing=False):
    """Runs a frozen graph file on the feeds: ('ok' | 'fails when run' | 'wrong outputs', detail).

    With `skip_missing`, a feed whose node the graph no longer has is left out (a transform removed a
    placeholder nothing reads any more, such as dropout's keep probability)."""
    from tensorflow.core.framework import graph_pb2

    graph_def = graph_pb2.GraphDef()
    with open(path, "rb") as f:
        graph_def.ParseFromString(f.read())
    unfed = ""
    if skip_missing:
        nodes = {n.name for n in graph_def.node}
        missing = sorted(t for t in feeds if t.split(":")[0] not in nodes)
        feeds = {t: v for t, v in feeds.items() if t not in missing}
        unfed = f"; {', '.join(missing)} removed, not fed" if missing else ""
    left = sorted({n.op for n in graph_def.node if n.op in VARIABLE_OPS})
    left_note = f"; {sum(n.op in VARIABLE_OPS for n in graph_def.node)} {'/'.join(left)} nodes left" if left else ""
    try:
        got = run_graph(graph_def, feeds, list(expected))
    except Exception as e:  # noqa: BLE001 - any failure to load or run is the finding
        return "fails when run", f"{type(e).__name__}: {first_message_line(str(e))}{left_note}"
    results = {t: compare(expected[t], got[t]) for t in expected}
    wrong = {t: d for t, (d, _) in results.items() if d}
    if wrong:
        return "wrong outputs", "; ".join(f"{t}: {d}" for t, d in wrong.items()) + left_note
    largest = max((diff for _, diff in results.values()), default=0.0)
    return "ok", f"{len(graph_def.node)} nodes; outputs match (largest difference {largest:.3g}){unfed}"


def first_message_line(message):
    """The informative line of a TF runtime error, skipping its 'Graph execution error' framing."""
    skip = ("Graph execution error", "Detected at node", "Node:", "Original stack trace")
    for line in message.splitlines():
        line = line.strip()
        if line and not line.startswith(skip):
            return line[:300]
    return message.strip()[:300]


def freeze_args(prefix, meta, outputs, out):
    return [
        f"--input_meta_graph={meta}",
        "--input_binary=true",
        f"--input_checkpoint={prefix}",
        f"--output_node_names={','.join(outputs)}",
        f"--output_graph={out}",
    ]


def tf_freeze_graph(spec, prefix, meta, feeds, expected):
    """What TensorFlow's own freeze_graph tool does with this checkpoint."""
    with tempfile.TemporaryDirectory() as tmp:
        out = os.path.join(tmp, "frozen.pb")
        cmd = [sys.executable, "-m", "tensorflow.python.tools.freeze_graph"]
        proc = subprocess.run(
            cmd + freeze_args(prefix, meta, spec["outputs"], out), capture_output=True, text=True, timeout=900
        )
        if proc.returncode != 0 or not os.path.exists(out):
            return {"result": "error", "detail": last_error_line(proc.stderr)}
        result, detail = check_frozen(out, feeds, expected)
        # Which leftover variable TF trips over first varies from run to run.
        detail = re.sub(r"(uninitialized value) [^\s;]+", r"\1 (a leftover variable)", detail)
        outcome = {"result": result, "detail": detail}
        if result == "ok":
            outcome.update(fingerprint(out))
        return outcome


def fingerprint(path):
    """Size and zlib CRC-32 of a file."""
    with open(path, "rb") as f:
        data = f.read()
    return {"bytes": len(data), "crc32": zlib.crc32(data)}


def record(name, spec, root):
    prefix, meta_path = checkpoint_files(spec, root)
    meta = load_meta(meta_path)
    workarounds = import_workarounds(meta)
    feeds = make_feeds(name, spec, meta.graph_def)
    values = run_graph(meta, feeds, fetch_names(spec), prefix=prefix)
    outputs = set(fetch_names(spec)) - set(spec.get("extra", []))
    fetches = {t: describe(v, MAX_RECORDED if t in outputs else HEAD) for t, v in values.items()}
    result = {
        "folder": spec["folder"],
        "prefix": os.path.basename(prefix),
        "meta": os.path.basename(meta_path),
        "output_node_names": spec["outputs"],
        "feeds": {t: describe_feed(v) for t, v in feeds.items()},
        "fetches": fetches,
        "notes": spec["notes"],
        "tf_freeze_graph": tf_freeze_graph(spec, prefix, meta_path, feeds, fetches),
    }
    if workarounds:
        result["import_workarounds"] = workarounds
    save_record(name, result)
    print(f"{name}: recorded; TF freeze_graph: {result['tf_freeze_graph']['result']}")


def to_json(value, indent=0):
    """JSON with objects indented and lists of numbers on one line, to keep the files short."""
    pad = " " * indent
    if isinstance(value, dict):
        if not value:
            return "{}"
        items = [f'{pad} {json.dumps(k)}: {to_json(v, indent + 1)}' for k, v in value.items()]
        return "{\n" + ",\n".join(items) + "\n" + pad + "}"
    if isinstance(value, list) and any(isinstance(v, (dict, list)) for v in value):
        return "[\n" + ",\n".join(f"{pad} {to_json(v, indent + 1)}" for v in value) + "\n" + pad + "]"
    return json.dumps(value)


def compare_with_tf(ours_path, prefix, meta, outputs):
    """How our frozen graph differs from the one TF's freeze_graph writes for the same files."""
    from tensorflow.core.framework import graph_pb2
    from tensorflow.python.framework import op_def_registry

    with tempfile.TemporaryDirectory() as tmp:
        theirs_path = os.path.join(tmp, "tf_frozen.pb")
        cmd = [sys.executable, "-m", "tensorflow.python.tools.freeze_graph"]
        subprocess.run(cmd + freeze_args(prefix, meta, outputs, theirs_path), capture_output=True, timeout=900)
        graphs = []
        for path in (ours_path, theirs_path):
            graph = graph_pb2.GraphDef()
            with open(path, "rb") as f:
                graph.ParseFromString(f.read())
            graphs.append(graph)
    ours, theirs = graphs
    if ours.SerializeToString(deterministic=True) == theirs.SerializeToString(deterministic=True):
        return "identical to TF's"
    if [n.name for n in ours.node] != [n.name for n in theirs.node]:
        return "differs from TF's: other nodes or order"
    defaults, other = set(), []
    for mine, tfs in zip(ours.node, theirs.node):
        if (mine.op, list(mine.input), mine.device) != (tfs.op, list(tfs.input), tfs.device):
            other.append(mine.name)
        op_def = op_def_registry.get(tfs.op)
        op_defaults = {a.name: a.default_value for a in op_def.attr} if op_def else {}
        for key, value in tfs.attr.items():
            if key in mine.attr:
                if mine.attr[key] != value:
                    other.append(f"{mine.name}.{key}")
            elif key in op_defaults and op_defaults[key] == value:
                defaults.add(f"{tfs.op}.{key}")
            else:
                other.append(f"{mine.name}.{key}")
        other.extend(f"{mine.name}.{key}" for key in mine.attr if key not in tfs.attr)
    if other or ours.versions != theirs.versions or ours.library != theirs.library:
        return f"differs from TF's: {', '.join(other[:5]) or 'versions or library'}"
    return "as TF's, except attrs TF's import adds at their default values: " + ", ".join(sorted(defaults))


def save_record(name, record):
    with open(os.path.join(OUT_DIR, f"{name}.json"), "w") as f:
        f.write(to_json(record) + "\n")


def load_record(name):
    with open(os.path.join(OUT_DIR, f"{name}.json")) as f:
        return json.load(f)


def recorded_feeds(rec):
    return {t: np.resize(np.array(f["values"], dtype=f["dtype"]), f["shape"]) for t, f in rec["feeds"].items()}


def verify(names, root, binary):
    rows = []
    for name in names:
        rec = load_record(name)
        folder = os.path.join(root, rec["folder"])
        prefix, meta = os.path.join(folder, rec["prefix"]), os.path.join(folder, rec["meta"])
        with tempfile.TemporaryDirectory() as tmp:
            out = os.path.join(tmp, "frozen.pb")
            proc = subprocess.run(
                [binary] + freeze_args(prefix, meta, rec["output_node_names"], out),
                capture_output=True,
                text=True,
                timeout=900,
            )
            if proc.returncode != 0:
                ours = ("error", f"exit {proc.returncode}: {last_error_line(proc.stderr)}")
            else:
                ours = check_frozen(out, recorded_feeds(rec), rec["fetches"])
            # The fingerprint of a frozen graph that TF ran correctly: tests/realworld.rs checks that
            # our output stays this graph.
            rec.pop("verified_output", None)
            if ours[0] == "ok":
                rec["verified_output"] = fingerprint(out)
                if rec["tf_freeze_graph"]["result"] == "ok":
                    ours = (ours[0], f"{ours[1]}; {compare_with_tf(out, prefix, meta, rec['output_node_names'])}")
            save_record(name, rec)
        tf_result = "{result}: {detail}".format(**rec["tf_freeze_graph"])
        rows.append((name, ", ".join(rec["output_node_names"]), ours[0], ours[1], tf_result))
        print(f"{name}: ours {ours[0]} ({ours[1]})")
    write_report(rows, binary)
    return all(row[2] == "ok" for row in rows)


def transform_flags(rec, meta):
    """The transforms to try on a record, by name: flags for our freeze_graph."""
    placeholders = {n.name for n in meta.graph_def.node if n.op == "Placeholder"}
    shapes = ";".join(f"{t.split(':')[0]}={','.join(str(d) for d in f['shape'])}"
                      for t, f in sorted(rec["feeds"].items())
                      if t.endswith(":0") and t.split(":")[0] in placeholders)
    # A fed tensor that is not a placeholder is an input only once the graph is
    # cut there (`--input_names`): other transforms may remove it otherwise.
    cut = sorted(t[:-2] if t.endswith(":0") else t for t in rec["feeds"]
                 if t.split(":")[0] not in placeholders)
    base = [f"--input_names={','.join(cut)}"] if cut else []
    flags = {
        "strip_debug_ops": ["--strip_debug_ops"],
        "fold_batch_norms": ["--fold_batch_norms"],
        "strip_debug_ops + fold_batch_norms": ["--strip_debug_ops", "--fold_batch_norms"],
        "fix_legacy_shapes": ["--fix_legacy_shapes"],
        "fold_constants": ["--fold_constants"],
    }
    if shapes:
        flags["input_shapes"] = [f"--input_shapes={shapes}"]
        flags["input_shapes + fold_constants"] = [f"--input_shapes={shapes}", "--fold_constants"]
    for target in TARGETS:
        flags[f"target={target}"] = [f"--target={target}"]
    named = {f"input_names + {name}" if cut else name: base + extra for name, extra in flags.items()}
    if cut:
        named["input_names"] = base
    return named


TARGETS = ("tflite", "tfjs", "onnx", "opencv", "tract")


def preset_options():
    """{target: [flag, ...]}: the options each `--target` preset turns on, read from src/target/preset.rs."""
    with open(os.path.join(PROJECT, "src", "target", "preset.rs")) as f:
        text = f.read()
    body = text[text.index("pub fn preset("):]
    options = {}
    for arms, rows in re.findall(r"((?:Target::\w+\s*\|?\s*)+)=>\s*&\[(.*?)\]", body, re.S):
        for arm in re.findall(r"Target::(\w+)", arms):
            options[arm.lower()] = re.findall(r'\("(\w+)",', rows)
    return options


def freeze_and_check(binary, prefix, meta, rec, extra, skip_missing):
    """Freezes with `extra` flags and runs the result in TF: (result, detail, changes, lint)."""
    with tempfile.TemporaryDirectory() as tmp:
        out, report = os.path.join(tmp, "frozen.pb"), os.path.join(tmp, "report.json")
        proc = subprocess.run(
            [binary] + freeze_args(prefix, meta, rec["output_node_names"], out) + extra + [f"--report={report}"],
            capture_output=True, text=True, timeout=900)
        if proc.returncode != 0:
            return "error", f"exit {proc.returncode}: {last_error_line(proc.stderr)}", [], None
        with open(report) as f:
            data = json.load(f)
        changes = data.get("changes") or []
        lint = (data.get("target_lint") or {}).get("unsupported")
        try:
            result, detail = check_frozen(out, cut_feeds(recorded_feeds(rec), extra), rec["fetches"], skip_missing)
        except Exception as e:  # noqa: BLE001 - a graph TF cannot even parse is the finding
            result, detail = "fails when run", f"{type(e).__name__}: {first_message_line(str(e))}"
        return result, detail, changes, lint


def cut_feeds(feeds, flags):
    """The feeds renamed as `--input_names` names the placeholders it makes:
    `node` for output 0, `node_K` for output K."""
    cut = next((f.split("=", 1)[1].split(",") for f in flags if f.startswith("--input_names=")), [])
    renamed = {}
    for tensor, value in feeds.items():
        node, _, port = tensor.partition(":")
        if tensor in cut or (port == "0" and node in cut):
            tensor = f"{node}:0" if port in ("", "0") else f"{node}_{port}:0"
        renamed[tensor] = value
    return renamed


def verify_transforms(names, root, binary):
    """Each transform that applies to a model, run in TF against the recorded outputs."""
    import time

    started = time.time()
    options = preset_options()
    rows, failures = [], []
    for name in names:
        rec = load_record(name)
        folder = os.path.join(root, rec["folder"])
        prefix, meta = os.path.join(folder, rec["prefix"]), os.path.join(folder, rec["meta"])
        plain = None
        for transform, extra in transform_flags(rec, load_meta(meta)).items():
            if "target=" in transform:
                # A preset always runs, changes or not: a target's output must compute what the plain one does.
                result, detail, changes, lint = freeze_and_check(binary, prefix, meta, rec, extra, True)
                detail = f"{len(changes)} change(s); {detail}"
                if lint:
                    detail += f"; lint lists {len(lint)} node(s)"
                if result != "ok":
                    cut = [f for f in extra if f.startswith("--input_names=")]
                    if plain is None:
                        plain = freeze_and_check(binary, prefix, meta, rec, cut, False)
                    if plain[0] == "ok":
                        target = transform.split("target=", 1)[1]
                        alone = []
                        for option in options.get(target, []):
                            got = freeze_and_check(binary, prefix, meta, rec, cut + [f"--{option}=true"], True)
                            if got[0] != "ok":
                                alone.append(f"--{option} alone: {got[0]}: {got[1]}")
                        cause = "; ".join(alone) or "no option of the preset fails alone"
                        result = "FAIL"
                        detail += f" (the plain output matches; {cause})"
                        failures.append(f"{name} {transform}: {detail}")
                    else:
                        detail += f" (like the plain output: {plain[0]})"
                rows.append((name, transform, result, detail))
                print(f"{name} [{transform}]: {result} ({detail})")
                continue
            with tempfile.TemporaryDirectory() as tmp:
                out, report = os.path.join(tmp, "frozen.pb"), os.path.join(tmp, "report.json")
                proc = subprocess.run(
                    [binary] + freeze_args(prefix, meta, rec["output_node_names"], out) + extra
                    + [f"--report={report}"],
                    capture_output=True, text=True, timeout=900)
                if proc.returncode != 0:
                    rows.append((name, transform, "error", f"exit {proc.returncode}: {last_error_line(proc.stderr)}"))
                    continue
                with open(report) as f:
                    changes = json.load(f).get("changes") or []
                if not changes:
                    continue  # does not apply: nothing to run
                result, detail = check_frozen(out, cut_feeds(recorded_feeds(rec), extra), rec["fetches"])
                rows.append((name, transform, result, f"{len(changes)} change(s); {detail}"))
                print(f"{name} [{transform}]: {result} ({detail})")
    lines = [
        "# Real-world checkpoints: the opt-in transforms run in TensorFlow",
        "",
        "Written by `python scripts/record_realworld.py --transforms`. Each transform was added to the flags of",
        "`--verify`; where its report listed changes, TensorFlow ran the frozen graph on the recorded inputs and",
        f"compared with the recorded outputs (rtol {RTOL}, atol {ATOL}). Transforms that change nothing in a model",
        "are not listed. Each `--target` preset (`target=...`) is run on every model, changes or not; where it",
        "removes a placeholder nothing reads any more (dropout's keep probability) that feed is left out, and",
        "the lint's count of nodes the target lacks is noted (the graph is written all the same).",
        "",
        summary(rows, failures, time.time() - started),
        "",
        "| model | transform | result | detail |",
        "|---|---|---|---|",
    ]
    lines += ["| " + " | ".join(c.replace("|", "/") for c in (f"`{n}`", t, r, d)) + " |" for n, t, r, d in rows]
    for failure in failures:
        print("FAIL", failure)
    print(summary(rows, failures, time.time() - started))
    with open(os.path.join(OUT_DIR, "TRANSFORMS_REPORT.md"), "w") as f:
        f.write("\n".join(lines) + "\n")
    return all(row[2] == "ok" for row in rows)


def summary(rows, failures, seconds):
    targets = [r for r in rows if "target=" in r[1]]
    return (f"{len(rows)} runs, {sum(r[2] == 'ok' for r in rows)} match; of them {len(targets)} with a `--target`, "
            f"{sum(r[2] == 'ok' for r in targets)} match, {len(failures)} fail where the plain output matches "
            f"({seconds:.0f} s).")


def write_report(rows, binary):
    import tensorflow as tf

    ok = sum(row[2] == "ok" for row in rows)
    lines = [
        "# Real-world checkpoints: verification of our freeze_graph",
        "",
        "Written by `python scripts/record_realworld.py --verify`. For each checkpoint in `realworld/` (TF1 checkpoints",
        f"from the wild, and the V1 SessionBundle export of tensorflow/serving), our `{os.path.relpath(binary, PROJECT)}`",
        f"froze the meta graph with the recorded output nodes; TensorFlow {tf.__version__} loaded the frozen graph, ran it",
        "on the recorded inputs and compared the outputs with those it computed from the restored checkpoint",
        f"(`tests/realworld/<name>.json`; tolerance rtol {RTOL}, atol {ATOL}). Where TensorFlow's own `freeze_graph`",
        "succeeds, the detail also compares our graph with the one it writes. The last column is what TensorFlow's",
        "`freeze_graph` did with the same files, from the recording.",
        "",
        f"Result: {ok} of {len(rows)} frozen graphs compute the recorded outputs.",
        "",
        "| model | output nodes | ours | detail | TF's freeze_graph |",
        "|---|---|---|---|---|",
    ]
    for name, outputs, result, detail, tf_result in rows:
        cells = [f"`{name}`", f"`{outputs}`", result, detail, tf_result]
        lines.append("| " + " | ".join(c.replace("|", "/") for c in cells) + " |")
    with open(os.path.join(OUT_DIR, "VERIFY_REPORT.md"), "w") as f:
        f.write("\n".join(lines) + "\n")


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--realworld", help="the realworld/ folder (default: $TF_FREEZE_REALWORLD or ../shared/realworld)")
    parser.add_argument("--only", nargs="*", help="record or verify only these models")
    parser.add_argument("--verify", action="store_true", help="check our freeze_graph against the recordings")
    parser.add_argument("--transforms", action="store_true", help="run our opt-in transforms in TF on every model")
    parser.add_argument("--binary", default=os.path.join(PROJECT, "target", "release", "freeze_graph"))
    args = parser.parse_args()
    root = realworld_dir(args.realworld)
    if not os.path.isdir(root):
        raise SystemExit(f"real-world checkpoints not found at {root} (use --realworld or TF_FREEZE_REALWORLD)")
    names = args.only or list(MODELS)
    import tensorflow as tf

    tf.compat.v1.disable_eager_execution()
    if args.verify:
        sys.exit(0 if verify(names, root, os.path.abspath(args.binary)) else 1)
    if args.transforms:
        sys.exit(0 if verify_transforms(names, root, os.path.abspath(args.binary)) else 1)
    os.makedirs(OUT_DIR, exist_ok=True)
    for name in names:
        record(name, MODELS[name], root)


if __name__ == "__main__":
    main()
