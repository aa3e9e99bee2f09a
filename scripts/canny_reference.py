#!/usr/bin/env python3
"""ECGAN's ground-truth edge detector, `scripts/canny.m` of Ha0Tang/ECGAN@984be01, ported step by step to numpy.

It is the oracle of `Sources/Data/Canny.swift`: every step below names the canny.m lines it mirrors, and computes
in float64 with the same operations in the same order as the Swift code, so the two agree bit for bit up to
`atan2` (the one function not correctly rounded; see `direction`). Needs only numpy (and the standard library); the
project itself never runs Python: the tests read the committed outputs.

Usage:
  scripts/canny_reference.py INPUT.png OUTPUT.png      edges of one 8-bit PNG (gray, RGB, with or without alpha)
  scripts/canny_reference.py --fixtures [--chelsea P]  rewrite Tests/DataTests/Resources/canny-*.png; with P, re-cut
                                                       the photo input from it first

Fixture inputs: data/fashion-shoes/trainA/train_00006.png (gray); canny-input-photo.png, 128×96 of
`skimage/data/chelsea.png` from PyPI scikit-image 0.26.0 ("No copyright restrictions. CC0 by the photographer
(Stefan van der Walt)"); canny-input-synthetic.png, drawn by `synthetic()` below.

What canny.m does that this port does not:
  - `imresize(edge_final, [256, 512])` at the end: a hard resize to Cityscapes' 512×256 (bicubic, antialiased, so
    the result is no longer 0/255). It is Cityscapes-specific (spec ecgan-mclnet-egscit.md §2.3); edges are kept
    at the image's own size and the data pipeline resizes them with the image.
  - An image whose non-maximum-suppressed magnitude is 0 everywhere (a constant image, or one under 3 pixels
    high or wide) makes canny.m index outside the image in its hysteresis loop and stop with an error; the port
    returns no edges.
"""
import argparse, math, os, struct, sys, zlib
import numpy as np

# rgb2gray: the first row of inv([1 0.956 0.621; 1 -0.272 -0.647; 1 -1.106 1.703]), as MATLAB's rgb2gray.m states it.
RGB2GRAY = (0.298936021293775, 0.587043074451121, 0.114020904255103)
# canny.m: B = [2 4 5 4 2; 4 9 12 9 4; 5 12 15 12 5; 4 9 12 9 4; 2 4 5 4 2]; B = 1/159 .* B
GAUSSIAN = (1 / 159) * np.array([[2, 4, 5, 4, 2], [4, 9, 12, 9, 4], [5, 12, 15, 12, 5], [4, 9, 12, 9, 4],
                                 [2, 4, 5, 4, 2]], dtype=np.float64)
# canny.m: KGx = [-1 0 1; -2 0 2; -1 0 1]; KGy = [1 2 1; 0 0 0; -1 -2 -1]
SOBEL_X = np.array([[-1, 0, 1], [-2, 0, 2], [-1, 0, 1]], dtype=np.float64)
SOBEL_Y = np.array([[1, 2, 1], [0, 0, 0], [-1, -2, -1]], dtype=np.float64)
T_LOW, T_HIGH = 0.075, 0.175


def gray(img):
    """`if size(img,3)==3, img = rgb2gray(img); end; img = double(img)`. rgb2gray of uint8 is uint8: the weighted
    sum R·c0 + G·c1 + B·c2 in double (summed left to right), cast to uint8 by rounding half away from zero."""
    if img.ndim == 2:
        return img.astype(np.float64)
    r, g, b = (img[..., k].astype(np.float64) for k in range(3))
    x = RGB2GRAY[0] * r + RGB2GRAY[1] * g + RGB2GRAY[2] * b
    floor = np.floor(x)
    return np.clip(floor + (x - floor >= 0.5), 0, 255)  # x − ⌊x⌋ is exact: ties go up (away from zero, x ≥ 0)


