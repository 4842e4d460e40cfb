"""Receptive fields through explicit padding: a tiny PyTorch model with nn.ZeroPad2d /
nn.ReflectionPad2d in front of unpadded convolutions, exported like the zoo (opset 13, constant
folding), for packages/extract/src/receptive-field.test.ts.

    /usr/bin/python3 tools/zoo/rf_pad.py   # -> packages/extract/fixtures/rf-pad.{onnx,json}

PyTorch 1.13 exports F.pad's amounts at opset >= 11 as a chain of Constant -> ConstantOfShape ->
Concat -> Reshape -> Slice -> Transpose -> Reshape -> Cast feeding Pad's second input (constant
folding leaves it), so the fixture exercises that path.

The JSON holds, per tapped module, the field worked out by hand (`rf`: square, H axis) and the
field measured empirically per axis (`measured`): the model is linear with positive weights, so
the gradient of one output cell w.r.t. the input is nonzero exactly on its receptive field; the
nonzero rows (cols) give the size and the centre, two neighbouring cells give the stride, and
offset = centre - cell * stride. The script fails if hand and measurement disagree.
"""
import json
import os

import torch
import torch.nn as nn

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
OUT = os.path.join(ROOT, "packages", "extract", "fixtures")
SIZE = 32


class PadNet(nn.Module):
    def __init__(self):
        super().__init__()
        self.pad1 = nn.ZeroPad2d(1)                 # same as conv pads 1
        self.conv1 = nn.Conv2d(1, 4, 3)
        self.pad2 = nn.ReflectionPad2d(2)
        self.conv2 = nn.Conv2d(4, 4, 3, stride=2)
        self.pad3 = nn.ZeroPad2d((1, 2, 1, 2))      # (left, right, top, bottom): TF-style even kernel
        self.conv3 = nn.Conv2d(4, 4, 4, stride=2)
        self.pad4 = nn.ZeroPad2d((0, 0, 1, 1))      # H only: H and W offsets part
        self.conv4 = nn.Conv2d(4, 4, 3)
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.fc = nn.Linear(4, 3)

    def features(self, x):
        taps = {}
        for name in ["pad1", "conv1", "pad2", "conv2", "pad3", "conv3", "pad4", "conv4"]:
            x = getattr(self, name)(x)
            taps[name] = x
        return x, taps

    def forward(self, x):
        x, _ = self.features(x)
        return self.fc(torch.flatten(self.pool(x), 1))


# Hand-computed (size, stride, offset) per axis: pad p shifts the offset by -p*stride; a k x k
# conv with stride s grows size by (k-1)*stride, multiplies stride by s, moves offset (k-1)/2*stride.
#   conv1: pad 1, k3 s1      -> 3, 1, -1 + 1 = 0
#   conv2: pad 2, k3 s2      -> 5, 2, 0 - 2 + 1 = -1
#   conv3: pad 1, k4 s2      -> 5 + 3*2 = 11, 4, -1 - 1*2 + 1.5*2 = 0
#   conv4: pad H 1 / W 0, k3 -> 11 + 2*4 = 19, 4, H: 0 - 4 + 4 = 0, W: 0 + 4 = 4
EXPECTED = {
    "conv1": {"h": [3, 1, 0], "w": [3, 1, 0]},
    "conv2": {"h": [5, 2, -1], "w": [5, 2, -1]},
    "conv3": {"h": [11, 4, 0], "w": [11, 4, 0]},
    "conv4": {"h": [19, 4, 0], "w": [19, 4, 4]},
}


def measure(model, name):
    """Per axis: size, stride, offset from input gradients of two neighbouring interior cells."""
    centres, sizes = {}, {}
    for cell in range(0, 12):
        x = torch.zeros(1, 1, SIZE, SIZE, dtype=torch.float64, requires_grad=True)
        _, taps = model.features(x)
        y = taps[name]
        if cell >= min(y.shape[2], y.shape[3]):
            break
        y[0, :, cell, cell].sum().backward()
        g = x.grad[0, 0].abs()
        rows = torch.nonzero(g.sum(1)).flatten().tolist()
        cols = torch.nonzero(g.sum(0)).flatten().tolist()
        # Only cells whose field lies inside the image (no clipping at a border) and away from
        # reflected borders measure the full field.
        if not rows or rows[0] == 0 or rows[-1] == SIZE - 1 or cols[0] == 0 or cols[-1] == SIZE - 1:
            continue
        centres[cell] = ((rows[0] + rows[-1]) / 2, (cols[0] + cols[-1]) / 2)
        sizes[cell] = (rows[-1] - rows[0] + 1, cols[-1] - cols[0] + 1)
        if len(centres) == 2:
            break
    (c0, a), (c1, b) = sorted(centres.items())
    out = {}
    for axis, i in (("h", 0), ("w", 1)):
        stride = (b[i] - a[i]) / (c1 - c0)
        out[axis] = [sizes[c0][i], stride, a[i] - c0 * stride]
    return out


def main():
    torch.manual_seed(0)
    model = PadNet().double().eval()
    with torch.no_grad():
        for p in model.parameters():
            p.abs_().add_(0.05)  # positive weights, no ReLU: no gradient cancels inside the field
    layers = {}
    for name, want in EXPECTED.items():
        got = measure(model, name)
        print(f"{name}: measured {got}  hand {want}")
        for axis in ("h", "w"):
            assert [float(v) for v in got[axis]] == [float(v) for v in want[axis]], (name, axis, got, want)
        h = want["h"]
        layers[name] = {"rf": {"size": h[0], "stride": h[1], "offset": h[2]}, "measured": got}
    model = model.float()
    path = os.path.join(OUT, "rf-pad.onnx")
    torch.onnx.export(model, torch.zeros(1, 1, SIZE, SIZE), path, opset_version=13, input_names=["input"],
                      output_names=["logits"], dynamic_axes={"input": {0: "N"}, "logits": {0: "N"}},
                      do_constant_folding=True)
    with open(os.path.join(OUT, "rf-pad.json"), "w") as f:
        json.dump({"model": "rf-pad.onnx", "size": SIZE, "layers": layers}, f, indent=1)
        f.write("\n")
    print(f"wrote {path} ({os.path.getsize(path)} bytes)")


if __name__ == "__main__":
    main()
