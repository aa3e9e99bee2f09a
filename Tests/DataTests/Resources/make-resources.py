# Regenerates the reference files in this folder (run here; needs Pillow 12.x and libjpeg-turbo-progs).
# The tests only read the committed outputs: nothing in the project needs Python.
import numpy as np, subprocess
from PIL import Image
rng = np.random.default_rng(7)
h, w = 11, 13
yy, xx = np.mgrid[0:h, 0:w]
r = (xx * 19 + yy * 3) % 256
g = (yy * 23 + 40) % 256
b = rng.integers(0, 256, (h, w))
rgb = np.stack([r, g, b], -1).astype(np.uint8)
Image.fromarray(rgb, 'RGB').save('resize-input-rgb.png')
gray = rng.integers(0, 256, (h, w)).astype(np.uint8)
gray[3:8, 4:9] = 250  # a bright block: sharp edges exercise the clipping
Image.fromarray(gray, 'L').save('resize-input-gray.png')
for name in ['rgb', 'gray']:
    im = Image.open(f'resize-input-{name}.png')
    for (W, H) in [(29, 23), (5, 4), (3, 2), (20, 7), (13, 30), (37, 11), (1, 1)]:
        im.resize((W, H), Image.BICUBIC).save(f'resize-{name}-bicubic-{W}x{H}.png')
        im.resize((W, H), Image.NEAREST).save(f'resize-{name}-nearest-{W}x{H}.png')
Image.open('resize-input-rgb.png').convert('L').save('convert-rgb-to-l.png')
# 16-bit gray without a gamma chunk, and a palette image with its RGB expansion.
g16 = ((xx * 4099 + yy * 1237) % 65536).astype(np.uint16)
Image.fromarray(g16).save('gray16-pil.png')
np.asarray(g16, '>u2').tofile('gray16-pil.raw')
pal = Image.fromarray(rgb, 'RGB').quantize(colors=7)
pal.save('palette-pil.png')
pal.convert('RGB').save('palette-pil-as-rgb.png')
# JPEG: encoded and reference-decoded by libjpeg-turbo's own tools.
big = np.stack([(xx * 19) % 256, (yy * 23) % 256, (xx * yy * 5) % 256], -1).astype(np.uint8)
Image.fromarray(np.kron(big, np.ones((2, 2, 1), np.uint8))[:19, :23], 'RGB').save('/tmp/jpeg-src.ppm')
Image.fromarray(np.kron(big, np.ones((2, 2, 1), np.uint8))[:19, :23], 'RGB').convert('L').save('/tmp/jpeg-src.pgm')
def sh(cmd): subprocess.run(cmd, shell=True, check=True)
sh('cjpeg -quality 80 /tmp/jpeg-src.ppm > tiny-rgb.jpg && djpeg -pnm tiny-rgb.jpg > tiny-rgb.ppm')
sh('cjpeg -quality 80 -progressive /tmp/jpeg-src.ppm > tiny-progressive.jpg && djpeg -pnm tiny-progressive.jpg > tiny-progressive.ppm')
sh('cjpeg -quality 90 -grayscale /tmp/jpeg-src.pgm > tiny-gray.jpg && djpeg -pnm tiny-gray.jpg > tiny-gray.pgm')
