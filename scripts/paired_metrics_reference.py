#!/usr/bin/env python3
"""Reference values for Tests/EvaluationTests/PairedMetricsTests.swift: L1, PSNR and SSIM of committed image pairs
by scikit-image (the definitions `i2i eval paired` follows; see Sources/Evaluation/PairedMetrics.swift). Needs
numpy, pillow and scikit-image, only to regenerate the numbers the test holds.

  scripts/paired_metrics_reference.py
"""
import os
import numpy as np
from PIL import Image
from skimage.metrics import structural_similarity, peak_signal_noise_ratio

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), '..')
PAIRS = [('data/brain/test_img/axial_032.png', 'data/brain/test_img/axial_036.png', 'L'),
         ('Tests/DataTests/Resources/canny-input-photo.png', 'Tests/DataTests/Resources/canny-input-photo.png', 'flip')]

for a, b, mode in PAIRS:
    x = np.array(Image.open(os.path.join(ROOT, a)).convert('RGB' if mode == 'flip' else 'L'), dtype=np.float64)
    y = np.array(Image.open(os.path.join(ROOT, b)).convert('RGB' if mode == 'flip' else 'L'), dtype=np.float64)
    if mode == 'flip':
        y = y[:, ::-1]
    kw = dict(data_range=255, gaussian_weights=True, sigma=1.5, use_sample_covariance=False)
    ssim = structural_similarity(x, y, channel_axis=2 if x.ndim == 3 else None, **kw)
    print(f'{a} vs {b} ({mode}): L1 {np.abs(x - y).mean() / 255:.10f}  PSNR {peak_signal_noise_ratio(y, x, data_range=255):.10f}'
          f'  SSIM {ssim:.10f}')