def conv2_same(a, kernel):
    """MATLAB `conv2(a, kernel, 'same')`: a true convolution (the kernel flipped) over zero padding, output the size
    of `a`. out(i, j) = Σ kernel[m, n] · a[i + c − m, j + c − n] (c the centre), summed over m then n, each from 0:
    the order Canny.swift sums in (MATLAB's own order is not documented)."""
    h, w = a.shape
    k = kernel.shape[0]
    c = k // 2
    padded = np.zeros((h + 2 * c, w + 2 * c))
    padded[c:c + h, c:c + w] = a
    out = np.zeros((h, w))
    for m in range(k):
        for n in range(k):
            # a[i + c − m, j + c − n] is padded[i + 2c − m, j + 2c − n]
            out += kernel[m, n] * padded[2 * c - m:2 * c - m + h, 2 * c - n:2 * c - n + w]
    return out


def gaussian(img):
    """`A = conv2(img, B, 'same')`."""
    return conv2_same(img, GAUSSIAN)


def sobel(a):
    """`Filtered_X = conv2(A, KGx, 'same'); Filtered_Y = conv2(A, KGy, 'same')`. Being convolutions they flip the
    kernels: Gx = (left column − right column)·[1 2 1], Gy = (row below − row above)·[1 2 1]."""
    return conv2_same(a, SOBEL_X), conv2_same(a, SOBEL_Y)


def atan2_libm(gy, gx):
    """`atan2` of the C library, pixel by pixel (numpy may use its own SIMD arctan2)."""
    return np.array([math.atan2(y, x) for y, x in zip(gy.ravel(), gx.ravel())]).reshape(gy.shape)


def angle(gx, gy):
    """`arah = atan2(Filtered_Y, Filtered_X); arah = arah*180/pi;` then 360 added to the negative ones: degrees in
    [0, 360]."""
    arah = atan2_libm(gy, gx) * 180 / math.pi
    return np.where(arah < 0, 360 + arah, arah)


def direction(gx, gy):
    """The quantisation loop of canny.m, its comparisons as written: 0 for [0, 22.5) ∪ [157.5, 202.5) ∪
    [337.5, 360]; 45 for [22.5, 67.5) ∪ [202.5, 247.5); 90 for [67.5, 112.5) ∪ [247.5, 292.5); 135 for
    [112.5, 157.5) ∪ [292.5, 337.5)."""
    a = angle(gx, gy)
    d = np.full(a.shape, -1)
    d[((a >= 0) & (a < 22.5)) | ((a >= 157.5) & (a < 202.5)) | ((a >= 337.5) & (a <= 360))] = 0
    d[(d < 0) & (((a >= 22.5) & (a < 67.5)) | ((a >= 202.5) & (a < 247.5)))] = 45
    d[(d < 0) & (((a >= 67.5) & (a < 112.5)) | ((a >= 247.5) & (a < 292.5)))] = 90
    d[(d < 0) & (((a >= 112.5) & (a < 157.5)) | ((a >= 292.5) & (a < 337.5)))] = 135
    assert (d >= 0).all()
    return d


def boundary_margin(gx, gy):
    """How far (degrees) the angle of any pixel lies from a bucket boundary 22.5 + 45k: a libm whose atan2 differs
    in the last bit could move a pixel to another bucket only if this were below ~1e-13."""
    a = angle(gx, gy)
    return float(np.min(np.abs((a - 22.5) - 45 * np.round((a - 22.5) / 45))))


def magnitude(gx, gy):
    """`magnitude = (Filtered_X.^2) + (Filtered_Y.^2); magnitude2 = sqrt(magnitude)`."""
    return np.sqrt(gx * gx + gy * gy)


