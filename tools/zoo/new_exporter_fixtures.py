#!/usr/bin/env python3
"""Fixtures shaped like the new PyTorch exporter's output, and fixed-batch exports, for extract.

torch 2.x (torch.onnx.export(..., dynamo=True), the default in current PyTorch) cannot be
installed next to Debian 12's torch 1.13, so this rewrites 1.13 TorchScript exports to the
conventions of torch/onnx/_internal/exporter/_core.py (pytorch/pytorch at commit
002d619dacc52abfd19f3ff3315f7b072a6d42db), which are what extract reads:

- `_set_node_metadata`: per node
      ir_node.metadata_props["namespace"] = namespace
      ir_node.metadata_props["pkg.torch.onnx.class_hierarchy"] = repr(class_hierarchy)
      ir_node.metadata_props["pkg.torch.onnx.name_scopes"] = repr(name_scopes)
  with, from `_get_node_namespace`, one entry per nn_module_stack level (the root module is
  '') and the FX node last:
      name_scopes.append(name)  /  class_hierarchy.append(nn_module_name)  ...
      class_hierarchy.append(str(node.target)); name_scopes.append(node.name)
  e.g. ['', 'layer1', 'layer1.0', 'layer1.0.relu', 'relu_1'] — full module paths
  (nn_module_stack's values), NOT scoped node names.
- `_handle_call_function_node_with_lowering`: values are named after FX nodes
      outputs.name = node.name      (several outputs: f"{node.name}__{i}")
  so tensor names are `convolution`, `relu_3`, ...; node names are the IR's `node_<Op>_<k>`.
- `_exported_program_to_onnx_program`: ir_version=9, producer_name="torch",
  graph name "main_graph"; user inputs keep the forward argument's name (`x`), weights are
  initializers named by their module path (`layer1.0.conv1.weight`).
- ONNXProgram.save(..., external_data=True): weights in an external data file; here in a
  subfolder (`weights/model.onnx.data`), so resolving it relative to the model matters.
- Without dynamic_shapes, torch.export fixes every dimension: the input is [1,3,H,W].
- Ops traced into torchlib functions become calls of model-local functions in their own
  opset domain (`model.functions[identifier] = ir_function`); tv-resnet's flatten is one.

NodeProto.metadata_props is field 9 (ONNX IR 10); onnx 1.12's NodeProto predates it, so the
entries are merged in as raw protobuf bytes (protobuf keeps and re-serialises unknown fields).
The graphs keep TorchScript's ops (opset 13, BatchNorm folded); only naming, metadata, batch
and weight storage follow the new exporter, which is what extract's loading depends on.

Also writes fixed-batch TorchScript exports (torch.onnx.export without dynamic_axes, as many
users run it): a small CNN whose flatten, `x.view(x.size(0), -1)`, becomes Reshape [1,-1]
with the batch baked in, plus the same model with a dynamic batch as the reference.

    /usr/bin/python3 tools/zoo/new_exporter_fixtures.py
    # -> packages/extract/fixtures/new-exporter/<family>/model.onnx + weights/model.onnx.data,
    #    packages/extract/fixtures/fixed-batch/{reshape-fixed,reshape-dynamic}.onnx
"""
import os
import re
import sys

import onnx
import torch
from onnx import numpy_helper
from torch import nn

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from parity_fixtures import OUT  # noqa: E402
import parity_torchvision  # noqa: E402

# FX node names (aten op names) per ONNX op, for the value names the exporter derives from them.
FX_NAMES = {
    "Conv": "convolution", "Relu": "relu", "MaxPool": "max_pool2d", "Add": "add", "GlobalAveragePool": "mean",
    "AveragePool": "avg_pool2d", "Flatten": "flatten", "Gemm": "linear", "Clip": "hardtanh", "Concat": "cat",
    "Reshape": "view", "BatchNormalization": "_native_batch_norm_legit_no_training", "MatMul": "matmul",
}
FX_TARGETS = {
    "Conv": "aten.convolution.default", "Relu": "aten.relu.default", "MaxPool": "aten.max_pool2d.default",
    "Add": "aten.add.Tensor", "GlobalAveragePool": "aten.mean.dim", "Flatten": "aten.flatten.using_ints",
    "Gemm": "aten.linear.default", "Clip": "aten.hardtanh.default", "Concat": "aten.cat.default", "Reshape": "aten.view.default",
}


