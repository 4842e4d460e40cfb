#!/usr/bin/env python3
"""PyTorch side of tools/bench/autodiff.js: torchvision ResNet18 (random weights, seed 0),
exported to ONNX for the cnnpipe side, then the same step timed in PyTorch: forward, the
mean of one layer4 channel per image, loss.backward() onto the input — as a notebook runs it
(the weights' gradients computed too) and with the weights frozen (the input's gradient only).

    /usr/bin/python3 tools/bench/autodiff_torch.py OUT_DIR BATCH REPEAT THREADS [SIZE]
(REPEAT 0: the reference gradient only; packages/autodiff's live ResNet18 test uses that.) Writes OUT_DIR/resnet18.onnx and OUT_DIR/grad.f32 (the input gradient of the first step) and
prints one JSON line: {"seconds_per_step" (frozen), "seconds_per_step_with_weight_grads", "channel"}.
"""
import json
import os
import sys
import time

import numpy as np
import torch
import torchvision

out, batch, repeat, threads = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
torch.set_num_threads(threads)
torch.manual_seed(0)
model = torchvision.models.resnet18(num_classes=1000).eval()
size = int(sys.argv[5]) if len(sys.argv) > 5 else 224
i = np.arange(1, batch * 3 * size * size + 1, dtype=np.uint64)
u = ((i * np.uint64(0x9E3779B1)) % np.uint64(2**32)).astype(np.float64) / 2**32
x = torch.from_numpy((4 * u - 2).astype(np.float32).reshape(batch, 3, size, size))
torch.onnx.export(model, x[:1], os.path.join(out, "resnet18.onnx"), opset_version=13, input_names=["input"],
                  output_names=["logits"], dynamic_axes={"input": {0: "N"}, "logits": {0: "N"}}, do_constant_folding=True)
seen = {}
model.layer4.register_forward_hook(lambda _m, _i, o: seen.__setitem__("y", o))
CHANNEL = 7


def step():
    xg = x.clone().requires_grad_(True)
    model(xg)
    loss = seen["y"][:, CHANNEL].mean(dim=(1, 2)).sum()
    loss.backward()
    return xg.grad


def timed():
    step()  # warm-up
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        step()
        times.append(time.perf_counter() - start)
    return float(np.median(times)) if times else None


step().numpy().astype("<f4").tofile(os.path.join(out, "grad.f32"))  # the reference gradient
# As a notebook runs it (weights' gradients accumulate too), then with the weights frozen
# (requires_grad False: only the input's gradient, the work cnnpipe's graph does).
default = timed()
for p in model.parameters():
    p.requires_grad_(False)
frozen = timed()
print(json.dumps({"seconds_per_step": frozen, "seconds_per_step_with_weight_grads": default, "channel": CHANNEL}))
