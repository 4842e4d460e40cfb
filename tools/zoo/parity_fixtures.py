#!/usr/bin/env python3
"""PyTorch forward-hook references for `extract`'s parity test.

For each zoo family, a small random-weight model (reduced widths, random BatchNorm
statistics so the exporter's Conv+BN folding is exercised) is exported to ONNX exactly as
the zoo is, and forward hooks record, for a few committed test images, each tapped
module's per-channel mean activation and the flat argmax of each channel's map. The test
(packages/extract/src/parity.test.ts) runs `extract` on the same images and compares.

    /usr/bin/python3 tools/zoo/parity_fixtures.py   # -> packages/extract/fixtures/
"""
import json
import os
import sys

import numpy as np
import torch
from PIL import Image

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import models  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(HERE))
OUT = os.path.join(ROOT, "packages", "extract", "fixtures")
TEST = os.path.join(ROOT, "examples", "data", "fashion-mnist", "test")
MEAN, STD = 0.286, 0.353
IMAGES = ["bag/00018.png", "coat/00006.png", "sneaker/00009.png", "trouser/00002.png"]

SMALL = {
    "vgg": lambda: models.VGG(widths=(8, 8, 16, 16)),
    "resnet": lambda: models.ResNet(widths=(8, 8, 16, 16)),
    "mobilenet": lambda: models.MobileNetV2(last=32),
    "inception": lambda: models.Inception(),
    "densenet": lambda: models.DenseNet(growth=4),
}


def module(model, path):
    for part in path.split("."):
        model = getattr(model, part) if not part.isdigit() else model[int(part)]
    return model


def hooked_forward(model, x, layers):
    """The model's output on x and, by forward hooks, each named module's output."""
    seen = {}
    # clone: an in-place op later in the forward pass (ReLU(inplace=True)) must not change a recorded map.
    hooks = [module(model, l).register_forward_hook(lambda _m, _i, out, l=l: seen.__setitem__(l, out.detach().clone()))
             for l in layers]
    with torch.no_grad():
        out = model(x)
    for h in hooks:
        h.remove()
    return out, seen


def layer_reference(out):
    """What extract returns for a tapped tensor: per channel of a [N,C,H,W] map the mean, the flat
    argmax h*W+w and the gap between the two largest cells; a [N,C] vector as it is."""
    if out.dim() == 2:
        return {"mean": out.tolist()}
    maps = out.flatten(2)  # N, C, H*W
    top2 = maps.topk(min(2, maps.shape[2]), dim=2).values
    gap = (top2[..., 0] - top2[..., -1]) if maps.shape[2] > 1 else torch.ones_like(top2[..., 0])
    return {
        "mean": maps.mean(2).tolist(),
        "argmax": maps.argmax(2).tolist(),
        # Where the top two cells differ by less than this, float rounding may pick either.
        "argmax_margin": gap.tolist(),
    }


def export(model, x, path):
    """Exported as the zoo is: opset 13, dynamic batch, constant folding (Conv+BN folded)."""
    torch.onnx.export(model, x, path, opset_version=13, input_names=["input"], output_names=["logits"],
                      dynamic_axes={"input": {0: "N"}, "logits": {0: "N"}}, do_constant_folding=True)


def main():
    os.makedirs(OUT, exist_ok=True)
    torch.manual_seed(0)
    names = [n for n in IMAGES if os.path.exists(os.path.join(TEST, n))]
    pixels = np.stack([np.asarray(Image.open(os.path.join(TEST, n)), dtype=np.float32) / 255 for n in names])
    x = torch.from_numpy((pixels - MEAN) / STD).unsqueeze(1)
    for family, make in SMALL.items():
        model = make()
        for m in model.modules():
            if isinstance(m, torch.nn.BatchNorm2d):
                m.running_mean.uniform_(-0.5, 0.5)
                m.running_var.uniform_(0.5, 2.0)
                m.weight.data.uniform_(0.5, 1.5)
                m.bias.data.uniform_(-0.2, 0.2)
        model.eval()
        layers = models.tap_layers(family, model)
        _, seen = hooked_forward(model, x, layers)
        path = os.path.join(OUT, f"{family}.onnx")
        export(model, x[:1], path)
        fixture = {"family": family, "model": f"{family}.onnx", "images": names,
                   "layers": {l: layer_reference(seen[l]) for l in layers}}
        with open(os.path.join(OUT, f"{family}.json"), "w") as f:
            json.dump(fixture, f)
        print(family, os.path.getsize(path), "bytes", len(layers), "layers")


if __name__ == "__main__":
    main()
