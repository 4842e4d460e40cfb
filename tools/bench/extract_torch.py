#!/usr/bin/env python3
"""PyTorch baseline for tools/bench/extract.js: what a notebook user writes — PIL decode,
torchvision-style preprocessing, forward hooks that mean-pool the tapped modules.

    extract_torch.py --family resnet|resnet18|vgg16 --list FILE --layers a,b --size N --resize N
                     --batch 32 --threads 2 [--export OUT.onnx] [--list-modules]
Prints one JSON line: {"images": n, "seconds": s}. --list-modules is PyTorch's --list-layers:
build the model, print its named modules, and exit (its whole process is the figure).
"""
import argparse
import json
import os
import sys
import time

import numpy as np
import torch
from PIL import Image

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "zoo"))


def build(family):
    if family in ("resnet18", "vgg16"):
        import torchvision
        # Random weights: nothing may download.
        return getattr(torchvision.models, family)(num_classes=1000), 3
    import models
    return models.build(family), 1


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--family", required=True)
    p.add_argument("--list", required=True)
    p.add_argument("--layers", required=True)
    p.add_argument("--size", type=int, required=True)
    p.add_argument("--resize", type=int, required=True)
    p.add_argument("--batch", type=int, default=32)
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--export")
    p.add_argument("--list-modules", action="store_true")
    a = p.parse_args()
    torch.set_num_threads(a.threads)
    torch.manual_seed(0)
    model, channels = build(a.family)
    model.eval()
    if a.list_modules:
        for name, module in model.named_modules():
            print(name, type(module).__name__)
        return
    if a.export:
        torch.onnx.export(model, torch.zeros(1, channels, a.size, a.size), a.export, opset_version=13,
                          input_names=["input"], output_names=["logits"],
                          dynamic_axes={"input": {0: "N"}, "logits": {0: "N"}})
        return
    mean = np.array([0.286] if channels == 1 else [0.485, 0.456, 0.406], dtype=np.float32)
    std = np.array([0.353] if channels == 1 else [0.229, 0.224, 0.225], dtype=np.float32)
    paths = [l.strip() for l in open(a.list) if l.strip()]
    pooled = {}
    for name in a.layers.split(","):
        m = model
        for part in name.split("."):
            m = m[int(part)] if part.isdigit() else getattr(m, part)
        m.register_forward_hook(lambda _m, _i, out, name=name: pooled.__setitem__(name, out.mean((2, 3)) if out.dim() == 4 else out))

    def load(path):
        img = Image.open(path).convert("L" if channels == 1 else "RGB")
        w, h = img.size
        s = a.resize / min(w, h)
        img = img.resize((max(a.size, round(w * s)), max(a.size, round(h * s))), Image.BILINEAR)
        w, h = img.size
        left, top = (w - a.size) // 2, (h - a.size) // 2
        img = img.crop((left, top, left + a.size, top + a.size))
        x = np.asarray(img, dtype=np.float32) / 255
        x = x[None] if channels == 1 else x.transpose(2, 0, 1)
        return (x - mean[:, None, None]) / std[:, None, None]

    start = time.perf_counter()
    rows = []
    with torch.no_grad():
        for i in range(0, len(paths), a.batch):
            batch = torch.from_numpy(np.stack([load(p) for p in paths[i:i + a.batch]]))
            model(batch)
            rows.append({k: v.numpy() for k, v in pooled.items()})
    seconds = time.perf_counter() - start
    print(json.dumps({"images": len(paths), "seconds": seconds}))


if __name__ == "__main__":
    main()
