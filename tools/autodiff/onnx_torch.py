"""A small ONNX interpreter over torch.nn.functional, so torch.autograd can differentiate an
ONNX model that has no PyTorch checkpoint (the zoo's trained models). It covers the
operators the zoo exports (Conv, BatchNormalization, Relu, Clip, MaxPool, AveragePool, Pad,
Concat, Add, GlobalAveragePool, Flatten, Gemm, Constant) and refuses anything else.

Module outputs are found as extract's resolveLayer finds them: the last tensor made inside
the module's scope (node names /layer2/layer2.0/conv1/Conv) that is used outside it.
"""
import numpy as np
import torch
import torch.nn.functional as F
from onnx import numpy_helper


def _attrs(node):
    out = {}
    for a in node.attribute:
        if a.type == a.INT:
            out[a.name] = a.i
        elif a.type == a.INTS:
            out[a.name] = list(a.ints)
        elif a.type == a.FLOAT:
            out[a.name] = a.f
        elif a.type == a.STRING:
            out[a.name] = a.s.decode()
        elif a.type == a.TENSOR:
            out[a.name] = numpy_helper.to_array(a.t)
    return out


def _pad_for(x, pads, value):
    """ONNX [begin..., end...] pads over the spatial axes -> F.pad's last-axis-first pairs."""
    n = len(pads) // 2
    pairs = []
    for i in reversed(range(n)):
        pairs += [pads[i], pads[i + n]]
    return F.pad(x, pairs, value=value)


def _scopes(name):
    return [p for p in name.split("/") if p][:-1]


def _module_scopes(path):
    out = []
    for part in path.split("."):
        out.append(f"{out[-1]}.{part}" if part.isdigit() and out else part)
    return out


class OnnxModule:
    def __init__(self, model):
        self.graph = model.graph
        self.consts = {t.name: torch.from_numpy(numpy_helper.to_array(t).copy()) for t in model.graph.initializer}
        self.input = [i.name for i in model.graph.input if i.name not in self.consts][0]

    def module_output(self, path):
        scopes = _module_scopes(path)
        inside = [n for n in self.graph.node if _scopes(n.name)[: len(scopes)] == scopes]
        names = {n.name for n in inside}
        used = {o.name for o in self.graph.output}
        for n in self.graph.node:
            if n.name not in names:
                used.update(n.input)
        exits = [t for n in inside for t in n.output if t in used]
        if not exits:
            raise KeyError(path)
        return exits[-1]

    def run(self, x):
        env = dict(self.consts)
        env[self.input] = x
        for node in self.graph.node:
            a = _attrs(node)
            ins = [env[i] if i else None for i in node.input]
            op = node.op_type
            if op == "Constant":
                y = torch.from_numpy(np.array(a["value"]))
            elif op == "Conv":
                pads = a.get("pads", [0] * 4)
                x0 = _pad_for(ins[0], pads, 0.0)
                y = F.conv2d(x0, ins[1], ins[2] if len(ins) > 2 else None, stride=a.get("strides", 1),
                             dilation=a.get("dilations", 1), groups=a.get("group", 1))
            elif op == "BatchNormalization":
                y = F.batch_norm(ins[0], ins[3], ins[4], ins[1], ins[2], False, 0.0, a.get("epsilon", 1e-5))
            elif op == "Relu":
                y = F.relu(ins[0])
            elif op == "MaxPool":
                pads = a.get("pads", [0] * 4)
                symmetric = pads[:2] == pads[2:]
                x0 = ins[0] if symmetric else _pad_for(ins[0], pads, float("-inf"))
                y = F.max_pool2d(x0, a["kernel_shape"], a.get("strides", 1), pads[:2] if symmetric else 0,
                                 a.get("dilations", 1), ceil_mode=bool(a.get("ceil_mode", 0)))
            elif op == "AveragePool":
                pads = a.get("pads", [0] * 4)
                if pads[:2] != pads[2:]:
                    raise NotImplementedError("asymmetric AveragePool pads")
                y = F.avg_pool2d(ins[0], a["kernel_shape"], a.get("strides", 1), pads[:2],
                                 ceil_mode=bool(a.get("ceil_mode", 0)), count_include_pad=bool(a.get("count_include_pad", 0)))
            elif op == "Pad":
                if a.get("mode", "constant") != "constant":
                    raise NotImplementedError("Pad mode")
                pads = [int(v) for v in ins[1].tolist()]
                value = float(ins[2]) if len(ins) > 2 and ins[2] is not None else 0.0
                n = len(pads) // 2
                pairs = []
                for i in reversed(range(n)):
                    pairs += [pads[i], pads[i + n]]
                y = F.pad(ins[0], pairs, value=value)
            elif op == "Clip":
                lo = float(ins[1]) if len(ins) > 1 and ins[1] is not None else None
                hi = float(ins[2]) if len(ins) > 2 and ins[2] is not None else None
                y = torch.clamp(ins[0], lo, hi)
            elif op == "Concat":
                y = torch.cat(ins, dim=a["axis"])
            elif op == "Add":
                y = ins[0] + ins[1]
            elif op == "GlobalAveragePool":
                y = ins[0].mean(dim=(2, 3), keepdim=True)
            elif op == "Flatten":
                y = torch.flatten(ins[0], a.get("axis", 1))
            elif op == "Gemm":
                w = ins[1].t() if a.get("transB", 0) else ins[1]
                y = a.get("alpha", 1.0) * ins[0] @ w + a.get("beta", 1.0) * ins[2]
            else:
                raise NotImplementedError(op)
            env[node.output[0]] = y
        return env
