#!/usr/bin/env python3
"""Write a class-balanced Fashion-MNIST subset as 8-bit grayscale PNGs (ImageFolder layout).

Reads the IDX files shipped by Debian's `dataset-fashion-mnist` package
(/usr/share/datasets/fashion-mnist, gzipped or not) and writes

  examples/data/fashion-mnist/train/<class>/<NNNNN>.png   first 500 per class of the train split
  examples/data/fashion-mnist/test/<class>/<NNNNN>.png    first 200 per class of the test split

NNNNN is the index of the image in its original split (file order), zero-padded to 5 digits.
Pixels are the original 28x28 uint8 values. The PNG encoder is hand-written (zlib level 9,
no ancillary chunks), so output bytes are deterministic.

Usage: /usr/bin/python3 tools/zoo/write_images.py [--src DIR] [--out DIR]
"""
import argparse
import gzip
import os
import shutil
import struct
import sys
import zlib

import numpy as np

# Label order 0..9 (Fashion-MNIST).
LABELS = ["t-shirt", "trouser", "pullover", "dress", "coat",
          "sandal", "shirt", "sneaker", "bag", "ankle-boot"]
DEFAULT_SRC = "/usr/share/datasets/fashion-mnist"
PER_CLASS = {"train": 500, "test": 200}
PREFIX = {"train": "train", "test": "t10k"}


def _open(path):
    if os.path.exists(path):
        return open(path, "rb")
    if os.path.exists(path + ".gz"):
        return gzip.open(path + ".gz", "rb")
    raise FileNotFoundError(path + "[.gz]")


def read_idx(path):
    with _open(path) as f:
        data = f.read()
    zero, dtype, ndim = struct.unpack(">HBB", data[:4])
    if zero != 0 or dtype != 0x08:
        raise ValueError(f"{path}: not an unsigned-byte IDX file")
    dims = struct.unpack(">" + "I" * ndim, data[4:4 + 4 * ndim])
    arr = np.frombuffer(data, dtype=np.uint8, offset=4 + 4 * ndim)
    return arr.reshape(dims)


def load_split(src, split):
    p = PREFIX[split]
    images = read_idx(os.path.join(src, f"{p}-images-idx3-ubyte"))
    labels = read_idx(os.path.join(src, f"{p}-labels-idx1-ubyte"))
    assert images.shape[0] == labels.shape[0] and images.shape[1:] == (28, 28)
    return images, labels


def png_bytes(img):
    """Encode a 2-D uint8 array as an 8-bit grayscale PNG (deterministic)."""
    h, w = img.shape

    def chunk(tag, payload):
        return (struct.pack(">I", len(payload)) + tag + payload
                + struct.pack(">I", zlib.crc32(tag + payload) & 0xFFFFFFFF))

    raw = b"".join(b"\x00" + img[y].tobytes() for y in range(h))  # filter type 0 per row
    ihdr = struct.pack(">IIBBBBB", w, h, 8, 0, 0, 0, 0)  # 8-bit, grayscale, no interlace
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr)
            + chunk(b"IDAT", zlib.compress(raw, 9)) + chunk(b"IEND", b""))


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--src", default=DEFAULT_SRC)
    ap.add_argument("--out", default=os.path.join(
        os.path.dirname(os.path.abspath(__file__)), "..", "..", "examples", "data", "fashion-mnist"))
    args = ap.parse_args(argv)
    out = os.path.normpath(args.out)
    for split in ("train", "test"):
        images, labels = load_split(args.src, split)
        split_dir = os.path.join(out, split)
        if os.path.isdir(split_dir):
            shutil.rmtree(split_dir)
        counts = [0] * len(LABELS)
        for i, (img, lab) in enumerate(zip(images, labels)):
            lab = int(lab)
            if counts[lab] >= PER_CLASS[split]:
                continue
            d = os.path.join(split_dir, LABELS[lab])
            os.makedirs(d, exist_ok=True)
            with open(os.path.join(d, f"{i:05d}.png"), "wb") as f:
                f.write(png_bytes(np.ascontiguousarray(img)))
            counts[lab] += 1
            if min(counts) >= PER_CLASS[split]:
                break
        print(f"{split}: wrote {sum(counts)} images to {split_dir} (per class: {counts})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
