"""Writes the data the datasets format tests read, with Debian's numpy and PIL (independent of shrinkray).

usage: make_fixtures.py npy OUT          every .npy dtype/endianness/order/version case, bad files, npz archives
       make_fixtures.py images OUT       PNG/JPEG ImageFolders (good, corrupt, empty class)
       make_fixtures.py formats RAW OUT  one set of examples as IDX, npz, npy, CSV and a PNG folder

Each array case `name.npy` comes with `name.expect.f64`: numpy's own float64 conversion of the same
values (C order, uint8 divided by 255) for the test to compare against.
"""
import json
import os
import struct
import sys
import zipfile

import numpy as np
from PIL import Image


def expect(path, arr):
    vals = arr.astype(np.float64)
    if arr.dtype == np.uint8:
        vals = vals / 255.0
    np.ascontiguousarray(vals).astype('<f8').tofile(path)


def npy_cases(out):
    os.makedirs(out, exist_ok=True)
    rng = np.random.default_rng(0)
    base = rng.integers(-100, 100, size=(5, 3, 4))
    values = {
        'uint8': rng.integers(0, 256, size=(5, 3, 4)),
        'int8': base,
        'int16': base * 300,
        'int32': base * 70000,
        'int64': base * (2 ** 40) + 7,
        'float16': base / 8.0,
        'float32': base / 3.0,
        'float64': base / 7.0,
        'bool': base > 0,
    }
    cases = []
    for dt, v in values.items():
        orders = ['|'] if dt in ('uint8', 'int8', 'bool') else ['<', '>']
        for endian in orders:
            for order in ('C', 'F'):
                dtype = np.dtype(dt) if endian == '|' else np.dtype(dt).newbyteorder(endian)
                arr = np.asarray(v).astype(dtype)
                arr = np.asfortranarray(arr) if order == 'F' else np.ascontiguousarray(arr)
                name = f'{dt}-{"le" if endian == "<" else "be" if endian == ">" else "na"}-{order}'
                np.save(os.path.join(out, name + '.npy'), arr)
                expect(os.path.join(out, name + '.expect.f64'), arr)
                cases.append({'name': name, 'dtype': dt, 'fortran': order == 'F', 'shape': list(arr.shape)})
    # Format versions 1.0, 2.0, 3.0 of the same float32 array (2-D, Fortran too).
    arr = (np.arange(12, dtype=np.float32) / 4).reshape(3, 4)
    for version in ((1, 0), (2, 0), (3, 0)):
        for order in ('C', 'F'):
            a = np.asfortranarray(arr) if order == 'F' else arr
            name = f'version{version[0]}-{order}'
            with open(os.path.join(out, name + '.npy'), 'wb') as f:
                np.lib.format.write_array(f, a, version=version)
            expect(os.path.join(out, name + '.expect.f64'), a)
            cases.append({'name': name, 'dtype': 'float32', 'fortran': order == 'F', 'shape': [3, 4]})
    with open(os.path.join(out, 'cases.json'), 'w') as f:
        json.dump(cases, f)

    # Bad inputs.
    np.save(os.path.join(out, 'object.npy'), np.array([{'a': 1}, [2]], dtype=object), allow_pickle=True)
    np.save(os.path.join(out, 'structured.npy'), np.zeros(3, dtype=[('a', '<f4'), ('b', '<i4')]))
    np.save(os.path.join(out, 'complex.npy'), np.zeros(3, dtype=np.complex64))
    full = np.arange(40, dtype=np.float32).reshape(10, 4)
    np.save(os.path.join(out, 'truncated.npy'), full)
    with open(os.path.join(out, 'truncated.npy'), 'r+b') as f:
        f.truncate(os.path.getsize(os.path.join(out, 'truncated.npy')) - 10)
    withnan = np.arange(40, dtype=np.float64).reshape(10, 4)
    withnan[6, 2] = np.nan
    np.save(os.path.join(out, 'nan.npy'), withnan)
    withinf = np.arange(40, dtype=np.float32).reshape(10, 4)
    withinf[3, 1] = np.inf
    np.save(os.path.join(out, 'inf.npy'), withinf)
    np.save(os.path.join(out, 'y10.npy'), np.arange(10) % 3)
    np.save(os.path.join(out, 'y9.npy'), np.arange(9) % 3)
    np.save(os.path.join(out, 'yfrac.npy'), np.array([0, 1, 2.5, 1, 0, 2, 1, 0, 2, 1]))
    np.save(os.path.join(out, 'yneg.npy'), np.array([0, 1, 2, 1, -1, 2, 1, 0, 2, 1], dtype=np.int16))
    np.save(os.path.join(out, 'x10.npy'), full)
    with open(os.path.join(out, 'notnpy.npy'), 'wb') as f:
        f.write(b'PK\x03\x04 not a numpy file at all')

    # A large C-order array (read lazily with a small in-memory limit) and its labels.
    big = rng.integers(0, 256, size=(300, 7, 5)).astype(np.uint8)
    np.save(os.path.join(out, 'big-x.npy'), big)
    expect(os.path.join(out, 'big-x.expect.f64'), big)
    np.save(os.path.join(out, 'big-y.npy'), (np.arange(300) % 4).astype('>i8'))

    # Token ids as Hugging Face pipelines save them: int64 [N, L], padded with 0 (and int32, big-endian).
    ids = rng.integers(1, 50000, size=(30, 12)).astype(np.int64)
    for r in range(30):
        ids[r, 3 + r % 9:] = 0
    ids[5, :] = 2 ** 31 - 1
    np.save(os.path.join(out, 'ids-train.npy'), ids)
    expect(os.path.join(out, 'ids-train.expect.f64'), ids)
    np.save(os.path.join(out, 'ids-ytrain.npy'), np.arange(30) % 3)
    np.save(os.path.join(out, 'ids-test.npy'), ids[:10].astype('>i4'))
    np.save(os.path.join(out, 'ids-ytest.npy'), np.arange(10) % 3)
    np.save(os.path.join(out, 'ids-float.npy'), ids[:10].astype(np.float32))
    big = ids.copy()
    big[4, 7] = 2 ** 40
    np.save(os.path.join(out, 'ids-big.npy'), big)
    neg = ids.copy()
    neg[9, 2] = -1
    np.save(os.path.join(out, 'ids-neg.npy'), neg)
    np.savez_compressed(os.path.join(out, 'ids.npz'), x_train=ids, y_train=np.arange(30) % 3, x_test=ids[:10], y_test=np.arange(10) % 3)

    # npz archives: np.savez (stored) and np.savez_compressed (DEFLATE), Keras keys.
    xtr = rng.integers(0, 256, size=(40, 6, 6)).astype(np.uint8)
    ytr = (np.arange(40) % 5).astype(np.int64)
    xte = rng.integers(0, 256, size=(15, 6, 6)).astype(np.uint8)
    yte = (np.arange(15) % 5).astype(np.uint8)
    xva = rng.normal(size=(8, 6, 6)).astype(np.float32)
    yva = (np.arange(8) % 5).astype(np.int32)
    np.savez(os.path.join(out, 'stored.npz'), x_train=xtr, y_train=ytr, x_test=xte, y_test=yte)
    np.savez_compressed(os.path.join(out, 'compressed.npz'), x_train=xtr, y_train=ytr, x_test=xte, y_test=yte, x_val=xva, y_val=yva)
    for key, arr in (('xtr', xtr), ('xte', xte), ('xva', xva)):
        expect(os.path.join(out, f'npz-{key}.expect.f64'), arr)
    # zip64 everywhere: sizes and offsets in zip64 extra fields, a zip64 end-of-central-directory record
    # (zipfile reads its ZIP64_LIMIT at write time; numpy reads the file back to prove it is valid).
    limit = zipfile.ZIP64_LIMIT
    zipfile.ZIP64_LIMIT = 64
    try:
        np.savez(os.path.join(out, 'zip64.npz'), x_train=xtr, y_train=ytr, x_test=xte, y_test=yte)
    finally:
        zipfile.ZIP64_LIMIT = limit
    with np.load(os.path.join(out, 'zip64.npz')) as z:
        assert (z['x_test'] == xte).all()
    np.savez(os.path.join(out, 'otherkeys.npz'), images=xtr, labels=ytr)
    np.savez(os.path.join(out, 'mismatch.npz'), x_train=xtr, y_train=ytr[:39], x_test=xte, y_test=yte)
    with open(os.path.join(out, 'compressed.npz'), 'rb') as f:
        data = f.read()
    with open(os.path.join(out, 'truncated.npz'), 'wb') as f:
        f.write(data[: len(data) // 2])
    # A DEFLATE entry with one flipped byte: fails its CRC or its inflate.
    damaged = bytearray(data)
    with zipfile.ZipFile(os.path.join(out, 'compressed.npz')) as z:
        info = z.getinfo('x_train.npy')
    start = info.header_offset + 30 + len(info.filename.encode()) + len(info.extra) + 200
    damaged[start] ^= 0xFF
    with open(os.path.join(out, 'damaged.npz'), 'wb') as f:
        f.write(bytes(damaged))


def save(img, path):
    img.save(path)


def image_cases(out):
    rng = np.random.default_rng(1)
    # A split layout: RGB photos of different sizes, PNG and JPEG, 3 classes.
    good = os.path.join(out, 'good')
    sizes = [(40, 30), (30, 40), (32, 32), (50, 36)]
    for split, n in (('train', 4), ('test', 2)):
        for c, name in enumerate(['cat', 'dog', 'emu']):
            d = os.path.join(good, split, name)
            os.makedirs(d, exist_ok=True)
            for i in range(n):
                w, h = sizes[(i + c) % len(sizes)]
                arr = rng.integers(0, 256, size=(h, w, 3)).astype(np.uint8)
                ext = 'png' if i % 2 == 0 else 'jpg'
                Image.fromarray(arr, 'RGB').save(os.path.join(d, f'{i:03d}.{ext}'), quality=95)
    # train/ and val/ without test/: a seeded split of train, val as the validation split.
    for split, n in (('train', 5), ('val', 2)):
        for name in ('x', 'y'):
            d = os.path.join(out, 'trainval', split, name)
            os.makedirs(d, exist_ok=True)
            for i in range(n):
                Image.fromarray(rng.integers(0, 256, size=(6, 6)).astype(np.uint8), 'L').save(os.path.join(d, f'{i}.png'))
    # Same-size grey PNGs (no resize): the exact pixels, written as .npy for comparison.
    exact = os.path.join(out, 'exact')
    pixels = rng.integers(0, 256, size=(6, 8, 8)).astype(np.uint8)
    for i in range(6):
        d = os.path.join(exact, f'class{i % 2}')
        os.makedirs(d, exist_ok=True)
        Image.fromarray(pixels[i], 'L').save(os.path.join(d, f'{i:03d}.png'))
    np.save(os.path.join(out, 'exact-pixels.npy'), pixels)
    # RGB PNGs of the model's size, for channel order and mean/std.
    rgb = os.path.join(out, 'rgb')
    rgbpix = rng.integers(0, 256, size=(4, 5, 5, 3)).astype(np.uint8)
    for i in range(4):
        d = os.path.join(rgb, f'c{i % 2}')
        os.makedirs(d, exist_ok=True)
        Image.fromarray(rgbpix[i], 'RGB').save(os.path.join(d, f'{i:03d}.png'))
    np.save(os.path.join(out, 'rgb-pixels.npy'), rgbpix)
    # Resize reference: PIL's own resize + centre crop of one JPEG-free PNG (torchvision's transform).
    ref = os.path.join(out, 'resize')
    big = np.zeros((60, 80, 3), dtype=np.uint8)
    big[:, :40] = 255  # left half white: a vertical edge in the middle
    os.makedirs(os.path.join(ref, 'a'), exist_ok=True)
    os.makedirs(os.path.join(ref, 'b'), exist_ok=True)
    Image.fromarray(big, 'RGB').save(os.path.join(ref, 'a', '0.png'))
    Image.fromarray(big[:, ::-1].copy(), 'RGB').save(os.path.join(ref, 'b', '0.png'))
    # PIL's bilinear resize of the shorter side to 30 (80x60 -> 40x30), then the centre 30x30 crop.
    small = np.asarray(Image.fromarray(big, 'RGB').resize((40, 30), Image.BILINEAR))
    np.save(os.path.join(out, 'resize-ref.npy'), small[:, 5:35])
    # Corrupt: a truncated JPEG and a text file named .png among good ones.
    bad = os.path.join(out, 'corrupt')
    for c in ('a', 'b'):
        os.makedirs(os.path.join(bad, c), exist_ok=True)
        for i in range(3):
            Image.fromarray(rng.integers(0, 256, size=(8, 8, 3)).astype(np.uint8), 'RGB').save(os.path.join(bad, c, f'{i}.png'))
    Image.fromarray(rng.integers(0, 256, size=(64, 64, 3)).astype(np.uint8), 'RGB').save(os.path.join(bad, 'a', 'truncated.jpg'), quality=95)
    p = os.path.join(bad, 'a', 'truncated.jpg')
    with open(p, 'rb') as f:
        data = f.read()
    with open(p, 'wb') as f:
        f.write(data[: len(data) // 2])
    with open(os.path.join(bad, 'b', 'text.png'), 'w') as f:
        f.write('this is not an image\n')
    # Only a truncated JPEG is bad here: its header reads, its decode fails.
    trunc = os.path.join(out, 'truncated')
    for c in ('a', 'b'):
        os.makedirs(os.path.join(trunc, c), exist_ok=True)
        Image.fromarray(rng.integers(0, 256, size=(8, 8, 3)).astype(np.uint8), 'RGB').save(os.path.join(trunc, c, '0.png'))
    with open(os.path.join(trunc, 'b', '1.jpg'), 'wb') as f:
        f.write(data[: len(data) // 2])
    # An empty class folder.
    empty = os.path.join(out, 'empty')
    os.makedirs(os.path.join(empty, 'a'), exist_ok=True)
    os.makedirs(os.path.join(empty, 'b'), exist_ok=True)
    Image.fromarray(np.zeros((4, 4), dtype=np.uint8), 'L').save(os.path.join(empty, 'a', '0.png'))
    with open(os.path.join(empty, 'b', 'notes.txt'), 'w') as f:
        f.write('no images here\n')


def idx(path, arr):
    codes = {np.dtype(np.uint8): 0x08}
    with open(path, 'wb') as f:
        f.write(struct.pack('>BBBB', 0, 0, codes[arr.dtype], arr.ndim))
        for d in arr.shape:
            f.write(struct.pack('>I', d))
        f.write(arr.tobytes())


def format_cases(raw, out):
    """The same examples in every format: raw/meta.json names uint8 x files [N,28,28] and y files."""
    with open(os.path.join(raw, 'meta.json')) as f:
        meta = json.load(f)
    split = {}
    for s in ('train', 'test'):
        n = meta[s]
        x = np.fromfile(os.path.join(raw, f'{s}-x.u8'), dtype=np.uint8).reshape(n, 28, 28)
        y = np.fromfile(os.path.join(raw, f'{s}-y.u8'), dtype=np.uint8).astype(np.int64)
        split[s] = (x, y)
    os.makedirs(out, exist_ok=True)
    (xtr, ytr), (xte, yte) = split['train'], split['test']
    for s, (x, y) in split.items():
        idx(os.path.join(out, f'{s}-images.idx'), x)
        idx(os.path.join(out, f'{s}-labels.idx'), y.astype(np.uint8))
        np.save(os.path.join(out, f'x_{s}.npy'), x)
        np.save(os.path.join(out, f'y_{s}.npy'), y)
        with open(os.path.join(out, f'{s}.csv'), 'w') as f:
            f.write(','.join([f'p{i}' for i in range(784)] + ['digit']) + '\n')
            for row, label in zip(x.reshape(len(x), 784), y):
                f.write(','.join(repr(float(v) / 255.0) for v in row) + f',d{label}\n')
        for i, (img, label) in enumerate(zip(x, y)):
            d = os.path.join(out, 'png', s, str(label))
            os.makedirs(d, exist_ok=True)
            Image.fromarray(img, 'L').save(os.path.join(d, f'{i:05d}.png'))
    np.savez_compressed(os.path.join(out, 'data.npz'), x_train=xtr, y_train=ytr, x_test=xte, y_test=yte)


if __name__ == '__main__':
    if sys.argv[1] == 'npy':
        npy_cases(sys.argv[2])
    elif sys.argv[1] == 'images':
        image_cases(sys.argv[2])
    elif sys.argv[1] == 'formats':
        format_cases(sys.argv[2], sys.argv[3])
    else:
        raise SystemExit(__doc__)
