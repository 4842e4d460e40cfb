#!/usr/bin/python3
"""NetDissect-Lite's method in PyTorch + numpy, the baseline of tools/bench/dissect.js.

  export OUT.onnx                       torchvision ResNet18, random weights (seed 0), also OUT.pt
  run MODEL.pt PROBE LAYER QUANTILE     dissect LAYER over PROBE; prints JSON (labels, IoUs)

`run` is what a NetDissect-Lite user's script does, on current Python/numpy: a forward hook
collects the layer's full maps (feature_extraction), T_k = np.quantile per unit (exact, where
NetDissect-Lite reads its approximate QuantileVector), then tally_job's per-image, per-unit
loop: masks decoded (R + 256 G), maps upsampled to the mask size (torch's bilinear,
align_corners=False, all units of an image in one call, where NetDissect-Lite called
scipy.misc.imresize per unit), np.argwhere + np.bincount under each unit's mask, and the
IoU / best-label algebra of FeatureOperator.tally.
"""
import csv
import json
import os
import sys

import numpy as np
import torch
import torchvision
from PIL import Image

CATEGORIES = ['object', 'part', 'scene', 'texture', 'color']


def export(out):
    torch.manual_seed(0)
    model = torchvision.models.resnet18().eval()
    torch.save(model.state_dict(), out[:-5] + '.pt')
    torch.onnx.export(model, torch.zeros(1, 3, 224, 224), out, opset_version=13, input_names=['input'],
                      output_names=['logits'], dynamic_axes={'input': {0: 'N'}, 'logits': {0: 'N'}})


def read_csv(path):
    with open(path, newline='') as f:
        return list(csv.DictReader(f))


def cell(v):
    return [int(s) if s.isdigit() else s for s in v.split(';') if s]


def run(weights, probe, layer, quantile):
    torch.set_num_threads(2)
    model = torchvision.models.resnet18()
    model.load_state_dict(torch.load(weights))
    model.eval()
    labels = read_csv(os.path.join(probe, 'label.csv'))
    size = max(int(r['number']) for r in labels) + 1
    names = [''] * size
    for r in labels:
        names[int(r['number'])] = r['name']
    best = [(-1.0, -1)] * size
    for ci, cat in enumerate(CATEGORIES):
        for r in read_csv(os.path.join(probe, f'c_{cat}.csv')):
            best[int(r['number'])] = max(best[int(r['number'])], (float(r['coverage']), ci))
    primary = np.array([b[1] for b in best])
    labelcat = np.zeros((size, len(CATEGORIES)))
    labelcat[np.arange(size)[primary >= 0], primary[primary >= 0]] = 1
    rows = [r for r in read_csv(os.path.join(probe, 'index.csv')) if any(v != 0 for c in CATEGORIES for v in cell(r[c]))]

    # feature_extraction: a forward hook, batches of 32
    blobs = []
    dict(model.named_modules())[layer].register_forward_hook(lambda m, i, o: blobs.append(o.detach().numpy()))
    mean = np.array([0.485, 0.456, 0.406], np.float32)[:, None, None]
    std = np.array([0.229, 0.224, 0.225], np.float32)[:, None, None]
    with torch.no_grad():
        for s in range(0, len(rows), 32):
            batch = [(np.asarray(Image.open(os.path.join(probe, 'images', r['image'])).convert('RGB'), np.float32)
                      .transpose(2, 0, 1) / 255 - mean) / std for r in rows[s:s + 32]]
            model(torch.from_numpy(np.stack(batch)))
    features = np.concatenate(blobs)
    n, units = features.shape[:2]

    # quantile_threshold
    threshold = np.quantile(features.transpose(1, 0, 2, 3).reshape(units, -1), 1 - quantile, axis=1)

    # tally_job
    tally_both = np.zeros((units, size))
    tally_units_cat = np.zeros((units, len(CATEGORIES)))
    tally_labels = np.zeros(size)
    for i, r in enumerate(rows):
        sh, sw = int(r['sh']), int(r['sw'])
        scalars, pixels = [], []
        for cat in CATEGORIES:
            for v in cell(r[cat]):
                if isinstance(v, int):
                    if v:
                        scalars.append(v)
                else:
                    rgb = np.asarray(Image.open(os.path.join(probe, 'images', v)).convert('RGB')).astype(np.int64)
                    pixels.append(rgb[:, :, 0] + rgb[:, :, 1] * 256)
        for s in scalars:
            tally_labels[s] += sh * sw
        if pixels:
            pixels = np.stack(pixels)
            tl = np.bincount(pixels.ravel(), minlength=size)
            tl[0] = 0
            tally_labels += tl
        up = torch.nn.functional.interpolate(torch.from_numpy(features[i:i + 1]), size=(sh, sw), mode='bilinear',
                                             align_corners=False)[0].numpy()
        for u in range(units):
            if features[i, u].max() > threshold[u]:
                indexes = np.argwhere(up[u] > threshold[u])
                tally_cat = np.zeros(len(CATEGORIES))
                if len(pixels) > 0:
                    tally_bt = np.bincount(pixels[:, indexes[:, 0], indexes[:, 1]].ravel(), minlength=size)
                    tally_bt[0] = 0
                    tally_cat = np.dot(tally_bt[None, :], labelcat)[0]
                    tally_both[u] += tally_bt
                for s in scalars:
                    tally_cat += labelcat[s]
                    tally_both[u, s] += len(indexes)
                tally_units_cat[u] += len(indexes) * (tally_cat > 0)

    # tally: IoU and the best label per category and overall
    act = np.dot(tally_units_cat, labelcat.T)
    iou = tally_both / (act + tally_labels[None, :] - tally_both + 1e-10)
    pciou = np.array([iou * (primary == ci)[None, :] for ci in range(len(CATEGORIES))])
    label = pciou.argmax(axis=2)
    score = np.take_along_axis(pciou, label[:, :, None], axis=2)[:, :, 0]
    bestcat = score.argmax(axis=0)
    out = [{'label': names[label[bestcat[u], u]] if score[bestcat[u], u] > 0 else None, 'iou': float(score[bestcat[u], u])}
           for u in range(units)]
    json.dump({'images': n, 'units': out}, sys.stdout)


if __name__ == '__main__':
    if sys.argv[1] == 'export':
        export(sys.argv[2])
    else:
        run(sys.argv[2], sys.argv[3], sys.argv[4], float(sys.argv[5]))
