"""Writes an ImageFolder of JPEGs for `pnpm bench data` with Debian's PIL: DIR/<class>/<i>.jpg.

usage: make_jpegs.py DIR COUNT CLASSES

Photo-like content (smooth colour gradients, a few shapes, mild noise), sizes 240-400 px per side
(every image needs a resize), JPEG quality 90. Deterministic (seeded).
"""
import os
import sys

import numpy as np
from PIL import Image, ImageDraw

out, count, classes = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
rng = np.random.default_rng(0)
for c in range(classes):
    os.makedirs(os.path.join(out, f'class{c:02d}'), exist_ok=True)
for i in range(count):
    w, h = (int(v) for v in rng.integers(240, 401, size=2))
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    base = rng.uniform(0, 255, size=3)
    slope = rng.uniform(-0.6, 0.6, size=(3, 2))
    img = np.stack([base[k] + slope[k, 0] * xx + slope[k, 1] * yy for k in range(3)], axis=-1)
    img += rng.normal(0, 6, size=img.shape)
    pil = Image.fromarray(np.clip(img, 0, 255).astype(np.uint8), 'RGB')
    draw = ImageDraw.Draw(pil)
    for _ in range(3):
        x0, y0 = int(rng.integers(0, w - 20)), int(rng.integers(0, h - 20))
        draw.ellipse([x0, y0, x0 + int(rng.integers(10, 120)), y0 + int(rng.integers(10, 120))], fill=tuple(int(v) for v in rng.integers(0, 256, size=3)))
    pil.save(os.path.join(out, f'class{i % classes:02d}', f'{i:06d}.jpg'), quality=90)
print(count)
