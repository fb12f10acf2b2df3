#!/usr/bin/env python3
"""Regenerates the op tables of `--target` (src/target/ops/*.txt) from the
consumers' own sources.

    scripts/target_ops.py tfjs   DIR   # tensorflowjs package or tfjs checkout
    scripts/target_ops.py onnx   DIR   # tf2onnx package or tensorflow-onnx checkout
    scripts/target_ops.py tract  DIR   # tract-tensorflow crate or tract checkout
    scripts/target_ops.py opencv DIR   # opencv checkout
    scripts/target_ops.py tflite DIR   # tensorflow checkout

Prints the op names, one a line, sorted; the table file is a header of `#`
lines saying where the names came from, then this output.
"""

import ast
import glob
import json
import os
import re
import sys


def first(root, *candidates):
    """The first of `candidates` (paths under root) that exists."""
    for candidate in candidates:
        path = os.path.join(root, candidate)
        if os.path.exists(path):
            return path
    sys.exit(f"none of {candidates} under {root}")


def tfjs(root):
    """Every `tfOpName` of the converter's op_list/*.json: what the TF.js
    converter maps to a TF.js kernel."""
    folder = first(root, "tfjs-converter/python/tensorflowjs/op_list", "tensorflowjs/op_list", "op_list")
    ops = set()
    for path in glob.glob(os.path.join(folder, "*.json")):
        with open(path) as f:
            ops.update(entry["tfOpName"] for entry in json.load(f))
    return ops


def onnx(root):
    """Every name given to a `@tf_op(...)` handler decorator in
    tf2onnx/onnx_opset/*.py."""
    folder = first(root, "tf2onnx/onnx_opset", "onnx_opset")
    ops = set()
    for path in glob.glob(os.path.join(folder, "*.py")):
        with open(path) as f:
            tree = ast.parse(f.read())
        for node in ast.walk(tree):
            for decorator in getattr(node, "decorator_list", []):
                if not (isinstance(decorator, ast.Call) and getattr(decorator.func, "id", "") == "tf_op"):
                    continue
                names = decorator.args[0] if decorator.args else None
                if isinstance(names, ast.Constant):
                    ops.add(names.value)
                elif isinstance(names, (ast.List, ast.Tuple)):
                    ops.update(e.value for e in names.elts if isinstance(e, ast.Constant))
    return ops


def tract(root):
    """Every `reg.insert("Op", ...)` of tract-tensorflow's src/ops, and
    NextIteration, which its model.rs builds itself."""
    folder = first(root, "tensorflow/src", "src")
    ops = set()
    for path in glob.glob(os.path.join(folder, "ops", "**", "*.rs"), recursive=True):
        with open(path) as f:
            ops.update(re.findall(r'reg\.insert\(\s*"([A-Za-z0-9_]+)"', f.read()))
    with open(os.path.join(folder, "model.rs")) as f:
        if '"NextIteration"' in f.read():
            ops.add("NextIteration")
    return ops


def opencv(root):
    """The op names of `TFImporter::buildDispatchMap()` in
    modules/dnn/src/tensorflow/tf_importer.cpp."""
    with open(first(root, "modules/dnn/src/tensorflow/tf_importer.cpp")) as f:
        text = f.read()
    body = text.split("TFImporter::buildDispatchMap()", 2)[-1].split("return dispatch;", 1)[0]
    return set(re.findall(r'dispatch\["([A-Za-z0-9_]+)"\]', body))


# Ops the TFLite converter handles itself (function calls it inlines, the
# functional control flow it turns into WHILE/IF), which the flex allowlist
# does not name: tensorflow/compiler/mlir/lite/transforms/ (legalize_tf_while,
# the inliner of the converter's pass pipeline).
TFLITE_CONVERTER = {"While", "StatelessWhile", "If", "StatelessIf", "PartitionedCall", "StatefulPartitionedCall"}


def tflite(root):
    """The names of `GetFlexAllowlist()` (tensorflow/lite/delegates/flex/
    allowlisted_flex_ops.cc): every TF op a TFLite model may hold, as a
    builtin or as a select TF op, plus TFLITE_CONVERTER."""
    with open(first(root, "tensorflow/lite/delegates/flex/allowlisted_flex_ops.cc")) as f:
        text = f.read()
    body = text.split("GetFlexAllowlist()", 1)[-1].split("});", 1)[0]
    return set(re.findall(r'"([A-Za-z0-9_]+)"', body)) | TFLITE_CONVERTER


if __name__ == "__main__":
    if len(sys.argv) != 3 or sys.argv[1] not in ("tfjs", "onnx", "tract", "opencv", "tflite"):
        sys.exit(__doc__)
    for op in sorted(globals()[sys.argv[1]](sys.argv[2])):
        print(op)
