#!/usr/bin/env python3
"""Train the cnnpipe Fashion-MNIST model zoo on CPU and export it to ONNX.

  /usr/bin/python3 tools/zoo/train.py                      # all models
  /usr/bin/python3 tools/zoo/train.py --models vgg,resnet  # a subset (zoo.json entries are merged)

Writes examples/zoo/<name>.onnx and examples/zoo/zoo.json. Data: the Fashion-MNIST IDX files
(/usr/share/datasets/fashion-mnist, Debian package dataset-fashion-mnist) for training and for the
full 10k test accuracy; the committed test PNGs (examples/data/fashion-mnist/test, written by
write_images.py) for the subset accuracy, decoded from the PNG files.
"""
import argparse
import glob
import json
import os
import random
import sys
import time

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.normpath(os.path.join(HERE, "..", ".."))
sys.path.insert(0, HERE)
import models  # noqa: E402
from write_images import DEFAULT_SRC, LABELS, load_split  # noqa: E402

MEAN, STD = 0.2860, 0.3530
COARSE_CLASSES = ["tops", "shoes", "bags-and-trousers"]
# label -> coarse: tops (t-shirt, pullover, dress, coat, shirt)=0, shoes (sandal, sneaker,
# ankle-boot)=1, bags-and-trousers (trouser, bag)=2
COARSE_OF_LABEL = [0, 2, 0, 0, 0, 1, 0, 1, 2, 1]

# name -> (family, task, epochs, max_lr)
ZOO = {
    "vgg": ("vgg", "fashion-mnist-10", 4, 4e-3),
    "resnet": ("resnet", "fashion-mnist-10", 4, 4e-3),
    "mobilenet": ("mobilenet", "fashion-mnist-10", 3, 4e-3),
    "inception": ("inception", "fashion-mnist-10", 3, 4e-3),
    "densenet": ("densenet", "fashion-mnist-10", 3, 4e-3),
    "resnet-coarse": ("resnet", "coarse-3", 2, 4e-3),
}


def seed_all(seed):
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)


def to_tensor(images_u8):
    x = torch.from_numpy(np.asarray(images_u8, dtype=np.float32) / 255.0)
    return ((x - MEAN) / STD).unsqueeze(1)  # [N,1,28,28]


def task_targets(labels, task):
    y = torch.from_numpy(np.asarray(labels, dtype=np.int64))
    if task == "coarse-3":
        y = torch.tensor(COARSE_OF_LABEL)[y]
    return y


def task_classes(task):
    return list(COARSE_CLASSES) if task == "coarse-3" else list(LABELS)


@torch.no_grad()
def accuracy(model, x, y, bs=1000):
    model.eval()
    correct = 0
    for i in range(0, len(x), bs):
        correct += (model(x[i:i + bs]).argmax(1) == y[i:i + bs]).sum().item()
    return correct / len(x)


def load_png_subset(split="test"):
    """Decode the committed PNGs; label = label-order index of the class folder name."""
    from PIL import Image
    files = sorted(glob.glob(os.path.join(ROOT, "examples", "data", "fashion-mnist", split, "*", "*.png")))
    if not files:
        raise SystemExit("no PNGs found: run tools/zoo/write_images.py first")
    imgs = np.stack([np.array(Image.open(f).convert("L"), dtype=np.uint8) for f in files])
    labels = [LABELS.index(os.path.basename(os.path.dirname(f))) for f in files]
    return imgs, labels


def export_onnx(model, path):
    model.eval()
    dummy = torch.randn(1, 1, 28, 28)
    torch.onnx.export(model, dummy, path, opset_version=13, input_names=["input"],
                      output_names=["logits"], dynamic_axes={"input": {0: "N"}, "logits": {0: "N"}},
                      do_constant_folding=True)
    import onnx
    m = onnx.load(path)
    onnx.checker.check_model(m)
    ops = {n.name: n.op_type for n in m.graph.node}
    assert ops.get("/fc/Gemm") == "Gemm", "missing /fc/Gemm"
    assert "GlobalAveragePool" in ops.values(), "missing GlobalAveragePool"
    flat = [n for n in m.graph.node if n.op_type == "Flatten"]
    assert len(flat) == 1, "expected exactly one Flatten"
    return m, flat[0].output[0]


