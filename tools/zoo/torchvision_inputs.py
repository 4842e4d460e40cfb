#!/usr/bin/env python3
"""torchvision's preprocessing of images, as a notebook does it, for cnnpipe's exactness tests.

For each `path:resize:size:channels` case: `Image.open(path).convert('RGB' or 'L')`, then
`transforms.Compose([Resize(resize), CenterCrop(size), ToTensor(), Normalize(mean, std)])`
with the preset's mean/std; writes the float32 CHW tensor to OUT/<index>.f32 and the uint8
crop (HWC, before ToTensor) to OUT/<index>.u8.

    /usr/bin/python3 tools/zoo/torchvision_inputs.py OUT MEAN STD CASE...
    # e.g. ... /tmp/x 0.485,0.456,0.406 0.229,0.224,0.225 china.jpg:256:224:3
"""
import os
import sys

import numpy as np
from PIL import Image
from torchvision import transforms as T


def main():
    out, mean, std = sys.argv[1], sys.argv[2], sys.argv[3]
    mean = [float(v) for v in mean.split(",")]
    std = [float(v) for v in std.split(",")]
    os.makedirs(out, exist_ok=True)
    for i, case in enumerate(sys.argv[4:]):
        path, resize, size, channels = case.rsplit(":", 3)
        image = Image.open(path).convert("RGB" if channels == "3" else "L")
        crop = T.Compose([T.Resize(int(resize)), T.CenterCrop(int(size))])(image)
        tensor = T.Compose([T.ToTensor(), T.Normalize(mean[: int(channels)], std[: int(channels)])])(crop)
        np.asarray(crop, dtype=np.uint8).tofile(os.path.join(out, f"{i}.u8"))
        tensor.numpy().astype("<f4").tofile(os.path.join(out, f"{i}.f32"))


if __name__ == "__main__":
    main()
