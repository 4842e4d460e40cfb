#!/usr/bin/env python3
"""torch.autograd references for @cnnpipe/autodiff's input gradients.

torchvision topologies (ResNet, VGG with BatchNorm, MobileNetV2, GoogLeNet, DenseNet,
SqueezeNet, ShuffleNetV2, EfficientNet-B0) are built from torchvision's own classes at
reduced widths with random weights (BatchNorm statistics calibrated, then perturbed, as
tools/zoo/parity_torchvision.py does) and exported as a user would (torch.onnx.export,
opset 13, eval mode, constant folding). For each tapped module, the reference is
d(mean over H, W of channel c of the module's output, summed over the batch)/d(input) from
torch.autograd on the nn.Module itself, in float32.

The six zoo models (examples/zoo/*.onnx, trained weights, no PyTorch checkpoint committed)
are evaluated by a small ONNX interpreter written with torch.nn.functional (onnx_torch.py)
and differentiated by torch.autograd the same way.

The input is a deterministic pattern both sides compute exactly (see `pattern`), so only the
gradients are committed: fixtures/<name>.json (layers, channels, shapes) and
fixtures/<name>.grad.f32 (each layer's gradient, float32 little-endian, in order).

    /usr/bin/python3 tools/autodiff/parity_autodiff.py   # -> packages/autodiff/fixtures/
"""
import json
import os
import sys

import numpy as np
import onnx
import torch
from torch import nn
from torchvision.models import densenet as tv_densenet
from torchvision.models import efficientnet as tv_efficientnet
from torchvision.models import shufflenetv2 as tv_shufflenetv2
from torchvision.models import squeezenet as tv_squeezenet
from torchvision.models import vgg as tv_vgg

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, os.path.join(ROOT, "tools", "zoo"))
sys.path.insert(0, HERE)
import parity_torchvision as ptv  # noqa: E402
from onnx_torch import OnnxModule  # noqa: E402

OUT = os.path.join(ROOT, "packages", "autodiff", "fixtures")
ZOO = os.path.join(ROOT, "examples", "zoo")
CLASSES = 10


def pattern(n, c, h, w):
    """Values in [-2, 2): u = ((i+1)·0x9E3779B1 mod 2^32)/2^32, x = 4u - 2, exact in float64 and rounded once to float32."""
    i = np.arange(1, n * c * h * w + 1, dtype=np.uint64)
    u = ((i * np.uint64(0x9E3779B1)) % np.uint64(2**32)).astype(np.float64) / 2**32
    return (4 * u - 2).astype(np.float32).reshape(n, c, h, w)


def vgg_bn():
    """torchvision VGG with BatchNorm: three pooled stages (8, 16, 32x2) then 32x2, a 16-wide classifier; 56x56 input -> 7x7."""
    cfg = [8, "M", 16, "M", 32, 32, "M", 32, 32]
    model = tv_vgg.VGG(tv_vgg.make_layers(cfg, batch_norm=True), num_classes=CLASSES)
    old = model.classifier
    model.classifier = nn.Sequential(nn.Linear(32 * 7 * 7, 16), old[1], old[2], nn.Linear(16, 16), old[4], old[5], nn.Linear(16, CLASSES))
    return model, ["features.6", "features.13", "features"]


def densenet():
    """torchvision DenseNet, growth 8, blocks (2,2,2,2), 16 initial features, bottleneck 2x."""
    model = tv_densenet.DenseNet(growth_rate=8, block_config=(2, 2, 2, 2), num_init_features=16, bn_size=2, num_classes=CLASSES)
    return model, ["features.pool0", "features.denseblock2", "features.transition3", "features"]


def squeezenet():
    """torchvision SqueezeNet 1.1's layout (ceil_mode pools, Fire modules) at 1/4 width."""
    model = tv_squeezenet.SqueezeNet("1_1", num_classes=CLASSES)
    fire = tv_squeezenet.Fire
    model.features = nn.Sequential(
        nn.Conv2d(3, 16, kernel_size=3, stride=2), nn.ReLU(inplace=True), nn.MaxPool2d(3, 2, ceil_mode=True),
        fire(16, 4, 8, 8), fire(16, 4, 8, 8), nn.MaxPool2d(3, 2, ceil_mode=True),
        fire(16, 8, 16, 16), fire(32, 8, 16, 16), nn.MaxPool2d(3, 2, ceil_mode=True),
        fire(32, 12, 24, 24), fire(48, 12, 24, 24), fire(48, 16, 32, 32), fire(64, 16, 32, 32),
    )
    model.classifier[1] = nn.Conv2d(64, CLASSES, kernel_size=1)
    return model, ["features.2", "features.4", "features.7", "features"]


def shufflenet():
    """torchvision ShuffleNetV2, stage repeats 2,2,2, widths 8,16,32,64,128 (channel shuffle = Reshape-Transpose-Reshape)."""
    model = tv_shufflenetv2.ShuffleNetV2([2, 2, 2], [8, 16, 32, 64, 128], num_classes=CLASSES)
    return model, ["maxpool", "stage2", "stage3.1", "conv5"]


