#!/usr/bin/env python3
"""Forward hooks through torchvision's own preprocessing, for extract's `--preset imagenet`.

A torchvision ResNet18 topology (`ResNet(BasicBlock, [2,2,2,2])`, torchvision's classes and
module names) at stage widths 8/16/24/32 with random weights, exported like a user would
(opset 13, dynamic batch, constant folding). Images go through exactly what a notebook runs:

    Image.open(path).convert("RGB") -> Resize(256) -> CenterCrop(224) -> ToTensor()
    -> Normalize([0.485, 0.456, 0.406], [0.229, 0.224, 0.225])

and the reference holds, per tapped module, the hook output's per-channel means (and the
logits). BatchNorm statistics are set from a seeded random batch (not from the images), so
the model depends on the seed only and the live test can rebuild it for any images.

    /usr/bin/python3 tools/zoo/parity_preprocess.py
        # -> packages/extract/fixtures/tv-resnet18.onnx + tv-resnet18-preprocess.json (committed images)
    /usr/bin/python3 tools/zoo/parity_preprocess.py --out DIR IMAGE...
        # -> DIR/model.onnx + DIR/reference.json for those images (what the test runs with sklearn's photos)
"""
import argparse
import json
import os
import sys

import torch
from PIL import Image
from torch import nn
from torchvision import transforms as T
from torchvision.models import resnet as tv_resnet

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from parity_fixtures import OUT, ROOT, export, hooked_forward  # noqa: E402

LAYERS = ["layer1", "layer2", "layer3", "layer4", "avgpool"]
COMMITTED = [
    "packages/extract/fixtures/tv-images/bag-coat-sneaker.png",
    "packages/extract/fixtures/tv-images/t-shirt-bag-trouser.png",
    "examples/data/fashion-mnist/test/bag/00018.png",
    "examples/data/fashion-mnist/test/sneaker/00009.png",
]
TRANSFORM = T.Compose([T.Resize(256), T.CenterCrop(224), T.ToTensor(), T.Normalize([0.485, 0.456, 0.406], [0.229, 0.224, 0.225])])


def resnet18_narrow():
    torch.manual_seed(0)
    widths, blocks = (8, 16, 24, 32), (2, 2, 2, 2)
    model = tv_resnet.ResNet(tv_resnet.BasicBlock, list(blocks), num_classes=10)
    model.inplanes = widths[0]
    model.conv1 = nn.Conv2d(3, widths[0], kernel_size=7, stride=2, padding=3, bias=False)
    model.bn1 = nn.BatchNorm2d(widths[0])
    for i, (width, count) in enumerate(zip(widths, blocks)):
        setattr(model, f"layer{i + 1}", model._make_layer(tv_resnet.BasicBlock, width, count, stride=1 if i == 0 else 2))
    model.fc = nn.Linear(widths[-1], 10)
    # Running statistics from a pass over a seeded random batch, then random affine parameters.
    bns = [m for m in model.modules() if isinstance(m, nn.BatchNorm2d)]
    for m in bns:
        m.momentum = None
    model.train()
    with torch.no_grad():
        model(torch.randn(8, 3, 224, 224))
        for m in bns:
            m.weight.uniform_(0.5, 1.5)
            m.bias.uniform_(-0.2, 0.2)
    return model.eval()


def reference(model, paths):
    x = torch.stack([TRANSFORM(Image.open(p).convert("RGB")) for p in paths])
    logits, seen = hooked_forward(model, x, LAYERS)
    means = {l: (seen[l].flatten(2).mean(2) if seen[l].dim() == 4 else seen[l].flatten(1)).tolist() for l in LAYERS}
    return {"layers": means, "logits": logits.tolist()}


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--out")
    parser.add_argument("images", nargs="*")
    args = parser.parse_args()
    model = resnet18_narrow()
    if args.out:
        os.makedirs(args.out, exist_ok=True)
        export(model, torch.zeros(1, 3, 224, 224), os.path.join(args.out, "model.onnx"))
        with open(os.path.join(args.out, "reference.json"), "w") as f:
            json.dump({"images": args.images, **reference(model, args.images)}, f)
        return
    export(model, torch.zeros(1, 3, 224, 224), os.path.join(OUT, "tv-resnet18.onnx"))
    ref = reference(model, [os.path.join(ROOT, p) for p in COMMITTED])
    rounded = json.loads(json.dumps(ref), parse_float=lambda v: float(f"{float(v):.9g}"))
    with open(os.path.join(OUT, "tv-resnet18-preprocess.json"), "w") as f:
        json.dump({"model": "tv-resnet18.onnx", "images": COMMITTED, **rounded}, f)
    print("tv-resnet18:", sum(p.numel() for p in model.parameters()), "params,", os.path.getsize(os.path.join(OUT, "tv-resnet18.onnx")), "bytes")


if __name__ == "__main__":
    main()
