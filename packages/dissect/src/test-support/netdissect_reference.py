#!/usr/bin/python3
"""Network Dissection's formulas in plain numpy: the test-time reference for `dissect`.

A transcription of what NetDissect-Lite (CSAILVision, feature_operation.py: quantile_threshold
and tally; loader/data_loader.py: the Broden readers) computes, written independently of the
TypeScript and with NetDissect-Lite's approximations replaced by the exact quantities the
issue specifies:
  - T_k = np.quantile(all activations of unit k at feature resolution, 1 - q) (NetDissect-Lite
    reads its approximate QuantileVector sketch instead);
  - the map is upsampled to the mask size with torch's bilinear, align_corners=False
    (half-pixel centres, source index clamped at 0, upper neighbour clamped at the edge),
    in float64 (NetDissect-Lite used scipy.misc.imresize, gone from current scipy);
  - image-level label 0 (Broden's scene-0 rows) is skipped; Act starts from zero per image
    (NetDissect-Lite reuses the previous image's `tally_cat` when an image has no pixel labels).

Usage: netdissect_reference.py PROBE_DIR FEATURES.f32 N,K,H,W CATEGORIES QUANTILE
  FEATURES.f32: float32 [N,K,H,W] of the index's images in order (those with data in the
  categories). Prints JSON: thresholds, truth, inter, act, per unit the best label per
  category (label number or null, IoU) and overall.
"""
import csv
import json
import os
import sys

import numpy as np
from PIL import Image


def read_csv(path):
    with open(path, newline='') as f:
        return list(csv.DictReader(f))


def cell(value):
    items = [s for s in value.split(';') if s]
    return [int(s) if s.isdigit() else s for s in items]


def upsample(fmap, out_h, out_w):
    """torch.nn.functional.interpolate(mode='bilinear', align_corners=False), float64."""
    h, w = fmap.shape

    def axis(n_in, n_out):
        src = (np.arange(n_out) + 0.5) * (n_in / n_out) - 0.5
        src = np.maximum(src, 0.0)
        i0 = src.astype(np.int64)
        i1 = np.where(i0 < n_in - 1, i0 + 1, i0)
        l1 = src - i0
        return i0, i1, 1.0 - l1, l1

    y0, y1, wy0, wy1 = axis(h, out_h)
    x0, x1, wx0, wx1 = axis(w, out_w)
    f = fmap.astype(np.float64)
    rows0 = wx0[None, :] * f[y0][:, x0] + wx1[None, :] * f[y0][:, x1]
    rows1 = wx0[None, :] * f[y1][:, x0] + wx1[None, :] * f[y1][:, x1]
    return wy0[:, None] * rows0 + wy1[:, None] * rows1


def main():
    probe, features_path, shape, categories, quantile = sys.argv[1:6]
    n, k, fh, fw = (int(v) for v in shape.split(','))
    categories = categories.split(',')
    quantile = float(quantile)
    feats = np.fromfile(features_path, dtype=np.float32).reshape(n, k, fh, fw)

    labels = read_csv(os.path.join(probe, 'label.csv'))
    size = max(int(r['number']) for r in labels) + 1
    names = [None] * size
    for r in labels:
        names[int(r['number'])] = r['name']
    # Primary category: the selected category with the highest coverage (c_<cat>.csv);
    # ties go to the later category, as max((coverage, index)) does in NetDissect-Lite.
    best = [(-1.0, -1)] * size
    for ci, cat in enumerate(categories):
        for r in read_csv(os.path.join(probe, f'c_{cat}.csv')):
            number = int(r['number'])
            cand = (float(r['coverage']), ci)
            if cand > best[number]:
                best[number] = cand
    primary = np.array([b[1] for b in best])

    rows = [r for r in read_csv(os.path.join(probe, 'index.csv'))
            if any(v != 0 for c in categories for v in cell(r[c]))]
    assert len(rows) == n, f'{len(rows)} images with data, features for {n}'

    values = feats.transpose(1, 0, 2, 3).reshape(k, -1).astype(np.float64)
    thresholds = np.quantile(values, 1.0 - quantile, axis=1)

    n_cat = len(categories)
    truth = np.zeros(size)
    inter = np.zeros((k, size))
    act = np.zeros((k, n_cat))
    for i, r in enumerate(rows):
        sh, sw = int(r['sh']), int(r['sw'])
        planes, scalars = [], []
        for cat in categories:
            for v in cell(r[cat]):
                if isinstance(v, int):
                    if v != 0:
                        scalars.append(v)
                else:
                    rgb = np.asarray(Image.open(os.path.join(probe, 'images', v)).convert('RGB')).astype(np.int64)
                    planes.append(rgb[:, :, 0] + 256 * rgb[:, :, 1])
        planes = np.stack(planes) if planes else np.zeros((0, sh, sw), np.int64)
        counted = np.bincount(planes.ravel(), minlength=size)
        counted[0] = 0
        truth += counted
        for s in scalars:
            truth[s] += sh * sw
        for u in range(k):
            a = upsample(feats[i, u], sh, sw) > thresholds[u]
            area = int(a.sum())
            if area == 0:
                continue
            under = np.bincount(planes[:, a].ravel(), minlength=size)
            under[0] = 0
            inter[u] += under
            touched = np.zeros(n_cat, bool)
            hit = np.nonzero(under)[0]
            touched[primary[hit][primary[hit] >= 0]] = True
            for s in scalars:
                inter[u, s] += area
                if primary[s] >= 0:
                    touched[primary[s]] = True
            act[u] += area * touched

    units = []
    for u in range(k):
        per_cat = []
        for ci in range(n_cat):
            cand = [l for l in range(size) if primary[l] == ci]
            ious = [inter[u, l] / (act[u, ci] + truth[l] - inter[u, l] + 1e-10) for l in cand]
            j = int(np.argmax(ious)) if ious else -1
            if j < 0 or ious[j] <= 0:
                per_cat.append({'label': None, 'iou': 0.0})
            else:
                per_cat.append({'label': cand[j], 'iou': float(ious[j])})
        top = max(range(n_cat), key=lambda ci: (per_cat[ci]['iou'], -ci))
        units.append({'categories': per_cat, 'category': top, 'label': per_cat[top]['label'], 'iou': per_cat[top]['iou']})
    json.dump({'thresholds': thresholds.tolist(), 'truth': truth.tolist(), 'inter': inter.tolist(),
               'act': act.tolist(), 'units': units}, sys.stdout)


if __name__ == '__main__':
    main()