def efficientnet():
    """torchvision EfficientNet-B0's MBConv settings (SiLU, squeeze-excitation) at width 0.25, depth 0.5."""
    setting, last = tv_efficientnet._efficientnet_conf("efficientnet_b0", width_mult=0.25, depth_mult=0.5)
    model = tv_efficientnet.EfficientNet(setting, dropout=0.2, num_classes=CLASSES, last_channel=last)
    return model, ["features.1", "features.3", "features.5", "features"]


def resnet():
    model, _ = ptv.resnet()
    return model, ["maxpool", "layer1", "layer2.0", "layer4"]


def mobilenet_v2():
    model, _ = ptv.mobilenet_v2()
    return model, ["features.0", "features.3", "features.6", "features"]


def googlenet():
    model, _ = ptv.googlenet()
    return model, ["maxpool2", "inception3a", "inception4a.branch2", "inception5b"]


TORCHVISION = {
    "tv-resnet": (resnet, 48),
    "tv-vgg-bn": (vgg_bn, 56),
    "tv-mobilenetv2": (mobilenet_v2, 48),
    "tv-googlenet": (googlenet, 48),
    "tv-densenet": (densenet, 48),
    "tv-squeezenet": (squeezenet, 48),
    "tv-shufflenetv2": (shufflenet, 48),
    "tv-efficientnet-b0": (efficientnet, 48),
}

ZOO_LAYERS = {
    "vgg": ["block1", "block2", "block4"],
    "resnet": ["maxpool", "layer2", "layer4"],
    "resnet-coarse": ["layer1", "layer3"],
    "mobilenet": ["features.2", "features.5", "features"],
    "inception": ["pool1", "inception1", "inception3"],
    "densenet": ["dense1", "trans2", "dense3"],
}


def module(model, path):
    for part in path.split("."):
        model = model[int(part)] if part.isdigit() else getattr(model, part)
    return model


def channel_of(index, channels):
    return (5 * index + 1) % channels


def input_gradients(model, x, layers):
    """Per layer: its output shape and d(sum over images of channel c's spatial mean)/dx."""
    for m in model.modules():
        if hasattr(m, "inplace"):
            m.inplace = False
    out = []
    for k, layer in enumerate(layers):
        seen = {}
        hook = module(model, layer).register_forward_hook(lambda _m, _i, o: seen.__setitem__("y", o))
        xg = x.clone().requires_grad_(True)
        model(xg)
        hook.remove()
        out.append(live_channel_gradient(seen["y"], xg, k, layer))
    return out


def live_channel_gradient(y, xg, k, layer):
    """The gradient of the first channel from channel_of(k) on that the input reaches (ReLU leaves some channels dead)."""
    channels = y.shape[1]
    for step in range(channels):
        c = (channel_of(k, channels) + step) % channels
        objective = y[:, c].mean(dim=tuple(range(1, y.dim() - 1))).sum() if y.dim() > 2 else y[:, c].sum()
        (grad,) = torch.autograd.grad(objective, xg, retain_graph=True)
        if grad.abs().max() > 0:
            return {"layer": layer, "channel": c, "shape": list(y.shape[1:]), "grad": grad.detach().numpy().astype(np.float32)}
    raise RuntimeError(f"{layer}: every channel is dead")


def zoo_gradients(model, x, layers):
    """input_gradients for an OnnxModule: the module's output tensor found by scope."""
    out = []
    for k, layer in enumerate(layers):
        xg = x.clone().requires_grad_(True)
        y = model.run(xg)[model.module_output(layer)]
        out.append(live_channel_gradient(y, xg, k, layer))
    return out


def write(name, model_file, size, channels, batch, results):
    fixture = {
        "model": model_file,
        "size": size,
        "channels": channels,
        "batch": batch,
        "layers": [{"layer": r["layer"], "channel": r["channel"], "shape": r["shape"]} for r in results],
    }
    with open(os.path.join(OUT, f"{name}.json"), "w") as f:
        json.dump(fixture, f, indent=1)
    np.concatenate([r["grad"].ravel() for r in results]).astype("<f4").tofile(os.path.join(OUT, f"{name}.grad.f32"))


def main():
    os.makedirs(OUT, exist_ok=True)
    only = set(sys.argv[1:])
    torch.manual_seed(0)
    for name, (make, size) in TORCHVISION.items():
        if only and name not in only:
            continue
        model, layers = make()
        calibration = torch.from_numpy(pattern(4, 3, size, size)[::-1].copy())
        ptv.randomise_batchnorm(model, calibration)
        path = os.path.join(OUT, f"{name}.onnx")
        x = torch.from_numpy(pattern(1, 3, size, size))
        ptv.export(model, x, path)
        write(name, f"{name}.onnx", size, 3, 1, input_gradients(model, x, layers))
        print(name, os.path.getsize(path), "bytes", sum(p.numel() for p in model.parameters()), "params")
    for name, layers in ZOO_LAYERS.items():
        if only and name not in only:
            continue
        model = OnnxModule(onnx.load(os.path.join(ZOO, f"{name}.onnx")))
        x = torch.from_numpy(pattern(2, 1, 28, 28))
        write(f"zoo-{name}", f"../../../examples/zoo/{name}.onnx", 28, 1, 2, zoo_gradients(model, x, layers))
        print("zoo", name)


if __name__ == "__main__":
    main()