def qualified(cls):
    return cls.__module__ + "." + cls.__name__


def module_stack(components, modules):
    """TorchScript scope components (/layer1/layer1.0/relu_1/...) -> module paths (layer1, layer1.0, layer1.0.relu)."""
    paths = []
    previous_component, previous_path = None, ""
    for component in components:
        candidates = [component]
        call = re.match(r"^(.*)_(\d+)$", component)
        if call:
            candidates.append(call.group(1))  # a repeated call: relu_1 is the second call of relu
        for candidate in candidates:
            relative = candidate[len(previous_component) + 1:] if previous_component and candidate.startswith(previous_component + ".") else candidate
            path = f"{previous_path}.{relative}" if previous_path else relative
            if path in modules:
                break
        else:
            raise ValueError(f"scope {components} has no module for {component}")
        paths.append(path)
        previous_component, previous_path = candidate, path
    return paths


def entry(key, value):
    """A StringStringEntryProto {key=1, value=2} as NodeProto field 9, raw bytes."""
    def field(number, data):
        return _varint(number << 3 | 2) + _varint(len(data)) + data
    payload = field(1, key.encode()) + field(2, value.encode())
    return field(9, payload)


def _varint(n):
    out = b""
    while True:
        byte = n & 0x7F
        n >>= 7
        if n:
            out += bytes([byte | 0x80])
        else:
            return out + bytes([byte])


def rewrite(source, target, model, local_function=False):
    """A TorchScript export rewritten to the new exporter's names, metadata, fixed batch and external weights."""
    proto = onnx.load(source)
    graph = proto.graph
    modules = dict(model.named_modules())
    root = qualified(type(model))
    renames = {graph.input[0].name: "x"}
    counts = {}
    init_names = {}
    for i, node in enumerate(graph.node):
        components = [c for c in node.name.split("/")[1:-1]]
        stack = module_stack(components, modules) if components else []
        base = FX_NAMES.get(node.op_type, node.op_type.lower())
        k = counts.get(base, 0)
        counts[base] = k + 1
        fx_name = base if k == 0 else f"{base}_{k}"
        name_scopes = [""] + stack + [fx_name]
        class_hierarchy = [root] + [qualified(type(modules[p])) for p in stack] + [FX_TARGETS.get(node.op_type, f"aten.{base}.default")]
        namespace = "/".join([f": {root}"] + [f"{p}: {qualified(type(modules[p]))}" for p in stack] + [f"{fx_name}: {class_hierarchy[-1]}"])
        for j, out in enumerate(node.output):
            renames[out] = fx_name if len(node.output) == 1 else f"{fx_name}__{j}"
        # Weights by module path, as the exporter names parameters.
        owner = stack[-1] if stack else ""
        for j, name in enumerate(node.input[1:], start=1):
            if any(t.name == name for t in graph.initializer) and name not in init_names:
                role = {1: "weight", 2: "bias"}.get(j, f"arg{j}") if node.op_type in ("Conv", "Gemm") else f"val_{len(init_names)}"
                init_names[name] = f"{owner}.{role}" if owner and role in ("weight", "bias") else role
        node.name = f"node_{node.op_type}_{i}"
        node.MergeFromString(entry("namespace", namespace) + entry("pkg.torch.onnx.class_hierarchy", repr(class_hierarchy))
                             + entry("pkg.torch.onnx.name_scopes", repr(name_scopes)))
    renames.update(init_names)
    for node in graph.node:
        node.input[:] = [renames.get(n, n) for n in node.input]
        node.output[:] = [renames.get(n, n) for n in node.output]
    for t in graph.initializer:
        t.name = renames.get(t.name, t.name)
    for v in list(graph.input) + list(graph.output) + list(graph.value_info):
        v.name = renames.get(v.name, v.name)
        dims = v.type.tensor_type.shape.dim
        if dims and dims[0].dim_param:
            dims[0].dim_value = 1  # torch.export without dynamic_shapes: every dimension fixed
    del graph.input[1:]  # no initializers as inputs (keep_initializers_as_inputs=False)
    if local_function:
        # Ops the exporter traces into torchlib functions stay calls of model-local functions
        # (`model.functions[identifier] = ir_function` in _handle_call_function_node_with_lowering).
        flatten = next(n for n in graph.node if n.op_type == "Flatten")
        flatten.op_type, flatten.domain = "aten_flatten", "pkg.onnxscript.torch_lib"
        axis = [a for a in flatten.attribute]
        del flatten.attribute[:]
        body = onnx.helper.make_node("Flatten", ["self"], ["result"], axis=axis[0].i if axis else 1)
        proto.functions.append(onnx.helper.make_function("pkg.onnxscript.torch_lib", "aten_flatten", ["self"], ["result"], [body],
                                                         [onnx.helper.make_opsetid("", 13)]))
        proto.opset_import.append(onnx.helper.make_opsetid("pkg.onnxscript.torch_lib", 1))
    graph.name = "main_graph"
    proto.ir_version = 9
    proto.producer_name = "torch"
    proto.producer_version = "2.5.0"
    os.makedirs(os.path.join(os.path.dirname(target), "weights"), exist_ok=True)
    data = os.path.join(os.path.dirname(target), "weights", "model.onnx.data")
    if os.path.exists(data):
        os.remove(data)  # onnx appends to an existing data file
    onnx.save_model(proto, target, save_as_external_data=True, all_tensors_to_one_file=True,
                    location="weights/model.onnx.data", size_threshold=0)


