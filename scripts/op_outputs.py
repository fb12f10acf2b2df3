"""Writes src/graph/op_outputs.txt: for every op TensorFlow 2.21 registers, its
output args in order, one op a line: `Name arg arg*N arg+T`, where `*N` says
the arg is a list whose length is the op's int attr N (`number_attr`) and `+T`
one whose types are the op's type-list attr T (`type_list_attr`).

Inside a FunctionDef, a node's output is named `node:out_arg:index`; a
GraphDef names it `node:port`, the position over all output args with the
lists expanded. Inlining a function body needs that mapping for every op
(tensorflow/core/framework/function.cc builds it from the same op defs).
Run by hand when moving to a new TF version:

    .venv/bin/python scripts/op_outputs.py
"""

import os

import tensorflow as tf
from tensorflow.core.framework import op_def_pb2
from tensorflow.python.client import pywrap_tf_session


def main():
    registered = op_def_pb2.OpList()
    buffer = pywrap_tf_session.TF_GetAllOpList()
    registered.ParseFromString(pywrap_tf_session.TF_GetBuffer(buffer))
    lines = []
    for op in sorted(registered.op, key=lambda o: o.name):
        args = []
        for arg in op.output_arg:
            if arg.number_attr:
                args.append(f"{arg.name}*{arg.number_attr}")
            elif arg.type_list_attr:
                args.append(f"{arg.name}+{arg.type_list_attr}")
            else:
                args.append(arg.name)
        lines.append(" ".join([op.name] + args))
    path = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "src", "graph", "op_outputs.txt")
    with open(path, "w") as f:
        f.write("\n".join(lines) + "\n")
    print(f"{path}: {len(lines)} ops, TF {tf.__version__}")


if __name__ == "__main__":
    main()
