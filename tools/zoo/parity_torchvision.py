#!/usr/bin/env python3
"""PyTorch forward-hook references for `extract` on torchvision architectures.

ResNet, VGG, MobileNetV2 and GoogLeNet, built from torchvision's own classes (so module
names, forward passes and the exporter's scopes are torchvision's) at reduced widths with
random weights, exported like a user would (torch.onnx.export, opset 13, eval mode,
constant folding: every BatchNorm is folded into its Conv). BatchNorm statistics are
calibrated on the images and then perturbed at random, so the folding matters and the
activations stay of order one through the deep stacks.

Inputs are committed 112x112 RGB PNGs (made here from Fashion-MNIST test images, one per
colour channel), so `extract --size 112` feeds them without resizing; the reference
computes on the pixels decoded back from those PNGs with ImageNet mean/std. Per model the
fixture holds, for each tapped module, per-channel means, argmax cells and argmax margins
(see parity_fixtures.layer_reference), and the model's logits.

    /usr/bin/python3 tools/zoo/parity_torchvision.py   # -> packages/extract/fixtures/tv-*.{onnx,json}, tv-images/
"""
import functools
import json
import os
import sys

import numpy as np
import torch
from PIL import Image
from torch import nn
from torchvision.models import mobilenetv2 as tv_mobilenetv2
from torchvision.models import resnet as tv_resnet
from torchvision.models import vgg as tv_vgg
from torchvision.models.googlenet import BasicConv2d, GoogLeNet, Inception, InceptionAux
from torchvision.ops.misc import Conv2dNormActivation

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from parity_fixtures import OUT, TEST, export, hooked_forward, layer_reference  # noqa: E402

SIZE = 112
MEAN = [0.485, 0.456, 0.406]
STD = [0.229, 0.224, 0.225]
CLASSES = 10
IMAGE_DIR = "tv-images"
# Each image's R, G and B planes are three Fashion-MNIST test images, upsampled to SIZE.
IMAGES = {
    "bag-coat-sneaker.png": ["bag/00018.png", "coat/00006.png", "sneaker/00009.png"],
    "trouser-dress-sandal.png": ["trouser/00002.png", "dress/00013.png", "sandal/00008.png"],
    "shirt-ankle-boot-pullover.png": ["shirt/00004.png", "ankle-boot/00000.png", "pullover/00016.png"],
    "t-shirt-bag-trouser.png": ["t-shirt/00019.png", "bag/00030.png", "trouser/00005.png"],
}


def resnet():
    """torchvision ResNet with BasicBlocks [1,1,1,1] and stage widths 8,16,24,32 (resnet18: [2,2,2,2], 64..512)."""
    widths, blocks = (8, 16, 24, 32), (1, 1, 1, 1)
    model = tv_resnet.ResNet(tv_resnet.BasicBlock, list(blocks), num_classes=CLASSES)
    # Same modules under the same names (assigning keeps their order), narrower, built by torchvision's _make_layer.
    model.inplanes = widths[0]
    model.conv1 = nn.Conv2d(3, widths[0], kernel_size=7, stride=2, padding=3, bias=False)
    model.bn1 = nn.BatchNorm2d(widths[0])
    for i, (width, count) in enumerate(zip(widths, blocks)):
        setattr(model, f"layer{i + 1}", model._make_layer(tv_resnet.BasicBlock, width, count, stride=1 if i == 0 else 2))
    model.fc = nn.Linear(widths[-1] * tv_resnet.BasicBlock.expansion, CLASSES)
    return model, ["maxpool", "layer1", "layer2.0", "layer3", "layer4", "avgpool"]


def vgg():
    """torchvision VGG with BatchNorm, four conv stages (8, 16, 32x2, 32x2) and a 16-wide classifier."""
    cfg = [8, "M", 16, "M", 32, 32, "M", 32, 32, "M"]
    model = tv_vgg.VGG(tv_vgg.make_layers(cfg, batch_norm=True), num_classes=CLASSES)
    # VGG's classifier is Linear(512*7*7, 4096) - ReLU - Dropout - Linear(4096, 4096) - ReLU - Dropout - Linear(4096, K).
    old = model.classifier
    model.classifier = nn.Sequential(nn.Linear(32 * 7 * 7, 16), old[1], old[2], nn.Linear(16, 16), old[4], old[5], nn.Linear(16, CLASSES))
    return model, ["features.6", "features.13", "features", "avgpool", "classifier.1", "classifier.4"]