class ReshapeNet(nn.Module):
    """A small CNN that flattens with x.view(x.size(0), -1): exported with a fixed batch, the view is Reshape [1,-1]."""

    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(3, 8, 3, stride=2, padding=1)
        self.bn1 = nn.BatchNorm2d(8)
        self.relu = nn.ReLU()
        self.conv2 = nn.Conv2d(8, 16, 3, stride=2, padding=1)
        self.pool = nn.AdaptiveAvgPool2d(2)
        self.fc = nn.Linear(16 * 4, 10)

    def forward(self, x):
        x = self.relu(self.bn1(self.conv1(x)))
        x = self.pool(self.relu(self.conv2(x)))
        return self.fc(x.view(x.size(0), -1))


def fixed_batch():
    folder = os.path.join(OUT, "fixed-batch")
    os.makedirs(folder, exist_ok=True)
    torch.manual_seed(0)
    model = ReshapeNet().eval()
    with torch.no_grad():
        model.bn1.running_mean.uniform_(-0.2, 0.2)
        model.bn1.running_var.uniform_(0.5, 2.0)
    x = torch.randn(1, 3, 64, 64)
    fixed = os.path.join(folder, "reshape-fixed.onnx")
    torch.onnx.export(model, x, fixed, opset_version=13, input_names=["input"], output_names=["logits"], do_constant_folding=True)
    torch.onnx.export(model, x, os.path.join(folder, "reshape-dynamic.onnx"), opset_version=13, input_names=["input"],
                      output_names=["logits"], dynamic_axes={"input": {0: "N"}, "logits": {0: "N"}}, do_constant_folding=True)
    graph = onnx.load(fixed).graph
    constants = {n.output[0]: numpy_helper.to_array(n.attribute[0].t).tolist() for n in graph.node if n.op_type == "Constant"}
    shapes = [constants.get(n.input[1]) for n in graph.node if n.op_type == "Reshape"]
    assert shapes and all(s is not None and s[0] == 1 for s in shapes), f"expected the batch baked into a Reshape, got {shapes}"
    print("fixed-batch: Reshape shapes", shapes)


def main():
    for family, make in (("tv-resnet", parity_torchvision.resnet), ("tv-mobilenetv2", parity_torchvision.mobilenet_v2)):
        model, _ = make()
        target = os.path.join(OUT, "new-exporter", family, "model.onnx")
        rewrite(os.path.join(OUT, f"{family}.onnx"), target, model, local_function=family == "tv-resnet")
        print(family, "->", os.path.relpath(target, OUT), os.path.getsize(target), "bytes +",
              os.path.getsize(os.path.join(os.path.dirname(target), "weights", "model.onnx.data")), "bytes of weights")
    fixed_batch()


if __name__ == "__main__":
    main()
