#!/usr/bin/env python3
"""Seconds per training step of the official ECGAN code (Ha0Tang/ECGAN@984be01's Pix2PixTrainer: G step, then D
step; hinge, feature matching, TTUR Adam; no VGG) on CPU, at the size `i2i bench step --model ecgan` runs, to
measure the two side by side (BENCHMARKS.md). The generator is the trunk-length copy that the step-parity fixture
uses (scripts/make_ecgan_step_parity.py), here at ECGAN-mini: ngf 16, head_0 + 3 up blocks, SPADE hidden 128
(the official hard-coded width), instance norm; D: 2 scales × 3 layers, ndf 64. One warm-up step, then the
median of --iters. Synthetic batch 1: a label map of 4 classes in 8×8 blocks, images and edges uniform.

  scripts/time_ecgan_official.py --repo /tmp/ecgan --threads 1 [--size 64] [--iters 5]
and, for i2i, the same model without the pixel contrast the official code does not have:
  i2i bench step --model ecgan --size 64 --ngf 16 --threads 1 --iters 5 --lambda-CL 0
"""
import argparse, importlib.util, os, statistics, sys, time
import torch

HERE = os.path.dirname(os.path.abspath(__file__))


def main():
    p = argparse.ArgumentParser()
    p.add_argument('--repo', required=True)
    p.add_argument('--threads', type=int, default=1)
    p.add_argument('--size', type=int, default=64)
    p.add_argument('--iters', type=int, default=5)
    a = p.parse_args()
    torch.set_num_threads(a.threads)
    spec = importlib.util.spec_from_file_location('parity', os.path.join(HERE, 'make_ecgan_step_parity.py'))
    parity = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(parity)
    options = dict(parity.OPTIONS, ngf=16, up_blocks=3, ndf=64)
    trainer = parity.official_trainer(a.repo, options, a.size, seed=0)
    g = torch.Generator().manual_seed(1)
    blocks = torch.randint(0, 4, (1, 1, a.size // 8, a.size // 8), generator=g).float()
    label = torch.nn.functional.interpolate(blocks, scale_factor=8, mode='nearest')
    data = {'label': label, 'image': torch.rand(1, 3, a.size, a.size, generator=g) * 2 - 1,
            'instance': torch.zeros(1), 'edge': (torch.rand(1, 3, a.size, a.size, generator=g) < 0.1).float() * 2 - 1}
    times = []
    for step in range(a.iters + 1):
        start = time.perf_counter()
        trainer.run_generator_one_step(data)
        trainer.run_discriminator_one_step(data)
        if step > 0:
            times.append(time.perf_counter() - start)
    print(f'official ECGAN size={a.size} threads={a.threads} torch={torch.__version__}: '
          + ' '.join(f'{t:.3f}' for t in times))
    print(f'median_s_per_iter={statistics.median(times):.4f}')


if __name__ == '__main__':
    main()
