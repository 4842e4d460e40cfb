#!/usr/bin/env python3
"""torch.autograd's input gradients of channel means for `saliency --method gradient` tests.

Each case: an ONNX model (evaluated by onnx_torch.OnnxModule, differentiated by
torch.autograd), a module path, a channel, images and torchvision preprocessing
(Resize(resize), CenterCrop(size), ToTensor(), Normalize(mean, std)). Writes, per case,
OUT/<case>.f32: the gradients of d(mean over H, W of the channel)/d(input), one image after
the other (CHW float32).

    /usr/bin/python3 tools/autodiff/saliency_reference.py CASES.json OUT
    # CASES.json: [{"model", "layer", "channel", "images": [...], "resize", "size", "mean", "std", "channels"}]
"""
import json
import os
import sys

import numpy as np
import onnx
import torch
from PIL import Image
from torchvision import transforms as T

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from onnx_torch import OnnxModule  # noqa: E402


def main():
    cases = json.load(open(sys.argv[1]))
    out = sys.argv[2]
    for k, case in enumerate(cases):
        model = OnnxModule(onnx.load(case["model"]))
        tap = model.module_output(case["layer"])
        prep = T.Compose([T.Resize(case["resize"]), T.CenterCrop(case["size"]), T.ToTensor(), T.Normalize(case["mean"], case["std"])])
        mode = "RGB" if case["channels"] == 3 else "L"
        x = torch.stack([prep(Image.open(p).convert(mode)) for p in case["images"]]).requires_grad_(True)
        y = model.run(x)[tap]
        objective = y[:, case["channel"]].mean(dim=tuple(range(1, y.dim() - 1))).sum() if y.dim() > 2 else y[:, case["channel"]].sum()
        (grad,) = torch.autograd.grad(objective, x)
        grad.detach().numpy().astype("<f4").tofile(os.path.join(out, f"{k}.f32"))


if __name__ == "__main__":
    main()
