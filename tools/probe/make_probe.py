#!/usr/bin/python3
"""A Broden-format probe set from the Fashion-MNIST demo images, with exact ground truth.

Broden (the Network Dissection probe set) cannot be downloaded here, so `dissect`'s tests,
demo and benchmark use this one. Each scene is drawn at the segmentation resolution
(--seg, default 28: Fashion-MNIST's own) and the image is its nearest-neighbour upscale by
--scale (default 2), so every mask pixel is exactly one uniform block of image pixels.

Categories and labels (numbers as in label.csv):
  color   1 dark, 2 gray, 3 bright  -- intensity bands of every pixel (pixel masks)
  object  4..13 the ten garments    -- the garment's silhouette (pixel mask)
  scene   14 footwear, 15 tops, 16 other -- image-level integers
  texture 256 striped, 257 banded, 258 checkered, 259 dotted -- the background (pixel mask),
          or image-level on the texture-only images (every 10th)
  part    300 upper, 301 lower -- top / bottom half of the garment, one PNG each
Edge cases Broden has and readers must handle: labels above 255 (R + 256*G in the PNGs),
several part masks per image (a ';' list), empty cells (material everywhere, and the
texture-only images' object/part/color), a scene cell '0' (row 3: to be skipped), a ';' list
of image-level labels (row 5: two scenes), images with only image-level labels.

Usage: /usr/bin/python3 tools/probe/make_probe.py --out examples/data/fashion-probe
"""
import argparse
import csv
import os
import zlib
import struct

import numpy as np

GARMENTS = ['ankle-boot', 'bag', 'coat', 'dress', 'pullover', 'sandal', 'shirt', 'sneaker', 't-shirt', 'trouser']
SYNONYMS = {'t-shirt': 't-shirt;top', 'ankle-boot': 'ankle-boot;boot', 'sneaker': 'sneaker;trainer'}
SCENE_OF = {'ankle-boot': 14, 'sandal': 14, 'sneaker': 14, 'coat': 15, 'pullover': 15, 'shirt': 15, 't-shirt': 15,
            'bag': 16, 'dress': 16, 'trouser': 16}
COLOR = {1: 'dark', 2: 'gray', 3: 'bright'}
OBJECT = {4 + i: g for i, g in enumerate(GARMENTS)}
SCENE = {14: 'footwear', 15: 'tops', 16: 'other'}
TEXTURE = {256: 'striped', 257: 'banded', 258: 'checkered', 259: 'dotted'}
PART = {300: 'upper', 301: 'lower'}
CATEGORIES = [('color', COLOR), ('object', OBJECT), ('part', PART), ('scene', SCENE), ('texture', TEXTURE)]
INDEX_COLUMNS = ['image', 'split', 'ih', 'iw', 'sh', 'sw', 'color', 'object', 'material', 'part', 'scene', 'texture']


def png_bytes(pixels):
    """A PNG of uint8 pixels (H,W) gray or (H,W,3) RGB, without PIL: exact bytes, no metadata."""
    h, w = pixels.shape[:2]
    color_type = 2 if pixels.ndim == 3 else 0
    raw = b''.join(b'\x00' + pixels[y].tobytes() for y in range(h))

    def chunk(kind, data):
        return struct.pack('>I', len(data)) + kind + data + struct.pack('>I', zlib.crc32(kind + data) & 0xFFFFFFFF)

    header = struct.pack('>IIBBBBB', w, h, 8, color_type, 0, 0, 0)
    return b'\x89PNG\r\n\x1a\n' + chunk(b'IHDR', header) + chunk(b'IDAT', zlib.compress(raw, 9)) + chunk(b'IEND', b'')


def read_png_gray(path):
    from PIL import Image
    return np.asarray(Image.open(path).convert('L'), np.uint8)


def label_png(labels):
    """A Broden mask: label = R + 256*G."""
    rgb = np.zeros(labels.shape + (3,), np.uint8)
    rgb[..., 0] = labels % 256
    rgb[..., 1] = labels // 256
    return png_bytes(rgb)