def nms(mag, d):
    """The non-maximum suppression loop over i = 2:pan−1, j = 2:leb−1 (the outer ring stays 0), then
    `BW = BW.*magnitude2`: a pixel keeps its magnitude when it equals the max of itself and its two neighbours
    across the edge, i.e. ≥ both (a tie keeps both pixels). Neighbours: 0 → (i, j±1); 45 → (i+1, j−1), (i−1, j+1);
    90 → (i±1, j); 135 → (i+1, j+1), (i−1, j−1)."""
    h, w = mag.shape
    bw = np.zeros((h, w))
    offsets = {0: ((0, 1), (0, -1)), 45: ((1, -1), (-1, 1)), 90: ((1, 0), (-1, 0)), 135: ((1, 1), (-1, -1))}
    for i in range(1, h - 1):
        for j in range(1, w - 1):
            (a, b), (c, e) = offsets[int(d[i, j])]
            m = mag[i, j]
            if m >= mag[i + a, j + b] and m >= mag[i + c, j + e]:
                bw[i, j] = m
    return bw


def thresholds(bw):
    """`T_Low = T_Low * max(max(BW)); T_High = T_High * max(max(BW))`."""
    top = float(bw.max())
    return T_LOW * top, T_HIGH * top


def hysteresis(bw, low, high):
    """The single-pass thresholding loop: 0 if BW < T_Low; else 1 if BW > T_High; else 1 if any of the 8
    neighbours has BW > T_High. Neighbours are tested on BW, not on the result, so nothing propagates: a weak pixel
    survives only next to a strong one. Outside the image counts as not strong (canny.m never gets there unless
    the maximum is 0, where it fails)."""
    h, w = bw.shape
    strong = np.zeros((h + 2, w + 2), dtype=bool)
    strong[1:h + 1, 1:w + 1] = bw > high
    near = np.zeros((h, w), dtype=bool)
    for di in (-1, 0, 1):
        for dj in (-1, 0, 1):
            if di or dj:
                near |= strong[1 + di:1 + di + h, 1 + dj:1 + dj + w]
    return (bw >= low) & (strong[1:h + 1, 1:w + 1] | near)


def canny(img):
    """uint8 0/255 edges of an 8-bit image (H, W) or (H, W, 3): `edge_final = uint8(T_res.*255)`."""
    a = gaussian(gray(img))
    gx, gy = sobel(a)
    bw = nms(magnitude(gx, gy), direction(gx, gy))
    low, high = thresholds(bw)
    return np.where(hysteresis(bw, low, high), 255, 0).astype(np.uint8)


# MARK: PNG, 8-bit, non-interlaced (enough for the fixtures; no Pillow needed)

def read_png(path):
    data = open(path, 'rb').read()
    assert data[:8] == b'\x89PNG\r\n\x1a\n', path
    pos, idat, header = 8, b'', None
    while pos < len(data):
        n, kind = struct.unpack('>I4s', data[pos:pos + 8])
        body = data[pos + 8:pos + 8 + n]
        if kind == b'IHDR':
            header = struct.unpack('>IIBBBBB', body)
        elif kind == b'IDAT':
            idat += body
        pos += 12 + n
    w, h, depth, color, _, _, interlace = header
    channels = {0: 1, 2: 3, 4: 2, 6: 4}.get(color)
    assert depth == 8 and channels and interlace == 0, f'{path}: only 8-bit non-interlaced gray/RGB(A) PNGs'
    raw = zlib.decompress(idat)
    stride = w * channels
    out = np.zeros((h, stride), dtype=np.int64)
    prev = np.zeros(stride, dtype=np.int64)
    for y in range(h):
        f, line = raw[y * (stride + 1)], np.frombuffer(raw, np.uint8, stride, y * (stride + 1) + 1).astype(np.int64)
        row = np.zeros(stride, dtype=np.int64)
        for x in range(stride):
            left = row[x - channels] if x >= channels else 0
            up, ul = prev[x], (prev[x - channels] if x >= channels else 0)
            if f == 0: pred = 0
            elif f == 1: pred = left
            elif f == 2: pred = up
            elif f == 3: pred = (left + up) // 2
            else:
                p = left + up - ul
                pa, pb, pc = abs(p - left), abs(p - up), abs(p - ul)
                pred = left if pa <= pb and pa <= pc else (up if pb <= pc else ul)
            row[x] = (line[x] + pred) & 0xFF
        out[y], prev = row, row
    img = out.reshape(h, w, channels).astype(np.uint8)
    if channels in (2, 4):  # MATLAB's imread returns alpha separately
        img = img[..., :channels - 1]
    return img[..., 0] if img.shape[2] == 1 else img


