#!/usr/bin/python3
"""A Broden-format probe set from the Fashion-MNIST demo images, with exact ground truth.

Broden (the Network Dissection probe set) cannot be downloaded here, so `dissect`'s tests,
demo and benchmark use this one. Each scene is drawn at the segmentation resolution
(--seg, default 28: Fashion-MNIST's own) and the image is its nearest-neighbour upscale by
--scale (default 2), so every mask pixel is exactly one uniform block of image pixels.

Categories and labels (numbers as in label.csv), each covering a few per cent of the
pixels, as Broden's labels are rare (a unit's thresholded map covers --quantile of them):
  color   1..8 black .. white  -- 32-level intensity bands of every pixel (pixel masks)
  object  10..19 the ten garments -- the garment's silhouette (pixel mask)
  scene   20..24 shoe-store, beach, office, street, party -- image-level, two garments each
  texture 256 striped, 257 banded, 258 checkered, 259 dotted -- a patch of the background
          (pixel mask), or image-level on the texture-only images (every 10th)
  part    300..307 the top and bottom half of the garment, named per kind (shaft/sole of
          footwear, collar/hem of tops, handle/base of bags, waist/leg of trousers), one PNG each
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
COLOR = {1 + b: n for b, n in enumerate(['black', 'charcoal', 'slate', 'gray', 'ash', 'silver', 'pale', 'white'])}
OBJECT = {10 + i: g for i, g in enumerate(GARMENTS)}
SCENE = {20: 'shoe-store', 21: 'beach', 22: 'office', 23: 'street', 24: 'party'}
SCENE_OF = {'ankle-boot': 20, 'sneaker': 20, 'sandal': 21, 't-shirt': 21, 'shirt': 22, 'trouser': 22,
            'coat': 23, 'bag': 23, 'dress': 24, 'pullover': 24}
TEXTURE = {256: 'striped', 257: 'banded', 258: 'checkered', 259: 'dotted'}
PART = {300: 'shaft', 301: 'sole', 302: 'collar', 303: 'hem', 304: 'handle', 305: 'base', 306: 'waist', 307: 'leg'}
PARTS_OF = {'ankle-boot': (300, 301), 'sandal': (300, 301), 'sneaker': (300, 301), 'bag': (304, 305), 'trouser': (306, 307),
            'coat': (302, 303), 'pullover': (302, 303), 'shirt': (302, 303), 't-shirt': (302, 303), 'dress': (302, 303)}
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


def texture(kind, n, on_value=200, off_value=40):
    y, x = np.mgrid[0:n, 0:n]
    if kind == 256: on = (y // 2) % 2 == 0            # striped: horizontal stripes 2 px wide
    elif kind == 257: on = (x // 2) % 2 == 0          # banded: vertical stripes
    elif kind == 258: on = ((x // 3) + (y // 3)) % 2 == 0  # checkered
    else: on = ((x % 5) < 2) & ((y % 5) < 2)          # dotted
    return np.where(on, on_value, off_value).astype(np.int32)


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
    ap.add_argument('--seed', type=int, default=1)
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

    rng = np.random.default_rng(args.seed)
    for i in range(args.count):
        on_value, off_value = int(rng.choice([170, 200, 230, 250])), int(rng.choice([20, 50, 80]))
        noise = rng.integers(0, 96, (seg, seg))
        patch = np.zeros((seg, seg), bool)
        side = (seg * 3) // 5
        r0, c0 = rng.integers(0, seg - side + 1, 2)
        patch[r0:r0 + side, c0:c0 + side] = True
        name = f'fmnist/{i:05d}'
        write = lambda suffix, data: open(os.path.join(args.out, 'images', f'{name}{suffix}.png'), 'wb').write(data)
        row = {c: '' for c in INDEX_COLUMNS}
        row.update(image=f'{name}.png', split='train' if i % 5 else 'val', ih=size, iw=size, sh=seg, sw=seg)
        tex = 256 + (i // 3) % 4
        cats = set()
        if i % 10 == 9:
            # Texture only, labelled for the whole image (as Broden's DTD images).
            scene = texture(tex, seg, on_value, off_value)
            row['texture'] = str(tex)
            seen(tex, seg * seg, cats)
            cats.add('texture')
        else:
            drawn = i - (i + 1) // 10  # garments drawn before this one
            garment = GARMENTS[drawn % len(GARMENTS)]
            src = read_png_gray(os.path.join(args.source, garment, files[garment][drawn // len(GARMENTS)])).astype(np.int32)
            g = nearest(src, seg)
            silhouette = g > 30
            textured = patch & ~silhouette if i % 4 != 3 else np.zeros((seg, seg), bool)
            background = np.where(textured, texture(tex, seg, on_value, off_value), noise)
            scene = np.where(silhouette, g, background)
            obj = np.where(silhouette, 10 + GARMENTS.index(garment), 0)
            write('_object', label_png(obj))
            row['object'] = f'{name}_object.png'
            seen(obj.max(), int(silhouette.sum()), cats)
            cats.add('object')
            rows_on = np.nonzero(silhouette.any(axis=1))[0]
            middle = (rows_on[0] + rows_on[-1] + 1) // 2
            parts = []
            top, bottom = PARTS_OF[garment]
            for k, (label, band) in enumerate([(top, np.arange(seg) < middle), (bottom, np.arange(seg) >= middle)]):
                mask = silhouette & band[:, None]
                if mask.any():
                    write(f'_part_{k}', label_png(np.where(mask, label, 0)))
                    parts.append(f'{name}_part_{k}.png')
                    seen(label, int(mask.sum()), cats)
            row['part'] = ';'.join(parts)
            cats.add('part')
            if i % 4 != 3:
                write('_texture', label_png(np.where(textured, tex, 0)))
                row['texture'] = f'{name}_texture.png'
                seen(tex, int(textured.sum()), cats)
                cats.add('texture')
            scenes = [SCENE_OF[garment]]
            if i == 5: scenes = [SCENE_OF[garment], 24 if SCENE_OF[garment] != 24 else 23]
            row['scene'] = '0' if i == 3 else ';'.join(str(s) for s in scenes)
            if i != 3:
                for s in scenes: seen(s, seg * seg, cats)
                cats.add('scene')
        bands = 1 + scene // 32
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