def mobilenet_v2():
    """torchvision MobileNetV2, width_mult 0.25, stage repeats 1,2,2,2,1,2,1, last conv 1280 -> 128 channels."""
    setting = [[1, 16, 1, 1], [6, 24, 2, 2], [6, 32, 2, 2], [6, 64, 2, 2], [6, 96, 1, 1], [6, 160, 2, 2], [6, 320, 1, 1]]
    model = tv_mobilenetv2.MobileNetV2(num_classes=CLASSES, width_mult=0.25, inverted_residual_setting=setting)
    last = model.features[-1][0].in_channels
    model.features[-1] = Conv2dNormActivation(last, 128, kernel_size=1, norm_layer=nn.BatchNorm2d, activation_layer=nn.ReLU6)
    model.last_channel = 128
    model.classifier[1] = nn.Linear(128, CLASSES)
    return model, ["features.0", "features.3", "features.5", "features.6", "features.10", "features"]


def googlenet():
    """torchvision GoogLeNet (no aux heads), every BasicConv2d 1/8 as wide (3 -> 8 ... 1024 -> 128 channels)."""

    def narrow(in_channels, out_channels, **kwargs):
        return BasicConv2d(in_channels if in_channels == 3 else in_channels // 8, out_channels // 8, **kwargs)

    blocks = [narrow, functools.partial(Inception, conv_block=narrow), InceptionAux]
    model = GoogLeNet(num_classes=CLASSES, aux_logits=False, transform_input=False, init_weights=True, blocks=blocks)
    model.fc = nn.Linear(1024 // 8, CLASSES)
    return model, ["conv1", "maxpool2", "inception3a", "inception4a.branch2", "inception4e", "inception5b", "avgpool"]


MODELS = {"tv-resnet": resnet, "tv-vgg": vgg, "tv-mobilenetv2": mobilenet_v2, "tv-googlenet": googlenet}


def write_images():
    """The RGB test images, written once (their bytes are committed) and decoded back for the reference."""
    folder = os.path.join(OUT, IMAGE_DIR)
    os.makedirs(folder, exist_ok=True)
    for name, planes in IMAGES.items():
        path = os.path.join(folder, name)
        if os.path.exists(path):
            continue
        rgb = [Image.open(os.path.join(TEST, p)).convert("L").resize((SIZE, SIZE), Image.BILINEAR) for p in planes]
        Image.merge("RGB", rgb).save(path)
    pixels = np.stack([np.asarray(Image.open(os.path.join(folder, n)).convert("RGB"), dtype=np.float32) / 255 for n in IMAGES])
    x = (pixels - np.array(MEAN, dtype=np.float32)) / np.array(STD, dtype=np.float32)  # N, H, W, C
    return torch.from_numpy(np.ascontiguousarray(x.transpose(0, 3, 1, 2)))


def randomise_batchnorm(model, x):
    """Running statistics from a pass over x (as if trained on it), then perturbed, with random affine parameters."""
    bns = [m for m in model.modules() if isinstance(m, nn.BatchNorm2d)]
    for m in bns:
        m.reset_running_stats()
        m.momentum = None  # cumulative average: one pass sets the batch statistics
    model.train()
    with torch.no_grad():
        model(x)
    for m in bns:
        m.running_mean.add_(torch.empty_like(m.running_mean).uniform_(-0.3, 0.3) * m.running_var.sqrt())
        m.running_var.mul_(torch.empty_like(m.running_var).uniform_(0.5, 2.0))
        m.weight.data.uniform_(0.5, 1.5)
        m.bias.data.uniform_(-0.2, 0.2)
    model.eval()


def rounded(value):
    """float32 values need 9 significant digits; fewer characters in the committed JSON."""
    if isinstance(value, dict):
        return {k: rounded(v) for k, v in value.items()}
    if isinstance(value, list):
        return [rounded(v) for v in value]
    return float(f"{value:.9g}") if isinstance(value, float) else value


def main():
    torch.manual_seed(0)
    x = write_images()
    for name, make in MODELS.items():
        model, layers = make()
        randomise_batchnorm(model, x)
        logits, seen = hooked_forward(model, x, layers)
        path = os.path.join(OUT, f"{name}.onnx")
        export(model, x[:1], path)
        fixture = {
            "family": name,
            "model": f"{name}.onnx",
            "image_dir": IMAGE_DIR,
            "images": list(IMAGES),
            "preprocess": {"size": SIZE, "mean": MEAN, "std": STD},
            "params": sum(p.numel() for p in model.parameters()),
            "layers": {l: {"shape": list(seen[l].shape[1:]), **rounded(layer_reference(seen[l]))} for l in layers},
            "logits": rounded(logits.tolist()),
        }
        with open(os.path.join(OUT, f"{name}.json"), "w") as f:
            json.dump(fixture, f)
        print(name, fixture["params"], "params", os.path.getsize(path), "bytes",
              {l: v["shape"] for l, v in fixture["layers"].items()})


if __name__ == "__main__":
    main()