def write_png(path, img):
    h, w = img.shape[:2]
    color = 0 if img.ndim == 2 else 2
    raw = b''.join(b'\x00' + img[y].tobytes() for y in range(h))
    def chunk(kind, body):
        return struct.pack('>I', len(body)) + kind + body + struct.pack('>I', zlib.crc32(kind + body) & 0xFFFFFFFF)
    with open(path, 'wb') as f:
        f.write(b'\x89PNG\r\n\x1a\n' + chunk(b'IHDR', struct.pack('>IIBBBBB', w, h, 8, color, 0, 0, 0))
                + chunk(b'IDAT', zlib.compress(raw, 9)) + chunk(b'IEND', b''))


# MARK: Fixtures

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), '..')
RESOURCES = os.path.join(ROOT, 'Tests/DataTests/Resources')


def synthetic():
    """40×32 RGB: a coloured rectangle (horizontal and vertical edges), a disc (every direction), a one-pixel
    diagonal line, a faint square (weak edges that only hysteresis decides) and a horizontal ramp."""
    h, w = 32, 40
    yy, xx = np.mgrid[0:h, 0:w]
    img = np.zeros((h, w, 3), dtype=np.int64)
    img[...] = (40 + xx * 2)[..., None]
    img[4:14, 3:17] = (200, 60, 30)
    img[((yy - 20) ** 2 + (xx - 28) ** 2) <= 36] = (20, 180, 240)
    img[(xx - yy == 14) & (yy < 12)] = (250, 250, 250)
    img[20:28, 5:13] += 12
    return np.clip(img, 0, 255).astype(np.uint8)


def fixtures(chelsea):
    photo = os.path.join(RESOURCES, 'canny-input-photo.png')
    if chelsea:
        write_png(photo, read_png(chelsea)[60:156, 120:248])  # 128×96 around the left eye
    write_png(os.path.join(RESOURCES, 'canny-input-synthetic.png'), synthetic())
    inputs = {'shoe': os.path.join(ROOT, 'data/fashion-shoes/trainA/train_00006.png'), 'photo': photo,
              'synthetic': os.path.join(RESOURCES, 'canny-input-synthetic.png')}
    for name, path in inputs.items():
        img = read_png(path)
        a = gaussian(gray(img))
        gx, gy = sobel(a)
        differ = int((np.arctan2(gy, gx) != atan2_libm(gy, gx)).sum())  # informative: the port uses libm's
        margin = boundary_margin(gx, gy)
        assert margin > 1e-9, f'{name}: an angle lies {margin}° from a bucket boundary'
        edges = canny(img)
        write_png(os.path.join(RESOURCES, f'canny-{name}.png'), edges)
        print(f'{name}: {img.shape}, {int((edges > 0).sum())} edge pixels, angles ≥ {margin:.3g}° from a boundary, '
              f'numpy arctan2 ≠ libm atan2 at {differ} pixels')


def main():
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('input', nargs='?')
    parser.add_argument('output', nargs='?')
    parser.add_argument('--fixtures', action='store_true')
    parser.add_argument('--chelsea')
    args = parser.parse_args()
    if args.fixtures:
        fixtures(args.chelsea)
    elif args.input and args.output:
        write_png(args.output, canny(read_png(args.input)))
    else:
        parser.error('give INPUT and OUTPUT, or --fixtures')


if __name__ == '__main__':
    sys.exit(main())
