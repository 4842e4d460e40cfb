#!/usr/bin/env python3
"""Inspect the exported zoo models: node count, I/O shapes, module scopes, and the exit node of each
tappable layer (the node inside scope /<layer>/ whose output is consumed outside it).

  /usr/bin/python3 tools/zoo/check_onnx.py                    # all models in examples/zoo/zoo.json
  /usr/bin/python3 tools/zoo/check_onnx.py path/to/model.onnx [--layers layer1,layer2] [--nodes]
"""
import argparse
import collections
import json
import os
import sys

import onnx

ROOT = os.path.normpath(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))


def shape_of(vi):
    return [d.dim_param if d.dim_param else d.dim_value for d in vi.type.tensor_type.shape.dim]


def scope_parts(node_name):
    """'/layer2/layer2.1/relu_1/Relu' -> ['layer2', 'layer2.1', 'relu_1'] (last part is the op)."""
    parts = [p for p in node_name.split("/") if p]
    return parts[:-1]


def unqualified(dotted):
    """torch.onnx's scope atom for a module path: from the last non-numeric atom on
    ('layer2.1' -> 'layer2.1', 'features.3.conv.0' -> 'conv.0', 'layer2.1.relu' -> 'relu')."""
    atoms = dotted.split(".")
    i = max(k for k, a in enumerate(atoms) if not a.isdigit()) if any(not a.isdigit() for a in atoms) else 0
    return ".".join(atoms[i:])


def scope_of(layer):
    """Expected leading scope parts of nodes inside module `layer` ('features.3' -> ['features', 'features.3'])."""
    atoms = layer.split(".")
    return [unqualified(".".join(atoms[:k + 1])) for k in range(len(atoms))]


def layer_exits(graph, layer):
    """Nodes inside module `layer`, and those of them whose outputs are used outside it (the tap point)."""
    want = scope_of(layer)
    members = [n for n in graph.node if scope_parts(n.name)[:len(want)] == want]
    member_outputs = {o: n for n in members for o in n.output}
    ids = {id(n) for n in members}
    leaving = []
    for n in graph.node:
        if id(n) in ids:
            continue
        for i in n.input:
            if i in member_outputs and member_outputs[i] not in leaving:
                leaving.append(member_outputs[i])
    for o in graph.output:
        if o.name in member_outputs and member_outputs[o.name] not in leaving:
            leaving.append(member_outputs[o.name])
    return members, leaving


def report(path, layers=None, show_nodes=False):
    m = onnx.load(path)
    g = m.graph
    init = {i.name for i in g.initializer}
    ins = [(i.name, shape_of(i)) for i in g.input if i.name not in init]
    outs = [(o.name, shape_of(o)) for o in g.output]
    ops = collections.Counter(n.op_type for n in g.node)
    print(f"== {os.path.basename(path)}  ({os.path.getsize(path)} bytes, opset "
          f"{m.opset_import[0].version}, {len(g.node)} nodes)")
    print(f"   inputs:  {ins}")
    print(f"   outputs: {outs}")
    print(f"   ops:     {dict(sorted(ops.items()))}")
    top = collections.OrderedDict()
    for n in g.node:
        parts = scope_parts(n.name)
        key = "/".join(parts[:2]) if parts else "(root)"
        top.setdefault(parts[0] if parts else "(root)", collections.OrderedDict())[key] = 1
    print("   scopes:  " + ", ".join(
        f"{k}[{len(v)}]" if len(v) > 1 else k for k, v in top.items()))
    for tail in ("GlobalAveragePool", "Flatten", "Gemm"):
        hits = [f"{n.name} -> {n.output[0]}" for n in g.node if n.op_type == tail]
        print(f"   {tail}: {hits}")
    for layer in layers or []:
        members, leaving = layer_exits(g, layer)
        ex = "; ".join(f"{n.name} ({n.op_type}) -> {n.output[0]}" for n in leaving) or "NOT FOUND"
        print(f"   tap {layer:<12} {len(members):3d} nodes, exit: {ex}")
    if show_nodes:
        for n in g.node:
            print(f"     {n.op_type:<18} {n.name:<50} {list(n.input)} -> {list(n.output)}")


def main(argv=None):
    ap = argparse.ArgumentParser()
    ap.add_argument("models", nargs="*", help="ONNX files (default: everything in examples/zoo/zoo.json)")
    ap.add_argument("--layers", default="", help="comma-separated layer names to locate")
    ap.add_argument("--nodes", action="store_true", help="also list every node")
    args = ap.parse_args(argv)
    if args.models:
        for p in args.models:
            report(p, [l for l in args.layers.split(",") if l], args.nodes)
        return 0
    zoo_dir = os.path.join(ROOT, "examples", "zoo")
    with open(os.path.join(zoo_dir, "zoo.json")) as f:
        zoo = json.load(f)
    for e in zoo["models"]:
        report(os.path.join(zoo_dir, e["file"]), e["layers"], args.nodes)
    return 0


if __name__ == "__main__":
    sys.exit(main())
