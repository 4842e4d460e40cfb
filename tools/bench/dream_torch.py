#!/usr/bin/env python3
"""PyTorch side of tools/bench/dream.js: Lucent's feature-visualisation recipe written in
PyTorch (autograd), as a Lucent user runs it: FFT parameterisation with colour
decorrelation, the standard transforms, normalisation, bilinear upsampling to 224, Adam
lr 0.05, the mean of one layer3 channel per image. The network is torchvision ResNet18
(random weights, seed 0) cut after layer3, so both sides do the same work (Lucent would run
the whole network and hook layer3).

    /usr/bin/python3 tools/bench/dream_torch.py export OUT_DIR      # writes OUT_DIR/resnet18.onnx, OUT_DIR/resnet18.pt
    /usr/bin/python3 tools/bench/dream_torch.py run OUT_DIR STEPS BATCH THREADS
The run mode is timed as a whole process by dream.js; it prints one JSON line with the
steady-state seconds per step (median over the steps after the first).
"""
import json
import os
import sys
import time

import numpy as np

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "../../packages/dream/src/test-support"))
import lucent_reference as lucent  # noqa: E402

import torch  # noqa: E402
import torchvision  # noqa: E402

CHANNEL = 7
SIZE = 128
MEAN, STD = [0.485, 0.456, 0.406], [0.229, 0.224, 0.225]


def export(out):
    torch.manual_seed(0)
    model = torchvision.models.resnet18(num_classes=1000).eval()
    torch.save(model.state_dict(), os.path.join(out, "resnet18.pt"))
    x = torch.zeros(1, 3, 224, 224)
    torch.onnx.export(model, x, os.path.join(out, "resnet18.onnx"), opset_version=13, input_names=["input"],
                      output_names=["logits"], dynamic_axes={"input": {0: "N"}, "logits": {0: "N"}}, do_constant_folding=True)


def run(out, steps, batch, threads):
    torch.set_num_threads(threads)
    model = torchvision.models.resnet18(num_classes=1000).eval()
    model.load_state_dict(torch.load(os.path.join(out, "resnet18.pt")))
    net = torch.nn.Sequential(model.conv1, model.bn1, model.relu, model.maxpool, model.layer1, model.layer2, model.layer3)
    for p in net.parameters():
        p.requires_grad_(False)
    shape = (batch, 3, SIZE, SIZE)
    spectrum = (torch.randn(batch, 3, SIZE, SIZE // 2 + 1, 2) * 0.01).requires_grad_(True)
    optimizer = torch.optim.Adam([spectrum], lr=0.05)
    scales = [1 + (i - 5) / 50.0 for i in range(11)]
    angles = list(range(-10, 11)) + 5 * [0]
    times = []
    for _ in range(steps):
        start = time.perf_counter()
        optimizer.zero_grad()
        draws = {"jitter1": [int(np.random.choice(8)), int(np.random.choice(8))], "scale": float(np.random.choice(scales)),
                 "angle": int(np.random.choice(angles)), "jitter2": [int(np.random.choice(4)), int(np.random.choice(4))]}
        x = lucent.standard_transforms(lucent.fft_image(spectrum, shape), draws)
        x = lucent.to_network(x, 224, 224, MEAN, STD)
        loss = -net(x)[:, CHANNEL].mean()
        loss.backward()
        optimizer.step()
        times.append(time.perf_counter() - start)
    print(json.dumps({"seconds_per_step": float(np.median(times[1:])) if len(times) > 1 else None, "channel": CHANNEL}))


if __name__ == "__main__":
    if sys.argv[1] == "export":
        export(sys.argv[2])
    else:
        run(sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5]))