def train_one(name, args, data):
    family, task, epochs, max_lr = ZOO[name]
    if args.epochs:
        epochs = args.epochs
    seed_all(args.seed)
    x_tr, y_tr, x_te, y_te, x_sub, y_sub = data[task]
    num_classes = len(task_classes(task))
    model = models.build(family, num_classes)
    opt = torch.optim.AdamW(model.parameters(), lr=max_lr, weight_decay=1e-4)
    bs = 128
    steps = (len(x_tr) + bs - 1) // bs
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=max_lr, epochs=epochs, steps_per_epoch=steps)
    g = torch.Generator().manual_seed(args.seed)
    t0 = time.time()
    for ep in range(epochs):
        model.train()
        perm = torch.randperm(len(x_tr), generator=g)
        tot, n = 0.0, 0
        for i in range(0, len(x_tr), bs):
            idx = perm[i:i + bs]
            xb, yb = x_tr[idx], y_tr[idx]
            flip = torch.rand(len(idx), generator=g) < 0.5  # random horizontal flip
            xb = torch.where(flip[:, None, None, None], xb.flip(3), xb)
            loss = F.cross_entropy(model(xb), yb)
            opt.zero_grad()
            loss.backward()
            opt.step()
            sched.step()
            tot += loss.item() * len(idx)
            n += len(idx)
        print(f"[{name}] epoch {ep + 1}/{epochs} loss {tot / n:.4f} ({time.time() - t0:.0f}s)", flush=True)
    train_seconds = time.time() - t0
    acc_full = accuracy(model, x_te, y_te)
    acc_sub = accuracy(model, x_sub, y_sub)
    print(f"[{name}] test_full {acc_full:.4f} test_subset {acc_sub:.4f} train {train_seconds:.0f}s", flush=True)

    os.makedirs(args.out, exist_ok=True)
    path = os.path.join(args.out, f"{name}.onnx")
    _, feature_tensor = export_onnx(model, path)
    return {
        "name": name,
        "file": f"{name}.onnx",
        "family": family,
        "task": task,
        "classes": task_classes(task),
        "parameters": int(sum(p.numel() for p in model.parameters())),
        "feature_width": int(model.feature_width),
        "layers": models.tap_layers(family, model),
        "feature_layer": models.feature_layer(family, model),
        "feature_tensor": feature_tensor,
        "input": {"name": "input", "shape": ["N", 1, 28, 28]},
        "output": {"name": "logits", "shape": ["N", num_classes]},
        "accuracy": {"test_full": round(acc_full, 4), "test_subset": round(acc_sub, 4)},
        "epochs": epochs,
        "seed": args.seed,
        "train_seconds": round(train_seconds, 1),
    }


def main(argv=None):
    ap = argparse.ArgumentParser(description="train and export the Fashion-MNIST model zoo")
    ap.add_argument("--models", default=",".join(ZOO), help="comma-separated subset of: " + ", ".join(ZOO))
    ap.add_argument("--src", default=DEFAULT_SRC, help="directory with the Fashion-MNIST IDX files")
    ap.add_argument("--out", default=os.path.join(ROOT, "examples", "zoo"))
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--epochs", type=int, default=0, help="override per-model epochs (0: defaults)")
    ap.add_argument("--threads", type=int, default=2)
    args = ap.parse_args(argv)
    names = [n for n in args.models.split(",") if n]
    for n in names:
        if n not in ZOO:
            ap.error(f"unknown model {n!r}")
    torch.set_num_threads(args.threads)

    tr_img, tr_lab = load_split(args.src, "train")
    te_img, te_lab = load_split(args.src, "test")
    sub_img, sub_lab = load_png_subset("test")
    x_tr, x_te, x_sub = to_tensor(tr_img), to_tensor(te_img), to_tensor(sub_img)
    data = {t: (x_tr, task_targets(tr_lab, t), x_te, task_targets(te_lab, t), x_sub, task_targets(sub_lab, t))
            for t in ("fashion-mnist-10", "coarse-3")}

    zoo_path = os.path.join(args.out, "zoo.json")
    entries = {}
    if os.path.exists(zoo_path):
        with open(zoo_path) as f:
            entries = {m["name"]: m for m in json.load(f).get("models", [])}
    for n in names:
        entries[n] = train_one(n, args, data)
        zoo = {
            "dataset": "fashion-mnist",
            "preprocess": {"size": 28, "channels": 1, "mean": [MEAN], "std": [STD]},
            "classes": sorted(LABELS),
            "labels": list(LABELS),
            # How each task's targets come from the Fashion-MNIST label (index = label).
            "tasks": {
                "fashion-mnist-10": {"classes": list(LABELS), "of_label": list(range(10))},
                "coarse-3": {"classes": list(COARSE_CLASSES), "of_label": list(COARSE_OF_LABEL)},
            },
            "models": [entries[k] for k in ZOO if k in entries],
        }
        with open(zoo_path, "w") as f:
            json.dump(zoo, f, indent=2)
            f.write("\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
