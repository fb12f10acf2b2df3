"""Writes src/graph/op_defaults.pb: for every op TensorFlow 2.21 registers, the attrs
that have a default value, with that value (a binary OpList holding only
names and defaults).

TF's freeze_graph imports the graph before converting it, and import fills in
every missing attr that has a default, in place, in the very GraphDef that is
then frozen (python/framework/importer.py, `_ProcessGraphDefParam`). Graphs
written by older TF versions lack attrs added since (MatMul's `grad_a`,
Conv2D's `explicit_paddings`), and SavedModels often strip defaults, so the
frozen output has them only because of that import. The core does the same
from this table. Run by hand when moving to a new TF version:

    .venv/bin/python scripts/op_defaults.py
"""

import os

import tensorflow as tf
from tensorflow.core.framework import op_def_pb2
from tensorflow.python.client import pywrap_tf_session


def main():
    registered = op_def_pb2.OpList()
    buffer = pywrap_tf_session.TF_GetAllOpList()
    registered.ParseFromString(pywrap_tf_session.TF_GetBuffer(buffer))
    table = op_def_pb2.OpList()
    for op in sorted(registered.op, key=lambda o: o.name):
        defaults = [a for a in op.attr if a.HasField("default_value")]
        if not defaults:
            continue
        entry = table.op.add()
        entry.name = op.name
        for attr in defaults:
            kept = entry.attr.add()
            kept.name = attr.name
            kept.default_value.CopyFrom(attr.default_value)
    path = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "src", "graph", "op_defaults.pb")
    with open(path, "wb") as f:
        f.write(table.SerializeToString(deterministic=True))
    print(f"{path}: {len(table.op)} ops with defaults, TF {tf.__version__}")


if __name__ == "__main__":
    main()