def texture(kind, n):
    y, x = np.mgrid[0:n, 0:n]
    if kind == 256: on = (y // 2) % 2 == 0            # striped: horizontal stripes 2 px wide
    elif kind == 257: on = (x // 2) % 2 == 0          # banded: vertical stripes
    elif kind == 258: on = ((x // 3) + (y // 3)) % 2 == 0  # checkered
    else: on = ((x % 5) < 2) & ((y % 5) < 2)          # dotted
    return np.where(on, 200, 40).astype(np.int32)


def nearest(a, n):
    """Nearest-neighbour resize of a square array to n x n (n a multiple or divisor of its size)."""
    idx = (np.arange(n) * a.shape[0]) // n
    return a[idx][:, idx]


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument('--out', required=True)
    ap.add_argument('--source', default=os.path.join(os.path.dirname(__file__), '../../examples/data/fashion-mnist/test'))
    ap.add_argument('--count', type=int, default=120)
    ap.add_argument('--seg', type=int, default=28, help='segmentation (mask) size sh = sw')
    ap.add_argument('--scale', type=int, default=2, help='image size = seg * scale')
    args = ap.parse_args()
    seg, size = args.seg, args.seg * args.scale
    os.makedirs(os.path.join(args.out, 'images', 'fmnist'), exist_ok=True)
    files = {g: sorted(os.listdir(os.path.join(args.source, g))) for g in GARMENTS}
    rows = []
    pixels = {}   # label -> total pixels (for coverage)
    images_with = {}  # label -> images it appears in
    cat_images = {c: 0 for c, _ in CATEGORIES}

    def seen(label, count, cat_set):
        pixels[label] = pixels.get(label, 0) + count
        images_with[label] = images_with.get(label, 0) + 1

    for i in range(args.count):
        name = f'fmnist/{i:05d}'
        write = lambda suffix, data: open(os.path.join(args.out, 'images', f'{name}{suffix}.png'), 'wb').write(data)
        row = {c: '' for c in INDEX_COLUMNS}
        row.update(image=f'{name}.png', split='train' if i % 5 else 'val', ih=size, iw=size, sh=seg, sw=seg)
        tex = 256 + (i // 3) % 4
        cats = set()
        if i % 10 == 9:
            # Texture only, labelled for the whole image (as Broden's DTD images).
            scene = texture(tex, seg)
            row['texture'] = str(tex)
            seen(tex, seg * seg, cats)
            cats.add('texture')
        else:
            drawn = i - (i + 1) // 10  # garments drawn before this one
            garment = GARMENTS[drawn % len(GARMENTS)]
            src = read_png_gray(os.path.join(args.source, garment, files[garment][drawn // len(GARMENTS)])).astype(np.int32)
            g = nearest(src, seg)
            silhouette = g > 30
            background = texture(tex, seg) if i % 4 != 3 else np.full((seg, seg), 40, np.int32)
            scene = np.where(silhouette, np.maximum(g, 45), background)
            obj = np.where(silhouette, 4 + GARMENTS.index(garment), 0)
            write('_object', label_png(obj))
            row['object'] = f'{name}_object.png'
            seen(obj.max(), int(silhouette.sum()), cats)
            cats.add('object')
            rows_on = np.nonzero(silhouette.any(axis=1))[0]
            middle = (rows_on[0] + rows_on[-1] + 1) // 2
            parts = []
            for k, (label, band) in enumerate([(300, np.arange(seg) < middle), (301, np.arange(seg) >= middle)]):
                mask = silhouette & band[:, None]
                if mask.any():
                    write(f'_part_{k}', label_png(np.where(mask, label, 0)))
                    parts.append(f'{name}_part_{k}.png')
                    seen(label, int(mask.sum()), cats)
            row['part'] = ';'.join(parts)
            cats.add('part')
            if i % 4 != 3:
                write('_texture', label_png(np.where(silhouette, 0, tex)))
                row['texture'] = f'{name}_texture.png'
                seen(tex, int((~silhouette).sum()), cats)
                cats.add('texture')
            scenes = [SCENE_OF[garment]]
            if i == 5: scenes = [SCENE_OF[garment], 16 if SCENE_OF[garment] != 16 else 15]
            row['scene'] = '0' if i == 3 else ';'.join(str(s) for s in scenes)
            if i != 3:
                for s in scenes: seen(s, seg * seg, cats)
                cats.add('scene')
        bands = np.where(scene < 80, 1, np.where(scene < 170, 2, 3))
        if i % 10 != 9:
            write('_color', label_png(bands))
            row['color'] = f'{name}_color.png'
            for b in np.unique(bands): seen(int(b), int((bands == b).sum()), cats)
            cats.add('color')
        for c in cats: cat_images[c] += 1
        write('', png_bytes(nearest(scene, size).astype(np.uint8)))
        rows.append(row)

    with open(os.path.join(args.out, 'index.csv'), 'w', newline='') as f:
        w = csv.DictWriter(f, INDEX_COLUMNS, lineterminator='\n')
        w.writeheader()
        w.writerows(rows)
    area = seg * seg
    with open(os.path.join(args.out, 'label.csv'), 'w', newline='') as f:
        w = csv.writer(f, lineterminator='\n')
        w.writerow(['number', 'name', 'category', 'frequency', 'coverage', 'syns'])
        for number, lname, cat in sorted((n, l, c) for c, labels in CATEGORIES for n, l in labels.items()):
            if True:
                freq = images_with.get(number, 0)
                w.writerow([number, lname, f'{cat}({freq})', freq, f'{pixels.get(number, 0) / area:.6f}', SYNONYMS.get(lname, '')])
    with open(os.path.join(args.out, 'category.csv'), 'w', newline='') as f:
        w = csv.writer(f, lineterminator='\n')
        w.writerow(['name', 'first', 'last', 'count', 'frequency'])
        for cat, labels in CATEGORIES:
            w.writerow([cat, 1, len(labels), len(labels), cat_images[cat]])
    for cat, labels in CATEGORIES:
        with open(os.path.join(args.out, f'c_{cat}.csv'), 'w', newline='') as f:
            w = csv.writer(f, lineterminator='\n')
            w.writerow(['code', 'number', 'name', 'frequency', 'coverage', 'syns'])
            for code, (number, lname) in enumerate(sorted(labels.items()), start=1):
                w.writerow([code, number, lname, images_with.get(number, 0), f'{pixels.get(number, 0) / area:.6f}', SYNONYMS.get(lname, '')])


if __name__ == '__main__':
    main()
